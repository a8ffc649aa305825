"""The settings page in a real browser: a client changes their display name and time zone, then their password,
and the same account signed in in another browser is signed out."""

import re

import pytest
from playwright.sync_api import expect

from counseling.models import AuditEntry, User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

NEW_PASSWORD = "kopi-tubruk-pagi-hari-77"


def test_a_client_changes_name_time_zone_and_password_and_the_other_browser_is_signed_out(
    live_server_url, browser, browser_login, screenshot, client_b
):
    laptop_context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-US")
    phone_context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="en-US")
    laptop, phone = laptop_context.new_page(), phone_context.new_page()
    browser_login(phone, live_server_url, client_b)
    browser_login(laptop, live_server_url, client_b)

    laptop.get_by_role("navigation", name="Main").get_by_role("link", name="Account settings").click()
    expect(laptop.get_by_role("heading", name="Account settings", level=1)).to_be_visible()
    laptop.get_by_label("Display name or pseudonym").fill("Kenanga")
    laptop.get_by_label("Time zone", exact=True).select_option("Asia/Makassar")
    laptop.get_by_role("main").get_by_role("button", name="Save").click()
    expect(laptop.get_by_text("Your settings are saved.")).to_be_visible()
    expect(laptop.get_by_label("Display name or pseudonym")).to_have_value("Kenanga")
    expect(laptop.get_by_label("Time zone", exact=True)).to_have_value("Asia/Makassar")
    profile = User.objects.get(pk=client_b.pk).client_profile
    assert (profile.display_name, profile.time_zone) == ("Kenanga", "Asia/Makassar")

    # A wrong current password is refused where it was typed.
    laptop.get_by_label("Current password", exact=True).first.fill("not-my-password")
    laptop.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    laptop.get_by_label("New password again").fill(NEW_PASSWORD)
    laptop.get_by_role("button", name="Change password").click()
    expect(laptop.get_by_text("Your current password is not correct.")).to_be_visible()

    laptop.get_by_label("Current password", exact=True).first.fill(PASSWORD)
    laptop.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    laptop.get_by_label("New password again").fill(NEW_PASSWORD)
    laptop.get_by_role("button", name="Change password").click()
    expect(laptop.get_by_text("Your password is changed. 1 other device was signed out.")).to_be_visible()
    screenshot(laptop, "account-settings-after-password-change")

    # The other browser's next page asks it to sign in; this one stays signed in.
    phone.goto(live_server_url + "/client/")
    expect(phone).to_have_url(re.compile(r".*/accounts/login/.*"))
    expect(phone.get_by_role("main").get_by_role("button", name="Sign in")).to_be_visible()
    laptop.goto(live_server_url + "/client/")
    expect(laptop.get_by_role("heading", name="Hello, Kenanga")).to_be_visible()
    assert User.objects.get(pk=client_b.pk).check_password(NEW_PASSWORD)
    assert AuditEntry.objects.filter(action="account.password_changed", actor_id=client_b.pk).get().detail == {
        "other_sessions_ended": 1
    }
    laptop_context.close()
    phone_context.close()
