"""ASCII text is counted at once (``mediarules.text.units``): each unit gives what its general
rule gives, control characters and CR LF included."""

from __future__ import annotations

import regex
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mediarules.text import units

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
