"""The emergency card, end to end: the client presses help, the counselor's open page shows the alert, and from
it the counselor reaches the card with the client's phone, the exact place and the local numbers."""
# ruff: noqa: F811  (pytest fixtures imported from test_escalation_support are used as arguments)

import pytest
from playwright.sync_api import expect

from counseling.models import User
from crisis.models import Escalation
from identity.services import intake_submit
from licensing.models import Jurisdiction
from sessions.services import session_location_confirm
from tests.counseling.test_escalation_support import eager_celery, make_message, make_session  # noqa: F401
from tests.security.conftest import INTAKE_ANSWERS

pytestmark = pytest.mark.browser


def test_the_counselor_opens_the_emergency_card_from_an_alert(
    eager_celery, live_server_url, browser, browser_login, screenshot, client_a, counselor_a, seeded
):
    User.objects.filter(pk=counselor_a.pk).update(language="en")  # the counselor reads English (alerts too)
    intake_submit(client=client_a, answers=INTAKE_ANSWERS, emergency_contact_authorised=True, code_word="kupu-kupu")
    session = make_session(client_a, counselor_a, confirmed=False)
    session_location_confirm(
        session=session, client=client_a, country="ID", region="ID-YO", landmark="Jl. Malioboro 12, near the mosque"
    )
    make_message(client_a, counselor_a, "Saya tidak bisa tidur dan saya takut malam ini.", session=session)
    make_message(client_a, counselor_a, "I am here. Are you safe right now?", sender=counselor_a, session=session)
    # As the site's seed has it (this test's database is emptied between tests, seed included).
    Jurisdiction.objects.get_or_create(country="ID", region="ID-YO", defaults={"name": "DI Yogyakarta"})

    counselor_context = browser.new_context(viewport={"width": 1200, "height": 800})
    counselor_page = counselor_context.new_page()
    browser_login(counselor_page, live_server_url, counselor_a)
    counselor_page.goto(live_server_url + "/staff/risk/")
    expect(counselor_page.locator("html")).to_have_attribute("data-alerts-connected", "1", timeout=10000)

    client_context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    client_page = client_context.new_page()
    browser_login(client_page, live_server_url, client_a)  # client_a reads Indonesian
    client_page.get_by_role("button", name="Saya butuh bantuan sekarang", exact=True).click()
    client_page.wait_for_url("**/help/sent/")

    alert = counselor_page.locator(".live-alert")
    expect(alert).to_contain_text("Emergency alert: Help button pressed", timeout=10000)
    alert.get_by_role("link", name="Open the alert").click()
    card_link = counselor_page.get_by_role("link", name="Open the emergency card")
    expect(card_link).to_be_visible()
    screenshot(counselor_page, "emergency-card-link-on-the-alert")
    card_link.click()

    expect(counselor_page.get_by_role("heading", name="Emergency card: Client A")).to_be_visible()
    client_phone = counselor_page.locator("#call-client a[href='tel:+6281255501234']")
    expect(client_phone).to_have_text("+62 812 5550 1234")
    expect(counselor_page.locator("#call-contact a[href='tel:+6281355509876']")).to_be_visible()
    numbers = counselor_page.locator("#call-emergency .emergency-numbers")
    expect(numbers).to_contain_text("112")
    expect(numbers).to_contain_text("119, then press 8")
    expect(numbers.locator("a[href='tel:119,8']").first).to_be_visible()
    expect(counselor_page.locator("#call-emergency")).to_contain_text("DI Yogyakarta (ID-YO), Indonesia")
    expect(counselor_page.locator("#call-emergency")).to_contain_text("Jl. Malioboro 12, near the mosque")
    expect(counselor_page.locator(".card-messages li").first).to_contain_text("Are you safe right now?")
    screenshot(counselor_page, "emergency-card-counselor")

    escalation = Escalation.objects.get(client=client_a)
    assert escalation.alerts.get(recipient=counselor_a).notified_at is not None
    # The same card on a phone: the first call is on the first screen.
    counselor_page.set_viewport_size({"width": 390, "height": 844})
    expect(client_phone).to_be_in_viewport()
    screenshot(counselor_page, "emergency-card-counselor-phone")
    client_context.close()
    counselor_context.close()
