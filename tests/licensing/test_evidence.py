"""The licence document: sealed under the counselor's key, opened only by admins, every view audited."""

from datetime import timedelta

import pytest

from counseling.crypto import data_key_destroy, open_sealed
from counseling.models import AuditEntry
from licensing.models import Licence
from licensing.services import LicenceError, licence_submit
from tests.counseling.test_identity_documents_sniffing import pdf_bytes
from tests.licensing.factories import TODAY, body, place

pytestmark = pytest.mark.django_db
PDF = pdf_bytes(title="STR no 0099/2026 Sari Wulandari")


@pytest.fixture
def with_evidence(counselor_a):
    return licence_submit(
        counselor=counselor_a,
        submitted_by=counselor_a,
        issuing_body=body(),
        kind="str",
        number="0099",
        jurisdiction=place("ID"),
        scope="",
        valid_from=TODAY,
        expires_on=TODAY + timedelta(days=30),
        evidence=PDF,
        evidence_filename="../str scan.pdf",
    )


def test_the_document_is_stored_encrypted_under_the_counselors_key(with_evidence, counselor_a):
    stored = bytes(Licence.objects.get(pk=with_evidence.pk).evidence_sealed)
    assert b"Sari" not in stored and b"%PDF" not in stored
    assert open_sealed(owner_id=counselor_a.pk, sealed=stored, context=with_evidence.evidence_context) == PDF
    assert with_evidence.evidence_filename == "str scan.pdf"
    assert with_evidence.evidence_content_type == "application/pdf"


def test_a_document_that_is_not_pdf_png_or_jpeg_is_refused(counselor_a):
    with pytest.raises(LicenceError):
        licence_submit(
            counselor=counselor_a,
            submitted_by=counselor_a,
            issuing_body=body(),
            kind="str",
            number="1",
            jurisdiction=place("ID"),
            scope="",
            valid_from=TODAY,
            expires_on=TODAY,
            evidence=b"<html><script>alert(1)</script>",
            evidence_filename="x.pdf",
        )
    assert not Licence.objects.exists()


def test_admin_opens_the_document_and_the_view_is_audited(client, staff_login, admin_user, with_evidence):
    staff_login(client, admin_user)
    response = client.get(f"/licensing/review/{with_evidence.pk}/evidence/")
    assert response.status_code == 200
    assert response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    entry = AuditEntry.objects.get(action="licence.evidence_viewed")
    assert (entry.actor_id, entry.target_id) == (admin_user.pk, str(with_evidence.pk))


@pytest.mark.parametrize("who", ["counselor", "other_counselor", "client"])
def test_nobody_but_an_admin_opens_the_document(
    client, staff_login, who, with_evidence, counselor_a, counselor_b, client_a
):
    user = {"counselor": counselor_a, "other_counselor": counselor_b, "client": client_a}[who]
    if who == "client":
        client.force_login(user)
    else:
        staff_login(client, user)
    response = client.get(f"/licensing/review/{with_evidence.pk}/evidence/")
    assert response.status_code == 403
    assert PDF not in response.content
    assert not AuditEntry.objects.filter(action="licence.evidence_viewed").exists()


def test_anonymous_visitors_are_sent_to_login_for_the_document(client, with_evidence):
    response = client.get(f"/licensing/review/{with_evidence.pk}/evidence/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_shredded_counselor_key_makes_the_document_unreadable_not_an_error_page(
    client, staff_login, admin_user, with_evidence, counselor_a
):
    data_key_destroy(owner_id=counselor_a.pk)
    staff_login(client, admin_user)
    response = client.get(f"/licensing/review/{with_evidence.pk}/evidence/", follow=True)
    assert response.status_code == 200
    assert PDF not in response.content
    assert b"cannot be opened" in response.content


def test_a_licence_without_a_document_has_nothing_to_open(client, staff_login, admin_user, counselor_a):
    from tests.licensing.factories import licence

    row = licence(counselor_a, "ID")
    staff_login(client, admin_user)
    assert client.get(f"/licensing/review/{row.pk}/evidence/").status_code == 404
    assert client.get("/licensing/review/999999/evidence/").status_code == 404


@pytest.mark.parametrize(
    "name,data,message",
    [
        (
            "scan.png",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + (100_000).to_bytes(4, "big") * 2 + b"\x08\x02\x00\x00\x00",
            "too many pixels",
        ),
        (
            "scan.pdf",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + (10).to_bytes(4, "big") * 2 + b"\x08\x02\x00\x00\x00",
            "does not match its name",
        ),
    ],
)
def test_an_image_bomb_or_a_misnamed_file_is_refused_before_anything_decodes_it(counselor_a, name, data, message):
    with pytest.raises(LicenceError, match=message):
        licence_submit(
            counselor=counselor_a,
            submitted_by=counselor_a,
            issuing_body=body(),
            kind="str",
            number="1",
            jurisdiction=place("ID"),
            scope="",
            valid_from=TODAY,
            expires_on=TODAY,
            evidence=data,
            evidence_filename=name,
        )
    assert not Licence.objects.exists()


def test_a_non_numeric_privilege_id_is_a_bad_request_not_an_error(client, staff_login, admin_user, counselor_a):
    from tests.licensing.factories import licence

    row = licence(counselor_a, "ID")
    staff_login(client, admin_user)
    response = client.post(f"/licensing/review/{row.pk}/", {"form": "revoke-privilege", "privilege_id": "<b>1"})
    assert response.status_code == 400  # counseling.parameters.int_param: a clear 400 page (issue 21), never a 500
