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
import re
from collections.abc import Callable
from fractions import Fraction
from typing import Any, NamedTuple

from mediarules.checks import image, post, video
from mediarules.checks.image import IMAGE_CHECKS, image_checks_for
from mediarules.checks.post import POST_CHECKS, post_checks_for
from mediarules.checks.text import TextMeasures
from mediarules.checks.video import VIDEO_CHECKS, video_checks_for
from mediarules.limits import limits_of
from mediarules.models import MediaFacts
from mediarules.ruleset import ImageRules, PostRules, TextRules, VideoRules, aspect_bounds
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
    source = _Source()
    verdicts, other = _format_verdicts(rules)
    if other or any(verdicts.values()):
        source.line("verdict = VERDICTS.get(facts.format, OTHER)", VERDICTS=verdicts, OTHER=other)
        source.line("if verdict and (verdict == LOUD or not animated):", LOUD=_LOUD)
        source.line("    found = FORMATS", FORMATS=_FORMATS)
    exclusive = rules.exclusive
    still = _bytes_from(rules.max_size_bytes, "max_size_bytes" in exclusive)
    moving = still
    if rules.max_animated_size_bytes is not None:
        moving = _bytes_from(rules.max_animated_size_bytes, "max_animated_size_bytes" in exclusive)
    if still < _NEVER or moving < _NEVER:
        source.line("size = facts.size")
        source.line(
            "if size is not None and size >= (MOVING if animated else STILL):",
            MOVING=moving,
            STILL=still,
        )
        source.line("    found |= IMAGE_BYTES", IMAGE_BYTES=_IMAGE_BYTES)
    if rules.max_frames is not None:
        source.line(
            "if animated and (frames := facts.frames) is not None and frames > MAX_FRAMES:",
            MAX_FRAMES=rules.max_frames,
        )
        source.line("    found |= FRAMES", FRAMES=_FRAMES)
    shape = rules.min_aspect_ratio is not None or rules.max_aspect_ratio is not None
    picture = _picture_lines(rules)
    if not (shape or picture):
        return source.file_screen("image_screen")
    source.line("if display is None or display[1] <= 0:  # no shape, no picture")
    source.line("    return found")
    source.line("w, h = display")
    if shape:
        _shape_lines(source, rules, _IMAGE_SHAPE)
    if picture:
        source.line("if w > 0:  # a picture (intake reports the rest)")
        for line, constants in picture:
            source.line("    " + line, **constants)
    return source.file_screen("image_screen")


def _picture_lines(rules: ImageRules) -> list[tuple[str, dict[str, object]]]:
    """The image screen's tests of a picture's sides (``w``, ``h``: as displayed), pixels and
    sum (stored, as the checks count them), for the limits ``rules`` sets."""
    lines: list[tuple[str, dict[str, object]]] = []

    def test(condition: str, bit: int, **constants: object) -> None:
        lines.extend([(f"if {condition}:", constants), (f"    found |= {_BIT}", {_BIT: bit})])

    if rules.min_width or rules.min_height:
        test("w < MIN_W or h < MIN_H", _MIN_SIDES, MIN_W=rules.min_width or 0,
             MIN_H=rules.min_height or 0)  # fmt: skip
    if rules.max_width is not None or rules.max_height is not None:
        test("w > MAX_W or h > MAX_H", _MAX_SIDES, MAX_W=_at_most(rules.max_width),
             MAX_H=_at_most(rules.max_height))  # fmt: skip
    if rules.scaled_min_width is not None or rules.scaled_max_width is not None:
        test("w < SCALED_LOW or w > SCALED_HIGH", _SCALED,
             SCALED_LOW=rules.scaled_min_width or 0,
             SCALED_HIGH=_at_most(rules.scaled_max_width))  # fmt: skip
    if rules.max_pixels is not None or rules.max_animated_pixels is not None:
        still = _at_most(rules.max_pixels)
        moving = still if rules.max_animated_pixels is None else rules.max_animated_pixels
        test("facts.width * facts.height > (MOVING_PIXELS if animated else STILL_PIXELS)",
             _PIXELS, MOVING_PIXELS=moving, STILL_PIXELS=still)  # fmt: skip
    if rules.max_dimension_sum is not None:
        test("facts.width + facts.height > MAX_SUM", _SUM, MAX_SUM=rules.max_dimension_sum)
    return lines


def _shape_lines(
    source: _Source, rules: ImageRules | VideoRules, bit: int, indent: str = ""
) -> None:
    """A shape (``w`` by ``h``, ``h`` > 0) out of the bounds the section accepts (its stated
    ratios widened by its tolerance), in integers, as ``checks.image._shape_within`` compares
    it."""
    low, high = rules.min_aspect_ratio, rules.max_aspect_ratio
    if rules.aspect_ratio_tolerance:
        low, high = aspect_bounds(low, high, rules.aspect_ratio_tolerance)
    tests = []
    constants: dict[str, object] = {"SHAPE": bit}
    if low is not None:
        tests.append("w * LOW_D < LOW_N * h")
        constants |= {"LOW_N": low.numerator, "LOW_D": low.denominator}
    if high is not None:
        tests.append("w * HIGH_D > HIGH_N * h")
        constants |= {"HIGH_N": high.numerator, "HIGH_D": high.denominator}
    shape_bit = constants.pop("SHAPE")
    source.line(f"{indent}if {' or '.join(tests)}:", **constants)
    source.line(f"{indent}    found |= SHAPE", SHAPE=shape_bit)


_BIT = "BIT"


class _Source:
    """A screen's source, made of this module's own lines: the limits of a table reach it as
    names of constants, never as text, so no value of the table can change what it does."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.constants: dict[str, object] = {}
        self.count = 0

    def line(self, text: str, **constants: object) -> None:
        """A line of the body, its constants given by the names it uses: each gets a name of
        its own in the function (the same name may stand for two values in two lines)."""
        for name, value in constants.items():
            self.count += 1
            unique = f"{name}_{self.count}"
            text = re.sub(rf"\b{name}\b", unique, text)
            self.constants[unique] = value
        self.lines.append(text)

    def file_screen(self, name: str) -> FileScreen:
        screen: FileScreen = self.function(name)
        return screen

    def function(
        self,
        name: str,
        parameters: str = "facts, display, animated",
        first: str = "found = 0",
        last: str = "return found",
    ) -> Any:
        """The function ``name(parameters)`` of these lines, between ``first`` and ``last``."""
        body = "".join(f"    {line}\n" for line in [first, *self.lines, last] if line)
        text = f"def {name}({parameters}):\n{body}"
        namespace = dict(self.constants)
        exec(compile(text, f"<mediarules.checks.screens {name}>", "exec"), namespace)
        screen = namespace[name]
        screen.__doc__ = text  # what it tests, for anyone who wonders
        return screen


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


def video_screen(rules: VideoRules) -> FileScreen | None:
    """The screen of ``checks.video`` under ``rules``; None when no check can find anything."""
    if not video_checks_for(rules):
        return None
    source = _Source()
    for fact, allowed, bit in (
        ("format", rules.containers, _CONTAINERS),
        ("video_codec", rules.video_codecs, _VIDEO_CODECS),
        ("audio_codec", rules.audio_codecs, _AUDIO_CODECS),
    ):
        if allowed:
            source.line(f"value = facts.{fact}")
            source.line(
                "if value is not None and value not in ALLOWED:", ALLOWED=frozenset(allowed)
            )
            source.line("    found |= BIT", BIT=bit)
    if rules.min_fps is not None or rules.max_fps is not None:
        # a rate r is under low when r.numerator * low.denominator < low.numerator * r.denominator
        source.line("rate = facts.fps")
        source.line("if rate is not None and rate.numerator > 0:  # else no video's")
        tests, constants = [], dict[str, object]()
        if rules.min_fps is not None:
            tests.append("rate.numerator * LOW_D < LOW_N * rate.denominator")
            constants |= {"LOW_N": rules.min_fps.numerator, "LOW_D": rules.min_fps.denominator}
        if rules.max_fps is not None:
            tests.append("rate.numerator * HIGH_D > HIGH_N * rate.denominator")
            constants |= {"HIGH_N": rules.max_fps.numerator, "HIGH_D": rules.max_fps.denominator}
        source.line(f"    if {' or '.join(tests)}:", **constants)
        source.line("        found |= BIT", BIT=_FPS)
    if rules.constant_frame_rate:
        source.line("if facts.variable_frame_rate:")
        source.line("    found |= BIT", BIT=_CONSTANT_RATE)
    for fact, low, high, bit in (
        ("duration_s", rules.min_duration_s, rules.max_duration_s, _DURATION),
        ("size", rules.min_size_bytes, rules.max_size_bytes, _VIDEO_BYTES),
        ("bit_rate", None, rules.max_bitrate_bps, _BIT_RATE),
    ):
        if low is None and high is None:
            continue
        exclusive = fact == "size" and "max_size_bytes" in rules.exclusive
        tests, constants = [], dict[str, object]()
        if low is not None:
            tests.append("value < LOW")
            constants["LOW"] = low
        if high is not None:
            tests.append("value >= HIGH" if exclusive else "value > HIGH")
            constants["HIGH"] = high
        source.line(f"value = facts.{fact}")
        source.line(f"if value is not None and ({' or '.join(tests)}):", **constants)
        source.line("    found |= BIT", BIT=bit)
    shape = rules.min_aspect_ratio is not None or rules.max_aspect_ratio is not None
    sides = [
        (test, value)
        for test, value in (
            ("w < MIN_W", rules.min_width),
            ("h < MIN_H", rules.min_height),
            ("w > MAX_W", rules.max_width),
            ("h > MAX_H", rules.max_height),
            ("w * h > MAX_PIXELS", rules.max_pixels),
        )
        if value is not None
    ]
    if shape or sides:
        source.line("if display is not None and display[1] > 0:  # else no shape, no picture")
        source.line("    w, h = display")
        if shape:
            _shape_lines(source, rules, _VIDEO_SHAPE, "    ")
        if sides:
            names = {test: test.split()[-1] for test, _ in sides}
            source.line(
                f"    if w > 0 and ({' or '.join(test for test, _ in sides)}):",
                **{names[test]: value for test, value in sides},
            )
            source.line("        found |= BIT", BIT=_DIMENSIONS)
    for kind, bit in _REGISTERED:
        limit = getattr(rules, kind.key)
        if limit is not None:
            source.line("if MAY_BREAK(facts):", MAY_BREAK=kind.may_break(limit))
            source.line("    found |= BIT", BIT=bit)
    return source.file_screen("video_screen")


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


def text_screen(rules: TextRules) -> TextScreen:
    """The screen of ``checks.text.check_text`` under ``rules``: only the tests of the limits
    it sets, in this module's own lines."""
    source = _Source()
    if rules.content_warning_counts:
        source.line("if content_warning:  # counted with the text: the check works it out")
        source.line("    return True")
    source.line("if text is None or not text or text.isspace():  # not text.strip()")
    source.line("    return REQUIRED", REQUIRED=rules.required)
    if rules.max_length is not None or rules.max_length_text_only is not None:
        unit = (rules.counting, rules.url_length, rules.mention_domains_free)
        if rules.max_length_text_only is None:
            source.line("limit = MAX_LENGTH", MAX_LENGTH=rules.max_length)
        else:
            source.line(
                "limit = MAX_LENGTH if has_media else TEXT_ONLY",
                MAX_LENGTH=rules.max_length,
                TEXT_ONLY=rules.max_length_text_only,
            )
        source.line("if limit is not None and measures.length(text, UNIT) > limit:", UNIT=unit)
        source.line("    return True")
    if rules.max_utf8_bytes is not None:
        source.line(
            "if measures.length(text, UTF8) > MAX_BYTES:",
            UTF8=("utf8_bytes", None, False),
            MAX_BYTES=rules.max_utf8_bytes,
        )
        source.line("    return True")
    for what, limit in (
        ("hashtags", rules.max_hashtags),
        ("mentions", rules.max_mentions),
        ("links", rules.max_links),
    ):
        if limit is not None:
            marks = " + ".join(f"text.count({mark!r})" for mark in _ENTITY_MARKS[what])
            source.line(
                f"if {marks} > MOST and measures.entities(text, WHAT) > MOST:",
                MOST=limit,
                WHAT=what,
            )
            source.line("    return True")
    refused = [
        *(INVALID_CHARACTERS if rules.counting == "weighted" else ()),
        *(item for item in rules.forbidden_characters if item),
    ]
    if refused:
        tests = " or ".join(f"REFUSED_{n} in text" for n in range(len(refused)))
        source.line(f"if {tests}:", **{f"REFUSED_{n}": item for n, item in enumerate(refused)})
        source.line("    return True")
    screen: TextScreen = source.function(
        "text_screen", "text, has_media, content_warning, measures", "", "return False"
    )
    return screen
