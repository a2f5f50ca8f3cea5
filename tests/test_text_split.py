"""Splitting a caption that is too long (mediarules.fixes.text_split): every part fits, only
whitespace at the cuts is dropped, and no word, URL, mention or grapheme cluster is cut unless
it alone is longer than a part."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mediarules.fixes.text_split import (
    pair_parts_with_media,
    split_media,
    split_text,
    telegram_caption_and_followups,
    x_thread,
)
from mediarules.ruleset import Counting
from mediarules.text import COUNTINGS, count, find_mentions, find_urls, graphemes

GRINNING = "\U0001f600"
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 11 UTF-16 units
FLAG_FR = "\U0001f1eb\U0001f1f7"
THUMBS_MEDIUM = "\U0001f44d\U0001f3fd"
NIHONGO = "\u65e5\u672c\u8a9e"  # three ideographs, 2 each on X
IDEOGRAPHIC_FULL_STOP = "\u3002"
SAMPLE = (
    "the quick brown fox jumps over a lazy dog while everyone watches closely from the "
    "riverbank and nobody says anything about the weather"
)
WORDS = SAMPLE.split()


def sentences(total: int, seed: int = 7) -> str:
    """English sentences, exactly ``total`` characters."""
    rng = random.Random(seed)
    found: list[str] = []
    length = 0
    while length < total:
        sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 14)))
        found.append(sentence.capitalize() + ".")
        length += len(found[-1]) + 1
    text = " ".join(found)[: total - 1]
    if text[-1] in " .":
        text = text[:-1] + "s"
    return text + "."


def bodies_of(parts: list[str], numbering: bool) -> list[str]:
    """The parts without their `` k/n`` counters, which must be there and be right."""
    if not numbering or len(parts) == 1:
        return parts
    bodies = []
    for number, part in enumerate(parts, 1):
        counter = f" {number}/{len(parts)}"
        assert part.endswith(counter), (part, counter)
        bodies.append(part[: -len(counter)])
    return bodies


def assert_split_keeps_text(text: str, bodies: list[str]) -> None:
    """The invariant: text == w0 + bodies[0] + w1 + ... + bodies[-1] + wn, every w a run of
    whitespace grapheme clusters, every body starting and ending on a grapheme boundary of
    ``text`` and neither starting nor ending with a whitespace cluster."""
    clusters = graphemes(text)
    offsets = [0]
    for cluster in clusters:
        offsets.append(offsets[-1] + len(cluster))
    cluster_at = dict(zip(offsets, clusters, strict=False))
    boundaries = set(offsets)

    def skip_whitespace(position: int) -> int:
        while position in cluster_at and cluster_at[position].isspace():
            position += len(cluster_at[position])
        return position

    position = 0
    for body in bodies:
        assert body, bodies
        assert not graphemes(body)[0].isspace() and not graphemes(body)[-1].isspace(), body
        position = skip_whitespace(position)
        assert text.startswith(body, position), (text, bodies)
        end = position + len(body)
        assert position in boundaries and end in boundaries, "a grapheme cluster was cut"
        position = end
    assert skip_whitespace(position) == len(text)
    # Consequently, only whitespace was dropped:
    assert "".join("".join(body.split()) for body in bodies) == "".join(text.split())


def check(
    text: str,
    parts: list[str],
    first_limit: int,
    rest_limit: int,
    counting: Counting,
    *,
    url_length: int | None = None,
    mention_domains_free: bool = False,
    numbering: bool = False,
) -> list[str]:
    """Every part fits and the text is kept; returns the parts without counters."""
    for index, part in enumerate(parts):
        limit = first_limit if index == 0 else rest_limit
        length = count(
            part, counting, url_length=url_length, mention_domains_free=mention_domains_free
        )
        assert length <= limit, (index, part, length, limit)
    fits = count(text, counting, url_length=url_length, mention_domains_free=mention_domains_free)
    if fits <= first_limit or parts == [text]:
        assert parts == [text]
        return parts
    if not text.split():
        assert parts == [""]
        return parts
    bodies = bodies_of(parts, numbering)
    assert_split_keeps_text(text, bodies)
    return bodies


def words_of(parts: list[str]) -> list[str]:
    return [word for part in parts for word in part.split()]


# --------------------------------------------------------------------------------------------
# Telegram: a 1024-unit caption, then 4096-unit messages


def test_telegram_caption_of_1500_characters_becomes_caption_and_one_message() -> None:
    text = sentences(1500)
    assert len(text) == 1500
    parts = telegram_caption_and_followups(text)
    assert len(parts) == 2
    check(text, parts, 1024, 4096, "utf16")
    assert words_of(parts) == text.split()  # no word was cut
    assert parts[0].endswith(".")  # at a sentence end, which lies within the window


def test_telegram_emoji_caption_counts_utf16_units() -> None:
    text = " ".join([GRINNING * 3, "ok", FAMILY, FLAG_FR, THUMBS_MEDIUM] * 80)
    parts = telegram_caption_and_followups(text)
    check(text, parts, 1024, 4096, "utf16")
    assert words_of(parts) == text.split()
    assert len(parts) == 2
    assert count(parts[0], "utf16") > 1000  # nearly full in units...
    assert len(parts[0]) < 700  # ...but far from full in code points


def test_telegram_caption_of_exactly_1024_units_is_one_part() -> None:
    text = "word " * 204 + "abcd"
    assert count(text, "utf16") == 1024
    assert telegram_caption_and_followups(text) == [text]
    longer = text + "e"
    assert telegram_caption_and_followups(longer) == [text[:-5], "abcde"]


def test_telegram_emoji_word_is_cut_between_emoji_not_inside_one() -> None:
    text = GRINNING * 700  # one "word" of 1400 units
    parts = telegram_caption_and_followups(text)
    check(text, parts, 1024, 4096, "utf16")
    assert parts == [GRINNING * 512, GRINNING * 188]


def test_word_longer_than_a_part_is_cut_at_grapheme_boundaries() -> None:
    text = "a" * 3000
    parts = telegram_caption_and_followups(text)
    assert [len(part) for part in parts] == [1024, 1976]
    parts = split_text(text, 1024, 1024, "utf16")
    assert [len(part) for part in parts] == [1024, 1024, 952]


# --------------------------------------------------------------------------------------------
# X: weighted threads with counters


def test_x_thread_of_700_characters_fits_with_counters() -> None:
    text = sentences(700, seed=3)
    parts = x_thread(text)
    assert len(parts) == 3
    bodies = check(text, parts, 280, 280, "weighted", url_length=23, numbering=True)
    assert words_of(bodies) == text.split()
    assert [part[-4:] for part in parts] == [" 1/3", " 2/3", " 3/3"]


def test_x_thread_weighs_cjk_two() -> None:
    sentence = NIHONGO + "\u306e\u30c6\u30ad\u30b9\u30c8\u3067\u3059" + IDEOGRAPHIC_FULL_STOP
    text = sentence * 30  # 330 characters, no spaces, 660 weighted
    parts = x_thread(text)
    bodies = check(text, parts, 280, 280, "weighted", url_length=23, numbering=True)
    assert len(parts) == 3
    for body in bodies:
        assert count(body, "weighted") == 2 * len(body)
        assert body.endswith(IDEOGRAPHIC_FULL_STOP)  # CJK sentence ends need no space


def test_x_thread_breaks_between_cjk_characters_rather_than_after_a_latin_word() -> None:
    text = "see " + NIHONGO * 100
    parts = x_thread(text)
    bodies = check(text, parts, 280, 280, "weighted", url_length=23, numbering=True)
    assert bodies[0].startswith("see " + NIHONGO)
    assert all(count(part, "weighted") >= 278 for part in parts[:-1])


def test_x_thread_counts_a_url_23_and_never_cuts_it() -> None:
    url = "https://example.com/articles/" + "a" * 200
    text = "Read this " + url + " " + sentences(500, seed=5)
    parts = x_thread(text)
    check(text, parts, 280, 280, "weighted", url_length=23, numbering=True)
    holding = [part for part in parts if url in part]
    assert len(holding) == 1
    assert len(holding[0]) > 280  # 200-odd characters of link count 23
    assert sum("example.com" in part for part in parts) == 1
    assert [url] == [found for part in parts for found in find_urls(part)]


def test_mentions_are_never_cut() -> None:
    mentions = [f"@user_{name}_{number}" for number, name in enumerate(WORDS)]
    for text in (" ".join(mentions), ",".join(mentions)):  # with and without spaces
        parts = split_text(text, 40, 40, "code_points")
        check(text, parts, 40, 40, "code_points")
        assert [found for part in parts for found in find_mentions(part)] == mentions


def test_mention_domains_free_counts_user_only() -> None:
    text = " ".join(["@alice@very-long-instance-name.example"] * 20)
    parts = split_text(text, 100, 100, "graphemes", mention_domains_free=True)
    check(text, parts, 100, 100, "graphemes", mention_domains_free=True)
    assert len(parts) == 2  # 20 x "@alice" + spaces is 139 graphemes
    assert len(parts[0]) > 100


def test_url_longer_than_a_part_is_cut_as_a_last_resort() -> None:
    url = "https://example.com/" + "b" * 80
    text = "see " + url + " end"
    parts = split_text(text, 40, 40, "code_points")
    check(text, parts, 40, 40, "code_points")
    assert parts[0] == "see"
    assert "".join(parts[1:])[: len(url)] == url


# --------------------------------------------------------------------------------------------
# Where the cut lands


def test_cut_lands_on_a_paragraph_break_within_the_window() -> None:
    first = sentences(600, seed=1)
    second = sentences(800, seed=2)
    text = first + "\n\n" + second
    parts = telegram_caption_and_followups(text)
    assert parts == [first, second]


def test_paragraph_break_too_early_loses_to_a_later_sentence_end() -> None:
    first = sentences(200, seed=1)
    text = first + "\n\n" + sentences(1300, seed=2)
    parts = telegram_caption_and_followups(text)
    check(text, parts, 1024, 4096, "utf16")
    assert len(parts[0]) > 900 and parts[0].endswith(".")


def test_line_break_counts_as_a_sentence_end() -> None:
    lines = [" ".join(WORDS[: 5 + number % 7]) for number in range(60)]
    text = "\n".join(lines)
    parts = split_text(text, 200, 200, "code_points")
    check(text, parts, 200, 200, "code_points")
    assert all(part in lines or "\n" in part for part in parts)
    assert all(part.split("\n")[-1] in lines for part in parts)


# --------------------------------------------------------------------------------------------
# Edges and errors


def test_text_that_fits_is_returned_unchanged() -> None:
    assert split_text("  hi  ", 10, 10, "code_points") == ["  hi  "]
    assert split_text("", 1, 1, "code_points") == [""]
    assert x_thread("short") == ["short"]  # a single post gets no counter


def test_surrounding_whitespace_goes_when_the_text_is_split() -> None:
    assert split_text("   abc   ", 5, 5, "code_points") == ["abc"]
    assert split_text(" " * 50, 10, 10, "code_points") == [""]
    assert split_text("\n ab cd ef \n", 5, 5, "code_points") == ["ab cd", "ef"]


def test_numbering_widens_the_counter_past_nine_parts() -> None:
    text = " ".join(WORDS * 2)
    parts = split_text(text, 30, 30, "code_points", numbering=True)
    assert len(parts) >= 10
    bodies = check(text, parts, 30, 30, "code_points", numbering=True)
    assert words_of(bodies) == text.split()


@pytest.mark.parametrize(
    ("text", "first", "rest", "counting", "numbering"),
    [
        pytest.param("abc", 0, 10, "code_points", False, id="first-limit-0"),
        pytest.param("abc", 10, 0, "code_points", False, id="rest-limit-0"),
        pytest.param("abc", 4, 4, "code_points", True, id="no-room-for-counter"),
        pytest.param(FAMILY * 2, 10, 10, "utf16", False, id="grapheme-longer-than-limit"),
        pytest.param(NIHONGO, 1, 1, "weighted", False, id="ideograph-weighs-2"),
        pytest.param(" ".join("abcdefghijk"), 5, 5, "code_points", True, id="counter-outgrows"),
    ],
)
def test_impossible_splits_raise(
    text: str, first: int, rest: int, counting: Counting, numbering: bool
) -> None:
    with pytest.raises(ValueError, match="limit"):
        split_text(text, first, rest, counting, numbering=numbering)


# --------------------------------------------------------------------------------------------
# Properties

PIECES = [
    "word",
    "Hello",
    "caf\u00e9",
    " ",
    "  ",
    "\n",
    "\n\n",
    "\r\n",
    "\t",
    ". ",
    "! ",
    "?",
    ",",
    IDEOGRAPHIC_FULL_STOP,
    NIHONGO,
    "\u3053\u3093\u306b\u3061\u306f",  # hiragana
    "\u300c",  # opening corner bracket
    GRINNING,
    FAMILY,
    FLAG_FR,
    THUMBS_MEDIUM,
    "e\u0301",  # combining acute
    " \u0301",  # a space carrying a mark: one cluster, not whitespace
    "\u0600",  # a prepended mark: joins what follows, even a space
    "\u200d",
    "\ufe0f",
    "https://example.com/a/long/path?q=1",
    "example.org",
    "x.co",
    "@someone",
    "@user@mastodon.social",
    "#tag",
]
texts = st.lists(st.sampled_from(PIECES) | st.text(max_size=4), min_size=1, max_size=60).map(
    "".join
)


@settings(max_examples=200, deadline=None)
@given(
    text=texts,
    first=st.integers(min_value=1, max_value=40),
    rest=st.integers(min_value=1, max_value=40),
    counting=st.sampled_from(COUNTINGS),
    url_length=st.sampled_from([None, 0, 23]),
    mention_domains_free=st.booleans(),
    numbering=st.booleans(),
)
def test_every_split_fits_and_keeps_the_text(
    text: str,
    first: int,
    rest: int,
    counting: Counting,
    url_length: int | None,
    mention_domains_free: bool,
    numbering: bool,
) -> None:
    options = {"url_length": url_length, "mention_domains_free": mention_domains_free}
    clusters = [cluster for cluster in graphemes(text) if not cluster.isspace()]
    widest = max((count(cluster, counting) for cluster in clusters), default=0)
    counter = len(f" {len(clusters)}/{len(clusters)}") if numbering else 0
    feasible = min(first, rest) >= max(widest + counter, 5 if numbering else 1)
    try:
        parts = split_text(text, first, rest, counting, numbering=numbering, **options)  # type: ignore[arg-type]
    except ValueError:
        assert not feasible
        return
    check(text, parts, first, rest, counting, numbering=numbering, **options)  # type: ignore[arg-type]
    if len(parts) > 1:
        assert all(part.strip() for part in parts)


# --------------------------------------------------------------------------------------------
# Media


def test_split_media_in_consecutive_groups() -> None:
    assert split_media([0, 1, 2, 3, 4, 5], 4) == [[0, 1, 2, 3], [4, 5]]
    assert split_media([0, 1, 2, 3], 4) == [[0, 1, 2, 3]]
    assert split_media(["a.jpg", "b.jpg", "c.jpg"], 1) == [["a.jpg"], ["b.jpg"], ["c.jpg"]]
    assert split_media([], 4) == []
    with pytest.raises(ValueError, match="max_per_post"):
        split_media([0], 0)


def test_pair_parts_with_media() -> None:
    groups = split_media([0, 1, 2, 3, 4, 5], 4)
    assert pair_parts_with_media(["a", "b", "c"], groups) == [
        ("a", [0, 1, 2, 3]),
        ("b", [4, 5]),
        ("c", []),
    ]
    assert pair_parts_with_media(["only"], groups) == [("only", [0, 1, 2, 3]), ("", [4, 5])]
    assert pair_parts_with_media(["a"], []) == [("a", [])]
    assert pair_parts_with_media([], []) == []
