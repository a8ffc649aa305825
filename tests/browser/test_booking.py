"""A client books a session, the counselor sees it in the caseload, the client cancels."""

import re

import pytest
from playwright.sync_api import expect

from sessions.models import CounselingSession
from tests.sessions.booking_support import open_gates, work_every_day

pytestmark = pytest.mark.browser


@pytest.fixture
def served(client_b, counselor_a, live_server_url):
    """The live server is a forked process: the gates are opened before it starts, so it inherits them."""
    return live_server_url


@pytest.fixture
def gates_open(monkeypatch, db):
    open_gates(monkeypatch)


def test_client_books_counselor_sees_it_client_cancels(
    gates_open, served, page, browser, client_b, counselor_a, browser_login, screenshot
):
    # Client B reads English and lives in Chicago; Counselor A works in Jakarta.
    work_every_day(counselor_a)

    # The client books the first free time.
    browser_login(page, served, client_b)
    page.goto(served + "/client/")
    expect(page.get_by_role("heading", name="I need help now")).to_be_visible()
    page.get_by_role("link", name="Book a session").first.click()
    page.get_by_role("link", name="See times with Counselor A").click()
    expect(page.get_by_text("different time zones")).to_be_visible()
    screenshot(page, "booking-slots")
    page.locator("button.slot").first.click()
    expect(page.get_by_text("Your session is booked.")).to_be_visible()
    expect(page.locator(".session-summary")).to_contain_text("Asia/Jakarta")
    expect(page.locator(".session-summary")).to_contain_text("America/Chicago")
    screenshot(page, "booking-confirmed")
    session = CounselingSession.objects.get()
    assert session.state == "scheduled" and session.client == client_b

    # The counselor sees the client and the session in the caseload.
    staff = browser.new_context(viewport={"width": 1100, "height": 800})
    counselor_page = staff.new_page()
    browser_login(counselor_page, served, counselor_a)
    counselor_page.goto(served + "/counselor/")
    row = counselor_page.locator("tr.caseload-row", has_text="Client B")
    expect(row).to_be_visible()
    expect(row.get_by_role("link", name=re.compile(r"\d{2}:\d{2}"))).to_be_visible()
    screenshot(counselor_page, "booking-caseload")

    # The client cancels; the session is cancelled and the caseload no longer shows a next session.
    page.goto(served + f"/sessions/{session.pk}/")
    page.get_by_label("I have a schedule conflict").check()
    page.get_by_role("button", name="Cancel this session").click()
    expect(page.get_by_text("The session was cancelled.")).to_be_visible()
    screenshot(page, "booking-cancelled")
    session.refresh_from_db()
    assert session.state == "cancelled" and session.cancel_reason == "schedule_conflict"
    counselor_page.reload()
    expect(
        counselor_page.locator("tr.caseload-row", has_text="Client B").get_by_role(
            "link", name=re.compile(r"\d{2}:\d{2}")
        )
    ).to_have_count(0)
    staff.close()


def test_client_dashboard_and_slots_fit_a_phone(
    gates_open, served, page, client_b, counselor_a, browser_login, screenshot
):
    work_every_day(counselor_a)
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, served, client_b)
    page.goto(served + "/client/")
    expect(page.get_by_role("heading", name="I need help now")).to_be_visible()
    screenshot(page, "booking-client-home-phone")
    page.goto(served + f"/sessions/book/{counselor_a.pk}/")
    expect(page.locator("button.slot").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "booking-slots-phone")
