"""Every report of many generated posts is byte for byte what the engine gave when the golden
files were recorded (``tests/engine_posts.py`` says how the posts are made, and how to record
again when a change of the rules table or of a message is meant)."""

from __future__ import annotations

import json

import pytest

import mediarules
from mediarules.codes import CODES
from tests import engine_posts

RULES = mediarules.default_rules()


@pytest.fixture(scope="module")
def outputs() -> list[tuple[engine_posts.Post, tuple[str, str]]]:
    return engine_posts.outputs(RULES)


def test_every_report_is_as_recorded(
    outputs: list[tuple[engine_posts.Post, tuple[str, str]]],
) -> None:
    recorded = engine_posts.read_digests()
    assert len(recorded) == len(outputs) == engine_posts.COUNT
    changed = [
        index
        for index, (_, both) in enumerate(outputs)
        if engine_posts.digest(*both) != recorded[index]
    ]
    assert not changed, (
        f"{len(changed)} of {len(outputs)} reports changed, first {changed[:10]}; see one with"
        f" python -m tests.engine_posts --show {changed[0]}"
    )


def test_whole_reports_are_as_recorded(
    outputs: list[tuple[engine_posts.Post, tuple[str, str]]],
) -> None:
    recorded = json.loads(engine_posts.FULL_REPORTS.read_text("utf-8"))
    assert sorted(map(int, recorded)) == sorted(engine_posts.FULL)
    for index in engine_posts.FULL:
        json_text, text = outputs[index][1]
        assert json_text == recorded[str(index)]["json"]
        assert text == recorded[str(index)]["text"]


def test_the_posts_reach_most_codes(
    outputs: list[tuple[engine_posts.Post, tuple[str, str]]],
) -> None:
    """The generator keeps its reach: nearly every violation code, on every platform."""
    codes: set[str] = set()
    platforms: set[str] = set()
    for _, (json_text, _) in outputs:
        for violation in json.loads(json_text)["violations"]:
            codes.add(violation["code"])
            platforms.add(violation["platform"])
    unreached = set(CODES) - codes
    # No platform of the table requires a caption; reading files is not this test's business.
    assert unreached <= {"caption.missing", "media.empty", "media.unreadable"}
    assert platforms == {*RULES.platforms, "all"}


def test_the_posts_are_the_same_every_time() -> None:
    first = engine_posts.make_posts(RULES, 50)
    again = engine_posts.make_posts(RULES, 50)
    assert repr(first) == repr(again)
