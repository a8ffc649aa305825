"""A counselor chooses Bahasa Indonesia on their account, in a browser that asks for English: their pages and the
escalation alert card that pops up when a client presses the help button come in Indonesian."""
# ruff: noqa: F811  (pytest fixtures imported from test_escalation_support are used as arguments)

import pytest
from playwright.sync_api import expect

from counseling.models import AuditEntry, CounselorProfile, User
from sessions.models import CounselingSession
from tests.counseling.test_escalation_support import eager_celery, make_session  # noqa: F401

pytestmark = pytest.mark.browser


def test_a_counselor_who_chose_indonesian_gets_the_alert_card_in_indonesian(
    eager_celery, live_server_url, browser, browser_login, screenshot, client_a, counselor_a, seeded
):
    # Their profile lists English first: only the choice made below can make the card Indonesian.
    CounselorProfile.objects.filter(user=counselor_a).update(languages="en,id")
    session = make_session(client_a, counselor_a, confirmed=False)
    CounselingSession.objects.filter(pk=session.pk).update(
        location_country="ID", location_region="ID-JK", location_confirmed_at=session.created_at
    )

    counselor_context = browser.new_context(viewport={"width": 1200, "height": 800}, locale="en-US")
    counselor_page = counselor_context.new_page()
    browser_login(counselor_page, live_server_url, counselor_a)
    counselor_page.get_by_role("navigation", name="Main").get_by_role("link", name="Account settings").click()
    counselor_page.get_by_label("Bahasa Indonesia").check()
    counselor_page.get_by_role("main").get_by_role("button", name="Save").click()
    expect(counselor_page.locator("html")).to_have_attribute("lang", "id")
    assert User.objects.get(pk=counselor_a.pk).language == "id"
    assert AuditEntry.objects.filter(action="account.language_changed", actor_id=counselor_a.pk).exists()

    counselor_page.goto(live_server_url + "/staff/risk/")
    expect(counselor_page.get_by_text("Tidak ada peringatan terbuka.")).to_be_visible()
    expect(counselor_page.locator("html")).to_have_attribute("data-alerts-connected", "1", timeout=10000)

    client_context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    client_page = client_context.new_page()
    browser_login(client_page, live_server_url, client_a)
    client_page.get_by_role("button", name="Saya butuh bantuan sekarang", exact=True).click()
    client_page.wait_for_url("**/help/sent/")

    alert = counselor_page.locator(".live-alert")
    expect(alert).to_contain_text("Peringatan darurat: Tombol bantuan ditekan", timeout=10000)
    link = alert.get_by_role("link", name="Buka peringatan")
    expect(link).to_be_visible()
    expect(alert).not_to_contain_text("Emergency alert")
    screenshot(counselor_page, "alert-card-in-indonesian")

    link.click()
    expect(counselor_page.get_by_role("heading", name="Tombol bantuan ditekan")).to_be_visible()
    client_context.close()
    counselor_context.close()
