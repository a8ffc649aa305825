"""The licensing pages: who may open them, and what they show and do."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from counseling.models import AuditEntry
from licensing.models import Licence, LicenceState
from tests.counseling.test_identity_documents_sniffing import pdf_bytes
from tests.licensing.factories import TODAY, body, licence, place

pytestmark = pytest.mark.django_db
PDF = pdf_bytes(title="scan")


def submit_data(**extra):
    return {
        "issuing_body": body().pk,
        "kind": "str",
        "number": "STR-77",
        "jurisdiction": place("ID").pk,
        "scope": "Clinical psychology",
        "valid_from": TODAY.isoformat(),
        "expires_on": (TODAY + timedelta(days=365)).isoformat(),
        "evidence": SimpleUploadedFile("str.pdf", PDF, content_type="application/pdf"),
        **extra,
    }


# My licences (counselor).


def test_counselor_submits_a_licence_with_its_document(client, staff_login, counselor_a):
    staff_login(client, counselor_a)
    response = client.post("/licensing/mine/", submit_data(), follow=True)
    assert response.status_code == 200
    row = Licence.objects.get(counselor=counselor_a)
    assert (row.state, row.number, row.has_evidence) == (LicenceState.SUBMITTED, "STR-77", True)
    assert b"Licence submitted" in response.content
    assert b"STR-77" in response.content


def test_a_clinical_psychologist_submits_a_sippk_beside_the_str(client, staff_login, counselor_a):
    staff_login(client, counselor_a)
    assert "SIPPK (Surat Izin Praktik Psikolog Klinis" in client.get("/licensing/mine/").content.decode()
    client.post("/licensing/mine/", submit_data(kind="sippk", number="SIPPK-503/12"), follow=True)
    row = Licence.objects.get(counselor=counselor_a)
    assert (row.kind, row.number, row.state) == ("sippk", "SIPPK-503/12", LicenceState.SUBMITTED)


def test_submission_with_a_disguised_file_is_refused(client, staff_login, counselor_a):
    staff_login(client, counselor_a)
    bad = SimpleUploadedFile("str.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post("/licensing/mine/", submit_data(evidence=bad))
    assert response.status_code == 200
    assert b"PDF, PNG or JPEG" in response.content
    assert not Licence.objects.exists()


def test_expiry_before_start_is_refused(client, staff_login, counselor_a):
    staff_login(client, counselor_a)
    response = client.post("/licensing/mine/", submit_data(expires_on=(TODAY - timedelta(days=1)).isoformat()))
    assert b"expiry date must be after" in response.content
    assert not Licence.objects.exists()


def test_counselor_sees_only_their_own_licences(client, staff_login, counselor_a, counselor_b):
    licence(counselor_b, "US-TX", kind="us_lpc", number="LPC-SECRET")
    licence(counselor_a, "ID", number="STR-MINE", state=LicenceState.REJECTED)
    staff_login(client, counselor_a)
    response = client.get("/licensing/mine/")
    assert b"STR-MINE" in response.content
    assert b"LPC-SECRET" not in response.content


@pytest.mark.parametrize("who", ["client", "admin"])
def test_my_licences_is_for_counselors_only(client, staff_login, who, client_a, admin_user):
    if who == "client":
        client.force_login(client_a)
    else:
        staff_login(client, admin_user)
    assert client.get("/licensing/mine/").status_code == 403
    assert client.post("/licensing/mine/", submit_data()).status_code == 403
    assert not Licence.objects.exists()


def test_my_licences_sends_anonymous_visitors_to_login(client):
    assert client.get("/licensing/mine/")["Location"].startswith("/accounts/login/")


# Verification queue and review (admin).


def test_admin_sees_the_queue_and_verifies_with_the_check(client, staff_login, admin_user, counselor_a):
    row = licence(counselor_a, "ID", state=LicenceState.SUBMITTED, number="STR-Q1")
    staff_login(client, admin_user)
    assert b"STR-Q1" in client.get("/licensing/review/").content
    page = client.get(f"/licensing/review/{row.pk}/")
    assert b"Record the check and decide" in page.content
    response = client.post(
        f"/licensing/review/{row.pk}/",
        {
            "form": "check",
            "check-registry_reference": "https://himpsi.or.id/?q=STR-Q1",
            "check-registry_finding": "Active until 2027",
            "check-checked_at": "2026-11-25T09:30",
            "check-decision": "verify",
            "check-reason": "",
        },
        follow=True,
    )
    assert b"Licence verified" in response.content
    row.refresh_from_db()
    assert row.state == LicenceState.VERIFIED
    assert row.checks.get().checked_at.isoformat().startswith("2026-11-25T09:30")


def test_admin_rejects_with_a_reason_the_counselor_then_sees(client, staff_login, admin_user, counselor_a):
    row = licence(counselor_a, "ID", state=LicenceState.SUBMITTED)
    staff_login(client, admin_user)
    client.post(
        f"/licensing/review/{row.pk}/",
        {
            "form": "check",
            "check-registry_reference": "register search",
            "check-registry_finding": "No such number",
            "check-checked_at": "2026-11-25T09:30",
            "check-decision": "reject",
            "check-reason": "Not in the register",
        },
    )
    row.refresh_from_db()
    assert row.state == LicenceState.REJECTED
    staff_login(client, counselor_a)
    assert b"Not in the register" in client.get("/licensing/mine/").content


def test_rejecting_without_a_reason_is_refused_by_the_form(client, staff_login, admin_user, counselor_a):
    row = licence(counselor_a, "ID", state=LicenceState.SUBMITTED)
    staff_login(client, admin_user)
    client.post(
        f"/licensing/review/{row.pk}/",
        {
            "form": "check",
            "check-registry_reference": "r",
            "check-registry_finding": "f",
            "check-checked_at": "2026-11-25T09:30",
            "check-decision": "reject",
            "check-reason": "",
        },
    )
    row.refresh_from_db()
    assert row.state == LicenceState.SUBMITTED


def test_the_admin_who_submitted_a_licence_is_refused_over_http(client, staff_login, admin_user, counselor_a):
    row = licence(counselor_a, "ID", state=LicenceState.SUBMITTED, submitted_by=admin_user)
    staff_login(client, admin_user)
    page = client.get(f"/licensing/review/{row.pk}/")
    assert b"another admin must check it" in page.content
    response = client.post(
        f"/licensing/review/{row.pk}/",
        {
            "form": "check",
            "check-registry_reference": "r",
            "check-registry_finding": "f",
            "check-checked_at": "2026-11-25T09:30",
            "check-decision": "verify",
        },
        follow=True,
    )
    assert b"cannot decide on a licence you submitted" in response.content
    row.refresh_from_db()
    assert row.state == LicenceState.SUBMITTED


def test_admin_suspends_a_verified_licence(client, staff_login, admin_user, counselor_a):
    row = licence(counselor_a, "ID")
    staff_login(client, admin_user)
    client.post(
        f"/licensing/review/{row.pk}/",
        {"form": "state", "state-action": "suspend", "state-reason": "Board suspension letter"},
    )
    row.refresh_from_db()
    assert row.state == LicenceState.SUSPENDED
    assert AuditEntry.objects.filter(action="licence.suspended", actor_id=admin_user.pk).exists()


def test_admin_records_and_revokes_a_compact_privilege(client, staff_login, admin_user, counselor_b):
    from tests.licensing.factories import compact

    agreement = compact("US-CO", "US-KS")
    home = licence(counselor_b, "US-CO", kind="us_lpc")
    staff_login(client, admin_user)
    client.post(
        f"/licensing/review/{home.pk}/",
        {
            "form": "privilege",
            "privilege-agreement": agreement.pk,
            "privilege-jurisdiction": place("US-KS").pk,
            "privilege-privilege_number": "PTP-1",
        },
    )
    granted = home.privileges.get()
    assert granted.jurisdiction.code == "US-KS"
    response = client.post(
        f"/licensing/review/{home.pk}/",
        {"form": "privilege", "privilege-agreement": agreement.pk, "privilege-jurisdiction": place("US-TX").pk},
        follow=True,
    )
    assert b"must be members" in response.content
    client.post(f"/licensing/review/{home.pk}/", {"form": "revoke-privilege", "privilege_id": granted.pk})
    granted.refresh_from_db()
    assert granted.revoked_at is not None
    assert AuditEntry.objects.filter(action="licence.privilege_revoked").exists()


@pytest.mark.parametrize("path", ["/licensing/review/", "/licensing/review/{id}/"])
@pytest.mark.parametrize("who", ["client", "counselor"])
def test_the_queue_and_review_are_for_admins_only(client, staff_login, path, who, client_a, counselor_a):
    row = licence(counselor_a, "ID", state=LicenceState.SUBMITTED, number="STR-HIDDEN")
    if who == "client":
        client.force_login(client_a)
    else:
        staff_login(client, counselor_a)
    url = path.format(id=row.pk)
    response = client.get(url)
    assert response.status_code == 403
    assert b"STR-HIDDEN" not in response.content
    response = client.post(
        url,
        {
            "form": "check",
            "check-registry_reference": "r",
            "check-registry_finding": "f",
            "check-checked_at": "2026-11-25T09:30",
            "check-decision": "verify",
        },
    )
    assert response.status_code == 403
    row.refresh_from_db()
    assert row.state == LicenceState.SUBMITTED


@pytest.mark.parametrize("path", ["/licensing/review/", "/licensing/review/1/"])
def test_the_queue_and_review_send_anonymous_visitors_to_login(client, path):
    assert client.get(path)["Location"].startswith("/accounts/login/")


def test_reviewing_a_licence_that_does_not_exist_is_404(client, staff_login, admin_user):
    staff_login(client, admin_user)
    assert client.get("/licensing/review/424242/").status_code == 404
