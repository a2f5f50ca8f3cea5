"""Run every check for every platform and turn findings into violations.

Checks say what went wrong; the engine adds where (platform, media index, path), how bad
(severity from the code registry) and on whose word (the ``source`` of the broken limit).

Two things make a post against many platforms cheap. What depends only on the rules (which
checks can fire under each platform's limits, which platforms' sections hold the same limits)
is worked out once per ``RuleSet`` (``_compile``). And within one post, a section whose limits
another platform's section already has gets that section's findings instead of running its
checks again: post types and tiers (``instagram:reel``) mostly repeat their platform's limits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Any

from mediarules.checks.finding import Finding
from mediarules.checks.image import ImageCheck, check_image, image_checks_for
from mediarules.checks.post import check_account, check_post
from mediarules.checks.text import TextMeasures, check_alt_text, check_text
from mediarules.checks.upload import check_upload
from mediarules.checks.video import VideoCheck, check_video, video_checks_for
from mediarules.codes import CODES
from mediarules.intake import Item
from mediarules.models import MediaFacts, Report, Severity, Violation
from mediarules.ruleset import PlatformRules, RuleSet, Section

ALL_PLATFORMS = "all"
"""The ``platform`` of violations that hold whatever the platform (unreadable file, upload)."""


def evaluate(
    items: Sequence[Item],
    platforms: Sequence[str],
    ruleset: RuleSet,
    *,
    caption: str | None = None,
    title: str | None = None,
    account_type: str | None = None,
    content_warning: str | None = None,
    post_findings: Sequence[Finding] = (),
) -> Report:
    """``platforms`` are resolved keys of ``ruleset``; ``items`` are one post, in order.

    ``post_findings`` hold for every platform (the scheduler's own pitfalls, found in its
    payload) and are reported once, under ``all``.
    """
    post = _Post(items, caption, title, account_type, content_warning)
    found = list(_everywhere(items, post_findings))
    compiled = _compile(_Same(ruleset))
    for key in platforms:
        platform = compiled.get(key)
        if platform is None or platform.rules is not ruleset.platforms[key]:
            platform = _Platform.of(ruleset.platforms[key])  # the table was changed in place
        found.extend(_on_platform(post, key, platform))
    order = {name: rank for rank, name in enumerate([ALL_PLATFORMS, *platforms])}
    ranked = [_ranked(entry, order, items) for entry in found]
    ranked.sort(key=_rank)
    violations = [violation for _, violation in ranked]
    ok = not any(v.severity is Severity.ERROR for v in violations)
    # Every part is a record this module validated or made: no need to validate them again.
    return Report.model_construct(ok=ok, violations=violations, media=post.facts)


_Placed = tuple[Finding, str, str | None, int | None]
"""A finding with its platform, source and media index: all a violation needs."""


def _everywhere(items: Sequence[Item], post_findings: Sequence[Finding]) -> Iterator[_Placed]:
    """What holds for every platform: unreadable files, upload pitfalls, the payload's own."""
    for index, item in enumerate(items):
        findings: Iterable[Finding]
        if item.unreadable is not None:
            findings = [item.unreadable]
        else:
            findings = check_upload(item.facts, item.ref)
        for finding in findings:
            yield finding, ALL_PLATFORMS, finding.source, index
    for finding in post_findings:
        yield finding, ALL_PLATFORMS, finding.source, finding.media_index


def _on_platform(post: _Post, key: str, platform: _Platform) -> Iterator[_Placed]:
    fallback = platform.rules.source
    for finding, section, index in _platform_findings(post, platform):
        source = finding.source or section.source_of(finding.key or "", fallback)
        yield finding, key, source, index


# ---------------------------------------------------------------------------------------------
# what depends only on the rules


@dataclass(frozen=True, eq=False)
class _Same:
    """A key that matches only the very same object (a ``RuleSet`` is not hashable). The cache
    holds it, so the object stays alive and its ``id`` is not reused while it is cached."""

    value: Any

    def __hash__(self) -> int:
        return id(self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.value is self.value


@dataclass(frozen=True)
class _Platform:
    """One platform's rules with what the checks need worked out in advance.

    ``shares`` numbers each section by its limits: sections of the same kind with equal limits
    (sources aside, which no check reads) get the same number, and so the same findings.
    """

    rules: PlatformRules
    image_checks: tuple[ImageCheck, ...]
    video_checks: tuple[VideoCheck, ...]
    shares: dict[str, object] = field(default_factory=dict)

    @classmethod
    def of(cls, rules: PlatformRules, shares: dict[str, object] | None = None) -> _Platform:
        return cls(
            rules,
            image_checks_for(rules.image),
            video_checks_for(rules.video),
            shares if shares is not None else _own_shares(rules),
        )


_SECTIONS = ("post", "caption", "title", "image", "video", "alt_text", "account")


def _own_shares(rules: PlatformRules) -> dict[str, object]:
    """Share keys that match no other platform's (for a platform compiled on its own)."""
    return {name: (id(rules), name) for name in _SECTIONS}


@lru_cache(maxsize=8)
def _compile(same: _Same) -> dict[str, _Platform]:
    ruleset: RuleSet = same.value
    numbers: dict[tuple[str, str], int] = {}
    compiled = {}
    for key, rules in ruleset.platforms.items():
        shares: dict[str, object] = {}
        for name in _SECTIONS:
            section = getattr(rules, name)
            limits = (name, _limits(section))
            shares[name] = numbers.setdefault(limits, len(numbers))
        compiled[key] = _Platform.of(rules, shares)
    return compiled


def _limits(section: Section | None) -> str:
    """A section's limits, exactly: ``repr`` tells 60 from 60.0 and 4/5 from 0.8, which the
    messages and JSON output do too. Equal limits, equal findings."""
    if section is None:
        return "None"
    values = [
        (name, getattr(section, name))
        for name in type(section).model_fields
        if name not in ("source", "sources")
    ]
    return f"{type(section).__name__}{values!r}"


# ---------------------------------------------------------------------------------------------
# one post


class _Post:
    """One post being checked: its items and texts, and the findings each section's limits
    gave (``shared``), so that a platform with the same limits as another gets them for free.
    Lives for one ``evaluate`` call: never shared between posts or threads."""

    def __init__(
        self,
        items: Sequence[Item],
        caption: str | None,
        title: str | None,
        account_type: str | None,
        content_warning: str | None,
    ) -> None:
        self.items = items
        self.facts: list[MediaFacts] = [item.facts for item in items]
        self.caption = caption
        self.title = title
        self.account_type = account_type
        self.content_warning = content_warning
        self.texts = TextMeasures()
        self._found: dict[tuple[object, int | None], tuple[Finding, ...]] = {}

    def shared(
        self, share: object, index: int | None, run: Callable[[], Iterable[Finding]]
    ) -> tuple[Finding, ...]:
        """The findings of a section (``share``) for the post or for item ``index``."""
        key = (share, index)
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = tuple(run())
        return found


def _platform_findings(
    post: _Post, platform: _Platform
) -> Iterator[tuple[Finding, Section, int | None]]:
    rules, shares = platform.rules, platform.shares
    has_media = bool(post.items)
    for finding in post.shared(shares["post"], None, partial(check_post, post.facts, rules.post)):
        yield finding, rules.post, finding.media_index
    if rules.account is not None:
        run = partial(check_account, post.account_type, rules.account)
        for finding in post.shared(shares["account"], None, run):
            yield finding, rules.account, None
    run = partial(
        check_text,
        "caption",
        post.caption,
        rules.caption,
        has_media=has_media,
        content_warning=post.content_warning,
        measures=post.texts,
    )
    for finding in post.shared(shares["caption"], None, run):
        yield finding, rules.caption, None
    if rules.title is not None:
        run = partial(
            check_text, "title", post.title, rules.title, has_media=has_media, measures=post.texts
        )
        for finding in post.shared(shares["title"], None, run):
            yield finding, rules.title, None
    for index, item in enumerate(post.items):
        if item.unreadable is None:
            yield from _item_findings(post, platform, index, item)


def _item_findings(
    post: _Post, platform: _Platform, index: int, item: Item
) -> Iterator[tuple[Finding, Section, int | None]]:
    rules, shares, facts = platform.rules, platform.shares, item.facts
    if facts.kind == "image" and rules.post.images_allowed:
        run = partial(check_image, facts, rules.image, platform.image_checks)
        for finding in post.shared(shares["image"], index, run):
            yield finding, rules.image, index
    elif facts.kind == "video":
        run = partial(check_video, facts, rules.video, platform.video_checks)
        for finding in post.shared(shares["video"], index, run):
            yield finding, rules.video, index
    if rules.alt_text is not None:
        alt = item.ref.alt_text if item.ref else None
        run = partial(check_alt_text, facts, alt, rules.alt_text, measures=post.texts)
        for finding in post.shared(shares["alt_text"], index, run):
            yield finding, rules.alt_text, index


# ---------------------------------------------------------------------------------------------
# violations


_RankedViolation = tuple[tuple[int, int, int], Violation]


def _ranked(
    entry: _Placed,
    order: dict[str, int],
    items: Sequence[Item],
) -> _RankedViolation:
    """A violation with its place in the report: platform, then errors first, then media."""
    finding, platform, source, index = entry
    violation = _make(finding, platform, source, index, items[index] if index is not None else None)
    rank = (order[platform], violation.severity.rank, -1 if index is None else index)
    return rank, violation


def _rank(ranked: _RankedViolation) -> tuple[int, int, int]:
    return ranked[0]


def _make(
    finding: Finding, platform: str, source: str | None, index: int | None, item: Item | None
) -> Violation:
    severity: Severity = finding.severity or CODES[finding.code].severity
    return Violation(
        code=finding.code,
        severity=severity,
        platform=platform,
        media_index=index,
        path=item.facts.path if item is not None else None,
        message=finding.message,
        actual=finding.actual,
        limit=finding.limit,
        source=source,
        fix=finding.fix,
    )
