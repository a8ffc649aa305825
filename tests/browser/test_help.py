"""The help button, end to end: a client presses it on a phone, the counselor's open page shows the alert."""
# ruff: noqa: F811  (pytest fixtures imported from test_escalation_support are used as arguments)

import pytest
from playwright.sync_api import expect

from counseling.models import User
from crisis.models import Escalation, EscalationState
from licensing.models import Jurisdiction
from sessions.models import CounselingSession
from tests.counseling.test_escalation_support import eager_celery, make_session  # noqa: F401

pytestmark = pytest.mark.browser


def test_client_presses_help_and_the_counselors_page_shows_the_alert(
    eager_celery, live_server_url, browser, browser_login, screenshot, client_a, counselor_a, seeded
):
    User.objects.filter(pk=counselor_a.pk).update(language="en")  # the counselor reads English (alerts too)
    # The session's location was confirmed earlier (set without the post_save signal, so that the
    # "no emergency plan" signal does not open an alert of its own here).
    session = make_session(client_a, counselor_a, confirmed=False)
    CounselingSession.objects.filter(pk=session.pk).update(
        location_country="ID", location_region="ID-JK", location_confirmed_at=session.created_at
    )
    # As the site's seed has it (this test's database is emptied between tests, seed included).
    Jurisdiction.objects.get_or_create(country="ID", region="ID-JK", defaults={"name": "DKI Jakarta"})

    counselor_context = browser.new_context(viewport={"width": 1200, "height": 800})
    counselor_page = counselor_context.new_page()
    browser_login(counselor_page, live_server_url, counselor_a)
    counselor_page.goto(live_server_url + "/staff/risk/")
    expect(counselor_page.get_by_text("No open alerts.")).to_be_visible()
    expect(counselor_page.locator("html")).to_have_attribute("data-alerts-connected", "1", timeout=10000)

    client_context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    client_page = client_context.new_page()
    browser_login(client_page, live_server_url, client_a)  # client_a reads Indonesian
    expect(client_page.locator("html")).to_have_attribute("data-alerts-connected", "1", timeout=10000)
    client_page.get_by_role("button", name="Saya butuh bantuan sekarang", exact=True).click()

    heading = client_page.get_by_role("heading", name="Permintaan bantuan Anda sudah sampai kepada seseorang")
    expect(heading).to_be_visible()
    expect(client_page.get_by_role("status")).to_contain_text("Seorang konselor layanan ini sudah diberi tahu")
    numbers = client_page.locator(".emergency-panel")
    expect(numbers).to_contain_text("112")
    expect(numbers).to_contain_text("119, lalu tekan 8")
    expect(numbers.locator('a[href="tel:119,8"]').first).to_be_visible()
    screenshot(client_page, "help-client-phone-id")

    alert = counselor_page.locator(".live-alert")
    expect(alert).to_contain_text("Emergency alert: Help button pressed", timeout=10000)
    screenshot(counselor_page, "help-counselor-alert")
    escalation = Escalation.objects.get(client=client_a)
    assert escalation.alerts.get(recipient=counselor_a).notified_at is not None

    alert.get_by_role("link", name="Open the alert").click()
    expect(counselor_page.get_by_role("heading", name="Help button pressed")).to_be_visible()
    expect(counselor_page.locator(".emergency-panel")).to_contain_text("DKI Jakarta (ID-JK), Indonesia")
    counselor_page.get_by_label("Note (required)").fill("Phoned the client; she is safe with her sister.")
    counselor_page.get_by_role("button", name="Acknowledge").click()
    expect(counselor_page.get_by_text("Acknowledged. The ladder has stopped.")).to_be_visible()
    screenshot(counselor_page, "help-counselor-acknowledged")

    # The client's open page hears that a person is responding.
    expect(client_page.locator(".live-alert")).to_contain_text("Seseorang sudah melihat permintaan Anda", timeout=10000)
    screenshot(client_page, "help-client-acknowledged-phone-id")
    escalation.refresh_from_db()
    assert escalation.state == EscalationState.ACKNOWLEDGED

    # The same pages on a phone: the queue and the client's erasure page.
    counselor_page.set_viewport_size({"width": 390, "height": 844})
    counselor_page.goto(live_server_url + "/staff/risk/")
    expect(counselor_page.get_by_role("link", name="Help button pressed")).to_be_visible()
    screenshot(counselor_page, "risk-queue-phone")
    client_page.get_by_role("link", name="Hapus data saya").click()
    expect(client_page.get_by_role("heading", name="Hapus data saya")).to_be_visible()
    screenshot(client_page, "erasure-request-phone-id")
    client_context.close()
    counselor_context.close()


def test_a_second_press_while_the_alert_is_open_shows_the_counselor_a_new_alert(
    eager_celery, live_server_url, browser, browser_login, screenshot, client_a, counselor_a, seeded
):
    User.objects.filter(pk=counselor_a.pk).update(language="en")  # the counselor reads English (alerts too)
    # The second press used to reach nobody while the client read "a person has been alerted".
    make_session(client_a, counselor_a, confirmed=False)
    counselor_context = browser.new_context(viewport={"width": 1200, "height": 800})
    counselor_page = counselor_context.new_page()
    browser_login(counselor_page, live_server_url, counselor_a)
    counselor_page.goto(live_server_url + "/staff/risk/")
    expect(counselor_page.locator("html")).to_have_attribute("data-alerts-connected", "1", timeout=10000)

    client_context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    client_page = client_context.new_page()
    browser_login(client_page, live_server_url, client_a)  # client_a reads Indonesian
    help_button = client_page.get_by_role("button", name="Saya butuh bantuan sekarang", exact=True)
    help_button.click()
    client_page.wait_for_url("**/help/sent/")
    expect(client_page.locator(".emergency-panel")).to_contain_text("112")

    alerts = counselor_page.locator(".live-alert")
    expect(alerts).to_have_count(1, timeout=10000)
    expect(alerts.first).to_contain_text("Emergency alert: Help button pressed")

    # Nobody acknowledged; the client presses again.
    help_button = client_page.get_by_role("button", name="Saya butuh bantuan sekarang", exact=True)
    help_button.click()
    client_page.wait_for_load_state()
    expect(client_page.locator(".emergency-panel")).to_contain_text("112")

    expect(alerts).to_have_count(2, timeout=10000)
    newest = alerts.first  # new cards go on top; the first alert stays below it
    expect(newest).to_contain_text("Help button pressed again by Client A")
    expect(newest).to_be_visible()
    expect(alerts.nth(1)).to_contain_text("Emergency alert: Help button pressed")
    screenshot(counselor_page, "help-counselor-second-press")

    escalation = Escalation.objects.get(client=client_a)
    assert escalation.state == EscalationState.OPEN and escalation.presses_again == 1
    assert escalation.alerts.filter(recipient=counselor_a, press=1).get().notified_at is not None

    newest.get_by_role("link", name="Open the alert").click()
    expect(counselor_page.get_by_role("heading", name="Help button pressed")).to_be_visible()
    expect(counselor_page.locator(".facts")).to_contain_text("Times the help button was pressed again")
    expect(counselor_page.locator(".timeline")).to_contain_text("Help button pressed again")
    screenshot(counselor_page, "help-counselor-second-press-detail")
    client_context.close()
    counselor_context.close()
