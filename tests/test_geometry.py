"""Output geometry: every maximum holds, the shape lands in range, pad and crop keep the picture."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mediarules.fixes.geometry import Geometry, plan_geometry

INSTAGRAM = {"min_aspect_ratio": Fraction(4, 5), "max_aspect_ratio": Fraction(191, 100)}


def test_nothing_binds_nothing_changes() -> None:
    assert plan_geometry(1234, 567) == Geometry(content=(1234, 567), canvas=(1234, 567))


def test_linkedin_pixel_budget_is_used_almost_fully() -> None:
    geometry = plan_geometry(8000, 6000, max_pixels=36_152_319, max_width=8192, max_height=8192)
    width, height = geometry.canvas
    assert width * height <= 36_152_319
    assert width * height > 36_152_319 * 0.999
    assert abs(Fraction(width, height) / Fraction(4, 3) - 1) < Fraction(1, 1000)


@pytest.mark.parametrize(
    ("size", "bounds", "expected"),
    [
        # an upscale for a minimum stops at a maximum instead of stretching one side
        ((10, 10), {"min_width": 100, "max_height": 50}, (50, 50)),
        ((100, 10), {"min_height": 100, "max_width": 500}, (500, 50)),
        # the sum of the sides is a maximum too
        ((10, 10), {"min_width": 100, "max_dimension_sum": 100}, (50, 50)),
        # a one-pixel-high strip still meets the pixel budget
        ((100_000, 1), {"max_pixels": 10}, (10, 1)),
    ],
)
def test_maximums_win_over_minimums(
    size: tuple[int, int], bounds: dict[str, int], expected: tuple[int, int]
) -> None:
    geometry = plan_geometry(*size, **bounds)  # type: ignore[arg-type]
    assert geometry.canvas == expected
    assert geometry.content == expected


def test_pad_rounds_the_bars_up_instead_of_shrinking_the_picture() -> None:
    # 1200 / 628 is just over 1.91: one more row of bar, not a resampled 1199x627 picture
    geometry = plan_geometry(1200, 628, mode="pad", **INSTAGRAM)  # type: ignore[arg-type]
    assert geometry.content == (1200, 628)
    assert geometry.canvas == (1200, 629)


def test_crop_cuts_without_resampling() -> None:
    geometry = plan_geometry(1200, 628, mode="crop", **INSTAGRAM)  # type: ignore[arg-type]
    assert geometry.content == (1200, 628)
    assert geometry.canvas == (1199, 628)
    assert Fraction(*geometry.canvas) <= Fraction(191, 100)


def test_exact_ratio_reachable() -> None:
    story = {"min_aspect_ratio": Fraction(9, 16), "max_aspect_ratio": Fraction(9, 16)}
    geometry = plan_geometry(1080, 1080, **story)  # type: ignore[arg-type]
    assert geometry.canvas == (1080, 1920)
    assert geometry.content == (1080, 1080)
    assert geometry.offset == (0, 420)


def test_even_sides_for_video() -> None:
    geometry = plan_geometry(1921, 1081, max_width=1280, even=True)
    assert all(side % 2 == 0 for side in geometry.canvas)


ratios = st.fractions(min_value=Fraction(1, 4), max_value=Fraction(4), max_denominator=100)


@st.composite
def cases(draw: st.DrawFn) -> tuple[int, int, dict[str, object]]:
    width = draw(st.integers(1, 6000))
    height = draw(st.integers(1, 6000))
    bounds: dict[str, object] = {
        "max_width": draw(st.none() | st.integers(1, 4000)),
        "max_height": draw(st.none() | st.integers(1, 4000)),
        "max_pixels": draw(st.none() | st.integers(1, 10_000_000)),
        "max_dimension_sum": draw(st.none() | st.integers(2, 8000)),
        "min_width": draw(st.none() | st.integers(1, 3000)),
        "min_height": draw(st.none() | st.integers(1, 3000)),
        "mode": draw(st.sampled_from(["pad", "crop"])),
    }
    # a range holding 1:1 can always be met exactly in whole pixels, whatever the size
    if draw(st.booleans()):
        bounds["min_aspect_ratio"] = draw(ratios.filter(lambda r: r <= 1))
        bounds["max_aspect_ratio"] = draw(ratios.filter(lambda r: r >= 1))
    return width, height, bounds


@settings(max_examples=400, deadline=None)
@given(cases())
def test_every_maximum_and_the_aspect_range_hold(
    case: tuple[int, int, dict[str, object]],
) -> None:
    width, height, bounds = case
    geometry = plan_geometry(width, height, **bounds)  # type: ignore[arg-type]
    (w, h), (cw, ch) = geometry.canvas, geometry.content
    assert w >= 1 and h >= 1 and cw >= 1 and ch >= 1

    def bound(name: str) -> int | None:
        value = bounds.get(name)
        return value if isinstance(value, int) else None

    max_width, max_height = bound("max_width"), bound("max_height")
    max_pixels, max_sum = bound("max_pixels"), bound("max_dimension_sum")
    assert max_width is None or w <= max_width
    assert max_height is None or h <= max_height
    assert max_pixels is None or w * h <= max_pixels
    assert max_sum is None or w + h <= max_sum
    low, high = bounds.get("min_aspect_ratio"), bounds.get("max_aspect_ratio")
    if isinstance(low, Fraction) and isinstance(high, Fraction):
        assert low <= Fraction(w, h) <= high
    if (max_width, max_height, max_pixels, max_sum) == (None, None, None, None):
        min_width, min_height = bound("min_width"), bound("min_height")
        assert min_width is None or w >= min_width
        assert min_height is None or h >= min_height
    if geometry.changed_shape:
        if bounds["mode"] == "pad":
            assert cw <= w and ch <= h
        else:
            assert cw >= w and ch >= h
        # the picture keeps its own shape (to a pixel of rounding)
        assert abs(cw * height - ch * width) <= max(width, height)
