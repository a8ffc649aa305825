"""A new client asks for a first session, the counselor accepts it from the caseload, the client sees it confirmed
and cancels."""

import re

import pytest
from playwright.sync_api import expect

from counseling.gates import GateResult
from sessions.models import CounselingSession
from sessions.selectors import next_free_slot
from sessions.services import session_book
from tests.counseling.test_identity_gate import verified
from tests.counseling.test_intake import complete_intake
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
    # A first session with a counselor is a request: it holds the time until the counselor answers.
    expect(page.get_by_text("Your request was sent.")).to_be_visible()
    expect(page.locator("#request-waiting")).to_be_visible()
    expect(page.locator(".session-summary")).to_contain_text("Asia/Jakarta")
    expect(page.locator(".session-summary")).to_contain_text("America/Chicago")
    screenshot(page, "booking-requested")
    session = CounselingSession.objects.get()
    assert session.state == "requested" and session.client == client_b

    # The counselor sees the request on the caseload, reads the intake and the screen, and accepts.
    staff = browser.new_context(viewport={"width": 1100, "height": 800})
    counselor_page = staff.new_page()
    browser_login(counselor_page, served, counselor_a)
    counselor_page.goto(served + "/counselor/")
    requests = counselor_page.locator("#pending-requests")
    expect(requests).to_contain_text("Client B")
    screenshot(counselor_page, "booking-request-on-caseload")
    requests.get_by_role("link", name="Client B").click()
    expect(counselor_page.get_by_role("heading", name="Intake summary")).to_be_visible()
    screenshot(counselor_page, "booking-request-page")
    counselor_page.get_by_role("button", name="Accept the client").click()
    expect(counselor_page.get_by_text("You accepted the client.")).to_be_visible()
    session.refresh_from_db()
    assert session.state == "scheduled"

    # The client sees the confirmed session.
    page.reload()
    expect(page.locator(".session-summary")).to_contain_text("Scheduled")
    expect(page.locator("#request-waiting")).to_have_count(0)
    screenshot(page, "booking-confirmed")

    # The counselor sees the client and the session in the caseload.
    counselor_page.goto(served + "/counselor/")
    expect(counselor_page.locator("#pending-requests")).to_have_count(0)
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


def test_counselor_reads_a_failed_screen_and_declines_with_a_referral_and_the_client_is_told_kindly(
    served, page, browser, client_b, counselor_a, admin_user, browser_login, screenshot, monkeypatch
):
    """The real identity gate: client B's screen did not pass. Their intake page links to the fix (a request); the
    counselor sees "screen not passed", and declines with a referral; the client reads why, kindly, with the way on."""
    for name in ("consent_gate", "jurisdiction_gate"):
        monkeypatch.setattr(f"sessions.selectors.{name}", lambda **kw: GateResult.ok())
    complete_intake(client_b, suitable_private=False)
    verified(client_b, admin_user)
    work_every_day(counselor_a)
    session = session_book(client=client_b, counselor=counselor_a, starts_at=next_free_slot(counselor=counselor_a))
    assert session.state == "requested" and not session.booking_request.screen_passed

    browser_login(page, served, client_b)
    page.goto(served + "/intake/")
    expect(page.locator("#screen-next")).to_be_visible()
    expect(page.get_by_role("link", name="Send a counselor a request")).to_be_visible()
    screenshot(page, "request-screen-refusal-links-to-its-fix")

    staff = browser.new_context(viewport={"width": 1100, "height": 800})
    counselor_page = staff.new_page()
    browser_login(counselor_page, served, counselor_a)
    counselor_page.goto(served + f"/sessions/requests/{session.pk}/")
    expect(counselor_page.locator("#screen-not-passed")).to_be_visible()
    expect(counselor_page.get_by_role("button", name="Accept the client")).to_have_count(0)
    screenshot(counselor_page, "request-screen-not-passed")
    counselor_page.get_by_label("Face-to-face care suits the client better").check()
    counselor_page.get_by_label("Refer to (service, place, contact), optional").fill("Puskesmas Gondokusuman")
    counselor_page.get_by_label("Why this referral (the client sees it)").fill("A private room is not possible now.")
    counselor_page.get_by_role("button", name="Decline the request").click()
    expect(counselor_page.get_by_text("You declined the request.")).to_be_visible()
    staff.close()

    page.goto(served + f"/sessions/{session.pk}/")
    told = page.locator("#request-told")
    expect(told).to_contain_text("face-to-face care would help you better now")
    expect(told).to_contain_text("This says nothing against you.")
    expect(page.get_by_role("link", name="Find another counselor")).to_have_attribute("href", "/licensing/counselors/")
    screenshot(page, "request-declined-client")
    page.goto(served + "/client/")
    expect(page.locator(".referral")).to_contain_text("Puskesmas Gondokusuman")
