"""Quantities in words: written once (``mediarules.formatting``), read alike everywhere."""

from __future__ import annotations

import io
from fractions import Fraction

import pytest
from rich.console import Console

import mediarules
from mediarules.formatting import human_bit_rate, human_bytes, human_fps, human_seconds
from mediarules.models import MediaFacts
from mediarules.outputs.html_report import render_html
from mediarules.outputs.render import report_text


@pytest.mark.parametrize(
    ("size", "shown"),
    [(0, "0 bytes"), (999, "999 bytes"), (1000, "1 KB"), (8_930, "8.93 KB"), (1_500_000, "1.5 MB"),
     (999_999, "1 MB"), (4 * 10**9, "4 GB"), (7 * 10**12, "7,000 GB")],
)  # fmt: skip
def test_bytes(size: int, shown: str) -> None:
    assert human_bytes(size) == shown


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0, "0 s"), (4.0, "4 s"), (59.5, "59.5 s"), (60, "1 min"), (75.5, "1 min 15.5 s"),
     (119.97, "2 min"), (3600, "1 h"), (5400, "1 h 30 min")],
)  # fmt: skip
def test_seconds(seconds: float, shown: str) -> None:
    assert human_seconds(seconds) == shown


@pytest.mark.parametrize(
    ("rate", "shown"),
    [(Fraction(30), "30"), (Fraction(30000, 1001), "29.97"), (Fraction(24000, 1001), "23.976"),
     (Fraction(2999999, 100000), "30"), (Fraction(1, 3), "0.333"), (25.0, "25")],
)  # fmt: skip
def test_frame_rates(rate: Fraction | float, shown: str) -> None:
    assert human_fps(rate) == shown


@pytest.mark.parametrize(
    ("rate", "shown"),
    [
        (128_000, "128 kbit/s"),
        (999_999, "1 Mbit/s"),
        (4_500_000, "4.5 Mbit/s"),
        (2 * 10**12, "2,000,000 Mbit/s"),
    ],
)
def test_bit_rates(rate: int, shown: str) -> None:
    assert human_bit_rate(rate) == shown


def test_a_check_the_terminal_and_the_page_say_the_same() -> None:
    """One video's frame rate, length and size, as the check's message, the terminal table
    and the HTML page show them."""
    facts = MediaFacts(
        path="clip.mp4",
        kind="video",
        format="mp4",
        size=1_500_000,
        width=1080,
        height=1920,
        fps=Fraction(20000, 1001),
        duration_s=75.5,
        video_codec="h264",
    )
    report = mediarules.check([facts], platforms=["tiktok"])
    [fps] = [v for v in report.violations if v.code == "video.fps_too_low"]
    assert fps.message.startswith("video is 19.98 fps;")

    console = Console(file=io.StringIO(), width=200, color_system=None)
    report_text(report, ["tiktok"], mediarules.default_rules(), console)
    terminal = console.file.getvalue()  # type: ignore[attr-defined]
    page = render_html([report], ["tiktok"], mediarules.default_rules())
    for shown in ("19.98 fps", "1 min 15.5 s", "1.5 MB"):
        assert shown in terminal and shown in page, shown
