from django.core.management.base import BaseCommand

from counseling.crypto import backup_shred_days
from counseling.kek_epochs import kek_epochs_status, kek_next_epoch_missing

WHAT_TO_DO = {
    "current": "wraps new and re-wrapped data keys",
    "future": "takes over on its date",
    "draining": "live data keys still under it: run rotate_data_keys",
    "backups": "empty; waiting for older backups to expire",
    "retire": "retire it now: manage.py kek_epoch_retire {kek_id}",
    "overdue": "OVERDUE: the promised days are at risk; retire it now: manage.py kek_epoch_retire {kek_id}",
    "retired": "retired; its key exists nowhere",
    "remove": "retired: REMOVE {kek_id} from FIELD_ENCRYPTION_KEYS and the secret store, then restart",
}


class Command(BaseCommand):
    help = "Show each key-encryption key epoch, its data keys, and what is due (retirement, a missing next key)."

    def handle(self, *args, **options):
        self.stdout.write(f"Shredded data is unreadable in every backup within {backup_shred_days()} days.")
        problems = 0
        for epoch in kek_epochs_status():
            when = f"{epoch.starts or 'undated'} to {epoch.ends or '...'}"
            after = f", retire after {epoch.retire_after:%Y-%m-%d %H:%M} UTC" if epoch.retire_after else ""
            line = f"{epoch.kek_id:<12} {when:<26} {epoch.live_keys:>7} keys{after}: " + WHAT_TO_DO[epoch.state].format(
                kek_id=epoch.kek_id
            )
            if epoch.state in {"overdue", "remove"}:
                problems += 1
                self.stdout.write(self.style.ERROR(line))
            elif epoch.state in {"retire", "draining"}:
                self.stdout.write(self.style.WARNING(line))
            else:
                self.stdout.write(line)
        if kek_next_epoch_missing():
            problems += 1
            self.stdout.write(
                self.style.ERROR("The current epoch has run its KEK_EPOCH_DAYS: add the next epoch's key now.")
            )
        if problems:
            raise SystemExit(1)
