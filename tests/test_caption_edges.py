"""Captions and titles at, and one past, every text limit, in every counting unit.

Each case repeats one "brick" (an ASCII letter, a CJK character, an emoji, a ZWJ family, a flag,
a skin-toned emoji, an emoji with U+FE0F, a keycap, a tag flag, a letter with a combining
accent, a URL, a Mastodon-style mention) until the limit under test is reached, pads with ASCII
``a`` where the brick's cost does not divide the limit, and checks both sides through
``mediarules.check``: at the limit no ``<field>.too_long``; one ``a`` more and exactly one,
citing ``limit + 1`` and the unit.

The bricks' costs are literal numbers worked out by hand from each unit's definition (see
``BRICKS``), not computed by ``mediarules.text``: the test checks the engine, it does not
mirror it. The limits under test come from the shipped table (so a platform or variant added
to it is covered at once); ``test_text_limits_match_the_spec`` pins the base platforms' figures
to the reference spec.

Where a platform has two limits on one field (Bluesky: 300 graphemes and 3,000 bytes) the
brick count is chosen so that the limit under test binds and the other stays clear, both at
the limit and one past it; a brick that cannot do that is skipped (``EXPECTED_SKIPS``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import pytest
import regex

import mediarules
from mediarules import MediaFacts, Report, Violation
from mediarules.ruleset import PlatformRules, TextRules

RULES = mediarules.default_rules()

Field = Literal["caption", "title"]
Unit = Literal["code_points", "graphemes", "utf16", "utf8_bytes", "weighted", "emoji_utf8"]

VIDEO = MediaFacts(
    kind="video",
    format="mp4",
    width=1080,
    height=1920,
    size=1_000_000,
    fps=Fraction(30),
    duration_s=10,
    video_codec="h264",
    audio_codec="aac",
)

# What the messages call each unit: "caption is 281 weighted characters; the limit is 280".
UNIT_WORDS: Mapping[Unit, str] = {
    "code_points": "characters",
    "graphemes": "characters (graphemes)",
    "utf16": "UTF-16 units",
    "utf8_bytes": "bytes",
    "weighted": "weighted characters",
    "emoji_utf8": "characters (emoji as UTF-8 bytes)",
}
UNIT_IDS: Mapping[Unit, str] = {
    "code_points": "code-points",
    "graphemes": "graphemes",
    "utf16": "utf16",
    "utf8_bytes": "bytes",
    "weighted": "weighted",
    "emoji_utf8": "emoji-utf8",
}

URL = "https://example.com/a-very-long-path-that-is-longer-than-twenty-three"  # 69 characters
MENTION = "@user@example.social"  # 20 characters; Mastodon counts "@user"


# --------------------------------------------------------------------------------------------
# Bricks


@dataclass(frozen=True)
class Brick:
    name: str
    text: str
    cost: Mapping[Unit, int]
    """Cost of one brick in each unit, as written."""
    shortened: int | None = None
    """Cost where every URL counts ``url_length`` (X, Mastodon), without the URL itself."""
    mention_free: int | None = None
    """Cost where ``@user@domain`` counts as ``@user`` (Mastodon)."""
    mentions: int = 0


def _costs(cp: int, gr: int, u16: int, u8: int, w: int, *, emoji: bool = False) -> dict[Unit, int]:
    """``emoji``: the brick is one emoji sequence, which Threads counts as its UTF-8 bytes."""
    return {
        "code_points": cp,
        "graphemes": gr,
        "utf16": u16,
        "utf8_bytes": u8,
        "weighted": w,
        "emoji_utf8": u8 if emoji else cp,
    }


BRICKS = [
    Brick("ascii", "z", _costs(1, 1, 1, 1, 1)),
    # U+65E5: BMP, 3 bytes; outside X's light ranges, so 2 weighted.
    Brick("cjk", "\u65e5", _costs(1, 1, 1, 3, 2)),
    # U+1F642 slightly smiling face: astral, a surrogate pair, 4 bytes; every emoji weighs 2.
    Brick("emoji", "\U0001f642", _costs(1, 1, 2, 4, 2, emoji=True)),
    # man ZWJ woman ZWJ girl ZWJ boy: 4 astral + 3 ZWJ (U+200D, 3 bytes) = 7 code points,
    # 4*2 + 3 = 11 UTF-16 units, 4*4 + 3*3 = 25 bytes; one grapheme, one emoji (2 weighted).
    Brick(
        "family",
        "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466",
        _costs(7, 1, 11, 25, 2, emoji=True),
    ),
    # Two regional indicators (F, R): 2 code points, 4 UTF-16 units, 8 bytes; one grapheme.
    Brick("flag", "\U0001f1eb\U0001f1f7", _costs(2, 1, 4, 8, 2, emoji=True)),
    # Thumbs up + medium skin tone modifier: 2 astral code points; one grapheme, one emoji.
    Brick("skin-tone", "\U0001f44d\U0001f3fd", _costs(2, 1, 4, 8, 2, emoji=True)),
    # Red heart + U+FE0F emoji presentation: 2 BMP code points, 3 + 3 bytes; one grapheme.
    Brick("heart", "\u2764\ufe0f", _costs(2, 1, 2, 6, 2, emoji=True)),
    # Keycap one: '1' + U+FE0F + U+20E3 = 3 BMP code points, 1 + 3 + 3 bytes; one grapheme.
    Brick("keycap", "1\ufe0f\u20e3", _costs(3, 1, 3, 7, 2, emoji=True)),
    # Scotland's tag flag: black flag + 5 tag characters + cancel tag, all astral: 7 code
    # points, 14 UTF-16 units, 28 bytes; one grapheme, one emoji.
    Brick(
        "tag-flag",
        "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
        _costs(7, 1, 14, 28, 2, emoji=True),
    ),
    # e + U+0301 combining acute: 2 code points, 1 + 2 bytes; one grapheme; NFC makes it
    # U+00E9, which X weighs 1.
    Brick("combining", "e\u0301", _costs(2, 1, 2, 3, 1)),
    # A URL needs a space after it: 69 + 1 as written (all ASCII); 23 + 1 where shortened.
    Brick("url", URL + " ", _costs(70, 70, 70, 70, 70), shortened=1),
    # A fediverse mention: 20 + 1 as written; "@user" + space = 6 on Mastodon.
    Brick("mention", MENTION + " ", _costs(21, 21, 21, 21, 21), mention_free=6, mentions=1),
]


# --------------------------------------------------------------------------------------------
# Limits, from the shipped table


@dataclass(frozen=True)
class Limit:
    platform: str
    field: Field
    key: str
    value: int
    unit: Unit
    url_length: int | None = None
    mention_domains_free: bool = False

    @property
    def text_only(self) -> bool:
        return self.key == "max_length_text_only"

    @property
    def id(self) -> str:
        parts = [self.platform]
        if self.field == "title":
            parts.append("title")
        if self.text_only:
            parts.append("text-only")
        parts.append(UNIT_IDS[self.unit])
        return "-".join(parts)

    def applies(self, *, has_media: bool, rules: TextRules) -> bool:
        """Whether this limit is the one in force for a post with or without media."""
        if self.key == "max_length_text_only":
            return not has_media
        if self.key == "max_length":
            return has_media or rules.max_length_text_only is None
        return True

    def cost(self, brick: Brick) -> int:
        if self.url_length is not None and brick.shortened is not None:
            return self.url_length + brick.shortened
        if self.mention_domains_free and brick.mention_free is not None:
            return brick.mention_free
        return brick.cost[self.unit]


def text_rules(rules: PlatformRules, field: Field) -> TextRules | None:
    return rules.caption if field == "caption" else rules.title


def limits_of(platform: str, field: Field, rules: TextRules) -> list[Limit]:
    found = []
    for key in ("max_length", "max_length_text_only"):
        value = getattr(rules, key)
        if value is not None:
            found.append(
                Limit(
                    platform,
                    field,
                    key,
                    value,
                    rules.counting,
                    url_length=rules.url_length,
                    mention_domains_free=rules.mention_domains_free,
                )
            )
    if rules.max_utf8_bytes is not None:
        # Bytes on the wire: no URL shortening or free mention domains.
        found.append(Limit(platform, field, "max_utf8_bytes", rules.max_utf8_bytes, "utf8_bytes"))
    return found


def _signature(rules: TextRules | None) -> tuple[object, ...] | None:
    if rules is None:
        return None
    return (
        rules.max_length,
        rules.max_length_text_only,
        rules.max_utf8_bytes,
        rules.counting,
        rules.url_length,
        rules.mention_domains_free,
        rules.max_hashtags,
        rules.max_mentions,
        rules.max_links,
    )


def _same_text_rules_as_base(key: str, rules: PlatformRules) -> bool:
    """A variant (``instagram:reel``) whose caption and title count as its base's adds no case."""
    base = RULES.platforms.get(key.partition(":")[0])
    if base is None or base is rules:
        return False
    return all(
        _signature(text_rules(rules, field)) == _signature(text_rules(base, field))
        for field in ("caption", "title")
    )


def all_limits() -> Iterator[tuple[Limit, TextRules]]:
    for key, rules in RULES.platforms.items():
        if _same_text_rules_as_base(key, rules):
            continue
        for field in ("caption", "title"):
            section = text_rules(rules, field)
            if section is not None:
                for limit in limits_of(key, field, section):
                    yield limit, section


# --------------------------------------------------------------------------------------------
# Cases


@dataclass(frozen=True)
class Case:
    limit: Limit
    brick: Brick
    bricks: int
    padding: int

    @property
    def id(self) -> str:
        return f"{self.limit.id}-{self.brick.name}"

    @property
    def at_limit(self) -> str:
        return self.brick.text * self.bricks + "a" * self.padding

    @property
    def one_past(self) -> str:
        return self.at_limit + "a"


def make_case(limit: Limit, rules: TextRules, brick: Brick) -> Case | None:
    """As many bricks as fit while every other limit of the field stays clear one past this
    one; None when no brick count does (the other limit would trip first)."""
    has_media = not limit.text_only
    others = [
        other
        for other in limits_of(limit.platform, limit.field, rules)
        if other != limit and other.applies(has_media=has_media, rules=rules)
    ]
    cost = limit.cost(brick)
    for bricks in range(limit.value // cost, 0, -1):
        padding = limit.value - bricks * cost
        # ASCII 'a' costs 1 in every unit: the padding plus the extra one past the limit.
        fits_others = all(
            bricks * other.cost(brick) + padding + 1 <= other.value for other in others
        )
        fits_mentions = rules.max_mentions is None or bricks * brick.mentions <= rules.max_mentions
        if fits_others and fits_mentions:
            return Case(limit, brick, bricks, padding)
    return None


CASES: list[Case] = []
SKIPPED: list[str] = []
for _limit, _rules in all_limits():
    if not _limit.applies(has_media=not _limit.text_only, rules=_rules):
        continue
    for _brick in BRICKS:
        _case = make_case(_limit, _rules, _brick)
        if _case is None:
            SKIPPED.append(f"{_limit.id}-{_brick.name}")
        else:
            CASES.append(_case)

# Bluesky's 3,000 bytes are 10 bytes per grapheme over its 300 graphemes: only a brick of more
# than 10 bytes per grapheme (the family, 25; the tag flag, 28) reaches 3,000 bytes before 301
# graphemes, even padded with ASCII.
EXPECTED_SKIPS = {
    f"bluesky-bytes-{name}"
    for name in (
        "ascii",
        "cjk",
        "emoji",
        "flag",
        "skin-tone",
        "heart",
        "keycap",
        "combining",
        "url",
        "mention",
    )
}


def field_violations(report: Report, platform: str, field: Field) -> list[Violation]:
    return [
        v for v in report.violations if v.platform == platform and v.code.startswith(f"{field}.")
    ]


def check_text(limit: Limit, text: str) -> Report:
    media = [] if limit.text_only else [VIDEO]
    if limit.field == "caption":
        return mediarules.check(media, platforms=limit.platform, caption=text)
    return mediarules.check(media, platforms=limit.platform, title=text)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_text_at_and_one_past_the_limit(case: Case) -> None:
    limit = case.limit
    at_limit = check_text(limit, case.at_limit)
    assert field_violations(at_limit, limit.platform, limit.field) == []

    past = field_violations(check_text(limit, case.one_past), limit.platform, limit.field)
    assert [v.code for v in past] == [f"{limit.field}.too_long"]
    (violation,) = past
    assert violation.actual == limit.value + 1
    assert violation.limit == limit.value
    assert f"{limit.value + 1:,} {UNIT_WORDS[limit.unit]}" in violation.message
    assert f"the limit is {limit.value:,}" in violation.message


def test_every_limit_and_brick_is_covered_or_knowingly_skipped() -> None:
    assert set(SKIPPED) == EXPECTED_SKIPS
    tested = {(c.limit.platform, c.limit.field, c.limit.key) for c in CASES}
    expected = {
        (limit.platform, limit.field, limit.key)
        for limit, rules in all_limits()
        if limit.applies(has_media=not limit.text_only, rules=rules)
    }
    assert tested == expected
    assert {c.brick.name for c in CASES} == {b.name for b in BRICKS}


def test_bricks_cost_what_the_table_says() -> None:
    """The literal costs, re-derived with Python itself (not mediarules.text); only X's weights
    have no independent implementation here and are checked through the cases."""
    for brick in BRICKS:
        text = brick.text
        assert brick.cost["code_points"] == len(text), brick.name
        assert brick.cost["utf16"] == len(text.encode("utf-16-le")) // 2, brick.name
        assert brick.cost["utf8_bytes"] == len(text.encode("utf-8")), brick.name
        assert brick.cost["graphemes"] == len(regex.findall(r"\X", text)), brick.name
    assert len(URL) == 69
    assert len(MENTION) == 20


# --------------------------------------------------------------------------------------------
# The shipped figures against the reference spec (shared/reference/platform-specs.md)

SPEC_TEXT_LIMITS: set[tuple[str, str, str, int, str]] = {
    ("x", "caption", "max_length", 280, "weighted"),
    ("linkedin", "caption", "max_length", 3000, "utf16"),
    ("instagram", "caption", "max_length", 2200, "utf16"),
    ("threads", "caption", "max_length", 500, "emoji_utf8"),
    ("tiktok", "caption", "max_length", 2200, "utf16"),
    ("youtube", "caption", "max_utf8_bytes", 5000, "utf8_bytes"),
    ("youtube", "title", "max_length", 100, "code_points"),
    ("facebook", "caption", "max_length", 63206, "utf16"),
    ("bluesky", "caption", "max_length", 300, "graphemes"),
    ("bluesky", "caption", "max_utf8_bytes", 3000, "utf8_bytes"),
    ("mastodon", "caption", "max_length", 500, "graphemes"),
    ("telegram", "caption", "max_length", 1024, "utf16"),
    ("telegram", "caption", "max_length_text_only", 4096, "utf16"),
}


def test_text_limits_match_the_spec() -> None:
    shipped = {
        (limit.platform, limit.field, limit.key, limit.value, limit.unit)
        for limit, _ in all_limits()
        if ":" not in limit.platform
    }
    assert shipped == SPEC_TEXT_LIMITS
    caption = {key: rules.caption for key, rules in RULES.platforms.items()}
    assert {key for key, c in caption.items() if c.url_length is not None} >= {"x", "mastodon"}
    assert caption["x"].url_length == caption["mastodon"].url_length == 23
    assert caption["mastodon"].mention_domains_free


# --------------------------------------------------------------------------------------------
# Counted entities: Instagram hashtags and mentions, Threads unique links


def _entity_check(platform: str, caption: str) -> list[Violation]:
    report = mediarules.check([VIDEO], platforms=platform, caption=caption)
    return field_violations(report, platform, "caption")


ENTITY_CASES = [
    pytest.param("instagram", "hashtags", 30, lambda i: f"#tag{i}", id="instagram-hashtags"),
    pytest.param("instagram", "mentions", 20, lambda i: f"@user{i}", id="instagram-mentions"),
    pytest.param(
        "threads", "links", 5, lambda i: f"https://example.com/page{i}", id="threads-links"
    ),
]


@pytest.mark.parametrize(("platform", "what", "limit", "make"), ENTITY_CASES)
def test_entity_counts_at_and_one_past(
    platform: str, what: str, limit: int, make: Callable[[int], str]
) -> None:
    at_limit = " ".join(make(i) for i in range(limit))
    one_past = " ".join(make(i) for i in range(limit + 1))
    assert _entity_check(platform, at_limit) == []
    past = _entity_check(platform, one_past)
    assert [v.code for v in past] == [f"caption.too_many_{what}"]
    assert past[0].actual == limit + 1
    assert past[0].limit == limit
    assert f"{limit + 1} {what}" in past[0].message


def test_threads_counts_a_repeated_link_once() -> None:
    links = [f"https://example.com/page{i}" for i in range(5)]
    # six links, five of them unique
    assert _entity_check("threads", " ".join([*links, links[0]])) == []
    assert _entity_check("threads", " ".join(links * 3)) == []
    past = _entity_check("threads", " ".join([*links, links[0], "https://example.com/page5"]))
    assert [(v.code, v.actual, v.limit) for v in past] == [("caption.too_many_links", 6, 5)]


def test_mastodon_mention_domain_is_free_at_the_limit() -> None:
    """500 graphemes as Mastodon counts them, 515 as written: the domain costs nothing."""
    caption = MENTION + " " + "a" * 494
    assert len(caption) == 515
    report = mediarules.check([VIDEO], platforms="mastodon", caption=caption)
    assert field_violations(report, "mastodon", "caption") == []
    report = mediarules.check([VIDEO], platforms="mastodon", caption=caption + "a")
    past = field_violations(report, "mastodon", "caption")
    assert [(v.code, v.actual, v.limit) for v in past] == [("caption.too_long", 501, 500)]


# --------------------------------------------------------------------------------------------
# YouTube title: 100 characters, '<' and '>' refused


@pytest.mark.parametrize("bracket", ["<", ">"])
def test_youtube_title_refuses_brackets_at_any_length(bracket: str) -> None:
    title = bracket + "a" * 99  # exactly 100 characters
    report = mediarules.check([VIDEO], platforms="youtube", title=title)
    assert [v.code for v in field_violations(report, "youtube", "title")] == [
        "title.invalid_characters"
    ]
    report = mediarules.check([VIDEO], platforms="youtube", title=title + "a")
    assert sorted(v.code for v in field_violations(report, "youtube", "title")) == [
        "title.invalid_characters",
        "title.too_long",
    ]
