"""Properties of ``check`` over arbitrary declared media: what holds for every post."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

import mediarules
from mediarules import MediaFacts, Report, Severity, text
from mediarules.codes import CODES

RULES = mediarules.default_rules()
PLATFORMS = sorted(RULES.platforms)

dimension = st.integers(min_value=1, max_value=10_000)
image_facts = st.builds(
    MediaFacts,
    kind=st.just("image"),
    format=st.sampled_from(["jpeg", "png", "gif", "webp", "bmp", "tiff", "heif", "avif"]),
    size=st.integers(min_value=1, max_value=50_000_000),
    width=dimension,
    height=dimension,
    frames=st.integers(min_value=1, max_value=400),
    has_alpha=st.booleans(),
    orientation=st.none() | st.integers(min_value=1, max_value=8),
)
video_facts = st.builds(
    MediaFacts,
    kind=st.just("video"),
    format=st.sampled_from(["mp4", "mov", "webm", "mkv", "avi", "ogg"]),
    size=st.integers(min_value=1, max_value=20_000_000_000),
    width=dimension,
    height=dimension,
    fps=st.fractions(min_value=1, max_value=240, max_denominator=1001).map(Fraction),
    variable_frame_rate=st.booleans(),
    duration_s=st.floats(min_value=0.01, max_value=50_000, allow_nan=False),
    video_codec=st.sampled_from(["h264", "hevc", "vp8", "vp9", "av1", "prores", "mpeg4"]),
    audio_codec=st.none() | st.sampled_from(["aac", "opus", "mp3", "vorbis"]),
    bit_rate=st.integers(min_value=1, max_value=500_000_000),
    rotation=st.sampled_from([None, 0, 90, 180, 270]),
)
posts = st.lists(image_facts | video_facts, max_size=12)
captions = st.none() | st.text(max_size=400) | st.text(alphabet="a🙂#@ ", max_size=3000)
platform_sets = st.lists(st.sampled_from(PLATFORMS), min_size=1, max_size=4, unique=True)


@settings(max_examples=150, deadline=None)
@given(media=posts, caption=captions, platforms=platform_sets)
def test_report_is_consistent(
    media: list[MediaFacts], caption: str | None, platforms: list[str]
) -> None:
    report = mediarules.check(media, platforms=platforms, caption=caption, title="t")
    assert report.media == media
    assert report.ok == (not any(v.severity is Severity.ERROR for v in report.violations))
    for violation in report.violations:
        assert violation.code in CODES
        assert violation.platform in platforms
        assert violation.source, violation
        assert violation.message
        if violation.media_index is not None:
            assert 0 <= violation.media_index < len(media)
    assert Report.model_validate(report.model_dump(mode="json")) == report


@settings(max_examples=80, deadline=None)
@given(media=posts, caption=captions, platforms=platform_sets)
def test_platforms_are_checked_independently(
    media: list[MediaFacts], caption: str | None, platforms: list[str]
) -> None:
    """Checking several platforms at once says exactly what checking each alone says."""
    together = mediarules.check(media, platforms=platforms, caption=caption)
    for platform in platforms:
        alone = mediarules.check(media, platforms=platform, caption=caption)
        assert together.for_platform(platform) == alone.for_platform(platform)


@settings(max_examples=80, deadline=None)
@given(media=posts, platform=st.sampled_from(PLATFORMS))
def test_errors_come_first_within_a_platform(media: list[MediaFacts], platform: str) -> None:
    ranks = [v.severity.rank for v in mediarules.check(media, platforms=platform).violations]
    assert ranks == sorted(ranks)


@settings(max_examples=150, deadline=None)
@given(
    caption=st.text(alphabet="ab 🙂👨‍👩‍👧日#@.", min_size=1, max_size=400).map(lambda s: s * 12),
    platform=st.sampled_from(PLATFORMS),
)
def test_caption_truncate_plan_fixes_what_it_was_planned_for(caption: str, platform: str) -> None:
    """check -> carry out the planned truncation -> check again: the caption now fits."""
    report = mediarules.check([], platforms=platform, caption=caption, title="t")
    too_long = [v for v in report.violations if v.code == "caption.too_long"]
    fixed = caption
    for violation in too_long:
        assert violation.fix is not None
        params = violation.fix.steps[0].params
        fixed = text.truncate(
            fixed,
            int(params["limit"]),  # type: ignore[arg-type]
            params["counting"],  # type: ignore[arg-type]
            url_length=params["url_length"],  # type: ignore[arg-type]
            mention_domains_free=bool(params["mention_domains_free"]),
        )
    again = mediarules.check([], platforms=platform, caption=fixed, title="t")
    assert "caption.too_long" not in [v.code for v in again.violations]
    assert caption.startswith(fixed.removesuffix(text.ELLIPSIS))
