"""Weekly series: each occurrence its own session, gated at its own time; conflicts named; cancelling the
series cancels only the occurrences still to come."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils.formats import date_format

from counseling.gates import GateResult
from counseling.models import AuditEntry
from sessions.models import AvailabilityException, CounselingSession, SessionSeries, WeeklyAvailability
from sessions.selectors import open_slots, session_start_gate
from sessions.services import BookingError, session_book, session_series_book, session_series_cancel
from tests.licensing.factories import licensed_in_indonesia
from tests.sessions.booking_support import MONDAY, open_gates, run_tasks_eagerly, set_zone, taken_on, work_every_day

AT = MONDAY - timedelta(days=3)
SLOT = datetime(2027, 2, 1, 2, 0, tzinfo=UTC)  # Monday 09:00 in Jakarta
WEEK = timedelta(weeks=1)


@pytest.fixture
def ready(db, monkeypatch, counselor_a, client_a):
    open_gates(monkeypatch)
    run_tasks_eagerly(monkeypatch)
    WeeklyAvailability.objects.create(counselor=counselor_a, weekday=0, start_time=time(9), end_time=time(12))
    taken_on(client_a, counselor_a)  # their first request was accepted: these are ordinary bookings
    return counselor_a, client_a


def test_a_weekly_series_books_one_session_per_week_and_tells_both_once(
    ready, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "http://konseling.test"
    counselor, client = ready
    with django_capture_on_commit_callbacks(execute=True):
        booked = session_series_book(client=client, counselor=counselor, first_starts_at=SLOT, weeks=4, at=AT)
    assert [s.starts_at for s in booked.sessions] == [SLOT + i * WEEK for i in range(4)]
    assert booked.stopped is None and booked.not_booked == []
    sessions = CounselingSession.objects.filter(series=booked.series).order_by("starts_at")
    assert sessions.count() == 4 and {s.state for s in sessions} == {"scheduled"}
    assert AuditEntry.objects.filter(action="session.booked").count() == 4
    assert AuditEntry.objects.get(action="series.booked").detail["booked"] == [s.pk for s in sessions]
    assert sorted(m.to[0] for m in mail.outbox) == sorted([client.email, counselor.email])  # one each, not four
    for message in mail.outbox:
        assert message.body.count("- ") >= 4


def test_the_series_keeps_the_counselors_wall_clock_time_across_daylight_saving(ready):
    counselor, client = ready
    set_zone(counselor, "America/Chicago")
    WeeklyAvailability.objects.all().delete()
    WeeklyAvailability.objects.create(counselor=counselor, weekday=0, start_time=time(9), end_time=time(12))
    first = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)  # Monday 09:00 CST; DST starts on 14 March 2027
    booked = session_series_book(client=client, counselor=counselor, first_starts_at=first, weeks=3, at=AT)
    assert [s.starts_at.hour for s in booked.sessions] == [15, 15, 14]  # always 09:00 in Chicago


def test_a_series_with_dates_that_are_not_free_books_nothing_and_names_the_dates(ready, client_b):
    counselor, client = ready
    session_book(client=client_b, counselor=counselor, starts_at=SLOT + 2 * WEEK, at=AT)  # week 3 is taken
    AvailabilityException.objects.create(counselor=counselor, date=date(2027, 2, 8), kind="off")  # week 2 is off
    with pytest.raises(BookingError) as refused:
        session_series_book(client=client, counselor=counselor, first_starts_at=SLOT, weeks=4, at=AT)
    assert refused.value.code == "series_conflicts"
    for week in (1, 2):
        assert date_format(SLOT + week * WEEK, "j F Y") in refused.value.message
    for week in (0, 3):
        assert date_format(SLOT + week * WEEK, "j F Y") not in refused.value.message
    assert not CounselingSession.objects.filter(client=client).exists() and not SessionSeries.objects.exists()


def test_a_series_refuses_a_date_the_client_already_has_a_session(ready, counselor_b):
    counselor, client = ready
    WeeklyAvailability.objects.create(counselor=counselor_b, weekday=0, start_time=time(9), end_time=time(12))
    session_book(client=client, counselor=counselor_b, starts_at=SLOT + WEEK, at=AT)
    with pytest.raises(BookingError) as refused:
        session_series_book(client=client, counselor=counselor, first_starts_at=SLOT, weeks=3, at=AT)
    assert refused.value.code == "series_conflicts" and date_format(SLOT + WEEK, "j F Y") in refused.value.message


@pytest.mark.parametrize("weeks", [1, 0, 13])
def test_a_series_has_from_two_to_the_maximum_number_of_weeks(ready, weeks):
    counselor, client = ready
    with pytest.raises(BookingError) as refused:
        session_series_book(client=client, counselor=counselor, first_starts_at=SLOT, weeks=weeks, at=AT)
    assert refused.value.code == "series_length"
    assert not CounselingSession.objects.exists()


def test_each_occurrence_passes_the_gates_at_its_own_time(ready, monkeypatch):
    counselor, client = ready
    asked = []
    monkeypatch.setattr("sessions.selectors.jurisdiction_gate", lambda **kw: asked.append(kw["at"]) or GateResult.ok())
    session_series_book(client=client, counselor=counselor, first_starts_at=SLOT, weeks=3, at=AT)
    assert [SLOT, SLOT + WEEK, SLOT + 2 * WEEK] == sorted(set(asked))


def test_a_licence_that_expires_mid_series_stops_the_series_there_with_the_reason(
    db, monkeypatch, counselor_a, client_a, django_capture_on_commit_callbacks
):
    """The real jurisdiction gate: a licence valid until the day before occurrence 5 books occurrences 1-4 only."""
    for name in ("consent_gate", "identity_gate"):
        monkeypatch.setattr(f"sessions.selectors.{name}", lambda **kw: GateResult.ok())
    monkeypatch.setattr("sessions.selectors.intake_place", lambda **kw: ("ID", "ID-JK"))
    run_tasks_eagerly(monkeypatch)
    WeeklyAvailability.objects.create(counselor=counselor_a, weekday=0, start_time=time(9), end_time=time(12))
    taken_on(client_a, counselor_a)
    fifth = (SLOT + 4 * WEEK).date()
    licensed_in_indonesia(counselor_a, valid_from=date(2026, 1, 1), expires_on=fifth - timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        booked = session_series_book(client=client_a, counselor=counselor_a, first_starts_at=SLOT, weeks=8, at=AT)
    assert [s.starts_at for s in booked.sessions] == [SLOT + i * WEEK for i in range(4)]
    assert booked.stopped is not None and booked.stopped.reason == "licence_expired"
    assert "expired" in booked.stopped.message
    assert booked.not_booked == [SLOT + i * WEEK for i in range(4, 8)]
    assert booked.series.stopped_reason == "licence_expired"
    assert CounselingSession.objects.filter(series=booked.series).count() == 4
    assert AuditEntry.objects.get(action="series.booked").detail["stopped_reason"] == "licence_expired"
    # Each party's e-mail names the dates not booked and why, in their own words (not the code).
    client_mail = next(m for m in mail.outbox if m.to == [client_a.email])
    body = client_mail.body
    assert "1 March 2027" in body or "1 Maret 2027" in body  # occurrence 5, the first not booked
    assert "expired" in body or "kedaluwarsa" in body or "berakhir" in body
    assert "licence_expired" not in body


def test_a_licence_that_expires_before_the_first_occurrence_books_nothing(db, monkeypatch, counselor_a, client_a):
    for name in ("consent_gate", "identity_gate"):
        monkeypatch.setattr(f"sessions.selectors.{name}", lambda **kw: GateResult.ok())
    monkeypatch.setattr("sessions.selectors.intake_place", lambda **kw: ("ID", "ID-JK"))
    WeeklyAvailability.objects.create(counselor=counselor_a, weekday=0, start_time=time(9), end_time=time(12))
    taken_on(client_a, counselor_a)
    licensed_in_indonesia(counselor_a, valid_from=date(2026, 1, 1), expires_on=SLOT.date() - timedelta(days=1))
    with pytest.raises(BookingError) as refused:
        session_series_book(client=client_a, counselor=counselor_a, first_starts_at=SLOT, weeks=4, at=AT)
    assert refused.value.code == "licence_expired"
    assert not SessionSeries.objects.exists() and not CounselingSession.objects.exists()


def test_each_occurrence_still_checks_its_own_location_before_it_starts(ready):
    counselor, client = ready
    booked = session_series_book(client=client, counselor=counselor, first_starts_at=SLOT, weeks=2, at=AT)
    for session in booked.sessions:
        result = session_start_gate(session=session, at=session.starts_at)
        assert not result and result.reason == "location_unconfirmed"
        assert result.action_url == f"/sessions/{session.pk}/location/"


def test_cancelling_the_series_cancels_only_the_occurrences_still_to_come(ready, django_capture_on_commit_callbacks):
    counselor, client = ready
    booked = session_series_book(client=client, counselor=counselor, first_starts_at=SLOT, weeks=4, at=AT)
    first, second, third, fourth = booked.sessions
    CounselingSession.objects.filter(pk=first.pk).update(state="completed")
    later = second.starts_at + timedelta(hours=2)  # the second is over (left as it is), the third to come
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = session_series_cancel(series=booked.series, actor=counselor, reason="unwell", at=later)
    assert [s.pk for s in cancelled] == [third.pk, fourth.pk]
    states = dict(CounselingSession.objects.values_list("pk", "state"))
    assert (states[first.pk], states[second.pk], states[third.pk], states[fourth.pk]) == (
        "completed",
        "scheduled",
        "cancelled",
        "cancelled",
    )
    booked.series.refresh_from_db()
    assert booked.series.cancelled_by == counselor
    assert AuditEntry.objects.filter(action="session.cancelled").count() == 2
    assert AuditEntry.objects.get(action="series.cancelled").detail["cancelled"] == [third.pk, fourth.pk]
    assert sorted(m.to[0] for m in mail.outbox) == sorted([client.email, counselor.email])


def test_a_series_cannot_be_cancelled_without_a_reason(ready):
    counselor, client = ready
    booked = session_series_book(client=client, counselor=counselor, first_starts_at=SLOT, weeks=2, at=AT)
    with pytest.raises(BookingError) as refused:
        session_series_cancel(series=booked.series, actor=client, reason="", at=AT)
    assert refused.value.code == "reason_required"
    assert set(CounselingSession.objects.values_list("state", flat=True)) == {"scheduled"}


# --- The pages --------------------------------------------------------------------------------------


@pytest.fixture
def soon(ready):
    counselor, client = ready
    WeeklyAvailability.objects.all().delete()
    work_every_day(counselor)
    start = datetime.now(UTC)
    return counselor, client, open_slots(counselor=counselor, start=start, end=start + timedelta(days=3))[0]


def test_client_books_a_weekly_series_from_the_booking_page(client, soon):
    counselor, client_a, slot = soon
    client.force_login(client_a)
    page = client.get(f"/sessions/book/{counselor.pk}/?weeks=3").content.decode()
    assert 'name="weeks" value="3"' in page
    response = client.post(
        f"/sessions/book/{counselor.pk}/", {"starts_at": slot.starts_at.isoformat(), "weeks": "3"}, follow=True
    )
    sessions = list(CounselingSession.objects.order_by("starts_at"))
    assert [s.starts_at for s in sessions] == [slot.starts_at + i * WEEK for i in range(3)]
    assert response.redirect_chain[-1][0] == f"/sessions/{sessions[0].pk}/"
    assert f"/sessions/series/{sessions[0].series_id}/cancel/" in response.content.decode()


def test_a_refused_series_shows_the_dates_on_the_booking_page(client, soon, client_b):
    counselor, client_a, slot = soon
    session_book(client=client_b, counselor=counselor, starts_at=slot.starts_at + WEEK)
    client.force_login(client_a)
    response = client.post(f"/sessions/book/{counselor.pk}/", {"starts_at": slot.starts_at.isoformat(), "weeks": "3"})
    taken = (slot.starts_at + WEEK).astimezone(ZoneInfo(client_a.client_profile.time_zone))
    assert date_format(taken, "j F Y") in response.content.decode()
    assert not CounselingSession.objects.filter(client=client_a).exists()


def test_only_the_series_client_or_counselor_can_cancel_it(client, soon, staff_login, client_b, counselor_b):
    counselor, client_a, slot = soon
    booked = session_series_book(client=client_a, counselor=counselor, first_starts_at=slot.starts_at, weeks=2)
    url = f"/sessions/series/{booked.series.pk}/cancel/"
    client.force_login(client_b)
    assert client.post(url, {"series-reason": "unwell"}).status_code == 404
    client.logout()
    staff_login(client, counselor_b)
    assert client.post(url, {"series-reason": "unwell"}).status_code == 404
    assert set(CounselingSession.objects.values_list("state", flat=True)) == {"scheduled"}
    client.logout()
    client.force_login(client_a)
    assert client.post(url, {}).status_code == 302  # no reason: refused with a message
    assert set(CounselingSession.objects.values_list("state", flat=True)) == {"scheduled"}
    client.post(url, {"series-reason": "unwell"})
    assert set(CounselingSession.objects.values_list("state", flat=True)) == {"cancelled"}


def test_a_series_stopped_by_a_gate_says_on_the_page_which_dates_and_why(client, soon, monkeypatch):
    counselor, client_a, slot = soon
    cutoff = slot.starts_at + WEEK

    def licence_until_week_two(**kw):
        if kw["at"] <= cutoff:
            return GateResult.ok()
        return GateResult.refuse("licence_expired", "This counselor's licence for the place where you are has expired.")

    monkeypatch.setattr("sessions.selectors.jurisdiction_gate", licence_until_week_two)
    client.force_login(client_a)
    response = client.post(
        f"/sessions/book/{counselor.pk}/", {"starts_at": slot.starts_at.isoformat(), "weeks": "4"}, follow=True
    )
    page = response.content.decode()
    assert CounselingSession.objects.filter(client=client_a).count() == 2
    zone = ZoneInfo(client_a.client_profile.time_zone)
    for week in (2, 3):
        assert date_format((slot.starts_at + week * WEEK).astimezone(zone), "j F Y") in page
    assert "licence for the place where you are has expired" in page
