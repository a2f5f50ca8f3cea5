"""Checks on the caption, the title and alt text, each counted the platform's own way."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from mediarules import text as textlib
from mediarules.checks.finding import Finding, manual
from mediarules.fixes import plan
from mediarules.models import MediaKind
from mediarules.requirements import Shorter, Without
from mediarules.ruleset import AltTextRules, Counting, TagsRules, TextRules

_UNITS = textlib.UNIT_NAMES


class TextMeasures:
    """Counts and entities of a post's texts, each worked out once: every platform of a post
    measures the same caption, most of them in one of a few units.

    Make one per post (``check_text`` makes its own when given none): it keeps what it
    measured, so it is not for sharing between posts or threads.
    """

    def __init__(self) -> None:
        self._counts: dict[tuple[str, Counting, int | None, bool], int] = {}
        self._entities: dict[tuple[str, str], int] = {}

    def count(
        self,
        text: str,
        counting: Counting,
        *,
        url_length: int | None = None,
        mention_domains_free: bool = False,
    ) -> int:
        """``mediarules.text.count`` of ``text``."""
        key = (text, counting, url_length, mention_domains_free)
        found = self._counts.get(key)
        if found is None:
            found = self._counts[key] = textlib.count(
                text, counting, url_length=url_length, mention_domains_free=mention_domains_free
            )
        return found

    def length(self, text: str, unit: tuple[Counting, int | None, bool]) -> int:
        """``count`` of ``text`` in ``unit``: ``(counting, url_length, mention_domains_free)``."""
        found = self._counts.get((text, *unit))
        if found is None:
            counting, url_length, free = unit
            found = self._counts[text, counting, url_length, free] = textlib.count(
                text, counting, url_length=url_length, mention_domains_free=free
            )
        return found

    def entities(self, text: str, what: str) -> int:
        """How many ``hashtags``, ``mentions`` or (unique) ``links`` ``text`` holds."""
        key = (text, what)
        found = self._entities.get(key)
        if found is None:
            found = self._entities[key] = len(_ENTITY_FINDERS[what](text))
        return found


def _unique_links(text: str) -> list[str]:
    return list(dict.fromkeys(textlib.find_urls(text)))  # the platform counts unique links


_ENTITY_FINDERS: dict[str, Callable[[str], list[str]]] = {
    "hashtags": textlib.find_hashtags,
    "mentions": textlib.find_mentions,
    "links": _unique_links,
}


def check_text(
    field: str,
    value: str | None,
    rules: TextRules,
    *,
    has_media: bool,
    content_warning: str | None = None,
    measures: TextMeasures | None = None,
) -> Iterator[Finding]:
    """``field`` is ``caption`` or ``title``; it prefixes every code. ``content_warning``
    counts towards the length where the platform says so (Mastodon: spoiler text + text).
    ``measures`` keeps counts for the other platforms of the same post."""
    warning = content_warning if rules.content_warning_counts and content_warning else None
    if value is None or not value.strip():
        if rules.required:
            yield Finding(
                f"{field}.missing",
                f"the platform needs a {field}",
                key="required",
                actual=None,
                limit=True,
                fix=manual(f"Write a {field}"),
            )
        if warning is None:
            return
        value = ""  # Mastodon counts a content warning with a blank text as the warning alone
    measures = measures or TextMeasures()
    yield from _length(field, value, rules, measures, has_media=has_media, content_warning=warning)
    yield from _utf8_bytes(field, value, rules, measures)
    yield from _counted_entities(field, value, rules, measures)
    yield from _invalid_for_counter(field, value, rules)
    forbidden = textlib.forbidden_found(value, rules.forbidden_characters)
    if forbidden:
        yield Finding(
            f"{field}.invalid_characters",
            f"{field} contains {' '.join(forbidden)}, which the platform refuses",
            key="forbidden_characters",
            actual="".join(forbidden),
            limit=rules.forbidden_characters,
            fix=plan.remove_characters(Without(field=field, characters="".join(forbidden))),  # type: ignore[arg-type]
        )


def _invalid_for_counter(field: str, value: str, rules: TextRules) -> Iterator[Finding]:
    """Characters the platform's own counter refuses (X: U+FFFE, U+FEFF, U+FFFF)."""
    invalid = textlib.invalid_characters(value, rules.counting)
    if invalid:
        names = ", ".join(f"U+{ord(char):04X}" for char in invalid)
        yield Finding(
            f"{field}.invalid_characters",
            f"{field} contains {names}, which the platform's counter refuses",
            key="counting",
            actual="".join(invalid),
            limit=list(textlib.INVALID_CHARACTERS),
            fix=plan.remove_characters(Without(field=field, characters="".join(invalid))),  # type: ignore[arg-type]
        )


def _length(
    field: str,
    value: str,
    rules: TextRules,
    measures: TextMeasures,
    *,
    has_media: bool,
    content_warning: str | None,
) -> Iterator[Finding]:
    limit, key = rules.max_length, "max_length"
    if not has_media and rules.max_length_text_only is not None:
        limit, key = rules.max_length_text_only, "max_length_text_only"
    if limit is None:
        return

    def measure(text: str) -> int:
        return measures.count(
            text,
            rules.counting,
            url_length=rules.url_length,
            mention_domains_free=rules.mention_domains_free,
        )

    # Mastodon: grapheme length of the spoiler text, as written, + the status text with its
    # URLs and mentions rewritten (StatusLengthValidator#too_long?).
    length = (
        measures.count(content_warning + _countable(value, rules), rules.counting)
        if content_warning
        else measure(value)
    )
    if length <= limit:
        return
    unit = _UNITS[rules.counting]
    what = f"{field} with its content warning" if content_warning else field
    room = limit - measures.count(content_warning, rules.counting) if content_warning else limit
    yield Finding(
        f"{field}.too_long",
        f"{what} is {length:,} {unit}; the limit is {limit:,}",
        key=key,
        actual=length,
        limit=limit,
        fix=plan.truncate_text(
            Shorter(
                field=field,  # type: ignore[arg-type]
                limit=max(0, room),
                unit=rules.counting,
                url_length=rules.url_length,
                mention_domains_free=rules.mention_domains_free,
                overflow=rules.overflow,
                rest_limit=rules.max_length_text_only,
            )
        ),
    )


def _countable(value: str, rules: TextRules) -> str:
    if rules.url_length is None and not rules.mention_domains_free:
        return value
    return textlib.countable_text(
        value,
        url_length=rules.url_length,
        mention_domains_free=rules.mention_domains_free,
        urls_without_protocol=rules.counting == "weighted",
    )


def _utf8_bytes(
    field: str, value: str, rules: TextRules, measures: TextMeasures
) -> Iterator[Finding]:
    limit = rules.max_utf8_bytes
    if limit is None:
        return
    size = measures.count(value, "utf8_bytes")
    if size <= limit:
        return
    yield Finding(
        f"{field}.too_long",
        f"{field} is {size:,} bytes in UTF-8; the limit is {limit:,} bytes",
        key="max_utf8_bytes",
        actual=size,
        limit=limit,
        fix=plan.truncate_text(
            Shorter(
                field=field,  # type: ignore[arg-type]
                limit=limit,
                unit="utf8_bytes",
                overflow=rules.overflow,
            )
        ),
    )


def _counted_entities(
    field: str, value: str, rules: TextRules, measures: TextMeasures
) -> Iterator[Finding]:
    for what, limit, key in (
        ("hashtags", rules.max_hashtags, "max_hashtags"),
        ("mentions", rules.max_mentions, "max_mentions"),
        ("links", rules.max_links, "max_links"),
    ):
        if limit is None:
            continue
        found = measures.entities(value, what)
        if found <= limit:
            continue
        yield Finding(
            f"{field}.too_many_{what}",
            f"{field} has {found} {what}; the limit is {limit}",
            key=key,
            actual=found,
            limit=limit,
            fix=manual(f"Remove {found - limit} {what}"),
        )


def check_alt_text(
    kind: MediaKind | None,
    alt_text: str | None,
    rules: AltTextRules,
    *,
    measures: TextMeasures | None = None,
) -> Iterator[Finding]:
    """The alt text of an item of ``kind``: the same findings for every item of that kind with
    the same text (in a carousel without alt text, every image)."""
    if kind is None or kind not in rules.kinds:
        return
    if alt_text is None or not alt_text.strip():
        if rules.required:
            yield Finding(
                "media.alt_text_missing",
                f"{kind} has no alt text; the platform expects one",
                key="required",
                actual=None,
                limit=True,
                fix=manual(f"Write alt text describing the {kind}"),
            )
        return
    if rules.max_length is None:
        return
    length = (measures or TextMeasures()).count(alt_text, rules.counting)
    if length > rules.max_length:
        yield Finding(
            "media.alt_text_too_long",
            f"alt text is {length:,} {_UNITS[rules.counting]}; the limit is {rules.max_length:,}",
            key="max_length",
            actual=length,
            limit=rules.max_length,
            fix=plan.truncate_text(
                Shorter(field="alt_text", limit=rules.max_length, unit=rules.counting)
            ),
        )


def tags_length(tags: Sequence[str], rules: TagsRules, measures: TextMeasures | None = None) -> int:
    """The tags' length as the platform counts the list: each tag in its unit, a tag with a
    space 2 more (its quotes) and a comma between two tags 1, where the rules say so."""
    measures = measures or TextMeasures()
    total = 0
    for tag in tags:
        total += measures.count(tag, rules.counting)
        if rules.quoted_spaces_count and " " in tag:
            total += 2
    if rules.separators_count and tags:
        total += len(tags) - 1
    return total


def check_tags(
    tags: Sequence[str] | None, rules: TagsRules, *, measures: TextMeasures | None = None
) -> Iterator[Finding]:
    """The post's tags together against the platform's length (YouTube: 500)."""
    limit = rules.max_length
    if not tags or limit is None:
        return
    length = tags_length(tags, rules, measures)
    if length <= limit:
        return
    counted = [
        what
        for what, counts in (
            ("the commas between them", rules.separators_count),
            ("the quotes around a tag with a space", rules.quoted_spaces_count),
        )
        if counts
    ]
    how = f", with {' and '.join(counted)}" if counted else ""
    yield Finding(
        "tags.too_long",
        f"{len(tags)} tags count {length:,} {_UNITS[rules.counting]}{how}; the limit is {limit:,}",
        key="max_length",
        actual=length,
        limit=limit,
        fix=manual(f"Drop or shorten tags to fit {limit:,} {_UNITS[rules.counting]}"),
    )
