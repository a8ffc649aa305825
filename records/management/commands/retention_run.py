"""Run the retention job now: `manage.py retention_run --dry-run` prints what it would destroy."""

from django.core.management.base import BaseCommand

from records.services import retention_run


class Command(BaseCommand):
    help = "Destroy (crypto-shred, then delete in batches) every client whose retention has ended."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Print what would be destroyed; change nothing.")
        parser.add_argument("--limit", type=int, default=1000, help="At most this many clients in one run.")

    def handle(self, *args, dry_run: bool = False, limit: int = 1000, **options):
        plans = retention_run(dry_run=dry_run, limit=limit)
        verb = "would destroy" if dry_run else "destroyed"
        for plan in plans:
            self.stdout.write(
                f"{verb} client {plan.client_id}: {plan.messages} messages; rule {plan.rule!r}; "
                f"retention ended {plan.retention_ended_on}; "
                f"last contact {plan.last_contact_at:%Y-%m-%d}"
            )
        self.stdout.write(f"{len(plans)} client(s) {verb}{' (dry run: nothing changed)' if dry_run else ''}.")
