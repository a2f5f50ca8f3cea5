"""Picture sizes under several limits at once: each side, width x height, width + height and
width / height.

The limits interact (Telegram: width + height <= 10,000 and a ratio within 1:20..20:1), so a
size is built, not filtered: a width is drawn from the widths for which some height works,
then a height from the heights that work with it. Breaking one rule means replacing that one
bound with its complement (``Box.replace``) and solving again; when no size satisfies the
result, the rule cannot be broken alone and the caller refuses the request.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import Literal

from hypothesis import strategies as st

from mediarules._strategies.numbers import near_int

__all__ = ["UNBOUNDED", "Box", "Ratio", "sizes"]

UNBOUNDED = 10**15
"""An upper bound that no picture reaches."""

_EDGE_SPAN = 32
_GRID_STEPS = 160


@dataclass(frozen=True)
class Ratio:
    """A bound on width / height: ``min`` (>=), ``max`` (<=), ``below`` (<) or ``above`` (>)."""

    value: Fraction
    side: Literal["min", "max", "below", "above"]

    def heights(self, width: int) -> tuple[int, int]:
        """The heights this bound allows for ``width`` (integer arithmetic, exact)."""
        num, den = self.value.numerator, self.value.denominator
        exact_floor = width * den // num  # floor(width / value)
        exact_ceil = -(-width * den // num)  # ceil(width / value)
        if self.side == "min":  # width / h >= value  <=>  h <= width / value
            return 1, exact_floor
        if self.side == "max":  # width / h <= value  <=>  h >= width / value
            return exact_ceil, UNBOUNDED
        if self.side == "below":  # width / h < value  <=>  h > width / value
            return exact_floor + 1, UNBOUNDED
        return 1, exact_ceil - 1  # above: h < width / value


@dataclass(frozen=True)
class Box:
    """Inclusive bounds on a displayed width x height."""

    width: tuple[int, int]
    height: tuple[int, int]
    pixels: tuple[int, int] = (1, UNBOUNDED)
    total: tuple[int, int] = (2, UNBOUNDED)
    ratios: tuple[Ratio, ...] = ()

    def heights(self, width: int) -> tuple[int, int] | None:
        """The heights that fit with ``width``, or None."""
        lo, hi = self.height
        lo = max(lo, -(-self.pixels[0] // width), self.total[0] - width)
        hi = min(hi, self.pixels[1] // width, self.total[1] - width)
        for ratio in self.ratios:
            low, high = ratio.heights(width)
            lo, hi = max(lo, low), min(hi, high)
        return (lo, hi) if lo <= hi else None

    @cached_property
    def widths(self) -> tuple[int, int] | None:
        """The span of widths for which some height fits, or None when nothing fits.

        Feasible widths form one interval for every table we know, so the span is found from
        a grid of candidates and refined by bisection at both ends; ``sizes`` still checks
        each drawn width and falls back to an end of the span.
        """
        lo, hi = self.width
        if lo > hi:
            return None
        grid = sorted(w for w in self._candidates() if lo <= w <= hi)
        feasible = [w for w in grid if self.heights(w) is not None]
        if not feasible:
            return None
        first, last = feasible[0], feasible[-1]
        below = [w for w in grid if w < first]
        above = [w for w in grid if w > last]
        if below:
            first = self._bisect(below[-1], first)
        if above:
            last = self._bisect(above[0], last)
        return first, last

    def _bisect(self, bad: int, good: int) -> int:
        """The feasible width nearest ``bad`` between ``bad`` (infeasible) and ``good``."""
        while abs(good - bad) > 1:
            middle = (good + bad) // 2
            if self.heights(middle) is not None:
                good = middle
            else:
                bad = middle
        return good

    def _candidates(self) -> set[int]:
        lo, hi = self.width
        found = set(range(lo, min(hi, lo + _EDGE_SPAN) + 1))
        found |= set(range(max(lo, hi - _EDGE_SPAN), hi + 1))
        step = max(1, (hi - lo) // _GRID_STEPS)
        found |= set(range(lo, hi + 1, step)) if hi - lo < 10**7 else set()
        value = float(max(lo, 1))
        while value <= hi:
            found.add(int(value))
            value *= 1.1
        marks: set[int] = set()
        for h in (*self.height, *self.total, *self.pixels):
            if 0 < h < UNBOUNDED:
                marks.add(h)
        for p in self.pixels:
            if 0 < p < UNBOUNDED:
                marks.add(math.isqrt(p))
        for ratio in self.ratios:
            for h in self.height:
                if 0 < h < UNBOUNDED:
                    marks.add(int(ratio.value * h))
        for mark in marks:
            found |= set(range(mark - 2, mark + 3))
        return found


def sizes(box: Box) -> st.SearchStrategy[tuple[int, int]]:
    """(width, height) pairs inside ``box``, crowding its edges; ``box.widths`` must exist."""
    if box.widths is None:
        raise ValueError(f"no size fits {box}")
    return _draw_size(box, near_int(*box.widths, box.width))


@st.composite
def _draw_size(draw: st.DrawFn, box: Box, widths: st.SearchStrategy[int]) -> tuple[int, int]:
    width = draw(widths)
    heights = box.heights(width)
    if heights is None:  # a hole inside the span (never seen with the shipped table)
        assert box.widths is not None
        width = box.widths[0]
        heights = box.heights(width)
        assert heights is not None
    return width, draw(near_int(*heights))
