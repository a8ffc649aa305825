from django.core.management.base import BaseCommand

from counseling.crypto import keyring
from counseling.kek_epochs import kek_epochs_rewrap


class Command(BaseCommand):
    help = (
        "Re-wrap every data key under the current key-encryption key epoch (the daily job does the same) and "
        "note the epochs left empty. Data is not re-encrypted (that is data_keys_rotate). Safe to run again."
    )

    def handle(self, *args, **options):
        primary = keyring().primary_id
        moved = kek_epochs_rewrap()
        self.stdout.write(
            self.style.SUCCESS(
                f"{sum(moved.values())} data keys re-wrapped under {primary!r}. An older key leaves "
                "FIELD_ENCRYPTION_KEYS only through kek_epoch_retire (see kek_epoch_status)."
            )
        )
