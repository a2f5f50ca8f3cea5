"""How fast is ``mediarules.inspect``, as ratios against baselines timed in the same run.

    python benchmarks/bench_inspect.py [--quick] [--rounds N]

Images (JPEG, PNG, WebP, animated GIF; 64x48 and 4000x3000): ``inspect`` against a full decode
(``Image.open(p).load()``: the ratio shows header-only reading), against Pillow's lazy
``Image.open`` alone (the adapter's overhead: plugin loop, EXIF, frame count, record) and
against reading the whole file (``inspect`` should not grow with the file for JPEG and PNG:
compare small with large).

Video (MP4 and MOV with H.264/AAC, a faststart MP4, WebM with VP9/Opus; 5 s of 640x360):
``inspect`` against ``MediaInfo.parse`` alone (the adapter's overhead), against PyAV opening the
file and reading its stream info (another header-only prober), against the raw-read floor (open
and read 64 KiB: MP4 and MOV go to the header-only ISO-BMFF reader, which should stay within
~20x of it) and, when ``ffprobe`` is on PATH, against ``ffprobe -show_streams`` in a subprocess.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import av  # noqa: E402
import PIL  # noqa: E402
import pymediainfo  # noqa: E402
from PIL import Image  # noqa: E402
from pymediainfo import MediaInfo  # noqa: E402

import mediarules  # noqa: E402
from benchmarks._harness import (  # noqa: E402
    Case,
    GroupResult,
    Settings,
    describe_file,
    parse_settings,
    print_header,
    print_summary,
    run_group,
    save_textured,
)
from mediarules.inspection import isobmff  # noqa: E402
from tests.media import make_clip, make_video  # noqa: E402

DESCRIPTION = "Time mediarules.inspect against decoding, raw reads and other probers."
SMALL = (64, 48)
LARGE = (4000, 3000)  # 12 MP, a phone photo
IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
GIF_FRAMES = 3
VIDEOS = {  # file name: (video encoder, audio encoder)
    "clip.mp4": ("libx264", "aac"),
    "clip.mov": ("libx264", "aac"),
    "faststart.mp4": ("libx264", "aac"),  # moov before mdat
    "clip.webm": ("libvpx-vp9", "libopus"),
}
FLOOR_BYTES = 1 << 16


def decode(path: Path) -> None:
    with Image.open(path) as im:
        im.load()


def lazy_open(path: Path) -> tuple[int, int]:
    """Pillow's header-only open, the floor for ``inspect`` on an image."""
    with Image.open(path) as im:
        return im.size


def read_all(path: Path) -> None:
    with open(path, "rb") as f:
        f.read()


def read_floor(path: Path) -> None:
    """Open and read the first 64 KiB: the least any reader of the file can do."""
    with open(path, "rb") as f:
        f.read(FLOOR_BYTES)


def pyav_probe(path: Path) -> tuple[object, ...]:
    """What ``inspect`` reports for a video, read with PyAV (libavformat's header probing)."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = [s.codec_context.name for s in container.streams.audio]
        return (
            container.format.name,
            container.duration,
            container.bit_rate,
            video.codec_context.name,
            video.codec_context.width,
            video.codec_context.height,
            video.average_rate,
            audio,
        )


# ---------------------------------------------------------------------------------------------
# peers: what a user would run instead of mediarules.inspect, called the way they call it

FFPROBE = ("ffprobe", "-v", "error", "-show_streams")
EXIFTOOL = ("exiftool", "-fast")
EXIFTOOL_FOLDER_FILES = 32
_FFMPEG_PREFIX = re.compile(r"^\[[^]]* @ 0x[0-9a-f]+\] ")


def ffprobe(path: Path) -> bytes:
    """``ffprobe -v error -show_streams FILE``: a process per file, as shell scripts call it."""
    return subprocess.run([*FFPROBE, str(path)], capture_output=True, check=True).stdout


def exiftool(target: Path) -> bytes:
    """``exiftool -fast FILE`` (a process per file) or ``exiftool -fast FOLDER`` (one process
    for every file in it, as exiftool users run it over a folder)."""
    return subprocess.run([*EXIFTOOL, str(target)], capture_output=True, check=True).stdout


@dataclass(frozen=True)
class Peer:
    """Another reader of media headers, with what it needs to be timed on one file.

    ``version`` is ``None`` when the tool is not installed (its column then says so).
    ``prepare(path)`` returns the call to time, or why the tool cannot read that file: it runs
    the tool once, untimed, and checks the answer, because a tool that fails fast on a format
    it does not know would otherwise look fast. ``files_per_call`` > 1 marks a call that reads
    that many files (the harness divides its time by it).
    """

    label: str
    kinds: frozenset[str]  # "image", "video"
    version: str | None
    install: str
    prepare: Callable[[Path], Case | str]
    files_per_call: int = 1


def _tool_version(argv: Sequence[str], pattern: str) -> str | None:
    if shutil.which(argv[0]) is None:
        return None
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    found = re.search(pattern, done.stdout)
    return found.group(1) if found else "unknown version"


def _why_unread(done: subprocess.CompletedProcess[bytes]) -> str:
    lines = done.stderr.decode(errors="replace").strip().splitlines()
    detail = _FFMPEG_PREFIX.sub("", lines[0]).strip() if lines else f"exit {done.returncode}"
    return f"cannot read ({detail[:60]})"


def _prepare_ffprobe(path: Path) -> Case | str:
    done = subprocess.run([*FFPROBE, str(path)], capture_output=True, check=False)
    if done.returncode != 0 or not re.search(rb"^width=[1-9]", done.stdout, re.MULTILINE):
        return _why_unread(done)
    return partial(ffprobe, path)


def _prepare_exiftool(path: Path) -> Case | str:
    done = subprocess.run([*EXIFTOOL, str(path)], capture_output=True, check=False)
    if done.returncode != 0 or not re.search(rb"^Image Size +: \d+x\d+", done.stdout, re.M):
        return _why_unread(done)
    return partial(exiftool, path)


def _prepare_exiftool_folder(path: Path) -> Case | str:
    """A folder of ``EXIFTOOL_FOLDER_FILES`` hard links to ``path`` (copies where links fail)."""
    folder = path.parent / f"{path.stem}-{path.suffix[1:]}-x{EXIFTOOL_FOLDER_FILES}"
    folder.mkdir(exist_ok=True)
    for index in range(EXIFTOOL_FOLDER_FILES):
        link = folder / f"{index:03d}{path.suffix}"
        if not link.exists():
            try:
                os.link(path, link)
            except OSError:
                shutil.copyfile(path, link)
    done = subprocess.run([*EXIFTOOL, str(folder)], capture_output=True, check=False)
    sizes = re.findall(rb"^Image Size +: \d+x\d+", done.stdout, re.MULTILINE)
    if done.returncode != 0 or len(sizes) != EXIFTOOL_FOLDER_FILES:
        return _why_unread(done)
    return partial(exiftool, folder)


def _prepare_imagesize(path: Path) -> Case | str:
    import imagesize  # the bench extra; the column says "not installed" without it

    width, height = imagesize.get(path)
    if width <= 0 or height <= 0:
        return "cannot read (returns -1, -1)"
    return partial(imagesize.get, path)


def _package_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def peers() -> list[Peer]:
    """The tools a user would run instead, each with its version (``None``: not installed)."""
    everything = frozenset({"image", "video"})
    ffprobe_version = _tool_version(["ffprobe", "-version"], r"ffprobe version (\S+)")
    exiftool_version = _tool_version(["exiftool", "-ver"], r"(\S+)")
    return [
        Peer("imagesize.get", frozenset({"image"}), _package_version("imagesize"),
             "pip install imagesize, or the bench extra", _prepare_imagesize),
        Peer("ffprobe -show_streams", everything, ffprobe_version,
             "apt-get install ffmpeg", _prepare_ffprobe),
        Peer("exiftool -fast", everything, exiftool_version,
             "apt-get install libimage-exiftool-perl", _prepare_exiftool),
        Peer(f"exiftool -fast, folder of {EXIFTOOL_FOLDER_FILES}", everything, exiftool_version,
             "apt-get install libimage-exiftool-perl", _prepare_exiftool_folder,
             files_per_call=EXIFTOOL_FOLDER_FILES),
    ]  # fmt: skip


def bench_images(folder: Path, settings: Settings) -> list[GroupResult]:
    results = []
    for fmt, ext in IMAGE_FORMATS.items():
        frames = GIF_FRAMES if fmt == "GIF" else 1
        small = save_textured(folder / f"small.{ext}", fmt, SMALL, frames=frames)
        large = save_textured(folder / f"large.{ext}", fmt, LARGE, frames=frames)
        for path, (width, height) in ((small, SMALL), (large, LARGE)):  # what the labels say
            facts = mediarules.inspect(path)
            assert (facts.width, facts.height, facts.frames) == (width, height, frames), facts
        animated = f", {frames} frames" if frames > 1 else ""
        title = f"image {fmt}{animated}: {describe_file(small)} / {describe_file(large)}"
        cases: dict[str, Case] = {
            "inspect small": partial(mediarules.inspect, small),
            "Image.open small": partial(lazy_open, small),
            "decode small": partial(decode, small),
            "read small": partial(read_all, small),
            "inspect large": partial(mediarules.inspect, large),
            "Image.open large": partial(lazy_open, large),
            "decode large": partial(decode, large),
            "read large": partial(read_all, large),
        }
        ratios = [
            ("inspect / Image.open, small", "inspect small", "Image.open small"),
            ("inspect / Image.open, large", "inspect large", "Image.open large"),
            ("inspect / decode, small", "inspect small", "decode small"),
            ("inspect / decode, large", "inspect large", "decode large"),
            ("inspect / read, small", "inspect small", "read small"),
            ("inspect / read, large", "inspect large", "read large"),
            ("inspect large / small", "inspect large", "inspect small"),
            ("read large / small", "read large", "read small"),
        ]
        results.append(run_group(title, cases, settings, ratios=ratios))
    return results


def bench_videos(folder: Path, settings: Settings) -> list[GroupResult]:
    has_ffprobe = shutil.which("ffprobe") is not None
    if not has_ffprobe:
        print("\nnote: no ffprobe on PATH: the ffprobe baseline is skipped")
    results = []
    for name, (codec, audio) in VIDEOS.items():
        if name.startswith("faststart"):
            path = make_clip(
                folder / name, fps=30, frames=150, size=(640, 360), audio=audio, faststart=True
            )
        else:
            path = make_video(
                folder / name, fps=30, duration_s=5, size=(640, 360), codec=codec, audio=audio
            )
        facts = mediarules.inspect(path)
        assert facts.kind == "video" and facts.width == 640, facts
        cases: dict[str, Case] = {
            "inspect": partial(mediarules.inspect, path),
            "MediaInfo.parse": partial(MediaInfo.parse, path),
            "PyAV open + streams": partial(pyav_probe, path),
            "read": partial(read_all, path),
            "read 64 KiB": partial(read_floor, path),
        }
        ratios = [
            ("inspect / MediaInfo.parse", "inspect", "MediaInfo.parse"),
            ("inspect / PyAV probe", "inspect", "PyAV open + streams"),
            ("MediaInfo.parse / PyAV probe", "MediaInfo.parse", "PyAV open + streams"),
            ("inspect / read", "inspect", "read"),
            ("inspect / read 64 KiB (floor)", "inspect", "read 64 KiB"),
            ("MediaInfo.parse / read 64 KiB", "MediaInfo.parse", "read 64 KiB"),
        ]
        size = path.stat().st_size
        if isobmff.read_video_facts(str(path), size=size) is not None:
            cases["ISO-BMFF header reader"] = partial(
                isobmff.read_video_facts, str(path), size=size
            )
            ratios.append(("header reader / read 64 KiB", "ISO-BMFF header reader", "read 64 KiB"))
        if has_ffprobe:
            cases["ffprobe subprocess"] = partial(ffprobe, path)
            ratios.append(("inspect / ffprobe", "inspect", "ffprobe subprocess"))
        title = (
            f"video {facts.format}: {describe_file(path)}, {facts.video_codec}/{facts.audio_codec}"
        )
        results.append(run_group(title, cases, settings, ratios=ratios))
    return results


def main() -> None:
    settings = parse_settings(DESCRIPTION, rounds=41, quick_rounds=7)
    print_header(
        "bench_inspect: mediarules.inspect vs decode / raw read / other probers",
        settings,
        versions={
            "Pillow": PIL.__version__,
            "PyAV": av.__version__,
            "pymediainfo": pymediainfo.__version__,
        },
    )
    with tempfile.TemporaryDirectory(prefix="mediarules-bench-") as tmp:
        folder = Path(tmp)
        results = bench_images(folder, settings) + bench_videos(folder, settings)
    print_summary(results)


if __name__ == "__main__":
    main()
