"""Reports and rules as people read them (rich text) and as programs read them (JSON).

rich is imported only to style text for a terminal: JSON never needs it, and a report's text
lines are :class:`Line` records that a :class:`PlainConsole` writes as rich would write them
where nothing is styled (a pipe, a file), without loading rich.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import IO, TYPE_CHECKING, Any, Literal, TypeAlias, cast

from mediarules.formatting import (
    echo_message,
    echo_name,
    human_bytes,
    human_fps,
    human_seconds,
    shorten,
)
from mediarules.models import (
    ALL_PLATFORMS,
    Evidence,
    Fix,
    MediaFacts,
    Report,
    Severity,
    Violation,
)
from mediarules.plain_records import NotPlainError, to_jsonable
from mediarules.ruleset import CITATION_KEYS, SECTIONS, PlatformRules, RuleSet

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from mediarules.fixes.apply import FixResult

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with each lone surrogate as a backslash escape.

    A file name that is not valid UTF-8 reaches Python with its bad bytes as surrogates
    (``b"caf\\xe9"`` is ``"caf\\udce9"``), which a UTF-8 terminal or pipe cannot take: they are
    shown as ``\\xe9``, the byte itself, like ``ls -b`` (other lone surrogates as ``\\udxxx``).
    """
    if text.isascii():
        return text
    return _LONE_SURROGATE.sub(_escape_surrogate, text)


def _escape_surrogate(match: re.Match[str]) -> str:
    point = ord(match.group())
    return f"\\x{point - 0xDC00:02x}" if 0xDC80 <= point <= 0xDCFF else f"\\u{point:04x}"


class _PrintableWriter:
    """A text stream that passes everything through :func:`printable` on its way out."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(printable(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def printable_stream(stream: IO[str]) -> IO[str]:
    """``stream`` for a rich ``Console``: undecodable file names never crash the output."""
    return cast(IO[str], _PrintableWriter(stream))


def json_text(data: Any) -> str:
    """Indented JSON with non-ASCII text as is, except lone surrogates, escaped as ``\\udce9``
    (valid JSON: Python's ``json.loads`` gives back the same string, so the file name)."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    return _LONE_SURROGATE.sub(_json_escape, text)


def json_line(data: Any) -> str:
    """One line of JSON Lines: compact, surrogates escaped as in :func:`json_text`."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return _LONE_SURROGATE.sub(_json_escape, text)


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def report_json(report: Report) -> str:
    """Exactly ``Report.model_dump(mode="json")``, indented (dumped from its fields where
    that is exact, :mod:`mediarules.plain_records`, so pydantic's serializer is not built)."""
    try:
        data = to_jsonable(report)
    except NotPlainError:
        data = report.model_dump(mode="json")
    return json_text(data)


class Line:
    """A line of text with its styles: rich's ``Text.assemble(*parts)``, or with ``whole``
    ``Text(text, style=whole)``, made only when a styled console prints it."""

    __slots__ = ("parts", "whole")

    def __init__(self, *parts: str | tuple[str, str] | Line, whole: str | None = None) -> None:
        self.parts = parts
        self.whole = whole

    @classmethod
    def text(cls, text: str, style: str = "") -> Line:
        """``Text(text, style=style)``."""
        return cls(text, whole=style)

    @property
    def plain(self) -> str:
        return "".join(
            part if isinstance(part, str) else part.plain if isinstance(part, Line) else part[0]
            for part in self.parts
        )

    def rich(self) -> Text:
        from rich.text import Text

        if self.whole is not None:
            return Text(self.plain, style=self.whole)
        return Text.assemble(
            *(part.rich() if isinstance(part, Line) else part for part in self.parts)
        )


class PlainConsole:
    """What :func:`report_text` needs of a rich ``Console`` (``print``, ``color_system``),
    for a stream that shows no styles: each line written as rich writes it there (its plain
    text, then a newline; rich wraps nothing when ``soft_wrap`` is on, as the command line
    sets it), without importing rich."""

    color_system = None

    def __init__(self, file: IO[str]) -> None:
        self.file = file

    def print(self, line: Line | str = "") -> None:
        self.file.write((line if isinstance(line, str) else line.plain) + "\n")


AnyConsole: TypeAlias = "Console | PlainConsole"


def styles_shown(stream: IO[str]) -> bool:
    """Whether a rich ``Console`` writing to ``stream`` would style text (what decides its
    ``is_terminal``: ``TTY_COMPATIBLE``, ``FORCE_COLOR``, ``isatty``; an IPython session,
    where rich may render for a notebook, counts as styled)."""
    if "IPython" in sys.modules:
        return True
    compatible = os.environ.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "1"
    force = os.environ.get("FORCE_COLOR")
    if force is not None:
        return force != ""
    try:
        return stream.isatty()
    except ValueError:  # a closed stream
        return False


def _print(console: AnyConsole, line: Line | None = None) -> None:
    if line is None:
        console.print()
    elif isinstance(console, PlainConsole):
        console.print(line)
    else:
        console.print(line.rich())


def report_text(
    report: Report,
    platforms: Sequence[str],
    rules: RuleSet,
    console: AnyConsole,
    *,
    quiet: bool = False,
) -> None:
    """The platform x file matrix, the files' facts, then one block per platform (errors
    first, each with its fix) and a closing verdict. ``quiet``: only the errors, one line
    each, and nothing at all for a post that is ready."""
    if quiet:
        print_lines(console, (_quiet_line(violation) for violation in report.errors))
        return
    print_lines(console, matrix(report, platforms))
    if report.media:
        _print(console, Line.text("\nFiles", style="bold"))
        print_lines(console, _media_table(report.media))
    _print(console)
    print_lines(console, _platform_blocks(report, platforms, rules))
    _print(console, _summary(report, len(platforms)))


PRINT_CHUNK = 500
"""Lines given to rich at once: each ``print`` costs as much as tens of short lines."""


def print_lines(console: AnyConsole, lines: Iterable[Line]) -> None:
    """Print ``lines`` a chunk at a time: as fast as one ``print`` for all of them, without
    holding all of a large report's lines in memory."""
    chunk: list[Line] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) == PRINT_CHUNK:
            _print_chunk(console, chunk)
            chunk.clear()
    if chunk:
        _print_chunk(console, chunk)


def _print_chunk(console: AnyConsole, lines: Sequence[Line]) -> None:
    """``lines`` printed as one text; without their styles where the console prints no style
    at all (not a terminal): rich would drop them anyway, after spending most of its time on
    them."""
    if isinstance(console, PlainConsole):
        console.print("\n".join(line.plain for line in lines))
        return
    from rich.text import Text

    if console.color_system is None:
        console.print(Text("\n".join(line.plain for line in lines)))
    else:
        console.print(Text("\n").join(line.rich() for line in lines))


def cell_len(text: str) -> int:
    """Terminal cells ``text`` takes, as rich measures them (printable ASCII: one each,
    without loading rich)."""
    if text.isascii() and text.isprintable():
        return len(text)
    from rich.cells import cell_len as rich_cell_len

    return rich_cell_len(text)


def _platform_blocks(report: Report, platforms: Sequence[str], rules: RuleSet) -> Iterator[Line]:
    """For all platforms, then each one: a heading with its tally, then each violation (errors
    first) with its fix; ``✓ name: ok`` for a platform without any."""
    by_platform = _by_platform(report.violations)
    for platform in [ALL_PLATFORMS, *platforms]:
        found = sorted(by_platform.get(platform, ()), key=lambda v: v.severity.rank)
        name = "All platforms" if platform == ALL_PLATFORMS else rules.platforms[platform].name
        if not found:
            if platform != ALL_PLATFORMS:
                yield Line(("✓ ", "green"), (echo_name(name), "bold"), ": ok")
            continue
        yield Line(
            ("✗ " if _has_errors(found) else "⚠ ", _mark(found)),
            (echo_name(name), "bold"),
            f": {_tally(found)}",
        )
        for violation in found:
            yield _line(violation)
            if violation.fix is not None:
                yield _fix_line(violation.fix)


def _by_platform(violations: Sequence[Violation]) -> dict[str, list[Violation]]:
    """The violations of each platform, in report order: one pass, whatever their number."""
    grouped: dict[str, list[Violation]] = {}
    for violation in violations:
        grouped.setdefault(violation.platform, []).append(violation)
    return grouped


def _fix_line(fix: Fix) -> Line:
    loses = f", loses {', '.join(fix.loses)}" if fix.loses else ""
    title = echo_message(fix.title)
    return Line.text(
        f"      fix ({fix.applicability.value}{echo_message(loses)}): {title}", style="dim"
    )


_CELL = {  # the worst severity in a cell; a note alone does not stop a post
    None: ("✓", "green"),
    Severity.INFO: ("✓", "green"),
    Severity.WARNING: ("⚠", "yellow"),
    Severity.ERROR: ("✗", "bold red"),
}


def matrix(report: Report, platforms: Sequence[str]) -> list[Line]:
    """✓ / ⚠ / ✗ for each file (a row) on each platform (a column); a "post" row holds
    what concerns the post as a whole (caption, number of items). A problem found for all
    platforms (an unreadable file) marks every column. Built in one pass over the
    violations, whatever the number of files."""
    columns: list[tuple[str, Justify]] = [("#", "right"), ("file", "left")]
    columns += [(echo_name(platform), "center") for platform in platforms]
    names: list[tuple[str, str, int | None]] = [
        (str(index + 1), echo_name(facts.path) if facts.path else "(metadata)", index)
        for index, facts in enumerate(report.media)
    ]
    if not names or any(v.media_index is None for v in report.violations):
        names.append(("", "post (text, count, mix)", None))
    worst = _worst_by_cell(report.violations)
    rows: list[list[_GridCell]] = []
    for number, name, media_index in names:
        everywhere = worst.get((media_index, ALL_PLATFORMS))
        cells = [_cell(worst.get((media_index, p)), everywhere) for p in platforms]
        rows.append([(number, ""), (name, ""), *cells])
    return grid(columns, rows)


Justify = Literal["left", "center", "right"]
_GridCell = tuple[str, str]
"""A cell's text and its rich style."""


def grid(columns: Sequence[tuple[str, Justify]], rows: Sequence[Sequence[_GridCell]]) -> list[Line]:
    """A table's lines as rich's ``Table(box=None, pad_edge=False)`` prints them (bold
    headers, two spaces between columns, every cell padded to its column's width), made in
    two passes over the cells: rich measures and wraps each cell, a millisecond a row."""
    widths = [cell_len(header) for header, _ in columns]
    for row in rows:
        for number, (text, _) in enumerate(row):
            widths[number] = max(widths[number], cell_len(text))
    justify = [how for _, how in columns]
    header = [(text, "bold") for text, _ in columns]
    return [_grid_line(row, widths, justify) for row in (header, *rows)]


def _grid_line(row: Sequence[_GridCell], widths: Sequence[int], justify: Sequence[Justify]) -> Line:
    parts: list[tuple[str, str] | str] = []
    for number, (text, style) in enumerate(row):
        excess = widths[number] - cell_len(text)
        left = {"left": 0, "center": excess // 2, "right": excess}[justify[number]]
        parts += ["  " if number else "", " " * left, (text, style), " " * (excess - left)]
    return Line(*parts)


def _worst_by_cell(violations: Sequence[Violation]) -> dict[tuple[int | None, str], Severity]:
    """The worst severity for each (media index, platform) that has a violation: one pass."""
    worst: dict[tuple[int | None, str], Severity] = {}
    for violation in violations:
        key = (violation.media_index, violation.platform)
        known = worst.get(key)
        if known is None or violation.severity.rank < known.rank:
            worst[key] = violation.severity
    return worst


def _cell(own: Severity | None, everywhere: Severity | None) -> _GridCell:
    """A cell's mark: the worse of the platform's own severity and the one for all platforms."""
    found = [severity for severity in (own, everywhere) if severity is not None]
    return _CELL[min(found, key=lambda severity: severity.rank) if found else None]


def _quiet_line(violation: Violation) -> Line:
    where = f"{echo_name(violation.path)}: " if violation.path else ""
    return Line(
        (f"{echo_name(violation.platform)}: ", "bold"),
        (echo_name(violation.code), "red"),
        f"  {where}{echo_message(violation.message)}",
    )


_MEDIA_COLUMNS: list[tuple[str, Justify]] = [
    (name, "left") for name in ("#", "file", "kind", "format", "size", "pixels", "details")
]


def _media_table(media: Sequence[MediaFacts]) -> list[Line]:
    rows = []
    for index, facts in enumerate(media, start=1):
        pixels = f"{facts.width}x{facts.height}" if facts.width and facts.height else ""
        cells = (
            str(index),
            echo_name(facts.path) if facts.path else "(metadata)",
            facts.kind or "unreadable",
            echo_name(facts.format or ""),
            _bytes(facts.size),
            pixels,
            echo_message(_details(facts)),
        )
        rows.append([(cell, "") for cell in cells])
    return grid(_MEDIA_COLUMNS, rows)


def _details(facts: MediaFacts) -> str:
    parts = []
    if facts.kind == "video":
        if facts.fps is not None:
            parts.append(f"{human_fps(facts.fps)} fps")
        if facts.duration_s is not None:
            parts.append(human_seconds(round(facts.duration_s, 1)))
        codecs = "/".join(c for c in (facts.video_codec, facts.audio_codec) if c)
        if codecs:
            parts.append(codecs)
    elif facts.kind == "image":
        if facts.animated:
            parts.append(f"{facts.frames} frames")
        if facts.mode:
            parts.append(facts.mode)
        if facts.orientation and facts.orientation != 1:
            parts.append(f"EXIF orientation {facts.orientation}")
    return ", ".join(parts)


def _bytes(size: int | None) -> str:
    return "" if size is None else human_bytes(size)


def _line(violation: Violation) -> Line:
    where = ""
    if violation.media_index is not None:
        where = echo_name(violation.path or f"item #{violation.media_index + 1}")
    return Line(
        ("  ", ""),
        (f"{violation.severity.value:<7}", _STYLE[violation.severity]),
        (" ", ""),
        (echo_name(violation.code), "bold"),
        ("  ", ""),
        (f"{where}: " if where else "", "magenta"),
        (echo_message(violation.message), ""),
    )


def _has_errors(found: Sequence[Violation]) -> bool:
    return any(v.severity is Severity.ERROR for v in found)


def _mark(found: Sequence[Violation]) -> str:
    return "bold red" if _has_errors(found) else "yellow"


def _tally(found: Sequence[Violation]) -> str:
    counts = {s: sum(1 for v in found if v.severity is s) for s in Severity}
    words = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
    return ", ".join(f"{n} {words[s]}{'s' if n != 1 else ''}" for s, n in counts.items() if n)


def _summary(report: Report, platform_count: int) -> Line:
    tally = _tally(report.violations) or "no problems"
    plural = "s" if platform_count != 1 else ""
    if report.ok:
        return Line(
            ("ready to publish", "bold green"), f" on {platform_count} platform{plural} ({tally})"
        )
    return Line(("not ready", "bold red"), f" for {platform_count} platform{plural}: {tally}")


def rules_data(rules: RuleSet, platforms: Sequence[str]) -> dict[str, Any]:
    """Each platform's table as validated, and ``limits``: every limit it sets, with the
    evidence, source and verified date that apply to it (``rules --format json``, and the
    service's ``/v1/rules``)."""
    return {
        key: {
            **rules.platforms[key].model_dump(mode="json"),
            "limits": [limit.as_dict() for limit in limits_of(rules.platforms[key])],
        }
        for key in platforms
    }


def rules_json(rules: RuleSet, platforms: Sequence[str]) -> str:
    return json_text({"platforms": rules_data(rules, platforms)})


def rules_text(rules: RuleSet, platforms: Sequence[str], console: Console) -> None:
    """Each platform's effective limits: section, key, value (``<`` marks a strict one), how
    it is known, where it comes from and when that was read."""
    from rich.table import Table
    from rich.text import Text

    for key in platforms:
        platform = rules.platforms[key]
        aliases = f" (also: {', '.join(platform.aliases)})" if platform.aliases else ""
        if platform.variant_of:
            aliases += f", a post type or tier of {platform.variant_of}"
        console.print(
            Text.assemble(
                (echo_name(platform.name), "bold"),
                f"  [{echo_name(key)}]{echo_message(aliases)}",
            )
        )
        table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
        for column in ("section", "key", "value", "evidence", "source", "verified"):
            table.add_column(column, overflow="fold")
        for limit in limits_of(platform):
            value = _show(limit.value)
            table.add_row(
                Text(limit.section),
                Text(limit.key),
                Text(echo_message(f"< {value}" if limit.exclusive else value)),
                Text(limit.evidence or "unstated", style=_EVIDENCE_STYLE.get(limit.evidence, "")),
                Text(echo_message(limit.source)),
                Text(limit.verified.isoformat() if limit.verified else ""),
            )
        console.print(table)
        console.print()


_EVIDENCE_STYLE = {"third-party": "yellow", None: "dim"}


@dataclass(frozen=True)
class Limit:
    """One limit a platform sets, as ``rules`` shows it."""

    section: str
    key: str
    value: Any
    """As JSON writes it (a ratio ``"4:5"``, a tolerance ``0.01``)."""
    evidence: Evidence | None
    source: str
    verified: date | None
    exclusive: bool = False
    comparison: str | None = None
    """How a value meets a bound (``inclusive``, ``exclusive``, ``inclusive, within 1%``,
    ``inclusive, to the frame``); None for what is not a bound (formats, counting)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "key": self.key,
            "value": self.value,
            "comparison": self.comparison,
            "evidence": self.evidence,
            "source": self.source,
            "verified": self.verified.isoformat() if self.verified else None,
        }


_BOUNDS = ("min_", "max_", "default_max_", "recommended_max_", "scaled_")


def _comparison(section: Any, key: str) -> str | None:
    """How the checks compare a value with the limit ``key`` (see rules/platforms.toml)."""
    if section.is_exclusive(key):
        return "exclusive"
    if not key.startswith(_BOUNDS) or key.endswith("_tolerance"):
        return None
    tolerance = getattr(section, "aspect_ratio_tolerance", 0)
    if key.endswith("aspect_ratio") and tolerance:
        return f"inclusive, within {float(tolerance) * 100:g}%"
    if key.endswith("duration_s"):
        return "inclusive, to the frame"
    return "inclusive"


def limits_of(platform: PlatformRules) -> list[Limit]:
    """The limits ``platform`` sets (a value other than its section's default), in order."""
    found = []
    dumped: dict[str, Any] = platform.model_dump(mode="json")
    for section_name in SECTIONS:
        section = getattr(platform, section_name)
        values = dumped.get(section_name)
        if section is None or values is None:
            continue
        defaults = type(section)().model_dump(mode="json")
        for key, value in values.items():
            if key in CITATION_KEYS or value == defaults.get(key):
                continue
            source, evidence, verified = platform.cite(section_name, key)
            exclusive = section.is_exclusive(key)
            comparison = _comparison(section, key)
            found.append(
                Limit(section_name, key, value, evidence, source, verified, exclusive, comparison)
            )
    return found


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,g}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k} -> {v}" for k, v in value.items())
    return str(value)


def fix_json(result: FixResult) -> str:
    """Exactly ``FixResult.model_dump(mode="json")``: plan, files written, posts, re-checks."""
    return json_text(result.model_dump(mode="json"))


def fix_text(result: FixResult, rules: RuleSet, console: Console) -> None:
    """The plan, what was written or skipped, what needs a person, and each resulting post."""
    from rich.text import Text

    plan = result.plan
    console.print(
        Text.assemble(("before: ", "bold"), _tally(plan.before.violations) or "no problems")
    )
    if plan.outputs:
        console.print(Text("Planned files", style="bold"))
        for output in plan.outputs:
            loses = f", loses {', '.join(output.loses)}" if output.loses else ""
            console.print(
                Text(
                    f"  {echo_name(output.id)}  {echo_name(output.file_name)}"
                    f"  from {echo_name(output.source)}"
                    f"  for {echo_message(', '.join(output.platforms))}"
                    f"  ({output.applicability.value}{echo_message(loses)})"
                )
            )
            fixes = echo_message(", ".join(output.fixes))
            console.print(Text(f"      fixes {fixes}", style="dim"))
            if output.ffmpeg:
                console.print(Text(f"      {echo_message(shlex.join(output.ffmpeg))}", style="dim"))
    for written in result.written:
        console.print(
            Text.assemble(
                ("wrote ", "green"),
                echo_name(written.path),
                f": {echo_message('; '.join(written.changes))}",
            )
        )
    for skipped in result.skipped:
        console.print(
            Text.assemble(
                ("skipped ", "yellow"),
                f"{echo_name(skipped.output)}: {echo_message(skipped.reason)}",
            )
        )
    if plan.manual:
        console.print(Text("Needs a person", style="bold"))
        for violation in plan.manual:
            platform = echo_name(violation.platform)
            console.print(Text.assemble(_line(violation).rich(), (f"  [{platform}]", "dim")))
    for post in result.posts:
        name = echo_name(rules.platforms[post.platform].name)
        files = echo_message(", ".join(post.media)) if post.media else "no media"
        caption = f"  {_preview(post.caption)}" if post.caption else ""
        if post.report is None:
            console.print(
                Text.assemble(
                    ("· ", "dim"), (name, "bold"), f" post {post.post + 1}: {files}{caption}"
                )
            )
            continue
        found = sorted(
            post.report.for_platform(post.platform) + post.report.for_platform(ALL_PLATFORMS),
            key=lambda v: v.severity.rank,
        )
        mark, style = ("✓ ", "green") if post.report.ok else ("✗ ", "bold red")
        console.print(
            Text.assemble((mark, style), (name, "bold"), f" post {post.post + 1}: {files}{caption}")
        )
        for violation in found:
            if violation.severity is not Severity.INFO:
                console.print(_line(violation).rich())
    after = [v for p in result.posts if p.report is not None for v in p.report.violations]
    if result.posts and all(p.report is None for p in result.posts):
        console.print(Text("dry run: nothing written", style="bold"))
        return
    console.print(Text.assemble(("after: ", "bold"), _tally(after) or "no problems"))
    if result.ok:
        console.print(Text("every post passes", style="bold green"))
    else:
        console.print(Text("errors remain", style="bold red"))


def _preview(caption: str, width: int = 60) -> str:
    flat = " ".join(caption.split())
    return repr(shorten(flat, width))
