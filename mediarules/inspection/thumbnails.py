"""A small picture of a media file for a report: the image's first frame or a video's poster.

The picture is encoded as JPEG, or as PNG when some pixel is see-through, and never more than
``THUMBNAIL_SIZE``. Making one never raises: a file that cannot be previewed (missing, not a
regular file, damaged, too big, a video without PyAV) gives a :class:`Thumbnail` without a
picture and a short reason, which a report shows on a placeholder.

Bounded work: a JPEG is decoded at 1/2, 1/4 or 1/8 of its size, a picture still over
``MAX_DECODE_PIXELS`` is not decoded, and a video's poster frame gets ``VIDEO_DEADLINE_S``
and ``VIDEO_MAX_PACKETS``. Pillow for pictures; PyAV (optional) for video.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import time
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps

from mediarules.inspection import library_warnings
from mediarules.models import MediaFacts

__all__ = ["MAX_DECODE_PIXELS", "THUMBNAIL_SIZE", "Thumbnail", "thumbnail"]

THUMBNAIL_SIZE = (160, 160)
"""The largest thumbnail, in pixels; it keeps the picture's shape."""

MAX_DECODE_PIXELS = 40_000_000
"""A picture that still has more pixels than this after JPEG draft scaling is not decoded
for its thumbnail (a placeholder instead): bounds memory at about 160 MB."""

VIDEO_DEADLINE_S = 3.0
"""Time allowed to find a video's poster frame before giving up for a placeholder."""

VIDEO_MAX_PACKETS = 240
"""Packets read from the video stream at most while looking for a poster frame."""


@dataclass(frozen=True)
class Thumbnail:
    """An encoded picture (``data``, of type ``mime``, ``width`` x ``height`` pixels), or, when
    ``data`` is empty, the ``reason`` there is none ("file missing", "too big to preview")."""

    data: bytes = b""
    mime: str = ""
    width: int = 0
    height: int = 0
    reason: str = ""


class _NoPreviewError(Exception):
    """Why a file gets no picture; the message becomes the thumbnail's ``reason``."""


def thumbnail(facts: MediaFacts) -> Thumbnail:
    """The thumbnail of the file ``facts`` describe (read at ``facts.path``); never raises."""
    try:
        if facts.kind is None:
            return Thumbnail(reason="unreadable")
        path = facts.path
        if not path:
            return Thumbnail(reason="declared, no file")
        try:
            regular = stat.S_ISREG(os.stat(path).st_mode)
        except (OSError, ValueError):
            return Thumbnail(reason="file missing")
        if not regular:  # a FIFO or device would block or never end
            return Thumbnail(reason="not a file")
        with library_warnings.collecting():  # Pillow's and libtiff's: already in the facts
            picture = _video_poster(path, facts) if facts.kind == "video" else _image_picture(path)
        return _encode(picture)
    except _NoPreviewError as reason:
        return Thumbnail(reason=str(reason))
    except MemoryError:
        return Thumbnail(reason="too big to preview")
    except Exception:  # whatever a decoder raises on a damaged file
        return Thumbnail(reason="no preview")


def _image_picture(path: str) -> Image.Image:
    """The first frame, scaled to fit ``THUMBNAIL_SIZE`` and turned upright (EXIF)."""
    with warnings.catch_warnings():
        # The bomb *limit* stays as it is: over twice it Pillow raises (a placeholder here);
        # between once and twice the warning is noise, the pixel bound below decides.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(path) as image:
            image.draft("RGB", THUMBNAIL_SIZE)  # JPEG: decode at 1/2, 1/4 or 1/8 scale
            if image.width * image.height > MAX_DECODE_PIXELS:
                raise _NoPreviewError("too big to preview")
            image.thumbnail(THUMBNAIL_SIZE)  # loads the first frame only
            try:
                upright = ImageOps.exif_transpose(image)
            except Exception:  # damaged EXIF: the picture as stored beats a placeholder
                upright = image.copy()
            upright.thumbnail(THUMBNAIL_SIZE)
            return upright


def _video_poster(path: str, facts: MediaFacts) -> Image.Image:
    """The first picture at or before 10 % of the video (at most 3 s in), scaled and turned
    as the player shows it. PyAV is optional: without it, ``_NoPreviewError``."""
    try:
        import av
    except ImportError:
        raise _NoPreviewError("video") from None
    deadline = time.monotonic() + VIDEO_DEADLINE_S
    with av.open(path, metadata_errors="ignore") as container:
        if not container.streams.video:
            raise _NoPreviewError("no picture")
        stream = container.streams.video[0]
        if facts.duration_s and facts.duration_s > 2 and stream.time_base:
            target = min(facts.duration_s * 0.1, 3.0)
            with contextlib.suppress(Exception):  # a file that cannot seek: from the start
                container.seek(int(target / stream.time_base), stream=stream, backward=True)
        frame = None
        for count, packet in enumerate(container.demux(stream)):
            if count >= VIDEO_MAX_PACKETS or time.monotonic() > deadline:
                break
            try:
                frames = packet.decode()
            except Exception:  # a damaged packet: try the next one
                continue
            if frames:
                frame = frames[0]
                break
        if frame is None:
            raise _NoPreviewError("no picture")
        width, height = frame.width, frame.height
        ratio = stream.sample_aspect_ratio
        if ratio is not None and ratio > 0 and ratio != 1:
            width = max(1, round(width * ratio))
        scale = min(1.0, THUMBNAIL_SIZE[0] / max(width, height) * 2)
        picture: Image.Image = frame.to_image(  # type: ignore[no-untyped-call]
            width=max(1, round(width * scale)),
            height=max(1, round(height * scale)),
            interpolation="AREA",
        )
    rotation = (facts.rotation or 0) % 360
    turn = {
        90: Image.Transpose.ROTATE_270,  # clockwise display rotation
        180: Image.Transpose.ROTATE_180,
        270: Image.Transpose.ROTATE_90,
    }.get(rotation)
    if turn is not None:
        picture = picture.transpose(turn)
    picture.thumbnail(THUMBNAIL_SIZE)
    return picture


def _encode(picture: Image.Image) -> Thumbnail:
    """JPEG for opaque pictures, PNG when some pixel is see-through."""
    picture = _web_mode(picture)
    buffer = io.BytesIO()
    if picture.mode == "RGBA":
        picture.save(buffer, format="PNG", optimize=True)
        mime = "image/png"
    else:
        picture.save(buffer, format="JPEG", quality=85, optimize=True)
        mime = "image/jpeg"
    return Thumbnail(buffer.getvalue(), mime, picture.width, picture.height)


def _web_mode(picture: Image.Image) -> Image.Image:
    """RGB, or RGBA when the picture has real transparency."""
    if picture.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        picture = picture.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if picture.mode == "P" and "transparency" in picture.info:
        picture = picture.convert("RGBA")
    if picture.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in picture.info:
        picture = picture.convert("RGBA")
        low = picture.getchannel("A").getextrema()[0]
        if isinstance(low, int | float) and low < 255:
            return picture
    return picture.convert("RGB")
