"""An admin publishes a new consent version after reading its diff; the client must accept it again."""

import pytest
from playwright.sync_api import expect

from consent.selectors import consent_gate, consent_version_in_force
from consent.services import consent_defaults_publish
from counseling.models import User
from tests.browser.conftest import ARTIFACTS
from tests.conftest import PASSWORD, make_client
from tests.consent.conftest import accept_current

pytestmark = pytest.mark.browser


def test_an_admin_publishes_a_new_version_with_a_diff_and_old_consent_stops_counting(
    page, live_server_url, screenshot, browser_login
):
    consent_defaults_publish()
    admin = User.objects.create_superuser(email="admin@staff.test", password=PASSWORD)
    client = make_client("ayu@clients.test", "Ayu", language="id")
    accept_current(client, language="id")
    assert consent_gate(client=client)

    browser_login(page, live_server_url, admin)
    page.goto(live_server_url + "/consent/manage/")
    page.get_by_label("Language of the new version").select_option("id")
    page.get_by_role("button", name="Start a draft").click()
    expect(page.get_by_role("heading", name="Consent version 2 (Bahasa Indonesia)")).to_be_visible()

    page.get_by_label("Text: Social media").fill("")
    page.get_by_role("button", name="Save and publish").click()
    expect(page.get_by_text("Cannot publish: these required sections are empty: “Social media”.")).to_be_visible()

    page.get_by_label("Text: Social media").fill(
        "Konselor tidak akan berteman, mengikuti, atau mengirim pesan kepada Anda di media sosial."
    )
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".diff-add").first).to_contain_text("Konselor tidak akan berteman")
    screenshot(page, "consent-admin-draft-diff")
    page.locator(".diff-add").first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "consent-admin-draft-diff-view.png"))
    page.get_by_role("button", name="Save and publish").click()
    expect(page.get_by_text("Version 2 (id) is published.")).to_be_visible()

    assert consent_version_in_force(language="id").number == 2
    result = consent_gate(client=client)
    assert not result and result.reason == "consent_outdated"

    page.goto(live_server_url + "/consent/manage/")
    screenshot(page, "consent-admin-versions")
