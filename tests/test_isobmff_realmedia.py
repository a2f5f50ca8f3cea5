"""Real MP4/MOV/3GP files (androidx/media's test samples) read as FFmpeg reads them.

For every file in ``../shared/realmedia/androidx-media`` with an ISO base media extension:
kind, container family, width, height, frame rate and duration must agree with PyAV. The
duration is the presentation span of the demuxed audio and video packets (first presented
instant, never before 0, to the end of the last packet); it must agree within one frame. The
frame rate must match FFmpeg's average or its guessed rate (which ignores an odd first or
last frame duration, as MediaInfo and the header reader do). Skipped when the folder is absent.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import pytest

from mediarules.inspection import UnreadableMediaError, inspect

REALMEDIA = Path(__file__).resolve().parents[1].parent / "shared" / "realmedia" / "androidx-media"
EXTENSIONS = {".mp4", ".mov", ".3gp", ".m4v"}

EXCLUDED = {
    "mp4/dolbyVision-hdr.MOV": "its edit list presents 64/600 s of 100/600 s of video; FFmpeg "
    "keeps every packet past the edit's end (0.167 s), the reader and MediaInfo say 0.107 s",
    "mp4/sample_missing_stsd.mp4": "no sample description: MediaInfo reads it, and its duration "
    "is the track header's (1.024 s), not the edit list's (1.068 s, an audio track delayed 44 ms)",
    "mp4/sample_rotate_and_reflect.mp4": "a mirrored display matrix: MediaInfo reads it, with "
    "the track header's duration (1.024 s) instead of the edit list's (1.068 s)",
    "mp4/sample_with_fake_auxiliary_tracks.mp4": "several video tracks: MediaInfo's first "
    "(an auxiliary 12x10) is not FFmpeg's default stream (10x12)",
    "mp4/sample_with_fake_auxiliary_tracks_interleaved_with_primary_video_tracks.mp4": "the same",
    "dash/webvtt-in-mp4-multiple-segments/video_init.mp4": "an init segment: no samples, so no "
    "frame rate for FFmpeg; MediaInfo gives the codec's nominal one",
    "hls/multi-segment/init.mp4": "an init segment, as above",
    "mp4/sample_mdat_too_long.mp4": "its mdat claims more bytes than the file holds: inspect "
    "says 'truncated' (a structured answer), FFmpeg plays what is there",
}


def _files() -> list[Path]:
    if not REALMEDIA.is_dir():
        return []
    return sorted(path for path in REALMEDIA.rglob("*") if path.suffix.lower() in EXTENSIONS)


def _id(path: Path) -> str:
    return path.relative_to(REALMEDIA).as_posix()


def pyav_presentation(path: Path) -> tuple[int, int, list[Fraction], Fraction | None] | None:
    """(width, height, [average rate, guessed rate], presented seconds) of the default video
    stream, or ``None`` when FFmpeg finds no video stream."""
    with av.open(str(path)) as container:
        if not container.streams.video:
            return None
        stream = container.streams.video[0]
        rates = [rate for rate in (stream.average_rate, stream.guessed_rate) if rate]
        wanted = [s for s in container.streams if s.type in ("video", "audio")]
        first: Fraction | None = None
        last: Fraction | None = None
        for packet in container.demux(*wanted):
            if packet.pts is None or packet.time_base is None:
                continue
            start = packet.pts * packet.time_base
            end = (packet.pts + (packet.duration or 0)) * packet.time_base
            first = start if first is None else min(first, start)
            last = end if last is None else max(last, end)
        span = None if first is None or last is None else last - max(first, Fraction(0))
        return stream.codec_context.width, stream.codec_context.height, rates, span


@pytest.mark.parametrize("path", _files(), ids=_id)
def test_real_iso_files_agree_with_pyav(path: Path) -> None:
    if _id(path) in EXCLUDED:
        pytest.skip(EXCLUDED[_id(path)])
    try:
        theirs = pyav_presentation(path)
    except av.FFmpegError:
        theirs = None
        ffmpeg_reads = False  # encrypted, or codecs this FFmpeg lacks
    else:
        ffmpeg_reads = True
    try:
        facts = inspect(path)
    except UnreadableMediaError:
        assert theirs is None, "unreadable, but FFmpeg finds a video"
        return  # audio only, text only, or broken: a structured answer
    if not ffmpeg_reads:
        assert facts.kind == "video"  # MediaInfo or the reader saw a video FFmpeg cannot open
        return
    assert theirs is not None, "a video FFmpeg does not see"
    width, height, rates, span = theirs
    assert (facts.kind, facts.format) == (
        "video",
        "mov" if path.suffix.lower() == ".mov" else (facts.format),
    )
    assert facts.format in ("mp4", "mov")
    assert (facts.width, facts.height) == (width, height)
    if span is None:  # an init segment: a video track with no samples
        assert (facts.fps, facts.duration_s) == (None, 0.0)  # (FFmpeg guesses its time base)
        return
    assert facts.fps is not None and rates
    assert any(abs(facts.fps - rate) <= rate / 100 for rate in rates), (facts.fps, rates)
    assert facts.duration_s is not None and span is not None
    assert abs(facts.duration_s - float(span)) <= 1 / float(facts.fps) + 0.001


def test_the_real_corpus_has_what_this_suite_is_about() -> None:
    names = {_id(path) for path in _files()}
    if not names:
        pytest.skip("../shared/realmedia is not here")
    assert {
        "mp4/sample_fragmented.mp4",
        "mp4/sample_fragmented_unsupported_brands.mp4",
        "mp4/bbb_800x640_768kbps_30fps_avc_2b_firstpts_10_sec.mp4",
        "mp4/hdr10-av1.mp4",
    } <= names
    assert set(EXCLUDED) <= names  # an exclusion names a file that exists
