"""Turn what a caller hands ``check`` (paths, metadata records, facts) into one item each.

A file is inspected once, whatever the number of platforms. A file that cannot be read is
still an item of the post (it counts towards the post's size) with a finding that says why.

Declared values that cannot be true (a width of 0, a frame rate of -30, a negative duration)
are never facts: the item gets one ``media.metadata_invalid`` finding naming them and is
checked without them, so no check says "video is -30 fps" or offers "Upscale to 0x0". A file
whose header says such a thing is ``media.unreadable`` (reason ``corrupt``): no check can
trust it, and no fix can decode it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from fractions import Fraction
from pathlib import Path, PurePath
from typing import NamedTuple

from mediarules.checks.finding import Finding
from mediarules.checks.upload import format_from_mime, format_from_name
from mediarules.fixes import plan
from mediarules.inspection import UnreadableMediaError, inspect
from mediarules.inspection.plausible import MAX_SIDE, impossible_picture_values, shown_number
from mediarules.models import MAX_RATE_MAGNITUDE, MediaFacts, MediaRef
from mediarules.remote.options import FetchOptions
from mediarules.remote.results import FetchFailure, RemoteResult
from mediarules.remote.urls import is_url, redact
from mediarules.safe_read import MAX_INTEGER

MediaInput = str | os.PathLike[str] | MediaRef | MediaFacts | RemoteResult

_CODEC_ALIASES = {"avc": "h264", "avc1": "h264", "h.264": "h264", "h265": "hevc", "h.265": "hevc"}


METADATA_SOURCE = "declared metadata"


class Item(NamedTuple):
    """One item of a post: its facts, the record it came from, and why it could not be read.
    Immutable; a named tuple, made in a fifth of a frozen dataclass's time (one per item and
    check)."""

    facts: MediaFacts
    ref: MediaRef | None = None
    unreadable: Finding | None = None
    invalid: Finding | None = None
    """Declared values that cannot be true (left out of ``facts``): ``media.metadata_invalid``."""


def take_all(
    media: Iterable[MediaInput] | MediaInput,
    *,
    fetch: FetchOptions | None = None,
    fetch_records: bool = False,
) -> list[Item]:
    """One item per input, in order; a single path or record given bare is one input.

    With ``fetch``, URL strings are read by byte ranges (all together, ``fetch.concurrency``
    at a time), and with ``fetch_records`` too the ``url`` of each record that declares no
    metadata. Without ``fetch``, a URL is an unreadable item (this caller reads local files).
    """
    if type(media) is not list and isinstance(  # (a list is none of these: skip the ABC)
        media, str | os.PathLike | MediaRef | MediaFacts | RemoteResult
    ):
        media = [media]
    entries = list(media)
    ready = [Item(entry) for entry in entries if type(entry) is MediaFacts and _plausible(entry)]
    if len(ready) == len(entries):  # facts as they are, as a scheduler holds them
        return ready
    wanted = {}
    if fetch is not None:
        for index, entry in enumerate(entries):
            url = _remote_url(entry, records=fetch_records)
            if url is not None:
                wanted[index] = url
    fetched = {}
    if wanted:  # (a post of local files starts no fetcher at all, nor imports one)
        from mediarules.remote.batch import fetch_each

        fetched = dict(zip(wanted, fetch_each(wanted.values(), fetch), strict=True))
    return [
        _fetched(fetched[index], entry) if index in fetched else take(entry)
        for index, entry in enumerate(entries)
    ]


def take(media: MediaInput) -> Item:
    if type(media) is MediaFacts and _plausible(media):  # ready facts, as most are
        return Item(media)
    if isinstance(media, RemoteResult):
        return _fetched(media, media)
    if isinstance(media, str) and is_url(media):
        why = "a URL, and this command reads local files only (check reads URLs)"
        return _unreadable(redact(media), "remote", why)
    if isinstance(media, MediaFacts):
        impossible = impossible_values(vars(media))
        facts = media.model_copy(update=dict.fromkeys(impossible)) if impossible else media
        return _declared(facts, None, impossible)
    if isinstance(media, MediaRef):
        if media.path is not None:
            item = _inspect(media.path)
            return Item(item.facts, media, item.unreadable)
        return _from_metadata(media)
    return _inspect(media)


def _inspect(path: str | os.PathLike[str]) -> Item:
    try:
        facts = inspect(path)
    except UnreadableMediaError as exc:
        return _unreadable(path, exc.reason, str(exc))
    return Item(facts)


def _remote_url(entry: MediaInput, *, records: bool) -> str | None:
    """The URL to fetch for ``entry``: a URL string, or a record's ``url`` when it declares
    no metadata (and ``records``); otherwise ``None``."""
    if isinstance(entry, str):
        return entry if is_url(entry) else None
    if records and isinstance(entry, MediaRef) and entry.path is None and entry.url:
        declared = (getattr(entry, name) for name in _DECLARED_FACTS)
        return entry.url if all(value is None for value in declared) else None
    return None


_DECLARED_FACTS = (
    "size", "width", "height", "frame_rate", "codec_name", "audio_codec", "bit_rate", "duration"
)  # fmt: skip
"""A record's metadata: when it has none of these, a fetch reads its ``url`` instead."""

_FETCH_FIXES = {
    "media.unreachable": "Check the URL and that its host answers, then check again",
    "media.not_found": "Upload the file again, or sign a new URL",
    "media.fetch_refused": "Use a public http(s) or s3 URL, or allow the host (--allow-host)",
}
_FETCH_LEADS = {
    "media.unreachable": "cannot reach the file",
    "media.not_found": "no file at the URL",
    "media.fetch_refused": "refused to fetch the URL",
}


def _fetched(result: RemoteResult, entry: MediaInput) -> Item:
    """The item of a fetched URL: its facts, or its failure as a finding."""
    ref = entry if isinstance(entry, MediaRef) else None
    if result.facts is not None:
        return Item(result.facts, ref)
    failure = result.failure or FetchFailure("media.unreachable", "unknown", "no answer")
    lead = _FETCH_LEADS.get(failure.code, "cannot read the file")
    finding = Finding(
        failure.code,
        f"{lead}: {failure.message}",
        actual=failure.reason,
        fix=plan.manual(_FETCH_FIXES.get(failure.code, "Export the file again from its source")),
        source="remote file",
    )
    facts = MediaFacts(path=result.url, size=result.size or None)
    return Item(facts, ref, unreadable=finding)


def _unreadable(path: str | os.PathLike[str], reason: str, why: str) -> Item:
    finding = Finding(
        "media.empty" if reason == "empty" else "media.unreadable",
        f"cannot read the file: {why}",
        actual=reason,
        fix=plan.manual("Export the file again from its source"),
        source="file contents",
    )
    return Item(MediaFacts(path=os.fspath(path), size=_size_or_none(path)), unreadable=finding)


def _from_metadata(ref: MediaRef) -> Item:
    values = _declared_facts(ref)
    impossible = impossible_values(values)
    facts = MediaFacts.model_validate({**values, **dict.fromkeys(impossible)})
    return _declared(facts, ref, impossible)


def _declared(facts: MediaFacts, ref: MediaRef | None, impossible: Mapping[str, str]) -> Item:
    """An item of declared facts; ``impossible`` (already left out of them) become one
    ``media.metadata_invalid`` finding."""
    if not impossible:
        return Item(facts, ref)
    finding = Finding(
        "media.metadata_invalid",
        f"declared {', '.join(impossible.values())}: cannot be true, so left out of the checks",
        actual=", ".join(impossible),
        fix=plan.manual("Correct the stored metadata, or check the file itself"),
        source=METADATA_SOURCE,
    )
    return Item(facts, ref, invalid=finding)


def impossible_values(values: Mapping[str, object]) -> dict[str, str]:
    """Field -> what it says, for each declared value of ``values`` (``MediaFacts`` fields)
    that cannot be true: a side of 0 or less (or past ``plausible.MAX_SIDE``), a frame rate of 0 or
    less (or over a billion), a size of 0 or less, a negative or infinite duration or bit rate,
    a size or bit rate past 64 bits, and for a video a duration or bit rate of 0 (a file's own
    0 is an honest unknown, but a record's is not)."""
    return {**impossible_picture_values(values), **_impossible_declared(values)}


def _plausible(facts: MediaFacts) -> bool:
    """True when ``impossible_values`` finds nothing in these facts, for what most facts are:
    sides, size and bit rate of type ``int`` within their bounds, a ``Fraction`` rate and a
    ``float`` duration within theirs, or unknown. False means "look closer", not "impossible"
    (a rate given as an int, a bound crossed). Held to ``impossible_values`` by tests."""
    width, height, size, bit_rate = facts.width, facts.height, facts.size, facts.bit_rate
    fps, seconds = facts.fps, facts.duration_s
    least = 1 if facts.kind == "video" else 0  # a record's video of 0 s or 0 bit/s is not one
    return (
        (width is None or (type(width) is int and 0 < width <= MAX_SIDE))
        and (height is None or (type(height) is int and 0 < height <= MAX_SIDE))
        and (size is None or (type(size) is int and 0 < size <= MAX_INTEGER))
        and (bit_rate is None or (type(bit_rate) is int and least <= bit_rate <= MAX_INTEGER))
        and (
            fps is None
            or (type(fps) is Fraction and 0 < fps.numerator <= MAX_RATE_MAGNITUDE * fps.denominator)
        )
        and (
            seconds is None
            or (
                (type(seconds) is float and (seconds > 0 or (seconds == 0 and not least)))
                and seconds != math.inf
            )
        )
    )


def _impossible_declared(values: Mapping[str, object]) -> dict[str, str]:
    video = values.get("kind") == "video"
    found: dict[str, str] = {}
    size = values.get("size")
    if isinstance(size, int) and not 0 < size <= MAX_INTEGER:
        found["size"] = f"size {shown_number(size, MAX_INTEGER)} bytes"
    duration = values.get("duration_s")
    if isinstance(duration, int | float) and not _positive(duration, zero_ok=not video):
        found["duration_s"] = f"duration {duration:g} s"
    bit_rate = values.get("bit_rate")
    if isinstance(bit_rate, int) and not _positive(bit_rate, zero_ok=not video):
        found["bit_rate"] = f"bit rate {shown_number(bit_rate, MAX_INTEGER)} bit/s"
    return found


def _positive(value: float, *, zero_ok: bool) -> bool:
    """Above 0 (or 0 when ``zero_ok``), and finite: a float not infinite, an integer within
    64 bits (``10**400`` bytes is no file, and no float can hold it for a message)."""
    if isinstance(value, int):
        return (value > 0 or (zero_ok and value == 0)) and value <= MAX_INTEGER
    return math.isfinite(value) and (value > 0 or (zero_ok and value == 0))


def _size_or_none(path: str | os.PathLike[str]) -> int | None:
    try:
        return Path(path).stat().st_size if Path(path).is_file() else None
    except OSError:
        return None


def _declared_facts(ref: MediaRef) -> dict[str, object]:
    """The ``MediaFacts`` fields the record declares, as declared (not yet validated)."""
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
    return {
        "path": ref.file_name or (str(PurePath(ref.path)) if ref.path else None),
        "kind": kind,
        "format": fmt.lower() if fmt else None,
        "size": ref.size,
        "width": ref.width,
        "height": ref.height,
        "fps": ref.frame_rate if kind == "video" else None,
        "duration_s": ref.duration,
        "video_codec": _CODEC_ALIASES.get(codec, codec) if kind == "video" and codec else None,
        "audio_codec": ref.audio_codec.lower() if ref.audio_codec else None,
        "bit_rate": ref.bit_rate,
    }
