"""The booking page's and the directory's reads of availability, busy times, the caseload's room and the counselor,
read with statements composed once per process (counseling.statements.composed_for): what the ORM's querysets
give, for any counselors and moments."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.conf import settings

from counseling.models import User
from counseling.statements import composed_for
from sessions.models import AvailabilityException, CounselingSession, SessionState, WeeklyAvailability
from sessions.selectors import (
    _busy_times_of,
    _caseload_ids_since,
    _exceptions_of,
    _hours_of,
    bookable_counselor,
    caseload_has_room_for,
    client_time_zone_read,
    next_free_slots,
    open_slots,
)
from tests.composed import assert_same_instances
from tests.conftest import make_client
from tests.sessions.booking_support import set_zone

pytestmark = pytest.mark.django_db

AT = datetime(2027, 3, 1, 8, 30, tzinfo=UTC)


def _session(client, counselor, starts_at, state=SessionState.SCHEDULED):
    CounselingSession.objects.create(
        client=client, counselor=counselor, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=50), state=state
    )


@pytest.fixture
def calendars(counselor_a, counselor_b, client_a, client_b):
    """Two counselors' hours, exceptions and sessions, before, within and after the spans read."""
    set_zone(counselor_b, "America/Chicago")
    for weekday in range(7):
        WeeklyAvailability.objects.create(counselor=counselor_a, weekday=weekday, start_time=time(9), end_time=time(17))
    WeeklyAvailability.objects.create(counselor=counselor_b, weekday=2, start_time=time(13), end_time=time(18))
    for counselor, day, kind, start, end in [
        (counselor_a, date(2027, 2, 26), "off", None, None),
        (counselor_a, date(2027, 3, 2), "off", time(9), time(12)),
        (counselor_a, date(2027, 3, 20), "extra", time(19), time(21)),
        (counselor_b, date(2027, 3, 3), "off", None, None),
        (counselor_b, date(2027, 3, 6), "extra", time(8), time(10)),
    ]:
        AvailabilityException.objects.create(counselor=counselor, date=day, kind=kind, start_time=start, end_time=end)
    for counselor, client, starts_at, state in [
        (counselor_a, client_a, AT - timedelta(days=2), SessionState.SCHEDULED),
        (counselor_a, client_a, AT + timedelta(days=1, hours=2), SessionState.SCHEDULED),
        (counselor_a, client_b, AT + timedelta(days=1, hours=4), SessionState.CANCELLED),
        (counselor_a, client_b, AT + timedelta(days=30), SessionState.SCHEDULED),
        (counselor_b, client_b, AT + timedelta(days=2, hours=6), SessionState.SCHEDULED),
    ]:
        _session(client, counselor, starts_at, state)


def _moments():
    return [AT, AT - timedelta(days=3), AT + timedelta(days=1, hours=3), AT + timedelta(days=25)]


def test_open_slots_are_those_of_the_rows_the_orm_reads(calendars, counselor_a, counselor_b):
    for counselor in (counselor_a, counselor_b):
        for start in _moments():
            end = start + timedelta(days=14)
            known = (
                list(WeeklyAvailability.objects.filter(counselor=counselor)),
                list(AvailabilityException.objects.filter(counselor=counselor)),
                list(
                    CounselingSession.objects.filter(counselor=counselor)
                    .exclude(state=SessionState.CANCELLED)
                    .values_list("starts_at", "ends_at")
                ),
            )
            read = open_slots(counselor=counselor, start=start, end=end, at=start)
            assert read == open_slots(counselor=counselor, start=start, end=end, at=start, known=known)
    assert open_slots(counselor=counselor_b, start=AT, end=AT + timedelta(days=14), at=AT)


def test_next_free_slots_reads_are_the_orms(calendars, counselor_a, counselor_b):
    length = timedelta(minutes=settings.SESSION_LENGTH_MINUTES)
    for ids in ([counselor_a.pk], [counselor_b.pk], [counselor_a.pk, counselor_b.pk], [counselor_b.pk, counselor_a.pk]):
        values = {"counselors": ids}
        assert sorted(_composed("sessions.free_hours", _hours_of, values)) == sorted(_hours_of(**values))
        for start in _moments():
            end = start + timedelta(days=14)
            values = {"counselors": ids, "first_day": start.date(), "last_day": end.date()}
            got = _composed("sessions.free_exceptions", _exceptions_of, values)
            assert sorted(got) == sorted(_exceptions_of(**values))
            assert all(isinstance(row[1], date) and not isinstance(row[1], datetime) for row in got)
            values = {"counselors": ids, "starts_before": end + length, "ends_after": start - length}
            got = _composed("sessions.free_busy", _busy_times_of, values)
            assert sorted(got) == sorted(_busy_times_of(**values))
            assert all(moment.tzinfo is not None for row in got for moment in row[1:])
    values = {"counselors": [counselor_a.pk], "first_day": date(2027, 3, 1), "last_day": date(2027, 3, 2)}
    assert len(_composed("sessions.free_exceptions", _exceptions_of, values)) == 1
    values = {"counselors": [counselor_a.pk], "starts_before": AT + timedelta(days=2), "ends_after": AT}
    assert len(_composed("sessions.free_busy", _busy_times_of, values)) == 1  # not the cancelled one


def test_next_free_slots_are_each_counselors_soonest_open_slot(calendars, counselor_a, counselor_b):
    counselors = list(User.objects.filter(pk__in=[counselor_a.pk, counselor_b.pk]).select_related("counselor_profile"))
    for at in _moments():
        found = next_free_slots(counselors=counselors, at=at, within_days=14)
        for counselor in counselors:
            slots = open_slots(counselor=counselor, start=at, end=at + timedelta(days=14), at=at)
            assert found[counselor.pk] == (slots[0].starts_at if slots else None)
    assert next_free_slots(counselors=[], at=AT, within_days=14) == {}


def test_the_caseload_room_is_the_orms(counselor_a, client_a, client_b):
    at = datetime.now(UTC)
    newcomer = make_client("c@clients.test", "Client C")
    profile = counselor_a.counselor_profile
    _session(client_a, counselor_a, at - timedelta(days=settings.CASELOAD_ACTIVE_DAYS + 1))  # no longer active
    _session(client_b, counselor_a, at - timedelta(days=3), SessionState.CANCELLED)
    cases = [(limit, at) for limit in (0, 1, 2)] + [(1, at - timedelta(days=2)), (1, at - timedelta(days=200))]
    for setup in (None, "b", "a"):
        if setup == "b":
            _session(client_b, counselor_a, at + timedelta(days=3))
        if setup == "a":
            _session(client_a, counselor_a, at + timedelta(days=5))
        for limit, moment in cases:
            profile.caseload_limit = limit
            profile.save(update_fields=["caseload_limit"])
            for client in (client_a, client_b, newcomer):
                since = moment - timedelta(days=settings.CASELOAD_ACTIVE_DAYS)
                ids = _caseload_ids_since(counselor=counselor_a.pk, since=since)
                room = ids.filter(client_id=client.pk).exists() or ids.count() < limit
                gate = caseload_has_room_for(counselor=counselor_a, client=client, at=moment)
                assert bool(gate) is room, (setup, limit, moment, client)
                assert gate.reason == ("" if room else "caseload_full")
    # Two active clients: a third has room below a limit of three only; the two book at any limit.
    profile.caseload_limit = 3
    assert caseload_has_room_for(counselor=counselor_a, client=newcomer, at=at)
    profile.caseload_limit = 2
    assert not caseload_has_room_for(counselor=counselor_a, client=newcomer, at=at)
    profile.caseload_limit = 0
    assert caseload_has_room_for(counselor=counselor_a, client=client_b, at=at)


def test_the_bookable_counselor_is_the_orms(counselor_a, counselor_b, client_a, client_b):
    gone = User.objects.get(pk=counselor_b.pk)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    for client in (client_a, client_b):
        for counselor_id in (counselor_a.pk, counselor_b.pk, client_a.pk, 999_999):
            expected = list(
                User.objects.filter(pk=counselor_id, role="counselor", is_active=True, counselor_profile__isnull=False)
                .select_related("counselor_profile")
                .annotate(client_time_zone=client_time_zone_read(client))
            )
            got = bookable_counselor(counselor_id=counselor_id, client=client)
            if not expected:
                assert got is None
                continue
            assert_same_instances([got], expected)
            assert got.client_time_zone == client.client_profile.time_zone
    assert bookable_counselor(counselor_id=counselor_a.pk, client=client_b).client_time_zone == "America/Chicago"


def test_a_counselor_id_out_of_the_databases_range_is_no_counselor(client, client_a):
    """The address takes any number: one too large for an id is a 404, as the ORM's query has it, not an error."""
    for counselor_id in (2**63, 10**30, -(2**63) - 1):
        assert bookable_counselor(counselor_id=counselor_id, client=client_a) is None
    client.force_login(client_a)
    assert client.get(f"/sessions/book/{10**30}/").status_code == 404


def _composed(key, compose, values):
    return composed_for((key,), compose, values).tuples(values)
