"""The limit kinds declared once in ``mediarules.limits``: each gives a rules key, a check, a
code, a requirement the fix planner carries out, and these table-derived cases."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mediarules
from mediarules import Applicability, MediaFacts
from mediarules.codes import CODES, explain
from mediarules.fixes.api import apply_fixes, plan_fixes
from mediarules.limits import LIMITS, LimitKind, _frame_count
from mediarules.ruleset import RuleConfigError, as_ruleset, load_rules
from tests.media import make_video

RULES = as_ruleset(None)
CASES = [
    (kind, key)
    for kind in LIMITS
    for key, platform in RULES.platforms.items()
    if getattr(getattr(platform, kind.section), kind.key) is not None
    and (kind.section != "video" or platform.post.max_videos != 0)  # else videos go unchecked
]


def test_every_registered_kind_is_set_somewhere_and_explained() -> None:
    assert {kind.key for kind, _ in CASES} == {kind.key for kind in LIMITS}
    for kind in LIMITS:
        assert CODES[kind.code].severity is kind.severity
        assert kind.what in explain(kind.code)


def facts_with(kind: LimitKind, value: int) -> MediaFacts:
    """A plain, valid H.264/AAC clip whose fact for ``kind`` is ``value``."""
    base = {"kind": "video", "format": "mp4", "size": 1_000_000, "width": 1080,
            "height": 1920, "fps": 30, "duration_s": 10.0, "video_codec": "h264",
            "audio_codec": "aac", "audio_sample_rate": 48_000}  # fmt: skip
    if kind.key == "max_frames":
        base["duration_s"] = value / 30
    elif kind.key == "audio_sample_rates":
        base["audio_sample_rate"] = value
    elif kind.key == "default_max_duration_s":
        base["duration_s"] = float(value)
    return MediaFacts.model_validate(base)


@pytest.mark.parametrize(("kind", "platform"), CASES, ids=[f"{k.key}-{p}" for k, p in CASES])
def test_the_table_value_is_the_edge(kind: LimitKind, platform: str) -> None:
    limit = getattr(getattr(RULES.platforms[platform], kind.section), kind.key)
    inside, outside = kind.near(limit)
    passing = mediarules.check([facts_with(kind, int(inside))], platforms=platform)
    assert kind.code not in [v.code for v in passing.violations]
    failing = mediarules.check([facts_with(kind, int(outside))], platforms=platform)
    (found,) = [v for v in failing.violations if v.code == kind.code]
    assert found.severity is kind.severity and found.fix is not None
    assert found.source is not None and "read 2026" in found.source  # cited, with its date


def test_mastodon_keeps_36000_frames(tmp_path: Path) -> None:
    over = MediaFacts(kind="video", format="mp4", size=10**7, width=1280, height=720,
                      fps=Fraction(120),
                      duration_s=301.0, video_codec="h264", audio_codec="aac")  # fmt: skip
    (found,) = [
        v for v in mediarules.check([over], platforms="mastodon").violations
        if v.code == "video.too_many_frames"
    ]  # fmt: skip
    assert found.actual == 36_120 and found.limit == 36_000
    assert found.fix is not None and found.fix.title.startswith("Trim to 300 s")


def test_a_frame_limit_is_fixed_by_trimming_a_real_clip(tmp_path: Path) -> None:
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text("[platforms.mastodon.video]\nmax_frames = 30\n")
    ruleset = load_rules(rules_file)
    clip = make_video(tmp_path / "clip.mp4", fps=24, frames=48, size=(320, 240))
    report = mediarules.check([clip], platforms="mastodon", rules=ruleset)
    (found,) = [v for v in report.violations if v.code == "video.too_many_frames"]
    assert found.actual == 48 and found.fix is not None
    assert found.fix.applicability is Applicability.UNSAFE

    result = apply_fixes(plan_fixes([clip], platforms="mastodon", rules=ruleset),
                         tmp_path / "out", unsafe=True)  # fmt: skip
    assert result.ok, [p.report for p in result.posts]
    (written,) = result.written
    facts = mediarules.inspect(written.path)
    assert facts.duration_s is not None and round(facts.duration_s * 24) <= 30


@pytest.mark.parametrize(("rate", "warned"), [(44_100, True), (48_000, False)])
def test_reels_ask_for_48_khz_audio(tmp_path: Path, rate: int, warned: bool) -> None:
    clip = make_video(tmp_path / "reel.mp4", fps=30, duration_s=3.5, size=(540, 960),
                      sample_rate=rate)  # fmt: skip
    assert mediarules.inspect(clip).audio_sample_rate == rate
    report = mediarules.check([clip], platforms="facebook:reel")
    found = [v for v in report.violations if v.code == "audio.sample_rate_not_allowed"]
    assert bool(found) is warned
    if found:
        assert found[0].fix is not None
        assert found[0].fix.applicability is Applicability.MANUAL
        assert found[0].fix.title == "Export the audio at 48000 Hz"
        assert found[0].message == (
            "audio is sampled at 44,100 Hz; the platform asks for 48,000 Hz"
        )


def test_registered_keys_are_validated_like_the_others(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[platforms.mastodon.video]\nmax_frame = 10\n")
    with pytest.raises(RuleConfigError, match="did you mean 'max_frames'"):
        load_rules(bad)
    bad.write_text("[platforms.mastodon.video]\nmax_frames = 0\n")
    with pytest.raises(RuleConfigError, match="max_frames"):
        load_rules(bad)


@settings(max_examples=500)
@given(
    fps=st.fractions(min_value=Fraction(1, 1000), max_value=1000, max_denominator=100_000),
    seconds=st.floats(min_value=0, max_value=10**7) | st.integers(0, 10**6),
)
def test_frame_count_is_the_exact_rounded_product(fps: Fraction, seconds: float) -> None:
    """``limits._frame_count`` counts in integers what ``round(fps * Fraction(seconds))``
    gives (half to even)."""
    facts = MediaFacts(kind="video", fps=fps, duration_s=seconds)
    assert _frame_count(facts) == round(fps * Fraction(facts.duration_s or 0))
