"""The video executor (PyAV) and its ffmpeg twin: real files in, new files out, inspected."""

from __future__ import annotations

import hashlib
import importlib
import math
import os
import random
import shlex
import struct
import sys
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import cast

import av
import pytest
from pymediainfo import MediaInfo

import mediarules
import mediarules.fixes
from mediarules import MediaFacts
from mediarules.fixes import video
from mediarules.fixes.targets import VideoTarget
from mediarules.fixes.video import (
    EncodeSettings,
    VideoResult,
    VideoSupportMissing,
    apply_video,
    describe_video_changes,
    encode_settings,
    ffmpeg_command,
)
from tests.media import make_video

TIKTOK = VideoTarget(
    container="mp4",
    fps=Fraction(24),
    min_width=360,
    min_height=360,
    max_width=4096,
    max_height=4096,
    max_bytes=4_000_000_000,
    max_duration_s=600,
)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fix(source: Path, target: VideoTarget, name: str = "out") -> VideoResult:
    """Run the executor; check it only added its output and left the source alone."""
    before, listing = digest(source), set(source.parent.iterdir())
    destination = source.parent / f"{name}.{target.container}"
    result = apply_video(source, target, destination)
    assert digest(source) == before
    assert set(source.parent.iterdir()) == listing | {destination}  # no temporary file left
    assert result.path == destination and result.size == destination.stat().st_size
    return result


def write_frames(
    path: Path,
    lumas: Sequence[int | bytes],
    *,
    times: Sequence[Fraction] | None = None,
    fps: Fraction = Fraction(30),
    size: tuple[int, int] = (32, 32),
    rotation: int | None = None,
    corner: bool = False,
) -> Path:
    """A silent H.264 video, one frame per luma: a flat grey level, or raw bytes for the Y
    plane. ``times`` (seconds) gives irregular timestamps; ``corner`` paints the top-left
    quadrant white; ``rotation`` is clockwise, as ``make_video`` writes it."""
    time_base = Fraction(1, 90_000)
    with av.open(str(path), "w") as output:
        stream = output.add_stream("libx264", rate=fps, options={"preset": "ultrafast", "qp": "0"})
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = time_base
        if rotation is not None:
            stream.set_display_rotation(-rotation)
        for index, luma in enumerate(lumas):
            frame = av.VideoFrame(size[0], size[1], "yuv420p")
            y, *chroma = frame.planes
            if isinstance(luma, bytes):
                y.update(luma)
            else:
                rows = [bytes([luma]) * y.line_size] * size[1]
                if corner:
                    half = bytes([235]) * (size[0] // 2)
                    rows[: size[1] // 2] = [half + row[len(half) :] for row in rows[: size[1] // 2]]
                y.update(b"".join(rows))
            for plane in chroma:
                plane.update(bytes([128]) * plane.buffer_size)
            moment = times[index] if times is not None else index / fps
            frame.pts, frame.time_base = round(moment / time_base), time_base
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    return path


def frame_lumas(path: Path, points: Sequence[tuple[Fraction, Fraction]]) -> list[list[int]]:
    """For every decoded frame, the Y values at ``points`` (fractions of width, height)."""
    values = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            plane, data = frame.planes[0], bytes(frame.planes[0])
            values.append(
                [
                    data[plane.line_size * int(y * frame.height) + int(x * frame.width)]
                    for x, y in points
                ]
            )
    return values


CENTRE = (Fraction(1, 2), Fraction(1, 2))


def level(index: int) -> int:
    """A grey level per frame index that survives an encode: 8, 12, 16, ..."""
    return 8 + 4 * index


def index_of(luma: int) -> int:
    return round((luma - 8) / 4)


def boxes(path: Path) -> list[str]:
    """The top-level ISO BMFF boxes, in file order."""
    data, names, offset = path.read_bytes(), [], 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
        names.append(kind.decode("latin-1"))
        if size < 8:
            break
        offset += size
    return names


def packets(path: Path) -> dict[str, list[bytes]]:
    with av.open(str(path)) as container:
        found: dict[str, list[bytes]] = {}
        for packet in container.demux():
            if packet.size:
                found.setdefault(packet.stream.type, []).append(bytes(packet))
        return found


# -- the headline ----------------------------------------------------------------------


def test_slow_mov_becomes_a_tiktok_mp4(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "clip.mov", fps=20, duration_s=3.5, size=(360, 640))
    source = mediarules.inspect(clip)
    assert not mediarules.check([clip], platforms="tiktok").ok

    result = fix(clip, TIKTOK)

    out = mediarules.inspect(result.path)
    assert (out.format, out.video_codec, out.audio_codec) == ("mp4", "h264", "aac")
    assert out.fps == Fraction(24) and not out.variable_frame_rate
    assert out.width is not None and out.height is not None and min(out.width, out.height) >= 360
    assert source.duration_s is not None and out.duration_s is not None
    assert abs(out.duration_s - source.duration_s) <= 1 / 24
    assert mediarules.check([result.path], platforms="tiktok").ok
    assert (result.container, result.fps) == ("mp4", Fraction(24))
    assert (result.width, result.height) == (360, 640)
    assert result.changes[:2] == ["re-encoded h264 at 24 fps (was 20)", "container mov to mp4"]
    assert boxes(result.path).index("moov") < boxes(result.path).index("mdat")


@pytest.mark.parametrize(
    ("source_fps", "target_fps", "count"),
    [
        (Fraction(20), Fraction(24), 30),  # up: some frames shown twice
        (Fraction(60), Fraction(30), 40),  # down: every other frame
        (Fraction(24), Fraction(30000, 1001), 30),
    ],
)
def test_frames_are_picked_by_timestamp(
    tmp_path: Path, source_fps: Fraction, target_fps: Fraction, count: int
) -> None:
    """Each output tick shows the latest source frame at or before it."""
    clip = write_frames(tmp_path / "count.mp4", [level(i) for i in range(count)], fps=source_fps)
    result = fix(clip, VideoTarget(container="mp4", fps=target_fps, audio_codec=None))
    shown = [index_of(luma) for (luma,) in frame_lumas(result.path, [CENTRE])]
    assert shown == [math.floor(tick * source_fps / target_fps) for tick in range(len(shown))]
    assert abs(len(shown) / target_fps - count / source_fps) <= 1 / target_fps
    assert result.fps == target_fps


def test_60_fps_becomes_30(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "fast.mp4", fps=60, duration_s=1, size=(64, 48))
    result = fix(clip, VideoTarget(container="mp4", fps=Fraction(30)))
    assert result.fps == Fraction(30)
    assert result.changes[0] == "re-encoded h264 at 30 fps (was 60)"
    assert describe_video_changes(
        mediarules.inspect(clip), VideoTarget(container="mp4", fps=Fraction(30))
    ) == (True, ["quality", "frames"])


def x264_options(path: Path) -> dict[str, str]:
    """The settings libx264 wrote into the stream (its SEI: ``... options: cabac=1 ...``)."""
    data = path.read_bytes()
    start = data.index(b"x264 - core")
    text = data[start : data.index(b"\0", start)].decode("ascii", "replace")
    return dict(part.split("=", 1) for part in text.split("options:")[1].split() if "=" in part)


def test_x264_threads_as_the_ffmpeg_command_line_sets_them(tmp_path: Path) -> None:
    """ffmpeg runs libx264 with frame threads (``-threads auto``); the executor too, rather
    than PyAV's default of slice threads, which cuts every picture into slices."""
    clip = make_video(tmp_path / "fast.mp4", fps=60, duration_s=0.5, size=(640, 360))
    result = fix(clip, VideoTarget(container="mp4", fps=Fraction(30)))
    assert x264_options(result.path)["sliced_threads"] == "0"


def test_variable_rate_source_becomes_constant(tmp_path: Path) -> None:
    times = [
        Fraction(t, 100) for t in (0, 3, 5, 11, 13, 20, 29, 30, 41, 47, 55, 60, 71, 80, 88, 93)
    ]
    clip = write_frames(tmp_path / "vfr.mp4", [level(i) for i in range(len(times))], times=times)
    result = fix(clip, VideoTarget(container="mp4", fps=Fraction(25), audio_codec=None))
    out = mediarules.inspect(result.path)
    assert out.fps == Fraction(25) and out.variable_frame_rate is False
    shown = [index_of(luma) for (luma,) in frame_lumas(result.path, [CENTRE])]
    expected = [
        max(i for i, t in enumerate(times) if t <= Fraction(tick, 25)) for tick in range(len(shown))
    ]
    assert shown == expected


# -- remux -----------------------------------------------------------------------------------


def test_remux_copies_the_streams_and_puts_moov_first(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "clip.mov", fps=25, duration_s=2, size=(64, 48))
    assert boxes(clip).index("moov") > boxes(clip).index("mdat")  # FFmpeg's default: moov last
    result = fix(clip, VideoTarget(container="mp4", reencode=False))

    assert packets(result.path) == packets(clip)  # every packet, byte for byte
    source, out = mediarules.inspect(clip), mediarules.inspect(result.path)
    assert (out.format, out.video_codec, out.audio_codec) == ("mp4", "h264", "aac")
    assert (out.fps, out.width, out.height) == (source.fps, source.width, source.height)
    assert out.duration_s == source.duration_s
    assert boxes(result.path).index("moov") < boxes(result.path).index("mdat")
    general = MediaInfo.parse(str(result.path)).general_tracks[0].to_data()
    assert general.get("isstreamable") == "Yes"
    assert result.changes == ["remuxed mov to mp4 (streams copied)"]
    assert not result.settings.reencode and result.settings.video_filter is None


def test_remux_trim_keeps_whole_packets_within_the_limit(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "long.mov", fps=30, duration_s=5, size=(64, 48))
    target = VideoTarget(container="mp4", reencode=False, max_duration_s=2)
    result = fix(clip, target)
    assert result.duration_s is not None and 1.5 <= result.duration_s <= 2
    copied, original = packets(result.path), packets(clip)
    assert copied["video"] == original["video"][: len(copied["video"])]  # a prefix, untouched
    assert result.changes == [
        "remuxed mov to mp4 (streams copied)",
        "trimmed to 2 s (whole packets)",
    ]
    assert describe_video_changes(mediarules.inspect(clip), target) == (True, ["length"])


def test_remux_keeps_the_rotation_tag(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "turned.mov", duration_s=0.5, rotation=90)
    result = fix(clip, VideoTarget(container="mp4", reencode=False, audio_codec=None))
    out = mediarules.inspect(result.path)
    assert (out.rotation, out.width, out.height, out.audio_codec) == (90, 64, 48, None)
    assert result.changes == ["remuxed mov to mp4 (streams copied)", "dropped the audio"]


# -- re-encode: geometry, time, rate ---------------------------------------------------------


def test_downscale_into_a_1280x720_box(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "big.mp4", duration_s=0.5, size=(1920, 1080))
    result = fix(clip, VideoTarget(container="mp4", max_width=1280, max_height=720))
    assert (result.width, result.height) == (1280, 720)
    assert result.settings.video_filter == "scale=1280:720,setsar=1,fps=30:round=up,format=yuv420p"
    assert "scaled 1920x1080 to 1280x720" in result.changes


def test_square_source_is_padded_to_9_16(tmp_path: Path) -> None:
    clip = write_frames(tmp_path / "square.mp4", [200] * 10, size=(300, 300))
    target = VideoTarget(
        container="mp4", min_aspect_ratio=Fraction(9, 16), max_aspect_ratio=Fraction(9, 16)
    )
    result = fix(clip, target)
    assert (result.width, result.height) == (300, 534)
    assert result.settings.video_filter == (
        "pad=300:534:0:117:black,setsar=1,fps=30:round=up,format=yuv420p"
    )
    top, middle, bottom = (
        (Fraction(1, 2), Fraction(1, 20)),
        CENTRE,
        (Fraction(1, 2), Fraction(19, 20)),
    )
    for upper, centre, lower in frame_lumas(result.path, [top, middle, bottom]):
        assert upper <= 20 and lower <= 20 and 190 <= centre <= 210  # black bars, picture centred
    assert "padded to 9:16 (300x534)" in result.changes
    assert describe_video_changes(mediarules.inspect(clip), target) == (
        True,
        ["quality", "framing"],
    )


def test_reencode_trims_to_whole_frames(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "long.mov", fps=30, duration_s=5, size=(64, 48))
    result = fix(clip, VideoTarget(container="mp4", max_duration_s=2))
    assert result.duration_s == pytest.approx(2.0, abs=0.005)
    assert result.settings.duration_s == 2
    assert result.changes[-1] == "trimmed to 2 s"
    counts = {kind: len(found) for kind, found in packets(result.path).items()}
    assert counts["video"] == 60


def test_rotated_source_is_baked_upright(tmp_path: Path) -> None:
    clip = write_frames(tmp_path / "turned.mp4", [40] * 6, size=(64, 48), rotation=90, corner=True)
    assert mediarules.inspect(clip).rotation == 90
    result = fix(clip, VideoTarget(container="mp4"))
    out = mediarules.inspect(result.path)
    assert (out.width, out.height, out.rotation) == (48, 64, 0)
    assert result.settings.video_filter is not None
    assert result.settings.video_filter.startswith("transpose=clock,")
    assert "rotated 90° clockwise (display rotation baked in)" in result.changes
    # turned a quarter clockwise, the stored top-left corner is shown top-right
    top_left, top_right = (Fraction(1, 8), Fraction(1, 8)), (Fraction(7, 8), Fraction(1, 8))
    for left, right in frame_lumas(result.path, [top_left, top_right]):
        assert left < 60 and right > 200
    made = make_video(tmp_path / "phone.mov", duration_s=0.3, size=(64, 48), rotation=270)
    again = fix(made, VideoTarget(container="mp4"), name="phone-out")
    assert (again.width, again.height, mediarules.inspect(again.path).rotation) == (48, 64, 0)
    assert again.settings.video_filter is not None
    assert again.settings.video_filter.startswith("transpose=cclock,")


def noise(
    path: Path, *, seconds: int = 3, fps: int = 24, size: tuple[int, int] = (640, 360)
) -> Path:
    """Fresh random noise in every frame: what no bit rate is ever enough for."""
    rng = random.Random(20)
    plane_size = av.VideoFrame(*size, "yuv420p").planes[0].buffer_size
    frames = [rng.randbytes(plane_size) for _ in range(seconds * fps)]
    return write_frames(path, frames, fps=Fraction(fps), size=size)


def test_bit_rate_cap_and_byte_budget_are_honoured(tmp_path: Path) -> None:
    clip = noise(tmp_path / "noise.mp4")
    loud = mediarules.inspect(clip)
    assert loud.bit_rate is not None and loud.bit_rate > 10_000_000

    cap = 1_000_000
    capped = fix(clip, VideoTarget(container="mp4", max_bitrate_bps=cap), name="capped")
    settings = capped.settings
    assert settings.cap_bps == cap and settings.maxrate is not None
    assert (
        settings.video_options["maxrate"]
        == str(settings.maxrate)
        == settings.video_options["bufsize"]
    )
    assert settings.maxrate < cap * 0.95  # the VBV buffer x264 may spend first fits too
    out = mediarules.inspect(capped.path)
    assert out.bit_rate is not None and cap * 0.5 <= out.bit_rate <= cap * 1.05
    assert "capped at 1 Mbps" in capped.changes

    budget = 250_000
    sized = fix(clip, VideoTarget(container="mp4", max_bytes=budget), name="sized")
    assert sized.settings.maxrate is not None and sized.size <= budget
    assert sized.size >= budget * 0.5


# -- the ffmpeg command line -----------------------------------------------------------------


def test_ffmpeg_command_for_a_remux(tmp_path: Path) -> None:
    facts = MediaFacts(
        kind="video",
        format="mov",
        width=1080,
        height=1920,
        fps=Fraction(30),
        duration_s=12.0,
        video_codec="h264",
        audio_codec="aac",
    )
    target = VideoTarget(container="mp4", reencode=False, video_codec="h264")
    argv = ffmpeg_command(Path("in put.mov"), target, Path("out.mp4"), facts)
    assert shlex.join(argv) == "ffmpeg -i 'in put.mov' -c copy -movflags +faststart out.mp4"
    assert argv[2] == "in put.mov"
    trimmed = VideoTarget(container="mp4", reencode=False, audio_codec=None, max_duration_s=10)
    assert shlex.join(ffmpeg_command("a.mov", trimmed, "-b.mp4", facts)) == (
        "ffmpeg -i a.mov -c copy -an -t 10 -movflags +faststart ./-b.mp4"
    )


def test_ffmpeg_command_for_a_reencode() -> None:
    facts = MediaFacts(
        kind="video",
        format="mov",
        width=1920,
        height=1080,
        fps=Fraction(30000, 1001),
        duration_s=75.0,
        video_codec="hevc",
        audio_codec="aac",
        rotation=90,
    )
    target = VideoTarget(
        container="mp4",
        fps=Fraction(30),
        max_width=720,
        max_height=1280,
        min_aspect_ratio=Fraction(9, 16),
        max_aspect_ratio=Fraction(9, 16),
        max_bitrate_bps=5_000_000,
        max_duration_s=60,
    )
    settings = encode_settings(facts, target)
    assert settings.maxrate == 4_546_000  # (95 % of 5 Mbit/s - 128 kbit/s audio) * 60 / 61
    argv = ffmpeg_command(Path("clip.mov"), target, Path("clip-reel.mp4"), facts)
    assert shlex.join(argv) == (
        "ffmpeg -display_rotation:v:0 0 -i clip.mov"
        " -vf transpose=clock,scale=720:1280,setsar=1,fps=30:round=up,format=yuv420p"
        " -c:v libx264 -preset medium -crf 20 -maxrate 4546000 -bufsize 4546000"
        " -pix_fmt yuv420p -c:a aac -b:a 128k -ar 48000 -t 60 -movflags +faststart clip-reel.mp4"
    )
    plain = VideoTarget(
        container="mov", audio_codec=None, fps=Fraction(30000, 1001), max_duration_s=2
    )
    upright = facts.model_copy(update={"rotation": 0})
    assert shlex.join(ffmpeg_command("a.mp4", plain, "b.m4v", upright)) == (
        "ffmpeg -i a.mp4 -vf setsar=1,fps=30000/1001:round=up,format=yuv420p -c:v libx264"
        " -preset medium -crf 20 -pix_fmt yuv420p -an"
        " -t 1.968633 -movflags +faststart -f mov b.m4v"  # 59 frames at 29.97 fps end by 2 s
    )


def argv_value(argv: list[str], option: str) -> str | None:
    return argv[argv.index(option) + 1] if option in argv else None


def test_ffmpeg_rendering_matches_what_pyav_does(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "clip.mov", fps=20, duration_s=2, size=(96, 64), rotation=90)
    target = VideoTarget(
        container="mp4",
        fps=Fraction(24),
        min_width=360,
        min_height=360,
        max_bitrate_bps=2_000_000,
        max_duration_s=1.5,
    )
    facts = mediarules.inspect(clip)
    result = fix(clip, target)
    used: EncodeSettings = result.settings
    assert used == encode_settings(facts, target)
    argv = ffmpeg_command(clip, target, tmp_path / "elsewhere.mp4", facts)
    assert argv_value(argv, "-vf") == used.video_filter
    assert used.video_filter == (
        "transpose=clock,scale=360:540,setsar=1,fps=24:round=up,format=yuv420p"
    )
    assert argv_value(argv, "-c:v") == used.video_encoder == "libx264"
    for name, value in used.video_options.items():
        assert argv_value(argv, f"-{name}") == value
    assert argv_value(argv, "-pix_fmt") == used.pix_fmt
    assert argv_value(argv, "-c:a") == used.audio_encoder == "aac"
    assert argv_value(argv, "-b:a") == f"{used.audio_bit_rate // 1000}k"
    assert argv_value(argv, "-ar") == str(used.audio_sample_rate)
    assert (
        used.duration_s is not None
        and Fraction(cast(str, argv_value(argv, "-t"))) == used.duration_s
    )
    assert argv_value(argv, "-movflags") == used.mux_options["movflags"]
    out = mediarules.inspect(result.path)
    assert (out.width, out.height, out.fps, out.rotation) == (360, 540, Fraction(24), 0)
    assert out.duration_s is not None and abs(out.duration_s - 1.5) <= 1 / 24


# -- the prediction --------------------------------------------------------------------------

SOURCE = MediaFacts(
    path="/nowhere/clip.mov",
    kind="video",
    format="mov",
    width=1920,
    height=1080,
    fps=Fraction(60),
    duration_s=30.0,
    video_codec="h264",
    audio_codec="aac",
)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (VideoTarget(container="mp4", reencode=False), (False, [])),
        (VideoTarget(container="mp4"), (True, ["quality"])),
        (VideoTarget(container="mp4", fps=Fraction(30)), (True, ["quality", "frames"])),
        (VideoTarget(container="mp4", fps=Fraction(60)), (True, ["quality"])),
        (VideoTarget(container="mp4", max_width=1280), (True, ["quality", "resolution"])),
        (VideoTarget(container="mp4", min_width=3840), (True, ["quality", "sharpness"])),
        (
            VideoTarget(container="mp4", max_aspect_ratio=Fraction(1)),
            (True, ["quality", "framing"]),
        ),
        (VideoTarget(container="mp4", max_duration_s=10), (True, ["quality", "length"])),
        (VideoTarget(container="mp4", max_duration_s=30), (True, ["quality"])),
        (VideoTarget(container="mp4", reencode=False, max_duration_s=10), (True, ["length"])),
        (VideoTarget(container="mp4", reencode=False, audio_codec=None), (True, ["audio"])),
        (
            VideoTarget(
                container="mp4",
                fps=Fraction(24),
                max_height=720,
                min_aspect_ratio=Fraction(9, 16),
                max_aspect_ratio=Fraction(9, 16),
                max_duration_s=15,
                audio_codec=None,
            ),
            (True, ["quality", "resolution", "framing", "frames", "length", "audio"]),
        ),
    ],
)
def test_describe_video_changes(target: VideoTarget, expected: tuple[bool, list[str]]) -> None:
    assert describe_video_changes(SOURCE, target) == expected


def test_describe_knows_rotation_swaps_sides() -> None:
    portrait = SOURCE.model_copy(update={"rotation": 90})  # shown 1080x1920
    assert describe_video_changes(portrait, VideoTarget(container="mp4", max_height=1920)) == (
        True,
        ["quality"],
    )


# -- failures --------------------------------------------------------------------------------


def test_missing_pyav_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clip = make_video(tmp_path / "clip.mov", duration_s=0.2)
    monkeypatch.setitem(sys.modules, "av", None)  # "import av" now raises ImportError
    monkeypatch.delitem(sys.modules, "mediarules.fixes.video")
    monkeypatch.setattr(mediarules.fixes, "video", video)  # put back afterwards, like sys.modules
    fresh = importlib.import_module("mediarules.fixes.video")  # imports without PyAV
    assert fresh.describe_video_changes(SOURCE, VideoTarget(container="mp4")) == (True, ["quality"])
    assert (
        fresh.ffmpeg_command("a.mov", VideoTarget(container="mp4"), "b.mp4", SOURCE)[0] == "ffmpeg"
    )
    with pytest.raises(fresh.VideoSupportMissing) as caught:
        fresh.apply_video(clip, VideoTarget(container="mp4"), tmp_path / "out.mp4")
    assert str(caught.value) == "video fixes need PyAV: pip install 'mediarules[video]'"
    assert isinstance(caught.value, RuntimeError)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mov"]
    assert VideoSupportMissing is video.VideoSupportMissing  # the original is put back after


def test_a_failed_write_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip = make_video(tmp_path / "clip.mov", duration_s=0.2)

    def broken(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(video, "_transcode", broken)
    with pytest.raises(KeyboardInterrupt):
        apply_video(clip, VideoTarget(container="mp4"), tmp_path / "out.mp4")
    with pytest.raises(ValueError, match=r"WebM cannot hold H\.264"):
        apply_video(clip, VideoTarget(container="webm"), tmp_path / "out.webm")
    with pytest.raises(ValueError, match="no such file"):
        apply_video(tmp_path / "gone.mov", VideoTarget(container="mp4"), tmp_path / "out.mp4")
    assert sorted(os.listdir(tmp_path)) == ["clip.mov"]
