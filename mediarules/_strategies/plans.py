"""Plans: the range each fact of one image or video may take, and drawing ``MediaFacts``
from them.

A plan is plain data (``media.MediaSpace`` builds them from a platform's rules); its
``strategy`` draws every fact from its range with ``numbers.near_*``, so values sit on, and
one unit past, the range's ends most of the time. Images may be stored sideways with an EXIF
orientation and videos with a rotation: limits apply to the picture as shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

from hypothesis import strategies as st

from mediarules._strategies.geometry import Box, sizes
from mediarules._strategies.numbers import near_float, near_fps, near_int
from mediarules.models import MediaFacts

__all__ = [
    "ANIMATABLE",
    "AUDIO_CODECS",
    "CONTAINERS",
    "IMAGE_FORMATS",
    "VIDEO_CODECS",
    "ImagePlan",
    "VideoPlan",
]

IMAGE_FORMATS = ("jpeg", "png", "gif", "webp", "bmp", "tiff", "heif", "avif")
ANIMATABLE = ("gif", "webp", "png")
CONTAINERS = ("mp4", "mov", "webm", "mkv", "avi", "ogg")
VIDEO_CODECS = ("h264", "hevc", "vp9", "av1", "vp8", "mpeg4", "prores")
AUDIO_CODECS = ("aac", "opus", "mp3", "ac3", "flac", "vorbis")
_MODES = {
    "jpeg": ("RGB", "L", "CMYK"),
    "png": ("RGB", "RGBA", "P", "L"),
    "gif": ("P",),
    "webp": ("RGB", "RGBA"),
    "bmp": ("RGB",),
    "tiff": ("RGB", "RGBA"),
    "heif": ("RGB",),
    "avif": ("RGB", "RGBA"),
}

# Where the table sets no limit, values stay realistic.
DEFAULT_SIDE = 8192
DEFAULT_IMAGE_BYTES = 50_000_000
DEFAULT_VIDEO_BYTES = 4_000_000_000
DEFAULT_BIT_RATE = 50_000_000
DEFAULT_FRAMES = 300
DEFAULT_FPS = (Fraction(12), Fraction(120))
DEFAULT_DURATION = (0.1, 600.0)


@dataclass(frozen=True)
class ImagePlan:
    box: Box
    formats: tuple[str, ...]
    size: tuple[int, int]
    frames: tuple[int, int] = (1, 1)

    @cached_property
    def strategy(self) -> st.SearchStrategy[MediaFacts]:
        return _image_facts(self)


@dataclass(frozen=True)
class VideoPlan:
    box: Box
    containers: tuple[str, ...]
    video_codecs: tuple[str, ...]
    audio_codecs: tuple[str | None, ...]
    fps: tuple[Fraction, Fraction, bool, bool]
    """low, high, exclude low, exclude high"""
    duration: tuple[float, float, bool, bool]
    size: tuple[int, int]
    bit_rate: tuple[int, int]
    variable: tuple[bool | None, ...] = (None, False, True)

    @cached_property
    def strategy(self) -> st.SearchStrategy[MediaFacts]:
        return _video_facts(self)


# -- drawing ------------------------------------------------------------------------------


def _image_facts(plan: ImagePlan) -> st.SearchStrategy[MediaFacts]:
    return _draw_image(plan, sizes(plan.box), near_int(*plan.size), near_int(*plan.frames))


@st.composite
def _draw_image(
    draw: st.DrawFn,
    plan: ImagePlan,
    shapes: st.SearchStrategy[tuple[int, int]],
    byte_sizes: st.SearchStrategy[int],
    frame_counts: st.SearchStrategy[int],
) -> MediaFacts:
    fmt = draw(st.sampled_from(plan.formats))
    width, height = draw(shapes)
    orientation = draw(st.sampled_from((None, 1, 6, 3, 8)))
    if orientation is not None and orientation >= 5:
        width, height = height, width  # stored sideways, shown upright
    mode = draw(st.sampled_from(_MODES.get(fmt, ("RGB",))))
    return MediaFacts(
        kind="image",
        format=fmt,
        size=draw(byte_sizes),
        width=width,
        height=height,
        mode=mode,
        frames=draw(frame_counts),
        has_alpha=mode in ("RGBA", "LA", "PA") or (mode == "P" and draw(st.booleans())),
        orientation=orientation,
    )


def _video_facts(plan: VideoPlan) -> st.SearchStrategy[MediaFacts]:
    fps_lo, fps_hi, fps_open_lo, fps_open_hi = plan.fps
    d_lo, d_hi, d_open_lo, d_open_hi = plan.duration
    return _draw_video(
        plan,
        sizes(plan.box),
        near_fps(fps_lo, fps_hi, exclude_min=fps_open_lo, exclude_max=fps_open_hi),
        near_float(d_lo, d_hi, exclude_min=d_open_lo, exclude_max=d_open_hi),
        near_int(*plan.size),
        near_int(*plan.bit_rate),
    )


@st.composite
def _draw_video(
    draw: st.DrawFn,
    plan: VideoPlan,
    shapes: st.SearchStrategy[tuple[int, int]],
    rates: st.SearchStrategy[Fraction],
    durations: st.SearchStrategy[float],
    byte_sizes: st.SearchStrategy[int],
    bit_rates: st.SearchStrategy[int],
) -> MediaFacts:
    width, height = draw(shapes)
    rotation = draw(st.sampled_from((None, 0, 90, 180, 270)))
    if rotation in (90, 270):
        width, height = height, width  # stored sideways, shown upright
    return MediaFacts(
        kind="video",
        format=draw(st.sampled_from(plan.containers)),
        size=draw(byte_sizes),
        width=width,
        height=height,
        fps=draw(rates),
        variable_frame_rate=draw(st.sampled_from(plan.variable)),
        duration_s=draw(durations),
        video_codec=draw(st.sampled_from(plan.video_codecs)),
        audio_codec=draw(st.sampled_from(plan.audio_codecs)),
        bit_rate=draw(bit_rates),
        rotation=rotation,
    )
