"""The Pillow executor: every fix is re-inspected and must meet its target; sources never change."""

from __future__ import annotations

import hashlib
import random
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageOps, features

from mediarules.fixes.images import (
    ImageFixError,
    ImageResult,
    apply_image,
    describe_image_changes,
)
from mediarules.fixes.targets import ImageTarget
from mediarules.inspection import inspect
from mediarules.models import MediaFacts
from tests.media import make_image

LINKEDIN = ImageTarget(format="jpeg", max_pixels=36_152_319, max_frames=250)
INSTAGRAM = {"min_aspect_ratio": Fraction(4, 5), "max_aspect_ratio": Fraction(191, 100)}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fix(source: Path, target: ImageTarget, name: str = "out") -> tuple[ImageResult, MediaFacts]:
    """Apply ``target`` beside ``source``; check the source kept its bytes and the result
    agrees with what inspection reads back."""
    before = digest(source)
    result = apply_image(source, target, source.with_name(name))
    assert digest(source) == before
    facts = inspect(result.path)
    assert (facts.format, facts.width, facts.height) == (result.format, result.width, result.height)
    assert (facts.size, facts.frames) == (result.size, result.frames)
    assert not [p for p in source.parent.iterdir() if p.name.endswith(".tmp")]
    return result, facts


def pixel(path: Path, xy: tuple[int, int]) -> tuple[int, ...]:
    with Image.open(path) as im:
        value = im.convert("RGBA").getpixel(xy)
    assert isinstance(value, tuple)
    return value


def near(a: tuple[int, ...], b: tuple[int, ...], tolerance: int = 12) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=False))


# -- conversions -------------------------------------------------------------------------------


def test_webp_to_jpeg_keeps_the_picture(tmp_path: Path) -> None:
    source = make_image(tmp_path / "banner.webp", format="WEBP", size=(640, 480))
    result, facts = fix(source, LINKEDIN)
    assert result.path.read_bytes()[:3] == b"\xff\xd8\xff"
    assert (facts.format, facts.width, facts.height, facts.mode) == ("jpeg", 640, 480, "RGB")
    assert result.quality == 95
    assert result.changes == ["converted webp to jpeg"]
    assert describe_image_changes(inspect(source), LINKEDIN) == (False, [])


def test_transparent_png_to_jpeg_is_flattened_onto_white(tmp_path: Path) -> None:
    source = tmp_path / "logo.png"
    im = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    im.paste((200, 30, 30, 255), (10, 10, 30, 20))
    im.save(source)
    result, facts = fix(source, ImageTarget(format="jpeg"))
    assert facts.format == "jpeg" and not facts.has_alpha
    assert near(pixel(result.path, (1, 1)), (255, 255, 255, 255))
    assert near(pixel(result.path, (20, 15)), (200, 30, 30, 255))
    assert "flattened transparency onto white" in result.changes
    assert describe_image_changes(inspect(source), ImageTarget(format="jpeg")) == (
        True,
        ["transparency"],
    )


def test_cmyk_jpeg_becomes_rgb(tmp_path: Path) -> None:
    source = make_image(tmp_path / "print.jpg", mode="CMYK")
    result, facts = fix(source, ImageTarget(format="jpeg"))
    assert facts.mode == "RGB"
    assert "converted CMYK to RGB" in result.changes


def test_palette_png_with_transparency_to_jpeg(tmp_path: Path) -> None:
    source = tmp_path / "icon.png"
    im = Image.new("P", (32, 32), 0)
    im.putpalette([0, 0, 0, 30, 30, 200] + [0] * 762)
    im.paste(1, (8, 8, 24, 24))
    im.save(source, transparency=0)
    assert inspect(source).has_alpha
    result, facts = fix(source, ImageTarget(format="jpeg"))
    assert (facts.format, facts.mode) == ("jpeg", "RGB")
    assert near(pixel(result.path, (0, 0)), (255, 255, 255, 255))
    assert near(pixel(result.path, (16, 16)), (30, 30, 200, 255))


def test_sixteen_bit_grey_is_scaled_not_clipped(tmp_path: Path) -> None:
    source = tmp_path / "scan.png"
    Image.new("I;16", (16, 16), 32768).save(source)
    result, _ = fix(source, ImageTarget(format="jpeg"))
    assert near(pixel(result.path, (8, 8)), (128, 128, 128, 255), 3)


@pytest.mark.skipif(not features.check_module("littlecms2"), reason="Pillow without LittleCMS")
def test_icc_profiles_other_than_srgb_are_converted(tmp_path: Path) -> None:
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    # the same primaries under another name: converted (to identical colours) and dropped
    other = srgb.replace("sRGB".encode("utf-16-be"), "wRGB".encode("utf-16-be"))
    for name, profile in (("srgb.jpg", srgb), ("wide.jpg", other)):
        Image.new("RGB", (16, 16), (10, 200, 30)).save(tmp_path / name, icc_profile=profile)
    kept, _ = fix(tmp_path / "srgb.jpg", ImageTarget(format="jpeg"), "kept.jpg")
    converted, _ = fix(tmp_path / "wide.jpg", ImageTarget(format="jpeg"), "converted.jpg")
    with Image.open(kept.path) as im:
        assert im.info.get("icc_profile") == srgb
    with Image.open(converted.path) as im:
        assert "icc_profile" not in im.info
    assert converted.changes == ["converted colours from the 'wRGB built-in' ICC profile to sRGB"]
    assert near(pixel(converted.path, (8, 8)), (10, 200, 30, 255), 4)


# -- orientation and geometry --------------------------------------------------------------------


def test_exif_orientation_is_baked_in(tmp_path: Path) -> None:
    source = tmp_path / "phone.jpg"
    im = Image.new("RGB", (60, 40), (30, 30, 200))
    im.paste((220, 20, 20), (0, 0, 12, 12))  # a red top-left corner, as stored
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Camera maker"  # other EXIF survives
    im.save(source, exif=exif, quality=95)
    with Image.open(source) as opened:
        upright = ImageOps.exif_transpose(opened)
    result, facts = fix(source, ImageTarget(format="jpeg"))
    assert (facts.width, facts.height) == (40, 60)
    assert facts.orientation in (None, 1)
    with Image.open(result.path) as out:
        assert out.getexif().get(0x010F) == "Camera maker"
    for corner in ((2, 2), (37, 2), (2, 57), (37, 57)):
        expected = upright.getpixel(corner)
        assert isinstance(expected, tuple)
        assert near(pixel(result.path, corner), (*expected, 255), 40)
    assert near(pixel(result.path, (37, 2)), (220, 20, 20, 255), 40)  # turned to top-right
    assert describe_image_changes(inspect(source), ImageTarget(format="jpeg")) == (False, [])


def test_oversize_photo_fits_linkedin(tmp_path: Path) -> None:
    source = make_image(tmp_path / "huge.jpg", size=(8000, 6000))
    target = LINKEDIN.model_copy(update={"max_width": 8192, "max_height": 8192})
    result, facts = fix(source, target)
    assert facts.width is not None and facts.height is not None
    assert facts.width <= 8192 and facts.height <= 8192
    assert facts.width * facts.height <= 36_152_319
    assert abs(Fraction(facts.width, facts.height) / Fraction(4, 3) - 1) < 0.01
    assert result.changes == [f"resized 8000x6000 to {facts.width}x{facts.height}"]
    assert describe_image_changes(inspect(source), target) == (True, ["resolution"])


@pytest.mark.parametrize("mode", ["pad", "crop"])
def test_link_card_shape_fits_instagram(tmp_path: Path, mode: str) -> None:
    source = make_image(tmp_path / "card.jpg", size=(1200, 628))
    target = ImageTarget(format="jpeg", aspect_mode=mode, **INSTAGRAM)  # type: ignore[arg-type]
    result, facts = fix(source, target)
    ratio = facts.aspect_ratio
    assert ratio is not None and Fraction(4, 5) <= ratio <= Fraction(191, 100)
    verb = "padded" if mode == "pad" else "cropped"
    assert any(change.startswith(f"{verb} to 1.91:1") for change in result.changes)
    assert describe_image_changes(inspect(source), target) == (True, ["framing"])


def test_tall_picture_is_padded_centred_with_bars(tmp_path: Path) -> None:
    source = make_image(tmp_path / "tall.png", format="PNG", size=(40, 100))
    result, facts = fix(source, ImageTarget(format="jpeg", **INSTAGRAM))  # type: ignore[arg-type]
    assert (facts.width, facts.height) == (80, 100)
    assert near(pixel(result.path, (1, 50)), (255, 255, 255, 255))  # bar
    assert near(pixel(result.path, (40, 50)), (200, 30, 30, 255))  # picture, centred
    assert near(pixel(result.path, (78, 50)), (255, 255, 255, 255))  # bar


def test_transparent_png_keeps_transparent_bars(tmp_path: Path) -> None:
    source = make_image(tmp_path / "tall.png", format="PNG", mode="RGBA", size=(40, 100))
    result, _ = fix(source, ImageTarget(format="png", **INSTAGRAM))  # type: ignore[arg-type]
    assert pixel(result.path, (1, 50))[3] == 0
    assert pixel(result.path, (40, 50))[3] == 128
    assert "padded to 4:5 (80x100) with transparent bars" in result.changes


# -- byte budget ---------------------------------------------------------------------------------


def noise(path: Path, size: tuple[int, int], fmt: str = "JPEG") -> Path:
    data = random.Random(7).randbytes(size[0] * size[1] * 3)
    Image.frombytes("RGB", size, data).save(path, format=fmt, quality=95)
    return path


def test_noisy_photo_is_squeezed_under_the_byte_limit(tmp_path: Path) -> None:
    source = noise(tmp_path / "noise.jpg", (2000, 2000))
    assert source.stat().st_size > 2_000_000
    target = ImageTarget(format="jpeg", max_bytes=500_000)
    result, facts = fix(source, target)
    assert facts.format == "jpeg"
    assert result.size <= 500_000
    assert result.quality is not None and 40 <= result.quality <= 95
    assert any("to fit 500,000 bytes" in change for change in result.changes)
    assert describe_image_changes(inspect(source), target) == (True, ["quality"])


def test_quality_search_alone_when_enough(tmp_path: Path) -> None:
    source = noise(tmp_path / "noise.jpg", (300, 300))
    size = source.stat().st_size
    target = ImageTarget(format="jpeg", max_bytes=size * 2 // 3)
    result, facts = fix(source, target)
    assert (facts.width, facts.height) == (300, 300)
    assert result.size <= size * 2 // 3
    assert result.quality is not None and result.quality < 95
    assert result.changes == [f"quality 95→{result.quality} to fit {size * 2 // 3:,} bytes"]


def test_png_shrinks_to_fit(tmp_path: Path) -> None:
    source = noise(tmp_path / "noise.png", (200, 200), "PNG")
    result, facts = fix(source, ImageTarget(format="png", max_bytes=40_000))
    assert result.size <= 40_000 and facts.format == "png"
    assert facts.width == facts.height and facts.width is not None and facts.width < 200


def test_impossible_byte_budget_writes_nothing(tmp_path: Path) -> None:
    source = noise(tmp_path / "noise.jpg", (64, 64))
    target = ImageTarget(format="jpeg", max_bytes=300, min_width=64)
    with pytest.raises(ImageFixError, match="300 bytes"):
        apply_image(source, target, tmp_path / "out.jpg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["noise.jpg"]


# -- animation -----------------------------------------------------------------------------------


def gif_durations(path: Path) -> list[int]:
    with Image.open(path) as im:
        durations = []
        for index in range(getattr(im, "n_frames", 1)):
            im.seek(index)
            durations.append(int(im.info.get("duration", 0)))
    return durations


def test_long_gif_is_sampled_down_to_linkedins_frames(tmp_path: Path) -> None:
    source = make_image(tmp_path / "loop.gif", format="GIF", frames=300, size=(32, 24))
    target = ImageTarget(format="gif", max_frames=250)
    result, facts = fix(source, target)
    assert facts.frames is not None and 1 < facts.frames <= 250
    assert sum(gif_durations(result.path)) == sum(gif_durations(source)) == 30_000
    assert "cut 300 frames to 250" in result.changes[0]
    assert describe_image_changes(inspect(source), target) == (True, ["frames"])


def test_gif_to_jpeg_keeps_the_first_frame(tmp_path: Path) -> None:
    source = make_image(tmp_path / "loop.gif", format="GIF", frames=4)
    result, facts = fix(source, ImageTarget(format="jpeg"))
    assert (facts.format, facts.frames) == ("jpeg", 1)
    assert near(pixel(result.path, (5, 5)), (200, 30, 30, 255))
    assert "kept the first of 4 frames (no animation)" in result.changes
    assert describe_image_changes(inspect(source), ImageTarget(format="jpeg")) == (
        True,
        ["animation"],
    )


def test_animated_webp_resized_frame_by_frame(tmp_path: Path) -> None:
    source = make_image(tmp_path / "anim.webp", format="WEBP", frames=5, mode="RGBA")
    _, facts = fix(source, ImageTarget(format="webp", max_width=32))
    assert (facts.width, facts.height, facts.frames, facts.has_alpha) == (32, 24, 5, True)


def test_gif_keeps_hard_transparency(tmp_path: Path) -> None:
    source = tmp_path / "sticker.png"
    im = Image.new("RGBA", (20, 20), (0, 0, 0, 0))
    im.paste((20, 200, 20, 255), (5, 5, 15, 15))
    im.save(source)
    result, _ = fix(source, ImageTarget(format="gif"))
    assert pixel(result.path, (0, 0))[3] == 0
    assert near(pixel(result.path, (10, 10)), (20, 200, 20, 255))


# -- files ---------------------------------------------------------------------------------------


def test_existing_destination_is_refused(tmp_path: Path) -> None:
    source = make_image(tmp_path / "photo.jpg")
    taken = tmp_path / "taken.jpg"
    taken.write_bytes(b"keep me")
    before = digest(source)
    with pytest.raises(FileExistsError):
        apply_image(source, ImageTarget(format="jpeg"), taken)
    with pytest.raises(FileExistsError):
        apply_image(source, ImageTarget(format="png"), source)
    assert taken.read_bytes() == b"keep me"
    assert digest(source) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.jpg", "taken.jpg"]


def test_unknown_format_is_refused_before_any_work(tmp_path: Path) -> None:
    source = make_image(tmp_path / "photo.jpg")
    with pytest.raises(ImageFixError, match="heic"):
        apply_image(source, ImageTarget(format="heic"), tmp_path / "out.heic")
    assert not (tmp_path / "out.heic").exists()


# -- prediction ----------------------------------------------------------------------------------


def facts(**fields: object) -> MediaFacts:
    base: dict[str, object] = {
        "kind": "image",
        "format": "png",
        "size": 100_000,
        "width": 1000,
        "height": 800,
        "mode": "RGB",
        "frames": 1,
        "has_alpha": False,
    }
    return MediaFacts.model_validate(base | fields)


@pytest.mark.parametrize(
    ("media", "target", "loses"),
    [
        (facts(), ImageTarget(format="jpeg"), []),
        (facts(orientation=6), ImageTarget(format="jpeg", max_height=1000), []),
        (facts(mode="RGBA", has_alpha=True), ImageTarget(format="webp"), []),
        (facts(mode="RGBA", has_alpha=True), ImageTarget(format="jpeg"), ["transparency"]),
        (
            facts(mode="RGBA", has_alpha=True),
            ImageTarget(format="gif"),
            ["transparency", "quality"],
        ),
        (facts(format="gif", frames=9), ImageTarget(format="jpeg"), ["animation"]),
        (facts(format="gif", frames=9), ImageTarget(format="gif", max_frames=4), ["frames"]),
        (facts(), ImageTarget(format="png", max_width=500), ["resolution"]),
        (facts(), ImageTarget(format="png", min_width=2000), ["sharpness"]),
        (facts(), ImageTarget(format="png", max_aspect_ratio=Fraction(1)), ["framing"]),
        (facts(), ImageTarget(format="png", max_bytes=50_000), ["quality"]),
        (facts(), ImageTarget(format="png", max_bytes=500_000), []),
    ],
)
def test_describe_predicts_what_is_lost(
    media: MediaFacts, target: ImageTarget, loses: list[str]
) -> None:
    assert describe_image_changes(media, target) == (bool(loses), loses)


# -- property ------------------------------------------------------------------------------------

SOURCES = [("JPEG", "RGB"), ("PNG", "RGBA"), ("PNG", "P"), ("WEBP", "RGB"), ("GIF", "P")]


@contextmanager
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


@st.composite
def targets(draw: st.DrawFn) -> ImageTarget:
    small = st.integers(8, 160)
    aspect = draw(st.booleans())
    return ImageTarget(
        format=draw(st.sampled_from(["jpeg", "png", "webp", "gif"])),
        quality=draw(st.integers(60, 95)),
        max_width=draw(st.none() | small),
        max_height=draw(st.none() | small),
        max_pixels=draw(st.none() | st.integers(64, 12_000)),
        max_dimension_sum=draw(st.none() | st.integers(16, 240)),
        min_width=draw(st.none() | st.integers(1, 40)),
        min_height=draw(st.none() | st.integers(1, 40)),
        min_aspect_ratio=Fraction(draw(st.integers(1, 10)), 10) if aspect else None,
        max_aspect_ratio=Fraction(draw(st.integers(10, 30)), 10) if aspect else None,
        aspect_mode=draw(st.sampled_from(["pad", "crop"])),
        max_frames=draw(st.none() | st.integers(1, 3)),
        keep_animation=draw(st.booleans()),
        apply_orientation=draw(st.booleans()),
    )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    source=st.sampled_from(SOURCES),
    size=st.tuples(st.integers(4, 120), st.integers(4, 120)),
    frames=st.integers(1, 4),
    orientation=st.sampled_from([None, 1, 3, 6, 8]),
    squeeze=st.none() | st.floats(0.3, 1.0),
    target=targets(),
)
def test_output_always_meets_its_target(
    source: tuple[str, str],
    size: tuple[int, int],
    frames: int,
    orientation: int | None,
    squeeze: float | None,
    target: ImageTarget,
) -> None:
    fmt, mode = source
    if fmt == "JPEG":
        frames = 1
    with folder() as tmp:
        path = make_image(tmp / "in", format=fmt, mode=mode, size=size, frames=frames,
                          orientation=orientation if fmt != "GIF" else None)  # fmt: skip
        before = inspect(path)
        assert before.size is not None
        if squeeze is not None:
            target = target.model_copy(update={"max_bytes": max(1, int(before.size * squeeze))})
        unsafe, loses = describe_image_changes(before, target)
        digest_before = digest(path)
        destination = tmp / "out"
        try:
            result = apply_image(path, target, destination)
        except ImageFixError:
            event("byte budget out of reach")
            assert target.max_bytes is not None  # only a byte budget can be out of reach
            assert not destination.exists()
            return
        finally:
            assert digest(path) == digest_before
        after = inspect(destination)
        event(f"unsafe={unsafe}, frames={after.frames}, changes={len(result.changes)}")
        assert after.format == target.format
        assert after.width is not None and after.height is not None
        w, h = after.width, after.height
        assert target.max_width is None or w <= target.max_width
        assert target.max_height is None or h <= target.max_height
        assert target.max_pixels is None or w * h <= target.max_pixels
        assert target.max_dimension_sum is None or w + h <= target.max_dimension_sum
        # sizes are checked as stored, the shape as shown (an orientation tag may be kept)
        shown = after.display_size
        ratio = after.aspect_ratio
        assert shown is not None and ratio is not None
        if target.min_aspect_ratio is not None and target.max_aspect_ratio is not None:
            assert target.min_aspect_ratio <= ratio <= target.max_aspect_ratio
        if target.max_frames is not None:
            assert (after.frames or 1) <= max(target.max_frames, 1)
        if not target.keep_animation:
            assert after.frames == 1
        assert target.max_bytes is None or result.size <= target.max_bytes
        # what the planner was told matches what happened
        if shown != before.display_size or (after.frames or 1) < (before.frames or 1):
            assert unsafe and loses
        if not unsafe:
            assert shown == before.display_size
