"""JPEG header facts as Pillow reports them, without Pillow.

Pillow's ``JpegImageFile`` walks the markers up to the start of scan (SOS), reading every
segment; the size, the number of components (1: ``L``, 3: ``RGB``, 4: ``CMYK``) and the bit
depth come from the frame header (SOF0-15, not DHT/DAC/JPG), the EXIF orientation from APP1
(with XMP's ``tiff:Orientation`` when EXIF has none), and an APP2 MPF index makes it an MPO
(still ``jpeg``, one frame, to mediarules). Its notes come from warnings about damaged EXIF and
MPF data. :func:`read` walks the same segments from the bytes already read, and answers
``None`` ("ask Pillow") for anything it does not reproduce exactly, or that would make Pillow
warn or fail:

- a segment that runs past the file, a length under 2, junk between segments, a marker without
  a length (RSTn, SOI, EOI, TEM, JPGn) or one Pillow refuses, no SOS, or the header longer than
  :data:`~mediarules.inspection.head.MAX_HEADER_BYTES`;
- a frame header that is not 8-bit, does not hold 1, 3 or 4 components, whose component list is
  cut short, a second one (or DHP), a side of 0; a damaged quantisation table;
- an ICC_PROFILE chunk shorter than its 14-byte header, a JFIF or Adobe segment shorter than
  the fields Pillow reads, a Photoshop resource list Pillow would index past;
- more than one EXIF or MPF segment; EXIF or MPF data Pillow would warn about (values past the
  segment, a list where one value is expected), or EXIF resolution tags it would fail on;
- an MPF index Pillow would call malformed (a warning).

ICC presence, the Adobe colour transform, progressive coding and the MPF pictures are read as
Pillow reads them but change no fact ``inspect`` reports: a CMYK JPEG is ``CMYK`` whatever its
Adobe transform, an MPO is one ``jpeg`` frame.
"""

from __future__ import annotations

import struct
from typing import Final

from mediarules.inspection import exif
from mediarules.inspection.head import Head, Picture

__all__ = ["is_jpeg", "read"]

_SOF: Final = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7}) | frozenset(
    {0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
)
_SKIPPED: Final = frozenset({0xC4, 0xCC, 0xDC, 0xDD, 0xDF, 0xFE})  # DHT DAC DNL DRI EXP COM
_SOS: Final = 0xDA
_DQT: Final = 0xDB
_MODES: Final = {1: "L", 3: "RGB", 4: "CMYK"}

_EXIF: Final = b"Exif\x00\x00"
_XMP: Final = b"http://ns.adobe.com/xap/1.0/\x00"
_ICC: Final = b"ICC_PROFILE\x00"
_MPF: Final = b"MPF\x00"
_PHOTOSHOP: Final = b"Photoshop 3.0\x00"
_RESOLUTION_INFO: Final = 0x03ED

_RESOLUTION_UNIT: Final = 0x0128
_X_RESOLUTION: Final = 0x011A
_NUMBER_OF_IMAGES: Final = 0xB001
_MP_ENTRY: Final = 0xB002
_NUMBERS: Final = frozenset(exif.UNIT_SIZES) - {1, 2, 7}
"""Types whose single value is a number (``int``, ``float`` or a rational)."""


def is_jpeg(prefix: bytes) -> bool:
    return prefix[:3] == b"\xff\xd8\xff"


class _Segments:
    """What the walk kept: where the segments that matter are (offsets into the head)."""

    __slots__ = ("dpi", "exif", "frame", "icc_short", "mpf", "xmp")

    def __init__(self) -> None:
        self.dpi = False  # a JFIF segment gave a density in dots per inch or cm
        self.exif: list[tuple[int, int]] = []
        self.mpf: list[tuple[int, int]] = []
        self.xmp: bytes | None = None
        self.frame: tuple[int, int] | None = None
        self.icc_short = False  # an ICC_PROFILE chunk before the frame header is too short


def read(head: Head) -> Picture | None:
    """The facts Pillow reports for the JPEG whose first bytes ``head`` holds, or ``None``
    when only Pillow can tell (see the module's docstring)."""
    found = _walk(head)
    if found is None or found.frame is None or len(found.exif) > 1 or len(found.mpf) > 1:
        return None
    data = head.data
    start, end = found.frame
    if end - start < 6 or (end - start - 6) % 3 or data[start] != 8:
        return None  # cut short; a component entry cut short (IndexError); not 8-bit
    mode = _MODES.get(data[start + 5])
    height, width = struct.unpack_from(">HH", data, start + 1)
    if mode is None or not width or not height:
        return None
    orientation = _orientation(data, found)
    if isinstance(orientation, exif.Unsure):
        return None
    if found.mpf and not _quiet_mpf(data, *found.mpf[0]):
        return None
    return Picture("jpeg", width, height, mode, 1, False, orientation)


def _walk(head: Head) -> _Segments | None:
    """Walk the segments from the first marker after SOI to SOS, as ``JpegImageFile._open``."""
    found = _Segments()
    data = head.data
    held = len(data)
    position = 2  # Pillow reads FF D8 FF, then treats that last FF as a marker's first byte
    while True:
        if position + 4 > held:
            if not head.reach(position + 4):
                return None
            data, held = head.data, len(head.data)
        if data[position] != 0xFF:
            return None  # junk between segments: Pillow skips it a byte at a time
        marker = data[position + 1]
        if marker == 0xFF:
            position += 1  # a fill byte
            continue
        length = (data[position + 2] << 8) | data[position + 3]
        end = position + 2 + length
        if length < 2:
            return None  # a length Pillow reads as negative
        if end > held:
            if not head.reach(end):
                return None  # a segment past the file
            data, held = head.data, len(head.data)
        if marker in _SKIPPED:
            pass
        elif marker == _DQT:
            if not _tables_whole(data, position + 4, end):
                return None
        elif marker in _SOF:
            if found.frame is not None or found.icc_short:
                return None  # a second frame header; Pillow fails on a short ICC chunk
            found.frame = (position + 4, end)
        elif marker == _SOS:
            return found
        elif 0xE0 <= marker <= 0xEF:
            if not _application(data, marker, position + 4, end, found):
                return None
        else:
            return None  # DHP, markers without a length, and those Pillow refuses
        position = end


def _application(data: bytes, marker: int, start: int, end: int, found: _Segments) -> bool:
    """Record an APPn segment as ``JpegImagePlugin.APP`` does; ``False`` where Pillow would
    fail on it."""
    if marker == 0xE0:
        if data.startswith(b"JFIF", start, end):
            if end - start < 7:
                return False  # i16(s, 5) raises
            if end - start >= 12 and data[start + 7] in (1, 2):
                found.dpi = True
    elif marker == 0xE1:
        if data.startswith(_EXIF, start, end):
            found.exif.append((start, end))
        elif data.startswith(_XMP, start, end):
            found.xmp = data[start + len(_XMP) : end]
    elif marker == 0xE2:
        if data.startswith(_ICC, start, end):
            if end - start < 14 and found.frame is None:
                found.icc_short = True  # Pillow indexes byte 13 at the frame header
        elif data.startswith(_MPF, start, end):
            found.mpf.append((start + len(_MPF), end))
    elif marker == 0xED:
        if data.startswith(_PHOTOSHOP, start, end):
            return _photoshop_readable(data[start:end])
    elif marker == 0xEE and data.startswith(b"Adobe", start, end) and end - start < 7:
        return False  # i16(s, 5) raises
    return True


def _photoshop_readable(s: bytes) -> bool:
    """Whether Pillow's walk over the Photoshop image resources ends without an IndexError
    (it stops quietly where its struct reads run short)."""
    offset = 14
    size_of = len(s)
    while s[offset : offset + 4] == b"8BIM":
        offset += 4
        if offset + 2 > size_of:
            return True  # i16 runs short: struct.error, caught
        code = (s[offset] << 8) | s[offset + 1]
        offset += 2
        if offset >= size_of:
            return False  # s[offset] raises IndexError, which Pillow does not catch
        offset += 1 + s[offset]
        offset += offset & 1
        if offset + 4 > size_of:
            return True
        (size,) = struct.unpack_from(">I", s, offset)
        offset += 4
        if code == _RESOLUTION_INFO and len(s[offset : offset + size]) < 14:
            return True  # its fields run short: struct.error, caught
        offset += size
        offset += offset & 1
    return True


def _tables_whole(data: bytes, start: int, end: int) -> bool:
    """Whether every quantisation table in a DQT segment is whole (else Pillow raises)."""
    if end - start == 65 and data[start] < 16:
        return True  # one 8-bit table, as most encoders write it
    while start < end:
        start += 65 if data[start] < 16 else 129
        if start > end:
            return False
    return True


def _orientation(data: bytes, found: _Segments) -> int | exif.Unsure | None:
    """The orientation Pillow reports (``getexif``, read once for the DPI when JFIF gave
    none); :data:`~mediarules.inspection.exif.UNSURE` where it would warn or fail."""
    if not found.exif:
        return exif.xmp_orientation(found.xmp)
    start, end = found.exif[0]
    if not found.dpi:  # _read_dpi_from_exif reads two more tags first
        tags = exif.exif_entries(data, start, end)
        if isinstance(tags, exif.Unsure):
            return exif.UNSURE
        if tags and not _resolution_readable(tags[1]):
            return exif.UNSURE
    return exif.orientation_of(data, start, end, found.xmp)


def _resolution_readable(entries: dict[int, exif.Entry]) -> bool:
    """Whether Pillow's DPI-from-EXIF reads ResolutionUnit and XResolution without a warning
    or an exception it does not catch (an IndexError on text of one character)."""
    unit = entries.get(_RESOLUTION_UNIT)
    if unit is None:
        return True  # KeyError: caught, and XResolution is not read
    if not exif.decodes_quietly(unit):
        return False
    resolution = entries.get(_X_RESOLUTION)
    return resolution is None or (resolution[1] == 1 and resolution[0] in _NUMBERS)


def _quiet_mpf(data: bytes, start: int, end: int) -> bool:
    """Whether Pillow reads the MPF index in ``data[start:end]`` without a warning ("malformed
    MPO file" or about its TIFF structure). MPO or plain JPEG, the facts are the same."""
    magic = data[start : start + 4]
    if end - start < 8 or magic not in (b"II*\x00", b"MM\x00*"):
        return False
    tags = exif.read_ifd0(data, start, end)
    if isinstance(tags, exif.Unsure):
        return False
    order, entries = tags
    if not all(exif.decodes_quietly(entry) for entry in entries.values()):
        return False
    count_entry, pictures = entries.get(_NUMBER_OF_IMAGES), entries.get(_MP_ENTRY)
    if count_entry is None or pictures is None or pictures[0] not in (1, 7):
        return False  # KeyError (malformed), or a list Pillow fails on without a warning
    count = exif.int_value(data, order, count_entry)
    if count is None:
        return False
    _kind, length, where = pictures
    if count > 0 and length < 16 * count:
        return False  # an MP entry cut short: "malformed"
    listed = data[where : where + 16 * max(count, 0)]
    # Each picture must be a JPEG (format bits 0), or Pillow calls the index malformed.
    return not any(
        attribute >> 24 & 7 for (attribute,) in struct.iter_unpack(order + "L12x", listed)
    )
