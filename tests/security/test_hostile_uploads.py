"""Hostile uploads to the two upload forms (a client's ID document, a counselor's licence evidence): path
tricks in file names, wrong magic bytes, a zip bomb and an image bomb (a PNG header declaring 100000x100000).

Refused uploads: a clear message on the page, never a 500, nothing stored (no document row, no licence row).
Accepted uploads with a tricky name: the stored name carries no path, and the admin's download of it works
with one clean Content-Disposition header.
"""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from identity.models import IdentityDocument
from licensing.models import Licence
from tests.counseling.test_identity_documents_sniffing import jpeg_bytes, pdf_bytes, png_bytes
from tests.licensing import factories
from tests.security.hostile import BOUNDED, changed, row_counts

pytestmark = pytest.mark.django_db


def zip_bomb() -> bytes:
    """About 20 KB that inflates to 20 MB of zeros (ten members of 2 MB)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for i in range(10):
            archive.writestr(f"layer{i}.bin", b"\x00" * 2_000_000)
    return buffer.getvalue()


ZIP_BOMB = zip_bomb()
IMAGE_BOMB = png_bytes(100_000, 100_000)  # a valid header; decoding it would need 10 gigapixels
JPEG_BOMB = jpeg_bytes(65_000, 65_000)
assert len(ZIP_BOMB) < 100_000 and IMAGE_BOMB.startswith(b"\x89PNG")

BAD = [
    ("bomb.zip", ZIP_BOMB, "application/zip"),
    ("bomb.pdf", ZIP_BOMB, "application/pdf"),
    ("bomb.png", ZIP_BOMB, "image/png"),
    ("huge.png", IMAGE_BOMB, "image/png"),
    ("huge.jpg", JPEG_BOMB, "image/jpeg"),
    ("ktp.png", b"GIF89a" + b"\x00" * 200, "image/png"),
    ("ktp.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "application/pdf"),
    ("ktp.png", b"<html><script>alert(1)</script></html>", "image/png"),
    ("ktp.jpg", b"\xff\xd8", "image/jpeg"),
    ("empty.pdf", b"", "application/pdf"),
]
TRICKY_NAMES = [
    "../../../../etc/passwd.png",
    "..\\..\\..\\windows\\ktp.png",
    "/etc/ktp.png",
    "a/b/../../ktp.png",
    "ktp.png\x00.exe",
    'k"t;p\r\nX-Evil: 1.png',
    "%2e%2e%2fktp.png",
    "ktp" + "a" * 300 + ".png",
    "<script>alert(1)</script>.png",
    "CON.png",
    ".png",
]


def post_identity(browser, name, data, content_type):
    return browser.post("/intake/identity/", {"document": SimpleUploadedFile(name, data, content_type=content_type)})


def post_licence(browser, name, data, content_type):
    return browser.post(
        "/licensing/mine/",
        {
            "issuing_body": factories.body().pk,
            "kind": "str",
            "number": "STR-99",
            "jurisdiction": factories.place("ID").pk,
            "valid_from": "2026-01-01",
            "expires_on": "2028-01-01",
            "evidence": SimpleUploadedFile(name, data, content_type=content_type),
        },
    )


@pytest.fixture
def client_browser(client_a):
    browser = Client()
    browser.force_login(client_a)
    return browser


@pytest.fixture
def counselor_browser(counselor_a, staff_login):
    return staff_login(Client(), counselor_a)


@pytest.mark.parametrize(("name", "data", "content_type"), BAD, ids=[f"{n}-{i}" for i, (n, _d, _c) in enumerate(BAD)])
def test_a_bad_id_document_is_refused_with_a_message_and_nothing_stored(client_browser, name, data, content_type):
    before = row_counts()
    response = post_identity(client_browser, name, data, content_type)
    assert response.status_code == 200
    assert b'role="alert"' in response.content
    assert not IdentityDocument.objects.exists()
    assert changed(before, row_counts()) == {}


@pytest.mark.parametrize(("name", "data", "content_type"), BAD, ids=[f"{n}-{i}" for i, (n, _d, _c) in enumerate(BAD)])
def test_bad_licence_evidence_is_refused_with_a_message_and_nothing_stored(counselor_browser, name, data, content_type):
    before = row_counts()
    response = post_licence(counselor_browser, name, data, content_type)
    assert response.status_code == 200, "refused evidence must re-show the form, not store the licence"
    assert b'role="alert"' in response.content
    assert not Licence.objects.exists()
    assert changed(before, row_counts()) == {}


@BOUNDED
@given(name=st.one_of(st.sampled_from(TRICKY_NAMES), st.text(min_size=1, max_size=40).map(lambda s: s + ".png")))
def test_path_tricks_in_an_id_document_name_never_reach_a_path(client_browser, client_a, name):
    response = post_identity(client_browser, name, png_bytes(), "image/png")
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert b'role="alert"' in response.content
    IdentityDocument.objects.filter(client=client_a).delete()


@BOUNDED
@given(name=st.sampled_from(TRICKY_NAMES))
def test_path_tricks_in_a_licence_evidence_name_are_stored_without_a_path_and_download_cleanly(
    counselor_browser, counselor_a, admin_user, staff_login, name
):
    response = post_licence(counselor_browser, name, pdf_bytes(), "application/pdf")
    assert response.status_code in (200, 302)
    licence = Licence.objects.filter(counselor=counselor_a).first()
    if response.status_code == 200:
        assert b'role="alert"' in response.content and licence is None
        return
    assert "/" not in licence.evidence_filename and "\\" not in licence.evidence_filename
    assert ".." not in licence.evidence_filename.replace("...", "")
    admin = staff_login(Client(), admin_user)
    download = admin.get(f"/licensing/review/{licence.pk}/evidence/")
    assert download.status_code == 200
    disposition = download["Content-Disposition"]
    assert "\n" not in disposition and "\r" not in disposition
    assert disposition.count("filename") == 1
    Licence.objects.filter(pk=licence.pk).delete()
