"""What an uploaded ID document really is, judged by its bytes, never by its name or browser type.

No image library is used: the header alone says the type and the pixel size, so a decompression
bomb (a small file that decodes to gigapixels) is refused before anything decodes it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

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
