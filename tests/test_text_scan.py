"""The URL scan skips a label no dot follows in one step: it finds what trying every start in
it finds (``twitter._past_label``), and a long run of such characters costs a scan, not a
scan per character."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import mediarules
from mediarules.text import twitter
from tests.deadline import within

PIECES = [
    "a", "Z", "7", ".", "-", "_", ":", "/", "?", "#", "@", "$", "(", ")", "h", "http", "https",
    "HTTP", "://", "www", "com", "co", "jp", "t.co", "xn--p1ai", "example.com", "🚀", "é",
    "日本", "\u0301", "\u200e", "\ufeff", "readme.md", "_x", "x_", "a.b_c.com", "/path",
    "https://", "http://", "HTTPS://", "🚀🚀", "ab-cd",
]  # fmt: skip
runs = st.lists(st.sampled_from(PIECES), max_size=24).map("".join)


def _every_start(run: str, start: int) -> int:
    """The scan before the skip: the next character."""
    return start + 1


@settings(max_examples=1500, deadline=None)
@given(run=runs, opens_text=st.booleans(), without_protocol=st.booleans())
@example(run="é🚀https://example.com", opens_text=True, without_protocol=True)
def test_skipping_a_label_finds_what_trying_each_start_finds(
    run: str, opens_text: bool, without_protocol: bool
) -> None:
    found = twitter._run_url_spans(run, without_protocol=without_protocol, opens_text=opens_text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(twitter, "_past_label", _every_start)
        expected = twitter._run_url_spans(
            run, without_protocol=without_protocol, opens_text=opens_text
        )
    assert found == expected


@pytest.mark.parametrize(
    "caption",
    [
        "https://example.com/3" + "🚀" * 4000,
        "example.com" + "🚀" * 4000,
        "a." + "b_c" * 2000,
        "🚀" * 4000 + "https://a.co",
    ],
)
def test_a_long_label_after_a_link_is_one_scan(caption: str) -> None:
    """Each of these took seconds (a quadratic scan); a check of every platform now takes a
    fraction of one."""
    rules = mediarules.default_rules()
    within(5, lambda: mediarules.check([], platforms=list(rules.platforms), caption=caption))
