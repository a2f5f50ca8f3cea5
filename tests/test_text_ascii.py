"""ASCII text is counted at once (``mediarules.text.units``): each unit gives what its general
rule gives, control characters and CR LF included."""

from __future__ import annotations

import regex
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mediarules.ruleset import Counting
from mediarules.text import COUNTINGS, count, countable_text, units
from mediarules.text.units import MEASURES

ascii_text = st.text(st.characters(max_codepoint=0x7F))


@settings(max_examples=500)
@given(text=ascii_text)
@example(text="a\r\nb\r\r\n\n\x00\x7f#1\ufe0f"[:8])
def test_ascii_counts_as_the_general_rules(text: str) -> None:
    assert text.isascii()
    assert units.utf8_length(text) == len(text.encode("utf-8"))
    assert units.utf16_length(text) == len(text.encode("utf-16-le")) // 2
    assert units.grapheme_count(text) == len(regex.findall(r"\X", text))
    general_weight = units._character_weights(text) + sum(
        2 - units._character_weights(match.group()) for match in units._EMOJI.finditer(text)
    )
    assert units.weighted(text) == general_weight
    general_emoji = len(text) + sum(
        len(emoji.encode("utf-8")) - len(emoji) for emoji in units._EMOJI.findall(text)
    )
    assert units.emoji_utf8_length(text) == general_emoji


PIECES = [*"ab.:/@#\r\n \t", "https://", "http://", "x.com", "a.co/p", "@user", "@u@d.e", "\r\n"]


@settings(max_examples=500)
@given(
    text=st.lists(st.sampled_from(PIECES), max_size=30).map("".join),
    counting=st.sampled_from(COUNTINGS),
    url_length=st.none() | st.sampled_from([0, 1, 23]),
    domains_free=st.booleans(),
    without_protocol=st.none() | st.booleans(),
)
def test_ascii_rewritten_text_counts_as_its_countable_text(
    text: str,
    counting: Counting,
    url_length: int | None,
    domains_free: bool,
    without_protocol: bool | None,
) -> None:
    """An ASCII text with URLs and mentions rewritten is counted from the entities alone: the
    same as counting the text ``countable_text`` writes."""
    counted = count(
        text,
        counting,
        url_length=url_length,
        mention_domains_free=domains_free,
        urls_without_protocol=without_protocol,
    )
    if without_protocol is None:
        without_protocol = counting == "weighted"
    written = countable_text(
        text,
        url_length=url_length,
        mention_domains_free=domains_free,
        urls_without_protocol=without_protocol,
    )
    assert counted == MEASURES[counting](written)
