"""Values no picture or video can have: a side of 0 (or past any format's bound), a frame rate
of 0 or less. A file whose header says one is corrupt, whoever asks (``inspect`` or ``check``);
a record that declares one is wrong (``intake``)."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

MAX_SIDE = 2**31 - 1
"""The widest or tallest a picture can be (PNG's own bound; JPEG stops at 65,535)."""


def impossible_picture_values(values: Mapping[str, object]) -> dict[str, str]:
    """Field -> what it says, for each side of 0 or less (or past ``MAX_SIDE``) and each frame
    rate of 0 or less among ``values`` (``MediaFacts`` fields)."""
    found: dict[str, str] = {}
    for side in ("width", "height"):
        value = values.get(side)
        if isinstance(value, int) and not 0 < value <= MAX_SIDE:
            found[side] = f"{side} {value:,} px"
    fps = values.get("fps")
    if isinstance(fps, Fraction | int | float) and fps <= 0:
        found["fps"] = f"frame rate {float(fps):g} fps"
    return found
