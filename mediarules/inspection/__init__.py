"""Inspection turns a file into ``MediaFacts``: every fact a check reads comes from here.

It is where media bytes are read to learn about them (and where a report's thumbnails are
made, :mod:`~mediarules.inspection.thumbnails`). It is not the only code that opens media:
the fix executors (:mod:`mediarules.fixes.images`, :mod:`mediarules.fixes.video`) decode
files to write new ones and read what they wrote back through :func:`inspect`, and
:mod:`mediarules.fixes.apply` copies a file whose only fix is a new name.

The kind is decided by the bytes, never the extension. An ISO base media file with a HEIF or
AVIF brand (HEIC, HEIF, AVIF stills and sequences) is read by
:mod:`~mediarules.inspection.heif` from its ``meta`` box, and nothing else looks at it. An ISO
base media video (MP4, MOV, M4V, 3GP) is read first by :mod:`~mediarules.inspection.isobmff`
from its ``moov`` header, a Matroska or WebM video by :mod:`~mediarules.inspection.matroska`
from its EBML header, Info and Tracks (tens of µs each); anything they do not fully
understand goes on as before: the image readers (:mod:`~mediarules.inspection.images`: JPEG,
PNG, GIF and WebP headers read directly, Pillow's lazy open for the rest, tens of µs, header
only), then, if no image plugin recognises the file, MediaInfo (a few ms) looks for a video
track. Anything else raises :class:`UnreadableMediaError`.

Only what was truly read becomes a kind: a video needs a container mediarules knows as video
(:data:`~mediarules.inspection.convert.VIDEO_CONTAINERS`), so a FLIC animation Pillow could not
read is not a video because MediaInfo found a track in it; an ISO base media file is an MP4 or
a MOV by its structure and brands (its raw major brand is kept as ``brand``), and an image if
a HEIF/AVIF brand says so. Pillow's warnings about the file land in its ``notes``, never on
stderr (:mod:`~mediarules.inspection.library_warnings`).

The readers get their bytes from a :class:`~mediarules.inspection.source.ByteSource`: a local
file here, a remote object read by ranges in :func:`inspect_source` (``mediarules.remote``),
where MediaInfo, which reads local files only, is not asked.

Each reader is imported when a file needs it (the first bytes say which): a JPEG never loads
the ISO base media, Matroska or HEIF readers, nor MediaInfo's pool, and a video never loads
Pillow unless its header reader gives up.
"""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING, BinaryIO, cast

from mediarules.formatting import echo
from mediarules.inspection import library_warnings
from mediarules.inspection.errors import Reason, UnreadableMediaError
from mediarules.inspection.plausible import impossible_picture_values
from mediarules.inspection.sniff import HEAD_BYTES, maybe_iso_bmff, maybe_matroska
from mediarules.inspection.source import ByteSource, FileSource, SourceFile
from mediarules.models import MediaFacts

if TYPE_CHECKING:
    from mediarules.inspection.isobmff import FileType

__all__ = ["ByteSource", "Reason", "UnreadableMediaError", "inspect", "inspect_source"]


def inspect(path: str | os.PathLike[str]) -> MediaFacts:
    """Read the facts of the image or video at ``path`` from its bytes.

    Raises :class:`UnreadableMediaError` when the file is missing, empty, a directory, not
    readable, truncated, corrupt (its header says a side of 0 or a frame rate of -30: nothing
    in it can be trusted), or neither an image nor a video.
    """
    name = os.fspath(path)
    size = _regular_file_size(name)
    with library_warnings.collecting() as notes:
        facts = _inspect_file(name, size)
    return _checked(facts, notes.as_tuple(), name)


def _checked(facts: MediaFacts, found: tuple[str, ...], name: str) -> MediaFacts:
    """``facts`` with the library's notes, unless its header says what cannot be true."""
    impossible = impossible_picture_values(vars(facts))
    if impossible:
        raise UnreadableMediaError(
            "corrupt", f"its header says {', '.join(impossible.values())}", path=name
        )
    return facts.model_copy(update={"notes": found}) if found else facts


def inspect_source(source: ByteSource, name: str) -> MediaFacts:
    """:func:`inspect` for bytes that are not a local file (a remote object read by ranges):
    the header readers and Pillow only. A file only MediaInfo could read (an AVI, a video
    the header readers do not fully understand) raises "unrecognised", saying so.
    """
    with library_warnings.collecting() as notes:
        handle = cast(BinaryIO, SourceFile(source))  # (a RawIOBase: BinaryIO's methods)
        facts = _inspect_bytes(source, handle, name, source.size, local=False)
    return _checked(facts, notes.as_tuple(), name)


def _inspect_file(name: str, size: int) -> MediaFacts:
    with _open(name) as handle:  # one open for the MP4 reader and Pillow both
        return _inspect_bytes(FileSource(handle.fileno(), size), handle, name, size, local=True)


def _inspect_bytes(
    source: ByteSource, handle: BinaryIO, name: str, size: int, *, local: bool
) -> MediaFacts:
    """The dispatch: ``source`` and ``handle`` give the same bytes (offsets, a file object)."""
    pillow_failure: UnreadableMediaError | None = None
    head = handle.read(HEAD_BYTES)
    brands = None
    if maybe_iso_bmff(head):
        from mediarules.inspection import isobmff

        brands = isobmff.file_type(head)
        if brands is not None and brands.image:  # HEIF, HEIC, AVIF: all in their boxes
            if not local:
                raise UnreadableMediaError(
                    "unrecognised", "HEIF and AVIF are read from local files only", path=name
                )
            from mediarules.inspection import heif

            fd, major = handle.fileno(), brands.major_brand
            return heif.read_facts(fd, head, name, size=size, brand=major)
        facts = isobmff.read_open_video_facts(source, head, name, size=size)
        if facts is not None:  # an MP4/MOV the header reader fully understood
            return facts
    if maybe_matroska(head):
        from mediarules.inspection import matroska

        facts = matroska.read_open_video_facts(source, head, name, size=size)
        if facts is not None:  # a WebM/MKV the header reader fully understood
            return facts
    from mediarules.inspection import images, webp

    try:
        facts = images.inspect_open_image(handle, name, size=size, head=head, source=source)
    except UnreadableMediaError as exc:
        if exc.reason != "corrupt" or webp.is_webp(head):
            raise  # (a WebP's chunks were all read: MediaInfo cannot add anything)
        pillow_failure = exc  # MediaInfo may still find a video a Pillow plugin misread
    else:
        if facts is not None:
            return _with_brand(facts, brands)
    container = _iso_container(source, brands, size) if brands is not None else None
    if not local:
        raise pillow_failure or _needs_mediainfo(head, container, name)
    from mediarules.inspection import video
    from mediarules.inspection.convert import VIDEO_CONTAINERS

    found = video.probe(name, size=size)
    if pillow_failure is not None and not found.video and not found.truncated:
        raise pillow_failure
    facts = video.video_facts(found, path=name, size=size)
    if brands is not None:
        return _iso_video(facts, brands, container, name)
    if facts.format not in VIDEO_CONTAINERS:
        raise _not_a_video_container(facts.format, pillow_failure, name)
    return facts


def _with_brand(facts: MediaFacts, brands: FileType | None) -> MediaFacts:
    if brands is None:
        return facts
    return facts.model_copy(update={"brand": brands.major_brand})


def _iso_container(source: ByteSource, brands: FileType, size: int) -> str | None:
    """MP4 or MOV by the brand, else MP4 if the boxes hold a movie; ``None``: no movie."""
    if brands.container is not None:
        return brands.container
    from mediarules.inspection import isobmff

    return "mp4" if isobmff.has_movie_box(source, size) else None


def _needs_mediainfo(head: bytes, container: str | None, name: str) -> UnreadableMediaError:
    """Why a remote object the header readers could not read stays unread: the MediaInfo
    fallback reads local files only."""
    if container is not None:
        what = f"a {container.upper()} video the header reader does not fully understand"
    elif maybe_matroska(head):
        what = "a Matroska/WebM video the header reader does not fully understand"
    else:
        what = "not an image or video the header readers know"
    return UnreadableMediaError(
        "unrecognised",
        f"{what}; the MediaInfo fallback reads local files only, not URLs",
        path=name,
    )


def _iso_video(facts: MediaFacts, brands: FileType, container: str | None, name: str) -> MediaFacts:
    """MediaInfo's facts for an ISO base media file, named by its structure, not its brand."""
    if container is None:
        raise UnreadableMediaError(
            "unrecognised",
            f"an ISO base media file (brand {_brand(brands)}) with no moov or moof box",
            path=name,
        )
    return facts.model_copy(update={"format": container, "brand": brands.major_brand})


def _not_a_video_container(
    format: str | None, pillow_failure: UnreadableMediaError | None, name: str
) -> UnreadableMediaError:
    what = f"a {echo((format or 'unknown').upper())} file"
    if pillow_failure is not None:
        message = f"{pillow_failure}; MediaInfo sees {what}, not a video container mediarules reads"
        return UnreadableMediaError("corrupt", message, path=name)
    message = f"{what}: not an image, nor a video container mediarules reads"
    return UnreadableMediaError("unrecognised", message, path=name)


def _brand(brands: FileType) -> str:
    return f"'{echo(brands.major_brand)}'"


def _open(path: str) -> BinaryIO:
    try:
        return open(path, "rb")
    except PermissionError as exc:
        raise UnreadableMediaError("permission", path=path) from exc
    except FileNotFoundError as exc:  # removed since it was measured
        raise UnreadableMediaError("missing", path=path) from exc
    except OSError as exc:
        raise UnreadableMediaError(
            "missing", f"cannot open the file ({exc.strerror})", path=path
        ) from exc


def _regular_file_size(path: str) -> int:
    """The size of a non-empty regular file; otherwise the reason it cannot be inspected."""
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise UnreadableMediaError("missing", path=path) from exc
    except PermissionError as exc:
        raise UnreadableMediaError("permission", path=path) from exc
    except OSError as exc:  # a symlink loop, a name too long...
        raise UnreadableMediaError(
            "missing", f"cannot reach the file ({exc.strerror})", path=path
        ) from exc
    except ValueError as exc:  # a NUL byte in the name: no file can have it
        raise UnreadableMediaError("missing", f"not a valid file name ({exc})", path=path) from exc
    if stat.S_ISDIR(info.st_mode):
        raise UnreadableMediaError("directory", path=path)
    if not stat.S_ISREG(info.st_mode):
        # Reading a FIFO or a device could block forever or never end.
        raise UnreadableMediaError(
            "unrecognised", "not a regular file (a device, pipe or socket)", path=path
        )
    if info.st_size == 0:
        raise UnreadableMediaError("empty", path=path)
    return info.st_size
