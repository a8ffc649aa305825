import re

import pytest
from playwright.sync_api import expect

from counseling.email_verification import email_verification_path
from counseling.models import User

pytestmark = pytest.mark.browser


def test_sign_up_log_in_and_switch_to_indonesian(page, live_server_url, screenshot):
    page.goto(live_server_url + "/")
    screenshot(page, "home-en")
    page.get_by_role("link", name="Create account").first.click()
    page.get_by_label("E-mail address").fill("browser.client@example.test")
    page.get_by_label("Display name or pseudonym").fill("Melati")
    page.get_by_label("Password", exact=True).fill("teh-manis-hangat-sore")
    page.get_by_label("Password again").fill("teh-manis-hangat-sore")
    page.get_by_label("Preferred language").select_option("en")
    screenshot(page, "signup-en")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    user = User.objects.get(email="browser.client@example.test")
    # The link the e-mail carries (tests/browser/test_counselor_application.py reads it from the mailbox).
    page.goto(live_server_url + email_verification_path(user=user))
    page.get_by_role("button", name="Confirm my e-mail address").click()
    expect(page.get_by_text("Your e-mail address is confirmed.")).to_be_visible()
    page.get_by_label("E-mail address").fill("browser.client@example.test")
    page.get_by_label("Password").fill("teh-manis-hangat-sore")
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Hello, Melati")).to_be_visible()

    page.get_by_label("Language").select_option("id")
    expect(page.get_by_role("heading", name="Halo, Melati")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.get_by_role("button", name="Keluar")).to_be_visible()
    assert re.search(r"darurat", page.locator("footer").inner_text(), re.IGNORECASE)
    screenshot(page, "client-home-id")
