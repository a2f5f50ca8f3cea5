"""WebP facts from its RIFF chunk headers, without libwebp.

Pillow's WebP plugin hands the whole file to libwebp when it opens it (and checks the
decompression-bomb limit there), so even ``Image.open`` reads every byte. A WebP is a list of
chunks, each with an 8-byte header: walking the headers (seeking over the data) gives the canvas
size, alpha, animation and frame count, and the small EXIF chunk gives the orientation.

A header alone is not an image: like libwebp, the reader wants the picture itself present and
whole, a ``VP8``/``VP8L`` chunk (after an optional ``VP8X``), or for an animation an ``ANIM``
chunk and ``ANMF`` frames that each hold one. It also refuses what libwebp refuses without
decoding: a RIFF size past the end of the file, a chunk (or its pad byte) cut short, a still
image whose size differs from the ``VP8X`` canvas.

The orientation is what Pillow's ``Exif`` reads from the ``EXIF`` chunk: read by
:mod:`~mediarules.inspection.exif` where it reproduces Pillow exactly, by Pillow (imported
then) where Pillow would warn about the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO, NamedTuple

from mediarules.inspection import exif

_MAX_EXIF_BYTES = 1 << 20
"""Read at most this much of an EXIF chunk: enough for any orientation tag."""

MAX_CHUNKS = 1 << 17
"""Top-level chunks walked in one file (an animation has one per frame)."""

_MAX_FRAME_CHUNKS = 16
"""Chunks walked inside one ``ANMF`` frame: the picture comes after at most an ``ALPH``."""

_IMAGE_CHUNKS = (b"VP8 ", b"VP8L")
_ANMF_HEADER = 16  # x, y, width - 1, height - 1, duration (3 bytes each), flags


class WebPError(ValueError):
    """The file says it is a WebP but its chunks cannot be read."""


class WebPHeader(NamedTuple):
    """What the chunk headers say (a tuple: built once a file, it is cheap)."""

    width: int
    height: int
    has_alpha: bool
    frames: int
    orientation: int | None


@dataclass
class _Chunks:
    """What the walk over the top-level chunks found."""

    canvas: tuple[int, int] | None = None  # from VP8X
    image: tuple[int, int] | None = None  # from the top-level VP8/VP8L bitstream
    animated: bool = False  # the VP8X animation flag
    has_alpha: bool = False
    anim: bool = False  # an ANIM chunk came before the frames
    frames: int = 0
    orientation: int | None = None
    chunks: int = 0
    image_chunk: bool = False  # a top-level VP8/VP8L chunk, readable or not


def is_webp(prefix: bytes) -> bool:
    return len(prefix) >= 12 and prefix[:4] == b"RIFF" and prefix[8:12] == b"WEBP"


class _Bytes:
    """The file by offset: from its first bytes when they were read already, else from the
    file object."""

    __slots__ = ("_fp", "_head")

    def __init__(self, fp: BinaryIO, head: bytes) -> None:
        self._fp = fp
        self._head = head

    def at(self, offset: int, length: int) -> bytes:
        if offset + length <= len(self._head):
            return self._head[offset : offset + length]
        self._fp.seek(offset)
        return self._fp.read(length)


def read_header(fp: BinaryIO, file_size: int, head: bytes = b"") -> WebPHeader:
    """Walk the chunk headers of the WebP open in ``fp`` (``head``: its first bytes, when
    read already); WebPError when they don't add up."""
    source = _Bytes(fp, head)
    head = source.at(0, 12)
    if not is_webp(head):
        raise WebPError("not a RIFF/WEBP file")
    end = 8 + int.from_bytes(head[4:8], "little")
    if end > file_size:
        raise WebPError(
            f"cut short: the RIFF header declares {end} bytes, the file has {file_size}"
        )
    found = _walk(source, end)
    width, height = _size(found)
    return WebPHeader(
        width=width,
        height=height,
        has_alpha=found.has_alpha,
        frames=found.frames if found.animated else 1,
        orientation=found.orientation,
    )


def _walk(source: _Bytes, end: int) -> _Chunks:
    """Read every top-level chunk header in ``[12, end)``, and the few payloads that matter."""
    found = _Chunks()
    position = 12
    while position + 8 <= end:
        if found.chunks == MAX_CHUNKS:
            raise WebPError(f"more than {MAX_CHUNKS} chunks")
        fourcc, length = _chunk_header(source.at(position, 8))
        data_end = position + 8 + length
        _check_fits(fourcc, data_end + (length & 1), end)
        _read_chunk(source, position + 8, fourcc, length, found, first=position == 12)
        found.chunks += 1
        position = data_end + (length & 1)  # chunks are padded to an even length
    return found


def _chunk_header(data: bytes) -> tuple[bytes, int]:
    return data[:4], int.from_bytes(data[4:8], "little")


def _check_fits(fourcc: bytes, chunk_end: int, end: int) -> None:
    if chunk_end > end:
        raise WebPError(f"cut short: the {_name(fourcc)} chunk ends past the file")


def _read_chunk(
    source: _Bytes, payload: int, fourcc: bytes, length: int, found: _Chunks, *, first: bool
) -> None:
    """Record what one top-level chunk (its payload at ``payload``) says."""
    if fourcc == b"VP8X" and first:
        _vp8x(source.at(payload, min(length, 10)), found)
    elif fourcc in _IMAGE_CHUNKS and not found.image_chunk:
        found.image_chunk = True
        size, alpha = _bitstream_size(fourcc, source.at(payload, min(length, 10)))
        found.image = size
        found.has_alpha = found.has_alpha or alpha
    elif fourcc == b"ALPH":
        found.has_alpha = True
    elif fourcc == b"ANIM":
        found.anim = True
    elif fourcc == b"ANMF":
        if not found.anim:
            raise WebPError("an ANMF frame comes before the ANIM chunk")
        _check_frame(source, payload, length)
        found.frames += 1
    elif fourcc == b"EXIF":
        found.orientation = _orientation(source.at(payload, min(length, _MAX_EXIF_BYTES)))


def _vp8x(data: bytes, found: _Chunks) -> None:
    if len(data) < 10:
        raise WebPError("the VP8X chunk is shorter than its 10 bytes")
    found.has_alpha, found.animated = bool(data[0] & 0x10), bool(data[0] & 0x02)
    found.canvas = (
        int.from_bytes(data[4:7], "little") + 1,
        int.from_bytes(data[7:10], "little") + 1,
    )


def _check_frame(source: _Bytes, payload: int, length: int) -> None:
    """The ``ANMF`` frame whose payload is at ``payload`` must hold a whole VP8 or VP8L
    picture."""
    if length < _ANMF_HEADER + 8:
        raise WebPError("an ANMF frame holds no picture")
    data_end = payload + length
    position = payload + _ANMF_HEADER
    for _ in range(_MAX_FRAME_CHUNKS):
        if position + 8 > data_end:
            break
        fourcc, inner = _chunk_header(source.at(position, 8))
        inner_end = position + 8 + inner
        if inner_end > data_end:
            raise WebPError(f"the {_name(fourcc)} chunk of an ANMF frame is cut short")
        if fourcc in _IMAGE_CHUNKS:
            size, _ = _bitstream_size(fourcc, source.at(position + 8, min(inner, 10)))
            if size is None or 0 in size:
                raise WebPError(f"the {_name(fourcc)} bitstream of an ANMF frame is damaged")
            return
        position = inner_end + (inner & 1)
    raise WebPError("an ANMF frame holds no VP8 or VP8L picture")


def _size(found: _Chunks) -> tuple[int, int]:
    """The canvas size, once the picture itself is known to be there."""
    if found.animated:
        if not found.anim or not found.frames:
            raise WebPError("an animated WebP with no ANIM chunk or no ANMF frame")
        size = found.canvas
    else:
        if found.image is None:
            raise WebPError(_missing_picture(found))
        if found.canvas is not None and found.canvas != found.image:
            raise WebPError(
                f"the VP8X canvas is {found.canvas[0]}x{found.canvas[1]} but the picture is "
                f"{found.image[0]}x{found.image[1]}"
            )
        size = found.image
    if size is None or 0 in size:
        raise WebPError("the picture is 0 pixels wide or high")
    return size


def _missing_picture(found: _Chunks) -> str:
    if found.image_chunk:
        return "the VP8 or VP8L bitstream header is damaged"
    if found.canvas is not None:
        return "no picture: the VP8X header is not followed by a VP8 or VP8L chunk"
    return "no VP8, VP8L or VP8X chunk"


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


def _name(fourcc: bytes) -> str:
    return repr(fourcc.decode("latin-1"))


def _orientation(data: bytes) -> int | None:
    found = exif.orientation_of(data, 0, len(data), None)  # (Exif.load reads no XMP)
    if not isinstance(found, exif.Unsure):
        return found
    from PIL import Image  # Pillow decides where it would warn: its warnings are notes

    pillow_exif = Image.Exif()
    try:
        pillow_exif.load(data)  # strips an "Exif\0\0" prefix when a writer added one
        value = pillow_exif.get(0x0112)
    except Exception:  # bad EXIF never makes an image unreadable for a viewer
        return None
    return value if isinstance(value, int) and 1 <= value <= 8 else None
