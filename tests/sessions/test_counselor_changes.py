"""The counselor cancels or moves a session with a reason; the client is told why, in their language; a
counselor's late cancellation never counts against the client; nobody else can cancel or move it."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.core import mail
from django.utils import translation

from counseling.models import AuditEntry
from sessions.models import CounselingSession, WeeklyAvailability
from sessions.selectors import REASONS_TOLD, open_slots
from sessions.services import BookingError, session_book, session_cancel, session_reschedule
from tests.sessions.booking_support import MONDAY, open_gates, run_tasks_eagerly, taken_on, work_every_day

AT = MONDAY - timedelta(days=3)
SLOT = datetime(2027, 2, 1, 2, 0, tzinfo=UTC)  # Monday 09:00 in Jakarta
NEXT_SLOT = SLOT + timedelta(hours=1)


@pytest.fixture
def ready(db, monkeypatch, counselor_a, client_a):
    open_gates(monkeypatch)
    run_tasks_eagerly(monkeypatch)
    WeeklyAvailability.objects.create(counselor=counselor_a, weekday=0, start_time=time(9), end_time=time(12))
    taken_on(client_a, counselor_a)  # their first request was accepted: these are ordinary bookings
    return counselor_a, client_a


@pytest.fixture
def notices(monkeypatch):
    sent = []
    monkeypatch.setattr(
        "sessions.services.notify_user_on_commit", lambda *, user_id, payload: sent.append((user_id, payload))
    )
    return sent


def told_in(language: str, text) -> str:
    with translation.override(language):
        return str(text)


def test_counselor_moves_a_session_and_the_client_is_told_the_reason_in_their_language(
    ready, django_capture_on_commit_callbacks, notices
):
    counselor, client = ready  # client A writes in Bahasa Indonesia
    old = session_book(client=client, counselor=counselor, starts_at=SLOT, at=AT)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        new = session_reschedule(session=old, actor=counselor, new_starts_at=NEXT_SLOT, reason="unwell", at=AT)
    old.refresh_from_db()
    assert (old.state, old.cancel_reason, old.cancelled_by) == ("cancelled", "rescheduled", counselor)
    assert (new.starts_at, new.reschedule_reason, new.rescheduled_from) == (NEXT_SLOT, "unwell", old)
    reason_id = told_in("id", REASONS_TOLD["unwell"])
    client_mail = next(m for m in mail.outbox if m.to == [client.email])
    assert "waktu baru" in client_mail.body  # the e-mail is in the client's language
    assert reason_id in client_mail.body
    counselor_mail = next(m for m in mail.outbox if m.to == [counselor.email])
    assert reason_id not in counselor_mail.body and "reason" not in counselor_mail.body.lower()
    client_notice = next(p for uid, p in notices if uid == client.pk and p["kind"] == "session_rescheduled")
    assert reason_id in client_notice["body"]
    entry = AuditEntry.objects.get(action="session.rescheduled")
    assert entry.actor_id == counselor.pk
    assert entry.detail == {"from_session": old.pk, "reason": "unwell", "by": "counselor"}


def test_a_counselor_cannot_move_a_session_without_a_reason(ready):
    counselor, client = ready
    session = session_book(client=client, counselor=counselor, starts_at=SLOT, at=AT)
    for reason in ("", "because", "rescheduled"):
        with pytest.raises(BookingError) as refused:
            session_reschedule(session=session, actor=counselor, new_starts_at=NEXT_SLOT, reason=reason, at=AT)
        assert refused.value.code == "reason_required"
    session.refresh_from_db()
    assert session.state == "scheduled" and CounselingSession.objects.count() == 1


def test_a_counselor_may_move_a_session_inside_the_notice_window_and_it_is_not_charged_to_the_client(ready):
    counselor, client = ready
    session = session_book(client=client, counselor=counselor, starts_at=SLOT, at=AT)
    late = SLOT - timedelta(hours=3)
    new = session_reschedule(session=session, actor=counselor, new_starts_at=NEXT_SLOT, reason="unwell", at=late)
    session.refresh_from_db()
    assert session.cancelled_late is True and session.late_charged_to_client is False
    assert new.state == "scheduled"


def test_a_counselors_late_cancellation_is_never_charged_to_the_client_and_the_client_is_told_so(
    ready, django_capture_on_commit_callbacks
):
    counselor, client = ready
    session = session_book(client=client, counselor=counselor, starts_at=SLOT, at=AT)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        session_cancel(session=session, actor=counselor, reason="counselor_unavailable", at=SLOT - timedelta(hours=2))
    session.refresh_from_db()
    assert (session.cancelled_late, session.late_charged_to_client) == (True, False)
    client_mail = next(m for m in mail.outbox if m.to == [client.email])
    assert told_in("id", REASONS_TOLD["counselor_unavailable"]) in client_mail.body
    with translation.override("id"):
        promise = str(
            translation.gettext(
                "Your counselor cancelled at short notice. This never counts as a late cancellation of yours."
            )
        )
    assert promise in client_mail.body


def test_the_clients_own_late_cancellation_is_the_one_that_counts_against_them(ready):
    counselor, client = ready
    session = session_book(client=client, counselor=counselor, starts_at=SLOT, at=AT)
    session_cancel(session=session, actor=client, reason="unwell", at=SLOT - timedelta(hours=2))
    session.refresh_from_db()
    assert (session.cancelled_late, session.late_charged_to_client) == (True, True)


def test_a_timely_cancellation_by_the_client_is_not_charged(ready):
    counselor, client = ready
    session = session_book(client=client, counselor=counselor, starts_at=SLOT, at=AT)
    session_cancel(session=session, actor=client, reason="unwell", at=AT)
    session.refresh_from_db()
    assert (session.cancelled_late, session.late_charged_to_client) == (False, False)


def test_a_cancellation_without_a_known_reason_is_refused(ready):
    counselor, client = ready
    session = session_book(client=client, counselor=counselor, starts_at=SLOT, at=AT)
    for reason in ("", "I just do not feel like it"):
        with pytest.raises(BookingError) as refused:
            session_cancel(session=session, actor=counselor, reason=reason, at=AT)
        assert refused.value.code == "reason_required"
    session.refresh_from_db()
    assert session.state == "scheduled"


# --- The pages --------------------------------------------------------------------------------------


@pytest.fixture
def soon(ready):
    counselor, client = ready
    WeeklyAvailability.objects.all().delete()
    work_every_day(counselor)
    start = datetime.now(UTC)
    slots = open_slots(counselor=counselor, start=start, end=start + timedelta(days=5))
    session = session_book(client=client, counselor=counselor, starts_at=slots[-1].starts_at)
    return counselor, client, session, slots[0]


def test_counselor_moves_a_session_on_its_page_with_a_reason(client, soon, staff_login):
    counselor, _client, session, free = soon
    staff_login(client, counselor)
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert f"/sessions/{session.pk}/reschedule/" in page
    page = client.get(f"/sessions/{session.pk}/reschedule/").content.decode()
    assert free.starts_at.isoformat() in page and 'name="reason"' in page
    response = client.post(
        f"/sessions/{session.pk}/reschedule/", {"starts_at": free.starts_at.isoformat(), "reason": "unwell"}
    )
    new = CounselingSession.objects.get(rescheduled_from=session)
    assert response.status_code == 302 and response["Location"] == f"/sessions/{new.pk}/"
    assert new.starts_at == free.starts_at and new.reschedule_reason == "unwell"


def test_the_reschedule_page_refuses_a_move_without_a_reason(client, soon, staff_login):
    counselor, _client, session, free = soon
    staff_login(client, counselor)
    response = client.post(f"/sessions/{session.pk}/reschedule/", {"starts_at": free.starts_at.isoformat()})
    assert response.status_code == 200
    assert "Please choose a reason." in response.content.decode() or "alasan" in response.content.decode()
    session.refresh_from_db()
    assert session.state == "scheduled" and CounselingSession.objects.count() == 1


def test_the_client_sees_the_counselors_reason_on_the_session_page(client, soon, staff_login):
    counselor, client_a, session, free = soon
    session_reschedule(session=session, actor=counselor, new_starts_at=free.starts_at, reason="counselor_unavailable")
    new = CounselingSession.objects.get(rescheduled_from=session)
    client.force_login(client_a)
    page = client.get(f"/sessions/{new.pk}/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert told_in("id", REASONS_TOLD["counselor_unavailable"]) in page


def test_another_counselor_or_client_cannot_cancel_or_move_the_session(
    client, soon, staff_login, counselor_b, client_b
):
    _counselor, client_a, session, free = soon
    staff_login(client, counselor_b)
    assert client.post(f"/sessions/{session.pk}/cancel/", {"reason": "unwell"}).status_code == 404
    assert client.get(f"/sessions/{session.pk}/reschedule/").status_code == 404
    assert (
        client.post(
            f"/sessions/{session.pk}/reschedule/", {"starts_at": free.starts_at.isoformat(), "reason": "unwell"}
        ).status_code
        == 404
    )
    client.logout()
    client.force_login(client_b)
    assert client.post(f"/sessions/{session.pk}/cancel/", {"reason": "unwell"}).status_code == 404
    client.logout()
    client.force_login(client_a)  # the client moves their own through booking, not through the counselor's page
    assert client.get(f"/sessions/{session.pk}/reschedule/").status_code == 403
    session.refresh_from_db()
    assert session.state == "scheduled" and CounselingSession.objects.count() == 1


def test_a_cancellation_posted_without_a_reason_is_refused_on_the_page(client, soon, staff_login):
    counselor, _client, session, _free = soon
    staff_login(client, counselor)
    response = client.post(f"/sessions/{session.pk}/cancel/", {}, follow=True)
    assert "Please choose a reason." in response.content.decode() or "alasan" in response.content.decode()
    session.refresh_from_db()
    assert session.state == "scheduled"
