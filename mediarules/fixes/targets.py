"""What a fixed file must be: the merged constraints one output has to meet.

A target is derived from the rules of every platform the output serves (the tightest box,
the smallest byte budget, a format they all take), so one file is encoded once, whatever the
number of violations and platforms behind it. Executors turn a source file and a target into
a new file; they never see violations or rules.
"""

from __future__ import annotations

from fractions import Fraction

from pydantic import BaseModel, ConfigDict, Field

from mediarules.models import FrameRate


class ImageTarget(BaseModel):
    """An image output. ``None`` means "no constraint"."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: str = Field(description="Output format: jpeg, png, gif, webp.")
    quality: int = Field(default=95, ge=1, le=100, description="Starting JPEG/WebP quality.")
    max_bytes: int | None = Field(default=None, ge=1, description="Search quality/size to fit.")
    max_width: int | None = Field(default=None, ge=1)
    max_height: int | None = Field(default=None, ge=1)
    max_pixels: int | None = Field(default=None, ge=1)
    max_dimension_sum: int | None = Field(default=None, ge=2)
    min_width: int | None = Field(default=None, ge=1)
    min_height: int | None = Field(default=None, ge=1)
    min_aspect_ratio: Fraction | None = None
    max_aspect_ratio: Fraction | None = None
    aspect_mode: str = Field(default="pad", description="pad (add bars) or crop (cut edges).")
    max_frames: int | None = Field(default=None, ge=1)
    keep_animation: bool = Field(default=True, description="False: keep the first frame only.")
    apply_orientation: bool = Field(default=True, description="Bake EXIF orientation in.")
    background: tuple[int, int, int] = Field(
        default=(255, 255, 255), description="Fill for transparency a format cannot hold, and bars."
    )


class VideoTarget(BaseModel):
    """A video output. ``reencode=False`` is a remux: streams copied, only the container changes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    container: str = Field(description="mp4 or mov (webm, mkv also possible).")
    reencode: bool = True
    video_codec: str = "h264"
    audio_codec: str | None = Field(default="aac", description="None: drop the audio track.")
    fps: FrameRate | None = Field(default=None, description="Constant output rate; None: keep.")
    max_width: int | None = Field(default=None, ge=2)
    max_height: int | None = Field(default=None, ge=2)
    max_pixels: int | None = Field(default=None, ge=4)
    min_width: int | None = Field(default=None, ge=2)
    min_height: int | None = Field(default=None, ge=2)
    min_aspect_ratio: Fraction | None = None
    max_aspect_ratio: Fraction | None = None
    max_bitrate_bps: int | None = Field(default=None, ge=1)
    max_bytes: int | None = Field(default=None, ge=1)
    max_duration_s: float | None = Field(default=None, gt=0)
