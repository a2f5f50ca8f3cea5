"""``mediarules.check`` end to end on real files made at test time."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import pytest

import mediarules
from mediarules import Applicability, MediaFacts, MediaRef, Report, Severity
from mediarules.fixes.api import plan_fixes
from tests.media import make_corrupt, make_image, make_video


def codes(report: Report, platform: str | None = None) -> list[str]:
    return [v.code for v in report.violations if platform is None or v.platform == platform]


def only(report: Report, code: str, platform: str) -> mediarules.Violation:
    found = [v for v in report.violations if v.code == code and v.platform == platform]
    assert len(found) == 1, codes(report)
    return found[0]


@pytest.fixture
def tiktok_ok(tmp_path: Path) -> Path:
    return make_video(tmp_path / "ok.mp4", fps=30, duration_s=3.2, size=(360, 640))


def test_tiktok_20fps_is_an_error_with_a_transcode_plan(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "slow.mp4", fps=20, duration_s=3.5, size=(360, 640))
    report = mediarules.check([clip], platforms=["tiktok"])
    assert not report.ok
    violation = only(report, "video.fps_too_low", "tiktok")
    assert violation.severity is Severity.ERROR
    assert violation.actual == 20 and violation.limit == 23
    assert violation.media_index == 0 and violation.path == str(clip)
    assert "23" in violation.source  # type: ignore[operator]
    assert violation.fix is not None
    assert violation.fix.applicability is Applicability.UNSAFE
    step = violation.fix.steps[0]
    assert step.op == "transcode_video" and step.params["fps"] == "24"
    assert step.params["container"] == "mp4"


def test_tiktok_30fps_mp4_passes(tiktok_ok: Path) -> None:
    report = mediarules.check([tiktok_ok], platforms="tiktok")
    assert report.ok, codes(report)
    facts = report.media[0]
    assert facts.kind == "video" and facts.format == "mp4"
    assert facts.fps == 30 and facts.video_codec == "h264" and facts.audio_codec == "aac"


def test_ntsc_rate_is_exact_and_passes_tiktok(tmp_path: Path) -> None:
    clip = make_video(
        tmp_path / "film.mp4", fps=Fraction(24000, 1001), duration_s=3.5, size=(360, 640)
    )
    report = mediarules.check([clip], platforms="tiktok")
    assert report.media[0].fps == Fraction(24000, 1001)
    assert "video.fps_too_low" not in codes(report)


def test_mov_on_tiktok_plans_a_safe_remux(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "clip.mov", fps=30, duration_s=3.2, size=(360, 640))
    report = mediarules.check([clip], platforms="tiktok")
    violation = only(report, "video.container_not_allowed", "tiktok")
    assert violation.actual == "mov"
    assert violation.fix is not None and violation.fix.applicability is Applicability.SAFE
    assert violation.fix.steps[0].op == "remux_video"


def test_webp_on_linkedin_is_a_conversion_warning(tmp_path: Path) -> None:
    image = make_image(tmp_path / "banner.webp", format="WEBP")
    report = mediarules.check([image], platforms="linkedin")
    assert report.ok  # the publisher converts it: altered, not rejected
    violation = only(report, "image.format_converted", "linkedin")
    assert violation.severity is Severity.WARNING
    assert violation.fix is not None and violation.fix.steps[0].params["format"] == "jpeg"
    assert violation.fix.applicability is Applicability.SAFE


def test_transparent_webp_is_offered_a_png_that_keeps_its_transparency(tmp_path: Path) -> None:
    """The publisher would flatten it into a JPEG; the fix (what ``fix`` does) is a PNG."""
    image = make_image(tmp_path / "logo.webp", format="WEBP", mode="RGBA")
    violation = only(mediarules.check([image], platforms="bluesky"),
                     "image.format_converted", "bluesky")  # fmt: skip
    assert "the publisher converts it to JPEG" in violation.message
    assert violation.fix is not None and violation.fix.title == "Convert webp to PNG"
    assert violation.fix.applicability is Applicability.SAFE and violation.fix.loses == []
    (output,) = plan_fixes([image], platforms="bluesky").outputs
    assert output.image is not None and output.image.format == "png" and output.loses == []


def test_transparent_webp_conversion_keeps_transparency(tmp_path: Path) -> None:
    """The publisher turns a WebP into a JPEG for Bluesky (transparency lost); the fix
    converts it as the fix planner does, to a format Bluesky takes as is that keeps it: PNG."""
    image = make_image(tmp_path / "logo.webp", format="WEBP", mode="RGBA")
    violation = only(mediarules.check([image], platforms="bluesky"),
                     "image.format_converted", "bluesky")  # fmt: skip
    assert "converts it to JPEG" in violation.message
    assert violation.fix is not None
    assert violation.fix.steps[0].params["format"] == "png"
    assert violation.fix.applicability is Applicability.SAFE and violation.fix.loses == []
    only_jpeg = tmp_path / "rules.toml"  # where JPEG is all the platform takes, it is unsafe
    only_jpeg.write_text('[platforms.bluesky.image]\nformats = ["jpeg"]\n', encoding="utf-8")
    report = mediarules.check([image], platforms="bluesky", rules=only_jpeg)
    violation = only(report, "image.format_converted", "bluesky")
    assert violation.fix is not None
    assert violation.fix.applicability is Applicability.UNSAFE
    assert violation.fix.loses == ["transparency"]


def test_an_animated_webp_is_converted_as_the_planner_writes_it(tmp_path: Path) -> None:
    """Hypothesis found it (test_fix_promise_media): for Threads the check offered a JPEG
    losing the animation while the fix wrote an animated PNG."""
    from mediarules.fixes.api import plan_fixes

    image = make_image(tmp_path / "loop.webp", format="WEBP", size=(640, 480), frames=3)
    violation = only(mediarules.check([image], platforms="threads"),
                     "image.format_converted", "threads")  # fmt: skip
    assert violation.fix is not None and violation.fix.steps[0].params["format"] == "png"
    (output,) = plan_fixes([image], platforms="threads").outputs
    assert output.file_name.endswith(".png")
    assert output.applicability is violation.fix.applicability is Applicability.SAFE


def test_png_named_jpg_is_read_as_png(tmp_path: Path) -> None:
    image = make_image(tmp_path / "photo.jpg", format="PNG")
    report = mediarules.check([image], platforms="x")
    assert report.media[0].format == "png"
    violation = only(report, "media.format_mismatch", "all")
    assert violation.severity is Severity.WARNING
    assert violation.fix is not None and violation.fix.steps[0].params["name"] == "photo.png"
    # X prefers PNG: nothing to say about the format itself
    assert "image.format_not_preferred" not in codes(report)


def test_broken_file_among_good_ones(tmp_path: Path) -> None:
    good = [make_image(tmp_path / f"p{i}.jpg") for i in range(2)]
    broken = make_corrupt(tmp_path / "broken.jpg")
    report = mediarules.check([good[0], broken, good[1]], platforms="instagram")
    unreadable = only(report, "media.unreadable", "all")
    assert unreadable.media_index == 1 and unreadable.path == str(broken)
    assert not report.ok
    assert [m.kind for m in report.media] == ["image", None, "image"]
    # the good files were still checked: Instagram scales 64 px wide images up
    resized = [v for v in report.violations if v.code == "image.resized"]
    assert sorted(v.media_index for v in resized) == [0, 2]  # type: ignore[type-var]


def test_empty_file_is_media_empty(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    report = mediarules.check([empty], platforms="x")
    assert only(report, "media.empty", "all").media_index == 0


def test_x_four_photos_pass_five_fail(tmp_path: Path) -> None:
    photos = [make_image(tmp_path / f"{i}.png", format="PNG") for i in range(5)]
    assert mediarules.check(photos[:4], platforms="twitter").ok
    report = mediarules.check(photos, platforms="twitter")
    violation = only(report, "post.too_many_images", "x")
    assert violation.actual == 5 and violation.limit == 4
    # the fix fix carries out: a second post, not a dropped photo
    assert violation.fix is not None
    assert [step.params for step in violation.fix.steps] == [{"media": "0,1,2,3"}, {"media": "4"}]
    assert (
        violation.fix.title == "Split into 2 posts (at most 4 images each): [#1, #2, #3, #4] + [#5]"
    )
    assert "post.too_many_items" not in codes(report)  # the same problem, said once


def test_x_gif_cannot_join_photos(tmp_path: Path) -> None:
    gif = make_image(tmp_path / "a.gif", format="GIF", frames=3)
    photo = make_image(tmp_path / "b.png", format="PNG")
    report = mediarules.check([gif, photo], platforms="x")
    assert "post.mixed_media_not_allowed" in codes(report, "x")
    assert mediarules.check([gif], platforms="x").ok


def test_mixing_images_and_video(tmp_path: Path, tiktok_ok: Path) -> None:
    photo = make_image(tmp_path / "b.png", format="PNG")
    report = mediarules.check([photo, tiktok_ok], platforms=["x", "telegram"])
    assert "post.mixed_media_not_allowed" in codes(report, "x")
    assert "post.mixed_media_not_allowed" not in codes(report, "telegram")


def test_video_only_platforms_refuse_images(tmp_path: Path) -> None:
    photo = make_image(tmp_path / "b.jpg")
    report = mediarules.check([photo], platforms="youtube,tiktok", title="Hello")
    for platform in ("youtube", "tiktok"):
        assert "post.images_not_allowed" in codes(report, platform)
        assert "post.video_required" in codes(report, platform)


def test_telegram_caption_counts_utf16(tmp_path: Path) -> None:
    photo = make_image(tmp_path / "b.jpg")
    fits = "🙂" * 512  # 1,024 UTF-16 units
    assert mediarules.check([photo], platforms="telegram", caption=fits).ok
    report = mediarules.check([photo], platforms="telegram", caption=fits + "a")
    violation = only(report, "caption.too_long", "telegram")
    assert violation.actual == 1025 and violation.limit == 1024
    # without media it is a message, not a caption: 4,096
    assert mediarules.check([], platforms="telegram", caption=fits + "a").ok


def test_youtube_title_required_and_brackets_refused(tiktok_ok: Path) -> None:
    report = mediarules.check([tiktok_ok], platforms="youtube", caption="<b>hi</b>")
    assert "title.missing" in codes(report)
    assert "caption.invalid_characters" in codes(report)
    assert mediarules.check([tiktok_ok], platforms="youtube", title="Launch").ok


def test_instagram_account_type(tmp_path: Path) -> None:
    photo = make_image(tmp_path / "b.jpg", size=(1080, 1080))
    unknown = only(mediarules.check([photo], platforms="instagram"),
                   "account.business_required", "instagram")  # fmt: skip
    assert unknown.severity is Severity.INFO
    personal = mediarules.check([photo], platforms="instagram", account_type="personal")
    assert not personal.ok
    business = mediarules.check([photo], platforms="instagram", account_type="business")
    assert business.ok and business.violations == []


def test_bluesky_alt_text(tmp_path: Path) -> None:
    photo = make_image(tmp_path / "b.jpg")
    missing = mediarules.check([photo], platforms="bluesky")
    assert only(missing, "media.alt_text_missing", "bluesky").severity is Severity.WARNING
    given = mediarules.check([MediaRef(path=photo, alt_text="A red square")], platforms="bsky")
    assert "media.alt_text_missing" not in codes(given)


def test_metadata_only_payload_from_the_scheduler() -> None:
    payload = {
        "fileName": "my clip (1).mov",
        "contentType": "video/quicktime",
        "frameRate": "20",
        "width": 1080,
        "height": 1920,
        "duration": 12.5,
        "codecName": "h264",
        "size": 5_000_000,
    }
    report = mediarules.check([MediaRef.model_validate(payload)], platforms="tiktok")
    assert set(codes(report, "all")) == {"media.type_missing", "media.filename_changed"}
    assert {"video.fps_too_low", "video.container_not_allowed"} <= set(codes(report, "tiktok"))
    renamed = only(report, "media.filename_changed", "all")
    assert renamed.limit == "my_clip_1.mov"


def test_content_type_that_disagrees_with_the_bytes(tmp_path: Path) -> None:
    photo = make_image(tmp_path / "b.png", format="PNG")
    ref = MediaRef(path=photo, content_type="image/jpeg", type="image")
    assert "media.format_mismatch" in codes(mediarules.check([ref], platforms="x"))
    bad = MediaRef(path=photo, content_type="application/octet-stream", type="image")
    assert "media.content_type_invalid" in codes(mediarules.check([bad], platforms="x"))


def test_rotated_phone_video_uses_display_size() -> None:
    facts = MediaFacts(kind="video", format="mp4", width=1920, height=1080, rotation=90,
                       fps=Fraction(30), duration_s=10, video_codec="h264")  # fmt: skip
    assert facts.display_size == (1080, 1920)
    # 1080 wide once rotated: within Instagram's 1920 columns either way, 9:16 in range
    assert mediarules.check([facts], platforms="threads").ok


def test_unknown_platform_raises_a_config_error() -> None:
    with pytest.raises(mediarules.UnknownPlatformError, match="did you mean 'tiktok'"):
        mediarules.check([], platforms="tiktak")


def test_a_bare_path_is_one_file(tiktok_ok: Path) -> None:
    assert mediarules.check(os.fspath(tiktok_ok), platforms="tiktok").ok


def test_report_json_round_trip(tmp_path: Path, tiktok_ok: Path) -> None:
    slow = make_video(tmp_path / "slow.mp4", fps=Fraction(30000, 1001) - 10, duration_s=3.5)
    report = mediarules.check([slow, tiktok_ok], platforms="tiktok,x", caption="hi")
    data = report.model_dump(mode="json")
    assert list(data) == ["ok", "violations", "media"]
    assert isinstance(data["media"][0]["fps"], float)
    again = Report.model_validate(data)
    assert again == report
    assert again.media[0].fps == report.media[0].fps


def test_inconsistent_ok_is_refused() -> None:
    with pytest.raises(ValueError, match="ok must be false"):
        Report(ok=True, violations=[mediarules.Violation(
            code="post.media_required", severity=Severity.ERROR, platform="instagram",
            message="m")], media=[])  # fmt: skip


def test_post_types_are_platforms_of_their_own(tmp_path: Path, tiktok_ok: Path) -> None:
    photo = make_image(tmp_path / "b.jpg", size=(1080, 1080))
    report = mediarules.check(
        [photo, tiktok_ok], platforms="instagram:reel,instagram:carousel", account_type="business"
    )
    assert codes(report, "instagram:reel") == ["post.images_not_allowed"]
    assert codes(report, "instagram:carousel") == []  # a carousel may mix
    alone = mediarules.check([photo], platforms="instagram:carousel", account_type="business")
    assert codes(alone) == ["post.too_few_items"]


def test_image_bounds_apply_to_the_picture_as_shown(tmp_path: Path) -> None:
    """A phone photo stored 100x50 with EXIF orientation 6 is shown (and judged) 50x100."""
    photo = make_image(tmp_path / "phone.jpg", size=(100, 50), orientation=6)
    rules = tmp_path / "narrow.toml"
    rules.write_text("[platforms.x.image]\nmax_width = 60\nmax_height = 120\n")
    report = mediarules.check([photo], platforms="x", rules=rules)
    assert "image.too_large" not in codes(report)
    rules.write_text("[platforms.x.image]\nmax_width = 120\nmax_height = 60\n")
    report = mediarules.check([photo], platforms="x", rules=rules)
    assert only(report, "image.too_large", "x").actual == "50x100"


def test_a_required_caption_can_be_missing(tmp_path: Path) -> None:
    rules = tmp_path / "house.toml"
    rules.write_text("[platforms.x.caption]\nrequired = true\n")
    report = mediarules.check([], platforms="x", rules=rules)
    assert codes(report) == ["caption.missing"]
