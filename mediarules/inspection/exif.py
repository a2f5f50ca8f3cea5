"""EXIF orientation as Pillow reads it, without Pillow: IFD0 walked the way
``TiffImagePlugin.ImageFileDirectory_v2.load`` walks it, and :data:`UNSURE` wherever Pillow
would warn (the warning is a note of the file's facts) or do something this module does not
reproduce. The caller then asks Pillow itself: this module never guesses.

What is reproduced (Pillow 10.4 to 13): the ``Exif\\0\\0`` prefix stripped once or twice; a
``II*\\0`` or ``MM\\0*`` header (any other header Pillow accepts is :data:`UNSURE`; one it
refuses reads as no orientation, as Pillow's exception does); IFD0's entries, first of a tag
wins, unknown types and empty values skipped; every value stored outside the entry inside the
data, and all of them together no larger than the data (else Pillow warns). A value decodes
without a warning when it is one number, or bytes or text of any length; a list of numbers
under a tag Pillow expects one of warns, so it is :data:`UNSURE`.
"""

from __future__ import annotations

import re
import struct
from typing import Final

__all__ = [
    "UNSURE",
    "Entry",
    "Unsure",
    "decodes_quietly",
    "int_value",
    "orientation_of",
    "read_ifd0",
    "xmp_orientation",
]


class Unsure:
    """The type of :data:`UNSURE`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNSURE"


UNSURE: Final = Unsure()
"""Pillow may warn or read something else here: ask Pillow."""

Entry = tuple[int, int, int]
"""A stored IFD entry: (type, count, where its value starts in the buffer)."""

UNIT_SIZES: Final = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}
"""Bytes per value of each TIFF type Pillow loads (``_load_dispatch``), with IFD (13, like
LONG) and LONG8 (16) added below."""
UNIT_SIZES.update({13: 4, 16: 8})

INT_FORMATS: Final = {3: "H", 4: "L", 6: "b", 8: "h", 9: "l", 13: "L", 16: "Q"}
"""The types whose single value Pillow gives as an ``int``, with their struct codes."""

_TEXT_TYPES: Final = frozenset({1, 2, 7})
"""BYTE, ASCII, UNDEFINED: one ``bytes`` or ``str`` value whatever the count."""

_HEADERS: Final = {b"II*\x00": "<", b"MM\x00*": ">"}
_OTHER_HEADERS: Final = (b"MM*\x00", b"II\x00*", b"MM\x00+", b"II+\x00")
"""Headers Pillow accepts too (swapped magic, BigTIFF): not reproduced here."""

_EXIF_PREFIX: Final = b"Exif\x00\x00"
_XMP_ORIENTATION: Final = re.compile(rb'tiff:Orientation(="|>)([0-9])')
_ORIENTATION_TAG: Final = 0x0112


def read_ifd0(buffer: bytes, start: int, end: int) -> tuple[str, dict[int, Entry]] | Unsure:
    """The byte order and the entries of IFD0 of the TIFF structure in ``buffer[start:end]``
    (offsets count from ``start``), as Pillow stores them; :data:`UNSURE` where Pillow warns.

    The header must be ``II*\\0`` or ``MM\\0*`` with 8 bytes (the caller checks).
    """
    order = _HEADERS[buffer[start : start + 4]]
    limit = end - start
    (first,) = struct.unpack_from(order + "L", buffer, start + 4)
    if first + 2 > limit:
        return UNSURE  # "Corrupt EXIF data": the entry count is cut short
    (count,) = struct.unpack_from(order + "H", buffer, start + first)
    entries_end = first + 2 + 12 * count
    if entries_end + 4 > limit:
        return UNSURE  # an entry or the next-IFD offset is cut short: Pillow warns
    found: dict[int, Entry] = {}
    total = 0
    at = start + first + 2
    layout = order + "HHL"
    for tag, kind, number in struct.iter_unpack(layout + "4x", buffer[at : start + entries_end]):
        at += 12
        if tag in found:
            continue
        unit = UNIT_SIZES.get(kind)
        if unit is None or not number:
            continue  # a type Pillow does not load; an empty value
        size = number * unit
        if size > 4:
            (offset,) = struct.unpack_from(order + "L", buffer, at - 4)
            total += size
            if total > limit or offset + size > limit:
                return UNSURE  # "Tag data larger than file", "Possibly corrupt EXIF data"
            found[tag] = (kind, number, start + offset)
        else:
            found[tag] = (kind, number, at - 4)
    return order, found


def decodes_quietly(entry: Entry) -> bool:
    """Whether Pillow decodes this entry without "Metadata Warning ... too many entries"
    under any tag (one number, or bytes or text)."""
    return entry[1] == 1 or entry[0] in _TEXT_TYPES


def int_value(buffer: bytes, order: str, entry: Entry) -> int | None:
    """The entry's value when Pillow gives an ``int`` (one number of an integer type)."""
    kind, number, where = entry
    code = INT_FORMATS.get(kind)
    if code is None or number != 1:
        return None
    value: int = struct.unpack_from(order + code, buffer, where)[0]
    return value


def orientation_of(
    buffer: bytes, start: int, end: int, xmp: bytes | str | None
) -> int | Unsure | None:
    """The orientation ``Image.getexif()`` gives for EXIF bytes ``buffer[start:end]`` (as
    stored in ``info["exif"]``) and XMP ``xmp`` (``info["xmp"]``), kept only when 1..8 as
    mediarules keeps it; :data:`UNSURE` where Pillow would warn."""
    tags = exif_entries(buffer, start, end)
    if isinstance(tags, Unsure):
        return UNSURE
    if tags is None:
        return xmp_orientation(xmp)  # no EXIF structure at all: the XMP is read
    if not tags:
        return None  # a header Pillow refuses: the exception leaves no orientation
    order, entries = tags
    entry = entries.get(_ORIENTATION_TAG)
    if entry is None:
        return xmp_orientation(xmp)
    if not decodes_quietly(entry):
        return UNSURE
    value = int_value(buffer, order, entry)
    return value if value is not None and 1 <= value <= 8 else None


def exif_entries(
    buffer: bytes, start: int, end: int
) -> tuple[str, dict[int, Entry]] | tuple[()] | Unsure | None:
    """What ``Exif.load`` makes of ``buffer[start:end]``: ``None`` when nothing is left after
    the prefix, ``()`` when Pillow raises on the header (no orientation, no XMP), else the byte
    order and IFD0's entries; :data:`UNSURE` where it warns or reads another way."""
    for _ in range(2):  # re.sub(b"^(Exif\x00\x00){1,2}", b"", data)
        if buffer.startswith(_EXIF_PREFIX, start, end):
            start += len(_EXIF_PREFIX)
    if start >= end:
        return None
    magic = buffer[start : start + 4]
    if magic not in _HEADERS:
        return UNSURE if magic.startswith(_OTHER_HEADERS) else ()
    if end - start < 8:
        return ()  # Pillow's struct.error on the short header
    return read_ifd0(buffer, start, end)


def xmp_orientation(xmp: bytes | str | None) -> int | None:
    """``tiff:Orientation`` in XMP, as ``getexif`` reads it when EXIF has none."""
    if not xmp:
        return None
    data = xmp.encode("utf-8") if isinstance(xmp, str) else xmp
    # The pattern is ASCII: on text Pillow matches the same characters it matches on bytes.
    match = _XMP_ORIENTATION.search(data)
    if match is None:
        return None
    value = int(match[2])
    return value if 1 <= value <= 8 else None
