"""Checks on the caption, the title and alt text, each counted the platform's own way."""

from __future__ import annotations

from collections.abc import Iterator

from mediarules import text as textlib
from mediarules.checks.finding import Finding
from mediarules.fixes import plan
from mediarules.models import MediaFacts
from mediarules.ruleset import AltTextRules, TextRules

_UNITS = {
    "code_points": "characters",
    "graphemes": "characters (graphemes)",
    "utf16": "UTF-16 units",
    "utf8_bytes": "bytes",
    "weighted": "weighted characters",
}


def check_text(
    field: str,
    value: str | None,
    rules: TextRules,
    *,
    has_media: bool,
    content_warning: str | None = None,
) -> Iterator[Finding]:
    """``field`` is ``caption`` or ``title``; it prefixes every code. ``content_warning``
    counts towards the length where the platform says so (Mastodon: spoiler text + text)."""
    if value is None or not value.strip():
        if rules.required:
            yield Finding(
                f"{field}.missing",
                f"the platform needs a {field}",
                key="required",
                actual=None,
                limit=True,
                fix=plan.manual(f"Write a {field}"),
            )
        return
    warning = content_warning if rules.content_warning_counts and content_warning else None
    yield from _length(field, value, rules, has_media=has_media, content_warning=warning)
    yield from _utf8_bytes(field, value, rules)
    yield from _counted_entities(field, value, rules)
    forbidden = textlib.forbidden_found(value, rules.forbidden_characters)
    if forbidden:
        yield Finding(
            f"{field}.invalid_characters",
            f"{field} contains {' '.join(forbidden)}, which the platform refuses",
            key="forbidden_characters",
            actual="".join(forbidden),
            limit=rules.forbidden_characters,
            fix=plan.remove_characters(field, forbidden),
        )


def _length(
    field: str, value: str, rules: TextRules, *, has_media: bool, content_warning: str | None
) -> Iterator[Finding]:
    limit, key = rules.max_length, "max_length"
    if not has_media and rules.max_length_text_only is not None:
        limit, key = rules.max_length_text_only, "max_length_text_only"
    if limit is None:
        return

    def measure(text: str) -> int:
        return textlib.count(
            text,
            rules.counting,
            url_length=rules.url_length,
            mention_domains_free=rules.mention_domains_free,
        )

    length = measure((content_warning or "") + value)
    if length <= limit:
        return
    unit = _UNITS[rules.counting]
    what = f"{field} with its content warning" if content_warning else field
    room = limit - measure(content_warning) if content_warning else limit
    yield Finding(
        f"{field}.too_long",
        f"{what} is {length:,} {unit}; the limit is {limit:,}",
        key=key,
        actual=length,
        limit=limit,
        fix=plan.truncate_text(
            field,
            max(0, room),
            rules.counting,
            url_length=rules.url_length,
            mention_domains_free=rules.mention_domains_free,
        ),
    )


def _utf8_bytes(field: str, value: str, rules: TextRules) -> Iterator[Finding]:
    limit = rules.max_utf8_bytes
    if limit is None:
        return
    size = textlib.count(value, "utf8_bytes")
    if size <= limit:
        return
    yield Finding(
        f"{field}.too_long",
        f"{field} is {size:,} bytes in UTF-8; the limit is {limit:,} bytes",
        key="max_utf8_bytes",
        actual=size,
        limit=limit,
        fix=plan.truncate_text(field, limit, "utf8_bytes"),
    )


def _counted_entities(field: str, value: str, rules: TextRules) -> Iterator[Finding]:
    for what, found, limit, key in (
        ("hashtags", textlib.find_hashtags, rules.max_hashtags, "max_hashtags"),
        ("mentions", textlib.find_mentions, rules.max_mentions, "max_mentions"),
        ("links", textlib.find_urls, rules.max_links, "max_links"),
    ):
        if limit is None:
            continue
        items = found(value)
        if what == "links":
            items = list(dict.fromkeys(items))  # the platform counts unique links
        if len(items) <= limit:
            continue
        yield Finding(
            f"{field}.too_many_{what}",
            f"{field} has {len(items)} {what}; the limit is {limit}",
            key=key,
            actual=len(items),
            limit=limit,
            fix=plan.manual(f"Remove {len(items) - limit} {what}"),
        )


def check_alt_text(
    facts: MediaFacts, alt_text: str | None, rules: AltTextRules
) -> Iterator[Finding]:
    if facts.kind is None or facts.kind not in rules.kinds:
        return
    if alt_text is None or not alt_text.strip():
        if rules.required:
            yield Finding(
                "media.alt_text_missing",
                f"{facts.kind} has no alt text; the platform expects one",
                key="required",
                actual=None,
                limit=True,
                fix=plan.manual(f"Write alt text describing the {facts.kind}"),
            )
        return
    if rules.max_length is None:
        return
    length = textlib.count(alt_text, rules.counting)
    if length > rules.max_length:
        yield Finding(
            "media.alt_text_too_long",
            f"alt text is {length:,} {_UNITS[rules.counting]}; the limit is {rules.max_length:,}",
            key="max_length",
            actual=length,
            limit=rules.max_length,
            fix=plan.truncate_text("alt_text", rules.max_length, rules.counting),
        )
