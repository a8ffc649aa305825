from django.core.management.base import BaseCommand, CommandError

from counseling.audit import EXIT_CODES, JsonLinesHeadSink, audit_chain_verify, audit_guard_status


class Command(BaseCommand):
    help = (
        "Walk the audit log's MAC chain, check it against the heads exported outside the database, and fail "
        "(a non-zero exit, one code per kind) if an entry was rewritten, appended, inserted, deleted or "
        "removed from the end."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--heads",
            help="A JSON-lines file of exported heads to check against (a copy fetched from the sink); "
            "default: what AUDIT_HEAD_SINK holds.",
        )

    def handle(self, *args, heads=None, **options):
        exported = JsonLinesHeadSink(heads).read() if heads else None
        report = audit_chain_verify(exported=exported)
        self.stdout.write(f"Database guard: {audit_guard_status()}")
        if not report.ok:
            raise CommandError(
                f"Audit log is NOT intact ({report.kind}): {report.problem} ({report.checked} entries good)",
                returncode=EXIT_CODES.get(report.kind, 1),
            )
        for note in report.notes:
            self.stdout.write(self.style.WARNING(f"Note: {note}"))
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit log intact: {report.checked} entries verified, against {report.exported_heads} exported heads."
            )
        )
