"""Counting engines: how each platform measures a caption, and what it finds in one.

Pure functions over ``str``; they import only the standard library and ``regex`` (extended
grapheme clusters and Unicode emoji properties), plus the ``Counting`` literal.

The units (``Counting``):

- ``code_points``: Python's ``len``.
- ``graphemes``: extended grapheme clusters, what a reader sees as one character (Bluesky,
  Mastodon). A flag, a ZWJ family, a skin-toned emoji or a letter with its accents is 1;
  identical to ``regex``'s ``\\X`` on Unicode's GraphemeBreakTest.
- ``utf16``: UTF-16 code units, JavaScript's ``length`` (Telegram, TikTok, Instagram). An
  emoji outside the Basic Multilingual Plane is 2. Telegram does not define its
  "characters"; its entity offsets are UTF-16 units and its limit counts the same way
  (tdlib/telegram-bot-api#374), so Telegram is counted in UTF-16 units.
- ``utf8_bytes``: bytes on the wire (YouTube description, Bluesky's ``maxLength``).
- ``emoji_utf8``: code points, each emoji sequence (as ``weighted`` finds them) counting its
  UTF-8 bytes: Threads' API doc, "Emojis are counted as the number of UTF-8 bytes".
- ``weighted``: X's twitter-text v3. The text is NFC-normalised; code points in 0-4351,
  8192-8205, 8208-8223 and 8242-8247 weigh 1, all others 2; an emoji sequence (ZWJ family,
  skin tone, flag, keycap, tag flag) weighs 2 as a whole.

``url_length`` and ``mention_domains_free`` rewrite the text the way the platform does before
it measures (``countable_text``): every URL becomes ``url_length`` placeholder characters and
``@user@domain`` becomes ``@user`` (Mastodon's rule). So a URL counts ``url_length`` in any
unit.

URLs, X mentions and hashtags are twitter-text's (``mediarules.text.twitter``, which Mastodon
also runs for URLs); Mastodon's mentions are in ``mediarules.text.mastodon``, Bluesky's facets
in ``mediarules.text.bluesky``. ``find_mentions`` is a platform-neutral reading for limits on
mentions: ``@user``, ``@user.name`` and ``@user@domain``.

The engines (``regex``, twitter-text's URL and TLD tables) load on first use: a post without
a caption imports none of them.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final, get_args

from mediarules.ruleset import Counting

if TYPE_CHECKING:
    import regex

    from mediarules.text.units import (
        find_emoji,
        grapheme_count,
        graphemes,
        utf8_length,
        utf16_length,
        weighted_length,
    )

__all__ = [
    "COUNTINGS",
    "ELLIPSIS",
    "INVALID_CHARACTERS",
    "UNIT_NAMES",
    "count",
    "countable_text",
    "entity_interiors",
    "find_emoji",
    "find_hashtags",
    "find_mentions",
    "find_urls",
    "forbidden_found",
    "grapheme_count",
    "graphemes",
    "invalid_characters",
    "mention_spans",
    "truncate",
    "utf8_length",
    "utf16_length",
    "weighted_length",
]

COUNTINGS: Final[tuple[Counting, ...]] = get_args(Counting)
"""Every counting unit, in the order the ``Counting`` literal lists them."""

ELLIPSIS: Final = "\u2026"
"""What ``truncate`` appends by default: one character, weighing 2 on X."""

INVALID_CHARACTERS: Final = "\ufffe\ufeff\uffff"
"""Characters that make a post invalid for twitter-text (``hasInvalidCharacters``); here, not
in :mod:`~mediarules.text.twitter`, so that a check compiling X's limits loads no text engine."""

UNIT_NAMES: Final[dict[Counting, str]] = {
    "code_points": "characters",
    "emoji_utf8": "characters (emoji as UTF-8 bytes)",
    "graphemes": "characters (graphemes)",
    "utf16": "UTF-16 units",
    "utf8_bytes": "bytes",
    "weighted": "weighted characters",
}
"""How messages name each unit."""

_URL_PLACEHOLDER: Final = "x"
_WORD_BOUNDARY_WINDOW: Final = 0.2

_ELSEWHERE = {
    "find_emoji": "units",
    "grapheme_count": "units",
    "graphemes": "units",
    "utf8_length": "units",
    "utf16_length": "units",
    "weighted_length": "units",
}
"""Names this package offers from its modules, imported on first use (PEP 562)."""


def __getattr__(name: str) -> Any:
    module = _ELSEWHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'mediarules.text' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"mediarules.text.{module}"), name)
    globals()[name] = value
    return value


@functools.cache
def _mention() -> regex.Pattern[str]:
    """Mentions: ``@user`` (X) or ``@user@domain`` (Mastodon). Not an email (``a@b.com``),
    not ``@user@`` and not followed by ``://`` or a Latin accent (twitter-text's rules)."""
    import regex

    from mediarules.text.twitter import AT_SIGNS, LATIN_ACCENTS

    return regex.compile(
        rf"(?<![A-Za-z0-9_=/!#$%&*{AT_SIGNS}])[{AT_SIGNS}]"
        r"(?P<user>(?>[A-Za-z0-9_]+(?:[.\-]+[A-Za-z0-9_]+)*))"
        r"(?P<domain>(?>@\w+(?:[.\-]+\w+)*))?"
        rf"(?![{AT_SIGNS}{LATIN_ACCENTS}]|://)"
    )


def count(
    text: str,
    counting: Counting,
    *,
    url_length: int | None = None,
    mention_domains_free: bool = False,
    urls_without_protocol: bool | None = None,
) -> int:
    """Length of ``text`` as a platform counts it.

    ``url_length``: every URL counts exactly this much (X: 23 weighted units, Mastodon: 23
    characters). ``mention_domains_free``: ``@user@domain`` counts as ``@user`` (Mastodon).
    ``urls_without_protocol``: whether a bare ``example.com`` is a URL for ``url_length``; by
    default only for ``weighted`` (X shortens bare domains, Mastodon only ``http(s)://``).
    """
    from mediarules.text.units import MEASURES

    measure = MEASURES.get(counting)
    if measure is None:
        raise ValueError(f"unknown counting {counting!r}; expected one of {', '.join(COUNTINGS)}")
    if counting == "weighted":
        import unicodedata

        text = unicodedata.normalize("NFC", text)
    if url_length is not None or mention_domains_free:
        if urls_without_protocol is None:
            urls_without_protocol = counting == "weighted"
        if text.isascii():
            # Every unit counts an ASCII character 1, except that CR LF is one grapheme; the
            # rewritten text is ASCII too, with the same CR LF pairs (no entity holds a line
            # break): its length is the text's, changed by each entity rewritten.
            length = len(text)
            for start, end, replacement in _rewritten(
                text, url_length, mention_domains_free, urls_without_protocol
            ):
                length += len(replacement) - (end - start)
            return length - text.count("\r\n") if counting == "graphemes" else length
        text = countable_text(
            text,
            url_length=url_length,
            mention_domains_free=mention_domains_free,
            urls_without_protocol=urls_without_protocol,
        )
    return measure(text)


def countable_text(
    text: str,
    *,
    url_length: int | None = None,
    mention_domains_free: bool = False,
    urls_without_protocol: bool = True,
) -> str:
    """``text`` as the platform measures it: URLs become ``url_length`` placeholder characters,
    ``@user@domain`` becomes ``@user``. With neither option it is ``text`` itself.

    This is Mastodon's ``countable_text`` (its mention rule; an entity that overlaps an
    earlier one is left as written); counting it in any unit gives ``count``.
    """
    rewritten = _rewritten(text, url_length, mention_domains_free, urls_without_protocol)
    if not rewritten:
        return text
    pieces: list[str] = []
    position = 0
    for start, end, replacement in rewritten:
        pieces += [text[position:start], replacement]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def _rewritten(
    text: str, url_length: int | None, mention_domains_free: bool, urls_without_protocol: bool
) -> list[tuple[int, int, str]]:
    """The entities ``countable_text`` rewrites, in order, each with what replaces it: an
    entity that overlaps an earlier one is left as written."""
    if url_length is not None and url_length < 0:
        raise ValueError(f"url_length must be >= 0, got {url_length}")
    from mediarules.text import mastodon, twitter

    replacements: list[tuple[int, int, str]] = []
    if url_length is not None:
        placeholder = _URL_PLACEHOLDER * url_length
        replacements += [
            (start, end, placeholder)
            for start, end in twitter.counted_url_spans(
                text, without_protocol=urls_without_protocol
            )
        ]
    if mention_domains_free:
        replacements += [
            (start, end, text[start:user_end])
            for start, end, user_end in mastodon.mention_spans(text)
        ]
    if len(replacements) < 2:
        return replacements
    replacements.sort()
    kept: list[tuple[int, int, str]] = []
    position = 0
    for start, end, replacement in replacements:
        if start < position:  # overlaps an entity already replaced
            continue
        kept.append((start, end, replacement))
        position = end
    return kept


# --------------------------------------------------------------------------------------------
# Entities


def find_urls(text: str, *, without_protocol: bool = True) -> list[str]:
    """URLs as twitter-text detects them, in order: ``http(s)://`` links, and (unless
    ``without_protocol`` is false) bare domains such as ``example.com/a`` or ``foo.jp``,
    whose top-level domain is on twitter-text's list (``mediarules/text/data/tlds.txt``).

    Trailing punctuation and unbalanced parentheses are not part of a URL.
    """
    from mediarules.text import twitter

    spans = twitter.url_spans(text, without_protocol=without_protocol)
    return [text[start:end] for start, end in spans]


def find_hashtags(text: str) -> list[str]:
    """Hashtags with their ``#``, in order: at least one letter, not inside a URL, not after a
    letter, digit or ``&`` (so not ``&#39;``)."""
    from mediarules.text import twitter

    return [text[start:end] for start, end in twitter.hashtag_spans(text)]


def find_mentions(text: str) -> list[str]:
    """Mentions in order: ``@user``, ``@user.name`` or ``@user@domain``; not emails, not
    inside URLs."""
    from mediarules.text import twitter

    urls = twitter.url_spans(text)
    return [text[start:end] for start, end, _ in _mention_spans(text, urls)]


def mention_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the mentions ``find_mentions`` finds."""
    from mediarules.text import twitter

    urls = twitter.url_spans(text)
    return [(start, end) for start, end, _ in _mention_spans(text, urls)]


def invalid_characters(text: str, counting: Counting) -> list[str]:
    """Characters the unit's own counter refuses: twitter-text's U+FFFE, U+FEFF and U+FFFF for
    ``weighted`` (``parseTweet`` says ``valid: false``); none for the other units."""
    if counting != "weighted":
        return []
    return [char for char in INVALID_CHARACTERS if char in text]


def forbidden_found(text: str, forbidden: Iterable[str]) -> list[str]:
    """Which of ``forbidden`` occur in ``text``: in the order given, each once."""
    return [item for item in dict.fromkeys(forbidden) if item and item in text]


def _mention_spans(text: str, urls: Sequence[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """(start, end, end of ``@user``) of each mention outside ``urls``."""
    if "@" not in text and "\uff20" not in text:
        return []
    from mediarules.text import twitter

    spans = []
    for match in _mention().finditer(text):
        start: int = match.start()
        end: int = match.end()
        if not twitter.overlaps_any(start, end, urls):
            spans.append((start, end, int(match.end("user"))))
    return spans


# --------------------------------------------------------------------------------------------
# Truncation


def truncate(
    text: str,
    limit: int,
    counting: Counting,
    *,
    url_length: int | None = None,
    mention_domains_free: bool = False,
    ellipsis: str = ELLIPSIS,
) -> str:
    """The longest prefix of ``text`` that fits ``limit`` with ``ellipsis`` appended.

    ``text`` is returned unchanged when it fits. The cut falls between grapheme clusters (never
    inside an emoji or a letter's accents) and never inside a URL or mention; it moves back to
    a space when one lies in the last fifth of the kept text. Trailing spaces are dropped
    before the ellipsis. When the ellipsis alone does not fit, none is added.
    """
    if limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")

    def fits(candidate: str) -> bool:
        length = count(
            candidate, counting, url_length=url_length, mention_domains_free=mention_domains_free
        )
        return length <= limit

    if fits(text):
        return text
    if not fits(ellipsis):
        ellipsis = ""
    from mediarules.text.units import graphemes

    clusters = graphemes(text)
    offsets = [0]
    for cluster in clusters:
        offsets.append(offsets[-1] + len(cluster))
    blocked = entity_interiors(text)
    cuts = [index for index in range(len(clusters)) if offsets[index] not in blocked]

    def prefix(cut: int) -> str:
        while cut and clusters[cut - 1].isspace():
            cut -= 1
        return text[: offsets[cut]]

    # The count grows with the prefix, except where cutting makes a new URL appear; binary
    # search assumes it grows, and every answer is checked against the real count.
    low, high = 0, len(cuts) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if fits(prefix(cuts[middle]) + ellipsis):
            low = middle
        else:
            high = middle - 1
    best = cuts[low]
    for cut in reversed(cuts[: low + 1]):
        if offsets[cut] < (1 - _WORD_BOUNDARY_WINDOW) * offsets[best]:
            break
        if cut and clusters[cut].isspace():
            if fits(prefix(cut) + ellipsis):
                best = cut
            break
    return prefix(best) + ellipsis


def entity_interiors(text: str) -> set[int]:
    """Offsets strictly inside a URL or mention: cutting there would break a link or tag
    someone else."""
    from mediarules.text import twitter

    urls = twitter.url_spans(text)
    spans = [*urls, *((start, end) for start, end, _ in _mention_spans(text, urls))]
    return {offset for start, end in spans for offset in range(start + 1, end)}
