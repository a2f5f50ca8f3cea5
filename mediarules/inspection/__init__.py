"""Inspection: the only code that reads media bytes. It turns a file into ``MediaFacts``.

The kind is decided by the bytes, never the extension. An ISO base media video (MP4, MOV, M4V,
3GP) is read first by :mod:`~mediarules.inspection.isobmff` from its ``moov`` header (tens of
µs); anything it does not fully understand goes on as before: Pillow's lazy open (tens of µs,
header only), then, if no image plugin recognises the file, MediaInfo (a few ms) looks for a
video track. Anything else raises :class:`UnreadableMediaError`.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

from mediarules.inspection import images, isobmff, video
from mediarules.inspection.errors import Reason, UnreadableMediaError
from mediarules.models import MediaFacts

__all__ = ["Reason", "UnreadableMediaError", "inspect"]


def inspect(path: str | os.PathLike[str]) -> MediaFacts:
    """Read the facts of the image or video at ``path`` from its bytes.

    Raises :class:`UnreadableMediaError` when the file is missing, empty, a directory, not
    readable, truncated, corrupt, or neither an image nor a video.
    """
    name = os.fspath(path)
    size = _regular_file_size(name)
    pillow_failure: UnreadableMediaError | None = None
    with _open(name) as handle:  # one open for the MP4 reader and Pillow both
        head = handle.read(isobmff.HEAD_BYTES)
        facts = isobmff.read_open_video_facts(handle.fileno(), head, name, size=size)
        if facts is not None:  # an MP4/MOV the header reader fully understood
            return facts
        try:
            facts = images.inspect_open_image(handle, name, size=size)
        except UnreadableMediaError as exc:
            if exc.reason != "corrupt":
                raise
            pillow_failure = exc  # MediaInfo may still find a video a Pillow plugin misread
        else:
            if facts is not None:
                return facts
    found = video.probe(name)
    if pillow_failure is not None and not found.video and not found.truncated:
        raise pillow_failure
    return video.video_facts(found, path=name, size=size)


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
