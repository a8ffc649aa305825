"""Emergency escalation: each signal opens exactly one escalation, alerts go out once, the ladder climbs on timers."""
# ruff: noqa: F811  (pytest fixtures imported from test_escalation_support are used as arguments)

import logging
import uuid
from datetime import timedelta

import pytest
from django.core import mail

from counseling import clock
from counseling.models import AuditEntry, User
from crisis.models import Escalation, EscalationAlert, EscalationKind, EscalationState, OnCallShift, Rung
from crisis.services import (
    escalation_acknowledge,
    escalation_advance,
    escalation_deliver,
    escalation_resolve,
    escalation_sweep,
    help_request,
    message_risk_check,
)
from sessions.models import Message
from sessions.signals import client_help_requested
from tests.conftest import make_counselor
from tests.counseling.test_escalation_support import eager_celery, make_message, make_session, pushed  # noqa: F401

pytestmark = pytest.mark.usefixtures("eager_celery")


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


@pytest.fixture
def roster(on_call, supervisor):
    start = clock.now() - timedelta(hours=1)
    OnCallShift.objects.create(user=on_call, role="on_call", starts_at=start, ends_at=start + timedelta(days=1))
    OnCallShift.objects.create(user=supervisor, role="supervisor", starts_at=start, ends_at=start + timedelta(days=1))


# --- Signal 1: the help button ---------------------------------------------------------------


def test_help_button_opens_one_escalation_and_alerts_the_counselor_in_the_browser_and_by_email(
    client_a, counselor_a, pushed, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "http://konseling.test"
    session = make_session(client_a, counselor_a)
    with django_capture_on_commit_callbacks(execute=True):
        client_help_requested.send(sender=None, client_id=client_a.pk, session_id=session.pk)
    escalation = Escalation.objects.get()
    assert (escalation.kind, escalation.severity, escalation.state) == ("help_button", 3, "open")
    assert escalation.counselor == counselor_a and escalation.session == session
    assert len(alerts_to(pushed, counselor_a)) == 1
    assert alerts_to(pushed, counselor_a)[0]["url"] == f"/staff/risk/{escalation.pk}/"
    assert len(mails_to(counselor_a)) == 1
    # In the counselor's first language (id,en by default: Indonesian), with an absolute link (SITE_URL).
    assert "tidak memuat data klien" in mails_to(counselor_a)[0].body
    assert f"http://konseling.test/staff/risk/{escalation.pk}/" in mails_to(counselor_a)[0].body
    assert AuditEntry.objects.filter(action="escalation.opened", target_id=str(escalation.pk)).count() == 1


def test_client_is_told_at_once_in_their_language_with_the_numbers_of_their_confirmed_location(
    client_a, counselor_a, pushed, django_capture_on_commit_callbacks
):
    session = make_session(client_a, counselor_a, country="ID", region="ID-JK")
    with django_capture_on_commit_callbacks(execute=True):
        help_request(client=client_a, session=session)
    told = [payload for user_id, payload in pushed if user_id == client_a.pk]
    assert len(told) == 1
    numbers = " ".join(item["number"] for item in told[0]["numbers"])
    assert "112" in numbers and "119" in numbers
    # client_a prefers Indonesian
    assert "dihubungi" in told[0]["title"] or "diberi tahu" in told[0]["title"], told[0]["title"]


def test_pressing_help_again_keeps_one_live_escalation_records_the_press_and_alerts_again(
    client_a, counselor_a, pushed, django_capture_on_commit_callbacks
):
    make_session(client_a, counselor_a)
    with django_capture_on_commit_callbacks(execute=True):
        first, created_first = help_request(client=client_a)
        second, created_second = help_request(client=client_a)
    assert (created_first, created_second) == (True, False)
    assert first.pk == second.pk and Escalation.objects.count() == 1
    assert first.events.filter(kind="help_pressed_again").count() == 1
    # tests/counseling/test_help_repeat.py: the repeated press reaches a person.
    assert len(alerts_to(pushed, counselor_a)) == 2 and len(mails_to(counselor_a)) == 2


def test_after_a_help_escalation_is_resolved_a_new_press_opens_a_new_one(client_a, counselor_a, pushed):
    make_session(client_a, counselor_a)
    first, _ = help_request(client=client_a)
    assert escalation_resolve(escalation=first, user=counselor_a, note="Talked, safe at home with family.")
    second, created = help_request(client=client_a)
    assert created and second.pk != first.pk


# --- Reliability: a repeated delivery does not alert twice -----------------------------------------


def test_a_repeated_delivery_of_the_alert_task_does_not_alert_twice(client_a, counselor_a, pushed):
    make_session(client_a, counselor_a)
    escalation, _ = help_request(client=client_a)  # on-commit callbacks not run: nothing sent yet
    from crisis import tasks

    tasks.escalation_deliver.apply(args=[escalation.pk])
    tasks.escalation_deliver.apply(args=[escalation.pk])
    assert escalation_deliver(escalation_id=escalation.pk) == 0
    assert len(alerts_to(pushed, counselor_a)) == 1 and len(mails_to(counselor_a)) == 1
    alert = EscalationAlert.objects.get(escalation=escalation)
    assert alert.delivered and alert.attempts == 1


def test_a_sender_holding_the_lease_keeps_a_second_sender_out_until_it_expires(client_a, counselor_a, pushed):
    make_session(client_a, counselor_a)
    escalation, _ = help_request(client=client_a)
    at = clock.now()
    # A first sender claimed the alert and died before sending.
    EscalationAlert.objects.filter(escalation=escalation).update(claimed_until=at + timedelta(seconds=60))
    assert escalation_deliver(escalation_id=escalation.pk, at=at) == 0
    assert alerts_to(pushed, counselor_a) == []
    # The sweep after the lease ran out delivers it, once.
    assert escalation_sweep(at=at + timedelta(seconds=61))["delivered"] == 1
    assert escalation_sweep(at=at + timedelta(seconds=200))["delivered"] == 0
    assert len(alerts_to(pushed, counselor_a)) == 1 and len(mails_to(counselor_a)) == 1


def test_tasks_are_declared_late_acknowledged_and_requeued_when_their_worker_dies():
    from crisis import tasks
    from records import tasks as records_tasks

    for task in (
        tasks.escalation_deliver,
        tasks.escalation_advance,
        tasks.escalation_sweep,
        tasks.escalation_check_message,
        records_tasks.retention_run,
        records_tasks.retention_purge_client,
    ):
        assert task.acks_late is True and task.reject_on_worker_lost is True, task.name


def test_the_sweep_is_in_the_beat_schedule_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["escalation-sweep"]
    assert entry["task"] == "counseling.tasks.escalation_sweep" and entry["schedule"] == 60.0


def test_without_redis_the_server_runs_the_sweep_itself_every_minute():
    from counseling.embedded_jobs import due_jobs

    last_runs = {}
    t0 = clock.now()
    assert "escalation-sweep" in due_jobs(last_runs=last_runs, at=t0)  # at start-up
    assert "retention-run" not in due_jobs(last_runs={}, at=t0)  # a nightly job waits for its time


# --- Signal 2: risk phrases --------------------------------------------------------------------


def _post(client, counselor, text, *, sender=None, client_msg_id=None):
    from sessions.chat.services import conversation_get_or_create, message_post

    conversation = conversation_get_or_create(client=client, counselor=counselor)
    return message_post(
        conversation=conversation, sender=sender or client, client_msg_id=client_msg_id or uuid.uuid4(), body=text
    )[0]


def test_a_risk_phrase_in_a_client_message_opens_exactly_one_escalation_with_the_message(
    client_a, counselor_a, pushed, django_capture_on_commit_callbacks
):
    resent_id = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        message = _post(client_a, counselor_a, "Aku pengen MATI aja...", client_msg_id=resent_id)
        again = _post(client_a, counselor_a, "Aku pengen MATI aja...", client_msg_id=resent_id)  # a resend
    assert again.pk == message.pk
    escalation = Escalation.objects.get()
    assert escalation.kind == EscalationKind.RISK_PHRASE and escalation.message == message
    assert escalation.dedupe_key == f"risk_phrase:message:{message.pk}"
    assert len(alerts_to(pushed, counselor_a)) == 1 and len(mails_to(counselor_a)) == 1


def test_the_risk_check_runs_beside_the_message_and_ordinary_messages_queue_no_task(
    client_a, counselor_a, pushed, monkeypatch, django_capture_on_commit_callbacks
):
    from crisis import tasks

    queued = []
    monkeypatch.setattr(
        tasks.escalation_check_message, "apply_async", lambda args=(), kwargs=None, **options: queued.append(args)
    )
    with django_capture_on_commit_callbacks(execute=True):
        _post(client_a, counselor_a, "Hari ini lumayan, terima kasih")
        _post(client_a, counselor_a, "I want to end my life tonight")
    assert queued == [] and Escalation.objects.count() == 1


def test_a_failing_risk_check_never_refuses_the_message_and_a_task_checks_it_by_id(
    client_a, counselor_a, pushed, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    from crisis import services as escalation
    from crisis import tasks

    queued = []
    monkeypatch.setattr(
        tasks.escalation_check_message,
        "apply_async",
        lambda args=(), kwargs=None, **options: queued.append((args, kwargs)),
    )
    real_open = escalation.escalation_open

    def broken_open(**kwargs):
        raise RuntimeError("on-call table unreachable")

    monkeypatch.setattr(escalation, "escalation_open", broken_open)
    secret = "I want to end my life tonight"
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        message = _post(client_a, counselor_a, secret)
    assert Message.objects.filter(pk=message.pk).exists() and not Escalation.objects.exists()
    assert queued == [((message.pk,), None)]  # the id only
    monkeypatch.setattr(escalation, "escalation_open", real_open)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.escalation_check_message(message.pk)
    assert Escalation.objects.get().message_id == message.pk
    assert "end my life" not in caplog.text
    for entry in AuditEntry.objects.all():
        assert "end my life" not in str(entry.detail)


def test_a_counselor_message_with_a_risk_phrase_opens_nothing(client_a, counselor_a, pushed):
    message = make_message(client_a, counselor_a, "If you ever want to kill yourself, call me.", sender=counselor_a)
    assert message_risk_check(message_id=message.pk) is None
    assert not Escalation.objects.exists()


def test_a_harmless_message_with_a_risk_word_inside_another_word_opens_nothing(client_a, counselor_a, pushed):
    message = make_message(client_a, counselor_a, "Aku ingin matikan lampu lalu tidur. I want to diet too.")
    assert message_risk_check(message_id=message.pk) is None
    assert not Escalation.objects.exists()


# --- Signal 3: a reply overdue -------------------------------------------------------------------


def test_a_client_message_unanswered_past_its_reply_window_opens_one_escalation_to_cover(
    client_a, counselor_a, roster, on_call, pushed
):
    at = clock.now()
    message = make_message(
        client_a, counselor_a, "Are you there?", at=at - timedelta(hours=25), reply_due_at=at - timedelta(hours=1)
    )
    make_message(client_a, counselor_a, "Still waiting", at=at, reply_due_at=at + timedelta(hours=24))
    answered = make_message(
        client_a, counselor_a, "Hello", at=at - timedelta(hours=30), reply_due_at=at - timedelta(hours=6)
    )
    answered.answered_at = at - timedelta(hours=7)
    answered.save(update_fields=["answered_at"])
    assert escalation_sweep(at=at)["overdue_replies"] == 1
    assert escalation_sweep(at=at + timedelta(minutes=1))["overdue_replies"] == 0
    escalation = Escalation.objects.get()
    assert escalation.kind == EscalationKind.REPLY_OVERDUE and escalation.message == message
    assert escalation.rung == Rung.ON_CALL
    recipients = set(escalation.alerts.values_list("recipient__email", flat=True))
    assert recipients == {on_call.email, counselor_a.email}
    assert [p for uid, p in pushed if uid == client_a.pk] == []  # not a client-facing signal


# --- Signal 4: a location confirmed with no emergency plan -----------------------------------------


def test_confirming_a_location_with_no_emergency_plan_opens_one_escalation(
    client_a, counselor_a, pushed, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("crisis.services.has_emergency_plan", lambda client: False)
    session = make_session(client_a, counselor_a, confirmed=False)
    with django_capture_on_commit_callbacks(execute=True):
        session.location_country, session.location_confirmed_at = "ID", clock.now()
        session.save(update_fields=["location_country", "location_confirmed_at"])
        session.save(update_fields=["location_country", "location_confirmed_at"])
    escalation = Escalation.objects.get()
    assert escalation.kind == EscalationKind.NO_EMERGENCY_PLAN and escalation.session == session
    assert len(alerts_to(pushed, counselor_a)) == 1


def test_confirming_a_location_with_an_emergency_plan_opens_nothing(
    client_a, counselor_a, pushed, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("crisis.services.has_emergency_plan", lambda client: True)
    with django_capture_on_commit_callbacks(execute=True):
        make_session(client_a, counselor_a)
    assert not Escalation.objects.exists()


def test_a_client_without_an_intake_has_no_emergency_plan(client_a):
    from crisis.services import has_emergency_plan

    assert has_emergency_plan(client_a) is False


# --- The ladder -------------------------------------------------------------------------------------


def test_an_unacknowledged_alert_climbs_to_on_call_then_supervisor_on_timers(
    client_a, counselor_a, roster, on_call, supervisor, pushed
):
    t0 = clock.now()
    make_session(client_a, counselor_a, at=t0)
    escalation, _ = help_request(client=client_a, at=t0)
    escalation_deliver(escalation_id=escalation.pk, at=t0)
    assert escalation_sweep(at=t0 + timedelta(minutes=4, seconds=59))["advanced"] == 0
    assert alerts_to(pushed, on_call) == []

    escalation_sweep(at=t0 + timedelta(minutes=5))
    escalation.refresh_from_db()
    assert escalation.rung == Rung.ON_CALL
    assert len(alerts_to(pushed, on_call)) == 1 and len(mails_to(on_call)) == 1
    assert alerts_to(pushed, supervisor) == []

    escalation_sweep(at=t0 + timedelta(minutes=10))
    escalation.refresh_from_db()
    assert escalation.rung == Rung.SUPERVISOR and escalation.next_step_at is None
    assert len(alerts_to(pushed, supervisor)) == 1
    # The top of the ladder: later sweeps change nothing and alert nobody again.
    escalation_sweep(at=t0 + timedelta(hours=1))
    assert len(pushed) == len([p for p in pushed])  # no exception
    assert len(alerts_to(pushed, counselor_a)) == 1 and len(alerts_to(pushed, on_call)) == 1
    assert list(escalation.events.filter(kind="alerted").values_list("rung", flat=True)) == [
        "counselor",
        "on_call",
        "supervisor",
    ]


def test_the_same_rung_is_not_climbed_twice_by_a_task_and_the_sweep(client_a, counselor_a, roster, on_call, pushed):
    t0 = clock.now()
    make_session(client_a, counselor_a, at=t0)
    escalation, _ = help_request(client=client_a, at=t0)
    due = t0 + timedelta(minutes=5, seconds=1)
    assert escalation_advance(escalation_id=escalation.pk, at=due) is True
    assert escalation_advance(escalation_id=escalation.pk, at=due) is False
    assert EscalationAlert.objects.filter(escalation=escalation, rung="on_call").count() == 1


def test_acknowledging_stops_the_ladder_and_needs_a_note(client_a, counselor_a, roster, on_call, pushed):
    t0 = clock.now()
    make_session(client_a, counselor_a, at=t0)
    escalation, _ = help_request(client=client_a, at=t0)
    with pytest.raises(ValueError):
        escalation_acknowledge(escalation=escalation, user=counselor_a, note="   ")
    assert escalation_acknowledge(
        escalation=escalation, user=counselor_a, note="Calling the client now.", at=t0 + timedelta(minutes=2)
    )
    escalation.refresh_from_db()
    assert escalation.state == EscalationState.ACKNOWLEDGED and escalation.next_step_at is None
    escalation_sweep(at=t0 + timedelta(hours=2))
    assert alerts_to(pushed, on_call) == []
    event = escalation.events.get(kind="acknowledged")
    assert b"Calling the client" not in bytes(event.note_sealed)  # sealed, not plaintext
    assert not escalation_acknowledge(escalation=escalation, user=counselor_a, note="again")


def test_nobody_on_call_alerts_the_admins_and_records_the_gap(client_a, counselor_a, admin_user, pushed):
    t0 = clock.now()
    make_session(client_a, counselor_a, at=t0)
    escalation, _ = help_request(client=client_a, at=t0)
    escalation_sweep(at=t0 + timedelta(minutes=6))
    assert len(alerts_to(pushed, admin_user)) == 1
    assert escalation.events.filter(kind="roster_gap", rung="on_call").exists()
    assert AuditEntry.objects.filter(action="escalation.roster_gap").exists()


def test_a_client_without_a_counselor_goes_straight_to_cover(client_a, admin_user, pushed):
    escalation, _ = help_request(client=client_a)
    escalation_deliver(escalation_id=escalation.pk)
    assert len(alerts_to(pushed, admin_user)) == 1


def test_an_inactive_admin_is_not_alerted(client_a, admin_user, pushed):
    User.objects.filter(pk=admin_user.pk).update(is_active=False)
    escalation, _ = help_request(client=client_a)
    escalation_deliver(escalation_id=escalation.pk)
    assert alerts_to(pushed, admin_user) == []


# --- Through the chat's own services (sessions.services), not only the signals -----------------------


def test_a_risk_message_posted_through_the_chat_opens_one_escalation(
    client_a, counselor_a, pushed, django_capture_on_commit_callbacks
):
    import uuid

    from sessions.chat.services import message_post
    from sessions.models import Conversation

    conversation = Conversation.objects.create(client=client_a, counselor=counselor_a)
    client_msg_id = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        message_post(
            conversation=conversation, sender=client_a, client_msg_id=client_msg_id, body="aku pengen bunuh diri"
        )
        message_post(
            conversation=conversation,
            sender=counselor_a,
            client_msg_id=uuid.uuid4(),
            body="Kamu bilang 'bunuh diri', aku di sini.",
        )
    escalation = Escalation.objects.get()
    assert escalation.kind == EscalationKind.RISK_PHRASE and escalation.message.sender == client_a
    assert len(alerts_to(pushed, counselor_a)) == 1


def test_the_chat_help_button_opens_the_help_escalation(
    client_a, counselor_a, pushed, django_capture_on_commit_callbacks
):
    from sessions.chat.services import chat_help_request
    from sessions.models import Conversation

    conversation = Conversation.objects.create(client=client_a, counselor=counselor_a)
    with django_capture_on_commit_callbacks(execute=True):
        chat_help_request(client=client_a, conversation=conversation)
    escalation = Escalation.objects.get()
    assert escalation.kind == EscalationKind.HELP_BUTTON and escalation.counselor == counselor_a
    assert [p["type"] for uid, p in pushed if uid == client_a.pk] == ["escalation.client"]


def test_an_alert_the_channel_layer_did_not_take_stays_pending_for_the_sweep(
    monkeypatch, client_a, counselor_a, django_capture_on_commit_callbacks
):
    """Redis down at the moment of the alert: the browser notice is not marked sent, so the sweep retries it."""
    from crisis import services as escalation_module
    from crisis.models import EscalationAlert

    attempts = []

    def layer_down(*, user_id, payload):
        attempts.append(user_id)
        return False

    monkeypatch.setattr(escalation_module, "notify_user_now", layer_down)
    session = make_session(client_a, counselor_a)
    with django_capture_on_commit_callbacks(execute=True):
        help_request(client=client_a, session=session)
    alert = EscalationAlert.objects.get(recipient=counselor_a)
    assert counselor_a.pk in attempts
    assert alert.notified_at is None
    assert len(mails_to(counselor_a)) == 1
