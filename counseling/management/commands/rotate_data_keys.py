from django.core.management.base import BaseCommand

from counseling.audit import audit_record
from counseling.crypto import data_keys_rewrap, keyring


class Command(BaseCommand):
    help = (
        "Re-wrap every data key under the primary key-encryption key (the first in "
        "FIELD_ENCRYPTION_KEYS). Data is not re-encrypted. Safe to run again and while serving."
    )

    def handle(self, *args, **options):
        primary = keyring().primary_id
        moved = data_keys_rewrap()
        audit_record(actor=None, action="crypto.data_keys_rewrapped", detail={"primary": primary, "moved": moved})
        self.stdout.write(
            self.style.SUCCESS(
                f"{moved} data keys re-wrapped under {primary!r}. Keys no longer listed first can be "
                "removed from FIELD_ENCRYPTION_KEYS once every process runs with the new list."
            )
        )
