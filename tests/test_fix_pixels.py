"""Pixel formats in image fixes: wide samples, CMYK, ICC-tagged colours and transparency.

Every source is made at test time (16-bit PNGs, a 12-bit TIFF written byte by byte, CMYK
JPEG/TIFF and Display P3 / Adobe RGB pictures carrying the profiles of :mod:`tests.icc`), fixed,
and its output compared with a conversion that does not go through the fix: per-pixel Python
for wide greys, :mod:`tests.icc`'s own colour arithmetic for RGB profiles, ImageCms for CMYK.
Pillow's real test pictures in ``../shared/realmedia/pillow`` are held to the same references
when that folder exists.
"""

from __future__ import annotations

import io
import struct
import warnings
from collections.abc import Sequence
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat, features

import mediarules
from mediarules.fixes.api import plan_fixes
from mediarules.fixes.images import (
    ImageResult,
    apply_image,
    describe_image_changes,
    eight_bit,
    sample_depth,
)
from mediarules.fixes.targets import ImageTarget
from mediarules.inspection import inspect
from tests import icc

cms_only = pytest.mark.skipif(
    not features.check_module("littlecms2"), reason="Pillow without LittleCMS"
)
REALMEDIA = Path(__file__).resolve().parents[1].parent / "shared" / "realmedia" / "pillow"

JPEG = ImageTarget(format="jpeg", quality=100)
PNG = ImageTarget(format="png")


def fixed(source: Path, target: ImageTarget) -> ImageResult:
    """``target`` applied beside ``source``, as ``fixed-NAME``."""
    suffix = "jpg" if target.format == "jpeg" else target.format
    return apply_image(source, target, source.with_name(f"fixed-{source.stem}.{suffix}"))


def mean(im: Image.Image) -> list[float]:
    return list(ImageStat.Stat(im.convert("RGB")).mean)


def mean_error(a: Image.Image, b: Image.Image) -> float:
    """The largest difference between the two pictures' mean colours, per channel."""
    return max(abs(x - y) for x, y in zip(mean(a), mean(b), strict=True))


def pixel_error(a: Image.Image, b: Image.Image) -> float:
    """The mean absolute difference per pixel and channel."""
    difference = ImageChops.difference(a.convert("RGB"), b.convert("RGB"))
    return sum(ImageStat.Stat(difference).mean) / 3


def opened(path: Path) -> Image.Image:
    with Image.open(path) as im:
        im.load()
        return im.copy()


def on_white(im: Image.Image) -> Image.Image:
    """What a viewer shows on a white page: transparency blended away."""
    if "A" not in im.getbands():
        return im.convert("RGB")
    white = Image.new("RGBA", im.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, im.convert("RGBA")).convert("RGB")


def greys(values: list[int], size: tuple[int, int], mode: str = "I;16") -> Image.Image:
    im = Image.new(mode, size)
    im.putdata(values)
    return im


def scaled(values: list[int], top: int, size: tuple[int, int]) -> Image.Image:
    """The reference: each sample times 255 / ``top``, rounded, in plain Python."""
    return greys([round(v * 255 / top) for v in values], size, "L")


# -- wide samples --------------------------------------------------------------------------


def test_a_dark_16_bit_png_stays_dark(tmp_path: Path) -> None:
    """Values 0-255 of 65535 are nearly black, not a full 0-255 gradient (issue 13)."""
    size = (256, 32)
    values = [x for _ in range(size[1]) for x in range(256)]
    greys(values, size).save(tmp_path / "dark.png")
    result = fixed(tmp_path / "dark.png", JPEG)
    out = opened(result.path)
    assert max(mean(out)) < 1.5
    assert max(v for v in out.convert("L").get_flattened_data() if isinstance(v, int)) <= 3
    assert pixel_error(out, scaled(values, 65535, size)) < 1


def test_a_full_range_16_bit_png_keeps_its_gradient(tmp_path: Path) -> None:
    size = (256, 16)
    values = [x * 257 for _ in range(size[1]) for x in range(256)]
    greys(values, size).save(tmp_path / "ramp.png")
    out = opened(fixed(tmp_path / "ramp.png", PNG).path)
    assert pixel_error(out, scaled(values, 65535, size)) == 0


def twelve_bit_tiff(path: Path, values: list[int], width: int) -> Path:
    """A baseline TIFF with ``BitsPerSample`` 12 (Pillow reads, but cannot write, these),
    samples packed most significant bit first, one strip."""
    height = len(values) // width
    rows = b""
    for row in range(height):
        bits = "".join(format(v, "012b") for v in values[row * width : (row + 1) * width])
        bits += "0" * (-len(bits) % 8)
        rows += int(bits, 2).to_bytes(len(bits) // 8, "big")
    tags = [(256, width), (257, height), (258, 12), (259, 1), (262, 1), (273, 0), (277, 1),
            (278, height), (279, len(rows))]  # fmt: skip
    start = 8 + 2 + 12 * len(tags) + 4
    ifd = struct.pack("<H", len(tags))
    for tag, value in tags:
        ifd += struct.pack("<HHII", tag, 4, 1, start if tag == 273 else value)
    path.write_bytes(b"II*\0" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0) + rows)
    return path


def test_a_12_bit_tiff_is_scaled_by_its_12_bits(tmp_path: Path) -> None:
    width = 64
    values = [x * 65 for _ in range(8) for x in range(width)]  # 0..4095
    source = twelve_bit_tiff(tmp_path / "scan.tif", values, width)
    with Image.open(source) as im:
        assert (im.mode, sample_depth(im)) == ("I;16", 12)
    out = opened(fixed(source, PNG).path)
    assert pixel_error(out, scaled(values, 4095, (width, 8))) == 0
    assert out.convert("L").getextrema() == (0, 255)


def test_a_16_bit_tiff_holding_small_values_is_dark(tmp_path: Path) -> None:
    """BitsPerSample 16 means white at 65535, whatever the largest value in the picture."""
    size = (64, 8)
    values = [x * 64 for _ in range(size[1]) for x in range(64)]  # 0..4032
    greys(values, size).save(tmp_path / "dim.tif")
    out = opened(fixed(tmp_path / "dim.tif", PNG).path)
    assert pixel_error(out, scaled(values, 65535, size)) == 0
    assert max(mean(out)) < 9


def test_a_16_bit_transparent_key_is_matched_before_scaling(tmp_path: Path) -> None:
    """A tRNS grey of 1000 clears exactly the samples equal to it, not every sample that
    rounds to the same 8-bit grey."""
    values = [1000, 1001, 999, 40000] * 16
    greys(values, (8, 8)).save(tmp_path / "keyed.png", transparency=1000)
    with Image.open(tmp_path / "keyed.png") as im:
        assert im.info["transparency"] == 1000
        converted = eight_bit(im)
    assert converted.mode == "LA"
    assert list(converted.getchannel("A").get_flattened_data())[:4] == [0, 255, 255, 255]
    out = opened(fixed(tmp_path / "keyed.png", JPEG).path)
    assert at(out, (0, 0)) == (255, 255, 255)  # flattened onto white
    assert sum(at(out, (1, 0))) < 15  # 1001 of 65535 is black


# -- colour profiles -----------------------------------------------------------------------


def patches(colours: Sequence[tuple[int, ...]], mode: str = "RGB", side: int = 16) -> Image.Image:
    """Solid squares side by side: JPEG keeps their middles exact enough to compare."""
    im = Image.new(mode, (side * len(colours), side))
    for index, colour in enumerate(colours):
        im.paste(colour, (index * side, 0, (index + 1) * side, side))
    return im


def at(im: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    value = im.getpixel(xy)
    assert isinstance(value, tuple)
    return value


def centre(im: Image.Image, index: int, side: int = 16) -> tuple[int, ...]:
    return at(im.convert("RGB"), (index * side + side // 2, side // 2))


RGB_COLOURS = [(200, 100, 50), (20, 180, 90), (128, 128, 128), (10, 20, 240), (250, 240, 30)]


@cms_only
@pytest.mark.parametrize(("space", "fmt"), [("display-p3", "PNG"), ("adobe-rgb", "JPEG")])
def test_wide_gamut_pictures_become_srgb_pixels(tmp_path: Path, space: str, fmt: str) -> None:
    profile = icc.rgb_profile(space, f"Test {space}")
    source = tmp_path / f"{space}.{fmt.lower()}"
    patches(RGB_COLOURS).save(source, fmt, icc_profile=profile, quality=100, subsampling=0)
    for target in (PNG, JPEG):
        result = fixed(source, target)
        out = opened(result.path)
        assert "icc_profile" not in out.info  # sRGB pixels, untagged: what untagged means
        for index, colour in enumerate(RGB_COLOURS):
            want = icc.rgb_to_srgb(colour, space)
            got = centre(out, index)
            assert all(abs(a - b) <= 2 for a, b in zip(got, want, strict=True)), (colour, got, want)
        assert f"converted colours from the 'Test {space}' ICC profile to sRGB" in result.changes


@cms_only
def test_an_srgb_profile_is_kept_and_a_stray_one_never_written(tmp_path: Path) -> None:
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    patches(RGB_COLOURS).save(tmp_path / "tagged.png", icc_profile=srgb)
    patches(RGB_COLOURS).save(tmp_path / "broken.png", icc_profile=b"not a profile" * 20)
    assert opened(fixed(tmp_path / "tagged.png", PNG).path).info.get("icc_profile") == srgb
    result = fixed(tmp_path / "broken.png", PNG)
    assert "ignored an unreadable ICC profile" in result.changes
    assert "icc_profile" not in opened(result.path).info  # the PNG writer would copy it


CMYK_COLOURS = [(0, 0, 0, 0), (255, 0, 0, 0), (0, 200, 0, 0), (0, 0, 255, 0), (128, 128, 128, 0),
                (40, 90, 160, 30), (0, 0, 0, 255)]  # fmt: skip


def cmyk_reference(im: Image.Image, profile: bytes) -> Image.Image:
    from PIL import ImageCms

    srgb = ImageCms.createProfile("sRGB")
    source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
    converted = ImageCms.profileToProfile(im, source, srgb, outputMode="RGB")
    assert isinstance(converted, Image.Image)
    return converted


@cms_only
@pytest.mark.parametrize("fmt", ["JPEG", "TIFF"])
def test_cmyk_with_its_profile_converts_through_the_profile(tmp_path: Path, fmt: str) -> None:
    """The inks as the profile prints them, not Pillow's profile-blind ``convert("RGB")``.
    Pillow writes CMYK JPEGs as Adobe does (inverted, with an APP14 "Adobe" marker) and reads
    them back the same way: the reference is made from the picture before it was saved."""
    profile = icc.cmyk_profile("Test press")
    picture = patches(CMYK_COLOURS, "CMYK")
    source = tmp_path / f"print.{fmt.lower()}"
    picture.save(source, fmt, icc_profile=profile, quality=100, subsampling=0)
    if fmt == "JPEG":
        assert b"Adobe" in source.read_bytes()[:200]
    reference = cmyk_reference(picture, profile)
    naive = picture.convert("RGB")
    assert pixel_error(reference, naive) > 10  # the profile matters for these colours
    for target in (PNG, JPEG):
        out = opened(fixed(source, target).path)
        assert out.mode == "RGB" and "icc_profile" not in out.info
        if target is PNG:
            assert pixel_error(out, reference) < 0.5, fmt
        for index in range(len(CMYK_COLOURS)):
            got, want = centre(out, index), centre(reference, index)
            assert all(abs(a - b) <= 3 for a, b in zip(got, want, strict=True)), (index, got, want)


def grey_profile(gamma: float) -> bytes:
    """A display profile for greys whose curve is ``gamma`` (1.0: linear light)."""
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256))
    return icc._profile(
        b"mntr",
        b"GRAY",
        [(b"desc", icc._desc("Linear grey")), (b"wtpt", icc._xyz_tag(icc.D50)), (b"kTRC", curve)],
    )


@cms_only
def test_grey_with_alpha_and_a_linear_profile(tmp_path: Path) -> None:
    """LA with its own grey profile: the grey converted (linear 50 % is sRGB 188), the alpha
    kept in a PNG and flattened onto white in a JPEG."""
    im = Image.new("LA", (16, 16), (128, 255))
    im.paste((128, 0), (0, 0, 8, 16))
    im.save(tmp_path / "grey.png", icc_profile=grey_profile(1.0))
    png = opened(fixed(tmp_path / "grey.png", PNG).path)
    assert png.mode == "RGBA"
    assert at(png, (12, 8))[3] == 255 and at(png, (2, 8))[3] == 0
    want = round(255 * icc.srgb_encode(128 / 255))
    assert all(abs(v - want) <= 1 for v in at(png, (12, 8))[:3])
    jpeg = opened(fixed(tmp_path / "grey.png", JPEG).path)
    assert all(abs(v - 255) <= 2 for v in at(jpeg, (2, 8)))
    assert all(abs(v - want) <= 2 for v in at(jpeg, (12, 8)))


def test_palette_alpha_is_blended_as_the_viewer_sees_it(tmp_path: Path) -> None:
    """A palette with a tRNS alpha per entry (PNG's "PA" case): JPEG gets each colour
    blended onto white in proportion to its alpha; PNG keeps the alpha."""
    colours = [(200, 30, 30), (30, 200, 30), (30, 30, 200), (0, 0, 0)]
    alphas = [255, 128, 64, 0]
    im = Image.new("P", (64, 16))
    im.putpalette([c for rgb in colours for c in rgb])
    for index in range(4):
        im.paste(index, (index * 16, 0, index * 16 + 16, 16))
    im.save(tmp_path / "badge.png", transparency=bytes(alphas))
    jpeg = opened(fixed(tmp_path / "badge.png", JPEG).path)
    png = opened(fixed(tmp_path / "badge.png", PNG).path)
    for index, (rgb, alpha) in enumerate(zip(colours, alphas, strict=True)):
        want = tuple(round((c * alpha + 255 * (255 - alpha)) / 255) for c in rgb)
        got = centre(jpeg, index)
        assert all(abs(a - b) <= 3 for a, b in zip(got, want, strict=True)), (index, got, want)
        assert at(png, (index * 16 + 8, 8))[3] == alpha


# -- Pillow's own test pictures -------------------------------------------------------------


def _realmedia_reference(im: Image.Image) -> Image.Image | None:
    """What the picture shows, without the fix's code: per-pixel scaling for wide greys (by
    the TIFF's BitsPerSample, else 16 bits; signed TIFFs by 15), ImageCms for profiles,
    transparency blended onto white."""
    from PIL import ImageCms

    if im.mode.startswith("I"):
        bits = 16
        tags = getattr(im, "tag_v2", None)
        if im.format == "TIFF" and tags is not None:
            bits = tags.get(258, (16,))[0] - (1 if tags.get(339, (1,))[0] == 2 else 0)
        key = im.info.get("transparency")
        top = (1 << bits) - 1
        values = [int(v) for v in im.get_flattened_data() if isinstance(v, int | float)]
        out = [255 if v == key else min(255, max(0, round(v * 255 / top))) for v in values]
        return greys(out, im.size, "L").convert("RGB")
    profile = im.info.get("icc_profile")
    rgb: Image.Image | None = None
    if profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        except (OSError, ImageCms.PyCMSError):
            return None
        space = source.profile.xcolor_space.strip()
        base = {"CMYK": "CMYK", "RGB": "RGB"}.get(space)
        if base is None or (base == "RGB" and im.mode not in ("RGB", "RGBA")):
            return None
        if base == "CMYK" and im.mode != "CMYK":
            return None
        srgb = ImageCms.createProfile("sRGB")
        rgb = ImageCms.profileToProfile(im.convert(base), source, srgb, outputMode="RGB")
    elif im.mode == "CMYK":
        rgb = im.convert("RGB")  # no profile: nothing better is known
    else:
        return None
    assert rgb is not None
    if im.mode == "RGBA":
        rgba = rgb.convert("RGBA")
        rgba.putalpha(im.getchannel("A"))
        return Image.alpha_composite(Image.new("RGBA", im.size, (255,) * 4), rgba).convert("RGB")
    return rgb


def _realmedia_cases() -> list[str]:
    if not REALMEDIA.is_dir():
        return []
    names = []
    for path in sorted(REALMEDIA.iterdir()):
        if path.suffix.lower() not in (".png", ".jpg", ".tif", ".tiff", ".jp2"):
            continue
        try:
            with warnings.catch_warnings(), Image.open(path) as im:
                warnings.simplefilter("ignore")
                wanted = im.mode.startswith("I") or im.mode == "CMYK" or "icc_profile" in im.info
        except Exception:  # not for Pillow: another test's business
            continue
        if wanted:
            names.append(path.name)
    return names


REALMEDIA_CASES = _realmedia_cases()


@cms_only
@pytest.mark.parametrize("name", REALMEDIA_CASES or ["(no realmedia)"])
def test_realmedia_pictures_keep_their_mean_colour(tmp_path: Path, name: str) -> None:
    """CMYK, 16-bit and ICC-tagged pictures of Pillow's test suite: the fixed PNG's mean
    colour is within 0.5 of the reference's, the fixed JPEG's within 2.5 (JPEG's own error
    on saturated colours, after 4:2:0 chroma subsampling, is up to about 1.6)."""
    if not REALMEDIA_CASES:
        pytest.skip("../shared/realmedia is not here")
    source = REALMEDIA / name
    facts = inspect(source)
    if (facts.orientation or 1) != 1:
        pytest.skip("turned by its orientation: compared elsewhere")
    with warnings.catch_warnings(), Image.open(source) as im:
        warnings.simplefilter("ignore")
        im.load()
        reference = _realmedia_reference(im)
    if reference is None:
        pytest.skip("no independent reference for this profile")
    for target, tolerance in ((PNG, 0.5), (JPEG, 2.5)):
        result = apply_image(source, target, tmp_path / f"fixed.{target.format}")
        out = on_white(opened(result.path))
        assert out.size == reference.size
        assert mean_error(out, reference) < tolerance, (target.format, mean(out), mean(reference))


# -- multi-page TIFF -------------------------------------------------------------------------


def test_a_multi_page_tiff_reports_its_pages_and_the_fix_says_it_keeps_one(
    tmp_path: Path,
) -> None:
    pages = [Image.new("RGB", (40, 30), colour) for colour in RGB_COLOURS[:3]]
    source = tmp_path / "scan.tif"
    pages[0].save(source, save_all=True, append_images=pages[1:])
    facts = inspect(source)
    assert (facts.format, facts.frames, facts.animated) == ("tiff", 3, False)
    report = mediarules.check([source], platforms="x")
    (found,) = [v for v in report.violations if v.code == "image.format_not_allowed"]
    assert found.fix is not None and "pages" in found.fix.loses
    (output,) = plan_fixes([source], platforms="x").outputs
    assert output.image is not None and output.loses == ["pages"]
    result = fixed(source, output.image)
    assert "kept the first of 3 pages" in result.changes
    assert centre(opened(result.path), 0) == RGB_COLOURS[0]
    single = tmp_path / "one.tif"
    pages[0].save(single)
    assert inspect(single).frames == 1
    assert describe_image_changes(inspect(single), JPEG) == (False, [])


@pytest.mark.parametrize(
    "name", ["multipage.tiff", "multipage-mmap.tiff", "multipage_out_of_order.tiff",
             "multipage_multiple_frame_loop.tiff", "multipage_single_frame_loop.tiff"],
)  # fmt: skip
def test_realmedia_multi_page_tiffs_count_as_pillow_does(name: str) -> None:
    path = REALMEDIA / name
    if not path.exists():
        pytest.skip("../shared/realmedia is not here")
    with Image.open(path) as im:
        pages = getattr(im, "n_frames", 1)
    facts = inspect(path)
    assert (facts.frames, facts.animated) == (pages, False)


def test_a_tiff_of_too_many_pages_is_counted_no_further(tmp_path: Path) -> None:
    """Counting reads every page's tags: past MAX_TIFF_PAGES the count is unknown, and the
    fix still keeps the first page."""
    from mediarules.inspection.images import MAX_TIFF_PAGES

    pages = [Image.new("L", (1, 1), i % 256) for i in range(MAX_TIFF_PAGES + 5)]
    source = tmp_path / "long.tif"
    pages[0].save(source, save_all=True, append_images=pages[1:])
    assert inspect(source).frames is None
    result = fixed(source, PNG)
    assert f"kept the first of more than {MAX_TIFF_PAGES:,} pages" in result.changes
    exact = tmp_path / "exact.tif"
    pages[0].save(exact, save_all=True, append_images=pages[1:MAX_TIFF_PAGES])
    assert inspect(exact).frames == MAX_TIFF_PAGES
