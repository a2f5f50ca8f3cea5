"""Real media files made at test time: Pillow for images, PyAV for video.

Every factory writes into the folder it is given (a pytest ``tmp_path``) and returns the path.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import cast

import av
from PIL import Image


def make_image(
    path: Path,
    *,
    format: str = "JPEG",
    size: tuple[int, int] = (64, 48),
    mode: str = "RGB",
    frames: int = 1,
    orientation: int | None = None,
    pad_to_bytes: int | None = None,
) -> Path:
    """Write an image whose bytes are ``format`` whatever ``path``'s extension says.

    ``frames`` > 1 writes an animation (GIF, WebP, PNG); ``orientation`` sets the EXIF tag;
    ``pad_to_bytes`` grows the file to at least that size with noise the format ignores.
    """
    colours = [(200, 30, 30), (30, 200, 30), (30, 30, 200), (220, 220, 20)]
    images = [Image.new(mode, size, _colour_for(mode, colours[i % 4])) for i in range(frames)]
    options: dict[str, object] = {}
    if frames > 1:
        options.update(save_all=True, append_images=images[1:], duration=100, loop=0)
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        options["exif"] = exif
    images[0].save(path, format=format, **options)
    if pad_to_bytes is not None:
        _pad(path, format, pad_to_bytes)
    return path


def _colour_for(mode: str, rgb: tuple[int, int, int]) -> int | tuple[int, ...]:
    if mode in ("RGB", "YCbCr"):
        return rgb
    if mode == "RGBA":
        return (*rgb, 128)
    if mode == "CMYK":
        return (*rgb, 0)
    if mode in ("L", "P", "1"):
        return rgb[0]
    if mode == "LA":
        return (rgb[0], 128)
    return rgb


def _pad(path: Path, format: str, target: int) -> None:
    """Grow a file past ``target`` bytes without making it unreadable.

    JPEG: bytes after the EOI marker are ignored by decoders. PNG: an ancillary private chunk.
    Others: trailing bytes, which Pillow's header parsers ignore.
    """
    current = path.stat().st_size
    missing = max(0, target - current)
    if not missing:
        return
    data = path.read_bytes()
    if format.upper() == "PNG":
        import struct
        import zlib

        body = b"\x00" * missing
        chunk = struct.pack(">I", len(body)) + b"prVt" + body
        chunk += struct.pack(">I", zlib.crc32(b"prVt" + body) & 0xFFFFFFFF)
        iend = data.rindex(b"IEND") - 4
        path.write_bytes(data[:iend] + chunk + data[iend:])
    else:
        path.write_bytes(data + b"\x00" * missing)


def make_video(
    path: Path,
    *,
    fps: int | Fraction = 30,
    frames: int | None = None,
    duration_s: float = 1.0,
    size: tuple[int, int] = (64, 48),
    codec: str = "libx264",
    container: str | None = None,
    audio: str | None = "aac",
    rotation: int | None = None,
    noise: bool = False,
    sample_rate: int = 48000,
) -> Path:
    """Encode a short real video: solid frames at ``fps`` for ``duration_s`` (or ``frames``).

    ``container`` is an FFmpeg muxer name ("mp4", "mov", "matroska", "webm"); by default it is
    taken from the extension. ``audio`` is an encoder name or None for a silent video.
    ``noise`` fills every frame with random pixels: big files that no encoder can shrink much.
    """
    with _scheduling_kept():
        return _encode_video(path, fps, frames, duration_s, size, codec, container, audio,
                             rotation, noise, sample_rate)  # fmt: skip


@contextlib.contextmanager
def _scheduling_kept() -> Iterator[None]:
    """SVT-AV1 moves its calling thread to real-time scheduling (SCHED_FIFO, as root): put it
    back, or every later test and child process (MediaInfo workers) would run real-time."""
    policy = os.sched_getscheduler(0)
    param = os.sched_getparam(0)
    try:
        yield
    finally:
        if os.sched_getscheduler(0) != policy:
            os.sched_setscheduler(0, policy, param)


def _encode_video(
    path: Path,
    fps: int | Fraction,
    frames: int | None,
    duration_s: float,
    size: tuple[int, int],
    codec: str,
    container: str | None,
    audio: str | None,
    rotation: int | None,
    noise: bool,
    sample_rate: int = 48000,
) -> Path:
    fps = Fraction(fps)
    count = frames if frames is not None else max(1, round(duration_s * fps))
    width, height = size
    with av.open(str(path), "w", format=container) as output:
        options = {"x265-params": "log-level=error"} if codec == "libx265" else {}
        video = cast(av.VideoStream, output.add_stream(codec, rate=fps, options=options))
        video.width, video.height = width, height
        video.pix_fmt = "yuv420p"
        if rotation is not None:
            _rotate(video, rotation)
        sound = _audio_stream(output, audio, sample_rate)
        still = Image.new("RGB", size, (30, 120, 200))
        for index in range(count):
            picture = (
                Image.frombytes("RGB", size, os.urandom(width * height * 3)) if noise else still
            )
            frame = av.VideoFrame.from_image(picture)  # type: ignore[no-untyped-call]
            frame.pts = index
            frame.time_base = 1 / fps
            output.mux(video.encode(frame))
        output.mux(video.encode(None))
        if sound is not None:
            _write_silence(output, sound, seconds=float(count / fps), rate=sample_rate)
    return path


def _rotate(video: av.VideoStream, rotation: int) -> None:
    """``rotation`` is clockwise, as MediaInfo and the old "rotate" tag report it. Newer FFmpeg
    ignores that tag; newer PyAV writes a display matrix (angle anticlockwise)."""
    if hasattr(video, "set_display_rotation"):
        video.set_display_rotation(-rotation)
    else:
        video.metadata["rotate"] = str(rotation)


def _audio_stream(
    output: av.container.OutputContainer, encoder: str | None, rate: int = 48000
) -> av.AudioStream | None:
    """A mono stream of ``rate`` Hz for ``encoder`` (filled later with silence), or None.
    FFmpeg's own Vorbis encoder is "experimental" and stereo only: it gets both."""
    if encoder is None:
        return None
    options = {"strict": "experimental"} if encoder == "vorbis" else {}
    sound = cast(av.AudioStream, output.add_stream(encoder, rate=rate, options=options))
    sound.layout = "stereo" if encoder == "vorbis" else "mono"
    return sound


def _write_silence(
    output: av.container.OutputContainer, stream: av.AudioStream, seconds: float, rate: int = 48000
) -> None:
    codec_context = stream.codec_context
    samples_per_frame = codec_context.frame_size or 1024
    fmt = codec_context.format.name
    total = int(seconds * rate)
    pts = 0
    layout = stream.layout.name
    while pts < total:
        frame = av.AudioFrame(format=fmt, layout=layout, samples=samples_per_frame)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.sample_rate = rate
        frame.pts = pts
        output.mux(stream.encode(frame))
        pts += samples_per_frame
    output.mux(stream.encode(None))


def make_corrupt(path: Path, *, like: bytes = b"\xff\xd8\xff\xe0") -> Path:
    """A file that starts like a known format (a JPEG by default) and then is garbage."""
    path.write_bytes(like + b"\x13\x37garbage" * 40)
    return path


def make_clip(
    path: Path,
    *,
    fps: int | Fraction = 30,
    frames: int = 10,
    size: tuple[int, int] = (64, 48),
    codec: str = "libx264",
    container: str | None = None,
    audio: str | None = None,
    rotation: int | None = None,
    faststart: bool = False,
    timestamps_ms: Sequence[int] | None = None,
    codec_options: Mapping[str, str] | None = None,
    pix_fmt: str = "yuv420p",
    timecode: str | None = None,
) -> Path:
    """A short video for container-level tests (silent unless ``audio`` names an encoder).

    ``faststart`` writes the ``moov`` box before the media data (MP4/MOV); ``timestamps_ms``
    gives each frame's presentation time in milliseconds, so irregular steps make a variable
    frame rate; ``codec_options`` go to the encoder (``{"bf": "3"}``: B-frames, hence an edit
    list in MP4); ``timecode`` (``"01:00:00:00"``) adds a timecode track. Frames change colour
    so that no encoder sees a still picture.
    """
    fps = Fraction(fps)
    times = list(range(frames)) if timestamps_ms is None else list(timestamps_ms)
    time_base = 1 / fps if timestamps_ms is None else Fraction(1, 1000)
    muxer_options = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(path), "w", format=container, options=muxer_options) as output:
        options = dict(codec_options or {})
        if codec == "libx265":
            options.setdefault("x265-params", "log-level=error")
        video = cast(av.VideoStream, output.add_stream(codec, rate=fps, options=options))
        video.width, video.height = size
        video.pix_fmt = pix_fmt
        if timecode is not None:
            output.metadata["timecode"] = video.metadata["timecode"] = timecode
        if rotation is not None:
            _rotate(video, rotation)
        sound = _audio_stream(output, audio)
        for index, pts in enumerate(times):
            picture = Image.new("RGB", size, ((index * 37) % 256, 120, 200))
            frame = av.VideoFrame.from_image(picture)  # type: ignore[no-untyped-call]
            frame.pts = pts
            frame.time_base = time_base
            output.mux(video.encode(frame))
        output.mux(video.encode(None))
        if sound is not None:
            _write_silence(output, sound, seconds=float(len(times) / fps))
    return path


def make_fragmented(
    path: Path,
    *,
    movflags: str = "frag_keyframe+empty_moov",
    frames: int = 90,
    fps: int | Fraction = 30,
    first: int = 0,
    audio: bool = False,
    timestamps_ms: Sequence[int] | None = None,
    codec_options: dict[str, str] | None = None,
    container: str = "mp4",
    size: tuple[int, int] = (64, 48),
) -> Path:
    """``frames`` H.264 frames at ``fps`` (the first at frame ``first``, or at each of
    ``timestamps_ms``), muxed with ``movflags`` (``frag_keyframe+empty_moov``: a fragmented
    MP4; ``""``: a plain one), with silent AAC when ``audio``. ``codec_options`` go to the
    encoder (``{"g": "5"}``: a keyframe, hence a fragment, every 5 frames)."""
    rate = Fraction(fps)
    times = [first + i for i in range(frames)] if timestamps_ms is None else list(timestamps_ms)
    time_base = 1 / rate if timestamps_ms is None else Fraction(1, 1000)
    options = {"movflags": movflags} if movflags else {}
    with av.open(str(path), "w", format=container, options=options) as output:
        stream = output.add_stream("libx264", rate=rate)
        stream.options = dict(codec_options or {})
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        sound = _audio_stream(output, "aac") if audio else None
        for index, pts in enumerate(times):
            picture = Image.new("RGB", size, ((index * 37) % 256, 120, 200))
            frame = av.VideoFrame.from_image(picture)  # type: ignore[no-untyped-call]
            frame.pts, frame.time_base = pts, time_base
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
        if sound is not None:
            _write_silence(output, sound, seconds=float(len(times) / rate))
    return path


def has_encoder(name: str) -> bool:
    """Whether this PyAV build can encode with ``name`` (libx265, libsvtav1 are optional)."""
    try:
        av.codec.Codec(name, "w")
    except Exception:  # av.codec.codec.UnknownCodecError, or a build without the encoder
        return False
    return True
