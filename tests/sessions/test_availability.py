"""Availability in the counselor's own time zone, shown to clients in theirs."""

from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from sessions.models import AvailabilityException, CounselingSession, WeeklyAvailability
from sessions.selectors import _local_instant, _WeeklyHours, open_slots
from tests.sessions.booking_support import MONDAY, set_zone

pytestmark = pytest.mark.django_db


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def slots_on(counselor, day_start: datetime, days: int = 1, at: datetime | None = None) -> list[datetime]:
    at = at or day_start - timedelta(days=7)
    return [
        s.starts_at
        for s in open_slots(counselor=counselor, start=day_start, end=day_start + timedelta(days=days), at=at)
    ]


def test_weekly_hours_are_read_in_the_counselors_own_time_zone(counselor_a):
    # Jakarta is UTC+7 all year: 09:00-12:00 there is 02:00-05:00 UTC.
    WeeklyAvailability.objects.create(counselor=counselor_a, weekday=0, start_time=time(9), end_time=time(12))
    assert slots_on(counselor_a, MONDAY) == [utc(2027, 2, 1, 2), utc(2027, 2, 1, 3), utc(2027, 2, 1, 4)]


def test_slots_follow_the_counselors_wall_clock_across_a_daylight_saving_change(counselor_a):
    # Chicago moves from CST (UTC-6) to CDT (UTC-5) on Sunday 14 March 2027.
    set_zone(counselor_a, "America/Chicago")
    WeeklyAvailability.objects.create(counselor=counselor_a, weekday=0, start_time=time(9), end_time=time(10))
    before = slots_on(counselor_a, utc(2027, 3, 8), at=utc(2027, 3, 1))
    after = slots_on(counselor_a, utc(2027, 3, 15), at=utc(2027, 3, 1))
    assert before == [utc(2027, 3, 8, 15)]  # 09:00 CST
    assert after == [utc(2027, 3, 15, 14)]  # 09:00 CDT
    # A client in Jakarta (no daylight saving) sees the session move an hour earlier in their day.
    from zoneinfo import ZoneInfo

    jakarta = ZoneInfo("Asia/Jakarta")
    assert before[0].astimezone(jakarta).hour == 22
    assert after[0].astimezone(jakarta).hour == 21


def test_a_time_that_does_not_exist_on_the_change_night_is_not_offered(counselor_a):
    # 02:00-03:00 does not exist in Chicago on 14 March 2027 (clocks jump from 02:00 to 03:00).
    set_zone(counselor_a, "America/Chicago")
    WeeklyAvailability.objects.create(counselor=counselor_a, weekday=6, start_time=time(1), end_time=time(4))
    assert slots_on(counselor_a, utc(2027, 3, 14), days=1, at=utc(2027, 3, 1)) == [
        utc(2027, 3, 14, 7),  # 01:00 CST
        utc(2027, 3, 14, 8),  # 03:00 CDT; 02:00 is skipped
    ]


def test_a_time_repeated_when_clocks_fall_back_is_offered_once(counselor_a):
    # On 7 November 2027 Chicago goes from 02:00 CDT back to 01:00 CST: 01:00 happens twice.
    set_zone(counselor_a, "America/Chicago")
    WeeklyAvailability.objects.create(counselor=counselor_a, weekday=6, start_time=time(1), end_time=time(3))
    assert slots_on(counselor_a, utc(2027, 11, 7), at=utc(2027, 11, 1)) == [
        utc(2027, 11, 7, 6),  # 01:00 CDT, the first one
        utc(2027, 11, 7, 8),  # 02:00 CST
    ]


def test_a_day_off_removes_that_days_slots_and_leaves_the_others(counselor_a):
    WeeklyAvailability.objects.create(counselor=counselor_a, weekday=0, start_time=time(9), end_time=time(11))
    AvailabilityException.objects.create(counselor=counselor_a, date=date(2027, 2, 1), kind="off")
    assert slots_on(counselor_a, MONDAY) == []
    assert slots_on(counselor_a, MONDAY + timedelta(days=7)) == [utc(2027, 2, 8, 2), utc(2027, 2, 8, 3)]


def test_time_off_within_a_day_and_extra_hours_change_only_those_hours(counselor_a):
    WeeklyAvailability.objects.create(counselor=counselor_a, weekday=0, start_time=time(9), end_time=time(12))
    AvailabilityException.objects.create(
        counselor=counselor_a, date=date(2027, 2, 1), kind="off", start_time=time(10), end_time=time(11)
    )
    AvailabilityException.objects.create(
        counselor=counselor_a, date=date(2027, 2, 1), kind="extra", start_time=time(19), end_time=time(20)
    )
    assert slots_on(counselor_a, MONDAY) == [utc(2027, 2, 1, 2), utc(2027, 2, 1, 4), utc(2027, 2, 1, 12)]


def test_a_booked_slot_is_not_offered_again_until_it_is_cancelled(counselor_a, client_a):
    WeeklyAvailability.objects.create(counselor=counselor_a, weekday=0, start_time=time(9), end_time=time(11))
    session = CounselingSession.objects.create(
        client=client_a, counselor=counselor_a, starts_at=utc(2027, 2, 1, 2), ends_at=utc(2027, 2, 1, 2, 50)
    )
    assert slots_on(counselor_a, MONDAY) == [utc(2027, 2, 1, 3)]
    session.state = "cancelled"
    session.save(update_fields=["state"])
    assert slots_on(counselor_a, MONDAY) == [utc(2027, 2, 1, 2), utc(2027, 2, 1, 3)]


def test_slots_too_soon_to_prepare_for_are_not_offered(counselor_a, settings):
    settings.BOOKING_MIN_LEAD_HOURS = 2
    WeeklyAvailability.objects.create(counselor=counselor_a, weekday=0, start_time=time(9), end_time=time(12))
    # At 01:30 UTC (08:30 in Jakarta) the 09:00 and 10:00 slots are closer than two hours.
    assert slots_on(counselor_a, MONDAY, at=utc(2027, 2, 1, 1, 30)) == [utc(2027, 2, 1, 4)]


# --- The counselor's availability page -------------------------------------------------------------


def test_counselor_adds_weekly_hours_and_an_exception_and_sees_them(client, counselor_a, staff_login):
    staff_login(client, counselor_a)
    response = client.post(
        "/sessions/availability/",
        {"form": "weekly", "weekly-weekday": "2", "weekly-start_time": "13:00", "weekly-end_time": "16:00"},
    )
    assert response.status_code == 302
    response = client.post(
        "/sessions/availability/", {"form": "exception", "exception-date": "2099-05-01", "exception-kind": "off"}
    )
    assert response.status_code == 302
    page = client.get("/sessions/availability/").content.decode()
    assert "13:00\u201316:00" in page and "Asia/Jakarta" in page and "whole day" in page
    assert WeeklyAvailability.objects.filter(counselor=counselor_a, weekday=2, start_time=time(13)).exists()


def test_weekly_hours_that_end_before_they_start_are_refused(client, counselor_a, staff_login):
    staff_login(client, counselor_a)
    response = client.post(
        "/sessions/availability/",
        {"form": "weekly", "weekly-weekday": "2", "weekly-start_time": "16:00", "weekly-end_time": "13:00"},
    )
    assert response.status_code == 200
    assert "The end must be after the start." in response.content.decode()
    assert not WeeklyAvailability.objects.exists()


def test_counselor_removes_own_hours_but_not_another_counselors(client, counselor_a, counselor_b, staff_login):
    mine = WeeklyAvailability.objects.create(counselor=counselor_a, weekday=0, start_time=time(9), end_time=time(10))
    theirs = WeeklyAvailability.objects.create(counselor=counselor_b, weekday=0, start_time=time(9), end_time=time(10))
    staff_login(client, counselor_a)
    assert client.post(f"/sessions/availability/weekly/{theirs.pk}/remove/").status_code == 404
    assert client.post(f"/sessions/availability/weekly/{mine.pk}/remove/").status_code == 302
    assert list(WeeklyAvailability.objects.all()) == [theirs]


def test_availability_page_is_for_counselors_only(client, client_a):
    assert client.get("/sessions/availability/").status_code == 302  # anonymous: to login
    client.force_login(client_a)
    assert client.get("/sessions/availability/").status_code == 403
    assert client.post("/sessions/availability/weekly/1/remove/").status_code == 403


@pytest.mark.parametrize("zone", ["America/Chicago", "Australia/Lord_Howe", "Pacific/Apia", "Asia/Kolkata", "UTC"])
def test_the_soonest_slot_alone_is_the_first_of_all_the_slots(zone):
    """first_only (the directory's next free time) stops looking in a window at its first free slot, or at one
    no sooner than the soonest found: across daylight-saving changes, overlapping hours and booked sessions, what it
    finds is the first of every slot."""
    counselor = SimpleNamespace(counselor_profile=SimpleNamespace(time_zone=zone))
    weekly = [_WeeklyHours(day, time(0, 30), time(3, 30)) for day in (5, 6)]
    weekly += [_WeeklyHours(day, time(9), time(12)) for day in range(5)] + [_WeeklyHours(2, time(8), time(11))]
    weekly += [_WeeklyHours(6, time(1), time(2, 30))]
    starts = [utc(2027, 3, 12) + timedelta(hours=5 * i) for i in range(24)]
    starts += [utc(2027, 11, 5) + timedelta(hours=5 * i) for i in range(24)]  # around both changes of 2027
    starts += [utc(2027, 4, 1, 13) + timedelta(hours=5 * i) for i in range(24)]  # Lord Howe and Apia in April
    starts += [utc(2027, 9, 24) + timedelta(hours=5 * i) for i in range(24)]  # Apia and Lord Howe spring forward
    for at in starts:
        busy = [(at + timedelta(hours=h), at + timedelta(hours=h, minutes=50)) for h in (3, 4, 5, 27, 50)]
        exceptions = [
            AvailabilityException(
                date=(at + timedelta(days=1)).date(), kind="off", start_time=time(9), end_time=time(10)
            ),
            AvailabilityException(
                date=(at + timedelta(days=2)).date(), kind="extra", start_time=time(6), end_time=time(10)
            ),
        ]
        known = (weekly, exceptions, busy)
        for days in (1, 3, 14):
            end = at + timedelta(days=days)
            every = open_slots(counselor=counselor, start=at, end=end, at=at, known=known)
            soonest = open_slots(counselor=counselor, start=at, end=end, at=at, known=known, first_only=True)
            assert soonest == every[:1], (zone, at, days)


def _local_instant_as_before(day: date, clock: time, zone) -> datetime | None:
    """sessions.selectors._local_instant as it was first written: the reference for the faster one."""
    local = datetime.combine(day, clock).replace(tzinfo=zone)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return instant


@pytest.mark.parametrize(
    "zone", ["America/Chicago", "Europe/London", "Australia/Lord_Howe", "Pacific/Apia", "Asia/Kolkata", "UTC"]
)
def test_a_wall_clock_time_is_read_as_before_on_every_day_of_a_year(zone):
    """Every quarter of an hour of every day of 2027 (gaps and repeated hours of each change included)."""
    tz = ZoneInfo(zone)
    clocks = [time(h, m) for h in range(24) for m in (0, 15, 30, 45)] + [time(2, 30, 15, 500)]
    for n in range(365):
        day = date(2027, 1, 1) + timedelta(days=n)
        for clock in clocks:
            assert _local_instant(day, clock, tz) == _local_instant_as_before(day, clock, tz), (day, clock)


def test_slots_read_from_the_database_are_those_of_the_same_rows_given(counselor_a, client_a):
    """open_slots reads the hours and exceptions as plain values, in no order: the same slots as the model rows
    (as next_free_slots gives them) across a daylight-saving change, with each kind of exception."""
    set_zone(counselor_a, "America/Chicago")
    for weekday in range(7):
        for start, end in ((time(13), time(17)), (time(1), time(4))):
            WeeklyAvailability.objects.create(counselor=counselor_a, weekday=weekday, start_time=start, end_time=end)
    for day, kind, start, end in [
        (date(2027, 3, 10), "off", None, None),
        (date(2027, 3, 11), "off", time(14), time(15)),
        (date(2027, 3, 11), "off", time(13), time(14)),
        (date(2027, 3, 12), "extra", time(19), time(22)),
        (date(2027, 3, 13), "off", None, time(15)),
        (date(2027, 3, 16), "extra", time(6), time(8)),
        (date(2027, 3, 16), "off", None, None),
    ]:
        AvailabilityException.objects.create(counselor=counselor_a, date=day, kind=kind, start_time=start, end_time=end)
    CounselingSession.objects.create(
        client=client_a, counselor=counselor_a, starts_at=utc(2027, 3, 15, 19), ends_at=utc(2027, 3, 15, 19, 50)
    )
    start, end, at = utc(2027, 3, 8), utc(2027, 3, 20), utc(2027, 3, 1)
    known = (
        list(WeeklyAvailability.objects.filter(counselor=counselor_a)),
        list(AvailabilityException.objects.filter(counselor=counselor_a)),
        [(utc(2027, 3, 15, 19), utc(2027, 3, 15, 19, 50))],
    )
    read = open_slots(counselor=counselor_a, start=start, end=end, at=at)
    assert read == open_slots(counselor=counselor_a, start=start, end=end, at=at, known=known)
    days_with_slots = {slot.starts_at.astimezone(ZoneInfo("America/Chicago")).date() for slot in read}
    assert date(2027, 3, 10) not in days_with_slots and date(2027, 3, 16) not in days_with_slots
    assert date(2027, 3, 17) in days_with_slots
    assert utc(2027, 3, 15, 19) not in [slot.starts_at for slot in read]
    assert len(read) > 50
