"""What a file name or a value from the input can do to the output: nothing.

A file named with an ESC sequence, a newline and a right-to-left override reaches the text
report, GitHub annotations and the HTML page escaped (the raw characters never appear); rich
markup in a name is printed as the characters it is; echoed input is cut to a readable length.
JSON keeps every character exactly (its own escaping is enough).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import mediarules
from mediarules import MediaRef
from mediarules.cli import main
from mediarules.formatting import MESSAGE_LIMIT, NAME_LIMIT
from mediarules.outputs.html_report import render_html
from tests.media import make_image

HOSTILE = "clear\x1b[2Jnew\nline\u202egpj.exe"
RAW = ("\x1b", "\u202e", "clear\x1b[2J", "new\nline")


@pytest.fixture
def hostile_post(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A real WebP with a hostile name (LinkedIn refuses WebP, so it gets violations)."""
    monkeypatch.chdir(tmp_path)
    make_image(tmp_path / f"{HOSTILE}.webp", format="WEBP", size=(1200, 630))
    return f"{HOSTILE}.webp"


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    main(argv)
    return capsys.readouterr().out


def _assert_escaped(out: str) -> None:
    for raw in RAW:
        assert raw not in out
    assert "clear\\x1b[2Jnew\\nline\\u202egpj.exe" in out  # shown, as escapes


@pytest.mark.parametrize("quiet", [[], ["--quiet"]])
def test_text_report_escapes_controls_in_names(
    capsys: pytest.CaptureFixture[str], hostile_post: str, quiet: list[str]
) -> None:
    out = _run(capsys, ["check", hostile_post, "-p", "linkedin,tiktok", *quiet])
    _assert_escaped(out)


def test_each_mode_escapes_controls_in_names(
    capsys: pytest.CaptureFixture[str], hostile_post: str
) -> None:
    _assert_escaped(_run(capsys, ["check", "--each", hostile_post, "-p", "linkedin"]))


def test_github_annotations_escape_controls_and_stay_one_line_each(
    capsys: pytest.CaptureFixture[str], hostile_post: str
) -> None:
    out = _run(capsys, ["check", hostile_post, "-p", "linkedin", "--format", "github"])
    _assert_escaped(out)
    report = mediarules.check([hostile_post], platforms=["linkedin"])
    lines = out.splitlines()
    assert len(lines) == len(report.violations) > 0
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in lines)


def test_html_report_escapes_controls_in_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], hostile_post: str
) -> None:
    page_path = tmp_path / "report.html"
    _run(capsys, ["check", hostile_post, "-p", "linkedin", "--html", str(page_path)])
    page = page_path.read_text(encoding="utf-8")
    for raw in RAW:
        assert raw not in page
    assert "clear\\x1b[2Jnew\\nline\\u202egpj.exe" in page


def test_json_keeps_the_name_exactly(capsys: pytest.CaptureFixture[str], hostile_post: str) -> None:
    out = _run(capsys, ["check", hostile_post, "-p", "linkedin", "--format", "json"])
    assert json.loads(out)["media"][0]["path"] == hostile_post


def test_rich_markup_in_a_name_is_printed_literally(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    name = "[bold red]alert[reverse] x.webp"
    make_image(tmp_path / name, format="WEBP", size=(1200, 630))
    out = _run(capsys, ["check", name, "-p", "linkedin"])
    # in the matrix, the files table and each violation line
    assert out.count(name) >= 3
    assert "alert x.webp" not in out


def test_long_echoed_input_is_cut_with_an_ellipsis(rules_platforms: list[str]) -> None:
    """A 100,000-character declared name and content type: every human format shows a
    readable piece of them, marked as cut; JSON keeps them whole."""
    name = "n" * 100_000 + ".jpg"
    content_type = "text/" + "x" * 100_000
    ref = MediaRef(file_name=name, content_type=content_type, type="image", width=10, height=10)
    report = mediarules.check([ref], platforms=rules_platforms)
    rules = mediarules.default_rules()
    page = render_html([report], rules_platforms, rules)
    assert "…" in page and "x" * (MESSAGE_LIMIT + 1) not in page
    text = _text_report(report, rules_platforms)
    assert "…" in text
    assert "n" * (NAME_LIMIT + 1) not in text and "x" * (MESSAGE_LIMIT + 1) not in text
    assert max(len(line) for line in text.splitlines()) < 4 * MESSAGE_LIMIT
    assert content_type in json.dumps(report.model_dump(mode="json"))


@pytest.fixture
def rules_platforms() -> list[str]:
    return ["linkedin", "x"]


def _text_report(report: mediarules.Report, platforms: list[str]) -> str:
    import io

    from rich.console import Console

    from mediarules.outputs.render import report_text

    buffer = io.StringIO()
    console = Console(file=buffer, soft_wrap=True, highlight=False, width=200)
    report_text(report, platforms, mediarules.default_rules(), console)
    return buffer.getvalue()
