"""The frame count of a GIF by walking its blocks, without Pillow's per-sub-block reads.

A GIF has no frame count in its header: the frames are found by walking the blocks after it.
Each frame's LZW data is a chain of sub-blocks (a length byte, then up to 255 bytes) ended by a
zero length. ``GifImageFile.n_frames`` skips that chain with two Python-level reads per
sub-block (~50,000 of them for a 12 MB frame). This module reads the file in bounded chunks and
hops over runs of full 255-byte sub-blocks in C: ``chunk[i::256]`` holds the length bytes of
consecutive full sub-blocks, so ``lstrip(b"\\xff")`` finds where such a run ends.

:func:`count_frames` reproduces ``n_frames`` exactly, quirks included (see ``tests/test_gif.py``,
which compares both on generated, damaged and random GIFs): it counts the image descriptors
Pillow would find, stops where Pillow stops (at the trailer, at the end of the file, or where
a frame is missing), and gives ``None`` where Pillow's walk raises instead (a descriptor or a
graphic control block cut short).

:class:`GifImageFile` is Pillow's GIF plugin with one helper made fast: opening a GIF whose
colour table is a grey ramp otherwise costs ~20 µs in a Python loop over its 256 entries.
"""

from __future__ import annotations

import re
from typing import BinaryIO, Final

from PIL import GifImagePlugin

CHUNK: Final = 1 << 18
"""Bytes read at a time, and all the reader holds: one chunk, never the file. Skipping a 12 MB
frame took about as long with 64 KiB, 256 KiB or 1 MiB chunks (within 15 %)."""

_TRAILER: Final = 0x3B  # ';'
_EXTENSION: Final = 0x21  # '!'
_IMAGE: Final = 0x2C  # ','
_GRAPHIC_CONTROL: Final = 0xF9
_COMMENT: Final = 0xFE
_APPLICATION: Final = 0xFF

_INTRODUCER = re.compile(b"[!,;]")
"""Pillow skips any other byte between blocks, one at a time."""

_END: Final = -1  # Pillow's walk ends here: ``n_frames`` is the count so far
_BROKEN: Final = -2  # Pillow's walk raises here (IndexError, struct.error)


def count_frames(fp: BinaryIO, size: int | None = None) -> int | None:
    """The number of frames Pillow's ``GifImageFile.n_frames`` reports for the GIF in ``fp``.

    ``None`` when the file is not a GIF or when Pillow would raise while counting (a frame
    descriptor, its colour table or a graphic control block cut short). ``size``, the file size
    if known, only sizes the reads. Reads forward from the start of ``fp`` (its position is
    left anywhere), :data:`CHUNK` bytes at a time at most.
    """
    reader = _Reader(fp, size)
    head = reader.take(0, 13)
    if len(head) < 13 or head[:6] not in (b"GIF87a", b"GIF89a"):
        return None
    flags = head[10]
    position = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)  # the global colour table
    frames = 0
    while True:
        found = _next_image(reader, position, first=frames == 0)
        if found == _BROKEN:
            return None
        if found == _END:
            return frames or None  # no first frame: Pillow cannot open the file at all
        frames += 1
        position = reader.skip_sub_blocks(found)


_WINDOW: Final = 10 + 768 + 1
"""Enough for an image descriptor, the largest colour table and the LZW code size, or for an
extension's introducer, label and first sub-block (3 + 255 bytes)."""


def _next_image(reader: _Reader, position: int, *, first: bool) -> int:
    """Where the next frame's image data starts (after its LZW code size), walking blocks from
    ``position`` as ``GifImageFile._seek`` does; or ``_END`` or ``_BROKEN``."""
    while True:
        window = reader.take(position, _WINDOW)  # short only at the end of the file
        if not window or window[0] == _TRAILER:
            return _END
        if window[0] == _EXTENSION:
            if len(window) < 2:
                return _BROKEN  # no label
            label = window[1]
            if len(window) < 3 or not window[2]:  # Pillow's data() gives None
                block = None
                position += min(len(window), 3)
            else:
                block = window[3 : 3 + window[2]]  # short if the file ends inside it
                position += 3 + window[2]
            if label == _GRAPHIC_CONTROL and block is not None:
                # Pillow reads the flags, the delay (bytes 1-2) and, when flagged, the
                # transparent colour index (byte 3) of the first sub-block.
                if len(block) < 3 or (block[0] & 1 and len(block) < 4):
                    return _BROKEN
            elif label == _COMMENT:
                if block:
                    position = reader.skip_sub_blocks(position)
                continue  # Pillow reads nothing more after a comment
            elif (
                label == _APPLICATION
                and first
                and block is not None
                and block.startswith(b"NETSCAPE2.0")
            ):
                position = reader.skip_sub_block(position)  # the loop count
                position = reader.skip_sub_blocks(position)
                continue
            # Then Pillow skips sub-blocks up to a zero length, even after an extension that
            # had no sub-block at all: that reads the next block as if it were data.
            if block and 3 + len(block) < len(window) and not window[3 + len(block)]:
                position += 1  # the usual case, one sub-block then a zero length
            else:
                position = reader.skip_sub_blocks(position)
        elif window[0] == _IMAGE:
            if len(window) < 10:
                return _BROKEN  # the descriptor is cut short
            flags = window[9]
            # A local colour table, then the LZW minimum code size: if either is cut short,
            # Pillow fails to read the code size.
            end = 11 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
            if len(window) < end:
                return _BROKEN
            return position + end
        else:
            position = reader.find_introducer(position + 1)


class _Reader:
    """Forward reads of ``fp`` through one bounded chunk. Positions never go back: each call
    asks for a position at or after the one before."""

    __slots__ = ("_base", "_buffer", "_eof", "_fp", "_size")

    def __init__(self, fp: BinaryIO, size: int | None) -> None:
        fp.seek(0)
        self._fp = fp
        self._buffer = b""
        self._base = 0  # the file offset of _buffer[0]
        self._eof = False  # _buffer reaches the end of the file
        self._size = size  # a hint only: the file may have changed since

    def _fill(self, position: int, need: int) -> None:
        """Make the buffer start at ``position`` and hold ``need`` bytes, unless the file ends
        first."""
        # Seek even when the buffer holds the first bytes wanted: reading those few bytes
        # again costs less than joining them to a large read.
        self._fp.seek(position)
        # With a size, ask for one byte more than should be left (so a short read proves the
        # end of the file), but no more than a chunk: a small file is read in one small call.
        ahead = CHUNK if self._size is None else min(CHUNK, max(self._size - position, 0) + 1)
        want = max(need, ahead)
        self._buffer = b""  # let the old chunk go before reading the next
        self._buffer = self._fp.read(want)
        self._eof = len(self._buffer) < want
        self._base = position

    def take(self, position: int, length: int) -> bytes:
        """``length`` bytes at ``position``: fewer only at the end of the file."""
        index = position - self._base
        if index < 0 or (index + length > len(self._buffer) and not self._eof):
            self._fill(position, length)
            index = 0
        return self._buffer[index : index + length]

    def skip_sub_block(self, position: int) -> int:
        """Skip the sub-block at ``position`` (nothing more if it is a zero length)."""
        length = self.take(position, 1)
        return position + 1 + (length[0] if length else 0)

    def skip_sub_blocks(self, position: int) -> int:
        """Skip sub-blocks up to and including a zero length, or to the end of the file."""
        while True:
            index = position - self._base
            buffer = self._buffer
            if not 0 <= index < len(buffer):
                if self._eof and index >= 0:
                    return position
                self._fill(position, 1)
                continue
            length = buffer[index]
            if length == 255:
                # The length bytes of a run of full sub-blocks are 256 bytes apart.
                run = buffer[index::256]
                position += (len(run) - len(run.lstrip(b"\xff"))) << 8
            elif length:
                position += length + 1
            else:
                return position + 1

    def find_introducer(self, position: int) -> int:
        """The position of the next ``!``, ``,`` or ``;`` (or the end of the file)."""
        while True:
            index = position - self._base
            if not 0 <= index < len(self._buffer):
                if self._eof and index >= 0:
                    return position
                self._fill(position, 1)
                continue
            match = _INTRODUCER.search(self._buffer, index)
            if match is not None:
                return self._base + match.start()
            position = self._base + len(self._buffer)


_GREY_RAMP: Final = bytes(index // 3 for index in range(3 * 256))


class GifImageFile(GifImagePlugin.GifImageFile):
    """Pillow's GIF plugin, with the same answers.

    Pillow reads a GIF whose colour table is the grey ramp ``(0,0,0), (1,1,1), ...`` as mode
    ``L``; its ``_is_palette_needed`` compares the table entry by entry in Python. A whole
    table (a multiple of 3 bytes, at most 256 entries) is compared here in one C call; anything
    else (a table the end of the file cut short) still goes to Pillow's own loop.
    """

    def _is_palette_needed(self, p: bytes) -> bool:
        if len(p) % 3 or len(p) > len(_GREY_RAMP):
            return super()._is_palette_needed(p)
        return p != _GREY_RAMP[: len(p)]
