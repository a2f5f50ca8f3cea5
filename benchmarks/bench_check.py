"""How much ``mediarules.check`` adds on top of reading the files, as ratios in the same run.

    python benchmarks/bench_check.py [--quick] [--rounds N]

For a post of 4 images + 1 video and a post of 10 images, checked for all 10 platforms with a
caption: ``check(paths)`` against inspecting the same files alone (the ratio is the engine and
rules overhead on top of I/O), and ``check`` given ready ``MediaFacts`` (no I/O: the pure rules
engine), also for one platform (how the cost grows with platforms), without a caption and with
a 2,200-character one (how much of the rules cost is counting the caption). Then
``load_rules()`` (TOML parse + pydantic validation) against the cached ``default_rules()`` and
against ``tomllib`` parsing the same file alone.

The metadata-only check (``MediaFacts`` in, no I/O) is also given as post x platform
evaluations per second (one post for 10 platforms is 10), per round, against the goal of
20,000 per second on one core, for posts of 1 image, 4 images, 1 video, 4 images + 1 video and
10 images (and 1 image for one platform, where the per-call cost weighs most).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import tomllib
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import PIL  # noqa: E402
import pydantic  # noqa: E402
import pymediainfo  # noqa: E402

import mediarules  # noqa: E402
from benchmarks._harness import (  # noqa: E402
    Case,
    GroupResult,
    Settings,
    Spread,
    describe_file,
    parse_settings,
    print_header,
    print_summary,
    run_group,
    save_textured,
)
from mediarules.ruleset import default_rules_path  # noqa: E402
from tests.media import make_video  # noqa: E402

DESCRIPTION = "Time mediarules.check against inspecting its files, and rule loading."
CAPTION = (
    "Launch day 🚀 Our new collection is here, made with love by the team 👩‍🎨👨‍💻. "
    "Tap the link for early access: https://example.com/drop?ref=social "
    "#launch #newcollection #design #handmade @studio @friends"
)
STORY = (
    "We started this collection last spring in a small studio by the sea. Every piece was "
    "sketched by hand, cut, sewn and checked twice before it left the workshop. It took "
    "longer than we planned, but we think it shows. Thank you for waiting with us! "
)
LONG_CAPTION = (STORY * 20)[: 2200 - len(CAPTION) - 2] + "\n\n" + CAPTION
"""The long caption: 2,200 characters (Instagram's limit), prose then the short caption."""


def mixed_post(folder: Path) -> list[Path]:
    """4 images (JPEG, PNG, WebP, animated GIF) and one 5 s 640x360 H.264 video."""
    return [
        save_textured(folder / "photo.jpg", "JPEG", (1080, 1350)),
        save_textured(folder / "square.png", "PNG", (1080, 1080)),
        save_textured(folder / "banner.webp", "WEBP", (1200, 628)),
        save_textured(folder / "loop.gif", "GIF", (480, 480), frames=3),
        make_video(folder / "clip.mp4", fps=30, duration_s=5, size=(640, 360)),
    ]


def ten_images(folder: Path) -> list[Path]:
    """Ten 1080x1080 JPEG files (copies of one: ten separate files to open)."""
    first = save_textured(folder / "carousel-01.jpg", "JPEG", (1080, 1080))
    copies = [shutil.copyfile(first, folder / f"carousel-{n:02}.jpg") for n in range(2, 11)]
    return [first, *copies]


def bench_post(
    title: str, paths: Sequence[Path], platforms: Sequence[str], settings: Settings
) -> GroupResult:
    facts = [mediarules.inspect(p) for p in paths]
    report = mediarules.check(paths, platforms=platforms, caption=CAPTION)
    assert report.media == facts  # the same work, with and without I/O
    shown = [describe_file(p) for p in paths[:5]]
    more = f" and {len(paths) - 5} more" if len(paths) > 5 else ""
    print(f"\n{title}: {', '.join(shown)}{more}")
    print(f"{len(report.violations)} violations for {len(platforms)} platforms")
    cases: dict[str, Case] = {
        "inspect files only": lambda: [mediarules.inspect(p) for p in paths],
        "check(paths)": lambda: mediarules.check(paths, platforms=platforms, caption=CAPTION),
        "check(facts)": lambda: mediarules.check(facts, platforms=platforms, caption=CAPTION),
        "check(facts), 1 platform": lambda: mediarules.check(
            facts, platforms=platforms[:1], caption=CAPTION
        ),
        "check(facts), no caption": lambda: mediarules.check(facts, platforms=platforms),
        "check(facts), long caption": lambda: mediarules.check(
            facts, platforms=platforms, caption=LONG_CAPTION
        ),
    }
    ratios = [
        ("check(paths) / inspect only", "check(paths)", "inspect files only"),
        ("check(facts) / inspect only", "check(facts)", "inspect files only"),
        ("check(facts) / check(paths)", "check(facts)", "check(paths)"),
        (f"{len(platforms)} platforms / 1, no I/O", "check(facts)", "check(facts), 1 platform"),
        ("no caption / caption, no I/O", "check(facts), no caption", "check(facts)"),
        ("long caption / inspect only", "check(facts), long caption", "inspect files only"),
    ]
    return run_group(title, cases, settings, ratios=ratios)


TARGET_EVALS_PER_S = 20_000
"""Goal of the metadata-only check: post x platform evaluations per second on one core (one
post checked for 10 platforms is 10 evaluations)."""


def bench_throughput(
    mixed: Sequence[Path], ten: Sequence[Path], platforms: Sequence[str], settings: Settings
) -> tuple[GroupResult, dict[str, Spread]]:
    """``check`` of ready ``MediaFacts`` (what the scheduler's stored metadata gives: no I/O)
    for typical posts, each with the short caption, for every platform of the table."""
    photo, square, banner, loop, clip = (mediarules.inspect(p) for p in mixed)
    carousel = [mediarules.inspect(p) for p in ten]
    posts: dict[str, list[mediarules.MediaFacts]] = {
        "1 image": [photo],
        "4 images": [photo, square, banner, loop],
        "1 video": [clip],
        "4 images + 1 video": [photo, square, banner, loop, clip],
        "10 images": carousel,
    }
    print(f"\nmetadata-only posts, each checked for {len(platforms)} platforms with the caption")
    cases = {name: checking(media, platforms) for name, media in posts.items()}
    cases["1 image, 1 platform"] = checking([photo], platforms[:1])
    result = run_group("metadata-only check", cases, settings)
    evaluations = {name: len(platforms) for name in posts} | {"1 image, 1 platform": 1}
    rates = {
        name: Spread.of([count * 1e9 / ns for ns in result.samples[name]])
        for name, count in evaluations.items()
    }
    print_throughput(rates)
    return result, rates


def checking(media: Sequence[mediarules.MediaFacts], platforms: Sequence[str]) -> Case:
    return lambda: mediarules.check(media, platforms=platforms, caption=CAPTION)


def print_throughput(rates: dict[str, Spread]) -> None:
    """Evaluations per second per round (median, p10..p90), and the median against the target."""
    target = TARGET_EVALS_PER_S
    print(f"post x platform evaluations per second (target {target:,}/s on one core)")
    width = max(len(name) for name in rates) + 2
    print(f"{'post':<{width}}{'median':>10}{'p10':>10}{'p90':>10}{'/ target':>10}")
    for name, rate in rates.items():
        print(
            f"{name:<{width}}{rate.median:>10,.0f}{rate.p10:>10,.0f}{rate.p90:>10,.0f}"
            f"{rate.median / target:>9.2f}x"
        )
    sys.stdout.flush()


def print_throughput_summary(rates: dict[str, Spread]) -> None:
    """The lines for the summary: each post's rate as a ratio to the target."""
    target = TARGET_EVALS_PER_S
    for name, rate in rates.items():
        print(
            f"metadata-only check | {name}, evaluations/s / {target:,}: {rate.median / target:.3g}"
            f" ({rate.p10 / target:.3g}..{rate.p90 / target:.3g}) = {rate.median:,.0f}/s"
        )
    sys.stdout.flush()


def load_toml_only() -> dict[str, object]:
    with open(default_rules_path(), "rb") as f:
        return tomllib.load(f)


def bench_rules(settings: Settings) -> GroupResult:
    mediarules.default_rules()  # fill the cache before timing it
    cases: dict[str, Case] = {
        "load_rules()": mediarules.load_rules,
        "tomllib.load only": load_toml_only,
        "default_rules() (cached)": mediarules.default_rules,
    }
    ratios = [
        ("load_rules / default_rules", "load_rules()", "default_rules() (cached)"),
        ("load_rules / tomllib.load", "load_rules()", "tomllib.load only"),
    ]
    return run_group("rules table", cases, settings, ratios=ratios)


def main() -> None:
    settings = parse_settings(DESCRIPTION, rounds=61, quick_rounds=11)
    print_header(
        "bench_check: mediarules.check vs inspecting its files; rule loading",
        settings,
        versions={
            "Pillow": PIL.__version__,
            "pymediainfo": pymediainfo.__version__,
            "pydantic": pydantic.VERSION,
        },
    )
    platforms = list(mediarules.default_rules().platforms)
    with tempfile.TemporaryDirectory(prefix="mediarules-bench-") as tmp:
        folder = Path(tmp)
        mixed, ten = mixed_post(folder), ten_images(folder)
        results = [
            bench_post("post: 4 images + 1 video", mixed, platforms, settings),
            bench_post("post: 10 images", ten, platforms, settings),
        ]
        throughput, rates = bench_throughput(mixed, ten, platforms, settings)
        results += [throughput, bench_rules(settings)]
    print_summary(results)
    print_throughput_summary(rates)


if __name__ == "__main__":
    main()
