"""Media metadata (``MediaFacts``) near every limit of a platform's image and video rules.

``MediaSpace`` turns one platform's ``[image]`` and ``[video]`` rules into plans (see
``plans``): valid plans keep every rule, and a violating plan moves exactly one range past its
limit as the checks compare it (a strict size at the limit itself, an aspect ratio past its
tolerance, a duration a frame past), so the item breaks that rule and no other (no error and
no warning; an ``info`` such as X's "PNG preferred" may remain). Where the rules set a limit
that an item cannot break alone (no size satisfies the other limits), the code is not offered.
Each violating plan knows the key it breaks: a limit known from third parties only gives a
warning, so ``valid=False`` leaves those plans out.
"""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction
from functools import cached_property
from typing import TypeVar

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from mediarules._strategies._args import check_validity, resolve
from mediarules._strategies.geometry import UNBOUNDED, Box, Ratio
from mediarules._strategies.plans import (
    ANIMATABLE,
    AUDIO_CODECS,
    CONTAINERS,
    DEFAULT_BIT_RATE,
    DEFAULT_DURATION,
    DEFAULT_FPS,
    DEFAULT_FRAMES,
    DEFAULT_IMAGE_BYTES,
    DEFAULT_SIDE,
    DEFAULT_VIDEO_BYTES,
    IMAGE_FORMATS,
    VIDEO_CODECS,
    ImagePlan,
    VideoPlan,
)
from mediarules.codes import CODES
from mediarules.models import MediaFacts, MediaKind, Severity
from mediarules.ruleset import ImageRules, PlatformRules, RuleSet, VideoRules, aspect_bounds

__all__ = ["MediaSpace", "media_facts", "media_space"]

P = TypeVar("P", ImagePlan, VideoPlan)


def _side_cap(*limits: int | None, pixels: int | None = None) -> int:
    """Sides go up to twice the largest limit, so "one past it" has room."""
    cap = max([DEFAULT_SIDE, *(2 * limit for limit in limits if limit)])
    return max(cap, 2 * math.isqrt(pixels) + 2) if pixels else cap


def _ratios(low: Fraction | None, high: Fraction | None) -> tuple[Ratio, ...]:
    found = []
    if low is not None:
        found.append(Ratio(low, "min"))
    if high is not None:
        found.append(Ratio(high, "max"))
    return tuple(found)


def _ratio_breaks(
    box: Box, low: Fraction | None, high: Fraction | None, tolerance: Fraction
) -> list[tuple[Box, str]]:
    """The box with width / height just outside [low, high] widened by ``tolerance``, on each
    side that has a bound, with the key it breaks."""
    boxes = []
    accepted_low, accepted_high = aspect_bounds(low, high, tolerance)
    if accepted_low is not None:
        kept = _ratios(None, high)
        boxes.append(
            (replace(box, ratios=(*kept, Ratio(accepted_low, "below"))), "min_aspect_ratio")
        )
    if accepted_high is not None:
        kept = _ratios(low, None)
        boxes.append(
            (replace(box, ratios=(*kept, Ratio(accepted_high, "above"))), "max_aspect_ratio")
        )
    return boxes


def _past(limit: int, section: ImageRules | VideoRules, key: str) -> tuple[int, int]:
    """Byte sizes past ``limit``: from the limit itself where the platform compares strictly."""
    first = limit if key in section.exclusive else limit + 1
    return first, 2 * limit + 1


def _most(limit: int | None, section: ImageRules | VideoRules, key: str) -> int | None:
    """The largest byte size ``limit`` allows (one less where compared strictly)."""
    return limit - 1 if limit is not None and key in section.exclusive else limit


class MediaSpace:
    """Every plan one platform's image and video rules allow, valid and violating."""

    def __init__(self, rules: PlatformRules) -> None:
        self.rules = rules
        self._keys: dict[int, tuple[str, str]] = {}
        """id of a violating plan -> (section, key) it breaks: only third-party keys give
        warnings for codes that are errors, so ``valid=False`` needs to know."""

    # -- kinds -----------------------------------------------------------------------------

    @cached_property
    def kinds(self) -> tuple[MediaKind, ...]:
        """The kinds of media the platform publishes."""
        post = self.rules.post
        found: list[MediaKind] = []
        if post.images_allowed and post.max_images != 0 and self.still is not None:
            found.append("image")
        if post.max_videos != 0 and self.video is not None:
            found.append("video")
        return tuple(found)

    # -- images ----------------------------------------------------------------------------

    @cached_property
    def _image_cap(self) -> int:
        r = self.rules.image
        return _side_cap(
            r.min_width, r.min_height, r.max_width, r.max_height, r.max_dimension_sum,
            pixels=r.max_pixels,
        )  # fmt: skip

    def _image_box(self, *, animated: bool) -> Box:
        r, cap = self.rules.image, self._image_cap
        pixels = r.max_animated_pixels if animated and r.max_animated_pixels else r.max_pixels
        return Box(
            width=(
                max(r.min_width or 1, r.scaled_min_width or 1),
                min(
                    r.max_width if r.max_width is not None else cap,
                    r.scaled_max_width if r.scaled_max_width is not None else cap,
                ),
            ),
            height=(max(r.min_height or 1, 1), r.max_height if r.max_height is not None else cap),
            pixels=(1, pixels if pixels is not None else UNBOUNDED),
            total=(2, r.max_dimension_sum if r.max_dimension_sum is not None else UNBOUNDED),
            ratios=_ratios(r.min_aspect_ratio, r.max_aspect_ratio),
        )

    @cached_property
    def _image_formats(self) -> tuple[str, ...]:
        r = self.rules.image
        return tuple(f for f in (r.formats or IMAGE_FORMATS) if f not in r.converted)

    @cached_property
    def still(self) -> ImagePlan | None:
        """Still images that keep every image rule."""
        r = self.rules.image
        box = self._image_box(animated=False)
        if box.widths is None or not self._image_formats:
            return None
        most = _most(r.max_size_bytes, r, "max_size_bytes")
        top = most if most is not None else DEFAULT_IMAGE_BYTES
        return ImagePlan(box, self._image_formats, (min(100, top), top))

    @cached_property
    def animated(self) -> ImagePlan | None:
        """Animated images (2 frames or more) that keep every image rule."""
        r = self.rules.image
        formats = tuple(f for f in self._image_formats if f in ANIMATABLE)
        box = self._image_box(animated=True)
        if not formats or box.widths is None or r.max_frames == 1:
            return None
        top = (
            _most(r.max_animated_size_bytes, r, "max_animated_size_bytes")
            or _most(r.max_size_bytes, r, "max_size_bytes")
            or DEFAULT_IMAGE_BYTES
        )
        frames = r.max_frames if r.max_frames is not None else DEFAULT_FRAMES
        return ImagePlan(box, formats, (min(100, top), top), (2, frames))

    @cached_property
    def image_violations(self) -> dict[str, tuple[ImagePlan, ...]]:
        """Code -> still (or, for frames, animated) plans that break that one image rule."""
        still = self.still
        if still is None:
            return {}
        r, box, cap = self.rules.image, still.box, self._image_cap
        found: dict[str, list[ImagePlan]] = {}

        def add(code: str, plan: ImagePlan, feasible: object, key: str) -> None:
            self._add(found, code, plan, feasible, ("image", key))

        if r.formats:
            refused = tuple(f for f in IMAGE_FORMATS if f not in r.formats and f not in r.converted)
            add("image.format_not_allowed", replace(still, formats=refused), refused, "formats")
        converted = tuple(r.converted)
        add("image.format_converted", replace(still, formats=converted), converted, "converted")
        if r.preferred:
            others = tuple(f for f in self._image_formats if f not in r.preferred)
            add("image.format_not_preferred", replace(still, formats=others), others, "preferred")
        if r.max_size_bytes is not None:
            big = _past(r.max_size_bytes, r, "max_size_bytes")
            add("media.too_large", replace(still, size=big), True, "max_size_bytes")
        boxes: dict[str, list[tuple[Box, str]]] = {
            "image.too_small": [],
            "image.too_large": [],
            "image.too_many_pixels": [],
            "image.aspect_ratio_out_of_range": _ratio_breaks(
                box, r.min_aspect_ratio, r.max_aspect_ratio, r.aspect_ratio_tolerance
            ),
            "image.resized": [],
        }
        if r.min_width is not None and r.min_width > 1:
            boxes["image.too_small"].append(
                (
                    replace(box, width=(max(1, r.scaled_min_width or 1), r.min_width - 1)),
                    "min_width",
                )
            )
        if r.min_height is not None and r.min_height > 1:
            boxes["image.too_small"].append(
                (replace(box, height=(1, r.min_height - 1)), "min_height")
            )
        if r.max_width is not None:
            top = r.scaled_max_width if r.scaled_max_width is not None else cap
            boxes["image.too_large"].append(
                (replace(box, width=(r.max_width + 1, top)), "max_width")
            )
        if r.max_height is not None:
            boxes["image.too_large"].append(
                (replace(box, height=(r.max_height + 1, cap)), "max_height")
            )
        if r.max_dimension_sum is not None:
            boxes["image.too_large"].append(
                (replace(box, total=(r.max_dimension_sum + 1, UNBOUNDED)), "max_dimension_sum")
            )
        if r.max_pixels is not None:
            boxes["image.too_many_pixels"].append(
                (replace(box, pixels=(r.max_pixels + 1, UNBOUNDED)), "max_pixels")
            )
        if r.scaled_min_width is not None and r.scaled_min_width > 1:
            boxes["image.resized"].append(
                (
                    replace(box, width=(max(1, r.min_width or 1), r.scaled_min_width - 1)),
                    "scaled_min_width",
                )
            )
        if r.scaled_max_width is not None:
            top = r.max_width if r.max_width is not None else cap
            boxes["image.resized"].append(
                (replace(box, width=(r.scaled_max_width + 1, top)), "scaled_max_width")
            )
        for code, options in boxes.items():
            for option, key in options:
                add(code, replace(still, box=option), option.widths is not None, key)
        animated = self.animated
        if animated is not None and r.max_frames is not None:
            frames = (r.max_frames + 1, r.max_frames + 50)
            add("image.too_many_frames", replace(animated, frames=frames), True, "max_frames")
        return {code: tuple(plans) for code, plans in found.items()}

    def _add(
        self, found: dict[str, list[P]], code: str, plan: P, feasible: object, key: tuple[str, str]
    ) -> None:
        """Record ``plan`` for ``code`` when ``feasible`` (a non-empty choice, or True), and
        the limit it breaks."""
        if feasible:
            found.setdefault(code, []).append(plan)
            self._keys[id(plan)] = key

    def is_error(self, code: str, plan: ImagePlan | VideoPlan) -> bool:
        """Whether an item drawn from ``plan`` breaks ``code`` as an error on this platform:
        the code's own severity, unless the limit it breaks is a third party's figure."""
        if CODES[code].severity is not Severity.ERROR:
            return False
        section, key = self._keys[id(plan)]
        rules: ImageRules | VideoRules = getattr(self.rules, section)
        return rules.evidence_of(key, self.rules.evidence) != "third-party"

    # -- video -----------------------------------------------------------------------------

    @cached_property
    def video(self) -> VideoPlan | None:
        """Videos that keep every video rule."""
        r = self.rules.video
        cap = _side_cap(r.min_width, r.min_height, r.max_width, r.max_height, pixels=r.max_pixels)
        box = Box(
            width=(max(r.min_width or 1, 1), r.max_width if r.max_width is not None else cap),
            height=(max(r.min_height or 1, 1), r.max_height if r.max_height is not None else cap),
            pixels=(1, r.max_pixels if r.max_pixels is not None else UNBOUNDED),
            ratios=_ratios(r.min_aspect_ratio, r.max_aspect_ratio),
        )
        fps_lo = r.min_fps if r.min_fps is not None else DEFAULT_FPS[0]
        if r.max_fps is not None:
            fps_lo = min(fps_lo, r.max_fps)
        fps_hi = r.max_fps if r.max_fps is not None else max(DEFAULT_FPS[1], fps_lo)
        d_lo = r.min_duration_s if r.min_duration_s is not None else DEFAULT_DURATION[0]
        d_hi = r.max_duration_s if r.max_duration_s is not None else max(DEFAULT_DURATION[1], d_lo)
        default_cap = getattr(r, "default_max_duration_s", None)  # registered: warns past it
        if default_cap is not None:
            d_hi = min(d_hi, default_cap)
        frames_cap = getattr(r, "max_frames", None)  # a registered kind (mediarules.limits)
        if frames_cap is not None:  # every frame rate drawn, up to twice the top, keeps it
            d_hi = min(d_hi, frames_cap / (2 * max(float(fps_hi), 1.0)))
        d_lo = min(d_lo, d_hi)
        most = _most(r.max_size_bytes, r, "max_size_bytes")
        top = most if most is not None else DEFAULT_VIDEO_BYTES
        low = r.min_size_bytes if r.min_size_bytes is not None else min(1000, top)
        rate = r.max_bitrate_bps if r.max_bitrate_bps is not None else DEFAULT_BIT_RATE
        if box.widths is None or fps_lo > fps_hi or fps_hi <= 0 or low > top:
            return None
        return VideoPlan(
            box=box,
            containers=tuple(r.containers) or CONTAINERS,
            video_codecs=tuple(r.video_codecs) or VIDEO_CODECS,
            audio_codecs=(None, *(r.audio_codecs or AUDIO_CODECS)),
            fps=(fps_lo, fps_hi, False, False),
            duration=(d_lo, d_hi, False, False),
            size=(low, top),
            bit_rate=(min(100_000, rate), rate),
            variable=(None, False) if r.constant_frame_rate else (None, False, True),
        )

    @cached_property
    def video_violations(self) -> dict[str, tuple[VideoPlan, ...]]:
        """Code -> plans that break that one video rule."""
        plan = self.video
        if plan is None:
            return {}
        r, box = self.rules.video, plan.box
        found: dict[str, list[VideoPlan]] = {}

        def add(code: str, option: VideoPlan, feasible: object, key: str) -> None:
            self._add(found, code, option, feasible, ("video", key))

        cap = _side_cap(r.min_width, r.min_height, r.max_width, r.max_height, pixels=r.max_pixels)
        if r.containers:
            others = tuple(c for c in CONTAINERS if c not in r.containers)
            add(
                "video.container_not_allowed",
                replace(plan, containers=others),
                others,
                "containers",
            )
        if r.video_codecs:
            others = tuple(c for c in VIDEO_CODECS if c not in r.video_codecs)
            add(
                "video.codec_not_allowed",
                replace(plan, video_codecs=others),
                others,
                "video_codecs",
            )
        if r.audio_codecs:
            others = tuple(c for c in AUDIO_CODECS if c not in r.audio_codecs)
            add(
                "audio.codec_not_allowed",
                replace(plan, audio_codecs=others),
                others,
                "audio_codecs",
            )
        if r.min_fps is not None and r.min_fps > 0:
            low = (Fraction(0), r.min_fps, True, True)
            add("video.fps_too_low", replace(plan, fps=low), True, "min_fps")
        if r.max_fps is not None:
            high = (r.max_fps, 2 * r.max_fps, True, False)
            add("video.fps_too_high", replace(plan, fps=high), True, "max_fps")
        if r.constant_frame_rate:
            add(
                "video.variable_frame_rate",
                replace(plan, variable=(True,)),
                True,
                "constant_frame_rate",
            )
        # Durations compare to the frame: a duration breaks a limit half a frame past it, at
        # the slowest rate drawn (a little more, against float rounding).
        frame = 0.5 / float(plan.fps[0]) * 1.001 + 1e-6 if plan.fps[0] > 0 else 0.0
        if r.min_duration_s is not None and r.min_duration_s - frame > 0:
            short = (0.0, r.min_duration_s - frame, True, False)  # 0 s: metadata_invalid
            add("video.duration_too_short", replace(plan, duration=short), True, "min_duration_s")
        if r.max_duration_s is not None:
            long = (r.max_duration_s + frame, 2 * r.max_duration_s + 1, False, False)
            add("video.duration_too_long", replace(plan, duration=long), True, "max_duration_s")
        default_cap = getattr(r, "default_max_duration_s", None)
        if default_cap is not None and (
            r.max_duration_s is None or default_cap + frame < r.max_duration_s
        ):
            over = default_cap + frame
            top = r.max_duration_s if r.max_duration_s is not None else 2 * default_cap + 1
            frames_cap = getattr(r, "max_frames", None)
            if frames_cap is None:
                add(
                    "video.duration_over_default",
                    replace(plan, duration=(over, top, False, False)),
                    True,
                    "default_max_duration_s",
                )
        frames_cap = getattr(r, "max_frames", None)
        if frames_cap is not None and plan.fps[0] > 0 and r.max_duration_s is None:
            shortest = frames_cap / float(plan.fps[0]) + 1  # over the cap at the lowest rate
            many = (shortest, 2 * shortest, True, False)
            add("video.too_many_frames", replace(plan, duration=many), True, "max_frames")
        if r.min_size_bytes is not None and r.min_size_bytes > 1:
            add(
                "media.too_small",
                replace(plan, size=(1, r.min_size_bytes - 1)),
                True,
                "min_size_bytes",
            )
        if r.max_size_bytes is not None:
            big = _past(r.max_size_bytes, r, "max_size_bytes")
            add("media.too_large", replace(plan, size=big), True, "max_size_bytes")
        if r.max_bitrate_bps is not None:
            fast = (r.max_bitrate_bps + 1, 2 * r.max_bitrate_bps + 1)
            add("video.bitrate_too_high", replace(plan, bit_rate=fast), True, "max_bitrate_bps")
        boxes: dict[str, list[tuple[Box, str]]] = {
            "video.too_small": [],
            "video.too_large": [],
            "video.aspect_ratio_out_of_range": _ratio_breaks(
                box, r.min_aspect_ratio, r.max_aspect_ratio, r.aspect_ratio_tolerance
            ),
        }
        if r.min_width is not None and r.min_width > 1:
            boxes["video.too_small"].append((replace(box, width=(1, r.min_width - 1)), "min_width"))
        if r.min_height is not None and r.min_height > 1:
            boxes["video.too_small"].append(
                (replace(box, height=(1, r.min_height - 1)), "min_height")
            )
        if r.max_width is not None:
            boxes["video.too_large"].append(
                (replace(box, width=(r.max_width + 1, cap)), "max_width")
            )
        if r.max_height is not None:
            boxes["video.too_large"].append(
                (replace(box, height=(r.max_height + 1, cap)), "max_height")
            )
        if r.max_pixels is not None:
            boxes["video.too_large"].append(
                (replace(box, pixels=(r.max_pixels + 1, UNBOUNDED)), "max_pixels")
            )
        for code, options in boxes.items():
            for option, key in options:
                add(code, replace(plan, box=option), option.widths is not None, key)
        return {code: tuple(plans) for code, plans in found.items()}

    # -- strategies ------------------------------------------------------------------------

    def codes(self, kind: MediaKind) -> frozenset[str]:
        """Codes one item of ``kind`` can break alone on this platform."""
        if kind not in self.kinds:
            return frozenset()
        return frozenset(self.image_violations if kind == "image" else self.video_violations)

    def valid(
        self, kind: MediaKind, *, animated: bool | None = None
    ) -> st.SearchStrategy[MediaFacts]:
        """Items of ``kind`` that keep every rule; images still, animated or either."""
        if kind == "video":
            assert self.video is not None
            return self.video.strategy
        options = []
        if animated is not True and self.still is not None:
            options.append(self.still.strategy)
        if animated is not False and self.animated is not None:
            options.append(self.animated.strategy)
        assert options, "the caller checks that this kind of image exists"
        return st.one_of(options)

    def violating(
        self, kind: MediaKind, code: str, *, errors_only: bool = False
    ) -> st.SearchStrategy[MediaFacts]:
        """Items of ``kind`` that break ``code`` and no other rule (``code in codes(kind)``);
        ``errors_only``: where it is an error (``error_codes(kind)``)."""
        table: dict[str, tuple[ImagePlan, ...]] | dict[str, tuple[VideoPlan, ...]] = (
            self.image_violations if kind == "image" else self.video_violations
        )
        plans = [p for p in table[code] if not errors_only or self.is_error(code, p)]
        return st.one_of([plan.strategy for plan in plans])

    def error_codes(self, kind: MediaKind) -> frozenset[str]:
        """Codes one item of ``kind`` can break alone as an error on this platform."""
        if kind not in self.kinds:
            return frozenset()
        table: dict[str, tuple[ImagePlan, ...]] | dict[str, tuple[VideoPlan, ...]] = (
            self.image_violations if kind == "image" else self.video_violations
        )
        return frozenset(
            code for code, plans in table.items() if any(self.is_error(code, p) for p in plans)
        )


# -- public -------------------------------------------------------------------------------

_SPACES: dict[tuple[int, str], tuple[RuleSet, MediaSpace]] = {}
_MAX_SPACES = 256


def media_space(ruleset: RuleSet, key: str) -> MediaSpace:
    """The (cached) plans of platform ``key``; the cache keeps ``ruleset`` alive, so its id
    cannot be reused while the entry exists."""
    entry = _SPACES.get((id(ruleset), key))
    if entry is None or entry[0] is not ruleset:
        if len(_SPACES) >= _MAX_SPACES:
            _SPACES.clear()
        entry = (ruleset, MediaSpace(ruleset.platforms[key]))
        _SPACES[(id(ruleset), key)] = entry
    return entry[1]


def media_facts(
    platform: str,
    *,
    kind: MediaKind | None = None,
    valid: bool | None = None,
    violating: str | None = None,
    rules: RuleSet | None = None,
) -> st.SearchStrategy[MediaFacts]:
    """Image or video metadata near every limit of ``platform``'s image and video rules.

    ``valid=True``: the item keeps every rule (no error, no warning). ``violating=CODE``: it
    breaks exactly that rule and no other (e.g. ``"video.fps_too_low"``, ``"media.too_large"``,
    ``"image.aspect_ratio_out_of_range"``); ``valid=False``: it breaks one error rule of the
    platform's choosing. ``kind`` narrows to ``"image"`` or ``"video"``; by default both kinds
    the platform publishes (TikTok and YouTube: video only). A code the platform's rules cannot
    produce, or a kind it does not publish, raises ``InvalidArgument``.
    """
    ruleset, key, _ = resolve(platform, rules)
    check_validity(valid, violating)
    space = media_space(ruleset, key)
    if kind is not None and kind not in ("image", "video"):
        raise InvalidArgument(f"kind={kind!r} must be 'image', 'video' or None")
    if kind is not None and kind not in space.kinds:
        raise InvalidArgument(f"{key!r} publishes no {kind} (it takes {', '.join(space.kinds)})")
    kinds = (kind,) if kind is not None else space.kinds
    if violating is not None:
        errors = valid is False  # only the plans that break it as an error on this platform
        options = [
            space.violating(k, violating, errors_only=errors)
            for k in kinds
            if violating in (space.error_codes(k) if errors else space.codes(k))
        ]
        if not options:
            known = sorted(set().union(*(space.codes(k) for k in kinds)))
            raise InvalidArgument(
                f"{key!r} rules cannot produce {violating!r} on"
                f" {' or '.join(kinds)}; they can produce: {', '.join(known)}"
            )
        return st.one_of(options)
    broken = [
        space.violating(k, code, errors_only=True)
        for k in kinds
        for code in sorted(space.error_codes(k))
    ]
    kept = st.one_of([space.valid(k) for k in kinds])
    if valid is True:
        return kept
    if valid is False:
        if not broken:
            raise InvalidArgument(f"{key!r} has no {' or '.join(kinds)} rule an item can break")
        return st.one_of(broken)
    if not broken:
        return kept
    # as many valid items as broken ones (``kept | one_of(broken)`` would flatten to one
    # valid branch among as many broken ones as there are codes)
    either = st.one_of(broken)
    return st.booleans().flatmap(lambda other: either if other else kept)
