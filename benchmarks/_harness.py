"""The timing harness shared by the ``bench_*.py`` scripts.

These machines are noisy, so nothing here reports a time as a verdict: every comparison is a
ratio against a baseline measured in the same run. Cases of one group are timed in interleaved
rounds (each round times every case once, in a rotated order), so a slow moment hurts a subject
and its baseline alike; a ratio is taken per round, then summarised by its median and p10/p90.

Within a round a case runs as a batch of calls sized to last about ``batch_ms`` (one call when a
single call is already longer), timed with ``time.perf_counter_ns`` with the garbage collector
paused, as ``timeit`` does. The first call of a batch runs with caches that the other cases
just used (a MediaInfo parse pays ~0.3 ms for it), so batches hold several calls whenever a call
is much shorter than a batch: 20 ms batches (5 ms with ``--quick``) keep that effect within a
few percent for every case below ~5 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops

REPO = Path(__file__).resolve().parent.parent

Case = Callable[[], object]
Ratio = tuple[str, str, str]
"""``(label, subject, baseline)``: report ``subject / baseline`` under ``label``."""


@dataclass(frozen=True)
class Settings:
    """How long to measure: ``--quick`` trades precision for a run under ~20 s."""

    quick: bool
    rounds: int
    batch_ms: float


def parse_settings(
    description: str, *, rounds: int, quick_rounds: int, batch_ms: float = 20.0
) -> Settings:
    """Command-line options every benchmark takes: ``--quick`` and ``--rounds N``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="fewer rounds (under ~20 s)")
    parser.add_argument("--rounds", type=int, help="override the number of rounds")
    args = parser.parse_args()
    chosen = args.rounds or (quick_rounds if args.quick else rounds)
    if chosen < 3:
        parser.error("--rounds must be at least 3 (p10/p90 need a few samples)")
    return Settings(
        quick=args.quick, rounds=chosen, batch_ms=batch_ms / 4 if args.quick else batch_ms
    )


@dataclass(frozen=True)
class Spread:
    """Median and spread (p10, p90, and the quartiles for the IQR) of some samples."""

    median: float
    p10: float
    p90: float
    q1: float
    q3: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        deciles = statistics.quantiles(values, n=10, method="inclusive")
        quartiles = statistics.quantiles(values, n=4, method="inclusive")
        return cls(
            median=statistics.median(values),
            p10=deciles[0],
            p90=deciles[-1],
            q1=quartiles[0],
            q3=quartiles[2],
        )

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1


@dataclass
class GroupResult:
    """Per-call times (ns) of each case of one group, one sample per round."""

    title: str
    samples: dict[str, list[float]]
    calls: dict[str, int]
    ratios: Sequence[Ratio] = ()

    def spread(self, case: str) -> Spread:
        return Spread.of(self.samples[case])

    def ratio(self, subject: str, baseline: str) -> Spread:
        """``subject / baseline`` per round (paired: both timed in the same round)."""
        pairs = zip(self.samples[subject], self.samples[baseline], strict=True)
        return Spread.of([s / b for s, b in pairs])


def _batch_size(case: Case, batch_ns: float) -> int:
    """How many calls make a batch of about ``batch_ns``.

    The warm-up call is not timed: a first call may pay one-time costs (Pillow registering its
    plugins, libmediainfo loading) that would make a fast case look slow.
    """
    case()
    calls = 1
    while True:
        start = time.perf_counter_ns()
        for _ in range(calls):
            case()
        elapsed = time.perf_counter_ns() - start
        if elapsed >= batch_ns / 4 or calls >= 100_000:
            return max(1, min(100_000, round(calls * batch_ns / max(elapsed, 1))))
        calls *= 4


def _time_batch(case: Case, calls: int) -> float:
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter_ns()
        for _ in range(calls):
            case()
        elapsed = time.perf_counter_ns() - start
    finally:
        if gc_was_enabled:
            gc.enable()
    return elapsed / calls


def run_group(
    title: str,
    cases: Mapping[str, Case],
    settings: Settings,
    *,
    ratios: Sequence[Ratio] = (),
    items_per_call: Mapping[str, int] | None = None,
) -> GroupResult:
    """Time every case of ``cases`` in ``settings.rounds`` interleaved rounds.

    ``items_per_call`` names cases whose one call handles several items (one ``exiftool``
    process over 32 files): their times are divided by that count, so every case of the group
    reads as time per item and the ratios compare like with like.
    """
    items = dict(items_per_call or {})
    unknown = {name for _, *pair in ratios for name in pair} - set(cases)
    unknown |= set(items) - set(cases)
    if unknown:
        raise ValueError(f"{title!r} has no cases named {sorted(unknown)}")
    names = list(cases)
    calls = {name: _batch_size(cases[name], settings.batch_ms * 1e6) for name in names}
    samples: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(settings.rounds):
        shift = round_index % len(names)
        gc.collect()
        for name in names[shift:] + names[:shift]:  # each case leads a round in turn
            samples[name].append(_time_batch(cases[name], calls[name]) / items.get(name, 1))
    result = GroupResult(title=title, samples=samples, calls=calls, ratios=tuple(ratios))
    print_group(result)
    return result


# ---------------------------------------------------------------------------------------------
# output


def format_ns(ns: float) -> str:
    """A duration with a unit that keeps 3 significant digits: ``412 ns``, ``3.17 ms``."""
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def format_ratio(value: float) -> str:
    """``0.00181 (1/552)`` below 1, ``27.4x`` above, ``1,330x`` from a thousand on."""
    if value < 1:
        return f"{value:.3g} (1/{1 / value:.3g})"
    return f"{value:.3g}x" if value < 1000 else f"{float(f'{value:.3g}'):,.0f}x"


def machine() -> dict[str, object]:
    """Where a run happened: the figures are ratios, but ratios to a syscall floor move with
    the CPU, and a loaded machine stretches everything (hence the load average at start)."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.partition(":")[2].strip()
                break
    try:
        system = platform.freedesktop_os_release().get("PRETTY_NAME", platform.system())
    except OSError:
        system = platform.system()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    load = [round(value, 2) for value in os.getloadavg()] if hasattr(os, "getloadavg") else None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "machine": platform.machine(),
        "os": f"{system}, {platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "load_average_at_start": load,
    }


def describe_machine(where: Mapping[str, object]) -> str:
    """One line for a header: CPU, cores, OS, Python and the load average."""
    load = where["load_average_at_start"]
    load_text = " ".join(f"{value:g}" for value in load) if isinstance(load, list) else "unknown"
    usable = where["usable_cores"]
    cores = f"{where['cores']} cores" + (
        f" ({usable} usable)" if usable not in (None, where["cores"]) else ""
    )
    return (
        f"machine: {where['cpu']}, {cores}, {where['machine']}; {where['os']}; "
        f"{where['python']}; load average {load_text} (1, 5, 15 min) at start"
    )


def print_header(
    title: str,
    settings: Settings,
    *,
    versions: Mapping[str, str],
    where: Mapping[str, object] | None = None,
) -> None:
    libs = ", ".join(f"{name} {version}" for name, version in versions.items())
    print(f"# {title}")
    print(describe_machine(where or machine()))
    print(f"versions: {libs}")
    mode = "quick" if settings.quick else "full"
    print(
        f"mode: {mode}, {settings.rounds} interleaved rounds, batches of ~{settings.batch_ms:g} ms"
    )


def print_group(result: GroupResult) -> None:
    """A table of the cases, then each ratio."""
    print(f"\n## {result.title}")
    width = max(len(name) for name in result.samples) + 2
    print(f"{'case':<{width}}{'median':>10}{'p10':>10}{'p90':>10}{'IQR':>10}{'calls':>7}")
    for name in result.samples:
        s = result.spread(name)
        print(
            f"{name:<{width}}{format_ns(s.median):>10}{format_ns(s.p10):>10}"
            f"{format_ns(s.p90):>10}{format_ns(s.iqr):>10}{result.calls[name]:>7}"
        )
    if result.ratios:
        label_width = max(len(label) for label, _, _ in result.ratios) + 2
        print(f"{'ratio':<{label_width}}{'median':>18}{'p10':>12}{'p90':>12}")
        for label, subject, baseline in result.ratios:
            r = result.ratio(subject, baseline)
            print(f"{label:<{label_width}}{format_ratio(r.median):>18}{r.p10:>12.3g}{r.p90:>12.3g}")
    sys.stdout.flush()


def print_summary(results: Sequence[GroupResult]) -> None:
    """Every ratio again, one line each (the lines quoted in benchmarks/README.md)."""
    print("\n## summary (median ratio per round, p10..p90)")
    for result in results:
        for label, subject, baseline in result.ratios:
            r = result.ratio(subject, baseline)
            print(f"{result.title} | {label}: {r.median:.3g} ({r.p10:.3g}..{r.p90:.3g})")
    sys.stdout.flush()


# ---------------------------------------------------------------------------------------------
# media


def textured_frames(
    size: tuple[int, int], *, frames: int = 1, mode: str = "RGB"
) -> list[Image.Image]:
    """Frames that do not compress to nothing: gradients with Gaussian noise on top.

    Frames after the first repaint one rectangle, as a real animation changes part of the
    picture (and so an animated GIF stays quick to encode). ``mode`` is ``RGB`` or ``L``.
    """
    width, height = size
    across = Image.linear_gradient("L").resize(size)
    down = Image.linear_gradient("L").transpose(Image.Transpose.ROTATE_90).resize(size)
    noisy = ImageChops.add(across, Image.effect_noise(size, 16), scale=1.0, offset=-128)
    base = noisy if mode == "L" else Image.merge("RGB", (across, noisy, down))
    result = [base]
    for index in range(1, frames):
        frame = base.copy()
        box = (
            index * width // 10,
            index * height // 10,
            index * width // 10 + width // 5,
            index * height // 10 + height // 5,
        )
        frame.paste((40 * index) % 256 if mode == "L" else (200, 40 * index % 256, 30), box)
        result.append(frame)
    return result


def save_textured(path: Path, format: str, size: tuple[int, int], *, frames: int = 1) -> Path:
    """Write a textured image (``frames`` > 1: animated), with fast encoder settings."""
    encoder_settings: dict[str, dict[str, object]] = {
        "JPEG": {"quality": 90},
        "PNG": {"compress_level": 1},  # level 6 takes ~6 s on 12 MP of noise
        "WEBP": {"quality": 80, "method": 0},
        # pillow-heif: the tiles a phone writes, x265's fastest preset; libavif's fastest speed
        "HEIF": {"quality": 80, "tile_size": 512, "enc_params": {"preset": "ultrafast"}},
        "AVIF": {"quality": 70, "speed": 10},
    }
    options = dict(encoder_settings.get(format, {}))
    images = textured_frames(size, frames=frames, mode="L" if format == "GIF" else "RGB")
    if frames > 1:
        options.update(save_all=True, append_images=images[1:], duration=100, loop=0)
    images[0].save(path, format=format, **options)
    return path


def describe_file(path: Path) -> str:
    size = path.stat().st_size
    for unit, scale in (("MB", 1e6), ("KB", 1e3)):
        if size >= scale:
            return f"{path.name} ({size / scale:.3g} {unit})"
    return f"{path.name} ({size} B)"
