"""Turn what a caller hands ``check`` (paths, metadata records, facts) into one item each.

A file is inspected once, whatever the number of platforms. A file that cannot be read is
still an item of the post (it counts towards the post's size) with a finding that says why.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePath

from mediarules.checks.finding import Finding
from mediarules.checks.upload import format_from_mime, format_from_name
from mediarules.fixes import plan
from mediarules.inspection import UnreadableMediaError, inspect
from mediarules.models import MediaFacts, MediaRef

MediaInput = str | os.PathLike[str] | MediaRef | MediaFacts

_CODEC_ALIASES = {"avc": "h264", "avc1": "h264", "h.264": "h264", "h265": "hevc", "h.265": "hevc"}


@dataclass(frozen=True)
class Item:
    facts: MediaFacts
    ref: MediaRef | None = None
    unreadable: Finding | None = None


def take_all(media: Iterable[MediaInput] | MediaInput) -> list[Item]:
    """One item per input, in order; a single path or record given bare is one input."""
    if isinstance(media, str | os.PathLike | MediaRef | MediaFacts):
        media = [media]
    return [take(entry) for entry in media]


def take(media: MediaInput) -> Item:
    if isinstance(media, MediaFacts):
        return Item(media)
    if isinstance(media, MediaRef):
        if media.path is not None:
            item = _inspect(media.path)
            return Item(item.facts, media, item.unreadable)
        return Item(facts_from_metadata(media), media)
    return _inspect(media)


def _inspect(path: str | os.PathLike[str]) -> Item:
    try:
        return Item(inspect(path))
    except UnreadableMediaError as exc:
        code = "media.empty" if exc.reason == "empty" else "media.unreadable"
        finding = Finding(
            code,
            f"cannot read the file: {exc}",
            actual=exc.reason,
            fix=plan.manual("Export the file again from its source"),
            source="file contents",
        )
        return Item(MediaFacts(path=os.fspath(path), size=_size_or_none(path)), unreadable=finding)


def _size_or_none(path: str | os.PathLike[str]) -> int | None:
    try:
        return Path(path).stat().st_size if Path(path).is_file() else None
    except OSError:
        return None


def facts_from_metadata(ref: MediaRef) -> MediaFacts:
    """Facts as the scheduler's stored metadata declares them (no file to read)."""
    kind = ref.type
    if kind is None and ref.content_type:
        prefix = ref.content_type.split("/")[0].lower()
        kind = prefix if prefix in ("image", "video") else None  # type: ignore[assignment]
    fmt = ref.format if ref.format and ref.format.lower() != "unknown" else None
    if fmt is None and ref.content_type:
        fmt = format_from_mime(ref.content_type)
    if fmt is None and ref.file_name:
        fmt = format_from_name(ref.file_name)
    codec = ref.codec_name.lower() if ref.codec_name else None
    return MediaFacts(
        path=ref.file_name or (str(PurePath(ref.path)) if ref.path else None),
        kind=kind,
        format=fmt.lower() if fmt else None,
        size=ref.size,
        width=ref.width,
        height=ref.height,
        fps=ref.frame_rate if kind == "video" else None,
        duration_s=ref.duration,
        video_codec=_CODEC_ALIASES.get(codec, codec) if kind == "video" and codec else None,
        audio_codec=ref.audio_codec.lower() if ref.audio_codec else None,
        bit_rate=ref.bit_rate,
    )
