"""Links, mentions and tags as Bluesky's clients find them (``RichText.detectFacets``).

From bluesky-social/atproto packages/api/src/rich-text/detection.ts and util.ts: a mention is
``@handle`` whose handle ends in a known top-level domain (or ``.test``); a link is an
``http(s)://`` run of non-spaces, or a bare ``domain.tld...`` with a known TLD, losing one
trailing ``.,;:!?`` and an unbalanced ``)``; a tag is ``#`` + up to 64 graphemes with a
non-digit, non-punctuation character, losing trailing punctuation. Only after a space, a
``(`` (links, mentions) or the start. Bluesky's clients check TLDs against the ``tlds``
package (IANA's list); this uses twitter-text's list (``mediarules/data/tlds.txt``).
"""

from __future__ import annotations

from typing import Final

import regex

from mediarules.text.twitter import COUNTRY_TLDS, GENERIC_TLDS, Span
from mediarules.text.units import grapheme_count

__all__ = ["hashtag_spans", "mention_spans", "url_spans"]

_TLDS: Final = COUNTRY_TLDS | GENERIC_TLDS
_MAX_TAG_GRAPHEMES: Final = 64
_MENTION: Final = regex.compile(r"(?:^|(?<=[\s(]))@(?P<handle>[a-zA-Z0-9.\-]+)\b")
_URL: Final = regex.compile(
    r"(?:^|(?<=[\s(]))(?:https?://\S+|(?P<domain>[a-z][a-z0-9]*(?:\.[a-z0-9]+)+)\S*)",
    regex.IGNORECASE | regex.MULTILINE,
)
_ZERO_WIDTH = r"\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"
_TAG: Final = regex.compile(
    rf"(?:^|(?<=\s))[#\uff03](?P<tag>(?!\ufe0f)[^\s{_ZERO_WIDTH}]*"
    rf"[^\d\s\p{{P}}{_ZERO_WIDTH}]+[^\s{_ZERO_WIDTH}]*)?"
)
_TRAILING_PUNCTUATION: Final = regex.compile(r"\p{P}+$")


def _is_valid_domain(domain: str) -> bool:
    """Ends in ``.tld`` for a known TLD (``detection.ts``'s ``isValidDomain``)."""
    _, dot, tld = domain.rpartition(".")
    return bool(dot) and tld.lower() in _TLDS


def mention_spans(text: str) -> list[Span]:
    """Spans of ``@handle`` mentions."""
    spans = []
    for match in _MENTION.finditer(text):
        handle = match.group("handle")
        if _is_valid_domain(handle) or handle.endswith(".test"):
            spans.append((match.start(), match.end()))
    return spans


def url_spans(text: str) -> list[Span]:
    """Spans of links."""
    spans = []
    for match in _URL.finditer(text):
        domain = match.group("domain")
        if domain is not None and not _is_valid_domain(domain):
            continue
        start, end = match.span()
        if text[end - 1] in ".,;:!?":
            end -= 1
        if text[end - 1] == ")" and "(" not in text[start:end]:
            end -= 1
        spans.append((start, end))
    return spans


def hashtag_spans(text: str) -> list[Span]:
    """Spans of tags with their ``#``."""
    spans = []
    for match in _TAG.finditer(text):
        tag = match.group("tag")
        if not tag:
            continue
        tag = _TRAILING_PUNCTUATION.sub("", tag.strip())
        if not tag or grapheme_count(tag) > _MAX_TAG_GRAPHEMES:
            continue
        start = match.start()
        spans.append((start, start + 1 + len(tag)))
    return spans
