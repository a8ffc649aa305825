"""What an uploaded document really is, judged by its bytes, never by its name or browser type; and what is kept.

The header alone says the type and the pixel size, so a decompression bomb (a small file that decodes to
gigapixels) is refused before anything decodes it. Only then (`clean_document`):
- an image is decoded and re-encoded by Pillow, so what is kept is pixels only: no EXIF (GPS position, camera,
  time), no comments, no trailing bytes;
- a PDF is read by pypdf, never rendered, and refused when encrypted, when it carries active content (JavaScript,
  an open action, additional actions, launch, embedded files, forms that submit), when it has too many pages, or
  when its streams would decompress past a bound. The bound is checked by inflating in chunks and counting, so a
  flate bomb costs a bounded amount of memory and time.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps
from pypdf import PdfReader
from pypdf.filters import ASCII85Decode, ASCIIHexDecode
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

JPEG, PNG, PDF = "image/jpeg", "image/png", "application/pdf"
EXTENSIONS = {".jpg": JPEG, ".jpeg": JPEG, ".png": PNG, ".pdf": PDF}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers carry the image size; C4 (DHT), C8 (JPG) and CC (DAC) are not frames.
_SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


class DocumentRefused(ValueError):
    """The upload is refused; `code` is stable, the message is shown to the client by the form."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    width: int = 0
    height: int = 0


def _png_size(data: bytes) -> tuple[int, int]:
    # The first chunk must be IHDR: length(4) "IHDR" width(4) height(4).
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise DocumentRefused("damaged")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _jpeg_size(data: bytes) -> tuple[int, int]:
    pos = 2
    end = len(data)
    while pos + 4 <= end:
        if data[pos] != 0xFF:
            raise DocumentRefused("damaged")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            pos += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, or start of scan before any frame header
            break
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if length < 2:
            raise DocumentRefused("damaged")
        if marker in _SOF_MARKERS:
            if pos + 9 > end:
                break
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return width, height
        pos += 2 + length
    raise DocumentRefused("damaged")


def sniff(data: bytes) -> Sniffed:
    """The document's real type (and an image's size) from its first bytes."""
    if data.startswith(b"\xff\xd8\xff"):
        width, height = _jpeg_size(data)
        return Sniffed(JPEG, width, height)
    if data.startswith(PNG_SIGNATURE):
        width, height = _png_size(data)
        return Sniffed(PNG, width, height)
    if data.startswith(b"%PDF-"):
        return Sniffed(PDF)
    raise DocumentRefused("unsupported_type")


def check_document(*, name: str, data: bytes, max_bytes: int, max_pixels: int) -> Sniffed:
    """Accept a JPEG, PNG or PDF whose content matches its extension, within the limits; or raise."""
    if len(data) == 0:
        raise DocumentRefused("empty")
    if len(data) > max_bytes:
        raise DocumentRefused("too_large")
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    claimed = EXTENSIONS.get(extension)
    found = sniff(data)
    if claimed is None or claimed != found.content_type:
        raise DocumentRefused("type_mismatch")
    if found.content_type != PDF:
        if found.width == 0 or found.height == 0:
            raise DocumentRefused("damaged")
        if found.width * found.height > max_pixels:
            raise DocumentRefused("too_many_pixels")
    return found


# A stored document is served to be saved, never shown as a page of this site: even a file that passed every check
# runs nothing here (no script, no plugin, no form, an origin of its own) and is never taken for another type.
DOCUMENT_SANDBOX = "default-src 'none'; img-src 'self'; sandbox"


def document_response(*, data: bytes, content_type: str, filename: str) -> HttpResponse:
    """A stored upload as a download: attachment, sandboxed, never sniffed, never cached. `filename` must already
    be safe (no quotes, no line breaks); an <img> on our own page still shows an image served so."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Content-Security-Policy"] = DOCUMENT_SANDBOX
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    return response


# A PDF's limits: an ID card or a licence is a page or two; a scan of a few pages decodes to well under this.
PDF_MAX_PAGES = 20
PDF_MAX_DECODED_BYTES = 50 * 1024 * 1024
_INFLATE_CHUNK = 1024 * 1024

# Keys that make a PDF do something when opened or clicked, or carry another file (ISO 32000-1, 12.6 and 7.11).
_ACTIVE_KEYS = frozenset(
    {"/JS", "/JavaScript", "/OpenAction", "/AA", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/RichMedia", "/XFA"}
)
# Action types that run code, open another file or program, or send data away. Links (/URI, /GoTo) stay.
_ACTIVE_ACTIONS = frozenset(
    {
        "/JavaScript",
        "/Launch",
        "/SubmitForm",
        "/ImportData",
        "/GoToE",
        "/GoToR",
        "/RichMediaExecute",
        "/Rendition",
        "/Sound",
        "/Movie",
    }
)
# Image codecs: their bytes are counted as they are (the viewer decodes them; their pixel size is checked).
_IMAGE_FILTERS = frozenset({"/DCTDecode", "/JPXDecode", "/CCITTFaxDecode", "/JBIG2Decode"})
_PIL_FORMATS = {JPEG: "JPEG", PNG: "PNG"}

# What the person is told when a PDF is refused (the ID upload and the licence evidence say the same).
PDF_REFUSAL_MESSAGES = {
    "pdf_encrypted": _("The PDF is protected by a password or encrypted. Please upload a copy without a password."),
    "pdf_active_content": _(
        "The PDF contains scripts, automatic actions or attached files, which are not accepted. "
        "Please upload a photo or a plain scan of the document."
    ),
    "pdf_too_many_pages": _("The PDF has too many pages. Please upload only the pages that show the document."),
    "pdf_too_large": _("The PDF holds far more data than a scan of a document. Please upload a photo or a plain scan."),
    "pdf_unsupported": _(
        "The PDF uses a kind of compression that is not accepted here. Please upload a photo or a plain scan."
    ),
}


@dataclass(frozen=True)
class CleanDocument:
    """What is kept of an accepted upload: its real type and the bytes to store and serve."""

    content_type: str
    data: bytes


def clean_document(
    *,
    name: str,
    data: bytes,
    max_bytes: int,
    max_pixels: int,
    max_pdf_pages: int = PDF_MAX_PAGES,
    max_pdf_decoded_bytes: int = PDF_MAX_DECODED_BYTES,
) -> CleanDocument:
    """Check an upload (check_document) and return what may be kept: an image re-encoded without its metadata,
    a PDF checked as it is. Raises DocumentRefused with a code."""
    found = check_document(name=name, data=data, max_bytes=max_bytes, max_pixels=max_pixels)
    if found.content_type == PDF:
        check_pdf(data=data, max_pages=max_pdf_pages, max_decoded_bytes=max_pdf_decoded_bytes, max_pixels=max_pixels)
        return CleanDocument(PDF, data)
    return CleanDocument(found.content_type, reencode_image(data=data, content_type=found.content_type))


def reencode_image(*, data: bytes, content_type: str) -> bytes:
    """The image's pixels in a new file of the same type: EXIF (GPS included), text chunks, comments, colour
    profiles and anything after the image end are left behind. A photo is turned upright first, because the
    EXIF orientation that said how to show it is dropped too. Precondition: the header's size was checked."""
    try:
        with Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[content_type]]) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
    except Image.DecompressionBombError as error:
        raise DocumentRefused("too_many_pixels") from error
    except Exception as error:  # a hostile file can make a decoder raise almost anything; all mean "damaged"
        raise DocumentRefused("damaged") from error
    # Only the pixels go on: the new file is written from a fresh info, so nothing of the old metadata follows.
    upright.info = {}
    out = io.BytesIO()
    if content_type == JPEG:
        if upright.mode not in ("L", "RGB", "CMYK"):
            upright = upright.convert("RGB")
        upright.save(out, format="JPEG", quality=90)
    else:
        upright.save(out, format="PNG", optimize=False)
    return out.getvalue()


def check_pdf(*, data: bytes, max_pages: int, max_decoded_bytes: int, max_pixels: int) -> None:
    """Refuse a PDF that is encrypted, carries active content, has more than `max_pages` pages or whose streams
    decompress to more than `max_decoded_bytes` together. Nothing is rendered; streams are inflated in chunks
    and only counted, so a bomb stops at the bound."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise DocumentRefused("pdf_encrypted")
        budget = [max_decoded_bytes]
        _scan(reader.trailer, budget=budget, max_pixels=max_pixels)
        # Streams are never inside object streams (ISO 32000-1, 7.5.7), so every stream, object streams included,
        # is counted here before pypdf opens an object stream for the objects below.
        for obj in _objects(reader, compressed=False):
            _scan(obj, budget=budget, max_pixels=max_pixels)
        for obj in _objects(reader, compressed=True):
            _scan(obj, budget=budget, max_pixels=max_pixels)
        if len(reader.pages) > max_pages:
            raise DocumentRefused("pdf_too_many_pages")
    except DocumentRefused:
        raise
    except Exception as error:  # pypdf on a hostile file: any error means we cannot vouch for it
        raise DocumentRefused("damaged") from error


def _objects(reader: PdfReader, *, compressed: bool) -> Iterator[object]:
    if compressed:
        refs = [(number, 0) for number in reader.xref_objStm]
    else:
        refs = [(number, generation) for generation, numbers in reader.xref.items() for number in numbers]
    for number, generation in refs:
        yield reader.get_object(IndirectObject(number, generation, reader))


def _scan(root: object, *, budget: list[int], max_pixels: int) -> None:
    """Look through one object and its direct children (references are visited as objects of their own)."""
    stack = [root]
    while stack:
        obj = stack.pop()
        if isinstance(obj, DictionaryObject):
            active = _ACTIVE_KEYS.intersection(obj.keys())
            # An /OpenAction that is only a destination (where to open, as LibreOffice writes) does nothing.
            if active == {"/OpenAction"} and isinstance(obj["/OpenAction"], ArrayObject):
                active = set()
            if active or obj.get("/S") in _ACTIVE_ACTIONS or obj.get("/Type") == "/EmbeddedFile":
                raise DocumentRefused("pdf_active_content")
            if isinstance(obj, StreamObject):
                _count_stream(obj, budget=budget, max_pixels=max_pixels)
            stack.extend(obj.values())
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)


def _resolved(value: object) -> object:
    return value.get_object() if isinstance(value, IndirectObject) else value


def _count_stream(stream: StreamObject, *, budget: list[int], max_pixels: int) -> None:
    if stream.get("/Subtype") == "/Image":
        width, height = int(_resolved(stream.get("/Width", 0))), int(_resolved(stream.get("/Height", 0)))
        if width * height > max_pixels:
            raise DocumentRefused("too_many_pixels")
    filters = _resolved(stream.get("/Filter"))
    names = [str(_resolved(f)) for f in filters] if isinstance(filters, ArrayObject) else [str(filters or "")]
    names = [name for name in names if name]
    data = stream._data  # the bytes as stored, not yet decoded
    for position, name in enumerate(names):
        last = position == len(names) - 1
        if name in _IMAGE_FILTERS:
            break
        if name in ("/FlateDecode", "/Fl"):
            if last:
                _spend(budget, _inflated_size(data, budget[0]))
                return
            data = _inflate(data, budget[0])
        elif name in ("/ASCII85Decode", "/A85"):
            data = ASCII85Decode.decode(data)  # never longer than its input
        elif name in ("/ASCIIHexDecode", "/AHx"):
            data = ASCIIHexDecode.decode(data)  # half its input
        else:
            # LZW and run-length can expand 100-fold or more; scans and today's writers do not use them.
            raise DocumentRefused("pdf_unsupported")
        if isinstance(data, str):
            data = data.encode("latin-1")
    _spend(budget, len(data))


def _spend(budget: list[int], size: int) -> None:
    budget[0] -= size
    if budget[0] < 0:
        raise DocumentRefused("pdf_too_large")


def _inflated_size(data: bytes, limit: int) -> int:
    """How many bytes `data` inflates to, counted chunk by chunk; stops just past `limit`."""
    inflater = zlib.decompressobj()
    total = 0
    pending = data
    try:
        while pending and not inflater.eof:
            chunk = inflater.decompress(pending, _INFLATE_CHUNK)
            total += len(chunk)
            if total > limit:
                return total
            if not chunk and inflater.unconsumed_tail == pending:
                break
            pending = inflater.unconsumed_tail
    except zlib.error:
        pass  # a damaged stream decodes to what came before the damage; viewers show that much too
    return total


def _inflate(data: bytes, limit: int) -> bytes:
    """The inflated bytes, to feed the next filter; refused past `limit` without inflating further."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error:
        return b""
    if len(out) > limit:
        raise DocumentRefused("pdf_too_large")
    return out
