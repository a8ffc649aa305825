"""ID documents: checked by content, sealed, reviewed by admins only, every view audited, destroyed."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from counseling.models import AuditEntry
from identity import tasks as identity_tasks
from identity.models import IdentityDocument, IdentityDocumentStatus
from identity.selectors import identity_status_for
from identity.services import identity_document_review, identity_document_upload, identity_documents_destroy
from tests.counseling.test_identity_documents_sniffing import jpeg_bytes, pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db


def upload(client, name: str, data: bytes, content_type: str = "image/png"):
    return client.post(
        reverse("intake:identity_upload"), {"document": SimpleUploadedFile(name, data, content_type=content_type)}
    )


@pytest.fixture
def document(client_a):
    return identity_document_upload(client=client_a, name="ktp.png", data=png_bytes(body=4000))


def test_a_client_uploads_an_id_photo_and_sees_it_waiting(client, client_a):
    client.force_login(client_a)
    response = upload(client, "ktp.jpg", jpeg_bytes(), "image/jpeg")
    assert response.status_code == 302
    document = IdentityDocument.objects.get(client=client_a)
    assert document.content_type == "image/jpeg" and document.status == IdentityDocumentStatus.PENDING
    assert b"Waiting for review" in client.get(reverse("intake:home")).content


def test_the_stored_document_is_encrypted(client_a):
    data = pdf_bytes() + b"NIK 3174011703940002 AYU LESTARI"
    document = identity_document_upload(client=client_a, name="ktp.pdf", data=data)
    with connection.cursor() as cursor:
        cursor.execute("SELECT content_sealed FROM counseling_identitydocument WHERE id = %s", [document.pk])
        raw = bytes(cursor.fetchone()[0])
    assert b"AYU LESTARI" not in raw and b"%PDF" not in raw


@pytest.mark.parametrize(
    ("name", "data", "content_type", "message"),
    [
        ("notes.txt", b"hello, this is text", "text/plain", b"Only photos (JPEG or PNG) and PDF"),
        ("virus.exe", b"MZ\x90\x00\x03", "application/octet-stream", b"Only photos (JPEG or PNG) and PDF"),
        ("ktp.jpg", pdf_bytes(), "image/jpeg", b"does not match its name"),
        ("ktp.pdf", png_bytes(), "application/pdf", b"does not match its name"),
        ("bomb.png", png_bytes(60_000, 60_000), "image/png", b"too many pixels"),
    ],
)
def test_bad_uploads_are_refused_with_a_clear_message_and_nothing_stored(
    client, client_a, name, data, content_type, message
):
    client.force_login(client_a)
    response = upload(client, name, data, content_type)
    assert response.status_code == 200
    assert message in response.content
    assert not IdentityDocument.objects.exists()
    assert not AuditEntry.objects.filter(action="identity_document.uploaded").exists()


@pytest.mark.parametrize("first", ["id", "en"])
def test_a_refusal_speaks_the_language_of_each_page_whichever_came_first(client, client_a, first):
    """The refusals are read when the page is made, not when the module was first imported (in the language of
    whoever loaded the URLs first: an Indonesian refusal was once shown on English pages)."""
    expected = {
        "id": "Hanya foto (JPEG atau PNG) dan berkas PDF yang diterima.",
        "en": "Only photos (JPEG or PNG) and PDF files are accepted.",
    }
    client.force_login(client_a)
    for language in (first, "id" if first == "en" else "en"):
        client_a.language = language
        client_a.save(update_fields=["language"])
        response = upload(client, "notes.txt", b"hello, this is text", "text/plain")
        assert expected[language] in response.content.decode()
    assert not IdentityDocument.objects.exists()


def test_an_oversized_upload_is_refused_and_nothing_stored(client, client_a, settings):
    settings.IDENTITY_DOCUMENT_MAX_BYTES = 10_000
    client.force_login(client_a)
    response = upload(client, "ktp.png", png_bytes(body=20_000))
    assert b"too large" in response.content
    assert not IdentityDocument.objects.exists()


def test_an_admin_sees_the_queue_and_every_view_of_the_document_is_audited(
    client, admin_user, staff_login, document, client_a
):
    staff_login(client, admin_user)
    queue = client.get(reverse("intake:review_list"))
    assert b"Client A" in queue.content
    for _ in range(2):
        response = client.get(reverse("intake:review_document", args=[document.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response.content.startswith(b"\x89PNG")
        assert "no-store" in response["Cache-Control"]
    views = AuditEntry.objects.filter(action="identity_document.viewed", target_id=str(document.pk))
    assert views.count() == 2
    assert {entry.actor_id for entry in views} == {admin_user.pk}
    assert {entry.subject_id for entry in views} == {client_a.pk}


@pytest.mark.parametrize("persona", ["client_a", "client_b", "counselor_a"])
def test_the_document_is_not_reachable_without_admin_rights(client, request, staff_login, document, persona):
    staff_login(client, request.getfixturevalue(persona))
    for name in ("intake:review_document", "intake:review_detail"):
        assert client.get(reverse(name, args=[document.pk])).status_code in (403, 404)
    assert client.get(reverse("intake:review_list")).status_code == 403
    assert not AuditEntry.objects.filter(action="identity_document.viewed").exists()


def test_the_document_is_not_reachable_anonymously_or_by_an_admin_without_second_factor(client, admin_user, document):
    response = client.get(reverse("intake:review_document", args=[document.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    client.force_login(admin_user)
    response = client.get(reverse("intake:review_document", args=[document.pk]))
    assert response.status_code == 302 and "/accounts/mfa/" in response.url
    assert not AuditEntry.objects.filter(action="identity_document.viewed").exists()


def test_a_counselor_assigned_to_the_client_still_cannot_open_the_document(
    client, counselor_a, staff_login, document, client_a
):
    from counseling.clock import now
    from sessions.models import CounselingSession

    CounselingSession.objects.create(
        client=client_a,
        counselor=counselor_a,
        starts_at=now() + timedelta(days=1),
        ends_at=now() + timedelta(days=1, hours=1),
    )
    staff_login(client, counselor_a)
    assert client.get(reverse("intake:review_document", args=[document.pk])).status_code == 403


def test_an_unknown_document_id_is_404_for_an_admin(client, admin_user, staff_login):
    staff_login(client, admin_user)
    assert client.get(reverse("intake:review_document", args=[999999])).status_code == 404


def test_the_review_page_shows_the_legal_name_and_logs_that_read(client, admin_user, staff_login, document, client_a):
    from tests.counseling.test_intake import complete_intake

    complete_intake(client_a)
    staff_login(client, admin_user)
    page = client.get(reverse("intake:review_detail", args=[document.pk]))
    assert b"Ayu Lestari Wibowo" in page.content
    assert AuditEntry.objects.filter(action="intake.viewed_for_review", subject_id=client_a.pk).exists()


def test_an_admin_rejects_with_a_reason_and_the_client_sees_it(client, admin_user, staff_login, document, client_a):
    staff_login(client, admin_user)
    response = client.post(reverse("intake:review_detail", args=[document.pk]), {"decision": "reject"})
    assert b"Say why" in response.content
    client.post(
        reverse("intake:review_detail", args=[document.pk]),
        {"decision": "reject", "reason": "The photo is blurred; the name cannot be read."},
    )
    document.refresh_from_db()
    assert document.status == IdentityDocumentStatus.REJECTED and document.reviewed_by == admin_user
    client.force_login(client_a)
    home = client.get(reverse("intake:home")).content
    assert b"The photo is blurred" in home and b"Upload an ID document" in home


def test_a_document_is_reviewed_once(admin_user, document):
    identity_document_review(document=document, reviewer=admin_user, verified=True)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        identity_document_review(document=document, reviewer=admin_user, verified=False, reason="changed my mind")
    document.refresh_from_db()
    assert document.status == IdentityDocumentStatus.VERIFIED


def test_the_document_is_destroyed_after_review_keeping_result_reviewer_and_time(
    admin_user, document, client_a, settings
):
    settings.IDENTITY_DOCUMENT_KEEP_DAYS = 0
    identity_document_review(document=document, reviewer=admin_user, verified=True)
    assert identity_tasks.identity_documents_destroy_task() == 1
    assert identity_tasks.identity_documents_destroy_task() == 0  # safe to run twice
    document.refresh_from_db()
    assert document.content_sealed is None and document.destroyed_at is not None
    assert (document.status, document.reviewed_by_id) == (IdentityDocumentStatus.VERIFIED, admin_user.pk)
    assert document.reviewed_at is not None
    assert identity_status_for(client=client_a) == IdentityDocumentStatus.VERIFIED
    assert AuditEntry.objects.filter(action="identity_document.destroyed", target_id=str(document.pk)).count() == 1


def test_the_keeping_time_is_configurable(admin_user, document, settings):
    settings.IDENTITY_DOCUMENT_KEEP_DAYS = 7
    identity_document_review(document=document, reviewer=admin_user, verified=True)
    assert identity_documents_destroy() == 0
    IdentityDocument.objects.filter(pk=document.pk).update(reviewed_at=document.reviewed_at - timedelta(days=8))
    assert identity_documents_destroy() == 1


def test_a_pending_document_is_never_destroyed_by_the_job(document):
    assert identity_documents_destroy() == 0
    document.refresh_from_db()
    assert document.content_sealed is not None


def test_the_destruction_job_is_scheduled(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "counseling.identity_tasks.identity_documents_destroy" in tasks
