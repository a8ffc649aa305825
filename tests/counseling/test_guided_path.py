"""The guided path from sign-up to the first session: the client's home always shows the one next step and its
link; every gate refusal names its reason and links to the page that fixes it; the session page links to the
location confirmation it requires; a language chosen before signing in carries over into the account."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from consent.selectors import consent_gate
from consent.services import consent_withdraw
from counseling.clock import now
from counseling.gates import GateResult
from counseling.models import AuditEntry, ClientProfile, User
from dashboards.selectors import client_next_step
from identity.selectors import identity_gate
from identity.services import identity_document_review, identity_document_upload, intake_submit
from sessions.chat.selectors import ChatAccess, chat_gate
from sessions.models import Conversation, CounselingSession, SessionState
from sessions.selectors import booking_gate, caseload_has_room_for, conversation_gate
from tests.browser.test_intake import accept_consent
from tests.conftest import PASSWORD
from tests.counseling.test_identity_documents_sniffing import png_bytes
from tests.security.conftest import INTAKE_ANSWERS


@pytest.fixture(autouse=True)
def _language_back_to_default():
    """A request with the Indonesian cookie leaves Indonesian active in this thread (the test client's
    LocaleMiddleware): put it back, so later tests read the default language."""
    yield
    translation.deactivate()


def _session(client, counselor, *, starts_in=timedelta(days=3), **fields) -> CounselingSession:
    start = now() + starts_in
    return CounselingSession.objects.create(
        client=client, counselor=counselor, starts_at=start, ends_at=start + timedelta(minutes=50), **fields
    )


def _intake(client):
    intake_submit(client=client, answers=INTAKE_ANSWERS, emergency_contact_authorised=True, code_word="kupu biru")


def test_each_step_in_turn_from_consent_to_joining(client_b, counselor_a, admin_user, monkeypatch):
    step = client_next_step(client=client_b)
    assert (step.key, step.url) == ("consent", reverse("consent:onboarding") + "?next=%2Fclient%2F")
    accept_consent(client_b)
    step = client_next_step(client=client_b)
    assert (step.key, step.url) == ("intake", reverse("intake:home"))
    _intake(client_b)
    step = client_next_step(client=client_b)
    assert (step.key, step.url) == ("identity", reverse("intake:identity_upload"))
    document = identity_document_upload(client=client_b, name="id.png", data=png_bytes(body=400))
    step = client_next_step(client=client_b)
    assert (step.key, step.url) == ("identity_review", reverse("intake:home"))
    identity_document_review(document=document, reviewer=admin_user, verified=True)
    step = client_next_step(client=client_b)
    assert (step.key, step.url) == ("book", reverse("sessions:booking_counselors"))

    # Booked (with the consent carrying the counselor's details): three days ahead, the location is asked for on
    # the day; on the day it is asked for now; once confirmed, the client joins when the chat opens.
    monkeypatch.setattr("sessions.selectors.consent_gate", lambda **kw: GateResult.ok())
    monkeypatch.setattr("sessions.selectors.jurisdiction_gate", lambda **kw: GateResult.ok())
    session = _session(client_b, counselor_a)
    step = client_next_step(client=client_b)
    assert (step.key, step.url) == ("location_later", reverse("sessions:session_detail", args=[session.pk]))
    session.starts_at = now() + timedelta(hours=3)
    session.ends_at = session.starts_at + timedelta(minutes=50)
    session.save()
    step = client_next_step(client=client_b)
    location = reverse("sessions:session_location", args=[session.pk])
    assert step.key == "location" and step.url == f"{location}?next=%2Fclient%2F"
    session.location_country, session.location_confirmed_at = "ID", now()
    session.save()
    step = client_next_step(client=client_b)
    assert (step.key, step.url) == ("join_later", reverse("sessions:session_detail", args=[session.pk]))
    session.state = SessionState.OPEN
    session.save()
    step = client_next_step(client=client_b)
    assert (step.key, step.url) == ("join", reverse("sessions:session_chat", args=[session.pk]))


def test_the_home_page_shows_the_next_step_and_its_link_in_both_languages(client, client_a, client_b):
    client.force_login(client_b)
    page = client.get(reverse("client_home")).content.decode()
    assert 'data-next-step="consent"' in page and f'href="{reverse("consent:onboarding")}?next=%2Fclient%2F"' in page
    client.force_login(client_a)
    client.cookies["django_language"] = "id"
    page = client.get(reverse("client_home")).content.decode()
    assert '<html lang="id">' in page and 'data-next-step="consent"' in page


def test_the_home_page_refuses_with_the_consent_gates_own_reason_message_and_link(client, client_b, counselor_a):
    """The home page reads the consent status once (dashboards.selectors.client_dashboard_context) and its next
    step reuses the gate's answer in it: the step and the consent panel still show exactly consent_gate's
    refusal, for a client who never consented and for one who withdrew."""
    client.force_login(client_b)
    onboarding = reverse("consent:onboarding")
    for expected_reason in ("consent_missing", "consent_withdrawn"):
        gate = consent_gate(client=client_b)
        assert not gate and gate.reason == expected_reason
        page = client.get(reverse("client_home")).content.decode()
        assert 'data-next-step="consent"' in page and f'href="{onboarding}?next=%2Fclient%2F"' in page
        assert page.count(str(escape(gate.message))) == 2, gate.message  # the next step and the consent panel
        assert f'href="{gate.action_url}"' in page  # the panel's link, the gate's own
        accept_consent(client_b)
        page = client.get(reverse("client_home")).content.decode()
        assert 'data-next-step="consent"' not in page and "Consent in force" in page
        consent_withdraw(client=client_b)


def test_the_home_page_sends_the_client_to_consent_to_their_counselors_details_before_the_session(
    client, client_b, counselor_a, monkeypatch
):
    """The session-start gate still asks consent with the session's counselor (their disclosure) on the home
    page: general consent alone is refused with its reason, message and link."""
    accept_consent(client_b)
    _intake(client_b)
    monkeypatch.setattr("sessions.selectors.identity_gate", lambda **kw: GateResult.ok())
    monkeypatch.setattr("dashboards.selectors.identity_gate", lambda **kw: GateResult.ok())
    _session(client_b, counselor_a)
    gate = consent_gate(client=client_b, counselor=counselor_a)
    assert gate.reason == "consent_counselor_disclosure"
    client.force_login(client_b)
    page = client.get(reverse("client_home")).content.decode()
    assert 'data-next-step="fix"' in page and str(escape(gate.message)) in page
    assert f'href="{escape(gate.action_url)}"' in page


# --- Every refusal has a link to its fix ---------------------------------------------------------------------


def test_every_gate_refusal_links_to_the_page_that_fixes_it(client_b, counselor_a, admin_user):
    refusals = [
        consent_gate(client=client_b),
        consent_gate(client=client_b, counselor=counselor_a),
        consent_gate(client=counselor_a),  # not a client at all
        identity_gate(client=client_b),
    ]
    accept_consent(client_b)
    _intake(client_b)
    refusals.append(identity_gate(client=client_b))  # no ID document yet
    identity_document_upload(client=client_b, name="id.png", data=png_bytes(body=400))
    refusals.append(identity_gate(client=client_b))  # waiting for review
    conversation = Conversation.objects.create(client=client_b, counselor=counselor_a)
    session = _session(client_b, counselor_a, state=SessionState.SCHEDULED)
    refusals += [
        booking_gate(client=counselor_a, counselor=counselor_a, starts_at=now()),
        conversation_gate(conversation=conversation),
        chat_gate(access=ChatAccess(conversation=conversation, session=session, read_only=False)),
    ]
    for result in refusals:
        assert not result and result.reason and result.message
        assert result.action_url.startswith("/"), result
        assert result.fix_label


def test_refusals_name_the_page_each_reason_leads_to(client_b, counselor_a, monkeypatch):
    monkeypatch.setattr("sessions.selectors.consent_gate", lambda **kw: GateResult.ok())
    monkeypatch.setattr("sessions.selectors.identity_gate", lambda **kw: GateResult.ok())
    conversation = Conversation.objects.create(client=client_b, counselor=counselor_a)
    assert conversation_gate(conversation=conversation).action_url == reverse("sessions:booking_counselors")
    session = _session(client_b, counselor_a)
    refused = conversation_gate(conversation=conversation)
    assert refused.reason == "location_unconfirmed"
    assert refused.action_url == reverse("sessions:session_location", args=[session.pk])
    assert refused.fix_label == "Confirm where you are for this session"
    open_refusal = chat_gate(access=ChatAccess(conversation=conversation, session=session, read_only=False))
    assert open_refusal.action_url == reverse("sessions:session_detail", args=[session.pk])
    CounselingSession.objects.all().delete()  # a new client for the counselor, whose caseload is full
    counselor_a.counselor_profile.caseload_limit = 0
    counselor_a.counselor_profile.save()
    full = caseload_has_room_for(counselor=counselor_a, client=User.objects.get(pk=client_b.pk))
    assert not full and full.action_url == reverse("sessions:booking_counselors")
    monkeypatch.setattr("sessions.selectors.intake_place", lambda **kw: ("", ""))
    unknown = booking_gate(client=client_b, counselor=counselor_a, starts_at=now())
    assert unknown.reason == "location_unknown" and unknown.action_url == reverse("intake:home")


# --- The session page links to its location confirmation ---------------------------------------------------


def test_the_session_page_links_the_client_to_the_location_confirmation_it_requires(client, client_b, counselor_a):
    session = _session(client_b, counselor_a, starts_in=timedelta(hours=5))
    client.force_login(client_b)
    page = client.get(reverse("sessions:session_detail", args=[session.pk])).content.decode()
    location = reverse("sessions:session_location", args=[session.pk])
    assert 'data-location-status="needed"' in page
    assert f'href="{location}?next=%2Fsessions%2F{session.pk}%2F"' in page
    response = client.post(
        f"{location}?next=/sessions/{session.pk}/", {"country": "ID", "region": "", "next": f"/sessions/{session.pk}/"}
    )
    assert response.status_code == 302 and response["Location"] == f"/sessions/{session.pk}/"
    page = client.get(reverse("sessions:session_detail", args=[session.pk])).content.decode()
    assert 'data-location-status="current"' in page


def test_the_counselor_sees_no_location_link(client, client_b, counselor_a, staff_login):
    session = _session(client_b, counselor_a, starts_in=timedelta(hours=5))
    staff_login(client, counselor_a)
    page = client.get(reverse("sessions:session_detail", args=[session.pk])).content.decode()
    assert "data-location-status" not in page


# --- The language chosen before signing in ---------------------------------------------------------------------


@pytest.fixture
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _sign_in(client, user):
    user.set_password(PASSWORD)
    user.save()
    return client.post(reverse("login"), {"username": user.email, "password": PASSWORD})


def test_a_client_who_chose_indonesian_before_signing_in_keeps_it(client, client_b, fast_hashing):
    client.cookies["django_language"] = "id"
    response = _sign_in(client, client_b)
    assert response.status_code == 302 and response.cookies["django_language"].value == "id"
    assert ClientProfile.objects.get(user=client_b).preferred_language == "id"
    entry = AuditEntry.objects.get(action="account.language_adopted_at_sign_in")
    assert entry.detail == {"from": "en", "to": "id"}


def test_a_counselor_who_chose_english_before_signing_in_keeps_it(client, counselor_a, fast_hashing):
    client.cookies["django_language"] = "en"
    _sign_in(client, counselor_a)
    assert User.objects.get(pk=counselor_a.pk).language == "en"


def test_no_cookie_or_a_language_the_site_does_not_offer_changes_nothing(client, client_a, client_b, fast_hashing):
    _sign_in(client, client_b)
    client.logout()
    client.cookies["django_language"] = "fr"
    _sign_in(client, client_a)
    assert ClientProfile.objects.get(user=client_b).preferred_language == "en"
    assert ClientProfile.objects.get(user=client_a).preferred_language == "id"
    assert not AuditEntry.objects.filter(action="account.language_adopted_at_sign_in").exists()


def test_a_failed_sign_in_changes_nothing(client, client_b, fast_hashing):
    client.cookies["django_language"] = "id"
    client.post(reverse("login"), {"username": client_b.email, "password": "wrong"})
    assert ClientProfile.objects.get(user=client_b).preferred_language == "en"
