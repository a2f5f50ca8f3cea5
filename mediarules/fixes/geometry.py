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
    refuses an oversized file outright.
    """
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

    scale = Fraction(1)
    if min_width is not None and canvas_w < min_width:
        scale = max(scale, min_width / canvas_w)
    if min_height is not None and canvas_h < min_height:
        scale = max(scale, min_height / canvas_h)
    shrink = Fraction(1)
    if max_width is not None and canvas_w > max_width:
        shrink = min(shrink, max_width / canvas_w)
    if max_height is not None and canvas_h > max_height:
        shrink = min(shrink, max_height / canvas_h)
    if max_dimension_sum is not None and canvas_w + canvas_h > max_dimension_sum:
        shrink = min(shrink, max_dimension_sum / (canvas_w + canvas_h))
    if max_pixels is not None and canvas_w * canvas_h > max_pixels:
        root = Fraction(math.isqrt(int(max_pixels * 10**6 / (canvas_w * canvas_h))), 1000)
        shrink = min(shrink, root)
    if shrink < 1:
        scale = shrink

    def side(value: Fraction, upper: int | None) -> int:
        size = max(1, math.floor(value * scale))
        if even:
            size = max(2, size - size % 2)
        return min(size, upper) if upper is not None else size

    step = 2 if even else 1
    w, h = side(canvas_w, max_width), side(canvas_h, max_height)
    while max_pixels is not None and w * h > max_pixels and w > step and h > step:
        w, h = w - step, h - step
    # rounding down may have pushed the shape just out of range: nudge it back in
    while min_aspect_ratio is not None and Fraction(w, h) < min_aspect_ratio and h > step:
        h -= step
    while max_aspect_ratio is not None and Fraction(w, h) > max_aspect_ratio and w > step:
        w -= step
    canvas = (w, h)
    if target == ratio:
        content = canvas
    else:
        # the picture keeps its own ratio inside (pad) or around (crop) the canvas
        fit = min if mode == "pad" else max
        factor = fit(Fraction(canvas[0], width), Fraction(canvas[1], height))
        content = (max(1, math.floor(width * factor)), max(1, math.floor(height * factor)))
    return Geometry(content=content, canvas=canvas)
