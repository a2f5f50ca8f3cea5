"""Checks on one image against a platform's ``[image]`` rules.

Each check reads the keys it is named after and yields only what went wrong; a fact that is
unknown (None) cannot break a rule, nor can a size that is no picture's (a side of 0: intake
reports it as ``media.metadata_invalid`` or ``media.unreadable`` and leaves it out).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from fractions import Fraction

from mediarules.checks.finding import Finding, checks_that_apply, human_bytes
from mediarules.fixes import plan
from mediarules.models import Fix, MediaFacts
from mediarules.requirements import Bound, bound, one_of
from mediarules.ruleset import ImageRules, aspect_bounds, format_ratio

ImageCheck = Callable[[MediaFacts, ImageRules], Iterator[Finding]]


def formats(facts: MediaFacts, rules: ImageRules) -> Iterator[Finding]:
    """A format the publisher converts is reported as converted even where the platform
    lists it too (a Mastodon server accepts HEIC, then turns it into JPEG)."""
    fmt = facts.format
    if fmt not in rules.converted and (fmt is None or not rules.formats or fmt in rules.formats):
        # a preference for stills: converting an animation to the preferred format loses it
        preferred = rules.preferred
        if fmt is not None and preferred and fmt not in preferred and not facts.animated:
            yield _not_preferred(facts, fmt, rules)
        return
    yield _format_refused(facts, fmt, rules)


_KEPT_FORMAT = 32
"""The longest format name the caches here keep findings for (a declared format may be any
string: what is kept stays small; every real one is a few letters)."""

_REFUSED_FORMATS: dict[tuple[object, ...], Finding] = {}


def _format_refused(facts: MediaFacts, fmt: str, rules: ImageRules) -> Finding:
    """A format the publisher converts, or the platform does not take: made once for the
    format, what its fix reads (animation, transparency, a TIFF's pages) and the section's
    formats (a carousel's images mostly share them)."""
    pages = facts.frames if fmt == "tiff" else None
    key: tuple[object, ...] = (fmt, facts.animated, facts.has_alpha, pages, *rules.formats)
    key += (None, *rules.converted.items())
    found = _REFUSED_FORMATS.get(key)
    if found is not None:
        return found
    if len(_REFUSED_FORMATS) >= 1024:
        _REFUSED_FORMATS.clear()
    if fmt in rules.converted:
        converted = rules.converted[fmt]
        found = Finding(
            "image.format_converted",
            f"{fmt.upper()} is not accepted as is: the publisher converts it to"
            f" {converted.upper()}",
            key="converted",
            actual=fmt,
            limit=rules.formats,
            fix=_conversion(facts, rules, converted),
        )
    else:
        found = Finding(
            "image.format_not_allowed",
            f"{fmt.upper()} is not accepted; use {', '.join(f.upper() for f in rules.formats)}",
            key="formats",
            actual=fmt,
            limit=rules.formats,
            fix=_conversion(facts, rules, plan.pick_image_target(facts, rules.formats)),
        )
    if len(fmt) <= _KEPT_FORMAT:
        _REFUSED_FORMATS[key] = found
    return found


def _conversion(facts: MediaFacts, rules: ImageRules, fallback: str) -> Fix:
    """Into the format the fix planner picks among those the platform takes as they are
    (not converted by the publisher): PNG keeps transparency and frames, else JPEG."""
    kept = [f for f in rules.formats if f not in rules.converted] or [fallback]
    target = plan.pick_image_target(facts, kept)
    return _convert(facts, target, tuple(kept))


_CONVERSIONS: dict[tuple[object, ...], Fix] = {}


def _convert(
    facts: MediaFacts, target: str, values: tuple[str, ...], prefer: str | None = None
) -> Fix:
    """``plan.convert_image(facts, target, [one_of(values, prefer)])``, made once for the few
    facts it reads (the format, transparency, animation, a TIFF's pages): a post's images are
    mostly alike, and a fix is never changed once made."""
    pages = facts.frames if facts.format == "tiff" else None
    key = (target, values, prefer, facts.format, facts.has_alpha, facts.animated, pages)
    found = _CONVERSIONS.get(key)
    if found is None:
        if len(_CONVERSIONS) >= 1024:
            _CONVERSIONS.clear()
        need = one_of(fact="format", values=values, prefer=prefer)
        found = plan.convert_image(facts, target, [need])
        if len(facts.format or "") <= _KEPT_FORMAT:
            _CONVERSIONS[key] = found
    return found


_NOT_PREFERRED: dict[tuple[object, ...], Finding] = {}


def _not_preferred(facts: MediaFacts, fmt: str, rules: ImageRules) -> Finding:
    """The finding of a still image in a format the platform takes but does not prefer: made
    once for what it says (the format, the preferred ones, why no conversion is planned) and
    what its fix reads (transparency, a TIFF's pages): a post's images are mostly alike. Where
    the platform limits bytes, the reason reads the picture's size too (a byte estimate)."""
    pages = facts.frames if fmt == "tiff" else None
    limit = rules.max_size_bytes
    key: tuple[object, ...] = (fmt, facts.has_alpha, pages, limit, *rules.preferred)
    if limit is not None:
        key += estimate_inputs(facts, rules.preferred[0])
    found = _NOT_PREFERRED.get(key)
    if found is None:
        if len(_NOT_PREFERRED) >= 1024:
            _NOT_PREFERRED.clear()
        why_not = _why_not_preferred(facts, rules)
        fix, _ = _preferred_conversion(facts, rules, why_not)
        found = Finding(
            "image.format_not_preferred",
            f"{fmt.upper()} works, but {' or '.join(p.upper() for p in rules.preferred)}"
            f" is preferred{why_not}",
            key="preferred",
            actual=fmt,
            limit=rules.preferred,
            fix=fix,
        )
        if len(fmt) <= _KEPT_FORMAT:
            _NOT_PREFERRED[key] = found
    return found


def _preferred_conversion(
    facts: MediaFacts, rules: ImageRules, why_not: str | None = None
) -> tuple[Fix | None, str]:
    """The conversion to the preferred format, offered only when it loses nothing and the new
    file is predicted (as the fix planner predicts it) to stay within the byte limit; else no
    fix, and the reason for the message."""
    if why_not is None:
        why_not = _why_not_preferred(facts, rules)
    if why_not:
        return None, why_not
    target = rules.preferred[0]
    return _convert(facts, target, tuple(rules.preferred), target), ""


def _why_not_preferred(facts: MediaFacts, rules: ImageRules) -> str:
    """Why no conversion to the preferred format is offered ("" when one is): the new file is
    predicted to exceed the byte limit."""
    limit = rules.max_size_bytes
    if limit is None:
        return ""
    target = rules.preferred[0]
    estimate = _estimated_bytes(facts, target, limit)
    if estimate is True:
        return ""
    size = facts.display_size
    shape = f" of {size[0]}x{size[1]}" if size is not None else ""
    reach = f"could reach {human_bytes(math.ceil(estimate))}" if estimate else "has no known size"
    return (
        f"; no conversion planned: a {target.upper()}{shape} {reach},"
        f" over the {human_bytes(limit)} limit"
    )


_ESTIMATES: dict[tuple[object, ...], Fraction | bool | None] = {}


def estimate_inputs(facts: MediaFacts, target: str) -> tuple[object, ...]:
    """What ``plan.estimated_bytes(facts, target)`` reads: the format, the file's size, the
    displayed size, frames and transparency, but not the file's size for a PNG made from a
    lossy picture of known size (bounded by its pixels alone): a camera's photos of one size
    share one estimate. Held to ``plan.estimated_bytes`` by tests."""
    width, height, size = facts.width, facts.height, facts.size
    if target == "png" and facts.format in plan.LOSSY_SOURCES and width and height:
        size = None
    shown = (facts.orientation, facts.rotation)  # with the sides, the displayed size
    return (target, facts.format, size, width, height, *shown, facts.frames, facts.has_alpha)


def _estimated_bytes(facts: MediaFacts, target: str, limit: int) -> Fraction | bool | None:
    """``plan.estimated_bytes``, or True when it is within ``limit``, kept by the facts it
    reads: a post's images are checked for each platform that prefers a format, and the
    estimate (and its comparison) is Fraction arithmetic."""
    key = (*estimate_inputs(facts, target), limit)
    if key in _ESTIMATES:
        return _ESTIMATES[key]
    if len(_ESTIMATES) >= 1024:
        _ESTIMATES.clear()
    estimate = plan.estimated_bytes(facts, target)
    found = True if estimate is not None and estimate <= limit else estimate
    if len(facts.format or "") <= _KEPT_FORMAT:
        _ESTIMATES[key] = found
    return found


def max_size_bytes(facts: MediaFacts, rules: ImageRules) -> Iterator[Finding]:
    limit, key = rules.max_size_bytes, "max_size_bytes"
    if rules.max_animated_size_bytes is not None and facts.animated:
        limit, key = rules.max_animated_size_bytes, "max_animated_size_bytes"
    size = facts.size
    if limit is None or size is None:
        return
    exclusive = key in rules.exclusive
    if size < limit or (size == limit and not exclusive):
        return
    what = "animated image" if key == "max_animated_size_bytes" else "image"
    yield Finding(
        "media.too_large",
        f"{what} is {size_against(size, limit, exclusive)}",
        key=key,
        actual=size,
        limit=limit,
        fix=plan.shrink_image(facts, limit, rules.formats, key, exclusive=exclusive),
    )


def size_against(size: int, limit: int, exclusive: bool) -> str:
    """``8.5 MB; the limit is 8 MB``; a strict limit says so, and a file of exactly the limit
    says its bytes (both read ``16.8 MB``)."""
    if not exclusive:
        return f"{human_bytes(size)}; the limit is {human_bytes(limit)}"
    if size == limit:
        return (
            f"exactly {human_bytes(size)} ({size:,} bytes); it must be smaller than"
            f" {human_bytes(limit)}"
        )
    return f"{human_bytes(size)}; it must be smaller than {human_bytes(limit)}"


def _at_most(**bounds: int | None) -> list[Bound]:
    return [bound(fact=fact, at_most=value) for fact, value in bounds.items() if value]


def _at_least(**bounds: int | None) -> list[Bound]:
    return [bound(fact=fact, at_least=value) for fact, value in bounds.items() if value]


def _picture_size(facts: MediaFacts) -> tuple[int, int] | None:
    """(width, height) as viewers (and platforms) see it, after EXIF orientation; None when
    unknown or no picture's (a side of 0 or less)."""
    size = facts.display_size
    return size if size is not None and min(size) > 0 else None


def min_dimensions(facts: MediaFacts, rules: ImageRules) -> Iterator[Finding]:
    size = _picture_size(facts)
    if size is None:
        return
    width, height = size
    min_w, min_h = rules.min_width or 0, rules.min_height or 0
    if width >= min_w and height >= min_h:
        return
    new_w, new_h = plan.grow_to(width, height, min_width=min_w, min_height=min_h)
    yield Finding(
        "image.too_small",
        f"image is {width}x{height} px; the minimum is {min_w}x{min_h}",
        key="min_width" if width < min_w else "min_height",
        actual=f"{width}x{height}",
        limit=f"{min_w}x{min_h}",
        fix=plan.resize_image(
            facts,
            width=new_w,
            height=new_h,
            reason="minimum",
            upscale=True,
            requires=_at_least(width=rules.min_width, height=rules.min_height),
        ),
    )


def max_dimensions(facts: MediaFacts, rules: ImageRules) -> Iterator[Finding]:
    size = _picture_size(facts)
    if size is None:
        return
    width, height = size
    too_wide = rules.max_width is not None and width > rules.max_width
    too_tall = rules.max_height is not None and height > rules.max_height
    if not (too_wide or too_tall):
        return
    new_w, new_h = plan.fit_within(
        width, height, max_width=rules.max_width, max_height=rules.max_height
    )
    limit = f"{rules.max_width or 'any'}x{rules.max_height or 'any'}"
    yield Finding(
        "image.too_large",
        f"image is {width}x{height} px; the maximum is {limit}",
        key="max_width" if too_wide else "max_height",
        actual=f"{width}x{height}",
        limit=limit,
        fix=plan.resize_image(
            facts,
            width=new_w,
            height=new_h,
            reason="maximum",
            requires=_at_most(width=rules.max_width, height=rules.max_height),
        ),
    )


def max_pixels(facts: MediaFacts, rules: ImageRules) -> Iterator[Finding]:
    if _picture_size(facts) is None or facts.width is None or facts.height is None:
        return
    limit, key = rules.max_pixels, "max_pixels"
    if rules.max_animated_pixels is not None and facts.animated:
        limit, key = rules.max_animated_pixels, "max_animated_pixels"
    pixels = facts.width * facts.height
    if limit is None or pixels <= limit:
        return
    width, height = plan.fit_within(facts.width, facts.height, max_pixels=limit)
    yield Finding(
        "image.too_many_pixels",
        f"{'animation' if facts.animated else 'image'} has {pixels:,} pixels"
        f" ({facts.width}x{facts.height}); the limit is {limit:,}",
        key=key,
        actual=pixels,
        limit=limit,
        fix=plan.resize_image(
            facts,
            width=width,
            height=height,
            reason="pixel limit",
            requires=[bound(fact="pixels", at_most=limit)],
        ),
    )


def max_dimension_sum(facts: MediaFacts, rules: ImageRules) -> Iterator[Finding]:
    limit = rules.max_dimension_sum
    if limit is None or _picture_size(facts) is None or facts.width is None or facts.height is None:
        return
    total = facts.width + facts.height
    if total <= limit:
        return
    width, height = plan.fit_within(facts.width, facts.height, max_sum=limit)
    yield Finding(
        "image.too_large",
        f"width + height is {total:,} px ({facts.width}x{facts.height}); the limit is {limit:,}",
        key="max_dimension_sum",
        actual=total,
        limit=limit,
        fix=plan.resize_image(
            facts,
            width=width,
            height=height,
            reason="width + height limit",
            requires=[bound(fact="dimension_sum", at_most=limit)],
        ),
    )


def aspect_ratio(facts: MediaFacts, rules: ImageRules) -> Iterator[Finding]:
    yield from aspect_ratio_finding(
        "image",
        facts,
        rules.min_aspect_ratio,
        rules.max_aspect_ratio,
        rules.aspect_ratio_tolerance,
    )


def aspect_ratio_finding(
    kind: str,
    facts: MediaFacts,
    low: Fraction | None,
    high: Fraction | None,
    tolerance: Fraction = Fraction(0),
) -> Iterator[Finding]:
    """Shared by images and videos: the shape must lie in [low, high] (width / height), each
    bound widened by the relative ``tolerance`` where the platform rounds the ratio it states
    (Meta's 1.91:1 takes 1200x628). A fix brings the shape to the stated range itself."""
    size = facts.display_size
    if _shape_within(size, low, high):  # the usual case: no tolerance to work out
        return
    accepted_low, accepted_high = aspect_bounds(low, high, tolerance) if tolerance else (low, high)
    if tolerance and _shape_within(size, accepted_low, accepted_high):
        return
    ratio = facts.aspect_ratio
    if ratio is None:
        return
    if accepted_low is not None and low is not None and ratio < accepted_low:
        target, key = low, "min_aspect_ratio"
    elif accepted_high is not None and high is not None and ratio > accepted_high:
        target, key = high, "max_aspect_ratio"
    else:
        return
    allowed = f"{format_ratio(low) if low else 'any'} to {format_ratio(high) if high else 'any'}"
    if tolerance:
        allowed += f" (within {float(tolerance) * 100:g}%)"
    yield Finding(
        f"{kind}.aspect_ratio_out_of_range",
        f"{kind} is {float(ratio):.4g}:1 (width:height); allowed is {allowed}",
        key=key,
        actual=round(float(ratio), 4),
        limit=allowed,
        fix=plan.reshape(
            kind, ratio, target, [bound(fact="aspect_ratio", at_least=low, at_most=high)]
        ),
    )


def _shape_within(
    size: tuple[int, int] | None, low: Fraction | None, high: Fraction | None
) -> bool:
    """``low <= width / height <= high``, exactly, in integers: no ``Fraction`` to build for the
    usual shape in range. False when unsure (no size, a side 0 or less): look closer."""
    if size is None:
        return False
    width, height = size
    if width < 0 or height <= 0:
        return False
    return (low is None or width * low.denominator >= low.numerator * height) and (
        high is None or width * high.denominator <= high.numerator * height
    )


def max_frames(facts: MediaFacts, rules: ImageRules) -> Iterator[Finding]:
    if rules.max_frames is None or facts.frames is None or facts.frames <= rules.max_frames:
        return
    if not facts.animated:  # a multi-page TIFF's pages are not animation frames
        return
    yield Finding(
        "image.too_many_frames",
        f"animation has {facts.frames} frames; the limit is {rules.max_frames}",
        key="max_frames",
        actual=facts.frames,
        limit=rules.max_frames,
        fix=plan.trim_animation(rules.max_frames),
    )


def scaled_width(facts: MediaFacts, rules: ImageRules) -> Iterator[Finding]:
    size = _picture_size(facts)
    if size is None:
        return
    width, height = size
    low, high = rules.scaled_min_width, rules.scaled_max_width
    if low is not None and width < low:
        target, key, verb = low, "scaled_min_width", "up"
    elif high is not None and width > high:
        target, key, verb = high, "scaled_max_width", "down"
    else:
        return
    new_height = max(1, round(height * target / width))
    yield Finding(
        "image.resized",
        f"image is {width} px wide; the platform scales it {verb} to {target} px",
        key=key,
        actual=width,
        limit=target,
        fix=plan.resize_image(
            facts,
            width=target,
            height=new_height,
            reason="platform width",
            upscale=verb == "up",
            requires=[bound(fact="width", at_least=low, at_most=high)],
        ),
    )


IMAGE_CHECKS: tuple[ImageCheck, ...] = (
    formats,
    max_size_bytes,
    min_dimensions,
    max_dimensions,
    max_pixels,
    max_dimension_sum,
    aspect_ratio,
    max_frames,
    scaled_width,
)


LIMIT_KEYS: dict[ImageCheck, tuple[str, ...]] = {
    formats: ("formats", "converted", "preferred"),
    max_size_bytes: ("max_size_bytes", "max_animated_size_bytes"),
    min_dimensions: ("min_width", "min_height"),
    max_dimensions: ("max_width", "max_height"),
    max_pixels: ("max_pixels", "max_animated_pixels"),
    max_dimension_sum: ("max_dimension_sum",),
    aspect_ratio: ("min_aspect_ratio", "max_aspect_ratio"),
    max_frames: ("max_frames",),
    scaled_width: ("scaled_min_width", "scaled_max_width"),
}
"""The ``[image]`` keys each check reads: with all of them unset it never yields."""


def image_checks_for(rules: ImageRules) -> tuple[ImageCheck, ...]:
    """The checks of ``IMAGE_CHECKS`` (in order) that can find something under ``rules``."""
    return checks_that_apply(IMAGE_CHECKS, LIMIT_KEYS, rules)
