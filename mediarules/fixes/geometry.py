"""Output frame sizes: one computation for images and videos, so both meet the same bounds.

First the shape (pad or crop to the nearest in-range aspect ratio), then one scale that meets
every size bound at once: the tightest box, the pixel budget, width + height, the minimums.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

AspectMode = Literal["pad", "crop"]


@dataclass(frozen=True)
class Geometry:
    """``content``: the picture's scaled size; ``canvas``: the output frame. They differ when
    bars are added (pad) or edges cut (crop); ``offset`` places content on the canvas (negative
    when cropping)."""

    content: tuple[int, int]
    canvas: tuple[int, int]

    @property
    def offset(self) -> tuple[int, int]:
        return (
            (self.canvas[0] - self.content[0]) // 2,
            (self.canvas[1] - self.content[1]) // 2,
        )

    @property
    def changed_shape(self) -> bool:
        return self.content != self.canvas


def plan_geometry(
    width: int,
    height: int,
    *,
    max_width: int | None = None,
    max_height: int | None = None,
    max_pixels: int | None = None,
    max_dimension_sum: int | None = None,
    min_width: int | None = None,
    min_height: int | None = None,
    min_aspect_ratio: Fraction | None = None,
    max_aspect_ratio: Fraction | None = None,
    mode: AspectMode = "pad",
    even: bool = False,
) -> Geometry:
    """The output size for a ``width`` x ``height`` picture; unchanged when it already fits.

    ``even`` rounds both sides to even numbers (H.264 with 4:2:0 chroma needs it). When the
    bounds contradict each other (a minimum above a maximum) the maximums win: a platform
    refuses an oversized file outright. A side or maximum of 0 (no picture's, no platform's:
    intake and the rules refuse them) counts as 1, so a stray one cannot divide by zero.
    """
    width, height = max(1, width), max(1, height)
    max_width, max_height = _at_least_1(max_width), _at_least_1(max_height)
    max_pixels, max_dimension_sum = _at_least_1(max_pixels), _at_least_1(max_dimension_sum)
    ratio = Fraction(width, height)
    target = ratio
    if min_aspect_ratio is not None and ratio < min_aspect_ratio:
        target = min_aspect_ratio
    elif max_aspect_ratio is not None and ratio > max_aspect_ratio:
        target = max_aspect_ratio
    canvas_w, canvas_h = Fraction(width), Fraction(height)
    if target != ratio:
        widen = target > ratio
        if (mode == "pad") == widen:
            canvas_w = canvas_h * target
        else:
            canvas_h = canvas_w / target

    # One scale for every bound: at least what the minimums ask, at most what the maximums
    # allow (they win: an upscale for a minimum must not push a side past a maximum).
    scale = Fraction(1)
    if min_width is not None and canvas_w < min_width:
        scale = max(scale, min_width / canvas_w)
    if min_height is not None and canvas_h < min_height:
        scale = max(scale, min_height / canvas_h)
    limit = _max_scale(canvas_w, canvas_h, max_width, max_height, max_pixels, max_dimension_sum)
    if limit is not None:
        scale = min(scale, limit)

    def side(value: Fraction, upper: int | None) -> int:
        size = max(1, math.floor(value * scale))
        if even:
            size = max(2, size - size % 2)
        return min(size, upper) if upper is not None else size

    step = 2 if even else 1
    w, h = side(canvas_w, max_width), side(canvas_h, max_height)
    if max_pixels is not None and w * h > max_pixels:
        # only when a side was held at its smallest (a very thin picture): trim the other one
        if w >= h:
            w = max(step, _down(max_pixels // h, step))
        else:
            h = max(step, _down(max_pixels // w, step))

    def fits(size: tuple[int, int]) -> bool:
        w, h = size
        return (
            (max_width is None or w <= max_width)
            and (max_height is None or h <= max_height)
            and (max_pixels is None or w * h <= max_pixels)
            and (max_dimension_sum is None or w + h <= max_dimension_sum)
        )

    def meets(size: tuple[int, int]) -> bool:
        return (min_width is None or size[0] >= min_width) and (
            min_height is None or size[1] >= min_height
        )

    def choose(grown: tuple[int, int], cut: tuple[int, int]) -> tuple[int, int]:
        """Padding grows its bars (the picture keeps its size), anything else loses a pixel;
        the other way when the first breaks a bound, and never past a maximum."""
        first, second = (grown, cut) if padding else (cut, grown)
        for size in (first, second):
            if fits(size) and meets(size):
                return size
        return grown if fits(grown) else cut

    # Rounding may have pushed the shape just out of range: nudge it back in by a pixel.
    padding = mode == "pad" and target != ratio
    if min_aspect_ratio is not None and Fraction(w, h) < min_aspect_ratio:
        wider = (_up(math.ceil(h * min_aspect_ratio), step), h)
        w, h = choose(wider, (w, max(step, _down(math.floor(w / min_aspect_ratio), step))))
    if max_aspect_ratio is not None and Fraction(w, h) > max_aspect_ratio:
        taller = (w, _up(math.ceil(w / max_aspect_ratio), step))
        w, h = choose(taller, (max(step, _down(math.floor(h * max_aspect_ratio), step)), h))
    canvas = (w, h)
    if target == ratio:
        content = canvas
    else:
        # the picture keeps its own ratio inside (pad) or around (crop) the canvas
        fit = min if mode == "pad" else max
        factor = fit(Fraction(canvas[0], width), Fraction(canvas[1], height))
        content = (max(1, math.floor(width * factor)), max(1, math.floor(height * factor)))
    return Geometry(content=content, canvas=canvas)


def _max_scale(
    width: Fraction,
    height: Fraction,
    max_width: int | None,
    max_height: int | None,
    max_pixels: int | None,
    max_dimension_sum: int | None,
) -> Fraction | None:
    """The largest scale every maximum allows (``None``: no maximum)."""
    limits: list[Fraction] = []
    if max_width is not None:
        limits.append(max_width / width)
    if max_height is not None:
        limits.append(max_height / height)
    if max_dimension_sum is not None:
        limits.append(max_dimension_sum / (width + height))
    if max_pixels is not None:
        budget = max_pixels / (width * height)
        # the square root, rounded down to 1e-6 (never above the true root)
        root = math.isqrt(budget.numerator * 10**12 // budget.denominator)
        limits.append(Fraction(root, 10**6))
    return min(limits, default=None)


def _at_least_1(bound: int | None) -> int | None:
    return None if bound is None else max(1, bound)


def _down(value: int, step: int) -> int:
    return value - value % step


def _up(value: int, step: int) -> int:
    return value + (-value) % step
