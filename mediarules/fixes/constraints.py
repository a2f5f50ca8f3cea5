"""What each platform allows one file to be, and how those allowances combine.

A platform's rules become a ``Bounds`` record for one file: allowed formats and codecs, and
numeric ranges. Bounds of several platforms intersect into one, as long as something is left
(a format they all take, a non-empty aspect range): then one output file serves them all.
A target (what to encode) is derived from the facts and the merged bounds last.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, TypeVar

from mediarules.fixes.plan import nearest_standard_fps, pick_image_target
from mediarules.fixes.targets import ImageTarget, VideoTarget
from mediarules.models import MediaFacts
from mediarules.requirements import Bound, ConstantRate, OneOf, Requirement
from mediarules.ruleset import ImageRules, PlatformRules, VideoRules, aspect_bounds

_ANIMATED_FORMATS = frozenset({"gif", "webp", "png"})
_ANY = None


Number = TypeVar("Number", int, float, Fraction)


def _low(a: Number | None, b: Number | None) -> Number | None:
    """The tighter of two lower bounds (None: no bound)."""
    return b if a is None else a if b is None else max(a, b)


def _high(a: Number | None, b: Number | None) -> Number | None:
    """The tighter of two upper bounds (None: no bound)."""
    return b if a is None else a if b is None else min(a, b)


def _common(a: tuple[str, ...] | None, b: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """Allowed by both (None: anything); order follows ``a``."""
    if a is None:
        return b
    if b is None:
        return a
    return tuple(x for x in a if x in b)


@dataclass(frozen=True)
class ImageBounds:
    formats: tuple[str, ...] | None
    max_bytes: int | None = None
    max_width: int | None = None
    max_height: int | None = None
    max_pixels: int | None = None
    max_dimension_sum: int | None = None
    min_width: int | None = None
    min_height: int | None = None
    min_aspect_ratio: Fraction | None = None
    max_aspect_ratio: Fraction | None = None
    min_aspect_accepted: Fraction | None = None
    max_aspect_accepted: Fraction | None = None
    """The aspect ratios the platforms accept (their stated range widened by their tolerance):
    a file within them keeps its shape; one outside is brought to the stated range."""
    max_frames: int | None = None
    convert_to: str | None = None
    """A format to convert to though the file's own is allowed: the platform's preference,
    asked for only when its check offered that conversion as safe."""

    def merge(self, other: ImageBounds) -> ImageBounds | None:
        """Both platforms' bounds at once, or None when nothing satisfies both (a preferred
        format is one platform's wish: it is not pressed on another)."""
        if self.convert_to != other.convert_to:
            return None
        merged = ImageBounds(
            formats=_common(self.formats, other.formats),
            convert_to=self.convert_to,
            max_bytes=_high(self.max_bytes, other.max_bytes),
            max_width=_high(self.max_width, other.max_width),
            max_height=_high(self.max_height, other.max_height),
            max_pixels=_high(self.max_pixels, other.max_pixels),
            max_dimension_sum=_high(self.max_dimension_sum, other.max_dimension_sum),
            min_width=_low(self.min_width, other.min_width),
            min_height=_low(self.min_height, other.min_height),
            min_aspect_ratio=_low(self.min_aspect_ratio, other.min_aspect_ratio),
            max_aspect_ratio=_high(self.max_aspect_ratio, other.max_aspect_ratio),
            min_aspect_accepted=_low(self.min_aspect_accepted, other.min_aspect_accepted),
            max_aspect_accepted=_high(self.max_aspect_accepted, other.max_aspect_accepted),
            max_frames=_high(self.max_frames, other.max_frames),
        )
        return merged if merged.feasible() else None

    def feasible(self) -> bool:
        if self.formats is not None and not self.formats:
            return False
        return not (
            _crossed(self.min_aspect_ratio, self.max_aspect_ratio)
            or _crossed(self.min_width, self.max_width)
            or _crossed(self.min_height, self.max_height)
        )

    def target(self, facts: MediaFacts) -> ImageTarget:
        allowed = list(self.formats) if self.formats is not None else []
        if self.convert_to is not None and (not allowed or self.convert_to in allowed):
            fmt = self.convert_to
        elif facts.format is not None and (not allowed or facts.format in allowed):
            fmt = facts.format
        else:
            fmt = pick_image_target(facts, allowed)
        animated = facts.animated and fmt in _ANIMATED_FORMATS
        low, high = _aspect_target(facts, self)
        return ImageTarget(
            format=fmt,
            max_bytes=self.max_bytes,
            max_width=self.max_width,
            max_height=self.max_height,
            max_pixels=self.max_pixels,
            max_dimension_sum=self.max_dimension_sum,
            min_width=self.min_width,
            min_height=self.min_height,
            min_aspect_ratio=low,
            max_aspect_ratio=high,
            max_frames=self.max_frames if animated else None,
            keep_animation=animated,
        )


@dataclass(frozen=True)
class VideoBounds:
    containers: tuple[str, ...] | None
    video_codecs: tuple[str, ...] | None
    audio_codecs: tuple[str, ...] | None
    min_fps: Fraction | None = None
    max_fps: Fraction | None = None
    constant_frame_rate: bool = False
    max_duration_s: float | None = None
    max_bytes: int | None = None
    max_width: int | None = None
    max_height: int | None = None
    max_pixels: int | None = None
    min_width: int | None = None
    min_height: int | None = None
    min_aspect_ratio: Fraction | None = None
    max_aspect_ratio: Fraction | None = None
    min_aspect_accepted: Fraction | None = None
    max_aspect_accepted: Fraction | None = None
    max_bitrate_bps: int | None = None
    hdr: bool = False  # documented HDR uploads (the rules' video.hdr)

    def merge(self, other: VideoBounds) -> VideoBounds | None:
        merged = VideoBounds(
            containers=_common(self.containers, other.containers),
            video_codecs=_common(self.video_codecs, other.video_codecs),
            audio_codecs=_common(self.audio_codecs, other.audio_codecs),
            min_fps=_low(self.min_fps, other.min_fps),
            max_fps=_high(self.max_fps, other.max_fps),
            constant_frame_rate=self.constant_frame_rate or other.constant_frame_rate,
            max_duration_s=_high(self.max_duration_s, other.max_duration_s),
            max_bytes=_high(self.max_bytes, other.max_bytes),
            max_width=_high(self.max_width, other.max_width),
            max_height=_high(self.max_height, other.max_height),
            max_pixels=_high(self.max_pixels, other.max_pixels),
            min_width=_low(self.min_width, other.min_width),
            min_height=_low(self.min_height, other.min_height),
            min_aspect_ratio=_low(self.min_aspect_ratio, other.min_aspect_ratio),
            max_aspect_ratio=_high(self.max_aspect_ratio, other.max_aspect_ratio),
            min_aspect_accepted=_low(self.min_aspect_accepted, other.min_aspect_accepted),
            max_aspect_accepted=_high(self.max_aspect_accepted, other.max_aspect_accepted),
            max_bitrate_bps=_high(self.max_bitrate_bps, other.max_bitrate_bps),
            hdr=self.hdr and other.hdr,
        )
        return merged if merged.feasible() else None

    def feasible(self) -> bool:
        if any(s is not None and not s for s in (self.containers, self.video_codecs)):
            return False
        if self.containers is not None and not {"mp4", "mov"} & set(self.containers):
            return False  # the executor writes MP4 or MOV
        if self.video_codecs is not None and "h264" not in self.video_codecs:
            return False  # ... with H.264 when it re-encodes
        return not (
            _crossed(self.min_fps, self.max_fps)
            or _crossed(self.min_aspect_ratio, self.max_aspect_ratio)
            or _crossed(self.min_width, self.max_width)
            or _crossed(self.min_height, self.max_height)
        )

    def target(self, facts: MediaFacts) -> VideoTarget:
        reencode = self._needs_reencode(facts)
        containers = self.containers or ("mp4",)
        writable = [c for c in containers if not reencode or c in ("mp4", "mov")]  # H.264 muxers
        if facts.format in writable:
            container = str(facts.format)
        else:
            container = "mp4" if "mp4" in writable else (writable or ["mp4"])[0]
        fps = None
        if reencode:
            rate = facts.fps
            out_of_range = rate is not None and (
                (self.min_fps is not None and rate < self.min_fps)
                or (self.max_fps is not None and rate > self.max_fps)
            )
            if out_of_range or (self.constant_frame_rate and facts.variable_frame_rate):
                fps = nearest_standard_fps(rate, self.min_fps, self.max_fps)
        audio_ok = self.audio_codecs is None or "aac" in self.audio_codecs
        low, high = _aspect_target(facts, self)
        return VideoTarget(
            container=container,
            reencode=reencode,
            video_codec=(
                ("hevc" if self.keeps_hdr(facts) else "h264")
                if reencode
                else (facts.video_codec or "h264")
            ),
            audio_codec=(
                None
                if facts.audio_codec is None
                else ("aac" if reencode else facts.audio_codec)
                if audio_ok or not reencode
                else None
            ),
            fps=fps,
            max_width=self.max_width,
            max_height=self.max_height,
            max_pixels=self.max_pixels,
            min_width=self.min_width,
            min_height=self.min_height,
            min_aspect_ratio=low,
            max_aspect_ratio=high,
            max_bitrate_bps=self.max_bitrate_bps,
            max_bytes=self.max_bytes,
            max_duration_s=self.max_duration_s,
        )

    def keeps_hdr(self, facts: MediaFacts) -> bool:
        """An HDR source (PQ or HLG) re-encoded stays HDR, in 10-bit HEVC, where HEVC is
        listed, or where any codec goes and the platform documents HDR uploads; elsewhere
        it is tone-mapped to 8-bit SDR H.264. ``checks.video`` offers the same."""
        if facts.color_transfer not in ("pq", "hlg"):
            return False
        return self.hdr if self.video_codecs is None else "hevc" in self.video_codecs

    def _needs_reencode(self, facts: MediaFacts) -> bool:
        """Only a container change or a trim can be done by copying the streams."""

        size = facts.display_size
        ratio = facts.aspect_ratio
        return any(
            (
                self.video_codecs is not None and facts.video_codec not in self.video_codecs,
                self.audio_codecs is not None
                and facts.audio_codec is not None
                and facts.audio_codec not in self.audio_codecs,
                outside(facts.fps, self.min_fps, self.max_fps),
                self.constant_frame_rate and bool(facts.variable_frame_rate),
                size is not None and outside(size[0], self.min_width, self.max_width),
                size is not None and outside(size[1], self.min_height, self.max_height),
                size is not None
                and self.max_pixels is not None
                and size[0] * size[1] > self.max_pixels,
                outside(ratio, *_accepted(self)),
                self.max_bitrate_bps is not None
                and facts.bit_rate is not None
                and facts.bit_rate > self.max_bitrate_bps,
                self.max_bytes is not None
                and facts.size is not None
                and facts.size > self.max_bytes,
                (facts.rotation or 0) % 360 != 0,
            )
        )


def _accepted(bounds: ImageBounds | VideoBounds) -> tuple[Fraction | None, Fraction | None]:
    """The aspect ratios accepted: the tolerance's range where known, else the stated one."""
    return (
        bounds.min_aspect_accepted or bounds.min_aspect_ratio,
        bounds.max_aspect_accepted or bounds.max_aspect_ratio,
    )


def _aspect_target(
    facts: MediaFacts, bounds: ImageBounds | VideoBounds
) -> tuple[Fraction | None, Fraction | None]:
    """The aspect range a new file is brought into: none when the file's shape is accepted
    (within the tolerance: it keeps its shape), else the range the platforms state."""
    ratio = facts.aspect_ratio
    if ratio is not None and not outside(ratio, *_accepted(bounds)):
        return None, None
    return bounds.min_aspect_ratio, bounds.max_aspect_ratio


def _crossed(low: Number | None, high: Number | None) -> bool:
    return low is not None and high is not None and low > high


def outside(value: Number | None, low: Number | None, high: Number | None) -> bool:
    if value is None:
        return False
    return (low is not None and value < low) or (high is not None and value > high)


def _most_bytes(section: ImageRules | VideoRules, key: str) -> int | None:
    """The most bytes a file may have under the limit ``key``: one less where the platform
    compares strictly (Mastodon's ``less_than:``)."""
    limit: int | None = getattr(section, key)
    if limit is not None and key in section.exclusive:
        return limit - 1
    return limit


def image_bounds(rules: PlatformRules) -> ImageBounds:
    image = rules.image
    formats = [f for f in image.formats if f not in image.converted]
    accepted = aspect_bounds(
        image.min_aspect_ratio, image.max_aspect_ratio, image.aspect_ratio_tolerance
    )
    return ImageBounds(
        formats=tuple(formats) if formats else None,
        max_bytes=_most_bytes(image, "max_size_bytes"),
        max_width=_high(image.max_width, image.scaled_max_width),
        max_height=image.max_height,
        max_pixels=image.max_pixels,
        max_dimension_sum=image.max_dimension_sum,
        min_width=_low(image.min_width, image.scaled_min_width),
        min_height=image.min_height,
        min_aspect_ratio=image.min_aspect_ratio,
        max_aspect_ratio=image.max_aspect_ratio,
        min_aspect_accepted=accepted[0],
        max_aspect_accepted=accepted[1],
        max_frames=image.max_frames,
    )


def animated_image_bounds(rules: PlatformRules) -> ImageBounds:
    """Animations have their own byte and pixel budgets on some platforms (X, Mastodon)."""
    image = rules.image
    bounds = image_bounds(rules)
    return replace(
        bounds,
        max_bytes=_most_bytes(image, "max_animated_size_bytes") or bounds.max_bytes,
        max_pixels=image.max_animated_pixels or bounds.max_pixels,
    )


def video_bounds(rules: PlatformRules) -> VideoBounds:
    video = rules.video
    accepted = aspect_bounds(
        video.min_aspect_ratio, video.max_aspect_ratio, video.aspect_ratio_tolerance
    )
    return VideoBounds(
        containers=tuple(video.containers) or _ANY,
        video_codecs=tuple(video.video_codecs) or _ANY,
        audio_codecs=tuple(video.audio_codecs) or _ANY,
        min_fps=video.min_fps,
        max_fps=video.max_fps,
        constant_frame_rate=video.constant_frame_rate,
        max_duration_s=video.max_duration_s,
        max_bytes=_most_bytes(video, "max_size_bytes"),
        max_width=video.max_width,
        max_height=video.max_height,
        max_pixels=video.max_pixels,
        min_width=video.min_width,
        min_height=video.min_height,
        min_aspect_ratio=video.min_aspect_ratio,
        max_aspect_ratio=video.max_aspect_ratio,
        min_aspect_accepted=accepted[0],
        max_aspect_accepted=accepted[1],
        max_bitrate_bps=video.max_bitrate_bps,
        hdr=video.hdr,
    )


_IMAGE_FIELDS = {
    "bytes": ("max_bytes", None),
    "width": ("max_width", "min_width"),
    "height": ("max_height", "min_height"),
    "pixels": ("max_pixels", None),
    "dimension_sum": ("max_dimension_sum", None),
    "aspect_ratio": ("max_aspect_ratio", "min_aspect_ratio"),
    "frames": ("max_frames", None),
}
_VIDEO_FIELDS = {
    "bytes": ("max_bytes", None),
    "width": ("max_width", "min_width"),
    "height": ("max_height", "min_height"),
    "pixels": ("max_pixels", None),
    "aspect_ratio": ("max_aspect_ratio", "min_aspect_ratio"),
    "fps": ("max_fps", "min_fps"),
    "duration_s": ("max_duration_s", None),
    "bitrate_bps": ("max_bitrate_bps", None),
}
_CHOICES = {
    "format": "formats",
    "container": "containers",
    "video_codec": "video_codecs",
    "audio_codec": "audio_codecs",
}


def tightened(
    bounds: ImageBounds | VideoBounds, needs: Sequence[Requirement]
) -> ImageBounds | VideoBounds:
    """``bounds`` narrowed by each requirement: a bound on a fact, a set of allowed values, a
    preferred format, a constant frame rate. A requirement on a fact the box has no field
    for (yet) is left to the re-check to confirm."""
    fields = _VIDEO_FIELDS if isinstance(bounds, VideoBounds) else _IMAGE_FIELDS
    changes: dict[str, Any] = {}

    def current(name: str) -> Any:
        return changes.get(name, getattr(bounds, name))

    for need in needs:
        if isinstance(need, Bound) and need.fact in fields:
            high, low = fields[need.fact]
            if need.at_most is not None and high is not None:
                value = _as_field(bounds, high, need.at_most, strict=need.exclusive)
                changes[high] = _high(current(high), value)
            if need.at_least is not None and low is not None:
                value = _as_field(bounds, low, need.at_least)
                changes[low] = _low(current(low), value)
        elif (
            isinstance(need, OneOf)
            and need.fact in _CHOICES
            and hasattr(bounds, _CHOICES[need.fact])
        ):
            name = _CHOICES[need.fact]
            changes[name] = _common(current(name), tuple(str(v) for v in need.values))
            if need.prefer is not None and isinstance(bounds, ImageBounds):
                changes["convert_to"] = need.prefer
        elif isinstance(need, ConstantRate) and isinstance(bounds, VideoBounds):
            changes["constant_frame_rate"] = True
    return replace(bounds, **changes) if changes else bounds


def _as_field(
    bounds: ImageBounds | VideoBounds, name: str, value: Fraction | int, *, strict: bool = False
) -> Any:
    """A requirement's exact number in the type of the box's field; a strict upper bound on a
    whole number (bytes, pixels) is the next one down."""
    if "aspect_ratio" in name or name.endswith("_fps"):
        return value
    if name == "max_duration_s":
        return float(value)
    if strict:
        return math.ceil(value) - 1
    return int(value)
