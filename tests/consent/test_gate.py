"""The consent gate: one check used by booking, the session-start gate and the chat consumer."""

from datetime import timedelta

import pytest

from consent.selectors import consent_gate, consent_gates
from consent.services import consent_draft_create, consent_version_publish, consent_withdraw
from counseling.clock import now
from counseling.gates import GateResult
from sessions.selectors import session_start_gate
from tests.conftest import make_client
from tests.consent.conftest import accept_current, make_session

pytestmark = pytest.mark.django_db


def _publish_new_version(admin_user, language="id"):
    return consent_version_publish(
        version=consent_draft_create(language=language, created_by=admin_user), actor=admin_user
    )


def test_a_client_who_has_not_consented_is_refused_and_sent_to_onboarding(client_a, counselor_a):
    result = consent_gate(client=client_a)
    assert not result and result.reason == "consent_missing"
    assert result.action_url == "/consent/"
    with_counselor = consent_gate(client=client_a, counselor=counselor_a)
    assert not with_counselor and with_counselor.action_url == f"/consent/?counselor={counselor_a.pk}"


def test_the_gates_for_a_page_of_clients_decide_each_as_the_gate_for_one_client(
    client_a, client_b, counselor_a, counselor_b
):
    """consent_gates (a page of the caseload) decides each client as consent_gate alone does: those who never
    accepted share one answer, and so do those who are not clients, but no one else gets theirs."""
    never = make_client("never@clients.test", "Never")
    accept_current(client_a, counselor=counselor_a)
    accept_current(client_b)
    consent_withdraw(client=client_b)
    page_of = [never, client_a, counselor_b, client_b, make_client("never2@clients.test", "Never either")]
    for counselor in (None, counselor_a):
        page = consent_gates(clients=page_of, counselor=counselor)
        for person in page_of:
            assert page[person.pk] == consent_gate(client=person, counselor=counselor), person.email
        assert [page[person.pk].reason for person in page_of] == [
            "consent_missing",
            "",
            "consent_missing",
            "consent_withdrawn" if counselor is None else "consent_missing",  # withdrew a general consent
            "consent_missing",
        ]
        assert page[counselor_b.pk].message != page[never.pk].message


def test_a_client_who_has_not_consented_cannot_start_a_session_or_open_its_chat(client_a, counselor_a, monkeypatch):
    # session_start_gate is what booking (through its own gate) and the chat consumer call.
    monkeypatch.setattr("sessions.selectors.identity_gate", lambda **kw: GateResult.ok())
    monkeypatch.setattr("sessions.selectors.jurisdiction_gate", lambda **kw: GateResult.ok())
    session = make_session(client_a, counselor_a, starts_in=timedelta(minutes=1))
    session.location_confirmed_at = now()
    session.save(update_fields=["location_confirmed_at"])
    refused = session_start_gate(session=session)
    assert not refused and refused.reason == "consent_missing"

    accept_current(client_a, counselor=counselor_a)
    assert session_start_gate(session=session)


def test_acceptance_of_the_current_version_satisfies_the_gate(client_a):
    accept_current(client_a)
    assert consent_gate(client=client_a)


def test_after_a_new_version_the_old_acceptance_no_longer_satisfies_the_gate_and_the_new_one_does(
    client_a, counselor_a, admin_user
):
    accept_current(client_a, counselor=counselor_a)
    session = make_session(client_a, counselor_a)
    assert consent_gate(client=client_a, counselor=counselor_a)

    _publish_new_version(admin_user, language="id")
    stale = consent_gate(client=client_a, counselor=counselor_a)
    assert not stale and stale.reason == "consent_outdated"
    assert not consent_gate(client=client_a)
    session.refresh_from_db()
    assert session.state == "scheduled"  # the booking stays; it cannot start until re-consent

    accept_current(client_a, counselor=counselor_a)
    assert consent_gate(client=client_a, counselor=counselor_a)


def test_a_new_version_in_the_other_language_does_not_invalidate_an_acceptance(client_a, admin_user):
    # Decision: each language is its own series; an acceptance is bound to its language's version in force.
    accept_current(client_a, language="id")
    _publish_new_version(admin_user, language="en")
    assert consent_gate(client=client_a)


def test_a_general_acceptance_does_not_cover_a_counselor_whose_details_were_not_shown(client_a, counselor_a):
    accept_current(client_a)
    result = consent_gate(client=client_a, counselor=counselor_a)
    assert not result and result.reason == "consent_counselor_disclosure"
    assert result.action_url.endswith(f"?counselor={counselor_a.pk}")


def test_consent_for_one_counselor_does_not_cover_another(client_a, counselor_a, counselor_b):
    accept_current(client_a, counselor=counselor_a)
    assert consent_gate(client=client_a, counselor=counselor_a)
    assert consent_gate(client=client_a)  # it is a consent in force in general too
    assert not consent_gate(client=client_a, counselor=counselor_b)


def test_a_change_in_the_counselors_disclosed_details_needs_new_consent(client_a, counselor_a):
    accept_current(client_a, counselor=counselor_a)
    profile = counselor_a.counselor_profile
    profile.practice_location = "Jakarta Selatan, Indonesia"
    profile.save(update_fields=["practice_location"])
    result = consent_gate(client=client_a, counselor=counselor_a)
    assert not result and result.reason == "consent_disclosure_changed"


def test_withdrawn_consent_does_not_satisfy_the_gate_until_given_again(client_a):
    accept_current(client_a)
    consent_withdraw(client=client_a)
    result = consent_gate(client=client_a)
    assert not result and result.reason == "consent_withdrawn"
    accept_current(client_a)
    assert consent_gate(client=client_a)


def test_only_clients_pass_the_consent_gate(counselor_a, admin_user):
    assert not consent_gate(client=counselor_a)
    assert not consent_gate(client=admin_user)
