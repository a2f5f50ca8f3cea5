"""The pymediainfo adapter: container and stream facts, converted once into ``MediaFacts``.

``MediaInfo.parse`` is always called with its defaults: ``full=True`` keeps numbers as numbers
(``full=False`` turns them into prose), and ``mediainfo_options`` is never passed because it
resets library-wide options, which is not thread-safe.

libmediainfo can also spin forever on a damaged file (in 24.12: about one mutated MP4, MOV or
Matroska file in 200, and the 16 bytes of a ``moov`` box claiming 2**64 - 1 bytes), so
:func:`probe` waits for it at most ``PROBE_TIMEOUT_S`` on a helper thread and then calls the
file corrupt. A thread stuck inside the C library cannot be stopped: it keeps its CPU until the
process ends (only a separate process could be killed).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pymediainfo import MediaInfo

from mediarules.inspection.convert import (
    audio_codec_name,
    container_name,
    frame_rate_from_parts,
    ms_to_seconds,
    parse_count,
    parse_frame_rate,
    parse_rotation,
    video_codec_name,
)
from mediarules.inspection.errors import UnreadableMediaError
from mediarules.models import MediaFacts

Track = Mapping[str, object]
"""One MediaInfo track as plain data: ``track.to_data()``, keys like ``frame_rate``."""


@dataclass(frozen=True)
class Probe:
    """The tracks MediaInfo found in a file, grouped by type."""

    general: Track
    video: Sequence[Track] = ()
    audio: Sequence[Track] = ()
    image: Sequence[Track] = ()

    @property
    def truncated(self) -> bool:
        """MediaInfo saw the file end before the sizes its structure declares."""
        return str(self.general.get("istruncated") or "").strip().lower() == "yes"

    @property
    def label(self) -> str | None:
        """The container for messages: ``MP4``, ``MOV``, ``WEBM``; ``None`` if unknown."""
        name = container_name(
            self.general.get("format"),
            self.general.get("codec_id"),
            self.general.get("format_profile"),
        )
        return name.upper() if name else None


PROBE_TIMEOUT_S = 10.0
"""How long :func:`probe` waits for MediaInfo: real files take milliseconds."""


def probe(path: str) -> Probe:
    """Parse ``path`` with MediaInfo (a few ms per file: never the tool for images)."""
    try:
        info = _parse(path, timeout=PROBE_TIMEOUT_S)
    except FileNotFoundError as exc:
        raise UnreadableMediaError("missing", path=path) from exc
    except RuntimeError as exc:  # libmediainfo itself failed on the file
        raise UnreadableMediaError(
            "unrecognised", f"MediaInfo could not parse it ({exc})", path=path
        ) from exc
    tracks: dict[str, list[Track]] = {}
    for track in info.tracks:
        data: dict[str, object] = dict(track.to_data())
        tracks.setdefault(str(data.get("track_type")), []).append(data)
    general = tracks.get("General") or [{}]
    return Probe(
        general=general[0],
        video=tracks.get("Video", []),
        audio=tracks.get("Audio", []),
        image=tracks.get("Image", []),
    )


def _parse(path: str, *, timeout: float) -> MediaInfo:
    """``MediaInfo.parse(path)`` on a daemon thread; "corrupt" if it takes over ``timeout`` s."""
    outcome: list[MediaInfo | Exception] = []

    def run() -> None:
        try:
            outcome.append(MediaInfo.parse(path))
        except Exception as exc:  # handed to the caller below
            outcome.append(exc)

    worker = threading.Thread(target=run, name="mediarules-mediainfo", daemon=True)
    worker.start()
    worker.join(timeout)
    if not outcome:  # still inside libmediainfo: leave it, it cannot be interrupted
        raise UnreadableMediaError(
            "corrupt",
            f"MediaInfo did not finish reading the file in {timeout:g} s (damaged or hostile)",
            path=path,
        )
    result = outcome[0]
    if isinstance(result, Exception):
        raise result
    return result


def video_facts(found: Probe, *, path: str, size: int) -> MediaFacts:
    """Facts from the first video track (and first audio track) of a parsed file.

    Raises :class:`UnreadableMediaError` for a truncated file or one with no video track.
    """
    if found.truncated:
        label = f"the {found.label} file" if found.label else "the file"
        raise UnreadableMediaError(
            "truncated", f"truncated: {label} ends before its declared size", path=path
        )
    if not found.video:
        raise _not_a_video(found, path=path)
    general, video = found.general, found.video[0]
    audio = found.audio[0] if found.audio else None
    fps = frame_rate_from_parts(video.get("framerate_num"), video.get("framerate_den"))
    if fps is None:
        fps = parse_frame_rate(video.get("frame_rate"))
    mode = video.get("frame_rate_mode")
    duration = ms_to_seconds(general.get("duration"))
    if duration is None:
        duration = ms_to_seconds(video.get("duration"))
    return MediaFacts(
        path=path,
        kind="video",
        format=container_name(
            general.get("format"), general.get("codec_id"), general.get("format_profile")
        ),
        size=size,
        width=parse_count(video.get("width")),
        height=parse_count(video.get("height")),
        fps=fps,
        variable_frame_rate=None if mode is None else str(mode).strip().upper() == "VFR",
        duration_s=duration,
        video_codec=video_codec_name(video.get("format"), video.get("format_version")),
        audio_codec=(
            audio_codec_name(audio.get("format"), audio.get("format_profile")) if audio else None
        ),
        bit_rate=parse_count(general.get("overall_bit_rate")),
        rotation=parse_rotation(video.get("rotation")),
    )


def _not_a_video(found: Probe, *, path: str) -> UnreadableMediaError:
    """Say what MediaInfo did find, so "unrecognised" is specific where it can be."""
    what = str(found.general.get("format") or "").strip()
    the_file = f"the {what} file" if what else "the file"
    if found.audio:  # before images: cover art shows up as an image track
        message = f"audio only: {the_file} has no video track"
    elif found.image:
        message = f"Pillow cannot read this {what} image" if what else "Pillow cannot read it"
    elif what:
        message = f"{the_file} has no image or video track that can be read"
    else:
        return UnreadableMediaError("unrecognised", path=path)
    return UnreadableMediaError("unrecognised", message, path=path)
