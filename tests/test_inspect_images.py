"""The image adapter's fast paths give what Pillow gives, and stay header-only and bounded.

``tests/test_inspect.py`` covers the facts themselves; this file covers what was made faster:
GIF frames counted by :mod:`mediarules.inspection.gif` instead of ``n_frames``, Pillow's GIF
plugin with a fast grey-ramp test, the plugin loop, and the EXIF orientation shortcut.
"""

from __future__ import annotations

import io
import os
import tempfile
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from PIL import GifImagePlugin, Image, ImageFile, PngImagePlugin

from mediarules import inspection
from mediarules.inspection import UnreadableMediaError, gif, inspect, pillow_images
from tests.media import make_image
from tests.test_gif import DESCRIPTOR, SCREEN, pillow_gifs

pytestmark = pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")


class _CountingReader(io.BufferedReader):
    """A file that adds up what it hands out and remembers the largest single read."""

    total = 0
    largest = 0

    def read(self, size: int | None = -1, /) -> bytes:
        data = super().read(size)
        _CountingReader.total += len(data)
        _CountingReader.largest = max(_CountingReader.largest, len(data))
        return data


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> type[_CountingReader]:
    """Counts every byte inspection reads: through the file object it opens, and through
    ``os.pread`` on its descriptor (the header readers' ``FileSource``)."""

    def counting_open(path: str) -> _CountingReader:
        return _CountingReader(io.FileIO(path, "r"))

    real_pread = os.pread

    def counting_pread(fd: int, length: int, offset: int) -> bytes:
        data = real_pread(fd, length, offset)
        _CountingReader.total += len(data)
        _CountingReader.largest = max(_CountingReader.largest, len(data))
        return data

    monkeypatch.setattr(inspection, "_open", counting_open)
    monkeypatch.setattr(os, "pread", counting_pread)
    _CountingReader.total = _CountingReader.largest = 0
    return _CountingReader


# ---------------------------------------------------------------------------------------------
# GIF


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=pillow_gifs())
def test_gif_facts_are_pillows(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "a.gif"
        path.write_bytes(data)
        facts = inspect(path)
        with Image.open(path) as im:
            assert isinstance(im, GifImagePlugin.GifImageFile)
            expected = (im.size, im.mode, "transparency" in im.info, im.n_frames)
    assert ((facts.width, facts.height), facts.mode, facts.has_alpha, facts.frames) == expected


def test_grey_gif_is_mode_l_as_pillow_reads_it(tmp_path: Path) -> None:
    ramp = Image.linear_gradient("L")  # every grey level: Pillow writes the grey ramp table
    path = tmp_path / "grey.gif"
    ramp.save(path, save_all=True, append_images=[ramp.rotate(90), ramp.rotate(180)])
    with Image.open(path) as im:
        assert im.mode == "L"
    facts = inspect(path)
    assert (facts.mode, facts.frames, facts.animated) == ("L", 3, True)


def test_a_gif_whose_frames_pillow_cannot_walk_is_corrupt_as_before(tmp_path: Path) -> None:
    path = tmp_path / "cut.gif"
    frame = DESCRIPTOR + b"\x01\x00\x00"
    path.write_bytes(SCREEN + frame + b"!\xf9\x02\x01\x00\x00" + frame)  # a short control block
    with open(path, "rb") as fp:
        im = GifImagePlugin.GifImageFile(fp)
        with pytest.raises(IndexError):
            im.n_frames  # noqa: B018 - Pillow raises while counting
    with pytest.raises(UnreadableMediaError) as caught:
        inspect(path)
    assert caught.value.reason == "corrupt"
    assert "GIF frames cannot be read" in str(caught.value)


def test_a_gif_cut_inside_a_later_frame_keeps_the_frames_it_has(tmp_path: Path) -> None:
    path = make_image(tmp_path / "a.gif", format="GIF", frames=3, size=(300, 200))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 20])  # inside the last frame's image data
    with Image.open(path) as im:
        assert isinstance(im, GifImagePlugin.GifImageFile)
        expected = im.n_frames
    assert inspect(path).frames == expected == 3


def test_a_large_gif_is_read_in_bounded_chunks(
    tmp_path: Path, counting: type[_CountingReader]
) -> None:
    frame = DESCRIPTOR + (b"\xff" + os.urandom(255)) * 40_000 + b"\x00"  # 10 MB of LZW data
    path = tmp_path / "big.gif"
    path.write_bytes(SCREEN + frame + frame + b";")
    tracemalloc.start()
    try:
        facts = inspect(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert facts.frames == 2
    assert counting.largest <= gif.CHUNK + 1
    assert peak < 2 * gif.CHUNK + 262_144, peak


def test_the_gif_plugin_is_pillows_own_with_one_helper() -> None:
    assert issubclass(pillow_images.GifImageFile, GifImagePlugin.GifImageFile)
    assert pillow_images.GifImageFile.format == "GIF"
    methods = {name for name, value in vars(pillow_images.GifImageFile).items() if callable(value)}
    assert methods == {"_is_palette_needed"}
    assert Image.OPEN["GIF"][0] is GifImagePlugin.GifImageFile  # Pillow's registry untouched


# ---------------------------------------------------------------------------------------------
# APNG


def test_apng_frames_come_from_its_header(tmp_path: Path, counting: type[_CountingReader]) -> None:
    noise = [Image.frombytes("RGB", (500, 500), os.urandom(500 * 500 * 3)) for _ in range(3)]
    path = tmp_path / "noise.png"
    noise[0].save(path, save_all=True, append_images=noise[1:], compress_level=1)
    assert path.stat().st_size > 1_000_000
    facts = inspect(path)
    assert (facts.format, facts.frames, facts.animated) == ("png", 3, True)
    assert counting.total <= 16_384  # the head (IHDR, acTL, fcTL), not the 1.5 MB of pixels


# ---------------------------------------------------------------------------------------------
# the plugin loop


@pytest.mark.parametrize(
    ("pillow_format", "mode"),
    [("TGA", "RGB"), ("PCX", "RGB"), ("ICO", "RGBA"), ("PPM", "RGB"), ("SGI", "RGB")],
)
def test_formats_outside_the_common_plugins(tmp_path: Path, pillow_format: str, mode: str) -> None:
    path = tmp_path / "picture"
    Image.new(mode, (32, 32), (10, 20, 30, 255)[: len(mode)]).save(path, format=pillow_format)
    facts = inspect(path)
    with Image.open(path) as im:
        assert im.format == pillow_format
        assert (facts.width, facts.height, facts.mode) == (*im.size, im.mode)
    assert facts.kind == "image"


# ---------------------------------------------------------------------------------------------
# EXIF orientation


def _reference_orientation(im: ImageFile.ImageFile) -> int | None:
    """What ``_orientation`` did before its shortcut: always ask ``getexif``."""
    exif = Image.Image.getexif(im) if im.format == "PNG" else im.getexif()
    value = exif.get(0x0112)
    return value if isinstance(value, int) and 1 <= value <= 8 else None


def _xmp(orientation: int) -> str:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf='
        '"http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:tiff='
        f'"http://ns.adobe.com/tiff/1.0/" tiff:Orientation="{orientation}"/></rdf:RDF>'
        "</x:xmpmeta>"
    )


def _png_with_xmp(path: Path) -> Path:
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", _xmp(8))
    Image.new("RGB", (16, 8)).save(path, format="PNG", pnginfo=info)
    return path


def _jpeg_with_xmp(path: Path) -> Path:
    Image.new("RGB", (16, 8)).save(path, format="JPEG", xmp=_xmp(7).encode())
    return path


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: make_image(p, format="JPEG"), None),
        (lambda p: make_image(p, format="JPEG", orientation=6), 6),
        (lambda p: make_image(p, format="MPO", frames=2, orientation=3), 3),
        (lambda p: make_image(p, format="PNG"), None),
        (lambda p: make_image(p, format="PNG", orientation=5), 5),
        (lambda p: make_image(p, format="TIFF"), None),
        (lambda p: make_image(p, format="TIFF", orientation=8), 8),
        (lambda p: make_image(p, format="GIF"), None),
        (lambda p: make_image(p, format="BMP"), None),
        (_png_with_xmp, 8),
        (_jpeg_with_xmp, 7),
    ],
)
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_the_orientation_shortcut_agrees_with_getexif(
    tmp_path: Path, make: Any, expected: int | None
) -> None:
    path = make(tmp_path / "picture")
    with path.open("rb") as fp:
        im = pillow_images._open_header(fp, str(path), fp.read(16))
        assert im is not None
        with im:
            assert pillow_images._orientation(im) == expected
        with Image.open(path) as again:
            assert _reference_orientation(again) == expected
    assert inspect(path).orientation == expected
