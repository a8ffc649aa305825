"""What an upload is, judged by its bytes; plus the byte builders the identity tests share."""

import io
import struct
import zlib

import pytest
from PIL import Image
from pypdf import PdfWriter

from counseling.documents import JPEG, PDF, PNG, DocumentRefused, check_document, sniff


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(width: int = 800, height: int = 500, body: int = 200) -> bytes:
    """A real, decodable PNG (a pale grey card) when small; only a header when huge (a "bomb")."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    if width * height <= 4_000_000:
        pixels = zlib.compress((b"\x00" + b"\xd8" * width) * height)
    else:
        pixels = b""
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", pixels) + _chunk(b"IEND", b"") + b"\x00" * body
    )


def jpeg_bytes(width: int = 800, height: int = 500) -> bytes:
    """A real, decodable JPEG when small; only a header (a "bomb") when huge."""
    if width * height <= 4_000_000:
        out = io.BytesIO()
        Image.new("RGB", (width, height), (216, 216, 216)).save(out, format="JPEG")
        return out.getvalue()
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof + b"\xff\xda" + b"\x00" * 100 + b"\xff\xd9"


def pdf_bytes(pages: int = 1, title: str = "") -> bytes:
    """A real PDF of blank A4 pages, as pypdf writes it; `title` is kept in its metadata as plain text."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if title:
        writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


LIMITS = {"max_bytes": 1024 * 1024, "max_pixels": 40_000_000}


def test_real_types_are_recognised_with_their_size():
    assert sniff(png_bytes(640, 480)) == sniff(png_bytes(640, 480))
    assert (sniff(png_bytes(640, 480)).content_type, sniff(png_bytes(640, 480)).width) == (PNG, 640)
    found = sniff(jpeg_bytes(1200, 900))
    assert (found.content_type, found.width, found.height) == (JPEG, 1200, 900)
    assert sniff(pdf_bytes()).content_type == PDF


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("notes.txt", b"just some text", "unsupported_type"),
        ("id.jpg", b"MZ\x90\x00 an executable", "unsupported_type"),
        ("id.jpg", pdf_bytes(), "type_mismatch"),
        ("id.pdf", png_bytes(), "type_mismatch"),
        ("id", png_bytes(), "type_mismatch"),
        ("id.png", b"", "empty"),
        ("bomb.png", png_bytes(50_000, 50_000), "too_many_pixels"),
        ("bomb.jpg", jpeg_bytes(65_000, 65_000), "too_many_pixels"),
        ("broken.png", b"\x89PNG\r\n\x1a\n\x00\x00", "damaged"),
    ],
)
def test_bad_uploads_are_refused_with_a_reason(name, data, code):
    with pytest.raises(DocumentRefused) as refused:
        check_document(name=name, data=data, **LIMITS)
    assert refused.value.code == code


def test_an_oversized_file_is_refused_before_it_is_parsed():
    with pytest.raises(DocumentRefused) as refused:
        check_document(name="id.pdf", data=pdf_bytes() + b"\x00" * (1024 * 1024), **LIMITS)
    assert refused.value.code == "too_large"


def test_the_extension_may_be_upper_case_or_jpeg():
    assert check_document(name="KTP.JPEG", data=jpeg_bytes(), **LIMITS).content_type == JPEG
