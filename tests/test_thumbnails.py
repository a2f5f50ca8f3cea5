"""``inspection.thumbnails``: a small picture of a file for reports, or why there is none."""

from __future__ import annotations

import io
import os
import struct
import sys
import time
import zlib
from pathlib import Path

import pytest
from PIL import Image
from PIL.JpegImagePlugin import JpegImageFile

import mediarules
from mediarules.inspection.thumbnails import THUMBNAIL_SIZE, Thumbnail, thumbnail
from mediarules.models import MediaFacts
from tests.media import make_corrupt, make_image, make_video


def picture(made: Thumbnail) -> Image.Image:
    """The thumbnail's bytes decoded, after checking they are what it says they are."""
    assert made.data and not made.reason
    image = Image.open(io.BytesIO(made.data))
    image.load()
    assert made.mime == {"JPEG": "image/jpeg", "PNG": "image/png"}[image.format or ""]
    assert (made.width, made.height) == image.size
    assert max(image.size) <= max(THUMBNAIL_SIZE)
    return image


def _has_av() -> bool:
    try:
        import av  # noqa: F401
    except ImportError:
        return False
    return True


def test_an_image_keeps_its_shape(tmp_path: Path) -> None:
    path = make_image(tmp_path / "photo.webp", format="WEBP", size=(1200, 900))
    assert picture(thumbnail(mediarules.inspect(path))).size == (160, 120)


def test_a_small_image_is_not_enlarged(tmp_path: Path) -> None:
    path = make_image(tmp_path / "small.png", format="PNG", size=(40, 30))
    assert picture(thumbnail(mediarules.inspect(path))).size == (40, 30)


def test_a_video_gives_its_poster_frame(tmp_path: Path) -> None:
    pytest.importorskip("av")
    path = make_video(tmp_path / "clip.mp4", size=(320, 240), duration_s=1)
    image = picture(thumbnail(mediarules.inspect(path))).convert("RGB")
    assert image.size == (160, 120)
    pixel = image.getpixel((80, 60))
    assert isinstance(pixel, tuple)
    # make_video paints every frame (30, 120, 200): the frame itself, not a placeholder
    assert all(abs(a - b) <= 12 for a, b in zip(pixel, (30, 120, 200), strict=True))


def test_a_video_without_pyav_has_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = make_video(tmp_path / "clip.mp4", size=(64, 48), duration_s=1)
    facts = mediarules.inspect(path)
    monkeypatch.setitem(sys.modules, "av", None)  # import av -> ImportError
    assert thumbnail(facts) == Thumbnail(reason="video")


def test_errors_never_escape(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    photo = mediarules.inspect(make_image(tmp_path / "photo.jpg", size=(64, 48)))
    clip = mediarules.inspect(make_video(tmp_path / "clip.mp4", size=(64, 48), duration_s=1))

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("decoder crashed")

    monkeypatch.setattr(Image, "open", explode)
    assert thumbnail(photo) == Thumbnail(reason="no preview")
    if "av" in sys.modules or _has_av():
        import av

        monkeypatch.setattr(av, "open", explode)
        assert thumbnail(clip) == Thumbnail(reason="no preview")


def test_a_twelve_megapixel_jpeg_is_decoded_at_a_fraction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.jpg"
    Image.effect_noise((4000, 3000), 64).convert("RGB").save(path, quality=90)  # busy, like a photo
    facts = mediarules.inspect(path)
    drafts: list[object] = []
    draft = JpegImageFile.draft

    def spy(self: JpegImageFile, mode: str | None, size: tuple[int, int] | None) -> object:
        result = draft(self, mode, size)
        drafts.append(result)
        return result

    monkeypatch.setattr(JpegImageFile, "draft", spy)
    best = min(_timed(lambda: thumbnail(facts)) for _ in range(3))
    assert best < 0.5, f"{best:.3f} s for a 12 MP thumbnail"
    assert drafts and drafts[0] is not None  # decoded at a fraction of its size
    assert picture(thumbnail(facts)).size == (160, 120)


def _timed(work: object) -> float:
    assert callable(work)
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def test_exif_orientation_is_respected(tmp_path: Path) -> None:
    path = make_image(tmp_path / "turned.jpg", size=(64, 48), orientation=6)
    assert picture(thumbnail(mediarules.inspect(path))).size == (48, 64)


def test_an_animation_shows_its_first_frame(tmp_path: Path) -> None:
    path = make_image(tmp_path / "anim.gif", format="GIF", size=(80, 60), mode="RGB", frames=3)
    pixel = picture(thumbnail(mediarules.inspect(path))).convert("RGB").getpixel((40, 30))
    assert isinstance(pixel, tuple) and pixel[0] > 150 and pixel[1] < 80  # frame 1 is red


def test_transparency_is_kept_as_png(tmp_path: Path) -> None:
    see_through = make_image(tmp_path / "alpha.png", format="PNG", mode="RGBA", size=(90, 90))
    opaque = tmp_path / "opaque.png"
    Image.new("RGBA", (90, 90), (10, 20, 30, 255)).save(opaque)
    kept = thumbnail(mediarules.inspect(see_through))
    assert kept.mime == "image/png" and picture(kept).mode == "RGBA"
    assert thumbnail(mediarules.inspect(opaque)).mime == "image/jpeg"


def _png_header(path: Path, width: int, height: int) -> Path:
    """A PNG that claims ``width`` x ``height`` and holds a few bytes of pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1000)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )
    return path


@pytest.mark.parametrize(
    ("width", "height", "reason"),
    [
        (30_000, 30_000, "no preview"),  # over twice Pillow's bomb limit: it refuses to open
        (8_000, 6_000, "too big to preview"),  # under it, but over MAX_DECODE_PIXELS
    ],
)
def test_huge_pictures_are_not_decoded(
    tmp_path: Path, width: int, height: int, reason: str
) -> None:
    limit = Image.MAX_IMAGE_PIXELS
    path = _png_header(tmp_path / "huge.png", width, height)
    facts = MediaFacts(path=str(path), kind="image", format="png", width=width, height=height)
    start = time.perf_counter()
    made = thumbnail(facts)
    assert time.perf_counter() - start < 1
    assert made == Thumbnail(reason=reason)
    assert limit == Image.MAX_IMAGE_PIXELS  # the bomb limit is left as it was


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_a_fifo_is_not_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    assert thumbnail(MediaFacts(path=str(fifo), kind="image", format="jpeg")) == Thumbnail(
        reason="not a file"
    )


def test_no_file_no_picture(tmp_path: Path) -> None:
    gone = MediaFacts(path=str(tmp_path / "gone.jpg"), kind="image", format="jpeg")
    assert thumbnail(gone) == Thumbnail(reason="file missing")
    declared = MediaFacts(kind="image", format="jpeg", width=10, height=10)
    assert thumbnail(declared) == Thumbnail(reason="declared, no file")
    broken = make_corrupt(tmp_path / "broken.jpg")
    assert thumbnail(MediaFacts(path=str(broken))) == Thumbnail(reason="unreadable")
