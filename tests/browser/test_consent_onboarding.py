"""The whole consent onboarding in Bahasa Indonesia, in a real browser, with screenshots."""

import pytest
from playwright.sync_api import expect

from consent.models import ELEMENT_KEYS, ConsentAcceptance
from consent.rendering import consent_render, consent_text_hash
from consent.selectors import consent_gate
from consent.services import consent_defaults_publish
from tests.browser.conftest import ARTIFACTS
from tests.conftest import make_client, make_counselor

pytestmark = pytest.mark.browser


def test_a_client_reads_acknowledges_and_accepts_the_consent_in_indonesian(
    page, live_server_url, screenshot, browser_login
):
    consent_defaults_publish()  # the data migration's versions are gone after an earlier transactional test
    client = make_client("melati@clients.test", "Melati", language="id")
    counselor = make_counselor("sari@staff.test", "Sari Wulandari, M.Psi.")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    browser_login(page, live_server_url, client)

    page.goto(live_server_url + "/client/")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.get_by_text("Belum ada persetujuan")).to_be_visible()

    page.goto(f"{live_server_url}/consent/?counselor={counselor.pk}&next=/consent/mine/")
    expect(page.get_by_role("heading", name="Persetujuan konseling daring", level=1)).to_be_visible()
    expect(page.get_by_text("Lokasi fisik tempat praktik: Yogyakarta, Indonesia (negara ID)")).to_be_visible()
    accept = page.get_by_role("button", name="Saya menyetujui ketentuan ini")
    expect(accept).to_be_disabled()
    boxes = page.get_by_role("checkbox")
    expect(boxes).to_have_count(len(ELEMENT_KEYS))
    for index in range(len(ELEMENT_KEYS) - 1):
        boxes.nth(index).check()
    expect(page.get_by_text(f"{len(ELEMENT_KEYS) - 1} dari {len(ELEMENT_KEYS)} bagian sudah dibaca")).to_be_visible()
    expect(accept).to_be_disabled()
    screenshot(page, "consent-onboarding-id-phone")
    # The full page is very long on a phone; also keep what the phone screen shows at the top and at the end.
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "consent-onboarding-id-phone-top.png"))
    boxes.nth(len(ELEMENT_KEYS) - 1).scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "consent-onboarding-id-phone-end.png"))
    boxes.nth(len(ELEMENT_KEYS) - 1).check()
    expect(accept).to_be_enabled()

    shown = "\n\n".join(page.locator("[data-consent-part]").all_inner_texts())
    accept.click()
    expect(page.get_by_text("Terima kasih. Persetujuan Anda telah dicatat.")).to_be_visible()
    expect(page.get_by_text("Persetujuan berlaku").first).to_be_visible()
    screenshot(page, "consent-mine-id-phone")

    acceptance = ConsentAcceptance.objects.get(client=client)
    assert acceptance.language == "id" and acceptance.counselor == counselor
    assert acceptance.text_sha256 == consent_text_hash(shown)
    assert acceptance.text_sha256 == consent_render(version=acceptance.version, counselor=counselor).sha256
    assert "HeadlessChrome" in acceptance.user_agent and acceptance.ip_address == "127.0.0.1"
    assert consent_gate(client=client, counselor=counselor)

    page.get_by_role("link", name="Tarik persetujuan").click()
    expect(page.get_by_text("tidak dihapus sekarang", exact=False)).to_be_visible()
    screenshot(page, "consent-withdraw-id-phone")
    page.get_by_role("button", name="Tarik persetujuan saya").click()
    expect(page.get_by_text("Persetujuan Anda telah ditarik", exact=False)).to_be_visible()
    assert not consent_gate(client=client, counselor=counselor)


def test_the_transparency_page_on_a_phone_in_indonesian(page, live_server_url, screenshot):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server_url + "/consent/transparency/")
    with page.expect_navigation():
        page.locator("#language-select").select_option("id")
    expect(page.get_by_role("heading", name="Privasi, kerahasiaan, dan batasnya")).to_be_visible()
    expect(page.get_by_text("119, lalu tekan 8").first).to_be_visible()
    screenshot(page, "transparency-id-phone")
    page.locator("#emergency").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "transparency-id-phone-emergency.png"))
