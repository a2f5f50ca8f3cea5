"""What a file name or a value from the input can do to the output: nothing.

A file named with an ESC sequence, a newline and a right-to-left override reaches the text
report, GitHub annotations and the HTML page escaped (the raw characters never appear); rich
markup in a name is printed as the characters it is; echoed input is cut to a readable length.
JSON keeps every character exactly (its own escaping is enough). What libraries say about a
damaged file (Pillow's warnings, libtiff's error lines) lands in the report, never on stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


# ---------------------------------------------------------------------------------------------
# library messages: libtiff's C error lines and Pillow's warnings never reach stderr

REPO = Path(__file__).resolve().parent.parent


def damaged_deflate_tiff(path: Path) -> Path:
    """A real Deflate TIFF (Pillow hands those to libtiff) whose compressed strip is scrambled:
    libtiff's ZIPDecode fails and calls its error handler, which prints to stderr."""
    import struct

    from PIL import Image

    pixels = bytes((x * 7 + y * 13) % 251 for y in range(96) for x in range(128 * 3))
    Image.frombytes("RGB", (128, 96), pixels).save(path, compression="tiff_adobe_deflate")
    data = bytearray(path.read_bytes())
    (directory,) = struct.unpack_from("<I", data, 4)
    assert directory > 400, "Pillow writes the strips before the directory"
    for at in range(100, directory - 100, 5):
        data[at] ^= 0x5A
    path.write_bytes(data)
    return path


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "default", "-m", "mediarules", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_libtiff_errors_in_a_fix_are_in_its_reason_not_on_stderr(tmp_path: Path) -> None:
    """``fix`` printed "ZIPDecode: Decoding error at scanline 0, ..." from inside libtiff."""
    scan = damaged_deflate_tiff(tmp_path / "scan.tif")
    done = _cli("fix", str(scan), "-p", "x", "--out", "out", "--format", "json", cwd=tmp_path)
    assert done.returncode in (0, 1) and done.stderr == ""
    (skipped,) = json.loads(done.stdout)["skipped"]
    assert skipped["reason"].startswith("failed: decoder error")
    assert "(libtiff: ZIPDecode: Decoding error" in skipped["reason"]


def test_the_html_report_prints_no_library_message(tmp_path: Path) -> None:
    """The thumbnails decode every picture again: Pillow's "Corrupt EXIF data" and libtiff's
    error lines were printed from there (the facts' notes already hold Pillow's)."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "Cam"
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (64, 48), (10, 120, 200)).save(photo, exif=exif.tobytes()[:-2])
    scan = damaged_deflate_tiff(tmp_path / "scan.tif")
    done = _cli("check", str(photo), str(scan), "-p", "x", "-q", "--html", "page.html",
                cwd=tmp_path)  # fmt: skip
    assert done.returncode == 1 and done.stderr == ""
    assert (tmp_path / "page.html").read_text().count("<img") >= 1  # the photo's thumbnail


def test_libtiff_errors_outside_mediarules_still_print(tmp_path: Path) -> None:
    """The handler is process-wide: a program that decodes TIFFs itself, after mediarules
    has run, still sees libtiff's lines, and mediarules' own decodes keep theirs."""
    scan = damaged_deflate_tiff(tmp_path / "scan.tif")
    program = (
        "import sys\n"
        "from PIL import Image\n"
        "from mediarules.fixes.images import apply_image\n"
        "from mediarules.fixes.targets import ImageTarget\n"
        "from pathlib import Path\n"
        "try:\n"
        "    apply_image(Path(sys.argv[1]), ImageTarget(format='png'), Path('out.png'))\n"
        "except ValueError as exc:\n"
        "    print(exc)\n"
        "try:\n"
        "    Image.open(sys.argv[1]).load()\n"
        "except OSError:\n"
        "    pass\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program, str(scan)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "libtiff: ZIPDecode" in done.stdout  # mediarules' decode: collected
    assert done.stderr.count("ZIPDecode") == 1  # the program's own decode: printed as before


def test_threads_each_get_their_own_libtiff_messages(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from mediarules.fixes.api import apply_fixes, plan_fixes

    damaged = damaged_deflate_tiff(tmp_path / "damaged.tif")
    clean = make_image(tmp_path / "clean.tif", format="TIFF", size=(128, 96))

    def reasons(index: int) -> list[str]:
        source = damaged if index % 2 else clean
        result = apply_fixes(plan_fixes([source], platforms="x"), tmp_path / f"out{index}")
        return [skipped.reason for skipped in result.skipped]

    with ThreadPoolExecutor(max_workers=8) as pool:
        found = list(pool.map(reasons, range(24)))
    for index, said in enumerate(found):
        if index % 2:
            assert len(said) == 1 and "(libtiff: ZIPDecode" in said[0], said
        else:
            assert said == []
