"""A header-only reader for ISO base media files (MP4, MOV, M4V, 3GP): video facts in µs.

MediaInfo takes milliseconds per video, yet every fact the rules need sits in a few hundred
bytes of the ``moov`` box. This module reads ``ftyp`` and the few ``moov`` boxes it needs,
seeks over ``mdat`` wherever it lies, and returns what ``video.video_facts(video.probe(path))``
returns, field for field: it follows MediaInfo's own arithmetic (single-precision sums, the
millisecond rounding of durations, the frame-rate rounding table), checked by a differential
test against pymediainfo.

Where MediaInfo and players disagree, it says what players show: the duration is the
presentation span (:func:`_presented_duration_ms`): edit lists applied, so an empty edit before
the first frame (a clip whose first frame is at 10 s), an audio track's priming samples or a
longer timecode track do not lengthen a video, as they do for MediaInfo. Fragmented files
(``mvex``, then ``moof``/``traf``/``trun``) are timed from their fragments
(:mod:`~mediarules.inspection.fragments`): the top level is walked by box sizes with small
reads, at most ``_MAX_FRAGMENTS`` fragments and ``_MAX_SAMPLES`` samples, past which ``mehd``
or a whole-file ``sidx`` gives the duration. Colour facts (bit depth, transfer, primaries,
Dolby Vision) come from the sample entry (:mod:`~mediarules.inspection.colour`).

Anything it does not fully understand (encrypted files, an unknown codec or box layout, sizes
that do not add up, a box past the end of the file, composition offsets in a fragmented
file's ``moov``, past the caps without ``mehd`` or ``sidx``) gives ``None``: the caller then
asks MediaInfo, which stays the fallback and reports truncated or corrupt files as before.

The container is decided here, not by MediaInfo's name for it (which is the major brand itself
when MediaInfo does not know the brand: ``iso6``, ``wmf``): :func:`file_type` reads the brands,
:func:`has_movie_box` the structure. ``qt  `` is a MOV; a HEIF/AVIF brand (major or compatible)
is an image, never a video; any other brand is an MP4 when the file has a ``moov`` or ``moof``.
"""

from __future__ import annotations

import functools
import math
import operator
import os
import struct
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction

from mediarules.inspection import colour, fragments
from mediarules.inspection.convert import (
    IMAGE_BRANDS,
    audio_codec_name,
    parse_frame_rate,
    video_codec_name,
)
from mediarules.inspection.fragments import FragmentError, Timing
from mediarules.inspection.sniff import HEAD_BYTES, QUICKTIME_FIRST
from mediarules.inspection.source import BeyondReachError, BudgetedReader, ByteSource, FileSource
from mediarules.models import MediaFacts

__all__ = [
    "HEAD_BYTES",
    "FileType",
    "file_type",
    "has_movie_box",
    "read_open_video_facts",
    "read_video_facts",
]

_BLOCK = 1 << 16  # later reads fetch this much: most moov boxes fit in one
_MAX_READ = 32 << 20  # bytes read from one file before giving up (a huge stts)
_MAX_BOXES = 20_000  # box headers walked in one file
_MAX_TRACKS = 64
_FRAGMENT_BLOCK = 4096  # reads between fragments: a moof is a few hundred bytes
_MAX_FRAGMENTS = 1000  # moof boxes parsed; past this, mehd or sidx say the duration
_MAX_SAMPLES = 1_000_000  # samples summed from trun boxes, likewise
_MAX_MOOF = 4 << 20
_MAX_EDITS = 4096

_QUICKTIME_FIRST = QUICKTIME_FIRST
"""First box of a QuickTime file written before ``ftyp`` existed."""

_IMAGE_BRANDS = frozenset(brand.encode("latin-1") for brand in IMAGE_BRANDS)
"""HEIF/AVIF (and JPEG 2000) brands: still images and image sequences, which are Pillow's."""

_MPEG4_BRANDS = frozenset(
    {b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7", b"iso8", b"iso9"}
    | {b"mp41", b"mp42", b"mp71", b"avc1", b"dash", b"msdh", b"cmfc", b"wmf ", b"f4v ", b"mmp4"}
    | {b"M4V ", b"M4VH", b"M4VP", b"M4A ", b"M4B ", b"qt  ", b"MQT ", b"MSNV", b"KDDI"}
    | {b"3gp1", b"3gp2", b"3gp3", b"3gp4", b"3gp5", b"3gp6", b"3gp7", b"3gp8", b"3gp9"}
    | {b"3g2a", b"3ge6", b"3ge7", b"3gg6"}
)
"""Major brands of MP4 (and, for ``qt  ``, MOV) videos, whatever the file holds. MediaInfo
names only some of them "MPEG-4": for ``iso6``, ``dash``, ``wmf `` it gives the brand itself."""

_MOVIE_BOXES = frozenset({b"moov", b"moof"})
_MAX_TOP_BOXES = 1024
"""Top-level boxes :func:`has_movie_box` walks (a fragmented file has two per fragment)."""

_SKIPPED_TOP = frozenset({b"mdat", b"free", b"skip", b"wide", b"uuid", b"pdin"})
_FRAGMENT_TOP = frozenset({b"styp", b"sidx", b"ssix", b"emsg", b"prft", b"mfra"})
"""Top-level boxes of fragmented files (segment type and index, events, the random-access
table at the end): allowed after a fragmented movie's ``moov``."""

_VIDEO_FORMATS = {
    b"avc1": "AVC",
    b"avc3": "AVC",
    b"hvc1": "HEVC",
    b"hev1": "HEVC",
    b"av01": "AV1",
    b"vp09": "VP9",
    b"apch": "ProRes",
    b"apcn": "ProRes",
    b"apcs": "ProRes",
    b"apco": "ProRes",
    b"ap4h": "ProRes",
    b"ap4x": "ProRes",
    b"jpeg": "JPEG",
    b"s263": "H.263",
}
"""Sample-entry codes whose MediaInfo ``Format`` is certain (``mp4v`` is read from its esds)."""

_AUDIO_FORMATS: dict[bytes, str | tuple[str, str]] = {
    b".mp3": ("MPEG Audio", "Layer 3"),
    b"ac-3": "AC-3",
    b"ec-3": "E-AC-3",
    b"Opus": "Opus",
    b"fLaC": "FLAC",
    b"alac": "ALAC",
    b"sowt": "PCM",
    b"twos": "PCM",
    b"raw ": "PCM",
    b"ipcm": "PCM",  # (fpcm is not: MediaInfo calls it "fpcm")
    b"in24": "PCM",
    b"in32": "PCM",
    b"fl32": "PCM",
    b"fl64": "PCM",
    b"alaw": "ADPCM",
    b"ulaw": "ADPCM",
}
"""Sample-entry codes whose MediaInfo ``Format`` is certain (``mp4a`` is read from its esds)."""

_AAC_OBJECT_TYPES = frozenset({0x40, 0x66, 0x67, 0x68})  # MPEG-4 audio, MPEG-2 AAC profiles
_AAC_AUDIO_TYPES = frozenset({1, 2, 3, 4, 5, 29})  # Main, LC, SSR, LTP, SBR, PS
_MPEG4_VISUAL = 0x20

_OTHER_HANDLERS = frozenset(
    {b"hint", b"meta", b"tmcd", b"text", b"sbtl", b"subt", b"subp", b"clcp", b"odsm", b"sdsm"}
    | {b"mdta"}
)
"""Track kinds whose content does not matter here (only their duration might)."""


_SINGLE_TABLES = frozenset({b"stsd", b"stts", b"ctts"})
"""Sample tables a track has one of (sample groups, ``sgpd``/``sbgp``, come one per kind)."""


class _UnsupportedError(Exception):
    """This file is outside what the reader understands: MediaInfo must read it."""


class _LongerOtherTrackError(Exception):
    """A timecode, text or metadata track outlasts the audio and video: MediaInfo's General
    duration would be that track's."""


def read_video_facts(path: str, *, size: int) -> MediaFacts | None:
    """The facts of the ISO base media video at ``path`` (``size`` bytes), or ``None``.

    ``None`` means "not mine, or not understood": not ISO-BMFF, a HEIF/AVIF image, no video
    track, or anything unusual. It never raises for the file's content; an ``open`` failure is
    ``None`` too, so that the caller's usual path reports it with its usual reason.
    """
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer.
        fd = os.open(path, _OPEN_FLAGS)
    except (OSError, ValueError):
        return None
    try:
        head = os.read(fd, HEAD_BYTES)
        return read_open_video_facts(FileSource(fd, size), head, path, size=size)
    except OSError:
        return None
    finally:
        os.close(fd)


def read_open_video_facts(
    source: ByteSource, head: bytes, path: str, *, size: int
) -> MediaFacts | None:
    """:func:`read_video_facts` for a file the caller has open (or a remote object): ``head``
    is its first ``HEAD_BYTES``, ``source`` gives the rest (a :class:`FileSource` reads
    through ``os.pread``, leaving the descriptor's position, and a buffered reader over it,
    as they were)."""
    try:
        mine, brand = _sniff(head)
        return _read(_Source(source, size, head), path, brand) if mine else None
    except (
        _UnsupportedError,
        BeyondReachError,
        FragmentError,
        OSError,
        LookupError,
        ArithmeticError,
        ValueError,
        struct.error,
    ):
        return None  # a box too short for its fields, a number out of range: not understood


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


@dataclass(frozen=True)
class FileType:
    """What the ``ftyp`` box of an ISO base media file says."""

    major_brand: str  # as stored, four characters (latin-1): "isom", "qt  ", "wmf "
    image: bool  # a HEIF/AVIF brand, major or compatible: never a video
    container: str | None  # "mov" or "mp4" when the brand alone says so; None: ask the boxes


def file_type(head: bytes) -> FileType | None:
    """The brands of the file whose first bytes are ``head``; ``None`` without an ``ftyp``."""
    if len(head) < 12 or head[4:8] != b"ftyp":
        return None
    (length,) = _U32.unpack_from(head)
    return _brands(head[8 : max(12, min(length, _MAX_FTYP))])


_MAX_FTYP = 256
"""Bytes of an ``ftyp`` box read for brands (a real one lists a handful)."""


@functools.lru_cache(maxsize=256)
def _brands(ftyp: bytes) -> FileType:
    """:func:`file_type` of an ``ftyp`` payload (cached: a batch has few distinct ones)."""
    major = ftyp[:4]
    brands = {ftyp[i : i + 4] for i in range(8, len(ftyp) - 3, 4)} | {major}
    image = not brands.isdisjoint(_IMAGE_BRANDS)
    container = None
    if not image and major in _MPEG4_BRANDS:
        container = "mov" if major == b"qt  " else "mp4"
    return FileType(major_brand=major.decode("latin-1"), image=image, container=container)


def has_movie_box(source: ByteSource, size: int) -> bool:
    """Whether a top-level ``moov`` or ``moof`` box starts within the file (or object).

    Walks box headers only (at most :data:`_MAX_TOP_BOXES`), stopping at the first box that
    runs past the end: what lies beyond cannot be read.
    """
    position = 0
    for _ in range(_MAX_TOP_BOXES):
        header = source.read_at(position, 16) if position + 8 <= size else b""
        if len(header) < 8:
            return False
        length, kind = _HEADER.unpack_from(header)
        if kind in _MOVIE_BOXES:
            return True
        if length == 1 and len(header) == 16:
            (length,) = _U64.unpack_from(header, 8)
        if length < 8:  # 0 ("to the end") or damaged: nothing after it
            return False
        position += length
    return False


def _sniff(head: bytes) -> tuple[bool, bytes | None]:
    """(is it an ISO base media video file this reader may read, its major brand).

    Any brand will do (MediaInfo reads the boxes the same way whatever the brand); HEIF and
    AVIF images (an image brand among the brands) are Pillow's.
    """
    found = file_type(head)
    if found is not None:
        return not found.image, head[8:12]
    return len(head) >= 8 and head[4:8] in _QUICKTIME_FIRST, None


# ---------------------------------------------------------------------------------------------
# reading

_HEADER = struct.Struct(">I4s")
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
_U32_U32 = struct.Struct(">II")
_U32_U64 = struct.Struct(">IQ")
_U32_U32_U32 = struct.Struct(">III")
_EDIT_V0 = struct.Struct(">Iih")
_F32 = struct.Struct("f")
_ONE_EDIT = bytes(4) + struct.pack(">I", 1)


class _Source(BudgetedReader):
    """Random access to the file through one cached block, with budgets on reads and boxes."""

    def __init__(self, source: ByteSource, size: int, head: bytes) -> None:
        super().__init__(source, size, head, budget=_MAX_READ, block=_BLOCK)
        self._boxes = 0

    def boxes(self, start: int, end: int, *, top: bool = False) -> list[tuple[bytes, int, int]]:
        """``(type, payload offset, end offset)`` of each box, which must fill ``[start, end)``.

        A box running past its parent (or the file), a size below its header, or more boxes
        than the budget is not understood. Size 0 ("to the end") is valid for the last top box.
        """
        found = []
        pos = start
        buffer, base = self._buffer, self._base
        while pos < end:
            self._boxes += 1
            if self._boxes > _MAX_BOXES or end - pos < 8:
                raise _UnsupportedError
            rel = pos - base
            if rel < 0 or rel + 8 > len(buffer):
                self._fill(pos, 8, self.block)
                buffer, base, rel = self._buffer, pos, 0
            length, kind = _HEADER.unpack_from(buffer, rel)
            head = 8
            if length == 1:
                (length,) = _U64.unpack(self.read(pos + 8, 8))
                buffer, base = self._buffer, self._base
                head = 16
            elif length == 0 and top:
                length = end - pos
            if length < head or pos + length > end:
                raise _UnsupportedError  # a box past its parent: truncated or damaged
            found.append((kind, pos + head, pos + length))
            pos += length
        return found


def _payload(source: _Source, start: int, end: int, limit: int = _MAX_READ) -> bytes:
    if end - start > limit:
        raise _UnsupportedError
    return source.read(start, end - start)


# ---------------------------------------------------------------------------------------------
# structure


@dataclass(slots=True)
class _Track:
    handler: bytes = b""
    track_id: int = 0
    tkhd_duration: int = -1  # -1: no tkhd yet
    tkhd_unknown: bool = False  # all ones: "not known" (fragmented files)
    matrix: tuple[int, int, int, int] = (0, 0, 0, 0)
    timescale: int = 0
    media_duration: int = 0  # mdhd, in the media time scale
    codec: str | tuple[str, str] | None = None  # MediaInfo's Format (and Format_Profile)
    width: int = 0
    height: int = 0
    stts_data: bytes | None = None  # the time-to-sample payload, read once the layout is known
    stts: tuple[int, int, int, int] | None = None  # min delta, max delta, samples, total ticks
    sample_rate: int = 0  # audio: the sample entry's rate (16.16 fixed point; 0 when not there)
    has_ctts: bool = False
    edits: list[tuple[int, int]] | None = None  # elst: (segment duration, media time or -1)
    colour: colour.Colour | None = None


@dataclass
class _Movie:
    timescale: int
    tracks: list[_Track]
    fragmented: bool = False  # an mvex box: samples are (also) described in moof boxes
    defaults: dict[int, fragments.TrackDefaults] = field(default_factory=dict)  # trex by track
    fragment_duration: int = 0  # mehd, in the movie time scale; 0: none


@dataclass
class _Fragments:
    """What the moof boxes said, track by track, and whether reading stopped at a cap."""

    timings: dict[int, Timing] = field(default_factory=dict)
    count: int = 0
    samples: int = 0
    capped: bool = False
    indexes: list[fragments.SegmentIndex] = field(default_factory=list)  # whole-file sidx
    seen_moof: bool = False


def _read(source: _Source, path: str, brand: bytes | None) -> MediaFacts | None:
    quicktime = brand is None or brand == b"qt  "
    movie: _Movie | None = None
    found = _Fragments()
    for kind, start, end in _top_boxes(source, found):
        if kind == b"ftyp":
            if start != 8:
                raise _UnsupportedError  # a second ftyp, or one after other boxes
        elif kind == b"moov":
            if movie is not None:
                raise _UnsupportedError
            source.bytes.prefetch(start, end - start)  # a remote moov: one request
            movie = _movie(source, start, end, quicktime=quicktime)
            if movie.fragmented:
                _seed(movie, found)
        elif kind == b"moof" or kind in _FRAGMENT_TOP:
            if movie is None or not movie.fragmented:
                raise _UnsupportedError  # fragments of what? MediaInfo decides
            if kind == b"moof":
                _moof(source, start, end, movie, found)
            elif kind == b"sidx" and not found.seen_moof:
                _segment_index(source, start, end, found)
        elif kind not in _SKIPPED_TOP:
            raise _UnsupportedError  # meta-only images, unknown boxes
        if found.capped:
            break  # past the caps: mehd or sidx tell the duration, or MediaInfo does
    if movie is None:
        raise _UnsupportedError  # MediaInfo says whether it is cut short
    for track in movie.tracks:
        _finish(track, movie, found)
    tracks = movie.tracks
    videos = [t for t in tracks if t.handler == b"vide"]
    if not videos:
        return None
    if len(videos) > 1:
        raise _UnsupportedError
    video = videos[0]
    audio = next((t for t in tracks if t.handler == b"soun"), None)
    if video.codec is None or video.stts is None or (audio is not None and audio.codec is None):
        raise _UnsupportedError
    if movie.fragmented:
        duration_ms = _fragmented_duration_ms(movie, found)
    else:
        duration_ms = _presented_duration_ms(tracks, movie.timescale)
    fps, variable = _frame_rate(video.timescale, video.stts)
    tone = video.colour or colour.Colour()
    return MediaFacts(
        path=path,
        kind="video",
        format="mov" if quicktime else "mp4",
        brand=brand.decode("latin-1") if brand is not None else None,
        size=source.size,
        width=video.width,
        height=video.height,
        fps=fps,
        variable_frame_rate=variable,
        duration_s=duration_ms / 1000,
        video_codec=_codec_name(video.codec, video_codec_name),
        audio_codec=_codec_name(audio.codec, audio_codec_name) if audio is not None else None,
        bit_rate=_overall_bit_rate(source.size, duration_ms),
        rotation=_rotation(video.matrix),
        audio_sample_rate=(audio.sample_rate or None) if audio is not None else None,
        bit_depth=tone.bit_depth,
        color_transfer=tone.color_transfer,
        color_primaries=tone.color_primaries,
        dolby_vision=tone.dolby_vision,
    )


def _top_boxes(source: _Source, found: _Fragments) -> Iterator[tuple[bytes, int, int]]:
    """``(type, payload offset, end offset)`` of each top-level box, read as they come.

    The same rules as :meth:`_Source.boxes` (the boxes must fill the file; size 0 runs to
    the end), but lazily, so that reading can stop at the fragment caps; between fragments
    it reads small blocks, not 64 KiB ones.
    """
    pos, size = 0, source.size
    while pos < size:
        source._boxes += 1
        if source._boxes > _MAX_BOXES or size - pos < 8:
            raise _UnsupportedError
        buffer = source._buffer  # (the cached block: most headers are in it)
        rel = pos - source._base
        if rel >= 0 and rel + 8 <= len(buffer):
            length, kind = _HEADER.unpack_from(buffer, rel)
        else:
            block = _FRAGMENT_BLOCK if found.seen_moof else _BLOCK
            length, kind = _HEADER.unpack(source.read(pos, 8, block=block))
        head = 8
        if length == 1:
            (length,) = _U64.unpack(source.read(pos + 8, 8, block=_FRAGMENT_BLOCK))
            head = 16
        elif length == 0:
            length = size - pos
        if length < head or pos + length > size:
            raise _UnsupportedError  # a box past the end: truncated or damaged
        yield kind, pos + head, pos + length
        pos += length


def _codec_name(
    codec: str | tuple[str, str] | None, name: Callable[[object, object], str | None]
) -> str | None:
    """The short name ``video_facts`` gives MediaInfo's Format (and profile)."""
    return name(*codec) if isinstance(codec, tuple) else name(codec, None)


def _movie(source: _Source, start: int, end: int, *, quicktime: bool) -> _Movie:
    timescale = 0
    tracks: list[_Track] = []
    movie = _Movie(timescale=0, tracks=tracks)
    for kind, child, child_end in source.boxes(start, end):
        if kind == b"mvhd":
            if timescale:
                raise _UnsupportedError  # two movie headers
            timescale = _mvhd(_payload(source, child, child_end, 1024))
        elif kind == b"trak":
            if len(tracks) == _MAX_TRACKS:
                raise _UnsupportedError
            tracks.append(_track(source, child, child_end, quicktime=quicktime))
        elif kind == b"mvex":
            if movie.fragmented:
                raise _UnsupportedError
            movie.fragmented = True
            _mvex(source, child, child_end, movie)
    if not timescale:
        raise _UnsupportedError
    movie.timescale = timescale
    if movie.fragmented:
        ids = [track.track_id for track in tracks]
        if len(set(ids)) != len(ids) or not set(movie.defaults) <= set(ids):
            raise _UnsupportedError  # fragments could not be told apart
        for track_id in ids:
            movie.defaults.setdefault(track_id, fragments.TrackDefaults(track_id))
    return movie


def _mvex(source: _Source, start: int, end: int, movie: _Movie) -> None:
    for kind, child, child_end in source.boxes(start, end):
        if kind == b"trex":
            defaults = fragments.parse_trex(_payload(source, child, child_end, 1024))
            if defaults.track_id in movie.defaults:
                raise _UnsupportedError
            movie.defaults[defaults.track_id] = defaults
        elif kind == b"mehd":
            movie.fragment_duration = fragments.parse_mehd(_payload(source, child, child_end, 64))


def _moof(source: _Source, start: int, end: int, movie: _Movie, found: _Fragments) -> None:
    """Add one movie fragment's samples to ``found``; past a cap, mark it capped instead."""
    found.seen_moof = True
    if found.count >= _MAX_FRAGMENTS or found.samples >= _MAX_SAMPLES:
        found.capped = True
        return
    found.count += 1
    _payload(source, start, end, _MAX_MOOF)  # the whole box in the cache: one read
    for kind, child, child_end in source.boxes(start, end):
        if kind != b"traf":
            continue
        track_id: int | None = None
        default = 0
        empty = False
        for inner, inner_start, inner_end in source.boxes(child, child_end):
            if inner == b"tfhd":
                if track_id is not None:
                    raise _UnsupportedError
                data = _payload(source, inner_start, inner_end, 1024)
                track_id, default, empty = fragments.parse_tfhd(data, movie.defaults)
            elif inner == b"trun":
                if track_id is None or empty:
                    raise _UnsupportedError  # a run before its header, or in an empty one
                data = _payload(source, inner_start, inner_end, _MAX_MOOF)
                durations, offsets = fragments.parse_trun(data, default)
                found.timings[track_id].add(durations, offsets)
                found.samples += len(durations)
        if track_id is None:
            raise _UnsupportedError


def _segment_index(source: _Source, start: int, end: int, found: _Fragments) -> None:
    """Keep a ``sidx`` before the first fragment when it indexes media (not other indexes) up
    to the end of the file, or up to a last ``mfra``: its durations are its track's."""
    index = fragments.parse_sidx(_payload(source, start, end, 1 << 20))
    stop = end + index.covers
    if not index.leaves_only or not index.timescale or stop > source.size:
        return
    if stop + 8 <= source.size:  # anything after the indexed part must be the mfra box
        length, kind = _HEADER.unpack(source.read(stop, 8, block=_FRAGMENT_BLOCK))
        if kind != b"mfra" or stop + length != source.size:
            return
    elif stop != source.size:
        return
    found.indexes.append(index)


def _mvhd(data: bytes) -> int:
    version = data[0]
    if version not in (0, 1):
        raise _UnsupportedError
    (timescale,) = _U32.unpack_from(data, 12 if version == 0 else 20)
    return int(timescale)


def _track(source: _Source, start: int, end: int, *, quicktime: bool) -> _Track:
    track = _Track()
    for kind, child, child_end in source.boxes(start, end):
        if kind == b"tkhd":
            if track.tkhd_duration >= 0:
                raise _UnsupportedError
            _tkhd(_payload(source, child, child_end, 1024), track)
        elif kind == b"mdia":
            if track.tkhd_duration < 0:
                raise _UnsupportedError  # MediaInfo checks the media header against tkhd's
            _mdia(source, child, child_end, track, quicktime=quicktime)
        elif kind == b"edts":
            for inner, inner_start, inner_end in source.boxes(child, child_end):
                if inner == b"elst":
                    if track.edits is not None:
                        raise _UnsupportedError
                    track.edits = _elst(_payload(source, inner_start, inner_end))
    if track.tkhd_duration < 0 or not track.handler or not track.timescale:
        raise _UnsupportedError
    if track.handler not in (b"vide", b"soun") and track.handler not in _OTHER_HANDLERS:
        raise _UnsupportedError
    return track


def _finish(track: _Track, movie: _Movie, found: _Fragments) -> None:
    """Check a track against what the movie turned out to be; time a fragmented one."""
    media = track.handler in (b"vide", b"soun")
    if not movie.fragmented:
        if track.tkhd_unknown or (media and not track.tkhd_duration):
            raise _UnsupportedError
        if track.stts_data is not None:
            track.stts = _stts(track.stts_data)
        elif media:
            raise _UnsupportedError
        return
    timing = found.timings.get(track.track_id)
    if media:
        if timing is None or not timing.samples or not timing.ticks:
            raise _UnsupportedError  # an init segment, or an empty track: MediaInfo decides
        track.stts = timing.stts()


def _seed(movie: _Movie, found: _Fragments) -> None:
    """Start each track's timing of a fragmented movie with the moov's own samples."""
    for track in movie.tracks:
        timing = found.timings.setdefault(track.track_id, Timing())
        if track.stts_data is None:
            continue
        counts, deltas = _stts_entries(track.stts_data)
        if counts and track.has_ctts:
            raise _UnsupportedError  # composition offsets of the moov's own samples: not read
        for count, delta in zip(counts, deltas, strict=True):
            timing.add_constant(count, delta)
        found.samples += sum(counts)


def _tkhd(data: bytes, track: _Track) -> None:
    version = data[0]
    if version == 0:
        track_id, _, duration = _U32_U32_U32.unpack_from(data, 12)
        track.tkhd_unknown = duration == 0xFFFFFFFF
        matrix_at = 40
    elif version == 1:
        track_id, _, duration = struct.unpack_from(">IIQ", data, 20)
        track.tkhd_unknown = duration == 0xFFFFFFFFFFFFFFFF
        matrix_at = 52
    else:
        raise _UnsupportedError
    a, b, _, c, d = struct.unpack_from(">iiiii", data, matrix_at)
    track.track_id = int(track_id)
    track.tkhd_duration = int(duration)
    track.matrix = (a, b, c, d)


def _elst(data: bytes) -> list[tuple[int, int]]:
    """(segment duration in the movie time scale, media time or -1 for an empty edit)."""
    if len(data) == 20 and data[:8] == _ONE_EDIT:  # the usual list: one edit, version 0
        duration, media_time, rate = _EDIT_V0.unpack_from(data, 8)
        if media_time < -1 or (media_time >= 0 and rate != 1):
            raise _UnsupportedError
        return [(duration, media_time)]
    version = data[0]
    (count,) = _U32.unpack_from(data, 4)
    layout = {0: ">Iih", 1: ">Qqh"}.get(version)
    if layout is None or count > _MAX_EDITS:
        raise _UnsupportedError
    step = struct.calcsize(layout) + 2  # media_rate_integer, media_rate_fraction
    if len(data) != 8 + step * count:
        raise _UnsupportedError
    edits = []
    for at in range(8, len(data), step):
        duration, media_time, rate = struct.unpack_from(layout, data, at)
        if media_time < -1 or (media_time >= 0 and rate != 1):
            raise _UnsupportedError  # slow motion or a dwell: not a plain presentation
        edits.append((int(duration), int(media_time)))
    return edits


def _mdia(source: _Source, start: int, end: int, track: _Track, *, quicktime: bool) -> None:
    stbl: tuple[int, int] | None = None
    for kind, child, child_end in source.boxes(start, end):
        if kind == b"mdhd":
            data = _payload(source, child, child_end, 1024)
            if data[0] not in (0, 1) or track.timescale:
                raise _UnsupportedError
            layout, at = (_U32_U32, 12) if data[0] == 0 else (_U32_U64, 20)
            track.timescale, track.media_duration = layout.unpack_from(data, at)
        elif kind == b"hdlr":
            if track.handler:
                raise _UnsupportedError
            track.handler = _payload(source, child, child_end, 4096)[8:12]
        elif kind == b"minf":
            for inner, inner_start, inner_end in source.boxes(child, child_end):
                if inner == b"stbl":
                    stbl = (inner_start, inner_end)
    if stbl is None:
        raise _UnsupportedError
    seen: set[bytes] = set()
    for kind, child, child_end in source.boxes(*stbl):
        if kind in seen and kind in _SINGLE_TABLES:
            raise _UnsupportedError  # a second table: which one would MediaInfo use?
        seen.add(kind)
        if kind == b"stts":
            track.stts_data = _payload(source, child, child_end)
        elif kind == b"stsd" and track.handler in (b"vide", b"soun"):
            _stsd(_payload(source, child, child_end, 1 << 20), track, quicktime=quicktime)
    track.has_ctts = b"ctts" in seen


def _stts_entries(data: bytes) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(sample counts, sample deltas) of a time-to-sample payload; both empty for none."""
    (count,) = _U32.unpack_from(data, 4)
    if data[0] != 0 or len(data) != 8 + 8 * count:
        raise _UnsupportedError
    table = struct.unpack_from(f">{2 * count}I", data, 8)
    return table[0::2], table[1::2]


def _stts(data: bytes) -> tuple[int, int, int, int]:
    """MediaInfo's view of the time-to-sample table: (min delta, max delta, samples, ticks),
    the deltas reduced by :func:`fragments.reduce_runs` (a lone odd first or last sample does
    not make the rate variable)."""
    (count,) = _U32.unpack_from(data, 4)
    if data[0] != 0 or len(data) != 8 + 8 * count:
        raise _UnsupportedError
    if count == 1:  # the usual table: one rate
        samples, delta = _U32_U32.unpack_from(data, 8)
        if delta >= 0x80000000:
            raise _UnsupportedError
        product = samples * delta
        return delta, delta, samples, product if product <= 0xFFFFFFFF else product & 0xFFFFFFFF
    counts, deltas = _stts_entries(data)
    if not counts:
        raise _UnsupportedError
    if max(deltas) >= 0x80000000:
        raise _UnsupportedError  # MediaInfo reads it as a negative duration
    samples = sum(counts)
    ticks = sum(map(operator.mul, counts, deltas))
    if max(counts) * max(deltas) > 0xFFFFFFFF:  # MediaInfo multiplies in 32 bits: wrap around
        ticks = sum(product & 0xFFFFFFFF for product in map(operator.mul, counts, deltas))
    low, high = fragments.reduce_runs(counts, deltas)
    return low, high, samples, ticks


def _stsd(data: bytes, track: _Track, *, quicktime: bool) -> None:
    """The codec (and, for video, the stored size and colour) from the one sample description.

    A visual entry's boxes start 78 bytes in; an audio entry's 28 bytes in, or 44 and 64 for
    QuickTime's version 1 and 2 layouts (which ISO files must not use).
    """
    (entries,) = _U32.unpack_from(data, 4)
    if entries != 1 or len(data) < 16:
        raise _UnsupportedError
    (length, kind) = _HEADER.unpack_from(data, 8)
    entry = data[16 : 8 + length]
    if length < 8 or 8 + length > len(data):
        raise _UnsupportedError
    if track.handler == b"vide":
        track.width, track.height = struct.unpack_from(">HH", entry, 24)
        boxes = _child_boxes(entry, 78)
        children = dict(boxes[::-1])
        if b"clap" in children or not track.width or not track.height:
            raise _UnsupportedError
        if kind == b"mp4v":
            esds = children.get(b"esds")
            track.codec = "MPEG-4 Visual" if _object_type(esds)[0] == _MPEG4_VISUAL else None
        else:
            track.codec = _VIDEO_FORMATS.get(kind)
        track.colour = _entry_colour(track.codec, entry, boxes)
    else:
        (version,) = struct.unpack_from(">H", entry, 8)
        if version and not quicktime:
            raise _UnsupportedError
        if version in (0, 1) and len(entry) >= 28:
            track.sample_rate = _U32.unpack_from(entry, 24)[0] >> 16
        children = _children(entry, {0: 28, 1: 44, 2: 64}.get(version, -1))
        if kind == b"mp4a":
            esds = children.get(b"esds")
            if esds is None and b"wave" in children:  # QuickTime wraps it
                esds = _children(children[b"wave"], 0).get(b"esds")
            object_type, audio_type = _object_type(esds)
            aac = object_type in _AAC_OBJECT_TYPES and (
                object_type != 0x40 or audio_type in _AAC_AUDIO_TYPES
            )
            track.codec = "AAC" if aac else None
        else:
            track.codec = _AUDIO_FORMATS.get(kind)


_COLOURS: dict[tuple[object, bytes], colour.Colour] = {}
_MAX_COLOURS = 256


def _entry_colour(codec: object, entry: bytes, boxes: list[tuple[bytes, bytes]]) -> colour.Colour:
    """:func:`colour.from_sample_entry`, remembered by the entry's bytes (files from one
    camera or encoder share their sample entries)."""
    key = (codec, entry)
    found = _COLOURS.get(key)
    if found is None:
        found = colour.from_sample_entry(codec, boxes)
        if len(_COLOURS) >= _MAX_COLOURS:
            _COLOURS.clear()
        _COLOURS[key] = found
    return found


def _children(data: bytes, start: int) -> dict[bytes, bytes]:
    """The boxes inside a sample entry, by type (payloads; the first of each type); a broken
    layout is unsupported."""
    return dict(_child_boxes(data, start)[::-1])


def _child_boxes(data: bytes, start: int) -> list[tuple[bytes, bytes]]:
    """The boxes inside a sample entry, in order, as (type, payload)."""
    if start < 0 or start > len(data):
        raise _UnsupportedError
    found: list[tuple[bytes, bytes]] = []
    pos = start
    while pos + 8 <= len(data):
        length, kind = _HEADER.unpack_from(data, pos)
        if length == 0:  # QuickTime ends some lists with zeros
            break
        if length < 8 or pos + length > len(data):
            raise _UnsupportedError
        found.append((kind, data[pos + 8 : pos + length]))
        pos += length
    if any(data[pos:]):
        raise _UnsupportedError  # bytes that are not a box
    return found


def _object_type(esds: bytes | None) -> tuple[int, int]:
    """(objectTypeIndication, MPEG-4 audio object type or 0) from an esds payload."""
    if esds is None or len(esds) < 5 or esds[0] != 0:
        raise _UnsupportedError
    tag, body, _ = _descriptor(esds, 4)
    if tag != 0x03:
        raise _UnsupportedError
    flags = esds[body + 2]
    pos = body + 3
    if flags & 0x80:
        pos += 2
    if flags & 0x40:
        pos += 1 + esds[pos]
    if flags & 0x20:
        pos += 2
    tag, body, end = _descriptor(esds, pos)
    if tag != 0x04 or end - body < 13:
        raise _UnsupportedError
    object_type = esds[body]
    audio_type = 0
    if body + 13 < end:
        tag, info, info_end = _descriptor(esds, body + 13)
        if tag == 0x05 and info < info_end:
            audio_type = esds[info] >> 3
            if audio_type == 31:
                audio_type = 32 + ((esds[info] & 7) << 3 | esds[info + 1] >> 5)
    return object_type, audio_type


def _descriptor(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, body offset, end offset) of the MPEG-4 descriptor at ``pos``."""
    tag = data[pos]
    length = 0
    for i in range(1, 5):
        byte = data[pos + i]
        length = length << 7 | byte & 0x7F
        if not byte & 0x80:
            body = pos + i + 1
            if body + length > len(data):
                raise _UnsupportedError
            return tag, body, body + length
    raise _UnsupportedError


# ---------------------------------------------------------------------------------------------
# MediaInfo's arithmetic


def _f32(value: float) -> float:
    """``value`` rounded to single precision, as MediaInfo's ``float`` variables hold it."""
    result: float = _F32.unpack(_F32.pack(value))[0]
    return result


def _track_duration_ms(track: _Track, movie_timescale: int, *, mismatch: bool | None = None) -> int:
    """The duration MediaInfo reports for a track, in whole ms.

    The track header's duration (in the movie time scale) counts, rounded in double precision;
    a header that looks written in the media time scale (within 1 % of the media duration) is
    rescaled first. When the samples' total differs from it by more than a movie tick, MediaInfo
    recomputes it in single precision. ``mismatch`` forces that branch (for bounds).
    """
    ticks = track.tkhd_duration
    movie = float(movie_timescale)
    media = track.timescale
    if _in_media_scale(track, movie_timescale):
        ticks = _round_half_up(ticks / (media / movie))
    if mismatch is None:
        scale = _f32(movie)
        high = _f32(_f32(ticks + 1) / scale)
        low = _f32(_f32(ticks - 1) / scale)
        samples = _f32(_f32(track.stts[3]) / _f32(media)) if track.stts is not None else 0.0
        mismatch = bool(samples) and not low <= samples <= high
    if mismatch:
        return round(_f32(_f32(_f32(ticks) / _f32(movie)) * 1000))  # printed "%.0f"
    return _round_half_up(ticks * 1000 / movie)


def _in_media_scale(track: _Track, movie_timescale: int) -> bool:
    """Whether MediaInfo takes the track header's duration as written in the media time
    scale (some muxers do that): it is within 1 % of the media header's."""
    ticks = track.tkhd_duration
    return (
        track.timescale != movie_timescale
        and ticks * 1.01 >= track.media_duration * 0.99
        and ticks * 0.99 <= track.media_duration * 1.01
    )


def _round_half_up(value: float) -> int:
    """MediaInfo's float64_int64s: add a half, truncate."""
    return int(value + 0.5)


def _general_duration_ms(tracks: list[_Track], movie_timescale: int) -> int:
    """MediaInfo's General duration: the longest audio or video track, in whole ms.

    Other tracks (timecode, text, metadata) count for MediaInfo when longer: that raises
    :class:`_LongerOtherTrackError`, as players show the audio and video alone.
    """
    longest = max(
        _track_duration_ms(t, movie_timescale) for t in tracks if t.handler in (b"vide", b"soun")
    )
    if longest <= 0:
        raise _UnsupportedError
    for other in tracks:
        if other.handler not in (b"vide", b"soun"):
            bound = max(
                _track_duration_ms(other, movie_timescale, mismatch=m) for m in (False, True)
            )
            if bound > longest:
                raise _LongerOtherTrackError
    return longest


# ---------------------------------------------------------------------------------------------
# the presentation: what a player shows


def _presented_duration_ms(tracks: list[_Track], movie_timescale: int) -> int:
    """The duration a player shows, in whole ms: from the first presented sample of any audio
    or video track to the end of the last one, as the edit lists say.

    When every edit list agrees with its track header (within a tick: muxers round the two
    apart) and no other track is longer, that is MediaInfo's General duration, to the
    millisecond. Otherwise the edits count, not the headers: an empty edit before a track's
    media (a first frame at 10 s) delays the track, and the presentation starts with the
    earliest track, so a video alone whose first frame is at 10 s lasts as long as its frames
    (MediaInfo adds the 10 s); an audio track whose header counts the encoder's priming
    samples ends where its edit ends; a longer timecode or subtitle track does not count.
    """
    media = [t for t in tracks if t.handler in (b"vide", b"soun")]
    spans = []
    consistent = True
    for track in media:
        first, last = _presented(track)
        spans.append((first, last))
        if first or abs(last - track.tkhd_duration) > 1:  # (muxers round the two apart)
            consistent = False
    if consistent:
        try:
            return _general_duration_ms(tracks, movie_timescale)
        except _LongerOtherTrackError:
            pass
    if any(not t.edits and _in_media_scale(t, movie_timescale) for t in media):
        raise _UnsupportedError  # a header in which time scale? MediaInfo decides
    end = max(last for _, last in spans)
    return _round_half_up((end - min(first for first, _ in spans)) * 1000 / movie_timescale)


def _presented(track: _Track) -> tuple[int, int]:
    """(start, end) of a track's presentation in the movie time scale: its edit list, less
    empty edits at either end, or its header's duration when it has no edit list."""
    edits = track.edits
    if not edits:
        return 0, track.tkhd_duration
    if len(edits) == 1 and edits[0][1] >= 0 and edits[0][0]:
        return 0, edits[0][0]
    lead, trail = _edit_span(track)
    end = sum(duration for duration, _ in edits) - trail
    if end <= lead:
        raise _UnsupportedError  # edits with no duration
    return lead, end


def _edit_span(track: _Track) -> tuple[int, int]:
    """(empty edits before the media, empty edits after it), in the movie time scale."""
    if not track.edits:
        return 0, 0
    if all(media_time == -1 for _, media_time in track.edits):
        raise _UnsupportedError  # nothing presented at all
    return _empty_run(track.edits), _empty_run(reversed(track.edits))


def _empty_run(edits: Iterable[tuple[int, int]]) -> int:
    """The duration of the empty edits that ``edits`` start with."""
    total = 0
    for duration, media_time in edits:
        if media_time != -1:
            break
        total += duration
    return total


def _fragmented_duration_ms(movie: _Movie, found: _Fragments) -> int:
    """The presentation of a fragmented movie, in whole ms: each track's samples from its
    first composition time (or its edit's media time, if later) to its last, after its empty
    edits; ``tfdt`` start times do not count (a segment starts at its own beginning).

    Past the caps on fragments and samples, the movie extends header's duration (``mehd``),
    else a segment index covering the rest of the file (``sidx``), else MediaInfo decides.
    """
    if found.capped:
        if movie.fragment_duration:
            return _round_half_up(movie.fragment_duration * 1000 / movie.timescale)
        if found.indexes:
            longest = max(Fraction(i.duration, i.timescale) for i in found.indexes)
            return math.floor(longest * 1000 + Fraction(1, 2))
        raise _UnsupportedError
    starts: list[Fraction] = []
    ends: list[Fraction] = []
    for track in movie.tracks:
        if track.handler not in (b"vide", b"soun"):
            continue
        timing = found.timings[track.track_id]
        begin = timing.first_presented or 0
        lead, _ = _edit_span(track)
        if track.edits:
            presented = [media_time for _, media_time in track.edits if media_time != -1]
            if len(presented) != 1:
                raise _UnsupportedError  # several pieces of the media: not for fragments
            begin = max(begin, presented[0])
        if timing.last_presented <= begin:
            raise _UnsupportedError
        start = Fraction(lead, movie.timescale)
        starts.append(start)
        ends.append(start + Fraction(timing.last_presented - begin, track.timescale))
    return math.floor((max(ends) - min(starts)) * 1000 + Fraction(1, 2))


def _overall_bit_rate(size: int, duration_ms: int) -> int:
    return round(Fraction(size * 8000, duration_ms))


def _frame_rate(timescale: int, stts: tuple[int, int, int, int]) -> tuple[Fraction | None, bool]:
    """(fps, variable) as MediaInfo derives them from the time-to-sample table."""
    low, high, samples, ticks = stts
    if not low or not timescale or not ticks:
        raise _UnsupportedError  # MediaInfo would fall back on the codec's own timing
    scale = _f32(timescale)
    fastest, slowest = _f32(scale / _f32(low)), _f32(scale / _f32(high))
    variable = low != high and _f32(fastest - slowest) >= 0.001
    # Variable: the mean rate, frames over the summed deltas; constant: the longest delta's.
    rate = _f32(_f32(_f32(samples) / _f32(ticks)) * scale) if variable else slowest
    return _reported_frame_rate(rate), variable


_STANDARD_RATES = [
    (9.990, 10.010, 10.000),
    (11.984, 11.994, 11.988),
    (11.994, 12.010, 12.000),
    (14.980, 14.990, 14.985),
    (14.990, 15.010, 15.000),
    (23.952, 23.988, 23.976),
    (23.988, 24.024, 24.000),
    (24.975, 25.025, 25.000),
    (29.940, 29.985, 29.970),
    (29.970, 30.030, 30.000),
    (23.952 * 2, 23.988 * 2, 23.976 * 2),
    (23.988 * 2, 24.024 * 2, 24.000 * 2),
    (24.975 * 2, 25.025 * 2, 25.000 * 2),
    (29.940 * 2, 29.985 * 2, 29.970 * 2),
    (29.970 * 2, 30.030 * 2, 30.000 * 2),
]
"""MediaInfo's "well known frame rates": a printed rate in ``(low, high]`` becomes ``rate``."""


def _reported_frame_rate(rate: float) -> Fraction | None:
    """The fps ``video_facts`` makes of the frame rate MediaInfo computed as ``rate``.

    MediaInfo prints three decimals, snaps a printed value near a standard rate to it, and
    gives an exact numerator/denominator only for integers and NTSC-style rates.
    """
    printed = float(f"{rate:.3f}")
    for low, high, standard in _STANDARD_RATES:
        if low < printed <= high:
            if abs(standard - printed) >= 0.000999999:
                rate = standard
            break
    exact = _exact_frame_rate(rate)
    if exact is not None and exact > 0:
        return exact
    return parse_frame_rate(f"{rate:.3f}")  # None for "0.000", as video_facts makes of it


def _exact_frame_rate(rate: float) -> Fraction | None:
    whole = round(rate)
    exact: Fraction | None = Fraction(whole) if rate == whole else None
    if abs(whole - rate * 1.001) < 0.000002:
        exact = Fraction(int(f"{rate * 1001:.0f}"), 1001)
    if abs(whole - rate * 1.001001) < 0.000002:
        exact = Fraction(int(f"{rate * 1000:.0f}"), 1000)
    return exact


def _rotation(matrix: tuple[int, int, int, int]) -> int:
    """Clockwise display rotation of a pure quarter-turn matrix; anything else is MediaInfo's."""
    one = 0x10000
    turns = {(one, 0): 0, (0, one): 90, (-one, 0): 180, (0, -one): 270}
    a, b, c, d = matrix
    if (a, b) not in turns or (c, d) != (-b, a):
        raise _UnsupportedError
    return turns[(a, b)]
