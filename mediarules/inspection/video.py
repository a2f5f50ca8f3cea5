"""The pymediainfo adapter: container and stream facts, converted once into ``MediaFacts``.

``MediaInfo.parse`` is always called with its defaults: ``full=True`` keeps numbers as numbers
(``full=False`` turns them into prose), and ``mediainfo_options`` is never passed because it
resets library-wide options, which is not thread-safe.
"""

from __future__ import annotations

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


def probe(path: str) -> Probe:
    """Parse ``path`` with MediaInfo (a few ms per file: never the tool for images)."""
    try:
        info = MediaInfo.parse(path)
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
