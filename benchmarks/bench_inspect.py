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

import shutil
import subprocess
import sys
import tempfile
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


def ffprobe(path: Path) -> None:
    subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        check=True,
        capture_output=True,
    )


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
