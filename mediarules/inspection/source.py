"""Where the header readers get their bytes: a local file, or anything else read by offset.

The readers (:mod:`~mediarules.inspection.isobmff`, :mod:`~mediarules.inspection.matroska`)
ask for bytes at an offset through :class:`ByteSource`; Pillow and the WebP and GIF readers
take a file object, which :class:`SourceFile` makes of any source. A local file is a
:class:`FileSource` (``os.pread`` on the descriptor the caller opened, nothing more), so local
inspection costs what it did; a remote object (``mediarules.remote``) is a source that fetches
byte ranges and keeps them, and :meth:`ByteSource.prefetch` tells it which range a reader is
about to walk (an MP4's ``moov``) so that it comes in one request. Both container readers
walk their structure through a :class:`BudgetedReader`: one cached block, a byte budget.
"""

from __future__ import annotations

import io
import os
from typing import Protocol

__all__ = ["BeyondReachError", "BudgetedReader", "ByteSource", "FileSource", "SourceFile"]


class ByteSource(Protocol):
    """Random access to ``size`` bytes."""

    @property
    def size(self) -> int: ...

    def read_at(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes at ``offset`` (fewer only at the end)."""
        ...

    def prefetch(self, offset: int, length: int) -> None:
        """A hint: ``[offset, offset + length)`` is about to be read (a no-op for files)."""
        ...


class FileSource:
    """A file the caller holds open as ``fd``; reads leave the descriptor's position alone
    (``os.pread``) where the system has it."""

    __slots__ = ("_fd", "size")

    def __init__(self, fd: int, size: int) -> None:
        self._fd = fd
        self.size = size

    def read_at(self, offset: int, length: int) -> bytes:
        if _HAS_PREAD:
            return os.pread(self._fd, length, offset)
        os.lseek(self._fd, offset, os.SEEK_SET)  # Windows: the descriptor's position moves
        return os.read(self._fd, length)

    def prefetch(self, offset: int, length: int) -> None:
        """Nothing to do: the page cache reads ahead for local files."""


_HAS_PREAD = hasattr(os, "pread")


class SourceFile(io.RawIOBase):
    """A read-only, seekable file object over a :class:`ByteSource` (for Pillow and the WebP
    and GIF readers, which read through ``read``/``seek``/``tell``)."""

    def __init__(self, source: ByteSource) -> None:
        super().__init__()
        self._source = source
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self._source.size}
        if whence not in base:
            raise ValueError(f"invalid whence ({whence})")
        position = base[whence] + offset
        if position < 0:
            raise OSError("negative seek position")
        self._position = position
        return position

    def read(self, size: int | None = -1) -> bytes:
        left = self._source.size - self._position
        if size is None or size < 0 or size > left:
            size = max(left, 0)
        if size == 0:
            return b""
        data = self._source.read_at(self._position, size)
        self._position += len(data)
        return data

    def readall(self) -> bytes:
        return self.read(-1)

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class BeyondReachError(Exception):
    """A read the reader may not make: past the end of the file (or of a file that shrank
    since it was measured), or past the budget of bytes one file may cost."""


class BudgetedReader:
    """Random access to a :class:`ByteSource` through one cached block, within a byte budget.

    The container readers walk their boxes or elements through this: a read inside the cached
    block costs a slice; a read outside it fetches ``block`` bytes (or the length asked for, if
    more) and counts them against ``budget``, so no file makes a reader read without end.
    """

    def __init__(self, source: ByteSource, size: int, head: bytes, *, budget: int, block: int):
        self.bytes = source
        self.size = size
        self.block = block
        self._base = 0
        self._buffer = head[:size]
        self._budget = budget

    def read(self, offset: int, length: int, *, block: int | None = None) -> bytes:
        """Exactly ``length`` bytes at ``offset``; :class:`BeyondReachError` past the end."""
        start = offset - self._base
        if start < 0 or start + length > len(self._buffer):
            self._fill(offset, length, self.block if block is None else block)
            start = 0
        return self._buffer[start : start + length]

    def _fill(self, offset: int, length: int, block: int) -> None:
        if offset < 0 or length < 0 or offset + length > self.size:
            raise BeyondReachError
        want = min(max(length, block), self.size - offset)
        self._budget -= want
        if self._budget < 0:
            raise BeyondReachError
        data = self.bytes.read_at(offset, want)
        if len(data) < length:  # the file shrank since it was measured
            raise BeyondReachError
        self._base, self._buffer = offset, data
