"""The jurisdiction gate: may counselor C counsel a client located in place P at time T?"""

from datetime import timedelta

import pytest

from counseling.gates import GateResult
from licensing.models import LicenceState
from licensing.selectors import jurisdiction_gate
from tests.licensing.factories import NOON, TODAY, compact, licence, licensed_in_indonesia, privilege

pytestmark = pytest.mark.django_db


def test_verified_str_and_practice_permit_in_the_clients_country_allow(counselor_a):
    licensed_in_indonesia(counselor_a)
    assert jurisdiction_gate(counselor=counselor_a, country="ID", region="ID-JK", at=NOON).allowed


def test_country_level_licence_covers_every_region_and_no_region(counselor_a):
    licensed_in_indonesia(counselor_a)
    assert jurisdiction_gate(counselor=counselor_a, country="ID", at=NOON).allowed
    assert jurisdiction_gate(counselor=counselor_a, country="id", region="id-pa", at=NOON).allowed


def test_regional_licence_covers_only_its_region(counselor_b):
    licence(counselor_b, "US-TX", kind="us_lpc")
    assert jurisdiction_gate(counselor=counselor_b, country="US", region="US-TX", at=NOON).allowed
    elsewhere = jurisdiction_gate(counselor=counselor_b, country="US", region="US-CA", at=NOON)
    assert not elsewhere and elsewhere.reason == "no_licence_there"
    assert jurisdiction_gate(counselor=counselor_b, country="US", region="", at=NOON).reason == "no_licence_there"


def test_no_licence_there_refuses_with_a_message(counselor_a):
    licence(counselor_a, "ID")
    result = jurisdiction_gate(counselor=counselor_a, country="US", region="US-TX", at=NOON)
    assert isinstance(result, GateResult)
    assert (result.allowed, result.reason) == (False, "no_licence_there")
    assert "no licence" in result.message


def test_another_counselors_licence_does_not_count(counselor_a, counselor_b):
    licence(counselor_b, "ID")
    assert jurisdiction_gate(counselor=counselor_a, country="ID", at=NOON).reason == "no_licence_there"


@pytest.mark.parametrize(
    "state,reason",
    [
        (LicenceState.EXPIRED, "licence_expired"),
        (LicenceState.REJECTED, "licence_rejected"),
        (LicenceState.SUSPENDED, "licence_suspended"),
        (LicenceState.SUBMITTED, "licence_unverified"),
        (LicenceState.REVOKED, "licence_revoked"),
    ],
)
def test_a_licence_that_is_not_verified_refuses_with_its_reason(counselor_a, state, reason):
    licence(counselor_a, "ID", state=state)
    result = jurisdiction_gate(counselor=counselor_a, country="ID", region="ID-YO", at=NOON)
    assert not result.allowed
    assert result.reason == reason
    assert result.message


def test_a_verified_licence_past_its_expiry_date_refuses_even_before_the_job_runs(counselor_a):
    licence(counselor_a, "ID", expires_on=TODAY - timedelta(days=1))
    assert jurisdiction_gate(counselor=counselor_a, country="ID", at=NOON).reason == "licence_expired"


def test_the_gate_answers_for_the_time_given(counselor_a):
    licensed_in_indonesia(counselor_a, expires_on=TODAY + timedelta(days=10))
    assert jurisdiction_gate(counselor=counselor_a, country="ID", at=NOON).allowed
    assert jurisdiction_gate(counselor=counselor_a, country="ID", at=NOON + timedelta(days=10)).allowed
    assert (
        jurisdiction_gate(counselor=counselor_a, country="ID", at=NOON + timedelta(days=11)).reason == "licence_expired"
    )
    assert (
        jurisdiction_gate(counselor=counselor_a, country="ID", at=NOON - timedelta(days=400)).reason
        == "licence_not_yet_valid"
    )


def test_one_valid_licence_of_a_kind_is_enough_even_beside_an_expired_one(counselor_a):
    licence(counselor_a, "ID", state=LicenceState.EXPIRED, number="OLD")
    licence(counselor_a, "ID-YO", kind="silp", number="SILP")
    assert jurisdiction_gate(counselor=counselor_a, country="ID", region="ID-JK", at=NOON).reason == "licence_expired"
    licence(counselor_a, "ID", number="NEW")
    assert jurisdiction_gate(counselor=counselor_a, country="ID", region="ID-JK", at=NOON).allowed


def test_the_most_serious_reason_wins_among_several_licences(counselor_a):
    licence(counselor_a, "ID", state=LicenceState.SUBMITTED, number="A")
    licence(counselor_a, "ID", state=LicenceState.SUSPENDED, number="B")
    assert jurisdiction_gate(counselor=counselor_a, country="ID", at=NOON).reason == "licence_suspended"


def test_unknown_location_refuses(counselor_a):
    licence(counselor_a, "ID")
    assert jurisdiction_gate(counselor=counselor_a, country="", at=NOON).reason == "location_unknown"


def test_a_naive_time_is_a_programming_error(counselor_a):
    with pytest.raises(ValueError):
        jurisdiction_gate(counselor=counselor_a, country="ID", at=NOON.replace(tzinfo=None))


# Compact privileges.


def test_compact_privilege_allows_when_recorded_and_the_home_licence_is_valid(counselor_b, admin_user):
    agreement = compact("US-CO", "US-KS")
    home = licence(counselor_b, "US-CO", kind="us_lpc")
    privilege(home, "US-KS", agreement=agreement, recorded_by=admin_user)
    assert jurisdiction_gate(counselor=counselor_b, country="US", region="US-KS", at=NOON).allowed


def test_compact_membership_alone_grants_nothing_until_the_privilege_is_recorded(counselor_b):
    compact("US-CO", "US-KS")
    licence(counselor_b, "US-CO", kind="us_lpc")
    assert jurisdiction_gate(counselor=counselor_b, country="US", region="US-KS", at=NOON).reason == "no_licence_there"


@pytest.mark.parametrize(
    "home_state,reason",
    [
        (LicenceState.EXPIRED, "licence_expired"),
        (LicenceState.SUSPENDED, "licence_suspended"),
        (LicenceState.REVOKED, "licence_revoked"),
    ],
)
def test_compact_privilege_falls_with_its_home_licence(counselor_b, admin_user, home_state, reason):
    agreement = compact("US-CO", "US-KS")
    home = licence(counselor_b, "US-CO", kind="us_lpc")
    privilege(home, "US-KS", agreement=agreement, recorded_by=admin_user)
    home.state = home_state
    home.save(update_fields=["state"])
    result = jurisdiction_gate(counselor=counselor_b, country="US", region="US-KS", at=NOON)
    assert (result.allowed, result.reason) == (False, reason)


def test_compact_privilege_ends_on_the_home_licences_expiry_date(counselor_b, admin_user):
    agreement = compact("US-CO", "US-KS")
    home = licence(counselor_b, "US-CO", kind="us_lpc", expires_on=TODAY)
    privilege(home, "US-KS", agreement=agreement, recorded_by=admin_user)
    assert jurisdiction_gate(counselor=counselor_b, country="US", region="US-KS", at=NOON).allowed
    assert (
        jurisdiction_gate(counselor=counselor_b, country="US", region="US-KS", at=NOON + timedelta(days=1)).reason
        == "licence_expired"
    )


def test_a_revoked_privilege_no_longer_counts(counselor_b, admin_user):
    agreement = compact("US-CO", "US-KS")
    home = licence(counselor_b, "US-CO", kind="us_lpc")
    granted = privilege(home, "US-KS", agreement=agreement, recorded_by=admin_user)
    granted.revoked_at = NOON
    granted.save(update_fields=["revoked_at"])
    assert not jurisdiction_gate(counselor=counselor_b, country="US", region="US-KS", at=NOON)


def test_a_privilege_resting_on_a_licence_from_a_non_member_state_does_not_count(counselor_b, admin_user):
    agreement = compact("US-CO", "US-KS")  # Texas is not a member
    home = licence(counselor_b, "US-TX", kind="us_lpc")
    privilege(home, "US-KS", agreement=agreement, recorded_by=admin_user)
    assert jurisdiction_gate(counselor=counselor_b, country="US", region="US-KS", at=NOON).reason == "no_licence_there"
