"""Onboarding in the browser's language: read, acknowledge each section, accept; what is stored."""

import pytest
from django.conf import settings

from consent.models import ELEMENT_KEYS, ConsentAcceptance
from consent.rendering import consent_render, consent_text_hash
from consent.selectors import consent_gate, consent_version_in_force
from counseling.models import AuditEntry
from tests.conftest import PASSWORD
from tests.consent.conftest import consent_text_on_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def id_browser(client, client_a):
    client.login(email=client_a.email, password=PASSWORD)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    return client


def _accept_form(response, *, skip=()):
    context = response.context
    data = {
        "version": context["version"].pk,
        "text_sha256": context["rendered"].sha256,
        "acknowledged": [key for key in ELEMENT_KEYS if key not in skip],
    }
    if context["counselor"]:
        data["counselor"] = context["counselor"].pk
    return data


def test_the_onboarding_page_shows_the_indonesian_version_with_one_checkbox_per_section(id_browser):
    response = id_browser.get("/consent/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Persetujuan konseling daring" in page
    assert "Batas kerahasiaan secara daring" in page
    assert page.count('name="acknowledged"') == len(ELEMENT_KEYS)
    assert response.context["version"].language == "id"


def test_the_stored_hash_equals_the_hash_of_the_text_rendered_to_that_client(id_browser, client_a, counselor_a):
    page = id_browser.get(f"/consent/?counselor={counselor_a.pk}")
    shown_text = consent_text_on_page(page.content.decode())
    assert "Sari" not in shown_text and counselor_a.counselor_profile.practice_location in shown_text

    response = id_browser.post(
        f"/consent/?counselor={counselor_a.pk}",
        _accept_form(page),
        HTTP_USER_AGENT="TestBrowser/1.0",
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 302
    acceptance = ConsentAcceptance.objects.get(client=client_a)
    assert acceptance.text_sha256 == consent_text_hash(shown_text)
    assert acceptance.rendered_text == shown_text
    assert acceptance.text_sha256 == consent_render(version=acceptance.version, counselor=counselor_a).sha256
    assert (acceptance.language, acceptance.counselor, acceptance.ip_address, acceptance.user_agent) == (
        "id",
        counselor_a,
        "203.0.113.7",
        "TestBrowser/1.0",
    )
    assert acceptance.acknowledged_sections == ELEMENT_KEYS
    assert consent_gate(client=client_a, counselor=counselor_a)


def test_every_acceptance_is_in_the_audit_log(id_browser, client_a):
    page = id_browser.get("/consent/")
    id_browser.post("/consent/", _accept_form(page))
    entry = AuditEntry.objects.get(action="consent.accepted")
    acceptance = ConsentAcceptance.objects.get(client=client_a)
    assert entry.actor_id == client_a.pk and entry.subject_id == client_a.pk
    assert entry.detail["text_sha256"] == acceptance.text_sha256
    assert entry.detail["version_id"] == acceptance.version_id


def test_accepting_without_acknowledging_every_section_is_refused(id_browser, client_a):
    page = id_browser.get("/consent/")
    response = id_browser.post("/consent/", _accept_form(page, skip=["insurance"]))
    assert response.status_code == 200
    assert (
        "Harap konfirmasi bahwa Anda telah membaca setiap bagian." in response.content.decode()
        or "Please confirm that you have read every section." in response.content.decode()
    )
    assert not ConsentAcceptance.objects.filter(client=client_a).exists()


def test_accepting_text_that_differs_from_what_is_rendered_now_is_refused(id_browser, client_a, counselor_a):
    page = id_browser.get(f"/consent/?counselor={counselor_a.pk}")
    data = _accept_form(page)
    profile = counselor_a.counselor_profile
    profile.contact_phone = "+62 274 555 0101"
    profile.save(update_fields=["contact_phone"])
    response = id_browser.post(f"/consent/?counselor={counselor_a.pk}", data)
    assert response.status_code == 200
    assert not ConsentAcceptance.objects.filter(client=client_a).exists()
    assert "+62 274 555 0101" in response.content.decode()


def test_accepting_a_version_that_was_replaced_meanwhile_is_refused(id_browser, client_a, admin_user):
    from consent.services import consent_draft_create, consent_version_publish

    page = id_browser.get("/consent/")
    data = _accept_form(page)
    new = consent_version_publish(version=consent_draft_create(language="id", created_by=admin_user), actor=admin_user)
    response = id_browser.post("/consent/", data)
    assert response.status_code == 200
    assert not ConsentAcceptance.objects.filter(client=client_a).exists()
    assert response.context["version"] == new


def test_after_accepting_the_client_goes_to_a_safe_next_page_only(id_browser, client_a):
    page = id_browser.get("/consent/?next=/client/")
    response = id_browser.post("/consent/", {**_accept_form(page), "next": "/client/"})
    assert response["Location"] == "/client/"
    page = id_browser.get("/consent/")
    response = id_browser.post("/consent/", {**_accept_form(page), "next": "https://evil.example/"})
    assert response["Location"] == "/consent/mine/"


def test_the_dashboard_shows_what_the_client_accepted(id_browser, client_a):
    before = id_browser.get("/client/").content.decode()
    assert "Belum ada persetujuan" in before and 'href="/consent/"' in before
    page = id_browser.get("/consent/")
    id_browser.post("/consent/", _accept_form(page))
    after = id_browser.get("/client/").content.decode()
    version = consent_version_in_force(language="id")
    assert "Persetujuan berlaku" in after and f"versi {version.number}" in after


def test_the_client_can_read_the_exact_text_they_accepted(id_browser, client_a):
    page = id_browser.get("/consent/")
    id_browser.post("/consent/", _accept_form(page))
    acceptance = ConsentAcceptance.objects.get(client=client_a)
    detail = id_browser.get(f"/consent/mine/{acceptance.pk}/").content.decode()
    assert acceptance.text_sha256 in detail
    assert "Batas kerahasiaan secara daring" in detail


def test_an_unknown_counselor_in_the_link_is_not_found(id_browser, client_b):
    assert id_browser.get("/consent/?counselor=999999").status_code == 404
    assert id_browser.get(f"/consent/?counselor={client_b.pk}").status_code == 404
