"""``check --each``: every media file, alone or found in folders, checked as its own post.

For content folders in CI and pre-commit hooks. Files are checked in worker processes
(``--jobs``), results are printed as they arrive, in file order, and never kept: memory stays
flat whatever the number or size of the files. Text output is one line per file (and one per
violation); ``--format json`` is JSON Lines, one ``Report`` per line, so a consumer can read
the stream as it comes.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.text import Text

from mediarules.api import check
from mediarules.checks.upload import EXTENSIONS
from mediarules.models import Report, Severity
from mediarules.render import json_line
from mediarules.ruleset import RuleSet

MEDIA_SUFFIXES = frozenset(EXTENSIONS)
"""What a folder walk picks up (a file named on the command line is always checked)."""

FILES_PER_WORKER = 16
"""Below this many files per worker, starting processes costs more than it saves."""


@dataclass(frozen=True)
class PostSettings:
    """What every post of the batch shares: its platforms, rules and text."""

    platforms: tuple[str, ...]
    rules: RuleSet
    caption: str | None = None
    title: str | None = None
    account_type: str | None = None
    content_warning: str | None = None

    def check(self, path: str) -> Report:
        return check(
            [path],
            platforms=self.platforms,
            caption=self.caption,
            title=self.title,
            account_type=self.account_type,
            content_warning=self.content_warning,
            rules=self.rules,
        )


def media_files(paths: Iterable[Path]) -> Iterator[Path]:
    """The files named, then the media files under each folder named, in name order.

    Hidden files and folders (``.git``, ``.DS_Store``) are skipped; symlinked folders are not
    followed, so a link loop cannot make the walk endless.
    """
    for path in paths:
        if path.is_dir():
            yield from _walk(path)
        else:
            yield path


def _walk(folder: Path) -> Iterator[Path]:
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:
        return  # an unreadable folder holds nothing we can check
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path))
        elif Path(entry.name).suffix.lower() in MEDIA_SUFFIXES:
            yield Path(entry.path)


def worker_count(requested: int | None, files: int) -> int:
    """``--jobs``: as asked, or by default one per CPU, fewer for a small batch."""
    if requested is not None:
        return max(1, min(requested, files))
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cpus = cpus or 1
    return max(1, min(cpus, math.ceil(files / FILES_PER_WORKER)))


def check_each(files: Sequence[Path], settings: PostSettings, jobs: int) -> Iterator[Report]:
    """One report per file, in file order, as soon as each is ready."""
    names = [os.fspath(path) for path in files]
    if jobs <= 1:
        yield from map(settings.check, names)
        return
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=_process_context(),
        initializer=_start_worker,
        initargs=(settings,),
    )
    try:
        # Chunks amortise the round trip to a worker; small enough that the first results
        # arrive early and the workers finish together.
        chunk = max(1, min(64, len(names) // (jobs * 8)))
        yield from pool.map(_check_in_worker, names, chunksize=chunk)
    finally:  # stopped early (a closed pipe, Ctrl-C): drop the files not started yet
        pool.shutdown(wait=True, cancel_futures=True)


def _process_context() -> multiprocessing.context.BaseContext:
    """A fork server where there is one: workers start from a process that has already
    imported mediarules, without forking this one (its threads, its open files)."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["mediarules.cli.batch"])
        return context
    return multiprocessing.get_context("spawn")


_WORKER_SETTINGS: list[PostSettings] = []


def _start_worker(settings: PostSettings) -> None:
    _WORKER_SETTINGS.append(settings)


def _check_in_worker(path: str) -> Report:
    return _WORKER_SETTINGS[0].check(path)


@dataclass
class Tally:
    """Counts for the closing line."""

    files: int = 0
    failed: int = 0
    warned: int = 0

    def add(self, report: Report) -> None:
        self.files += 1
        if not report.ok:
            self.failed += 1
        elif report.warnings:
            self.warned += 1


def run_each(
    files: Sequence[Path],
    settings: PostSettings,
    *,
    jobs: int,
    output: str,
    console: Console,
    progress: Console | None,
) -> Tally:
    """Check and print every file, with a progress bar on the ``progress`` console if given
    (the output console itself when both are the terminal, so lines print above the bar)."""
    tally = Tally()
    began = time.perf_counter()
    with ExitStack() as stack:
        bar = stack.enter_context(_progress(progress)) if progress else None
        task = bar.add_task("checking", total=len(files)) if bar else None
        for report in check_each(files, settings, jobs):
            tally.add(report)
            if output == "json":
                sys.stdout.write(json_line(report.model_dump(mode="json")) + "\n")
                sys.stdout.flush()
            else:
                _print_file(report, console)
            if bar is not None and task is not None:
                bar.advance(task)
    if output != "json":
        console.print(_closing_line(tally, len(settings.platforms), time.perf_counter() - began))
    return tally


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )


_MARKS = {
    Severity.ERROR: ("✗", "bold red"),
    Severity.WARNING: ("⚠", "yellow"),
    Severity.INFO: ("i", "cyan"),
}


def _print_file(report: Report, console: Console) -> None:
    """``✓ path`` for a clean file; otherwise its mark, then one line per violation."""
    path = report.media[0].path if report.media else "?"
    if not report.violations:
        console.print(Text.assemble(("✓ ", "green"), str(path)))
        return
    worst = min((v.severity for v in report.violations), key=lambda s: s.rank)
    mark, style = _MARKS[worst]
    console.print(Text.assemble((f"{mark} ", style), (str(path), "bold")))
    for violation in report.violations:
        mark, style = _MARKS[violation.severity]
        console.print(
            Text.assemble(
                "    ",
                (f"{mark} {violation.platform:<12} {violation.code:<28} ", style),
                violation.message,
            )
        )


def _closing_line(tally: Tally, platforms: int, seconds: float) -> Text:
    ready = tally.files - tally.failed - tally.warned
    return Text.assemble(
        f"{tally.files} files checked for {platforms} platform{'s' if platforms != 1 else ''}"
        f" in {seconds:.1f} s: ",
        (f"{ready} ready", "green"),
        ", ",
        (f"{tally.warned} with warnings only", "yellow" if tally.warned else ""),
        ", ",
        (f"{tally.failed} with errors", "bold red" if tally.failed else ""),
    )
