"""Robustness: whatever a user or an attacker hands mediarules, a ``Report`` comes back.

Everything goes through the public API (``mediarules.check``, ``check_payload``) or the command
line (``mediarules.cli.main``): arbitrary and truncated bytes under any name, odd paths (FIFOs,
symlink loops, denied permissions, undecodable names), decompression bombs, multi-megabyte
captions, many threads at once, broken rules files, and inputs in any order. What
``tests/test_inspect.py`` already proves of ``inspect`` alone is not repeated here.
"""

from __future__ import annotations

import builtins
import collections
import json
import os
import random
import resource
import struct
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import warnings
import zlib
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile

import mediarules
from mediarules import MediaRef, Report, RuleConfigError
from mediarules.cli import main
from mediarules.inputs.payload import PayloadError
from tests.deadline import within
from tests.fuzz_media import (
    MEDIAINFO_HANG,
    PLATFORMS,
    REASONS,
    SUFFIXES,
    UNREADABLE_CODES,
    check_report,
)
from tests.media import make_corrupt, make_image, make_video

pytestmark = [
    # Pillow's own complaints about garbage (corrupt EXIF, short TIFF reads) are not failures;
    # a decompression-bomb warning is: inspection never decodes, so it must never trigger one.
    pytest.mark.filterwarnings("ignore::UserWarning:PIL"),
    pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning"),
]


def _outcome(report: Report) -> str:
    """``image`` / ``video`` when the one file was read, else the reason it was not."""
    unreadable = [v for v in report.violations if v.code in UNREADABLE_CODES]
    if unreadable:
        return str(unreadable[0].actual)
    return str(report.media[0].kind)


def _unreadable(report: Report, index: int = 0) -> tuple[str, str]:
    """(code, reason) of the unreadable violation of media ``index``; fails if there is none."""
    found = [v for v in report.violations if v.code in UNREADABLE_CODES and v.media_index == index]
    assert len(found) == 1, [v.code for v in report.violations]
    assert found[0].platform == mediarules.ALL_PLATFORMS
    return found[0].code, str(found[0].actual)


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One real file per format, made once for the module."""
    folder = tmp_path_factory.mktemp("real")
    return {
        "jpg": make_image(folder / "photo.jpg", orientation=6),
        "png": make_image(folder / "alpha.png", format="PNG", mode="RGBA"),
        "gif": make_image(folder / "anim.gif", format="GIF", frames=3),
        "webp": make_image(folder / "anim.webp", format="WEBP", frames=2),
        "bmp": make_image(folder / "pic.bmp", format="BMP"),
        "tiff": make_image(folder / "pic.tiff", format="TIFF"),
        "mp4": make_video(folder / "clip.mp4", frames=6),
        "mov": make_video(folder / "clip.mov", frames=6),
        "mkv": make_video(folder / "clip.mkv", frames=6, audio="flac"),
        "webm": make_video(folder / "clip.webm", frames=6, codec="libvpx", audio="libopus"),
    }


# ---------------------------------------------------------------------------------------------
# arbitrary bytes

MAGIC = [
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    b"\xff\xd8\xff\xe1\x00\x40Exif\x00\x00MM\x00*",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a\xff\xff\xff\xff",
    b"RIFF\xff\xff\xff\xffWEBPVP8 ",
    b"RIFF\x20\x00\x00\x00WEBPVP8L",
    b"RIFF\x00\x01\x00\x00WEBPVP8X\x0a\x00\x00\x00",
    b"RIFF\x00\x01\x00\x00AVI LIST",
    b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00",
    b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00",
    b"\x00\x00\x00\x1cftypheic",
    b"\x00\x00\x00\x1cftypavif",
    b"\x00\x00\x00\x10moov\x00\x00\x00\x08mvhd",
    b"\x1aE\xdf\xa3\x9fB\x86\x81\x01B\xf7\x81\x01",
    b"\x1aE\xdf\xa3\x01\x00\x00\x00\x00\x00\x00\x1fB\x82\x84webm",
    b"BM\xff\xff\xff\xff\x00\x00\x00\x00\x36\x00\x00\x00",
    b"II*\x00\x08\x00\x00\x00",
    b"MM\x00*\x00\x00\x00\x08",
    b"\x00\x00\x01\xb3",
    b"\x00\x00\x01\xba",
    b"OggS\x00\x02",
    b"FLV\x01\x05",
]


def _check_bytes(data: bytes, suffix: str) -> Report:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        report = mediarules.check([path], platforms=PLATFORMS)
        check_report(report, path=str(path), size=len(data))
    assert _outcome(report) in {"image", "video"} | REASONS
    return report


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=4096), suffix=st.sampled_from(SUFFIXES))
def test_arbitrary_bytes_under_any_name_give_a_report(data: bytes, suffix: str) -> None:
    report = _check_bytes(data, suffix)
    if not data:
        assert _unreadable(report) == ("media.empty", "empty")


@settings(max_examples=150, deadline=None)
@given(
    magic=st.sampled_from(MAGIC),
    tail=st.binary(max_size=2048),
    suffix=st.sampled_from(SUFFIXES),
)
def test_a_known_magic_number_then_random_bytes_give_a_report(
    magic: bytes, tail: bytes, suffix: str
) -> None:
    _check_bytes(magic + tail, suffix)


@pytest.mark.parametrize(
    "name", ["jpg", "png", "gif", "webp", "bmp", "tiff", "mp4", "mov", "mkv", "webm"]
)
def test_a_real_file_cut_anywhere_gives_a_report(
    real: dict[str, Path], tmp_path: Path, name: str
) -> None:
    """Every cut in the first 64 bytes, then 64 more spread over the file: an image is either
    unreadable or keeps its header's facts; a video is never read as a video."""
    data = real[name].read_bytes()
    whole = mediarules.inspect(real[name])
    cuts = sorted({*range(min(64, len(data))), *range(0, len(data), max(1, len(data) // 64))})
    path = tmp_path / f"cut.{name}"
    outcomes: collections.Counter[str] = collections.Counter()
    for cut in cuts:
        path.write_bytes(data[:cut])
        report = mediarules.check([path], platforms=PLATFORMS)
        check_report(report, path=str(path), size=cut)
        outcome = _outcome(report)
        outcomes[outcome] += 1
        if outcome == "image":
            facts = report.media[0]
            assert (facts.format, facts.width, facts.height) == (
                whole.format,
                whole.width,
                whole.height,
            ), cut
        else:
            assert outcome in REASONS, (cut, outcome)
    assert outcomes["video"] == 0, outcomes
    assert outcomes["empty"] == 1


def test_truncated_files_together_are_one_post(real: dict[str, Path], tmp_path: Path) -> None:
    paths = []
    for name, path in real.items():
        data = path.read_bytes()
        cut = tmp_path / f"half.{name}"
        cut.write_bytes(data[: len(data) // 2])
        paths.append(cut)
    good = real["jpg"]
    report = mediarules.check([*paths, good], platforms=PLATFORMS, caption="cut")
    assert [facts.path for facts in report.media] == [str(p) for p in [*paths, good]]
    assert report.media[-1].kind == "image"  # the readable file is still checked
    for index in range(len(paths)):
        if report.media[index].kind is None:
            assert _unreadable(report, index)[1] in REASONS


# ---------------------------------------------------------------------------------------------
# odd paths


def _zero_bytes(folder: Path) -> Path:
    path = folder / "empty.mp4"
    path.touch()
    return path


def _symlink_loop(folder: Path) -> Path:
    a, b = folder / "a.jpg", folder / "b.jpg"
    os.symlink(a, b)
    os.symlink(b, a)
    return a


def _dangling_symlink(folder: Path) -> Path:
    link = folder / "gone.png"
    os.symlink(folder / "deleted.png", link)
    return link


def _fifo(folder: Path) -> Path:
    path = folder / "pipe.mp4"
    os.mkfifo(path)  # opening it for reading would block until a writer comes
    return path


def _name_too_long(folder: Path) -> Path:
    return folder / ("x" * 300 + ".jpg")


def _nul_in_name(folder: Path) -> Path:
    return folder / "photo\x00.jpg"  # no file system allows it; os.stat raises ValueError


@pytest.mark.parametrize(
    ("make", "code", "reason"),
    [
        (_zero_bytes, "media.empty", "empty"),
        (lambda folder: folder, "media.unreadable", "directory"),
        (_symlink_loop, "media.unreadable", "missing"),
        (_dangling_symlink, "media.unreadable", "missing"),
        pytest.param(
            _fifo, "media.unreadable", "unrecognised",
            marks=pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes"),
        ),
        (_name_too_long, "media.unreadable", "missing"),
        (_nul_in_name, "media.unreadable", "missing"),
    ],
    ids=["zero-bytes", "directory", "symlink-loop", "dangling-symlink", "fifo", "name-too-long",
         "nul-in-name"],
)  # fmt: skip
def test_a_path_that_is_not_a_media_file_is_a_violation(
    real: dict[str, Path],
    tmp_path: Path,
    make: Callable[[Path], Path],
    code: str,
    reason: str,
) -> None:
    odd = make(tmp_path)
    report = within(
        5, lambda: mediarules.check([real["jpg"], odd, real["mp4"]], platforms=PLATFORMS)
    )
    assert _unreadable(report, 1) == (code, reason)
    assert report.media[1].path == os.fspath(odd)
    assert not report.ok
    assert [report.media[0].kind, report.media[2].kind] == ["image", "video"]  # others checked
    message = next(v.message for v in report.violations if v.code == code)
    assert "\n" not in message and len(message) < 300


@pytest.mark.parametrize(
    ("real_name", "name", "mismatch"),
    [
        ("png", "photo.jpg", True),
        ("mp4", "clip.gif", True),
        ("jpg", "notes.txt", False),
        ("mkv", "noext", False),
    ],
)
def test_a_wrong_extension_is_read_by_its_bytes(
    real: dict[str, Path], tmp_path: Path, real_name: str, name: str, mismatch: bool
) -> None:
    path = tmp_path / name
    path.write_bytes(real[real_name].read_bytes())
    report = mediarules.check([path], platforms=PLATFORMS)
    assert report.media[0].format == mediarules.inspect(real[real_name]).format
    assert not [v for v in report.violations if v.code in UNREADABLE_CODES]
    named = [v.platform for v in report.violations if v.code == "media.format_mismatch"]
    assert named == ([mediarules.ALL_PLATFORMS] if mismatch else [])


@pytest.fixture
def denied(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[[str, Path], None]:
    """Make ``os.stat`` or ``open`` of one path raise PermissionError, as for a user without
    the right (root, who runs CI, reads any file: chmod cannot show it)."""

    def deny(call: str, target: Path) -> None:
        original = os.stat if call == "stat" else builtins.open

        def refuse(path: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(path, str | os.PathLike) and os.fspath(path) == str(target):
                raise PermissionError(13, "Permission denied", str(target))
            return original(path, *args, **kwargs)

        monkeypatch.setattr(os if call == "stat" else builtins, call, refuse)

    return deny


@pytest.mark.parametrize("call", ["stat", "open"])
def test_permission_denied_is_a_violation(
    real: dict[str, Path], tmp_path: Path, denied: Callable[[str, Path], None], call: str
) -> None:
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(real["jpg"].read_bytes())
    denied(call, secret)
    report = mediarules.check([secret, real["png"]], platforms=PLATFORMS)
    assert _unreadable(report) == ("media.unreadable", "permission")
    assert report.media[1].kind == "image"


def test_cli_reports_a_file_it_may_not_stat(
    capsys: pytest.CaptureFixture[str],
    real: dict[str, Path],
    tmp_path: Path,
    denied: Callable[[str, Path], None],
) -> None:
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(real["jpg"].read_bytes())
    denied("stat", secret)
    code = main(["check", str(secret), "-p", "x", "--format", "json"])
    assert code == 1
    assert "permission" in capsys.readouterr().out


def test_a_fifo_on_the_command_line_does_not_hang(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("needs named pipes")
    pipe = _fifo(tmp_path)
    code = within(5, lambda: main(["check", str(pipe), "-p", "x", "--format", "json"]))
    assert code == 1
    violation = json.loads(capsys.readouterr().out)["violations"][0]
    assert (violation["code"], violation["actual"]) == ("media.unreadable", "unrecognised")


@pytest.mark.parametrize("make", [_symlink_loop, _dangling_symlink, lambda folder: folder],
                         ids=["symlink-loop", "dangling-symlink", "directory"])  # fmt: skip
def test_cli_refuses_a_path_that_is_no_file_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, make: Callable[[Path], Path]
) -> None:
    code = main(["check", str(make(tmp_path)), "-p", "x"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("mediarules: error: ")


NON_UTF8 = os.fsdecode(b"caf\xe9 \xff.jpg")  # Latin-1 bytes: surrogate escapes in Python


@pytest.mark.parametrize(
    "name",
    [
        NON_UTF8,
        "my photo 📸 — café (1).jpg",
        "tab\tand\nnewline.jpg",
        "[bold]x [link=mailto:a]y.jpg",
    ],
)
def test_any_file_name_is_checked(real: dict[str, Path], tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(real["jpg"].read_bytes())
    report = mediarules.check([path], platforms=PLATFORMS)
    assert report.media[0].path == str(path)
    assert report.media[0].kind == "image"
    assert all("\n" not in v.message for v in report.violations)
    json.dumps(report.model_dump(mode="json"))  # a str with escapes, as json.dumps needs


@pytest.mark.parametrize("name", ["my photo 📸 — café (1).jpg", "[bold red]x [link=https:]y.jpg"])
@pytest.mark.parametrize("output", ["text", "json"])
def test_cli_prints_unicode_and_markup_names_as_they_are(
    capsys: pytest.CaptureFixture[str],
    real: dict[str, Path],
    tmp_path: Path,
    name: str,
    output: str,
) -> None:
    path = tmp_path / name
    path.write_bytes(real["jpg"].read_bytes())
    main(["check", str(path), "-p", "x", "--format", output])
    out = capsys.readouterr().out
    assert name in out if output == "text" else json.loads(out)["media"][0]["path"] == str(path)


@pytest.mark.parametrize("output", ["text", "json"])
def test_cli_prints_a_report_for_a_non_utf8_file_name(
    capsys: pytest.CaptureFixture[str], real: dict[str, Path], tmp_path: Path, output: str
) -> None:
    path = tmp_path / NON_UTF8
    path.write_bytes(real["jpg"].read_bytes())
    assert main(["check", str(path), "-p", "x", "--format", output]) == 0
    out = capsys.readouterr().out
    if output == "json":  # the same string back, so os.fsencode gives the file's real name
        assert json.loads(out)["media"][0]["path"] == str(path)
    else:  # the undecodable bytes shown as escapes, like ls -b
        assert "caf\\xe9 \\xff.jpg" in out


def test_an_error_naming_a_non_utf8_file_is_one_printable_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["check", str(tmp_path / NON_UTF8), "-p", "x"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such file" in err and "caf\\xe9" in err


# ---------------------------------------------------------------------------------------------
# decompression bombs


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_bomb(path: Path) -> Path:
    """30000 x 30000 RGB (2.7 GB of pixels) whose IDAT really inflates to 64 MB of zeros."""
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(bytes(1 << 20)) for _ in range(64)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", 30_000, 30_000, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )
    return path


def _gif_bomb(path: Path) -> Path:
    """A 65535 x 65535 logical screen holding one 1 x 1 frame."""
    screen = b"GIF89a" + struct.pack("<HHBBB", 65535, 65535, 0, 0, 0)
    frame = b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    path.write_bytes(screen + frame + b"\x3b")
    return path


def _jpeg_bomb(path: Path) -> Path:
    """A real JPEG whose SOF0 now claims 65500 x 65500."""
    data = bytearray(make_image(path, size=(16, 16)).read_bytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 65500, 65500)
    path.write_bytes(data)
    return path


def _webp_bomb(path: Path) -> Path:
    """A VP8X canvas of 16384 x 16384 and a lossless picture whose header says as much (the
    picture must be there: a VP8X chunk alone is no image)."""
    size = (16383).to_bytes(3, "little")
    vp8x = b"VP8X" + (10).to_bytes(4, "little") + bytes(4) + size + size
    bits = (16383 | 16383 << 14).to_bytes(4, "little")
    vp8l = b"VP8L" + (6).to_bytes(4, "little") + b"\x2f" + bits + b"\0"
    body = b"WEBP" + vp8x + vp8l
    path.write_bytes(b"RIFF" + len(body).to_bytes(4, "little") + body)
    return path


@pytest.mark.parametrize(
    ("make", "name", "pixels"),
    [
        (_png_bomb, "bomb.png", 30_000 * 30_000),
        (_gif_bomb, "bomb.gif", 65535 * 65535),
        (_jpeg_bomb, "bomb.jpg", 65500 * 65500),
        (_webp_bomb, "bomb.webp", 16384 * 16384),
    ],
)
def test_a_decompression_bomb_is_measured_not_opened(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make: Callable[[Path], Path],
    name: str,
    pixels: int,
) -> None:
    path = make(tmp_path / name)
    assert path.stat().st_size < 100_000
    limit = Image.MAX_IMAGE_PIXELS

    def refuse(self: Image.Image, *args: object, **kwargs: object) -> None:
        raise AssertionError("pixels decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    monkeypatch.setattr(Image.Image, "load", refuse)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    tracemalloc.start()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            report = mediarules.check([path], platforms=PLATFORMS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    rss_growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024

    assert peak < 50 * 2**20, f"traced peak {peak / 2**20:.1f} MB"
    assert rss_growth_mb < 100, f"resident set grew {rss_growth_mb:.0f} MB"
    assert limit == Image.MAX_IMAGE_PIXELS
    assert not [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]
    facts = report.media[0]
    assert facts.kind == "image" and facts.width is not None and facts.height is not None
    assert facts.width * facts.height == pixels
    linkedin = [v for v in report.for_platform("linkedin") if v.code == "image.too_many_pixels"]
    assert len(linkedin) == 1
    assert linkedin[0].actual == pixels
    assert linkedin[0].limit == mediarules.default_rules().platforms["linkedin"].image.max_pixels
    assert linkedin[0].limit is not None and linkedin[0].limit < 36_152_320


# ---------------------------------------------------------------------------------------------
# a file MediaInfo never finishes


def test_a_file_mediainfo_never_finishes_is_given_up_on(tmp_path: Path) -> None:
    """libmediainfo 24.12 spins forever on 16 bytes: a ``moov`` box claiming 2**64 - 1 bytes
    (found by tests/fuzz_media.py). Inspection's MediaInfo child is killed at its time limit
    and the file reported (tests/test_mediainfo_pool.py checks that nothing keeps running).
    """
    hang = tmp_path / "hang.mp4"
    hang.write_bytes(MEDIAINFO_HANG)
    good = make_video(tmp_path / "good.mp4", frames=3)
    script = (
        "import json, sys, time, mediarules\n"
        "from mediarules.inspection import video\n"
        "video.PROBE_TIMEOUT_S = 1.0\n"
        "began = time.perf_counter()\n"
        "report = mediarules.check(sys.argv[1:], platforms=['x', 'tiktok'])\n"
        "took = time.perf_counter() - began\n"
        "print(json.dumps({'took': took, 'report': report.model_dump(mode='json')}))\n"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", script, str(hang), str(good)],
        capture_output=True, text=True, timeout=60, cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    report = Report.model_validate(result["report"])
    assert result["took"] < 10
    assert _unreadable(report) == ("media.unreadable", "corrupt")
    assert "did not finish" in next(v.message for v in report.violations)
    assert report.media[1].kind == "video"  # the next file is still read


# ---------------------------------------------------------------------------------------------
# big captions

_WORDS = ["launch", "day", "we", "shipped", "the", "new", "build", "café", "naïve", "日本語",
          "テスト", "Привет", "مرحبا"]  # fmt: skip
_EXTRAS = ["🚀", "👩‍👩‍👧‍👦", "🇫🇷", "👍🏽", "e\u0301", "...", "etc.", "v1.2.3", "#launch", "@friend",
           "@alice@mastodon.social", "https://example.com/path?q=1", "example.org",
           "www.example.net/a.b", "a.b.c", "\n\n"]  # fmt: skip


def mixed_caption(size: int, *, seed: int) -> str:
    """``size`` characters of words with, one token in five, emoji, URLs, dots and mentions."""
    rnd = random.Random(seed)
    tokens: list[str] = []
    length = 0
    while length < size:
        token = rnd.choice(_EXTRAS) if rnd.random() < 0.2 else rnd.choice(_WORDS)
        tokens.append(token)
        length += len(token) + 1
    return " ".join(tokens)[:size]


@pytest.fixture(scope="module")
def big_caption_run() -> tuple[Report, float]:
    """A 3 MB caption (fresh: no cached scan) checked for all ten platforms, and the time."""
    caption = mixed_caption(3_000_000, seed=random.randrange(2**32))
    mediarules.check([], platforms=PLATFORMS)  # rules loaded before the clock starts
    began = time.perf_counter()
    report = mediarules.check([], platforms=PLATFORMS, caption=caption, title=caption[:5000])
    return report, time.perf_counter() - began


def test_a_multi_megabyte_caption_is_checked(big_caption_run: tuple[Report, float]) -> None:
    """A generous bound that catches super-linear blow-ups; ~0.8 s measured on 2 cores."""
    report, took = big_caption_run
    assert took < 20, f"{took:.1f} s"
    too_long = {v.platform for v in report.violations if v.code == "caption.too_long"}
    assert too_long == set(PLATFORMS)


_ANY_TEXT = st.lists(
    st.characters(exclude_categories=())  # controls, format characters, unassigned, private use
    | st.characters(categories=["Cs"])  # lone surrogates
    | st.sampled_from(["\u200d", "\ufe0f", "\U0001f1eb", "\U0001f469", "#", "@", ".", "http://"]),
    max_size=300,
).map("".join)


@settings(max_examples=100, deadline=None)
@given(text=_ANY_TEXT)
def test_any_text_in_any_field_gives_a_report(text: str) -> None:
    """Lone surrogates, NULs, bidi controls, joiners: as caption, title and content warning."""
    report = mediarules.check(
        [], platforms=PLATFORMS, caption=text, title=text, content_warning=text
    )
    json.dumps(report.model_dump(mode="json"))
    assert report.ok == (not report.errors)


def test_a_caption_of_flags_is_checked_in_linear_time() -> None:
    """Ten times the flags cost about ten times as long (``regex``'s \\X was quadratic on
    runs of regional indicators: a hundred times); a ratio, since these machines are noisy."""

    def took(count: int) -> tuple[float, Report]:
        best, report = float("inf"), None
        for _ in range(3):
            began = time.perf_counter()
            report = mediarules.check([], platforms="bluesky", caption="🇫🇷" * count)
            best = min(best, time.perf_counter() - began)
        assert report is not None
        return best, report

    small, _ = took(1_500)
    large, report = took(15_000)
    messages = [v.message for v in report.violations if v.code == "caption.too_long"]
    assert any("15,000 characters (graphemes)" in message for message in messages), messages
    assert any("120,000 bytes" in message for message in messages), messages
    assert large < 40 * max(small, 1e-3), f"{large:.3f} s vs {small:.3f} s for a tenth"


# ---------------------------------------------------------------------------------------------
# threads


def _posts(real: dict[str, Path], folder: Path, count: int) -> list[dict[str, Any]]:
    """``count`` posts mixing real files, metadata records, facts and broken files."""
    broken = make_corrupt(folder / "broken.jpg")
    empty = folder / "empty.png"
    empty.touch()
    pool: list[mediarules.MediaInput] = [
        *real.values(),
        broken,
        empty,
        folder / "missing.mov",
        MediaRef(file_name="clip.mp4", type="video", frame_rate=Fraction(20), width=1080,
                 height=1920, duration=12.5, codec_name="avc1", size=3_000_000),
        MediaRef(file_name="big.jpg", content_type="image/jpeg", width=9000, height=9000),
        MediaRef(path=real["webp"], alt_text="a WebP"),
        mediarules.MediaFacts(path="declared.gif", kind="image", format="gif", width=600,
                              height=400, frames=300, size=20_000_000),
    ]  # fmt: skip
    rnd = random.Random(4)
    posts = []
    for _ in range(count):
        posts.append(
            {
                "media": rnd.sample(pool, rnd.randint(0, 5)),
                "platforms": rnd.sample(PLATFORMS, rnd.randint(1, 4)),
                "caption": rnd.choice([None, "hi #x", mixed_caption(3000, seed=rnd.randrange(99))]),
            }
        )
    return posts


def test_threads_get_the_serial_results(real: dict[str, Path], tmp_path: Path) -> None:
    posts = _posts(real, tmp_path, 20)
    expected = [mediarules.check(**post).model_dump() for post in posts]
    start = threading.Barrier(8)
    results: dict[int, list[dict[str, Any]]] = {}

    def worker(number: int) -> None:
        start.wait()
        order = list(range(len(posts)))
        random.Random(number).shuffle(order)
        got = {i: mediarules.check(**posts[i]).model_dump() for i in order}
        results[number] = [got[i] for i in range(len(posts))]

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) == list(range(8))
    for number in range(8):
        assert results[number] == expected, f"thread {number}"


# ---------------------------------------------------------------------------------------------
# order and repetition


@pytest.fixture(scope="module")
def one_post(real: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("post")
    return [
        real["jpg"],
        real["png"],
        real["gif"],
        real["webp"],
        real["mp4"],
        make_corrupt(folder / "broken.jpg"),
        make_image(folder / "png-named.jpg", format="PNG"),
        folder / "missing.mp4",
    ]


def _multiset(report: Report) -> collections.Counter[tuple[str, str, str | None]]:
    return collections.Counter((v.platform, v.code, v.path) for v in report.violations)


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_the_order_of_the_media_does_not_change_the_verdict(
    one_post: list[Path], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(one_post))
    expected = mediarules.check(one_post, platforms=PLATFORMS, caption="hi")
    report = mediarules.check(shuffled, platforms=PLATFORMS, caption="hi")
    assert _multiset(report) == _multiset(expected)
    assert report.ok == expected.ok
    by_path = {facts.path: facts for facts in expected.media}
    assert report.media == [by_path[str(path)] for path in shuffled]


def test_checking_twice_gives_the_same_report(one_post: list[Path]) -> None:
    first = mediarules.check(one_post, platforms=PLATFORMS, caption="twice")
    assert mediarules.check(one_post, platforms=PLATFORMS, caption="twice") == first


def test_a_file_given_twice_is_two_items(real: dict[str, Path]) -> None:
    """Per-file violations come once per copy; the copies' facts are equal."""
    once = mediarules.check([real["webp"]], platforms=["linkedin", "bluesky"])
    twice = mediarules.check([real["webp"]] * 2, platforms=["linkedin", "bluesky"])
    assert twice.media == once.media * 2
    per_file = [(v.platform, v.code) for v in once.violations if v.media_index == 0]
    for index in (0, 1):
        assert [(v.platform, v.code) for v in twice.violations if v.media_index == index] == (
            per_file
        )


# ---------------------------------------------------------------------------------------------
# hostile metadata


@pytest.mark.parametrize("rate", ["1e3000000", "1e999999999", "-1e-999999999", "1E+40"])
def test_a_declared_frame_rate_with_a_huge_exponent_is_refused_quickly(
    tmp_path: Path, rate: str
) -> None:
    body = {
        "content": "hi",
        "platforms": ["tiktok-1"],
        "media": [
            {"fileName": "a.mp4", "contentType": "video/mp4", "type": "video",
             "metadata": {"frameRate": rate}},
        ],
    }  # fmt: skip
    path = tmp_path / "post.json"
    path.write_text(json.dumps(body))
    began = time.perf_counter()
    with pytest.raises(PayloadError, match="frame rate"):
        mediarules.check_payload(path)
    assert time.perf_counter() - began < 0.25


def test_a_declared_duration_near_zero_does_not_break_the_size_fix() -> None:
    """A video over the size limit whose declared duration is the smallest float: the bit
    rate budget would be infinite (it crashed with OverflowError)."""
    facts = mediarules.MediaFacts(kind="video", format="mp4", size=10**10, duration_s=5e-324,
                       width=1080, height=1920, video_codec="h264")  # fmt: skip
    report = mediarules.check([facts], platforms=PLATFORMS)
    too_large = [v for v in report.violations if v.code == "media.too_large"]
    assert too_large and all(v.fix is not None for v in too_large)


# ---------------------------------------------------------------------------------------------
# rules files


def _write(folder: Path, content: bytes, name: str = "mine.toml") -> Path:
    path = folder / name
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("content", "names"),
    [
        (random.Random(1).randbytes(2000), "cannot read rules file"),
        ("[platforms.x]\nname = 'caf\xe9'\n".encode("latin-1"), "cannot read rules file"),
        (b"\xef\xbb\xbf[platforms.x.post]\nmax_images = 3\n", "invalid TOML"),
        (b"platforms = 1\n", "key 'platforms'"),
        (b"[platforms]\nx = 1\n", "platform 'x'"),
        (b"[platforms.x]\npost = 5\n", "platform 'x', key 'post'"),
        (b"[platforms.instagram]\nvariants = 5\n", "platform 'instagram', key 'variants'"),
        (b'[platforms.instagram.variants.reel.video]\nmax_fps = "sixty"\n',
         "platform 'instagram:reel', key 'video.max_fps'"),
        (b"[platforms.instagram.variants.reel]\nvideo = [1, 2]\n",
         "platform 'instagram:reel', key 'video'"),
        (b'[platforms.x.caption]\ncounting = "bytes"\n', "platform 'x', key 'caption.counting'"),
    ],
    ids=["binary", "latin-1", "bom", "platforms-number", "platform-number", "section-number",
         "variants-number", "deep-variant-type", "variant-section-list", "enum"],
)  # fmt: skip
def test_a_bad_rules_file_names_file_and_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes, names: str
) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(RuleConfigError) as caught:
        mediarules.check([], platforms="x", rules=path)
    message = str(caught.value)
    assert message.startswith(str(path)) and names in message
    code = main(["check", "-p", "x", "--caption", "hi", "--rules", str(path)])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and str(path) in err and "Traceback" not in err


def test_a_rules_file_that_is_a_directory(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with pytest.raises(RuleConfigError, match="is a directory"):
        mediarules.check([], platforms="x", rules=tmp_path)
    assert main(["rules", "x", "--rules", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_an_infinite_frame_rate_in_a_rules_file_names_the_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _write(tmp_path, b"[platforms.x.video]\nmax_fps = inf\n")
    assert main(["check", "-p", "x", "--caption", "hi", "--rules", str(path)]) == 2
    assert "video.max_fps" in capsys.readouterr().err


def test_a_deeply_nested_rules_file_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _write(tmp_path, b"a = " + b"[" * 5000 + b"]" * 5000 + b"\n")
    assert main(["check", "-p", "x", "--caption", "hi", "--rules", str(path)]) == 2
    assert str(path) in capsys.readouterr().err


def test_a_bad_unset_in_a_variant_names_the_file(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        b'[platforms.instagram.variants.reel]\nsource = "s"\n'
        b"[platforms.instagram.variants.reel.video]\nunset = 5\n",
    )
    with pytest.raises(RuleConfigError) as caught:
        mediarules.check([], platforms="x", rules=path)
    assert str(caught.value).startswith(str(path))


def test_every_problem_in_a_bad_rules_file_is_blamed_on_it(tmp_path: Path) -> None:
    path = _write(tmp_path, b"[platforms.x.post]\nmax_images = -1\n")
    with pytest.raises(RuleConfigError) as caught:
        mediarules.check([], platforms="x", rules=path)
    lines = str(caught.value).splitlines()
    assert lines == [f"{path}: platform 'x', key 'post.max_images': "
                     "Input should be greater than or equal to 0 (got -1)"]  # fmt: skip


def test_a_bad_value_in_a_variant_is_blamed_on_the_variant(tmp_path: Path) -> None:
    path = _write(tmp_path, b"[platforms.x.variants.premium.caption]\nmax_length = -5\n")
    with pytest.raises(RuleConfigError) as caught:
        mediarules.check([], platforms="x", rules=path)
    assert str(caught.value).startswith(f"{path}: platform 'x:premium', key 'caption.max_length'")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b"[platforms.x.video]\nmin_fps = 0", "'video.min_fps': a frame rate limit is positive"),
        (b"[platforms.x.video]\nmax_fps = -30", "'video.max_fps': a frame rate limit is positive"),
        (b"[platforms.x.video]\nmax_fps = '1e999999999'", "'video.max_fps': not a frame rate"),
        (b"[platforms.x.image]\nmin_aspect_ratio = '0:1'", "an aspect ratio is positive"),
        (b"[platforms.x.image]\nmin_aspect_ratio = -1.5", "an aspect ratio is positive"),
        (b"[platforms.x.image]\nmax_aspect_ratio = '1e999999999:1'", "not an aspect ratio"),
        (b"[platforms.x.image]\nmax_aspect_ratio = inf", "not an aspect ratio"),
    ],
)
def test_nonsense_rates_and_ratios_are_refused_quickly(
    tmp_path: Path, line: bytes, message: str
) -> None:
    path = _write(tmp_path, line + b"\n")
    began = time.perf_counter()
    with pytest.raises(RuleConfigError, match=message):
        mediarules.check([], platforms="x", rules=path)
    assert time.perf_counter() - began < 1
