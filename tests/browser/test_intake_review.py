"""Staff in a real browser: the second factor after the password, then the identity review queue."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_counselor_signs_in_with_password_and_authenticator_code(
    page, live_server_url, browser_login, counselor_a, screenshot
):
    browser_login(page, live_server_url, counselor_a)
    assert "/accounts/mfa/" not in page.url
    expect(page.get_by_role("link", name="Caseload")).to_be_visible()
    screenshot(page, "counselor-after-mfa")
