"""The platforms' own text suites: twitter-text (validate.yml v3 counter cases, extract.yml,
tlds.yml), Unicode's GraphemeBreakTest 18.0 and atproto's facet detection cases.

They are read from ``../shared/conformance`` when it exists (skipped otherwise); the small
case lists in ``tests/cases/`` (written for this project from the same rules) always run.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import regex
import yaml

from mediarules import text as textlib
from mediarules.text import bluesky, twitter

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "conformance"
CASES = Path(__file__).resolve().parent / "cases"


def _yaml_tests(name: str) -> dict[str, list[dict[str, Any]]]:
    path = SHARED / "twitter-text" / name
    if not path.exists():
        return {}
    tests: dict[str, list[dict[str, Any]]] = yaml.safe_load(path.read_text("utf-8"))["tests"]
    return tests


def _params(source: dict[str, list[dict[str, Any]]], *groups: str) -> list[Any]:
    return [
        pytest.param(case, id=f"{group}-{index}")
        for group in groups
        for index, case in enumerate(source.get(group, []))
    ]


VALIDATE = _yaml_tests("validate.yml")
EXTRACT = _yaml_tests("extract.yml")
TLDS = _yaml_tests("tlds.yml")
OWN_TWITTER = json.loads((CASES / "twitter_text.json").read_text("utf-8"))
needs_shared = pytest.mark.skipif(not SHARED.exists(), reason="../shared/conformance is absent")


# --------------------------------------------------------------------------------------------
# twitter-text: lengths (v3 config: emoji parsing on, URLs 23)


def _weighted(text: str) -> int:
    return textlib.count(text, "weighted", url_length=23)


@needs_shared
@pytest.mark.parametrize(
    "case",
    _params(
        VALIDATE,
        "WeightedTweetsWithDiscountedEmojiCounterTest",
        "UnicodeDirectionalMarkerCounterTest",
    ),
)
def test_validate_yml_v3_lengths_and_validity(case: dict[str, Any]) -> None:
    expected = case["expected"]
    text = case["text"]
    assert _weighted(text) == expected["weightedLength"]
    valid = 0 < _weighted(text) <= 280 and not textlib.invalid_characters(text, "weighted")
    assert valid == expected["valid"]


def _whole_mention(text: str, *, lists: bool) -> bool:
    return twitter.mention_spans(text, lists=lists) == [(0, len(text))]


@needs_shared
@pytest.mark.parametrize("case", _params(VALIDATE, "usernames"))
def test_validate_yml_usernames(case: dict[str, Any]) -> None:
    assert _whole_mention(case["text"], lists=False) == case["expected"]


@needs_shared
@pytest.mark.parametrize("case", _params(VALIDATE, "lists"))
def test_validate_yml_lists(case: dict[str, Any]) -> None:
    text = case["text"]
    assert (_whole_mention(text, lists=True) and "/" in text) == case["expected"]


@needs_shared
@pytest.mark.parametrize("case", _params(VALIDATE, "hashtags"))
def test_validate_yml_hashtags(case: dict[str, Any]) -> None:
    assert (textlib.find_hashtags(case["text"]) == [case["text"]]) == case["expected"]


@needs_shared
@pytest.mark.parametrize("case", _params(VALIDATE, "urls_without_protocol"))
def test_validate_yml_urls_without_protocol(case: dict[str, Any]) -> None:
    assert (textlib.find_urls(case["text"]) == [case["text"]]) == case["expected"]


# --------------------------------------------------------------------------------------------
# twitter-text: extraction


def _urls_with_indices(text: str) -> list[dict[str, Any]]:
    return [
        {"url": text[start:end], "indices": [start, end]} for start, end in twitter.url_spans(text)
    ]


@needs_shared
@pytest.mark.parametrize("case", _params(EXTRACT, "urls") + _params(TLDS, "country", "generic"))
def test_extract_and_tlds_urls(case: dict[str, Any]) -> None:
    assert textlib.find_urls(case["text"]) == case["expected"]


@needs_shared
@pytest.mark.parametrize(
    "case",
    _params(EXTRACT, "urls_with_indices", "urls_with_directional_markers", "tco_urls_with_params"),
)
def test_extract_urls_with_indices(case: dict[str, Any]) -> None:
    expected = case["expected"]
    if expected and isinstance(expected[0], str):
        assert textlib.find_urls(case["text"]) == expected
    else:
        assert _urls_with_indices(case["text"]) == expected


@needs_shared
@pytest.mark.parametrize("case", _params(EXTRACT, "mentions"))
def test_extract_mentions(case: dict[str, Any]) -> None:
    text = case["text"]
    found = [text[start + 1 : end] for start, end in twitter.mention_spans(text, lists=False)]
    assert found == case["expected"]


@needs_shared
@pytest.mark.parametrize(
    "case", _params(EXTRACT, "mentions_with_indices", "mentions_or_lists_with_indices")
)
def test_extract_mentions_with_indices(case: dict[str, Any]) -> None:
    text = case["text"]
    lists = "list_slug" in json.dumps(case["expected"])
    spans = twitter.mention_spans(text, lists=lists)
    assert spans == [_mention_span(entry) for entry in case["expected"]]


def _mention_span(entry: dict[str, Any]) -> tuple[int, int]:
    start, end = entry["indices"]
    return start, end


@needs_shared
@pytest.mark.parametrize("case", _params(EXTRACT, "hashtags", "hashtags_from_astral"))
def test_extract_hashtags(case: dict[str, Any]) -> None:
    assert [tag[1:] for tag in textlib.find_hashtags(case["text"])] == case["expected"]


@needs_shared
@pytest.mark.parametrize("case", _params(EXTRACT, "hashtags_with_indices"))
def test_extract_hashtags_with_indices(case: dict[str, Any]) -> None:
    expected = [tuple(entry["indices"]) for entry in case["expected"]]
    assert twitter.hashtag_spans(case["text"]) == expected


@pytest.mark.parametrize("case", OWN_TWITTER["urls"], ids=lambda case: case["text"][:40])
def test_own_url_cases(case: dict[str, Any]) -> None:
    assert textlib.find_urls(case["text"]) == case["expected"]


@pytest.mark.parametrize("case", OWN_TWITTER["weighted"], ids=lambda case: case["text"][:40])
def test_own_weighted_cases(case: dict[str, Any]) -> None:
    assert _weighted("a" * case.get("a_prefix", 0) + case["text"]) == case["expected"]


@pytest.mark.parametrize("case", OWN_TWITTER["mentions"], ids=lambda case: case["text"][:40])
def test_own_mention_cases(case: dict[str, Any]) -> None:
    text = case["text"]
    assert [text[start:end] for start, end in twitter.mention_spans(text)] == case["expected"]


def test_the_tld_list_ships_with_its_source() -> None:
    data = (ROOT / "mediarules" / "data" / "tlds.txt").read_text("utf-8")
    assert "twitter/twitter-text conformance/tld_lib.yml" in data
    assert {"jp", "so", "md"} <= twitter.COUNTRY_TLDS
    assert {"com", "\u307f\u3093\u306a"} <= twitter.GENERIC_TLDS


# --------------------------------------------------------------------------------------------
# graphemes


def _grapheme_lines(path: Path) -> list[Any]:
    if not path.exists():
        return []
    params = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        rule = line.split("#")[0].strip()
        if not rule:
            continue
        clusters, current = [], ""
        for token in rule.split()[1:]:
            if token == "\u00f7":
                clusters.append(current)
                current = ""
            elif token != "\u00d7":
                current += chr(int(token, 16))
        params.append(pytest.param(clusters, id=f"line-{number}"))
    return params


@needs_shared
@pytest.mark.parametrize(
    "clusters", _grapheme_lines(SHARED / "unicode" / "GraphemeBreakTest-18.0.0.txt")
)
def test_grapheme_break_test(clusters: list[str]) -> None:
    text = "".join(clusters)
    assert textlib.graphemes(text) == clusters == regex.findall(r"\X", text)
    assert textlib.grapheme_count(text) == len(clusters)
    # the same clusters inside prose, where the joining windows are found in a longer text
    padded = f"ab {text} cd"
    assert textlib.grapheme_count(padded) == len(regex.findall(r"\X", padded))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\u1cf5\u0915", 1),  # GB9c: a conjunct linker that is GCB=Other joins the consonant
        ("\U00011a3a\U00011a0b", 1),
        ("\u0915\u094d\u0937", 1),
        ("a\u1cf5\u0915 b", 4),
        ("\U0001f1eb\U0001f1f7" * 3, 3),
    ],
)
def test_own_grapheme_cases(text: str, expected: int) -> None:
    assert textlib.grapheme_count(text) == expected == len(regex.findall(r"\X", text))


# --------------------------------------------------------------------------------------------
# Bluesky facets (atproto packages/api tests: detection cases)

DETECTION = SHARED / "atproto" / "detection_cases.json"
_DETECTION: dict[str, Any] = json.loads(DETECTION.read_text("utf-8")) if DETECTION.exists() else {}


def _facet_segments(text: str) -> list[list[str]]:
    """Segments as the atproto test writes them: plain text, or [text, feature value]."""
    spans = sorted([*bluesky.mention_spans(text), *bluesky.url_spans(text)])
    segments, position = [], 0
    for start, end in spans:
        if start > position:
            segments.append([text[position:start]])
        value = text[start:end]
        if value.startswith("@"):
            segments.append([value, f"did:fake:{value[1:]}"])
        else:
            segments.append([value, value if value.startswith("http") else f"https://{value}"])
        position = end
    if position < len(text):
        segments.append([text[position:]])
    return segments


@needs_shared
@pytest.mark.parametrize(
    ("text", "expected"),
    list(zip(_DETECTION.get("facets_in", []), _DETECTION.get("facets_out", []), strict=True)),
)
def test_bluesky_mentions_and_links(text: str, expected: list[list[str]]) -> None:
    assert _facet_segments(text) == expected


@needs_shared
@pytest.mark.parametrize(("text", "tags", "indices"), _DETECTION.get("tags", []))
def test_bluesky_tags(text: str, tags: list[str], indices: list[dict[str, int]]) -> None:
    spans = bluesky.hashtag_spans(text)
    assert [text[start + 1 : end] for start, end in spans] == tags
    assert [
        {"byteStart": textlib.utf8_length(text[:start]), "byteEnd": textlib.utf8_length(text[:end])}
        for start, end in spans
    ] == indices


def test_nfc_is_applied_before_weighing() -> None:
    assert _weighted("e\u0301") == _weighted(unicodedata.normalize("NFC", "e\u0301")) == 1
