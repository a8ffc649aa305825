"""A new client's first booking is a request: the counselor reads the intake and the screen, then accepts or declines
(with a referral); an unanswered one expires. A failed screen goes to the counselor, who may override it in writing."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import translation

from counseling.crypto import open_text
from counseling.gates import GateResult
from counseling.models import AuditEntry
from dashboards.selectors import client_next_step
from identity.models import SuitabilityOverride
from identity.selectors import identity_gate
from sessions.calendar import calendar_ics
from sessions.models import (
    ClientAcceptance,
    Conversation,
    CounselingSession,
    Referral,
    SessionRequest,
    WeeklyAvailability,
)
from sessions.selectors import DECLINE_REASONS_TOLD, client_accepted_by, open_slots, pending_requests
from sessions.services import (
    BookingError,
    session_book,
    session_cancel,
    session_request_accept,
    session_request_decline,
    session_request_screen_override,
    session_series_book,
    sessions_advance_due,
)
from tests.counseling.test_identity_gate import verified
from tests.counseling.test_intake import complete_intake
from tests.sessions.booking_support import MONDAY, open_gates, run_tasks_eagerly

pytestmark = pytest.mark.django_db

AT = MONDAY - timedelta(days=3)  # the Friday before
SLOT = datetime(2027, 2, 1, 2, 0, tzinfo=UTC)  # Monday 09:00 in Jakarta
NEXT_SLOT = SLOT + timedelta(hours=1)


@pytest.fixture
def ready(db, monkeypatch, counselor_a, client_a):
    open_gates(monkeypatch)
    run_tasks_eagerly(monkeypatch)
    WeeklyAvailability.objects.create(counselor=counselor_a, weekday=0, start_time=time(9), end_time=time(12))
    return counselor_a, client_a


@pytest.fixture
def notices(monkeypatch):
    sent = []
    monkeypatch.setattr(
        "sessions.services.notify_user_on_commit", lambda *, user_id, payload: sent.append((user_id, payload))
    )
    return sent


def requested(counselor, client, starts_at=SLOT):
    return session_book(client=client, counselor=counselor, starts_at=starts_at, at=AT)


def told_in(language: str, text) -> str:
    with translation.override(language):
        return str(text)


# --- A first booking is a request that holds the slot --------------------------------------------------------------


def test_a_first_booking_is_a_request_that_holds_the_slot_until_answered(ready, client_b, notices, settings):
    counselor, client = ready
    session = requested(counselor, client)
    assert session.state == "requested"
    request = SessionRequest.objects.get(session=session)
    # Answered within SESSION_REQUEST_ANSWER_HOURS, and never after the session would open.
    assert request.expires_at == AT + timedelta(hours=settings.SESSION_REQUEST_ANSWER_HOURS)
    assert request.outcome == "" and request.screen_passed
    assert SLOT not in [
        s.starts_at for s in open_slots(counselor=counselor, start=SLOT, end=SLOT + timedelta(hours=1), at=AT)
    ]
    with pytest.raises(BookingError) as refused:
        session_book(client=client_b, counselor=counselor, starts_at=SLOT, at=AT)
    assert refused.value.code == "slot_unavailable"
    assert pending_requests(counselor=counselor, at=AT) == [request]
    # The counselor is told on their open pages, with a link to the request.
    counselor_notice = next(payload for user_id, payload in notices if user_id == counselor.pk)
    assert counselor_notice["url"] == f"/sessions/requests/{session.pk}/"
    assert not client_accepted_by(client=client, counselor=counselor)


def test_a_request_close_to_its_time_must_be_answered_before_the_session_would_open(ready, settings):
    counselor, client = ready
    at = SLOT - timedelta(hours=3)
    session = session_book(client=client, counselor=counselor, starts_at=SLOT, at=at)
    assert session.booking_request.expires_at == SLOT - timedelta(minutes=settings.SESSION_OPEN_MINUTES_BEFORE)


def test_a_second_request_to_the_same_counselor_waits_for_the_first_and_a_series_needs_acceptance_first(ready):
    counselor, client = ready
    first = requested(counselor, client)
    with pytest.raises(BookingError) as refused:
        requested(counselor, client, starts_at=NEXT_SLOT)
    assert refused.value.code == "request_waiting"
    assert refused.value.action_url == f"/sessions/{first.pk}/"
    with pytest.raises(BookingError) as series:
        session_series_book(client=client, counselor=counselor, first_starts_at=NEXT_SLOT, weeks=3, at=AT)
    assert series.value.code == "request_first" and series.value.action_url
    assert CounselingSession.objects.count() == 1


# --- Accepting --------------------------------------------------------------------------------------------------


def test_accepting_makes_an_ordinary_session_tells_the_client_and_later_bookings_are_ordinary(
    ready, notices, django_capture_on_commit_callbacks
):
    counselor, client = ready
    session = requested(counselor, client)
    mail.outbox.clear()
    notices.clear()
    with django_capture_on_commit_callbacks(execute=True):
        accepted = session_request_accept(session=session, counselor=counselor, at=AT + timedelta(hours=1))
    assert accepted.state == "scheduled"
    assert SessionRequest.objects.get(session=session).outcome == "accepted"
    assert ClientAcceptance.objects.filter(client=client, counselor=counselor).exists()
    assert AuditEntry.objects.filter(action="session.scheduled", actor_id=counselor.pk).exists()
    client_notice = next(p for user_id, p in notices if user_id == client.pk and p.get("title"))
    assert client_notice["type"] == "session.accepted"
    assert [m.to for m in mail.outbox] == [[client.email]]  # the client only: the counselor answered it
    # The next booking of the two is an ordinary one.
    later = session_book(client=client, counselor=counselor, starts_at=NEXT_SLOT, at=AT)
    assert later.state == "scheduled" and not SessionRequest.objects.filter(session=later).exists()


def test_a_request_cannot_be_accepted_twice_or_after_it_expired(ready):
    counselor, client = ready
    session = requested(counselor, client)
    session_request_accept(session=session, counselor=counselor, at=AT)
    with pytest.raises(BookingError) as twice:
        session_request_accept(session=session, counselor=counselor, at=AT)
    assert twice.value.code == "request_answered"
    late = requested(counselor, client, starts_at=NEXT_SLOT)  # taken on now: an ordinary booking
    assert late.state == "scheduled"


def test_an_expired_request_cannot_be_accepted(ready, client_b):
    counselor, _client = ready
    session = requested(counselor, client_b)
    with pytest.raises(BookingError) as refused:
        session_request_accept(session=session, counselor=counselor, at=session.booking_request.expires_at)
    assert refused.value.code == "request_expired"
    session.refresh_from_db()
    assert session.state == "requested"  # the job (or the next read) expires it


def test_only_the_sessions_counselor_may_accept_or_decline(ready, counselor_b):
    counselor, client = ready
    session = requested(counselor, client)
    with pytest.raises(Exception) as by_other:
        session_request_accept(session=session, counselor=counselor_b, at=AT)
    assert by_other.type.__name__ == "PermissionDenied"
    with pytest.raises(Exception) as by_client:
        session_request_decline(session=session, counselor=client, reason="caseload_full", at=AT)
    assert by_client.type.__name__ == "PermissionDenied"
    session.refresh_from_db()
    assert session.state == "requested"


def test_the_request_pages_are_the_counselors_alone(client, ready, counselor_b, client_b, staff_login):
    counselor, client_a = ready
    session = requested(counselor, client_a)
    pages = [f"/sessions/requests/{session.pk}/"]
    posts = [f"/sessions/requests/{session.pk}/{action}/" for action in ("accept", "decline", "override")]
    staff_login(client, counselor_b)
    assert [client.get(page).status_code for page in pages] == [404]
    assert [client.post(url, {"reason": "caseload_full"}).status_code for url in posts] == [404, 404, 404]
    client.logout()
    for person in (client_a, client_b):
        client.force_login(person)
        assert [client.get(page).status_code for page in pages] == [403]
        assert [client.post(url, {"reason": "caseload_full"}).status_code for url in posts] == [403, 403, 403]
        client.logout()
    session.refresh_from_db()
    assert session.state == "requested" and not Referral.objects.exists()
    # Its counselor reads the request (an audited read of the intake) and accepts it.
    staff_login(client, counselor)
    page = client.get(pages[0])
    assert page.status_code == 200
    assert AuditEntry.objects.filter(
        action="session.request_viewed", actor_id=counselor.pk, subject_id=client_a.pk
    ).exists()
    response = client.post(posts[0])
    assert response.status_code == 302 and response["Location"] == f"/sessions/{session.pk}/"
    session.refresh_from_db()
    assert session.state == "scheduled"


def test_the_counselor_sees_waiting_requests_on_their_caseload(client, ready, staff_login):
    counselor, client_a = ready
    session = requested(counselor, client_a)
    staff_login(client, counselor)
    page = client.get("/counselor/").content.decode()
    assert f'href="/sessions/requests/{session.pk}/"' in page and "pending-requests" in page


def test_pending_requests_are_the_instances_the_orm_reads_for_each_counselor_and_time(
    ready, client_b, counselor_b, django_assert_num_queries
):
    """pending_requests' statement is composed once (counseling.statements) and reused: any counselor and time gets
    the instances of the queryset the ORM composes for them, their session and pseudonym with them, nothing more."""
    from sessions.selectors import _pending_requests

    counselor, client_a = ready
    requested(counselor, client_a)
    requested(counselor, client_b, starts_at=NEXT_SLOT)
    waiting_b = SessionRequest.objects.filter(session__client=client_b)
    waiting_b.update(screen_passed=False, expires_at=AT + timedelta(hours=1))

    def seen(requests):
        return [
            (
                r.pk,
                r.session_id,
                r.expires_at,
                r.screen_passed,
                r.get_deferred_fields(),
                r.session.starts_at,
                r.session.client_id,
                r.session.get_deferred_fields(),
                r.session.client.get_deferred_fields(),
                r.session.client.client_profile.display_name,
                r.session.client.client_profile.get_deferred_fields(),
            )
            for r in requests
        ]

    for who in (counselor, counselor_b):
        for at in (AT, AT + timedelta(hours=2), AT + timedelta(days=30)):
            expected = seen(_pending_requests(counselor=who, at=at))
            with django_assert_num_queries(1):
                assert seen(pending_requests(counselor=who, at=at)) == expected
    assert len(seen(pending_requests(counselor=counselor, at=AT))) == 2


# --- Declining ---------------------------------------------------------------------------------------------------


def test_declining_frees_the_slot_records_the_referral_and_tells_the_client_kindly_in_english(
    ready, client_b, notices, django_capture_on_commit_callbacks
):
    counselor, _client_a = ready  # client B reads English
    session = requested(counselor, client_b)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        session_request_decline(
            session=session,
            counselor=counselor,
            reason="needs_in_person",
            referral_reason="Face-to-face care suits what you described.",
            referral_destination="Puskesmas Gondokusuman, Yogyakarta",
            at=AT,
        )
    session.refresh_from_db()
    assert (session.state, session.cancel_reason, session.cancelled_by_id) == (
        "cancelled",
        "request_declined",
        counselor.pk,
    )
    request = SessionRequest.objects.get(session=session)
    assert (request.outcome, request.decline_reason) == ("declined", "needs_in_person")
    referral = Referral.objects.get(client=client_b, counselor=counselor)
    assert request.referral == referral
    assert open_text(
        owner_id=client_b.pk, sealed=referral.destination_sealed, context=referral.destination_context
    ) == ("Puskesmas Gondokusuman, Yogyakarta")
    assert SLOT in [s.starts_at for s in open_slots(counselor=counselor, start=SLOT, end=NEXT_SLOT, at=AT)]
    notice = next(p for user_id, p in notices if user_id == client_b.pk and p.get("type") == "session.declined")
    assert str(DECLINE_REASONS_TOLD["needs_in_person"]) in notice["body"]
    assert "says nothing against you" in notice["body"]
    assert notice["url"] == "/licensing/counselors/"
    body = next(m.body for m in mail.outbox if m.to == [client_b.email])
    assert "face-to-face care would help you better now" in body and "Find another counselor" in body
    assert not any(m.to == [counselor.email] for m in mail.outbox)


def test_the_client_sees_the_decline_reason_kindly_in_indonesian(client, ready, notices):
    """Needs the merged Indonesian catalogue (/tmp/po_intake-accept.txt) for the Indonesian words."""
    counselor, client_a = ready  # client A reads Indonesian
    session = requested(counselor, client_a)
    session_request_decline(session=session, counselor=counselor, reason="caseload_full", at=AT)
    notice = next(p for user_id, p in notices if user_id == client_a.pk and p.get("type") == "session.declined")
    assert told_in("id", DECLINE_REASONS_TOLD["caseload_full"]) in notice["body"]
    assert "tidak dapat menerima klien baru" in notice["body"]
    client.force_login(client_a)
    page = client.get(f"/sessions/{session.pk}/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert told_in("id", DECLINE_REASONS_TOLD["caseload_full"]) in page and 'href="/licensing/counselors/"' in page


def test_declining_needs_a_reason_code_and_a_whole_referral(ready):
    counselor, client = ready
    session = requested(counselor, client)
    for reason, extra, code in (
        ("", {}, "reason_required"),
        ("I do not like them", {}, "reason_required"),
        ("caseload_full", {"referral_destination": "Puskesmas"}, "referral_incomplete"),
    ):
        with pytest.raises(BookingError) as refused:
            session_request_decline(session=session, counselor=counselor, reason=reason, at=AT, **extra)
        assert refused.value.code == code
    session.refresh_from_db()
    assert session.state == "requested" and not Referral.objects.exists()


def test_the_client_may_withdraw_a_request_and_it_never_counts_as_late(ready):
    counselor, client = ready
    session = requested(counselor, client)
    session_cancel(session=session, actor=client, reason="schedule_conflict", at=SLOT - timedelta(hours=1))
    session.refresh_from_db()
    assert session.state == "cancelled" and not session.late_charged_to_client
    assert SessionRequest.objects.get(session=session).outcome == "withdrawn"
    with pytest.raises(BookingError) as counselor_cancel:
        session_cancel(session=requested(counselor, client, starts_at=NEXT_SLOT), actor=counselor, reason="unwell")
    assert counselor_cancel.value.code == "decline_instead"


# --- Expiry --------------------------------------------------------------------------------------------------------


def test_an_unanswered_request_expires_frees_the_slot_and_tells_the_client(
    ready, client_b, notices, django_capture_on_commit_callbacks
):
    counselor, _client_a = ready
    session = requested(counselor, client_b)
    deadline = session.booking_request.expires_at
    assert sessions_advance_due(at=deadline - timedelta(minutes=1)) == 0
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert sessions_advance_due(at=deadline) == 1
    assert sessions_advance_due(at=deadline) == 0  # once
    session.refresh_from_db()
    assert (session.state, session.cancel_reason) == ("cancelled", "request_expired")
    assert SessionRequest.objects.get(session=session).outcome == "expired"
    assert SLOT in [s.starts_at for s in open_slots(counselor=counselor, start=SLOT, end=NEXT_SLOT, at=deadline)]
    types = {(user_id, p.get("type")) for user_id, p in notices}
    assert (client_b.pk, "session.expired") in types and (counselor.pk, "session.expired") in types
    assert any(m.to == [client_b.email] and "did not answer your request in time" in m.body for m in mail.outbox)
    with pytest.raises(BookingError):
        session_request_accept(session=session, counselor=counselor, at=deadline)


def test_the_expiry_runs_in_the_minute_job_listed_with_the_beat_jobs(settings):
    assert settings.CELERY_BEAT_SCHEDULE["sessions-advance"]["task"] == "sessions.tasks.sessions_advance"


# --- A suitability screen that did not pass goes to a counselor --------------------------------------------------


@pytest.fixture
def screen_failed(db, monkeypatch, counselor_a, counselor_b, client_a, admin_user):
    """Client A with everything in place but a failed screen (the real identity gate); other gates open."""
    for name in ("consent_gate", "jurisdiction_gate"):
        monkeypatch.setattr(f"sessions.selectors.{name}", lambda **kw: GateResult.ok())
    run_tasks_eagerly(monkeypatch)
    complete_intake(client_a, suitable_private=False)
    verified(client_a, admin_user)
    for counselor in (counselor_a, counselor_b):
        WeeklyAvailability.objects.create(counselor=counselor, weekday=0, start_time=time(9), end_time=time(12))
    return counselor_a, client_a


def test_a_failed_screen_still_sends_a_request_marked_so_and_its_refusal_links_to_the_fix(screen_failed):
    counselor, client = screen_failed
    gate = identity_gate(client=client)
    assert gate.reason == "unsuitable_for_text" and gate.action_url == "/sessions/book/"
    assert "send a counselor a request" in gate.message
    session = requested(counselor, client)
    assert session.state == "requested" and session.booking_request.screen_passed is False
    with pytest.raises(BookingError) as refused:
        session_request_accept(session=session, counselor=counselor, at=AT)
    assert refused.value.code == "screen_not_passed"


def test_the_override_needs_a_written_reason_is_sealed_and_audited_and_opens_the_gate_for_the_pair_only(
    screen_failed, counselor_b
):
    counselor, client = screen_failed
    session = requested(counselor, client)
    for empty in ("", "   "):
        with pytest.raises(Exception) as refused:
            session_request_screen_override(session=session, counselor=counselor, reason=empty)
        assert getattr(refused.value, "code", "") == "reason_missing"
    assert not SuitabilityOverride.objects.exists()
    with pytest.raises(Exception) as by_other:
        session_request_screen_override(session=session, counselor=counselor_b, reason="I know the family.")
    assert by_other.type.__name__ == "PermissionDenied"
    reason = "She can use the clinic's private room on Mondays; we agreed on it."
    row = session_request_screen_override(session=session, counselor=counselor, reason=reason)
    assert reason.encode() not in bytes(row.reason_sealed)
    assert open_text(owner_id=client.pk, sealed=row.reason_sealed, context=row.aad) == reason
    entry = AuditEntry.objects.get(action="suitability.overridden")
    assert (entry.actor_id, entry.subject_id) == (counselor.pk, client.pk) and reason not in str(entry.detail)
    assert identity_gate(client=client, counselor=counselor)
    assert identity_gate(client=client, counselor=counselor_b).reason == "unsuitable_for_text"
    assert identity_gate(client=client).reason == "unsuitable_for_text"
    accepted = session_request_accept(session=session, counselor=counselor, at=AT)
    assert accepted.state == "scheduled"
    # Taken on with the override: the next booking with this counselor is ordinary; with another, a request again.
    assert requested(counselor, client, starts_at=NEXT_SLOT).state == "scheduled"
    other = session_book(client=client, counselor=counselor_b, starts_at=SLOT + timedelta(hours=2), at=AT)
    assert other.state == "requested" and other.booking_request.screen_passed is False


def test_the_override_form_refuses_an_empty_reason_with_a_message(client, screen_failed, staff_login):
    counselor, client_a = screen_failed
    session = requested(counselor, client_a)
    staff_login(client, counselor)
    page = client.post(f"/sessions/requests/{session.pk}/override/", {"reason": "  "})
    assert page.status_code == 200 and "Write down why text counseling may go on" in page.content.decode()
    assert not SuitabilityOverride.objects.exists()
    page = client.get(f"/sessions/requests/{session.pk}/").content.decode()
    assert 'id="screen-not-passed"' in page and 'id="override-screen"' in page and 'id="accept-request"' not in page


def test_the_counselor_may_refer_a_client_whose_screen_did_not_pass(screen_failed):
    counselor, client = screen_failed
    session = requested(counselor, client)
    session_request_decline(
        session=session,
        counselor=counselor,
        reason="needs_in_person",
        referral_reason="Privacy at home is not possible now.",
        referral_destination="Puskesmas Gondokusuman",
        at=AT,
    )
    assert SessionRequest.objects.get(session=session).referral.client == client


def test_the_intake_page_links_the_failed_screen_to_its_fix(client, screen_failed):
    _counselor, client_a = screen_failed
    client.force_login(client_a)
    page = client.get("/intake/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'href="/sessions/book/"' in page and 'id="screen-next"' in page


def test_the_database_itself_refuses_a_second_session_in_a_requested_slot(ready, client_b):
    counselor, client = ready
    session = requested(counselor, client)
    with pytest.raises(IntegrityError), transaction.atomic():
        CounselingSession.objects.create(
            client=client_b, counselor=counselor, starts_at=session.starts_at, ends_at=session.ends_at
        )


def test_the_clients_next_step_sends_a_failed_screen_to_a_request_then_waits_for_the_answer(screen_failed, monkeypatch):
    counselor, client = screen_failed
    monkeypatch.setattr("dashboards.selectors.consent_gate", lambda **kw: GateResult.ok())
    step = client_next_step(client=client, at=AT)
    assert (step.key, step.url) == ("screen", "/sessions/book/")
    session = requested(counselor, client)
    step = client_next_step(client=client, at=AT)
    assert (step.key, step.url) == ("request_waiting", f"/sessions/{session.pk}/")


def test_messages_between_sessions_open_only_once_the_counselor_accepted(client, ready):
    counselor, client_a = ready
    session = requested(counselor, client_a)
    client.force_login(client_a)
    response = client.get(f"/sessions/{session.pk}/messages/")
    assert response.status_code == 302 and response["Location"] == f"/sessions/{session.pk}/"
    assert not Conversation.objects.exists()
    session_request_accept(session=session, counselor=counselor, at=AT)
    response = client.get(f"/sessions/{session.pk}/messages/")
    assert response["Location"] == f"/sessions/chat/{Conversation.objects.get().pk}/"


def test_a_request_is_tentative_in_the_calendar_feed_until_accepted(ready):
    counselor, client = ready
    session = requested(counselor, client)
    assert "STATUS:TENTATIVE" in calendar_ics(user=client, at=AT)
    session_request_accept(session=session, counselor=counselor, at=AT)
    feed = calendar_ics(user=client, at=AT)
    assert "STATUS:CONFIRMED" in feed and "TENTATIVE" not in feed
