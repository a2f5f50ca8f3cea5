"""What the header readers share: the bytes at the start of a file, read on demand, and what
they find (:class:`Picture`).

A reader starts from the bytes the dispatcher has already read (the first 4 KiB) and asks for
more only when a header runs past them: one read at a time, each at least doubling what is
held, never past :data:`MAX_HEADER_BYTES` (a header that long goes to Pillow).
"""

from __future__ import annotations

import sys
from typing import Final, NamedTuple

from mediarules.inspection.source import ByteSource

__all__ = ["MAX_HEADER_BYTES", "Head", "Picture", "pillow_setting"]

MAX_HEADER_BYTES: Final = 1 << 20
"""The most a header reader holds. Past it (a JPEG with a huge ICC profile, a PNG with
megabytes of text before its pixels) Pillow reads the file as before."""


class Picture(NamedTuple):
    """What Pillow would report for an image: the facts ``inspect`` keeps."""

    format: str
    width: int
    height: int
    mode: str
    frames: int
    has_alpha: bool
    orientation: int | None


class Head:
    """The first bytes of a file (``data``), read further on demand from ``source``."""

    __slots__ = ("data", "size", "source")

    def __init__(self, data: bytes, source: ByteSource | None, size: int) -> None:
        self.data = data
        self.source = source
        self.size = size  # the file's size when it was measured

    def reach(self, end: int) -> bool:
        """Make ``data`` hold the file up to ``end``; ``False`` when the file is shorter, the
        header would be longer than :data:`MAX_HEADER_BYTES`, or there is no source."""
        held = len(self.data)
        if end <= held:
            return True
        if end > self.size or end > MAX_HEADER_BYTES or self.source is None:
            return False
        want = min(max(end, 2 * held, 1 << 16), self.size, MAX_HEADER_BYTES) - held
        more = self.source.read_at(held, want)
        self.data += more
        return end <= len(self.data)  # short: the file shrank since it was measured


def pillow_setting(module: str, name: str, default: object) -> bool:
    """Whether Pillow's module-level ``name`` still has its ``default`` value (or the module
    is not loaded, so it cannot have been changed). A reader that reproduces Pillow does so
    for Pillow's defaults; a program that changed one gets Pillow itself."""
    loaded = sys.modules.get(module)
    return loaded is None or getattr(loaded, name, default) == default
