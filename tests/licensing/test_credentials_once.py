"""counselor_credentials_once: the consent's disclosure and the jurisdiction gate share one read of a counselor's
licences and compact privileges (the booking page, the client's home), and answer exactly as each reading its own."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from counseling.models import User
from licensing.models import LicenceState
from licensing.selectors import (
    counselor_credentials_once,
    jurisdiction_gate,
    licence_disclosure_lines,
    public_licences,
)
from tests.licensing.factories import NOON, TODAY, compact, licence, licensed_in_indonesia, privilege

pytestmark = pytest.mark.django_db

PLACES = [("ID", ""), ("ID", "ID-JK"), ("ID", "ID-YO"), ("US", "US-CO"), ("US", "US-KS"), ("US", "US-TX"), ("FR", "")]
TIMES = [NOON, NOON + timedelta(days=400), NOON - timedelta(days=400)]


def _answers(counselor_id: int, *, once: bool) -> list:
    """Every gate answer and disclosure of the counselor at PLACES and TIMES, in both languages."""
    answers = []
    for language in ("en", "id"):
        with translation.override(language):
            for at in TIMES:
                counselor = User.objects.get(pk=counselor_id)
                if once:
                    counselor_credentials_once(counselor=counselor)
                answers.append(licence_disclosure_lines(counselor=counselor, at=at))
                for country, region in PLACES:
                    gate = jurisdiction_gate(counselor=counselor, country=country, region=region, at=at)
                    answers.append((gate.allowed, gate.reason, gate.message, gate.action_url))
    return answers


def _lapsed(row, state):
    row.state = state
    row.save(update_fields=["state"])


def test_the_shared_read_answers_as_each_reading_its_own(counselor_a, counselor_b, admin_user):
    licensed_in_indonesia(counselor_a)
    licence(counselor_a, "ID-JK", kind="sippk", number="SIPPK-2", expires_on=TODAY + timedelta(days=10))
    _lapsed(licence(counselor_a, "US-TX", kind="us_lpc", number="LPC-9"), LicenceState.SUSPENDED)
    agreement = compact("US-CO", "US-KS")
    home = licence(counselor_b, "US-CO", kind="us_lpc", number="LPC-1")
    privilege(home, "US-KS", agreement=agreement, recorded_by=admin_user)
    revoked = privilege(
        licence(counselor_b, "US-TX", kind="us_lpc", number="LPC-2"),
        "US-CO",
        agreement=agreement,
        recorded_by=admin_user,
    )
    revoked.revoked_at = NOON
    revoked.save(update_fields=["revoked_at"])
    _lapsed(licence(counselor_b, "ID", number="STR-9"), LicenceState.SUBMITTED)
    for counselor in (counselor_a, counselor_b):
        assert _answers(counselor.pk, once=True) == _answers(counselor.pk, once=False)
    assert any("Privilege to practise" in line for line in licence_disclosure_lines(counselor=counselor_b, at=NOON))


def _credential_reads(counselor, *, country: str, region: str) -> list[str]:
    """The queries of licences and privileges that the disclosure and then the gate make for `counselor`."""
    with CaptureQueriesContext(connection) as queries:
        licence_disclosure_lines(counselor=counselor, at=NOON)
        jurisdiction_gate(counselor=counselor, country=country, region=region, at=NOON)
    return [
        q["sql"] for q in queries if "licensing_practicerule" not in q["sql"] and "requiredcredential" not in q["sql"]
    ]


def test_the_disclosure_and_the_gate_read_the_licences_once_between_them(counselor_a, counselor_b, admin_user):
    licensed_in_indonesia(counselor_a)
    assert len(_credential_reads(User.objects.get(pk=counselor_a.pk), country="ID", region="ID-JK")) == 4
    counselor = User.objects.get(pk=counselor_a.pk)
    counselor_credentials_once(counselor=counselor)
    # One query: the licences, with whether the counselor holds any privilege (none: not read).
    assert len(_credential_reads(counselor, country="ID", region="ID-JK")) == 1
    home = licence(counselor_b, "US-CO", kind="us_lpc", number="LPC-1")
    privilege(home, "US-KS", agreement=compact("US-CO", "US-KS"), recorded_by=admin_user)
    counselor = User.objects.get(pk=counselor_b.pk)
    counselor_credentials_once(counselor=counselor)
    reads = _credential_reads(counselor, country="US", region="US-KS")
    assert len(reads) == 3  # the licences, the privileges and their agreement's members
    with CaptureQueriesContext(connection) as untouched:
        counselor_credentials_once(counselor=User.objects.get(pk=counselor_a.pk))
    assert len(untouched) == 1  # the user's row: the licences are read at their first use only


def _numbers(lines: list[str]) -> list[str]:
    return [line.split(" no. ")[1].split(",")[0] for line in lines]


def test_two_licences_of_one_kind_in_one_country_are_disclosed_in_one_order_whatever_was_updated(counselor_b):
    """In order of their ids, never the database's own: an update that writes a PostgreSQL row anew must not change
    the disclosure's text, whose hash the counselor's clients accepted."""
    first = licence(counselor_b, "US-CO", kind="us_lpc", number="LPC-CO")
    second = licence(counselor_b, "US-TX", kind="us_lpc", number="LPC-TX")
    in_order = [first.number, second.number]
    assert _numbers(licence_disclosure_lines(counselor=User.objects.get(pk=counselor_b.pk), at=NOON)) == in_order
    first.expires_on += timedelta(days=1)  # an indexed column: the row is written anew, after the other
    first.save(update_fields=["expires_on"])
    for once in (False, True):
        counselor = User.objects.get(pk=counselor_b.pk)
        if once:
            counselor_credentials_once(counselor=counselor)
        assert _numbers(licence_disclosure_lines(counselor=counselor, at=NOON)) == in_order


def test_the_shared_read_discloses_the_licences_in_the_public_order_not_the_order_they_were_entered(counselor_b):
    """The shared read sorts the licences itself (no ORDER BY): by country, then kind, then id, as public_licences
    reads them, whatever order they were entered in."""
    entered = [
        licence(counselor_b, "US-TX", kind="us_lpc", number="LPC-TX"),
        licence(counselor_b, "ID-YO", kind="str", number="STR-2"),
        licence(counselor_b, "ID-JK", kind="sippk", number="SIPPK-1"),
        licence(counselor_b, "ID", kind="str", number="STR-1"),
    ]
    in_order = ["SIPPK-1", "STR-2", "STR-1", "LPC-TX"]
    assert [row.number for row in public_licences(counselor=counselor_b, at=NOON)] == in_order
    assert [row.number for row in entered] != in_order
    counselor = User.objects.get(pk=counselor_b.pk)
    counselor_credentials_once(counselor=counselor)
    assert _numbers(licence_disclosure_lines(counselor=counselor, at=NOON)) == in_order
