"""``mediarules.measure`` and ``mediarules measure``: lengths in each platform's unit, limits,
entity spans; and the text false passes of issue 14, each now on the platform's side."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import mediarules
from mediarules.measuring import Measurement, measure

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mediarules", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip


def _codes(report: mediarules.Report, platform: str) -> list[str]:
    return [violation.code for violation in report.for_platform(platform)]


# --------------------------------------------------------------------------------------------
# the library


def test_x_counts_a_bare_cctld_domain_as_a_link() -> None:
    result = measure("a" * 260 + " foo.jp", "x")
    assert (result.length, result.limit, result.remaining, result.valid) == (284, 280, -4, False)
    assert result.unit == "weighted"
    assert [(e.kind, e.text, e.start, e.end) for e in result.entities] == [
        ("url", "foo.jp", 261, 267)
    ]


def test_spans_point_into_the_text() -> None:
    text = "\U0001f680 Hi @jack, see https://example.com/a?b=1 #launch"
    result = measure(text, "twitter")
    assert result.platform == "x"
    assert [(e.kind, text[e.start : e.end]) for e in result.entities] == [
        ("mention", "@jack"),
        ("url", "https://example.com/a?b=1"),
        ("hashtag", "#launch"),
    ]
    assert all(text[e.start : e.end] == e.text for e in result.entities)


def test_each_platform_counts_in_its_own_unit() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    lengths = {name: measure(family, name).length for name in ("x", "bluesky", "instagram")}
    assert lengths == {"x": 2, "bluesky": 1, "instagram": 8}
    assert measure(family, "bluesky").unit_name == "characters (graphemes)"


def test_mastodon_finds_only_protocol_links_and_its_own_mentions() -> None:
    text = "@alice@example.social see example.com and https://joinmastodon.org"
    result = measure(text, "mastodon")
    assert [(e.kind, e.text) for e in result.entities] == [
        ("mention", "@alice@example.social"),
        ("url", "https://joinmastodon.org"),
    ]
    # @alice@example.social counts as @alice, the URL as 23
    assert result.length == len("@alice see example.com and ") + 23


def test_bluesky_mentions_need_a_handle_with_a_tld() -> None:
    result = measure("@studio and @alice.bsky.social", "bluesky")
    assert [e.text for e in result.entities] == ["@alice.bsky.social"]


def test_text_only_limit_and_other_fields() -> None:
    text = "x" * 2000
    assert not measure(text, "telegram").valid
    assert measure(text, "telegram", has_media=False).limit == 4096
    title = measure("<b>", "youtube", field="title")
    assert title.limit == 100 and not title.valid  # YouTube refuses < and >
    with pytest.raises(ValueError, match="no 'title' field"):
        measure("x", "x", field="title")
    with pytest.raises(mediarules.UnknownPlatformError):
        measure("x", "myspace")


def test_x_refuses_its_invalid_characters() -> None:
    assert not measure("hello \ufeff", "x").valid
    report = mediarules.check([], platforms=["x"], caption="hello \ufffe")
    assert "caption.invalid_characters" in _codes(report, "x")


def test_measure_is_exported() -> None:
    assert mediarules.measure is measure
    assert isinstance(mediarules.measure("hi", "x"), Measurement)


# --------------------------------------------------------------------------------------------
# issue 14's text false passes, through check()


def test_x_bare_domain_and_non_latin_tld_no_longer_pass() -> None:
    for caption in (
        "a" * 260 + " foo.jp",
        "a" * 250 + " http://example.com\u3060\u3088\u306d.comtest/x",
    ):
        report = mediarules.check([], platforms=["x"], caption=caption)
        assert "caption.too_long" in _codes(report, "x"), caption


def test_threads_counts_each_emoji_as_its_utf8_bytes() -> None:
    """Threads' doc: "Emojis are counted as the number of UTF-8 bytes" (was 1 code point)."""
    caption = "a" * 497 + "\U0001f600"  # 497 + 4 bytes = 501, though 498 code points
    report = mediarules.check([], platforms=["threads"], caption=caption)
    too_long = [v for v in report.for_platform("threads") if v.code == "caption.too_long"]
    assert [v.actual for v in too_long] == [501]
    assert measure("a" * 496 + "\U0001f600", "threads").valid
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert measure(family, "threads").length == len(family.encode("utf-8")) == 18


def test_mastodon_counts_a_content_warning_without_text() -> None:
    report = mediarules.check([], platforms=["mastodon"], caption=None, content_warning="w" * 520)
    too_long = [v for v in report.for_platform("mastodon") if v.code == "caption.too_long"]
    assert [v.actual for v in too_long] == [520]
    fine = mediarules.check([], platforms=["mastodon"], content_warning="w" * 500)
    assert "caption.too_long" not in _codes(fine, "mastodon")


def test_mastodon_counts_a_blank_text_as_empty_beside_its_content_warning() -> None:
    """StatusLengthValidator: countable_text of a blank text is '', so only the warning counts."""
    for caption, warning, too_long in (("   ", "w" * 500, False), ("\n\t ", "w" * 501, True)):
        report = mediarules.check(
            [], platforms=["mastodon"], caption=caption, content_warning=warning
        )
        assert ("caption.too_long" in _codes(report, "mastodon")) == too_long, (caption, warning)


def test_mastodon_content_warning_urls_count_as_written() -> None:
    warning = "https://example.com/" + "p" * 480  # 500 graphemes, no URL concession in a CW
    report = mediarules.check([], platforms=["mastodon"], caption="hi", content_warning=warning)
    assert "caption.too_long" in _codes(report, "mastodon")


def test_mastodon_remote_mention_with_an_overlong_domain_counts_in_full() -> None:
    domain = "a" * 250 + ".com"  # 254 characters: Mastodon's extractor drops the mention
    caption = f"@bob@{domain} " + "x" * 250
    report = mediarules.check([], platforms=["mastodon"], caption=caption)
    assert "caption.too_long" in _codes(report, "mastodon")
    ok_caption = f"@bob@{'a' * 249}.com " + "x" * 250  # 253: a mention, counted as @bob
    assert "caption.too_long" not in _codes(
        mediarules.check([], platforms=["mastodon"], caption=ok_caption), "mastodon"
    )


# --------------------------------------------------------------------------------------------
# the command line


def test_cli_text_output() -> None:
    done = _run("measure", "-p", "x,bluesky", "Hi @jack see foo.jp")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == [
        "x",
        "36",
        "/",
        "280",
        "weighted",
        "characters,",
        "244",
        "left:",
        "ok",
    ]
    assert any("url" in line and "foo.jp" in line for line in lines)
    assert any(line.startswith("bluesky") for line in lines)


def test_cli_json_and_exit_code() -> None:
    done = _run("measure", "-p", "x", "--format", "json", "a" * 260 + " foo.jp")
    assert done.returncode == 1
    [result] = json.loads(done.stdout)
    assert result["length"] == 284 and result["remaining"] == -4
    assert result["entities"] == [{"kind": "url", "start": 261, "end": 267, "text": "foo.jp"}]


@pytest.mark.parametrize(
    "args",
    [("measure", "hi"), ("measure", "-p", "x"), ("measure", "-p", "nope", "hi")],
)
def test_cli_usage_errors_are_one_line(args: tuple[str, ...]) -> None:
    done = _run(*args)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_cli_escapes_control_characters_in_entities() -> None:
    done = _run("measure", "-p", "x", "#tag\x1b[31m")
    assert done.returncode == 0
    assert "\x1b" not in done.stdout
