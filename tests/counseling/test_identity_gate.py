"""identity_gate and the session start: no verified identity, emergency plan or location, no session."""

from datetime import timedelta

import pytest

from counseling.clock import now
from counseling.gates import GateResult
from identity.models import Intake
from identity.selectors import identity_gate
from identity.services import identity_document_review, identity_document_upload
from sessions.services import session_location_confirm
from tests.counseling.test_identity_documents_sniffing import png_bytes
from tests.counseling.test_intake import complete_intake

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_gates_open(monkeypatch):
    monkeypatch.setattr("sessions.selectors.consent_gate", lambda **kw: GateResult.ok())
    monkeypatch.setattr("sessions.selectors.jurisdiction_gate", lambda **kw: GateResult.ok())


@pytest.fixture
def session(client_a, counselor_a):
    from sessions.models import CounselingSession

    return CounselingSession.objects.create(
        client=client_a,
        counselor=counselor_a,
        starts_at=now() + timedelta(minutes=5),
        ends_at=now() + timedelta(minutes=55),
    )


def verified(client, admin):
    document = identity_document_upload(client=client, name="ktp.png", data=png_bytes())
    identity_document_review(document=document, reviewer=admin, verified=True)


def start_gate(session):
    from sessions.selectors import session_start_gate

    session.refresh_from_db()
    return session_start_gate(session=session)


def test_a_client_with_everything_in_place_may_start(client_a, admin_user, session, other_gates_open):
    complete_intake(client_a)
    verified(client_a, admin_user)
    session_location_confirm(session=session, client=client_a, country="ID", region="ID-YO")
    assert identity_gate(client=client_a).allowed
    assert start_gate(session).allowed


def test_without_an_intake_the_session_cannot_start(client_a, admin_user, session, other_gates_open):
    verified(client_a, admin_user)
    session_location_confirm(session=session, client=client_a, country="ID")
    result = start_gate(session)
    assert not result and result.reason == "intake_missing" and result.action_url == "/intake/"


def test_without_a_verified_identity_the_session_cannot_start(client_a, admin_user, session, other_gates_open):
    complete_intake(client_a)
    session_location_confirm(session=session, client=client_a, country="ID")
    assert start_gate(session).reason == "identity_unverified"
    document = identity_document_upload(client=client_a, name="ktp.png", data=png_bytes())
    result = start_gate(session)
    assert result.reason == "identity_unverified" and "waiting for review" in result.message
    identity_document_review(document=document, reviewer=admin_user, verified=False, reason="blurred")
    result = start_gate(session)
    assert result.reason == "identity_unverified" and "not accepted" in result.message


def test_without_an_emergency_plan_the_session_cannot_start(client_a, admin_user, session, other_gates_open):
    complete_intake(client_a, authorised=False)
    verified(client_a, admin_user)
    session_location_confirm(session=session, client=client_a, country="ID")
    assert start_gate(session).reason == "emergency_plan_missing"
    Intake.objects.filter(client=client_a).update(emergency_contact_authorised=True, has_connection_plan=False)
    assert start_gate(session).reason == "emergency_plan_missing"


def test_without_a_confirmed_location_the_session_cannot_start(client_a, admin_user, session, other_gates_open):
    complete_intake(client_a)
    verified(client_a, admin_user)
    assert identity_gate(client=client_a).allowed
    assert start_gate(session).reason == "location_unconfirmed"


def test_an_unsuitable_screen_blocks_until_discussed(client_a, admin_user, session, other_gates_open):
    complete_intake(client_a, suitable_private=False)
    verified(client_a, admin_user)
    session_location_confirm(session=session, client=client_a, country="ID")
    assert start_gate(session).reason == "unsuitable_for_text"


def test_a_destroyed_document_still_counts_as_verified(client_a, admin_user, session, other_gates_open):
    from identity.services import identity_documents_destroy

    complete_intake(client_a)
    verified(client_a, admin_user)
    identity_documents_destroy()
    assert identity_gate(client=client_a).allowed
