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

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import Field

from mediarules.formatting import human_seconds as _human_seconds
from mediarules.models import MediaFacts, Severity
from mediarules.requirements import Bound, Requirement

__all__ = ["LIMITS", "LimitKind", "half_a_frame", "limits_of"]

Number = int | float | Fraction


def _thousands(value: Any) -> str:
    return f"{value:,}"


def half_a_frame(facts: MediaFacts) -> Fraction:
    """Durations compare to the frame: a duration is counted in whole frames at the video's
    rate, so one less than half a frame past a limit meets it (a container rounds to the
    millisecond, an audio track may overhang the picture) and one half a frame past or more
    is a frame too many. Nothing when the rate is unknown: compared exactly."""
    if facts.fps is None or facts.fps <= 0:
        return Fraction(0)
    return 1 / (2 * facts.fps)


def human_seconds(value: Any) -> str:
    return _human_seconds(float(value))


@dataclass(frozen=True)
class LimitKind:
    """One kind of limit. ``comparison``: ``at_most`` (a number, inclusive unless
    ``exclusive``; a value within ``slack`` of the limit meets it) or ``one_of`` (a list of
    allowed values)."""

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
    show: Callable[[Any], str] = _thousands
    """A value or limit in a message (``3 min``, ``36,000``)."""
    slack: Callable[[MediaFacts], Fraction] | None = None
    """How far past the limit a value still meets it, for these facts (a duration: a frame)."""
    within: str | None = None
    """Another key of the section, a harder limit of the same fact: past it, that limit's
    finding says it all and this kind says nothing."""

    def broken(self, limit: Any, value: Number, slack: Number = 0) -> bool:
        """Past ``limit``: over it (at it, when ``exclusive``), or a whole ``slack`` past it
        where a value within less than ``slack`` meets it (a duration: half a frame)."""
        if self.comparison == "one_of":
            return bool(value not in limit)
        if self.exclusive or slack:
            return bool(value >= limit + slack)
        return bool(value > limit)

    def may_break(self, limit: Any) -> Callable[[MediaFacts], bool]:
        """A test true for every file whose fact this kind reports under ``limit`` (and maybe a
        few more): past the limit itself. The slack and the harder limit are left to the check
        (``checks.registered``): they only hold a finding back. The engine runs the check only
        where this says yes (``checks.screens``)."""
        fact, broken = self.fact, self.broken

        def may_break(facts: MediaFacts) -> bool:
            value = fact(facts)
            return value is not None and broken(limit, value)

        return may_break

    def amount(self, value: Any) -> str:
        """A value with its unit: ``36,000 frames``, ``3 min`` (a duration shows its own)."""
        shown = self.show(value)
        return f"{shown} {self.unit}" if self.show is _thousands else shown

    def near(self, limit: Any) -> tuple[Number, Number]:
        """A value that passes and one that breaks ``limit``: for strategies and table tests."""
        if self.comparison == "one_of":
            allowed = sorted(limit)
            return allowed[0], max(allowed) + 1
        inside = limit - 1 if self.exclusive else limit
        return inside, limit + 1 if not self.exclusive else limit


def _frame_count(facts: MediaFacts) -> int | None:
    """A video's frames: its duration at its rate (what a transcoder counts), rounded half to
    even as ``round(fps * Fraction(duration_s))``, in integers (``Fraction`` arithmetic cost
    microseconds per video and platform)."""
    fps, seconds = facts.fps, facts.duration_s
    if facts.kind != "video" or fps is None or seconds is None:
        return None
    if not isinstance(seconds, float | int) or not math.isfinite(seconds):
        return round(fps * Fraction(seconds))
    top, bottom = seconds.as_integer_ratio()
    top *= fps.numerator
    bottom *= fps.denominator
    whole, rest = divmod(top, bottom)
    twice = 2 * rest
    return whole + (twice > bottom or (twice == bottom and whole % 2 == 1))


def _duration(facts: MediaFacts) -> float | None:
    """A video's duration, as declared."""
    return facts.duration_s if facts.kind == "video" else None


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
    LimitKind(
        section="video",
        key="default_max_duration_s",
        annotation=Annotated[float, Field(gt=0, le=10**7, allow_inf_nan=False)],
        description="The longest video every account may post; some accounts may post longer"
        " (TikTok: 3 min for all creators, 5 or 10 for some). Longer ones are warned until"
        " the account's own limit replaces this one (--tiktok-creator-info).",
        unit="s",
        comparison="at_most",
        fact=_duration,
        message="video is {value} long; every account may post {limit}, some longer:"
        " check this account's own limit",
        code="video.duration_over_default",
        severity=Severity.WARNING,
        what="The video is longer than every account may post; some accounts may post it.",
        why="TikTok lets all creators post 3-minute videos and some 5 or 10 minutes; the"
        " creator's own limit (creator_info/query max_video_post_duration_sec) decides, and"
        " TikTok may make the creator trim a longer video.",
        fix="Trim the video to the default limit, or give the account's own limit"
        " (--tiktok-creator-info). (unsafe: cuts the end)",
        requirement=lambda limit, facts: Bound(fact="duration_s", at_most=Fraction(limit)),
        show=human_seconds,
        slack=half_a_frame,
        within="max_duration_s",
    ),
)


def limits_of(section: str) -> tuple[LimitKind, ...]:
    return tuple(kind for kind in LIMITS if kind.section == section)
