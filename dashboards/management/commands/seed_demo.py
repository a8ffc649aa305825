from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dashboards.demo import demo_seed


class Command(BaseCommand):
    help = "Create demo accounts (an admin, two counselors, two clients). Idempotent. Not for production."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Seed even with DEBUG off.")

    def handle(self, *args, force=False, **options):
        if not (settings.DEMO_SEEDING_ALLOWED or force):
            raise CommandError("Refusing to create demo accounts with DEBUG off (use --force on a test system).")
        accounts = demo_seed()
        # This output is the server's log under scripts/run: no password, no code word (README, "Two commands").
        self.stdout.write("Demo accounts (their password and client.ayu's code word: README.md, 'Two commands')")
        for role, email, note in accounts:
            self.stdout.write(f"  {role:<10} {email:<32} {note}")
        self.stdout.write("Staff sign in with a second factor: `python manage.py demo_otp EMAIL` prints the code.")
        self.stdout.write("client.ayu is ready for sessions (consent, intake, verified ID, code word set);")
        self.stdout.write("client.maya starts from the beginning (consent, intake, ID upload).")
