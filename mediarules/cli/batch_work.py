"""What a ``check --each`` worker does: check files, each as its own post, and make their
output there (the text, JSON lines, annotations or SARIF results), so the parent only writes.

A worker draws text with a console set up like the one the parent prints to (:class:`Look`),
so the bytes are those the parent's console would have written itself; SARIF results are
indented as they sit in the log (:class:`SarifFrame`), so the log is the one ``json_text``
makes of every result at once.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, cast

from rich.console import Console, ConsoleOptions
from rich.segment import Segment
from rich.text import Text

from mediarules import __version__
from mediarules.api import check
from mediarules.formatting import echo_message, echo_name
from mediarules.models import Report, Severity, Violation
from mediarules.outputs.ci_formats import github_annotations, sarif_log, sarif_results
from mediarules.outputs.render import json_line, json_text, printable
from mediarules.remote import RemoteResult
from mediarules.ruleset import RuleSet

_ColorSystem = Literal["auto", "standard", "256", "truecolor", "windows"]


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


@dataclass(frozen=True)
class Look:
    """How a console draws text: what a worker needs to draw the bytes it would."""

    width: int
    color_system: str | None
    terminal: bool
    no_color: bool
    soft_wrap: bool
    legacy_windows: bool

    @classmethod
    def of(cls, console: Console) -> Look:
        return cls(
            width=console.width,
            color_system=console.color_system,
            terminal=console.is_terminal,
            no_color=console.no_color,
            soft_wrap=console.soft_wrap,
            legacy_windows=console.legacy_windows,
        )

    def console(self) -> Console:
        """A console that draws like the one this look was taken from, into a string."""
        return Console(
            file=io.StringIO(),
            width=self.width,
            color_system=cast("_ColorSystem | None", self.color_system),
            force_terminal=self.terminal,
            force_jupyter=False,
            no_color=self.no_color,
            soft_wrap=self.soft_wrap,
            highlight=False,
            legacy_windows=self.legacy_windows,
        )


class Drawn:
    """Text a worker drew, for a console to print as it is (above its progress bar)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        yield Segment(self.text)


@dataclass(frozen=True)
class SarifFrame:
    """The SARIF log around its results: ``head``, each result indented by ``indent``, joined
    by ``,\\n``, then ``tail`` is ``json_text(sarif_log(results))``, made a piece at a time."""

    head: str
    indent: str
    tail: str

    def item(self, result: dict[str, Any]) -> str:
        return self.indent + json_text(result).replace("\n", "\n" + self.indent)

    def log(self, items: Iterable[str]) -> str:
        """The log of the results ``items`` (each made by :meth:`item`; ``""`` for none),
        made as ``json_text`` makes it."""
        joined = ",\n".join(item for item in items if item)
        if not joined:
            return json_text(sarif_log([], version=__version__))
        return self.head + joined + self.tail


@cache
def sarif_frame() -> SarifFrame:
    marker = "mediarules-sarif-results"  # a string where the results go, to find them
    text = json_text(sarif_log([cast("dict[str, Any]", marker)], version=__version__))
    at = text.index(json.dumps(marker))
    line_start = text.rindex("\n", 0, at) + 1
    return SarifFrame(
        head=text[:line_start], indent=text[line_start:at], tail=text[at + len(marker) + 2 :]
    )


@dataclass(frozen=True)
class Job:
    """What each worker is told once: the posts' settings and how to give back their output."""

    settings: PostSettings
    output: str
    base: Path
    """The folder file names in annotations and SARIF are relative to (the caller's)."""
    look: Look | None = None
    """For text output: how the output console draws."""
    quiet: bool = False
    keep_reports: bool = False
    """Also send back every report (for ``--html``)."""


@dataclass(frozen=True)
class Piece:
    """Some files checked, in order: their output ready to write, and the counts."""

    text: str
    files: int
    failed: int
    warned: int
    sarif: str = ""
    """Their SARIF results, made by :meth:`SarifFrame.item`, joined by ``,\\n``."""
    reports: tuple[Report, ...] = ()


class Renderer:
    """Checks files and makes their output; one for each process that checks."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self._console = job.look.console() if job.look is not None else None
        self._sarif = sarif_frame() if job.output == "sarif" else None

    def piece(self, paths: Iterable[str | RemoteResult]) -> Piece:
        job = self.job
        parts: list[str] = []
        sarif: list[str] = []
        reports: list[Report] = []
        files = failed = warned = 0
        for path in paths:
            report = job.settings.check(path)
            files += 1
            if not report.ok:
                failed += 1
            elif report.warnings:
                warned += 1
            if job.keep_reports:
                reports.append(report)
            self._add(report, parts, sarif)
        return Piece("".join(parts), files, failed, warned, ",\n".join(sarif), tuple(reports))

    def _add(self, report: Report, parts: list[str], sarif: list[str]) -> None:
        output = self.job.output
        if output == "json":
            parts.append(printable(json_line(report.model_dump(mode="json"))) + "\n")
        elif output == "github":
            annotations = github_annotations(report, self.job.base)
            if annotations:
                parts.append(printable("\n".join(annotations)) + "\n")
        elif output == "sarif" and self._sarif is not None:
            sarif.extend(map(self._sarif.item, sarif_results(report, self.job.base)))
        elif output == "text" and self._console is not None:
            with self._console.capture() as capture:
                print_file(report, self._console, quiet=self.job.quiet)
            parts.append(capture.get())


_MARKS = {
    Severity.ERROR: ("✗", "bold red"),
    Severity.WARNING: ("⚠", "yellow"),
    Severity.INFO: ("i", "cyan"),
}


def print_file(report: Report, console: Console, *, quiet: bool = False) -> None:
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
