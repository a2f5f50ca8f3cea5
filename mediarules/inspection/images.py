"""Image facts from the header: header readers first, Pillow for everything else.

JPEG (:mod:`~mediarules.inspection.jpeg`), PNG (:mod:`~mediarules.inspection.png`) and GIF
(:mod:`~mediarules.inspection.gif`) are read from the bytes already in hand, without Pillow,
giving exactly the facts Pillow's header parse gives (tests hold them to it). Each reader
answers only where it reproduces Pillow exactly and Pillow would not warn: anything else
(truncated or damaged headers, unusual layouts, Pillow's settings changed) goes to Pillow
(:mod:`~mediarules.inspection.pillow_images`), which decides. Pillow is imported only then:
importing it costs more than reading a JPEG's header.

WebP never reaches Pillow's plugin, which hands the whole file to libwebp:
:mod:`~mediarules.inspection.webp` reads its chunk headers instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO, Final

from mediarules.inspection import gif, jpeg, png, webp
from mediarules.inspection.errors import UnreadableMediaError
from mediarules.inspection.head import Head, Picture
from mediarules.inspection.source import ByteSource
from mediarules.models import MediaFacts

if TYPE_CHECKING:
    from PIL import ImageFile

__all__ = ["MAX_TIFF_PAGES", "inspect_open_image", "tiff_pages"]

MAX_TIFF_PAGES: Final = 1000
"""Pages counted in a TIFF: Pillow reads each page's tags (about 0.1 ms a page), and a chain
of tiny pages must not take seconds. Past it the count is unknown (``None``)."""


def tiff_pages(im: ImageFile.ImageFile) -> int | None:
    """The pages of a TIFF (its main chain of IFDs, as Pillow's ``n_frames``), up to
    :data:`MAX_TIFF_PAGES`; a page that cannot be read ends the document there."""
    count = 1
    try:
        while count <= MAX_TIFF_PAGES:
            im.seek(count)
            count += 1
    except Exception:  # EOFError at the last page; a broken page ends the chain too
        pass
    im.seek(0)
    return count if count <= MAX_TIFF_PAGES else None


_PREFIX_BYTES: Final = 4096
"""Read when the caller has not read the file's first bytes already."""


def inspect_open_image(
    fp: BinaryIO,
    path: str,
    *,
    size: int,
    head: bytes | None = None,
    source: ByteSource | None = None,
) -> MediaFacts | None:
    """Facts about the image open as ``fp``, or ``None`` when no reader recognises it.

    ``head`` is the file's first bytes when the caller has read them, and ``source`` gives
    the same bytes as ``fp`` by offset (the header readers read past ``head`` through it).

    Raises :class:`UnreadableMediaError` "corrupt" when a format recognises the file by its
    magic number but cannot read the header (the caller may still ask MediaInfo about it).
    """
    if head is None:
        fp.seek(0)
        head = fp.read(_PREFIX_BYTES)
    picture = _read_header(head, fp, source, size)
    if picture is not None:
        return MediaFacts(
            path=path,
            kind="image",
            format=picture.format,
            size=size,
            width=picture.width,
            height=picture.height,
            mode=picture.mode,
            frames=picture.frames,
            has_alpha=picture.has_alpha,
            orientation=picture.orientation,
        )
    if webp.is_webp(head):
        try:
            header = webp.read_header(fp, size, head)
        except webp.WebPError as exc:
            message = f"the header of this WebP file is damaged or cut short ({exc})"
            raise UnreadableMediaError("corrupt", message, path=path) from exc
        return _webp_facts(header, path, size)
    from mediarules.inspection import pillow_images  # Pillow: only for the files that need it

    return pillow_images.inspect_open_image(fp, path, size=size)


def _read_header(head: bytes, fp: BinaryIO, source: ByteSource | None, size: int) -> Picture | None:
    """What a header reader finds, or ``None`` for Pillow to decide: also when a read fails
    (a remote source raises OSError, and the Pillow path meets the failure as it always did)
    and, as a safety net, when a reader itself fails: Pillow's path is the one proven on
    every kind of damage (the tests call :func:`header_reader_answer` and see any failure)."""
    try:
        return header_reader_answer(head, fp, source, size)
    except Exception:
        return None


def header_reader_answer(
    head: bytes, fp: BinaryIO, source: ByteSource | None, size: int
) -> Picture | None:
    """The header readers' own answer (``None``: not theirs to give)."""
    if jpeg.is_jpeg(head):
        return jpeg.read(Head(head, source or _FileObject(fp, size), size))
    if png.is_png(head):
        return png.read(Head(head, source or _FileObject(fp, size), size))
    if gif.is_gif(head):
        return gif.read(fp, source, size)
    return None


class _FileObject:
    """A file object read by offset (when the caller gave no source)."""

    __slots__ = ("_fp", "size")

    def __init__(self, fp: BinaryIO, size: int) -> None:
        self._fp = fp
        self.size = size

    def read_at(self, offset: int, length: int) -> bytes:
        self._fp.seek(offset)
        return self._fp.read(length)

    def prefetch(self, offset: int, length: int) -> None:
        """Nothing to do."""


def _webp_facts(header: webp.WebPHeader, path: str, size: int) -> MediaFacts:
    return MediaFacts(
        path=path,
        kind="image",
        format="webp",
        size=size,
        width=header.width,
        height=header.height,
        mode="RGBA" if header.has_alpha else "RGB",
        frames=header.frames,
        has_alpha=header.has_alpha,
        orientation=header.orientation,
    )
