"""A header-only reader for Matroska and WebM files: video facts in tens of µs.

MediaInfo takes milliseconds (and a worker process) per file, yet every fact the rules need sits
in the first kilobytes of a Matroska file: the EBML header (``DocType``: ``webm`` or
``matroska``), the segment's ``Info`` (``TimestampScale``, ``Duration``) and ``Tracks`` (codec
ids, sizes, ``DefaultDuration``, ``Colour``). This module reads those, seeks over everything
else, and returns the facts ``video.video_facts(video.probe(path))`` returns, with the same
names and conventions (durations in whole milliseconds, the overall bit rate from the file
size), plus what MediaInfo leaves out: the rotation FFmpeg stores as a projection roll, bit
depth, transfer (``sdr``, ``pq``, ``hlg``) and primaries.

``DisplayWidth``/``DisplayHeight`` (an aspect ratio) and ``FlagInterlaced`` are not read:
the facts hold the stored size and the frame rate, which MediaInfo and PyAV do not change for
them either. Audio sample rate and channels have no field in the facts.

The frame rate is ``DefaultDuration`` as an exact fraction (``33366666`` ns is 30000/1001). A
track without one gets it from the timestamps of its first blocks (at most
:data:`_MAX_BLOCKS`), which are rounded to the ``TimestampScale``: the whole or NTSC-style
rate every timestamp agrees with (else the simplest such fraction), or, when no constant rate
fits, their mean rate and ``variable_frame_rate``.

Reads are bounded: the first buffer, what the ``SeekHead`` points at when ``Info`` or
``Tracks`` come after the media, and the block headers of the first clusters, never more than
:data:`_MAX_READ` bytes. Anything else (unknown sizes as live recordings write them, a segment
cut short or followed by other bytes, encrypted or compressed tracks, laced video, an unknown
codec, more elements or bigger ones than any real header has) gives ``None``: the caller asks
MediaInfo, which stays the authority for files this reader does not understand.
"""

from __future__ import annotations

import functools
import math
import os
import struct
from dataclasses import dataclass, field
from fractions import Fraction

from mediarules.inspection import codec_config
from mediarules.inspection.convert import (
    audio_codec_name,
    color_primaries_name,
    color_transfer_name,
    parse_frame_rate,
    video_codec_name,
)
from mediarules.inspection.errors import UnreadableMediaError
from mediarules.inspection.sniff import EBML_MAGIC
from mediarules.inspection.source import BeyondReachError, BudgetedReader, ByteSource, FileSource
from mediarules.models import MediaFacts

__all__ = ["EBML_MAGIC", "is_matroska", "read_open_video_facts", "read_video_facts"]

_CHUNK = 16 << 10  # a read past the first buffer fetches this much
_BLOCK_CHUNK = 4 << 10  # ... or this much while walking block headers over frame data
_MAX_READ = 4 << 20  # bytes read from one file before giving up
_MAX_ELEMENTS = 20_000  # element headers parsed in one file
_MAX_HEADER = 4096  # the EBML header
_MAX_INFO = 64 << 10
_MAX_SEEK_HEAD = 64 << 10
_MAX_TRACKS = 1 << 20  # Tracks with every codec's private data
_MAX_TRACK_ENTRIES = 128
_MAX_STRING = 64  # DocType, CodecID
_MAX_BLOCKS = 96  # video blocks whose timestamps give a frame rate
_REORDER = 16  # timestamps a decoder may still reorder at the end of what was read

_DOC_TYPES = {b"webm": "webm", b"matroska": "mkv"}

# Element ids (RFC 9559), with their length marker.
_HEADER_LIMITS = {0x42F7: 1, 0x42F2: 4, 0x42F3: 8}  # EBMLReadVersion, EBMLMaxID/SizeLength
_DOC_TYPE = 0x4282
_SEGMENT = 0x18538067
_SEEK_HEAD = 0x114D9B74
_SEEK = 0x4DBB
_SEEK_ID = 0x53AB
_SEEK_POSITION = 0x53AC
_INFO = 0x1549A966
_TIMESTAMP_SCALE = 0x2AD7B1
_DURATION = 0x4489
_TRACKS = 0x1654AE6B
_TRACK_ENTRY = 0xAE
_TRACK_NUMBER = 0xD7
_TRACK_TYPE = 0x83
_CODEC_ID = 0x86
_CODEC_PRIVATE = 0x63A2
_DEFAULT_DURATION = 0x23E383
_CONTENT_ENCODINGS = 0x6D80
_VIDEO = 0xE0
_AUDIO = 0xE1
_SAMPLING_FREQUENCY = 0xB5  # in Audio: Hz, a float
_PIXEL_WIDTH = 0xB0
_PIXEL_HEIGHT = 0xBA
_PIXEL_CROPS = frozenset({0x54AA, 0x54BB, 0x54CC, 0x54DD})
_COLOUR = 0x55B0
_BITS_PER_CHANNEL = 0x55B2
_TRANSFER = 0x55BA
_PRIMARIES = 0x55BB
_PROJECTION = 0x7670
_PROJECTION_TYPE = 0x7671
_PROJECTION_YAW = 0x7673
_PROJECTION_PITCH = 0x7674
_PROJECTION_ROLL = 0x7675
_AUDIO = 0xE1
_CLUSTER = 0x1F43B675
_CLUSTER_TIMESTAMP = 0xE7
_SIMPLE_BLOCK = 0xA3
_BLOCK_GROUP = 0xA0
_BLOCK = 0xA1

_VIDEO_TRACK, _AUDIO_TRACK, _COMPLEX_TRACK = 1, 2, 3

_VIDEO_CODECS: dict[str, tuple[str, str | None]] = {
    "V_MPEG4/ISO/AVC": ("AVC", None),
    "V_MPEGH/ISO/HEVC": ("HEVC", None),
    "V_VP8": ("VP8", None),
    "V_VP9": ("VP9", None),
    "V_AV1": ("AV1", None),
    "V_MPEG4/ISO/ASP": ("MPEG-4 Visual", None),
    "V_MPEG4/ISO/SP": ("MPEG-4 Visual", None),
    "V_MPEG4/ISO/AP": ("MPEG-4 Visual", None),
    "V_MPEG1": ("MPEG Video", "Version 1"),
    "V_MPEG2": ("MPEG Video", "Version 2"),
    "V_THEORA": ("Theora", None),
    "V_PRORES": ("ProRes", None),
    "V_FFV1": ("FFV1", None),
    "V_MJPEG": ("JPEG", None),  # MediaInfo says "V_MJPEG"; the MP4 reader's name is kept
}
"""Codec ids by the MediaInfo ``Format`` (and version) ``video_codec_name`` converts."""

_AUDIO_CODECS: dict[str, tuple[str, str | None]] = {
    "A_AAC": ("AAC", None),
    "A_OPUS": ("Opus", None),
    "A_VORBIS": ("Vorbis", None),
    "A_FLAC": ("FLAC", None),
    "A_AC3": ("AC-3", None),
    "A_EAC3": ("E-AC-3", None),
    "A_ALAC": ("ALAC", None),
    "A_DTS": ("DTS", None),
    "A_MPEG/L3": ("MPEG Audio", "Layer 3"),
    "A_MPEG/L2": ("MPEG Audio", "Layer 2"),
    "A_MPEG/L1": ("MPEG Audio", "Layer 1"),
    "A_PCM/INT/LIT": ("PCM", None),
    "A_PCM/INT/BIG": ("PCM", None),
    "A_PCM/FLOAT/IEEE": ("PCM", None),
    "A_TTA1": ("TTA", None),
    "A_WAVPACK4": ("WavPack", None),
}
"""Codec ids by the MediaInfo ``Format`` (and profile) ``audio_codec_name`` converts;
``A_AAC/MPEG4/LC`` and the other old AAC ids are AAC too."""

_BIT_DEPTH_READERS = {
    "V_AV1": codec_config.av1_bit_depth,
    "V_MPEGH/ISO/HEVC": codec_config.hevc_bit_depth,
    "V_MPEG4/ISO/AVC": codec_config.avc_bit_depth,
}
_EIGHT_BIT = frozenset({"V_VP8", "V_MPEG1", "V_MPEG2", "V_MPEG4/ISO/ASP", "V_MPEG4/ISO/SP"})
"""Codecs that have no other bit depth (MPEG-4 Advanced Profile aside)."""


class _UnsupportedError(Exception):
    """This file is outside what the reader understands: MediaInfo must read it."""


def is_matroska(head: bytes) -> bool:
    """Whether ``head`` (the file's first bytes) starts with an EBML header."""
    return head.startswith(EBML_MAGIC)


def read_video_facts(path: str, *, size: int) -> MediaFacts | None:
    """The facts of the Matroska or WebM video at ``path`` (``size`` bytes), or ``None``.

    ``None`` means "not mine, or not understood" (the caller then asks MediaInfo); a file with
    no video track raises :class:`UnreadableMediaError` with MediaInfo's own words. An
    ``open`` failure is ``None`` too, so that the caller's usual path reports it.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)  # O_NONBLOCK: opening a FIFO must not wait
    except (OSError, ValueError):
        return None
    try:
        source = FileSource(fd, size)
        return read_open_video_facts(source, source.read_at(0, _CHUNK), path, size=size)
    except OSError:
        return None
    finally:
        os.close(fd)


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def read_open_video_facts(
    source: ByteSource, head: bytes, path: str, *, size: int
) -> MediaFacts | None:
    """:func:`read_video_facts` for a file the caller has open (or a remote object):
    ``head`` is its first bytes (any length), ``source`` gives the rest (a
    :class:`FileSource` reads through ``os.pread``, so the descriptor's position is kept)."""
    if not is_matroska(head):
        return None
    try:
        return _read(_Source(source, size, head), path)
    except (
        _UnsupportedError,
        BeyondReachError,
        OSError,
        LookupError,
        ArithmeticError,
        ValueError,
        struct.error,
    ):
        return None


# ---------------------------------------------------------------------------------------------
# bytes


class _Budget:
    """Element headers left to parse: no file makes the reader walk forever."""

    def __init__(self) -> None:
        self.elements = _MAX_ELEMENTS


class _Source(BudgetedReader, _Budget):
    """Random access to the file through one cached buffer, with budgets on bytes and elements."""

    def __init__(self, source: ByteSource, size: int, head: bytes) -> None:
        BudgetedReader.__init__(self, source, size, head, budget=_MAX_READ, block=_CHUNK)
        _Budget.__init__(self)

    def header(self, offset: int, end: int) -> tuple[int, int, int]:
        """``(id, body offset, body end)`` of the element at ``offset``, which must end by
        ``end``. An unknown size (all ones) or a size past ``end`` is not understood."""
        self.elements -= 1
        data = self.read(offset, min(12, end - offset))
        id_length = _VINT_LENGTH[data[0]]
        size_length = _VINT_LENGTH[data[id_length]] if 0 < id_length < len(data) else 0
        at = id_length + size_length
        if self.elements < 0 or not size_length or id_length > 4 or at > len(data):
            raise _UnsupportedError
        length = int.from_bytes(data[id_length:at], "big") & _VINT_MASK[size_length]
        body = offset + at
        if length == _VINT_MASK[size_length] or body + length > end:
            raise _UnsupportedError  # unknown size, or past the parent
        return int.from_bytes(data[:id_length], "big"), body, body + length


_VINT_LENGTH = bytes([0] + [8 - b.bit_length() + 1 for b in range(1, 256)])
"""How many bytes a variable-size integer takes, by its first byte (0: more than 8)."""

_VINT_MASK = [(1 << (7 * n)) - 1 for n in range(9)]
"""The value bits of an ``n``-byte variable-size integer; all of them set means "unknown"."""


def _element_size(data: bytes, pos: int) -> tuple[int | None, int]:
    """A data size and the offset after it; ``None`` for "unknown" (every value bit set)."""
    length = _VINT_LENGTH[data[pos]]
    end = pos + length
    if not length or end > len(data):
        raise _UnsupportedError
    value = int.from_bytes(data[pos:end], "big") & _VINT_MASK[length]
    return (None if value == _VINT_MASK[length] else value), end


def _children(budget: _Budget, data: bytes) -> list[tuple[int, bytes]]:
    """``(id, body)`` of each element that ``data`` (a master element's body) holds.

    The hot loop of the reader: vints are decoded inline, from tables."""
    found = []
    pos, total, left = 0, len(data), budget.elements
    lengths, masks = _VINT_LENGTH, _VINT_MASK
    while pos < total:
        left -= 1
        id_length = lengths[data[pos]]
        size_at = pos + id_length
        if left < 0 or not id_length or id_length > 4 or size_at >= total:
            raise _UnsupportedError
        size_length = lengths[data[size_at]]
        body = size_at + size_length
        if not size_length:
            raise _UnsupportedError
        size = int.from_bytes(data[size_at:body], "big") & masks[size_length]
        end = body + size
        if size == masks[size_length] or end > total:
            raise _UnsupportedError  # unknown size, or past the parent
        found.append((int.from_bytes(data[pos:size_at], "big"), data[body:end]))
        pos = end
    budget.elements = left
    return found


def _uint(body: bytes) -> int:
    if len(body) > 8:
        raise _UnsupportedError
    return int.from_bytes(body, "big")


def _float(body: bytes) -> float:
    if len(body) == 0:
        return 0.0
    if len(body) == 4:
        value: float = struct.unpack(">f", body)[0]
    elif len(body) == 8:
        value = struct.unpack(">d", body)[0]
    else:
        raise _UnsupportedError
    if not math.isfinite(value):
        raise _UnsupportedError
    return value


def _string(body: bytes) -> str:
    """An ASCII string, padded with zeros or not; a long one is no id this reader knows."""
    if len(body) > _MAX_STRING:
        raise _UnsupportedError
    return body.rstrip(b"\0").decode("ascii")  # UnicodeDecodeError is a ValueError


# ---------------------------------------------------------------------------------------------
# structure


@dataclass
class _Track:
    number: int = 0
    kind: int = 0
    codec_id: str = ""
    private: bytes = b""
    default_duration: int | None = None  # ns per frame
    encoded: bool = False  # compressed or encrypted
    width: int | None = None
    height: int | None = None
    bit_depth: int | None = None
    transfer: int | None = None
    primaries: int | None = None
    rotation: int = 0
    sample_rate: int | None = None  # audio: SamplingFrequency, Hz


@dataclass
class _Segment:
    doc_type: str
    scale: int = 1_000_000  # ns per timestamp tick
    duration: float | None = None  # in ticks
    tracks: list[_Track] | None = None
    first_cluster: int | None = None
    end: int = 0
    seek_heads: list[tuple[int, int]] = field(default_factory=list)  # (body, end), unread


def _read(source: _Source, path: str) -> MediaFacts:
    doc_type, segment_at = _ebml_header(source)
    segment = _segment(source, doc_type, segment_at)
    tracks = segment.tracks or []
    videos = [t for t in tracks if t.kind == _VIDEO_TRACK]
    audios = [t for t in tracks if t.kind == _AUDIO_TRACK]
    if not videos:
        raise _not_a_video(doc_type, has_audio=bool(audios), path=path)
    video, audio = videos[0], audios[0] if audios else None
    if video.encoded or (audio is not None and audio.encoded):
        raise _UnsupportedError  # encrypted (or compressed) frames: MediaInfo decides
    if video.width is None or video.height is None or segment.duration is None:
        raise _UnsupportedError
    duration_ms = int(segment.duration * segment.scale / 1e6 + 0.5)  # MediaInfo's whole ms
    if duration_ms <= 0:
        raise _UnsupportedError
    timing = _Timing(video, segment, source)
    fps, variable = timing.frame_rate()
    return MediaFacts(
        path=path,
        kind="video",
        format=segment.doc_type,
        size=source.size,
        width=video.width,
        height=video.height,
        fps=fps,
        variable_frame_rate=variable,
        duration_s=duration_ms / 1000,
        video_codec=video_codec_name(*_VIDEO_CODECS[video.codec_id]),
        audio_codec=audio_codec_name(*_audio_format(audio.codec_id)) if audio else None,
        bit_rate=round(Fraction(source.size * 8000, duration_ms)),
        rotation=video.rotation,
        bit_depth=video.bit_depth or timing.bit_depth(),
        color_transfer=color_transfer_name(video.transfer),
        color_primaries=color_primaries_name(video.primaries),
        audio_sample_rate=audio.sample_rate if audio else None,
    )


def _not_a_video(doc_type: str, *, has_audio: bool, path: str) -> UnreadableMediaError:
    """What ``video.video_facts`` says of the same file (MediaInfo names it WebM or Matroska)."""
    the_file = f"the {'WebM' if doc_type == 'webm' else 'Matroska'} file"
    if has_audio:
        message = f"audio only: {the_file} has no video track"
    else:
        message = f"{the_file} has no image or video track that can be read"
    return UnreadableMediaError("unrecognised", message, path=path)


def _audio_format(codec_id: str) -> tuple[str, str | None]:
    if codec_id.startswith("A_AAC/"):
        codec_id = "A_AAC"
    return _AUDIO_CODECS[codec_id]


def _ebml_header(source: _Source) -> tuple[str, int]:
    """(the short container name the DocType says, where the Segment starts)."""
    ident, body, end = source.header(0, min(source.size, _MAX_HEADER + 12))
    if ident != int.from_bytes(EBML_MAGIC, "big"):
        raise _UnsupportedError
    return _doc_type(source.read(body, end - body)), end


@functools.lru_cache(maxsize=64)
def _doc_type(header: bytes) -> str:
    """The container an EBML header's body names (cached: a batch has few distinct ones)."""
    doc_type = None
    for child, value in _children(_Budget(), header):
        if child == _DOC_TYPE:
            doc_type = _DOC_TYPES.get(value.rstrip(b"\0"))
        elif child in _HEADER_LIMITS and _uint(value) > _HEADER_LIMITS[child]:
            raise _UnsupportedError  # a newer EBML, or ids and sizes longer than this reads
    if doc_type is None:
        raise _UnsupportedError  # another EBML format, or no DocType
    return doc_type


def _segment(source: _Source, doc_type: str, offset: int) -> _Segment:
    """Walk the Segment's top-level elements up to the first Cluster, reading Info, Tracks
    and SeekHead; follow the SeekHead to Info or Tracks if they come later."""
    ident, body, end = source.header(offset, source.size)
    if ident != _SEGMENT or end != source.size:
        raise _UnsupportedError  # cut short (MediaInfo says "truncated"), or more after it
    segment = _Segment(doc_type=doc_type, end=end)
    pos = body
    while pos < end:
        ident, child, child_end = source.header(pos, end)
        if ident == _CLUSTER:
            segment.first_cluster = pos
            break
        _top_level(source, segment, ident, child, child_end)
        pos = child_end
    missing = [i for i, v in ((_INFO, segment.duration), (_TRACKS, segment.tracks)) if v is None]
    if missing:  # after the media: where the SeekHead says
        seeks = _seeks(source, segment.seek_heads, segment_data=body)
        for wanted in missing:
            at = seeks.get(wanted)
            if at is not None and at < end:
                ident, child, child_end = source.header(at, end)
                if ident != wanted:
                    raise _UnsupportedError
                _top_level(source, segment, ident, child, child_end)
    if segment.tracks is None or segment.first_cluster is None:
        raise _UnsupportedError
    return segment


def _top_level(source: _Source, segment: _Segment, ident: int, body: int, end: int) -> None:
    if ident == _INFO:
        if segment.duration is not None:
            raise _UnsupportedError  # two Info elements
        _info(source, segment, _body(source, body, end, _MAX_INFO))
        if segment.duration is None:
            raise _UnsupportedError  # no Duration: live recordings; MediaInfo scans for one
    elif ident == _TRACKS:
        if segment.tracks is not None:
            raise _UnsupportedError
        segment.tracks = _tracks(source, _body(source, body, end, _MAX_TRACKS))
    elif ident == _SEEK_HEAD:
        segment.seek_heads.append((body, end))


def _body(source: _Source, body: int, end: int, limit: int) -> bytes:
    if end - body > limit:
        raise _UnsupportedError
    return source.read(body, end - body)


def _seeks(source: _Source, heads: list[tuple[int, int]], *, segment_data: int) -> dict[int, int]:
    """Element id -> file offset, from the SeekHeads met before the first Cluster."""
    found: dict[int, int] = {}
    for body, end in heads:
        for seek, data in _children(source, _body(source, body, end, _MAX_SEEK_HEAD)):
            if seek != _SEEK:
                continue
            target = position = None
            for child, value in _children(source, data):
                if child == _SEEK_ID:
                    target = _uint(value)
                elif child == _SEEK_POSITION:
                    position = _uint(value)
            if target is not None and position is not None:
                found.setdefault(target, segment_data + position)
    return found


def _info(source: _Source, segment: _Segment, data: bytes) -> None:
    for child, value in _children(source, data):
        if child == _TIMESTAMP_SCALE:
            segment.scale = _uint(value)
            if not segment.scale:
                raise _UnsupportedError
        elif child == _DURATION:
            segment.duration = _float(value)
            if segment.duration <= 0:
                raise _UnsupportedError


def _tracks(source: _Source, data: bytes) -> list[_Track]:
    tracks: list[_Track] = []
    for child, value in _children(source, data):
        if child == _TRACK_ENTRY:
            if len(tracks) == _MAX_TRACK_ENTRIES:
                raise _UnsupportedError
            tracks.append(_track(source, value))
    numbers = [t.number for t in tracks]
    if len(set(numbers)) != len(numbers):
        raise _UnsupportedError
    return tracks


def _track(source: _Source, data: bytes) -> _Track:
    track = _Track()
    video: bytes | None = None
    for child, value in _children(source, data):
        if child == _TRACK_NUMBER:
            track.number = _uint(value)
        elif child == _TRACK_TYPE:
            track.kind = _uint(value)
        elif child == _CODEC_ID:
            track.codec_id = _string(value)
        elif child == _CODEC_PRIVATE:
            track.private = value
        elif child == _DEFAULT_DURATION:
            track.default_duration = _uint(value)
        elif child == _CONTENT_ENCODINGS:
            track.encoded = True
        elif child == _VIDEO:
            video = value
        elif child == _AUDIO:
            track.sample_rate = _sampling_frequency(source, value)
    if not track.number or not track.kind or track.kind == _COMPLEX_TRACK:
        raise _UnsupportedError
    if track.kind == _VIDEO_TRACK:
        if track.codec_id not in _VIDEO_CODECS or video is None:
            raise _UnsupportedError
        _video(source, track, video)
    elif track.kind == _AUDIO_TRACK:
        _audio_format(track.codec_id)  # KeyError: a codec MediaInfo must name
    return track


def _sampling_frequency(source: _Source, data: bytes) -> int | None:
    """An audio track's SamplingFrequency in whole Hz (None when absent or not plausible)."""
    for child, value in _children(source, data):
        if child == _SAMPLING_FREQUENCY:
            rate = _float(value)
            return round(rate) if 0 < rate < 10_000_000 else None
    return None


def _video(source: _Source, track: _Track, data: bytes) -> None:
    for child, value in _children(source, data):
        if child == _PIXEL_WIDTH:
            track.width = _uint(value)
        elif child == _PIXEL_HEIGHT:
            track.height = _uint(value)
        elif child in _PIXEL_CROPS and _uint(value):
            raise _UnsupportedError  # a cropped picture: which size would MediaInfo give?
        elif child == _COLOUR:
            _colour(source, track, value)
        elif child == _PROJECTION:
            track.rotation = _rotation(source, value)
    if track.default_duration == 0:
        raise _UnsupportedError
    if track.bit_depth is None:
        reader = _BIT_DEPTH_READERS.get(track.codec_id)
        if reader is not None:
            track.bit_depth = reader(track.private)
        elif track.codec_id in _EIGHT_BIT:
            track.bit_depth = 8


def _colour(source: _Source, track: _Track, data: bytes) -> None:
    for child, value in _children(source, data):
        if child == _BITS_PER_CHANNEL:
            track.bit_depth = _uint(value) or None  # 0: unspecified
        elif child == _TRANSFER:
            track.transfer = _uint(value)
        elif child == _PRIMARIES:
            track.primaries = _uint(value)


def _rotation(source: _Source, data: bytes) -> int:
    """Clockwise degrees from a flat projection's roll (anticlockwise, as FFmpeg writes the
    display matrix); a 360° projection or a turn other than a quarter is not understood."""
    kind, yaw, pitch, roll = 0, 0.0, 0.0, 0.0
    for child, value in _children(source, data):
        if child == _PROJECTION_TYPE:
            kind = _uint(value)
        elif child == _PROJECTION_YAW:
            yaw = _float(value)
        elif child == _PROJECTION_PITCH:
            pitch = _float(value)
        elif child == _PROJECTION_ROLL:
            roll = _float(value)
    if kind != 0 or yaw or pitch or roll % 90:
        raise _UnsupportedError
    return round(-roll) % 360


# ---------------------------------------------------------------------------------------------
# blocks: the frame rate without DefaultDuration, and VP9's bit depth


class _Timing:
    """The video track's frame rate, and what its first frame says, read from blocks lazily."""

    def __init__(self, track: _Track, segment: _Segment, source: _Source) -> None:
        self._track = track
        self._segment = segment
        self._source = source
        self._first_frame: bytes | None = None

    def frame_rate(self) -> tuple[Fraction | None, bool]:
        """(fps, variable): ``DefaultDuration`` when the track has one, else its timestamps."""
        if self._track.default_duration is not None:
            return _rate_from_frame_duration(self._track.default_duration), False
        times, complete = self._timestamps(_MAX_BLOCKS)
        if not complete:
            times = sorted(times)[: len(times) - _REORDER]
        return _rate_from_timestamps(sorted(times), self._segment.scale)

    def bit_depth(self) -> int | None:
        """What the first frame says (VP9 only; ``None`` when it cannot be read)."""
        if self._track.codec_id != "V_VP9":
            return None
        try:
            if self._first_frame is None:
                self._timestamps(1)
        except (_UnsupportedError, BeyondReachError, OSError, LookupError, ValueError):
            return None
        return codec_config.vp9_bit_depth(self._first_frame or b"")

    def _timestamps(self, wanted: int) -> tuple[list[int], bool]:
        """Up to ``wanted`` timestamps (in ticks) of the track's visible frames, in file order,
        and whether they are all the track has."""
        source, segment = self._source, self._segment
        source.block = _BLOCK_CHUNK  # frames lie between the headers: do not read them
        times: list[int] = []
        pos = segment.first_cluster
        while pos is not None and pos < segment.end and len(times) < wanted:
            ident, body, end = source.header(pos, segment.end)
            if ident == _CLUSTER:
                self._cluster(body, end, times, wanted)
            pos = end
        return times, len(times) < wanted

    def _cluster(self, pos: int, end: int, times: list[int], wanted: int) -> None:
        cluster_time: int | None = None
        while pos < end and len(times) < wanted:
            ident, body, child_end = self._source.header(pos, end)
            if ident == _CLUSTER_TIMESTAMP:
                cluster_time = _uint(self._source.read(body, child_end - body))
            elif ident in (_SIMPLE_BLOCK, _BLOCK_GROUP):
                if cluster_time is None:
                    raise _UnsupportedError  # a block before its cluster's timestamp
                block = self._block(body, child_end, group=ident == _BLOCK_GROUP)
                if block is not None:
                    times.append(cluster_time + block)
            pos = child_end

    def _block(self, body: int, end: int, *, group: bool) -> int | None:
        """The relative timestamp of a visible frame of the track, else ``None``."""
        if group:  # a BlockGroup: its Block holds the frame
            pos = body
            while pos < end:
                ident, inner, inner_end = self._source.header(pos, end)
                if ident == _BLOCK:
                    body, end = inner, inner_end
                    break
                pos = inner_end
            else:
                return None
        head = self._source.read(body, min(end - body, 12))
        number, at = _element_size(head, 0)
        if number != self._track.number:
            return None
        relative, flags = struct.unpack_from(">hB", head, at)
        if flags & 0x06:
            raise _UnsupportedError  # laced video frames
        if self._first_frame is None:
            start = body + at + 3
            self._first_frame = self._source.read(start, min(end - start, 32))
        return None if flags & 0x08 else int(relative)  # invisible: never shown


_NS = 1_000_000_000


def _rate_from_frame_duration(nanoseconds: int) -> Fraction:
    """The frame rate a ``DefaultDuration`` stands for: the simplest rate whose frame duration
    is within a nanosecond of it, as writers round or truncate (``33366666`` -> 30000/1001,
    ``33366700`` -> 2997/100); whole and NTSC-style rates are tried first, in integers."""
    if nanoseconds <= 1:
        return Fraction(_NS, nanoseconds)
    estimate = _NS / nanoseconds
    for numerator, denominator in (
        (round(estimate), 1),
        (round(estimate * 1.001) * 1000, 1001),
    ):
        if numerator > 0 and abs(_NS * denominator - nanoseconds * numerator) <= numerator:
            return Fraction(numerator, denominator)
    return _simplest_between(Fraction(_NS, nanoseconds + 1), Fraction(_NS, nanoseconds - 1))


def _rate_from_timestamps(times: list[int], scale: int) -> tuple[Fraction | None, bool]:
    """(fps, variable) from sorted frame timestamps in ticks of ``scale`` ns.

    Each timestamp is the true time rounded to a tick, so a constant frame duration ``T``
    (in ticks) keeps every ``times[i] - times[0]`` within a tick of ``i * T``. When some ``T``
    does, the rate is the simplest that fits; otherwise the rate is variable, and the mean
    rate is reported as MediaInfo prints it (three decimals).
    """
    if len(times) < 2 or times[-1] <= times[0]:
        raise _UnsupportedError  # one frame, or every frame at the same time
    first = times[0]
    # T >= low_num / low_den and T <= high_num / high_den, compared as integers (fast).
    low_num, low_den = 0, 1
    high_num, high_den = times[1] - first + 1, 1
    for index in range(1, len(times)):
        span = times[index] - first
        if (span - 1) * low_den > low_num * index:
            low_num, low_den = span - 1, index
        if (span + 1) * high_den < high_num * index:
            high_num, high_den = span + 1, index
    if low_num * high_den <= high_num * low_den:  # a constant duration fits every timestamp
        if low_num <= 0:
            raise _UnsupportedError  # ticks too coarse to bound the rate
        lowest = Fraction(_NS * high_den, high_num * scale)
        highest = Fraction(_NS * low_den, low_num * scale)
        middle = Fraction(low_num * high_den + high_num * low_den, 2 * low_den * high_den)
        return _pick_rate(lowest, highest, Fraction(_NS) / (middle * scale)), False
    mean = _NS * (len(times) - 1) / ((times[-1] - first) * scale)
    return parse_frame_rate(f"{mean:.3f}"), True


def _pick_rate(low: Fraction, high: Fraction, estimate: Fraction) -> Fraction:
    """A frame rate in ``[low, high]``: the whole or NTSC-style rate (``N * 1000/1001``)
    nearest ``estimate`` if one fits, else the fraction with the smallest denominator."""
    ntsc = estimate * Fraction(1001, 1000)
    candidates = {Fraction(math.floor(estimate)), Fraction(math.ceil(estimate))}
    candidates |= {Fraction(n * 1000, 1001) for n in (math.floor(ntsc), math.ceil(ntsc))}
    fitting = [rate for rate in candidates if rate > 0 and low <= rate <= high]
    if fitting:
        return min(fitting, key=lambda rate: (abs(rate - estimate), rate.denominator))
    return _simplest_between(low, high)


def _simplest_between(low: Fraction, high: Fraction) -> Fraction:
    """The fraction with the smallest denominator in ``[low, high]`` (``0 < low <= high``)."""
    whole = math.floor(low)
    if whole == low:
        return Fraction(whole)
    if whole + 1 <= high:
        return Fraction(whole + 1)
    return whole + 1 / _simplest_between(1 / (high - whole), 1 / (low - whole))
