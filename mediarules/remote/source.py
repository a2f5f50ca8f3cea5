"""A remote object as a :class:`~mediarules.inspection.source.ByteSource`: ranges fetched on
demand and kept.

The first request fetches the head (``head_bytes``, 64 KiB) and learns the size. A read
outside what is held fetches from the first missing byte, at least ``length`` and at least the
read-ahead, which starts at the head's size and doubles with each further request (a forward
walk, a GIF's frames, costs a few requests, not one per frame); a
:meth:`~RemoteSource.prefetch` (an MP4's ``moov`` found at the end) fetches exactly the
range. ``max_requests`` and ``max_bytes`` bound each file.

A failed fetch is kept in :attr:`RemoteSource.failure` and raised to the reader as an
``OSError``: readers that treat errors as "not my format" move on, and the caller reports the
failure itself, not whatever the readers made of it.
"""

from __future__ import annotations

import bisect
import contextlib
from typing import NoReturn, Protocol

from mediarules.formatting import human_bytes
from mediarules.remote.options import FetchOptions
from mediarules.remote.results import FetchError, FetchFailure

__all__ = ["RangeObject", "RemoteSource"]

_MAX_READ_AHEAD = 4 << 20


class RangeObject(Protocol):
    """What a transport gives: ``size`` once known, and ranges."""

    size: int | None
    received: int

    def fetch(self, start: int, end: int) -> tuple[int, bytes]: ...


class RemoteSource:
    """Byte ranges of one remote object, fetched on demand and kept."""

    def __init__(self, obj: RangeObject, options: FetchOptions) -> None:
        self._obj = obj
        self._options = options
        self._starts: list[int] = []
        self._spans: list[bytes] = []
        self._read_ahead = options.head_bytes
        self.requests = 0
        self.failure: FetchFailure | None = None
        self._size = 0

    def open(self) -> None:
        """Fetch the head and learn the size; :class:`FetchError` when that fails."""
        try:
            self._fetch(0, self._options.head_bytes, sized=False)
        except OSError:
            assert self.failure is not None
            failure = self.failure
            raise FetchError(failure.code, failure.reason, failure.message) from None
        if self._obj.size is None:
            raise FetchError("media.unreachable", "no_size", "the server did not say the size")
        self._size = self._obj.size

    @property
    def size(self) -> int:
        return self._size

    @property
    def known_size(self) -> int | None:
        """The size the server said, even when the head could not be read."""
        return self._obj.size

    @property
    def received(self) -> int:
        return self._obj.received

    @property
    def head(self) -> bytes:
        return self._spans[0] if self._starts and self._starts[0] == 0 else b""

    def read_at(self, offset: int, length: int) -> bytes:
        end = min(offset + length, self._size)
        if offset >= end:
            return b""
        held = self._held(offset, end)
        if held is not None:
            return held
        ahead = max(end, offset + self._read_ahead)
        self._read_ahead = min(self._read_ahead * 2, _MAX_READ_AHEAD)
        self._fetch(offset, ahead)
        held = self._held(offset, end)
        if held is None:  # the server sent less than asked
            self._fail(FetchError("media.unreadable", "truncated", "the object ended early"))
        return held

    def prefetch(self, offset: int, length: int) -> None:
        end = min(offset + length, self._size)
        if offset < end and self._held(offset, end) is None:
            with contextlib.suppress(OSError):  # kept in self.failure; the reader's read says so
                self._fetch(offset, end)

    # -----------------------------------------------------------------------------------------

    def _held(self, offset: int, end: int) -> bytes | None:
        index = bisect.bisect_right(self._starts, offset) - 1
        if index < 0:
            return None
        start, span = self._starts[index], self._spans[index]
        if end > start + len(span):
            return None
        return span[offset - start : end - start]

    def _fetch(self, start: int, end: int, *, sized: bool = True) -> None:
        if self.failure is not None:
            raise OSError(self.failure.message)
        start = self._first_missing(start, end)
        if sized:
            end = min(end, self._size, self._next_start(start))
        if end <= start:
            return
        options = self._options
        if self.requests >= options.max_requests:
            self._fail(_cap(f"more than {options.max_requests} range requests"))
        if self._obj.received + (end - start) > options.max_bytes:
            self._fail(_cap(f"more than {human_bytes(options.max_bytes)}"))
        self.requests += 1
        try:
            offset, data = self._obj.fetch(start, end)
        except FetchError as exc:
            self._fail(exc)
        self._keep(offset, data)

    def _first_missing(self, start: int, end: int) -> int:
        """``start``, moved past the bytes already held there."""
        index = bisect.bisect_right(self._starts, start) - 1
        if index >= 0:
            held_end = self._starts[index] + len(self._spans[index])
            if held_end > start:
                return min(held_end, end)
        return start

    def _next_start(self, start: int) -> int:
        index = bisect.bisect_right(self._starts, start)
        return self._starts[index] if index < len(self._starts) else self._size

    def _keep(self, offset: int, data: bytes) -> None:
        """Add a span, merged with the spans it touches or overlaps."""
        if not data:
            return
        end = offset + len(data)
        low = bisect.bisect_left(self._starts, offset)
        if low > 0 and self._starts[low - 1] + len(self._spans[low - 1]) >= offset:
            low -= 1
        high = low
        while high < len(self._starts) and self._starts[high] <= end:
            high += 1
        touched = list(zip(self._starts[low:high], self._spans[low:high], strict=True))
        merged_start = min([offset, *(start for start, _ in touched)])
        merged_end = max([end, *(start + len(span) for start, span in touched)])
        buffer = bytearray(merged_end - merged_start)
        for start, span in touched:
            buffer[start - merged_start : start - merged_start + len(span)] = span
        buffer[offset - merged_start : end - merged_start] = data
        self._starts[low:high] = [merged_start]
        self._spans[low:high] = [bytes(buffer)]

    def _fail(self, error: FetchError) -> NoReturn:
        self.failure = error.failure
        raise OSError(error.failure.message)


def _cap(what: str) -> FetchError:
    return FetchError(
        "media.unreadable", "fetch_cap", f"reading its header needs {what} (the per-file cap)"
    )
