"""The Pillow adapter: image facts from the header, never from decoded pixels. It is the
fallback of :mod:`mediarules.inspection.images` (whose header readers answer for most JPEGs,
PNGs and GIFs), and imported only when a file needs it: importing Pillow costs more than
inspecting a JPEG.

``PIL.Image.open`` is lazy, but it also runs a decompression-bomb check meant for decoding: a
warning past ``MAX_IMAGE_PIXELS`` (89 MP, a real medium-format camera photo) and an error past
twice that. We never decode, so :func:`_open_header` runs the same plugin-identification loop as
``Image.open`` without that check. That way a huge image is still inspected, with no change to
``MAX_IMAGE_PIXELS`` and no ``warnings.catch_warnings()`` (which swaps the process-wide filter
list and is not thread-safe before Python 3.14). A GIF's frames are counted by
:mod:`mediarules.inspection.gif`, not by Pillow's ``n_frames`` (which reads every 255-byte
sub-block of every frame in Python).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import BinaryIO

from PIL import GifImagePlugin, Image, ImageFile

from mediarules.inspection import gif, library_warnings
from mediarules.inspection.convert import image_format_name
from mediarules.inspection.errors import UnreadableMediaError
from mediarules.inspection.images import tiff_pages
from mediarules.models import MediaFacts

library_warnings.pillow_loaded()  # libtiff's messages become notes from now on

VIDEO_FORMATS = frozenset({"MPEG"})
"""Pillow formats that are really video streams (Pillow identifies MPEG-1/2 elementary video
streams by their sequence header but cannot read them): hand these to MediaInfo."""

ANIMATABLE_FORMATS = frozenset({"GIF", "WEBP", "PNG", "AVIF"})
"""Formats whose extra frames are an animation. MPO's extra pictures are previews, depth or
gain maps that viewers never show: 1 frame. A multi-page TIFF reports its pages as frames
(``MediaFacts.animated`` knows they are a document's, not an animation's)."""

_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})

_NOT_THIS_FORMAT = (SyntaxError, IndexError, TypeError, struct.error)
"""What a Pillow plugin raises for "this is not my format" (the same list ``Image.open`` uses)."""


def inspect_open_image(fp: BinaryIO, path: str, *, size: int) -> MediaFacts | None:
    """Facts about the image open as ``fp`` (read from its start), or ``None`` when Pillow
    does not recognise it.

    Raises :class:`UnreadableMediaError` "corrupt" when a format recognises the file by its
    magic number but cannot read the header (the caller may still ask MediaInfo about it).
    """
    fp.seek(0)
    prefix = fp.read(16)
    opened = _open_header(fp, path, prefix)
    if opened is None:
        return None
    with opened as im:
        if im.format in VIDEO_FORMATS:
            return None
        return _facts(im, fp, path, size)


def _facts(im: ImageFile.ImageFile, fp: BinaryIO, path: str, size: int) -> MediaFacts:
    """Header facts; frames are counted only for formats that animate."""
    pillow_format = im.format or ""
    width, height = _stored_size(im)
    # Everything Pillow knows first: counting frames moves the file position under it.
    mode = im.mode
    has_alpha = mode in _ALPHA_MODES or "transparency" in im.info
    orientation = _orientation(im)
    return MediaFacts(
        path=path,
        kind="image",
        format=image_format_name(pillow_format),
        size=size,
        width=width,
        height=height,
        mode=mode,
        frames=_frames(im, fp, pillow_format, path, size),
        has_alpha=has_alpha,
        orientation=orientation,
    )


def _stored_size(im: ImageFile.ImageFile) -> tuple[int, int]:
    """Width and height as stored. Pillow's TIFF plugin reports the size *after* its EXIF
    orientation (it turns the picture on load), so read the TIFF's own dimension tags."""
    tags = getattr(im, "tag_v2", None) if im.format == "TIFF" else None
    if tags is not None:
        width, height = tags.get(256), tags.get(257)  # ImageWidth, ImageLength
        if isinstance(width, int) and isinstance(height, int):
            return width, height
    return im.size


def _frames(
    im: ImageFile.ImageFile, fp: BinaryIO, pillow_format: str, path: str, size: int
) -> int | None:
    if pillow_format == "TIFF":
        return tiff_pages(im)
    if pillow_format not in ANIMATABLE_FORMATS:
        return 1
    if pillow_format == "GIF":
        # Pillow's n_frames, without its Python read of every sub-block (see gif.py); it
        # leaves Pillow's image alone, whose mode a seek to another frame can change.
        frames = gif.count_frames(fp, size)
        if frames is None:
            raise UnreadableMediaError(
                "corrupt", "the GIF frames cannot be read (a block is cut short)", path=path
            )
        return frames
    try:
        frames = getattr(im, "n_frames", 1)  # APNG: from the acTL chunk, read by the open
    except Image.DecompressionBombError:
        return None  # a frame larger than the canvas; the count is unknown, not zero
    except Exception as exc:  # any failure inside Pillow's frame walk
        raise UnreadableMediaError(
            "corrupt", f"the {_label(pillow_format)} frames cannot be read ({exc})", path=path
        ) from exc
    return frames if isinstance(frames, int) and frames >= 1 else None


_EXIF_SOURCES = frozenset({"exif", "Raw profile type exif", "XML:com.adobe.xmp", "xmp"})
"""The ``info`` keys ``Image.Image.getexif`` reads an orientation from (besides TIFF tags)."""


def _orientation(im: ImageFile.ImageFile) -> int | None:
    """The EXIF orientation tag (0x0112), or ``None`` when absent or not 1..8.

    ``PngImageFile.getexif`` decodes the whole image to look for an eXIf chunk after the pixel
    data; browsers honour only one before it, which lazy open has already read into ``info``,
    so PNGs use the base method.
    """
    base = im.format == "PNG" or type(im).getexif is Image.Image.getexif
    if (
        base
        and getattr(im, "_exif", None) is None
        and _EXIF_SOURCES.isdisjoint(im.info)
        and not hasattr(im, "tag_v2")
    ):
        return None  # what the base getexif would find, without building an empty Exif
    try:
        exif = Image.Image.getexif(im) if base else im.getexif()
        value = exif.get(0x0112)
    except Exception:  # bad EXIF never makes an image unreadable for a viewer
        return None
    return value if isinstance(value, int) and 1 <= value <= 8 else None


def _label(pillow_format: str) -> str:
    """A format name for messages: ``JPEG``, ``PNG``, ``WebP``."""
    name = image_format_name(pillow_format)
    return {"webp": "WebP", "heif": "HEIF"}.get(name, name.upper())


# ---------------------------------------------------------------------------------------------
# opening


def _open_header(fp: BinaryIO, path: str, prefix: bytes) -> ImageFile.ImageFile | None:
    """Identify the file open in ``fp`` with Pillow's plugins, header only: the open image, or
    ``None`` when no plugin recognises it.

    Raises :class:`UnreadableMediaError` ("corrupt") when a plugin recognised its magic number
    but could not read the header.
    """
    errors: dict[str, tuple[str, Exception]] = {}  # the first "failure" and "mismatch"
    # Like Image.open: the common plugins first, then all of them. Loop over a copy of the
    # registry: a plugin's factory may import and register another plugin.
    Image.preinit()
    common = tuple(Image.ID)
    im = _try_plugins(common, fp, path, prefix, errors)
    if im is None:
        Image.init()
        tried = frozenset(common)
        im = _try_plugins([n for n in Image.ID if n not in tried], fp, path, prefix, errors)
    if im is not None:
        return im
    # No plugin read it. If one recognised the magic number, the header is what broke.
    broken = errors.get("failure") or errors.get("mismatch")
    if broken is not None:
        pillow_format, cause = broken
        raise _corrupt(pillow_format, cause, path=path) from cause
    return None


def _try_plugins(
    names: Sequence[str],
    fp: BinaryIO,
    path: str,
    prefix: bytes,
    errors: dict[str, tuple[str, Exception]],
) -> ImageFile.ImageFile | None:
    """The image opened by the first plugin in ``names`` that reads the file; ``errors`` gets
    the first plugin that failed on its own format, and the first whose magic number matched
    but which then said the file was not its format."""
    for name in names:
        factory, accept = Image.OPEN[name]
        try:  # some accept() functions index past a short prefix
            verdict = accept(prefix) if accept is not None else True
        except _NOT_THIS_FORMAT:
            continue
        if isinstance(verdict, str) or not verdict:
            continue  # not this format (a str: its library is not installed)
        if factory is GifImagePlugin.GifImageFile:
            factory = GifImageFile  # the same plugin, faster on grey-ramp colour tables
        fp.seek(0)
        try:
            return factory(fp, path)
        except _NOT_THIS_FORMAT as exc:
            if accept is not None:
                errors.setdefault("mismatch", (name, exc))
        except Exception as exc:  # a plugin failing on its own format
            # A plugin with no magic number to check only guessed: its failure says nothing
            # about the file.
            if accept is not None:
                errors.setdefault("failure", (name, exc))
    return None


def _corrupt(pillow_format: str, exc: Exception, *, path: str) -> UnreadableMediaError:
    label = _label(pillow_format)
    if isinstance(exc, Image.DecompressionBombError):
        message = f"the {label} header declares a picture too large to open safely ({exc})"
    else:
        message = f"the header of this {label} file is damaged or cut short ({exc})"
    return UnreadableMediaError("corrupt", message, path=path)


class GifImageFile(GifImagePlugin.GifImageFile):
    """Pillow's GIF plugin, with the same answers.

    Pillow reads a GIF whose colour table is the grey ramp ``(0,0,0), (1,1,1), ...`` as mode
    ``L``; its ``_is_palette_needed`` compares the table entry by entry in Python. A whole
    table (a multiple of 3 bytes, at most 256 entries) is compared here in one C call; anything
    else (a table the end of the file cut short) still goes to Pillow's own loop.
    """

    def _is_palette_needed(self, p: bytes) -> bool:
        if len(p) % 3 or len(p) > len(gif.GREY_RAMP):
            return super()._is_palette_needed(p)
        return p != gif.GREY_RAMP[: len(p)]
