"""What is kept of an upload and how it is served (issue 21, finding 6): an image comes back without its EXIF (GPS
included), a PDF with active content, encryption, too many pages or a flate bomb is refused with a clear message,
and the admin's download is an attachment in a sandbox."""

import io
import time
import tracemalloc
import zlib

import pytest
from django.test import Client
from PIL import ExifTags, Image
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, StreamObject, TextStringObject

from counseling.crypto import open_sealed
from counseling.documents import PDF, DocumentRefused, clean_document
from identity.models import IdentityDocument
from identity.services import identity_document_upload
from licensing.models import Licence
from tests.counseling.test_identity_documents_sniffing import pdf_bytes
from tests.security.test_hostile_uploads import post_identity, post_licence

pytestmark = pytest.mark.django_db
LIMITS = {"max_bytes": 8 * 1024 * 1024, "max_pixels": 40_000_000}
GPS = {1: "S", 2: (7.0, 47.0, 5.0), 3: "E", 4: (110.0, 22.0, 9.0)}  # a street in Yogyakarta


def photo_with_gps(kind: str = "JPEG", *, orientation: int = 1) -> bytes:
    """A 60 x 30 photo whose EXIF says where it was taken (GPS), with which phone, and how to turn it."""
    exif = Image.Exif()
    exif[0x0110] = "Pixel 9 of Ayu"  # camera model
    exif[0x0112] = orientation
    exif[ExifTags.IFD.GPSInfo] = GPS
    out = io.BytesIO()
    Image.new("RGB", (60, 30), (200, 30, 30)).save(out, format=kind, exif=exif.tobytes())
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo) == GPS
    return data


def pdf_with(*, root: dict | None = None, pages: int = 1, encrypt: bool = False, stream: bytes = b"") -> bytes:
    """A PDF written by pypdf, with extra entries in its catalogue, a password, or a flate stream as page content."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    for key, value in (root or {}).items():
        writer._root_object[NameObject(key)] = value
    if stream:
        content = StreamObject()
        content._data = stream
        content[NameObject("/Filter")] = NameObject("/FlateDecode")
        writer.pages[0][NameObject("/Contents")] = writer._add_object(content)
    if encrypt:
        writer.encrypt(user_password="", owner_password="owner")  # opens without a password, but encrypted
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def javascript_action() -> DictionaryObject:
    return DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")}
    )


def flate_bomb(megabytes: int = 200) -> bytes:
    """A few hundred KB that inflate to `megabytes` MB of zeros, made without holding them."""
    deflater = zlib.compressobj(9)
    zeros = b"\x00" * (1024 * 1024)
    return b"".join(deflater.compress(zeros) for _ in range(megabytes)) + deflater.flush()


FLATE_BOMB = flate_bomb()
assert len(FLATE_BOMB) < 1024 * 1024


# Images: only the pixels are kept.


@pytest.mark.parametrize(("kind", "name"), [("JPEG", "ktp.jpg"), ("PNG", "ktp.png")])
def test_an_uploaded_photo_is_kept_without_its_exif_and_gps(client_a, kind, name):
    document = identity_document_upload(client=client_a, name=name, data=photo_with_gps(kind))
    kept = open_sealed(owner_id=client_a.pk, sealed=document.content_sealed, context=document.aad)
    image = Image.open(io.BytesIO(kept))
    assert image.format == kind and image.size == (60, 30)
    assert dict(image.getexif()) == {}
    assert b"Pixel 9 of Ayu" not in kept and b"Exif" not in kept
    assert document.size_bytes == len(kept)


def test_a_photo_taken_sideways_is_turned_upright_before_its_exif_is_dropped():
    kept = clean_document(name="ktp.jpg", data=photo_with_gps(orientation=6), **LIMITS)
    image = Image.open(io.BytesIO(kept.data))
    assert image.size == (30, 60) and dict(image.getexif()) == {}


def test_licence_evidence_photo_is_kept_without_its_gps(counselor_browser, counselor_a):
    response = post_licence(counselor_browser, "str.jpg", photo_with_gps(), "image/jpeg")
    assert response.status_code == 302
    licence = Licence.objects.get(counselor=counselor_a)
    kept = open_sealed(owner_id=counselor_a.pk, sealed=licence.evidence_sealed, context=licence.evidence_context)
    assert dict(Image.open(io.BytesIO(kept)).getexif()) == {} and b"Pixel 9 of Ayu" not in kept


def test_an_image_whose_pixels_do_not_decode_is_refused():
    header_only = photo_with_gps()[:400]
    with pytest.raises(DocumentRefused) as refused:
        clean_document(name="ktp.jpg", data=header_only, **LIMITS)
    assert refused.value.code == "damaged"


# PDFs: read by pypdf, never rendered.


def test_a_plain_pdf_is_kept_as_it_is():
    data = pdf_bytes(pages=2)
    assert clean_document(name="ktp.pdf", data=data, **LIMITS).data == data


def test_a_pdf_that_opens_at_a_page_is_accepted():
    # LibreOffice writes /OpenAction [page /XYZ ...]: a destination, which runs nothing.
    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    writer._root_object[NameObject("/OpenAction")] = ArrayObject([page.indirect_reference, NameObject("/Fit")])
    out = io.BytesIO()
    writer.write(out)
    assert clean_document(name="ktp.pdf", data=out.getvalue(), **LIMITS).content_type == PDF


@pytest.mark.parametrize(
    ("label", "data", "code"),
    [
        ("open action javascript", pdf_with(root={"/OpenAction": javascript_action()}), "pdf_active_content"),
        (
            "document-level javascript",
            pdf_with(root={"/Names": DictionaryObject({NameObject("/JavaScript"): DictionaryObject()})}),
            "pdf_active_content",
        ),
        (
            "launch action",
            pdf_with(
                root={
                    "/OpenAction": DictionaryObject(
                        {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd.exe")}
                    )
                }
            ),
            "pdf_active_content",
        ),
        ("additional actions", pdf_with(root={"/AA": DictionaryObject()}), "pdf_active_content"),
        (
            "embedded file",
            pdf_with(root={"/Names": DictionaryObject({NameObject("/EmbeddedFiles"): DictionaryObject()})}),
            "pdf_active_content",
        ),
        ("encrypted", pdf_with(encrypt=True), "pdf_encrypted"),
        ("too many pages", pdf_with(pages=21), "pdf_too_many_pages"),
        ("flate bomb", pdf_with(stream=FLATE_BOMB), "pdf_too_large"),
        ("not a pdf inside", b"%PDF-1.7\n" + b"\x00" * 500, "damaged"),
    ],
    ids=lambda value: value.replace(" ", "-") if isinstance(value, str) else "",
)
def test_a_hostile_pdf_is_refused(label, data, code):
    with pytest.raises(DocumentRefused) as refused:
        clean_document(name="ktp.pdf", data=data, **LIMITS)
    assert refused.value.code == code, label


def test_a_pdf_with_open_action_javascript_is_refused_with_a_clear_message_and_nothing_stored(client_browser):
    data = pdf_with(root={"/OpenAction": javascript_action()})
    response = post_identity(client_browser, "ktp.pdf", data, "application/pdf")
    assert response.status_code == 200
    assert b"contains scripts, automatic actions or attached files" in response.content
    assert not IdentityDocument.objects.exists()


def test_licence_evidence_with_javascript_is_refused_with_a_clear_message(counselor_browser):
    data = pdf_with(root={"/OpenAction": javascript_action()})
    response = post_licence(counselor_browser, "str.pdf", data, "application/pdf")
    assert response.status_code == 200
    assert b"contains scripts, automatic actions or attached files" in response.content
    assert not Licence.objects.exists()


def test_a_flate_bomb_is_refused_without_inflating_it_all():
    data = pdf_with(stream=FLATE_BOMB)
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(DocumentRefused) as refused:
            clean_document(name="bomb.pdf", data=data, **LIMITS)
        elapsed = time.monotonic() - started
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert refused.value.code == "pdf_too_large"
    # 200 MB would be inflated in full otherwise; the check stops at its 50 MB bound, holding 1 MB at a time.
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"
    assert elapsed < 10


def test_a_flate_bomb_upload_is_refused_with_a_message(client_browser):
    response = post_identity(client_browser, "bomb.pdf", pdf_with(stream=FLATE_BOMB), "application/pdf")
    assert response.status_code == 200
    assert b"far more data than a scan of a document" in response.content
    assert not IdentityDocument.objects.exists()


# Serving: a download, in a sandbox.


def assert_served_as_a_sandboxed_attachment(response):
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    csp = response["Content-Security-Policy"]
    assert "sandbox" in [part.strip().split(" ")[0] for part in csp.split(";")]
    assert "default-src 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("name", ["ktp.pdf", "ktp.jpg"])
def test_the_admin_downloads_an_id_document_as_a_sandboxed_attachment(client_a, admin_user, staff_login, name):
    data = pdf_bytes() if name.endswith(".pdf") else photo_with_gps()
    document = identity_document_upload(client=client_a, name=name, data=data)
    admin = staff_login(Client(), admin_user)
    assert_served_as_a_sandboxed_attachment(admin.get(f"/intake/review/{document.pk}/document/"))


def test_the_admin_downloads_licence_evidence_as_a_sandboxed_attachment(
    counselor_browser, counselor_a, admin_user, staff_login
):
    assert post_licence(counselor_browser, "str.pdf", pdf_bytes(), "application/pdf").status_code == 302
    licence = Licence.objects.get(counselor=counselor_a)
    admin = staff_login(Client(), admin_user)
    assert_served_as_a_sandboxed_attachment(admin.get(f"/licensing/review/{licence.pk}/evidence/"))


@pytest.fixture
def client_browser(client_a):
    browser = Client()
    browser.force_login(client_a)
    return browser


@pytest.fixture
def counselor_browser(counselor_a, staff_login):
    return staff_login(Client(), counselor_a)
