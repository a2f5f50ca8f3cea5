"""A post of many media items costs time linear in their number, in the check and in every
output format (text, JSON, SARIF, GitHub, HTML).

Each test times N and 8N metadata-only items in the same run and asserts the ratio stays
under what quadratic code gives (up to 64x). CPU time of this process is measured, not wall
time, so other work on the machine does not count; the cyclic garbage collector is paused
while timing (its full passes come in lumps, at moments that depend on the whole heap) and
the best of two runs is kept.
"""

from __future__ import annotations

import gc
import io
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

import pytest
from rich.console import Console

import mediarules
from mediarules import MediaRef, Report
from mediarules.outputs.ci_formats import github_annotations, sarif_log, sarif_results
from mediarules.outputs.html_report import render_html
from mediarules.outputs.render import report_json, report_text

PLATFORMS = [
    "tiktok",
    "x",
    "linkedin",
    "instagram",
    "threads",
    "youtube",
    "facebook",
    "bluesky",
    "mastodon",
    "telegram",
]
RULES = mediarules.default_rules()
SMALL = 150
GROWTH = 8
MAX_RATIO = 16.0
"""For 8x the items, measured on a loaded 2-core machine: 5.4-8.4x for this code; 20x (HTML)
for the code before the one-pass grouping, and 64x for anything quadratic. Wide on purpose:
a noisy machine must not turn CI red (the old text report's 11.3x needs a benchmark, not
this test)."""


def _items(count: int) -> list[MediaRef]:
    """Images and videos, each breaking some platform's rule (so each has violations)."""
    items = []
    for index in range(count):
        if index % 2:
            items.append(
                MediaRef(file_name=f"photo-{index}.webp", content_type="image/webp", type="image",
                         width=800, height=600, size=100_000)
            )  # fmt: skip
        else:
            items.append(
                MediaRef(file_name=f"clip-{index}.mp4", content_type="video/mp4", type="video",
                         width=720, height=1280, size=10**6, frame_rate=Fraction(20), duration=10.0,
                         codec_name="h264")
            )  # fmt: skip
    return items


@contextmanager
def _collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _cpu_seconds(work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(2):
        with _collector_paused():
            start = time.process_time()
            work()
            best = min(best, time.process_time() - start)
    return best


def _ratio(work: Callable[[int], object]) -> float:
    small = _cpu_seconds(lambda: work(SMALL))
    large = _cpu_seconds(lambda: work(SMALL * GROWTH))
    return large / max(small, 1e-3)


@pytest.fixture(scope="module")
def reports() -> dict[int, Report]:
    return {
        count: mediarules.check(_items(count), platforms=PLATFORMS, rules=RULES)
        for count in (SMALL, SMALL * GROWTH)
    }


def _text(report: Report) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, soft_wrap=True, highlight=False, width=200)
    report_text(report, PLATFORMS, RULES, console)
    return buffer.getvalue()


RENDERERS: dict[str, Callable[[Report], object]] = {
    "text": _text,
    "json": report_json,
    "sarif": lambda report: json.dumps(sarif_log(sarif_results(report, Path.cwd()), version="0")),
    "github": lambda report: github_annotations(report, Path.cwd()),
    "html": lambda report: render_html([report], PLATFORMS, RULES),
}


def test_checking_is_linear_in_the_number_of_items() -> None:
    ratio = _ratio(lambda count: mediarules.check(_items(count), platforms=PLATFORMS))
    assert ratio < MAX_RATIO, f"{GROWTH}x the items took {ratio:.1f}x the time"


@pytest.mark.parametrize("name", list(RENDERERS))
def test_rendering_is_linear_in_the_number_of_items(reports: dict[int, Report], name: str) -> None:
    render = RENDERERS[name]
    ratio = _ratio(lambda count: render(reports[count]))
    assert ratio < MAX_RATIO, f"{name}: {GROWTH}x the items took {ratio:.1f}x the time"


def test_the_text_report_lists_every_violation_of_a_large_post(
    reports: dict[int, Report],
) -> None:
    report = reports[SMALL * GROWTH]
    out = _text(report)
    lines = out.splitlines()
    listed = [line for line in lines if line.startswith(("  error ", "  warning ", "  info "))]
    assert len(listed) == len(report.violations)
    header = lines.index(next(line for line in lines if line.split()[:2] == ["#", "file"]))
    rows = lines[header + 1 : header + 1 + len(report.media)]
    assert [row.split()[0] for row in rows] == [str(i + 1) for i in range(len(report.media))]
    # each file row marks each platform as its violations say
    for row, index in zip(rows, range(len(report.media)), strict=True):
        marks = row.split()[-len(PLATFORMS) :]
        for mark, platform in zip(marks, PLATFORMS, strict=True):
            found = [
                v.severity.value
                for v in report.violations
                if v.media_index == index and v.platform in (platform, "all")
            ]
            expected = "✗" if "error" in found else "⚠" if "warning" in found else "✓"
            assert mark == expected, (index, platform)
        if index > 50:  # the rest is the same check; keep the test fast
            break
