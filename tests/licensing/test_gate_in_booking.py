"""The real jurisdiction gate inside booking and session start (HTTP). Consent and identity are other
features' gates and are opened here; the licence check is the real one."""

from datetime import UTC, datetime, timedelta

import pytest

from counseling.clock import now
from counseling.gates import GateResult
from licensing.models import LicenceState
from sessions.models import CounselingSession
from sessions.selectors import open_slots, session_start_gate
from sessions.services import BookingError, session_start
from tests.licensing.factories import licence, licensed_in_indonesia

pytestmark = pytest.mark.django_db


def valid_dates(**extra):
    today = now().date()
    return {"valid_from": today - timedelta(days=30), "expires_on": today + timedelta(days=365), **extra}


@pytest.fixture
def place(monkeypatch):
    """Open consent and identity; `place.set(country, region)` says where the client is."""
    for name in ("consent_gate", "identity_gate"):
        monkeypatch.setattr(f"sessions.selectors.{name}", lambda **kw: GateResult.ok())
    where = {"value": ("ID", "ID-JK")}
    monkeypatch.setattr("sessions.selectors.intake_place", lambda **kw: where["value"])

    class Place:
        def set(self, country, region=""):
            where["value"] = (country, region)

    return Place()


@pytest.fixture
def bookable(counselor_a):
    from tests.sessions.booking_support import work_every_day

    work_every_day(counselor_a)
    start = datetime.now(UTC)
    return open_slots(counselor=counselor_a, start=start, end=start + timedelta(days=3))[0]


def test_booking_a_counselor_not_licensed_where_the_client_is_is_refused_with_the_reason(
    client, client_a, counselor_a, place, bookable
):
    licence(counselor_a, "ID", **valid_dates())
    place.set("US", "US-TX")
    client.force_login(client_a)
    response = client.post(f"/sessions/book/{counselor_a.pk}/", {"starts_at": bookable.starts_at.isoformat()})
    assert "holds no licence for the place where you are" in response.content.decode()
    assert not CounselingSession.objects.exists()


def test_booking_with_an_expired_licence_is_refused_with_the_reason(client, client_a, counselor_a, place, bookable):
    licence(counselor_a, "ID", state=LicenceState.EXPIRED, **valid_dates())
    client.force_login(client_a)
    response = client.post(f"/sessions/book/{counselor_a.pk}/", {"starts_at": bookable.starts_at.isoformat()})
    assert "has expired" in response.content.decode()
    assert not CounselingSession.objects.exists()


def test_booking_a_counselor_licensed_where_the_client_is_goes_through(client, client_a, counselor_a, place, bookable):
    licensed_in_indonesia(counselor_a, **valid_dates())
    client.force_login(client_a)
    client.post(f"/sessions/book/{counselor_a.pk}/", {"starts_at": bookable.starts_at.isoformat()})
    session = CounselingSession.objects.get()
    assert (session.location_country, session.location_region) == ("ID", "ID-JK")


def test_a_licence_that_lapses_before_the_session_time_refuses_the_booking(
    client, client_a, counselor_a, place, bookable
):
    licence(counselor_a, "ID", **valid_dates(expires_on=now().date()))
    # The licence's last day is today; any slot from tomorrow on falls after it.
    tomorrow = datetime.combine(now().date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    later = open_slots(counselor=counselor_a, start=tomorrow, end=tomorrow + timedelta(days=3))[0]
    client.force_login(client_a)
    response = client.post(f"/sessions/book/{counselor_a.pk}/", {"starts_at": later.starts_at.isoformat()})
    assert "has expired" in response.content.decode()
    assert not CounselingSession.objects.exists()


def located_session(client_user, counselor, country, region, state="open"):
    start = now() - timedelta(minutes=5)
    return CounselingSession.objects.create(
        client=client_user,
        counselor=counselor,
        starts_at=start,
        ends_at=start + timedelta(minutes=50),
        state=state,
        location_country=country,
        location_region=region,
        location_confirmed_at=now(),
    )


def test_a_client_who_moved_since_booking_cannot_start_the_session(client_a, counselor_b, place):
    licence(counselor_b, "US-TX", kind="us_lpc", **valid_dates())
    session = located_session(client_a, counselor_b, "US", "US-TX")
    assert session_start_gate(session=session)
    # Booked from Texas; at the start the client confirms they are now in California.
    session.location_region = "US-CA"
    session.location_confirmed_at = now()
    session.save(update_fields=["location_region", "location_confirmed_at"])
    result = session_start_gate(session=session)
    assert (result.allowed, result.reason) == (False, "no_licence_there")
    with pytest.raises(BookingError) as refused:
        session_start(session=session, actor=client_a)
    assert refused.value.code == "no_licence_there"
    assert "holds no licence" in refused.value.message
    session.refresh_from_db()
    assert session.state == "open"


def test_a_licence_suspended_after_booking_stops_the_session_start(client_a, counselor_a, place):
    row = licence(counselor_a, "ID", **valid_dates())
    session = located_session(client_a, counselor_a, "ID", "ID-JK")
    row.state = LicenceState.SUSPENDED
    row.save(update_fields=["state"])
    with pytest.raises(BookingError) as refused:
        session_start(session=session, actor=client_a)
    assert refused.value.code == "licence_suspended"


def test_the_session_starts_when_the_licence_covers_the_confirmed_place(client_a, counselor_a, place):
    licensed_in_indonesia(counselor_a, **valid_dates())
    session = located_session(client_a, counselor_a, "ID", "ID-YO")
    assert session_start(session=session, actor=client_a)
    session.refresh_from_db()
    assert session.state == "in_progress"


def test_booking_a_psychologist_with_an_str_but_no_practice_permit_is_refused_naming_the_permit(
    client, client_a, counselor_a, place, bookable
):
    licence(counselor_a, "ID", **valid_dates())
    client.force_login(client_a)
    response = client.post(f"/sessions/book/{counselor_a.pk}/", {"starts_at": bookable.starts_at.isoformat()})
    page = response.content.decode()
    assert "does not hold every licence the law requires where you are" in page
    assert "SIPPK (Surat Izin Praktik Psikolog Klinis" in page and "missing" in page
    assert not CounselingSession.objects.exists()
