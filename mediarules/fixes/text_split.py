"""Split a caption that is too long into several posts without losing a word of it.

``split_text`` is the engine: every part is measured with ``mediarules.text.count`` in the
platform's unit, with the platform's options (``url_length``, ``mention_domains_free``), so a
part that it returns fits by the same measure the checks use. ``telegram_caption_and_followups``
(a media caption plus ``sendMessage`` follow-ups) and ``x_thread`` (a numbered thread) are the
two platform shapes; ``split_media`` and ``pair_parts_with_media`` spread the media of one post
over the posts of a thread.

What a split keeps. Either ``parts == [text]`` (the text fits as it is), or the parts are
consecutive slices of ``text`` separated, preceded and followed only by whitespace::

    text == w[0] + parts[0] + w[1] + parts[1] + ... + parts[-1] + w[n]

where every ``w[i]`` is a run (possibly empty) of whitespace grapheme clusters, every slice
starts and ends on a grapheme-cluster boundary of ``text``, and no part starts or ends with a
whitespace cluster. With ``numbering`` this holds for the parts without their `` k/n`` counter.
So only whitespace is ever dropped, and
``"".join("".join(p.split()) for p in parts) == "".join(text.split())``.

"Whitespace" here means a grapheme cluster made only of whitespace characters (``str.isspace``);
a space carrying a combining mark is one cluster and not whitespace, so it is never dropped.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from typing import Final, TypeVar

import regex

from mediarules.ruleset import Counting
from mediarules.text import count, entity_interiors, graphemes

__all__ = [
    "pair_parts_with_media",
    "split_media",
    "split_text",
    "telegram_caption_and_followups",
    "x_thread",
]

T = TypeVar("T")

# Cut ranks, best first. A cut of a rank is also a cut of every lower rank.
_PARAGRAPH: Final = 4  # whitespace holding a blank line (two line breaks) or U+2029
_SENTENCE: Final = 3  # after . ! ? and the like (plus closing quotes), or at a line break
_WORD: Final = 2  # at whitespace, or between two CJK characters (which use no spaces)
_GRAPHEME: Final = 1  # between grapheme clusters, outside URLs and mentions
_ANYWHERE: Final = 0  # between grapheme clusters inside a URL or mention: the last resort

_WINDOW: Final = 0.5
"""A paragraph or sentence cut is taken only when it keeps the part at least this share (in
characters) of the longest part that fits; otherwise a later cut of a lower rank wins."""

_MAX_RETRIES: Final = 16
"""How many earlier cuts of one rank are measured when the latest does not fit (which happens
only where cutting changes how the text is measured, e.g. makes a URL appear)."""

_LINE_BREAKS: Final = "\n\r\u2028\u0085\x0b\x0c"

# Sentence terminals (Unicode's Sentence_Terminal, plus the ellipsis) and what may close them.
_CLOSERS = "\"'\u2019\u201d\u00bb)\\]}\u300d\u300f\uff09\u3011\u3009\u300b\u3015\uff3d\uff5d"
_SENTENCE_END: Final = regex.compile(rf"[\p{{Sentence_Terminal}}\u2026][{_CLOSERS}]*\Z")
# Terminals that end a sentence with no space after them (CJK writing).
_CJK_SENTENCE_END: Final = regex.compile(rf"[\u3002\uff01\uff1f\uff61][{_CLOSERS}]*\Z")

# Line breaking between CJK characters (a small part of UAX #14 and of Japanese kinsoku): a
# part may end after an ideograph, a kana or closing punctuation and start with an ideograph,
# a kana or opening punctuation, except the characters that never start a line.
_CJK_LETTER = r"\p{Han}\p{Hiragana}\p{Katakana}"
_CJK_CLOSING = "\u3001\u3002\uff0c\uff0e\uff01\uff1f\u300d\u300f\uff09\u3011\u3009\u300b\u3015"
_CJK_OPENING = "\u300c\u300e\uff08\u3010\u3008\u300a\u3014"
_CJK_NO_START = (
    "\u30fc\u3005\u309d\u309e\u30fd\u30fe\u3041\u3043\u3045\u3047\u3049\u3063\u3083\u3085"
    "\u3087\u308e\u3095\u3096\u30a1\u30a3\u30a5\u30a7\u30a9\u30c3\u30e3\u30e5\u30e7\u30ee"
    "\u30f5\u30f6\u30fb\uff1a\uff1b"
)
_CJK_END: Final = regex.compile(rf"[{_CJK_LETTER}{_CJK_CLOSING}]")
_CJK_START: Final = regex.compile(
    rf"(?![{_CJK_NO_START}{_CJK_CLOSING}])[{_CJK_LETTER}{_CJK_OPENING}]"
)


def split_text(
    text: str,
    first_limit: int,
    rest_limit: int,
    counting: Counting,
    *,
    url_length: int | None = None,
    mention_domains_free: bool = False,
    numbering: bool = False,
) -> list[str]:
    """Split ``text`` into parts: the first counts at most ``first_limit``, every later one at
    most ``rest_limit``, each measured alone with ``count(part, counting, url_length=...,
    mention_domains_free=...)``.

    A text that fits ``first_limit`` comes back unchanged as ``[text]`` (so ``""`` gives
    ``[""]``, one empty post; whether to send it is the caller's business). Otherwise its
    leading and trailing whitespace is dropped, and if what is left fits it is the one part;
    a text of nothing but whitespace gives ``[""]``. Parts are never empty otherwise.

    Where a part ends: the longest part that fits is found first; then the latest paragraph
    break that keeps at least half of it wins, else the latest sentence end or line break that
    keeps half, else the latest space (or break between CJK characters) anywhere, else the
    latest grapheme-cluster boundary outside a URL or mention. Only when a single word, URL or
    mention does not fit in a part on its own is it cut, at grapheme-cluster boundaries (a
    cut URL is no longer a link: the platform will count and show its pieces as plain text).
    A grapheme cluster (an emoji, a flag, a letter with its accents) is never cut. The
    whitespace at a cut is dropped; see the module docstring for exactly what is kept.

    ``numbering`` (X threads): every part gets a `` k/n`` counter (`` 1/3``), and it fits
    with its counter. As the counter's width depends on the number of parts, the split is
    repeated until that number is stable. A text that fits gets no counter.

    Raises ``ValueError`` when a limit is below 1, when with ``numbering`` a limit cannot hold
    a counter and one character, or when a single grapheme cluster (with its counter) is
    longer than a limit.
    """
    if first_limit < 1 or rest_limit < 1:
        raise ValueError(f"limits must be >= 1, got {first_limit} and {rest_limit}")

    def measure(candidate: str) -> int:
        return count(
            candidate, counting, url_length=url_length, mention_domains_free=mention_domains_free
        )

    if numbering:
        smallest = _counter(1, 2)
        room = measure(smallest)
        if min(first_limit, rest_limit) <= room:
            raise ValueError(
                f"limits {first_limit} and {rest_limit} cannot hold a counter like "
                f"{smallest!r} ({room} {counting}) and a character"
            )
    if measure(text) <= first_limit:
        return [text]
    cuts = _Cuts(text)
    if cuts.start == cuts.end:
        return [""]
    core = text[cuts.offsets[cuts.start] : cuts.offsets[cuts.end]]
    if measure(core) <= first_limit:
        return [core]

    def split(suffix: Callable[[int], str]) -> list[str]:
        return _greedy(cuts, first_limit, rest_limit, measure, suffix)

    parts = split(lambda _: "")
    if not numbering:
        return parts
    # The counter " k/n" widens with n: split for a guessed n until the split has n parts.
    total = len(parts)
    for _ in range(cuts.end - cuts.start + 1):
        parts = split(_counters(total))
        found = len(parts)
        if found <= total:
            numbered = [part + _counter(number, found) for number, part in enumerate(parts, 1)]
            limits = [first_limit] + [rest_limit] * (found - 1)
            if all(measure(part) <= lim for part, lim in zip(numbered, limits, strict=True)):
                return numbered
        total = max(found, total + 1)
    raise ValueError(f"no stable numbering found for {len(text)} characters")  # pragma: no cover


def telegram_caption_and_followups(
    text: str, *, caption_limit: int = 1024, message_limit: int = 4096
) -> list[str]:
    """A Telegram caption that is too long: the first part is the media's caption (1024 UTF-16
    code units), the others are follow-up text messages (``sendMessage``, 4096 units each)."""
    return split_text(text, caption_limit, message_limit, "utf16")


def x_thread(
    text: str, *, limit: int = 280, url_length: int = 23, numbering: bool = True
) -> list[str]:
    """A post too long for X as a thread: weighted counting (CJK and emoji weigh 2, every URL
    ``url_length``), each post at most ``limit`` including its `` k/n`` counter."""
    return split_text(text, limit, limit, "weighted", url_length=url_length, numbering=numbering)


def split_media(indices: Sequence[T], max_per_post: int) -> list[list[T]]:
    """The media of one post in consecutive groups of at most ``max_per_post``, in order: six
    images on X (4 a post) are ``[[0, 1, 2, 3], [4, 5]]``. No media gives no groups."""
    if max_per_post < 1:
        raise ValueError(f"max_per_post must be >= 1, got {max_per_post}")
    return [list(indices[i : i + max_per_post]) for i in range(0, len(indices), max_per_post)]


def pair_parts_with_media(
    text_parts: Sequence[str], media_groups: Sequence[Sequence[T]]
) -> list[tuple[str, list[T]]]:
    """The posts of a thread: the first text part with the first media group, and so on. Media
    groups beyond the text get ``""`` as text; text parts beyond the media get no media."""
    posts = max(len(text_parts), len(media_groups))
    return [
        (
            text_parts[i] if i < len(text_parts) else "",
            list(media_groups[i]) if i < len(media_groups) else [],
        )
        for i in range(posts)
    ]


# --------------------------------------------------------------------------------------------
# Where a text may be cut


def _counter(number: int, total: int) -> str:
    return f" {number}/{total}"


def _counters(total: int) -> Callable[[int], str]:
    return lambda number: _counter(number, total)


class _Cuts:
    """The grapheme clusters of a text and, for each boundary a part may end at, how good a
    place to cut it is.

    Cluster index ``e`` is the boundary before cluster ``e``; a part ``[s, e)`` ends at ``e``
    when cluster ``e - 1`` is not whitespace. ``start`` and ``end`` bound the text without its
    leading and trailing whitespace.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        clusters = graphemes(text)
        self.offsets = [0]
        for cluster in clusters:
            self.offsets.append(self.offsets[-1] + len(cluster))
        blank = [cluster.isspace() for cluster in clusters]
        size = len(clusters)
        # The first non-whitespace cluster at or after each index.
        self.skip = list(range(size + 1))
        for index in range(size - 1, -1, -1):
            if blank[index]:
                self.skip[index] = self.skip[index + 1]
        self.start = self.skip[0]
        self.end = self.start
        for index in range(size, self.start, -1):
            if not blank[index - 1]:
                self.end = index
                break
        blocked = entity_interiors(text)
        self.ends: list[int] = []
        ranked: list[tuple[int, int]] = []
        for index in range(self.start + 1, self.end + 1):
            if blank[index - 1]:
                continue
            self.ends.append(index)
            if index < self.end:
                ranked.append((index, self._rank(index, clusters, blank, blocked)))
        # at_least[r]: the boundaries of rank r or better, in order.
        self.at_least = [
            [index for index, rank in ranked if rank >= level] for level in range(_PARAGRAPH + 1)
        ]

    def _rank(self, index: int, clusters: list[str], blank: list[bool], blocked: set[int]) -> int:
        offset = self.offsets[index]
        if offset in blocked:
            return _ANYWHERE
        before = self.text[max(0, offset - 8) : offset]
        if blank[index]:
            gap = self.text[offset : self.offsets[self.skip[index]]].replace("\r\n", "\n")
            breaks = sum(gap.count(char) for char in _LINE_BREAKS)
            if breaks >= 2 or "\u2029" in gap:
                return _PARAGRAPH
            if breaks or _SENTENCE_END.search(before):
                return _SENTENCE
            return _WORD
        after = clusters[index]
        if _CJK_SENTENCE_END.search(before) and after[0] not in _CLOSERS:
            return _SENTENCE
        if _CJK_END.match(clusters[index - 1][0]) and _CJK_START.match(after[0]):
            return _WORD
        return _GRAPHEME


def _greedy(
    cuts: _Cuts,
    first_limit: int,
    rest_limit: int,
    measure: Callable[[str], int],
    suffix: Callable[[int], str],
) -> list[str]:
    """Cut ``cuts.text`` into parts front to back, each as long as the cut rules allow; part
    ``k`` (from 1) is measured with ``suffix(k)`` appended but returned without it."""
    text, offsets, ends = cuts.text, cuts.offsets, cuts.ends
    parts: list[str] = []
    start = cuts.start
    while start < cuts.end:
        number = len(parts) + 1
        limit = first_limit if number == 1 else rest_limit
        tail = suffix(number)

        def fits(end: int, start: int = start, limit: int = limit, tail: str = tail) -> bool:
            return measure(text[offsets[start] : offsets[end]] + tail) <= limit

        end = _longest(ends, bisect.bisect_right(ends, start), fits, limit)
        if end is None:
            cluster = text[offsets[start] : offsets[start + 1]]
            raise ValueError(
                f"{cluster!r}{' with the counter ' + repr(tail) if tail else ''} alone is "
                f"longer than the limit {limit}"
            )
        if end < cuts.end:
            end = _best_cut(cuts, start, end, fits)
        parts.append(text[offsets[start] : offsets[end]])
        start = cuts.skip[end]
    return parts


def _longest(ends: list[int], first: int, fits: Callable[[int], bool], limit: int) -> int | None:
    """The last of ``ends[first:]`` that fits, by galloping then bisecting (which assumes a
    longer part never counts less; every answer is measured). None when the first does not."""
    if not fits(ends[first]):
        return None
    low, last = first, len(ends) - 1
    step = max(1, limit // 4)
    while low < last:
        probe = min(low + step, last)
        if not fits(ends[probe]):
            high = probe
            break
        low = probe
        step *= 2
    else:
        return ends[last]
    while high - low > 1:
        middle = (low + high) // 2
        if fits(ends[middle]):
            low = middle
        else:
            high = middle
    return ends[low]


def _best_cut(cuts: _Cuts, start: int, longest: int, fits: Callable[[int], bool]) -> int:
    """Where the part from ``start`` ends, given that it may end as late as ``longest``."""
    span = cuts.offsets[longest] - cuts.offsets[start]
    for level in (_PARAGRAPH, _SENTENCE, _WORD, _GRAPHEME):
        candidates = cuts.at_least[level]
        position = bisect.bisect_right(candidates, longest) - 1
        for _ in range(_MAX_RETRIES):
            if position < 0 or candidates[position] <= start:
                break
            end = candidates[position]
            if level >= _SENTENCE and cuts.offsets[end] - cuts.offsets[start] < _WINDOW * span:
                break
            if end == longest or fits(end):
                return end
            position -= 1
    return longest
