"""Browser: a counselor applies by themselves, an admin verifies a licence, and clients can find them (issue 20)."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from counseling.clock import now
from counseling.models import User
from licensing.models import LicenceState
from tests.conftest import current_totp_token
from tests.counseling.test_identity_documents_sniffing import jpeg_bytes, pdf_bytes
from tests.licensing.factories import body, place

pytestmark = pytest.mark.browser

PASSWORD = "teh-manis-hangat-sore"


@pytest.fixture
def mail_dir(settings, tmp_path):
    """The server writes its e-mails here (the file backend): the test reads them as a person reads a mailbox.
    Requested before live_server_url, so the server process starts with these settings."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    return Path(settings.EMAIL_FILE_PATH)


def link_in_mail(mail_dir: Path, prefix: str) -> str:
    text = "\n".join(path.read_text() for path in sorted(mail_dir.glob("*.log")))
    found = re.findall(r"https?://[^/\s]+(" + re.escape(prefix) + r"[^\s]+)", text)
    assert found, f"no {prefix} link in the mails: {text[:500]}"
    return found[-1]


def test_a_counselor_applies_and_appears_once_an_admin_verifies_a_licence(
    mail_dir, page, live_server_url, screenshot, browser_login, admin_user, tmp_path
):
    place("ID", "Indonesia")
    body()  # HIMPSI, the issuing body the licence names
    photo = tmp_path / "portrait.jpg"
    photo.write_bytes(jpeg_bytes(900, 900))
    scan = tmp_path / "str.pdf"
    scan.write_bytes(pdf_bytes(title="STR scan"))

    # 1. Apply.
    page.goto(live_server_url + "/")
    page.get_by_role("link", name="Apply as a counselor").click()
    page.get_by_label("E-mail address").fill("dewi@counselors.test")
    page.get_by_label("Professional name").fill("Dewi Lestari, M.Psi.")
    page.get_by_label("Professional title").fill("Psikolog Klinis")
    page.get_by_label("Physical location of practice").fill("Bandung, Indonesia")
    page.get_by_label("Country of practice").fill("ID")
    page.get_by_label("Language of your pages and e-mails").select_option("en")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    screenshot(page, "counselor-apply")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()

    # 2. The link from the e-mail.
    page.goto(live_server_url + link_in_mail(mail_dir, "/accounts/verify-email/"))
    page.get_by_role("button", name="Confirm my e-mail address").click()
    expect(page.get_by_text("Your e-mail address is confirmed.")).to_be_visible()

    # 3. Sign in: the second factor is set up first.
    page.get_by_label("E-mail address").fill("dewi@counselors.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/mfa/setup/**")
    counselor = User.objects.get(email="dewi@counselors.test")
    device = TOTPDevice.objects.get(user=counselor, confirmed=False)
    page.get_by_label("Authentication code").fill(current_totp_token(device))
    page.get_by_role("main").get_by_role("button", name="Confirm").click()
    page.get_by_role("link", name="I have saved them, continue").click()
    expect(page.get_by_text("Clients cannot find you yet.")).to_be_visible()

    # 4. The profile, with a photo.
    page.get_by_role("link", name="Your profile").first.click()
    page.get_by_label("About you").fill("Ten years with adolescents and families in West Java.")
    page.get_by_label("Basa Sunda").check()
    page.get_by_label("Specialities").fill("anxiety, grief, family")
    page.get_by_label("Your approach").fill("Cognitive behavioural therapy and person-centred work.")
    page.get_by_label("Photo (optional)").set_input_files(str(photo))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    expect(page.get_by_alt_text("Your photo")).to_be_visible()
    screenshot(page, "counselor-profile")

    # 5. A licence with its scan.
    page.get_by_role("link", name="My licences").click()
    today = now().date()
    page.get_by_label("Issuing body").select_option(label="Himpunan Psikologi Indonesia (HIMPSI)")
    page.get_by_label("Kind of licence").select_option("str")
    page.get_by_label("Licence number").fill("STR-PK 3273-2025-000123")
    page.get_by_label("Where it allows you to practise").select_option(label="Indonesia (ID)")
    page.get_by_label("Valid from").fill((today - timedelta(days=30)).isoformat())
    page.get_by_label("Expires on").fill((today + timedelta(days=700)).isoformat())
    page.get_by_label("Scan or PDF of the licence").set_input_files(str(scan))
    page.get_by_role("button", name="Submit for verification").click()
    expect(page.get_by_text("Licence submitted.")).to_be_visible()
    page.goto(live_server_url + "/licensing/application/")
    expect(page.get_by_text("A licence waits for an admin's review")).to_be_visible()
    screenshot(page, "counselor-application-checklist")
    page.goto(live_server_url + "/licensing/counselors/")
    expect(page.get_by_text("Dewi Lestari")).to_have_count(0)
    page.get_by_role("button", name="Sign out").click()

    # 6. An admin finds the application in the queue and verifies the licence.
    browser_login(page, live_server_url, admin_user)
    page.get_by_role("link", name="Counselor applications").click()
    row = page.locator(f'[data-counselor="{counselor.pk}"]')
    expect(row).to_contain_text("Dewi Lestari, M.Psi.")
    expect(row).to_contain_text("A licence waits for an admin's review")
    screenshot(page, "counselor-applications-queue")
    row.get_by_role("link", name=re.compile("STR-PK 3273-2025-000123")).click()
    page.get_by_label("Register reference or link checked").fill("https://himpsi.or.id/ STR-PK 3273-2025-000123")
    page.get_by_label("What the register said").fill("Active; Dewi Lestari; valid until 2027")
    page.get_by_label("Decision").select_option("verify")
    page.get_by_role("button", name="Record the check and decide").click()
    expect(page.get_by_text("Licence verified.")).to_be_visible()
    assert counselor.licences.get().state == LicenceState.VERIFIED
    page.get_by_role("button", name="Sign out").click()

    # 7. Anyone now finds the counselor in the directory, with the profile they wrote.
    page.goto(live_server_url + "/licensing/counselors/")
    expect(page.locator(f'[data-counselor="{counselor.pk}"]')).to_contain_text("Dewi Lestari, M.Psi.")
    screenshot(page, "counselor-in-directory")
    page.locator(f'[data-counselor="{counselor.pk}"]').get_by_role("link", name="Dewi Lestari, M.Psi.").click()
    expect(page.get_by_alt_text("Photo of Dewi Lestari, M.Psi.")).to_be_visible()
    expect(page.get_by_text("anxiety, grief, family")).to_be_visible()
    expect(page.get_by_text("Basa Sunda")).to_be_visible()
    screenshot(page, "counselor-public-profile")
