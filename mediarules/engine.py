"""Run every check for every platform and turn findings into violations.

Checks say what went wrong; the engine adds where (platform, media index, path), how bad
(severity from the code registry) and on whose word (the ``source`` of the broken limit).

A post is checked for many platforms at once, and most of what is checked breaks nothing, so
the engine does each piece of work once and nothing it can skip:

- What depends only on the rules is compiled once per ``RuleSet`` object (``_compile``): for
  each platform, the parts of the check its limits give something to do, each a plain function
  over the post with the screens of its sections (``checks.screens``: the section's limits
  bound to local names, one boolean per file or text); which platforms read the same limits
  for a part (post types and tiers such as ``instagram:reel`` mostly repeat their platform's);
  and the source that cites each limit.
- A part runs the checks (generators that build each ``Finding`` with its fix) only for a file
  or text its screen says may break something: one that breaks nothing costs a call and
  allocates nothing. Within one post, each part runs once per distinct set of the limits it
  reads; platforms with the same limits get the same findings, each citing its own sources.
  Texts are counted once per counting unit (``TextMeasures``), each file's displayed size
  worked out once.
- Violations are built without validating again what was validated or made here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from operator import attrgetter, itemgetter
from typing import Any

from mediarules.checks.finding import Finding
from mediarules.checks.image import image_checks_for
from mediarules.checks.post import check_account, check_poll, post_checks_for
from mediarules.checks.screens import (
    FileScreen,
    PostShape,
    bit_of,
    image_screen,
    post_screen,
    text_screen,
    video_screen,
)
from mediarules.checks.text import TextMeasures, check_alt_text, check_tags, check_text
from mediarules.checks.upload import check_upload, upload_may_find
from mediarules.checks.video import video_checks_for
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
from mediarules.ruleset import (
    CITATION_KEYS,
    SECTIONS,
    PlatformRules,
    RuleSet,
    Section,
    TextRules,
)

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
    everywhere = order[ALL_PLATFORMS]
    paths = post.paths
    ranked = [
        _violation(
            finding,
            _severity(finding),
            index,
            paths,
            ALL_PLATFORMS,
            everywhere * _PLATFORM_RANK,
            finding.source,
            None,
        )
        for finding, index in _everywhere(items, post_findings)
    ]
    compiled = _compile(_Same(ruleset))
    for key in platforms:
        rules = ruleset.platforms[key]
        platform = compiled.get(key)
        if platform is None or platform.rules is not rules:  # the table was changed in place
            platform = _Platform.alone(rules)
        _on_platform(post, platform, key, order[key], ranked)
    ranked.sort(key=_PLACE)
    violations = list(map(_RECORD, ranked))
    ok = _ERROR not in map(_SEVERITY_OF, violations)  # (compared in C: str equality)
    # Every part is a record this module validated or made: no need to validate them again.
    return construct_trusted(Report, {"ok": ok, "violations": violations, "media": post.facts})


def _everywhere(
    items: Sequence[Item], post_findings: Sequence[Finding]
) -> Iterator[tuple[Finding, int | None]]:
    """What holds for every platform: unreadable files, upload pitfalls, the payload's own."""
    for index, item in enumerate(items):
        if item.invalid is not None:  # metadata that cannot be true: left out of the facts
            yield item.invalid, index
        if item.unreadable is not None:
            yield item.unreadable, index
        elif upload_may_find(item.facts, item.ref):
            for finding in check_upload(item.facts, item.ref):
                yield finding, index
    for finding in post_findings:
        yield finding, finding.media_index


def _on_platform(
    post: _Post, platform: _Platform, key: str, rank: int, ranked: list[_Ranked]
) -> None:
    """Append the violations of ``post`` on the platform ``key`` to ``ranked``."""
    shared = post.shared
    cited = platform.cited
    paths = post.paths
    append = ranked.append
    place = rank * _PLATFORM_RANK
    for part, share in platform.by_holdings.get(post.holds) or platform.steps_for(post.holds):
        findings = shared.get(share)
        if findings is None:  # the first platform with these limits: run the part
            findings = shared[share] = part(post)
        for finding, cite, index, severity in findings:
            if cite is None:  # a limit outside the table (the upload API's): its own source
                source, evidence = finding.source, None
            else:
                source, evidence = cited.get(cite) or platform.cite(*cite)
            append(_violation(finding, severity, index, paths, key, place, source, evidence))


def _violation(
    finding: Finding,
    severity: Severity,
    index: int | None,
    paths: Sequence[str | None],
    platform: str,
    place: int,
    source: str | None,
    evidence: Evidence | None,
) -> _Ranked:
    """The violation of ``finding`` on ``platform`` (``place``: the platform's rank, times
    ``_PLATFORM_RANK``), citing ``source`` and ``evidence``, with its place in the report."""
    limit: Any = finding.limit
    fields: dict[str, Any] = {
        "code": finding.code,
        "severity": severity,
        "platform": platform,
        "media_index": index,
        "path": None if index is None else paths[index],
        "message": finding.message,
        "actual": finding.actual,
        "limit": list(limit) if isinstance(limit, list) else limit,  # each record its own list
        "source": source,
        "fix": finding.fix,
        "evidence": evidence,
    }
    if severity is _ERROR:
        if evidence == THIRD_PARTY:
            # Only the platform's own word or the publisher's can refuse a post.
            fields["severity"] = _WARNING
            fields["message"] += THIRD_PARTY_NOTE
            place += _SEVERITY_RANK
    else:
        place += _SEVERITY_RANK if severity is _WARNING else 2 * _SEVERITY_RANK
    # The values come from validated records and typed checks: no need to validate them again
    # (tests/test_engine_speed_invariants.py holds violations to what validation gives).
    return place if index is None else place + index + 1, construct_trusted(Violation, fields)


# ---------------------------------------------------------------------------------------------
# the parts of a post, each checked against one platform's sections

_Placed = tuple[Finding, "tuple[str, str] | None", int | None, Severity]
"""A finding, the ``(section, key)`` of the limit it broke, which each platform cites (None
when the finding cites its own source), its media index and its severity."""


def _place(finding: Finding, section: str, index: int | None) -> _Placed:
    """``finding`` with what each platform cites for it (``_cite``), ``index`` and its
    severity (``_severity``)."""
    cite = None if finding.source is not None else (section, finding.key or "")
    return finding, cite, index, finding.severity or CODES[finding.code].severity


def _severity(finding: Finding) -> Severity:
    """The finding's own severity, else its code's."""
    return finding.severity or CODES[finding.code].severity


def _cite(finding: Finding, section: str) -> tuple[str, str] | None:
    """What each platform cites for ``finding``, a limit of its ``section``."""
    return None if finding.source is not None else (section, finding.key or "")


_Part = Callable[["_Post"], Sequence[_Placed]]
"""One part of the check, compiled for one platform's rules: what it finds in a post."""

_NOTHING: tuple[_Placed, ...] = ()

_Check = Callable[..., Iterator[Finding]]


def _post_part(rules: PlatformRules) -> _Part | None:
    """The post checks (``checks/post.py``) whose limits are set, behind the post's screen.

    What they find depends on nothing but the kind of each item (and whether an image is
    animated) and the platform's ``[post]`` limits: it is kept by that sequence of kinds, for
    every post of the same shape (most posts are one of a few)."""
    screen = post_screen(rules.post)
    if screen is None:
        return None
    checks, post_rules = _with_bits(post_checks_for(rules.post)), rules.post
    known: dict[object, list[_Placed]] = {}

    def part(post: _Post) -> Sequence[_Placed]:
        bits = screen(post.shape)
        if not bits:
            return _NOTHING
        found = known.get(post.kinds_key)
        if found is None:
            facts = post.facts
            found = [
                _place(finding, "post", finding.media_index)
                for bit, check in checks
                if bits & bit
                for finding in check(facts, post_rules)
            ]
            if len(post.items) <= _KEPT_ITEMS:
                if len(known) >= _KEPT:
                    known.clear()
                known[post.kinds_key] = found
        return found

    return part


_KEPT = 256
"""How many post shapes (or alt texts, account types) a part keeps what it found for."""
_KEPT_ITEMS, _KEPT_TEXT = 64, 1024
"""The longest post (in items) and text (in characters) kept: what is kept must stay small
whatever a post holds."""


def _with_bits(checks: Sequence[_Check]) -> tuple[tuple[int, _Check], ...]:
    """Each check with the bit its section's screen sets when it might find something."""
    return tuple((bit_of(check), check) for check in checks)


def _poll_part(rules: PlatformRules) -> _Part | None:
    post_rules = rules.post
    if post_rules.media_with_poll:
        return None

    def part(post: _Post) -> Sequence[_Placed]:
        if not post.poll or not post.facts:
            return _NOTHING
        found = check_poll(post.poll, post.facts, post_rules)
        return [_place(finding, "post", None) for finding in found]

    return part


def _account_part(rules: PlatformRules) -> _Part | None:
    account = rules.account
    if account is None or not account.types:
        return None
    types = frozenset(account.types)
    known: dict[str | None, list[_Placed]] = {}  # by account type: a few

    def part(post: _Post) -> Sequence[_Placed]:
        account_type = post.account_type
        if account_type in types:
            return _NOTHING
        found = known.get(account_type)
        if found is None:
            findings = check_account(account_type, account)
            found = [_place(finding, "account", None) for finding in findings]
            if account_type is None or len(account_type) <= _KEPT_TEXT:
                if len(known) >= _KEPT:
                    known.clear()
                known[account_type] = found
        return found

    return part


def _caption_part(rules: PlatformRules) -> _Part | None:
    return _text_part("caption", rules.caption)


def _title_part(rules: PlatformRules) -> _Part | None:
    return _text_part("title", rules.title)


def _text_part(field: str, text_rules: TextRules | None) -> _Part | None:
    """``check_text`` of the post's caption or title, behind the section's screen. A blank text
    (and no content warning counted with it) finds the same every post: kept."""
    if text_rules is None:
        return None
    screen = text_screen(text_rules)
    caption = field == "caption"
    counts_warning = caption and text_rules.content_warning_counts
    blank: list[tuple[_Placed, ...]] = []
    """What a blank text finds, once found (threads may each add it: all the same)."""

    def part(post: _Post) -> Sequence[_Placed]:
        text, has_media = post.caption if caption else post.title, bool(post.items)
        warning = post.content_warning if caption else None
        if not screen(text, has_media, warning, post.texts):
            return _NOTHING
        empty = (text is None or not text or text.isspace()) and not (counts_warning and warning)
        if empty and blank:
            return blank[0]
        findings = check_text(
            field,
            text,
            text_rules,
            has_media=has_media,
            content_warning=warning,
            measures=post.texts,
        )
        found = tuple(_place(finding, field, None) for finding in findings)
        if empty:
            blank.append(found)
        return found

    return part


def _files_part(
    section: str,
    screen: FileScreen | None,
    checks: Sequence[Callable[[MediaFacts, Any], Iterator[Finding]]],
    section_rules: Any,
) -> _Part | None:
    """The checks of one file section (``image``, ``video``) for each file of its kind; a
    file runs only those its section's screen says it might break."""
    if screen is None:
        return None
    images = section == "image"
    screened = _with_bits(checks)

    def part(post: _Post) -> Sequence[_Placed]:
        found: list[_Placed] | None = None
        for index, facts, display, animated in post.images if images else post.videos:
            bits = screen(facts, display, animated)
            if bits:
                for bit, check in screened:
                    if bits & bit:
                        for finding in check(facts, section_rules):
                            if found is None:
                                found = []
                            found.append(_place(finding, section, index))
        return _NOTHING if found is None else found

    return part


def _image_part(rules: PlatformRules) -> _Part | None:
    if not rules.post.images_allowed:  # each is reported as refused, not checked
        return None
    image = rules.image
    return _files_part("image", image_screen(image), image_checks_for(image), image)


def _video_part(rules: PlatformRules) -> _Part | None:
    if rules.post.max_videos == 0:  # each is reported as one video too many, not checked
        return None
    video = rules.video
    return _files_part("video", video_screen(video), video_checks_for(video), video)


def _alt_text_part(rules: PlatformRules) -> _Part | None:
    """Each item's alt text: the same findings for every item of a kind with the same text (in
    a carousel without alt text, every image), kept for the next posts too."""
    alt_rules = rules.alt_text
    if alt_rules is None:
        return None
    kinds = frozenset(alt_rules.kinds)
    required, most, counting = alt_rules.required, alt_rules.max_length, alt_rules.counting
    known: dict[tuple[str, str | None], tuple[Finding, ...]] = {}

    def part(post: _Post) -> Sequence[_Placed]:
        found: list[_Placed] = []
        for (kind, alt), indices in post.alt_texts:
            if kind not in kinds:
                continue
            findings = known.get((kind, alt))
            if findings is None:
                if alt is None or not alt.strip():
                    breaks = required
                else:
                    breaks = most is not None and post.texts.count(alt, counting) > most
                findings = (
                    tuple(check_alt_text(kind, alt, alt_rules, measures=post.texts))
                    if breaks
                    else ()
                )
                if alt is None or len(alt) <= _KEPT_TEXT:
                    if len(known) >= _KEPT:
                        known.clear()
                    known[kind, alt] = findings
            for finding in findings:
                cite, severity = _cite(finding, "alt_text"), _severity(finding)
                found += [(finding, cite, index, severity) for index in indices]
        return found

    return part


def _tags_part(rules: PlatformRules) -> _Part | None:
    tags_rules = rules.tags
    if tags_rules is None:
        return None

    def part(post: _Post) -> Sequence[_Placed]:
        found = check_tags(post.tags, tags_rules, measures=post.texts)
        return [_place(finding, "tags", None) for finding in found]

    return part


_POLL, _TAGS, _IMAGES, _VIDEOS, _READABLE = 1, 2, 4, 8, 16
"""What a post may hold (``_Post.holds``): a part that needs one of these finds nothing in a
post without it, and is not run."""

_PARTS: tuple[tuple[Callable[[PlatformRules], _Part | None], tuple[str, ...], int], ...] = (
    (_post_part, ("post",), 0),
    (_poll_part, ("post.media_with_poll",), _POLL),
    (_account_part, ("account",), 0),
    (_caption_part, ("caption",), 0),
    (_title_part, ("title",), 0),
    (_image_part, ("post.images_allowed", "image"), _IMAGES),
    (_video_part, ("post.max_videos", "video"), _VIDEOS),
    (_alt_text_part, ("alt_text",), _READABLE),
    (_tags_part, ("tags",), _TAGS),
)
"""Each part of a check, compiled for one platform's rules (None: they give it nothing to
check), the limits that decide its findings (a section, or one key of it), and what a post
must hold for it to find anything. Within a platform the report is sorted by severity, then
item (post-level first), keeping this order for equal keys."""


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


_Step = tuple[_Part, object]
"""A compiled part and its share key."""


@dataclass(frozen=True)
class _Platform:
    """One platform's rules compiled: the parts its rules give something to check, and for
    each a ``share`` key that another platform's part has when the sections it reads hold the
    same limits."""

    rules: PlatformRules
    parts: tuple[tuple[_Part, object, int], ...]
    """The parts its rules give something to check, each with its share key and what a post
    must hold for it to find anything."""
    cited: dict[tuple[str, str], tuple[str, Evidence | None]]
    """``(section, key)`` -> the source that cites the limit and how it is known, for every
    key of every section."""
    by_holdings: dict[int, tuple[_Step, ...]] = field(default_factory=dict, compare=False)
    """The parts worth running for a post, by what it holds (``_Post.holds``)."""

    @classmethod
    def of(cls, rules: PlatformRules, share: Callable[[str], object]) -> _Platform:
        """``share`` turns a part's number and the limits it reads into a key."""
        parts = []
        for number, (make, sections, needs) in enumerate(_PARTS):
            part = make(rules)
            if part is not None:
                parts.append((part, share(f"{number}: {_exactly(rules, sections)}"), needs))
        cited = {
            (name, key): (
                section.source_of(key, rules.source),
                section.evidence_of(key, rules.evidence),
            )
            for name in SECTIONS
            if isinstance(section := getattr(rules, name), Section)
            for key in ("", *type(section).model_fields)
        }
        return cls(rules, tuple(parts), cited)

    def cite(self, section: str, key: str) -> tuple[str, Evidence | None]:
        """Where the limit ``key`` of ``section`` comes from, and how it is known."""
        source, evidence, _ = self.rules.cite(section, key)
        return source, evidence

    def steps_for(self, holds: int) -> tuple[_Step, ...]:
        """The parts worth running for a post that holds ``holds`` (``_POLL``, ``_TAGS``...)."""
        found = self.by_holdings.get(holds)
        if found is None:
            found = self.by_holdings[holds] = tuple(
                (part, share) for part, share, needs in self.parts if needs & holds == needs
            )
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


_File = tuple[int, MediaFacts, "tuple[int, int] | None", bool]
"""A readable file of the post: its index, facts, displayed size and whether it is animated."""


_KIND_CODES: dict[tuple[str | None, bool], str] = {
    ("image", False): "i", ("image", True): "a", ("video", False): "v", (None, False): "-",
}  # fmt: skip
"""One character for each kind an item can have, for ``_Post.kinds_key``."""


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
        self.paths: list[str | None] = [facts.path for facts in self.facts]
        """Each item's path, as its violations show it."""
        self.images: list[_File] = []
        """The readable images and videos, each with what its screens read."""
        self.videos: list[_File] = []
        kinds: list[tuple[str | None, bool]] = []
        alt_texts: dict[tuple[str | None, str | None], list[int]] = {}
        images = animated = videos = 0
        for index, (facts, ref, unreadable, _) in enumerate(items):  # an Item's fields
            kind = facts.kind
            if kind == "image":
                images += 1
                moving = facts.animated
                animated += moving
                kinds.append((kind, moving))
                if unreadable is None:
                    self.images.append((index, facts, facts.display_size, moving))
            else:
                if kind == "video":
                    videos += 1
                    if unreadable is None:
                        self.videos.append((index, facts, facts.display_size, False))
                kinds.append((kind, False))
            if unreadable is None:
                key = (kind, ref.alt_text if ref else None)
                same = alt_texts.get(key)
                if same is None:
                    alt_texts[key] = [index]
                else:
                    same.append(index)
        self.alt_texts = list(alt_texts.items())
        """The readable items by kind and alt text (their alt text findings are the same),
        each with their indices in order."""
        self.kinds = tuple(kinds)
        """What the post checks read of every item, read or not: its kind, and whether an
        image is animated."""
        codes = [_KIND_CODES.get(kind, "") for kind in kinds]
        self.kinds_key: object = "".join(codes) if all(codes) else self.kinds
        """``kinds`` as a string (its hash is kept: platforms look it up in turn), or as is
        when an item has a kind no record takes."""
        self.shape = PostShape(len(items), images, animated, videos)
        self.caption = caption
        self.title = title
        self.account_type = account_type
        self.content_warning = content_warning
        self.tags = tags
        self.poll = poll
        self.holds = (
            (_POLL if poll else 0)
            | (_TAGS if tags else 0)
            | (_IMAGES if self.images else 0)
            | (_VIDEOS if self.videos else 0)
            | (_READABLE if alt_texts else 0)
        )
        """What the post holds (a poll, tags, readable images, videos, any readable item): the
        parts that need one run only then."""
        self.texts = TextMeasures()
        self.shared: dict[object, Sequence[_Placed]] = {}
        """What each part found, by share key: any platform whose limits are the same (the
        same part with the same key) gets these."""


# ---------------------------------------------------------------------------------------------
# violations


_Ranked = tuple[int, Violation]
"""A violation with its place in the report: platform, then errors first, then by item."""

_PLATFORM_RANK = 1 << 40
_SEVERITY_RANK = 1 << 32
"""``_Ranked``'s place in one integer: platform * 2**40 + severity * 2**32 + item + 1 (an
integer sorts faster than a tuple; items are far fewer than 2**32)."""


_PLACE, _RECORD, _SEVERITY_OF = itemgetter(0), itemgetter(1), attrgetter("severity")


_ERROR, _WARNING = Severity.ERROR, Severity.WARNING
"""Held here: reading an enum member off its class costs ~150 ns, and violations are many."""


THIRD_PARTY: Evidence = "third-party"
THIRD_PARTY_NOTE = " (a third-party figure; the platform does not document it)"
"""What a broken third-party limit's message adds: why it is a warning, not an error."""
