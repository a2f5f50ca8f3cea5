"""The text report as a person reads it: the platform x file matrix first, details below,
``--quiet`` for just the errors, ``NO_COLOR`` respected."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mediarules.cli import main
from tests.media import make_corrupt, make_image

PLATFORMS = ["x", "linkedin", "instagram"]


@pytest.fixture
def post(tmp_path: Path) -> list[Path]:
    return [
        make_image(tmp_path / "square.jpg", size=(1080, 1080)),  # fine everywhere
        make_image(tmp_path / "banner.webp", format="WEBP", size=(1200, 630)),
        make_corrupt(tmp_path / "broken.jpg"),
    ]


def _matrix(out: str, platforms: list[str]) -> dict[str, dict[str, str]]:
    """The matrix's rows as {file: {platform: mark}}, read from the text like a person."""
    lines = out.splitlines()
    header = next(index for index, line in enumerate(lines) if line.split()[:2] == ["#", "file"])
    assert lines[header].split()[2:] == platforms
    rows = {}
    for line in lines[header + 1 :]:
        if not line.strip():
            break
        cells = line.split()
        marks = cells[-len(platforms) :]
        name = " ".join(cells[: -len(platforms)]).lstrip("0123456789 ")
        rows[name] = dict(zip(platforms, marks, strict=True))
    return rows


def test_the_matrix_comes_first_with_a_mark_per_file_and_platform(
    capsys: pytest.CaptureFixture[str], post: list[Path]
) -> None:
    code = main(["check", *map(str, post), "-p", ",".join(PLATFORMS), "--caption", "y" * 300])
    out = capsys.readouterr().out
    assert code == 1
    assert out.splitlines()[0].split()[:2] == ["#", "file"]  # at the top
    rows = _matrix(out, PLATFORMS)
    square, banner, broken = (str(path) for path in post)
    assert rows[square] == {"x": "✓", "linkedin": "✓", "instagram": "✓"}
    # LinkedIn converts WebP itself (a warning); Instagram refuses it (an error)
    assert rows[banner]["linkedin"] == "⚠" and rows[banner]["instagram"] == "✗"
    assert rows[broken] == {"x": "✗", "linkedin": "✗", "instagram": "✗"}
    # 300 characters: too long for X's 280 only, a problem of the post, not of a file
    assert rows["post (text, count, mix)"] == {"x": "✗", "linkedin": "✓", "instagram": "✓"}
    details = out[out.index("Files") :]
    assert "caption.too_long" in details and "image.format_not_allowed" in details


def test_a_ready_post_has_no_post_row(capsys: pytest.CaptureFixture[str], post: list[Path]) -> None:
    assert main(["check", str(post[0]), "-p", "linkedin"]) == 0
    out = capsys.readouterr().out
    assert _matrix(out, ["linkedin"]) == {str(post[0]): {"linkedin": "✓"}}
    assert out.rstrip().splitlines()[-1].startswith("ready to publish")


def test_quiet_prints_only_the_errors(capsys: pytest.CaptureFixture[str], post: list[Path]) -> None:
    code = main(["check", *map(str, post[:2]), "-p", ",".join(PLATFORMS), "--quiet"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert lines == [
        f"instagram: image.format_not_allowed  {post[1]}: WEBP is not accepted; use JPEG"
    ]


def test_quiet_prints_nothing_for_a_ready_post(
    capsys: pytest.CaptureFixture[str], post: list[Path]
) -> None:
    assert main(["check", str(post[0]), "-p", "linkedin", "-q"]) == 0
    assert capsys.readouterr().out == ""


def test_quiet_each_shows_only_files_with_errors(
    capsys: pytest.CaptureFixture[str], post: list[Path]
) -> None:
    folder = post[0].parent
    assert main(["check", "--each", str(folder), "-p", "linkedin", "-q"]) == 1
    out = capsys.readouterr().out
    assert str(post[2]) in out and str(post[0]) not in out and str(post[1]) not in out


_COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-7]|9[0-7]|38)[;m]")


@pytest.mark.parametrize("no_color", [False, True])
def test_no_color_turns_colour_off_on_a_terminal(post: list[Path], no_color: bool) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["FORCE_COLOR"] = "1"  # as on a terminal
    if no_color:
        env["NO_COLOR"] = "1"
    out = subprocess.run(
        [sys.executable, "-m", "mediarules", "check", *map(str, post), "-p", "linkedin"],
        capture_output=True, text=True, env=env, check=False,
    ).stdout  # fmt: skip
    assert "✗" in out
    assert bool(_COLOUR.search(out)) is not no_color
