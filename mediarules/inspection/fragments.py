"""The timing of fragmented ISO base media files (``moof``/``traf``/``trun``), from box payloads.

Pure parsing, no I/O: :mod:`~mediarules.inspection.isobmff` walks the file and hands each
payload here. A :class:`Timing` sums one track's sample durations run by run, so that the
frame rate and its mode come out of the same arithmetic as a ``stts`` table, and keeps the
composition span (first presented instant to last) for the duration players show.

Malformed payloads raise :class:`FragmentError`: the reader then leaves the file to MediaInfo.
"""

from __future__ import annotations

import itertools
import operator
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = [
    "FragmentError",
    "SegmentIndex",
    "Timing",
    "TrackDefaults",
    "parse_mehd",
    "parse_sidx",
    "parse_tfhd",
    "parse_trex",
    "parse_trun",
    "reduce_runs",
]

_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")

# tfhd flags
_BASE_DATA_OFFSET = 0x1
_DESCRIPTION_INDEX = 0x2
_DEFAULT_DURATION = 0x8
_DEFAULT_SIZE = 0x10
_DEFAULT_FLAGS = 0x20
_DURATION_IS_EMPTY = 0x10000
# trun flags
_DATA_OFFSET = 0x1
_FIRST_FLAGS = 0x4
_SAMPLE_DURATION = 0x100
_SAMPLE_SIZE = 0x200
_SAMPLE_FLAGS = 0x400
_SAMPLE_OFFSET = 0x800


class FragmentError(Exception):
    """A fragment box this module does not understand (too short, bad version, lying count)."""


@dataclass(frozen=True)
class TrackDefaults:
    """What a ``trex`` box (or a ``tfhd`` over it) says of samples that do not say it."""

    track_id: int
    duration: int = 0


@dataclass(frozen=True)
class SegmentIndex:
    """A ``sidx`` box: the subsegments it indexes, as far as durations go."""

    track_id: int
    timescale: int
    duration: int  # the sum of the subsegment durations, in ``timescale``
    covers: int  # bytes indexed, counted from the first byte after the box (plus its offset)
    leaves_only: bool  # every reference is to media, none to another sidx


def reduce_runs(counts: Sequence[int], deltas: Sequence[int]) -> tuple[int, int]:
    """(min delta, max delta) as MediaInfo reduces a time-to-sample table.

    Like MediaInfo, a two- or three-entry table ignores a lone first sample whose delta
    differs from the next one, and a lone last sample whose delta differs from the rest (an
    encoder's first or last frame often has an odd duration): they do not make the rate
    variable.
    """
    count = len(deltas)
    if not 2 <= count <= 3:
        return min(deltas), max(deltas)
    low = high = deltas[0]
    if counts[0] == 1 and deltas[1] != deltas[0]:
        low = high = deltas[1]  # forget the lone first sample
    for index in range(1, count):
        delta = deltas[index]
        if not (index == count - 1 and counts[index] == 1 and low == high != delta):
            low, high = min(low, delta), max(high, delta)  # else: ignore the lone last sample
    return low, high


_KEPT_RUNS = 4
"""Runs of equal durations kept in order: :func:`reduce_runs` looks at them only up to 3."""


@dataclass
class Timing:
    """One track's samples: count, summed durations, runs, and the composition span.

    Decode times run on from 0 whatever ``tfdt`` says (a segment cut from the middle of a
    stream starts at its own beginning); a sample's composition time is its decode time plus
    its offset, so the span is ``max(end) - min(start)`` over the samples.
    """

    samples: int = 0
    ticks: int = 0
    low: int = 0
    high: int = 0
    runs: list[list[int]] = field(default_factory=list)  # [count, delta], the first few
    run_count: int = 0
    first_presented: int | None = None
    last_presented: int = 0

    def add(self, durations: Sequence[int], offsets: Sequence[int] | None = None) -> None:
        """Samples in decode order: their durations and composition offsets (or none)."""
        if not durations:
            return
        start = self.ticks
        if isinstance(durations, _Repeat):
            low = high = durations.value
        else:
            low, high = min(durations), max(durations)
        if low == high:
            self._add_run(len(durations), low)
            total = low * len(durations)
        else:
            if self.run_count <= _KEPT_RUNS:
                for delta, group in itertools.groupby(durations):
                    self._add_run(sum(1 for _ in group), delta)
            else:
                self.run_count += 1  # at least one more: enough to know there are many
            total = sum(durations)
        self.low = low if not self.samples else min(self.low, low)
        self.high = max(self.high, high)
        self.samples += len(durations)
        self.ticks += total
        if offsets is None:
            first, last = start, start + total
        else:
            decode = list(itertools.accumulate(durations, initial=start))
            first = min(map(operator.add, decode, offsets))
            last = max(map(operator.add, decode[1:], offsets))
        self.first_presented = (
            first if self.first_presented is None else min(self.first_presented, first)
        )
        self.last_presented = max(self.last_presented, last)

    def add_constant(self, count: int, duration: int) -> None:
        """``count`` samples of ``duration`` each, with no composition offsets."""
        self.add(_Repeat(count, duration))

    def _add_run(self, count: int, delta: int) -> None:
        if self.runs and self.runs[-1][1] == delta:
            self.runs[-1][0] += count
            return
        self.run_count += 1
        if len(self.runs) < _KEPT_RUNS:
            self.runs.append([count, delta])

    def stts(self) -> tuple[int, int, int, int]:
        """(min delta, max delta, samples, ticks), like ``isobmff._stts`` for a table."""
        if self.run_count <= len(self.runs):
            counts = [count for count, _ in self.runs]
            deltas = [delta for _, delta in self.runs]
            low, high = reduce_runs(counts, deltas)
        else:
            low, high = self.low, self.high
        return low, high, self.samples, self.ticks

    @property
    def presented(self) -> int:
        """Ticks from the first presented instant to the end of the last presented sample."""
        return self.last_presented - (self.first_presented or 0)


class _Repeat(Sequence[int]):
    """``[value] * count`` without the list: min, max, sum and groupby see ``count`` values."""

    def __init__(self, count: int, value: int) -> None:
        self._count, self.value = count, value

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: int) -> int:  # type: ignore[override]
        if not -self._count <= index < self._count:
            raise IndexError(index)
        return self.value

    def __iter__(self) -> itertools.repeat[int]:
        return itertools.repeat(self.value, self._count)


def _full(data: bytes, minimum: int) -> tuple[int, int]:
    """(version, flags) of a full box payload at least ``minimum`` bytes long."""
    if len(data) < max(4, minimum):
        raise FragmentError("too short")
    (word,) = _U32.unpack_from(data)
    return word >> 24, word & 0xFFFFFF


def parse_trex(data: bytes) -> TrackDefaults:
    """``trex``: track_ID, then the default description index, duration, size and flags."""
    _full(data, 24)
    track_id, _, duration = struct.unpack_from(">III", data, 4)
    return TrackDefaults(track_id=track_id, duration=duration)


def parse_mehd(data: bytes) -> int:
    """``mehd``: the whole movie's duration, in the movie time scale."""
    version, _ = _full(data, 8)
    if version == 1:
        if len(data) < 12:
            raise FragmentError("mehd too short")
        return int(_U64.unpack_from(data, 4)[0])
    if version:
        raise FragmentError("mehd version")
    return int(_U32.unpack_from(data, 4)[0])


def parse_tfhd(data: bytes, defaults: dict[int, TrackDefaults]) -> tuple[int, int, bool]:
    """(track_ID, default sample duration, no samples) of a ``tfhd`` over its ``trex``."""
    _, flags = _full(data, 8)
    (track_id,) = _U32.unpack_from(data, 4)
    if track_id not in defaults:
        raise FragmentError("a fragment of a track the movie does not have")
    at = 8
    if flags & _BASE_DATA_OFFSET:
        at += 8
    if flags & _DESCRIPTION_INDEX:
        at += 4
    duration = defaults[track_id].duration
    if flags & _DEFAULT_DURATION:
        if len(data) < at + 4:
            raise FragmentError("tfhd too short")
        (duration,) = _U32.unpack_from(data, at)
        at += 4
    at += 4 * bool(flags & _DEFAULT_SIZE) + 4 * bool(flags & _DEFAULT_FLAGS)
    if len(data) < at:
        raise FragmentError("tfhd too short")
    return track_id, duration, bool(flags & _DURATION_IS_EMPTY)


def parse_trun(data: bytes, default_duration: int) -> tuple[Sequence[int], Sequence[int] | None]:
    """``trun``: each sample's duration, and its composition offset when the run has them."""
    version, flags = _full(data, 8)
    (count,) = _U32.unpack_from(data, 4)
    at = 8 + 4 * bool(flags & _DATA_OFFSET) + 4 * bool(flags & _FIRST_FLAGS)
    fields = (_SAMPLE_DURATION, _SAMPLE_SIZE, _SAMPLE_FLAGS, _SAMPLE_OFFSET)
    columns = [bit for bit in fields if flags & bit]
    width = len(columns)
    if len(data) < at + 4 * width * count:
        raise FragmentError("trun shorter than its sample count")  # also bounds ``count``
    if not width:
        return _Repeat(count, default_duration), None
    table = struct.unpack_from(f">{width * count}I", data, at)
    durations: Sequence[int] = _Repeat(count, default_duration)
    offsets: Sequence[int] | None = None
    for index, bit in enumerate(columns):
        if bit == _SAMPLE_DURATION:
            durations = table[index::width]
        elif bit == _SAMPLE_OFFSET:
            offsets = table[index::width]
            if version and any(value >= 0x80000000 for value in offsets):
                offsets = [value - (1 << 32) if value >= 0x80000000 else value for value in offsets]
    return durations, offsets


def parse_sidx(data: bytes) -> SegmentIndex:
    """``sidx``: the summed durations of the subsegments it indexes and the bytes they span."""
    version, _ = _full(data, 12)
    track_id, timescale = struct.unpack_from(">II", data, 4)
    if version == 0:
        layout, at = ">II", 12
    elif version == 1:
        layout, at = ">QQ", 12
    else:
        raise FragmentError("sidx version")
    if len(data) < at + struct.calcsize(layout) + 4:
        raise FragmentError("sidx too short")
    _, first_offset = struct.unpack_from(layout, data, at)
    at += struct.calcsize(layout)
    (count,) = struct.unpack_from(">H", data, at + 2)
    at += 4
    if len(data) < at + 12 * count:
        raise FragmentError("sidx shorter than its reference count")
    table = struct.unpack_from(f">{3 * count}I", data, at)
    references = table[0::3]
    return SegmentIndex(
        track_id=track_id,
        timescale=timescale,
        duration=sum(table[1::3]),
        covers=first_offset + sum(ref & 0x7FFFFFFF for ref in references),
        leaves_only=not any(ref >> 31 for ref in references),
    )
