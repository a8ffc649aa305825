from django.core.management.base import BaseCommand, CommandError

from counseling.audit import audit_chain_verify


class Command(BaseCommand):
    help = "Walk the audit log's hash chain and fail if any entry was edited, inserted or removed."

    def handle(self, *args, **options):
        report = audit_chain_verify()
        if not report.ok:
            raise CommandError(f"Audit log is NOT intact: {report.problem} ({report.checked} entries good)")
        self.stdout.write(self.style.SUCCESS(f"Audit log intact: {report.checked} entries verified."))
