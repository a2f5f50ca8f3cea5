"""Screens: a section's checks compiled, once per rules section, into one plain function that
says which of them might find anything in a file (or a post, or a text).

Most files break no rule of most platforms. The checks are generators that build a ``Finding``
(with its fix) for each broken rule; running every one of them for every file and platform
cost most of a metadata-only check. A screen reads the facts and compares them with the
section's limits, bound to local names when it is made (an unset limit is a bound nothing
passes: 0, infinity, an empty table), and answers with one integer, a bit per check that might
find something (``bit_of``): the engine runs those checks only, so a file that breaks nothing
costs one call and allocates nothing.

A screen may set a check's bit where the check then finds nothing (a duration within half a
frame of its limit, a shape within the aspect-ratio tolerance: the checks decide those); it
never leaves out the bit of a check that would find something.
``tests/test_engine_speed_invariants.py`` holds every screen to that over generated facts and
every section of the table.

The kinds of limit in the registry (:mod:`mediarules.limits`) bring their own screen
(``LimitKind.may_break``); the older kinds are screened here, beside the checks they mirror.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import NamedTuple

from mediarules.checks import image, post, video
from mediarules.checks.image import IMAGE_CHECKS, image_checks_for
from mediarules.checks.post import POST_CHECKS, post_checks_for
from mediarules.checks.text import TextMeasures
from mediarules.checks.video import VIDEO_CHECKS, video_checks_for
from mediarules.limits import limits_of
from mediarules.models import MediaFacts
from mediarules.ruleset import ImageRules, PostRules, TextRules, VideoRules
from mediarules.text import INVALID_CHARACTERS

__all__ = [
    "FileScreen",
    "PostShape",
    "TextScreen",
    "bit_of",
    "image_screen",
    "post_screen",
    "text_screen",
    "video_screen",
]

FileScreen = Callable[[MediaFacts, "tuple[int, int] | None", bool], int]
"""``(facts, display_size, animated)`` -> the bits of the section's checks that might find
something (0: none); ``display_size`` and ``animated`` are the facts' own properties, worked
out once per file."""


def bit_of(check: Callable[..., object]) -> int:
    """The bit a screen sets for ``check``: its place in ``IMAGE_CHECKS``, ``VIDEO_CHECKS`` or
    ``POST_CHECKS``."""
    for checks in (IMAGE_CHECKS, VIDEO_CHECKS, POST_CHECKS):
        if check in checks:
            return 1 << checks.index(check)
    raise ValueError(f"{check!r} is no screened check")


_NEVER = math.inf
"""The bound of an unset maximum: no number is past it."""


def _at_most(limit: float | None) -> float:
    return _NEVER if limit is None else limit


def _bytes_from(limit: int | None, exclusive: bool) -> float:
    """The least size past ``limit``: the limit itself where it is strict, else one more."""
    if limit is None:
        return _NEVER
    return limit if exclusive else limit + 1


def _ratio_terms(low: Fraction | None, high: Fraction | None) -> tuple[int, int, int, int]:
    """``low`` and ``high`` as integer terms of ``w * low_d < low_n * h`` (too narrow) and
    ``w * high_d > high_n * h`` (too wide), as ``checks.image._shape_within`` compares; an
    unset bound gives terms no picture with a height breaks."""
    low_n, low_d = (0, 1) if low is None else (low.numerator, low.denominator)
    high_n, high_d = (1, 0) if high is None else (high.numerator, high.denominator)
    return low_n, low_d, high_n, high_d


# ---------------------------------------------------------------------------------------------
# images


_QUIET, _LOUD, _STILL_LOUD = 0, 1, 2
"""What a file's format alone says (``checks.image.formats``): nothing, a finding, or a
finding unless the image is animated (a preference for stills)."""


def _format_verdicts(rules: ImageRules) -> tuple[dict[str | None, int], int]:
    """Each format the section names -> its verdict, and the verdict of any other format."""

    def verdict(fmt: str | None) -> int:
        if fmt is None:
            return _QUIET
        if fmt in rules.converted or (rules.formats and fmt not in rules.formats):
            return _LOUD
        if rules.preferred and fmt not in rules.preferred:
            return _STILL_LOUD
        return _QUIET

    named = [None, *rules.converted, *rules.formats, *rules.preferred]
    return {fmt: verdict(fmt) for fmt in named}, verdict("")  # "" stands for any other


_FORMATS, _IMAGE_BYTES = bit_of(image.formats), bit_of(image.max_size_bytes)
_MIN_SIDES, _MAX_SIDES = bit_of(image.min_dimensions), bit_of(image.max_dimensions)
_PIXELS, _SUM = bit_of(image.max_pixels), bit_of(image.max_dimension_sum)
_IMAGE_SHAPE, _FRAMES = bit_of(image.aspect_ratio), bit_of(image.max_frames)
_SCALED = bit_of(image.scaled_width)


def image_screen(rules: ImageRules) -> FileScreen | None:
    """The screen of ``checks.image`` under ``rules``; None when no check can find anything."""
    if not image_checks_for(rules):
        return None
    verdicts, other = _format_verdicts(rules)
    exclusive = rules.exclusive
    still_bytes = _bytes_from(rules.max_size_bytes, "max_size_bytes" in exclusive)
    animated_bytes = (
        still_bytes
        if rules.max_animated_size_bytes is None
        else _bytes_from(rules.max_animated_size_bytes, "max_animated_size_bytes" in exclusive)
    )
    still_pixels = _at_most(rules.max_pixels)
    animated_pixels = (
        still_pixels if rules.max_animated_pixels is None else rules.max_animated_pixels
    )
    max_frames = _at_most(rules.max_frames)
    min_w, min_h = rules.min_width or 0, rules.min_height or 0
    max_w, max_h = _at_most(rules.max_width), _at_most(rules.max_height)
    max_sum = _at_most(rules.max_dimension_sum)
    scaled_low, scaled_high = rules.scaled_min_width or 0, _at_most(rules.scaled_max_width)
    low_n, low_d, high_n, high_d = _ratio_terms(rules.min_aspect_ratio, rules.max_aspect_ratio)

    def may_find(facts: MediaFacts, display: tuple[int, int] | None, animated: bool) -> int:
        found = 0
        verdict = verdicts.get(facts.format, other)
        if verdict and (verdict == _LOUD or not animated):
            found = _FORMATS
        size = facts.size
        if size is not None and size >= (animated_bytes if animated else still_bytes):
            found |= _IMAGE_BYTES
        if animated and (frames := facts.frames) is not None and frames > max_frames:
            found |= _FRAMES
        if display is None:
            return found
        w, h = display
        if h <= 0:  # no shape, no picture
            return found
        if w * low_d < low_n * h or w * high_d > high_n * h:
            found |= _IMAGE_SHAPE
        if w <= 0:  # no picture (intake reports it)
            return found
        if w < min_w or h < min_h:
            found |= _MIN_SIDES
        if w > max_w or h > max_h:
            found |= _MAX_SIDES
        if w < scaled_low or w > scaled_high:
            found |= _SCALED
        width, height = facts.width or 0, facts.height or 0
        if width * height > (animated_pixels if animated else still_pixels):
            found |= _PIXELS
        if width + height > max_sum:
            found |= _SUM
        return found

    return may_find


# ---------------------------------------------------------------------------------------------
# videos


_CONTAINERS, _VIDEO_CODECS = bit_of(video.containers), bit_of(video.video_codecs)
_AUDIO_CODECS, _FPS = bit_of(video.audio_codecs), bit_of(video.fps)
_CONSTANT_RATE, _DURATION = bit_of(video.constant_frame_rate), bit_of(video.duration)
_VIDEO_BYTES, _DIMENSIONS = bit_of(video.size_bytes), bit_of(video.dimensions)
_VIDEO_SHAPE, _BIT_RATE = bit_of(video.aspect_ratio), bit_of(video.bitrate)
_REGISTERED = tuple(
    (kind, bit_of(check))
    for kind, (check, _) in zip(limits_of("video"), video.REGISTERED, strict=True)
)
"""Each registered kind of video limit, with the bit of its check."""


def _rate_terms(rate: Fraction | None, unset: tuple[int, int]) -> tuple[int, int]:
    return unset if rate is None else (rate.numerator, rate.denominator)


def video_screen(rules: VideoRules) -> FileScreen | None:
    """The screen of ``checks.video`` under ``rules``; None when no check can find anything."""
    if not video_checks_for(rules):
        return None
    containers = frozenset(rules.containers)
    video_codecs = frozenset(rules.video_codecs)
    audio_codecs = frozenset(rules.audio_codecs)
    # a rate r is under min_n / min_d when r.numerator * min_d < min_n * r.denominator
    min_n, min_d = _rate_terms(rules.min_fps, (0, 1))
    max_n, max_d = _rate_terms(rules.max_fps, (1, 0))
    variable_refused = rules.constant_frame_rate
    low_s = -_NEVER if rules.min_duration_s is None else rules.min_duration_s
    high_s = _at_most(rules.max_duration_s)
    min_bytes = rules.min_size_bytes or 0
    max_bytes = _bytes_from(rules.max_size_bytes, "max_size_bytes" in rules.exclusive)
    min_w, min_h = rules.min_width or 0, rules.min_height or 0
    max_w, max_h = _at_most(rules.max_width), _at_most(rules.max_height)
    max_pixels = _at_most(rules.max_pixels)
    low_n, low_d, high_n, high_d = _ratio_terms(rules.min_aspect_ratio, rules.max_aspect_ratio)
    max_bit_rate = _at_most(rules.max_bitrate_bps)
    registered = tuple(
        (bit, kind.may_break(limit))
        for kind, bit in _REGISTERED
        if (limit := getattr(rules, kind.key)) is not None
    )

    def may_find(facts: MediaFacts, display: tuple[int, int] | None, animated: bool) -> int:
        found = 0
        fmt = facts.format
        if fmt is not None and containers and fmt not in containers:
            found = _CONTAINERS
        codec = facts.video_codec
        if codec is not None and video_codecs and codec not in video_codecs:
            found |= _VIDEO_CODECS
        codec = facts.audio_codec
        if codec is not None and audio_codecs and codec not in audio_codecs:
            found |= _AUDIO_CODECS
        rate = facts.fps
        if rate is not None and rate.numerator > 0:
            numerator, denominator = rate.numerator, rate.denominator
            if numerator * min_d < min_n * denominator or numerator * max_d > max_n * denominator:
                found |= _FPS
        if variable_refused and facts.variable_frame_rate:
            found |= _CONSTANT_RATE
        seconds = facts.duration_s
        if seconds is not None and not low_s <= seconds <= high_s:
            found |= _DURATION
        size = facts.size
        if size is not None and (size < min_bytes or size >= max_bytes):
            found |= _VIDEO_BYTES
        bit_rate = facts.bit_rate
        if bit_rate is not None and bit_rate > max_bit_rate:
            found |= _BIT_RATE
        if display is not None and (h := display[1]) > 0:
            w = display[0]
            if w * low_d < low_n * h or w * high_d > high_n * h:
                found |= _VIDEO_SHAPE
            if w > 0 and (w < min_w or h < min_h or w > max_w or h > max_h or w * h > max_pixels):
                found |= _DIMENSIONS
        for bit, test in registered:
            if test(facts):
                found |= bit
        return found

    return may_find


# ---------------------------------------------------------------------------------------------
# posts


class PostShape(NamedTuple):
    """What the post checks count: items (readable or not), images (animated or not), the
    animated ones among them, videos."""

    items: int
    images: int
    animated: int
    videos: int


PostScreen = Callable[[PostShape], int]
"""A post's shape -> the bits of the post checks that might find something."""

_REQUIRED, _REFUSED = bit_of(post.required), bit_of(post.refused_images)
_COUNTS, _RECOMMENDED = bit_of(post.counts), bit_of(post.recommended_items)
_TOO_FEW, _MIXING = bit_of(post.too_few_items), bit_of(post.mixing)


def post_screen(rules: PostRules) -> PostScreen | None:
    """The screen of the post checks (``checks.post.POST_CHECKS``) under ``rules``; None when
    none can find anything."""
    if not post_checks_for(rules):
        return None
    media_required, video_required = rules.media_required, rules.video_required
    allowed, mixing_allowed = rules.images_allowed, rules.mixing_allowed
    apart = rules.max_animations is not None  # animations counted apart from stills
    max_images, max_animations = _at_most(rules.max_images), _at_most(rules.max_animations)
    max_videos, max_items = _at_most(rules.max_videos), _at_most(rules.max_items)
    shown = _at_most(rules.recommended_max_items)
    min_items = rules.min_items or 0

    def may_find(shape: PostShape) -> int:
        items, images, animated, videos = shape
        found = 0
        if (media_required and not items) or (video_required and not videos):
            found = _REQUIRED
        if 0 < items < min_items:
            found |= _TOO_FEW
        if items > shown and not items > max_items:
            found |= _RECOMMENDED
        if not allowed:  # each image is refused; the rest is counted without them
            if images:
                found |= _REFUSED
            if videos > max_videos or items - images > max_items:
                found |= _COUNTS
            return found
        stills, animations = (images - animated, animated) if apart else (images, 0)
        if (
            stills > max_images
            or animations > max_animations
            or videos > max_videos
            or items > max_items
        ):
            found |= _COUNTS
        if not mixing_allowed and (bool(stills) + bool(animations) + bool(videos)) > 1:
            found |= _MIXING
        return found

    return may_find


# ---------------------------------------------------------------------------------------------
# texts

TextScreen = Callable[[str | None, bool, "str | None", TextMeasures], bool]
"""``(text, has_media, content_warning, measures)`` -> whether ``checks.text.check_text``
might find something."""

_ENTITY_MARKS: dict[str, tuple[str, ...]] = {
    "hashtags": ("#", "\uff03"),
    "mentions": ("@", "\uff20"),
    "links": (".",),
}
"""A character every entity of the kind holds (a hashtag its sign, a mention its at sign, a
link the dot before its top-level domain): a text holds at most as many entities as these."""


def _most_entities(text: str, marks: Sequence[str]) -> int:
    return sum(text.count(mark) for mark in marks)


def text_screen(rules: TextRules) -> TextScreen:
    """The screen of ``checks.text.check_text`` under ``rules``."""
    required = rules.required
    counting, url_length = rules.counting, rules.url_length
    domains_free = rules.mention_domains_free
    warning_counts = rules.content_warning_counts
    max_length, text_only = rules.max_length, rules.max_length_text_only
    max_bytes = rules.max_utf8_bytes
    entities = [
        (what, limit, _ENTITY_MARKS[what])
        for what, limit in (
            ("hashtags", rules.max_hashtags),
            ("mentions", rules.max_mentions),
            ("links", rules.max_links),
        )
        if limit is not None
    ]
    refused = tuple(INVALID_CHARACTERS) if counting == "weighted" else ()
    forbidden = tuple(item for item in rules.forbidden_characters if item)

    def may_find(
        text: str | None, has_media: bool, content_warning: str | None, measures: TextMeasures
    ) -> bool:
        if warning_counts and content_warning:
            return True  # counted with its content warning: the check works it out
        if text is None or not text.strip():
            return required
        limit = max_length if has_media or text_only is None else text_only
        if limit is not None:
            length = measures.count(
                text, counting, url_length=url_length, mention_domains_free=domains_free
            )
            if length > limit:
                return True
        if max_bytes is not None and measures.count(text, "utf8_bytes") > max_bytes:
            return True
        for what, most, marks in entities:
            if _most_entities(text, marks) > most and measures.entities(text, what) > most:
                return True
        return any(char in text for char in refused) or any(item in text for item in forbidden)

    return may_find
