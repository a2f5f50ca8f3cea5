"""Checks on one video against a platform's ``[video]`` rules."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from fractions import Fraction

from mediarules.checks.finding import (
    Finding,
    checks_that_apply,
    human_bytes,
    human_seconds,
    manual,
)
from mediarules.checks.image import aspect_ratio_finding, size_against
from mediarules.checks.registered import registered_checks
from mediarules.fixes import plan
from mediarules.formatting import human_fps as _fps
from mediarules.limits import half_a_frame
from mediarules.models import Fix, MediaFacts
from mediarules.requirements import ConstantRate, Requirement, bound, one_of
from mediarules.ruleset import VideoRules

VideoCheck = Callable[[MediaFacts, VideoRules], Iterator[Finding]]

# Which codecs each container can carry without re-encoding (for a safe remux).
_MUXABLE = {
    "mp4": {"h264", "hevc", "av1", "vp9", "mpeg4", "aac", "mp3", "opus", "ac3", "eac3", "flac"},
    "mov": {"h264", "hevc", "prores", "mpeg4", "aac", "mp3", "pcm", "ac3", "eac3", "flac"},
    "webm": {"vp8", "vp9", "av1", "opus", "vorbis"},
    "mkv": {"h264", "hevc", "vp8", "vp9", "av1", "mpeg4", "aac", "mp3", "opus", "vorbis", "flac"},
}


def _target_codecs(facts: MediaFacts, rules: VideoRules) -> tuple[str, str | None]:
    """The codecs a transcode should produce: keep what is allowed, else prefer H.264/AAC."""
    video = facts.video_codec
    if video is None or (rules.video_codecs and video not in rules.video_codecs):
        video = (
            "h264"
            if not rules.video_codecs or "h264" in rules.video_codecs
            else (rules.video_codecs[0])
        )
    audio = facts.audio_codec
    if audio is not None and rules.audio_codecs and audio not in rules.audio_codecs:
        audio = "aac" if "aac" in rules.audio_codecs else rules.audio_codecs[0]
    return video, audio


def _target_container(rules: VideoRules) -> str:
    return "mp4" if not rules.containers or "mp4" in rules.containers else rules.containers[0]


def _reencode(
    facts: MediaFacts,
    rules: VideoRules,
    title: str,
    loses: list[str],
    requires: list[Requirement],
    **extra: object,
) -> Fix:
    video, audio = _target_codecs(facts, rules)
    if facts.color_transfer in ("pq", "hlg") or facts.dolby_vision:  # HDR: as fixes.constraints
        if facts.color_transfer in ("pq", "hlg") and (
            "hevc" in rules.video_codecs if rules.video_codecs else rules.hdr
        ):
            video = "hevc"  # kept as 10-bit HEVC, without Dolby Vision's dynamic metadata
            loses = [*loses, "Dolby Vision"] if facts.dolby_vision else loses
        else:
            video = "h264" if not rules.video_codecs or "h264" in rules.video_codecs else video
            loses = [*loses, "HDR"]  # tone-mapped to 8-bit SDR H.264
    params: dict[str, str | int | float | bool | None] = {
        "container": _target_container(rules),
        "video_codec": video,
        "audio_codec": audio,
    }
    params.update({k: v for k, v in extra.items() if isinstance(v, str | int | float | bool)})
    return plan.transcode(title, loses, requires, **params)


def containers(facts: MediaFacts, rules: VideoRules) -> Iterator[Finding]:
    fmt = facts.format
    if fmt is None or not rules.containers or fmt in rules.containers:
        return
    target = _target_container(rules)
    video, audio = _target_codecs(facts, rules)
    codecs_fit = video == facts.video_codec and audio == facts.audio_codec
    streams = {c for c in (facts.video_codec, facts.audio_codec) if c}
    if codecs_fit and streams <= _MUXABLE.get(target, set()):
        fix = plan.remux(target, rules.containers)
    else:
        need: list[Requirement] = [one_of(fact="container", values=tuple(rules.containers))]
        fix = _reencode(facts, rules, f"Transcode to {target.upper()} ({video})", ["quality"], need)
    yield Finding(
        "video.container_not_allowed",
        f"{fmt.upper()} is not accepted; use {', '.join(c.upper() for c in rules.containers)}",
        key="containers",
        actual=fmt,
        limit=rules.containers,
        fix=fix,
    )


def video_codecs(facts: MediaFacts, rules: VideoRules) -> Iterator[Finding]:
    codec = facts.video_codec
    if codec is None or not rules.video_codecs or codec in rules.video_codecs:
        return
    video, _ = _target_codecs(facts, rules)
    yield Finding(
        "video.codec_not_allowed",
        f"video codec {codec} is not accepted; use {', '.join(rules.video_codecs)}",
        key="video_codecs",
        actual=codec,
        limit=rules.video_codecs,
        fix=_reencode(
            facts,
            rules,
            f"Transcode the video track to {video}",
            ["quality"],
            [one_of(fact="video_codec", values=tuple(rules.video_codecs))],
        ),
    )


def audio_codecs(facts: MediaFacts, rules: VideoRules) -> Iterator[Finding]:
    codec = facts.audio_codec
    if codec is None or not rules.audio_codecs or codec in rules.audio_codecs:
        return
    _, audio = _target_codecs(facts, rules)
    yield Finding(
        "audio.codec_not_allowed",
        f"audio codec {codec} is not accepted; use {', '.join(rules.audio_codecs)}",
        key="audio_codecs",
        actual=codec,
        limit=rules.audio_codecs,
        fix=_reencode(
            facts,
            rules,
            f"Transcode the audio track to {audio}",
            ["audio quality"],
            [one_of(fact="audio_codec", values=tuple(rules.audio_codecs))],
        ),
    )


def fps(facts: MediaFacts, rules: VideoRules) -> Iterator[Finding]:
    rate = facts.fps
    if rate is None or rate <= 0:  # no video's: intake reports it as metadata_invalid
        return
    if rules.min_fps is not None and rate < rules.min_fps:
        code, key, limit, word = "video.fps_too_low", "min_fps", rules.min_fps, "minimum"
    elif rules.max_fps is not None and rate > rules.max_fps:
        code, key, limit, word = "video.fps_too_high", "max_fps", rules.max_fps, "maximum"
    else:
        return
    target = plan.nearest_standard_fps(rate, rules.min_fps, rules.max_fps)
    loses = ["quality"] if code == "video.fps_too_low" else ["quality", "frames"]
    yield Finding(
        code,
        f"video is {_fps(rate)} fps; the {word} is {_fps(limit)} fps",
        key=key,
        actual=float(rate),
        limit=float(limit),
        fix=_reencode(
            facts,
            rules,
            f"Re-encode at {_fps(target)} fps",
            loses,
            [bound(fact="fps", at_least=rules.min_fps, at_most=rules.max_fps)],
            fps=str(target),
        ),
    )


def constant_frame_rate(facts: MediaFacts, rules: VideoRules) -> Iterator[Finding]:
    if not rules.constant_frame_rate or not facts.variable_frame_rate:
        return
    target = plan.nearest_standard_fps(facts.fps, rules.min_fps, rules.max_fps)
    yield Finding(
        "video.variable_frame_rate",
        "video has a variable frame rate; the platform needs a constant one",
        key="constant_frame_rate",
        actual="variable",
        limit="constant",
        fix=_reencode(
            facts,
            rules,
            f"Re-encode at a constant {_fps(target)} fps",
            ["quality"],
            [ConstantRate()],
            fps=str(target),
        ),
    )


def _frames_apart(seconds: float, limit: float, facts: MediaFacts) -> bool:
    """Whether ``seconds`` counts a whole frame more or less than ``limit`` at the video's
    rate (half a frame or more away: ``limits.half_a_frame``). Exact when the rate is
    unknown."""
    half = half_a_frame(facts)
    if not half:
        return seconds != limit
    return abs(Fraction(seconds) - Fraction(limit)) >= half


def duration(facts: MediaFacts, rules: VideoRules) -> Iterator[Finding]:
    """Durations compare to the frame: less than half a frame past a limit still meets it."""
    seconds = facts.duration_s
    if seconds is None:
        return
    low, high = rules.min_duration_s, rules.max_duration_s
    if low is not None and seconds < low and _frames_apart(seconds, low, facts):
        yield Finding(
            "video.duration_too_short",
            f"video is {human_seconds(seconds)} long; the minimum is {human_seconds(low)}",
            key="min_duration_s",
            actual=seconds,
            limit=low,
            fix=manual(f"Use a clip of at least {human_seconds(low)}"),
        )
    elif high is not None and seconds > high and _frames_apart(seconds, high, facts):
        yield Finding(
            "video.duration_too_long",
            f"video is {human_seconds(seconds)} long; the maximum is {human_seconds(high)}",
            key="max_duration_s",
            actual=seconds,
            limit=high,
            fix=plan.trim_video(high),
        )


def size_bytes(facts: MediaFacts, rules: VideoRules) -> Iterator[Finding]:
    size = facts.size
    if size is None:
        return
    if rules.min_size_bytes is not None and size < rules.min_size_bytes:
        yield Finding(
            "media.too_small",
            f"video file is {human_bytes(size)};"
            f" the minimum is {human_bytes(rules.min_size_bytes)}",
            key="min_size_bytes",
            actual=size,
            limit=rules.min_size_bytes,
            fix=manual("Export a longer or higher-quality video"),
        )
    elif (limit := rules.max_size_bytes) is not None and (
        size > limit or (size == limit and "max_size_bytes" in rules.exclusive)
    ):
        exclusive = "max_size_bytes" in rules.exclusive
        budget = limit - 1 if exclusive else limit  # the most bytes the new file may have
        extra: dict[str, object] = {"max_bytes": budget}
        if facts.duration_s:
            # 95% of the budget, spread over the duration, leaves room for the container.
            bit_rate = budget * 8 * 0.95 / facts.duration_s
            if math.isfinite(bit_rate):  # a declared duration of 5e-324 s gives infinity
                extra["max_bitrate_bps"] = int(bit_rate)
        yield Finding(
            "media.too_large",
            f"video file is {size_against(size, limit, exclusive)}",
            key="max_size_bytes",
            actual=size,
            limit=limit,
            fix=_reencode(
                facts,
                rules,
                "Re-encode at a lower bit rate",
                ["quality"],
                [bound(fact="bytes", at_most=limit, exclusive=exclusive)],
                **extra,
            ),
        )


def dimensions(facts: MediaFacts, rules: VideoRules) -> Iterator[Finding]:
    size = facts.display_size
    if size is None or min(size) <= 0:  # no video's: intake reports it as metadata_invalid
        return
    width, height = size
    min_w, min_h = rules.min_width or 0, rules.min_height or 0
    shown = f"{width}x{height}"
    if width < min_w or height < min_h:
        new_w, new_h = plan.grow_to(width, height, min_width=min_w, min_height=min_h)
        yield Finding(
            "video.too_small",
            f"video is {shown} px; the minimum is {min_w}x{min_h}",
            key="min_width" if width < min_w else "min_height",
            actual=shown,
            limit=f"{min_w}x{min_h}",
            fix=_reencode(
                facts,
                rules,
                f"Upscale to {new_w}x{new_h}",
                ["sharpness"],
                [bound(fact=f, at_least=v) for f, v in (("width", min_w), ("height", min_h)) if v],
                width=_even(new_w),
                height=_even(new_h),
            ),
        )
        return
    too_wide = rules.max_width is not None and width > rules.max_width
    too_tall = rules.max_height is not None and height > rules.max_height
    too_many = rules.max_pixels is not None and width * height > rules.max_pixels
    if not (too_wide or too_tall or too_many):
        return
    new_w, new_h = plan.fit_within(
        width,
        height,
        max_width=rules.max_width,
        max_height=rules.max_height,
        max_pixels=rules.max_pixels,
    )
    if too_many and not (too_wide or too_tall):
        key, limit = "max_pixels", f"{rules.max_pixels:,} pixels"
        message = f"video has {width * height:,} pixels ({shown}); the limit is {limit}"
    else:
        key = "max_width" if too_wide else "max_height"
        limit = f"{rules.max_width or 'any'}x{rules.max_height or 'any'}"
        message = f"video is {shown} px; the maximum is {limit}"
    yield Finding(
        "video.too_large",
        message,
        key=key,
        actual=shown,
        limit=limit,
        fix=_reencode(
            facts,
            rules,
            f"Downscale to {_even(new_w)}x{_even(new_h)}",
            ["resolution"],
            [
                bound(fact=fact, at_most=value)
                for fact, value in (
                    ("width", rules.max_width),
                    ("height", rules.max_height),
                    ("pixels", rules.max_pixels),
                )
                if value
            ],
            width=_even(new_w),
            height=_even(new_h),
        ),
    )


def _even(value: int) -> int:
    """H.264 with 4:2:0 needs even dimensions."""
    return max(2, value - value % 2)


def aspect_ratio(facts: MediaFacts, rules: VideoRules) -> Iterator[Finding]:
    yield from aspect_ratio_finding(
        "video",
        facts,
        rules.min_aspect_ratio,
        rules.max_aspect_ratio,
        rules.aspect_ratio_tolerance,
    )


def bitrate(facts: MediaFacts, rules: VideoRules) -> Iterator[Finding]:
    limit = rules.max_bitrate_bps
    if limit is None or facts.bit_rate is None or facts.bit_rate <= limit:
        return
    yield Finding(
        "video.bitrate_too_high",
        f"bit rate is {facts.bit_rate / 1e6:.3g} Mbps; the limit is {limit / 1e6:.3g} Mbps",
        key="max_bitrate_bps",
        actual=facts.bit_rate,
        limit=limit,
        fix=_reencode(
            facts,
            rules,
            f"Re-encode under {limit / 1e6:.3g} Mbps",
            ["quality"],
            [bound(fact="bitrate_bps", at_most=limit)],
            max_bitrate_bps=int(limit * 0.95),
        ),
    )


REGISTERED = registered_checks("video")
"""The registry's video limit kinds (mediarules.limits), each check with the key it reads."""

VIDEO_CHECKS: tuple[VideoCheck, ...] = (
    containers,
    video_codecs,
    audio_codecs,
    fps,
    constant_frame_rate,
    duration,
    size_bytes,
    dimensions,
    aspect_ratio,
    bitrate,
    *(check for check, _ in REGISTERED),
)


LIMIT_KEYS: dict[VideoCheck, tuple[str, ...]] = {
    containers: ("containers",),
    video_codecs: ("video_codecs",),
    audio_codecs: ("audio_codecs",),
    fps: ("min_fps", "max_fps"),
    constant_frame_rate: ("constant_frame_rate",),
    duration: ("min_duration_s", "max_duration_s"),
    size_bytes: ("min_size_bytes", "max_size_bytes"),
    dimensions: ("min_width", "min_height", "max_width", "max_height", "max_pixels"),
    aspect_ratio: ("min_aspect_ratio", "max_aspect_ratio"),
    bitrate: ("max_bitrate_bps",),
    **dict(REGISTERED),
}
"""The ``[video]`` keys each check reads: with all of them unset it never yields."""


def video_checks_for(rules: VideoRules) -> tuple[VideoCheck, ...]:
    """The checks of ``VIDEO_CHECKS`` (in order) that can find something under ``rules``."""
    return checks_that_apply(VIDEO_CHECKS, LIMIT_KEYS, rules)
