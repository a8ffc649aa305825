"""A drill, end to end: an admin starts it on the risk queue, the counselor's open page shows an alert marked
as a drill, the counselor acknowledges it, and the admin reads the report."""
# ruff: noqa: F811  (pytest fixtures imported from test_escalation_support are used as arguments)

import pytest
from playwright.sync_api import expect

from counseling.models import User
from crisis.models import Escalation, EscalationKind
from tests.counseling.test_escalation_support import eager_celery  # noqa: F401

pytestmark = pytest.mark.browser

MARK = "DRILL — no client is in danger"


def test_an_admin_starts_a_drill_and_the_counselor_sees_it_marked_and_acknowledges_it(
    eager_celery, live_server_url, browser, browser_login, screenshot, counselor_a, admin_user, seeded
):
    User.objects.filter(pk=counselor_a.pk).update(language="en")  # the counselor reads English (alerts too)
    counselor_context = browser.new_context(viewport={"width": 1200, "height": 800})
    counselor_page = counselor_context.new_page()
    browser_login(counselor_page, live_server_url, counselor_a)
    counselor_page.goto(live_server_url + "/staff/risk/")
    expect(counselor_page.locator("html")).to_have_attribute("data-alerts-connected", "1", timeout=10000)
    expect(counselor_page.locator("#drill-start")).to_have_count(0)  # counselors cannot start one

    admin_context = browser.new_context(viewport={"width": 1200, "height": 800})
    admin_page = admin_context.new_page()
    browser_login(admin_page, live_server_url, admin_user)
    admin_page.goto(live_server_url + "/staff/risk/")
    admin_page.get_by_label("Counselor on the first rung").select_option(label="Counselor A")
    admin_page.get_by_label("Minutes per rung").fill("1")
    admin_page.get_by_role("button", name="Start a drill").click()
    expect(admin_page.get_by_role("heading", name=MARK)).to_be_visible()
    screenshot(admin_page, "drill-started-admin")

    alert = counselor_page.locator(".live-alert")
    expect(alert).to_contain_text(MARK, timeout=10000)
    screenshot(counselor_page, "drill-counselor-alert")
    alert.get_by_role("link", name="Open the drill").click()
    expect(counselor_page.get_by_role("heading", name=MARK)).to_be_visible()
    counselor_page.get_by_role("button", name="Acknowledge the drill").click()
    expect(counselor_page.get_by_text("Acknowledged. The drill recorded how fast.")).to_be_visible()

    drill = Escalation.objects.get(kind=EscalationKind.DRILL)
    assert drill.client_id is None and drill.events.filter(kind="acknowledged", actor=counselor_a).exists()
    admin_page.reload()
    expect(admin_page.locator("#drill-rung-counselor")).to_contain_text("Counselor A")
    expect(admin_page.locator("#drill-rung-counselor")).not_to_contain_text("not acknowledged")
    admin_page.get_by_role("button", name="End the drill now").click()
    expect(admin_page.get_by_text("Drill ended.")).to_be_visible()
    # Ended before the other rungs were reached: no "every rung acknowledged".
    expect(admin_page.locator("#drill-rung-on_call")).to_contain_text("not reached")
    expect(admin_page.get_by_text("Every rung was rostered and acknowledged.")).to_have_count(0)
    screenshot(admin_page, "drill-report-admin")
    admin_context.close()
    counselor_context.close()
