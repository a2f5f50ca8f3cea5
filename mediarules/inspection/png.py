"""PNG header facts as Pillow reports them, without Pillow.

Pillow's ``PngImageFile`` reads the chunks before the first IDAT, checking each one's CRC: the
size, bit depth and colour type (``IHDR``) give the mode, ``tRNS`` (or any chunk that puts
``transparency`` in ``info``) makes it transparent, ``acTL`` counts an animation's frames (one
more when the IDAT picture is not the first frame), and the orientation comes from an
``eXIf`` chunk, EXIF in text chunks, or XMP. :func:`read` walks the same chunks from the bytes
already read, and answers ``None`` ("ask Pillow") for anything it does not reproduce exactly, or
that would make Pillow warn or fail:

- a chunk (or its CRC) past the file, a bad CRC, a name that is not four letters or digits,
  ``IHDR`` not first or not alone, a bit depth and colour type pair Pillow has no mode for, a
  filter method other than 0, a side of 0; ``IEND`` or ``fdAT`` before any ``IDAT``;
- chunks shorter than the fields Pillow reads (``tRNS``, ``gAMA``, ``cHRM``, ``sRGB``,
  ``pHYs``, ``acTL``, ``fcTL``), an ``iCCP`` or compressed text that Pillow would refuse (an
  unknown compression method, more than 1 MiB once inflated), APNG chunks out of sequence or
  outside the canvas, a second ``acTL`` or an invalid frame count (both warn);
- EXIF data Pillow would warn about (see :mod:`~mediarules.inspection.exif`), the header
  longer than :data:`~mediarules.inspection.head.MAX_HEADER_BYTES`, or Pillow's module
  settings changed from their defaults (``LOAD_TRUNCATED_IMAGES``, the text limits).

The ICC profile itself, the palette, gamma, chromaticity and density change no fact ``inspect``
reports: they are checked only as far as Pillow would fail on them.
"""

from __future__ import annotations

import re
import struct
import sys
import zlib
from typing import Final

from mediarules.inspection import exif
from mediarules.inspection.head import Head, Picture, pillow_setting

__all__ = ["is_png", "read"]

SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"

MODES: Final = {
    (1, 0): "1",
    (2, 0): "L",
    (4, 0): "L",
    (8, 0): "L",
    (16, 0): "I;16",
    (8, 2): "RGB",
    (16, 2): "RGB",
    (1, 3): "P",
    (2, 3): "P",
    (4, 3): "P",
    (8, 3): "P",
    (8, 4): "LA",
    (16, 4): "RGBA",  # Pillow has no 16-bit LA mode
    (8, 6): "RGBA",
    (16, 6): "RGBA",
}
"""Pillow's mode for each (bit depth, colour type) pair it reads (``PngImagePlugin._MODES``)."""

_ALPHA_MODES: Final = frozenset({"LA", "RGBA"})
_TRANSPARENCY_MODES: Final = {"1": 2, "L": 2, "I;16": 2, "RGB": 6}
"""Modes a ``tRNS`` chunk gives a transparent colour, and the bytes Pillow needs for it."""

_MIN_LENGTHS: Final = {b"gAMA": 4, b"cHRM": 32, b"sRGB": 1, b"pHYs": 9}
_TEXT_CHUNK_LIMIT: Final = 1 << 20  # PngImagePlugin.MAX_TEXT_CHUNK (ImageFile.SAFEBLOCK)
_TEXT_MEMORY_LIMIT: Final = 64 << 20  # PngImagePlugin.MAX_TEXT_MEMORY
_SURELY_SMALL: Final = 1000
"""Compressed bytes that cannot inflate past 1 MiB (deflate expands 1032 times at most)."""
_MAX_COMPRESSED_TEXTS: Final = 48
"""Compressed text chunks whose inflated sizes are not measured: 48 MiB at most, under
Pillow's 64 MiB for all text. More than that go to Pillow."""

_NAME: Final = re.compile(rb"\w\w\w\w")
_EXIF_KEYS: Final = frozenset({"exif", "Raw profile type exif", "XML:com.adobe.xmp", "xmp"})
"""The ``info`` keys ``getexif`` reads; ``transparency`` is the other key that matters."""
_INFO_KEYS: Final = _EXIF_KEYS | {"transparency"}
_ACTL_LIMIT: Final = 0x80000000


def is_png(prefix: bytes) -> bool:
    return prefix[:8] == SIGNATURE


def read(head: Head) -> Picture | None:
    """The facts Pillow reports for the PNG whose first bytes ``head`` holds, or ``None``
    when only Pillow can tell (see the module's docstring)."""
    if "PIL.ImageFile" in sys.modules and not _pillow_defaults():
        return None
    if not head.reach(8 + 8 + 13):
        return None
    length, name, width, height, depth, colour, _, filter_method, _ = struct.unpack_from(
        ">I4sIIBBBBB", head.data, 8
    )
    mode = MODES.get((depth, colour))
    if name != b"IHDR" or length < 13 or mode is None or filter_method or not width or not height:
        return None
    found = _Info(width, height)
    position = 8
    while True:
        if not head.reach(position + 8):
            return None
        length, name = struct.unpack_from(">I4s", head.data, position)
        if name == b"IDAT":
            break  # Pillow stops at the pixels: their CRC is not read
        end = position + 8 + length
        if not head.reach(end + 4) or not _NAME.match(name):
            return None  # the chunk or its CRC past the file; not a chunk name
        data = head.data
        if zlib.crc32(memoryview(data)[position + 4 : end]) != _crc_at(data, end):
            return None
        if name == b"IHDR" and position != 8:
            return None
        if name != b"IHDR" and not _chunk(name, data[position + 8 : end], mode, found):
            return None
        position = end + 4
    frames = 1
    if found.frames is not None:  # the IDAT picture is frame 0 only when an fcTL came first
        frames = found.frames + (0 if found.bbox else 1)
    has_alpha = mode in _ALPHA_MODES or "transparency" in found.info
    orientation = _orientation(found.info)
    if isinstance(orientation, exif.Unsure):
        return None
    return Picture("png", width, height, mode, frames, has_alpha, orientation)


def _pillow_defaults() -> bool:
    """Whether the Pillow settings this module follows have their default values."""
    return (
        pillow_setting("PIL.ImageFile", "LOAD_TRUNCATED_IMAGES", False)
        and pillow_setting("PIL.PngImagePlugin", "MAX_TEXT_CHUNK", _TEXT_CHUNK_LIMIT)
        and pillow_setting("PIL.PngImagePlugin", "MAX_TEXT_MEMORY", _TEXT_MEMORY_LIMIT)
    )


def _crc_at(data: bytes, end: int) -> int:
    value: int = struct.unpack_from(">I", data, end)[0]
    return value


class _Info:
    """What the chunks before IDAT set that makes facts, as ``PngStream`` would."""

    __slots__ = ("bbox", "canvas", "compressed", "frames", "info", "sequence")

    def __init__(self, width: int, height: int) -> None:
        self.canvas = (width, height)
        self.info: dict[str, bytes | str] = {}  # the entries of Pillow's info that matter
        self.frames: int | None = None  # acTL's count
        self.bbox = False  # an fcTL came before the IDAT
        self.sequence: int | None = None  # the last APNG sequence number
        self.compressed = 0  # compressed text chunks


def _chunk(name: bytes, s: bytes, mode: str, found: _Info) -> bool:
    """Record one chunk before IDAT as ``PngStream`` does; ``False`` where Pillow would fail
    or warn, or where this module does not follow it."""
    if name == b"tRNS":
        if mode == "P":
            found.info["transparency"] = b""  # an index or an alpha table: set either way
        elif mode in _TRANSPARENCY_MODES:
            if len(s) < _TRANSPARENCY_MODES[mode]:
                return False
            found.info["transparency"] = b""
        return True
    if name in _MIN_LENGTHS:
        return len(s) >= _MIN_LENGTHS[name]
    if name == b"iCCP":
        return _icc_readable(s)
    if name == b"tEXt":
        key, _, value = s.partition(b"\x00")
        return _set_text(found, key, value)
    if name == b"zTXt":
        return _ztxt(s, found)
    if name == b"iTXt":
        return _itxt(s, found)
    if name == b"eXIf":
        found.info["exif"] = b"Exif\x00\x00" + s
        return True
    if name == b"acTL":
        return _actl(s, found)
    if name == b"fcTL":
        return _fctl(s, found)
    return name not in (b"IEND", b"fdAT")  # the end, or frame data, before any IDAT


def _set_text(found: _Info, key: bytes, value: bytes) -> bool:
    """``info[key] = value`` for tEXt or zTXt text (Latin-1). A key ``exif`` or ``xmp`` is
    read by ``getexif`` in ways not followed here."""
    if key in (b"exif", b"xmp"):
        return False
    name = key.decode("latin-1")
    if name in _INFO_KEYS:
        found.info[name] = value.decode("latin-1")
    return True


def _inflate(compressed: bytes, *, needed: bool) -> tuple[bool, bytes | None]:
    """Pillow's ``_safe_zlib_decompress``: (``False``, None) where it raises ValueError
    (more than 1 MiB), (``True``, None) on a zlib error, else (``True``, the text). Data too
    short to inflate past the limit is not inflated unless ``needed`` (then b"" stands for
    the text)."""
    if not needed and len(compressed) <= _SURELY_SMALL:
        return True, b""
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(compressed, _TEXT_CHUNK_LIMIT)
    except zlib.error:
        return True, None
    return (False, None) if inflater.unconsumed_tail else (True, text)


def _icc_readable(s: bytes) -> bool:
    """``chunk_iCCP``: a name, NUL, compression method 0, then a profile that inflates to at
    most 1 MiB (a zlib error only drops the profile)."""
    i = s.find(b"\x00")
    if not s or i + 1 >= len(s) or s[i + 1] != 0:
        return False  # IndexError, or an unknown compression method
    return _inflate(s[i + 2 :], needed=False)[0]


def _ztxt(s: bytes, found: _Info) -> bool:
    key, _, value = s.partition(b"\x00")
    if value and value[0] != 0:
        return False  # an unknown compression method
    found.compressed += 1
    goes_on, text = _inflate(value[1:], needed=key.decode("latin-1") in _INFO_KEYS)
    if not goes_on or found.compressed > _MAX_COMPRESSED_TEXTS:
        return False
    return not key or _set_text(found, key, text or b"")


def _itxt(s: bytes, found: _Info) -> bool:
    key, separator, rest = s.partition(b"\x00")
    if not separator or len(rest) < 2:
        return True  # Pillow keeps nothing
    flag, method = rest[0], rest[1]
    fields = rest[2:].split(b"\x00", 2)
    if len(fields) < 3:
        return True
    language, translated, value = fields
    name = key.decode("latin-1")
    if key in (b"exif", b"xmp"):
        return False
    wanted = name in _INFO_KEYS
    if flag:
        if method:
            return True  # an unknown method: Pillow keeps nothing
        found.compressed += 1
        goes_on, inflated = _inflate(value, needed=wanted)
        if not goes_on or found.compressed > _MAX_COMPRESSED_TEXTS:
            return False
        if inflated is None:
            return True  # a zlib error: Pillow keeps nothing
        value = inflated
    if not wanted:
        return True
    if key == b"XML:com.adobe.xmp":
        found.info["xmp"] = value
    try:
        language.decode("utf-8")
        translated.decode("utf-8")
        text = value.decode("utf-8")
    except UnicodeError:
        return True
    found.info[name] = text
    return True


def _actl(s: bytes, found: _Info) -> bool:
    if len(s) < 8 or found.frames is not None:
        return False  # cut short; a second acTL (Pillow warns)
    (frames,) = struct.unpack_from(">I", s)
    if frames == 0 or frames > _ACTL_LIMIT:
        return False  # Pillow warns and reads a still image
    found.frames = frames
    return True


def _fctl(s: bytes, found: _Info) -> bool:
    """An fcTL before the IDAT: in sequence and inside the canvas, or Pillow fails."""
    if len(s) < 26:
        return False
    sequence, width, height, x, y = struct.unpack_from(">5I", s)
    expected = 0 if found.sequence is None else found.sequence + 1
    canvas_width, canvas_height = found.canvas
    if sequence != expected or x + width > canvas_width or y + height > canvas_height:
        return False
    found.sequence = sequence
    found.bbox = True
    return True


def _orientation(info: dict[str, bytes | str]) -> int | exif.Unsure | None:
    """What ``Image.Image.getexif`` gives for these ``info`` entries (PNG uses the base
    method, which reads no chunk after the pixels); an exception there is no orientation."""
    if _EXIF_KEYS.isdisjoint(info):
        return None
    data = info.get("exif")
    raw = info.get("Raw profile type exif")
    if data is None and isinstance(raw, str):
        try:
            data = bytes.fromhex("".join(raw.split("\n")[3:]))
        except ValueError:
            return None
    xmp = info.get("XML:com.adobe.xmp") or info.get("xmp")
    if data is None:
        return exif.xmp_orientation(xmp)
    assert isinstance(data, bytes)
    return exif.orientation_of(data, 0, len(data), xmp)
