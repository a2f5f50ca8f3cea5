"""Fixes against what a user would run instead, as ratios timed in the same rounds.

    python benchmarks/bench_fixes.py [--quick] [--rounds N]

Each subject is the whole path a user calls: ``mediarules.plan_fixes`` then
``mediarules.apply_fixes`` into a folder (check, plan, decode, write through safe_write, read
the new file back, check it again); the written files are removed after each call, as the
baselines remove theirs.

1. Images, against plain Pillow making the same file: ``Image.open``, ``resize`` (LANCZOS) to
   the size the fix wrote, ``save`` with the same format, quality and encoder settings
   (progressive, optimised Huffman tables, Pillow's default 4:2:0 subsampling at quality 95).
   Rows: a 12 MP textured JPEG (4000x3000) into Instagram's box (1440 wide, JPEG q95), and a
   1080x1350 PNG converted to JPEG for Instagram (no resize). A second baseline saves with
   Pillow's defaults (``quality`` only: what a one-liner writes). Clock: **CPU time** of this
   process: both sides are single-threaded in this process, so CPU time is the work itself,
   and the other jobs on a shared machine disturb it less than wall time (wall time is shown
   as well). Before timing, both outputs are decoded and compared pixel by pixel.
2. Video, the PyAV executor against Debian's ``ffmpeg`` running the argv mediarules itself
   renders for the same plan (``mediarules.fixes.video.ffmpeg_command``, plus ``-nostdin
   -loglevel error -n``, which change nothing of the work). Rows: 2 s of 1080p at 120 fps
   cut to 60 fps for X (``tests/media.make_video``: still frames with AAC audio, so the
   encoder is cheap and any per-frame overhead of the executor shows), and 2 s of a 1440p
   pan across a texture scaled into Instagram's 1920 columns (the encoder and the scaler do
   real work). Clock: **wall time**, because ffmpeg is another process and both run their
   codecs on threads: the argv sets no ``-threads``, so ffmpeg decodes and encodes with
   FFmpeg's defaults (threads auto, frame threading) and the executor does the same; the
   x264 settings each output records (threads, sliced threads) are printed to show it.
   CPU time (this process's own, every thread; ffmpeg's from ``getrusage`` of reaped
   children) is shown beside it. The x264 builds differ (Debian's against PyAV's wheel), so
   a ratio near 1 says the executor adds nothing, not which x264 is faster. The rows are
   skipped when ``ffmpeg`` is not on PATH or PyAV is missing, or when that ffmpeg refuses
   the argv (an ffmpeg older than 8 for a tone-map or a rotation; not these clips).

Rounds are interleaved as in ``_harness.py`` (each round times every case once, in a rotated
order; ratios are taken per round, summarised by median and p10..p90), one call per round:
every call lasts well over 100 ms. ``bench_floor.py`` calls :func:`run` and
:func:`print_table`.
"""

from __future__ import annotations

import gc
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import PIL  # noqa: E402
from PIL import Image, ImageChops  # noqa: E402

import mediarules  # noqa: E402
from benchmarks._harness import (  # noqa: E402
    GroupResult,
    Settings,
    describe_file,
    parse_settings,
    print_group,
    print_header,
    save_textured,
    textured_frames,
)

DESCRIPTION = "Time mediarules' fixes against plain Pillow and ffmpeg making the same files."
IMAGE_TARGET = 1.15
VIDEO_TARGET = 1.1
IMAGE_ROUNDS = (15, 5)  # at most (full, quick): a round is about a second
VIDEO_ROUNDS = (9, 3)  # a round is several seconds
FFMPEG_QUIET = ["-hide_banner", "-nostdin", "-loglevel", "error", "-n"]

Call = Callable[[], object]


@dataclass(frozen=True)
class Row:
    """One comparison: what is timed, against what, by which clock, and the goal."""

    label: str
    subject: str
    baseline: str
    clock: str  # "cpu" or "wall": the one the verdict reads
    target: float | None


# ---------------------------------------------------------------------------------------------
# timing


def _cpu_ns() -> int:
    """CPU time of this process (every thread) and of its reaped children (ffmpeg)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time_ns() + round((children.ru_utime + children.ru_stime) * 1e9)


def interleave(
    title: str, cases: Mapping[str, Call], rounds: int, rows: list[Row]
) -> tuple[GroupResult, GroupResult]:
    """One call of every case per round, in an order rotated each round; (wall, cpu) times.

    A warm-up call of each case is not timed (first-call costs: plugins, libraries, caches).
    """
    names = list(cases)
    for name in names:
        cases[name]()
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds):
        shift = index % len(names)
        gc.collect()
        for name in names[shift:] + names[:shift]:
            gc.disable()
            try:
                start_cpu, start = _cpu_ns(), time.perf_counter_ns()
                cases[name]()
                wall[name].append(time.perf_counter_ns() - start)
                cpu[name].append(_cpu_ns() - start_cpu)
            finally:
                gc.enable()
    ones = dict.fromkeys(names, 1)
    ratios = [(row.label, row.subject, row.baseline) for row in rows]
    wall_result = GroupResult(f"{title} (wall time)", wall, ones, ratios)
    cpu_result = GroupResult(f"{title} (CPU time)", cpu, ones, ratios)
    print_group(wall_result)
    print_group(cpu_result)
    return wall_result, cpu_result


def _figures(
    rows: list[Row], wall: GroupResult, cpu: GroupResult, notes: dict[str, Any]
) -> list[dict[str, Any]]:
    figures = []
    for row in rows:
        chosen = cpu if row.clock == "cpu" else wall
        ratio = chosen.ratio(row.subject, row.baseline)
        figure: dict[str, Any] = {
            "row": row.label,
            "subject": row.subject,
            "baseline": row.baseline,
            "clock": row.clock,
            "ms": {
                clock: {
                    name: result.spread(name).median / 1e6 for name in (row.subject, row.baseline)
                }
                for clock, result in (("wall", wall), ("cpu", cpu))
            },
            "ratio": ratio.median,
            "p10": ratio.p10,
            "p90": ratio.p90,
            "other_clock_ratio": (wall if row.clock == "cpu" else cpu)
            .ratio(row.subject, row.baseline)
            .median,
            "target": row.target,
            "met": None if row.target is None else ratio.median <= row.target,
            **notes,
        }
        figures.append(figure)
    return figures


# ---------------------------------------------------------------------------------------------
# the subjects: mediarules as a user calls it


def fix_call(source: Path, platform: str, out: Path) -> Callable[[], mediarules.FixResult]:
    """``plan_fixes`` + ``apply_fixes`` (unsafe fixes allowed), its files then removed."""

    def call() -> mediarules.FixResult:
        plan = mediarules.plan_fixes([source], platforms=platform)
        result = mediarules.apply_fixes(plan, out, unsafe=True)
        if not result.written:
            raise RuntimeError(f"nothing written for {source.name} on {platform}: {result.skipped}")
        for written in result.written:
            os.unlink(written.path)
        return result

    return call


def _written_once(source: Path, platform: str, folder: Path) -> tuple[Path, Any]:
    """Fix once, keeping the file: (its path, the plan's target) for building baselines."""
    plan = mediarules.plan_fixes([source], platforms=platform)
    result = mediarules.apply_fixes(plan, folder, unsafe=True)
    if len(result.written) != 1 or len(plan.outputs) != 1:
        raise RuntimeError(f"expected one output for {source.name} on {platform}")
    output = plan.outputs[0]
    return Path(result.written[0].path), output.image or output.video


# ---------------------------------------------------------------------------------------------
# 1. images


def pillow_save(
    source: Path, destination: Path, size: tuple[int, int], options: dict[str, Any]
) -> None:
    """Plain Pillow: open, resize to ``size`` (when it differs), save."""
    with Image.open(source) as im:
        picture = im if im.size == size else im.resize(size, Image.Resampling.LANCZOS)
        picture.save(destination, **options)


def pillow_call(
    source: Path, destination: Path, size: tuple[int, int], options: dict[str, Any]
) -> Call:
    """:func:`pillow_save`, then remove the file."""

    def call() -> None:
        pillow_save(source, destination, size, options)
        os.unlink(destination)

    return call


def same_pixels(first: Path, second: Path) -> bool:
    with Image.open(first) as a, Image.open(second) as b:
        return (
            a.size == b.size
            and ImageChops.difference(a.convert("RGB"), b.convert("RGB")).getbbox() is None
        )


def bench_images(folder: Path, settings: Settings) -> list[dict[str, Any]]:
    rounds = min(settings.rounds, IMAGE_ROUNDS[1] if settings.quick else IMAGE_ROUNDS[0])
    sources = {
        "12 MP JPEG into Instagram's box": (
            save_textured(folder / "photo.jpg", "JPEG", (4000, 3000)), "instagram"
        ),
        "PNG to JPEG (Instagram, no resize)": (
            save_textured(folder / "post.png", "PNG", (1080, 1350)), "instagram"
        ),
    }  # fmt: skip
    figures: list[dict[str, Any]] = []
    for title, (source, platform) in sources.items():
        out = folder / f"out-{source.stem}"
        out.mkdir()
        written, target = _written_once(source, platform, out)
        with Image.open(written) as im:
            size, fmt = im.size, im.format
        if fmt != "JPEG":
            raise RuntimeError(f"expected a JPEG from {source.name}, got {fmt}")
        same = {"format": "JPEG", "quality": target.quality}
        encoder = {**same, "optimize": True, "progressive": True}
        plain = folder / f"plain-{source.stem}.jpg"
        pillow_save(source, plain, size, encoder)
        identical = same_pixels(written, plain)
        os.unlink(plain)
        os.unlink(written)
        cases: dict[str, Call] = {
            "mediarules plan_fixes + apply_fixes": fix_call(source, platform, out),
            "Pillow resize + save, same settings": pillow_call(source, plain, size, encoder),
            "Pillow resize + save, quality only": pillow_call(source, plain, size, same),
        }
        rows = [
            Row(f"{title}: fix / Pillow, same settings", "mediarules plan_fixes + apply_fixes",
                "Pillow resize + save, same settings", "cpu", IMAGE_TARGET),
            Row(f"{title}: fix / Pillow, quality only", "mediarules plan_fixes + apply_fixes",
                "Pillow resize + save, quality only", "cpu", None),
        ]  # fmt: skip
        with Image.open(source) as im:
            source_size = im.size
        label = (
            f"image fix, {title}: {describe_file(source)} {source_size[0]}x{source_size[1]}"
            f" -> JPEG {size[0]}x{size[1]} q{target.quality}"
        )
        wall, cpu = interleave(label, cases, rounds, rows)
        print(f"same pixels as plain Pillow (same settings): {'yes' if identical else 'NO'}")
        notes = {"same_pixels": identical, "output": f"JPEG {size[0]}x{size[1]} q{target.quality}"}
        figures += _figures(rows, wall, cpu, notes)
    return figures


# ---------------------------------------------------------------------------------------------
# 2. video


def x264_settings(path: Path) -> str:
    """The thread settings x264 recorded in the stream (its SEI options string)."""
    data = path.read_bytes()
    start = data.find(b"x264 - core")
    if start < 0:
        return "no x264 SEI"
    text = data[start : data.find(b"\0", start)].decode("ascii", "replace")
    wanted = ("threads", "lookahead_threads", "sliced_threads")
    found = [part for part in text.split() if part.split("=")[0] in wanted]
    return f"{text.split(' - ')[1]}: {' '.join(found)}"


def panning_clip(path: Path, size: tuple[int, int], fps: int, seconds: float) -> Path:
    """A pan across a textured picture (gradients and noise, as the image rows use) with a
    silent mono AAC track: frames an encoder has to work on, unlike ``make_video``'s still
    ones. Written fast (x264 ``ultrafast``) at a high quality, so the texture survives."""
    import av

    width, height = size
    count = round(seconds * fps)
    step = 8  # pixels a frame: a slow pan
    (wide,) = textured_frames((width + step * count, height))
    with av.open(str(path), "w") as output:
        video = output.add_stream("libx264", rate=fps, options={"preset": "ultrafast", "crf": "18"})
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio = output.add_stream("aac", rate=48_000)
        audio.layout = "mono"
        for index in range(count):
            picture = wide.crop((index * step, 0, index * step + width, height))
            frame = av.VideoFrame.from_image(picture)  # type: ignore[no-untyped-call]
            frame.pts = index
            output.mux(video.encode(frame))
        output.mux(video.encode(None))
        samples, pts = audio.codec_context.frame_size or 1024, 0
        while pts < seconds * 48_000:
            sound = av.AudioFrame(format=audio.codec_context.format.name, layout="mono",
                                  samples=samples)  # fmt: skip
            for plane in sound.planes:
                plane.update(bytes(plane.buffer_size))
            sound.sample_rate, sound.pts = 48_000, pts
            output.mux(audio.encode(sound))
            pts += samples
        output.mux(audio.encode(None))
    return path


def ffmpeg_call(argv: list[str], destination: Path) -> Call:
    def call() -> None:
        subprocess.run(argv, check=True, stdin=subprocess.DEVNULL)
        os.unlink(destination)

    return call


def bench_video(folder: Path, settings: Settings) -> list[dict[str, Any]]:
    """The PyAV executor against ffmpeg with mediarules' own argv, or a skipped row."""
    missing = _video_missing()
    if missing:
        print(f"\n## video fix: skipped ({missing})")
        return [{"row": "video fix (PyAV executor) / ffmpeg argv", "skipped": missing}]
    from mediarules.fixes.video import ffmpeg_command
    from tests.media import make_video

    rounds = min(settings.rounds, VIDEO_ROUNDS[1] if settings.quick else VIDEO_ROUNDS[0])
    clips = {
        "1080p 120 fps to 60 fps (X)": (
            make_video(folder / "fast.mp4", fps=120, duration_s=2, size=(1920, 1080)), "x"
        ),
        "1440p panning texture scaled to 1920x1080 (Instagram)": (
            panning_clip(folder / "pan.mp4", (2560, 1440), fps=30, seconds=2), "instagram"
        ),
    }  # fmt: skip
    figures: list[dict[str, Any]] = []
    for title, (source, platform) in clips.items():
        out = folder / f"out-{source.stem}"
        out.mkdir()
        written, target = _written_once(source, platform, out)
        ours = mediarules.inspect(written)
        destination = out / f"ffmpeg-{source.stem}.mp4"
        command = ffmpeg_command(source, target, destination, mediarules.inspect(source))
        argv = [command[0], *FFMPEG_QUIET, *command[1:]]
        try:
            subprocess.run(argv, check=True, stdin=subprocess.DEVNULL, capture_output=True)
        except subprocess.CalledProcessError as exc:
            reason = f"ffmpeg refused mediarules' argv: {exc.stderr.decode(errors='replace')[:200]}"
            print(f"\n## video fix, {title}: skipped ({reason})")
            figures.append({"row": f"{title}: fix / ffmpeg argv", "skipped": reason})
            continue
        theirs = mediarules.inspect(destination)
        threads = {"PyAV": x264_settings(written), "ffmpeg": x264_settings(destination)}
        same_facts = {
            key: (getattr(ours, key), getattr(theirs, key))
            for key in (
                "width",
                "height",
                "fps",
                "duration_s",
                "size",
                "video_codec",
                "audio_codec",
            )
        }
        os.unlink(written)
        os.unlink(destination)
        cases: dict[str, Call] = {
            "mediarules plan_fixes + apply_fixes (PyAV)": fix_call(source, platform, out),
            "ffmpeg, mediarules' argv": ffmpeg_call(argv, destination),
        }
        rows = [Row(f"{title}: fix / ffmpeg argv", "mediarules plan_fixes + apply_fixes (PyAV)",
                    "ffmpeg, mediarules' argv", "wall", VIDEO_TARGET)]  # fmt: skip
        facts = mediarules.inspect(source)
        label = (
            f"video fix, {title}: {describe_file(source)} {facts.width}x{facts.height}"
            f" {facts.fps} fps {facts.duration_s:g} s"
        )
        wall, cpu = interleave(label, cases, rounds, rows)
        print("argv: " + " ".join(argv))
        for who, line in threads.items():
            print(f"x264 in the {who} output: {line}")
        print(
            "outputs (PyAV, ffmpeg): "
            + ", ".join(f"{k} {a}/{b}" for k, (a, b) in same_facts.items())
        )
        notes = {"x264": threads, "argv": argv}
        figures += _figures(rows, wall, cpu, notes)
    return figures


def _video_missing() -> str | None:
    if shutil.which("ffmpeg") is None:
        return "no ffmpeg on PATH (Debian: apt-get install ffmpeg)"
    try:
        import av  # noqa: F401
    except ImportError:
        return "no PyAV (pip install 'mediarules[video]')"
    return None


# ---------------------------------------------------------------------------------------------
# for bench_floor.py, and alone


def run(settings: Settings) -> dict[str, Any]:
    """Every row, as plain data (``print_table`` draws it)."""
    with tempfile.TemporaryDirectory(prefix="mediarules-fixes-") as tmp:
        folder = Path(tmp)
        images = bench_images(folder, settings)
        video = bench_video(folder, settings)
    return {"images": images, "video": video}


def print_table(figures: dict[str, Any]) -> None:
    print("\n## fixes: mediarules (plan_fixes + apply_fixes) / what a user would run instead")
    header = ["row", "clock", "mediarules", "baseline", "ratio (p10..p90)", "other clock",
              "target", "verdict"]  # fmt: skip
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in [*figures["images"], *figures["video"]]:
        if "skipped" in row:
            print(f"| {row['row']} | | | | skipped: {row['skipped']} | | | |")
            continue
        ms = row["ms"][row["clock"]]
        target = row["target"]
        cells = [
            row["row"],
            row["clock"],
            f"{ms[row['subject']]:.0f} ms",
            f"{ms[row['baseline']]:.0f} ms",
            f"{row['ratio']:.3g}x ({row['p10']:.3g}..{row['p90']:.3g})",
            f"{row['other_clock_ratio']:.3g}x",
            "-" if target is None else f"≤ {target:g}x",
            "-" if target is None else ("met" if row["met"] else "**missed**"),
        ]
        print("| " + " | ".join(cells) + " |")


def main() -> None:
    settings = parse_settings(DESCRIPTION, rounds=15, quick_rounds=3)
    versions = {"Pillow": PIL.__version__}
    try:
        import av

        versions["PyAV"] = f"{av.__version__} (FFmpeg {av.ffmpeg_version_info})"
    except ImportError:
        pass
    if shutil.which("ffmpeg"):
        first = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout
        versions["ffmpeg"] = first.split()[2] if first else "?"
    print_header("bench_fixes: fixes against plain Pillow and ffmpeg", settings, versions=versions)
    figures = run(settings)
    print_table(figures)


if __name__ == "__main__":
    main()
