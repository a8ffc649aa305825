"""Booking a slot: gates, both time zones, no double booking, caseload limit, cancel and reschedule."""

import threading
from datetime import UTC, datetime, time, timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, close_old_connections, connection, transaction

from counseling.gates import GateResult
from counseling.models import AuditEntry
from sessions.models import CounselingSession, WeeklyAvailability
from sessions.selectors import open_slots
from sessions.services import BookingError, session_book, session_cancel, session_reschedule
from tests.conftest import make_client
from tests.sessions.booking_support import MONDAY, open_gates, run_tasks_eagerly, set_zone, taken_on, work_every_day

AT = MONDAY - timedelta(days=3)  # the Friday before: every Monday slot is bookable
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


def test_client_books_a_free_slot_and_both_time_zones_are_kept(
    ready, client_b, django_capture_on_commit_callbacks, notices, settings
):
    settings.SITE_URL = "http://konseling.test"
    counselor, _client = ready
    set_zone(counselor, "America/Chicago")
    WeeklyAvailability.objects.all().delete()
    WeeklyAvailability.objects.create(counselor=counselor, weekday=6, start_time=time(19), end_time=time(21))
    starts = datetime(2027, 2, 1, 1, 0, tzinfo=UTC)  # Sunday 19:00 in Chicago, Monday 08:00 in Jakarta
    with django_capture_on_commit_callbacks(execute=True):
        session = session_book(client=_client, counselor=counselor, starts_at=starts, at=AT)
    assert (session.client_time_zone, session.counselor_time_zone) == ("Asia/Jakarta", "America/Chicago")
    assert session.state == "scheduled" and session.ends_at - session.starts_at == timedelta(minutes=50)
    assert session.response_promise_hours == 24
    assert (session.location_country, session.location_region) == ("ID", "ID-JK")
    assert (
        AuditEntry.objects.filter(action="session.booked", target_id=str(session.pk), subject_id=_client.pk).count()
        == 1
    )
    # Both parties are told in the app and by e-mail, each with both time zones.
    assert {user_id for user_id, payload in notices if payload["kind"] == "session_booked"} == {
        _client.pk,
        counselor.pk,
    }
    assert sorted(m.to[0] for m in mail.outbox) == sorted([_client.email, counselor.email])
    for message in mail.outbox:
        assert "Asia/Jakarta" in message.body and "America/Chicago" in message.body
        assert f"http://konseling.test/sessions/{session.pk}/" in message.body  # an absolute link (SITE_URL)
    client_mail = next(m for m in mail.outbox if m.to == [_client.email])
    assert "08:00" in client_mail.body and "19:00" in client_mail.body


@pytest.mark.parametrize("gate", ["consent_gate", "identity_gate", "jurisdiction_gate"])
def test_each_gate_refusal_blocks_the_booking_with_its_message(ready, monkeypatch, gate):
    counselor, client = ready
    monkeypatch.setattr(
        f"sessions.selectors.{gate}", lambda **kw: GateResult.refuse(f"{gate}_says_no", f"Refused by {gate}.")
    )
    with pytest.raises(BookingError) as refused:
        session_book(client=client, counselor=counselor, starts_at=SLOT, at=AT)
    assert refused.value.code == f"{gate}_says_no" and refused.value.message == f"Refused by {gate}."
    assert not CounselingSession.objects.exists()


def test_booking_checks_the_licence_where_the_client_is_at_the_session_time(ready, monkeypatch):
    counselor, client = ready
    calls = []
    monkeypatch.setattr("sessions.selectors.intake_place", lambda **kw: ("US", "US-TX"))
    monkeypatch.setattr("sessions.selectors.jurisdiction_gate", lambda **kw: calls.append(kw) or GateResult.ok())
    session_book(client=client, counselor=counselor, starts_at=SLOT, at=AT)
    assert calls == [{"counselor": counselor, "country": "US", "region": "US-TX", "at": SLOT}]


def test_a_client_whose_location_is_unknown_cannot_book(ready, monkeypatch):
    counselor, client = ready
    monkeypatch.setattr("sessions.selectors.intake_place", lambda **kw: ("", ""))
    with pytest.raises(BookingError) as refused:
        session_book(client=client, counselor=counselor, starts_at=SLOT, at=AT)
    assert refused.value.code == "location_unknown"


def test_real_gates_refuse_a_client_who_has_not_onboarded(db, counselor_a, client_a):
    WeeklyAvailability.objects.create(counselor=counselor_a, weekday=0, start_time=time(9), end_time=time(12))
    with pytest.raises(BookingError):
        session_book(client=client_a, counselor=counselor_a, starts_at=SLOT, at=AT)
    assert not CounselingSession.objects.exists()


def test_a_time_that_is_not_an_offered_slot_is_refused(ready):
    counselor, client = ready
    for starts in (SLOT + timedelta(minutes=20), SLOT + timedelta(hours=5), SLOT - timedelta(days=1)):
        with pytest.raises(BookingError) as refused:
            session_book(client=client, counselor=counselor, starts_at=starts, at=AT)
        assert refused.value.code == "slot_unavailable"


def test_a_taken_slot_is_refused_to_the_next_client(ready, client_b):
    counselor, client = ready
    session_book(client=client, counselor=counselor, starts_at=SLOT, at=AT)
    with pytest.raises(BookingError) as refused:
        session_book(client=client_b, counselor=counselor, starts_at=SLOT, at=AT)
    assert refused.value.code == "slot_unavailable"
    assert CounselingSession.objects.count() == 1


def test_a_client_cannot_hold_two_sessions_at_once_with_different_counselors(ready, counselor_b):
    counselor, client = ready
    WeeklyAvailability.objects.create(counselor=counselor_b, weekday=0, start_time=time(9), end_time=time(12))
    session_book(client=client, counselor=counselor, starts_at=SLOT, at=AT)
    with pytest.raises(BookingError) as refused:
        session_book(client=client, counselor=counselor_b, starts_at=SLOT, at=AT)
    assert refused.value.code == "client_busy"


def test_the_database_itself_refuses_a_second_live_session_in_one_slot(ready, client_b):
    counselor, client = ready
    CounselingSession.objects.create(
        client=client, counselor=counselor, starts_at=SLOT, ends_at=SLOT + timedelta(minutes=50)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        CounselingSession.objects.create(
            client=client_b, counselor=counselor, starts_at=SLOT, ends_at=SLOT + timedelta(minutes=50)
        )
    # A cancelled session does not hold its slot.
    CounselingSession.objects.filter(client=client).update(state="cancelled")
    CounselingSession.objects.create(
        client=client_b, counselor=counselor, starts_at=SLOT, ends_at=SLOT + timedelta(minutes=50)
    )


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="exclusion constraints exist on PostgreSQL only")
def test_on_postgresql_the_database_refuses_overlapping_sessions_too(ready, client_b):
    counselor, client = ready
    CounselingSession.objects.create(
        client=client, counselor=counselor, starts_at=SLOT, ends_at=SLOT + timedelta(minutes=50)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        CounselingSession.objects.create(
            client=client_b,
            counselor=counselor,
            starts_at=SLOT + timedelta(minutes=30),
            ends_at=SLOT + timedelta(minutes=80),
        )


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_bookings_of_one_slot_exactly_one_succeeds(monkeypatch, counselor_a):
    """Real threads, each with its own database connection, released together at a barrier."""
    open_gates(monkeypatch)
    WeeklyAvailability.objects.create(counselor=counselor_a, weekday=0, start_time=time(9), end_time=time(12))
    clients = [make_client(f"race{i}@clients.test", f"Racer {i}") for i in range(2)]
    barrier = threading.Barrier(2)
    outcomes = []

    def book(client):
        try:
            barrier.wait(timeout=10)
            session_book(client=client, counselor=counselor_a, starts_at=SLOT, at=AT)
            outcomes.append("booked")
        except BookingError as error:
            outcomes.append(error.code)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=book, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["booked", "slot_unavailable"]
    assert CounselingSession.objects.filter(counselor=counselor_a, starts_at=SLOT).count() == 1


# --- Caseload limit ---------------------------------------------------------------------------------


def test_a_counselor_at_the_caseload_limit_takes_no_new_clients_but_existing_ones_still_book(ready, client_b):
    counselor, client = ready
    counselor.counselor_profile.caseload_limit = 1
    counselor.counselor_profile.save(update_fields=["caseload_limit"])
    session_book(client=client, counselor=counselor, starts_at=SLOT, at=AT)
    with pytest.raises(BookingError) as refused:
        session_book(client=client_b, counselor=counselor, starts_at=NEXT_SLOT, at=AT)
    assert refused.value.code == "caseload_full"
    assert "not taking new clients" in refused.value.message
    session_book(client=client, counselor=counselor, starts_at=NEXT_SLOT, at=AT)  # an existing client
    assert CounselingSession.objects.filter(client=client).count() == 2


def test_the_booking_page_says_when_a_counselor_is_full(client, ready, client_b):
    counselor, _client_a = ready
    counselor.counselor_profile.caseload_limit = 0
    counselor.counselor_profile.save(update_fields=["caseload_limit"])
    client.force_login(client_b)
    page = client.get("/sessions/book/").content.decode()
    assert "not taking new clients" in page


# --- Cancel and reschedule --------------------------------------------------------------------------


def test_cancelling_frees_the_slot_and_tells_both_parties(ready, client_b, django_capture_on_commit_callbacks, notices):
    counselor, client = ready
    session = session_book(client=client, counselor=counselor, starts_at=SLOT, at=AT)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        session_cancel(session=session, actor=client, reason="unwell", at=AT)
    session.refresh_from_db()
    assert (session.state, session.cancel_reason, session.cancelled_by, session.cancelled_late) == (
        "cancelled",
        "unwell",
        client,
        False,
    )
    assert {m.to[0] for m in mail.outbox} == {client.email, counselor.email}
    assert all("cancelled" in m.body.lower() or "dibatalkan" in m.body.lower() for m in mail.outbox)
    assert {uid for uid, p in notices if p["kind"] == "session_cancelled"} == {client.pk, counselor.pk}
    entry = AuditEntry.objects.get(action="session.cancelled")
    assert entry.detail == {"reason": "unwell", "late": False, "from_state": "scheduled"}
    session_book(client=client_b, counselor=counselor, starts_at=SLOT, at=AT)  # the slot is free again


def test_a_cancellation_inside_the_notice_window_goes_through_and_is_recorded_as_late(ready, settings):
    counselor, client = ready
    settings.SESSION_CANCEL_NOTICE_HOURS = 24
    session = session_book(client=client, counselor=counselor, starts_at=SLOT, at=AT)
    session_cancel(session=session, actor=client, reason="unwell", at=SLOT - timedelta(hours=3))
    session.refresh_from_db()
    assert session.state == "cancelled" and session.cancelled_late is True


def test_a_cancelled_session_cannot_be_cancelled_again(ready):
    counselor, client = ready
    session = session_book(client=client, counselor=counselor, starts_at=SLOT, at=AT)
    session_cancel(session=session, actor=client, reason="unwell", at=AT)
    with pytest.raises(BookingError):
        session_cancel(session=session, actor=client, reason="unwell", at=AT)
    assert AuditEntry.objects.filter(action="session.cancelled").count() == 1


def test_rescheduling_moves_the_session_in_one_step_and_links_old_and_new(ready, django_capture_on_commit_callbacks):
    counselor, client = ready
    old = session_book(client=client, counselor=counselor, starts_at=SLOT, at=AT)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        new = session_reschedule(session=old, actor=client, new_starts_at=NEXT_SLOT, at=AT)
    old.refresh_from_db()
    assert (old.state, old.cancel_reason) == ("cancelled", "rescheduled")
    assert new.rescheduled_from == old and new.starts_at == NEXT_SLOT and new.state == "scheduled"
    assert {m.to[0] for m in mail.outbox} == {client.email, counselor.email}
    assert all("new time" in m.body or "waktu baru" in m.body for m in mail.outbox)


def test_a_client_cannot_reschedule_inside_the_notice_window(ready):
    counselor, client = ready
    session = session_book(client=client, counselor=counselor, starts_at=SLOT, at=AT)
    with pytest.raises(BookingError) as refused:
        session_reschedule(session=session, actor=client, new_starts_at=NEXT_SLOT, at=SLOT - timedelta(hours=5))
    assert refused.value.code == "inside_notice_window"
    session.refresh_from_db()
    assert session.state == "scheduled"


def test_a_failed_reschedule_keeps_the_original_session(ready, client_b):
    counselor, client = ready
    session = session_book(client=client, counselor=counselor, starts_at=SLOT, at=AT)
    session_book(client=client_b, counselor=counselor, starts_at=NEXT_SLOT, at=AT)
    with pytest.raises(BookingError):
        session_reschedule(session=session, actor=client, new_starts_at=NEXT_SLOT, at=AT)
    session.refresh_from_db()
    assert session.state == "scheduled"


# --- The pages --------------------------------------------------------------------------------------


@pytest.fixture
def soon(ready):
    """Working hours every day from now on, so the pages (which use the real clock) offer slots."""
    counselor, client = ready
    WeeklyAvailability.objects.all().delete()
    work_every_day(counselor)
    return counselor, client


def test_booking_page_lists_slots_in_the_clients_zone_with_the_counselors_beside_them(client, soon):
    counselor, client_a = soon
    set_zone(client_a, "America/Chicago")
    client.force_login(client_a)
    page = client.get(f"/sessions/book/{counselor.pk}/").content.decode()
    assert "America/Chicago" in page and "Asia/Jakarta" in page
    assert "different time zones" in page or "zona waktu" in page
    assert 'name="starts_at"' in page


def test_the_booking_page_reads_the_clients_zone_on_each_visit(client, soon):
    """The client's zone is read with the counselor's row (one query fewer than reading their profile): a zone
    changed since the last visit shows at once, and a client without a profile sees UTC, as before."""
    counselor, client_a = soon
    client.force_login(client_a)

    def shown_zones():
        response = client.get(f"/sessions/book/{counselor.pk}/")
        first_slot = next(iter(response.context["days"].values()))[0]
        return response.context["client_zone"], first_slot["mine"].tzinfo.key, response.context["same_zone"]

    assert shown_zones() == ("Asia/Jakarta", "Asia/Jakarta", True)
    set_zone(client_a, "America/Chicago")
    assert shown_zones() == ("America/Chicago", "America/Chicago", False)
    client_a.client_profile.delete()
    assert shown_zones() == ("UTC", "UTC", False)


def test_client_books_through_the_page_and_sees_the_confirmation_with_both_zones(client, soon):
    counselor, client_a = soon
    set_zone(client_a, "Europe/Amsterdam")
    slot = open_slots(counselor=counselor, start=datetime.now(UTC), end=datetime.now(UTC) + timedelta(days=3))[0]
    client.force_login(client_a)
    response = client.post(f"/sessions/book/{counselor.pk}/", {"starts_at": slot.starts_at.isoformat()}, follow=True)
    session = CounselingSession.objects.get()
    assert response.redirect_chain[-1][0] == f"/sessions/{session.pk}/"
    page = response.content.decode()
    assert "Europe/Amsterdam" in page and "Asia/Jakarta" in page


def test_a_refused_booking_shows_the_gate_message_on_the_page(client, soon, monkeypatch):
    counselor, client_a = soon
    monkeypatch.setattr(
        "sessions.selectors.consent_gate",
        lambda **kw: GateResult.refuse("consent_missing", "Please accept the terms first."),
    )
    slot = open_slots(counselor=counselor, start=datetime.now(UTC), end=datetime.now(UTC) + timedelta(days=3))[0]
    client.force_login(client_a)
    response = client.post(f"/sessions/book/{counselor.pk}/", {"starts_at": slot.starts_at.isoformat()})
    assert "Please accept the terms first." in response.content.decode()
    assert not CounselingSession.objects.exists()


def test_client_cancels_from_the_session_page(client, soon):
    counselor, client_a = soon
    slot = open_slots(
        counselor=counselor, start=datetime.now(UTC) + timedelta(days=2), end=datetime.now(UTC) + timedelta(days=4)
    )[0]
    session = session_book(client=client_a, counselor=counselor, starts_at=slot.starts_at)
    client.force_login(client_a)
    response = client.post(f"/sessions/{session.pk}/cancel/", {"reason": "schedule_conflict"}, follow=True)
    session.refresh_from_db()
    assert session.state == "cancelled"
    assert "cancelled" in response.content.decode().lower()


def test_client_reschedules_from_the_booking_page(client, soon):
    counselor, client_a = soon
    start = datetime.now(UTC) + timedelta(days=2)
    first, second = open_slots(counselor=counselor, start=start, end=start + timedelta(days=2))[:2]
    session = session_book(client=client_a, counselor=counselor, starts_at=first.starts_at)
    client.force_login(client_a)
    client.post(f"/sessions/book/{counselor.pk}/?reschedule={session.pk}", {"starts_at": second.starts_at.isoformat()})
    session.refresh_from_db()
    assert session.state == "cancelled" and session.rescheduled_to.starts_at == second.starts_at


# --- Outsiders --------------------------------------------------------------------------------------


@pytest.fixture
def booked(soon):
    counselor, client_a = soon
    slot = open_slots(
        counselor=counselor, start=datetime.now(UTC) + timedelta(days=2), end=datetime.now(UTC) + timedelta(days=4)
    )[0]
    return session_book(client=client_a, counselor=counselor, starts_at=slot.starts_at)


def test_another_client_cannot_see_cancel_or_reschedule_a_clients_session(client, booked, client_b):
    client.force_login(client_b)
    assert client.get(f"/sessions/{booked.pk}/").status_code == 404
    assert client.post(f"/sessions/{booked.pk}/cancel/", {"reason": "unwell"}).status_code == 404
    assert client.get(f"/sessions/book/{booked.counselor_id}/?reschedule={booked.pk}").status_code == 404
    booked.refresh_from_db()
    assert booked.state == "scheduled"


def test_another_counselor_cannot_see_cancel_or_move_a_session(client, booked, counselor_b, staff_login):
    staff_login(client, counselor_b)
    assert client.get(f"/sessions/{booked.pk}/").status_code == 404
    assert client.post(f"/sessions/{booked.pk}/cancel/", {"reason": "other"}).status_code == 404
    assert client.post(f"/sessions/{booked.pk}/state/", {"to": "no_show"}).status_code == 404
    booked.refresh_from_db()
    assert booked.state == "scheduled"


def test_the_sessions_own_counselor_sees_it_with_both_zones(client, booked, staff_login):
    staff_login(client, booked.counselor)
    page = client.get(f"/sessions/{booked.pk}/").content.decode()
    assert "Client A" in page and "Asia/Jakarta" in page


def test_anonymous_visitors_are_sent_to_sign_in(client, booked):
    for url in ("/sessions/book/", f"/sessions/book/{booked.counselor_id}/", f"/sessions/{booked.pk}/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post(f"/sessions/{booked.pk}/cancel/", {"reason": "unwell"}).status_code == 302
    booked.refresh_from_db()
    assert booked.state == "scheduled"


def test_counselors_and_admins_cannot_use_the_client_booking_pages(
    client, counselor_b, admin_user, staff_login, booked
):
    for user in (counselor_b, admin_user):
        staff_login(client, user)
        assert client.get("/sessions/book/").status_code == 403
        assert client.post(f"/sessions/book/{booked.counselor_id}/", {"starts_at": "x"}).status_code == 403


def test_booking_with_a_client_is_not_possible_and_unknown_counselors_are_404(client, soon, client_b):
    client.force_login(client_b)
    assert client.get(f"/sessions/book/{client_b.pk}/").status_code == 404
    assert client.get("/sessions/book/999999/").status_code == 404


def test_state_and_cancel_endpoints_refuse_anonymous_visitors_admins_and_get_requests(
    client, booked, admin_user, staff_login
):
    assert client.post(f"/sessions/{booked.pk}/state/", {"to": "no_show"}).status_code == 302  # to login
    client.force_login(booked.client)
    assert client.get(f"/sessions/{booked.pk}/cancel/").status_code == 405
    staff_login(client, admin_user)
    assert client.get(f"/sessions/{booked.pk}/").status_code == 404  # admins are not participants
    assert client.post(f"/sessions/{booked.pk}/cancel/", {"reason": "other"}).status_code == 404
    booked.refresh_from_db()
    assert booked.state == "scheduled"


def test_the_counselor_cancels_with_a_counselor_reason_and_the_client_is_told(
    client, booked, staff_login, django_capture_on_commit_callbacks
):
    staff_login(client, booked.counselor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/sessions/{booked.pk}/cancel/", {"reason": "counselor_unavailable"})
    booked.refresh_from_db()
    assert (booked.state, booked.cancel_reason, booked.cancelled_by) == (
        "cancelled",
        "counselor_unavailable",
        booked.counselor,
    )
    assert booked.client.email in [m.to[0] for m in mail.outbox]
