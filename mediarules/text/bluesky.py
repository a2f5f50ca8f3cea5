"""Links, mentions and tags as Bluesky's clients find them (``RichText.detectFacets``).

From bluesky-social/atproto packages/api/src/rich-text/detection.ts and util.ts (@atproto/api
0.21), checked against its detection cases and, by differential runs, against the package:

- a mention is ``@handle`` after the start, a space or ``(``, the handle being the longest run
  of ``[A-Za-z0-9.-]`` that ends at an ASCII word boundary, and ending in ``.`` + a TLD on the
  list (case-sensitive: ``@Alice.Bsky.Social`` is not a mention) or in ``.test``;
- a link is an ``http(s)://`` run of non-spaces (the scheme lowercase: ``HTTPS://`` is matched
  by the case-insensitive pattern, then dropped because it does not start with ``http``), or a
  bare ``domain.tld...`` whose domain is ASCII letters and digits and whose last label is on
  the list; it loses one trailing ``.,;:!?`` and then an unbalanced ``)``;
- a cashtag is ``$`` + a letter + up to 4 letters or digits, after the start, a space or
  ``(``, before a space, the end or one of ``.,;:!?)"'`` and U+2019 (a tag facet too);
- a tag is ``#`` after the start or a space, up to the next space, with a character that is
  not an ASCII digit, space or punctuation, losing trailing punctuation, at most 64 graphemes.

JavaScript's meaning of the classes is kept: ``\\s`` includes U+FEFF and not U+0085, ``\\b``
and ``\\d`` are ASCII. The TLD list is the one those clients import (IANA's, from the npm
``tlds`` package): ``mediarules/text/data/tlds_iana.txt``.
"""

from __future__ import annotations

from importlib import resources
from typing import Final

import regex

from mediarules.text.twitter import Span
from mediarules.text.units import grapheme_count

__all__ = ["TLDS", "cashtag_spans", "hashtag_spans", "mention_spans", "url_spans"]


def _load_tlds() -> frozenset[str]:
    text = resources.files("mediarules.text").joinpath("data", "tlds_iana.txt").read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


TLDS: Final = _load_tlds()
"""IANA's top-level domains, lowercase, as Bluesky's clients check them."""

_MAX_TAG_GRAPHEMES: Final = 64
# JavaScript's \s and \S.
_SPACE = r"\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_SPACE_CHARS: Final = (
    "\t\n\v\f\r \u00a0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000\ufeff")
)
_WORD = "A-Za-z0-9_"
_ASCII_WORD_BOUNDARY = rf"(?:(?<=[{_WORD}])(?![{_WORD}])|(?<![{_WORD}])(?=[{_WORD}]))"
_MENTION: Final = regex.compile(
    rf"(?:^|(?<=[{_SPACE}(]))@(?P<handle>[a-zA-Z0-9.\-]+){_ASCII_WORD_BOUNDARY}"
)
_URL: Final = regex.compile(
    rf"(?:^|(?<=[{_SPACE}(]))"
    rf"(?:[hH][tT][tT][pP][sS]?://[^{_SPACE}]+"
    rf"|(?P<domain>[a-zA-Z][a-zA-Z0-9]*(?:\.[a-zA-Z0-9]+)+)[^{_SPACE}]*)"
)
_ZERO_WIDTH = r"\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"
_TAG: Final = regex.compile(
    rf"(?:^|(?<=[{_SPACE}]))[#\uff03](?P<tag>(?!\ufe0f)[^{_SPACE}{_ZERO_WIDTH}]*"
    rf"[^0-9{_SPACE}\p{{P}}{_ZERO_WIDTH}]+[^{_SPACE}{_ZERO_WIDTH}]*)?"
)
_TRAILING_PUNCTUATION: Final = regex.compile(r"\p{P}+$")
_CASHTAG: Final = regex.compile(
    rf"(?:^|(?<=[{_SPACE}(]))\$[A-Za-z][A-Za-z0-9]{{0,4}}(?=[{_SPACE}.,;:!?)\"'\u2019]|\Z)"
)


def _is_valid_domain(domain: str) -> bool:
    """Ends in ``.`` + a TLD on the list, compared as written (``isValidDomain``)."""
    _, dot, tld = domain.rpartition(".")
    return bool(dot) and tld in TLDS


def mention_spans(text: str) -> list[Span]:
    """Spans of ``@handle`` mentions."""
    if "@" not in text:
        return []
    spans = []
    for match in _MENTION.finditer(text):
        handle = match.group("handle")
        if _is_valid_domain(handle) or handle.endswith(".test"):
            spans.append((match.start(), match.end()))
    return spans


def url_spans(text: str) -> list[Span]:
    """Spans of links."""
    if "." not in text:
        return []
    spans = []
    for match in _URL.finditer(text):
        start, end = match.span()
        if not text.startswith("http", start):
            domain = match.group("domain")
            if domain is None or not _is_valid_domain(domain):
                continue
        if text[end - 1] in ".,;:!?":
            end -= 1
        if text[end - 1] == ")" and "(" not in text[start:end]:
            end -= 1
        spans.append((start, end))
    return spans


def hashtag_spans(text: str) -> list[Span]:
    """Spans of tags with their ``#``."""
    if "#" not in text and "\uff03" not in text:
        return []
    spans = []
    for match in _TAG.finditer(text):
        tag = match.group("tag")
        if not tag:
            continue
        tag = _TRAILING_PUNCTUATION.sub("", tag.strip(_SPACE_CHARS))
        if not tag or grapheme_count(tag) > _MAX_TAG_GRAPHEMES:
            continue
        start = match.start()
        spans.append((start, start + 1 + len(tag)))
    return spans


def cashtag_spans(text: str) -> list[Span]:
    """Spans of ``$TICKER`` cashtags (Bluesky makes them tag facets, ``$`` + uppercase)."""
    if "$" not in text:
        return []
    return [match.span() for match in _CASHTAG.finditer(text)]
