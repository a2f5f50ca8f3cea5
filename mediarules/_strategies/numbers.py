"""Numbers that crowd around limits.

A limit is broken or kept by one unit: the interesting values of a range are its ends and the
values next to each limit inside it. Each strategy here draws a value from three equally
likely branches: exactly an end (or a limit inside the range), a neighbour of one, or
anything in the range. Hypothesis shrinks towards the first branch, i.e. towards the edges.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction

from hypothesis import strategies as st

__all__ = ["STANDARD_FPS", "near_float", "near_fps", "near_int"]

STANDARD_FPS: tuple[Fraction, ...] = tuple(
    sorted(
        {
            Fraction(24000, 1001),
            Fraction(30000, 1001),
            Fraction(60000, 1001),
            Fraction(120000, 1001),
            *(Fraction(n) for n in (8, 10, 12, 15, 20, 23, 24, 25, 30, 48, 50, 60, 90, 120, 240)),
            Fraction(25, 2),
        }
    )
)
"""Frame rates cameras and editors really write, NTSC's 1000/1001 rates included."""


def near_int(lo: int, hi: int, marks: Iterable[int] = ()) -> st.SearchStrategy[int]:
    """Integers in [lo, hi], mostly lo, hi and the neighbours of each mark."""
    if lo > hi:
        raise ValueError(f"empty range [{lo}, {hi}]")
    edges = sorted({m for m in (lo, hi, *marks) if lo <= m <= hi})
    points = sorted({p for m in edges for p in (m - 1, m + 1) if lo <= p <= hi} or edges)
    return st.one_of(st.sampled_from(edges), st.sampled_from(points), st.integers(lo, hi))


def near_float(
    lo: float, hi: float, *, exclude_min: bool = False, exclude_max: bool = False
) -> st.SearchStrategy[float]:
    """Floats in [lo, hi] (ends excluded on request), mostly the ends, the floats just inside
    them and a millisecond inside them."""
    first = math.nextafter(lo, math.inf) if exclude_min else lo
    last = math.nextafter(hi, -math.inf) if exclude_max else hi
    if first > last:
        raise ValueError(f"empty range [{lo}, {hi}]")
    candidates = {
        math.nextafter(first, math.inf),
        math.nextafter(last, -math.inf),
        first + 0.001,
        last - 0.001,
    }
    points = sorted(p for p in candidates if first <= p <= last) or [first]
    return st.one_of(
        st.sampled_from(sorted({first, last})),
        st.sampled_from(points),
        st.floats(lo, hi, exclude_min=exclude_min, exclude_max=exclude_max, allow_nan=False),
    )


def near_fps(
    lo: Fraction, hi: Fraction, *, exclude_min: bool = False, exclude_max: bool = False
) -> st.SearchStrategy[Fraction]:
    """Exact frame rates in [lo, hi]: the ends (a thousandth inside an excluded one), a
    thousandth inside them and the standard rates in range (23.976 under a 24 fps minimum),
    then any fraction with a denominator up to 1001."""

    def inside(rate: Fraction) -> bool:
        above = rate > lo if exclude_min else rate >= lo
        below = rate < hi if exclude_max else rate <= hi
        return rate > 0 and above and below

    step = Fraction(1, 1000)
    nearest = {lo if inside(lo) else lo + step, hi if inside(hi) else hi - step}
    edges = sorted(p for p in nearest if inside(p))
    points = sorted(p for p in {lo + step, hi - step, *STANDARD_FPS} if inside(p))
    if not edges or not points:
        raise ValueError(f"no frame rate in [{lo}, {hi}]")
    anything = st.fractions(lo, hi, max_denominator=1001).filter(inside)
    return st.one_of(st.sampled_from(edges), st.sampled_from(points), anything)
