"""``check --each``: every media file, alone or found in folders, checked as its own post.

For content folders in CI and pre-commit hooks. Files are checked in worker processes
(``--jobs``), handed out in chunks; a worker sends back each chunk's output ready to write
(:mod:`mediarules.cli.batch_work`), and this process writes the chunks in file order as they
come, keeping only a few chunks in flight, so memory stays flat whatever the number or size
of the files. Text output is one line per file (and one per violation); ``--format json`` is
JSON Lines, one ``Report`` per line, so a consumer can read the stream as it comes;
``github`` streams annotations; ``sarif`` writes one log at the end.
"""

from __future__ import annotations

import gc
import itertools
import math
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, TypeVar

from rich.console import Console
from rich.text import Text

from mediarules.checks.upload import EXTENSIONS
from mediarules.cli.batch_work import Drawn, Job, Look, Piece, PostSettings, Renderer, sarif_frame
from mediarules.cli.parser import UsageError
from mediarules.models import Report
from mediarules.remote import FetchError, FetchOptions, RemoteResult, fetch_each, is_url

if TYPE_CHECKING:  # a process pool, S3 and the progress bar are loaded only when used
    from concurrent.futures import Future, ProcessPoolExecutor

    from rich.progress import Progress

__all__ = ["PostSettings", "Tally", "entries", "media_files", "run_each", "run_each_remote",
           "worker_count"]  # fmt: skip

MEDIA_SUFFIXES = frozenset(EXTENSIONS)
"""What a folder walk picks up (a file named on the command line is always checked)."""

FILES_PER_WORKER = 16
"""Below this many files per worker, starting processes costs more than it saves."""

CHUNK_FILES = 32
"""Most files handed to a worker at a time. A chunk's round trip (its names out, its output
back, the thread wake-ups here) costs this process ~0.06 ms and ~1.4 ms per MB of output
(measured on 2 CPUs); 32 files take ~20 ms to check and make ~170 KB of JSON, so handing out
costs ~1%, and the workers end within a chunk of each other."""

CHUNKS_PER_WORKER = 4
"""Chunks handed out per worker before the oldest is written: enough that a slow chunk does
not leave a worker idle; few enough that memory does not grow with the batch."""


def media_files(paths: Iterable[Path]) -> Iterator[str]:
    """The files named, then the media files under each folder named, in name order.

    Hidden files and folders (``.git``, ``.DS_Store``) are skipped; symlinked folders are not
    followed, so a link loop cannot make the walk endless. Paths come as strings (a
    ``Path`` per file costs more than the walk itself).
    """
    for path in paths:
        if path.is_dir():
            yield from _walk(os.fspath(path))
        else:
            yield os.fspath(path)


def _walk(folder: str) -> Iterator[str]:
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:
        return  # an unreadable folder holds nothing we can check
    for entry in entries:
        name = entry.name
        if name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(entry.path)
        elif name[name.rfind(".") :].lower() in MEDIA_SUFFIXES:  # Path.suffix, without a Path
            yield entry.path


def entries(names: Iterable[str], options: FetchOptions) -> Iterator[str]:
    """``check --each`` inputs: URLs as they are, ``s3://bucket/prefix/`` as every object
    under it (listed page by page), local files and folders as :func:`media_files` finds."""
    for name in names:
        if is_url(name):
            if name.startswith("s3://") and name.endswith("/"):
                from mediarules.remote.s3 import list_prefix

                try:
                    yield from list_prefix(name, options)
                except FetchError as exc:
                    raise UsageError(str(exc)) from None
            else:
                yield name
        else:
            yield from media_files([Path(name)])


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
    renderer = Renderer(_job(settings, output, console, quiet=quiet, keep_reports=keep_reports))
    pieces = (renderer.piece([item]) for item in fetched_in_order(names, options))
    return _print_pieces(
        pieces, None, settings, output=output, console=console, progress=progress, quiet=quiet
    )


def worker_count(requested: int | None, files: int) -> int:
    """``--jobs``: as asked, or by default one per CPU, fewer for a small batch."""
    if requested is not None:
        return max(1, min(requested, files))
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cpus = cpus or 1
    return max(1, min(cpus, math.ceil(files / FILES_PER_WORKER)))


def chunk_size(files: int, jobs: int) -> int:
    """Files per chunk: :data:`CHUNK_FILES`, fewer for a small batch, so that each worker
    gets a few chunks (and the first lines come early)."""
    return max(1, min(CHUNK_FILES, files // (jobs * CHUNKS_PER_WORKER)))


def _job(
    settings: PostSettings, output: str, console: Console, *, quiet: bool, keep_reports: bool
) -> Job:
    look = Look.of(console) if output == "text" else None
    return Job(settings, output, Path.cwd(), look, quiet=quiet, keep_reports=keep_reports)


@contextmanager
def _worker_pool(job: Job, jobs: int) -> Iterator[ProcessPoolExecutor]:
    """``jobs`` worker processes, started before the caller starts any thread of its own.

    On Linux the workers are forked: they start in milliseconds with mediarules already
    imported and the rules loaded (a fork server or spawn pays ~0.3 s to import it again).
    They are all forked by the first ``submit``, here, while this process has no other thread
    (the progress bar's comes later), which is what makes forking safe. What is loaded by
    then is frozen out of the garbage collector, so that no collection, here or in a worker,
    writes to the pages they share (half the workers' page faults). Elsewhere they are
    spawned.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = "fork" if sys.platform == "linux" else "spawn"
    freeze = method == "fork" and gc.get_freeze_count() == 0  # a caller's own freeze is theirs
    if freeze:
        gc.freeze()
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context(method),
        initializer=_start_worker,
        initargs=(job,),
    )
    try:
        pool.submit(int).result()  # launches every worker now
        yield pool
    finally:  # also when stopped early (a closed pipe, Ctrl-C): drop the chunks not started
        pool.shutdown(wait=True, cancel_futures=True)
        if freeze:
            gc.unfreeze()


_WORKER: list[Renderer] = []


def _start_worker(job: Job) -> None:
    _WORKER.append(Renderer(job))


def _piece_in_worker(paths: Sequence[str]) -> Piece:
    return _WORKER[0].piece(paths)


_In = TypeVar("_In")
_Out = TypeVar("_Out")


def in_order(
    submit: Callable[[_In], Future[_Out]], tasks: Iterable[_In], ahead: int
) -> Iterator[_Out]:
    """Each task's result, in task order, with at most ``ahead`` tasks submitted and not yet
    given back (so results wait here for at most ``ahead`` tasks, whatever their number)."""
    pending: deque[Future[_Out]] = deque()
    for task in tasks:
        if len(pending) >= ahead:
            yield pending.popleft().result()
        pending.append(submit(task))
    while pending:
        yield pending.popleft().result()


@dataclass
class Tally:
    """Counts for the closing line (and the reports, when the caller keeps them)."""

    files: int = 0
    failed: int = 0
    warned: int = 0
    reports: list[Report] = field(default_factory=list)

    def add(self, piece: Piece) -> None:
        self.files += piece.files
        self.failed += piece.failed
        self.warned += piece.warned
        self.reports += piece.reports


def run_each(
    files: Sequence[str | os.PathLike[str]],
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
    (memory then grows with the number of files).

    With one job, no process is started: this one checks the files."""
    names = [os.fspath(path) for path in files]
    job = _job(settings, output, console, quiet=quiet, keep_reports=keep_reports)
    size = chunk_size(len(names), jobs)
    chunks = (names[start : start + size] for start in range(0, len(names), size))
    with ExitStack() as stack:
        pieces: Iterator[Piece]
        if jobs > 1:
            pool = stack.enter_context(_worker_pool(job, jobs))
            pieces = in_order(
                lambda chunk: pool.submit(_piece_in_worker, chunk), chunks,
                ahead=jobs * CHUNKS_PER_WORKER,
            )  # fmt: skip
        else:
            pieces = map(Renderer(job).piece, chunks)
        return _print_pieces(
            pieces, len(names), settings, output=output, console=console,
            progress=progress, quiet=quiet,
        )  # fmt: skip


def _print_pieces(
    pieces: Iterable[Piece],
    total: int | None,
    settings: PostSettings,
    *,
    output: str,
    console: Console,
    progress: Console | None,
    quiet: bool,
) -> Tally:
    """Write each piece as it comes (a progress bar on ``progress``), then the closing."""
    tally = Tally()
    began = time.perf_counter()
    stdout = sys.stdout  # taken before a progress bar stands in for it
    sarif: list[str] = []
    with ExitStack() as stack:
        bar = stack.enter_context(_progress(progress)) if progress else None
        task = bar.add_task("checking", total=total) if bar else None
        write = _writer(output, console, stdout, bar is not None and progress is console)
        for piece in pieces:
            tally.add(piece)
            if piece.sarif:
                sarif.append(piece.sarif)
            if piece.text:
                write(piece.text)
            if bar is not None and task is not None:
                bar.advance(task, piece.files)
    if output == "sarif":
        stdout.write(sarif_frame().log(sarif) + "\n")
    elif output == "text" and not quiet:
        console.print(_closing_line(tally, len(settings.platforms), time.perf_counter() - began))
    return tally


def _writer(
    output: str, console: Console, stdout: IO[str], bar_on_console: bool
) -> Callable[[str], None]:
    """How ready output reaches its reader.

    Text goes to the output console's stream, through the console itself when the progress
    bar is drawn on it (the lines then print above the bar), or read back into styles for an
    old Windows console (which draws colour by API calls, not escape codes). Other formats go
    to standard output; while a bar is drawn, rich stands in for ``sys.stdout`` with a proxy
    that prints on the bar's console: that proxy is used only when standard output is that
    terminal, never when it is a pipe or a file (the lines would go to the terminal instead).
    """
    if output == "text":
        if console.legacy_windows:
            return lambda text: console.print(Text.from_ansi(text), end="")
        if bar_on_console:
            return lambda text: console.print(Drawn(text), end="")
        stream = console.file

        def to_console_stream(text: str) -> None:
            stream.write(text)
            stream.flush()

        return to_console_stream
    if stdout.isatty():

        def through_the_bar(text: str) -> None:
            sys.stdout.write(text)
            sys.stdout.flush()

        return through_the_bar

    def to_stdout(text: str) -> None:
        stdout.write(text)
        stdout.flush()

    return to_stdout


def _progress(console: Console) -> Progress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
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
