"""The counting units: UTF-8 bytes, UTF-16 units, grapheme clusters and X's weighted length.

Pure functions over ``str`` (standard library and ``regex``); ``mediarules.text`` re-exports
them. Graphemes are ``regex``'s ``\\X`` (extended grapheme clusters), computed only where a
cluster can span more than one character so a long caption costs little more than a scan.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from typing import Final

import regex

__all__ = [
    "MEASURES",
    "emoji_utf8_length",
    "find_emoji",
    "grapheme_count",
    "graphemes",
    "utf8_length",
    "utf16_length",
    "weighted",
    "weighted_length",
]

# --------------------------------------------------------------------------------------------
# Emoji and weights (twitter-text v3, ``emojiParsingEnabled: true``).

_SKIN_TONE = r"[\U0001f3fb-\U0001f3ff]"
# A pictographic emoji with its presentation selector or skin tone. (c) and (r), which weigh 1 as
# text, are emoji only with U+FE0F. Every match lies inside one grapheme cluster: what follows
# the pictograph (U+FE0F, skin tone, tags, ZWJ + pictograph) never starts a new cluster.
_EMOJI_ELEMENT = (
    r"(?:[\u00a9\u00ae]\ufe0f"
    rf"|(?![\u00a9\u00ae])\p{{Extended_Pictographic}}(?:\ufe0f|{_SKIN_TONE})?)"
)
_EMOJI: Final = regex.compile(
    r"[#*0-9]\ufe0f?\u20e3"  # keycap
    r"|\p{Regional_Indicator}\p{Regional_Indicator}"  # flag
    rf"|{_EMOJI_ELEMENT}(?:[\U000e0020-\U000e007e]+\U000e007f)?(?:\u200d{_EMOJI_ELEMENT})*"
    r"|\p{Regional_Indicator}"  # a lone indicator (Twemoji draws each); X weighs it 2 either way
)
_LIGHT_CHARS: Final = regex.compile(r"[\x00-\u10ff\u2000-\u200d\u2010-\u201f\u2032-\u2037]+")
_EMOJI_WEIGHT: Final = 2

_GRAPHEME: Final = regex.compile(r"\X")
# Between two characters of Grapheme_Cluster_Break "Other" there is a boundary, unless the first
# is an Indic conjunct linker (Indic_Conjunct_Break=Linker: U+1CF5, U+1CF6, U+11A3A are GCB
# "Other" but join the consonant after them, GB9c in Unicode 17+). So only "joining windows"
# need ``\\X``: a run of joining characters (Extend, ZWJ, SpacingMark, Prepend, CR, LF, Control,
# regional indicators, Hangul jamo, conjunct linkers) with the character on each side; runs one
# character apart share it and make one window. Every character outside the windows is a
# cluster by itself.
# The pattern takes the character after a run; the one before is added by ``_joining_windows``.
# (A class of two properties costs ~2x a single one here: ~25 ms per MB of prose.)
_JOINING_RUNS: Final = regex.compile(r"(?:[\P{GCB=Other}\p{InCB=Linker}]++\p{GCB=Other}?)++")
_LONG_REGIONAL_INDICATOR_RUN: Final = regex.compile(r"\p{Regional_Indicator}{5,}")


def utf8_length(text: str) -> int:
    """Bytes in UTF-8 (a lone surrogate, which no platform accepts, counts 3)."""
    if text.isascii():  # one byte a character
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def utf16_length(text: str) -> int:
    """UTF-16 code units: 1 per BMP character, 2 per character beyond it."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def graphemes(text: str) -> list[str]:
    """The extended grapheme clusters of ``text``, in order."""
    clusters: list[str] = []
    position = 0
    for start, end in _joining_windows(text):
        clusters += text[position:start]  # characters outside windows: one cluster each
        clusters += _window_graphemes(text[start:end])
        position = end
    clusters += text[position:]
    return clusters


def grapheme_count(text: str) -> int:
    """Number of extended grapheme clusters (user-perceived characters)."""
    if text.isascii():  # each character a cluster, but CR LF (GB3: controls break else)
        return len(text) - text.count("\r\n")
    joined = 0
    for start, end in _joining_windows(text):
        joined += end - start - len(_window_graphemes(text[start:end]))
    return len(text) - joined


def _joining_windows(text: str) -> Iterator[tuple[int, int]]:
    for run in _JOINING_RUNS.finditer(text):
        yield max(run.start() - 1, 0), run.end()


def _window_graphemes(window: str) -> list[str]:
    """``\\X`` over one joining window, with long runs of regional indicators cut between
    their pairs: ``regex`` re-scans a run of them for each flag, quadratic in its length."""
    clusters: list[str] = []
    position = 0
    for run in _LONG_REGIONAL_INDICATOR_RUN.finditer(window):
        # Every second indicator from the start of a run begins a new flag; the first flag
        # may join what precedes the run and the last indicator what follows it.
        first_flag_end = run.start() + 2
        last_cut = run.start() + 2 * ((len(run.group()) - 1) // 2)
        clusters += _GRAPHEME.findall(window, position, first_flag_end)
        clusters += (window[cut : cut + 2] for cut in range(first_flag_end, last_cut, 2))
        position = last_cut
    clusters += _GRAPHEME.findall(window, position)
    return clusters


def find_emoji(text: str) -> list[str]:
    """The emoji sequences X weighs 2 each, in order (on the text as given, not normalised)."""
    return list(_EMOJI.findall(text))


def weighted_length(text: str) -> int:
    """X's weighted length of ``text`` with URLs counted as written (see ``count``)."""
    return weighted(unicodedata.normalize("NFC", text))


def weighted(text: str) -> int:
    """Characters weigh 1 or 2, except that an emoji sequence weighs 2 as a whole."""
    if text.isascii():  # every ASCII character weighs 1, and none is part of an emoji
        return len(text)
    total = _character_weights(text)
    for match in _EMOJI.finditer(text):
        total += _EMOJI_WEIGHT - _character_weights(match.group())
    return total


def _character_weights(text: str) -> int:
    light = sum(map(len, _LIGHT_CHARS.findall(text)))
    return 2 * len(text) - light


def emoji_utf8_length(text: str) -> int:
    """Code points, except that each emoji sequence (as X finds them) counts its UTF-8 bytes:
    Threads' "emojis are counted as the number of UTF-8 bytes" (a flag 8, a ZWJ family 18)."""
    total = len(text)
    if text.isascii():  # no emoji is ASCII (a keycap ends with U+20E3)
        return total
    for emoji in _EMOJI.findall(text):
        total += utf8_length(emoji) - len(emoji)
    return total


MEASURES: Final[dict[str, Callable[[str], int]]] = {
    "code_points": len,
    "emoji_utf8": emoji_utf8_length,
    "graphemes": grapheme_count,
    "utf16": utf16_length,
    "utf8_bytes": utf8_length,
    "weighted": weighted,
}
