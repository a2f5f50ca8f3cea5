"""The platforms' own text suites, asked of ``mediarules.measure`` and ``mediarules.text``.

The suites are read from ``../shared/conformance`` when it exists (skipped otherwise; see
``tests/conformance_suites.py``, also runnable for a per-file count); the case lists in
``tests/cases/`` (written for this project) always run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import regex

from mediarules import text as textlib
from mediarules.measuring import measure
from mediarules.text import bluesky, twitter
from tests import conformance_suites as suites

CASES = Path(__file__).resolve().parent / "cases"
needs_shared = pytest.mark.skipif(
    not suites.SHARED.exists(), reason="../shared/conformance is absent"
)


def _params(cases: Any) -> list[Any]:
    return [pytest.param(case, id=case.name) for case in cases if case.asked]


@needs_shared
@pytest.mark.parametrize("case", _params(suites.validate_cases()))
def test_twitter_text_validate_v3(case: suites.Case) -> None:
    assert case.actual() == case.expected


@needs_shared
@pytest.mark.parametrize("case", _params(suites.extract_cases()))
def test_twitter_text_extract_urls_mentions_hashtags(case: suites.Case) -> None:
    assert case.actual() == case.expected


@needs_shared
@pytest.mark.parametrize("case", _params(suites.tld_cases()))
def test_twitter_text_tlds(case: suites.Case) -> None:
    assert case.actual() == case.expected


@needs_shared
@pytest.mark.parametrize("case", _params(suites.grapheme_cases(suites.UNICODE)))
def test_grapheme_break_test_18(case: suites.Case) -> None:
    assert case.actual() == case.expected


@needs_shared
@pytest.mark.parametrize("case", _params(suites.grapheme_cases("17.0.0")))
def test_grapheme_break_test_17_where_18_kept_the_rule(case: suites.Case) -> None:
    assert case.actual() == case.expected


@needs_shared
@pytest.mark.parametrize("case", _params(suites.detection_cases()))
def test_atproto_facet_detection(case: suites.Case) -> None:
    assert case.actual() == case.expected


@needs_shared
def test_every_suite_was_read() -> None:
    """A renamed or emptied file must not turn the suites above into zero silent cases."""
    groups, _ = suites.tally(suites.all_cases())
    files = {suite for suite, _ in groups}
    assert files == {
        "twitter-text/validate.yml",
        "twitter-text/extract.yml",
        "twitter-text/tlds.yml",
        "GraphemeBreakTest-18.0.0.txt",
        "GraphemeBreakTest-17.0.0.txt",
        "atproto/detection_cases.json",
    }
    asked = sum(count for (_, group), (_, count) in groups.items() if "not asked" not in group)
    assert asked > 3_500


# --------------------------------------------------------------------------------------------
# The committed case lists


def _load(name: str) -> dict[str, Any]:
    cases: dict[str, Any] = json.loads((CASES / name).read_text("utf-8"))
    return cases


OWN = _load("text_platforms.json")
OWN_TWITTER = _load("twitter_text.json")


def _text(case: dict[str, Any]) -> str:
    text: str = case["text"]
    return "a" * int(case.get("a_prefix", 0)) + text


def _case_id(case: dict[str, Any]) -> str:
    return f"{case.get('platform', '')}:{case['why'] if 'why' in case else case['text'][:40]}"


@pytest.mark.parametrize("case", OWN["measure"], ids=_case_id)
def test_own_measure_cases(case: dict[str, Any]) -> None:
    """Length, validity and the entities each platform finds, through ``measure``."""
    result = measure(_text(case), case["platform"])
    assert result.length == case["length"]
    if "valid" in case:
        assert result.valid == case["valid"]
    if "entities" in case:
        assert [[e.kind, e.text] for e in result.entities] == case["entities"]


@pytest.mark.parametrize("case", OWN["graphemes"], ids=_case_id)
def test_own_grapheme_cases(case: dict[str, Any]) -> None:
    text = case["text"]
    assert textlib.graphemes(text) == case["clusters"] == regex.findall(r"\X", text)
    in_prose = f"x {text} {text}y"
    assert textlib.grapheme_count(in_prose) == len(regex.findall(r"\X", in_prose))


@pytest.mark.parametrize("case", OWN_TWITTER["urls"], ids=_case_id)
def test_own_url_cases(case: dict[str, Any]) -> None:
    assert textlib.find_urls(case["text"]) == case["expected"]


@pytest.mark.parametrize("case", OWN_TWITTER["weighted"], ids=_case_id)
def test_own_weighted_cases(case: dict[str, Any]) -> None:
    assert textlib.count(_text(case), "weighted", url_length=23) == case["expected"]


@pytest.mark.parametrize("case", OWN_TWITTER["mentions"], ids=_case_id)
def test_own_mention_cases(case: dict[str, Any]) -> None:
    text = case["text"]
    assert [text[start:end] for start, end in twitter.mention_spans(text)] == case["expected"]


# --------------------------------------------------------------------------------------------
# The data files


def test_each_tld_list_ships_with_its_source_and_date() -> None:
    data = Path(twitter.__file__).parent / "data"
    twitter_list = (data / "tlds.txt").read_text("utf-8")
    assert "twitter/twitter-text conformance/tld_lib.yml" in twitter_list
    assert "Copied 20" in twitter_list
    assert {"jp", "so", "md"} <= twitter.COUNTRY_TLDS
    assert {"com", "\u307f\u3093\u306a"} <= twitter.GENERIC_TLDS
    iana = (data / "tlds_iana.txt").read_text("utf-8")
    assert '"tlds"' in iana and "Copied 20" in iana
    # the lists differ where X's (2020) and IANA's (today) do: each platform keeps its own
    assert "music" in bluesky.TLDS and "music" not in twitter.GENERIC_TLDS
    assert "xperia" in twitter.GENERIC_TLDS and "xperia" not in bluesky.TLDS
