"""How a value meets a limit: aspect ratios within the tolerance the platform rounds with,
durations to the frame, sizes exactly (strictly where the platform says ``less_than``)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from PIL import Image

import mediarules
from mediarules import MediaFacts, MediaRef, Severity
from mediarules.fixes.api import apply_fixes, plan_fixes
from mediarules.fixes.constraints import image_bounds, tightened, video_bounds
from mediarules.requirements import Bound
from mediarules.ruleset import load_rules
from tests.media import make_image, make_video

RULES = load_rules()
MIB = 2**20


def codes(report: mediarules.Report, platform: str) -> dict[str, Severity]:
    return {v.code: v.severity for v in report.for_platform(platform)}


# -- aspect ratios ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "passes"),
    [
        ((1200, 628), True),  # the 1.91:1 every design tool exports (1.9108)
        ((1080, 566), True),  # Instagram's own 1.91:1 landscape (1.9081)
        ((600, 315), True),  # Meta's ads media requirements call it 1.91:1 (1.9048)
        ((1080, 1351), True),  # a pixel past 4:5 (0.7994)
        ((1080, 1080), True),
        ((1200, 600), False),  # 2:1, 4.7% past 1.91:1
        ((1940, 1000), False),  # 1.94:1, 1.6% past
        ((1080, 1370), False),  # 0.788, 1.4% below 4:5
    ],
)
def test_instagram_accepts_its_ratios_as_meta_rounds_them(
    tmp_path: Path, size: tuple[int, int], passes: bool
) -> None:
    photo = make_image(tmp_path / "banner.jpg", size=size)
    report = mediarules.check([photo], platforms="instagram")
    found = codes(report, "instagram")
    assert ("image.aspect_ratio_out_of_range" not in found) is passes
    if not passes:
        assert found["image.aspect_ratio_out_of_range"] is Severity.ERROR
        (violation,) = [v for v in report.violations if v.code == "image.aspect_ratio_out_of_range"]
        assert "(within 1%)" in violation.message


def test_a_ratio_fix_pads_to_the_stated_ratio_and_passes(tmp_path: Path) -> None:
    wide = make_image(tmp_path / "wide.jpg", size=(2000, 628))
    result = apply_fixes(plan_fixes([wide], platforms="instagram"), tmp_path / "out", unsafe=True)
    (written,) = result.written
    with Image.open(written.path) as fixed:
        width, height = fixed.size
    assert abs(Fraction(width, height) - Fraction(191, 100)) < Fraction(1, 100)
    assert Fraction(width, height) <= Fraction(191, 100)  # on the stated ratio, not its edge
    assert result.ok


def test_a_file_within_the_tolerance_keeps_its_shape_when_fixed(tmp_path: Path) -> None:
    """A 1200x628 PNG must become a JPEG for Instagram; the new file stays 1200x628 (no bar
    is added to reach 1.91:1 exactly)."""
    banner = make_image(tmp_path / "banner.png", format="PNG", size=(1200, 628))
    result = apply_fixes(plan_fixes([banner], platforms="instagram"), tmp_path / "out")
    (written,) = result.written
    with Image.open(written.path) as fixed:
        assert fixed.size == (1200, 628) and fixed.format == "JPEG"
    assert result.ok


def test_platforms_that_state_no_tolerance_compare_exactly() -> None:
    """Telegram's 20:1 is a computed bound (width / height <= 20): one pixel past it fails."""
    past = MediaRef(file_name="strip.jpg", content_type="image/jpeg", type="image",
                    width=4_001, height=200, size=10_000)  # fmt: skip
    assert "image.aspect_ratio_out_of_range" in codes(
        mediarules.check([past], platforms="telegram"), "telegram"
    )


def test_the_box_accepts_the_tolerance_but_targets_the_stated_range() -> None:
    bounds = image_bounds(RULES.platforms["instagram"])
    assert bounds.max_aspect_ratio == Fraction(191, 100)
    assert bounds.max_aspect_accepted == Fraction(191, 100) * Fraction(101, 100)
    within = MediaFacts(kind="image", format="png", size=10**5, width=1200, height=628)
    past = MediaFacts(kind="image", format="png", size=10**5, width=2000, height=628)
    assert bounds.target(within).max_aspect_ratio is None  # kept as it is
    assert bounds.target(past).max_aspect_ratio == Fraction(191, 100)


# -- durations to the frame -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frames", "audio", "passes"),
    [
        (90, None, True),
        (89, None, False),  # 2.967 s: a frame short
        (89, "aac", True),  # the same picture, with audio to 2.987 s: 3 s to the frame
        (88, "aac", False),
    ],
)
def test_a_3_second_minimum_counts_whole_frames(
    tmp_path: Path, frames: int, audio: str | None, passes: bool
) -> None:
    """LinkedIn's 3 s minimum (its Videos API: an error), against real clips at 30 fps: the
    file's duration is counted in whole frames before it is compared."""
    clip = make_video(tmp_path / "clip.mp4", fps=30, frames=frames, size=(640, 360), audio=audio)
    report = mediarules.check([clip], platforms="linkedin")
    assert ("video.duration_too_short" not in codes(report, "linkedin")) is passes


@pytest.mark.parametrize(
    ("seconds", "fps", "passes"),
    [
        (90.0, 30, True),
        (90.016, 30, True),  # rounds to 2,700 frames
        (90.017, 30, False),  # half a frame (16.7 ms) past: 2,701 frames
        (90.02, 24, True),  # half a frame at 24 fps is 20.8 ms
        (90.021, 24, False),
        (90.001, None, False),  # no frame rate: compared exactly
    ],
)
def test_a_90_second_maximum_counts_whole_frames(
    seconds: float, fps: int | None, passes: bool
) -> None:
    rate = None if fps is None else Fraction(fps)
    reel = MediaRef(file_name="reel.mp4", content_type="video/mp4", type="video", width=1080,
                    height=1920, size=10**7, duration=seconds, frame_rate=rate,
                    codec_name="h264")  # fmt: skip
    report = mediarules.check([reel], platforms="facebook:reel")
    assert ("video.duration_too_long" not in codes(report, "facebook:reel")) is passes


# -- strict sizes (Mastodon's less_than:) -----------------------------------------------------


@pytest.mark.parametrize(("size", "refused"), [(16 * MIB - 1, False), (16 * MIB, True)])
def test_mastodon_refuses_an_image_of_exactly_16_mib(
    tmp_path: Path, size: int, refused: bool
) -> None:
    photo = make_image(tmp_path / "photo.jpg", size=(320, 240), pad_to_bytes=size)
    assert photo.stat().st_size == size
    report = mediarules.check([photo], platforms="mastodon")
    found = [v for v in report.violations if v.code == "media.too_large"]
    assert bool(found) is refused
    if refused:
        (violation,) = found
        assert violation.severity is Severity.ERROR
        assert "exactly" in violation.message and "16,777,216 bytes" in violation.message
        assert "must be smaller than" in violation.message
        assert violation.fix is not None
        assert Bound(fact="bytes", at_most=16 * MIB, exclusive=True) in violation.fix.requires


def test_mastodon_refuses_a_video_of_exactly_99_mib() -> None:
    video = MediaRef(file_name="clip.mp4", content_type="video/mp4", type="video",
                     width=1280, height=720, size=99 * MIB, duration=60.0, frame_rate=Fraction(30),
                     codec_name="h264")  # fmt: skip
    (found,) = [
        v for v in mediarules.check([video], platforms="mastodon").violations
        if v.code == "media.too_large"
    ]  # fmt: skip
    assert found.severity is Severity.ERROR and "must be smaller than" in found.message
    assert found.fix is not None and found.fix.steps[0].params["max_bytes"] == 99 * MIB - 1
    just_under = video.model_copy(update={"size": 99 * MIB - 1})
    assert mediarules.check([just_under], platforms="mastodon").ok


def test_a_strict_size_fix_lands_under_the_limit(tmp_path: Path) -> None:
    photo = make_image(tmp_path / "photo.jpg", size=(320, 240), pad_to_bytes=16 * MIB)
    result = apply_fixes(plan_fixes([photo], platforms="mastodon"), tmp_path / "out", unsafe=True)
    (written,) = result.written
    assert Path(written.path).stat().st_size < 16 * MIB
    assert result.ok


def test_the_planner_budget_is_one_byte_less() -> None:
    mastodon = RULES.platforms["mastodon"]
    assert image_bounds(mastodon).max_bytes == 16 * MIB - 1
    assert video_bounds(mastodon).max_bytes == 99 * MIB - 1
    x = RULES.platforms["x"]
    assert image_bounds(x).max_bytes == 5_000_000  # inclusive: the limit itself
    strict = tightened(image_bounds(x), [Bound(fact="bytes", at_most=1000, exclusive=True)])
    assert strict.max_bytes == 999
