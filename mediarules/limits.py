"""The registry of limit kinds declared once: a rules key, the fact it bounds, the code it
raises and the requirement that satisfies it.

From one :class:`LimitKind` follow the rules schema field (``ruleset``), the check
(``checks.registered``), the code's explanation (``codes``), the requirement the fix planner
merges (``requirements``), the strategies' near-limit facts and the table-derived test cases.
Adding a kind of limit is a row here, the fact it reads (a field of ``MediaFacts`` and the
inspection that fills it), the table's values and tests: nothing else.

The older kinds (sizes, pixels, frame rates, codecs...) are still declared by hand in
``ruleset`` and ``checks``; they move here one at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import Field

from mediarules.models import MediaFacts, Severity
from mediarules.requirements import Bound, Requirement

__all__ = ["LIMITS", "LimitKind", "limits_of"]

Number = int | Fraction


@dataclass(frozen=True)
class LimitKind:
    """One kind of limit. ``comparison``: ``at_most`` (a number, inclusive unless
    ``exclusive``) or ``one_of`` (a list of allowed values)."""

    section: Literal["image", "video"]
    key: str
    annotation: Any
    """The schema type of the rules value, with its sane bounds."""
    description: str
    unit: str
    comparison: Literal["at_most", "one_of"]
    fact: Callable[[MediaFacts], Number | None]
    """Reads the fact from a file's facts; None when unknown (nothing is reported)."""
    message: str
    """The finding's sentence; ``{value}`` and ``{limit}`` are filled in, formatted."""
    code: str
    severity: Severity
    what: str
    why: str
    fix: str
    """The code's explanation: what it means, why the platform cares, how to fix it."""
    requirement: Callable[[Any, MediaFacts], Requirement | None]
    """What a fixed file must meet, for this limit and these facts; None when no executor
    can do it (the fix is then a person's)."""
    by_hand: str = ""
    """The manual fix's title when ``requirement`` gives None (``{limit}`` is filled in)."""
    exclusive: bool = False

    def broken(self, limit: Any, value: Number) -> bool:
        if self.comparison == "one_of":
            return bool(value not in limit)
        return bool(value >= limit if self.exclusive else value > limit)

    def near(self, limit: Any) -> tuple[Number, Number]:
        """A value that passes and one that breaks ``limit``: for strategies and table tests."""
        if self.comparison == "one_of":
            allowed = sorted(limit)
            return allowed[0], max(allowed) + 1
        inside = limit - 1 if self.exclusive else limit
        return inside, limit + 1 if not self.exclusive else limit


def _frame_count(facts: MediaFacts) -> int | None:
    """A video's frames: its duration at its rate (what a transcoder counts)."""
    if facts.kind != "video" or facts.fps is None or facts.duration_s is None:
        return None
    return round(facts.fps * Fraction(facts.duration_s))


def _within_frames(limit: int, facts: MediaFacts) -> Requirement | None:
    """Frames are cut from the end: at the file's rate, ``limit`` frames last this long."""
    if facts.fps is None or facts.fps <= 0:
        return None
    return Bound(fact="duration_s", at_most=Fraction(limit) / facts.fps)


LIMITS: tuple[LimitKind, ...] = (
    LimitKind(
        section="video",
        key="max_frames",
        annotation=Annotated[int, Field(ge=1, le=10**9)],
        description="Most frames a video may have (its duration at its frame rate).",
        unit="frames",
        comparison="at_most",
        fact=_frame_count,
        message="video has {value} frames; the platform keeps at most {limit}",
        code="video.too_many_frames",
        severity=Severity.WARNING,
        what="The video has more frames than the platform keeps.",
        why="Mastodon's transcoder keeps at most 36,000 frames (MAX_VIDEO_FRAMES, about"
        " 5 minutes at 120 fps): the rest of the video is cut.",
        fix="Trim the video to that many frames. (unsafe: loses the end of the video)",
        requirement=_within_frames,
    ),
    LimitKind(
        section="video",
        key="audio_sample_rates",
        annotation=Annotated[list[Annotated[int, Field(ge=1, le=10**6)]], Field(min_length=1)],
        description="Audio sample rates the platform asks for, in Hz.",
        unit="Hz",
        comparison="one_of",
        fact=lambda facts: facts.audio_sample_rate,
        message="audio is sampled at {value} Hz; the platform asks for {limit} Hz",
        code="audio.sample_rate_not_allowed",
        severity=Severity.WARNING,
        what="The audio's sample rate is not one the platform asks for.",
        why="Meta's Reels publishing guide asks for 48 kHz AAC audio; other rates may be"
        " resampled or refused.",
        fix="Export the audio again at an accepted sample rate. (manual)",
        requirement=lambda limit, facts: None,
        by_hand="Export the audio at {limit} Hz",
    ),
)


def limits_of(section: str) -> tuple[LimitKind, ...]:
    return tuple(kind for kind in LIMITS if kind.section == section)
