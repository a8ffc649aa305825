"""Malformed input the outside probe found (issue 21, finding 3), pinned as plain examples: each one gets a
clear 400 or a form error, never a 500. The class of each (a NUL anywhere, a digit that is not 0-9, a moment
far outside any real one) is crawled over every route and form in test_malformed_input_crawl.py."""

from datetime import timedelta

import pytest
from django.test import Client

from counseling.clock import now
from counseling.gates import GateResult
from counseling.parameters import instant_parse, int_param
from sessions.models import CounselingSession
from tests.licensing import factories
from tests.security.hostile import changed, row_counts
from tests.sessions.booking_support import open_gates, work_every_day

pytestmark = pytest.mark.django_db

REFUSED = b"This request could not be read"


@pytest.fixture
def signed_in(client_a):
    browser = Client(raise_request_exception=False)
    browser.force_login(client_a)
    return browser


@pytest.fixture
def as_staff(staff_login):
    def make(user):
        return staff_login(Client(raise_request_exception=False), user)

    return make


@pytest.fixture
def own_session(client_a, counselor_a):
    start = now() + timedelta(days=3)
    return CounselingSession.objects.create(
        client=client_a,
        counselor=counselor_a,
        starts_at=start,
        ends_at=start + timedelta(minutes=50),
        state="scheduled",
    )


@pytest.mark.parametrize("query", ["?place=ID%00", "?country=%00", "?country=ID&region=ID-%00JK", "?place=%00"])
def test_a_nul_in_the_directory_query_is_refused_with_400(db, query):
    response = Client(raise_request_exception=False).get("/licensing/counselors/" + query)
    assert response.status_code == 400
    assert REFUSED in response.content


def test_a_nul_in_the_intake_region_is_refused_and_nothing_is_stored(signed_in, monkeypatch):
    monkeypatch.setattr("identity.views.consent_gate", lambda **kw: GateResult.ok())
    before = row_counts()
    response = signed_in.post("/intake/form/", {"country": "ID", "region": "ID-\x00JK", "legal_name": "Ayu"})
    assert response.status_code == 400
    assert changed(before, row_counts()) == {}


def test_a_nul_in_the_location_region_is_refused_and_nothing_is_stored(signed_in, own_session):
    before = row_counts()
    response = signed_in.post(f"/sessions/{own_session.pk}/location/", {"country": "ID", "region": "\x00"})
    assert response.status_code == 400
    assert changed(before, row_counts()) == {}
    own_session.refresh_from_db()
    assert own_session.location_confirmed_at is None


@pytest.mark.parametrize(
    "starts_at",
    [
        "0001-01-01T00:00:00+05:00",
        "0001-01-01T00:00:00+00:00",
        "9999-12-31T23:59:59-05:00",
        "9999-12-31T23:00:00+00:00",
    ],
)
def test_a_booking_in_year_1_or_9999_is_a_form_error(signed_in, counselor_a, monkeypatch, starts_at):
    open_gates(monkeypatch)
    work_every_day(counselor_a)
    before = row_counts()
    response = signed_in.post(f"/sessions/book/{counselor_a.pk}/", {"starts_at": starts_at})
    assert response.status_code == 200
    assert b"Please choose a time from the list." in response.content
    assert changed(before, row_counts()) == {}


@pytest.mark.parametrize("value", ["\u00b2", "\u0661", "+1", " 1", "1" * 40])
def test_a_reschedule_that_is_not_a_plain_number_is_refused_with_400(signed_in, counselor_a, monkeypatch, value):
    open_gates(monkeypatch)
    response = signed_in.get(f"/sessions/book/{counselor_a.pk}/", {"reschedule": value})
    assert response.status_code == 400
    assert REFUSED in response.content


def test_a_nul_in_the_admins_audit_search_is_refused_with_400(as_staff, admin_user):
    browser = as_staff(admin_user)
    assert browser.get("/admin/counseling/auditentry/", {"q": "login"}).status_code == 200
    response = browser.get("/admin/counseling/auditentry/", {"q": "a\x00b"})
    assert response.status_code == 400


@pytest.mark.parametrize("value", ["\u00b2", "\u0661", "1\x00"])
def test_a_licence_review_with_a_privilege_id_in_other_digits_is_refused_with_400(
    as_staff, admin_user, counselor_a, value
):
    licence = factories.licence(counselor_a, state="submitted")
    before = row_counts()
    response = as_staff(admin_user).post(
        f"/licensing/review/{licence.pk}/", {"form": "revoke-privilege", "privilege_id": value}
    )
    assert response.status_code == 400
    assert changed(before, row_counts()) == {}


def test_int_param_reads_ascii_digits_only():
    assert int_param({"n": "42"}, "n") == 42
    assert int_param({}, "n") is None
    assert int_param({"n": ""}, "n") is None
    for bad in ("\u00b2", "\u0661\u0662", "-1", "1.0", "0x1", "1e3", "9" * 19):
        with pytest.raises(Exception) as refused:
            int_param({"n": bad}, "n")
        assert refused.type.__name__ == "BadRequest"


def test_instant_parse_refuses_moments_outside_any_real_range():
    assert instant_parse("2027-02-01T09:00:00+07:00").isoformat() == "2027-02-01T02:00:00+00:00"
    for bad in ("2027-02-01T09:00:00", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "x", "\x00"):
        assert instant_parse(bad) is None
