"""An admin sees which emergency numbers need checking, confirms one against its source, and it goes live."""

import pytest
from playwright.sync_api import expect

from counseling.models import AuditEntry
from identity.models import EmergencyResource
from identity.numbers import emergency_numbers_for

pytestmark = pytest.mark.browser


def test_an_admin_confirms_an_unchecked_regional_line_from_the_staff_dashboard(
    page, live_server_url, browser_login, admin_user, screenshot, seeded
):
    jakcare = EmergencyResource.objects.get(region="ID-JK", number="08001500119")
    assert jakcare not in emergency_numbers_for(country="ID", region="ID-JK")

    browser_login(page, live_server_url, admin_user)
    page.goto(live_server_url + "/staff/")
    to_check = page.locator("tr.number-to-check", has_text="JakCare")
    expect(to_check).to_contain_text("never (not shown to clients)")
    screenshot(page, "staff-numbers-to-check")

    to_check.get_by_role("link", name="Check and confirm").click()
    page.get_by_label("I checked this number against its official source today").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()

    assert jakcare in emergency_numbers_for(country="ID", region="ID-JK")
    assert AuditEntry.objects.filter(
        action="emergency_number.confirmed", target_id=str(jakcare.pk), actor_id=admin_user.pk
    ).exists()
    page.goto(live_server_url + "/staff/")
    expect(page.locator("tr.number-to-check", has_text="JakCare")).to_have_count(0)
