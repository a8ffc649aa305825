"""Outcome measures end to end: a client fills in the PHQ-9 on a phone before their session, an item 9 answer
shows them the emergency numbers at once and alerts their counselor, and the counselor sees the scores charted;
the counselor writes a treatment plan goal, shares it, and the client reads it."""
# ruff: noqa: F811  (pytest fixtures imported from test_escalation_support are used as arguments)

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from clinical.models import MeasureResponse
from clinical.services_measures import measure_schedule_set, measure_submit
from counseling import clock
from counseling.models import User
from crisis.models import Escalation, EscalationKind
from sessions.models import CounselingSession
from tests.counseling.test_escalation_support import eager_celery  # noqa: F401

pytestmark = pytest.mark.browser


def _book(client, counselor, *, in_hours: float):
    at = clock.now() + timedelta(hours=in_hours)
    return CounselingSession.objects.create(
        client=client, counselor=counselor, starts_at=at, ends_at=at + timedelta(minutes=50), state="scheduled"
    )


def test_client_fills_in_the_phq9_and_the_counselor_sees_the_chart(
    eager_celery, live_server_url, browser, browser_login, screenshot, client_a, counselor_a, seeded
):
    User.objects.filter(pk=counselor_a.pk).update(language="en")
    _book(client_a, counselor_a, in_hours=24)
    phq9 = measure_schedule_set(counselor=counselor_a, client=client_a, instrument="phq9", cadence="before_session")
    gad7 = measure_schedule_set(counselor=counselor_a, client=client_a, instrument="gad7", cadence="before_session")
    # Two earlier answers, weeks ago, so the chart has a line to draw.
    for weeks, answers in ((6, [3, 3, 2, 2, 2, 2, 1, 1, 0]), (3, [2, 2, 2, 1, 1, 1, 1, 0, 0])):
        response, _score = measure_submit(client=client_a, schedule=phq9, answers=answers, language="id")
        MeasureResponse.objects.filter(pk=response.pk).update(submitted_at=clock.now() - timedelta(weeks=weeks))
    for weeks, answers in ((6, [2, 2, 2, 2, 2, 1, 1]), (3, [1, 1, 2, 1, 1, 1, 0])):
        response, _score = measure_submit(client=client_a, schedule=gad7, answers=answers, language="id")
        MeasureResponse.objects.filter(pk=response.pk).update(submitted_at=clock.now() - timedelta(weeks=weeks))

    client_context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    client_page = client_context.new_page()
    browser_login(client_page, live_server_url, client_a)  # client_a reads Indonesian: the Indonesian wording
    due = client_page.locator("#measures-due")
    expect(due).to_be_visible()
    due.get_by_role("link", name="PHQ-9").click()
    expect(client_page.get_by_text("Kurang berminat atau bergairah dalam melakukan apapun")).to_be_visible()
    for number, value in enumerate([1, 1, 1, 0, 1, 0, 1, 0, 1], start=1):
        client_page.locator(f'input[name="item_{number}"][value="{value}"]').check()
    screenshot(client_page, "measure-phq9-form-phone-id")
    client_page.locator("form.measure-form button[type=submit]").click()

    # Item 9 answered "several days": the numbers at once, and a person is alerted.
    expect(client_page.locator("#measure-safety")).to_be_visible()
    expect(client_page.locator(".emergency-panel")).to_contain_text("112")
    screenshot(client_page, "measure-phq9-item9-help-phone-id")
    escalation = Escalation.objects.get(client=client_a)
    assert escalation.kind == EscalationKind.PHQ9_ITEM9
    assert escalation.alerts.get(recipient=counselor_a).notified_at is not None

    counselor_context = browser.new_context(viewport={"width": 1200, "height": 900})
    counselor_page = counselor_context.new_page()
    browser_login(counselor_page, live_server_url, counselor_a)
    counselor_page.goto(f"{live_server_url}/staff/risk/{escalation.pk}/")
    expect(counselor_page.get_by_text("PHQ-9 item 9 answered 1")).to_be_visible()
    screenshot(counselor_page, "measure-phq9-item9-alert")
    counselor_page.get_by_role("link", name="See the client's measures").click()

    chart = counselor_page.locator('svg[data-instrument="phq9"]')
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("data-points", "3")
    expect(chart.locator("circle.point")).to_have_count(3)
    expect(chart.locator("rect.band")).to_have_count(5)
    expect(counselor_page.locator('svg[data-instrument="gad7"] circle.point')).to_have_count(2)
    expect(counselor_page.locator("figcaption").first).to_contain_text("the latest is 6 (mild)")
    # The band colours come from the stylesheet (an inline style would be blocked by the CSP).
    fill = chart.locator("rect.band-severe").evaluate("el => getComputedStyle(el).fill")
    assert fill not in ("", "none", "rgb(0, 0, 0)")
    screenshot(counselor_page, "measure-chart-counselor")
    client_context.close()
    counselor_context.close()


def test_counselor_writes_a_plan_goal_shares_it_and_the_client_reads_it(
    live_server_url, browser, browser_login, screenshot, client_a, counselor_a, seeded
):
    User.objects.filter(pk=counselor_a.pk).update(language="en")
    _book(client_a, counselor_a, in_hours=48)
    counselor_context = browser.new_context(viewport={"width": 1200, "height": 900})
    counselor_page = counselor_context.new_page()
    browser_login(counselor_page, live_server_url, counselor_a)
    counselor_page.goto(f"{live_server_url}/clinical/clients/{client_a.pk}/plan/")
    counselor_page.get_by_role("textbox", name="Goal", exact=True).fill("Sleep at least six hours on most nights")
    counselor_page.get_by_label("Target date").first.fill("2027-03-01")
    counselor_page.get_by_role("button", name="Add goal").click()
    expect(counselor_page.get_by_text("Sleep at least six hours on most nights")).to_be_visible()
    counselor_page.get_by_role("button", name="Share the plan with the client").click()
    expect(counselor_page.get_by_text("The client can see the plan now.")).to_be_visible()
    screenshot(counselor_page, "plan-counselor")

    client_context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    client_page = client_context.new_page()
    browser_login(client_page, live_server_url, client_a)
    client_page.goto(f"{live_server_url}/clinical/plan/")
    expect(client_page.get_by_text("Sleep at least six hours on most nights")).to_be_visible()
    screenshot(client_page, "plan-client-phone")
    client_context.close()
    counselor_context.close()
