"""Run a drill of the emergency ladder: `manage.py escalation_drill --counselor EMAIL --minutes-per-rung 1`.

Starts a drill (one at a time: run twice, it finds the running one), waits for it to end while driving
its ladder like the minute sweep does, and prints the report: who each rung alerted, who acknowledged
and how fast, which rung nobody covered. `--report ID` prints the report of a drill, running or over.

In the embedded default (no Redis) the browsers' sockets live in the server process, so the command
only writes the drill and waits: the server's minute sweep sends its alerts and climbs its ladder.
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from counseling.models import Role, User
from crisis.models import Escalation, EscalationKind
from crisis.selectors import DrillReport, drill_report
from crisis.services import drill_start, drill_step


class Command(BaseCommand):
    help = "Send a marked test alert (no client) up the whole escalation ladder on the real roster, then report."

    def add_arguments(self, parser):
        parser.add_argument("--counselor", metavar="EMAIL", help="The counselor on the first rung.")
        parser.add_argument(
            "--minutes-per-rung", type=int, help="The drill's own timer (1 to 60); default: the configured one."
        )
        parser.add_argument("--by", metavar="EMAIL", help="The admin running the drill (recorded in the audit log).")
        parser.add_argument("--no-wait", action="store_true", help="Start it and return; see --report later.")
        parser.add_argument("--poll-seconds", type=float, default=10.0, help="How often to drive the drill.")
        parser.add_argument("--report", type=int, metavar="ID", help="Print the report of drill ID; start nothing.")

    def handle(self, *args, **options):
        if options["report"] is not None:
            drill = Escalation.objects.filter(pk=options["report"], kind=EscalationKind.DRILL).first()
            if drill is None:
                raise CommandError(f"No drill {options['report']}.")
            self.print_report(drill_report(drill))
            return
        if not options["counselor"]:
            raise CommandError("Name the counselor on the first rung: --counselor EMAIL.")
        counselor = User.objects.filter(email__iexact=options["counselor"], role=Role.COUNSELOR).first()
        if counselor is None:
            raise CommandError(f"No counselor {options['counselor']}.")
        admin = None
        if options["by"]:
            admin = User.objects.filter(email__iexact=options["by"], role=Role.ADMIN, is_active=True).first()
            if admin is None:
                raise CommandError(f"No active admin {options['by']}.")
        drive = not settings.EMBEDDED_JOBS
        try:
            drill, created = drill_start(
                counselor=counselor,
                started_by=admin,
                minutes_per_rung=options["minutes_per_rung"],
                via="command",
                deliver=drive,
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        if created:
            self.stdout.write(f"Drill {drill.pk} started: DRILL, no client is in danger.")
        else:
            self.stdout.write(f"Drill {drill.pk} is already running; not starting another.")
        if options["no_wait"]:
            self.stdout.write(f"Its report: manage.py escalation_drill --report {drill.pk}")
            return
        if not drive:
            self.stdout.write("The running server's minute sweep sends its alerts (embedded mode).")
        while drill_step(drill_id=drill.pk, drive=drive):
            time.sleep(options["poll_seconds"])
        drill.refresh_from_db()
        self.print_report(drill_report(drill))

    def print_report(self, report: DrillReport) -> None:
        drill = report.drill
        started_by = report.started_by.email if report.started_by else "manage.py escalation_drill"
        self.stdout.write(
            f"Drill {drill.pk} (DRILL, no client is in danger), started {report.started_at:%Y-%m-%d %H:%M:%S %Z}"
        )
        self.stdout.write(f"  started by {started_by}; {report.minutes_per_rung} minute(s) per rung")
        if report.finished:
            self.stdout.write(f"  finished {report.finished_at:%Y-%m-%d %H:%M:%S %Z}")
        else:
            self.stdout.write("  still running")
        for row in report.rungs:
            flags = []
            if row.roster_gap:
                flags.append("NOBODY ROSTERED: admins alerted instead")
            if row.nobody_acknowledged:
                flags.append("NOBODY ACKNOWLEDGED")
            reached = f"reached {row.reached_at:%H:%M:%S}" if row.reached else "not reached"
            self.stdout.write(f"{row.label}: {reached}{'; ' + '; '.join(flags) if flags else ''}")
            for alert in row.alerts:
                who = alert.person.email + (" (admin standing in)" if alert.stood_in else "")
                if alert.delay is None:
                    self.stdout.write(f"  {who}: not acknowledged")
                else:
                    late = " (after the rung's time ran out)" if alert.late else ""
                    self.stdout.write(f"  {who}: acknowledged after {alert.delay_text}{late}")
        if report.gaps:
            self.stdout.write(f"Gaps: {', '.join(str(row.label) for row in report.gaps)}")
        elif report.complete:
            self.stdout.write("Every rung was rostered and acknowledged.")
