"""The Pillow executor: a source image and an :class:`ImageTarget` in, a new file out.

Steps, each only when needed: bake the EXIF orientation in, bring colours to 8-bit sRGB (RGB
or RGBA), keep or drop the animation (sampling frames evenly down to ``max_frames``), reshape
with :func:`plan_geometry` (the same plan the planner predicts from), encode, and when the
result is over ``max_bytes`` lower the quality, then the colours, then the size, until it
fits. Decoding has a memory budget (:data:`DECODE_BUDGET_BYTES`): a bigger picture is
refused with the figure. Encoding happens in memory; the file is written once, through
:mod:`mediarules.safe_write`, so an existing file is never replaced. The source is only read.

:func:`describe_image_changes` is the pure side: what applying a target to a file with given
facts will lose, without opening it.
"""

from __future__ import annotations

import errno
import functools
import io
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from PIL import Image, ImageFile, features

from mediarules.fixes.geometry import AspectMode, Geometry, plan_geometry
from mediarules.fixes.plan import LOSSY_FORMATS, estimated_bytes
from mediarules.fixes.targets import ImageTarget
from mediarules.formatting import shorten
from mediarules.inspection import heif, library_warnings
from mediarules.inspection.convert import image_format_name
from mediarules.inspection.images import MAX_TIFF_PAGES, tiff_pages
from mediarules.models import MediaFacts
from mediarules.safe_write import OutputFolder

__all__ = [
    "DECODE_BUDGET_BYTES",
    "QUALITY_FLOOR",
    "ImageFixError",
    "ImageResult",
    "ImageTooLarge",
    "apply_image",
    "decode_need",
    "describe_image_changes",
    "write_image",
]

QUALITY_FLOOR = 40
"""The lowest JPEG/WebP quality the byte search goes to; below it blocks and banding show, and
a smaller picture at a decent quality looks better than a full-size one at 30."""

_DOWNSCALE_STEP = 0.85
"""The largest scale step when a picture must shrink to fit ``max_bytes``."""

DECODE_BUDGET_BYTES = 768 * 2**20
"""The memory one image fix may plan to use (see :func:`decode_need`). A fix that would need
more is skipped with the figure rather than risk the machine: this covers a 48-megapixel
photo, and a JPEG is decoded already reduced when the target is smaller."""

_BYTES_PER_PIXEL = 4
_WORKING_COPIES_X2 = 7
"""Twice the decoded copies of one frame a fix holds at its peak (measured: about 3.3 for an
RGBA PNG to JPEG: decoded, converted, flattened, resized)."""
_KEPT_COPIES = 2
"""Each kept animation frame, and the encoder's copy of it."""

_MAX_SHRINKS = 24  # 0.85 ** 24 is about 2 % of the sides: far past any sensible budget

_SAVE_FORMATS = {
    "jpeg": "JPEG",
    "png": "PNG",
    "gif": "GIF",
    "webp": "WEBP",
    "bmp": "BMP",
    "tiff": "TIFF",
}
_ALIASES = {"jpg": "jpeg", "tif": "tiff"}
_ALPHA_FORMATS = frozenset({"png", "webp", "gif", "tiff"})
"""Formats that keep transparency. BMP can store an alpha channel, but most readers (and
every platform) ignore it, so it is flattened like JPEG."""
_ANIMATED_FORMATS = frozenset({"gif", "webp", "png"})
_LOSSY_FORMATS = LOSSY_FORMATS
_EXIF_FORMATS = frozenset({"jpeg", "png", "webp"})
"""Formats the encoder writes EXIF into. Elsewhere an orientation is always baked in, or
viewers would show the picture turned."""
_PILLOW_ANIMATED = frozenset({"GIF", "WEBP", "PNG", "AVIF"})
_ICC_FORMATS = frozenset({"jpeg", "png", "webp", "tiff"})
"""Formats the encoder embeds an ICC profile in (only an sRGB one: see :class:`_Colour`)."""
_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})

_ORIENTATION = 0x0112
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
"""EXIF orientation -> the transpose that shows the picture upright (as ``exif_transpose``)."""


class ImageFixError(ValueError):
    """The target cannot be met: an unknown output format, a byte budget too small for the
    minimum size, or a source too large to decode safely."""


class ImageTooLarge(ImageFixError):  # noqa: N818 (reads as the reason it is)
    """Decoding the source would need more memory than :data:`DECODE_BUDGET_BYTES`."""


@dataclass(frozen=True)
class ImageResult:
    """The file :func:`apply_image` wrote, as written."""

    path: Path
    format: str
    width: int
    height: int
    size: int
    frames: int
    quality: int | None
    changes: list[str]


# ---------------------------------------------------------------------------------------------
# prediction


def describe_image_changes(facts: MediaFacts, target: ImageTarget) -> tuple[bool, list[str]]:
    """Whether applying ``target`` to a file with these ``facts`` loses something, and what.

    Pure: no file is read. ``loses`` holds words from ``transparency``, ``animation``,
    ``frames``, ``pages`` (of a multi-page TIFF), ``resolution``, ``sharpness``, ``framing``
    and ``quality``; a plain conversion
    (an opaque WebP to JPEG at the target quality) or an orientation bake loses nothing. An
    upscale (for a minimum size) loses ``sharpness``, as the check's fix says: every pixel is
    resampled and no detail is added. ``quality`` is for re-encoding under a byte budget the
    output is not predicted to meet as is (:func:`~mediarules.fixes.plan.estimated_bytes`, the
    same estimate the checks offer a conversion by), and for GIF's 256 colours.
    """
    fmt = _format_name(target.format)
    loses: list[str] = []
    animated = facts.animated
    keeps_animation = animated and target.keep_animation and fmt in _ANIMATED_FORMATS
    if facts.has_alpha and (
        fmt not in _ALPHA_FORMATS
        # GIF transparency is on or off: 8-bit alpha loses its soft edges
        or (fmt == "gif" and facts.format != "gif" and facts.mode in _ALPHA_MODES)
    ):
        loses.append("transparency")
    if animated and not keeps_animation:
        loses.append("animation")
    if facts.format == "tiff" and (facts.frames or 1) > 1:
        loses.append("pages")  # a document's pages: the first is kept
    kept_frames = (facts.frames or 1) if keeps_animation else 1
    if keeps_animation and target.max_frames is not None and kept_frames > target.max_frames:
        kept_frames = target.max_frames
        loses.append("frames")
    kept = Fraction(kept_frames, facts.frames or 1)
    display = facts.display_size
    if display is not None and display[0] > 0 and display[1] > 0:
        tagged = not _bakes_orientation(target, fmt) and (facts.orientation or 1) >= 5
        geometry = _plan(display, target, swap_box=tagged)
        content, canvas = geometry.content, geometry.canvas
        if content[0] < display[0] or content[1] < display[1]:
            loses.append("resolution")
        if geometry.changed_shape:
            loses.append("framing")
        if content[0] > display[0] or content[1] > display[1]:
            loses.append("sharpness")
        kept *= Fraction(canvas[0] * canvas[1], display[0] * display[1])
    estimate = estimated_bytes(facts, fmt, kept)
    if target.max_bytes is not None and (estimate is None or estimate > target.max_bytes):
        loses.append("quality")  # the encoder will have to trade quality (or size) for bytes
    if fmt == "gif" and facts.format not in (None, "gif"):
        loses.append("quality")  # 256 colours per frame
    unique = list(dict.fromkeys(loses))
    return bool(unique), unique


# ---------------------------------------------------------------------------------------------
# execution


@dataclass
class _Picture:
    """Decoded, oriented, sRGB frames at the output geometry, and what the encoder needs."""

    frames: list[Image.Image]
    durations: list[int]
    loop: int | None
    exif: bytes | None
    icc: bytes | None
    fill: tuple[int, ...]
    turned: bool
    """The frames are stored a quarter turn from how they show (an orientation tag kept)."""

    @property
    def size(self) -> tuple[int, int]:
        return self.frames[0].size

    def close(self) -> None:
        for frame in self.frames:
            frame.close()


def apply_image(source: Path, target: ImageTarget, destination: Path) -> ImageResult:
    """Write a new image at ``destination`` that meets ``target``; ``source`` is only read.

    Raises :class:`FileExistsError` when ``destination`` exists (nothing is written),
    :class:`ImageFixError` when the target cannot be met, :class:`OSError` when the source
    cannot be read or decoded.
    """
    destination = Path(destination)
    with OutputFolder.open(destination.parent, create=False) as folder:
        return write_image(Path(source), target, folder, destination.name)


def write_image(
    source: Path, target: ImageTarget, folder: OutputFolder, name: str, *, next_free: bool = False
) -> ImageResult:
    """:func:`apply_image` into an open folder; with ``next_free`` a taken ``name`` becomes
    ``name-2``... (the result's path is the name actually written)."""
    fmt = _format_name(target.format)
    if fmt not in _SAVE_FORMATS:
        raise ImageFixError(f"cannot write {target.format!r} images")
    _aspect_mode(target.aspect_mode)  # refuse a bad target before any work
    if not next_free and folder.taken(name):
        raise FileExistsError(errno.EEXIST, "the destination exists", str(folder.shown(name)))
    changes: list[str] = []
    with library_warnings.collecting() as notes, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            data, quality, size, frames = _make(source, target, fmt, changes)
        except OSError as exc:  # "decoder error -2": libtiff's note says what went wrong
            if not notes.as_tuple():
                raise
            raise ImageFixError(f"{exc} ({'; '.join(notes.as_tuple())})") from exc
        finally:
            changes.extend(_warning_notes(caught))
            changes.extend(f"decoder warning: {note}" for note in notes.as_tuple())
    written = folder.write_new(name, data, next_free=next_free)
    return ImageResult(
        path=folder.shown(written),
        format=fmt,
        width=size[0],
        height=size[1],
        size=len(data),
        frames=frames,
        quality=quality,
        changes=changes,
    )


def _make(
    source: Path, target: ImageTarget, fmt: str, changes: list[str]
) -> tuple[bytes, int | None, tuple[int, int], int]:
    """Decode, reshape and encode: (the bytes, the quality, the size, the frame count).

    The source stays open until the encoding is done: a picture that needs no change is
    encoded from the decoded source itself, not from a copy of it.
    """
    try:
        with _open_source(source) as im:
            picture = _decode(im, target, fmt, changes)
            try:
                data, quality, picture = _encode_to_fit(picture, target, fmt, changes)
                return data, quality, picture.size, len(picture.frames)
            finally:
                picture.close()
    except Image.DecompressionBombError as exc:
        raise ImageFixError(f"{source.name}: too many pixels to decode safely ({exc})") from exc


def _open_source(source: Path) -> ImageFile.ImageFile:
    """Pillow's lazy image of ``source``. A HEIF-family file opens with the plugin that decodes
    its coding (found from its boxes): Pillow's own for AVIF, pillow-heif's for HEIC and other
    HEIF, registered on first use so that nothing else pays for importing libheif. libheif
    applies the crop and rotation boxes as it decodes (and pillow-heif resets the EXIF
    orientation to 1), so the picture is upright once, never turned twice."""
    plugin = heif.decoder_plugin(source)
    if plugin == "HEIF":
        _register_heif_opener()
    return Image.open(source, formats=[plugin] if plugin else None)


@functools.cache
def _register_heif_opener() -> None:
    import pillow_heif  # here, not at the top: libheif loads only for a HEIF file

    pillow_heif.register_heif_opener()


def _warning_notes(caught: list[warnings.WarningMessage]) -> list[str]:
    """Library warnings met while decoding (Pillow's), as changes, each once, kept short."""
    notes = (f"decoder warning: {shorten(str(w.message).strip())}" for w in caught)
    return list(dict.fromkeys(notes))


def decode_need(width: int, height: int, kept_frames: int, canvas: tuple[int, int]) -> int:
    """Bytes a fix is expected to hold at its peak: a few working copies of the larger of one
    decoded frame and the output canvas (Pillow keeps 4 bytes a pixel for RGB and RGBA), and
    every further animation frame it keeps."""
    frame = max(width * height, canvas[0] * canvas[1]) * _BYTES_PER_PIXEL
    extra = max(0, kept_frames - 1) * canvas[0] * canvas[1] * _BYTES_PER_PIXEL
    return frame * _WORKING_COPIES_X2 // 2 + extra * _KEPT_COPIES


def _check_budget(im: ImageFile.ImageFile, kept_frames: int, canvas: tuple[int, int]) -> None:
    need = decode_need(im.width, im.height, kept_frames, canvas)
    if need > DECODE_BUDGET_BYTES:
        raise ImageTooLarge(
            f"too large to fix safely: decoding this {im.width}x{im.height} image needs about"
            f" {_mib(need):,} MiB, over the {_mib(DECODE_BUDGET_BYTES):,} MiB budget"
        )


def _mib(size: int) -> int:
    return math.ceil(size / 2**20)


def _decode(im: ImageFile.ImageFile, target: ImageTarget, fmt: str, changes: list[str]) -> _Picture:
    source_format = image_format_name(im.format or "")
    if source_format != fmt:
        changes.append(f"converted {source_format or 'image'} to {fmt}")

    exif = _read_exif(im)
    orientation = exif.get(_ORIENTATION)
    transpose = _TRANSPOSE.get(orientation) if isinstance(orientation, int) else None
    turned = isinstance(orientation, int) and orientation >= 5 and orientation in _TRANSPOSE
    if transpose is not None and _bakes_orientation(target, fmt):
        del exif[_ORIENTATION]  # baked in: a viewer must not turn it again
        changes.append(f"applied EXIF orientation ({orientation})")
    else:
        transpose = None

    frame_count = _frame_count(im)
    changes += _pages_note(im)
    animate = frame_count > 1 and target.keep_animation and fmt in _ANIMATED_FORMATS
    keep = _sample(frame_count, target.max_frames) if animate else [0]
    if frame_count > 1 and not animate:
        changes.append(f"kept the first of {frame_count} frames (no animation)")
    elif len(keep) < frame_count:
        changes.append(
            f"cut {frame_count} frames to {len(keep)}, sampled evenly"
            " (durations stretched to keep the length)"
        )

    # Bars match the picture: transparent when it keeps its transparency, else the background.
    source_alpha = im.mode in _ALPHA_MODES or "transparency" in im.info
    keep_alpha = source_alpha and fmt in _ALPHA_FORMATS
    fill = (*target.background, 0) if keep_alpha else target.background

    # Plan on the picture as viewers show it; run on the stored axes when it stays unturned.
    stored = im.size
    display = _flip(stored) if turned else stored
    geometry = _plan(display, target, swap_box=turned and transpose is None)
    bars = "transparent" if keep_alpha else _colour_name(target.background)
    _describe_geometry(display, geometry, target, bars, changes)
    run = geometry
    if turned and transpose is None:
        run = Geometry(content=_flip(geometry.content), canvas=_flip(geometry.canvas))

    colour = _Colour(im.info.get("icc_profile"), changes)
    depth = sample_depth(im)
    if im.format == "JPEG" and frame_count == 1:
        _draft(im, _flip(geometry.content) if turned else geometry.content)
    _check_budget(im, len(keep), geometry.canvas)

    durations: list[int] = []
    frames: list[Image.Image] = []
    flattened = False
    wanted = set(keep)
    loop = im.info.get("loop")
    for index in range(frame_count if animate else 1):
        if index:
            im.seek(index)
        durations.append(_int(im.info.get("duration")))
        if index not in wanted:
            continue
        frame = colour.to_srgb(eight_bit(im, depth))
        if transpose is not None:
            frame = _swap(frame, frame.transpose(transpose))
        if frame.mode == "RGBA" and not keep_alpha:
            flattened = flattened or _min_alpha(frame) < 255
            frame = _swap(frame, _flatten(frame, target.background))
        elif keep_alpha and frame.mode != "RGBA":
            frame = _swap(frame, frame.convert("RGBA"))
        frame = _swap(frame, _reshape(frame, run, fill))
        frames.append(frame.copy() if frame is im and animate else frame)  # a seek changes im
    if flattened:
        changes.append(f"flattened transparency onto {_colour_name(target.background)}")
    if keep_alpha and all(_min_alpha(f) == 255 for f in frames):
        frames = [_swap(f, f.convert("RGB")) for f in frames]  # nothing see-through left
    spans = [*keep[1:], len(durations)]
    kept_durations = [sum(durations[a:b]) for a, b in zip(keep, spans, strict=True)]
    icc = colour.keep if fmt in _ICC_FORMATS else None
    exif_bytes = _exif_bytes(exif) if fmt in _EXIF_FORMATS else None
    return _Picture(
        frames=frames,
        durations=kept_durations,
        loop=_int(loop) if loop is not None else None,
        exif=exif_bytes,
        icc=icc,
        fill=fill,
        turned=turned and transpose is None,
    )


def _bakes_orientation(target: ImageTarget, fmt: str) -> bool:
    return target.apply_orientation or fmt not in _EXIF_FORMATS


def _plan(display: tuple[int, int], target: ImageTarget, *, swap_box: bool) -> Geometry:
    """The output geometry in display axes. The checks hold width and height bounds against
    the stored size and the aspect ratio against the displayed one, so when the output keeps a
    quarter-turn orientation tag (``swap_box``) the width and height bounds trade places."""
    max_width, max_height = target.max_width, target.max_height
    min_width, min_height = target.min_width, target.min_height
    if swap_box:
        max_width, max_height = max_height, max_width
        min_width, min_height = min_height, min_width
    return plan_geometry(
        display[0],
        display[1],
        max_width=max_width,
        max_height=max_height,
        max_pixels=target.max_pixels,
        max_dimension_sum=target.max_dimension_sum,
        min_width=min_width,
        min_height=min_height,
        min_aspect_ratio=target.min_aspect_ratio,
        max_aspect_ratio=target.max_aspect_ratio,
        mode=_aspect_mode(target.aspect_mode),
    )


def _describe_geometry(
    display: tuple[int, int],
    geometry: Geometry,
    target: ImageTarget,
    bars: str,
    changes: list[str],
) -> None:
    if geometry.content != display:
        changes.append(f"resized {_dims(display)} to {_dims(geometry.content)}")
    if not geometry.changed_shape:
        return
    ratio = Fraction(*display)
    bound = Fraction(*geometry.canvas)
    if target.min_aspect_ratio is not None and ratio < target.min_aspect_ratio:
        bound = target.min_aspect_ratio
    elif target.max_aspect_ratio is not None and ratio > target.max_aspect_ratio:
        bound = target.max_aspect_ratio
    shape = f"{_ratio_label(bound)} ({_dims(geometry.canvas)})"
    if target.aspect_mode == "crop":
        changes.append(f"cropped to {shape}")
    else:
        changes.append(f"padded to {shape} with {bars} bars")


def _reshape(frame: Image.Image, geometry: Geometry, fill: tuple[int, ...]) -> Image.Image:
    """Scale ``frame`` to the content size and place it centred on the canvas.

    ``frame`` may be smaller than the planned source (a JPEG decoded at 1/2, 1/4 or 1/8), so
    crops are measured in its own pixels. A crop resamples only the part that is kept.
    """
    content, canvas = geometry.content, geometry.canvas
    if content == canvas:
        return frame if frame.size == content else _resize(frame, content)
    offset_x, offset_y = geometry.offset
    if content[0] >= canvas[0] and content[1] >= canvas[1]:  # crop
        scale_x = frame.width / content[0]
        scale_y = frame.height / content[1]
        left, top = -offset_x * scale_x, -offset_y * scale_y
        box = (left, top, left + canvas[0] * scale_x, top + canvas[1] * scale_y)
        if frame.size == content:
            return frame.crop((-offset_x, -offset_y, -offset_x + canvas[0], -offset_y + canvas[1]))
        return _resize(frame, canvas, box)
    picture = frame if frame.size == content else _resize(frame, content)
    board = Image.new(frame.mode, canvas, fill if frame.mode == "RGBA" else fill[:3])
    board.paste(picture, (offset_x, offset_y))
    if picture is not frame:
        picture.close()
    return board


def _resize(
    frame: Image.Image,
    size: tuple[int, int],
    box: tuple[float, float, float, float] | None = None,
) -> Image.Image:
    """LANCZOS; a big downscale first reduces by whole factors (``reducing_gap``), which is
    several times faster and looks the same."""
    width = (box[2] - box[0]) if box is not None else frame.width
    gap = 3.0 if width >= 3 * size[0] else None
    return frame.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=gap)


def _draft(im: ImageFile.ImageFile, content: tuple[int, int]) -> None:
    """Let libjpeg decode at 1/2, 1/4 or 1/8 scale, keeping at least twice the pixels the
    output needs so LANCZOS still has detail to work from."""
    if 2 * content[0] <= im.width and 2 * content[1] <= im.height:
        im.draft(None, (2 * content[0], 2 * content[1]))


# ---------------------------------------------------------------------------------------------
# colour


class _Colour:
    """Turns frames into 8-bit sRGB (``RGB`` or ``RGBA``), through the embedded ICC profile
    when there is one and Pillow has LittleCMS; ``keep`` is the profile to embed again.

    The policy: pixels are transformed to sRGB (Display P3, Adobe RGB, a CMYK press profile,
    a grey curve) and go out untagged, which browsers and platforms read as sRGB; only an
    sRGB profile is kept. Keeping a wide-gamut profile would keep its colours on wide-gamut
    screens, but a platform that strips profiles (many re-encode without them) would then
    show the untransformed pixels washed out; sRGB pixels look the same everywhere. CMYK
    without a profile has nothing to go through: Pillow's plain conversion is used.
    """

    def __init__(self, icc: object, changes: list[str]) -> None:
        self._changes = changes
        self._profile: Any = None
        self._space = ""
        self._transforms: dict[str, Any] = {}
        self._noted: set[str] = set()
        self._description = ""
        self.keep: bytes | None = None
        if not isinstance(icc, bytes) or not icc:
            return
        cms = _image_cms()
        if cms is None:
            changes.append("kept the ICC profile unconverted (colour management unavailable)")
            self.keep = icc if _icc_space(icc) == "RGB" else None
            return
        try:
            profile = cms.ImageCmsProfile(io.BytesIO(icc))
            description = cms.getProfileDescription(profile).strip()
        except (OSError, cms.PyCMSError):
            changes.append("ignored an unreadable ICC profile")
            return
        space = profile.profile.xcolor_space.strip()
        if space == "RGB" and "srgb" in description.lower():
            self.keep = icc
            return
        self._profile = profile
        self._space = space
        self._description = description or "embedded"

    def to_srgb(self, frame: Image.Image) -> Image.Image:
        """``frame`` as ``RGB`` or ``RGBA`` in sRGB. ``frame`` is left alone, and returned
        itself when it is one already (no copy of a 12 MP picture that the resize replaces
        anyway: a caller that keeps it past a seek copies it)."""
        alpha: Image.Image | None = None
        keyed = frame.mode in ("P", "L", "RGB", "1") and "transparency" in frame.info
        if keyed or frame.mode in ("PA", "RGBa"):
            frame = frame.convert("RGBA")
        elif frame.mode == "La":
            frame = frame.convert("LA")
        elif frame.mode in ("P", "1"):
            frame = frame.convert("RGB")
        if frame.mode == "LA" or (frame.mode == "RGBA" and self._converts("RGB")):
            alpha = frame.getchannel("A")  # ImageCms transforms the colour channels only
            frame = frame.convert(frame.mode[:-1])
        frame = self._convert(frame)
        if frame.mode not in ("RGB", "RGBA"):
            if frame.mode == "CMYK":
                self._note("converted CMYK to RGB")
            frame = frame.convert("RGB")
        if alpha is not None:
            frame.putalpha(alpha)
        return frame

    def _converts(self, mode: str) -> bool:
        """Whether :meth:`_convert` changes a frame of ``mode``."""
        base = {"RGB": "RGB", "GRAY": "L", "CMYK": "CMYK"}.get(self._space)
        return self._profile is not None and mode == base

    def _convert(self, frame: Image.Image) -> Image.Image:
        if not self._converts(frame.mode):
            return frame
        base = frame.mode
        cms = _image_cms()
        assert cms is not None
        transform = self._transforms.get(base)
        if transform is None:
            transform = cms.buildTransform(self._profile, cms.createProfile("sRGB"), base, "RGB")
            self._transforms[base] = transform
        self._note(f"converted colours from the {self._description!r} ICC profile to sRGB")
        converted: Image.Image = cms.applyTransform(frame, transform)
        return converted

    def _note(self, change: str) -> None:
        if change not in self._noted:
            self._noted.add(change)
            self._changes.append(change)


def _image_cms() -> Any:
    """``PIL.ImageCms`` when Pillow was built with LittleCMS, else ``None``."""
    if not features.check_module("littlecms2"):
        return None
    try:
        from PIL import ImageCms
    except ImportError:
        return None
    return ImageCms


def _icc_space(icc: bytes) -> str:
    """The colour space field of an ICC header (bytes 16..20), read without LittleCMS."""
    return icc[16:20].decode("ascii", "replace").strip() if len(icc) >= 20 else ""


def _flatten(frame: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    board = Image.new("RGB", frame.size, background)
    board.paste(frame, mask=frame.getchannel("A"))
    return board


def _min_alpha(frame: Image.Image) -> int:
    if frame.mode != "RGBA":
        return 255
    low = frame.getchannel("A").getextrema()[0]
    return int(low) if isinstance(low, int | float) else 0


# ---------------------------------------------------------------------------------------------
# pixel formats: wide samples to 8 bits


_TIFF_BITS_PER_SAMPLE = 258
_TIFF_SAMPLE_FORMAT = 339
_SIGNED = 2
_WIDE_DEFAULT_BITS = 16
"""PNG, PGM/PPM and JPEG 2000 store (or Pillow scales) wide samples on 16 bits whatever their
significant bits (PNG's ``sBIT`` only informs): 65535 is white."""


def sample_depth(im: ImageFile.ImageFile) -> int:
    """The bits a wide grey sample (Pillow modes ``I;16*`` and ``I``) is scaled by.

    A TIFF says it in ``BitsPerSample``: a 12-bit scan is white at 4095, a signed 16-bit one
    at 32767 (``SampleFormat`` 2; negative samples are black). Elsewhere 16. Never the
    picture's own maximum: a dark 16-bit picture stays dark.
    """
    tags = getattr(im, "tag_v2", None) if im.format == "TIFF" else None
    if tags is None:
        return _WIDE_DEFAULT_BITS
    bits = _first_int(tags.get(_TIFF_BITS_PER_SAMPLE))
    if bits is None or not 1 <= bits <= 32:
        return _WIDE_DEFAULT_BITS
    signed = _first_int(tags.get(_TIFF_SAMPLE_FORMAT)) == _SIGNED
    return bits - 1 if signed and bits > 1 else bits


def _first_int(value: object) -> int | None:
    if isinstance(value, tuple | list) and value:
        value = value[0]
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def eight_bit(frame: Image.Image, depth: int = _WIDE_DEFAULT_BITS) -> Image.Image:
    """Wide greys (``I;16*``, ``I``) as 8-bit ``L``, scaled from ``depth`` bits (rounded, not
    clipped or stretched); a grey kept transparent by a ``tRNS`` key comes out ``LA``. Other
    modes Pillow cannot hand to ImageCms as they are become ``RGB``; the rest pass through.

    Pillow's own ``I;16`` -> ``L`` conversion clips at 255, which turns most pictures white.
    """
    if frame.mode.startswith("I"):
        wide = frame if frame.mode == "I" else frame.convert("I")
        scale = 255 / ((1 << depth) - 1)
        grey = wide.point(lambda value: value * scale + 0.5).convert("L")
        key = frame.info.get("transparency")
        if isinstance(key, int) and not isinstance(key, bool):
            grey.info.pop("transparency", None)
            grey.putalpha(_unequal_mask(wide, key))
        if wide is not frame:
            wide.close()
        return grey
    if frame.mode == "F":
        return frame.convert("L")
    if frame.mode in ("YCbCr", "LAB", "HSV", "RGBX"):
        return frame.convert("RGB")
    return frame


def _unequal_mask(wide: Image.Image, key: int) -> Image.Image:
    """255 where a 32-bit grey differs from ``key``, 0 where it equals it (a 16-bit ``tRNS``
    key must be matched before scaling, or nearby greys would turn transparent too)."""
    from PIL import ImageMath

    same = ImageMath.lambda_eval(lambda ops: ops["notequal"](ops["im"], key), im=wide)
    assert isinstance(same, Image.Image)
    return same.point(lambda value: value * 255).convert("L")


# ---------------------------------------------------------------------------------------------
# encoding


def _encode_to_fit(
    picture: _Picture, target: ImageTarget, fmt: str, changes: list[str]
) -> tuple[bytes, int | None, _Picture]:
    """Encode; when over ``max_bytes``, trade quality, then colours (GIF), then size.

    Returns the bytes, the quality used and the picture they encode (a smaller one, with the
    given one closed, when it had to shrink).
    """
    start = target.quality if fmt in _LOSSY_FORMATS else None
    data = _encode(picture, fmt, start)
    limit = target.max_bytes
    if limit is None or len(data) <= limit:
        return data, start, picture
    original = picture.size
    colours = 256
    quality = start
    for _ in range(_MAX_SHRINKS):
        smallest = len(data)
        if start is not None:
            found = _search_quality(picture, fmt, start, limit)
            if isinstance(found, tuple):
                data, quality = found
                break
            smallest = found
        elif fmt == "gif" and smallest <= 2 * limit:
            # fewer colours save a third at best: worth trying only when close
            fitted = None
            for fewer in (c for c in (128, 64) if c < colours):
                colours = fewer
                data = _encode(picture, fmt, None, colours)
                smallest = len(data)
                if smallest <= limit:
                    fitted = data
                    break
            if fitted is not None:
                break
        shrunk = _shrink(picture, target, math.sqrt(limit / smallest))
        if shrunk is None:
            raise ImageFixError(
                f"cannot fit the {fmt} into {limit:,} bytes without going below the minimum"
                f" size: the smallest attempt was {smallest:,} bytes"
            )
        picture.close()
        picture = shrunk
        data = _encode(picture, fmt, start, colours)
        if len(data) <= limit:
            break
    else:
        raise ImageFixError(f"cannot fit the {fmt} into {limit:,} bytes")
    if quality != start:
        changes.append(f"quality {start}→{quality} to fit {limit:,} bytes")
    if colours < 256:
        changes.append(f"reduced to {colours} colours to fit {limit:,} bytes")
    if picture.size != original:
        changes.append(f"scaled {_dims(original)} to {_dims(picture.size)} to fit {limit:,} bytes")
    return data, quality, picture


def _search_quality(picture: _Picture, fmt: str, start: int, limit: int) -> tuple[bytes, int] | int:
    """The highest quality in [floor, start) whose encoding fits ``limit`` (binary search),
    or, when even the floor is too big, the floor's size."""
    floor = min(QUALITY_FLOOR, start)
    data = _encode(picture, fmt, floor)
    if len(data) > limit:
        return len(data)
    best, low, high = (data, floor), floor + 1, start - 1
    while low <= high:
        middle = (low + high) // 2
        attempt = _encode(picture, fmt, middle)
        if len(attempt) <= limit:
            best, low = (attempt, middle), middle + 1
        else:
            high = middle - 1
    return best


def _shrink(picture: _Picture, target: ImageTarget, ratio: float) -> _Picture | None:
    """The picture scaled down by about ``ratio`` (at most ``_DOWNSCALE_STEP``, at least
    half), or ``None`` when that would break a minimum or leave nothing."""
    factor = min(_DOWNSCALE_STEP, max(0.5, ratio * 0.95))
    width, height = _flip(picture.size) if picture.turned else picture.size
    budget = max(1, math.floor(width * height * factor * factor))
    # crop mode: an aspect-ratio nudge after rounding cuts a pixel rather than adding a bar
    geometry = plan_geometry(
        width,
        height,
        max_pixels=budget,
        min_aspect_ratio=target.min_aspect_ratio,
        max_aspect_ratio=target.max_aspect_ratio,
        mode="crop",
    )
    if picture.turned:
        geometry = Geometry(content=_flip(geometry.content), canvas=_flip(geometry.canvas))
    new = geometry.canvas
    if new[0] * new[1] >= width * height:
        return None
    if (target.min_width is not None and new[0] < target.min_width) or (
        target.min_height is not None and new[1] < target.min_height
    ):
        return None
    frames = [_reshape(frame, geometry, picture.fill) for frame in picture.frames]
    return replace(picture, frames=frames)


def _encode(picture: _Picture, fmt: str, quality: int | None, colours: int = 256) -> bytes:
    frames: Sequence[Image.Image] = picture.frames
    options: dict[str, Any] = {}
    if fmt == "jpeg":
        options.update(quality=quality, optimize=True, progressive=True)
    elif fmt == "webp":
        options.update(quality=quality, method=4)
    elif fmt == "png":
        options.update(optimize=True)
    elif fmt == "gif":
        frames = [_gif_frame(frame, colours, picture.fill) for frame in frames]
        if any("transparency" in frame.info for frame in frames):
            options.update(disposal=2)  # clear each frame, or earlier ones show through
    elif fmt == "tiff":
        options.update(compression="tiff_lzw")
    if picture.exif is not None:
        options.update(exif=picture.exif)
    if fmt in _ICC_FORMATS:
        # always said: PNG and TIFF writers would otherwise take a frame's own tag (the
        # source's profile, or the one ImageCms leaves on converted pixels)
        options.update(icc_profile=picture.icc)
    if len(frames) > 1:
        options.update(save_all=True, append_images=list(frames[1:]), duration=picture.durations)
        if picture.loop is not None or fmt != "gif":
            options.update(loop=picture.loop or 0)
    buffer = io.BytesIO()
    frames[0].save(buffer, format=_SAVE_FORMATS[fmt], **options)
    return buffer.getvalue()


def _gif_frame(frame: Image.Image, colours: int, background: tuple[int, ...]) -> Image.Image:
    """A palette frame. GIF transparency is on or off: edges more than half opaque are blended
    onto the background and kept, the rest turn fully transparent."""
    if frame.mode == "RGBA":
        solid = frame.getchannel("A").point(lambda a: 255 if a >= 128 else 0)
        blended = _flatten(frame, (background[0], background[1], background[2])).convert("RGBA")
        clear = Image.new("RGBA", frame.size, (0, 0, 0, 0))
        frame = Image.composite(blended, clear, solid)
    palette = frame.convert("P", palette=Image.Palette.ADAPTIVE, colors=colours)
    if palette.palette is not None and palette.palette.mode == "RGBA":
        for rgba, index in palette.palette.colors.items():
            if len(rgba) == 4 and rgba[3] == 0:
                palette.info["transparency"] = index
                break
    return palette


# ---------------------------------------------------------------------------------------------
# small helpers


def _format_name(name: str) -> str:
    lowered = name.strip().lower()
    return _ALIASES.get(lowered, lowered)


def _aspect_mode(mode: str) -> AspectMode:
    if mode == "pad":
        return "pad"
    if mode == "crop":
        return "crop"
    raise ImageFixError(f"unknown aspect mode {mode!r} (pad or crop)")


def _read_exif(im: ImageFile.ImageFile) -> Image.Exif:
    """The EXIF block as inspection reads it: for PNG only a chunk before the pixel data (the
    one browsers honour), so the orientation applied is the one the facts reported."""
    try:
        return Image.Image.getexif(im) if im.format == "PNG" else im.getexif()
    except Exception:  # bad EXIF: treat as none, as inspection does
        return Image.Exif()


def _exif_bytes(exif: Image.Exif) -> bytes | None:
    """The EXIF to write again (minus a baked-in orientation), or ``None`` when empty or
    unwritable."""
    if not len(exif):
        return None
    try:
        return exif.tobytes()
    except Exception:  # a tag Pillow read but cannot write back: drop EXIF, keep the picture
        return None


def _frame_count(im: ImageFile.ImageFile) -> int:
    if im.format not in _PILLOW_ANIMATED:
        return 1
    count = getattr(im, "n_frames", 1)
    return count if isinstance(count, int) and count >= 1 else 1


def _pages_note(im: ImageFile.ImageFile) -> list[str]:
    """A multi-page TIFF keeps its first page (its pages are a document, not frames)."""
    if im.format != "TIFF":
        return []
    pages = tiff_pages(im)
    if pages is None:
        return [f"kept the first of more than {MAX_TIFF_PAGES:,} pages"]
    return [f"kept the first of {pages} pages"] if pages > 1 else []


def _sample(count: int, limit: int | None) -> list[int]:
    """Frame indices to keep: all of them, or ``limit`` spread evenly over the animation."""
    if limit is None or count <= limit:
        return list(range(count))
    return [index * count // limit for index in range(limit)]


def _swap(old: Image.Image, new: Image.Image) -> Image.Image:
    """``new``, closing ``old`` when it is a different, intermediate image."""
    if new is not old and not isinstance(old, ImageFile.ImageFile):
        old.close()
    return new


def _int(value: object) -> int:
    if isinstance(value, int | float) and value == value and value >= 0:
        return int(value)
    return 0


def _dims(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


def _ratio_label(ratio: Fraction) -> str:
    """``4:5``, ``16:9``; ``1.91:1`` for ratios without small terms."""
    if ratio.denominator <= 32 and ratio.numerator <= 64:
        return f"{ratio.numerator}:{ratio.denominator}"
    return f"{float(ratio):.3g}:1"


def _colour_name(rgb: tuple[int, int, int]) -> str:
    names = {(255, 255, 255): "white", (0, 0, 0): "black"}
    return names.get(rgb, "#{:02x}{:02x}{:02x}".format(*rgb))


def _flip(size: tuple[int, int]) -> tuple[int, int]:
    return size[1], size[0]
