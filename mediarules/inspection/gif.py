"""GIF facts without Pillow: the frame count by walking the blocks, and the header facts
Pillow's ``GifImageFile`` gives (size, mode, transparency) from the blocks before the first
frame.

A GIF has no frame count in its header: the frames are found by walking the blocks after it.
Each frame's LZW data is a chain of sub-blocks (a length byte, then up to 255 bytes) ended by a
zero length. ``GifImageFile.n_frames`` skips that chain with two Python-level reads per
sub-block (~50,000 of them for a 12 MB frame). This module reads the file in bounded chunks and
hops over runs of full 255-byte sub-blocks in C: ``chunk[i:j:256]`` holds the length bytes of
consecutive full sub-blocks, so matching ``\\xff*`` there finds where such a run ends. The usual
frame (a graphic control block, an image descriptor, its data) is read by index in one loop
(:meth:`_Reader.usual_frames`); anything else goes through the general walk.

:func:`count_frames` reproduces ``n_frames`` exactly, quirks included (see ``tests/test_gif.py``,
which compares both on generated, damaged and random GIFs): it counts the image descriptors
Pillow would find, stops where Pillow stops (at the trailer, at the end of the file, or where
a frame is missing), and gives ``None`` where Pillow's walk raises instead (a descriptor or a
graphic control block cut short).

:func:`read` adds the header facts of the first frame: mode ``P``, or ``L`` when the colour
table in use is the grey ramp ``(0,0,0), (1,1,1), ...``, transparent when a graphic control
block before it names a transparent index. It answers ``None`` (Pillow decides, as before) for
what it does not reproduce: a frame outside the logical screen (Pillow grows the picture), an
extension with no sub-block, bytes between blocks, anything cut short before the first frame's
data, a disposal Pillow checks as a decompression bomb, Pillow's loading strategy changed.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from typing import BinaryIO, Final, cast

from mediarules.inspection.head import Picture, pillow_setting
from mediarules.inspection.source import ByteSource

__all__ = ["CHUNK", "count_frames", "is_gif", "read"]

CHUNK: Final = 1 << 20
"""Bytes read at a time, and all the reader holds: one chunk, never the file. Skipping a 12 MB
frame took about as long with 64 KiB, 256 KiB or 1 MiB chunks (within 15 %); a GIF up to
1 MiB is read in one call."""

_TRAILER: Final = 0x3B  # ';'
_EXTENSION: Final = 0x21  # '!'
_IMAGE: Final = 0x2C  # ','
_GRAPHIC_CONTROL: Final = 0xF9
_COMMENT: Final = 0xFE
_APPLICATION: Final = 0xFF

_INTRODUCER = re.compile(b"[!,;]")
"""Pillow skips any other byte between blocks, one at a time."""

_full_run: Final = cast(Callable[[bytes], "re.Match[bytes]"], re.compile(b"\xff*").match)
"""The leading 0xFF bytes of the length bytes of full sub-blocks (``lstrip`` calls
``memchr`` once a byte: three times slower past a hundred). ``\\xff*`` always matches."""

_END: Final = -1  # Pillow's walk ends here: ``n_frames`` is the count so far
_BROKEN: Final = -2  # Pillow's walk raises here (IndexError, struct.error)

GREY_RAMP: Final = bytes(index // 3 for index in range(3 * 256))
"""The colour table Pillow reads as mode ``L`` (no palette needed)."""

_DEFAULT_MAX_PIXELS: Final = 1024 * 1024 * 1024 // 4 // 3  # Image.MAX_IMAGE_PIXELS
_RGB_AFTER_FIRST: Final = 0  # GifImagePlugin.LoadingStrategy.RGB_AFTER_FIRST

Reads = Callable[[int, int], bytes]
"""``read_at(offset, length)``: up to ``length`` bytes at ``offset``."""


def is_gif(prefix: bytes) -> bool:
    return prefix[:6] in (b"GIF87a", b"GIF89a")


def count_frames(fp: BinaryIO, size: int | None = None) -> int | None:
    """The number of frames Pillow's ``GifImageFile.n_frames`` reports for the GIF in ``fp``.

    ``None`` when the file is not a GIF or when Pillow would raise while counting (a frame
    descriptor, its colour table or a graphic control block cut short). ``size``, the file size
    if known, only sizes the reads. Reads from the start of ``fp`` (its position is left
    anywhere), :data:`CHUNK` bytes at a time at most.
    """
    reader = _Reader(_file_reads(fp), size)
    head = reader.take(0, 13)
    if len(head) < 13 or not is_gif(head):
        return None
    flags = head[10]
    position = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)  # the global colour table
    return _count(reader, position, 0)


def read(fp: BinaryIO, source: ByteSource | None, size: int) -> Picture | None:
    """What Pillow reports for the GIF open as ``fp`` (``source``: the same bytes by offset),
    or ``None`` when only Pillow can tell (see the module's docstring)."""
    if not pillow_setting("PIL.GifImagePlugin", "LOADING_STRATEGY", _RGB_AFTER_FIRST):
        return None
    reader = _Reader(source.read_at if source is not None else _file_reads(fp), size)
    head = reader.take(0, 13)
    if len(head) < 13 or not is_gif(head):
        return None
    width, height = struct.unpack_from("<HH", head, 6)
    flags = head[10]
    position, palette = 13, False
    if flags & 0x80:
        length = 3 << ((flags & 7) + 1)
        table = reader.take(13, length)
        if len(table) < length:
            return None
        palette = table != GREY_RAMP[:length]
        position += length
    first = _first_frame(reader, position, width, height)
    if first is None or not width or not height:
        return None
    data, local, transparent, disposal, extent = first
    if local is not None:
        palette = local  # the frame's own table decides
    if disposal >= 2 and (disposal == 2 or transparent) and _bomb_checked(extent):
        return None  # Pillow checks the disposal area as a decompression bomb
    # The first look at each frame's data spans what the first frame's LZW data is likely
    # to take (rarely past 1.5 bytes a pixel), so that one C call usually holds it.
    run = (extent[0] * extent[1] * 3 >> 1) + _RUN
    frames = _count(reader, reader.skip_sub_blocks(data, run), 1, run)
    if frames is None:
        return None  # Pillow's frame count raises: the Pillow path says so
    return Picture("gif", width, height, "P" if palette else "L", frames, transparent, None)


def _file_reads(fp: BinaryIO) -> Reads:
    def read_at(offset: int, length: int) -> bytes:
        fp.seek(offset)
        return fp.read(length)

    return read_at


def _bomb_checked(extent: tuple[int, int]) -> bool:
    """Whether ``Image._decompression_bomb_check`` of this area would warn or raise (or
    Pillow's limit was changed: then Pillow decides). An empty area goes to Pillow too."""
    if not pillow_setting("PIL.Image", "MAX_IMAGE_PIXELS", _DEFAULT_MAX_PIXELS):
        return True
    width, height = extent
    return not width * height or max(1, width) * max(1, height) > _DEFAULT_MAX_PIXELS


def _first_frame(
    reader: _Reader, position: int, width: int, height: int
) -> tuple[int, bool | None, bool, int, tuple[int, int]] | None:
    """Walk the blocks before the first frame as ``GifImageFile._seek(0)`` does: where its
    image data starts, whether its own colour table needs a palette (``None``: it has none),
    whether it is transparent, its disposal and its size; ``None`` where this module does not
    follow Pillow."""
    transparent, disposal = False, 0
    while True:
        window = reader.take(position, _WINDOW)
        if len(window) < 3:
            return None
        if window[0] == _EXTENSION:
            label, length = window[1], window[2]
            if not length or len(window) < 3 + length:
                return None  # no sub-block (Pillow reads the next block as data), or cut
            if label == _GRAPHIC_CONTROL:
                flags = window[3]
                if length < 3 or (flags & 1 and length < 4):
                    return None  # Pillow raises on the short block
                transparent = transparent or bool(flags & 1)
                disposal = (flags & 0x1C) >> 2 or disposal
            position = reader.skip_sub_blocks(position + 3 + length)
        elif window[0] == _IMAGE:
            if len(window) < 10:
                return None
            left, top, frame_width, frame_height, flags = struct.unpack_from("<HHHHB", window, 1)
            if left + frame_width > width or top + frame_height > height:
                return None  # Pillow grows the picture to hold the frame
            end, local = 10, None
            if flags & 0x80:
                length = 3 << ((flags & 7) + 1)
                local = window[10 : 10 + length] != GREY_RAMP[:length]
                end += length
            if len(window) < end + 1:
                return None  # the colour table or the LZW code size cut short
            return position + end + 1, local, transparent, disposal, (frame_width, frame_height)
        else:
            return None  # the trailer (no frame), or bytes Pillow skips one at a time


def _count(reader: _Reader, position: int, frames: int, run: int = 0) -> int | None:
    """``frames`` plus the frames Pillow finds from ``position`` on."""
    while True:
        position, frames = reader.usual_frames(position, frames, run)
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
    """Forward reads through one bounded chunk. Positions never go back: each call asks for a
    position at or after the one before."""

    __slots__ = ("_base", "_buffer", "_eof", "_reads", "_size")

    def __init__(self, reads: Reads, size: int | None) -> None:
        self._reads = reads
        self._buffer = b""
        self._base = 0  # the file offset of _buffer[0]
        self._eof = False  # _buffer reaches the end of the file
        self._size = size  # a hint only: the file may have changed since

    def _fill(self, position: int, need: int) -> None:
        """Make the buffer start at ``position`` and hold ``need`` bytes, unless the file ends
        first."""
        # Read again even when the buffer holds the first bytes wanted: reading those few
        # bytes again costs less than joining them to a large read.
        # With a size, ask for one byte more than should be left (so a short read proves the
        # end of the file), but no more than a chunk: a small file is read in one small call.
        ahead = CHUNK if self._size is None else min(CHUNK, max(self._size - position, 0) + 1)
        want = max(need, ahead)
        self._buffer = b""  # let the old chunk go before reading the next
        self._buffer = self._reads(position, want)
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

    def skip_sub_blocks(self, position: int, run: int = 0) -> int:
        """Skip sub-blocks up to and including a zero length, or to the end of the file
        (``run``: how many bytes of full sub-blocks the first C call looks over)."""
        while True:
            index = position - self._base
            buffer = self._buffer
            if not 0 <= index < len(buffer):
                if self._eof and index >= 0:
                    return position
                self._fill(position, 1)
                continue
            end, finished = _skip_in(buffer, index, run or _RUN)
            position += end - index
            if finished or self._eof:
                return position  # (past the end of the file when the last chain is cut)

    def usual_frames(self, position: int, frames: int, run: int = 0) -> tuple[int, int]:
        """Count the frames of the usual layout from ``position`` (an optional 4-byte graphic
        control block, an image descriptor with its colour table and LZW code size, then its
        data: full sub-blocks, one shorter one, a zero length) while the buffer holds them;
        the position of the first frame that is anything else (read by :func:`_next_image`)
        and the count so far. One loop, by index: a GIF of many frames spends its time here.

        The length bytes of full sub-blocks are 256 bytes apart: a strided slice holds them
        (``run`` bytes of data: twice the frame before's, more while a run goes on), and one
        C call finds where they stop being 0xFF. Running off the buffer (an IndexError) ends
        the loop at the frame it was reading: the general walk reads on from there.
        """
        buffer = self._buffer
        held = len(buffer)
        index = start = position - self._base
        run = run or _RUN
        if index < 0:
            return position, frames
        try:
            while True:
                start = index
                if buffer[index] == _EXTENSION:
                    # '!', 0xF9, a 4-byte block, a zero length: Pillow's checks all pass
                    if buffer[index + 1] != _GRAPHIC_CONTROL or buffer[index + 2] != 4:
                        break
                    if buffer[index + 7]:
                        break
                    index += 8
                if buffer[index] != _IMAGE:
                    break
                flags = buffer[index + 9]
                at = index + 11 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
                if buffer[at] == 255:
                    chain = at
                    while True:
                        stride = buffer[at : at + run : 256]
                        full = _full_run(stride).end()
                        at += full << 8
                        if full < len(stride) or at >= held:
                            break
                        run <<= 1
                    run = ((at - chain) << 1) + _RUN  # the next frame is likely alike
                last = buffer[at]  # one shorter sub-block, then the zero length
                if last:
                    at += last + 1
                    if buffer[at]:
                        break  # anything else: the general walk skips the chain
                frames += 1
                index = at + 1
        except IndexError:
            pass  # the frame goes on past the buffer
        return self._base + start, frames

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


_RUN: Final = 32 << 8
"""Length bytes of full sub-blocks looked at by the first C call over a run: 32 of them (8 KiB
of data), twice as many at each next call."""


def _skip_in(buffer: bytes, index: int, run: int) -> tuple[int, bool]:
    """Skip the sub-blocks at ``buffer[index]`` up to and including a zero length: where the
    chain ends and ``True``, or where it goes on past the buffer and ``False``. The first
    strided slice over full sub-blocks spans ``run`` bytes, each next one twice as many."""
    held = len(buffer)
    while index < held:
        length = buffer[index]
        if length == 255:
            # The length bytes of a run of full sub-blocks are 256 bytes apart.
            index += _full_run(buffer[index : index + run : 256]).end() << 8
            run <<= 1
        elif length:
            index += length + 1
        else:
            return index + 1, True
    return index, False
