"""Values no picture or video can have: a side of 0 (or past any format's bound), a frame rate
of 0 or less (or over a billion). A file whose header says one is corrupt, whoever asks
(``inspect`` or ``check``); a record that declares one is wrong (``intake``)."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from mediarules.models import MAX_RATE_MAGNITUDE

MAX_SIDE = 2**31 - 1
"""The widest or tallest a picture can be (PNG's own bound; JPEG stops at 65,535)."""


def impossible_picture_values(values: Mapping[str, object]) -> dict[str, str]:
    """Field -> what it says, for each side of 0 or less (or past ``MAX_SIDE``) and each frame
    rate of 0 or less (or past ``MAX_RATE_MAGNITUDE``) among ``values`` (``MediaFacts``
    fields)."""
    found: dict[str, str] = {}
    for side in ("width", "height"):
        value = values.get(side)
        if isinstance(value, int) and not 0 < value <= MAX_SIDE:
            found[side] = f"{side} {shown_number(value, MAX_SIDE)} px"
    fps = values.get("fps")
    if isinstance(fps, Fraction | int | float) and not 0 < fps <= MAX_RATE_MAGNITUDE:
        found["fps"] = f"frame rate {shown_number(fps, MAX_RATE_MAGNITUDE)} fps"
    return found


def shown_number(value: Fraction | float, bound: int) -> str:
    """``value`` as a message shows it, or "over BOUND" past ``bound`` either way: ``10**400``
    prints as 400 digits, and ``10**400 / 3`` cannot be made a float at all."""
    if -bound <= value <= bound:
        return f"{value:,}" if isinstance(value, int) else f"{float(value):g}"
    return f"over {bound:,}" if value > 0 else f"below -{bound:,}"
