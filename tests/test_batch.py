"""``check --each``: a folder of media, each file its own post, in worker processes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import mediarules
from mediarules.cli import main
from mediarules.cli.batch import FILES_PER_WORKER, media_files, worker_count
from mediarules.models import Report
from tests.media import make_corrupt, make_image, make_video


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A content folder: nested, with a hidden folder, notes, a broken file, a symlink loop."""
    root = tmp_path_factory.mktemp("content")
    (root / "launch" / "stories").mkdir(parents=True)
    (root / ".git").mkdir()
    make_image(root / "launch" / "hero.jpg", size=(1200, 1200))
    make_image(root / "launch" / "banner.webp", format="WEBP", size=(1200, 628))
    make_image(root / "launch" / "stories" / "tall.png", format="PNG", size=(300, 3200))
    make_video(root / "launch" / "teaser.mp4", duration_s=0.5, fps=30, size=(320, 240))
    make_corrupt(root / "broken.jpg")
    make_image(root / ".git" / "hidden.jpg")
    (root / "notes.txt").write_text("caption ideas")
    (root / "launch" / "loop").symlink_to(root, target_is_directory=True)
    return root


EXPECTED = ["broken.jpg", "launch/banner.webp", "launch/hero.jpg", "launch/stories/tall.png",
            "launch/teaser.mp4"]  # fmt: skip


def _relative(paths: list[str], root: Path) -> list[str]:
    return [Path(path).relative_to(root).as_posix() for path in paths]


def test_a_folder_walk_finds_media_in_name_order_and_skips_hidden_notes_and_links(
    folder: Path,
) -> None:
    found = [str(path) for path in media_files([folder])]
    assert _relative(found, folder) == EXPECTED


def test_a_file_named_on_the_command_line_is_checked_whatever_its_name(folder: Path) -> None:
    assert list(media_files([folder / "notes.txt"])) == [folder / "notes.txt"]


def _json_lines(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, list[Report]]:
    code = main(argv)
    lines = capsys.readouterr().out.splitlines()
    return code, [Report.model_validate(json.loads(line)) for line in lines]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_each_file_is_reported_as_its_own_post_in_file_order(
    capsys: pytest.CaptureFixture[str], folder: Path, jobs: str
) -> None:
    argv = ["check", "--each", str(folder), "-p", "linkedin,tiktok", "--format", "json"]
    code, reports = _json_lines(capsys, [*argv, "-j", jobs])
    assert _relative([str(r.media[0].path) for r in reports], folder) == EXPECTED
    # the same answers as checking each file alone
    for report in reports:
        alone = mediarules.check([str(report.media[0].path)], platforms=["linkedin", "tiktok"])
        assert report == alone
    assert code == 1  # the broken file (and the images, for TikTok) are errors
    broken = reports[0]
    assert broken.violations[0].code == "media.unreadable"


def test_two_workers_print_exactly_what_one_prints(
    capsys: pytest.CaptureFixture[str], folder: Path
) -> None:
    argv = [
        "check",
        "--each",
        str(folder),
        "-p",
        "x,bluesky,tiktok",
        "--caption",
        "Launch day #ship",
    ]
    outputs = []
    for jobs in ("1", "2"):
        main([*argv, "--format", "json", "-j", jobs])
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert outputs[0].count("\n") == len(EXPECTED)


def test_text_output_is_a_line_per_file_and_a_closing_tally(
    capsys: pytest.CaptureFixture[str], folder: Path
) -> None:
    code = main(["check", "--each", str(folder / "launch"), "-p", "linkedin"])
    out = capsys.readouterr().out.splitlines()
    assert code == 1  # the teaser is too short for LinkedIn
    marks = {line.split()[1]: line.split()[0] for line in out if line.startswith(("✓", "⚠", "✗"))}
    launch = folder / "launch"
    assert marks == {
        str(launch / "banner.webp"): "⚠",  # LinkedIn converts WebP itself: a warning
        str(launch / "hero.jpg"): "✓",
        str(launch / "stories" / "tall.png"): "✓",
        str(launch / "teaser.mp4"): "✗",
    }
    assert any("linkedin" in line and "image.format_converted" in line for line in out)
    assert any("video.duration_too_short" in line for line in out)
    assert out[-1].startswith("4 files checked for 1 platform in ")
    assert out[-1].endswith("2 ready, 1 with warnings only, 1 with errors")


def test_a_clean_folder_exits_0_and_a_folder_with_errors_exits_1(
    capsys: pytest.CaptureFixture[str], folder: Path
) -> None:
    assert main(["check", "--each", str(folder / "launch" / "hero.jpg"), "-p", "x"]) == 0
    assert main(["check", "--each", str(folder / "broken.jpg"), "-p", "x"]) == 1
    capsys.readouterr()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--jobs", "0"], "must be 1 or more"),
        (["--alt", "a photo"], "--alt names one post's files"),
        (["{missing}"], "no such file or folder"),
    ],
)
def test_bad_batch_arguments_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], folder: Path, extra: list[str], message: str
) -> None:
    extra = [item.format(missing=folder / "missing") for item in extra]
    code = _exit_code(["check", "--each", str(folder), *extra, "-p", "x"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and message in err


def test_jobs_without_each_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], folder: Path
) -> None:
    assert main(["check", str(folder / "broken.jpg"), "-p", "x", "-j", "2"]) == 2
    assert "--jobs goes with --each" in capsys.readouterr().err


def _exit_code(argv: list[str]) -> int:
    """What ``main`` returns, or the code argparse exits with on a bad value."""
    try:
        return main(argv)
    except SystemExit as stopped:
        return int(stopped.code or 0)


@pytest.mark.parametrize(
    ("requested", "files", "expected"),
    [(3, 100, 3), (8, 2, 2), (None, 1, 1), (None, FILES_PER_WORKER, 1)],
)
def test_worker_count(requested: int | None, files: int, expected: int) -> None:
    assert worker_count(requested, files) == expected


def test_by_default_a_big_batch_gets_a_worker_per_cpu() -> None:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert worker_count(None, 10_000) == cpus
