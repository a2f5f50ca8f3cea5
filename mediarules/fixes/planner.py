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
from dataclasses import replace
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
    video_bounds,
)
from mediarules.fixes.images import describe_image_changes
from mediarules.fixes.targets import ImageTarget, VideoTarget
from mediarules.fixes.text_split import split_text
from mediarules.fixes.video import describe_video_changes, ffmpeg_command
from mediarules.inputs.intake import Item
from mediarules.models import Applicability, MediaFacts, Report, Severity, Violation
from mediarules.ruleset import PlatformRules, RuleSet
from mediarules.safe_write import fit_name, split_suffix

TextMethod = Literal["unchanged", "cleaned", "truncate", "thread", "follow_up"]
"""What a fix does to the caption: nothing, remove refused characters, cut, thread, follow up."""

_MEDIA_PREFIXES = ("image.", "video.", "audio.", "media.too_large")
"""Codes a new file can fix (the rest of ``media.*`` is about names, types and alt text)."""

_PLANNED_NOTES = frozenset({"image.format_not_preferred"})
"""Notes whose fix is carried out too: their check offers it only when it loses nothing."""

_RENAME = "rename_file"
"""A fix step (``media.format_mismatch``, ``media.filename_changed``) that every output's
name carries out; with nothing else to change, a copy under the name ``check`` showed."""


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


class PlatformPlan(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    platform: str
    posts: list[PlannedPost]
    text: TextMethod = "unchanged"
    title_changed: bool = False
    text_applicability: Applicability | None = None
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
    before: Report


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
) -> FixPlan:
    """The fix plan for a post already checked (``report``) against ``platforms``."""
    outputs = _plan_outputs(items, report, platforms, ruleset)
    platform_plans = [
        _plan_platform(key, ruleset.platforms[key], items, report, outputs, caption, title)
        for key in platforms
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
        before=report,
    )


# -- media ---------------------------------------------------------------------------------


def _fixable(violation: Violation) -> bool:
    return (
        violation.media_index is not None
        and (violation.severity is not Severity.INFO or violation.code in _PLANNED_NOTES)
        and violation.code.startswith(_MEDIA_PREFIXES)
        and violation.fix is not None
        and violation.fix.applicability is not Applicability.MANUAL
    )


def _renames(report: Report, index: int) -> tuple[list[str], str | None]:
    """The codes of the upload checks (reported once, under ``all``) a new name fixes for
    item ``index``, and the name ``check`` offered."""
    codes: list[str] = []
    name: str | None = None
    for v in report.violations:
        if v.media_index != index or v.fix is None or v.fix.applicability is Applicability.MANUAL:
            continue
        for step in v.fix.steps:
            if step.op == _RENAME and isinstance(step.params.get("name"), str):
                codes.append(v.code)
                name = name or str(step.params["name"])
    return sorted(set(codes)), name


def _plan_outputs(
    items: Sequence[Item], report: Report, platforms: Sequence[str], ruleset: RuleSet
) -> list[OutputPlan]:
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
            rules = ruleset.platforms[key]
            if facts.kind == "image" and not rules.post.images_allowed:
                continue  # dropped for this platform, not converted
            codes = [
                v.code
                for v in report.violations
                if v.platform == key and v.media_index == index and _fixable(v)
            ]
            if not codes:
                if renames:
                    copied.append(key)
                continue
            codes.extend(renames)  # an output's name is sanitised and has the real extension
            bounds = _bounds(facts, rules, codes)
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


def _bounds(facts: MediaFacts, rules: PlatformRules, codes: list[str]) -> ImageBounds | VideoBounds:
    if facts.kind == "video":
        return video_bounds(rules)
    bounds = animated_image_bounds(rules) if facts.animated else image_bounds(rules)
    if "image.format_not_preferred" in codes and rules.image.preferred:
        bounds = replace(bounds, convert_to=rules.image.preferred[0])
    return bounds


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
    rules: PlatformRules,
    items: Sequence[Item],
    report: Report,
    outputs: Sequence[OutputPlan],
    caption: str | None,
    title: str | None,
) -> PlatformPlan:
    codes = {v.code for v in report.violations if v.platform == key}
    entries: list[tuple[int | str, MediaFacts]] = []
    dropped = False
    for index, item in enumerate(items):
        if item.facts.kind == "image" and not rules.post.images_allowed:
            dropped = True
            continue
        output = next((o for o in outputs if o.media_index == index and key in o.platforms), None)
        entries.append((output.id if output is not None else index, item.facts))
    groups = _media_groups(entries, rules, codes)
    cleaned = caption
    if caption is not None and "caption.invalid_characters" in codes:
        cleaned = _without(caption, rules.caption.forbidden_characters)
    text_method, parts = _plan_text(rules, cleaned, codes, has_media=bool(entries))
    if text_method == "unchanged" and cleaned != caption:
        text_method = "cleaned"
    new_title = _plan_title(rules, title, codes)
    changed = text_method != "unchanged" or new_title != title
    return PlatformPlan(
        platform=key,
        posts=_pair(parts, groups, new_title),
        text=text_method,
        title_changed=new_title != title,
        text_applicability=Applicability.UNSAFE if changed else None,
        reshaped=dropped or len(groups) > 1,
    )


def _without(text: str, characters: Sequence[str]) -> str:
    for character in characters:
        text = text.replace(character, "")
    return text


def _plan_title(rules: PlatformRules, title: str | None, codes: set[str]) -> str | None:
    """The title with refused characters removed and cut to its limit (a missing title
    needs a person)."""
    if title is None or rules.title is None:
        return title
    if "title.invalid_characters" in codes:
        title = _without(title, rules.title.forbidden_characters)
    limit = rules.title.max_length
    if "title.too_long" in codes and limit is not None:
        title = textlib.truncate(title, limit, rules.title.counting)
    return title


_SHAPE_CODES = frozenset(
    {
        "post.too_many_images",
        "post.too_many_videos",
        "post.too_many_items",
        "post.too_many_animations",
        "post.mixed_media_not_allowed",
    }
)


def _media_groups(
    entries: list[tuple[int | str, MediaFacts]], rules: PlatformRules, codes: set[str]
) -> list[list[int | str]]:
    """One post's media, or several posts when one cannot hold them (count, mixing)."""
    if not entries:
        return [[]]
    if not codes & _SHAPE_CODES:
        return [[entry for entry, _ in entries]]
    post = rules.post
    kinds: dict[str, list[int | str]] = {}
    for entry, facts in entries:
        if facts.kind == "video":
            kind = "video"
        elif facts.animated and post.max_animations is not None:
            kind = "animation"
        else:
            kind = "image"
        kinds.setdefault(kind if not post.mixing_allowed else "any", []).append(entry)
    per_kind = {
        "image": post.max_images,
        "video": post.max_videos,
        "animation": post.max_animations,
    }
    groups: list[list[int | str]] = []
    for kind, members in kinds.items():
        limits = [n for n in (post.max_items, per_kind.get(kind)) if n]
        size = min(limits) if limits else len(members)
        groups.extend(members[i : i + size] for i in range(0, len(members), size))
    return groups


def _plan_text(
    rules: PlatformRules, caption: str | None, codes: set[str], *, has_media: bool
) -> tuple[TextMethod, list[str | None]]:
    if caption is None or "caption.too_long" not in codes:
        return "unchanged", [caption]
    text_rules = rules.caption
    options = {"url_length": text_rules.url_length,
               "mention_domains_free": text_rules.mention_domains_free}  # fmt: skip
    limit = text_rules.max_length
    if not has_media and text_rules.max_length_text_only is not None:
        limit = text_rules.max_length_text_only
    counting = text_rules.counting
    if limit is None and text_rules.max_utf8_bytes is not None:
        limit, counting = text_rules.max_utf8_bytes, "utf8_bytes"
    if limit is None:
        return "unchanged", [caption]
    try:
        if text_rules.overflow == "follow_up":
            rest = text_rules.max_length_text_only or limit
            parts = split_text(caption, limit, rest, counting, **options)  # type: ignore[arg-type]
            return "follow_up", list(parts)
        if text_rules.overflow == "thread":
            parts = split_text(caption, limit, limit, counting, numbering=True, **options)  # type: ignore[arg-type]
            return "thread", list(parts)
    except ValueError:
        pass  # one character (a grapheme cluster) is longer than a whole post: cut it instead
    return "truncate", [textlib.truncate(caption, limit, counting, **options)]  # type: ignore[arg-type]


def _pair(
    parts: list[str | None], groups: list[list[int | str]], title: str | None
) -> list[PlannedPost]:
    """Text parts and media groups into posts: the first part with the first group, and so on;
    every post keeps the title."""
    count = max(len(parts), len(groups))
    return [
        PlannedPost(
            caption=parts[i] if i < len(parts) else None,
            title=title,
            media=groups[i] if i < len(groups) else [],
        )
        for i in range(count)
    ]
