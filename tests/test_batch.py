"""``check --each``: a folder of media, each file its own post, in worker processes."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from rich.console import Console
from rich.text import Text

import mediarules
from mediarules.cli import batch, main
from mediarules.cli.batch import FILES_PER_WORKER, chunk_size, in_order, media_files, worker_count
from mediarules.cli.batch_work import (
    Drawn,
    Job,
    Look,
    PostSettings,
    Renderer,
    print_file,
    sarif_frame,
)
from mediarules.models import Report
from mediarules.outputs.ci_formats import github_annotations, sarif_log, sarif_results
from mediarules.outputs.render import json_line, json_text, printable
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
    assert list(media_files([folder / "notes.txt"])) == [str(folder / "notes.txt")]


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


@pytest.mark.parametrize(("files", "jobs", "expected"), [(3000, 2, 32), (100, 2, 12), (5, 2, 1)])
def test_chunks_are_smaller_for_a_small_batch(files: int, jobs: int, expected: int) -> None:
    assert chunk_size(files, jobs) == expected


# ---------------------------------------------------------------------------------------------
# the output: made in the workers, the same bytes whatever the number of workers


@pytest.fixture(scope="module")
def many(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The content folder's files over and over (names that are not ASCII, a name that is
    not UTF-8), enough for many chunks."""
    root = tmp_path_factory.mktemp("many")
    sources = [Path(name) for name in media_files([folder])]
    names = ["Ünïcode ✓", "caf\udce9", "plain"]
    for index in range(40):
        source = sources[index % len(sources)]
        name = f"{index:03d} {names[index % len(names)]}{source.suffix}"
        os.link(source, os.fsencode(root) + b"/" + os.fsencode(name))
    return root


_ELAPSED = re.compile(r" in \d+\.\d s: ")


def _stdout(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    code = main(argv)
    return code, _ELAPSED.sub(" in (time) s: ", capsys.readouterr().out)


@pytest.mark.parametrize("output", ["text", "json", "github", "sarif", "quiet"])
def test_two_workers_write_the_bytes_one_writes_in_every_format(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    many: Path,
    output: str,
) -> None:
    # a file a chunk and one chunk ahead per worker: the most hand-offs and waits in order
    monkeypatch.setattr(batch, "CHUNK_FILES", 1)
    monkeypatch.setattr(batch, "CHUNKS_PER_WORKER", 1)
    options = ["-q"] if output == "quiet" else ["--format", output]
    argv = ["check", "--each", str(many), "-p", "x,linkedin,tiktok", "--caption", "Launch ✓",
            *options]  # fmt: skip
    one = _stdout(capsys, [*argv, "-j", "1"])
    two = _stdout(capsys, [*argv, "-j", "2"])
    three = _stdout(capsys, [*argv, "-j", "3"])
    assert one == two == three
    code, out = one
    assert code == 1 and out
    if output == "json":
        assert out.count("\n") == 40


def _look(terminal: bool) -> tuple[Console, Look]:
    """A console as ``check`` makes one (a terminal's, with colour, or a pipe's)."""
    console = Console(
        file=io.StringIO(),
        force_terminal=terminal,
        color_system="truecolor" if terminal else None,
        width=100 if terminal else 200,
        soft_wrap=True,
        highlight=False,
    )
    return console, Look.of(console)


def _reports(root: Path, settings: PostSettings) -> list[Report]:
    return [settings.check(name) for name in media_files([root])]


@pytest.mark.parametrize("terminal", [True, False])
@pytest.mark.parametrize("quiet", [True, False])
def test_text_drawn_in_a_worker_is_what_the_console_draws(
    many: Path, terminal: bool, quiet: bool
) -> None:
    settings = PostSettings(("x", "linkedin", "tiktok"), mediarules.default_rules())
    console, look = _look(terminal)
    for report in _reports(many, settings):
        print_file(report, console, quiet=quiet)
    expected = console.file.getvalue()  # type: ignore[attr-defined]
    assert ("\x1b[" in expected) is terminal

    job = Job(settings, "text", Path.cwd(), look, quiet=quiet)
    drawn = Renderer(job).piece(media_files([many])).text
    assert drawn == expected
    # and printed by a console above its progress bar, it stays as it is
    again, _ = _look(terminal)
    again.print(Drawn(drawn), end="")
    assert again.file.getvalue() == expected  # type: ignore[attr-defined]


def test_an_old_windows_console_prints_the_same_styled_text(many: Path) -> None:
    """It draws colour by API calls: the escape codes a worker drew are read back."""
    settings = PostSettings(("x", "linkedin", "tiktok"), mediarules.default_rules())
    _, look = _look(terminal=True)
    drawn = Renderer(Job(settings, "text", Path.cwd(), look)).piece(media_files([many])).text
    legacy = Console(file=io.StringIO(), force_terminal=True, color_system="truecolor",
                     soft_wrap=True, legacy_windows=True)  # fmt: skip
    batch._writer("text", legacy, io.StringIO(), bar_on_console=False)(drawn)
    printed = legacy.file.getvalue()  # type: ignore[attr-defined]
    assert Text.from_ansi(printed) == Text.from_ansi(drawn)
    assert printed.count("\n") == drawn.count("\n") > 40


def test_json_github_and_sarif_are_what_each_file_checked_alone_gives(
    many: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(many.parent)
    settings = PostSettings(("x", "linkedin", "tiktok"), mediarules.default_rules())
    reports = _reports(many, settings)
    names = list(media_files([many]))

    def made(output: str) -> tuple[str, str]:
        piece = Renderer(Job(settings, output, Path.cwd())).piece(names)
        assert piece.files == len(names)
        assert piece.failed == sum(not report.ok for report in reports)
        return piece.text, piece.sarif

    # as the command wrote them, a file at a time, before they were made in workers
    lines = [json_line(report.model_dump(mode="json")) for report in reports]
    assert made("json")[0] == "".join(printable(line) + "\n" for line in lines)
    annotations = ["\n".join(github_annotations(report, Path.cwd())) for report in reports]
    assert made("github")[0] == "".join(printable(block) + "\n" for block in annotations if block)
    assert "\\xe9" in made("github")[0]  # the name that is not UTF-8, escaped
    results = [result for report in reports for result in sarif_results(report, Path.cwd())]
    assert results
    expected = json_text(sarif_log(results, version=mediarules.__version__))
    assert sarif_frame().log([made("sarif")[1]]) == expected


def test_a_sarif_log_without_results_is_the_one_json_text_makes() -> None:
    empty = json_text(sarif_log([], version=mediarules.__version__))
    assert sarif_frame().log([]) == sarif_frame().log(["", ""]) == empty


def test_reports_kept_for_html_come_back_in_file_order_from_two_workers(many: Path) -> None:
    settings = PostSettings(("x", "linkedin"), mediarules.default_rules())
    names = list(media_files([many]))
    console = Console(file=io.StringIO())
    tally = batch.run_each(names, settings, jobs=2, output="json", console=console,
                           progress=None, keep_reports=True)  # fmt: skip
    assert tally.reports == [settings.check(name) for name in names]
    assert tally.files == len(names)
    assert tally.failed == sum(not report.ok for report in tally.reports)


def test_results_come_in_task_order_with_a_bounded_number_ahead() -> None:
    delays = [0.03, 0.0, 0.02, 0.0, 0.01, 0.03, 0.0, 0.0, 0.02, 0.0]
    submitted = 0

    def work(index: int) -> int:
        time.sleep(delays[index])
        return index

    with ThreadPoolExecutor(3) as pool:

        def submit(index: int) -> Future[int]:
            nonlocal submitted
            submitted += 1
            return pool.submit(work, index)

        given: list[int] = []
        for index in in_order(submit, range(len(delays)), ahead=3):
            assert submitted - len(given) <= 3  # never more than 3 handed out and not given
            given.append(index)
    assert given == list(range(len(delays)))


def test_lines_go_to_a_piped_stdout_while_the_bar_is_on_the_terminal(many: Path) -> None:
    """A progress bar on the terminal (stderr) must not take the JSON lines meant for a file:
    rich stands in for ``sys.stdout`` while it draws."""
    leader, follower = pty.openpty()
    seen = bytearray()
    reader = threading.Thread(target=_drain, args=(leader, seen), daemon=True)
    reader.start()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "mediarules", "check", "--each", str(many), "-p", "x",
             "--format", "json", "-j", "2"],
            stdout=subprocess.PIPE, stderr=follower, check=False, timeout=120,
        )  # fmt: skip
    finally:
        os.close(follower)
        reader.join(timeout=10)
        os.close(leader)
    lines = done.stdout.decode().splitlines()
    assert done.returncode == 1
    assert len(lines) == 40 and all(json.loads(line)["media"] for line in lines)
    assert b"checking" in seen  # the bar was drawn, on the terminal
    assert b'"violations"' not in seen


def _drain(fd: int, into: bytearray) -> None:
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the other end closed
            return
        if not chunk:
            return
        into += chunk
