"""The inspection layer: real media in, ``MediaFacts`` or ``UnreadableMediaError`` out."""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import random
import stat
import struct
import sys
import tempfile
import warnings
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageOps, features

from mediarules.inspection import UnreadableMediaError, images, inspect
from mediarules.inspection import convert as cv
from mediarules.inspection.video import Probe, video_facts
from tests.media import _write_silence, make_corrupt, make_image, make_video

HAS_AVIF = features.check("avif") is True
avif = pytest.mark.skipif(not HAS_AVIF, reason="Pillow built without AVIF")


# ---------------------------------------------------------------------------------------------
# images


@pytest.mark.parametrize(
    ("pillow_format", "mode", "expected_format"),
    [
        ("JPEG", "RGB", "jpeg"),
        ("JPEG", "CMYK", "jpeg"),
        ("JPEG", "L", "jpeg"),
        ("PNG", "RGB", "png"),
        ("PNG", "L", "png"),
        ("PNG", "P", "png"),
        ("GIF", "P", "gif"),
        ("WEBP", "RGB", "webp"),
        ("BMP", "RGB", "bmp"),
        ("TIFF", "RGB", "tiff"),
        pytest.param("AVIF", "RGB", "avif", marks=avif),
    ],
)
def test_image_facts_come_from_the_header(
    tmp_path: Path, pillow_format: str, mode: str, expected_format: str
) -> None:
    path = make_image(tmp_path / "picture", format=pillow_format, mode=mode, size=(64, 48))

    facts = inspect(path)

    assert facts.kind == "image"
    assert facts.path == str(path)
    assert facts.format == expected_format
    assert facts.size == path.stat().st_size
    assert (facts.width, facts.height) == (64, 48)
    assert facts.mode == mode
    assert facts.frames == 1
    assert facts.has_alpha is False
    assert facts.orientation is None
    assert facts.fps is None
    assert facts.video_codec is None


@pytest.mark.parametrize(
    ("pillow_format", "name", "expected"),
    [
        ("PNG", "photo.jpg", "png"),
        ("JPEG", "photo.png", "jpeg"),
        ("GIF", "animation.webp", "gif"),
        ("WEBP", "photo.jpeg", "webp"),
    ],
)
def test_image_format_comes_from_the_bytes_not_the_extension(
    tmp_path: Path, pillow_format: str, name: str, expected: str
) -> None:
    assert inspect(make_image(tmp_path / name, format=pillow_format)).format == expected


def test_accepts_str_and_pathlike(tmp_path: Path) -> None:
    path = make_image(tmp_path / "a.png", format="PNG")
    assert inspect(str(path)) == inspect(path)


def test_size_counts_every_byte(tmp_path: Path) -> None:
    path = make_image(tmp_path / "big.jpg", format="JPEG", pad_to_bytes=50_000)
    facts = inspect(path)
    assert facts.size == path.stat().st_size >= 50_000
    assert facts.format == "jpeg"


@pytest.mark.parametrize("pillow_format", ["GIF", "WEBP", "PNG"])
def test_animation_frames_are_counted(tmp_path: Path, pillow_format: str) -> None:
    facts = inspect(make_image(tmp_path / "anim", format=pillow_format, frames=3))
    assert facts.frames == 3
    assert facts.animated


def test_mpo_is_a_jpeg_with_one_visible_frame(tmp_path: Path) -> None:
    path = make_image(tmp_path / "iphone.jpg", format="MPO", frames=2)
    with Image.open(path) as im:
        assert im.format == "MPO"  # the test really makes a multi-picture file
    facts = inspect(path)
    assert facts.format == "jpeg"
    assert facts.frames == 1
    assert not facts.animated


@pytest.mark.parametrize(
    ("pillow_format", "mode"),
    [("PNG", "RGBA"), ("PNG", "LA"), ("WEBP", "RGBA"), ("TIFF", "RGBA")],
)
def test_alpha_modes(tmp_path: Path, pillow_format: str, mode: str) -> None:
    facts = inspect(make_image(tmp_path / "alpha", format=pillow_format, mode=mode))
    assert facts.has_alpha is True
    assert facts.mode == mode


def test_palette_transparency_counts_as_alpha(tmp_path: Path) -> None:
    Image.new("P", (8, 8), 0).save(tmp_path / "t.gif", transparency=0)
    Image.new("RGB", (8, 8)).save(tmp_path / "t.png", transparency=(0, 0, 0))
    assert inspect(tmp_path / "t.gif").has_alpha is True
    assert inspect(tmp_path / "t.png").has_alpha is True


@pytest.mark.parametrize("pillow_format", ["JPEG", "PNG", "WEBP", "TIFF", "MPO"])
def test_exif_orientation_swaps_the_display_size(tmp_path: Path, pillow_format: str) -> None:
    facts = inspect(make_image(tmp_path / "o", format=pillow_format, orientation=6))
    assert facts.orientation == 6
    assert (facts.width, facts.height) == (64, 48)
    assert facts.display_size == (48, 64)
    assert facts.aspect_ratio == Fraction(3, 4)


@avif
def test_an_avif_is_measured_turned_as_its_irot_says(tmp_path: Path) -> None:
    """Pillow's AVIF writer turns EXIF orientation 6 into an irot box, which every decoder
    applies: the facts give the size as decoded, with no orientation left to apply."""
    facts = inspect(make_image(tmp_path / "o", format="AVIF", orientation=6))
    assert facts.orientation is None
    assert (facts.width, facts.height) == facts.display_size == (48, 64)
    with Image.open(tmp_path / "o") as im:  # Pillow's AVIF plugin: stored size + EXIF 6
        assert ImageOps.exif_transpose(im).size == (48, 64)


def test_upside_down_keeps_the_display_size(tmp_path: Path) -> None:
    facts = inspect(make_image(tmp_path / "o.jpg", orientation=3))
    assert facts.orientation == 3
    assert facts.display_size == (64, 48)


@pytest.mark.parametrize("value", [0, 9, 255])
def test_orientation_outside_1_to_8_is_none(tmp_path: Path, value: int) -> None:
    assert inspect(make_image(tmp_path / "o.jpg", orientation=value)).orientation is None


def _png_header(width: int, height: int) -> bytes:
    """A PNG with a valid IHDR declaring ``width`` x ``height`` and no pixel data at all."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr
    chunk += struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    iend = struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND") & 0xFFFFFFFF)
    return b"\x89PNG\r\n\x1a\n" + chunk + iend


def _webp_lossless_header(width: int, height: int, *, alpha: bool) -> bytes:
    """A WebP whose VP8L header declares ``width`` x ``height``; no image data follows."""
    bits = (width - 1) | (height - 1) << 14 | int(alpha) << 28
    body = b"\x2f" + bits.to_bytes(4, "little") + b"\x00" * 11
    chunk = b"VP8L" + len(body).to_bytes(4, "little") + body
    return b"RIFF" + (4 + len(chunk)).to_bytes(4, "little") + b"WEBP" + chunk


def test_huge_png_is_inspected_without_touching_the_global_limit(tmp_path: Path) -> None:
    limit = Image.MAX_IMAGE_PIXELS
    path = tmp_path / "huge.png"
    path.write_bytes(_png_header(20_000, 20_000))  # 400 MP: Image.open would refuse it
    with pytest.raises(Image.DecompressionBombError):
        Image.open(path)

    facts = inspect(path)

    assert (facts.format, facts.width, facts.height, facts.mode) == ("png", 20_000, 20_000, "RGB")
    assert limit == Image.MAX_IMAGE_PIXELS


def test_large_photo_raises_no_decompression_bomb_warning(tmp_path: Path) -> None:
    path = tmp_path / "100mp.png"
    path.write_bytes(_png_header(10_000, 10_000))  # Image.open warns past 89 MP
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        facts = inspect(path)
    assert (facts.width, facts.height) == (10_000, 10_000)


def test_huge_webp_is_read_from_its_header(tmp_path: Path) -> None:
    limit = Image.MAX_IMAGE_PIXELS
    path = tmp_path / "huge.webp"
    path.write_bytes(_webp_lossless_header(16_383, 16_383, alpha=True))  # 268 MP
    facts = inspect(path)
    assert (facts.format, facts.width, facts.height) == ("webp", 16_383, 16_383)
    assert facts.has_alpha is True
    assert facts.mode == "RGBA"
    assert limit == Image.MAX_IMAGE_PIXELS


def _loaders() -> Iterator[type[Image.Image]]:
    Image.init()
    pending: list[type[Image.Image]] = [Image.Image]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if "load" in vars(cls):
            yield cls


@pytest.mark.parametrize(
    ("pillow_format", "options"),
    [
        ("JPEG", {"orientation": 6}),
        ("PNG", {"orientation": 6}),
        ("PNG", {"frames": 3}),
        ("PNG", {}),
        ("GIF", {"frames": 3}),
        ("WEBP", {"frames": 3}),
        ("WEBP", {"orientation": 6}),
        ("MPO", {"frames": 2}),
        ("BMP", {}),
        ("TIFF", {"orientation": 6}),
        pytest.param("AVIF", {}, marks=avif),  # (its orientation is an irot: test_heif.py)
    ],
)
def test_inspecting_an_image_never_decodes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pillow_format: str, options: dict[str, Any]
) -> None:
    path = make_image(tmp_path / "x", format=pillow_format, **options)

    def refuse(self: Image.Image, *args: object, **kwargs: object) -> None:
        raise AssertionError(f"{type(self).__name__}.load() decodes pixels")

    for cls in _loaders():
        monkeypatch.setattr(cls, "load", refuse)
    facts = inspect(path)
    assert facts.kind == "image"
    assert facts.orientation == options.get("orientation")


@pytest.mark.parametrize(
    ("pillow_format", "mode"),
    [
        ("JPEG", "RGB"),
        ("JPEG", "CMYK"),
        ("PNG", "RGBA"),
        ("GIF", "P"),
        ("WEBP", "RGBA"),
        ("BMP", "RGB"),
        ("TIFF", "RGB"),
        ("MPO", "RGB"),
        pytest.param("AVIF", "RGB", marks=avif),
    ],
)
def test_header_open_agrees_with_image_open(tmp_path: Path, pillow_format: str, mode: str) -> None:
    """inspect() runs Pillow's plugin loop itself (to skip the bomb check): guard the drift."""
    path = make_image(tmp_path / "x", format=pillow_format, mode=mode)
    facts = inspect(path)
    with Image.open(path) as im:
        assert facts.format == cv.image_format_name(im.format or "")
        assert (facts.width, facts.height) == im.size
        assert facts.mode == im.mode


# ---------------------------------------------------------------------------------------------
# video

VIDEO_CASES = [
    # name, make_video options, container, video codec, audio codec, exact fps
    ("clip.mp4", {"fps": 20}, "mp4", "h264", "aac", Fraction(20)),
    ("clip.mov", {"fps": Fraction(30000, 1001)}, "mov", "h264", "aac", Fraction(30000, 1001)),
    ("clip.webm", {"fps": 25, "codec": "libvpx", "audio": "libopus"}, "webm", "vp8", "opus", 25),
    ("vp9.webm", {"codec": "libvpx-vp9", "audio": "libopus"}, "webm", "vp9", "opus", 30),
    ("clip.mkv", {"fps": 24, "audio": "flac"}, "mkv", "h264", "flac", Fraction(24)),
    # Matroska has no framerate_num/den: the rate comes back from MediaInfo's "23.976"
    ("ntsc.mkv", {"fps": Fraction(24000, 1001)}, "mkv", "h264", "aac", Fraction(24000, 1001)),
    ("silent.mp4", {"audio": None}, "mp4", "h264", None, 30),
    ("hevc.mp4", {"codec": "libx265", "audio": None}, "mp4", "hevc", None, 30),
    ("av1.mp4", {"codec": "libsvtav1", "audio": None}, "mp4", "av1", None, 30),
    ("ac3.mp4", {"audio": "ac3"}, "mp4", "h264", "ac3", 30),
    ("old.avi", {"codec": "mpeg4", "audio": "mp2"}, "avi", "mpeg4", "mp2", 30),
]


@pytest.mark.parametrize(
    ("name", "options", "container", "vcodec", "acodec", "fps"),
    VIDEO_CASES,
    ids=[case[0] for case in VIDEO_CASES],
)
def test_video_facts(
    tmp_path: Path,
    name: str,
    options: dict[str, Any],
    container: str,
    vcodec: str,
    acodec: str | None,
    fps: Fraction,
) -> None:
    path = make_video(tmp_path / name, duration_s=1.0, size=(64, 48), **options)

    facts = inspect(path)

    assert facts.kind == "video"
    assert facts.path == str(path)
    assert facts.format == container
    assert facts.video_codec == vcodec
    assert facts.audio_codec == acodec
    assert facts.fps == fps
    assert isinstance(facts.fps, Fraction)
    assert (facts.width, facts.height) == (64, 48)
    assert facts.size == path.stat().st_size
    assert facts.duration_s == pytest.approx(1.0, abs=float(1 / fps) + 0.06)  # + audio padding
    assert facts.bit_rate is not None
    assert facts.bit_rate > 0
    assert facts.variable_frame_rate in (False, None)
    assert facts.mode is None
    assert facts.frames is None


def test_duration_is_within_a_frame(tmp_path: Path) -> None:
    facts = inspect(make_video(tmp_path / "v.mp4", fps=20, frames=50, audio=None))
    assert facts.duration_s == pytest.approx(2.5, abs=1 / 20)


@pytest.mark.parametrize(
    ("name", "container", "real"),
    [("clip.mov", "mp4", "mp4"), ("clip.mp4", "mov", "mov"), ("clip.avi", "matroska", "mkv")],
)
def test_container_comes_from_the_bytes_not_the_extension(
    tmp_path: Path, name: str, container: str, real: str
) -> None:
    path = make_video(tmp_path / name, container=container, audio=None, frames=3)
    assert inspect(path).format == real


@pytest.mark.parametrize(("name", "rotation"), [("r.mp4", 90), ("r.mov", 270), ("r.mp4", 180)])
def test_rotation(tmp_path: Path, name: str, rotation: int) -> None:
    facts = inspect(make_video(tmp_path / name, rotation=rotation, audio=None, frames=3))
    assert facts.rotation == rotation
    swapped = rotation % 180 == 90
    assert facts.display_size == ((48, 64) if swapped else (64, 48))


def test_unrotated_mp4_reports_zero(tmp_path: Path) -> None:
    assert inspect(make_video(tmp_path / "r.mp4", audio=None, frames=3)).rotation == 0


def test_variable_frame_rate(tmp_path: Path) -> None:
    path = tmp_path / "vfr.mp4"
    with av.open(str(path), "w") as output:
        stream = output.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        still = Image.new("RGB", (64, 48))
        pts = 0
        for index in range(20):
            frame = av.VideoFrame.from_image(still)  # type: ignore[no-untyped-call]
            frame.pts, frame.time_base = pts, Fraction(1, 30)
            output.mux(stream.encode(frame))
            pts += 1 if index % 2 else 3  # alternate 1/30 s and 1/10 s
        output.mux(stream.encode(None))
    facts = inspect(path)
    assert facts.variable_frame_rate is True
    assert facts.fps is not None


def test_mpeg_elementary_stream_is_a_video_though_pillow_names_it(tmp_path: Path) -> None:
    path = make_video(
        tmp_path / "clip.m1v", codec="mpeg1video", container="mpeg1video", audio=None, fps=25
    )
    with Image.open(path) as im:
        assert im.format == "MPEG"  # Pillow identifies it by its sequence header
    facts = inspect(path)
    assert (facts.kind, facts.format, facts.video_codec) == ("video", "mpegvideo", "mpeg1video")
    assert facts.fps == 25


def test_mpeg_ts_and_ps(tmp_path: Path) -> None:
    ts = inspect(make_video(tmp_path / "a.ts", container="mpegts", audio="libmp3lame"))
    ps = inspect(make_video(tmp_path / "a.mpg", codec="mpeg2video", container="mpeg", audio="mp2"))
    assert (ts.format, ts.video_codec, ts.audio_codec) == ("ts", "h264", "mp3")
    assert (ps.format, ps.video_codec, ps.audio_codec) == ("mpeg", "mpeg2video", "mp2")


# ---------------------------------------------------------------------------------------------
# unreadable files


def _reason(path: str | os.PathLike[str]) -> UnreadableMediaError:
    with pytest.raises(UnreadableMediaError) as caught:
        inspect(path)
    error = caught.value
    message = str(error)
    assert message
    assert "\n" not in message
    assert len(message) < 300
    assert error.path == os.fspath(path)
    return error


@pytest.mark.parametrize(
    ("like", "label"),
    [
        (b"\xff\xd8\xff\xe0", "JPEG"),
        (b"\x89PNG\r\n\x1a\n", "PNG"),
        (b"GIF89a", "GIF"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "WebP"),
        (b"II*\x00", "TIFF"),
    ],
)
@pytest.mark.filterwarnings("ignore:Corrupt EXIF data:UserWarning")  # Pillow, on garbage TIFF
def test_corrupt_image(tmp_path: Path, like: bytes, label: str) -> None:
    error = _reason(make_corrupt(tmp_path / "photo.jpg", like=like))
    assert error.reason == "corrupt"
    assert label in str(error)


@pytest.mark.parametrize("pillow_format", ["JPEG", "PNG", "WEBP"])
def test_image_cut_inside_its_header_is_corrupt(tmp_path: Path, pillow_format: str) -> None:
    path = make_image(tmp_path / "x", format=pillow_format)
    path.write_bytes(path.read_bytes()[:30])
    assert _reason(path).reason == "corrupt"


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.touch()
    error = _reason(path)
    assert error.reason == "empty"
    assert str(error) == "file is empty (0 bytes)"


@pytest.mark.parametrize(
    "content",
    [random.Random(7).randbytes(4096), b"hello, world\n" * 50, b"\x00" * 1000],
    ids=["random", "text", "zeros"],
)
def test_not_media(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(content)
    error = _reason(path)
    assert error.reason == "unrecognised"
    assert str(error) == "not an image or video Pillow or MediaInfo can read"


def test_missing(tmp_path: Path) -> None:
    assert _reason(tmp_path / "nope.jpg").reason == "missing"
    assert _reason(tmp_path / "nope" / "deeper.jpg").reason == "missing"


def test_path_through_a_file_is_missing(tmp_path: Path) -> None:
    parent = make_image(tmp_path / "a.png", format="PNG")
    assert _reason(parent / "child.png").reason == "missing"


def test_directory(tmp_path: Path) -> None:
    assert _reason(tmp_path).reason == "directory"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_named_pipe_is_not_opened(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)  # opening it for reading would block forever
    assert _reason(pipe).reason == "unrecognised"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file")
def test_permission_denied(tmp_path: Path) -> None:
    path = make_image(tmp_path / "secret.png", format="PNG")
    path.chmod(0)
    try:
        assert _reason(path).reason == "permission"
    finally:
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)


def test_permission_denied_when_opening(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same path as above, for test runs as root (which can read a mode-000 file)."""
    path = make_image(tmp_path / "secret.png", format="PNG")

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    # A string target would not resolve: the package mediarules exports a function "inspect".
    monkeypatch.setattr(sys.modules["mediarules.inspection"], "open", denied, raising=False)
    monkeypatch.setattr(images, "open", denied, raising=False)
    error = _reason(path)
    assert (error.reason, str(error)) == ("permission", "permission denied")


@pytest.mark.parametrize(
    ("name", "options", "keep", "label"),
    [
        ("v.mp4", {}, 0.5, "MP4"),
        ("v.mp4", {}, 0.1, "MP4"),
        ("v.mov", {}, 0.9, "MOV"),
        ("v.mkv", {}, 0.5, "MKV"),
        ("v.webm", {"codec": "libvpx", "audio": "libopus"}, 0.5, "WEBM"),
    ],
)
def test_truncated_video(
    tmp_path: Path, name: str, options: dict[str, Any], keep: float, label: str
) -> None:
    path = make_video(tmp_path / name, duration_s=2.0, **options)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    error = _reason(path)
    assert error.reason == "truncated"
    assert str(error) == f"truncated: the {label} file ends before its declared size"


def test_audio_only_file_is_not_a_video(tmp_path: Path) -> None:
    path = tmp_path / "voice.m4a"
    with av.open(str(path), "w", format="mp4") as output:
        stream = output.add_stream("aac", rate=48000)
        stream.layout = "mono"
        _write_silence(output, stream, seconds=0.5)
    error = _reason(path)
    assert error.reason == "unrecognised"
    assert str(error) == "audio only: the MPEG-4 file has no video track"


def test_image_pillow_cannot_read_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A format MediaInfo knows but this Pillow does not (say HEIC without pillow-heif)."""
    path = make_image(tmp_path / "x.heic", format="PNG")
    monkeypatch.setattr(images, "inspect_open_image", lambda *a, **k: None)
    error = _reason(path)
    assert error.reason == "unrecognised"
    assert str(error) == "Pillow cannot read this PNG image"


@given(
    prefix=st.sampled_from(
        [
            b"",
            b"\xff\xd8\xff",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            b"GIF89a",
            b"RIFF\x00\x00\x00\x00WEBPVP8X",
            b"BM",
            b"II*\x00",
            b"MM\x00*",
            b"\x00\x00\x00\x18ftypisom",
            b"\x00\x00\x00\x18ftypavif",
            b"\x1aE\xdf\xa3",
            b"\x00\x00\x01\xb3",
            b"\x00\x00\x01\xba",
            b"G",
            b"\x1c",
        ]
    ),
    tail=st.binary(min_size=0, max_size=200),
)
@settings(max_examples=150, deadline=None)
@pytest.mark.filterwarnings("ignore:Corrupt EXIF data:UserWarning")
def test_any_bytes_give_facts_or_unreadable(prefix: bytes, tail: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "blob"
        path.write_bytes(prefix + tail)
        outcome: object
        try:
            outcome = inspect(path).kind
        except UnreadableMediaError as error:
            outcome = error.reason
    assert outcome in {"image", "video", "empty", "unrecognised", "truncated", "corrupt"}


def test_no_file_handle_leaks(tmp_path: Path) -> None:
    fds = Path("/proc/self/fd")
    if not fds.exists():
        pytest.skip("needs /proc")
    paths = [
        make_image(tmp_path / "a.png", format="PNG"),
        make_image(tmp_path / "a.gif", format="GIF", frames=3),
        make_image(tmp_path / "a.webp", format="WEBP", frames=2),
        make_image(tmp_path / "a.mpo", format="MPO", frames=2),
        make_video(tmp_path / "a.mp4", audio=None, frames=3),
        make_corrupt(tmp_path / "bad.jpg"),
        tmp_path / "missing.png",
    ]
    for path in paths:  # once first: MediaInfo's worker process and its pipes start lazily
        with contextlib.suppress(UnreadableMediaError):
            inspect(path)
    before = len(list(fds.iterdir()))
    for _ in range(5):
        for path in paths:
            with contextlib.suppress(UnreadableMediaError):
                inspect(path)
    assert len(list(fds.iterdir())) == before


def test_threads_see_the_same_facts(tmp_path: Path) -> None:
    """No module-wide switches: concurrent inspections agree with sequential ones."""
    paths = [
        make_image(tmp_path / "a.jpg", orientation=6),
        make_image(tmp_path / "a.gif", format="GIF", frames=3),
        make_image(tmp_path / "a.webp", format="WEBP", mode="RGBA"),
        make_video(tmp_path / "a.mp4", audio=None, frames=3),
        make_video(tmp_path / "a.mkv", fps=Fraction(30000, 1001), frames=3),
    ] * 8
    expected = [inspect(path) for path in paths]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(inspect, paths)) == expected


# ---------------------------------------------------------------------------------------------
# the error type


def test_error_defaults_to_a_sentence_per_reason() -> None:
    error = UnreadableMediaError("missing", path="a.jpg")
    assert (str(error), error.reason, error.path) == ("no such file", "missing", "a.jpg")
    assert str(UnreadableMediaError("corrupt", "bad header")) == "bad header"


def test_error_survives_pickling() -> None:
    error = UnreadableMediaError("truncated", "cut short", path="v.mp4")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.reason, str(copy), copy.path) == ("truncated", "cut short", "v.mp4")


# ---------------------------------------------------------------------------------------------
# pure converters


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1003, 1003),
        ("26664", 26664),
        ("500.000000", 500),
        (" 42 ", 42),
        (2.6, 3),
        (None, None),
        ("", None),
        ("n/a", None),
        ("-5", None),
        (True, None),
        ("nan", None),
        ("1e999999999", None),
        ([1], None),
    ],
)
def test_parse_count(value: object, expected: int | None) -> None:
    assert cv.parse_count(value) == expected


@given(st.integers(min_value=0, max_value=10**12))
def test_parse_count_reads_ints_and_their_strings(number: int) -> None:
    for form in (number, str(number), f"{number}.000000", float(number)):
        assert cv.parse_count(form) == number


@given(st.text())
def test_converters_never_raise_on_text(text: str) -> None:
    cv.parse_count(text)
    cv.ms_to_seconds(text)
    cv.parse_rotation(text)
    cv.parse_frame_rate(text)
    cv.frame_rate_from_parts(text, text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1003, 1.003), ("1000.000000", 1.0), ("1113.277311", 1.113277311), (None, None), ("x", None)],
)
def test_ms_to_seconds(value: object, expected: float | None) -> None:
    assert cv.ms_to_seconds(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("90.000", 90),
        ("270.000", 270),
        ("-90.000", 270),
        ("0.000", 0),
        ("359.9", 0),
        (180, 180),
        (None, None),
        ("", None),
    ],
)
def test_parse_rotation(value: object, expected: int | None) -> None:
    assert cv.parse_rotation(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20.000", Fraction(20)),
        ("29.970", Fraction(30000, 1001)),
        ("23.976", Fraction(24000, 1001)),
        ("59.940", Fraction(60000, 1001)),
        ("119.880", Fraction(120000, 1001)),
        ("12.500", Fraction(25, 2)),
        ("29.97002997", Fraction(30000, 1001)),
        ("0.000", None),
        ("-25", None),
        (None, None),
        ("abc", None),
    ],
)
def test_parse_frame_rate(text: object, expected: Fraction | None) -> None:
    assert cv.parse_frame_rate(text) == expected


@given(st.integers(min_value=1, max_value=480))
def test_frame_rates_round_trip_through_mediainfo_text(n: int) -> None:
    """Whatever MediaInfo prints ("%.3f") for a whole, half or NTSC rate comes back exactly."""
    for rate in (Fraction(n), Fraction(n * 1000, 1001), Fraction(2 * n - 1, 2)):
        assert cv.parse_frame_rate(f"{float(rate):.3f}") == rate


def test_frame_rate_from_parts() -> None:
    assert cv.frame_rate_from_parts("30000", "1001") == Fraction(30000, 1001)
    assert cv.frame_rate_from_parts(25, 1) == 25
    assert cv.frame_rate_from_parts("30", "0") is None
    assert cv.frame_rate_from_parts(None, "1") is None


@pytest.mark.parametrize(
    ("pillow", "short"),
    [
        ("JPEG", "jpeg"),
        ("MPO", "jpeg"),
        ("PNG", "png"),
        ("GIF", "gif"),
        ("WEBP", "webp"),
        ("BMP", "bmp"),
        ("TIFF", "tiff"),
        ("HEIF", "heif"),
        ("HEIC", "heif"),
        ("AVIF", "avif"),
        ("JPEG2000", "jpeg2000"),
    ],
)
def test_image_format_name(pillow: str, short: str) -> None:
    assert cv.image_format_name(pillow) == short


@pytest.mark.parametrize(
    ("general", "short"),
    [
        (("MPEG-4", "isom", "Base Media"), "mp4"),
        (("MPEG-4", "qt  ", "QuickTime"), "mov"),
        (("MPEG-4", "qt  ", None), "mov"),
        (("MPEG-4", None, "QuickTime"), "mov"),
        (("MPEG-4", "mp42", None), "mp4"),
        (("WebM", None, None), "webm"),
        (("Matroska", None, None), "mkv"),
        (("AVI", None, None), "avi"),
        (("Ogg", None, None), "ogg"),
        (("MPEG-TS", None, None), "ts"),
        (("MPEG-PS", None, None), "mpeg"),
        (("Flash Video", None, None), "flv"),
        (("RealMedia", None, None), "realmedia"),
        ((None, None, None), None),
    ],
)
def test_container_name(general: tuple[object, object, object], short: str | None) -> None:
    assert cv.container_name(*general) == short


@pytest.mark.parametrize(
    ("fmt", "version", "short"),
    [
        ("AVC", None, "h264"),
        ("HEVC", None, "hevc"),
        ("VP8", None, "vp8"),
        ("VP9", None, "vp9"),
        ("AV1", None, "av1"),
        ("MPEG-4 Visual", None, "mpeg4"),
        ("ProRes", None, "prores"),
        ("MPEG Video", "Version 1", "mpeg1video"),
        ("MPEG Video", "Version 2", "mpeg2video"),
        ("Dirac", None, "dirac"),
        (None, None, None),
    ],
)
def test_video_codec_name(fmt: str | None, version: str | None, short: str | None) -> None:
    assert cv.video_codec_name(fmt, version) == short


@pytest.mark.parametrize(
    ("fmt", "profile", "short"),
    [
        ("AAC", None, "aac"),
        ("Opus", None, "opus"),
        ("Vorbis", None, "vorbis"),
        ("MPEG Audio", "Layer 3", "mp3"),
        ("MPEG Audio", "Layer 2", "mp2"),
        ("AC-3", None, "ac3"),
        ("E-AC-3", None, "eac3"),
        ("FLAC", None, "flac"),
        ("PCM", None, "pcm"),
        ("DTS", None, "dts"),
        (None, None, None),
    ],
)
def test_audio_codec_name(fmt: str | None, profile: str | None, short: str | None) -> None:
    assert cv.audio_codec_name(fmt, profile) == short


def test_video_facts_from_string_valued_tracks() -> None:
    """Matroska-style tracks: durations as strings, no framerate_num, no rotation."""
    found = Probe(
        general={"format": "Matroska", "duration": "2026.000000", "overall_bit_rate": "14160"},
        video=[
            {
                "format": "AVC",
                "width": "1080",
                "height": 1920,
                "frame_rate": "29.970",
                "frame_rate_mode": "CFR",
                "duration": "2000.000000",
            }
        ],
        audio=[{"format": "Opus"}],
    )
    facts = video_facts(found, path="v.mkv", size=123)
    assert facts.format == "mkv"
    assert facts.fps == Fraction(30000, 1001)
    assert facts.duration_s == pytest.approx(2.026)
    assert (facts.width, facts.height, facts.bit_rate) == (1080, 1920, 14160)
    assert (facts.video_codec, facts.audio_codec) == ("h264", "opus")
    assert facts.rotation is None
    assert facts.variable_frame_rate is False


def test_video_facts_falls_back_to_the_video_track_duration() -> None:
    found = Probe(general={"format": "MPEG-4"}, video=[{"format": "AVC", "duration": 1500}])
    facts = video_facts(found, path="v.mp4", size=1)
    assert facts.duration_s == 1.5
    assert facts.fps is None
    assert facts.variable_frame_rate is None


def test_video_facts_prefers_exact_frame_rate_parts() -> None:
    found = Probe(
        general={"format": "MPEG-4"},
        video=[
            {
                "format": "AVC",
                "frame_rate": "29.970",
                "framerate_num": "2997",
                "framerate_den": "100",
            }
        ],
    )
    assert video_facts(found, path="v.mp4", size=1).fps == Fraction(2997, 100)


class _CountingReader(io.BufferedReader):
    """A file whose reads add up in ``total``: proves what inspection does not read."""

    total = 0

    def read(self, size: int | None = -1, /) -> bytes:
        data = super().read(size)
        _CountingReader.total += len(data)
        return data


@pytest.mark.parametrize("frames", [1, 4])
def test_webp_is_read_from_chunk_headers_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, frames: int
) -> None:
    noise = Image.frombytes("RGB", (600, 600), os.urandom(600 * 600 * 3))
    path = tmp_path / "noise.webp"
    noise.save(path, format="WEBP", lossless=True, save_all=frames > 1,
               append_images=[noise.rotate(90 * i) for i in range(1, frames)])  # fmt: skip
    assert path.stat().st_size > 500_000

    def counting_open(name: str, mode: str = "r") -> _CountingReader:
        return _CountingReader(io.FileIO(name, mode))

    monkeypatch.setattr(images, "open", counting_open, raising=False)
    _CountingReader.total = 0
    facts = inspect(path)
    assert (facts.width, facts.height, facts.frames) == (600, 600, frames)
    assert _CountingReader.total < 1_000  # chunk headers, not the 500 KB of pixels


def test_webp_with_a_truncated_chunk_is_corrupt(tmp_path: Path) -> None:
    path = make_image(tmp_path / "a.webp", format="WEBP", size=(300, 200))
    path.write_bytes(path.read_bytes()[:-10])
    error = _reason(path)
    assert error.reason == "corrupt" and "cut short" in str(error)
