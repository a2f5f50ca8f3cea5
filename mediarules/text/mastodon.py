"""Mastodon's own text rules: its mention pattern and the text its length validator counts.

From mastodon/mastodon: ``Account::MENTION_RE`` (app/models/account.rb),
``Extractor#extract_mentions_or_lists_with_indices`` (app/lib/extractor.rb: a mention whose
domain is longer than ``MAX_DOMAIN_LENGTH`` = 253 is not a mention) and
``StatusLengthValidator`` (spoiler text + the status text with every ``http(s)://`` URL as 23
characters and every ``@user@domain`` as ``@user``, counted in grapheme clusters; a blank
status text counts as empty, so a content warning alone is counted).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Final

import regex

from mediarules.text.twitter import AT_SIGNS, LATIN_ACCENTS, Span

__all__ = ["MAX_DOMAIN_LENGTH", "as_spans", "mention_spans"]

MAX_DOMAIN_LENGTH: Final = 253

# Ruby's [[:word:]]: letters, marks, decimal digits and connector punctuation (Python's \w
# also takes letter numbers, some symbols and the joiners).
_WORD = r"[\p{L}\p{M}\p{Nd}\p{Pc}]"
_MENTION: Final = regex.compile(
    r"(?<![=/\p{L}\p{M}\p{Nd}\p{Pc}])@(?P<user>(?i:[a-z0-9_]+(?:[.\-]+[a-z0-9_]+)*))"
    rf"(?P<domain>@{_WORD}+(?:[.\-]+{_WORD}+)*)?"
)
_END_MENTION: Final = regex.compile(rf"[{AT_SIGNS}{LATIN_ACCENTS}]|://")


def mention_spans(text: str) -> tuple[tuple[int, int, int], ...]:
    """(start, end, end of ``@user``) of each mention Mastodon's extractor keeps, cached as
    ``twitter.url_spans`` is: a post's caption is counted for Mastodon once per check, and the
    same caption is checked again and again (a scheduler's queue)."""
    if "@" not in text:
        return ()
    if len(text) <= _SHORT_TEXT:
        return _short_text_mention_spans(text)
    return _long_text_mention_spans(text)


def _mention_spans(text: str) -> tuple[tuple[int, int, int], ...]:
    spans = []
    for match in _MENTION.finditer(text):
        if _END_MENTION.match(text, match.end()):
            continue
        domain = match.group("domain")
        if domain and len(domain) - 1 > MAX_DOMAIN_LENGTH:
            continue
        spans.append((match.start(), match.end(), match.end("user")))
    return tuple(spans)


_SHORT_TEXT: Final = 65_536
_short_text_mention_spans = functools.lru_cache(maxsize=64)(_mention_spans)
_long_text_mention_spans = functools.lru_cache(maxsize=2)(_mention_spans)


def as_spans(mentions: Sequence[tuple[int, int, int]]) -> list[Span]:
    """The (start, end) of each mention."""
    return [(start, end) for start, end, _ in mentions]
