"""The pymediainfo adapter: container and stream facts, converted once into ``MediaFacts``.

``MediaInfo.parse`` is always called with its defaults: ``full=True`` keeps numbers as numbers
(``full=False`` turns them into prose), and ``mediainfo_options`` is never passed because it
resets library-wide options, which is not thread-safe.

libmediainfo can spin forever or allocate gigabytes on a damaged file (in 24.12: about one
mutated MP4, MOV or Matroska file in 200; the 16 bytes of a ``moov`` box claiming 2**64 - 1
bytes; an edit list claiming 2**32 - 1 entries, 12 GB), so it never runs in this process: each
parse goes to a child process of :mod:`~mediarules.inspection.mediainfo_pool`, which is killed
when it outlives :func:`time_limit` (processor time of the worker, so a busy machine does not
make a sound file corrupt) or needs more than half its 1 GiB address space. Either way
the file is "corrupt"; nothing is left running.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mediarules.inspection import colour, mediainfo_pool
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
from mediarules.inspection.mediainfo_pool import (
    MediaInfoError,
    MediaInfoMemoryError,
    MediaInfoParseError,
    MediaInfoTimeoutError,
    MediaInfoUnavailableError,
)
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
"""The longest :func:`probe` waits for MediaInfo, whatever the file's size."""

PROBE_BASE_S = 0.5
"""What any file gets: real files take milliseconds (a worker's start-up is not counted)."""

PROBE_BYTES_PER_S = 20_000_000
"""How much more time a bigger file gets: a second per 20 MB, far below disk speeds."""


def time_limit(size: int) -> float:
    """Processor seconds MediaInfo may spend on a file of ``size`` bytes (16 bytes: 0.5 s)."""
    return min(PROBE_TIMEOUT_S, PROBE_BASE_S + max(size, 0) / PROBE_BYTES_PER_S)


def probe(path: str, *, size: int | None = None) -> Probe:
    """Parse ``path`` with MediaInfo (a few ms per file: never the tool for images).

    ``size`` (the file's bytes, looked up when not given) sets the time limit.
    """
    if size is None:
        size = _size_of(path)
    tracks: dict[str, list[Track]] = {}
    for data in _parse(path, timeout=time_limit(size)):
        tracks.setdefault(str(data.get("track_type")), []).append(data)
    general = tracks.get("General") or [{}]
    return Probe(
        general=general[0],
        video=tracks.get("Video", []),
        audio=tracks.get("Audio", []),
        image=tracks.get("Image", []),
    )


def _parse(path: str, *, timeout: float) -> list[Track]:
    """MediaInfo's tracks (``track.to_data()``) of ``path``, from a worker process."""
    try:
        return mediainfo_pool.default_pool().tracks(path, timeout=timeout)
    except FileNotFoundError as exc:
        raise UnreadableMediaError("missing", path=path) from exc
    except (MediaInfoParseError, MediaInfoUnavailableError) as exc:
        raise UnreadableMediaError(
            "unrecognised", f"MediaInfo could not parse it ({exc})", path=path
        ) from exc
    except MediaInfoTimeoutError as exc:
        raise UnreadableMediaError("corrupt", f"{exc} (damaged or hostile)", path=path) from exc
    except MediaInfoMemoryError as exc:
        raise UnreadableMediaError("corrupt", f"{exc}: damaged or hostile", path=path) from exc
    except MediaInfoError as exc:  # the worker crashed
        raise UnreadableMediaError("corrupt", str(exc), path=path) from exc


def _size_of(path: str) -> int:
    try:
        return os.stat(path).st_size
    except (OSError, ValueError):  # MediaInfo will say what is wrong with it
        return 0


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
    tone = colour.from_mediainfo(video)
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
        audio_sample_rate=(parse_count(audio.get("sampling_rate")) or None) if audio else None,
        bit_depth=tone.bit_depth,
        color_transfer=tone.color_transfer,
        color_primaries=tone.color_primaries,
        dolby_vision=tone.dolby_vision,
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
