"""A header-only reader for HEIF, HEIC and AVIF images: image facts from the boxes, in µs.

A phone's HEIC photo is a few kilobytes of boxes in front of its coded tiles. ``meta`` names
the items (``iinf``), the primary one (``pitm``), their properties (``iprp``: ``ipco`` holds
them, ``ipma`` says whose they are), where their data lies (``iloc``) and how items refer to
each other (``iref``: the tiles of a ``grid``, an alpha plane, a thumbnail). Every fact
``MediaFacts`` needs is there, so this module reads the ``meta`` box (and the ``moov`` box of
an image sequence) and never a pixel. It follows what the decoders do:

- **size as displayed**, as libheif decodes it: the primary item's ``ispe`` (a grid's own
  output size), then its transformative properties in order: ``clap`` crops, an ``irot`` of a
  quarter turn swaps the sides, ``imir`` mirrors. HEIF's EXIF orientation is informative only
  (MIAF): it is not reported, and decoders do not apply it.
- **alpha**: an auxiliary image (``auxl`` reference) whose ``auxC`` says alpha, attached to
  the primary item or to one of its tiles.
- **bit depth** from ``pixi`` (else the codec configuration, ``hvcC`` or ``av1C``); **colour**
  from ``colr`` (``nclx`` values, an ICC profile).
- **pictures**: the top-level images (not hidden, not thumbnails, not auxiliary) a burst or
  collection holds; viewers show the primary one. **Frames** of an image sequence (``avis``,
  ``msf1``): the samples of its ``pict`` track, where libavif would play the track (the major
  brand is a sequence's, or the file has no primary item).

The format is ``avif`` for AV1-coded pictures and ``heif`` for the rest (HEVC: HEIC; JPEG,
AVC...), the names the rules table uses. Bounds: top-level boxes are walked by their headers,
``meta`` and ``moov`` are read whole up to :data:`MAX_BOX_BYTES` each, and every count is
checked against the bytes it lives in. A file the reader cannot make sense of raises
:class:`HeifError` with the reason inspection reports: ``truncated`` (a box or the picture
data runs past the end of the file), ``corrupt`` or ``unrecognised``.
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import compress
from typing import NamedTuple

from mediarules.formatting import echo
from mediarules.inspection.errors import Reason, UnreadableMediaError
from mediarules.inspection.isobmff import HEAD_BYTES, file_type
from mediarules.models import MediaFacts

__all__ = [
    "MAX_BOX_BYTES",
    "HeifError",
    "HeifHeader",
    "decoder_plugin",
    "read_facts",
    "read_header",
]

MAX_BOX_BYTES = 16 << 20
"""The largest ``meta`` or ``moov`` box read (a phone's ``meta`` is a few KiB; 16 MiB allows
any real grid, and a sequence of a million frames)."""

_MAX_TOP_BOXES = 1024  # top-level box headers walked; anything past them is not looked at
_MAX_BOXES = 200_000  # boxes parsed inside meta and moov together
_MAX_ITEMS = 20_000  # libheif refuses files with more than 1,000 items by default
_MAX_DESCRIPTOR = 64  # bytes of a grid descriptor read (it has 8 or 12)

_HEADER = struct.Struct(">I4s")
_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
_U16_U16 = struct.Struct(">HH")
_U32_U32 = struct.Struct(">II")

_IMAGE_ITEMS = frozenset(
    {b"hvc1", b"av01", b"grid", b"iden", b"iovl", b"jpeg", b"avc1", b"vvc1", b"j2k1"}
    | {b"unci", b"tili", b"mski"}
)
"""Item types libheif decodes as pictures (``mime`` items of type image/jpeg count too)."""

_DERIVED = frozenset({b"grid", b"iden", b"iovl"})
"""Pictures made from others (``dimg`` references): they have no coded data of their own
(a grid's data is its descriptor)."""

_MADE_OF_OTHERS = frozenset({b"iden", b"iovl"})
"""Derived pictures that may have no data (a grid always has its descriptor)."""

_ALPHA_TYPES = frozenset(
    {
        b"urn:mpeg:hevc:2015:auxid:1",  # HEIF, HEVC
        b"urn:mpeg:avc:2015:auxid:1",  # HEIF, AVC
        b"urn:mpeg:mpegB:cicp:systems:auxiliary:alpha",  # MIAF and AVIF
    }
)
"""``auxC`` types of an alpha plane, as libheif and libavif read them."""

_ATTACHED = (b"thmb", b"auxl")
"""References that attach an item to another (a thumbnail, an auxiliary image): such items
are not pictures of their own."""

_SEQUENCE_BRANDS = frozenset({"avis", "msf1"})
"""Major brands under which libavif plays the sequence track rather than the primary item."""


class HeifError(Exception):
    """A HEIF-family file the reader cannot turn into facts; ``reason`` as inspection says it."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason


class HeifHeader(NamedTuple):
    """What the boxes of a HEIF, HEIC or AVIF file say about the picture viewers show."""

    format: str  # "heif" or "avif"
    coding: str  # the coded items' type: "hvc1", "av01", "jpeg"... (a grid's tiles')
    width: int  # as displayed: after clap and irot
    height: int
    rotation: int  # irot, in degrees counter-clockwise (as HEIF says it): 0, 90, 180, 270
    mirror: int | None  # imir: 0 swaps top and bottom, 1 left and right (as libavif reads it)
    bit_depth: int | None  # bits per luma sample as coded
    monochrome: bool
    has_alpha: bool
    pictures: int  # top-level images (a burst); 1 for a single photo
    frames: int  # samples of the sequence track viewers play; 1 for a still
    grid: tuple[int, int] | None  # (rows, columns) of a grid primary item
    icc: bool  # a colr with an ICC profile
    nclx: tuple[int, int, int, bool] | None  # primaries, transfer, matrix, full range


def read_facts(fd: int, head: bytes, path: str, *, size: int, brand: str) -> MediaFacts:
    """The facts of the HEIF-family image open as ``fd`` (``head``: its first bytes, with the
    ``ftyp`` of major brand ``brand``). Raises :class:`UnreadableMediaError` instead of
    :class:`HeifError`."""
    try:
        header = read_header(fd, head, size, brand=brand)
    except HeifError as exc:
        raise UnreadableMediaError(exc.reason, str(exc), path=path) from exc
    alpha = "A" if header.has_alpha else ""
    grey = header.monochrome and header.format == "heif"  # libavif always gives RGB
    return MediaFacts(
        path=path,
        kind="image",
        format=header.format,
        brand=brand,
        size=size,
        width=header.width,
        height=header.height,
        mode=("L" if grey else "RGB") + alpha,
        frames=header.frames,
        has_alpha=header.has_alpha,
        bit_depth=header.bit_depth,
        pictures=header.pictures,
    )


def decoder_plugin(path: str | os.PathLike[str]) -> str | None:
    """The Pillow plugin that decodes the file at ``path`` when it is a HEIF-family image:
    ``"AVIF"`` (Pillow's own, libavif) for AV1 pictures, ``"HEIF"`` (pillow-heif, libheif)
    for the rest; ``None`` for any other file, or one whose boxes cannot be read."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES)
            brands = file_type(head)
            if brands is None or not brands.image:
                return None
            size = os.fstat(handle.fileno()).st_size
            header = read_header(handle.fileno(), head, size, brand=brands.major_brand)
    except (OSError, HeifError):
        return None
    return "AVIF" if header.format == "avif" else "HEIF"


def read_header(fd: int, head: bytes, size: int, *, brand: str) -> HeifHeader:
    """The :class:`HeifHeader` of the file open as ``fd``, ``size`` bytes long, whose first
    bytes are ``head``. Raises :class:`HeifError`; reads go through ``os.pread`` (the
    descriptor's position is left alone)."""
    source = _Source(fd, head, size)
    try:
        top = source.top_level()
        meta = _Meta.read(source, top["meta"]) if "meta" in top else None
        track = _sequence(source, top["moov"]) if "moov" in top else None
        if track is not None and (meta is None or brand in _SEQUENCE_BRANDS):
            return _from_track(track, meta)
        if meta is None and source.top_boxes == 1:
            raise HeifError("truncated", "the file ends after its ftyp box: it was cut short")
        if meta is None:
            raise HeifError(
                "unrecognised",
                f"a HEIF/AVIF file (brand '{echo(brand)}') with no picture in it"
                " (no meta box, no picture track)",
            )
        return _from_meta(meta, source)
    except (struct.error, IndexError, ValueError, UnicodeDecodeError) as exc:
        raise HeifError("corrupt", f"a HEIF/AVIF box is too short for its fields ({exc})") from exc


# ---------------------------------------------------------------------------------------------
# reading


def _corrupt(message: str) -> HeifError:
    return HeifError("corrupt", f"the HEIF/AVIF header is damaged: {message}")


def _name(kind: bytes) -> str:
    return f"'{echo(kind.decode('latin-1'))}'"


class _Source:
    """The file's bytes: ``head`` in memory, the rest by ``pread``; box walking with a
    budget on the boxes parsed."""

    def __init__(self, fd: int, head: bytes, size: int) -> None:
        self.fd = fd
        self.head = head
        self.size = size
        self.boxes_left = _MAX_BOXES
        self.open_ended = False
        """A top-level box runs "to the end of the file" (or too many to walk): the boxes
        cannot tell a file cut short, the item locations must."""
        self.top_boxes = 0

    def read(self, offset: int, length: int) -> bytes:
        """Exactly ``length`` bytes at ``offset`` (the caller checked they lie in the file)."""
        if offset + length <= len(self.head):
            return self.head[offset : offset + length]
        data = _read_at(self.fd, length, offset)
        if len(data) < length:  # the file shrank since it was measured
            raise HeifError("truncated", "the file ended while it was being read")
        return data

    def top_level(self) -> dict[str, tuple[int, int]]:
        """``{"meta": (start, end), "moov": ...}``: payload spans of the boxes that matter.

        A box running past the end of the file means the file was cut short; a second
        ``meta`` or ``moov`` is damage. Walks at most :data:`_MAX_TOP_BOXES` headers.
        """
        found: dict[str, tuple[int, int]] = {}
        pos = 0
        for _ in range(_MAX_TOP_BOXES):
            if self.size - pos < 8:
                if pos < self.size and any(self.read(pos, self.size - pos)):
                    raise HeifError("truncated", "the file ends inside a box header")
                break  # the end, or zero padding after the last box
            header = self.read(pos, min(16, self.size - pos))
            length, kind = _HEADER.unpack_from(header)
            start = pos + 8
            if length == 1:
                if len(header) < 16:
                    raise HeifError("truncated", f"the file ends inside the {_name(kind)} box")
                (length,) = _U64.unpack_from(header, 8)
                start = pos + 16
            elif length == 0:
                length = self.size - pos  # to the end of the file: nothing says if it is all
                self.open_ended = True
            if length < start - pos:
                raise _corrupt(f"the {_name(kind)} box says it is {length} bytes long")
            if pos + length > self.size:
                raise HeifError(
                    "truncated",
                    f"the file ends inside its {_name(kind)} box ({self.size - pos:,} of"
                    f" {length:,} bytes): it was cut short",
                )
            name = kind.decode("latin-1")
            self.top_boxes += 1
            if name in ("meta", "moov"):
                if name in found:
                    raise _corrupt(f"two {name} boxes")
                found[name] = (start, pos + length)
            pos += length
        else:
            self.open_ended = pos < self.size  # boxes left unwalked
        return found

    def box_bytes(self, span: tuple[int, int], kind: str) -> bytes:
        start, end = span
        if end - start > MAX_BOX_BYTES:
            raise _corrupt(
                f"a {kind} box of {_bytes(end - start)}, more than any picture's header (at"
                f" most {_bytes(MAX_BOX_BYTES)} is read)"
            )
        return self.read(start, end - start)

    def children(self, data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
        """``(type, payload start, end)`` of each box filling ``data[start:end]``.

        A box running past its parent is damage; zero bytes after the last box are padding.
        """
        found = []
        pos = start
        while pos < end:
            if end - pos < 8:
                if any(data[pos:end]):
                    raise _corrupt("stray bytes after the last box of a container")
                break
            self.boxes_left -= 1
            if self.boxes_left < 0:
                raise _corrupt(f"more than {_MAX_BOXES:,} boxes")
            length, kind = _HEADER.unpack_from(data, pos)
            payload = pos + 8
            if length == 1:
                (length,) = _U64.unpack_from(data, pos + 8)
                payload = pos + 16
            elif length == 0:
                length = end - pos
            if length < payload - pos:
                raise _corrupt(f"the {_name(kind)} box says it is {length} bytes long")
            if pos + length > end:
                raise _corrupt(f"the {_name(kind)} box runs past the box that holds it")
            found.append((kind, payload, pos + length))
            pos += length
        return found


def _bytes(size: int) -> str:
    return f"{size / 2**20:,.1f} MiB" if size >= 2**20 else f"{size:,} bytes"


def _read_at(fd: int, length: int, offset: int) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fd, length, offset)
    os.lseek(fd, offset, os.SEEK_SET)  # Windows: the caller's own descriptor
    return os.read(fd, length)


def _only(boxes: Iterable[tuple[bytes, int, int]], where: str) -> dict[bytes, tuple[int, int]]:
    """The boxes by type; a type met twice is damage (which one would a decoder use?)."""
    found: dict[bytes, tuple[int, int]] = {}
    for kind, start, end in boxes:
        if kind in found:
            raise _corrupt(f"two {_name(kind)} boxes in {where}")
        found[kind] = (start, end)
    return found


# ---------------------------------------------------------------------------------------------
# meta: items, properties, references, locations


_Location = tuple[int, bool, list[tuple[int, int]]]
"""Where an item's data lies: the construction method (0: in the file, 1: in idat, 2: in
another item), whether it is in another file, and its extents (offset, length)."""


@dataclass
class _Meta:
    """The parsed ``meta`` box. Every item's type is read, but associations are decoded and
    locations found only for the items asked about: a phone's grid has dozens of tiles."""

    data: bytes
    primary: int
    items: _Items
    properties: list[tuple[bytes, int, int]]  # ipco, 0-based (ipma counts from 1)
    entries: dict[int, int]  # ipma: item -> 2 x offset of its association count (+1: 16-bit)
    references: list[tuple[bytes, int, list[int]]]  # (type, from, to)
    iloc: tuple[int, int] | None
    idat: tuple[int, int] | None
    _locations: _Locations | None = None
    _associated: dict[int, list[tuple[bytes, int, int]]] = field(default_factory=dict)

    @classmethod
    def read(cls, source: _Source, span: tuple[int, int]) -> _Meta:
        data = source.box_bytes(span, "meta")
        if len(data) < 4 or data[0] != 0:
            raise HeifError("unrecognised", "a meta box of a version mediarules does not read")
        boxes = _only(source.children(data, 4, len(data)), "meta")
        handler = boxes.get(b"hdlr")
        if handler is None:
            raise _corrupt("the meta box has no handler (hdlr)")
        kind = data[handler[0] + 8 : handler[0] + 12]
        if kind != b"pict":
            raise HeifError("unrecognised", f"its meta box holds {_name(kind)} items, not pictures")
        for needed, what in ((b"pitm", "primary item"), (b"iinf", "item list")):
            if needed not in boxes:
                raise _corrupt(f"no {what} ({needed.decode()})")
        if b"iprp" not in boxes:
            raise _corrupt("no item properties (iprp)")
        properties, entries = _properties(source, data, *boxes[b"iprp"])
        items = _Items(source, data, *boxes[b"iinf"])
        return cls(
            data=data,
            primary=_item_id(data, *boxes[b"pitm"]),
            items=items,
            properties=properties,
            entries=entries,
            references=_references(source, data, boxes.get(b"iref")),
            iloc=boxes.get(b"iloc"),
            idat=boxes.get(b"idat"),
        )

    @property
    def locations(self) -> _Locations:
        """iloc, read when first asked (for a grid's descriptor, or a file's integrity)."""
        if self._locations is None:
            self._locations = _Locations(self.data, self.iloc)
        return self._locations

    def item_properties(self, item: int) -> list[tuple[bytes, int, int]]:
        """``(type, payload start, end)`` of ``item``'s properties, in their order (its first
        ipma entry's, as libheif reads them)."""
        found = self._associated.get(item)
        if found is not None:
            return found
        found = []
        entry = self.entries.get(item)
        if entry is not None:
            data, count = self.data, len(self.properties)
            pos, wide = divmod(entry, 2)
            links = data[pos]
            if wide:
                indices = [v & 0x7FFF for v in struct.unpack_from(f">{links}H", data, pos + 1)]
            else:
                indices = [v & 0x7F for v in data[pos + 1 : pos + 1 + links]]
            for index in indices:
                if index > count:
                    raise _corrupt(f"item {item} has property {index} of {count}")
                if index:
                    found.append(self.properties[index - 1])
        self._associated[item] = found
        return found

    def property(self, item: int, kind: bytes) -> tuple[int, int] | None:
        """The payload span of ``item``'s first property of type ``kind``."""
        return next(((s, e) for k, s, e in self.item_properties(item) if k == kind), None)

    def referenced(self, kind: bytes, source: int) -> list[int]:
        """The items ``source`` refers to by a ``kind`` reference, in order."""
        found: list[int] = []
        for reference, origin, targets in self.references:
            if reference == kind and origin == source:
                found += targets
        return found


def _item_id(data: bytes, start: int, end: int) -> int:
    """pitm: version 0 has a 16-bit item ID, version 1 a 32-bit one."""
    if data[start] > 1:
        raise _corrupt(f"a pitm box of version {data[start]}")
    layout = _U16 if data[start] == 0 else _U32
    if end - start < 4 + layout.size:
        raise _corrupt("a pitm box too short for its item ID")
    return int(layout.unpack_from(data, start + 4)[0])


_PLAIN_ROWS = re.compile(rb"(?:\x00\x00\x00\x15infe\x02.{11}\x00)+", re.DOTALL)
"""infe boxes of version 2 with an empty name, 21 bytes each (what encoders write for tiles):
size, type and version, flags (3), item ID (2), protection (2), item type (4), the name's NUL."""
_ROW = 21
_ONE = 1


class _Items:
    """iinf: each item's type and whether it is hidden (infe versions 2 and 3).

    Plain rows (:data:`_PLAIN_ROWS`, a phone's dozens of tiles) at the start of the list are
    found with one regular expression and kept as they are: their IDs are read as a column, an
    item's type only when asked for. The rest (named items, MIME items) is read box by box."""

    def __init__(self, source: _Source, data: bytes, start: int, end: int) -> None:
        first = start + (6 if data[start] == 0 else 8)
        self._block = b""
        self._rows: dict[int, int] = {}  # item -> where its type is in the block
        self._kinds: dict[int, bytes] = {}
        self.hidden: set[int] = set()
        plain = _PLAIN_ROWS.match(data, first, end)  # the tiles; the rest (names, MIME) after
        count = (plain.end() - first) // _ROW if plain else 0
        if plain and count <= _MAX_ITEMS and b"mime" not in data[first : plain.end()]:
            block = data[first : plain.end()]
            ids = bytearray(2 * count)
            ids[0::2], ids[1::2] = block[12::_ROW], block[13::_ROW]
            numbers = struct.unpack(f">{count}H", ids)
            self._rows = dict(zip(numbers, range(16, len(block), _ROW), strict=True))
            if len(self._rows) != count:
                raise _corrupt("an item is declared twice")
            self._block = block
            self.hidden = set(compress(numbers, map(_ONE.__and__, block[11::_ROW])))
            source.boxes_left -= count
            first = plain.end()
        boxes = source.children(data, first, end)
        if len(boxes) + count > _MAX_ITEMS:
            raise _corrupt(f"more than {_MAX_ITEMS:,} items")
        for kind, at, stop in boxes:
            version = data[at]
            if kind != b"infe" or version < 2:
                continue  # an old-style item (a file, not a picture) has no item type
            if version == 2:
                item, type_at = data[at + 4] << 8 | data[at + 5], at + 8
            else:
                item, type_at = _U32.unpack_from(data, at + 4)[0], at + 10
            item_type = data[type_at : type_at + 4]
            if type_at + 4 > stop:
                raise _corrupt("an infe box too short for its item type")
            if item_type == b"mime" and _mime_type(data, type_at + 4, stop) == b"image/jpeg":
                item_type = b"jpeg"
            if item in self:
                raise _corrupt(f"item {item} is declared twice")
            self._kinds[item] = item_type
            if data[at + 3] & 1:
                self.hidden.add(item)

    def get(self, item: int) -> bytes | None:
        """The item's type (``b"hvc1"``, ``b"grid"``...), or None when it is not listed."""
        at = self._rows.get(item)
        if at is not None:
            return self._block[at : at + 4]
        return self._kinds.get(item)

    def __contains__(self, item: int) -> bool:
        return item in self._rows or item in self._kinds

    def pictures(self, attached: set[int]) -> int:
        """Top-level pictures, as libheif lists them: picture items that are neither hidden
        nor attached to another (a thumbnail, an auxiliary image)."""
        shown = (self._rows.keys() | self._kinds.keys()) - self.hidden - attached
        return sum(1 for item in shown if self.get(item) in _IMAGE_ITEMS)


def _mime_type(data: bytes, start: int, end: int) -> bytes:
    """An infe's content type: the C string after the item name."""
    name_end = data.find(b"\x00", start, end)
    if name_end < 0:
        return b""
    type_end = data.find(b"\x00", name_end + 1, end)
    return data[name_end + 1 : type_end if type_end >= 0 else end]


def _properties(
    source: _Source, data: bytes, start: int, end: int
) -> tuple[list[tuple[bytes, int, int]], dict[int, int]]:
    """iprp: the ipco properties, and where each item's ipma associations lie."""
    properties: list[tuple[bytes, int, int]] = []
    entries: dict[int, int] = {}
    for kind, at, stop in source.children(data, start, end):
        if kind == b"ipco":
            if properties:
                raise _corrupt("two ipco boxes")
            properties = source.children(data, at, stop)
        elif kind == b"ipma":
            entries = _associations(data, at, stop) | entries  # the first box's entry wins
    return properties, entries


def _associations(data: bytes, start: int, end: int) -> dict[int, int]:
    """ipma: where each item's association list lies (twice the offset of its count, plus 1
    for 16-bit associations); an item's first entry wins, as in libheif. An entry takes at
    least 3 bytes: a count the box cannot hold is damage, found before the loop.

    Entries of the same length in a row (a grid's tiles share their properties) are read at
    once, from the columns their item IDs and counts make."""
    version, wide = data[start], data[start + 3] & 1
    (count,) = _U32.unpack_from(data, start + 4)
    pos = start + 8
    step = 1 + wide
    if count > (end - pos) // (3 if version < 1 else 5):
        raise _corrupt("an ipma box shorter than its entry count")
    entries: dict[int, int] = {}
    left = count
    while left and version < 1:
        size = 3 + data[pos + 2] * step
        counts = data[pos + 2 : min(end, pos + size * left) : size]
        run = len(counts) - len(counts.lstrip(counts[:1]))
        if run < _RUN:
            item = data[pos] << 8 | data[pos + 1]
            if item not in entries:
                entries[item] = 2 * (pos + 2) + wide
            pos += size
            left -= 1
            continue
        stop = pos + run * size
        ids = bytearray(2 * run)
        ids[0::2], ids[1::2] = data[pos:stop:size], data[pos + 1 : stop : size]
        first = 2 * (pos + 2) + wide
        spots = range(first + 2 * size * (run - 1), first - 1, -2 * size)
        found = dict(zip(reversed(struct.unpack(f">{run}H", ids)), spots, strict=True))
        entries = found | entries  # earlier entries win
        pos, left = stop, left - run
    for _ in range(left):  # version 1: 32-bit item IDs
        (item,) = _U32.unpack_from(data, pos)
        if item not in entries:
            entries[item] = 2 * (pos + 4) + wide
        pos += 5 + data[pos + 4] * step
    if pos > end:
        raise _corrupt("an ipma entry runs past its box")
    return entries


_RUN = 6
"""ipma entries of one length in a row worth reading as columns."""


def _references(
    source: _Source, data: bytes, iref: tuple[int, int] | None
) -> list[tuple[bytes, int, list[int]]]:
    """iref: (type, from, to) of each reference (``dimg``: a grid's tiles; ``auxl``: an
    auxiliary image's picture; ``thmb``: a thumbnail's)."""
    if iref is None:
        return []
    start, end = iref
    layout = "I" if data[start] == 1 else "H"
    step = 4 if layout == "I" else 2
    found = []
    for kind, at, stop in source.children(data, start + 4, end):
        (origin,) = struct.unpack_from(f">{layout}", data, at)
        (count,) = _U16.unpack_from(data, at + step)
        if at + step + 2 + count * step > stop:
            raise _corrupt(f"an iref {_name(kind)} entry lists more items than it holds")
        targets = list(struct.unpack_from(f">{count}{layout}", data, at + step + 2))
        found.append((kind, origin, targets))
    return found


_FIELDS = {0: "", 4: "I", 8: "Q"}
_FIELD_SIZES = frozenset(_FIELDS)


@lru_cache(maxsize=64)
def _iloc_row(
    version: int, sizes: tuple[int, int, int, int]
) -> tuple[struct.Struct, int, tuple[int, int, int, int, int]]:
    """An iloc entry of one extent: its layout, the offset of its extent count, and where
    the method, data reference, base offset, offset and length are in a row (-1: absent)."""
    offset_size, length_size, base_size, index_size = sizes
    extent = _FIELDS[index_size] + _FIELDS[offset_size] + _FIELDS[length_size]
    head = ("I" if version == 2 else "H") + ("H" if version else "") + "H" + _FIELDS[base_size]
    reference_at = 1 + (version > 0)
    extent_at = reference_at + 2 + (base_size > 0) + (index_size > 0)
    at = (
        1 if version else -1,
        reference_at,
        reference_at + 1 if base_size else -1,
        extent_at if offset_size else -1,
        extent_at + (offset_size > 0) if length_size else -1,
    )
    return struct.Struct(f">{head}H{extent}"), struct.calcsize(f">{head}"), at


class _Locations:
    """iloc (ISO/IEC 14496-12 8.11.3): where each item's data lies.

    When every entry has one extent (what encoders write) the entries are rows of one size:
    an item's row is found by searching the item-ID column, a phone's 50 tiles untouched.
    Other layouts are read entry by entry.
    """

    def __init__(self, data: bytes, iloc: tuple[int, int] | None) -> None:
        self._found: dict[int, _Location] = {}
        self._block = b""
        self._row = struct.Struct("")
        self._at = (-1, -1, -1, -1, -1)
        if iloc is None:
            return
        start, end = iloc
        version = data[start]
        if version > 2:
            raise HeifError("unrecognised", f"an iloc box of version {version}")
        offset_size, length_size = data[start + 4] >> 4, data[start + 4] & 15
        base_size, index_size = data[start + 5] >> 4, (data[start + 5] & 15) if version else 0
        sizes = (offset_size, length_size, base_size, index_size)
        if not _FIELD_SIZES.issuperset(sizes):
            raise _corrupt("an iloc field of a size other than 0, 4 or 8 bytes")
        self._sizes = sizes
        self._version = version
        count_layout = _U32 if version == 2 else _U16
        (count,) = count_layout.unpack_from(data, start + 6)
        pos = start + 6 + count_layout.size
        row, counted_at, at = _iloc_row(version, sizes)
        block = data[pos:end]
        if count and len(block) == count * row.size:
            ones = data[pos + counted_at : end : row.size]  # the extent counts, high bytes
            if not any(ones) and data[pos + counted_at + 1 : end : row.size] == b"\x01" * count:
                self._block, self._row, self._at = block, row, at
                return
        self._found = self._parse(data, pos, end, count)

    def get(self, item: int) -> _Location | None:
        if not self._block:
            return self._found.get(item)
        index = self._row_of(item)
        if index is None:
            return None
        return self._location(self._row.unpack_from(self._block, index * self._row.size))

    def _row_of(self, item: int) -> int | None:
        """The row whose item ID is ``item``: its low byte searched down the ID column."""
        width = 4 if self._version == 2 else 2
        if item >= 1 << (8 * width):
            return None
        step = self._row.size
        wanted = item.to_bytes(width, "big")
        column = self._block[width - 1 :: step]
        index = column.find(wanted[-1])
        while index >= 0:
            at = index * step
            if self._block[at : at + width] == wanted:
                return index
            index = column.find(wanted[-1], index + 1)
        return None

    def _location(self, row: tuple[int, ...]) -> _Location:
        method_at, reference_at, base_at, offset_at, length_at = self._at
        start = (row[base_at] if base_at > 0 else 0) + (row[offset_at] if offset_at > 0 else 0)
        return (
            row[method_at] & 15 if method_at > 0 else 0,
            row[reference_at] != 0,
            [(start, row[length_at] if length_at > 0 else 0)],
        )

    def all(self) -> dict[int, _Location]:
        """Every entry (a file whose boxes cannot say whether it is whole: all are checked)."""
        if not self._block:
            return self._found
        rows = self._row.iter_unpack(self._block)
        return {row[0]: self._location(row) for row in rows}

    def _parse(self, data: bytes, pos: int, end: int, count: int) -> dict[int, _Location]:
        offset_size, length_size, base_size, index_size = self._sizes
        found: dict[int, _Location] = {}
        for _ in range(count):
            if pos >= end:
                raise _corrupt("an iloc box shorter than its item count")
            if self._version < 2:
                (item,) = _U16.unpack_from(data, pos)
                pos += 2
            else:
                (item,) = _U32.unpack_from(data, pos)
                pos += 4
            method = 0
            if self._version:
                method = _U16.unpack_from(data, pos)[0] & 15
                pos += 2
            (reference,) = _U16.unpack_from(data, pos)
            base = _uint(data, pos + 2, base_size)
            (extents,) = _U16.unpack_from(data, pos + 2 + base_size)
            pos += 4 + base_size
            spans = []
            for _ in range(extents):
                pos += index_size
                offset = _uint(data, pos, offset_size)
                length = _uint(data, pos + offset_size, length_size)
                pos += offset_size + length_size
                if pos > end:
                    raise _corrupt("an iloc entry runs past its box")
                spans.append((base + offset, length))
            found[item] = (method, reference != 0, spans)
        return found


def _uint(data: bytes, pos: int, size: int) -> int:
    if size == 0:
        return 0
    if pos + size > len(data):
        raise _corrupt("an iloc field past the end of its box")
    return int.from_bytes(data[pos : pos + size], "big")


# ---------------------------------------------------------------------------------------------
# the picture of the primary item


def _from_meta(meta: _Meta, source: _Source) -> HeifHeader:
    primary = meta.primary
    if primary not in meta.items:
        raise _corrupt(f"the primary item ({primary}) is not in the item list")
    kind, hidden = meta.items.get(primary) or b"", primary in meta.items.hidden
    if kind not in _IMAGE_ITEMS:
        raise HeifError("unrecognised", f"its primary item is a {_name(kind)} item, not a picture")
    if hidden:
        raise _corrupt("the primary item is hidden")
    if any(origin == primary for ref, origin, _ in meta.references if ref in _ATTACHED):
        raise _corrupt("the primary item is the thumbnail or auxiliary image of another")
    tiles = meta.referenced(b"dimg", primary) if kind in _DERIVED else []
    if kind in _DERIVED and not tiles:
        raise _corrupt(f"a {_name(kind)} picture made from no other picture")
    grid = None
    if kind == b"grid":
        rows, columns, width, height = _grid(meta, source, primary)
        if rows * columns != len(tiles):
            raise _corrupt(f"a grid of {rows}x{columns} tiles with {len(tiles)} tile pictures")
        grid = (rows, columns)
    else:
        width, height = _ispe(meta, primary)
    width, height, rotation, mirror = _transformed(meta, primary, width, height)
    coded = tiles[0] if tiles else primary
    coding = meta.items.get(coded) or kind
    alphas = _alpha_items(meta, {primary, *tiles})
    _check_data(meta, source, primary, tiles or [primary], alphas, every=source.open_ended)
    depth, monochrome = _depth(meta, primary)
    if depth is None and coded != primary:
        depth, monochrome = _depth(meta, coded)
    icc, nclx = _colour(meta, primary)
    if not icc and nclx is None and coded != primary:
        icc, nclx = _colour(meta, coded)
    return HeifHeader(
        format="avif" if coding == b"av01" else "heif",
        coding=coding.decode("latin-1"),
        width=width,
        height=height,
        rotation=rotation,
        mirror=mirror,
        bit_depth=depth,
        monochrome=monochrome,
        has_alpha=bool(alphas),
        pictures=_top_level_pictures(meta),
        frames=1,
        grid=grid,
        icc=icc,
        nclx=nclx,
    )


def _ispe(meta: _Meta, item: int) -> tuple[int, int]:
    span = meta.property(item, b"ispe")
    if span is None:
        raise _corrupt("the primary picture has no size (ispe)")
    width, height = _U32_U32.unpack_from(meta.data, span[0] + 4)
    return int(width), int(height)


def _grid(meta: _Meta, source: _Source, item: int) -> tuple[int, int, int, int]:
    """(rows, columns, output width, output height) from a grid item's descriptor."""
    data = _item_data(meta, source, item)
    if len(data) < 8 or data[0] != 0:
        raise _corrupt("a grid descriptor too short, or of an unknown version")
    rows, columns = data[2] + 1, data[3] + 1
    if data[1] & 1:
        width, height = _U32_U32.unpack_from(data, 4)
    else:
        width, height = _U16_U16.unpack_from(data, 4)
    return rows, columns, int(width), int(height)


def _item_data(meta: _Meta, source: _Source, item: int) -> bytes:
    """The first bytes (at most :data:`_MAX_DESCRIPTOR`) of a small item's data."""
    location = meta.locations.get(item)
    if location is None or location[1] or location[0] == 2:
        raise _corrupt(f"the data of item {item} cannot be found")
    method, _, extents = location
    data = b""
    for offset, length in extents:
        want = min(length or _MAX_DESCRIPTOR, _MAX_DESCRIPTOR - len(data))
        if method == 1:
            if meta.idat is None or offset + want > meta.idat[1] - meta.idat[0]:
                raise _corrupt(f"the data of item {item} lies outside the idat box")
            at = meta.idat[0] + offset
            data += meta.data[at : at + want]
        else:
            want = min(want, source.size - offset)
            if want <= 0:
                raise HeifError("truncated", f"the data of item {item} lies past the end")
            data += source.read(offset, want)
        if len(data) >= _MAX_DESCRIPTOR:
            break
    return data


def _transformed(
    meta: _Meta, item: int, width: int, height: int
) -> tuple[int, int, int, int | None]:
    """The size after the item's transformative properties, applied in their order (as
    libheif does), with the rotation and the mirror axis."""
    rotation, mirror = 0, None
    data = meta.data
    for kind, start, _ in meta.item_properties(item):
        if kind == b"clap":
            width_n, width_d, height_n, height_d = struct.unpack_from(">IIII", data, start)
            if not width_d or not height_d or max(width_n, width_d, height_n, height_d) >= 2**31:
                raise _corrupt("a clean aperture (clap) with an impossible fraction")
            width, height = (
                (width_n + width_d // 2) // width_d,
                (height_n + height_d // 2) // height_d,
            )
            if width <= 0 or height <= 0:
                raise _corrupt("a clean aperture (clap) that leaves no picture")
        elif kind == b"irot":
            turns = data[start] & 3
            rotation = (rotation + 90 * turns) % 360
            if turns % 2:
                width, height = height, width
        elif kind == b"imir":
            mirror = data[start] & 1
    return width, height, rotation, mirror


def _alpha_items(meta: _Meta, masters: set[int]) -> list[int]:
    """Items that are the alpha plane of one of ``masters``."""
    found = []
    for kind, origin, targets in meta.references:
        if kind != b"auxl" or masters.isdisjoint(targets):
            continue
        span = meta.property(origin, b"auxC")
        if span is None:
            continue  # libheif refuses the file; a viewer shows the picture, opaque
        urn = meta.data[span[0] + 4 : span[1]].split(b"\x00", 1)[0]
        if urn in _ALPHA_TYPES:
            found.append(origin)
    return found


def _check_data(
    meta: _Meta,
    source: _Source,
    primary: int,
    coded: list[int],
    alphas: list[int],
    *,
    every: bool,
) -> None:
    """The picture's data is in the file: a file cut at a box boundary (after its meta box,
    between two mdat boxes) has whole boxes and missing data. The first and last coded items
    (a grid's tiles, in order) and the alpha planes are looked up; with ``every`` (a box runs
    "to the end", so the boxes cannot vouch for the file) every item stored in the file is."""
    if every:
        needed = [primary, *coded, *alphas]
        locations = meta.locations.all()
    else:
        needed = [coded[0], coded[-1], *alphas]
        locations = {}
        for item in needed:
            location = meta.locations.get(item)
            if location is not None:
                locations[item] = location
    for item in needed:
        if item not in locations and meta.items.get(item) not in _MADE_OF_OTHERS:
            raise _corrupt(f"no data for item {item} (it has no iloc entry)")
    for item, (method, external, extents) in locations.items():
        for offset, length in extents if method == 0 and not external else ():
            if offset > source.size or offset + length > source.size:
                raise HeifError(
                    "truncated",
                    f"the data of item {item} ends {offset + length - source.size:,} bytes past"
                    " the end of the file: it was cut short",
                )


def _depth(meta: _Meta, item: int) -> tuple[int | None, bool]:
    """(bits per luma sample, monochrome) from pixi, else the codec configuration."""
    data = meta.data
    pixi = meta.property(item, b"pixi")
    if pixi is not None:
        channels = data[pixi[0] + 4]
        if channels and data[pixi[0] + 5]:
            return data[pixi[0] + 5], channels == 1
    hvcc = meta.property(item, b"hvcC")
    if hvcc is not None:
        return _hvcc_depth(data, hvcc[0])
    av1c = meta.property(item, b"av1C")
    if av1c is not None:
        return _av1c_depth(data, av1c[0])
    return None, False


def _hvcc_depth(data: bytes, start: int) -> tuple[int, bool]:
    """HEVCDecoderConfigurationRecord: chroma_format_idc (byte 16), bitDepthLumaMinus8 (17)."""
    return (data[start + 17] & 7) + 8, data[start + 16] & 3 == 0


def _av1c_depth(data: bytes, start: int) -> tuple[int, bool]:
    """AV1CodecConfigurationRecord byte 2: high_bitdepth, twelve_bit, mono_chrome."""
    flags = data[start + 2]
    depth = (12 if flags & 0x20 else 10) if flags & 0x40 else 8
    return depth, bool(flags & 0x10)


def _colour(meta: _Meta, item: int) -> tuple[bool, tuple[int, int, int, bool] | None]:
    icc = False
    nclx = None
    data = meta.data
    for kind, start, end in meta.item_properties(item):
        if kind != b"colr" or end - start < 4:
            continue
        colour_type = data[start : start + 4]
        if colour_type in (b"prof", b"rICC"):
            icc = end - start > 4
        elif colour_type == b"nclx" and nclx is None:
            primaries, transfer, matrix = struct.unpack_from(">HHH", data, start + 4)
            nclx = (primaries, transfer, matrix, bool(data[start + 10] & 0x80))
    return icc, nclx


def _top_level_pictures(meta: _Meta) -> int:
    """Pictures a viewer lists: not hidden, not a thumbnail, not auxiliary (as libheif)."""
    attached = {origin for kind, origin, _ in meta.references if kind in _ATTACHED}
    return meta.items.pictures(attached)


# ---------------------------------------------------------------------------------------------
# image sequences


@dataclass(frozen=True)
class _Track:
    coding: bytes
    width: int
    height: int
    samples: int
    depth: int | None
    monochrome: bool
    alpha: bool


def _sequence(source: _Source, span: tuple[int, int]) -> _Track | None:
    """The first picture (``pict``) track of the ``moov`` box, or ``None``; an ``auxv`` track
    whose ``auxi`` says alpha makes it transparent."""
    data = source.box_bytes(span, "moov")
    picture: _Track | None = None
    alpha = False
    for kind, start, end in source.children(data, 0, len(data)):
        if kind != b"trak":
            continue
        track = _track(source, data, start, end)
        if track is None:
            continue
        handler, entry = track
        if handler == b"auxv":
            alpha = alpha or entry.alpha
        elif handler == b"pict" and picture is None:
            picture = entry
    if picture is None:
        return None
    return _Track(
        picture.coding, picture.width, picture.height, picture.samples,
        picture.depth, picture.monochrome, alpha,
    )  # fmt: skip


def _track(source: _Source, data: bytes, start: int, end: int) -> tuple[bytes, _Track] | None:
    mdia = _only(source.children(data, start, end), "trak").get(b"mdia")
    if mdia is None:
        return None
    boxes = _only(source.children(data, *mdia), "mdia")
    if b"hdlr" not in boxes or b"minf" not in boxes:
        return None
    handler = data[boxes[b"hdlr"][0] + 8 : boxes[b"hdlr"][0] + 12]
    if handler not in (b"pict", b"auxv"):
        return None
    stbl = _only(source.children(data, *boxes[b"minf"]), "minf").get(b"stbl")
    if stbl is None:
        raise _corrupt("a picture track with no sample table")
    tables = _only(source.children(data, *stbl), "stbl")
    if b"stsd" not in tables:
        raise _corrupt("a picture track with no sample description")
    samples = _sample_count(data, tables)
    stsd_start, stsd_end = tables[b"stsd"]
    (entries,) = _U32.unpack_from(data, stsd_start + 4)
    entry_kind, entry_start, entry_end = source.children(data, stsd_start + 8, stsd_end)[0]
    if not entries:
        raise _corrupt("a picture track with no sample description")
    width, height = _U16_U16.unpack_from(data, entry_start + 24)
    config = _only(source.children(data, entry_start + 78, entry_end), "sample entry")
    depth: int | None = None
    monochrome = False
    if b"hvcC" in config:
        depth, monochrome = _hvcc_depth(data, config[b"hvcC"][0])
    elif b"av1C" in config:
        depth, monochrome = _av1c_depth(data, config[b"av1C"][0])
    auxi = config.get(b"auxi")
    alpha = auxi is not None and data[auxi[0] + 4 : auxi[1]].split(b"\x00", 1)[0] in _ALPHA_TYPES
    track = _Track(entry_kind, width, height, samples, depth, monochrome, alpha)
    return handler, track


def _sample_count(data: bytes, tables: dict[bytes, tuple[int, int]]) -> int:
    if b"stsz" in tables:
        return int(_U32.unpack_from(data, tables[b"stsz"][0] + 8)[0])
    if b"stz2" in tables:
        return int(_U32.unpack_from(data, tables[b"stz2"][0] + 8)[0])
    raise _corrupt("a picture track with no sample sizes")


def _from_track(track: _Track, meta: _Meta | None) -> HeifHeader:
    if track.samples < 1:
        raise _corrupt("an image sequence with no frames")
    return HeifHeader(
        format="avif" if track.coding == b"av01" else "heif",
        coding=track.coding.decode("latin-1"),
        width=track.width,
        height=track.height,
        rotation=0,
        mirror=None,
        bit_depth=track.depth,
        monochrome=track.monochrome,
        has_alpha=track.alpha,
        pictures=max(1, _top_level_pictures(meta)) if meta is not None else 1,
        frames=track.samples,
        grid=None,
        icc=False,
        nclx=None,
    )
