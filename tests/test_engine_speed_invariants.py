"""What the engine's shortcuts must not change (see ``mediarules/engine.py``).

- Work is shared between platforms whose limits agree, within one post: checking platforms
  together gives what checking each alone gives, and each platform cites its own sources.
- What depends only on the rules is cached per ``RuleSet`` object: a rules override, a new
  table or a table changed in place is never answered from another table's cache.
- Checks whose limits are all unset are skipped: they could not have found anything.
- Violations and reports are built without validation: they equal what validation builds.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mediarules
from mediarules import MediaFacts, MediaRef, Report, RuleSet, Violation, text
from mediarules.checks.image import IMAGE_CHECKS, image_checks_for
from mediarules.checks.image import LIMIT_KEYS as IMAGE_KEYS
from mediarules.checks.post import LIMIT_KEYS as POST_KEYS
from mediarules.checks.post import POST_CHECKS, post_checks_for
from mediarules.checks.text import TextMeasures
from mediarules.checks.video import LIMIT_KEYS as VIDEO_KEYS
from mediarules.checks.video import VIDEO_CHECKS, video_checks_for
from mediarules.ruleset import ImageRules, PostRules, VideoRules
from mediarules.strategies import media_facts

RULES = mediarules.default_rules()
PLATFORMS = list(RULES.platforms)
CAPTION = (
    "Launch day 🚀 made by the team 👩‍🎨. Early access: https://example.com/drop?ref=social "
    "#launch #design @studio @friends@mastodon.social"
)

facts = (
    st.sampled_from(PLATFORMS).flatmap(media_facts)
    # A too-large video lasting a few femtoseconds crashes checks/video.py (size_bytes:
    # OverflowError on the bit-rate budget); not what this file is about.
)
refs = st.builds(
    MediaRef,
    file_name=st.sampled_from(["a.jpg", "clip.mp4", "my photo (1).png", "x.gif"]),
    content_type=st.sampled_from([None, "image/jpeg", "video/mp4", "text/plain"]),
    type=st.sampled_from([None, "image", "video"]),
    alt_text=st.sampled_from([None, "", "A photo", "x" * 1600]),
    width=st.integers(1, 5000),
    height=st.integers(1, 5000),
    size=st.integers(1, 10**9),
    frame_rate=st.sampled_from([None, Fraction(30), Fraction(30000, 1001), Fraction(120)]),
    duration=st.sampled_from([None, 0.2, 30.0, 4000.0]),
)
media = st.lists(facts | refs, max_size=11)
captions = st.sampled_from([None, "", CAPTION, CAPTION * 12, "<b>" + "#tag " * 40])
platform_lists = st.lists(st.sampled_from(PLATFORMS), min_size=1, unique=True)
relaxed = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------------------------
# sharing between platforms


@relaxed
@given(
    items=media,
    caption=captions,
    platforms=platform_lists,
    title=st.sampled_from([None, "", "A <title>"]),
    account_type=st.sampled_from([None, "business", "personal"]),
    content_warning=st.sampled_from([None, "CW: " + "spoilers " * 30]),
)
def test_platforms_together_are_each_platform_alone(
    items: list[MediaFacts | MediaRef],
    caption: str | None,
    platforms: list[str],
    title: str | None,
    account_type: str | None,
    content_warning: str | None,
) -> None:
    post: dict[str, Any] = {
        "caption": caption,
        "title": title,
        "account_type": account_type,
        "content_warning": content_warning,
    }
    together = mediarules.check(items, platforms=platforms, **post)
    alone = [mediarules.check(items, platforms=[p], **post) for p in platforms]
    expected = [v for v in alone[0].violations if v.platform == "all"]
    for platform, report in zip(platforms, alone, strict=True):
        expected += [v for v in report.violations if v.platform == platform]
    assert together.violations == expected
    assert together.ok == all(report.ok for report in alone)


def test_platforms_with_the_same_limits_cite_their_own_sources() -> None:
    x = RULES.platforms["x"]
    twin = x.model_copy(
        update={
            "aliases": [],
            "source": "the twin's own docs",
            "image": x.image.model_copy(update={"source": "the twin's image page", "sources": {}}),
        }
    )
    ruleset = RuleSet(platforms={**RULES.platforms, "twin": twin})
    jpeg = MediaFacts(path="a.jpg", kind="image", format="jpeg", width=1200, height=1200, size=1)
    report = mediarules.check([jpeg], platforms=["x", "twin"], rules=ruleset)
    by_platform = {
        v.platform: v.source for v in report.violations if v.code == "image.format_not_preferred"
    }
    assert by_platform == {
        "x": x.image.source_of("preferred", x.source),
        "twin": "the twin's image page",
    }


# ---------------------------------------------------------------------------------------------
# the per-table cache


def _two_images() -> list[MediaFacts]:
    return [
        MediaFacts(path=f"{n}.jpg", kind="image", format="png", width=1080, height=1080, size=1)
        for n in range(2)
    ]


def _codes(report: Report, platform: str) -> set[str]:
    return {v.code for v in report.violations if v.platform == platform}


def test_a_rules_override_is_not_answered_from_the_defaults(tmp_path: Path) -> None:
    override = tmp_path / "rules.toml"
    override.write_text("[platforms.x.post]\nmax_images = 1\nmax_items = 1\n")
    assert "post.too_many_images" not in _codes(mediarules.check(_two_images(), platforms="x"), "x")
    strict = mediarules.check(_two_images(), platforms="x", rules=override)
    assert "post.too_many_images" in _codes(strict, "x")
    again = mediarules.check(_two_images(), platforms="x")
    assert "post.too_many_images" not in _codes(again, "x")


def test_every_new_table_is_checked_by_its_own_limits() -> None:
    """New tables, made and dropped one after another, may reuse an ``id``: never the cache."""
    post = RULES.platforms["x"].post
    for round_ in range(30):
        limit = round_ % 3
        x = RULES.platforms["x"].model_copy(
            update={"post": post.model_copy(update={"max_images": limit})}
        )
        ruleset = RuleSet(platforms={"x": x})
        report = mediarules.check(_two_images(), platforms="x", rules=ruleset)
        found = [v.limit for v in report.violations if v.code == "post.too_many_images"]
        assert found == ([] if limit >= 2 else [limit])
        del ruleset, x, report


def test_a_table_changed_in_place_is_checked_by_its_new_limits() -> None:
    ruleset = mediarules.load_rules()
    assert "post.too_many_images" not in _codes(
        mediarules.check(_two_images(), platforms="x", rules=ruleset), "x"
    )
    strict = ruleset.platforms["x"].post.model_copy(update={"max_images": 1})
    ruleset.platforms["x"] = ruleset.platforms["x"].model_copy(update={"post": strict})
    report = mediarules.check(_two_images(), platforms="x", rules=ruleset)
    assert "post.too_many_images" in _codes(report, "x")


# ---------------------------------------------------------------------------------------------
# skipped checks


def _sections(model: type[ImageRules] | type[VideoRules] | type[PostRules]) -> list[object]:
    """Every platform's section, and an empty one (no limit set)."""
    names: dict[type, str] = {ImageRules: "image", VideoRules: "video", PostRules: "post"}
    name = names[model]
    return [model(), *(getattr(rules, name) for rules in RULES.platforms.values())]


@relaxed
@given(item=facts)
def test_skipped_checks_find_nothing(item: MediaFacts) -> None:
    for image_rules in _sections(ImageRules):
        assert isinstance(image_rules, ImageRules)
        chosen = image_checks_for(image_rules)
        found = [f for check in chosen for f in check(item, image_rules)]
        assert found == [f for check in IMAGE_CHECKS for f in check(item, image_rules)]
    for video_rules in _sections(VideoRules):
        assert isinstance(video_rules, VideoRules)
        chosen_video = video_checks_for(video_rules)
        found = [f for check in chosen_video for f in check(item, video_rules)]
        assert found == [f for check in VIDEO_CHECKS for f in check(item, video_rules)]


@relaxed
@given(items=st.lists(facts, max_size=12))
def test_skipped_post_checks_find_nothing(items: list[MediaFacts]) -> None:
    for post_rules in _sections(PostRules):
        assert isinstance(post_rules, PostRules)
        chosen = post_checks_for(post_rules)
        found = [f for check in chosen for f in check(items, post_rules)]
        assert found == [f for check in POST_CHECKS for f in check(items, post_rules)]


def test_every_check_names_the_keys_it_reads() -> None:
    for checks, keys, model in (
        (IMAGE_CHECKS, IMAGE_KEYS, ImageRules),
        (VIDEO_CHECKS, VIDEO_KEYS, VideoRules),
        (POST_CHECKS, POST_KEYS, PostRules),
    ):
        assert set(keys) == set(checks)
        for names in keys.values():
            assert names and set(names) <= set(model.model_fields) - {"source", "sources"}


def test_text_measures_count_as_the_text_module() -> None:
    measures = TextMeasures()
    for counting in text.COUNTINGS:
        for url_length in (None, 23):
            for free in (False, True):
                want = text.count(
                    CAPTION, counting, url_length=url_length, mention_domains_free=free
                )
                for _ in range(2):  # worked out, then kept
                    got = measures.count(
                        CAPTION, counting, url_length=url_length, mention_domains_free=free
                    )
                    assert got == want
    assert measures.entities(CAPTION, "hashtags") == len(text.find_hashtags(CAPTION))
    assert measures.entities(CAPTION, "mentions") == len(text.find_mentions(CAPTION))
    assert measures.entities(CAPTION + " https://example.com/drop?ref=social", "links") == 1


# ---------------------------------------------------------------------------------------------
# records built without validation


@relaxed
@given(items=media, caption=captions, platforms=platform_lists)
def test_records_equal_what_validation_builds(
    items: list[MediaFacts | MediaRef], caption: str | None, platforms: list[str]
) -> None:
    report = mediarules.check(items, platforms=platforms, caption=caption, title="<t>")
    for violation in report.violations:
        values = {name: getattr(violation, name) for name in Violation.model_fields}
        validated = Violation(**values)
        assert validated == violation
        assert repr(validated) == repr(violation)
        assert validated.model_fields_set == violation.model_fields_set
        assert validated.model_dump_json() == violation.model_dump_json()
        assert type(validated.actual) is type(violation.actual)
        assert type(validated.limit) is type(violation.limit)
    validated_report = Report(ok=report.ok, violations=report.violations, media=report.media)
    assert validated_report == report
    assert validated_report.model_fields_set == report.model_fields_set
    assert Report.model_validate_json(report.model_dump_json()) == report


def test_a_violation_owns_its_limit_list() -> None:
    heic = MediaFacts(path="a.heic", kind="image", format="heif", width=1080, height=1080, size=1)
    report = mediarules.check([heic], platforms=["instagram", "instagram:reel"])
    lists = [v.limit for v in report.violations if isinstance(v.limit, list)]
    assert lists
    formats = RULES.platforms["instagram"].image.formats
    assert all(limit is not formats for limit in lists)
    assert len({id(limit) for limit in lists}) == len(lists)
