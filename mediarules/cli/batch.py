"""``check --each``: every media file, alone or found in folders, checked as its own post.

For content folders in CI and pre-commit hooks. Files are checked in worker processes
(``--jobs``); results are printed as they arrive, in file order, and never kept, so memory
stays flat whatever the number or size of the files. Text output is one line per file (and
one per violation); ``--format json`` is JSON Lines, one ``Report`` per line, so a consumer
can read the stream as it comes; ``github`` streams annotations; ``sarif`` writes one log at
the end.
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import os
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.text import Text

from mediarules import __version__
from mediarules.api import check
from mediarules.checks.upload import EXTENSIONS
from mediarules.cli.parser import UsageError
from mediarules.formatting import echo_message, echo_name
from mediarules.models import Report, Severity, Violation
from mediarules.outputs.ci_formats import github_annotations, sarif_log, sarif_results
from mediarules.outputs.render import json_line, json_text, printable
from mediarules.remote import FetchError, FetchOptions, RemoteResult, fetch_each, is_url
from mediarules.remote.s3 import list_prefix
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
    tags: tuple[str, ...] | None = None
    poll: bool = False

    def check(self, path: str | RemoteResult) -> Report:
        return check(
            [path],
            platforms=self.platforms,
            caption=self.caption,
            title=self.title,
            account_type=self.account_type,
            content_warning=self.content_warning,
            tags=self.tags,
            poll=self.poll,
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


def entries(names: Iterable[str], options: FetchOptions) -> Iterator[str]:
    """``check --each`` inputs: URLs as they are, ``s3://bucket/prefix/`` as every object
    under it (listed page by page), local files and folders as :func:`media_files` finds."""
    for name in names:
        if is_url(name):
            if name.startswith("s3://") and name.endswith("/"):
                try:
                    yield from list_prefix(name, options)
                except FetchError as exc:
                    raise UsageError(str(exc)) from None
            else:
                yield name
        else:
            yield from map(os.fspath, media_files([Path(name)]))


def fetched_in_order(names: Iterable[str], options: FetchOptions) -> Iterator[str | RemoteResult]:
    """Each name in order: a URL as its fetched result (fetched ``options.concurrency`` at a
    time, ahead of the output), a local path as it is."""
    ahead, behind = itertools.tee(names)
    results = fetch_each((name for name in ahead if is_url(name)), options)
    for name in behind:
        yield next(results) if is_url(name) else name


def run_each_remote(
    names: Iterable[str],
    settings: PostSettings,
    options: FetchOptions,
    *,
    output: str,
    console: Console,
    progress: Console | None,
    quiet: bool = False,
    keep_reports: bool = False,
) -> Tally:
    """:func:`run_each` for inputs that hold URLs: fetched by threads in this process (the
    work is waiting on the network, not the CPU), checked and printed in input order."""
    job = Job(settings, output, keep_reports)
    return _print_outcomes(
        map(job.outcome, fetched_in_order(names, options)), None, settings, output=output,
        console=console, progress=progress, quiet=quiet, keep_reports=keep_reports,
    )  # fmt: skip


def worker_count(requested: int | None, files: int) -> int:
    """``--jobs``: as asked, or by default one per CPU, fewer for a small batch."""
    if requested is not None:
        return max(1, min(requested, files))
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cpus = cpus or 1
    return max(1, min(cpus, math.ceil(files / FILES_PER_WORKER)))


@dataclass(frozen=True)
class Outcome:
    """One file's result as the printer needs it, small to send back from a worker: the
    report itself for text output, or its JSON line already made (the parent only writes)."""

    ok: bool
    warned: bool
    report: Report | None = None
    line: str | None = None
    sarif: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Job:
    """What each worker is told once: the posts' settings, the output format, and whether
    the parent keeps every report (for ``--html``)."""

    settings: PostSettings
    output: str
    keep_reports: bool = False

    def outcome(self, path: str | RemoteResult) -> Outcome:
        report = self.settings.check(path)
        kept = report if self.keep_reports or self.output == "text" else None
        ok, warned = report.ok, bool(report.warnings)
        if self.output == "json":
            line = json_line(report.model_dump(mode="json"))
            return Outcome(ok, warned, report=kept, line=line)
        if self.output == "github":
            annotations = github_annotations(report, Path.cwd())
            return Outcome(ok, warned, report=kept, line="\n".join(annotations) or None)
        if self.output == "sarif":  # only the results are kept until the log is written
            results = tuple(sarif_results(report, Path.cwd()))
            return Outcome(ok, warned, report=kept, sarif=results)
        return Outcome(ok, warned, report=kept)


@contextmanager
def _worker_pool(job: Job, jobs: int) -> Iterator[Executor]:
    """``jobs`` worker processes, started before the caller starts any thread of its own.

    On Linux the workers are forked: they start in milliseconds with mediarules already
    imported and the rules loaded (a fork server or spawn pays ~0.3 s to import it again).
    They are all forked here, while this process has no other thread (the progress bar's
    comes later), which is what makes forking safe. Elsewhere they are spawned.
    """
    method = "fork" if sys.platform == "linux" else "spawn"
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context(method),
        initializer=_start_worker,
        initargs=(job,),
    )
    try:
        pool.submit(int).result()  # launches every worker now
        yield pool
    finally:  # also when stopped early (a closed pipe, Ctrl-C): drop the files not started
        pool.shutdown(wait=True, cancel_futures=True)


_WORKER: list[Job] = []


def _start_worker(job: Job) -> None:
    _WORKER.append(job)


def _outcome_in_worker(path: str) -> Outcome:
    return _WORKER[0].outcome(path)


@dataclass
class Tally:
    """Counts for the closing line (and the reports, when the caller keeps them)."""

    files: int = 0
    failed: int = 0
    warned: int = 0
    reports: list[Report] = field(default_factory=list)

    def add(self, outcome: Outcome, *, keep: bool) -> None:
        self.files += 1
        if keep and outcome.report is not None:
            self.reports.append(outcome.report)
        if not outcome.ok:
            self.failed += 1
        elif outcome.warned:
            self.warned += 1


def run_each(
    files: Sequence[Path],
    settings: PostSettings,
    *,
    jobs: int,
    output: str,
    console: Console,
    progress: Console | None,
    quiet: bool = False,
    keep_reports: bool = False,
) -> Tally:
    """Check every file and print each result as it comes, in file order, with a progress
    bar on the ``progress`` console if given (the output console itself when both are the
    terminal, so lines print above the bar). ``keep_reports``: also return every report
    (memory then grows with the number of files)."""
    names = [os.fspath(path) for path in files]
    job = Job(settings, output, keep_reports)
    with ExitStack() as stack:
        outcomes: Iterator[Outcome]
        if jobs > 1:
            pool = stack.enter_context(_worker_pool(job, jobs))
            # Chunks amortise the round trip to a worker; small enough that the first
            # results arrive early and the workers finish together.
            chunk = max(1, min(64, len(names) // (jobs * 8)))
            outcomes = pool.map(_outcome_in_worker, names, chunksize=chunk)
        else:
            outcomes = map(job.outcome, names)
        return _print_outcomes(
            outcomes, len(names), settings, output=output, console=console,
            progress=progress, quiet=quiet, keep_reports=keep_reports,
        )  # fmt: skip


def _print_outcomes(
    outcomes: Iterable[Outcome],
    total: int | None,
    settings: PostSettings,
    *,
    output: str,
    console: Console,
    progress: Console | None,
    quiet: bool,
    keep_reports: bool,
) -> Tally:
    """Print each outcome as it comes (a progress bar on ``progress``), then the closing."""
    tally = Tally()
    began = time.perf_counter()
    with ExitStack() as stack:
        bar = stack.enter_context(_progress(progress)) if progress else None
        task = bar.add_task("checking", total=total) if bar else None
        sarif: list[dict[str, Any]] = []
        for outcome in outcomes:
            tally.add(outcome, keep=keep_reports)
            sarif += outcome.sarif
            if outcome.line is not None:
                sys.stdout.write(printable(outcome.line) + "\n")
                sys.stdout.flush()
            elif output == "text" and outcome.report is not None:
                _print_file(outcome.report, console, quiet=quiet)
            if bar is not None and task is not None:
                bar.advance(task)
    if output == "sarif":
        sys.stdout.write(json_text(sarif_log(sarif, version=__version__)) + "\n")
    elif output == "text" and not quiet:
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


def _print_file(report: Report, console: Console, *, quiet: bool = False) -> None:
    """``✓ path`` for a clean file; otherwise its mark, then one line per violation.
    ``quiet``: only a file with errors, and only its errors."""
    path = echo_name(str(report.media[0].path)) if report.media else "?"
    if quiet:
        if not report.ok:
            console.print(Text.assemble(("✗ ", "bold red"), (path, "bold")))
            for violation in report.errors:
                console.print(_violation_line(violation))
        return
    if not report.violations:
        console.print(Text.assemble(("✓ ", "green"), path))
        return
    worst = min((v.severity for v in report.violations), key=lambda s: s.rank)
    mark, style = _MARKS[worst]
    console.print(Text.assemble((f"{mark} ", style), (path, "bold")))
    for violation in report.violations:
        console.print(_violation_line(violation))


def _violation_line(violation: Violation) -> Text:
    mark, style = _MARKS[violation.severity]
    platform, code = echo_name(violation.platform), echo_name(violation.code)
    return Text.assemble(
        "    ", (f"{mark} {platform:<12} {code:<28} ", style), echo_message(violation.message)
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
