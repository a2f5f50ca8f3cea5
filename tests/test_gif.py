"""``mediarules.inspection.gif.count_frames`` gives what Pillow's ``n_frames`` gives.

The counter replaces ``GifImageFile.n_frames`` for speed, so it is checked against it, never
against an expectation of its own: on GIFs Pillow writes (frames, sizes, modes, palettes,
disposal, transparency, local colour tables, comments, loop counts), on GIFs built block by
block (empty, short and unknown extensions, junk between blocks, local tables cut short), on
any of those cut anywhere or with bytes changed, and on random bytes after a GIF signature.
Where Pillow cannot even open a file, the counter only has to return without raising.
"""

from __future__ import annotations

import io
import random
import struct
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import GifImagePlugin, Image

from mediarules.inspection import gif, pillow_images

UNOPENABLE: Final = "Pillow cannot open it"

# Damaged first frames can claim a huge size; Pillow's check of it is not what is tested here.
pytestmark = pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")

# Chunk sizes that put chunk boundaries everywhere: inside a descriptor, a colour table, a run
# of full sub-blocks, on a length byte.
CHUNKS = st.sampled_from([1, 2, 3, 9, 255, 256, 257, 1000, gif.CHUNK])


def pillow_frames(data: bytes) -> int | str | None:
    """``n_frames`` as Pillow reports it; ``None`` when it raises; UNOPENABLE when the file
    does not open (``GifImageFile`` directly: ``Image.open`` would add its bomb check)."""
    try:
        im = GifImagePlugin.GifImageFile(io.BytesIO(data))
    except Exception:
        return UNOPENABLE
    try:
        return im.n_frames
    except Exception:
        return None


@contextmanager
def chunk_size(size: int) -> Iterator[None]:
    with mock.patch.object(gif, "CHUNK", size):
        yield


def count(data: bytes, *, chunk: int = gif.CHUNK, size_hint: bool = True) -> int | None:
    with chunk_size(chunk):
        return gif.count_frames(io.BytesIO(data), len(data) if size_hint else None)


def assert_agrees(data: bytes, *, chunk: int = gif.CHUNK) -> int | str | None:
    expected = pillow_frames(data)
    for size_hint in (True, False):
        counted = count(data, chunk=chunk, size_hint=size_hint)
        if expected != UNOPENABLE:
            assert counted == expected, (counted, expected, size_hint)
    return expected


# ---------------------------------------------------------------------------------------------
# GIFs that Pillow writes

MODES = ["P", "L", "RGB", "RGBA", "1", "LA"]


@st.composite
def pillow_gifs(draw: st.DrawFn) -> bytes:
    """An animated or still GIF as Pillow saves it, with most of its GIF options."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    frames = draw(st.integers(1, 6))
    width, height = draw(st.integers(1, 48)), draw(st.integers(1, 48))
    mode = draw(st.sampled_from(MODES))
    per_frame_palette = draw(st.booleans())  # different palettes give local colour tables
    colours = draw(st.sampled_from([2, 4, 16, 256]))
    images: list[Image.Image] = []
    for index in range(frames):
        if mode == "P":
            im = Image.frombytes("L", (width, height), rng.randbytes(width * height))
            im = im.point(lambda v: v % colours).convert("P")
            if per_frame_palette or index == 0:
                palette = rng.randbytes(3 * colours)
            im.putpalette(palette)
        elif mode == "1":
            im = Image.frombytes("L", (width, height), rng.randbytes(width * height)).convert("1")
        else:
            bands = len(mode)
            size = width * height * bands
            im = Image.frombytes(mode, (width, height), rng.randbytes(size))
        if draw(st.booleans()) and frames > 1:  # a frame that repeats the last one
            im = images[-1].copy() if images else im
        images.append(im)
    options: dict[str, object] = {}
    if frames > 1:
        options["save_all"] = True
        options["append_images"] = images[1:]
        options["duration"] = draw(
            st.one_of(
                st.integers(0, 500),
                st.lists(st.integers(0, 500), min_size=frames, max_size=frames),
            )
        )
        options["disposal"] = draw(
            st.one_of(
                st.integers(0, 3), st.lists(st.integers(0, 3), min_size=frames, max_size=frames)
            )
        )
    loop = draw(st.sampled_from([None, 0, 1, 5, 65535]))
    if loop is not None:
        options["loop"] = loop  # the NETSCAPE2.0 application extension
    if draw(st.booleans()):
        options["transparency"] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        options["comment"] = draw(st.binary(min_size=1, max_size=600))
    options["optimize"] = draw(st.booleans())
    options["interlace"] = draw(st.booleans())
    if draw(st.booleans()):
        options["include_color_table"] = True
    if draw(st.booleans()):
        options["background"] = draw(st.integers(0, 255))
    out = io.BytesIO()
    try:
        images[0].save(out, format="GIF", **options)
    except TypeError:  # all frames alike: Pillow writes one frame and wants scalar options
        for name in ("duration", "disposal"):
            value = options.get(name)
            if isinstance(value, list):
                options[name] = value[0]
        out = io.BytesIO()
        images[0].save(out, format="GIF", **options)
    return out.getvalue()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=pillow_gifs(), chunk=CHUNKS)
def test_pillow_written_gifs(data: bytes, chunk: int) -> None:
    expected = assert_agrees(data, chunk=chunk)
    assert isinstance(expected, int) and expected >= 1


# Positions are drawn as large integers taken modulo the file size: hypothesis favours small
# numbers (and floats near 0 or 1), which would land in the header almost every time.
WHERE = st.integers(0, 2**20)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=pillow_gifs(), where=WHERE, from_end=st.integers(0, 300), chunk=CHUNKS)
def test_pillow_written_gifs_cut_anywhere(
    data: bytes, where: int, from_end: int, chunk: int
) -> None:
    assert_agrees(data[: where % (len(data) + 1)], chunk=chunk)
    assert_agrees(data[: max(len(data) - from_end, 0)], chunk=chunk)  # cut in the last frames


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=pillow_gifs(),
    changes=st.lists(st.tuples(WHERE, st.integers(0, 255)), min_size=1, max_size=8),
    chunk=CHUNKS,
)
def test_pillow_written_gifs_with_bytes_changed(
    data: bytes, changes: list[tuple[int, int]], chunk: int
) -> None:
    damaged = bytearray(data)
    for where, value in changes:
        damaged[where % len(data)] = value
    assert_agrees(bytes(damaged), chunk=chunk)


# ---------------------------------------------------------------------------------------------
# GIFs built block by block: what encoders rarely write and Pillow still reads

GREY_RAMP = bytes(i // 3 for i in range(768))  # a colour table Pillow reads as mode L


@st.composite
def chains(draw: st.DrawFn, rng: random.Random) -> bytes:
    """Sub-blocks (often runs of full 255-byte ones), usually ended by a zero length."""
    out = bytearray()
    for _ in range(draw(st.integers(0, 5))):
        if draw(st.booleans()):
            for _ in range(draw(st.integers(1, 6))):
                out += b"\xff" + rng.randbytes(255)
        else:
            length = draw(st.integers(1, 254))
            out += bytes([length]) + rng.randbytes(length)
    if draw(st.integers(0, 9)):
        out += b"\x00"
    return bytes(out)


@st.composite
def blocks(draw: st.DrawFn, rng: random.Random) -> bytes:
    kind = draw(
        st.sampled_from(
            [
                *("image", "image", "image", "control", "comment", "application"),
                *("empty", "other", "junk", "trailer"),
            ]
        )
    )
    if kind == "image":
        position = struct.pack("<HHHH", *(draw(st.integers(0, 40)) for _ in range(4)))
        flags = draw(st.integers(0, 255))
        table = b""
        if flags & 0x80:
            length = 3 << ((flags & 7) + 1)
            table = GREY_RAMP[:length] if draw(st.booleans()) else rng.randbytes(length)
            if draw(st.integers(0, 4)) == 0:
                table = table[: draw(st.integers(0, length))]  # a short table, file cut
        return b"," + position + bytes([flags]) + table + b"\x08" + draw(chains(rng))
    if kind == "control":
        length = draw(st.sampled_from([4, 4, 4, 0, 1, 2, 3, 5]))
        body = bytes([draw(st.integers(0, 255))]) + rng.randbytes(max(length - 1, 0))
        return b"!\xf9" + bytes([length]) + body[:length] + draw(chains(rng))
    if kind == "comment":
        return b"!\xfe" + draw(chains(rng))
    if kind == "application":
        ident = draw(st.sampled_from([b"NETSCAPE2.0", b"ANIMEXTS1.0", b"XMP DataXMP"]))
        loop = draw(st.sampled_from([b"\x03\x01\x00\x00", b"\x03\x01\xff\xff", b"", b"\x01\x02"]))
        return b"!\xff\x0b" + ident + loop + draw(chains(rng))
    if kind == "empty":  # an extension with no sub-block: Pillow then skips the next block
        return b"!" + bytes([draw(st.integers(0, 255))]) + b"\x00"
    if kind == "other":
        return b"!" + bytes([draw(st.integers(0, 255))]) + draw(chains(rng))
    if kind == "junk":
        return draw(st.binary(min_size=1, max_size=40))
    return b";"


@st.composite
def built_gifs(draw: st.DrawFn) -> bytes:
    rng = random.Random(draw(st.integers(0, 2**32)))
    signature = draw(st.sampled_from([b"GIF89a", b"GIF87a"]))
    flags = draw(st.integers(0, 255))
    screen = struct.pack("<HHBBB", draw(st.integers(1, 40)), draw(st.integers(1, 40)), flags, 0, 0)
    table = b""
    if flags & 0x80:
        length = 3 << ((flags & 7) + 1)
        table = GREY_RAMP[:length] if draw(st.booleans()) else rng.randbytes(length)
    first = draw(st.sampled_from([b"", b"", b"!\xf9\x04\x05\x0a\x00\x00\x00"]))
    if draw(st.booleans()):  # a first frame, so that Pillow opens most of these files
        first += b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02" + draw(chains(rng))
    body = b"".join(draw(blocks(rng)) for _ in range(draw(st.integers(0, 12))))
    return signature + screen + table + first + body


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=built_gifs(), chunk=CHUNKS)
def test_block_built_gifs(data: bytes, chunk: int) -> None:
    assert_agrees(data, chunk=chunk)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=built_gifs(), where=WHERE, chunk=CHUNKS)
def test_block_built_gifs_cut_anywhere(data: bytes, where: int, chunk: int) -> None:
    assert_agrees(data[: where % (len(data) + 1)], chunk=chunk)


FRAGMENTS = st.sampled_from(
    [
        *(b",", b"!", b";", b"\x00", b"\xff", b"!\xf9\x04", b"!\xfe", b"!\xff\x0bNETSCAPE2.0"),
        *(b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02", b"\x01\x00", b"\xff" * 3),
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    signature=st.sampled_from(
        [b"GIF89a", b"GIF87a", b"GIF8", b"GIF89a\x01\x00\x01\x00\x80"]
        + [b"GIF89a\x01\x00\x01\x00\x00\x00\x00"] * 4  # no global colour table
    ),
    tail=st.lists(st.one_of(st.binary(max_size=40), FRAGMENTS), max_size=40),
    chunk=CHUNKS,
)
def test_random_bytes_after_a_signature(signature: bytes, tail: list[bytes], chunk: int) -> None:
    assert_agrees(signature + b"".join(tail), chunk=chunk)


def test_the_quirks_pillow_has_are_reproduced() -> None:
    """Cases the strategies above find; pinned so each stays covered."""
    screen = b"GIF89a\x02\x00\x02\x00\x00\x00\x00"
    frame = b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00"
    netscape = b"!\xff\x0bNETSCAPE2.0"
    cases = {
        "two frames": screen + frame + frame + b";",
        "no trailer": screen + frame + frame,
        # An extension with no sub-block: Pillow reads the ',' after it as a sub-block length
        # (44) and skips 44 bytes, so the frames after it are never seen.
        "empty extension": screen + frame + b"!\x01\x00" + frame + frame,
        # After "NETSCAPE2.0" Pillow reads one more sub-block (normally the loop count), then
        # skips sub-blocks up to a zero length.
        "NETSCAPE without its loop count": screen + netscape + b"\x00\x03abc\x00" + frame,
        "NETSCAPE that swallows the frame": screen + netscape + b"\x00" + frame + frame,
        "NETSCAPE after the first frame": screen + frame + netscape + b"\x00" + frame + frame,
        "graphic control cut short": screen + frame + b"!\xf9\x02\x01\x00\x00" + frame,
        "descriptor cut short": screen + frame + b",\x00\x00\x00",
        "local table cut short": screen + frame + frame[:9] + b"\x82\x00\x00\x00\x01",
        "code size missing": screen + frame + frame[:10],
        "extension label missing": screen + frame + b"!",
        "junk between frames": screen + frame + b"junk\x00\xff" + frame + b";",
        "comments": screen + b"!\xfe\x05hello\x00" + frame + b"!\xfe\x00" + frame,
        "no frame": screen + b";",
        "header only": screen,
    }
    seen = {name: assert_agrees(data) for name, data in cases.items()}
    assert seen == {
        "two frames": 2,
        "no trailer": 2,
        "empty extension": 1,
        "NETSCAPE without its loop count": 1,
        "NETSCAPE that swallows the frame": UNOPENABLE,
        "NETSCAPE after the first frame": 3,
        "graphic control cut short": None,
        "descriptor cut short": None,
        "local table cut short": None,
        "code size missing": None,
        "extension label missing": None,
        "junk between frames": 2,
        "comments": 2,
        "no frame": UNOPENABLE,
        "header only": UNOPENABLE,
    }


# ---------------------------------------------------------------------------------------------
# bounds: time and memory


SCREEN = b"GIF89a\x10\x00\x10\x00\x00\x00\x00"
DESCRIPTOR = b",\x00\x00\x00\x00\x10\x00\x10\x00\x00\x08"


def _full_chain(megabytes: int) -> bytes:
    return (b"\xff" + bytes(255)) * (megabytes * 4096) + b"\x00"


def test_a_large_frame_is_skipped_in_bounded_memory(tmp_path: Path) -> None:
    frame = DESCRIPTOR + _full_chain(12)
    path = tmp_path / "big.gif"
    path.write_bytes(SCREEN + frame + frame + frame + b";")
    tracemalloc.start()
    try:
        with path.open("rb") as fp:
            assert gif.count_frames(fp, path.stat().st_size) == 3
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * gif.CHUNK + 65_536, peak


@pytest.mark.parametrize(
    ("body", "frames"),
    [
        (lambda n: DESCRIPTOR + b"\x00" + b"x" * n, 1),  # junk, no block introducer at all
        (lambda n: DESCRIPTOR + b"\x01\x00" * n + b"\x00" + DESCRIPTOR + b"\x00", 2),
        (lambda n: DESCRIPTOR + b"\x00!\x01" + b"\x01\x00" * n + b"\x00" + DESCRIPTOR, 2),
    ],
    ids=["junk", "one-byte sub-blocks", "long extension"],
)
def test_pathological_files_end_quickly(body: Callable[[int], bytes], frames: int) -> None:
    assert pillow_frames(SCREEN + body(20_000)) == frames
    start = time.perf_counter()
    assert count(SCREEN + body(2_000_000)) == frames
    assert time.perf_counter() - start < 10


def test_the_counter_reads_from_the_start_whatever_the_position() -> None:
    out = io.BytesIO()
    frames = [Image.new("L", (8, 8), 60 * i) for i in range(4)]
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:])
    assert pillow_frames(out.getvalue()) == 4
    out.seek(17)
    assert gif.count_frames(out) == 4
    assert gif.count_frames(io.BytesIO(b"\x89PNG\r\n\x1a\n" + bytes(40))) is None


# ---------------------------------------------------------------------------------------------
# the GIF plugin with a fast grey-ramp test


def opened_as(cls: type[GifImagePlugin.GifImageFile], data: bytes) -> object:
    """What opening ``data`` with ``cls`` gives: the header facts, or the exception."""
    try:
        im = cls(io.BytesIO(data))
    except Exception as exc:
        return type(exc), str(exc)
    palette = (im.palette.mode, bytes(im.palette.palette)) if im.palette else None
    header = (im.mode, im.size, dict(im.info), im.tile, palette)
    try:
        return header, im.n_frames
    except Exception as exc:
        return header, type(exc), str(exc)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(pillow_gifs(), built_gifs()), where=WHERE)
def test_the_fast_plugin_opens_gifs_as_pillow_does(data: bytes, where: int) -> None:
    for variant in (data, data[: where % (len(data) + 1)]):
        pillow = opened_as(GifImagePlugin.GifImageFile, variant)
        assert opened_as(pillow_images.GifImageFile, variant) == pillow


@settings(max_examples=300, deadline=None)
@given(
    table=st.one_of(
        st.integers(0, 768).map(lambda n: GREY_RAMP[:n]),  # ramps, whole or cut anywhere
        st.tuples(st.integers(0, 767), st.integers(0, 255)).map(
            lambda change: GREY_RAMP[: change[0]] + bytes([change[1]]) + GREY_RAMP[change[0] + 1 :]
        ),
        st.binary(max_size=800),
    )
)
def test_the_grey_ramp_test_agrees_with_pillows(table: bytes) -> None:
    def verdict(cls: type[GifImagePlugin.GifImageFile]) -> object:
        im = cls.__new__(cls)  # the helper reads nothing from the image
        try:
            return im._is_palette_needed(table)
        except IndexError:
            return IndexError

    assert verdict(pillow_images.GifImageFile) == verdict(GifImagePlugin.GifImageFile)
