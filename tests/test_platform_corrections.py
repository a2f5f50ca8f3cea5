"""Limits corrected against the platforms' own documents (issue: the verdict the platform
would give). Each case sits on the right side of the platform's own figure."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

import mediarules
from mediarules import Applicability, MediaRef, Severity
from mediarules.cli import main
from mediarules.inputs.instances import tiktok_creator_layer
from mediarules.ruleset import load_rules
from tests.media import make_clip, make_image, make_video


def _codes(platform: str, media: MediaRef) -> set[str]:
    report = mediarules.check([media], platforms=[platform])
    return {v.code for v in report.violations if v.severity == "error"}


def test_a_facebook_story_photo_may_be_10_mb_where_a_feed_photo_may_be_4() -> None:
    """The Page Stories API takes photos up to 10 MB; the story variant inherited the feed's
    4 MB (error 1366046) and refused a 6 MB story photo."""
    photo = MediaRef(file_name="story.jpg", content_type="image/jpeg", type="image",
                     width=1080, height=1920, size=6_000_000)  # fmt: skip
    assert "media.too_large" not in _codes("facebook:story", photo)
    assert "media.too_large" in _codes("facebook", photo)
    too_big = photo.model_copy(update={"size": 10_000_001})
    assert "media.too_large" in _codes("facebook:story", too_big)


# -- false errors: the platform accepts it ----------------------------------------------------


def test_instagram_takes_creator_accounts(tmp_path: Path) -> None:
    """IG User /media reference: an Instagram Professional account, business or creator."""
    photo = MediaRef(file_name="p.jpg", content_type="image/jpeg", type="image", width=1080,
                     height=1080, size=500_000)  # fmt: skip
    for account in ("creator", "business"):
        report = mediarules.check([photo], platforms="instagram", account_type=account)
        assert report.ok and not report.violations
    personal = mediarules.check([photo], platforms="instagram", account_type="personal")
    (found,) = personal.errors
    assert found.code == "account.business_required" and "business or creator" in found.message
    meta = json.dumps({"content": "hi", "platforms": ["instagram-1"], "media": [
        {"fileName": "p.jpg", "contentType": "image/jpeg", "type": "image", "mediaId": "m1",
         "metadata": {"width": 1080, "height": 1080, "size": 500000}}]})  # fmt: skip
    body = tmp_path / "post.json"
    body.write_text(meta, encoding="utf-8")
    assert main(["check", "--post", str(body), "--account-type", "creator"]) == 0
    assert main(["check", "--post", str(body), "--account-type", "personal"]) == 1


@pytest.mark.parametrize(
    ("platform", "media", "code"),
    [
        ("tiktok", {"duration": 2.0}, "video.duration_too_short"),
        ("linkedin", {"width": 1080, "height": 2700}, "video.aspect_ratio_out_of_range"),
        ("facebook:reel", {"size": 1_200_000_000}, "media.too_large"),
    ],
)
def test_third_party_video_figures_warn(platform: str, media: dict[str, object], code: str) -> None:
    base = {"file_name": "clip.mp4", "content_type": "video/mp4", "type": "video", "width": 1080,
            "height": 1920, "size": 5_000_000, "duration": 20.0, "frame_rate": 30,
            "codec_name": "h264"}  # fmt: skip
    report = mediarules.check([MediaRef.model_validate({**base, **media})], platforms=platform)
    (found,) = [v for v in report.violations if v.code == code]
    assert found.severity is Severity.WARNING and found.evidence == "third-party"
    assert "third-party figure" in found.message
    assert report.ok


# -- false passes: the platform refuses it ----------------------------------------------------


IMAGE = MediaRef(file_name="a.jpg", content_type="image/jpeg", type="image", width=1080,
                 height=1080, size=200_000)  # fmt: skip


def test_a_mastodon_post_with_a_poll_takes_no_media() -> None:
    """mastodon PostStatusService#validate_media!: too_many when media_ids come with a poll."""
    with_media = mediarules.check([IMAGE], platforms="mastodon", poll=True)
    (found,) = with_media.errors
    assert found.code == "post.poll_with_media" and found.evidence == "official"
    assert "post_status_service.rb" in (found.source or "")
    assert found.fix is not None and found.fix.applicability is Applicability.MANUAL
    assert mediarules.check([], platforms="mastodon", poll=True, caption="Vote!").ok
    assert mediarules.check([IMAGE], platforms="mastodon").ok
    x = mediarules.check([IMAGE], platforms="x", poll=True)  # third parties say so: a warning
    (warned,) = [v for v in x.violations if v.code == "post.poll_with_media"]
    assert warned.severity is Severity.WARNING and x.ok
    assert mediarules.check([IMAGE], platforms="instagram", poll=True).ok


def test_poll_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    photo = make_image(tmp_path / "photo.jpg", size=(640, 480))
    assert main(["check", str(photo), "-p", "mastodon", "--poll", "--format", "json"]) == 1
    codes = [v["code"] for v in json.loads(capsys.readouterr().out)["violations"]]
    assert "post.poll_with_media" in codes
    assert main(["check", str(photo), "-p", "mastodon"]) == 0


def _reel(tmp_path: Path, name: str, **options: object) -> Path:
    return make_video(tmp_path / name, **{"fps": 30, "duration_s": 3.5, "size": (540, 960),
                                           **options})  # type: ignore[arg-type]  # fmt: skip


def test_facebook_reels_need_9_16(tmp_path: Path) -> None:
    upright = _reel(tmp_path, "upright.mp4")
    wide = _reel(tmp_path, "wide.mp4", size=(960, 540))
    assert mediarules.check([upright], platforms="facebook:reel").ok
    report = mediarules.check([wide], platforms="facebook:reel")
    (found,) = [v for v in report.errors if v.code == "video.aspect_ratio_out_of_range"]
    assert "9:16 to 9:16 (within 1%)" in found.message
    near = MediaRef(file_name="r.mp4", content_type="video/mp4", type="video", width=1080,
                    height=1910, size=10**7, duration=20.0, frame_rate=Fraction(30),
                    codec_name="h264")  # fmt: skip
    assert mediarules.check([near], platforms="facebook:reel").ok  # 0.5% off 9:16


def test_facebook_reels_need_a_fixed_frame_rate(tmp_path: Path) -> None:
    steps = [sum(50 if n % 3 == 2 else 33 for n in range(i)) for i in range(100)]  # 33, 33, 50
    vfr = make_clip(tmp_path / "vfr.mp4", frames=100, size=(540, 960), timestamps_ms=steps)
    assert mediarules.inspect(vfr).variable_frame_rate
    report = mediarules.check([vfr], platforms="facebook:reel")
    assert "video.variable_frame_rate" in [v.code for v in report.errors]
    assert "video.variable_frame_rate" not in [
        v.code for v in mediarules.check([vfr], platforms="facebook").violations
    ]


def test_facebook_reels_need_aac_audio(tmp_path: Path) -> None:
    opus = _reel(tmp_path, "opus.mp4", audio="libopus")
    report = mediarules.check([opus], platforms="facebook:reel")
    assert "audio.codec_not_allowed" in [v.code for v in report.errors]
    assert mediarules.check([_reel(tmp_path, "aac.mp4")], platforms="facebook:reel").ok


def test_tiktok_warns_past_3_minutes_until_the_creator_says_more(tmp_path: Path) -> None:
    """TikTok media transfer guide: all creators can post 3-minute videos; some 5 or 10."""
    clip = MediaRef(file_name="c.mp4", content_type="video/mp4", type="video", width=1080,
                    height=1920, size=10**8, duration=240.0, frame_rate=Fraction(30),
                    codec_name="h264")  # fmt: skip
    report = mediarules.check([clip], platforms="tiktok")
    (found,) = report.violations
    assert found.code == "video.duration_over_default" and found.severity is Severity.WARNING
    assert report.ok and "3 min" in found.message
    three = clip.model_copy(update={"duration": 180.0})
    assert not mediarules.check([three], platforms="tiktok").violations
    creator = tmp_path / "creator.json"
    creator.write_text(json.dumps({"data": {"max_video_post_duration_sec": 600}}))
    layer = tiktok_creator_layer(json.loads(creator.read_text()), label=str(creator))
    ruleset = load_rules(layers=[layer])
    assert not mediarules.check([clip], platforms="tiktok", rules=ruleset).violations
    short_cap = load_rules(layers=[tiktok_creator_layer({"data": {
        "max_video_post_duration_sec": 200}}, label="c.json")])  # fmt: skip
    (refused,) = mediarules.check([clip], platforms="tiktok", rules=short_cap).violations
    assert refused.code == "video.duration_too_long" and refused.severity is Severity.ERROR
    too_long = clip.model_copy(update={"duration": 700.0})  # refused: one finding says so
    assert [v.code for v in mediarules.check([too_long], platforms="tiktok").violations] == [
        "video.duration_too_long"
    ]


# -- post types peers publish -----------------------------------------------------------------


def test_tiktok_photo_posts(tmp_path: Path) -> None:
    """TikTok's photo post reference: up to 35 photos, title 90 and description 4,000 UTF-16
    units; the media transfer guide: JPEG or WebP."""
    photo = make_image(tmp_path / "p.jpg", size=(1080, 1920))
    report = mediarules.check([photo] * 35, platforms="tiktok:photo", caption="d" * 4000,
                              title="🎉" * 45)  # fmt: skip
    assert report.ok and not report.violations
    over = mediarules.check([photo] * 36, platforms="tiktok:photo", caption="d" * 4001,
                            title="🎉" * 45 + "t")  # fmt: skip
    assert {v.code for v in over.errors} == {"post.too_many_images", "caption.too_long",
                                              "title.too_long"}  # fmt: skip
    png = make_image(tmp_path / "p.png", format="PNG", size=(1080, 1920))
    assert "image.format_not_allowed" in [
        v.code for v in mediarules.check([png], platforms="tiktok:photo").errors
    ]
    video = MediaRef(file_name="c.mp4", content_type="video/mp4", type="video", width=1080,
                     height=1920, size=10**6, duration=10.0, frame_rate=Fraction(30))  # fmt: skip
    assert [v.code for v in mediarules.check([video], platforms="tiktok:photo").errors] == [
        "post.too_many_videos"
    ]
    assert "post.images_not_allowed" in [
        v.code for v in mediarules.check([photo], platforms="tiktok").errors
    ]  # plain TikTok stays video-only, as the seed's publisher is


def test_bluesky_galleries() -> None:
    """app.bsky.embed.gallery: 20 items in the lexicon, 10 shown by clients."""
    ten = mediarules.check([IMAGE] * 10, platforms="bluesky:gallery")
    assert ten.ok and not [v for v in ten.violations if v.code.startswith("post.")]
    twelve = mediarules.check([IMAGE] * 12, platforms="bluesky:gallery")
    (soft,) = [v for v in twelve.violations if v.code.startswith("post.")]
    assert soft.code == "post.over_recommended_items" and soft.severity is Severity.WARNING
    assert twelve.ok and soft.fix is not None and "Split into 2 posts" in soft.fix.title
    over = mediarules.check([IMAGE] * 21, platforms="bluesky:gallery")
    assert [v.code for v in over.errors] == ["post.too_many_images"]
    assert "post.over_recommended_items" not in [v.code for v in over.violations]
    assert not mediarules.check([IMAGE] * 5, platforms="bluesky").ok  # images embed: 4


def _tags_of_length(total: int) -> list[str]:
    """Tags that YouTube counts as ``total`` characters: 'ab cd' counts 7 (its quotes), each
    comma 1."""
    tags, used = [], 0
    while total - used > 12:
        tags.append("ab cd")
        used += 7 + 1  # the tag, its quotes, the comma after it
    tags.append("x" * (total - used))
    return tags


def test_youtube_tags_count_500_characters_in_all(tmp_path: Path) -> None:
    clip = MediaRef(file_name="c.mp4", content_type="video/mp4", type="video", width=1920,
                    height=1080, size=10**7, duration=60.0, frame_rate=Fraction(30))  # fmt: skip
    fits = _tags_of_length(500)
    assert mediarules.check([clip], platforms="youtube", title="T", tags=fits).ok
    over = _tags_of_length(501)
    report = mediarules.check([clip], platforms="youtube", title="T", tags=over)
    (found,) = report.errors
    assert found.code == "tags.too_long" and found.actual == 501 and found.limit == 500
    assert "snippet.tags" in (found.source or "")
    spaces = ["a b"] * 100  # 100 x 5 + 99 commas = 599 (without quotes and commas: 300)
    (spaced,) = mediarules.check([clip], platforms="youtube", title="T", tags=spaces).errors
    assert spaced.actual == 599
    assert mediarules.check([clip], platforms="x", tags=over).ok  # no tags limit on X


def test_youtube_tags_on_the_command_line_and_in_the_payload(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clip = make_video(tmp_path / "c.mp4", fps=30, duration_s=1.0, size=(640, 360))
    many = ",".join(["product demo"] * 40)  # 40 x 14 + 39 = 599
    assert main(["check", str(clip), "-p", "youtube", "--title", "T", "--tags", many]) == 1
    assert "tags.too_long" in capsys.readouterr().out
    assert main(["check", str(clip), "-p", "youtube", "--title", "T", "--tags", "launch,demo"]) == 0
    capsys.readouterr()
    body = {"content": "d", "title": "T", "tags": ["product demo"] * 40, "platforms": ["youtube-1"],
            "media": [{"fileName": "c.mp4", "contentType": "video/mp4", "type": "video",
                       "mediaId": "m", "metadata": {"width": 640, "height": 360,
                       "size": 100000, "duration": 1.0, "frameRate": 30}}]}  # fmt: skip
    report = mediarules.check_payload(body)
    assert [v.code for v in report.errors] == ["tags.too_long"]
