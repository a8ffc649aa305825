"""A new client follows only the links the site shows, from the home page to a booked session with the location
confirmed: sign up, consent, intake, ID document (an admin approves it through the service), book a counselor
(the terms with this counselor's details first), a time (a request the counselor accepts), confirm where they
are."""

from datetime import time, timedelta

import pytest
from playwright.sync_api import expect

from counseling.clock import now
from counseling.email_verification import email_verification_path
from counseling.models import User
from identity.models import IdentityDocument
from identity.services import identity_document_review
from sessions.models import CounselingSession
from sessions.services import session_request_accept
from tests.counseling.test_identity_documents_sniffing import png_bytes
from tests.licensing.factories import licensed_in_indonesia
from tests.sessions.booking_support import work_every_day

pytestmark = pytest.mark.browser


@pytest.fixture
def counselor_ready(seeded, counselor_a):
    """Counselor A, licensed in Indonesia, works every hour of every day (a free time within a few hours)."""
    licensed_in_indonesia(counselor_a, valid_from=now().date() - timedelta(days=30))
    work_every_day(counselor_a, start=time(0, 0), end=time(23, 0))
    return counselor_a


def _next_step(page, key: str):
    box = page.locator(f'[data-next-step="{key}"]')
    expect(box).to_be_visible()
    return box


def _accept_all_terms(page):
    boxes = page.get_by_role("checkbox")
    for index in range(boxes.count()):
        boxes.nth(index).check()
    page.get_by_role("button", name="I accept these terms").click()


def test_a_new_client_follows_the_links_from_the_home_page_to_a_booked_session_with_the_location_confirmed(
    counselor_ready, admin_user, live_server_url, page, screenshot, tmp_path
):
    page.set_viewport_size({"width": 1000, "height": 900})
    page.goto(live_server_url + "/")
    page.get_by_role("link", name="Create account").first.click()
    page.get_by_label("E-mail address").fill("dewi@clients.test")
    page.get_by_label("Display name or pseudonym").fill("Dewi")
    page.get_by_label("Password", exact=True).fill("teh-manis-hangat-sore")
    page.get_by_label("Password again").fill("teh-manis-hangat-sore")
    page.get_by_label("Preferred language").select_option("en")
    page.get_by_role("button", name="Create account").click()
    # The address is confirmed first, from the link the e-mail carries; then the client signs in.
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    client = User.objects.get(email="dewi@clients.test")
    page.goto(live_server_url + email_verification_path(user=client))
    page.get_by_role("button", name="Confirm my e-mail address").click()
    expect(page.get_by_text("Your e-mail address is confirmed.")).to_be_visible()
    page.get_by_label("E-mail address").fill("dewi@clients.test")
    page.get_by_label("Password").fill("teh-manis-hangat-sore")
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Hello, Dewi")).to_be_visible()

    # 1. Consent, from the next step on the home page, and back home.
    screenshot(page, "guided-1-consent-step")
    _next_step(page, "consent").get_by_role("link").click()
    _accept_all_terms(page)

    # 2. The intake.
    screenshot(page, "guided-2-intake-step")
    _next_step(page, "intake").get_by_role("link").click()
    page.get_by_role("link", name="Fill in the intake").click()
    page.get_by_label("Legal name").fill("Dewi Kartika Sari")
    page.get_by_label("Date of birth").fill("1992-04-10")
    page.get_by_label("Your phone number").fill("+62 812 5550 4321")
    page.get_by_label("Country where you usually are").select_option("ID")
    page.get_by_label("Emergency contact: name").fill("Rudi Hartono")
    page.get_by_label("Emergency contact: relation to you").fill("brother")
    page.get_by_label("Emergency contact: phone").fill("+62 813 5550 1111")
    page.get_by_label("I allow my counselor to contact this person").check()
    page.get_by_label("I can write and read messages comfortably").check()
    page.get_by_label("I can be somewhere private").check()
    page.get_by_label("I can talk in Bahasa Indonesia or English").check()
    page.get_by_label("Code word or phrase").fill("melati putih")
    page.get_by_label("Code word again").fill("melati putih")
    page.get_by_role("button", name="Save my intake").click()
    expect(page.get_by_text("Your intake is saved.")).to_be_visible()

    # 3. The ID document: from the home page's next step; an admin verifies it (through the service).
    page.get_by_role("link", name="My counseling", exact=True).click()
    _next_step(page, "identity").get_by_role("link").click()
    document = tmp_path / "ktp.png"
    document.write_bytes(png_bytes(1200, 800))
    page.get_by_label("ID document").set_input_files(str(document))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("Your document is waiting for review.")).to_be_visible()
    page.get_by_role("link", name="My counseling", exact=True).click()
    _next_step(page, "identity_review")
    screenshot(page, "guided-3-id-under-review")
    identity_document_review(document=IdentityDocument.objects.get(client=client), reviewer=admin_user, verified=True)

    # 4. Book: only Counselor A (licensed in Indonesia); first the terms with their details, then a time.
    page.reload()
    _next_step(page, "book").get_by_role("link").click()
    card = page.locator(f'[data-counselor="{counselor_ready.pk}"]')
    expect(card).to_contain_text("Counselor A")
    screenshot(page, "guided-4-booking-list")
    card.get_by_role("link", name="Read and accept the terms with this counselor's details").click()
    expect(page.get_by_text("Counselor A").first).to_be_visible()
    _accept_all_terms(page)
    expect(page.get_by_role("heading", name="Choose a time with Counselor A")).to_be_visible()
    expect(page.locator("[data-refusal]")).to_have_count(0)
    screenshot(page, "guided-5-times")
    page.locator("button.slot").first.click()
    expect(page.get_by_text("Your request was sent.")).to_be_visible()
    session = CounselingSession.objects.get(client=client)
    assert session.starts_at - now() < timedelta(hours=24) and session.state == "requested"

    # A first session is a request: the home page says it waits; the counselor accepts it (through the service).
    page.get_by_role("link", name="My counseling", exact=True).click()
    _next_step(page, "request_waiting").get_by_role("link").click()
    expect(page.locator("#request-waiting")).to_be_visible()
    screenshot(page, "guided-6-request-waiting")
    session_request_accept(session=session, counselor=counselor_ready)
    page.reload()

    # 5. The location for this session, from the session page's link.
    screenshot(page, "guided-6-session-page")
    page.locator('[data-location-status="needed"]').get_by_role(
        "link", name="Confirm where you are for this session"
    ).click()
    page.get_by_label("Country where you are now").select_option("ID")
    page.get_by_role("button", name="Confirm my location").click()
    expect(page.get_by_text("Your location for this session is confirmed.")).to_be_visible()
    expect(page.locator('[data-location-status="current"]')).to_be_visible()
    session.refresh_from_db()
    assert session.location_country == "ID" and session.location_confirmed_at is not None

    # The home page's next step is now joining the session.
    page.get_by_role("link", name="My counseling", exact=True).click()
    expect(page.locator('[data-next-step="join"], [data-next-step="join_later"]')).to_be_visible()
    screenshot(page, "guided-7-ready-to-join")
