from django.core.management.base import BaseCommand, CommandError

from counseling.kek_epochs import EpochRetireRefused, kek_epoch_retire


class Command(BaseCommand):
    help = (
        "Retire an ended key-encryption key epoch once no backup can need it (re-wraps first). Then remove its "
        "key from FIELD_ENCRYPTION_KEYS and the secret store: only that destroys it."
    )

    def add_arguments(self, parser):
        parser.add_argument("kek_id")

    def handle(self, *args, kek_id, **options):
        try:
            kek_epoch_retire(kek_id=kek_id)
        except EpochRetireRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Epoch {kek_id!r} retired. Now remove {kek_id!r} from FIELD_ENCRYPTION_KEYS in the environment "
                "and the secret store (and any copy of it), and restart: until then the key still exists."
            )
        )
