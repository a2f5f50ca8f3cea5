"""check -> fix -> check: plans that run, outputs that pass, originals untouched."""

from __future__ import annotations

import hashlib
import json
from fractions import Fraction
from pathlib import Path

import pytest

import mediarules
from mediarules import Applicability
from mediarules.cli import main
from mediarules.fixes.api import apply_fixes, plan_fixes
from tests.media import make_image, make_video


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_slow_mov_becomes_a_tiktok_mp4(tmp_path: Path) -> None:
    """The issue's first example: a 20 fps MOV, fixed with unsafe fixes, passes TikTok."""
    clip = make_video(tmp_path / "clip.mov", fps=20, duration_s=3.5, size=(360, 640))
    before = digest(clip)
    plan = plan_fixes([clip], platforms="tiktok")
    (output,) = plan.outputs
    assert output.applicability is Applicability.UNSAFE
    assert {"video.fps_too_low", "video.container_not_allowed"} <= set(output.fixes)
    assert output.ffmpeg is not None and output.ffmpeg[0] == "ffmpeg"

    safe_only = apply_fixes(plan, tmp_path / "safe")
    assert not safe_only.ok and safe_only.written == []
    assert "needs --unsafe-fixes" in safe_only.skipped[0].reason

    result = apply_fixes(plan, tmp_path / "out", unsafe=True)
    assert result.ok, [p.report for p in result.posts]
    (written,) = result.written
    fixed = mediarules.inspect(written.path)
    assert (fixed.format, fixed.video_codec, fixed.fps) == ("mp4", "h264", Fraction(24))
    assert mediarules.check([written.path], platforms="tiktok").ok
    assert digest(clip) == before


def test_webp_becomes_one_jpeg_for_three_platforms(tmp_path: Path) -> None:
    """The issue's second example, shared: one JPEG serves LinkedIn, Bluesky and Telegram."""
    banner = make_image(tmp_path / "banner.webp", format="WEBP", size=(1200, 628))
    before = digest(banner)
    plan = plan_fixes([banner], platforms="linkedin,bluesky,telegram")
    (output,) = plan.outputs
    assert output.platforms == ["linkedin", "bluesky", "telegram"]
    assert output.applicability is Applicability.SAFE and output.image is not None
    assert output.image.format == "jpeg"
    result = apply_fixes(plan, tmp_path / "out")  # safe fixes only
    (written,) = result.written
    assert mediarules.inspect(written.path).format == "jpeg"
    for platform in ("linkedin", "bluesky", "telegram"):
        report = mediarules.check([written.path], platforms=platform)
        assert "image.format_converted" not in [v.code for v in report.violations]
    assert digest(banner) == before


def test_long_telegram_caption_becomes_caption_and_follow_up(tmp_path: Path) -> None:
    """The issue's third example: 1,500 characters -> a caption and a follow-up message."""
    photo = make_image(tmp_path / "p.jpg")
    words = ("lorem ipsum dolor sit amet consectetur " * 60).strip()[:1500]
    plan = plan_fixes([photo], platforms="telegram", caption=words)
    (telegram,) = plan.platforms
    assert telegram.text == "follow_up" and len(telegram.posts) == 2
    assert telegram.posts[0].media == [0] and telegram.posts[1].media == []
    result = apply_fixes(plan, tmp_path / "out", unsafe=True)
    assert result.ok
    captions = [post.caption or "" for post in result.posts]
    assert "".join("".join(c.split()) for c in captions) == "".join(words.split())


def test_safe_run_leaves_text_and_shape_alone(tmp_path: Path) -> None:
    photo = make_image(tmp_path / "p.jpg")
    plan = plan_fixes([photo], platforms="telegram", caption="x " * 700)
    result = apply_fixes(plan, tmp_path / "out")
    assert not result.ok
    assert [post.caption for post in result.posts] == ["x " * 700]


def test_too_many_photos_are_split_over_posts(tmp_path: Path) -> None:
    photos = [make_image(tmp_path / f"{i}.png", format="PNG") for i in range(6)]
    plan = plan_fixes(photos, platforms="x", caption="six photos")
    (x,) = plan.platforms
    assert x.reshaped and [post.media for post in x.posts] == [[0, 1, 2, 3], [4, 5]]
    result = apply_fixes(plan, tmp_path / "out", unsafe=True)
    assert result.ok and len(result.posts) == 2


def test_long_x_caption_becomes_a_thread(tmp_path: Path) -> None:
    text = " ".join(f"word{i}" for i in range(120))
    plan = plan_fixes([], platforms="x", caption=text)
    (x,) = plan.platforms
    assert x.text == "thread" and len(x.posts) > 1
    result = apply_fixes(plan, tmp_path / "out", unsafe=True)
    assert result.ok


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    banner = make_image(tmp_path / "banner.webp", format="WEBP")
    result = apply_fixes(plan_fixes([banner], platforms="linkedin"), tmp_path / "out", dry_run=True)
    assert not (tmp_path / "out").exists()
    assert result.written == [] and not result.ok
    assert all(post.report is None for post in result.posts)


def test_never_writes_over_an_existing_file(tmp_path: Path) -> None:
    banner = make_image(tmp_path / "banner.webp", format="WEBP")
    plan = plan_fixes([banner], platforms="linkedin")
    out = tmp_path / "out"
    out.mkdir()
    taken = out / plan.outputs[0].file_name
    taken.write_bytes(b"mine")
    (written,) = apply_fixes(plan, out).written
    assert taken.read_bytes() == b"mine"
    assert Path(written.path).parent == out and Path(written.path) != taken


def test_cli_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clip = make_video(tmp_path / "clip.mov", fps=20, duration_s=3.5, size=(360, 640))
    out = tmp_path / "out"
    code = main(["fix", str(clip), "-p", "tiktok", "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 1 and "needs --unsafe-fixes" in text and "errors remain" in text
    code = main(["fix", str(clip), "-p", "tiktok", "--out", str(out), "--unsafe-fixes",
                 "--format", "json"])  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["ok"] is True
    assert list(data) == ["ok", "plan", "written", "skipped", "posts"]
    assert Path(data["written"][0]["path"]).is_file()
    assert data["posts"][0]["report"]["ok"] is True
    with pytest.raises(SystemExit) as exited:
        main(["fix", str(clip), "-p", "tiktok"])  # no --out
    assert exited.value.code == 2


def test_mixed_post_is_split_and_alt_text_follows_the_output(tmp_path: Path) -> None:
    banner = make_image(tmp_path / "banner.webp", format="WEBP", size=(1200, 628))
    clip = make_video(tmp_path / "clip.mp4", fps=30, duration_s=3.2, size=(360, 640))
    plan = plan_fixes(
        [mediarules.MediaRef(path=banner, alt_text="Our new banner"), clip], platforms="bluesky"
    )
    (bluesky,) = plan.platforms
    assert [post.media for post in bluesky.posts] == [["o1"], [1]]
    assert "post.mixed_media_not_allowed" not in [v.code for v in plan.manual]
    result = apply_fixes(plan, tmp_path / "out", unsafe=True)
    assert result.ok, [p.report for p in result.posts]
    codes = [v.code for p in result.posts if p.report for v in p.report.violations]
    assert "media.alt_text_missing" not in codes


def test_youtube_text_is_cleaned_and_cut(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "clip.mp4", fps=30, duration_s=1)
    title = "Launch <live> " + "x" * 120
    plan = plan_fixes([clip], platforms="youtube", caption="<b>big</b> news", title=title)
    (youtube,) = plan.platforms
    assert youtube.text == "cleaned" and youtube.title_changed
    (post,) = youtube.posts
    assert post.caption == "bbig/b news"
    assert post.title is not None and "<" not in post.title and len(post.title) <= 100
    assert not apply_fixes(plan, tmp_path / "safe").ok  # text fixes are unsafe
    assert apply_fixes(plan, tmp_path / "out", unsafe=True).ok


def test_metadata_only_media_plans_no_file(tmp_path: Path) -> None:
    record = mediarules.MediaRef(
        file_name="clip.mov", type="video", content_type="video/quicktime",
        frame_rate=Fraction(20), width=360, height=640, duration=4.0,
    )  # fmt: skip
    plan = plan_fixes([record], platforms="tiktok")
    assert plan.outputs == []
    result = apply_fixes(plan, tmp_path / "out", unsafe=True)
    assert result.written == [] and result.skipped == []
    (post,) = result.posts
    assert post.report is not None
    assert "media.unreadable" not in [v.code for v in post.report.violations]
    assert "video.fps_too_low" in [v.code for v in post.report.violations]


def test_a_safe_fix_is_not_shared_into_a_lossy_one(tmp_path: Path) -> None:
    """LinkedIn only needs the WebP converted (safe); Bluesky also needs it under 2 MB
    (lossy): sharing one file would leave LinkedIn unfixed in a safe-only run."""
    banner = make_image(tmp_path / "big.webp", format="WEBP", size=(3000, 3000),
                        pad_to_bytes=2_500_000)  # fmt: skip
    plan = plan_fixes([banner], platforms="linkedin,bluesky")
    grades = {tuple(o.platforms): o.applicability for o in plan.outputs}
    assert grades == {("linkedin",): Applicability.SAFE, ("bluesky",): Applicability.UNSAFE}
    result = apply_fixes(plan, tmp_path / "out")
    linkedin = next(p for p in result.posts if p.platform == "linkedin")
    assert linkedin.report is not None and linkedin.report.ok
