"""A drill: a marked test alert up the whole ladder on the real roster, which never reaches a client, and
a report of who acknowledged and how fast on each rung."""
# ruff: noqa: F811  (pytest fixtures imported from test_escalation_support are used as arguments)

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from counseling import clock
from counseling.mail import language_of
from counseling.models import AuditEntry
from crisis.models import Escalation, EscalationKind, EscalationState, OnCallShift, Rung, Severity
from crisis.selectors import client_latest_escalation, drill_report, risk_queue
from crisis.services import (
    drill_acknowledge,
    drill_start,
    escalation_acknowledge,
    escalation_sweep,
    help_request,
)
from dashboards.selectors import caseload
from tests.conftest import make_counselor
from tests.counseling.test_escalation_support import eager_celery, make_session, pushed  # noqa: F401

pytestmark = pytest.mark.usefixtures("eager_celery")

MARK = "DRILL — no client is in danger"


def mark_for(user) -> str:
    """The drill's mark in the language the person is written to (the English mark until translated)."""
    with translation.override(language_of(user)):
        return _(MARK)


def alerts_to(pushed, user):
    return [payload for user_id, payload in pushed if user_id == user.pk and payload["type"] == "escalation.alert"]


def mails_to(user):
    return [m for m in mail.outbox if user.email in m.to]


@pytest.fixture
def on_call(db):
    return make_counselor("oncall@staff.test", "On Call")


@pytest.fixture
def supervisor(db):
    return make_counselor("supervisor@staff.test", "Supervisor")


def rostered(user, role: str, at=None):
    start = (at or clock.now()) - timedelta(hours=1)
    OnCallShift.objects.create(user=user, role=role, starts_at=start, ends_at=start + timedelta(days=1))


@pytest.fixture
def roster(on_call, supervisor):
    rostered(on_call, "on_call")
    rostered(supervisor, "supervisor")


def start(counselor, admin, at, minutes=1, capture=None):
    if capture is None:
        return drill_start(counselor=counselor, started_by=admin, minutes_per_rung=minutes, at=at)[0]
    with capture(execute=True):
        return drill_start(counselor=counselor, started_by=admin, minutes_per_rung=minutes, at=at)[0]


# --- The ladder -------------------------------------------------------------------------------------


def test_the_drill_climbs_the_ladder_on_the_roster_and_alerts_each_rung_marked_as_a_drill(
    counselor_a, admin_user, roster, on_call, supervisor, pushed, django_capture_on_commit_callbacks
):
    t0 = clock.now()
    drill = start(counselor_a, admin_user, t0, capture=django_capture_on_commit_callbacks)
    assert (drill.kind, drill.client_id, drill.rung) == (EscalationKind.DRILL, None, Rung.COUNSELOR)
    assert [u.pk for u in (counselor_a,) if alerts_to(pushed, u)] == [counselor_a.pk]
    assert alerts_to(pushed, on_call) == [] and alerts_to(pushed, supervisor) == []

    escalation_sweep(at=t0 + timedelta(seconds=61))
    drill.refresh_from_db()
    assert drill.rung == Rung.ON_CALL and len(alerts_to(pushed, on_call)) == 1
    assert alerts_to(pushed, supervisor) == []

    escalation_sweep(at=t0 + timedelta(seconds=122))
    drill.refresh_from_db()
    assert drill.rung == Rung.SUPERVISOR and len(alerts_to(pushed, supervisor)) == 1

    # Every alert of every rung, in the browser and by e-mail, says it is a drill.
    for person in (counselor_a, on_call, supervisor):
        [payload] = alerts_to(pushed, person)
        assert payload["title"] == mark_for(person) and payload["drill"] is True  # in their language, like the e-mail
        assert payload["url"] == f"/staff/risk/drills/{drill.pk}/"
        [message] = mails_to(person)
        assert mark_for(person) in message.subject and mark_for(person) in message.body
        assert f"/staff/risk/drills/{drill.pk}/" in message.body

    # The top rung has its time too; then the drill is over and alerts nobody else.
    escalation_sweep(at=t0 + timedelta(seconds=183))
    drill.refresh_from_db()
    assert drill.state == EscalationState.RESOLVED and drill.next_step_at is None
    assert drill_report(drill).finished
    assert len(pushed) == 3 and len(mail.outbox) == 3


def test_an_acknowledgement_does_not_stop_the_drill_climbing(
    counselor_a, admin_user, roster, on_call, pushed, django_capture_on_commit_callbacks
):
    t0 = clock.now()
    drill = start(counselor_a, admin_user, t0, capture=django_capture_on_commit_callbacks)
    # Even through the ordinary acknowledgement (the risk queue's button), a drill only records it.
    assert escalation_acknowledge(escalation=drill, user=counselor_a, note="", at=t0 + timedelta(seconds=5))
    drill.refresh_from_db()
    assert drill.state == EscalationState.OPEN
    escalation_sweep(at=t0 + timedelta(seconds=61))
    assert len(alerts_to(pushed, on_call)) == 1


def test_one_drill_runs_at_a_time(counselor_a, counselor_b, admin_user, pushed):
    first, created_first = drill_start(counselor=counselor_a, started_by=admin_user)
    second, created_second = drill_start(counselor=counselor_b, started_by=admin_user)
    assert (created_first, created_second) == (True, False) and first.pk == second.pk
    assert Escalation.objects.filter(kind=EscalationKind.DRILL).count() == 1


def test_only_an_admin_or_the_command_starts_a_drill_and_only_with_an_active_counselor(
    counselor_a, counselor_b, client_a, admin_user
):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        drill_start(counselor=counselor_a, started_by=counselor_b)
    with pytest.raises(ValueError):
        drill_start(counselor=client_a, started_by=admin_user)
    with pytest.raises(ValueError):
        drill_start(counselor=counselor_a, started_by=admin_user, minutes_per_rung=0)
    assert not Escalation.objects.exists()


# --- No client ----------------------------------------------------------------------------------------


def test_no_client_is_told_and_nothing_changes_on_client_pages(
    client, client_a, counselor_a, admin_user, roster, pushed, django_capture_on_commit_callbacks
):
    make_session(client_a, counselor_a)  # client A is counselor A's client: the drill's counselor
    client.force_login(client_a)
    home_before = client.get("/client/").content.decode()
    help_before = client.get("/help/sent/").content.decode()

    t0 = clock.now()
    drill = start(counselor_a, admin_user, t0, capture=django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        drill_acknowledge(drill=drill, user=counselor_a, at=t0 + timedelta(seconds=10))
        escalation_sweep(at=t0 + timedelta(seconds=61))
        escalation_sweep(at=t0 + timedelta(seconds=122))
        escalation_sweep(at=t0 + timedelta(seconds=183))

    # No notice of any kind to a client, and none of the client's notice kind to anybody.
    assert [p for user_id, p in pushed if user_id == client_a.pk] == []
    assert [p for _user_id, p in pushed if p["type"] == "escalation.client"] == []
    assert mails_to(client_a) == []
    # The client's pages: the same, the help page with no request of theirs, no drill anywhere.
    home_after = client.get("/client/").content.decode()
    help_after = client.get("/help/sent/").content.decode()
    assert _strip_csrf(home_after) == _strip_csrf(home_before)
    assert _strip_csrf(help_after) == _strip_csrf(help_before)
    assert "drill" not in home_after.lower() and "drill" not in help_after.lower()
    assert client_latest_escalation(client=client_a) is None
    # The drill is in nobody's client records: no risk flag on the caseload, no audit entry about a client.
    [row] = caseload(counselor=counselor_a)
    assert row.pk == client_a.pk and row.open_risk_flags == 0
    entries = AuditEntry.objects.filter(target_type="crisis.escalation", target_id=str(drill.pk))
    assert entries.exists() and not entries.exclude(subject_id=None).exists()
    assert not Escalation.objects.filter(client=client_a).exists()


def _strip_csrf(page: str) -> str:
    import re

    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)


def test_a_live_drill_leaves_the_caseload_risk_flags_and_the_risk_queue_alone(
    client_a, counselor_a, admin_user, pushed
):
    make_session(client_a, counselor_a)
    help_escalation, _created = help_request(client=client_a)
    drill, _created = drill_start(counselor=counselor_a, started_by=admin_user)
    [row] = caseload(counselor=counselor_a)
    assert row.open_risk_flags == 1  # the client's own help request, not the drill
    assert list(risk_queue(user=admin_user)) == [help_escalation]
    assert drill not in risk_queue(user=counselor_a)


def test_the_database_refuses_an_escalation_without_a_client_unless_it_is_a_drill(counselor_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        Escalation.objects.create(
            client=None, counselor=counselor_a, kind=EscalationKind.HELP_BUTTON, severity=Severity.HIGH, dedupe_key="x"
        )


# --- The report --------------------------------------------------------------------------------------


@pytest.fixture
def finished_drill(counselor_a, admin_user, on_call, pushed):
    """On call rostered, no supervisor. Counselor A acknowledges late, on-call never, the admin (standing in
    for the empty supervisor rung) after 28 seconds."""
    rostered(on_call, "on_call")
    t0 = clock.now()
    drill = start(counselor_a, admin_user, t0)
    escalation_sweep(at=t0 + timedelta(seconds=61))
    assert drill_acknowledge(drill=drill, user=counselor_a, at=t0 + timedelta(seconds=75))
    escalation_sweep(at=t0 + timedelta(seconds=122))
    assert drill_acknowledge(drill=drill, user=admin_user, at=t0 + timedelta(seconds=150))
    escalation_sweep(at=t0 + timedelta(seconds=183))
    drill.refresh_from_db()
    return drill


def test_the_report_lists_acknowledgements_with_their_delays_and_flags_a_silent_rung_and_an_empty_rung(
    finished_drill, counselor_a, on_call, admin_user
):
    report = drill_report(finished_drill)
    assert report.finished and report.started_by == admin_user and report.minutes_per_rung == 1
    counselor_rung, on_call_rung, supervisor_rung = report.rungs

    [alert] = counselor_rung.alerts
    assert (alert.person, alert.delay, alert.delay_text, alert.late) == (
        counselor_a,
        timedelta(seconds=75),
        "1:15",
        True,
    )
    assert not counselor_rung.roster_gap and not counselor_rung.nobody_acknowledged

    [alert] = on_call_rung.alerts
    assert alert.person == on_call and alert.acknowledged_at is None
    assert on_call_rung.nobody_acknowledged and not on_call_rung.roster_gap

    [alert] = supervisor_rung.alerts
    assert (alert.person, alert.stood_in, alert.delay_text, alert.late) == (admin_user, True, "0:28", False)
    assert supervisor_rung.roster_gap and not supervisor_rung.nobody_acknowledged

    assert [row.rung for row in report.gaps] == [Rung.ON_CALL, Rung.SUPERVISOR]


def test_the_drill_page_shows_the_report(client, staff_login, finished_drill, admin_user):
    page = staff_login(client, admin_user).get(f"/staff/risk/drills/{finished_drill.pk}/").content.decode()
    assert MARK in page
    assert "1:15" in page and "0:28" in page
    assert "Nobody acknowledged" in page and "Nobody rostered: admins alerted instead" in page
    assert "admin standing in" in page


def test_a_rung_nobody_acknowledged_is_flagged_even_when_everyone_was_rostered(counselor_a, admin_user, roster, pushed):
    t0 = clock.now()
    drill = start(counselor_a, admin_user, t0)
    for seconds in (61, 122, 183):
        escalation_sweep(at=t0 + timedelta(seconds=seconds))
    drill.refresh_from_db()
    report = drill_report(drill)
    assert report.finished
    assert [row.rung for row in report.gaps] == [Rung.COUNSELOR, Rung.ON_CALL, Rung.SUPERVISOR]
    assert not any(row.roster_gap for row in report.rungs)


def test_the_drill_ends_early_once_everyone_on_the_top_rung_and_below_acknowledged(
    counselor_a, admin_user, roster, on_call, supervisor, pushed
):
    t0 = clock.now()
    drill = start(counselor_a, admin_user, t0)
    drill_acknowledge(drill=drill, user=counselor_a, at=t0 + timedelta(seconds=10))
    escalation_sweep(at=t0 + timedelta(seconds=61))
    drill_acknowledge(drill=drill, user=on_call, at=t0 + timedelta(seconds=70))
    escalation_sweep(at=t0 + timedelta(seconds=122))
    drill.refresh_from_db()
    assert drill.state == EscalationState.OPEN
    assert drill_acknowledge(drill=drill, user=supervisor, at=t0 + timedelta(seconds=130))
    drill.refresh_from_db()
    assert drill.state == EscalationState.RESOLVED
    assert drill_report(drill).gaps == [] and drill_report(drill).complete
    # Over: a further acknowledgement is refused.
    assert not drill_acknowledge(drill=drill, user=supervisor, at=t0 + timedelta(seconds=140))


def test_a_person_acknowledges_each_alert_once_and_only_if_alerted(counselor_a, counselor_b, admin_user, pushed):
    t0 = clock.now()
    drill = start(counselor_a, admin_user, t0)
    assert not drill_acknowledge(drill=drill, user=counselor_b, at=t0 + timedelta(seconds=5))
    assert drill_acknowledge(drill=drill, user=counselor_a, at=t0 + timedelta(seconds=5))
    assert not drill_acknowledge(drill=drill, user=counselor_a, at=t0 + timedelta(seconds=6))
    assert drill.events.filter(kind="acknowledged").count() == 1


def test_a_drill_is_audited_started_each_acknowledgement_and_finished(finished_drill, admin_user, counselor_a):
    entries = AuditEntry.objects.filter(target_type="crisis.escalation", target_id=str(finished_drill.pk))
    [started] = entries.filter(action="escalation.drill_started")
    assert started.actor_id == admin_user.pk and started.detail["counselor"] == counselor_a.pk
    acks = entries.filter(action="escalation.drill_acknowledged").order_by("sequence")
    assert [(e.actor_id, e.detail["seconds"]) for e in acks] == [(counselor_a.pk, 75), (admin_user.pk, 28)]
    [finished] = entries.filter(action="escalation.drill_finished")
    assert finished.detail["reason"] == "ran_its_course"
    assert finished.detail["rungs"]["supervisor"]["roster_gap"] is True
    assert finished.detail["rungs"]["on_call"]["acknowledged"] == {}


# --- The page: only admins start a drill ------------------------------------------------------------------


def test_an_admin_starts_a_drill_from_the_risk_queue(client, staff_login, admin_user, counselor_a, pushed):
    staff_login(client, admin_user)
    queue = client.get("/staff/risk/").content.decode()
    assert 'id="drill-start"' in queue and "Counselor A" in queue
    response = client.post("/staff/risk/drills/start/", {"counselor": counselor_a.pk, "minutes_per_rung": 2})
    drill = Escalation.objects.get(kind=EscalationKind.DRILL)
    assert response.status_code == 302 and response["Location"] == f"/staff/risk/drills/{drill.pk}/"
    assert drill.counselor == counselor_a and drill.step_minutes == 2
    assert AuditEntry.objects.get(action="escalation.drill_started").actor_id == admin_user.pk


@pytest.mark.parametrize("persona", ["counselor_a", "client_a"])
def test_counselors_and_clients_cannot_start_a_drill(persona, request, client, staff_login, counselor_a):
    user = request.getfixturevalue(persona)
    if persona == "client_a":
        client.force_login(user)
    else:
        staff_login(client, user)
    response = client.post("/staff/risk/drills/start/", {"counselor": counselor_a.pk})
    assert response.status_code in (403, 404)
    assert not Escalation.objects.exists()
    if persona == "counselor_a":
        assert 'id="drill-start"' not in client.get("/staff/risk/").content.decode()


def test_the_alerted_counselor_acknowledges_on_the_drill_page_and_an_outsider_gets_404(
    client, staff_login, counselor_a, counselor_b, admin_user, pushed
):
    drill, _created = drill_start(counselor=counselor_a, started_by=admin_user)
    staff_login(client, counselor_a)
    page = client.get(f"/staff/risk/drills/{drill.pk}/").content.decode()
    assert MARK in page and 'id="drill-acknowledge"' in page
    client.post(f"/staff/risk/drills/{drill.pk}/acknowledge/")
    assert drill.events.filter(kind="acknowledged", actor=counselor_a).count() == 1
    assert 'id="drill-acknowledge"' not in client.get(f"/staff/risk/drills/{drill.pk}/").content.decode()
    # The ordinary escalation page of a drill leads to the drill's page (there is no client to show).
    assert client.get(f"/staff/risk/{drill.pk}/")["Location"] == f"/staff/risk/drills/{drill.pk}/"

    outsider = client.__class__()
    staff_login(outsider, counselor_b)
    assert outsider.get(f"/staff/risk/drills/{drill.pk}/").status_code == 404
    assert outsider.post(f"/staff/risk/drills/{drill.pk}/acknowledge/").status_code == 404


def test_an_admin_ends_a_drill_early(client, staff_login, counselor_a, admin_user, pushed):
    drill, _created = drill_start(counselor=counselor_a, started_by=admin_user)
    staff_login(client, admin_user).post(f"/staff/risk/drills/{drill.pk}/end/")
    drill.refresh_from_db()
    assert drill.state == EscalationState.RESOLVED
    assert AuditEntry.objects.get(action="escalation.drill_finished").detail["reason"] == "ended_by_admin"
    # Ended before it climbed: the rungs above were never tested.
    report = drill_report(drill)
    assert [row.reached for row in report.rungs] == [True, False, False] and not report.complete
    # The key is free again: a new drill can start.
    assert drill_start(counselor=counselor_a, started_by=admin_user)[1] is True


# --- The command ----------------------------------------------------------------------------------------


def run(*args) -> str:
    out = StringIO()
    call_command("escalation_drill", *args, stdout=out)
    return out.getvalue()


def test_the_command_is_safe_to_run_twice_and_prints_the_report_by_id(
    counselor_a, admin_user, on_call, pushed, django_capture_on_commit_callbacks, settings
):
    settings.EMBEDDED_JOBS = False  # with Redis: the command sends its alerts itself
    rostered(on_call, "on_call")
    with django_capture_on_commit_callbacks(execute=True):
        first = run("--counselor", counselor_a.email, "--minutes-per-rung", "1", "--by", admin_user.email, "--no-wait")
        second = run("--counselor", counselor_a.email, "--minutes-per-rung", "1", "--no-wait")
    drill = Escalation.objects.get(kind=EscalationKind.DRILL)
    assert f"Drill {drill.pk} started" in first and f"--report {drill.pk}" in first
    assert f"Drill {drill.pk} is already running" in second
    assert len(alerts_to(pushed, counselor_a)) == 1  # the second run alerted nobody again

    t0 = drill.created_at
    escalation_sweep(at=t0 + timedelta(seconds=61))
    assert drill_acknowledge(drill=drill, user=on_call, at=t0 + timedelta(seconds=90))
    for seconds in (122, 183):
        escalation_sweep(at=t0 + timedelta(seconds=seconds))
    report = run("--report", str(drill.pk))
    assert f"started by {admin_user.email}" in report
    assert f"{counselor_a.email}: not acknowledged" in report
    assert f"{on_call.email}: acknowledged after 0:29" in report
    assert "NOBODY ROSTERED" in report and "NOBODY ACKNOWLEDGED" in report
    assert run("--report", str(drill.pk)) == report  # reading it changes nothing


def test_the_command_waits_for_the_drill_to_end_and_prints_its_report(
    counselor_a, roster, monkeypatch, pushed, settings
):
    settings.EMBEDDED_JOBS = False
    now = [clock.now()]
    monkeypatch.setattr(clock, "now", lambda: now[0])

    def sleep(seconds):
        now[0] += timedelta(seconds=61)

    monkeypatch.setattr("crisis.management.commands.escalation_drill.time.sleep", sleep)
    out = run("--counselor", counselor_a.email, "--minutes-per-rung", "1", "--poll-seconds", "0")
    drill = Escalation.objects.get(kind=EscalationKind.DRILL)
    assert drill.state == EscalationState.RESOLVED
    assert "started by manage.py escalation_drill" in out and "finished" in out
    assert "Counselor on the first rung: reached" in out and "Supervisor: reached" in out
    assert "supervisor@staff.test: not acknowledged" in out
    audit = AuditEntry.objects.get(action="escalation.drill_started")
    assert audit.actor_id is None and audit.detail["via"] == "command"


def test_in_the_embedded_default_the_command_leaves_sending_to_the_servers_sweep(
    counselor_a, pushed, django_capture_on_commit_callbacks, settings
):
    # The in-memory layer of the command's own process reaches no browser: the server's sweep sends.
    settings.EMBEDDED_JOBS = True
    with django_capture_on_commit_callbacks(execute=True):
        run("--counselor", counselor_a.email, "--minutes-per-rung", "1", "--no-wait")
    assert pushed == [] and mail.outbox == []
    escalation_sweep()
    [payload] = alerts_to(pushed, counselor_a)
    assert payload["title"] == mark_for(counselor_a) and len(mails_to(counselor_a)) == 1


def test_the_command_refuses_an_unknown_counselor_and_an_unknown_drill(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        run("--counselor", "nobody@staff.test")
    with pytest.raises(CommandError):
        run("--report", "999")
