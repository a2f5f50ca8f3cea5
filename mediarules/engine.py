"""Run every check for every platform and turn findings into violations.

Checks say what went wrong; the engine adds where (platform, media index, path), how bad
(severity from the code registry) and on whose word (the ``source`` of the broken limit).

A post is checked for many platforms at once, so the engine does each piece of work once:

- What depends only on the rules is worked out once per ``RuleSet`` object (``_compile``):
  which checks can find anything under each platform's limits, which platforms read the same
  limits for a part of the check (post types and tiers such as ``instagram:reel`` mostly repeat
  their platform's), and the source that cites each limit.
- Within one post, each part (a post-level check, the caption, the title, the images, the
  videos, the alt texts) runs once per distinct set of the limits it reads; platforms with the
  same limits get the same findings, each citing its own sources. Captions are counted once per
  counting unit (``TextMeasures``).
- Violations are built without validating again what was validated or made here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from mediarules.checks.finding import Finding
from mediarules.checks.image import ImageCheck, image_checks_for
from mediarules.checks.post import LIMIT_KEYS as POST_KEYS
from mediarules.checks.post import (
    POST_CHECKS,
    PostCheck,
    check_account,
    check_poll,
    post_checks_for,
)
from mediarules.checks.text import TextMeasures, check_alt_text, check_tags, check_text
from mediarules.checks.upload import check_upload
from mediarules.checks.video import VideoCheck, video_checks_for
from mediarules.codes import CODES
from mediarules.inputs.intake import Item
from mediarules.models import (
    ALL_PLATFORMS,
    Evidence,
    MediaFacts,
    Report,
    Severity,
    Violation,
    construct_trusted,
)
from mediarules.ruleset import CITATION_KEYS, SECTIONS, PlatformRules, RuleSet, Section

_CITATIONS = CITATION_KEYS - {"exclusive"}  # exclusivity changes what the checks find


def evaluate(
    items: Sequence[Item],
    platforms: Sequence[str],
    ruleset: RuleSet,
    *,
    caption: str | None = None,
    title: str | None = None,
    account_type: str | None = None,
    content_warning: str | None = None,
    tags: Sequence[str] | None = None,
    poll: bool = False,
    post_findings: Sequence[Finding] = (),
) -> Report:
    """``platforms`` are resolved keys of ``ruleset``; ``items`` are one post, in order.

    ``tags`` are the post's keyword tags (YouTube); ``poll``: the post has a poll.
    ``post_findings`` hold for every platform (the scheduler's own pitfalls, found in its
    payload) and are reported once, under ``all``.
    """
    post = _Post(items, caption, title, account_type, content_warning, tags, poll)
    order = {name: rank for rank, name in enumerate([ALL_PLATFORMS, *platforms])}
    ranked = [
        _Violating(finding, "", index, items).violation(
            ALL_PLATFORMS, order[ALL_PLATFORMS], (finding.source, None)
        )
        for finding, index in _everywhere(items, post_findings)
    ]
    compiled = _compile(_Same(ruleset))
    for key in platforms:
        rules = ruleset.platforms[key]
        platform = compiled.get(key)
        if platform is None or platform.rules is not rules:  # the table was changed in place
            platform = _Platform.alone(rules)
        ranked.extend(_on_platform(post, platform, key, order[key]))
    ranked.sort(key=_rank)
    violations = [violation for _, violation in ranked]
    ok = not any(v.severity is _ERROR for v in violations)
    # Every part is a record this module validated or made: no need to validate them again.
    return construct_trusted(Report, {"ok": ok, "violations": violations, "media": post.facts})


def _everywhere(
    items: Sequence[Item], post_findings: Sequence[Finding]
) -> Iterator[tuple[Finding, int | None]]:
    """What holds for every platform: unreadable files, upload pitfalls, the payload's own."""
    for index, item in enumerate(items):
        findings: Iterable[Finding]
        if item.unreadable is not None:
            findings = [item.unreadable]
        else:
            findings = check_upload(item.facts, item.ref)
        if item.invalid is not None:  # metadata that cannot be true: left out of the facts
            yield item.invalid, index
        for finding in findings:
            yield finding, index
    for finding in post_findings:
        yield finding, finding.media_index


def _on_platform(post: _Post, platform: _Platform, key: str, rank: int) -> list[_Ranked]:
    shared = post.shared
    cited = platform.cited
    ranked: list[_Ranked] = []
    append = ranked.append
    extras = post.extras
    for part, share in platform.plain if extras is None else platform.parts_for(extras):
        findings = shared.get(share)
        if findings is None:
            findings = post.find(part, share, platform)
        for found in findings:
            cite = found.cite
            if cite is None:  # a limit outside the table (the upload API's): its own source
                append(found.violation(key, rank, (found.finding.source, None)))
            else:
                append(found.violation(key, rank, cited.get(cite) or platform.cite(*cite)))
    return ranked


# ---------------------------------------------------------------------------------------------
# the parts of a post, each checked against one platform's sections

_Found = tuple[Finding, str, int | None]
"""A finding, the name of the section whose limit it broke, and its media index."""

_Part = Callable[["_Post", "_Platform"], Iterator[_Found]]


def _post_part(check: PostCheck) -> _Part:
    """The part that runs one check of ``checks/post.py``."""

    def part(post: _Post, platform: _Platform) -> Iterator[_Found]:
        for finding in check(post.facts, platform.rules.post):
            yield finding, "post", finding.media_index

    part.__name__ = f"_post_part[{check.__name__}]"
    return part


def _poll_part(post: _Post, platform: _Platform) -> Iterator[_Found]:
    for finding in check_poll(post.poll, post.facts, platform.rules.post):
        yield finding, "post", None


def _tags_part(post: _Post, platform: _Platform) -> Iterator[_Found]:
    if platform.rules.tags is not None:
        for finding in check_tags(post.tags, platform.rules.tags, measures=post.texts):
            yield finding, "tags", None


def _account_part(post: _Post, platform: _Platform) -> Iterator[_Found]:
    if platform.rules.account is not None:
        for finding in check_account(post.account_type, platform.rules.account):
            yield finding, "account", None


def _caption_part(post: _Post, platform: _Platform) -> Iterator[_Found]:
    findings = check_text(
        "caption",
        post.caption,
        platform.rules.caption,
        has_media=bool(post.items),
        content_warning=post.content_warning,
        measures=post.texts,
    )
    for finding in findings:
        yield finding, "caption", None


def _title_part(post: _Post, platform: _Platform) -> Iterator[_Found]:
    if platform.rules.title is not None:
        findings = check_text(
            "title",
            post.title,
            platform.rules.title,
            has_media=bool(post.items),
            measures=post.texts,
        )
        for finding in findings:
            yield finding, "title", None


def _image_part(post: _Post, platform: _Platform) -> Iterator[_Found]:
    rules = platform.rules
    if not rules.post.images_allowed:
        return
    for index, item in post.images:
        for check in platform.image_checks:
            for finding in check(item.facts, rules.image):
                yield finding, "image", index


def _video_part(post: _Post, platform: _Platform) -> Iterator[_Found]:
    rules = platform.rules
    if rules.post.max_videos == 0:  # each is reported as one video too many, not checked
        return
    for index, item in post.videos:
        for check in platform.video_checks:
            for finding in check(item.facts, rules.video):
                yield finding, "video", index


def _alt_text_part(post: _Post, platform: _Platform) -> Iterator[_Found]:
    rules = platform.rules.alt_text
    if rules is None:
        return
    found: dict[tuple[str | None, str | None], tuple[Finding, ...]] = {}
    for index, item in post.readable:
        kind, alt = item.facts.kind, item.ref.alt_text if item.ref else None
        if (kind, alt) not in found:  # items of a kind with the same text: the same findings
            found[kind, alt] = tuple(check_alt_text(kind, alt, rules, measures=post.texts))
        for finding in found[kind, alt]:
            yield finding, "alt_text", index


def _runs_post_check(check: PostCheck) -> Callable[[PlatformRules], bool]:
    return lambda rules: check in post_checks_for(rules.post)


_EXTRAS: dict[_Part, int] = {_poll_part: 0, _tags_part: 1}
"""Parts that find nothing in a post without a poll (0) or without tags (1)."""

_PARTS: tuple[tuple[_Part, tuple[str, ...], Callable[[PlatformRules], bool]], ...] = (
    *(
        (
            _post_part(check),
            tuple(f"post.{key}" for key in POST_KEYS[check]),
            _runs_post_check(check),
        )
        for check in POST_CHECKS
    ),
    (_poll_part, ("post.media_with_poll",), lambda rules: not rules.post.media_with_poll),
    (_account_part, ("account",), lambda rules: rules.account is not None),
    (_caption_part, ("caption",), lambda rules: True),
    (_title_part, ("title",), lambda rules: rules.title is not None),
    (
        _image_part,
        ("post.images_allowed", "image"),
        lambda rules: rules.post.images_allowed and bool(image_checks_for(rules.image)),
    ),
    (
        _video_part,
        ("post.max_videos", "video"),
        lambda rules: rules.post.max_videos != 0 and bool(video_checks_for(rules.video)),
    ),
    (_alt_text_part, ("alt_text",), lambda rules: rules.alt_text is not None),
    (_tags_part, ("tags",), lambda rules: rules.tags is not None),
)
"""Each part of a check, the limits that decide its findings (a section, or one key of it), and
whether a platform's rules give it anything to check. Within a platform the report is sorted by
severity, then item (post-level first), keeping this order for equal keys."""


# ---------------------------------------------------------------------------------------------
# what depends only on the rules


class _Same:
    """A cache key that matches only the very same object (a ``RuleSet`` is not hashable).
    The cache holds the key, so the object stays alive and its ``id`` is not reused."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __hash__(self) -> int:
        return id(self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.value is self.value


@dataclass(frozen=True)
class _Platform:
    """One platform's rules with what the checks need worked out in advance: the image and
    video checks its limits can break, and for each part of the check a ``share`` key that
    another platform's part has when the sections it reads hold the same limits."""

    rules: PlatformRules
    image_checks: tuple[ImageCheck, ...]
    video_checks: tuple[VideoCheck, ...]
    parts: tuple[tuple[_Part, object], ...]
    """The parts its rules give something to check, each with its share key."""
    cited: dict[tuple[str, str], tuple[str, Evidence | None]]
    """``(section, key)`` -> the source that cites the limit and how it is known, for every
    key of every section."""
    plain: tuple[tuple[_Part, object], ...] = ()
    """``parts`` for a post with neither a poll nor tags (most): those reading them left out."""
    by_extras: dict[tuple[bool, bool], tuple[tuple[_Part, object], ...]] = field(
        default_factory=dict, compare=False
    )
    """``parts`` for a post with a poll or tags, by ``(poll, tags)``."""

    @classmethod
    def of(cls, rules: PlatformRules, share: Callable[[str], object]) -> _Platform:
        """``share`` turns a part's number and the limits it reads into a key."""
        parts = tuple(
            (part, share(f"{number}: {_exactly(rules, sections)}"))
            for number, (part, sections, can_find) in enumerate(_PARTS)
            if can_find(rules)
        )
        cited = {
            (name, key): (
                section.source_of(key, rules.source),
                section.evidence_of(key, rules.evidence),
            )
            for name in SECTIONS
            if isinstance(section := getattr(rules, name), Section)
            for key in ("", *type(section).model_fields)
        }
        checks = image_checks_for(rules.image), video_checks_for(rules.video)
        plain = tuple(p for p in parts if p[0] not in _EXTRAS)
        return cls(rules, *checks, parts, cited, plain)

    def cite(self, section: str, key: str) -> tuple[str, Evidence | None]:
        """Where the limit ``key`` of ``section`` comes from, and how it is known."""
        source, evidence, _ = self.rules.cite(section, key)
        return source, evidence

    def parts_for(self, extras: tuple[bool, bool]) -> tuple[tuple[_Part, object], ...]:
        """The parts worth running for a post with (or without) a poll and tags."""
        found = self.by_extras.get(extras)
        if found is None:
            poll, tags = extras
            idle = {part for part, present in _EXTRAS.items() if not (poll, tags)[present]}
            found = self.by_extras[extras] = tuple(p for p in self.parts if p[0] not in idle)
        return found

    @classmethod
    def alone(cls, rules: PlatformRules) -> _Platform:
        """Compiled on its own: its parts share nothing with another platform's."""
        return cls.of(rules, lambda _: object())


@lru_cache(maxsize=8)
def _compile(same: _Same) -> dict[str, _Platform]:
    ruleset: RuleSet = same.value
    numbers: dict[str, int] = {}

    def share(limits: str) -> int:
        return numbers.setdefault(limits, len(numbers))

    return {key: _Platform.of(rules, share) for key, rules in ruleset.platforms.items()}


def _exactly(rules: PlatformRules, names: Sequence[str]) -> str:
    """The limits ``names`` point at (a section, ``image``, or one key, ``post.max_items``),
    exactly: ``repr`` tells 60 from 60.0 and 4:5 from 0.8, as messages and JSON output do.
    Citations are left out: no check reads them (the severity an evidence gives is set per
    platform, after the findings are shared)."""
    described = []
    for name in names:
        value: object = rules
        for attribute in name.split("."):
            value = getattr(value, attribute)
        if isinstance(value, Section):
            value = [
                (field, getattr(value, field))
                for field in type(value).model_fields
                if field not in _CITATIONS
            ]
        described.append(f"{name}={value!r}")
    return "; ".join(described)


# ---------------------------------------------------------------------------------------------
# one post


class _Post:
    """One post being checked: its items and texts, the counts of its texts, and what each part
    found against each set of limits. Lives for one ``evaluate`` call: never shared between
    posts or threads."""

    def __init__(
        self,
        items: Sequence[Item],
        caption: str | None,
        title: str | None,
        account_type: str | None,
        content_warning: str | None,
        tags: Sequence[str] | None = None,
        poll: bool = False,
    ) -> None:
        self.items = items
        self.facts: list[MediaFacts] = [item.facts for item in items]
        self.readable = [(i, item) for i, item in enumerate(items) if item.unreadable is None]
        """The items that could be read, with their index; then the images, the videos."""
        self.images = [(i, item) for i, item in self.readable if item.facts.kind == "image"]
        self.videos = [(i, item) for i, item in self.readable if item.facts.kind == "video"]
        self.caption = caption
        self.title = title
        self.account_type = account_type
        self.content_warning = content_warning
        self.tags = tags
        self.poll = poll
        self.extras = (poll, bool(tags)) if poll or tags else None
        """Whether the post has a poll, and tags (None: neither): the parts that read them run
        only then."""
        self.texts = TextMeasures()
        self.shared: dict[object, tuple[_Violating, ...]] = {}
        """What each part found, by share key: any platform whose limits are the same (the
        same part with the same key) gets these."""

    def find(self, part: _Part, share: object, platform: _Platform) -> tuple[_Violating, ...]:
        """Run ``part`` for ``platform``, and keep what it found under ``share``."""
        found = self.shared[share] = tuple(
            _Violating(finding, section, index, self.items)
            for finding, section, index in part(self, platform)
        )
        return found


# ---------------------------------------------------------------------------------------------
# violations


_Ranked = tuple[tuple[int, int, int], Violation]
"""A violation with its place in the report: platform, then errors first, then by item."""


def _rank(ranked: _Ranked) -> tuple[int, int, int]:
    return ranked[0]


class _Violating:
    """A finding placed in the post, with all its violations share whatever the platform;
    ``violation`` adds a platform, the source it cites and how that source is known."""

    __slots__ = ("cite", "error", "fields", "finding", "list_limit", "order", "section")

    def __init__(
        self, finding: Finding, section: str, index: int | None, items: Sequence[Item]
    ) -> None:
        severity: Severity = finding.severity or CODES[finding.code].severity
        self.finding = finding
        self.section = section
        """The name of the section whose limit it broke (the platform cites it)."""
        self.order = (_rank_of(severity), -1 if index is None else index)
        self.cite = None if finding.source is not None else (section, finding.key or "")
        """The ``(section, key)`` of the limit it broke, which each platform cites; None when
        the finding cites its own source."""
        self.error = severity is _ERROR
        self.list_limit = isinstance(finding.limit, list)
        self.fields: dict[str, Any] = {
            "code": finding.code,
            "severity": severity,
            "platform": None,
            "media_index": index,
            "path": None if index is None else items[index].facts.path,
            "message": finding.message,
            "actual": finding.actual,
            "limit": finding.limit,
            "source": None,
            "fix": finding.fix,
            "evidence": None,
        }

    def violation(
        self, platform: str, rank: int, citation: tuple[str | None, Evidence | None]
    ) -> _Ranked:
        """The violation on ``platform``, citing ``(source, evidence)``."""
        fields = self.fields.copy()
        fields["platform"] = platform
        fields["source"], fields["evidence"] = citation
        if self.list_limit:
            fields["limit"] = list(fields["limit"])  # every record its own list, as validated
        order = self.order
        if self.error and citation[1] == THIRD_PARTY:
            # Only the platform's own word or the publisher's can refuse a post.
            fields["severity"] = _WARNING
            fields["message"] += THIRD_PARTY_NOTE
            order = (_rank_of(_WARNING), order[1])
        # The values come from validated records and typed checks: no need to validate them
        # again (tests/test_engine_speed_invariants.py holds violations to what validation gives).
        return (rank, *order), construct_trusted(Violation, fields)


_ERROR, _WARNING = Severity.ERROR, Severity.WARNING
"""Held here: reading an enum member off its class costs ~150 ns, and violations are many."""


def _rank_of(severity: Severity) -> int:
    """``severity.rank``, by identity (the property and the enum's hash are Python code)."""
    return 0 if severity is _ERROR else 1 if severity is _WARNING else 2


THIRD_PARTY: Evidence = "third-party"
THIRD_PARTY_NOTE = " (a third-party figure; the platform does not document it)"
"""What a broken third-party limit's message adds: why it is a warning, not an error."""
