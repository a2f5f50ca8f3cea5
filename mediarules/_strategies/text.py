"""Captions and titles, measured the way the platform measures them.

A caption is assembled from "bricks" that break naive counters (ZWJ families, flags, skin
tones, keycaps, combining marks, decomposed Hangul, CJK, astral letters, URLs that count a
fixed length, hashtags, mentions) until it reaches a drawn target length in the platform's
unit. Lengths are reached by construction, never by filtering: bricks that would overshoot
are skipped, a long caption repeats what it has, and plain words (ASCII letters and spaces:
one unit and one byte each, whatever the unit) make up the rest. Every step is measured with
``mediarules.text.count`` on the whole text, so no unit's arithmetic is assumed.

Apart from its length a caption keeps the platform's other caption rules (hashtag, mention
and unique-link counts, forbidden characters, a UTF-8 byte cap) whenever its length allows.
"""

from __future__ import annotations

import string
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from hypothesis import reject
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from mediarules import text as textlib
from mediarules._strategies._args import check_count, resolve
from mediarules._strategies.numbers import near_int
from mediarules.ruleset import Counting, RuleSet, TextRules

__all__ = ["Alphabet", "TextSpec", "captions", "entity_text", "texts"]

Alphabet = str | Collection[str] | st.SearchStrategy[str]
"""Characters to build text from, as for ``st.text``: a string, single characters, or a
strategy of single characters."""

DEFAULT_MAX_LENGTH = 1000
"""The longest caption drawn by default for a platform that sets no length limit."""

NEAR = 2
"""``near_limit`` draws lengths within this many units of the limit."""

_MAX_PIECES = 24
_SEPARATORS = (" ", "\n", " ")

# fmt: off
BRICKS: tuple[str, ...] = (
    # emoji: plain, with presentation selector, skin tone, ZWJ sequences, flags, keycap, tags
    "\U0001f642", "\U0001f680", "\u2764\ufe0f", "\U0001f44d\U0001f3fd",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466",
    "\U0001f469\U0001f3fe\u200d\U0001f4bb", "\U0001f3f3\ufe0f\u200d\U0001f308",
    "\U0001f1eb\U0001f1f7", "\U0001f1ef\U0001f1f5", "1\ufe0f\u20e3",
    "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
    "\u00a9", "\u00a9\ufe0f",
    # combining marks, decomposed Hangul, conjuncts
    "e\u0301", "a\u0308\u0323", "n\u0303o", "\u1100\u1161\u11a8", "\u0915\u094d\u0937\u093f",
    "Z\u0351\u036b\u0343\u0300",
    # CJK, fullwidth, right-to-left, Cyrillic, astral letters, zero-width
    "\u65e5\u672c\u8a9e", "\u4e2d\u6587", "\ud55c\uad6d\uc5b4", "\u30ab\u30bf\u30ab\u30ca",
    "\uff21\uff22\uff23", "\u0645\u0631\u062d\u0628\u0627", "\u043f\u0440\u0438\u0432\u0435\u0442",
    "\U0001d54f", "a\u200bb", "x\u00a0y",
    # punctuation X weighs 1 and 2
    "\u2014", "\u2026", "!?", "\u201cquoted\u201d", "\u3002",
    # links, with and without scheme, short and long, internationalised
    "https://example.com", "https://example.com/path?q=1&r=2", "http://t.co/abc123",
    "example.org/page", "www.example.co.uk", "https://example.com/" + "a" * 60,
    "https://\u4f8b\u3048.jp/\u30d1\u30b9",
    # hashtags and mentions
    "#launch", "#\u65e5\u672c", "#caf\u00e9", "@someone", "@user_name", "@alice@mastodon.social",
)
# fmt: on

_WORDS = st.text(string.ascii_letters + string.digits, min_size=1, max_size=10)
_BRICK = st.one_of(
    st.one_of(
        _WORDS,
        _WORDS.map(lambda w: f"#{w}x"),
        _WORDS.map(lambda w: f"@{w}"),
        _WORDS.map(lambda w: f"https://{w}.com/{w}"),
    ),
    st.sampled_from(BRICKS),
)

_FILLER = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
"""Plain words: each character counts 1 in every unit, and none makes a link, tag or mention."""


def filler(length: int) -> str:
    """``length`` characters of plain words, never ending in a space."""
    words = (_FILLER * (length // len(_FILLER) + 1))[:length]
    return words[:-1] + "a" if words.endswith(" ") else words


@dataclass(frozen=True)
class TextSpec:
    """How a platform measures one text field, and the rules it sets besides its length.

    ``limit`` is in ``counting`` units; ``byte_cap`` is a second limit in UTF-8 bytes
    (Bluesky: 300 graphemes and 3,000 bytes).
    """

    counting: Counting = "code_points"
    url_length: int | None = None
    mention_domains_free: bool = False
    limit: int | None = None
    byte_cap: int | None = None
    max_hashtags: int | None = None
    max_mentions: int | None = None
    max_links: int | None = None
    forbidden: tuple[str, ...] = ()
    required: bool = False

    @classmethod
    def of(cls, rules: TextRules, *, has_media: bool = True) -> TextSpec:
        """The caption (or title) of a post with media, or without (Telegram: 4,096)."""
        limit = rules.max_length
        if not has_media and rules.max_length_text_only is not None:
            limit = rules.max_length_text_only
        spec = cls(
            counting=rules.counting,
            url_length=rules.url_length,
            mention_domains_free=rules.mention_domains_free,
            limit=limit,
            byte_cap=rules.max_utf8_bytes,
            max_hashtags=rules.max_hashtags,
            max_mentions=rules.max_mentions,
            max_links=rules.max_links,
            forbidden=tuple(c for c in rules.forbidden_characters if c),
            required=rules.required,
        )
        if limit is None and rules.max_utf8_bytes is not None:
            # the only length rule is in bytes (YouTube descriptions): that is the unit
            spec = replace(
                spec,
                counting="utf8_bytes",
                url_length=None,
                mention_domains_free=False,
                limit=rules.max_utf8_bytes,
                byte_cap=None,
            )
        return spec

    def measure(self, text: str) -> int:
        """The length of ``text`` as the platform counts it."""
        return textlib.count(
            text,
            self.counting,
            url_length=self.url_length,
            mention_domains_free=self.mention_domains_free,
        )

    def without_cap(self, kind: str) -> TextSpec:
        """The same rules with no cap on ``kind`` (hashtags, mentions or links)."""
        if kind == "hashtags":
            return replace(self, max_hashtags=None)
        if kind == "mentions":
            return replace(self, max_mentions=None)
        return replace(self, max_links=None)

    def keeps_rules(self, text: str, target: int) -> bool:
        """Whether ``text`` breaks no rule but its length, and can still grow to ``target`` with
        plain words (one unit and one byte a character) without breaking the byte cap."""
        if any(c in text for c in self.forbidden):
            return False
        if self.byte_cap is not None and target <= self.byte_cap:
            room = target - self.measure(text)
            if textlib.utf8_length(text) + max(0, room) > self.byte_cap:
                return False
        for cap, found in (
            (self.max_hashtags, textlib.find_hashtags),
            (self.max_mentions, textlib.find_mentions),
            (self.max_links, _unique_links),
        ):
            if cap is not None and len(found(text)) > cap:
                return False
        return True


def _unique_links(text: str) -> list[str]:
    return list(dict.fromkeys(textlib.find_urls(text)))


def assemble(
    spec: TextSpec, target: int, pieces: Sequence[tuple[str, str]], *, ascii_fill: bool
) -> str:
    """Text of length ``target`` (in ``spec``'s unit) from ``pieces`` (separator, brick).

    With ``ascii_fill`` the result always has exactly ``target`` units; otherwise (a caller's
    alphabet) only the pieces' own characters are used and the result may fall short.
    """
    text = ""
    used: list[str] = []
    for separator, brick in pieces:
        candidate = text + separator + brick if text else brick
        if spec.measure(candidate) <= target and spec.keeps_rules(candidate, target):
            text = candidate
            used.append(separator + brick)
    text = _repeat(spec, target, text, used)
    if ascii_fill:
        return _fill_ascii(spec, target, text)
    return _fill_from(spec, target, text, "".join(dict.fromkeys("".join(used))))


def _repeat(spec: TextSpec, target: int, text: str, used: Sequence[str]) -> str:
    """Grow a short text towards a long target by repeating its pieces (entity-free ones when
    the platform caps entities), rather than padding thousands of plain letters."""
    capped = any(c is not None for c in (spec.max_hashtags, spec.max_mentions, spec.max_links))
    if capped:
        used = [
            p
            for p in used
            if not (textlib.find_hashtags(p) or textlib.find_mentions(p) or textlib.find_urls(p))
        ]
    block = "".join(used)
    unit = spec.measure(block) if block else 0
    current = spec.measure(text)
    if not text or unit <= 0 or target - current < 2 * unit:
        return text
    times = (target - current) // unit - 1
    while times > 0:
        candidate = text + block * times
        if spec.measure(candidate) <= target and spec.keeps_rules(candidate, target):
            return candidate
        times //= 2
    return text


def _fill_ascii(spec: TextSpec, target: int, text: str) -> str:
    missing = target - spec.measure(text)
    if missing <= 0:
        return text if missing == 0 else filler(target)
    tails = [" " + filler(missing - 1)] if missing > 1 else [".", " "]
    for tail in tails if text else [filler(missing)]:
        candidate = text + tail
        if spec.measure(candidate) == target and spec.keeps_rules(candidate, target):
            return candidate
    return filler(target)  # the same length in every unit, and no entity


_MAX_FILL_STEPS = 256


def _fill_from(spec: TextSpec, target: int, text: str, characters: str) -> str:
    current = spec.measure(text)
    for _ in range(_MAX_FILL_STEPS):
        if current >= target:
            break
        for character in characters:
            candidate = text + character
            length = spec.measure(candidate)
            if current < length <= target and spec.keeps_rules(candidate, target):
                text, current = candidate, length
                break
        else:
            break  # no character makes progress
    return text


def _alphabet_strategy(alphabet: Alphabet) -> st.SearchStrategy[str]:
    if isinstance(alphabet, st.SearchStrategy):
        return alphabet
    characters = sorted(set(alphabet))
    if not characters or any(not isinstance(c, str) or len(c) != 1 for c in characters):
        raise InvalidArgument(
            f"alphabet={alphabet!r} must hold at least one character, each a 1-character str"
        )
    return st.sampled_from(characters)


def _pieces(alphabet: Alphabet | None) -> st.SearchStrategy[list[tuple[str, str]]]:
    if alphabet is None:
        piece = st.tuples(st.sampled_from(_SEPARATORS), _BRICK)
    else:
        piece = st.tuples(
            st.just(""), st.text(_alphabet_strategy(alphabet), min_size=1, max_size=6)
        )
    return st.lists(piece, max_size=_MAX_PIECES)


def texts(
    spec: TextSpec,
    min_length: int,
    max_length: int,
    *,
    targets: st.SearchStrategy[int] | None = None,
    alphabet: Alphabet | None = None,
) -> st.SearchStrategy[str]:
    """Texts whose length in ``spec``'s unit lies in [min_length, max_length]."""
    if targets is None:
        marks = [spec.limit] if spec.limit is not None else []
        targets = st.one_of(
            st.integers(min_length, min(max_length, min_length + 40)),
            near_int(min_length, max_length, marks),
        )
    return _draw_text(spec, min_length, max_length, targets, _pieces(alphabet), alphabet is None)


@st.composite
def _draw_text(
    draw: st.DrawFn,
    spec: TextSpec,
    min_length: int,
    max_length: int,
    targets: st.SearchStrategy[int],
    pieces: st.SearchStrategy[list[tuple[str, str]]],
    ascii_fill: bool,
) -> str:
    target = draw(targets)
    text = assemble(spec, target, draw(pieces), ascii_fill=ascii_fill)
    if not min_length <= spec.measure(text) <= max_length:
        reject()  # only with a caller's alphabet that cannot make this length
    return text


def entity_text(kind: str, count: int) -> str:
    """``count`` distinct hashtags, mentions or links, separated by spaces."""
    pattern = {"hashtags": "#t{}", "mentions": "@u{}", "links": "https://example.com/{}"}[kind]
    return " ".join(pattern.format(i) for i in range(count))


def captions(
    platform: str,
    *,
    min_length: int | None = None,
    max_length: int | None = None,
    near_limit: bool = False,
    alphabet: Alphabet | None = None,
    rules: RuleSet | None = None,
) -> st.SearchStrategy[str]:
    """Captions whose length, in ``platform``'s own unit, lies in [min_length, max_length].

    The unit is the rules table's: X's weighted count with every URL as 23, graphemes on
    Bluesky and Mastodon, UTF-16 units on Instagram, TikTok and Telegram, UTF-8 bytes for
    YouTube's description, and so on (see ``mediarules.text.count``); the limit is the one for
    a post with media. ``max_length`` defaults to that limit, so captions fit unless asked
    otherwise; ``near_limit=True`` draws lengths from limit-2 to limit+2 only, both sides of
    the limit. ``alphabet`` replaces the built-in tricky bricks with your own characters.
    Apart from its length a caption keeps the platform's other caption rules (hashtag,
    mention and link counts, forbidden characters, a byte cap) whenever its length allows.
    """
    _, _, platform_rules = resolve(platform, rules)
    spec = TextSpec.of(platform_rules.caption)
    check_count("min_length", min_length)
    check_count("max_length", max_length)
    if not isinstance(near_limit, bool):
        raise InvalidArgument(f"near_limit={near_limit!r} must be a bool")
    if alphabet is not None:
        _alphabet_strategy(alphabet)  # validate now, not at the first draw
    limit = spec.limit
    lo = min_length if min_length is not None else 0
    if near_limit:
        if limit is None:
            raise InvalidArgument(f"near_limit=True, but {platform!r} sets no caption limit")
        hi = max_length if max_length is not None else limit + NEAR
        window = (max(lo, limit - NEAR, 0), min(hi, limit + NEAR))
        if window[0] > window[1]:
            raise InvalidArgument(
                f"near_limit=True draws lengths {limit - NEAR}..{limit + NEAR}, outside"
                f" min_length={min_length}, max_length={max_length}"
            )
        return texts(spec, lo, hi, targets=st.integers(*window), alphabet=alphabet)
    if max_length is not None:
        hi = max_length
    else:
        default = limit if limit is not None else DEFAULT_MAX_LENGTH
        hi = default if lo <= default else lo + 64
    if lo > hi:
        raise InvalidArgument(f"min_length={lo} is greater than max_length={hi}")
    return texts(spec, lo, hi, alphabet=alphabet)
