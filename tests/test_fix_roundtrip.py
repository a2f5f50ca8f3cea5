"""check -> fix -> check for every fixable media code: the code is gone, the input untouched.

Each case defines a small platform ("lab") whose one tight limit a tiny real file breaks, so
the whole table runs in seconds on media made at test time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import mediarules
from mediarules.fixes.api import apply_fixes, plan_fixes
from tests.media import make_image, make_video

Maker = Callable[[Path], Path]


@dataclass(frozen=True)
class Case:
    code: str
    section: str
    limits: str
    make: Maker


def jpeg(path: Path, **options: object) -> Path:
    return make_image(path / "in.jpg", **options)  # type: ignore[arg-type]


CASES = [
    Case("image.format_not_allowed", "image", 'formats = ["jpeg"]',
         lambda d: make_image(d / "in.png", format="PNG")),
    Case("image.format_converted", "image", 'formats = ["jpeg"]\nconverted = { webp = "jpeg" }',
         lambda d: make_image(d / "in.webp", format="WEBP")),
    Case("image.too_small", "image", "min_width = 100\nmin_height = 80", jpeg),
    Case("image.too_large", "image", "max_width = 32\nmax_height = 32", jpeg),
    Case("image.too_many_pixels", "image", "max_pixels = 1000", jpeg),
    Case("image.aspect_ratio_out_of_range", "image", 'min_aspect_ratio = "1:1"\n'
         'max_aspect_ratio = "1:1"', jpeg),
    Case("image.too_many_frames", "image", "max_frames = 2",
         lambda d: make_image(d / "in.gif", format="GIF", frames=5)),
    Case("media.too_large", "image", "max_size_bytes = 20_000",
         lambda d: make_image(d / "in.jpg", pad_to_bytes=50_000)),
    Case("image.resized", "image", "scaled_min_width = 100", jpeg),
    Case("video.container_not_allowed", "video", 'containers = ["mp4"]',
         lambda d: make_video(d / "in.mov")),
    Case("video.codec_not_allowed", "video", 'video_codecs = ["h264"]',
         lambda d: make_video(d / "in.mp4", codec="libx265", audio=None)),
    Case("audio.codec_not_allowed", "video", 'audio_codecs = ["aac"]',
         lambda d: make_video(d / "in.mkv", audio="libopus")),
    Case("video.fps_too_low", "video", "min_fps = 23",
         lambda d: make_video(d / "in.mp4", fps=20)),
    Case("video.fps_too_high", "video", "max_fps = 30",
         lambda d: make_video(d / "in.mp4", fps=60)),
    Case("video.duration_too_long", "video", "max_duration_s = 1",
         lambda d: make_video(d / "in.mp4", duration_s=2)),
    Case("video.too_small", "video", "min_width = 100\nmin_height = 80",
         lambda d: make_video(d / "in.mp4")),
    Case("video.too_large", "video", "max_width = 32\nmax_height = 32",
         lambda d: make_video(d / "in.mp4")),
    Case("video.aspect_ratio_out_of_range", "video", 'min_aspect_ratio = "1:1"\n'
         'max_aspect_ratio = "1:1"', lambda d: make_video(d / "in.mp4")),
    Case("video.bitrate_too_high", "video", "max_bitrate_bps = 30_000",
         lambda d: make_video(d / "in.mp4", codec="mpeg4", audio=None, size=(320, 240))),
    Case("media.too_large", "video", "max_size_bytes = 150_000",
         lambda d: make_video(d / "in.mp4", audio=None, size=(320, 240), noise=True)),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[f"{c.section}-{c.code}" for c in CASES])
def test_fix_removes_the_code(tmp_path: Path, case: Case) -> None:
    source = case.make(tmp_path)
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    rules = tmp_path / "lab.toml"
    rules.write_text(
        f'[platforms.lab]\nname = "Lab"\nsource = "test"\n'
        f"[platforms.lab.{case.section}]\n{case.limits}\n"
    )
    report = mediarules.check([source], platforms="lab", rules=rules)
    assert case.code in [v.code for v in report.violations], report.violations

    plan = plan_fixes([source], platforms="lab", rules=rules)
    assert plan.outputs, "nothing planned"
    assert case.code in plan.outputs[0].fixes
    result = apply_fixes(plan, tmp_path / "out", unsafe=True, rules=rules)
    assert result.skipped == [], result.skipped
    (post,) = result.posts
    assert post.report is not None
    assert case.code not in [v.code for v in post.report.violations], post.report.violations
    assert post.report.ok, post.report.violations
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before
