"""WebP facts from its RIFF chunk headers, without libwebp.

Pillow's WebP plugin hands the whole file to libwebp when it opens it (and checks the
decompression-bomb limit there), so even ``Image.open`` reads every byte. A WebP is a list of
chunks, each with an 8-byte header: walking the headers (seeking over the data) gives the canvas
size, alpha, animation and frame count, and the small EXIF chunk gives the orientation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image

_MAX_EXIF_BYTES = 1 << 20
"""Read at most this much of an EXIF chunk: enough for any orientation tag."""


class WebPError(ValueError):
    """The file says it is a WebP but its chunks cannot be read."""


@dataclass(frozen=True)
class WebPHeader:
    width: int
    height: int
    has_alpha: bool
    frames: int
    orientation: int | None


def is_webp(prefix: bytes) -> bool:
    return len(prefix) >= 12 and prefix[:4] == b"RIFF" and prefix[8:12] == b"WEBP"


def read_header(fp: BinaryIO, file_size: int) -> WebPHeader:
    """Walk the chunk headers of the WebP open in ``fp``; WebPError when they don't add up."""
    fp.seek(0)
    head = fp.read(12)
    if not is_webp(head):
        raise WebPError("not a RIFF/WEBP file")
    end = min(8 + int.from_bytes(head[4:8], "little"), file_size)
    size: tuple[int, int] | None = None
    has_alpha = animated = False
    frames = 0
    orientation = None
    position = 12
    while position + 8 <= end:
        fp.seek(position)
        chunk = fp.read(8)
        fourcc, length = chunk[:4], int.from_bytes(chunk[4:8], "little")
        if position + 8 + length > file_size:
            raise WebPError(f"cut short: the {fourcc.decode('latin-1')!r} chunk ends past the file")
        if fourcc == b"VP8X":
            data = fp.read(10)
            if len(data) < 10:
                break
            has_alpha, animated = bool(data[0] & 0x10), bool(data[0] & 0x02)
            size = (
                int.from_bytes(data[4:7], "little") + 1,
                int.from_bytes(data[7:10], "little") + 1,
            )
        elif fourcc in (b"VP8 ", b"VP8L") and size is None:
            size, alpha = _bitstream_size(fourcc, fp.read(10))
            has_alpha = has_alpha or alpha
        elif fourcc == b"ALPH":
            has_alpha = True
        elif fourcc == b"ANMF":
            frames += 1
        elif fourcc == b"EXIF":
            orientation = _orientation(fp.read(min(length, _MAX_EXIF_BYTES)))
        position += 8 + length + (length & 1)  # chunks are padded to an even length
    if size is None or 0 in size:
        raise WebPError("no readable VP8, VP8L or VP8X chunk")
    return WebPHeader(
        width=size[0],
        height=size[1],
        has_alpha=has_alpha,
        frames=max(frames, 1) if animated else 1,
        orientation=orientation,
    )


def _bitstream_size(fourcc: bytes, data: bytes) -> tuple[tuple[int, int] | None, bool]:
    """Canvas size from a lossy (VP8) or lossless (VP8L) bitstream header."""
    if fourcc == b"VP8 " and len(data) >= 10 and data[3:6] == b"\x9d\x01\x2a":
        width = int.from_bytes(data[6:8], "little") & 0x3FFF
        height = int.from_bytes(data[8:10], "little") & 0x3FFF
        return (width, height), False
    if fourcc == b"VP8L" and len(data) >= 5 and data[0] == 0x2F:
        bits = int.from_bytes(data[1:5], "little")
        return ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1), bool(bits >> 28 & 1)
    return None, False


def _orientation(data: bytes) -> int | None:
    exif = Image.Exif()
    try:
        exif.load(data)  # strips an "Exif\0\0" prefix when a writer added one
        value = exif.get(0x0112)
    except Exception:  # bad EXIF never makes an image unreadable for a viewer
        return None
    return value if isinstance(value, int) and 1 <= value <= 8 else None
