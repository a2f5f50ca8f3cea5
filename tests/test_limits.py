"""Both sides of every limit in the shipped table, platform by platform.

The cases are derived from the table itself, so a limit added to ``rules/platforms.toml`` is
tested at once: a record exactly at the limit passes that rule, one just past it breaks it with
the right code, and the violation cites the limit's source. "At" and "past" are as the limit
compares: a strict size (``exclusive``) is broken at the limit itself, an aspect ratio passes
within its tolerance, a duration to the frame.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pytest

import mediarules
from mediarules import MediaFacts, Report
from mediarules.ruleset import ImageRules, PlatformRules, VideoRules, aspect_bounds, load_rules

RULES = load_rules()


@dataclass(frozen=True)
class Case:
    platform: str
    key: str
    code: str
    ok: dict[str, Any]
    bad: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.platform}-{self.key}"


def _base(kind: str) -> dict[str, Any]:
    if kind == "image":
        return {"kind": "image", "format": "jpeg", "width": 1080, "height": 1080, "size": 1000}
    return {
        "kind": "video",
        "format": "mp4",
        "width": 1080,
        "height": 1920,
        "size": 1_000_000,
        "fps": Fraction(30),
        "duration_s": 10.0,
        "video_codec": "h264",
        "audio_codec": "aac",
        "bit_rate": 1_000_000,
    }


def _ratio_sizes(ratio: Fraction, *, nudge: int) -> tuple[int, int]:
    """A width x height exactly at ``ratio`` (nudge 0) or one pixel past it."""
    scale = 1
    while ratio.denominator * scale < 100 or ratio.numerator * scale < 2:  # a side stays > 0
        scale *= 10
    width, height = ratio.numerator * scale, ratio.denominator * scale
    return width + nudge, height


def _size_edge(limit: int, rules: ImageRules | VideoRules, key: str) -> tuple[int, int]:
    """The largest size that passes and the smallest that breaks ``key``."""
    return (limit - 1, limit) if key in rules.exclusive else (limit, limit + 1)


def _aspect_edges(
    low: Fraction | None, high: Fraction | None, tolerance: Fraction
) -> Iterator[tuple[str, tuple[int, int], tuple[int, int]]]:
    """Per side: a size at the edge of what is accepted (the bound widened by the tolerance)
    and one a pixel past it."""
    accepted = aspect_bounds(low, high, tolerance)
    for side, bound, nudge in (("min", accepted[0], -1), ("max", accepted[1], 1)):
        if bound is not None:
            yield side, _ratio_sizes(bound, nudge=0), _ratio_sizes(bound, nudge=nudge)


def image_cases(key: str, rules: PlatformRules) -> Iterator[Case]:
    image = rules.image
    base = _base("image")
    if image.max_size_bytes:
        ok, bad = _size_edge(image.max_size_bytes, image, "max_size_bytes")
        yield Case(
            key,
            "image.max_size_bytes",
            "media.too_large",
            {**base, "size": ok},
            {**base, "size": bad},
        )
    if image.max_animated_size_bytes:
        anim = {**base, "format": "gif", "frames": 2}
        ok, bad = _size_edge(image.max_animated_size_bytes, image, "max_animated_size_bytes")
        yield Case(
            key,
            "image.max_animated_size_bytes",
            "media.too_large",
            {**anim, "size": ok},
            {**anim, "size": bad},
        )
    if image.min_width:
        yield Case(
            key,
            "image.min_width",
            "image.too_small",
            {**base, "width": image.min_width},
            {**base, "width": image.min_width - 1},
        )
    if image.max_width:
        yield Case(
            key,
            "image.max_width",
            "image.too_large",
            {**base, "width": image.max_width},
            {**base, "width": image.max_width + 1},
        )
    if image.max_pixels:
        side = int(image.max_pixels**0.5)
        at = {**base, "width": side, "height": image.max_pixels // side}
        yield Case(
            key, "image.max_pixels", "image.too_many_pixels", at, {**at, "height": at["height"] + 1}
        )
    if image.max_dimension_sum:
        half = image.max_dimension_sum // 2
        yield Case(
            key,
            "image.max_dimension_sum",
            "image.too_large",
            {**base, "width": half, "height": image.max_dimension_sum - half},
            {**base, "width": half + 1, "height": image.max_dimension_sum - half},
        )
    if image.max_frames:
        anim = {**base, "format": "gif"}
        yield Case(
            key,
            "image.max_frames",
            "image.too_many_frames",
            {**anim, "frames": image.max_frames},
            {**anim, "frames": image.max_frames + 1},
        )
    edges = _aspect_edges(
        image.min_aspect_ratio, image.max_aspect_ratio, image.aspect_ratio_tolerance
    )
    for which, (w, h), (bw, bh) in edges:
        yield Case(
            key,
            f"image.{which}_aspect_ratio",
            "image.aspect_ratio_out_of_range",
            {**base, "width": w, "height": h},
            {**base, "width": bw, "height": bh},
        )
    if image.formats:
        refused = next(
            f
            for f in ("bmp", "tiff", "avif", "png")
            if f not in image.formats and f not in image.converted
        )
        yield Case(
            key,
            "image.formats",
            "image.format_not_allowed",
            {**base, "format": image.formats[0]},
            {**base, "format": refused},
        )
    for fmt in image.converted:
        yield Case(
            key,
            f"image.converted.{fmt}",
            "image.format_converted",
            {**base, "format": image.formats[0]},
            {**base, "format": fmt},
        )


def video_cases(key: str, rules: PlatformRules) -> Iterator[Case]:
    video = rules.video
    base = _base("video")
    tiny = Fraction(1, 1000)
    if video.min_fps is not None:
        yield Case(
            key,
            "video.min_fps",
            "video.fps_too_low",
            {**base, "fps": video.min_fps},
            {**base, "fps": video.min_fps - tiny},
        )
    if video.max_fps is not None:
        yield Case(
            key,
            "video.max_fps",
            "video.fps_too_high",
            {**base, "fps": video.max_fps},
            {**base, "fps": video.max_fps + tiny},
        )
    # durations compare to the frame (30 fps here): 10 ms past a limit meets it, half a
    # frame (16.7 ms) past is a frame too many
    half = 1 / 60 + 1e-9
    if video.min_duration_s is not None:
        yield Case(
            key,
            "video.min_duration_s",
            "video.duration_too_short",
            {**base, "duration_s": video.min_duration_s - 0.01},
            {**base, "duration_s": video.min_duration_s - half},
        )
    if video.max_duration_s is not None:
        yield Case(
            key,
            "video.max_duration_s",
            "video.duration_too_long",
            {**base, "duration_s": video.max_duration_s + 0.01},
            {**base, "duration_s": video.max_duration_s + half},
        )
    if video.max_size_bytes is not None:
        ok, bad = _size_edge(video.max_size_bytes, video, "max_size_bytes")
        yield Case(
            key,
            "video.max_size_bytes",
            "media.too_large",
            {**base, "size": ok},
            {**base, "size": bad},
        )
    if video.min_size_bytes is not None:
        yield Case(
            key,
            "video.min_size_bytes",
            "media.too_small",
            {**base, "size": video.min_size_bytes},
            {**base, "size": video.min_size_bytes - 1},
        )
    if video.min_width is not None:
        yield Case(
            key,
            "video.min_width",
            "video.too_small",
            {**base, "width": video.min_width},
            {**base, "width": video.min_width - 1},
        )
    if video.max_width is not None:
        at = {**base, "width": video.max_width, "height": video.max_width}
        yield Case(
            key, "video.max_width", "video.too_large", at, {**at, "width": video.max_width + 1}
        )
    if video.max_pixels is not None:
        side = int(video.max_pixels**0.5)
        at = {**base, "width": side, "height": video.max_pixels // side}
        yield Case(
            key, "video.max_pixels", "video.too_large", at, {**at, "height": at["height"] + 1}
        )
    if video.max_bitrate_bps is not None:
        yield Case(
            key,
            "video.max_bitrate_bps",
            "video.bitrate_too_high",
            {**base, "bit_rate": video.max_bitrate_bps},
            {**base, "bit_rate": video.max_bitrate_bps + 1},
        )
    edges = _aspect_edges(
        video.min_aspect_ratio, video.max_aspect_ratio, video.aspect_ratio_tolerance
    )
    for which, (w, h), (bw, bh) in edges:
        yield Case(
            key,
            f"video.{which}_aspect_ratio",
            "video.aspect_ratio_out_of_range",
            {**base, "width": w, "height": h},
            {**base, "width": bw, "height": bh},
        )
    if video.containers:
        refused = next(c for c in ("avi", "mkv", "mov", "webm") if c not in video.containers)
        yield Case(
            key,
            "video.containers",
            "video.container_not_allowed",
            {**base, "format": video.containers[0]},
            {**base, "format": refused},
        )
    if video.video_codecs:
        yield Case(
            key,
            "video.video_codecs",
            "video.codec_not_allowed",
            {**base, "video_codec": video.video_codecs[0]},
            {**base, "video_codec": "mpeg2video"},
        )
    if video.audio_codecs:
        yield Case(
            key,
            "video.audio_codecs",
            "audio.codec_not_allowed",
            {**base, "audio_codec": video.audio_codecs[0]},
            {**base, "audio_codec": "mp3"},
        )


def all_cases() -> Iterator[Case]:
    for key, rules in RULES.platforms.items():
        if rules.post.images_allowed:
            yield from image_cases(key, rules)
        if rules.post.max_videos != 0:  # a video there is one too many, not checked
            yield from video_cases(key, rules)


CASES = list(all_cases())


def codes(report: Report, platform: str) -> list[str]:
    return [v.code for v in report.violations if v.platform == platform]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_both_sides_of_each_media_limit(case: Case) -> None:
    at_limit = mediarules.check([MediaFacts(**case.ok)], platforms=case.platform, rules=RULES)
    past_it = mediarules.check([MediaFacts(**case.bad)], platforms=case.platform, rules=RULES)
    assert case.code not in codes(at_limit, case.platform)
    broken = [v for v in past_it.violations if v.code == case.code]
    assert broken, f"{case.id}: expected {case.code}, got {codes(past_it, case.platform)}"
    assert all(v.platform == case.platform and v.media_index == 0 for v in broken)
    assert all(v.source for v in broken)


def test_every_platform_has_media_limit_cases() -> None:
    covered = {case.platform for case in CASES}
    assert covered == set(RULES.platforms)


FAMILY = "👨\u200d👩\u200d👧\u200d👦"  # one grapheme, 7 code points, 25 UTF-8 bytes


def _bytes_text(size: int) -> str:
    """Exactly ``size`` UTF-8 bytes in as few graphemes as possible."""
    families, rest = divmod(size, len(FAMILY.encode()))
    return FAMILY * families + "a" * rest


@pytest.mark.parametrize("platform", sorted(RULES.platforms))
def test_caption_length_both_sides(platform: str) -> None:
    caption_rules = RULES.platforms[platform].caption
    media = [MediaFacts(**_base("video"))]
    cases = []
    if caption_rules.max_length is not None:
        cases.append(("a" * caption_rules.max_length, "max_length"))
    if caption_rules.max_utf8_bytes is not None:
        cases.append((_bytes_text(caption_rules.max_utf8_bytes), "max_utf8_bytes"))
    assert cases, f"{platform} has no caption limit"
    for at_limit, key in cases:
        fits = mediarules.check(media, platforms=platform, caption=at_limit, rules=RULES)
        over = mediarules.check(media, platforms=platform, caption=at_limit + "a", rules=RULES)
        assert caption_codes(fits) == [], key
        assert caption_codes(over) == ["caption.too_long"], key


def caption_codes(report: Report) -> list[str]:
    return [v.code for v in report.violations if v.code.startswith("caption.")]


POST_LIMITS = [
    (key, field, code)
    for key, rules in RULES.platforms.items()
    for field, code in (
        ("max_images", "post.too_many_images"),
        ("max_videos", "post.too_many_videos"),
        ("max_items", "post.too_many_items"),
    )
    if getattr(rules.post, field) is not None
    and (rules.post.images_allowed or field != "max_images")
]


@pytest.mark.parametrize(("platform", "field", "code"), POST_LIMITS)
def test_post_counts_both_sides(platform: str, field: str, code: str) -> None:
    rules = RULES.platforms[platform]
    limit = getattr(rules.post, field)
    kind = "video" if field == "max_videos" else "image"
    if kind == "image" and not rules.post.images_allowed:
        kind = "video"
    item = MediaFacts(**_base(kind))
    fits = mediarules.check([item] * limit, platforms=platform, rules=RULES)
    over = mediarules.check([item] * (limit + 1), platforms=platform, rules=RULES)
    assert code not in codes(fits, platform)
    over_codes = codes(over, platform)
    # one count over the limit; a more specific count may report it instead of the total
    assert code in over_codes or (
        code == "post.too_many_items"
        and {"post.too_many_images", "post.too_many_videos"} & set(over_codes)
    ), over_codes
