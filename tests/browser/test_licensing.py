"""Browser: an admin verifies a licence; a client sees who may counsel them where they are."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from counseling.clock import now
from licensing.models import Licence, LicenceState
from licensing.services import licence_submit
from tests.conftest import make_counselor
from tests.counseling.test_identity_documents_sniffing import pdf_bytes
from tests.licensing.factories import body, licence, place

pytestmark = pytest.mark.browser
PDF = pdf_bytes(title="scan")


def test_admin_verifies_a_submitted_licence_against_the_register(
    page, live_server_url, screenshot, browser_login, admin_user, counselor_a
):
    today = now().date()
    submitted = licence_submit(
        counselor=counselor_a,
        submitted_by=counselor_a,
        issuing_body=body(),
        kind="str",
        number="STR-PK 3471-2023-000777",
        jurisdiction=place("ID", "Indonesia"),
        scope="Clinical psychology",
        valid_from=today - timedelta(days=30),
        expires_on=today + timedelta(days=700),
        evidence=PDF,
        evidence_filename="str.pdf",
    )
    browser_login(page, live_server_url, admin_user)
    page.get_by_role("link", name="Licence verification").click()
    expect(page.get_by_role("heading", name="Waiting for verification")).to_be_visible()
    expect(page.get_by_text("STR-PK 3471-2023-000777")).to_be_visible()
    screenshot(page, "licensing-queue")
    page.get_by_role("link", name="Review", exact=True).click()
    expect(page.get_by_role("link", name="Open the document")).to_be_visible()
    page.get_by_label("Register reference or link checked").fill("https://himpsi.or.id/ search STR-PK 3471-2023-000777")
    page.get_by_label("What the register said").fill("Active; name Counselor A; valid until 2028")
    page.get_by_label("Decision").select_option("verify")
    screenshot(page, "licensing-review")
    page.get_by_role("button", name="Record the check and decide").click()
    expect(page.get_by_text("Licence verified.")).to_be_visible()
    screenshot(page, "licensing-verified")
    submitted.refresh_from_db()
    assert submitted.state == LicenceState.VERIFIED
    assert submitted.decided_by_id == admin_user.pk
    assert submitted.checks.get().registry_finding.startswith("Active")


def test_client_sees_only_counselors_eligible_where_they_are(
    page, live_server_url, screenshot, browser_login, client_a, counselor_a, counselor_b
):
    place("ID", "Indonesia")
    place("ID-JK", "DKI Jakarta")
    place("US", "United States")
    place("US-TX", "Texas")
    licence(counselor_a, "ID", number="STR-A")
    licence(counselor_a, "ID-JK", kind="sippk", number="SIPPK-A")  # the practice permit beside the STR
    licence(
        counselor_b,
        "US-TX",
        kind="us_lpc",
        number="LPC-B",
        issuing_body=body("Texas Behavioral Health Executive Council", "US", "https://bhec.texas.gov/"),
    )
    pending = make_counselor("pending@staff.test", "Pending Counselor")
    licence(pending, "ID", state=LicenceState.SUBMITTED, number="STR-P")

    profile = client_a.client_profile
    profile.preferred_language = "en"  # the page in English first, then switched to Indonesian below
    profile.save(update_fields=["preferred_language"])
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, live_server_url, client_a)
    page.get_by_role("link", name="Counselors").click()
    page.get_by_label("Where are you now?").select_option("ID-JK")
    page.get_by_role("button", name="Show who can counsel me there").click()
    expect(page.locator("#location-status")).to_contain_text("DKI Jakarta")
    card_a = page.locator(f'[data-counselor="{counselor_a.pk}"]')
    card_b = page.locator(f'[data-counselor="{counselor_b.pk}"]')
    expect(card_a).to_contain_text("Available where you are")
    expect(card_a.get_by_role("link", name="View profile and book")).to_be_visible()
    expect(card_b).to_contain_text("Not available where you are")
    expect(card_b).to_contain_text("holds no licence for the place where you are")
    expect(card_b.get_by_role("link", name="View profile and book")).to_have_count(0)
    expect(page.get_by_text("Pending Counselor")).to_have_count(0)
    screenshot(page, "licensing-directory-client-phone")

    card_b.get_by_role("link", name="Counselor B").click()
    expect(page.locator("#eligibility")).to_contain_text("Not available where you are")
    expect(page.get_by_role("link", name="Texas Behavioral Health Executive Council")).to_be_visible()
    screenshot(page, "licensing-profile-not-available-phone")

    page.get_by_role("link", name="All counselors").click()
    page.get_by_label("Language", exact=True).select_option("id")  # the header's switcher
    expect(page.locator(f'[data-counselor="{counselor_a.pk}"]')).to_contain_text("Tersedia di tempat Anda")
    expect(page.locator(f'[data-counselor="{counselor_b.pk}"]')).to_contain_text("Tidak tersedia di tempat Anda")
    screenshot(page, "licensing-directory-client-phone-id")
    assert Licence.objects.count() == 4


def test_counselor_submits_a_licence_with_its_scan_on_a_phone(
    page, live_server_url, screenshot, browser_login, counselor_a, tmp_path
):
    body()
    place("ID", "Indonesia")
    place("ID-YO", "DI Yogyakarta")
    scan = tmp_path / "silp.pdf"
    scan.write_bytes(PDF)
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, live_server_url, counselor_a)
    page.get_by_role("link", name="My licences").click()
    page.get_by_label("Issuing body").select_option(label="Himpunan Psikologi Indonesia (HIMPSI)")
    page.get_by_label("Kind of licence").select_option("silp")
    page.get_by_label("Licence number").fill("SILP 503/0456/2024")
    page.get_by_label("Where it allows you to practise").select_option(label="DI Yogyakarta (ID-YO)")
    page.get_by_label("Valid from").fill("2026-01-01")
    page.get_by_label("Expires on").fill("2029-12-31")
    page.get_by_label("Scan or PDF of the licence").set_input_files(str(scan))
    page.get_by_role("button", name="Submit for verification").click()
    expect(page.get_by_text("Licence submitted.")).to_be_visible()
    expect(page.get_by_text("Submitted, awaiting verification")).to_be_visible()
    screenshot(page, "licensing-my-licences-phone")
    row = Licence.objects.get(counselor=counselor_a)
    assert (row.state, row.jurisdiction.code, row.has_evidence) == (LicenceState.SUBMITTED, "ID-YO", True)
