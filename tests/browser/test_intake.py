"""The intake in a real browser: a client fills it in (on a phone-sized screen), uploads an ID
document, and an admin (password + authenticator code) verifies it in the review queue."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from counseling.clock import now
from identity.models import IdentityDocument, Intake
from tests.counseling.test_identity_documents_sniffing import png_bytes

pytestmark = pytest.mark.browser


def accept_consent(client_user, language="en"):
    from consent.models import ELEMENT_KEYS
    from consent.rendering import consent_render
    from consent.selectors import consent_version_in_force
    from consent.services import consent_accept

    version = consent_version_in_force(language=language)
    rendered = consent_render(version=version, counselor=None)
    consent_accept(
        client=client_user,
        version=version,
        counselor=None,
        shown_sha256=rendered.sha256,
        acknowledged=list(ELEMENT_KEYS),
    )


def test_a_client_completes_the_intake_and_an_admin_verifies_the_id(
    page, live_server_url, browser_login, client_b, counselor_b, admin_user, screenshot, tmp_path, browser, seeded
):
    from sessions.models import CounselingSession

    accept_consent(client_b)
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, live_server_url, client_b)
    page.get_by_role("link", name="Intake and identity").first.click()
    expect(page.get_by_role("heading", name="Intake and identity", exact=True)).to_be_visible()
    page.get_by_role("link", name="Fill in the intake").click()

    expect(page.locator("#guardian-fields")).to_be_hidden()  # shown only for minors
    page.get_by_label("Legal name").fill("Maya Ortiz Hernandez")
    page.get_by_label("Date of birth").fill("1990-06-01")
    page.get_by_label("Your phone number").fill("+1 512 555 0101")
    page.get_by_label("Country where you usually are").select_option("US")
    page.get_by_label("Province or state (optional)").fill("US-TX")
    # The emergency numbers follow the country picked: US numbers now, no longer Indonesia's.
    expect(page.locator('[data-emergency-places] a[href="tel:911"]')).to_be_visible()
    expect(page.locator('[data-emergency-places] a[href="tel:112"]')).to_be_hidden()
    page.get_by_label("Emergency contact: name").fill("Luis Ortiz")
    page.get_by_label("Emergency contact: relation to you").fill("husband")
    page.get_by_label("Emergency contact: phone").fill("+1 512 555 0199")
    page.get_by_label("I allow my counselor to contact this person").check()
    page.get_by_label("I can write and read messages comfortably").check()
    page.get_by_label("I can be somewhere private").check()
    page.get_by_label("I can talk in Bahasa Indonesia or English").check()
    page.get_by_label("Code word or phrase").fill("blue lantern")
    page.get_by_label("Code word again").fill("blue lantern")
    screenshot(page, "intake-form-phone")
    page.get_by_role("button", name="Save my intake").click()

    expect(page.get_by_text("Your intake is saved.")).to_be_visible()
    assert Intake.objects.get(client=client_b).has_emergency_plan
    expect(page.get_by_text("Upload an ID document")).to_be_visible()

    document = tmp_path / "passport.png"
    document.write_bytes(png_bytes(1200, 800))
    page.get_by_role("link", name="Upload an ID document").click()
    page.get_by_label("ID document").set_input_files(str(document))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("Your document is waiting for review.")).to_be_visible()
    screenshot(page, "intake-home-phone")

    admin_context = browser.new_context(viewport={"width": 1100, "height": 900})
    admin_page = admin_context.new_page()
    browser_login(admin_page, live_server_url, admin_user)
    admin_page.get_by_role("link", name="ID review").click()
    admin_page.get_by_role("link", name="Review", exact=True).click()
    expect(admin_page.get_by_text("Maya Ortiz Hernandez")).to_be_visible()
    expect(admin_page.locator("img.identity-document")).to_be_visible()
    admin_page.get_by_label("Verify").check()
    screenshot(admin_page, "identity-review")
    admin_page.get_by_role("button", name="Save the review").click()
    expect(admin_page.get_by_text("Review saved.")).to_be_visible()
    admin_context.close()

    assert IdentityDocument.objects.get(client=client_b).status == "verified"
    session = CounselingSession.objects.create(
        client=client_b,
        counselor=counselor_b,
        starts_at=now() + timedelta(days=1),
        ends_at=now() + timedelta(days=1, minutes=50),
    )
    page.reload()
    expect(page.get_by_text("All done: you can book and start sessions.")).to_be_visible()
    screenshot(page, "intake-done-phone")

    # Before the session: the client confirms where they will be (here: travelling to Indonesia).
    page.get_by_role("link", name="Confirm where you are").click()
    expect(page.get_by_label("Province or state (optional)")).to_have_value("US-TX")  # from the intake
    page.get_by_label("Country where you are now").select_option("ID")
    page.get_by_label("Province or state (optional)").fill("ID-BA")
    expect(page.locator('[data-emergency-places] a[href="tel:112"]')).to_be_visible()
    screenshot(page, "session-location-phone")
    page.get_by_role("button", name="Confirm my location").click()
    expect(page.get_by_text("Your location for this session is confirmed.")).to_be_visible()
    session.refresh_from_db()
    assert (session.location_country, session.location_region) == ("ID", "ID-BA")

    # A session three days away, its location confirmed today (too early to count): the page says when to
    # confirm it again, and the one of tomorrow shows the confirmed place.
    later = CounselingSession.objects.create(
        client=client_b,
        counselor=counselor_b,
        starts_at=now() + timedelta(days=3),
        ends_at=now() + timedelta(days=3, minutes=50),
        location_country="ID",
        location_region="ID-BA",
        location_confirmed_at=now(),
    )
    page.goto(f"{live_server_url}/intake/")
    sessions = page.locator("ul.session-locations li")
    expect(sessions).to_have_count(2)
    # The province's name comes from the seeded jurisdictions, which this test's emptied database lacks.
    expect(sessions.nth(0).locator(".badge.ok")).to_have_text("ID-BA, Indonesia")
    expect(sessions.nth(1)).to_contain_text("confirm again from")
    expect(sessions.nth(1).locator(f'a[href$="/sessions/{later.pk}/location/"]')).to_have_count(0)
    sessions.nth(1).scroll_into_view_if_needed()
    screenshot(page, "intake-session-locations-phone")
