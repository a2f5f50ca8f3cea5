"""Reports and rules as people read them (rich text) and as programs read them (JSON)."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any, cast

from rich.console import Console
from rich.table import Table
from rich.text import Text

from mediarules.checks.finding import human_bytes
from mediarules.engine import ALL_PLATFORMS
from mediarules.models import MediaFacts, Report, Severity, Violation
from mediarules.ruleset import PlatformRules, RuleSet

if TYPE_CHECKING:
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
    """Exactly ``Report.model_dump(mode="json")``, indented."""
    return json_text(report.model_dump(mode="json"))


def report_text(
    report: Report,
    platforms: Sequence[str],
    rules: RuleSet,
    console: Console,
    *,
    quiet: bool = False,
) -> None:
    """The platform x file matrix, the files' facts, then one block per platform (errors
    first, each with its fix) and a closing verdict. ``quiet``: only the errors, one line
    each, and nothing at all for a post that is ready."""
    if quiet:
        for violation in report.errors:
            console.print(_quiet_line(violation))
        return
    console.print(matrix(report, platforms))
    if report.media:
        console.print(Text("\nFiles", style="bold"))
        console.print(_media_table(report.media))
    console.print()
    groups = [ALL_PLATFORMS, *platforms]
    for platform in groups:
        found = sorted(report.for_platform(platform), key=lambda v: v.severity.rank)
        name = "All platforms" if platform == ALL_PLATFORMS else rules.platforms[platform].name
        if not found:
            if platform != ALL_PLATFORMS:
                console.print(Text.assemble(("✓ ", "green"), (name, "bold"), ": ok"))
            continue
        console.print(
            Text.assemble(
                ("✗ " if _has_errors(found) else "⚠ ", _mark(found)),
                (name, "bold"),
                f": {_tally(found)}",
            )
        )
        for violation in found:
            console.print(_line(violation))
            if violation.fix is not None:
                fix = violation.fix
                loses = f", loses {', '.join(fix.loses)}" if fix.loses else ""
                console.print(
                    Text(f"      fix ({fix.applicability.value}{loses}): {fix.title}", style="dim")
                )
    console.print(_summary(report, len(platforms)))


_CELL = {  # the worst severity in a cell; a note alone does not stop a post
    None: ("✓", "green"),
    Severity.INFO: ("✓", "green"),
    Severity.WARNING: ("⚠", "yellow"),
    Severity.ERROR: ("✗", "bold red"),
}


def matrix(report: Report, platforms: Sequence[str]) -> Table:
    """✓ / ⚠ / ✗ for each file (a row) on each platform (a column); a "post" row holds
    what concerns the post as a whole (caption, number of items). A problem found for all
    platforms (an unreadable file) marks every column."""
    table = Table(box=None, header_style="bold", pad_edge=False, title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("file")
    for platform in platforms:
        table.add_column(platform, justify="center")
    rows: list[tuple[str, str, int | None]] = [
        (str(index + 1), facts.path or "(metadata)", index)
        for index, facts in enumerate(report.media)
    ]
    if not rows or any(v.media_index is None for v in report.violations):
        rows.append(("", "post (text, count, mix)", None))
    for number, name, media_index in rows:
        cells = [_cell(report.violations, media_index, platform) for platform in platforms]
        table.add_row(number, name, *cells)
    return table


def _cell(violations: Sequence[Violation], media_index: int | None, platform: str) -> Text:
    found = [
        v.severity
        for v in violations
        if v.media_index == media_index and v.platform in (platform, ALL_PLATFORMS)
    ]
    worst = min(found, key=lambda severity: severity.rank) if found else None
    mark, style = _CELL[worst]
    return Text(mark, style=style)


def _quiet_line(violation: Violation) -> Text:
    where = f"{violation.path}: " if violation.path else ""
    return Text.assemble(
        (f"{violation.platform}: ", "bold"),
        (violation.code, "red"),
        f"  {where}{violation.message}",
    )


def _media_table(media: Sequence[MediaFacts]) -> Table:
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    for column in ("#", "file", "kind", "format", "size", "pixels", "details"):
        table.add_column(column)
    for index, facts in enumerate(media, start=1):
        pixels = f"{facts.width}x{facts.height}" if facts.width and facts.height else ""
        table.add_row(
            str(index),
            facts.path or "(metadata)",
            facts.kind or "unreadable",
            facts.format or "",
            _bytes(facts.size),
            pixels,
            _details(facts),
        )
    return table


def _details(facts: MediaFacts) -> str:
    parts = []
    if facts.kind == "video":
        if facts.fps is not None:
            parts.append(f"{float(facts.fps):.3f}".rstrip("0").rstrip(".") + " fps")
        if facts.duration_s is not None:
            parts.append(f"{facts.duration_s:.1f} s")
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


def _line(violation: Violation) -> Text:
    where = ""
    if violation.media_index is not None:
        where = violation.path or f"item #{violation.media_index + 1}"
    return Text.assemble(
        ("  ", ""),
        (f"{violation.severity.value:<7}", _STYLE[violation.severity]),
        (" ", ""),
        (violation.code, "bold"),
        ("  ", ""),
        (f"{where}: " if where else "", "magenta"),
        (violation.message, ""),
    )


def _has_errors(found: Sequence[Violation]) -> bool:
    return any(v.severity is Severity.ERROR for v in found)


def _mark(found: Sequence[Violation]) -> str:
    return "bold red" if _has_errors(found) else "yellow"


def _tally(found: Sequence[Violation]) -> str:
    counts = {s: sum(1 for v in found if v.severity is s) for s in Severity}
    words = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
    return ", ".join(f"{n} {words[s]}{'s' if n != 1 else ''}" for s, n in counts.items() if n)


def _summary(report: Report, platform_count: int) -> Text:
    tally = _tally(report.violations) or "no problems"
    plural = "s" if platform_count != 1 else ""
    if report.ok:
        return Text.assemble(
            ("ready to publish", "bold green"), f" on {platform_count} platform{plural} ({tally})"
        )
    return Text.assemble(
        ("not ready", "bold red"), f" for {platform_count} platform{plural}: {tally}"
    )


def rules_json(rules: RuleSet, platforms: Sequence[str]) -> str:
    data = {key: rules.platforms[key].model_dump(mode="json") for key in platforms}
    return json_text({"platforms": data})


def rules_text(rules: RuleSet, platforms: Sequence[str], console: Console) -> None:
    """Each platform's effective limits: section, key, value and where it comes from."""
    for key in platforms:
        platform = rules.platforms[key]
        aliases = f" (also: {', '.join(platform.aliases)})" if platform.aliases else ""
        if platform.variant_of:
            aliases += f", a post type or tier of {platform.variant_of}"
        console.print(Text.assemble((platform.name, "bold"), f"  [{key}]{aliases}"))
        table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
        for column in ("section", "key", "value", "source"):
            table.add_column(column, overflow="fold")
        for section, name, value, source in _limits(platform):
            table.add_row(section, name, value, source)
        console.print(table)
        console.print()


def _limits(platform: PlatformRules) -> list[tuple[str, str, str, str]]:
    rows = []
    dumped: dict[str, Any] = platform.model_dump(mode="json")
    for section_name in ("post", "caption", "title", "image", "video", "alt_text", "account"):
        section = getattr(platform, section_name)
        values = dumped.get(section_name)
        if section is None or values is None:
            continue
        defaults = type(section)().model_dump(mode="json")
        for key, value in values.items():
            if key in ("source", "sources") or value == defaults.get(key):
                continue
            rows.append((section_name, key, _show(value), section.source_of(key, platform.source)))
    return rows


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
    plan = result.plan
    console.print(
        Text.assemble(("before: ", "bold"), _tally(plan.before.violations) or "no problems")
    )
    if plan.outputs:
        console.print(Text("Planned files", style="bold"))
        for output in plan.outputs:
            loses = f", loses {', '.join(output.loses)}" if output.loses else ""
            console.print(
                f"  {output.id}  {output.file_name}  from {output.source}"
                f"  for {', '.join(output.platforms)}  ({output.applicability.value}{loses})"
            )
            console.print(Text(f"      fixes {', '.join(output.fixes)}", style="dim"))
            if output.ffmpeg:
                console.print(Text(f"      {shlex.join(output.ffmpeg)}", style="dim"))
    for written in result.written:
        console.print(
            Text.assemble(("wrote ", "green"), written.path, f": {'; '.join(written.changes)}")
        )
    for skipped in result.skipped:
        console.print(Text.assemble(("skipped ", "yellow"), f"{skipped.output}: {skipped.reason}"))
    if plan.manual:
        console.print(Text("Needs a person", style="bold"))
        for violation in plan.manual:
            console.print(Text.assemble(_line(violation), (f"  [{violation.platform}]", "dim")))
    for post in result.posts:
        name = rules.platforms[post.platform].name
        files = ", ".join(post.media) or "no media"
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
                console.print(_line(violation))
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
    return repr(flat if len(flat) <= width else flat[: width - 1] + "…")
