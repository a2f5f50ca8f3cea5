"""The platforms' own text suites, read as cases that mediarules' public answers must agree with.

Each case puts one question to what a caller of mediarules sees: ``mediarules.measure`` (its
length, validity and entity spans for ``x`` or ``bluesky``) and ``mediarules.text``'s
grapheme clusters. A case agrees when that answer, put in the suite's own shape, equals the
suite's expectation.

The files are read from ``../shared/conformance`` (beside the repository) when it exists:

- ``twitter-text/validate.yml``: username, list, hashtag and protocol-less URL validation and
  the v3 counter (``WeightedTweetsWithDiscountedEmojiCounterTest``,
  ``UnicodeDirectionalMarkerCounterTest``, config ``v3.json``). ``tweets`` (140 characters)
  is the v1 config and ``WeightedTweetsCounterTest`` the v2 one (emoji not discounted): they
  are listed but not X's rules today. ``urls`` is twitter-text's ``isValidUrl`` (an RFC 3986
  check of a URL given on its own), which mediarules has no counterpart of.
- ``twitter-text/extract.yml``: URLs, mentions (and lists) and hashtags, with their indices.
  Replies and cashtags are listed but not asked (mediarules counts neither).
- ``twitter-text/tlds.yml``: a URL on every country and generic top-level domain.
- ``unicode/GraphemeBreakTest-18.0.0.txt`` and ``-17.0.0.txt``: every line's clusters.
- ``atproto/detection_cases.json``: Bluesky's link, mention, tag and cashtag facets.

Run ``python -m tests.conformance_suites`` for the agreement count of every file.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex
import yaml

from mediarules import text as textlib
from mediarules.measuring import Measurement, measure

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "conformance"
UNICODE = "18.0.0"
"""The Unicode version of ``regex``'s ``\\X``, which mediarules' graphemes equal."""


@dataclass(frozen=True)
class Case:
    """One expectation of a suite; ``answer`` asks mediarules the same question."""

    suite: str
    group: str
    index: int
    text: str
    expected: Any
    answer: Callable[[str], Any]
    asked: bool = True

    @property
    def name(self) -> str:
        return f"{self.suite}:{self.group}-{self.index}"

    def actual(self) -> Any:
        return self.answer(self.text)

    def agrees(self) -> bool:
        return bool(self.actual() == self.expected)


# --------------------------------------------------------------------------------------------
# Answers, each in the suite's shape.


def _not_asked(text: str) -> None:
    return None


def _x(text: str) -> Measurement:
    return measure(text, "x")


def _spans(result: Measurement, kind: str) -> list[tuple[int, int, str]]:
    return [(e.start, e.end, e.text) for e in result.entities if e.kind == kind]


def _is_one(kind: str, *, list_slug: bool | None = None) -> Callable[[str], bool]:
    def answer(text: str) -> bool:
        found = _spans(_x(text), kind)
        whole = [entity for entity in found if entity[:2] == (0, len(text))]
        if not whole or len(found) != 1:
            return False
        return list_slug is None or ("/" in whole[0][2]) == list_slug

    return answer


def _weighted(text: str) -> dict[str, Any]:
    result = _x(text)
    return {"weightedLength": result.length, "valid": result.valid}


def _v3_expected(expected: dict[str, Any]) -> dict[str, Any]:
    return {"weightedLength": expected["weightedLength"], "valid": expected["valid"]}


def _tweet_valid(text: str) -> bool:
    return _x(text).valid


def _urls(text: str) -> list[str]:
    return [span[2] for span in _spans(_x(text), "url")]


def _urls_with_indices(text: str) -> list[dict[str, Any]]:
    return [{"url": t, "indices": [s, e]} for s, e, t in _spans(_x(text), "url")]


def _mentions(text: str) -> list[str]:
    return [t[1:] for _, _, t in _spans(_x(text), "mention") if "/" not in t]


def _mentions_with_indices(text: str) -> list[dict[str, Any]]:
    return [
        {"screen_name": t[1:], "indices": [s, e]}
        for s, e, t in _spans(_x(text), "mention")
        if "/" not in t
    ]


def _mentions_or_lists_with_indices(text: str) -> list[dict[str, Any]]:
    found = []
    for start, end, mention in _spans(_x(text), "mention"):
        name, slash, slug = mention[1:].partition("/")
        found.append({"screen_name": name, "list_slug": slash + slug, "indices": [start, end]})
    return found


def _hashtags(text: str) -> list[str]:
    return [t[1:] for _, _, t in _spans(_x(text), "hashtag")]


def _hashtags_with_indices(text: str) -> list[dict[str, Any]]:
    return [{"hashtag": t[1:], "indices": [s, e]} for s, e, t in _spans(_x(text), "hashtag")]


def _clusters(text: str) -> dict[str, Any]:
    """The clusters, their count, Bluesky's length, and the clusters inside prose."""
    return {
        "clusters": textlib.graphemes(text),
        "count": textlib.grapheme_count(text),
        "bluesky": measure(text, "bluesky").length,
        "in_prose": textlib.graphemes(_in_prose(text)),
    }


def _in_prose(text: str) -> str:
    return f"ab {text} cd"


def _bluesky_segments(text: str) -> list[list[str]]:
    """Segments as atproto's detection test writes them: plain text, or [text, feature]."""
    entities = [e for e in measure(text, "bluesky").entities if e.kind != "hashtag"]
    segments: list[list[str]] = []
    position = 0
    for entity in entities:
        if entity.start > position:
            segments.append([text[position : entity.start]])
        value = entity.text
        if entity.kind == "mention":
            segments.append([value, f"did:fake:{value[1:]}"])
        else:
            segments.append([value, value if value.startswith("http") else f"https://{value}"])
        position = entity.end
    if position < len(text):
        segments.append([text[position:]])
    return segments


def _bluesky_tags(text: str, *, sign: str = "#\uff03") -> list[Any]:
    """Tags (or, with ``sign="$"``, cashtags, which Bluesky names in capitals) and the UTF-8
    offsets of their facets."""
    tags = [
        e for e in measure(text, "bluesky").entities if e.kind == "hashtag" and e.text[0] in sign
    ]
    names = [e.text[1:] if sign != "$" else e.text.upper() for e in tags]
    return [
        names,
        [
            {
                "byteStart": textlib.utf8_length(text[: e.start]),
                "byteEnd": textlib.utf8_length(text[: e.end]),
            }
            for e in tags
        ],
    ]


def _bluesky_cashtags(text: str) -> list[Any]:
    return _bluesky_tags(text, sign="$")


# --------------------------------------------------------------------------------------------
# Suites


def _yaml_groups(name: str) -> dict[str, list[dict[str, Any]]]:
    path = SHARED / "twitter-text" / name
    if not path.exists():
        return {}
    groups: dict[str, list[dict[str, Any]]] = yaml.safe_load(path.read_text("utf-8"))["tests"]
    return groups


_VALIDATE: dict[str, tuple[Callable[[str], Any], bool]] = {
    "tweets": (_tweet_valid, False),  # v1: 140 characters
    "usernames": (_is_one("mention", list_slug=False), True),
    "lists": (_is_one("mention", list_slug=True), True),
    "hashtags": (_is_one("hashtag"), True),
    "urls": (_is_one("url"), False),  # isValidUrl: no counterpart
    "urls_without_protocol": (_is_one("url"), True),
    "WeightedTweetsCounterTest": (_weighted, False),  # v2: emoji not discounted
    "WeightedTweetsWithDiscountedEmojiCounterTest": (_weighted, True),
    "UnicodeDirectionalMarkerCounterTest": (_weighted, True),
}

_EXTRACT: dict[str, tuple[Callable[[str], Any], bool]] = {
    "mentions": (_mentions, True),
    "mentions_with_indices": (_mentions_with_indices, True),
    "mentions_or_lists_with_indices": (_mentions_or_lists_with_indices, True),
    "replies": (_not_asked, False),
    "urls": (_urls, True),
    "urls_with_indices": (_urls_with_indices, True),
    "urls_with_directional_markers": (_urls_with_indices, True),
    "tco_urls_with_params": (_urls_with_indices, True),
    "hashtags": (_hashtags, True),
    "hashtags_from_astral": (_hashtags, True),
    "hashtags_with_indices": (_hashtags_with_indices, True),
    "cashtags": (_not_asked, False),
    "cashtags_with_indices": (_not_asked, False),
}


def _twitter_cases(
    name: str, answers: dict[str, tuple[Callable[[str], Any], bool]]
) -> Iterator[Case]:
    suite = f"twitter-text/{name}"
    for group, cases in _yaml_groups(name).items():
        answer, asked = answers.get(group, (_not_asked, False))
        for index, case in enumerate(cases):
            expected, asks = case["expected"], answer
            if answer is _weighted:
                expected = _v3_expected(expected)
            elif answer is _urls_with_indices and all(isinstance(e, str) for e in expected):
                asks = _urls  # this group mixes plain lists of URLs with indexed ones
            yield Case(suite, group, index, case["text"], expected, asks, asked)


def validate_cases() -> Iterator[Case]:
    return _twitter_cases("validate.yml", _VALIDATE)


def extract_cases() -> Iterator[Case]:
    return _twitter_cases("extract.yml", _EXTRACT)


def tld_cases() -> Iterator[Case]:
    return _twitter_cases("tlds.yml", {"country": (_urls, True), "generic": (_urls, True)})


def _grapheme_lines(version: str) -> list[tuple[int, list[str]]]:
    """(line number, clusters) of each test line of GraphemeBreakTest-``version``."""
    path = SHARED / "unicode" / f"GraphemeBreakTest-{version}.txt"
    if not path.exists():
        return []
    lines = []
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
        lines.append((number, clusters))
    return lines


def grapheme_cases(version: str) -> Iterator[Case]:
    """Every line of ``version``; a line whose text the current version (18.0, which
    ``regex`` implements) splits differently is listed, not asked (17 -> 18 changed GB9c:
    a conjunct linker joins the consonant after it even with no consonant before)."""
    current = {"".join(clusters): clusters for _, clusters in _grapheme_lines(UNICODE)}
    suite = f"GraphemeBreakTest-{version}.txt"
    for number, clusters in _grapheme_lines(version):
        text = "".join(clusters)
        asked = current.get(text, clusters) == clusters
        expected = {
            "clusters": clusters,
            "count": len(clusters),
            "bluesky": len(clusters),
            # the same line inside prose (where windows meet other text): regex's \\X
            "in_prose": regex.findall(r"\X", _in_prose(text)),
        }
        group = "line" if asked else f"line (changed in {UNICODE})"
        yield Case(suite, group, number, text, expected, _clusters, asked)


def detection_cases() -> Iterator[Case]:
    path = SHARED / "atproto" / "detection_cases.json"
    if not path.exists():
        return
    data = json.loads(path.read_text("utf-8"))
    suite = "atproto/detection_cases.json"
    for index, (text, segments) in enumerate(
        zip(data["facets_in"], data["facets_out"], strict=True)
    ):
        yield Case(suite, "facets", index, text, segments, _bluesky_segments)
    for index, (text, tags, indices) in enumerate(data["tags"]):
        yield Case(suite, "tags", index, text, [tags, indices], _bluesky_tags)
    for index, (text, tags, indices) in enumerate(data["cashtags"]):
        yield Case(suite, "cashtags", index, text, [tags, indices], _bluesky_cashtags)


def all_cases() -> Iterator[Case]:
    yield from validate_cases()
    yield from extract_cases()
    yield from tld_cases()
    yield from grapheme_cases(UNICODE)
    yield from grapheme_cases("17.0.0")
    yield from detection_cases()


def tally(cases: Iterator[Case]) -> tuple[dict[tuple[str, str], list[int]], list[Case]]:
    """Per (file, group): [cases that agree, cases]; and the asked cases that do not agree.
    A group that is not asked is tallied under ``group (not asked)`` where it has an answer."""
    groups: dict[tuple[str, str], list[int]] = {}
    misses: list[Case] = []
    for case in cases:
        group = case.group if case.asked else f"{case.group} (not asked)"
        counts = groups.setdefault((case.suite, group), [0, 0])
        ok = case.answer is not _not_asked and case.agrees()
        counts[0] += ok
        counts[1] += 1
        if case.asked and not ok:
            misses.append(case)
    return groups, misses


def main() -> int:
    """Print, per file and group, how many cases agree, and the asked ones that do not."""
    if not SHARED.exists():
        print(f"{SHARED} is absent")
        return 1
    groups, misses = tally(all_cases())
    files: dict[str, list[int]] = {}
    for (suite, group), (ok, count) in groups.items():
        print(f"  {suite:<36} {group:<52} {ok:>5} / {count}")
        if not group.endswith("(not asked)"):
            files.setdefault(suite, [0, 0])[0] += ok
            files[suite][1] += count
    for suite, (ok, count) in files.items():
        print(f"{suite:<36} {ok:>5} / {count} asked cases agree")
    for case in misses[: None if "-v" in sys.argv else 40]:
        print(f"MISS {case.name}: {case.text[:80]!r}")
        print(f"  expected {case.expected!r}\n  actual   {case.actual()!r}")
    return 0 if not misses else 2


if __name__ == "__main__":
    raise SystemExit(main())
