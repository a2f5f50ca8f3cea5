"""``check --html report.html``: one self-contained page to forward to a colleague.

The page holds a header with the verdict, the platform x file matrix (✓ / ⚠ / ✗ per cell) and,
for each post and file, a thumbnail, the file's facts and every violation with its fix and why
the platform cares. Everything is inline (CSS, thumbnails as ``data:`` URIs, placeholders as
inline SVG): no JavaScript, no external resource, so the file can be mailed, printed or opened
on a phone.

Thumbnails never fail the report: a file that cannot be previewed (missing, damaged, too big,
a video without PyAV) gets a neutral placeholder naming its format.
"""

from __future__ import annotations

import base64
import functools
import html
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path, PurePath
from typing import Literal

from mediarules import __version__
from mediarules.codes import CODES
from mediarules.formatting import (
    MESSAGE_LIMIT,
    escape_controls,
    human_bit_rate,
    human_bytes,
    human_fps,
    human_seconds,
    shorten,
    shorten_middle,
)
from mediarules.inspection.thumbnails import thumbnail as make_thumbnail
from mediarules.models import (
    ALL_PLATFORMS,
    Applicability,
    MediaFacts,
    Report,
    Severity,
    Violation,
)
from mediarules.outputs.render import printable
from mediarules.ruleset import RuleSet
from mediarules.safe_write import OutputFolder

__all__ = ["render_html", "style_sheet", "write_html_report"]

Status = Literal["error", "warning", "ok"]

_TIMES = "\u00d7"  # the multiplication sign of "1200 x 900"


# -- public ----------------------------------------------------------------------------------


def write_html_report(
    reports: Sequence[Report],
    platforms: Sequence[str],
    rules: RuleSet,
    path: Path,
    *,
    title: str | None = None,
) -> None:
    """Write the HTML report of ``reports`` (one per post) for ``platforms`` to ``path``.

    The file is written atomically (a temporary file in the same folder, then renamed over
    ``path``), so a reader never sees half a report. Raises ``ValueError`` when ``path`` is one
    of the checked files; thumbnails never raise.
    """
    path = Path(path)
    _refuse_input_file(reports, path)
    text = render_html(reports, platforms, rules, title=title)
    _write_atomic(path, text.encode("utf-8", errors="backslashreplace"))


def render_html(
    reports: Sequence[Report],
    platforms: Sequence[str],
    rules: RuleSet,
    *,
    title: str | None = None,
    generated: datetime | None = None,
) -> str:
    """The whole page as text; ``generated`` defaults to now, in local time."""
    when = (generated or datetime.now()).astimezone()
    page = _Page(list(reports), list(platforms), rules)
    heading = title if title is not None else "Media check report"
    body = "\n".join(
        [
            page.header(heading, when),
            page.matrix(),
            page.details(),
            '<footer class="foot">Made by mediarules '
            f"{_e(__version__)} · {_e(_time_text(when))}</footer>",
        ]
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="color-scheme" content="light">\n'
        f'<meta name="generator" content="mediarules {_e(__version__)}">\n'
        f"<title>{_e(heading)}</title>\n<style>\n{style_sheet()}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


@functools.cache
def style_sheet() -> str:
    """The page's CSS, the package data file ``mediarules/outputs/report.css``."""
    return resources.files("mediarules.outputs").joinpath("report.css").read_text("utf-8")


# -- the page --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    """One line of the matrix: a file of a post, or the whole of a post."""

    post: int
    media: int | None  # index in the post's media; None: the whole post
    label: str
    detail: str
    violations: list[Violation]
    anchor: str
    facts: MediaFacts | None = None


@dataclass(frozen=True)
class _Cell:
    status: Status
    errors: int
    warnings: int
    notes: int
    codes: list[str]


class _Page:
    def __init__(self, reports: list[Report], platforms: list[str], rules: RuleSet) -> None:
        self.reports = reports
        self.platforms = platforms
        self.rules = rules
        self.thumbnails: dict[str, _Thumbnail] = {}
        self.per_file = all(len(r.media) == 1 for r in reports)
        self.unit = "file" if self.per_file and reports else "post"

    # names

    def platform_name(self, key: str) -> str:
        if key == ALL_PLATFORMS:
            return "All platforms"
        platform = self.rules.platforms.get(key)
        return shorten_middle(platform.name if platform is not None else key)

    def post_label(self, index: int) -> str:
        return f"Post {index + 1}"

    # header

    def header(self, heading: str, when: datetime) -> str:
        names = ", ".join(self.platform_name(p) for p in self.platforms) or "none"
        count = len(self.platforms)
        verdict = self.verdict()
        return (
            '<header class="top">\n'
            '<p class="kicker">mediarules · pre-publish check</p>\n'
            f"<h1>{_e(heading)}</h1>\n"
            '<p class="meta">Generated '
            f'<time datetime="{_e(when.isoformat(timespec="seconds"))}">'
            f"{_e(_time_text(when))}</time> · {count} platform{_s(count)}: {_e(names)}</p>\n"
            f"{verdict}\n</header>"
        )

    def verdict(self) -> str:
        total = len(self.reports)
        statuses = [_post_status(r) for r in self.reports]
        ready, warned, failed = (statuses.count(s) for s in ("ok", "warning", "error"))
        unit = f"{total} {self.unit}{_s(total)}"
        if not total:
            worst: Status = "ok"
            sentence = "Nothing was checked."
        elif failed:
            worst = "error"
            sentence = (
                "Not ready: errors must be fixed before publishing."
                if total == 1
                else f"Not ready: {failed} of {total} {_have(failed)} errors."
            )
        elif warned:
            worst = "warning"
            sentence = "Publishable, with warnings to review first."
        else:
            worst = "ok"
            sentence = "Ready to publish on every platform checked."
        chips = (
            f'<span class="chip ok">{_MARK["ok"]} {ready} ready</span> '
            f'<span class="chip warning">{_MARK["warning"]} {warned} with warnings only</span> '
            f'<span class="chip error">{_MARK["error"]} {failed} with errors</span>'
        )
        lines = [
            f'<section class="verdict {worst}" aria-label="Verdict">',
            f'<span class="big-mark" aria-hidden="true">{_MARK[worst]}</span>',
            '<div class="verdict-text">',
            f'<p class="verdict-line"><strong>{_e(unit)} checked.</strong> {_e(sentence)}</p>',
            f'<p class="chips">{chips}</p>',
        ]
        if total == 1 and self.platforms:
            lines.append(f'<p class="by-platform">{self.platform_summary(self.reports[0])}</p>')
        lines += ["</div>", "</section>"]
        return "\n".join(lines)

    def platform_summary(self, report: Report) -> str:
        """For one post: errors on LinkedIn, TikTok · warnings only on Bluesky · ready on X."""
        groups: dict[Status, list[str]] = {"error": [], "warning": [], "ok": []}
        for key in self.platforms:
            groups[_cell(_on_platform(report.violations, key)).status].append(
                self.platform_name(key)
            )
        words = {"error": "Errors on", "warning": "Warnings only on", "ok": "Ready on"}
        parts = [
            f'<span class="{status}">{_MARK[status]} {words[status]} {_e(", ".join(names))}</span>'
            for status, names in groups.items()
            if names
        ]
        return " · ".join(parts)

    # matrix

    def rows(self) -> list[_Row]:
        rows: list[_Row] = []
        for post, report in enumerate(self.reports):
            media = report.media
            by_item = _by_item(report.violations)
            if len(media) == 1:  # the file is the post: its row holds everything
                facts = media[0]
                rows.append(
                    _Row(
                        post=post,
                        media=0,
                        label=self.file_name(facts, 0),
                        detail=_facts_line(facts),
                        violations=list(report.violations),
                        anchor=_anchor(post, 0),
                        facts=facts,
                    )
                )
                continue
            for index, facts in enumerate(media):
                rows.append(
                    _Row(
                        post=post,
                        media=index,
                        label=self.file_name(facts, index),
                        detail=_facts_line(facts),
                        violations=by_item.get(index, []),
                        anchor=_anchor(post, index),
                        facts=facts,
                    )
                )
            label = "Whole post" if len(self.reports) == 1 else f"{self.post_label(post)}: whole"
            detail = f"overall: {len(media)} files, caption, title" if media else "text only"
            rows.append(_Row(post, None, label, detail, list(report.violations), _anchor(post)))
        return rows

    def file_name(self, facts: MediaFacts, index: int) -> str:
        if facts.path:
            return shorten_middle(PurePath(facts.path).name or facts.path)
        return f"item #{index + 1} (declared metadata)"

    def matrix(self) -> str:
        if not self.reports:
            return '<section class="block"><h2>Platforms</h2><p>No posts.</p></section>'
        head = "".join(
            f'<th scope="col" class="plat">{_e(self.platform_name(p))}</th>' for p in self.platforms
        )
        body: list[str] = []
        multi = len(self.reports) > 1 and not self.per_file
        previous = -1
        for row in self.rows():
            if multi and row.post != previous:
                count = len(self.reports[row.post].media)
                body.append(
                    f'<tr class="group"><th scope="rowgroup" colspan="{len(self.platforms) + 1}">'
                    f"{_e(self.post_label(row.post))} · {count} file{_s(count)}</th></tr>"
                )
            previous = row.post
            body.append(self.matrix_row(row))
        foot = self.matrix_foot() if len(self.reports) > 1 else ""
        legend = (
            '<ul class="legend" aria-label="Legend">'
            '<li><span class="key ok" aria-hidden="true">✓</span> ready</li>'
            '<li><span class="key ok" aria-hidden="true">✓<sup class="note">i</sup></span> '
            "ready, with a note</li>"
            '<li><span class="key warning" aria-hidden="true">⚠</span> warnings: the platform '
            "alters the post or may refuse it</li>"
            '<li><span class="key error" aria-hidden="true">✗</span> errors: the platform '
            "refuses the post</li></ul>"
        )
        return (
            '<section class="block" aria-labelledby="matrix-title">\n'
            '<h2 id="matrix-title">Platforms at a glance</h2>\n'
            f"{legend}\n"
            '<div class="scroll" role="region" aria-label="Platform matrix" tabindex="0">\n'
            '<table class="matrix">\n'
            f'<thead><tr><th scope="col" class="file">File</th>{head}</tr></thead>\n'
            f"<tbody>\n{chr(10).join(body)}\n</tbody>\n{foot}</table>\n</div>\n</section>"
        )

    def matrix_row(self, row: _Row) -> str:
        if row.facts is not None:
            picture = self.thumbnail(row.facts).html("mini")
        else:
            picture = '<span class="mini post-icon" aria-hidden="true">¶</span>'
        cells = []
        for key in self.platforms:
            cell = _cell(_on_platform(row.violations, key))
            name = self.platform_name(key)
            label = f"{name}, {row.label}: {_cell_words(cell)}"
            if cell.codes:
                label += f" ({', '.join(cell.codes)})"
            note = ""
            if cell.notes and cell.status == "ok":
                note = '<sup class="note" aria-hidden="true">i</sup>'

            cells.append(
                f'<td class="cell {cell.status}" title="{_e(label)}" aria-label="{_e(label)}">'
                f'<a href="#{row.anchor}"><span class="mark" aria-hidden="true">'
                f"{_MARK[cell.status]}{note}</span>"
                f'<span class="word" aria-hidden="true">{_e(_cell_short(cell))}</span></a></td>'
            )
        kind = "whole" if row.media is None else "file"
        return (
            f'<tr class="{kind}"><th scope="row" class="file">'
            f'<a class="who" href="#{row.anchor}">{picture}<span class="who-text">'
            f'<span class="name" title="{_e(row.label)}">{_e(row.label)}</span>'
            f'<span class="sub">{_e(row.detail)}</span></span></a></th>{"".join(cells)}</tr>'
        )

    def matrix_foot(self) -> str:
        cells = []
        total = len(self.reports)
        for key in self.platforms:
            clean = sum(
                1 for r in self.reports if _cell(_on_platform(r.violations, key)).status != "error"
            )
            cells.append(f'<td class="tally">{clean} of {total}</td>')
        return (
            f'<tfoot><tr><th scope="row" class="file">{_e(self.unit.capitalize())}s without '
            f"errors</th>{''.join(cells)}</tr></tfoot>\n"
        )

    # details

    def details(self) -> str:
        parts = ['<section class="block" aria-labelledby="details-title">']
        parts.append('<h2 id="details-title">Details and fixes</h2>')
        for post, report in enumerate(self.reports):
            parts.append(self.post_details(post, report))
        parts.append("</section>")
        return "\n".join(parts)

    def post_details(self, post: int, report: Report) -> str:
        media = report.media
        if len(media) == 1:
            return self.file_card(post, 0, media[0], list(report.violations))
        out = [f'<section class="post" id="{_anchor(post)}">']
        status = _post_status(report)
        count = len(media)
        what = f"{count} file{_s(count)}" if count else "text only"
        out.append(
            f'<h3 class="post-title"><span class="badge {status}">{_MARK[status]} '
            f"{_STATUS_WORD[status]}</span> {_e(self.post_label(post))} · {_e(what)}</h3>"
        )
        by_item = _by_item(report.violations)
        whole = by_item.get(None)
        out.append('<div class="card whole">')
        out.append("<h4>Caption, title and the post as a whole</h4>")
        out.append(self.issues(whole) if whole else '<p class="fine">✓ No problems.</p>')
        out.append("</div>")
        for index, facts in enumerate(media):
            out.append(self.file_card(post, index, facts, by_item.get(index, [])))
        out.append("</section>")
        return "\n".join(out)

    def file_card(
        self, post: int, index: int, facts: MediaFacts, violations: list[Violation]
    ) -> str:
        name = self.file_name(facts, index)
        status = _cell(violations).status
        body = self.issues(violations) if violations else '<p class="fine">✓ No problems.</p>'
        return (
            f'<article class="card file" id="{_anchor(post, index)}">\n'
            '<div class="card-head">\n'
            f'<div class="pic">{self.thumbnail(facts).html("thumb")}</div>\n'
            '<div class="about">\n'
            f'<h3 class="file-name"><span class="badge {status}">{_MARK[status]} '
            f'{_STATUS_WORD[status]}</span> <span class="name">{_e(name)}</span></h3>\n'
            f"{_facts_list(facts)}\n</div>\n</div>\n{body}\n</article>"
        )

    def issues(self, violations: Iterable[Violation]) -> str:
        """Violations grouped where only the platform differs, errors first."""
        order = {key: rank for rank, key in enumerate([ALL_PLATFORMS, *self.platforms])}
        groups: dict[tuple[str, ...], list[Violation]] = {}
        for violation in sorted(
            violations,
            key=lambda v: (v.severity.rank, order.get(v.platform, len(order)), v.code),
        ):
            fix = violation.fix
            key = (
                violation.severity.value,
                violation.code,
                violation.message,
                fix.model_dump_json() if fix is not None else "",
            )
            groups.setdefault(key, []).append(violation)
        items = [self.issue(group) for group in groups.values()]
        return '<ul class="issues">\n' + "\n".join(items) + "\n</ul>"

    def issue(self, group: list[Violation]) -> str:
        first = group[0]
        status = _SEVERITY_STATUS[first.severity]
        word = _SEVERITY_WORD[first.severity]
        names = ", ".join(dict.fromkeys(self.platform_name(v.platform) for v in group))
        lines = [
            f'<li class="issue {status} sev-{first.severity.value}">',
            '<p class="issue-head">'
            f'<span class="badge {status}">{_SEVERITY_MARK[first.severity]} {word}</span> '
            f'<span class="plats">{_e(names)}</span> '
            f'<code class="code">{_e(first.code)}</code></p>',
            f'<p class="msg">{_e(shorten(first.message, MESSAGE_LIMIT))}</p>',
        ]
        if first.fix is not None:
            fix = first.fix
            loses = (
                f' <span class="loses">loses {_e(", ".join(fix.loses))}</span>' if fix.loses else ""
            )
            lines.append(
                '<p class="fix"><span class="fix-label">Fix</span> '
                f'<span class="fix-title">{_e(shorten(fix.title, MESSAGE_LIMIT))}</span> '
                f'<span class="appl {fix.applicability.value}" '
                f'title="{_e(_APPLICABILITY[fix.applicability])}">'
                f"{_e(fix.applicability.value)}</span>{loses}</p>"
            )
        code = CODES.get(first.code)
        if code is not None:
            lines.append(f'<p class="why"><span class="why-label">Why</span> {_e(code.why)}</p>')
        sources: dict[str, list[str]] = {}
        for violation in group:
            if violation.source:
                sources.setdefault(violation.source, []).append(
                    self.platform_name(violation.platform)
                )
        for source, where in sources.items():
            who = f"{', '.join(dict.fromkeys(where))}: " if len(sources) > 1 else ""
            shown = shorten(who + source, MESSAGE_LIMIT)
            lines.append(f'<p class="source">Rule source: {_e(shown)}</p>')
        lines.append("</li>")
        return "\n".join(lines)

    def thumbnail(self, facts: MediaFacts) -> _Thumbnail:
        key = facts.path or ""
        if not key:
            return _placeholder(facts, "declared, no file")
        if key not in self.thumbnails:
            self.thumbnails[key] = _thumbnail(facts)
        return self.thumbnails[key]


# -- cells and statuses ----------------------------------------------------------------------

_MARK: dict[Status, str] = {"ok": "✓", "warning": "⚠", "error": "✗"}
_STATUS_WORD: dict[Status, str] = {"ok": "Ready", "warning": "Warnings", "error": "Errors"}
_SEVERITY_STATUS: dict[Severity, str] = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "info",
}
_SEVERITY_WORD = {Severity.ERROR: "Error", Severity.WARNING: "Warning", Severity.INFO: "Note"}
_SEVERITY_MARK = {Severity.ERROR: "✗", Severity.WARNING: "⚠", Severity.INFO: "\u2139"}
_APPLICABILITY = {
    Applicability.SAFE: "safe: keeps what viewers see",
    Applicability.UNSAFE: "unsafe: loses something (quality, frames, text, framing...)",
    Applicability.MANUAL: "manual: needs a person",
}


def _by_item(violations: Iterable[Violation]) -> dict[int | None, list[Violation]]:
    """The violations of each media index (None: the whole post), in order: one pass."""
    grouped: dict[int | None, list[Violation]] = {}
    for violation in violations:
        grouped.setdefault(violation.media_index, []).append(violation)
    return grouped


def _on_platform(violations: Iterable[Violation], platform: str) -> list[Violation]:
    """The violations that count on ``platform``: its own and the whole post's ("all")."""
    return [v for v in violations if v.platform in (platform, ALL_PLATFORMS)]


def _cell(violations: Sequence[Violation]) -> _Cell:
    errors = sum(1 for v in violations if v.severity is Severity.ERROR)
    warned = sum(1 for v in violations if v.severity is Severity.WARNING)
    notes = sum(1 for v in violations if v.severity is Severity.INFO)
    status: Status = "error" if errors else "warning" if warned else "ok"
    ranked = sorted(violations, key=lambda v: v.severity.rank)
    return _Cell(status, errors, warned, notes, list(dict.fromkeys(v.code for v in ranked)))


def _post_status(report: Report) -> Status:
    return _cell(report.violations).status


def _cell_short(cell: _Cell) -> str:
    if cell.status == "error":
        return f"{cell.errors} error{_s(cell.errors)}"
    if cell.status == "warning":
        return f"{cell.warnings} warning{_s(cell.warnings)}"
    return f"ok, {cell.notes} note{_s(cell.notes)}" if cell.notes else "ok"


def _cell_words(cell: _Cell) -> str:
    parts = []
    if cell.errors:
        parts.append(f"{cell.errors} error{_s(cell.errors)}")
    if cell.warnings:
        parts.append(f"{cell.warnings} warning{_s(cell.warnings)}")
    if cell.notes:
        parts.append(f"{cell.notes} note{_s(cell.notes)}")
    head = {"error": "errors", "warning": "warnings only", "ok": "ready"}[cell.status]
    return head + (f": {', '.join(parts)}" if parts else "")


def _anchor(post: int, media: int | None = None) -> str:
    return f"post-{post + 1}" if media is None else f"file-{post + 1}-{media + 1}"


# -- facts -----------------------------------------------------------------------------------


def _facts_line(facts: MediaFacts) -> str:
    """The matrix's one-line summary of a file: format, shown size, duration, bytes."""
    if facts.kind is None and facts.path:
        return "could not be read"
    parts = []
    if facts.format:
        parts.append(facts.format.upper())
    size = facts.display_size
    if size is not None:
        parts.append(f"{size[0]}{_TIMES}{size[1]}")
    if facts.kind == "video" and facts.duration_s is not None:
        parts.append(human_seconds(round(facts.duration_s, 1)))
    if facts.size is not None:
        parts.append(human_bytes(facts.size))
    return " · ".join(parts)


def _facts_list(facts: MediaFacts) -> str:
    rows: list[tuple[str, str]] = []
    kind: str = facts.kind or "unreadable"
    if facts.animated:
        kind = "animated image"
    rows.append(("Kind", kind))
    if facts.format:
        rows.append(("Format", facts.format.upper()))
    if facts.width is not None and facts.height is not None:
        pixels = f"{facts.width} {_TIMES} {facts.height} px"
        shown = facts.display_size
        if shown is not None and shown != (facts.width, facts.height):
            pixels += f" (shown as {shown[0]} {_TIMES} {shown[1]})"
        rows.append(("Pixels", pixels))
    if facts.kind == "video":
        if facts.duration_s is not None:
            rows.append(("Duration", human_seconds(round(facts.duration_s, 2))))
        if facts.fps is not None:
            fps = f"{human_fps(facts.fps)} fps"
            if facts.variable_frame_rate:
                fps += " (variable)"
            rows.append(("Frame rate", fps))
        codecs = " / ".join(c.upper() for c in (facts.video_codec, facts.audio_codec) if c)
        if codecs:
            rows.append(("Codecs", codecs))
        if facts.bit_rate:
            rows.append(("Bit rate", human_bit_rate(facts.bit_rate)))
    if facts.kind == "image":
        if facts.animated:
            rows.append(("Frames", str(facts.frames)))
        if facts.mode:
            colour = _MODE_WORDS.get(facts.mode, facts.mode)
            if facts.has_alpha and "transparency" not in colour:
                colour += " with transparency"
            rows.append(("Colour", colour))
    if facts.size is not None:
        rows.append(("File size", human_bytes(facts.size)))
    if facts.path:
        rows.append(("Path", shorten_middle(facts.path)))
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rows)
    return f'<dl class="facts">{items}</dl>'


_MODE_WORDS = {
    "1": "black and white",
    "L": "greyscale",
    "LA": "greyscale with transparency",
    "P": "palette (256 colours)",
    "PA": "palette with transparency",
    "RGB": "RGB",
    "RGBA": "RGB with transparency",
    "CMYK": "CMYK (print colours)",
    "I;16": "16-bit greyscale",
    "I": "32-bit greyscale",
    "F": "floating-point greyscale",
}


# -- thumbnails ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Thumbnail:
    """A ``data:`` URI with its size, or (``uri`` None) a placeholder's label and note."""

    uri: str | None
    width: int
    height: int
    label: str
    note: str
    alt: str

    def html(self, css: str) -> str:
        if self.uri is not None:
            if self.uri.startswith("data:image/png"):
                css += " alpha"  # see-through: shown over a checkerboard
            return (
                f'<img class="{css}" src="{self.uri}" width="{self.width}" '
                f'height="{self.height}" alt="{_e(self.alt)}" data-thumbnail="image">'
            )
        label = _e(self.label)
        if css == "mini":
            return (
                f'<span class="mini placeholder" data-thumbnail="placeholder" role="img" '
                f'aria-label="{_e(self.alt)}">{label}</span>'
            )
        return (
            f'<svg class="{css} placeholder" data-thumbnail="placeholder" role="img" '
            f'aria-label="{_e(self.alt)}" viewBox="0 0 160 120" width="160" height="120">'
            '<rect x="0.5" y="0.5" width="159" height="119" rx="10" fill="#f2f4f7" '
            'stroke="#d0d5dd"/>'
            '<path d="M62 30h36v26H62z" fill="none" stroke="#98a2b3" stroke-width="2.5" '
            'stroke-linejoin="round"/><path d="M64 54l10-11 7 7 5-5 10 9" fill="none" '
            'stroke="#98a2b3" stroke-width="2.5" stroke-linejoin="round"/>'
            f'<text x="80" y="82" text-anchor="middle" font-family="system-ui,sans-serif" '
            f'font-size="17" font-weight="700" fill="#475467">{label}</text>'
            f'<text x="80" y="101" text-anchor="middle" font-family="system-ui,sans-serif" '
            f'font-size="11" fill="#667085">{_e(self.note)}</text></svg>'
        )


def _thumbnail(facts: MediaFacts) -> _Thumbnail:
    """The file's thumbnail (:func:`mediarules.inspection.thumbnails.thumbnail`) as the page
    shows it: a ``data:`` URI, or a placeholder naming the format and the reason."""
    made = make_thumbnail(facts)
    if not made.data:
        return _placeholder(facts, made.reason)
    uri = f"data:{made.mime};base64,{base64.b64encode(made.data).decode('ascii')}"
    name = PurePath(facts.path).name if facts.path else "the file"
    what = "Poster frame of" if facts.kind == "video" else "Preview of"
    return _Thumbnail(uri, made.width, made.height, "", "", f"{what} {_clean(name)}")


def _placeholder(facts: MediaFacts, note: str) -> _Thumbnail:
    label = (facts.format or "").upper()
    if not label and facts.path:
        label = PurePath(facts.path).suffix.lstrip(".").upper()
    label = _clean(label)[:8] or "FILE"
    kind = facts.kind or "file"
    return _Thumbnail(None, 160, 120, label, note, f"No preview of this {kind} ({label}): {note}")


# -- writing ---------------------------------------------------------------------------------


def _refuse_input_file(reports: Sequence[Report], path: Path) -> None:
    if not path.exists():
        return
    for report in reports:
        for facts in report.media:
            if not facts.path:
                continue
            try:
                same = os.path.samefile(path, facts.path)
            except (OSError, ValueError):
                continue
            if same:
                raise ValueError(
                    f"{printable(str(path))} is one of the checked files; "
                    "write the report somewhere else"
                )


def _write_atomic(path: Path, data: bytes) -> None:
    """``data`` into a new file next to ``path`` (permissions as for any new file), then
    renamed over it: ``path`` is either the old report or the whole new one."""
    with (
        OutputFolder.open(path.parent, create=False) as folder,
        folder.temporary(path.name) as temporary,
    ):
        temporary.file.write(data)
        temporary.replace(path.name)


# -- text ------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """Lone surrogates as ``\\xe9`` (:func:`printable`); control characters (newlines too),
    line separators and bidi overrides as escapes, so a file name shows what it holds and
    cannot reorder the text around it."""
    return escape_controls(printable(text))


def _e(text: str) -> str:
    """Text for HTML content or a quoted attribute."""
    return html.escape(_clean(text), quote=True)


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _have(count: int) -> str:
    return "has" if count == 1 else "have"


def _time_text(when: datetime) -> str:
    zone = when.strftime("%Z") or when.strftime("UTC%z")
    return f"{when:%Y-%m-%d %H:%M} {zone}".strip()
