"""``measure``: a text's length as one platform counts it, with what it found, for a compose box.

Like twitter-text's ``parseTweet``: the length in the platform's own unit (X's weighted count,
graphemes, UTF-16 units, ...), the limit, what remains, and the spans of the URLs, mentions and
hashtags the platform's own rules find (twitter-text for X, Mastodon's extractor for Mastodon,
Bluesky's facet detection for Bluesky, twitter-text's URLs and a neutral mention reading for
the others). Spans are ``[start, end)`` offsets into the Python string (code points).

A compose box calls it on every keystroke: it does no I/O, keeps no state but the text caches
of ``mediarules.text``, and takes tens of microseconds for a 280-character text
(``benchmarks/bench_measure.py``). The module is ``measuring`` so that
``mediarules.measure`` stays the function once this module is imported..
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from mediarules import text as textlib
from mediarules.formatting import echo
from mediarules.ruleset import Counting, RuleSet, TextRules, default_rules
from mediarules.text import bluesky, mastodon, twitter

__all__ = ["FIELDS", "Entity", "Measurement", "measure", "measurement_lines"]

Field = Literal["caption", "title", "alt_text"]
FIELDS: tuple[Field, ...] = ("caption", "title", "alt_text")
EntityKind = Literal["url", "mention", "hashtag"]


@dataclass(frozen=True, slots=True)
class Entity:
    """A URL, mention or hashtag the platform finds, at ``text[start:end]``."""

    kind: EntityKind
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Measurement:
    """How long a text is for one platform's field, and whether it fits.

    ``limit`` and ``remaining`` are None when the field has no length limit. ``valid``: it
    fits the limit (and any byte limit), holds no character the platform refuses, and is not
    empty where the field is required.
    """

    platform: str
    field: Field
    length: int
    limit: int | None
    remaining: int | None
    unit: Counting
    unit_name: str
    valid: bool
    entities: tuple[Entity, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return asdict(self)


def measure(
    text: str,
    platform: str,
    *,
    field: Field = "caption",
    has_media: bool = True,
    rules: RuleSet | None = None,
) -> Measurement:
    """``text`` measured as ``platform`` (a name, alias or post type: ``x``, ``twitter``,
    ``instagram:reel``) counts its ``field``.

    ``has_media=False`` uses the text-only limit where there is one (a Telegram message:
    4,096 instead of a caption's 1,024). Raises ``UnknownPlatformError`` for an unknown
    platform and ``ValueError`` for a field the platform does not have.
    """
    key, section = _field_rules(platform, field, rules)
    limit = section.max_length
    if not has_media and section.max_length_text_only is not None:
        limit = section.max_length_text_only
    length = textlib.count(
        text,
        section.counting,
        url_length=section.url_length,
        mention_domains_free=section.mention_domains_free,
    )
    return Measurement(
        platform=key,
        field=field,
        length=length,
        limit=limit,
        remaining=None if limit is None else limit - length,
        unit=section.counting,
        unit_name=textlib.UNIT_NAMES[section.counting],
        valid=_is_valid(text, length, limit, section),
        entities=_entities(text, key.partition(":")[0]),
    )


def _field_rules(platform: str, field: str, rules: RuleSet | None) -> tuple[str, TextRules]:
    if rules is None:
        return _default_field_rules(platform, field)
    return _lookup(rules, platform, field)


@functools.lru_cache(maxsize=256)
def _default_field_rules(platform: str, field: str) -> tuple[str, TextRules]:
    return _lookup(default_rules(), platform, field)


def _lookup(rules: RuleSet, platform: str, field: str) -> tuple[str, TextRules]:
    key = rules.resolve(platform)
    section = getattr(rules.platforms[key], field, None) if field in FIELDS else None
    if section is None:
        raise ValueError(f"{key} has no {field!r} field; fields: {', '.join(FIELDS)}")
    if isinstance(section, TextRules):
        return key, section
    # alt text: the same counting keys, without URL or mention rewriting
    return key, TextRules(max_length=section.max_length, counting=section.counting)


def _is_valid(text: str, length: int, limit: int | None, section: TextRules) -> bool:
    if not text.strip():
        return not section.required
    if limit is not None and length > limit:
        return False
    if section.max_utf8_bytes is not None and textlib.utf8_length(text) > section.max_utf8_bytes:
        return False
    if textlib.invalid_characters(text, section.counting):
        return False
    return not textlib.forbidden_found(text, section.forbidden_characters)


def _entities(text: str, family: str) -> tuple[Entity, ...]:
    """The platform's own finders: X, Mastodon and Bluesky have theirs; the rest share
    twitter-text's URLs and hashtags and a neutral mention reading."""
    if family == "x":
        urls = twitter.url_spans(text)
        mentions = twitter.mention_spans(text)
    elif family == "mastodon":
        urls = twitter.url_spans(text, without_protocol=False)
        mentions = mastodon.as_spans(mastodon.mention_spans(text))
    elif family == "bluesky":
        return _sorted_entities(
            text,
            bluesky.url_spans(text),
            bluesky.mention_spans(text),
            sorted([*bluesky.hashtag_spans(text), *bluesky.cashtag_spans(text)]),
        )
    else:
        urls = twitter.url_spans(text)
        mentions = textlib.mention_spans(text)
    hashtags = [span for span in twitter.hashtag_spans(text) if not _inside(span, mentions)]
    mentions = [span for span in mentions if not twitter.overlaps_any(*span, urls)]
    return _sorted_entities(text, urls, mentions, hashtags)


def _inside(span: twitter.Span, spans: Sequence[twitter.Span]) -> bool:
    return any(start <= span[0] < end for start, end in spans)


def _sorted_entities(
    text: str,
    urls: Sequence[twitter.Span],
    mentions: Sequence[twitter.Span],
    hashtags: Sequence[twitter.Span],
) -> tuple[Entity, ...]:
    groups: tuple[tuple[EntityKind, Sequence[twitter.Span]], ...] = (
        ("url", urls),
        ("mention", mentions),
        ("hashtag", hashtags),
    )
    found = [
        Entity(kind, start, end, text[start:end]) for kind, spans in groups for start, end in spans
    ]
    found.sort(key=lambda entity: entity.start)
    return tuple(found)


def measurement_lines(results: Sequence[Measurement]) -> list[str]:
    """Text lines for people: per platform its length, limit and verdict, then each entity
    (shown back shortened and with control characters escaped)."""
    width = max((len(result.platform) for result in results), default=0)
    lines = []
    for result in results:
        limit = "no limit" if result.limit is None else f"/ {result.limit:,}"
        left = "" if result.remaining is None else f", {result.remaining:,} left"
        verdict = "ok" if result.valid else "too long" if (result.remaining or 0) < 0 else "not ok"
        lines.append(
            f"{result.platform:<{width}}  {result.length:,} {limit} {result.unit_name}"
            f"{left}: {verdict}"
        )
        lines += (
            f"{'':<{width}}    {entity.kind:<7} {entity.start}-{entity.end}  {echo(entity.text)}"
            for entity in result.entities
        )
    return lines
