"""What the first bytes of a file say about which header reader may read it, without
importing any reader: the dispatch in :mod:`mediarules.inspection` loads a reader only for
the files it may read.

These are the readers' own sniffs, kept here so that they can be asked cheaply:
:mod:`~mediarules.inspection.isobmff` and :mod:`~mediarules.inspection.matroska` import them.
"""

from __future__ import annotations

__all__ = ["EBML_MAGIC", "HEAD_BYTES", "QUICKTIME_FIRST", "maybe_iso_bmff", "maybe_matroska"]

HEAD_BYTES = 4096
"""What the sniffs need from the start of the file (an ``ftyp`` box and its brands)."""

QUICKTIME_FIRST = frozenset({b"moov", b"mdat", b"free", b"wide", b"skip"})
"""Box types an old QuickTime file may start with, having no ``ftyp``."""

EBML_MAGIC = b"\x1a\x45\xdf\xa3"
"""The EBML header's ID, which a Matroska or WebM file starts with."""


def maybe_iso_bmff(head: bytes) -> bool:
    """Whether ``head`` may start an ISO base media file: an ``ftyp`` box (MP4, MOV, HEIF,
    AVIF...) or a QuickTime file's first box. When it does not, ``isobmff.file_type`` and
    ``isobmff.read_open_video_facts`` both give ``None``."""
    return len(head) >= 8 and (head[4:8] == b"ftyp" or head[4:8] in QUICKTIME_FIRST)


def maybe_matroska(head: bytes) -> bool:
    """Whether ``head`` starts with an EBML header (``matroska.is_matroska``)."""
    return head.startswith(EBML_MAGIC)
