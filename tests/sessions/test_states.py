"""Session states move only through sessions.services, by time or by a person, each move audit-logged once."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from counseling.gates import GateResult
from counseling.models import AuditEntry
from sessions.models import CounselingSession
from sessions.services import (
    BookingError,
    session_complete,
    session_mark_no_show,
    session_start,
    sessions_advance_due,
    sessions_remind_due,
)
from tests.sessions.booking_support import open_gates, run_tasks_eagerly

START = datetime(2027, 2, 1, 2, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(client_a, counselor_a):
    return CounselingSession.objects.create(
        client=client_a,
        counselor=counselor_a,
        starts_at=START,
        ends_at=START + timedelta(minutes=50),
        client_time_zone="America/Chicago",
        counselor_time_zone="Asia/Jakarta",
        location_country="ID",
        location_region="ID-JK",
        location_confirmed_at=START - timedelta(minutes=20),
    )


def state_of(session) -> str:
    session.refresh_from_db()
    return session.state


def test_a_session_opens_a_few_minutes_before_its_start_and_not_earlier(session, settings):
    settings.SESSION_OPEN_MINUTES_BEFORE = 10
    sessions_advance_due(at=START - timedelta(minutes=11))
    assert state_of(session) == "scheduled"
    sessions_advance_due(at=START - timedelta(minutes=10))
    assert state_of(session) == "open" and session.opened_at == START - timedelta(minutes=10)


def test_running_the_job_twice_moves_and_logs_once(session):
    sessions_advance_due(at=START - timedelta(minutes=5))
    sessions_advance_due(at=START - timedelta(minutes=4))
    assert AuditEntry.objects.filter(action="session.open", target_id=str(session.pk)).count() == 1


def test_a_session_nobody_started_becomes_a_no_show_when_its_time_is_over(session):
    sessions_advance_due(at=START + timedelta(minutes=51))
    assert state_of(session) == "no_show"
    entry = AuditEntry.objects.get(action="session.no_show")
    assert entry.actor_id is None and entry.subject_id == session.client_id


def test_start_requires_an_open_session_and_every_gate(session, monkeypatch, counselor_a):
    open_gates(monkeypatch)
    with pytest.raises(BookingError) as refused:
        session_start(session=session, actor=counselor_a, at=START - timedelta(hours=1))
    assert refused.value.code == "not_open"
    monkeypatch.setattr(
        "sessions.selectors.jurisdiction_gate",
        lambda **kw: GateResult.refuse("no_licence_there", "No licence where the client is."),
    )
    with pytest.raises(BookingError) as refused:
        session_start(session=session, actor=counselor_a, at=START)
    assert refused.value.code == "no_licence_there"
    assert state_of(session) == "open"
    open_gates(monkeypatch)
    assert session_start(session=session, actor=counselor_a, at=START) is True
    assert state_of(session) == "in_progress" and session.started_at == START


def test_a_started_session_is_completed_by_the_counselor_or_after_its_end(session, monkeypatch, counselor_a, client_a):
    open_gates(monkeypatch)
    session_start(session=session, actor=client_a, at=START)
    assert session_complete(session=session, actor=counselor_a, at=START + timedelta(minutes=50)) is True
    assert state_of(session) == "completed"
    assert session_complete(session=session, actor=counselor_a) is False  # once only


def test_a_forgotten_running_session_is_completed_by_the_job(session, monkeypatch, client_a):
    open_gates(monkeypatch)
    session_start(session=session, actor=client_a, at=START)
    sessions_advance_due(at=START + timedelta(minutes=70))
    assert state_of(session) == "in_progress"
    sessions_advance_due(at=START + timedelta(minutes=81))
    assert state_of(session) == "completed"


def test_the_counselor_may_record_a_no_show_only_after_the_grace_period(session, counselor_a, settings):
    settings.SESSION_NO_SHOW_AFTER_MINUTES = 15
    with pytest.raises(BookingError):
        session_mark_no_show(session=session, actor=counselor_a, at=START + timedelta(minutes=5))
    assert session_mark_no_show(session=session, actor=counselor_a, at=START + timedelta(minutes=15)) is True
    assert state_of(session) == "no_show"
    assert AuditEntry.objects.get(action="session.no_show").actor_id == counselor_a.pk


def test_a_completed_or_cancelled_session_does_not_move_again(session, counselor_a):
    CounselingSession.objects.filter(pk=session.pk).update(state="cancelled")
    session.refresh_from_db()
    sessions_advance_due(at=START + timedelta(hours=2))
    assert state_of(session) == "cancelled"
    assert session_mark_no_show(session=session, actor=counselor_a, at=START + timedelta(hours=2)) is False


def test_the_reminder_goes_out_once_with_both_time_zones(
    session, django_capture_on_commit_callbacks, settings, monkeypatch
):
    run_tasks_eagerly(monkeypatch)
    settings.SESSION_REMINDER_HOURS_BEFORE = 24
    assert sessions_remind_due(at=START - timedelta(hours=25)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert sessions_remind_due(at=START - timedelta(hours=23)) == 1
        assert sessions_remind_due(at=START - timedelta(hours=22)) == 0
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert "America/Chicago" in message.body and "Asia/Jakarta" in message.body
    client_mail = next(m for m in mail.outbox if m.to == [session.client.email])
    assert "20:00" in client_mail.body and "09:00" in client_mail.body  # Chicago evening, Jakarta morning


def test_the_session_page_advances_the_state_on_read(client, client_a, counselor_a):
    from counseling.clock import now

    start = now() + timedelta(minutes=5)
    session = CounselingSession.objects.create(
        client=client_a, counselor=counselor_a, starts_at=start, ends_at=start + timedelta(minutes=50)
    )
    client.force_login(client_a)
    client.get(f"/sessions/{session.pk}/")
    assert state_of(session) == "open"


def test_the_counselor_records_a_no_show_from_the_session_page(client, client_a, counselor_a, staff_login):
    from counseling.clock import now

    start = now() - timedelta(minutes=20)
    session = CounselingSession.objects.create(
        client=client_a, counselor=counselor_a, starts_at=start, ends_at=start + timedelta(minutes=50), state="open"
    )
    client.force_login(client_a)
    assert client.post(f"/sessions/{session.pk}/state/", {"to": "no_show"}).status_code == 403  # clients may not
    staff_login(client, counselor_a)
    assert "Record a no-show" in client.get(f"/sessions/{session.pk}/").content.decode()
    client.post(f"/sessions/{session.pk}/state/", {"to": "no_show"})
    assert state_of(session) == "no_show"


def test_the_periodic_jobs_are_scheduled_and_registered(settings):
    from celery import current_app

    import sessions.tasks  # noqa: F401  (registers the tasks)

    for name in ("sessions-advance", "sessions-remind"):
        assert settings.CELERY_BEAT_SCHEDULE[name]["task"] in current_app.tasks


def test_an_open_session_whose_client_writes_is_in_progress_and_later_completed_not_a_no_show(session, client_a):
    import uuid

    from sessions.models import Conversation, Message

    sessions_advance_due(at=START - timedelta(minutes=5))
    conversation = Conversation.objects.create(client=client_a, counselor=session.counselor)
    Message.objects.create(
        conversation=conversation,
        session=session,
        sender=client_a,
        seq=1,
        client_msg_id=uuid.uuid4(),
        body_sealed=b"sealed",
        created_at=START + timedelta(minutes=1),
    )
    sessions_advance_due(at=START + timedelta(minutes=2))
    assert state_of(session) == "in_progress" and session.started_at == START + timedelta(minutes=1)
    sessions_advance_due(at=START + timedelta(minutes=90))
    assert state_of(session) == "completed"


def test_only_the_counselor_writing_still_leaves_a_no_show(session, client_a, counselor_a):
    import uuid

    from sessions.models import Conversation, Message

    conversation = Conversation.objects.create(client=client_a, counselor=counselor_a)
    Message.objects.create(
        conversation=conversation,
        session=session,
        sender=counselor_a,
        seq=1,
        client_msg_id=uuid.uuid4(),
        body_sealed=b"sealed",
        created_at=START + timedelta(minutes=1),
    )
    sessions_advance_due(at=START + timedelta(minutes=55))
    assert state_of(session) == "no_show"
