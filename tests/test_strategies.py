"""``mediarules.strategies``: every strategy is checked against ``mediarules.check`` itself.

The strategies derive their values from the rules table and the engine judges them, so a
disagreement is a bug on one side or the other.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import mediarules
from mediarules import MediaFacts, Report, Severity, strategies, text
from mediarules.codes import CODES
from mediarules.models import MediaKind
from mediarules.ruleset import RuleSet, load_rules
from mediarules.strategies import (
    Post,
    captions,
    image_files,
    media_facts,
    posts,
    supported_codes,
    video_files,
)

RULES = mediarules.default_rules()
PLATFORMS = sorted(RULES.platforms)
T = TypeVar("T")
ITEM_PREFIXES = ("image.", "video.", "audio.", "media.too_")
"""Codes one item breaks on its own (not post counts, not alt text, which facts lack)."""


def caption_length(platform: str, caption: str) -> tuple[int, int | None]:
    """The caption's length in the platform's unit, and the limit of a post with media."""
    rules = RULES.platforms[platform].caption
    if rules.max_length is None and rules.max_utf8_bytes is not None:
        return text.count(caption, "utf8_bytes"), rules.max_utf8_bytes
    length = text.count(
        caption,
        rules.counting,
        url_length=rules.url_length,
        mention_domains_free=rules.mention_domains_free,
    )
    return length, rules.max_length


def errors(report: Report, platform: str) -> list[tuple[str, str]]:
    return [
        (v.code, v.message) for v in report.for_platform(platform) if v.severity is Severity.ERROR
    ]


def item_codes(facts: MediaFacts, platform: str, expected: str | None = None) -> set[str]:
    """The errors and warnings the one item gets on its own (and ``expected``, an info)."""
    report = mediarules.check([facts], platforms=platform)
    return {
        v.code
        for v in report.violations
        if v.media_index == 0
        and (v.severity is not Severity.INFO or v.code == expected)
        and v.code.startswith(ITEM_PREFIXES)
    }


# -- posts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("platform", PLATFORMS)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_valid_posts_have_no_error(platform: str, data: st.DataObject) -> None:
    post = data.draw(posts(platform, valid=True))
    report = post.check()
    assert report.ok, errors(report, post.platform)
    assert post.platform == platform


# Each code ``violating=`` supports, on at least one platform (some on several units/limits).
VIOLATIONS = [
    ("instagram", "post.media_required"),
    ("tiktok", "post.video_required"),
    ("youtube", "post.images_not_allowed"),
    ("x", "post.too_many_images"),
    ("x", "post.too_many_animations"),
    ("bluesky", "post.too_many_videos"),
    ("instagram", "post.too_many_items"),
    ("instagram:carousel", "post.too_few_items"),
    ("linkedin", "post.mixed_media_not_allowed"),
    ("x", "caption.too_long"),
    ("bluesky", "caption.too_long"),
    ("mastodon", "caption.too_long"),
    ("youtube", "caption.too_long"),
    ("telegram", "caption.too_long"),
    ("instagram", "caption.too_many_hashtags"),
    ("instagram", "caption.too_many_mentions"),
    ("threads", "caption.too_many_links"),
    ("youtube", "caption.invalid_characters"),
    ("youtube", "title.missing"),
    ("youtube", "title.too_long"),
    ("youtube:short", "title.invalid_characters"),
    ("instagram", "account.business_required"),
    ("instagram", "image.format_not_allowed"),
    ("linkedin", "image.format_converted"),
    ("x", "image.format_not_preferred"),
    ("x", "image.too_small"),
    ("x", "image.too_large"),
    ("telegram", "image.too_large"),
    ("linkedin", "image.too_many_pixels"),
    ("mastodon", "image.too_many_pixels"),
    ("instagram", "image.aspect_ratio_out_of_range"),
    ("linkedin", "image.too_many_frames"),
    ("threads", "image.resized"),
    ("facebook", "media.too_large"),
    ("tiktok", "media.too_large"),
    ("linkedin", "media.too_small"),
    ("tiktok", "video.container_not_allowed"),
    ("x", "video.codec_not_allowed"),
    ("instagram:reel", "audio.codec_not_allowed"),
    ("tiktok", "video.fps_too_low"),
    ("facebook:reel", "video.fps_too_low"),
    ("mastodon", "video.fps_too_high"),
    ("linkedin", "video.duration_too_short"),
    ("youtube:short", "video.duration_too_long"),
    ("tiktok", "video.too_small"),
    ("instagram", "video.too_large"),
    ("mastodon", "video.too_large"),
    ("x", "video.aspect_ratio_out_of_range"),
    ("instagram", "video.bitrate_too_high"),
    ("mastodon", "video.too_many_frames"),  # a registered kind (mediarules.limits)
    ("tiktok", "video.duration_over_default"),  # a registered kind, a warning
    ("facebook:reel", "video.variable_frame_rate"),
    ("bluesky:gallery", "post.over_recommended_items"),
]


def test_the_violation_table_covers_every_supported_code() -> None:
    supported = set().union(*(supported_codes(p) for p in PLATFORMS))
    assert supported == {code for _, code in VIOLATIONS}
    for platform, code in VIOLATIONS:
        assert code in supported_codes(platform), (platform, code)


@pytest.mark.parametrize(("platform", "code"), VIOLATIONS)
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_posts_break_the_chosen_code(platform: str, code: str, data: st.DataObject) -> None:
    post = data.draw(posts(platform, violating=code))
    report = post.check()
    found = [v for v in report.for_platform(platform) if v.code == code]
    assert found
    for violation in found:  # the code's severity, but a third party's figure only warns
        expected = CODES[code].severity
        if violation.evidence == "third-party" and expected is Severity.ERROR:
            expected = Severity.WARNING
        assert violation.severity is expected
    assert report.ok == all(v.severity is not Severity.ERROR for v in found)


ALL_PAIRS = sorted((p, c) for p in PLATFORMS for c in supported_codes(p))


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_every_supported_pair_breaks_its_code(data: st.DataObject) -> None:
    platform, code = data.draw(st.sampled_from(ALL_PAIRS))
    post = data.draw(posts(platform, violating=code))
    assert code in {v.code for v in post.check().for_platform(platform)}


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_invalid_posts_have_an_error(data: st.DataObject) -> None:
    platform = data.draw(st.sampled_from(PLATFORMS))
    post = data.draw(posts(platform, valid=False))
    assert not post.check().ok


@settings(max_examples=150, deadline=None)
@given(post=posts("facebook", valid=False))
def test_invalid_facebook_posts_have_an_error_though_mixing_only_warns(post: Post) -> None:
    """Facebook's ``mixing_allowed = false`` is a third party's figure (a warning): an invalid
    post must break something else. (Limits given as false were taken for unset.)"""
    assert not post.check().ok


def test_posts_without_valid_are_valid_or_not() -> None:
    outcomes = {post.check().ok for post in collect(posts("x"), examples=40)}
    assert outcomes == {True, False}


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_item_bounds_are_kept(data: st.DataObject) -> None:
    platform = data.draw(st.sampled_from(["x", "instagram:carousel", "telegram", "linkedin"]))
    low = data.draw(st.integers(0, 2))
    post = data.draw(posts(platform, valid=True, min_items=low, max_items=low + 2))
    assert low <= len(post.media) <= low + 2
    assert post.check().ok


CUSTOM_RULES = """
[platforms.tiktok.video]
constant_frame_rate = true

[platforms.plain]
name = "Plain"
source = "a table with no limit at all"
"""


@pytest.fixture(scope="module")
def custom_rules(tmp_path_factory: pytest.TempPathFactory) -> RuleSet:
    path = tmp_path_factory.mktemp("rules") / "custom.toml"
    path.write_text(CUSTOM_RULES, encoding="utf-8")
    return load_rules(path)


@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_strategies_follow_the_rules_they_are_given(
    custom_rules: RuleSet, data: st.DataObject
) -> None:
    code = "video.variable_frame_rate"
    post = data.draw(posts("tiktok", violating=code, rules=custom_rules))
    assert code in {v.code for v in post.check(rules=custom_rules).violations}
    plain = data.draw(posts("plain", valid=True, rules=custom_rules))
    assert plain.check(rules=custom_rules).ok
    assert len(data.draw(captions("plain", rules=custom_rules))) <= 1000


def test_custom_rules_bound_what_can_be_asked(custom_rules: RuleSet) -> None:
    with pytest.raises(InvalidArgument):
        posts("tiktok", violating="video.variable_frame_rate")  # the shipped table: no such rule
    with pytest.raises(InvalidArgument):
        captions("plain", near_limit=True, rules=custom_rules)  # no limit to be near
    assert "video.variable_frame_rate" in supported_codes("tiktok", rules=custom_rules)


@settings(max_examples=20, deadline=None)
@given(st.from_type(Post))
def test_from_type_draws_posts_for_any_platform(post: Post) -> None:
    assert post.platform in RULES.platforms
    assert isinstance(post.check(), Report)


# -- captions -------------------------------------------------------------------------------


@pytest.mark.parametrize("platform", PLATFORMS)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_captions_keep_their_bounds_in_the_platform_unit(
    platform: str, data: st.DataObject
) -> None:
    low = data.draw(st.integers(0, 400))
    high = data.draw(st.integers(low, low + 400))
    caption = data.draw(captions(platform, min_length=low, max_length=high))
    assert low <= caption_length(platform, caption)[0] <= high


@pytest.mark.parametrize("platform", PLATFORMS)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_default_captions_break_no_caption_rule(platform: str, data: st.DataObject) -> None:
    caption = data.draw(captions(platform))
    report = mediarules.check([], platforms=platform, caption=caption)
    assert not [v.code for v in report.violations if v.code.startswith("caption.")]


def collect(strategy: st.SearchStrategy[T], examples: int = 60) -> list[T]:
    """Values drawn from ``strategy`` over ``examples`` examples (no failure, no shrinking)."""
    found: list[T] = []

    @settings(max_examples=examples, deadline=None, database=None)
    @given(strategy)
    def run(value: T) -> None:
        found.append(value)

    run()
    return found


@pytest.mark.parametrize("platform", ["x", "bluesky", "mastodon", "youtube", "telegram"])
def test_near_limit_captions_land_on_both_sides_of_the_limit(platform: str) -> None:
    drawn = collect(captions(platform, near_limit=True))
    _, limit = caption_length(platform, "")
    assert limit is not None
    media = [MediaFacts(kind="video", format="mp4")]
    sides = set()
    for caption in drawn:
        length = caption_length(platform, caption)[0]
        assert limit - 2 <= length <= limit + 2
        report = mediarules.check(media, platforms=platform, caption=caption)
        too_long = "caption.too_long" in {v.code for v in report.violations}
        assert too_long == (length > limit), (length, caption)
        sides.add(too_long)
    assert sides == {True, False}


def test_captions_near_limit_reach_the_limit_exactly() -> None:
    exact = find(captions("x", near_limit=True), lambda c: caption_length("x", c)[0] == 280)
    assert caption_length("x", exact) == (280, 280)


@settings(max_examples=25, deadline=None)
@given(captions("x", min_length=5, max_length=30, alphabet="ab\U0001f642\u00e9"))
def test_captions_use_only_the_given_alphabet(caption: str) -> None:
    assert set(caption) <= set("ab\U0001f642\u00e9")
    assert 5 <= caption_length("x", caption)[0] <= 30


# -- media facts ----------------------------------------------------------------------------


@pytest.mark.parametrize("platform", PLATFORMS)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_valid_media_facts_keep_every_rule(platform: str, data: st.DataObject) -> None:
    facts = data.draw(media_facts(platform, valid=True))
    assert item_codes(facts, platform) == set()


KINDS: tuple[MediaKind, ...] = ("image", "video")
MEDIA_CASES = sorted(
    (platform, kind, code)
    for platform in PLATFORMS
    for kind in KINDS
    for code in supported_codes(platform, kind=kind)
)


@settings(max_examples=250, deadline=None)
@given(data=st.data())
def test_violating_media_facts_break_that_rule_only(data: st.DataObject) -> None:
    platform, kind, code = data.draw(st.sampled_from(MEDIA_CASES))
    facts = data.draw(media_facts(platform, kind=kind, violating=code))
    assert facts.kind == kind
    assert item_codes(facts, platform, code) == {code}


@pytest.mark.parametrize(
    ("platform", "kind", "code"),
    [
        ("tiktok", "video", "video.fps_too_low"),
        ("telegram", "image", "image.too_large"),
        ("linkedin", "image", "image.too_many_pixels"),
        ("instagram", "image", "image.aspect_ratio_out_of_range"),
    ],
)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_violating_media_facts_by_name(
    platform: str, kind: MediaKind, code: str, data: st.DataObject
) -> None:
    facts = data.draw(media_facts(platform, violating=code))
    assert facts.kind == kind and item_codes(facts, platform) == {code}


def test_media_facts_crowd_the_limit() -> None:
    """TikTok's 23 fps minimum: exactly 23 is drawn, and so are rates just under it."""
    kept = [f.fps for f in collect(media_facts("tiktok", valid=True))]
    assert 23 in kept and all(f is not None and 23 <= f <= 60 for f in kept)
    low = [f.fps for f in collect(media_facts("tiktok", violating="video.fps_too_low"))]
    assert all(f is not None and 0 < f < 23 for f in low)
    assert any(f is not None and f > 22 for f in low)


# -- real files -----------------------------------------------------------------------------

SUFFIX_FORMATS = {
    ".jpg": "jpeg",
    ".png": "png",
    ".gif": "gif",
    ".webp": "webp",
    ".bmp": "bmp",
    ".tif": "tiff",
    ".mp4": "mp4",
}


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("strategies")


@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_image_files_read_back_with_their_format(media_dir: Path, data: st.DataObject) -> None:
    path = data.draw(image_files(media_dir, max_width=40, max_height=40, max_frames=3))
    facts = mediarules.inspect(path)
    assert path.parent == media_dir
    assert facts.kind == "image" and facts.format == SUFFIX_FORMATS[path.suffix]
    assert facts.width is not None and 1 <= facts.width <= 40
    # written through safe_write: published whole, no temporary left behind
    assert not [name for name in os.listdir(media_dir) if name.endswith(".tmp")]


@settings(max_examples=2, deadline=None)
@given(data=st.data())
def test_video_files_read_back_as_video(media_dir: Path, data: st.DataObject) -> None:
    path = data.draw(video_files(media_dir, max_frames=3, min_fps=24, max_fps=30))
    facts = mediarules.inspect(path)
    assert facts.kind == "video" and facts.format == "mp4" and facts.video_codec == "h264"
    assert facts.fps is not None and 24 <= facts.fps <= 30
    assert facts.width is not None and facts.width % 2 == 0
    assert path.parent == media_dir
    assert not [name for name in os.listdir(media_dir) if name.endswith(".tmp")]


# -- arguments ------------------------------------------------------------------------------

IMPOSSIBLE: list[Callable[[], object]] = [
    lambda: captions("x", min_length=5, max_length=4),
    lambda: captions("x", min_length=-1),
    lambda: captions("x", max_length=1.5),  # type: ignore[arg-type]
    lambda: captions("myspace"),
    lambda: captions("x", near_limit=True, max_length=100),
    lambda: captions("x", alphabet=""),
    lambda: captions("x", alphabet=["ab"]),
    lambda: media_facts("tiktok", kind="image"),
    lambda: media_facts("x", kind="audio"),  # type: ignore[arg-type]
    lambda: media_facts("youtube", violating="video.fps_too_low"),
    lambda: media_facts("x", violating="video.too_slow"),
    lambda: media_facts("x", valid=True, violating="media.too_large"),
    lambda: media_facts("x", valid=False, violating="image.format_not_preferred"),
    lambda: posts("youtube", violating="video.fps_too_low"),
    lambda: posts("x", violating="post.scheduled_before_upload"),
    lambda: posts("instagram:reel", violating="post.too_many_items"),
    lambda: posts("x", min_items=3, max_items=2),
    lambda: posts("x", valid=True, min_items=5),
    lambda: posts("x", max_items=-1),
    lambda: posts("x", rules="rules.toml"),  # type: ignore[arg-type]
    lambda: supported_codes("x", kind="audio"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize("factory", IMPOSSIBLE)
def test_impossible_arguments_raise_when_the_strategy_is_built(
    factory: Callable[[], object],
) -> None:
    with pytest.raises(InvalidArgument):
        factory()


def test_impossible_file_arguments_raise(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument):
        image_files(tmp_path / "missing")
    with pytest.raises(InvalidArgument):
        image_files(tmp_path, formats=["jpeg", "bmp"], min_frames=2, max_frames=3)
    with pytest.raises(InvalidArgument):
        image_files(tmp_path, formats=["raw"])
    with pytest.raises(InvalidArgument):
        video_files(tmp_path, containers=["webm"], video_codecs=["h264"])
    with pytest.raises(InvalidArgument):
        video_files(tmp_path, min_width=33, max_width=33)
    with pytest.raises(InvalidArgument):
        video_files(tmp_path, min_fps=30, max_fps=24)


# -- the public module ----------------------------------------------------------------------


def test_public_names_are_exactly_all() -> None:
    assert strategies.__all__ == [
        "Post",
        "captions",
        "image_files",
        "media_facts",
        "posts",
        "supported_codes",
        "video_files",
    ]
    public = {name for name in vars(strategies) if not name.startswith("_")}
    assert public == set(strategies.__all__)
    for name in strategies.__all__:  # the public module only re-exports
        assert getattr(strategies, name).__module__.startswith("mediarules._strategies.")


def test_importing_without_hypothesis_says_how_to_install_it() -> None:
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "import mediarules\n"  # the library itself does not need hypothesis
        "try:\n"
        "    import mediarules.strategies\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
        "else:\n"
        "    raise SystemExit('imported without hypothesis')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "pip install 'mediarules[testing]'" in result.stdout


# -- the README example ---------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(posts("tiktok", violating="video.fps_too_low"))
def test_readme_example(post: Post) -> None:
    report = post.check()
    assert not report.ok
    assert "video.fps_too_low" in [v.code for v in report.violations]
