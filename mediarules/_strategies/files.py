"""Real media files: Pillow writes images, PyAV encodes video (small, few frames).

Hypothesis runs a test's examples inside one call of the test function, so a strategy cannot
use a function-scoped fixture such as ``tmp_path``: it would be shared by every example, and
hypothesis refuses it (health check ``function_scoped_fixture``). These strategies write into
a directory you give them, typically one made once per test module or session with
``tmp_path_factory.mktemp("media")``; every drawn file gets a new name in it, and nothing is
deleted, so keep ``max_examples`` small.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from PIL import Image

from mediarules._strategies._args import check_range
from mediarules._strategies.numbers import STANDARD_FPS
from mediarules.safe_write import OutputFolder

__all__ = ["image_files", "video_files"]

# format -> (Pillow format, extension, modes it can save)
_IMAGE_FORMATS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "jpeg": ("JPEG", ".jpg", ("RGB", "L")),
    "png": ("PNG", ".png", ("RGB", "RGBA", "L", "P")),
    "gif": ("GIF", ".gif", ("P", "RGB")),
    "webp": ("WEBP", ".webp", ("RGB", "RGBA")),
    "bmp": ("BMP", ".bmp", ("RGB", "L")),
    "tiff": ("TIFF", ".tif", ("RGB", "RGBA", "L")),
}
_ANIMATABLE = frozenset({"png", "gif", "webp"})

# container -> (FFmpeg muxer, extension, video codecs, audio encoder)
_CONTAINERS: dict[str, tuple[str, str, frozenset[str], str]] = {
    "mp4": ("mp4", ".mp4", frozenset({"h264", "hevc", "mpeg4"}), "aac"),
    "mov": ("mov", ".mov", frozenset({"h264", "hevc", "mpeg4"}), "aac"),
    "mkv": ("matroska", ".mkv", frozenset({"h264", "hevc", "mpeg4", "vp8", "vp9"}), "aac"),
    "webm": ("webm", ".webm", frozenset({"vp8", "vp9"}), "libopus"),
}
_ENCODERS = {
    "h264": "libx264",
    "hevc": "libx265",
    "mpeg4": "mpeg4",
    "vp8": "libvpx",
    "vp9": "libvpx-vp9",
}

_COLOURS = st.tuples(*[st.integers(0, 255)] * 3)


def _directory(directory: str | os.PathLike[str]) -> Path:
    if not isinstance(directory, str | os.PathLike):
        raise InvalidArgument(f"directory={directory!r} must be a path")
    path = Path(directory)
    if not path.is_dir():
        raise InvalidArgument(
            f"directory={directory!r} is not a directory; pass tmp_path_factory.mktemp(...)"
        )
    return path


def _choices(name: str, given: Sequence[str] | None, known: Sequence[str]) -> tuple[str, ...]:
    chosen = tuple(known if given is None else given)
    if isinstance(given, str) or not chosen:
        raise InvalidArgument(f"{name}={given!r} must be a non-empty list of names")
    unknown = [c for c in chosen if c not in known]
    if unknown:
        raise InvalidArgument(f"{name}: unknown {unknown}; known: {', '.join(known)}")
    return chosen


def _new_file(directory: Path, prefix: str, suffix: str, write: Callable[[BinaryIO], Any]) -> Path:
    """A file of ``directory`` under a new name, holding what ``write`` wrote into it: written
    as a temporary and published complete, never over another file (:mod:`mediarules.safe_write`,
    like every file mediarules writes; without ``fsync``: test files need not outlive a crash)."""
    with OutputFolder.open(directory, create=False) as folder, folder.temporary(prefix) as temp:
        write(temp.file)
        name = f"{prefix}{secrets.token_hex(4)}{suffix}"
        return folder.shown(temp.publish(name, next_free=True, sync=False))


def image_files(
    directory: str | os.PathLike[str],
    *,
    formats: Sequence[str] | None = None,
    min_width: int = 1,
    max_width: int = 64,
    min_height: int = 1,
    max_height: int = 64,
    min_frames: int = 1,
    max_frames: int = 1,
) -> st.SearchStrategy[Path]:
    """Image files written into ``directory``, named with their format's extension.

    ``formats`` from jpeg, png, gif, webp, bmp, tiff (default: all); more than one frame
    (``max_frames``) writes an animation, in the formats that animate (png, gif, webp).
    """
    folder = _directory(directory)
    chosen = _choices("formats", formats, tuple(_IMAGE_FORMATS))
    for low, high in (("width", (min_width, max_width)), ("height", (min_height, max_height))):
        check_range(f"min_{low}", high[0], f"max_{low}", high[1])
        if high[1] < 1:
            raise InvalidArgument(f"max_{low}={high[1]} must be at least 1")
    check_range("min_frames", min_frames, "max_frames", max_frames)
    if max_frames < 1:
        raise InvalidArgument(f"max_frames={max_frames} must be at least 1")
    if min_frames > 1:
        chosen = tuple(f for f in chosen if f in _ANIMATABLE)
        if not chosen:
            raise InvalidArgument(f"min_frames={min_frames}, but none of {formats} animates")

    @st.composite
    def draw_file(draw: st.DrawFn) -> Path:
        fmt = draw(st.sampled_from(chosen))
        pillow_format, suffix, modes = _IMAGE_FORMATS[fmt]
        size = (
            draw(st.integers(max(1, min_width), max_width)),
            draw(st.integers(max(1, min_height), max_height)),
        )
        mode = draw(st.sampled_from(modes))
        top = max_frames if fmt in _ANIMATABLE else 1
        frames = draw(st.integers(max(1, min_frames), max(1, top)))
        pictures = [Image.new("RGB", size, draw(_COLOURS)).convert(mode) for _ in range(frames)]
        options: dict[str, Any] = {}
        if frames > 1:
            options = {"save_all": True, "append_images": pictures[1:], "duration": 100, "loop": 0}
        return _new_file(
            folder,
            "image-",
            suffix,
            lambda file: pictures[0].save(file, format=pillow_format, **options),
        )

    return draw_file()


def video_files(
    directory: str | os.PathLike[str],
    *,
    containers: Sequence[str] = ("mp4",),
    video_codecs: Sequence[str] = ("h264",),
    min_width: int = 16,
    max_width: int = 64,
    min_height: int = 16,
    max_height: int = 64,
    min_fps: int | Fraction = 10,
    max_fps: int | Fraction = 60,
    min_frames: int = 1,
    max_frames: int = 5,
    audio: bool | None = None,
) -> st.SearchStrategy[Path]:
    """Video files encoded with PyAV into ``directory``, named with their container's
    extension: solid-colour frames, even sizes (4:2:0), a standard or whole frame rate, and
    silent audio when ``audio`` is True (None: either). Needs ``pip install
    'mediarules[video]'``.

    ``containers`` from mp4, mov, mkv, webm; ``video_codecs`` from h264, hevc, mpeg4, vp8,
    vp9 (a container only gets the codecs it carries).
    """
    try:
        import av  # noqa: F401  (checked now: the first draw is too late to say why)
    except ImportError as exc:
        raise ImportError("video_files needs PyAV: pip install 'mediarules[video]'") from exc
    folder = _directory(directory)
    chosen = _choices("containers", containers, tuple(_CONTAINERS))
    codecs = _choices("video_codecs", video_codecs, tuple(_ENCODERS))
    pairs = [(c, v) for c in chosen for v in codecs if v in _CONTAINERS[c][2]]
    if not pairs:
        raise InvalidArgument(f"no container of {chosen} carries a codec of {codecs}")
    sides = []
    for name, low, high in (("width", min_width, max_width), ("height", min_height, max_height)):
        check_range(f"min_{name}", low, f"max_{name}", high)
        evens = (max(2, low + low % 2) // 2, high // 2)
        if evens[0] > evens[1]:
            raise InvalidArgument(f"no even {name} in [{low}, {high}] (4:2:0 video needs one)")
        sides.append(st.integers(*evens).map(lambda half: 2 * half))
    if not (0 < Fraction(min_fps) <= Fraction(max_fps)):
        raise InvalidArgument(f"need 0 < min_fps={min_fps} <= max_fps={max_fps}")
    lo, hi = Fraction(min_fps), Fraction(max_fps)
    rates = st.sampled_from(sorted({lo, hi, *(f for f in STANDARD_FPS if lo <= f <= hi)}))
    if -(-lo.numerator // lo.denominator) <= int(hi):
        rates |= st.integers(-(-lo.numerator // lo.denominator), int(hi)).map(Fraction)
    check_range("min_frames", min_frames, "max_frames", max_frames)
    if max_frames < 1:
        raise InvalidArgument(f"max_frames={max_frames} must be at least 1")
    if audio is not None and not isinstance(audio, bool):
        raise InvalidArgument(f"audio={audio!r} must be True, False or None")
    sounds = st.booleans() if audio is None else st.just(audio)

    @st.composite
    def draw_file(draw: st.DrawFn) -> Path:
        container, codec = draw(st.sampled_from(pairs))
        fps = draw(rates)  # drawn in the order they always were: examples stay the same
        settings: dict[str, Any] = {
            "container": container,
            "codec": codec,
            "size": (draw(sides[0]), draw(sides[1])),
            "fps": fps,
            "frames": draw(st.integers(max(1, min_frames), max_frames)),
            "colour": draw(_COLOURS),
            "audio": draw(sounds),
        }
        suffix = _CONTAINERS[container][1]
        return _new_file(folder, "video-", suffix, lambda file: _encode(file, **settings))

    return draw_file()


def _encode(
    file: BinaryIO,
    *,
    container: str,
    codec: str,
    size: tuple[int, int],
    fps: Fraction,
    frames: int,
    colour: tuple[int, int, int],
    audio: bool,
) -> None:
    import av

    muxer, _, _, audio_encoder = _CONTAINERS[container]
    options = {"x265-params": "log-level=error"} if codec == "hevc" else {}
    with av.open(file, "w", format=muxer) as output:
        video: Any = output.add_stream(_ENCODERS[codec], rate=fps, options=options)
        video.width, video.height = size
        video.pix_fmt = "yuv420p"
        sound: Any = None
        if audio:  # every stream exists before the first packet is muxed
            sound = output.add_stream(audio_encoder, rate=_SAMPLE_RATE)
            sound.layout = "mono"
        picture = Image.new("RGB", size, colour)
        for index in range(frames):
            frame = av.VideoFrame.from_image(picture)  # type: ignore[no-untyped-call]
            frame.pts = index
            frame.time_base = 1 / fps
            output.mux(video.encode(frame))
        output.mux(video.encode(None))
        if sound is not None:
            _write_silence(output, sound, seconds=float(frames / fps))


_SAMPLE_RATE = 48000


def _write_silence(output: Any, stream: Any, *, seconds: float) -> None:
    import av

    context = stream.codec_context
    fmt = context.format.name
    per_frame = context.frame_size or 1024
    total = max(per_frame, int(seconds * _SAMPLE_RATE))
    for pts in range(0, total, per_frame):
        frame = av.AudioFrame(format=fmt, layout="mono", samples=per_frame)
        for plane in frame.planes:
            plane.update(bytes(per_frame * av.AudioFormat(fmt).bytes))
        frame.sample_rate = _SAMPLE_RATE
        frame.pts = pts
        output.mux(stream.encode(frame))
    output.mux(stream.encode(None))
