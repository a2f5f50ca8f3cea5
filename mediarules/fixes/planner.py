"""Plan every fix of a checked post: which new files, which posts, which text, and at what cost.

One output file serves as many platforms as can share it (one JPEG for LinkedIn, Bluesky and
Telegram), and every change to one file is one encode towards one merged target. Text that is
too long is split where the platform has threads or follow-up messages, cut elsewhere; media
that one post cannot hold is split over several posts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from fractions import Fraction
from pathlib import PurePath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mediarules import text as textlib
from mediarules.checks.upload import extension_for, sanitized_file_name
from mediarules.fixes.constraints import (
    ImageBounds,
    VideoBounds,
    animated_image_bounds,
    image_bounds,
    tightened,
    video_bounds,
)
from mediarules.fixes.images import describe_image_changes
from mediarules.fixes.plan import spread_groups
from mediarules.fixes.targets import ImageTarget, VideoTarget
from mediarules.fixes.text_split import split_text
from mediarules.fixes.video import describe_video_changes, ffmpeg_command
from mediarules.inputs.intake import Item
from mediarules.models import Applicability, MediaFacts, Report, Severity, Violation
from mediarules.requirements import (
    MEDIA_REQUIREMENTS,
    Dropped,
    Named,
    Requirement,
    Shorter,
    Spread,
    Without,
)
from mediarules.ruleset import PlatformRules, RuleSet
from mediarules.safe_write import fit_name, split_suffix

TextMethod = Literal["unchanged", "cleaned", "truncate", "thread", "follow_up"]
"""What a fix does to the caption: nothing, remove refused characters, cut, thread, follow up."""


class OutputPlan(BaseModel):
    """One new file: made from ``media_index`` for ``platforms``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    media_index: int
    source: str
    platforms: list[str]
    file_name: str
    image: ImageTarget | None = None
    video: VideoTarget | None = None
    copied: bool = Field(
        default=False, description="A byte-for-byte copy under a new name (no target)."
    )
    applicability: Applicability
    loses: list[str] = Field(default_factory=list)
    fixes: list[str] = Field(description="The violation codes this output removes.")
    ffmpeg: list[str] | None = Field(
        default=None, description="The same video fix as an ffmpeg command line."
    )


class PlannedPost(BaseModel):
    """One post as it will be published: its text and its media (input index or output id)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    caption: str | None
    title: str | None = None
    media: list[int | str] = Field(description="An int is an input kept as is; a str an output.")
    alt_texts: list[str | None] | None = Field(
        default=None, description="Each input's alt text, shortened; None: as given."
    )


class PlatformPlan(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    platform: str
    posts: list[PlannedPost]
    text: TextMethod = "unchanged"
    title_changed: bool = False
    alt_texts_changed: bool = False
    reshaped: bool = Field(default=False, description="Media dropped or split over posts.")


class FixPlan(BaseModel):
    """Everything ``apply_fixes`` will do, and what needs a person."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    outputs: list[OutputPlan]
    platforms: list[PlatformPlan]
    manual: list[Violation] = Field(description="Violations no automatic fix can remove.")
    caption: str | None = Field(description="The caption as given.")
    alt_texts: list[str | None] = Field(
        default_factory=list, description="Each input's alt text, carried to its outputs."
    )
    title: str | None = None
    account_type: str | None = None
    content_warning: str | None = None
    tags: list[str] | None = None
    poll: bool = False
    before: Report
    ruleset: RuleSet = Field(
        exclude=True,
        repr=False,
        description="The rules the plan was made with: its re-check uses them.",
    )


def plan(
    items: Sequence[Item],
    report: Report,
    platforms: Sequence[str],
    ruleset: RuleSet,
    *,
    caption: str | None,
    title: str | None = None,
    account_type: str | None = None,
    content_warning: str | None = None,
    tags: list[str] | None = None,
    poll: bool = False,
) -> FixPlan:
    """The fix plan for a post already checked (``report``) against ``platforms``."""
    outputs = _plan_outputs(items, report, platforms, ruleset)
    platform_plans = [
        _plan_platform(key, items, report, outputs, caption, title) for key in platforms
    ]
    manual = [
        v
        for v in report.violations
        if v.severity is not Severity.INFO
        and (v.fix is None or v.fix.applicability is Applicability.MANUAL)
    ]
    return FixPlan(
        outputs=outputs,
        platforms=platform_plans,
        manual=manual,
        caption=caption,
        alt_texts=[item.ref.alt_text if item.ref else None for item in items],
        title=title,
        account_type=account_type,
        content_warning=content_warning,
        tags=tags,
        poll=poll,
        before=report,
        ruleset=ruleset,
    )


# -- media ---------------------------------------------------------------------------------


def _media_needs(violation: Violation) -> list[Requirement]:
    """What a new file must meet to remove ``violation`` (nothing when a person must act)."""
    fix = violation.fix
    if violation.media_index is None or fix is None or fix.applicability is Applicability.MANUAL:
        return []
    return [need for need in fix.requires if isinstance(need, MEDIA_REQUIREMENTS)]


def _renames(report: Report, index: int) -> tuple[list[str], str | None]:
    """The codes of the upload checks (reported once, under ``all``) a new name fixes for
    item ``index``, and the name ``check`` offered."""
    codes: list[str] = []
    name: str | None = None
    for v in report.violations:
        if v.media_index != index or v.fix is None or v.fix.applicability is Applicability.MANUAL:
            continue
        for need in v.fix.requires:
            if isinstance(need, Named):
                codes.append(v.code)
                name = name or need.name
    return sorted(set(codes)), name


def _plan_outputs(
    items: Sequence[Item], report: Report, platforms: Sequence[str], ruleset: RuleSet
) -> list[OutputPlan]:
    """Per input, the fewest new files that meet every platform's requirements: each
    platform's requirements for the item are merged into its box (the platform's limits, so
    an output breaks none it met), and boxes that can share one file do."""
    outputs: list[OutputPlan] = []
    for index, item in enumerate(items):
        facts = item.facts
        metadata_only = item.ref is not None and item.ref.path is None
        if item.unreadable is not None or facts.kind is None or facts.path is None or metadata_only:
            continue  # nothing to read: a fix needs the file itself
        renames, new_name = _renames(report, index)
        groups: list[tuple[ImageBounds | VideoBounds, list[str], list[str]]] = []
        copied: list[str] = []  # platforms that need only the new name
        for key in platforms:
            mine = [v for v in report.violations if v.platform == key and v.media_index == index]
            if any(v.fix and any(isinstance(n, Dropped) for n in v.fix.requires) for v in mine):
                continue  # left out of this platform's posts, not converted
            needs = [need for v in mine for need in _media_needs(v)]
            if not needs:
                if renames:
                    copied.append(key)
                continue
            # an output's name is sanitised and has the real extension: it fixes renames too
            codes = [v.code for v in mine if _media_needs(v)] + renames
            bounds = tightened(_box(facts, ruleset.platforms[key]), needs)
            for position, (group, members, fixed) in enumerate(groups):
                merged = _merge(facts, group, bounds)
                if merged is not None:
                    groups[position] = (merged, [*members, key], sorted({*fixed, *codes}))
                    break
            else:
                groups.append((bounds, [key], sorted(set(codes))))
        for bounds, members, fixed in groups:
            outputs.append(_output(len(outputs) + 1, index, facts, bounds, members, fixed))
        if copied and new_name is not None:
            outputs.append(_copy(len(outputs) + 1, index, facts, copied, renames, new_name))
    return outputs


def _copy(
    number: int, index: int, facts: MediaFacts, platforms: list[str], fixed: list[str], name: str
) -> OutputPlan:
    """The file as it is, under the name ``check`` offered (a bare name: ``media.png`` when
    the upload API would leave no stem)."""
    bare = PurePath(name).name
    stem, suffix = split_suffix(f"media{bare}" if bare.startswith(".") or not bare else bare)
    return OutputPlan(
        id=f"o{number}", media_index=index, source=facts.path or "", platforms=platforms,
        file_name=fit_name(stem, suffix), copied=True,
        applicability=Applicability.SAFE, fixes=fixed,
    )  # fmt: skip


def _merge(
    facts: MediaFacts, group: ImageBounds | VideoBounds, bounds: ImageBounds | VideoBounds
) -> ImageBounds | VideoBounds | None:
    """One output for both, when something satisfies both and sharing costs nobody a safe
    fix: a platform whose own fix is safe keeps its own file rather than share a lossy one."""
    merged: ImageBounds | VideoBounds | None = None
    if isinstance(group, ImageBounds) and isinstance(bounds, ImageBounds):  # noqa: SIM114 (typing)
        merged = group.merge(bounds)
    elif isinstance(group, VideoBounds) and isinstance(bounds, VideoBounds):
        merged = group.merge(bounds)
    if merged is None or not _is_unsafe(facts, merged):
        return merged
    return merged if _is_unsafe(facts, group) and _is_unsafe(facts, bounds) else None


def _is_unsafe(facts: MediaFacts, bounds: ImageBounds | VideoBounds) -> bool:
    if isinstance(bounds, VideoBounds):
        return describe_video_changes(facts, bounds.target(facts))[0]
    return describe_image_changes(facts, bounds.target(facts))[0]


def _box(facts: MediaFacts, rules: PlatformRules) -> ImageBounds | VideoBounds:
    """Every limit the platform sets on a file of this kind: what an output must not break."""
    if facts.kind == "video":
        return video_bounds(rules)
    return animated_image_bounds(rules) if facts.animated else image_bounds(rules)


def _output(
    number: int,
    index: int,
    facts: MediaFacts,
    bounds: ImageBounds | VideoBounds,
    platforms: list[str],
    fixed: list[str],
) -> OutputPlan:
    source = facts.path or ""
    if isinstance(bounds, VideoBounds):
        video = bounds.target(facts)
        unsafe, loses = describe_video_changes(facts, video)
        name = _file_name(source, platforms, video.container, number)
        return OutputPlan(
            id=f"o{number}", media_index=index, source=source, platforms=platforms,
            file_name=name, video=video, applicability=_grade(unsafe), loses=loses,
            fixes=fixed, ffmpeg=ffmpeg_command(PurePath(source), video, PurePath(name), facts),
        )  # fmt: skip
    image = bounds.target(facts)
    unsafe, loses = describe_image_changes(facts, image)
    return OutputPlan(
        id=f"o{number}", media_index=index, source=source, platforms=platforms,
        file_name=_file_name(source, platforms, image.format, number), image=image,
        applicability=_grade(unsafe), loses=loses, fixes=fixed,
    )  # fmt: skip


def _grade(unsafe: bool) -> Applicability:
    return Applicability.UNSAFE if unsafe else Applicability.SAFE


def _file_name(source: str, platforms: list[str], fmt: str, number: int) -> str:
    """``banner-linkedin-bluesky.jpg``: the source's name, whom it is for, its real format.

    At most 255 bytes: a long source name is cut (whole characters), the ``-who-N.ext`` tail
    is kept."""
    who = "-".join(p.replace(":", "_") for p in platforms) if len(platforms) <= 3 else "fixed"
    if len(who) > _MAX_WHO:
        who = "fixed"
    tail = sanitized_file_name(f"-{who}-{number}{extension_for(fmt)}")
    return fit_name(_readable_stem(PurePath(source).stem) or "media", tail)


_MAX_WHO = 64


def _readable_stem(stem: str) -> str:
    """The stem as the upload API keeps it (``my photo (1)`` -> ``my_photo_1``), with letters
    that have an ASCII form given it (``Crème`` -> ``Creme``), so the name stays readable.

    Letters with none (``фото``), controls, symbols and leading dots go, as the upload API
    drops them: a name it would change again would raise ``media.filename_changed`` on the
    fixed file. Runs of ``_`` left behind become one."""
    kept: list[str] = []
    for char in unicodedata.normalize("NFC", stem.strip()):
        if char.isascii():
            kept.append("_" if char == " " else char if char.isalnum() or char in "_.-" else "")
            continue
        plain = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        if plain.isascii() and plain.isalnum():
            kept.append(plain)
    readable = re.sub(r"_{2,}", "_", "".join(kept)).lstrip(".")
    return readable if any(c.isalnum() for c in readable) else ""  # "_": no name left


# -- posts and text ------------------------------------------------------------------------


def _plan_platform(
    key: str,
    items: Sequence[Item],
    report: Report,
    outputs: Sequence[OutputPlan],
    caption: str | None,
    title: str | None,
) -> PlatformPlan:
    """The platform's posts: its outputs swapped in, refused items left out, the media spread
    over posts and the texts shortened as its violations' requirements ask."""
    needs = [
        (v.media_index, need)
        for v in report.violations
        if v.platform in (key, "all") and v.fix is not None
        and v.fix.applicability is not Applicability.MANUAL
        for need in v.fix.requires
    ]  # fmt: skip
    left_out = {index for index, need in needs if isinstance(need, Dropped) and index is not None}
    entries: list[tuple[int | str, int]] = []
    for index in range(len(items)):
        if index in left_out:
            continue
        output = next((o for o in outputs if o.media_index == index and key in o.platforms), None)
        entries.append((output.id if output is not None else index, index))
    spreads = [need for _, need in needs if isinstance(need, Spread)]
    groups = _media_groups(entries, items, spreads)
    texts = [need for _, need in needs if isinstance(need, Shorter | Without)]
    text_method, parts = _plan_text(caption, [n for n in texts if n.field == "caption"])
    new_title = _shortened(title, [n for n in texts if n.field == "title"])
    alt_texts = [item.ref.alt_text if item.ref else None for item in items]
    for where, need in needs:
        if isinstance(need, Shorter | Without) and need.field == "alt_text" and where is not None:
            alt_texts[where] = _shortened(alt_texts[where], [need])
    changed_alts = alt_texts != [item.ref.alt_text if item.ref else None for item in items]
    return PlatformPlan(
        platform=key,
        posts=_pair(parts, groups, new_title, alt_texts if changed_alts else None),
        text=text_method,
        title_changed=new_title != title,
        alt_texts_changed=changed_alts,
        reshaped=bool(left_out) or len(groups) > 1,
    )


def _without(text: str, characters: str) -> str:
    for character in characters:
        text = text.replace(character, "")
    return text


def _shortened(text: str | None, needs: Sequence[Shorter | Without]) -> str | None:
    """``text`` without refused characters, cut to every length it must meet (each cut keeps
    a prefix, so a later one never undoes an earlier one)."""
    if text is None:
        return None
    for need in needs:
        if isinstance(need, Without):
            text = _without(text, need.characters)
    for need in needs:
        if isinstance(need, Shorter):
            text = _truncate(text, need)
    return text


def _truncate(text: str, need: Shorter) -> str:
    return textlib.truncate(
        text, need.limit, need.unit,  # type: ignore[arg-type]
        url_length=need.url_length, mention_domains_free=need.mention_domains_free,
    )  # fmt: skip


def _media_groups(
    entries: list[tuple[int | str, int]], items: Sequence[Item], spreads: Sequence[Spread]
) -> list[list[int | str]]:
    """One post's media, or several posts as the ``Spread`` requirement asks (every post
    check of a platform asks the same one)."""
    if not entries:
        return [[]]
    if not spreads:
        return [[entry for entry, _ in entries]]
    categories = [
        "video" if items[i].facts.kind == "video"
        else "animation" if items[i].facts.animated else "image"
        for _, i in entries
    ]  # fmt: skip
    return [[entries[i][0] for i in group] for group in spread_groups(categories, spreads[0])]


_SPLIT_ROUNDS = 8
"""Tries at a shorter first limit before a text that must also meet another count is cut."""


def _plan_text(
    caption: str | None, needs: Sequence[Shorter | Without]
) -> tuple[TextMethod, list[str | None]]:
    """The caption's parts: cleaned of refused characters, then continued in a thread or
    follow-ups where the platform has them, else cut, so that every part meets every length
    asked of it (Bluesky: 300 graphemes and 3,000 UTF-8 bytes)."""
    if caption is None:
        return "unchanged", [caption]
    cleaned = _shortened(caption, [n for n in needs if isinstance(n, Without)]) or ""
    lengths = [n for n in needs if isinstance(n, Shorter)]
    if not lengths:
        return ("cleaned" if cleaned != caption else "unchanged"), [cleaned]
    lengths.sort(key=lambda n: n.unit != "utf8_bytes")  # the platform's own unit last: it splits
    main, others = lengths[-1], lengths[:-1]
    if main.overflow != "truncate":
        numbering = main.overflow == "thread"
        limit = main.limit
        rest = limit if numbering else (main.rest_limit or limit)
        for _ in range(_SPLIT_ROUNDS):
            try:
                parts = split_text(
                    cleaned, limit, rest, main.unit,  # type: ignore[arg-type]
                    url_length=main.url_length, mention_domains_free=main.mention_domains_free,
                    numbering=numbering,
                )  # fmt: skip
            except ValueError:
                break  # one character (a grapheme cluster) is longer than a whole post
            worst = max(
                (_over(part, other) for part in parts for other in others), default=Fraction(0)
            )
            if worst <= 1:
                return main.overflow, list(parts)
            limit = max(1, int(limit / worst))
            rest = max(1, int(rest / worst))
    return "truncate", [_shortened(cleaned, lengths)]


def _over(text: str, need: Shorter) -> Fraction:
    """How many times over ``need``'s limit ``text`` is (at most 1: it fits)."""
    length = textlib.count(
        text, need.unit,  # type: ignore[arg-type]
        url_length=need.url_length, mention_domains_free=need.mention_domains_free,
    )  # fmt: skip
    return Fraction(length, max(1, need.limit))


def _pair(
    parts: list[str | None],
    groups: list[list[int | str]],
    title: str | None,
    alt_texts: list[str | None] | None,
) -> list[PlannedPost]:
    """Text parts and media groups into posts: the first part with the first group, and so on;
    every post keeps the title. ``alt_texts`` (by input index): shortened ones, when any is."""
    count = max(len(parts), len(groups))
    return [
        PlannedPost(
            caption=parts[i] if i < len(parts) else None,
            title=title,
            media=groups[i] if i < len(groups) else [],
            alt_texts=alt_texts,
        )
        for i in range(count)
    ]
