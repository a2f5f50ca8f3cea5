"""The video executor: a source file and a :class:`VideoTarget` in, a new MP4/MOV out.

Two ways to carry out one target, built from one :class:`EncodeSettings` so they cannot
drift: :func:`apply_video` runs it with PyAV (FFmpeg's libraries, bundled in PyAV's wheel),
:func:`ffmpeg_command` prints it as an ``ffmpeg`` command line for those who transcode
elsewhere. :func:`describe_video_changes` predicts, without touching a file, what a target
will cost the viewer.

- Remux (``target.reencode`` False): the packets of the first video and audio streams are
  copied into the new container, timestamps shifted to start at 0, the index (``moov``) put
  first for MP4/MOV (Instagram and Threads want it there). A trim keeps whole packets only.
- Re-encode: one filter chain (:func:`video_filter`) bakes in the display rotation, scales,
  pads with black bars, converts to a constant frame rate and to yuv420p; libx264 encodes it
  at CRF 20, under a VBV ceiling when a bit rate or byte budget applies; audio becomes AAC
  at 48 kHz. The encoder is tagged with the colours the chain hands it.
- HDR (PQ or HLG, see :func:`is_hdr`): a target of ``hevc`` (the planner picks it where the
  platform takes HEVC, see :mod:`mediarules.fixes.constraints`) keeps it: libx265, 10-bit
  (Main 10), the source's primaries, transfer and matrix, tagged ``hvc1`` as Apple players
  want. An H.264 target is 8-bit SDR: the chain tone-maps to BT.709 (:data:`TO_BT709`)
  and the plan says it loses ``HDR``. Dolby Vision's dynamic metadata is never re-encoded
  (its HLG or PQ base layer is what is kept or tone-mapped). A remux copies the streams
  with their colour tags and boxes.

PyAV is an optional dependency (the ``video`` extra): it is imported when a file is written,
never at import time.
"""

from __future__ import annotations

import errno
import math
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, cast

from mediarules.fixes.geometry import Geometry, plan_geometry
from mediarules.fixes.targets import VideoTarget
from mediarules.formatting import human_fps as _rate
from mediarules.inspection import UnreadableMediaError, inspect
from mediarules.models import MediaFacts
from mediarules.safe_write import OutputFolder, TemporaryFile

if TYPE_CHECKING:
    from av.audio.frame import AudioFrame
    from av.audio.stream import AudioStream
    from av.container import InputContainer, OutputContainer
    from av.filter import Graph
    from av.packet import Packet
    from av.stream import Stream
    from av.video.frame import VideoFrame
    from av.video.stream import VideoStream

__all__ = [
    "EncodeSettings",
    "VideoResult",
    "VideoSupportMissing",
    "apply_video",
    "describe_video_changes",
    "encode_settings",
    "ffmpeg_command",
    "hdr_losses",
    "is_hdr",
    "keeps_hdr",
    "render_ffmpeg",
    "video_filter",
    "write_video",
]

INSTALL_HINT = "video fixes need PyAV: pip install 'mediarules[video]'"

PRESET = "medium"
"""x264's default trade-off; ``fast`` saves ~30 % of the time for slightly bigger files."""
CRF = 20
"""Visually near-transparent for social media, where the platform re-encodes again anyway."""
AUDIO_BIT_RATE = 128_000
LOW_AUDIO_BIT_RATE = 64_000
"""Used when the whole budget is under 1 Mbit/s: the picture needs the bits more."""
AUDIO_SAMPLE_RATE = 48_000
BUDGET_SHARE = Fraction(95, 100)
"""Of a bit-rate cap or byte budget, what video + audio may use; the rest is container."""
VBV_SECONDS = 1
"""The encoder's rate buffer, in seconds at the capped rate (``bufsize`` = ``maxrate``)."""
BYTES_CAP_CEILING = 50_000_000
"""A byte budget that allows more than this (bit/s) never binds a CRF 20 encode; capping
anyway would only raise the H.264 level x264 writes."""
MIN_VIDEO_BIT_RATE = 50_000
HEVC_CRF = 22
"""x265 at about the quality x264 gives at CRF 20 (it needs fewer bits for the same picture)."""

TO_BT709 = (
    "scale=out_color_matrix=bt709:out_primaries=bt709:out_transfer=bt709:out_range=tv"
    ":intent=perceptual"
)
"""HDR or wide gamut to SDR BT.709 (8-bit H.264's colours), by the colour management of
FFmpeg 8's swscale (the ``scale`` filter): the frames' own primaries and transfer in, and
the perceptual intent, which tone-maps highlights into range (and maps the gamut) instead
of clipping them. Measured on a PQ ramp without mastering metadata (swscale then assumes a
10,000 nit peak), 203 nit reference white lands at 156/255 and 1,000 nits at 208/255; HLG's
75 % reference white at 174/255 and its peak at 255. PyAV's bundled FFmpeg has no zimg, so
``zscale``+``tonemap`` (the usual recipe) is not available; ``tonemap`` after ``scale`` to
linear light does not work either, as swscale clips linear light at SDR white. An ``ffmpeg``
older than 8 rejects these options: there, ``zscale=t=linear:npl=100,format=gbrpf32le,
zscale=p=bt709,tonemap=hable,zscale=t=bt709:m=bt709:r=tv`` does the same job."""

_HDR_TRANSFERS = frozenset({"pq", "hlg"})
_WIDE_PRIMARIES = frozenset({"bt2020", "p3", "dci-p3", "smpte431", "smpte432"})
"""Gamuts wider than BT.709 (names as :mod:`mediarules.inspection` gives them)."""

_MUXERS = {"mp4": "mp4", "mov": "mov", "mkv": "matroska", "webm": "webm"}
_EXTENSIONS = {"mp4": (".mp4", ".m4v"), "mov": (".mov",), "mkv": (".mkv",), "webm": (".webm",)}
_FASTSTART = frozenset({"mp4", "mov"})
_ROTATE = {90: ("transpose=clock",), 180: ("hflip", "vflip"), 270: ("transpose=cclock",)}
"""Filters turning stored pixels into displayed ones, by clockwise display rotation."""


class VideoSupportMissing(RuntimeError):  # noqa: N818 (the name callers catch)
    """PyAV is not installed: the video executor cannot run (plans and commands still work)."""

    def __init__(self, message: str = INSTALL_HINT) -> None:
        super().__init__(message)


@dataclass(frozen=True)
class EncodeSettings:
    """Everything one output is encoded with: what PyAV is told and what ``ffmpeg`` is told.

    Computed once from the source's facts and the target by :func:`encode_settings`;
    :func:`apply_video` runs it, :func:`ffmpeg_command` renders it, so both do the same.
    """

    container: str
    muxer: str  # FFmpeg's muxer name: mp4, mov, matroska, webm
    reencode: bool
    keep_audio: bool  # the source's first audio track goes into the output
    faststart: bool  # MP4/MOV: the index (moov) before the media
    keep_dolby_vision: bool = False  # remux: write the dvcC/dvvC box FFmpeg calls unofficial
    duration_s: Fraction | None = None  # stop here (-t); a whole number of frames
    # re-encode only
    geometry: Geometry | None = None
    rotation: int = 0  # clockwise degrees baked into the pixels
    fps: Fraction | None = None  # constant output rate; None keeps the source's timestamps
    video_filter: str | None = None
    video_encoder: str = "libx264"
    pix_fmt: str = "yuv420p"
    preset: str = PRESET
    crf: int = CRF
    codec_tag: str | None = None  # "hvc1" for HEVC in MP4/MOV
    colour: str | None = None  # "tone-map", "gamut" (to BT.709), "keep" (HDR), None
    maxrate: int | None = None  # VBV ceiling of the video, bit/s
    bufsize: int | None = None
    cap_bps: int | None = None  # the overall cap (bit rate or byte budget) it serves
    audio_encoder: str = "aac"
    audio_bit_rate: int = AUDIO_BIT_RATE
    audio_sample_rate: int = AUDIO_SAMPLE_RATE

    @property
    def video_options(self) -> dict[str, str]:
        """libx264's options, as PyAV's ``add_stream(options=...)`` and ffmpeg take them."""
        options = {"preset": self.preset, "crf": str(self.crf)}
        if self.video_encoder == "libx265":
            options["x265-params"] = "log-level=error"  # x265 prints its settings otherwise
        if self.maxrate is not None and self.bufsize is not None:
            options["maxrate"] = str(self.maxrate)
            options["bufsize"] = str(self.bufsize)
        return options

    @property
    def mux_options(self) -> dict[str, str]:
        options = {"movflags": "+faststart"} if self.faststart else {}
        if self.keep_dolby_vision:
            options["strict"] = "unofficial"
        return options


@dataclass(frozen=True)
class VideoResult:
    """The file :func:`apply_video` wrote, as inspection reads it back, and what changed."""

    path: Path
    container: str | None
    video_codec: str | None
    audio_codec: str | None
    width: int | None
    height: int | None
    fps: Fraction | None
    duration_s: float | None
    size: int
    changes: list[str]
    settings: EncodeSettings


# -- settings (pure) -------------------------------------------------------------------------


def encode_settings(facts: MediaFacts, target: VideoTarget) -> EncodeSettings:
    """How to turn the video ``facts`` describe into ``target``. Pure: no file is read, and
    nothing is refused here (:func:`apply_video` says what it cannot write)."""
    keep_audio = facts.audio_codec is not None and target.audio_codec is not None
    trim = _needs_trim(facts, target)
    container = target.container
    muxer = _MUXERS.get(container, container)
    faststart = container in _FASTSTART
    if not target.reencode:
        return EncodeSettings(
            container=container,
            muxer=muxer,
            reencode=False,
            keep_audio=keep_audio,
            faststart=faststart,
            duration_s=_floor_us(Fraction(trim)) if trim is not None else None,
            keep_dolby_vision=bool(facts.dolby_vision) and container == "mp4",
        )
    display = facts.display_size
    geometry = None
    if display is not None and display[0] and display[1]:
        geometry = plan_geometry(
            *display,
            max_width=target.max_width,
            max_height=target.max_height,
            max_pixels=target.max_pixels,
            min_width=target.min_width,
            min_height=target.min_height,
            min_aspect_ratio=target.min_aspect_ratio,
            max_aspect_ratio=target.max_aspect_ratio,
            mode="pad",
            even=True,
        )
    rotation = _rotation(facts)
    fps = target.fps if target.fps is not None else facts.fps
    duration = None
    if trim is not None:
        # whole frames only, so that the last one ends by the limit, not just starts before
        frames = Fraction(trim) if fps is None else math.floor(Fraction(trim) * fps) / fps
        duration = _floor_us(frames)
    seconds = float(duration) if duration is not None else facts.duration_s
    cap, video_rate, audio_rate = _bit_rates(target, seconds, keep_audio)
    return EncodeSettings(
        container=container,
        muxer=muxer,
        reencode=True,
        keep_audio=keep_audio,
        faststart=faststart,
        duration_s=duration,
        geometry=geometry,
        rotation=rotation,
        fps=fps,
        **_codec_settings(facts, target, container),
        video_filter=video_filter(
            display,
            geometry,
            rotation=rotation,
            fps=fps,
            colour=TO_BT709 if _colour_mode(facts, target) in ("tone-map", "gamut") else None,
            pix_fmt=_pix_fmt(facts, target),
        ),
        maxrate=video_rate,
        bufsize=video_rate * VBV_SECONDS if video_rate is not None else None,
        cap_bps=cap,
        audio_bit_rate=audio_rate,
    )


def video_filter(
    display: tuple[int, int] | None,
    geometry: Geometry | None,
    *,
    rotation: int = 0,
    fps: Fraction | None,
    colour: str | None = None,
    pix_fmt: str = "yuv420p",
) -> str:
    """The filter chain both executors run: ``-vf`` for ffmpeg, a filter graph for PyAV.

    ``display`` is the source's size as shown, after ``rotation`` (clockwise degrees, baked
    in by the first filters); ``geometry`` is where it goes (scaled ``content`` centred on
    a black ``canvas``). ``fps=R:round=up`` gives each output tick the latest source frame
    at or before it: frames repeat when the rate goes up and drop when it goes down.
    ``colour`` (:data:`TO_BT709`) converts colours last, on the output's pixels, just before
    ``pix_fmt`` quantises them.
    """
    parts = list(_ROTATE.get(rotation, ()))
    if geometry is not None and geometry.content != display:
        parts.append(f"scale={geometry.content[0]}:{geometry.content[1]}")
    if geometry is not None and geometry.changed_shape:
        x, y = geometry.offset
        parts.append(f"pad={geometry.canvas[0]}:{geometry.canvas[1]}:{x}:{y}:black")
    parts.append("setsar=1")  # square pixels, as the geometry assumes
    if fps is not None:
        parts.append(f"fps={fps}:round=up")
    if colour is not None:
        parts.append(colour)
    parts.append(f"format={pix_fmt}")
    return ",".join(parts)


# -- colour and HDR (pure) -------------------------------------------------------------------


def is_hdr(facts: MediaFacts) -> bool:
    """PQ (HDR10, most Dolby Vision) or HLG video, or Dolby Vision whatever its base."""
    return facts.color_transfer in _HDR_TRANSFERS or bool(facts.dolby_vision)


def keeps_hdr(facts: MediaFacts, target: VideoTarget) -> bool:
    """Whether re-encoding to ``target`` keeps HDR: an HEVC target and a base layer whose
    transfer is known (Dolby Vision profile 5 has none: only its own players show it)."""
    return target.video_codec == "hevc" and facts.color_transfer in _HDR_TRANSFERS


def _colour_mode(facts: MediaFacts, target: VideoTarget) -> str | None:
    """What a re-encode does with the colours: ``keep`` HDR in 10-bit HEVC, ``tone-map`` HDR
    to SDR BT.709, map a wide ``gamut`` (Display P3, BT.2020 SDR) to BT.709 for 8-bit
    H.264, or nothing (BT.709 already, or nothing known to convert from)."""
    if not target.reencode:
        return None
    if keeps_hdr(facts, target):
        return "keep"
    if facts.color_transfer in _HDR_TRANSFERS:
        return "tone-map"
    if target.video_codec == "h264" and facts.color_transfer == "sdr":
        return "gamut" if facts.color_primaries in _WIDE_PRIMARIES else None
    return None


def _pix_fmt(facts: MediaFacts, target: VideoTarget) -> str:
    """10-bit for HEVC from a source deeper than 8 bits; 8-bit 4:2:0 otherwise."""
    if target.video_codec == "hevc" and (facts.bit_depth or 8) > 8:
        return "yuv420p10le"
    return "yuv420p"


def _codec_settings(facts: MediaFacts, target: VideoTarget, container: str) -> dict[str, Any]:
    """The encoder fields of :class:`EncodeSettings` for ``target.video_codec``."""
    colour = _colour_mode(facts, target)
    if target.video_codec != "hevc":
        return {"colour": colour}
    return {
        "video_encoder": "libx265",
        "pix_fmt": _pix_fmt(facts, target),
        "crf": HEVC_CRF,
        "codec_tag": "hvc1" if container in _FASTSTART else None,
        "colour": colour,
    }


def _rotation(facts: MediaFacts) -> int:
    """The display rotation to bake in (clockwise, 0/90/180/270); other angles are left."""
    angle = (facts.rotation or 0) % 360
    return angle if angle in _ROTATE else 0


def _needs_trim(facts: MediaFacts, target: VideoTarget) -> float | None:
    limit = target.max_duration_s
    if limit is None or (facts.duration_s is not None and facts.duration_s <= limit):
        return None
    return limit


def _floor_us(seconds: Fraction) -> Fraction:
    """Round down to a microsecond: ffmpeg's ``-t`` resolution, never past the limit."""
    return Fraction(math.floor(seconds * 1_000_000), 1_000_000)


def _bit_rates(
    target: VideoTarget, seconds: float | None, keep_audio: bool
) -> tuple[int | None, int | None, int]:
    """(the overall cap, the video's VBV rate or None for plain CRF, the audio rate).

    The cap is the target's bit-rate limit or its byte budget over the output's duration,
    whichever is lower; video + audio get 95 % of it. x264 may spend the initial VBV buffer
    (``VBV_SECONDS`` at the capped rate) on top of the rate, so the rate leaves room for it.
    """
    caps: list[Fraction] = []
    if target.max_bitrate_bps is not None:
        caps.append(Fraction(target.max_bitrate_bps))
    if target.max_bytes is not None and seconds:
        budget = Fraction(target.max_bytes * 8) / Fraction(seconds)
        if budget < BYTES_CAP_CEILING:
            caps.append(budget)
    if not caps:
        return None, None, AUDIO_BIT_RATE
    cap = min(caps)
    total = cap * BUDGET_SHARE
    audio = AUDIO_BIT_RATE if total >= 1_000_000 else LOW_AUDIO_BIT_RATE
    video = total - (audio if keep_audio else 0)
    if seconds:
        video = video * Fraction(seconds) / (Fraction(seconds) + VBV_SECONDS)
    rate = max(MIN_VIDEO_BIT_RATE, math.floor(video / 1000) * 1000)
    return math.floor(cap), rate, audio


# -- the ffmpeg command line -----------------------------------------------------------------


def ffmpeg_command(
    source: PurePath | str, target: VideoTarget, destination: PurePath | str, facts: MediaFacts
) -> list[str]:
    """The ``ffmpeg`` argv that does what :func:`apply_video` does (``shlex.join`` it to
    print). It never overwrites: ffmpeg asks first, as ``destination`` should be new."""
    return render_ffmpeg(encode_settings(facts, target), source, destination)


def render_ffmpeg(
    settings: EncodeSettings, source: PurePath | str, destination: PurePath | str
) -> list[str]:
    """:class:`EncodeSettings` as an ``ffmpeg`` argv."""
    argv = ["ffmpeg"]
    if settings.reencode and settings.rotation:
        # The filter chain rotates; ffmpeg would otherwise rotate once more (autorotate) or
        # carry the rotation tag over to the already upright output.
        argv += ["-display_rotation:v:0", "0"]
    argv += ["-i", os.fspath(source)]
    if not settings.reencode:
        argv += ["-c", "copy"]
    else:
        argv += ["-vf", cast(str, settings.video_filter), "-c:v", settings.video_encoder]
        for name, value in settings.video_options.items():
            argv += [f"-{name}", value]
        argv += ["-pix_fmt", settings.pix_fmt]
        if settings.codec_tag is not None:
            argv += ["-tag:v", settings.codec_tag]
        if settings.keep_audio:
            argv += ["-c:a", settings.audio_encoder, "-b:a", _kbit(settings.audio_bit_rate)]
            argv += ["-ar", str(settings.audio_sample_rate)]
    if not settings.keep_audio:
        argv.append("-an")
    if settings.duration_s is not None:
        argv += ["-t", _seconds(settings.duration_s)]
    if settings.faststart:
        argv += ["-movflags", settings.mux_options["movflags"]]
    if settings.keep_dolby_vision:
        argv += ["-strict", "unofficial"]
    if not os.fspath(destination).lower().endswith(_EXTENSIONS.get(settings.container, ())):
        argv += ["-f", settings.muxer]
    name = os.fspath(destination)
    argv.append(f"./{name}" if name.startswith("-") else name)  # not an option
    return argv


def _kbit(rate: int) -> str:
    return f"{rate // 1000}k" if rate % 1000 == 0 else str(rate)


def _seconds(value: Fraction) -> str:
    """Exact decimal seconds (``value`` is whole microseconds): ``2``, ``59.993326``."""
    micro = math.floor(value * 1_000_000)
    whole, part = divmod(micro, 1_000_000)
    return f"{whole}.{part:06d}".rstrip("0").rstrip(".")


# -- the prediction (pure) -------------------------------------------------------------------


def describe_video_changes(facts: MediaFacts, target: VideoTarget) -> tuple[bool, list[str]]:
    """(unsafe, loses): what writing ``target`` from the video ``facts`` describe costs.

    A remux that keeps everything is safe and loses nothing; a re-encode always loses some
    quality, and more as the picture shrinks, frames are dropped, bars are added, the end is
    cut or the audio dropped; HDR made SDR loses ``HDR`` (see :func:`hdr_losses`).
    """
    loses: list[str] = []
    if target.reencode:
        loses.append("quality")
        display = facts.display_size
        if display is not None and display[0] and display[1]:
            settings = encode_settings(facts, target)
            geometry = cast(Geometry, settings.geometry)
            content = geometry.content[0] * geometry.content[1]
            if content < display[0] * display[1]:
                loses.append("resolution")
            elif content > display[0] * display[1]:
                loses.append("sharpness")  # upscaled: no detail is added
            if geometry.changed_shape:
                loses.append("framing")
        if target.fps is not None and facts.fps is not None and target.fps < facts.fps:
            loses.append("frames")
    loses += hdr_losses(facts, target)
    if _needs_trim(facts, target) is not None:
        loses.append("length")
    if facts.audio_codec is not None and target.audio_codec is None:
        loses.append("audio")
    return bool(loses), loses


def hdr_losses(facts: MediaFacts, target: VideoTarget) -> list[str]:
    """What writing ``target`` loses of an HDR source: ``HDR`` itself when a re-encode makes
    SDR, ``Dolby Vision`` (its dynamic metadata) when 10-bit HEVC keeps the base layer or a
    remux goes into a container FFmpeg writes no Dolby Vision box in."""
    if not target.reencode:
        # FFmpeg writes Dolby Vision's configuration box into MP4 only (not MOV, MKV)
        return ["Dolby Vision"] if facts.dolby_vision and target.container != "mp4" else []
    if not is_hdr(facts):
        return []
    if keeps_hdr(facts, target):
        return ["Dolby Vision"] if facts.dolby_vision else []
    return ["HDR"]


def _colour_changes(facts: MediaFacts, settings: EncodeSettings) -> list[str]:
    tags = "/".join(t for t in (facts.color_transfer, facts.color_primaries) if t) or "untagged"
    if settings.colour == "keep":
        kept = f"kept HDR ({tags}) as {_bits(settings.pix_fmt)} HEVC"
        return [kept, "dropped the Dolby Vision metadata"] if facts.dolby_vision else [kept]
    if settings.colour == "tone-map":
        return [f"tone-mapped HDR ({tags}) to SDR BT.709"]
    if settings.colour == "gamut":
        return [f"converted colours ({tags}) to BT.709"]
    if settings.reencode and is_hdr(facts):
        return ["dropped Dolby Vision (no base layer to convert: colours may be off)"]
    return []


def _bits(pix_fmt: str) -> str:
    return "10-bit" if "10" in pix_fmt else "8-bit"


def _changes(
    facts: MediaFacts, target: VideoTarget, settings: EncodeSettings, had_audio: bool
) -> list[str]:
    """What :func:`apply_video` did, in words."""
    changes: list[str] = []
    source_format = facts.format or "video"
    if not settings.reencode:
        into = "" if source_format == settings.container else f" to {settings.container}"
        changes.append(f"remuxed {source_format}{into} (streams copied)")
    else:
        codec = facts.video_codec or "video"
        out = "hevc" if settings.video_encoder == "libx265" else "h264"
        what = f"re-encoded {out}" if codec == out else f"re-encoded {codec} as {out}"
        if settings.fps is not None:
            what += f" at {_rate(settings.fps)} fps"
            if facts.fps is not None and facts.fps != settings.fps:
                what += f" (was {_rate(facts.fps)})"
        changes.append(what)
        if source_format != settings.container:
            changes.append(f"container {source_format} to {settings.container}")
        changes += _colour_changes(facts, settings)
        if settings.rotation:
            changes.append(f"rotated {settings.rotation}° clockwise (display rotation baked in)")
        geometry, display = settings.geometry, facts.display_size
        if geometry is not None and display is not None and geometry.content != display:
            changes.append(
                f"scaled {display[0]}x{display[1]} to {geometry.content[0]}x{geometry.content[1]}"
            )
        if geometry is not None and geometry.changed_shape:
            changes.append(f"padded to {_shape(facts, target, geometry)}")
        if settings.cap_bps is not None:
            changes.append(f"capped at {_bps(settings.cap_bps)}")
        if had_audio and settings.keep_audio:
            changes.append(
                f"audio re-encoded as aac {_bps(settings.audio_bit_rate)},"
                f" {settings.audio_sample_rate // 1000} kHz"
            )
    if settings.duration_s is not None:
        limit = f"{float(settings.duration_s):g} s"
        changes.append(
            f"trimmed to {limit}" if settings.reencode else f"trimmed to {limit} (whole packets)"
        )
    if had_audio and not settings.keep_audio:
        changes.append("dropped the audio")
    return changes


def _shape(facts: MediaFacts, target: VideoTarget, geometry: Geometry) -> str:
    """The aspect ratio bars were added to reach, as the rules state it (``9:16``)."""
    ratio = facts.aspect_ratio
    bound = None
    if (
        ratio is not None
        and target.min_aspect_ratio is not None
        and ratio < target.min_aspect_ratio
    ):
        bound = target.min_aspect_ratio
    elif (
        ratio is not None
        and target.max_aspect_ratio is not None
        and ratio > target.max_aspect_ratio
    ):
        bound = target.max_aspect_ratio
    if bound is None or bound.denominator > 100:
        return f"{geometry.canvas[0]}x{geometry.canvas[1]}"
    return f"{bound.numerator}:{bound.denominator} ({geometry.canvas[0]}x{geometry.canvas[1]})"


def _bps(rate: int) -> str:
    if rate >= 1_000_000:
        return f"{rate / 1_000_000:.3g} Mbps"
    return f"{rate / 1000:.3g} kbps"


# -- the PyAV executor -----------------------------------------------------------------------


def _require_av() -> None:
    try:
        import av  # noqa: F401
    except ImportError as exc:
        raise VideoSupportMissing() from exc


def apply_video(source: Path, target: VideoTarget, destination: Path) -> VideoResult:
    """Write ``source`` as ``target`` to the new file ``destination``; ``source`` is only read.

    Raises :class:`VideoSupportMissing` without PyAV, :class:`FileExistsError` when
    ``destination`` exists, ``ValueError`` for a source or target it cannot handle (or FFmpeg
    refusing the data), ``OSError`` for file system errors.
    """
    _require_av()
    destination = Path(destination)
    with OutputFolder.open(destination.parent, create=False) as folder:
        return write_video(Path(source), target, folder, destination.name)


def write_video(
    source: Path, target: VideoTarget, folder: OutputFolder, name: str, *, next_free: bool = False
) -> VideoResult:
    """:func:`apply_video` into an open folder; with ``next_free`` a taken ``name`` becomes
    ``name-2``... (the result's path is the name actually written).

    The encoder writes a temporary file created in ``folder`` (through ``/proc`` on Linux, so
    it reaches that very file whatever its name becomes), which is read back and published
    without replacing anything; on any failure it is removed.
    """
    _require_av()
    try:
        facts = inspect(source)
    except UnreadableMediaError as exc:
        raise ValueError(str(exc)) from exc
    if facts.kind != "video":
        raise ValueError(f"{source}: not a video")
    settings = encode_settings(facts, target)
    _check_writable(target, settings)
    if not next_free and folder.taken(name):
        raise FileExistsError(errno.EEXIST, "the destination exists", str(folder.shown(name)))
    with folder.temporary(name) as temporary:
        attempt = target
        for tries_left in range(BUDGET_ATTEMPTS - 1, -1, -1):
            temporary.rewind()
            had_audio = _encode(source, temporary, settings)
            written = _read_back(temporary)
            size = written.size or os.fstat(temporary.file.fileno()).st_size
            budget = target.max_bytes
            if budget is None or not settings.reencode or size <= budget or not tries_left:
                break
            # Over the byte budget (container and encoder headers are not in the bit rate):
            # aim lower by the miss, and encode again.
            attempt = attempt.model_copy(
                update={
                    "max_bytes": max(1, int((attempt.max_bytes or budget) * budget / size * 0.9))
                }
            )
            settings = encode_settings(facts, attempt)
        published = temporary.publish(name, next_free=next_free)
    return VideoResult(
        path=folder.shown(published),
        container=written.format,
        video_codec=written.video_codec,
        audio_codec=written.audio_codec,
        width=written.width,
        height=written.height,
        fps=written.fps,
        duration_s=written.duration_s,
        size=size,
        changes=_changes(facts, target, settings, had_audio),
        settings=settings,
    )


BUDGET_ATTEMPTS = 3
"""Encodes tried to land under a byte budget before the result is kept as it is."""


def _encode(source: Path, temporary: TemporaryFile, settings: EncodeSettings) -> bool:
    """One pass from ``source`` into ``temporary`` (emptied first); True when it had audio.

    FFmpeg's faststart reopens its output by name to move the index, so on Linux it gets the
    ``/proc`` path of the open file; elsewhere it writes through the file object, without
    faststart, rather than open a name in the folder.
    """
    import av

    reopen = temporary.reopen_path
    options = dict(settings.mux_options)
    if reopen is None:
        options.pop("movflags", None)  # faststart reopens the output by name
    try:
        with av.open(str(source)) as src:
            had_audio = bool(src.streams.audio)
            with av.open(
                reopen if reopen is not None else temporary.file,
                "w",
                format=settings.muxer,
                container_options=options,
            ) as out:
                if settings.reencode:
                    _transcode(src, out, settings)
                else:
                    _remux(src, out, settings)
    except av.FFmpegError as exc:
        if isinstance(exc, OSError | ValueError):
            raise
        raise ValueError(f"FFmpeg could not write the video: {exc}") from exc
    return had_audio


def _read_back(temporary: TemporaryFile) -> MediaFacts:
    """The new file as inspection reads it (through ``/proc`` when there is one)."""
    temporary.file.flush()
    path = temporary.reopen_path
    if path is None:
        if not temporary.intact():
            raise OSError("the temporary file was removed or replaced during the write")
        path = os.fspath(temporary.folder.shown(temporary.name))
    try:
        return inspect(path)
    except UnreadableMediaError as exc:
        raise ValueError(f"the new file cannot be read back: {exc}") from exc


def _check_writable(target: VideoTarget, settings: EncodeSettings) -> None:
    if settings.container not in _MUXERS:
        raise ValueError(f"cannot write a {settings.container!r} video (mp4, mov, mkv, webm)")
    if not settings.reencode:
        return
    if target.video_codec not in ("h264", "hevc") or target.audio_codec not in (None, "aac"):
        raise ValueError(
            f"re-encodes are H.264 or HEVC + AAC, not {target.video_codec} + {target.audio_codec}"
        )
    if settings.video_encoder == "libx265" and not _has_encoder("libx265"):
        raise ValueError("this PyAV has no libx265 to write HEVC with")
    if settings.container == "webm":
        raise ValueError("WebM cannot hold H.264: re-encode into mp4, mov or mkv")
    if settings.geometry is None:
        raise ValueError("the source's frame size is unknown")


def _has_encoder(name: str) -> bool:
    import av

    try:
        av.codec.Codec(name, "w")
    except Exception:  # UnknownCodecError, or a build without it
        return False
    return True


def _origin(streams: list[Stream]) -> Fraction:
    """The earliest start time of ``streams`` in seconds: the output starts there, at 0."""
    starts = [
        s.start_time * s.time_base
        for s in streams
        if s.start_time is not None and s.time_base is not None
    ]
    return min(starts, default=Fraction(0))


def _remux(src: InputContainer, out: OutputContainer, settings: EncodeSettings) -> None:
    """Copy packets; a trim stops each stream at its first packet (in decode order) that
    would end past the limit, so what is kept decodes and ends by it."""
    streams: list[Stream] = [src.streams.video[0]]
    if settings.keep_audio and src.streams.audio:
        streams.append(src.streams.audio[0])
    outputs = {s.index: out.add_stream_from_template(s) for s in streams}
    origin = _origin(streams)
    limit = settings.duration_s
    finished: set[int] = set()
    for packet in src.demux(streams):
        index = packet.stream.index
        if packet.dts is None or index in finished:
            continue  # a demuxer flush packet, or a stream already cut
        time_base = packet.time_base
        shift = round(origin / time_base)
        start = packet.pts if packet.pts is not None else packet.dts
        if limit is not None and (start - shift + (packet.duration or 0)) * time_base > limit:
            finished.add(index)
            continue
        packet.dts -= shift
        if packet.pts is not None:
            packet.pts -= shift
        packet.stream = outputs[index]
        out.mux(packet)


def _transcode(src: InputContainer, out: OutputContainer, settings: EncodeSettings) -> None:
    video_in = src.streams.video[0]
    video_in.thread_type = "AUTO"
    audio_in = src.streams.audio[0] if settings.keep_audio and src.streams.audio else None
    streams: list[Stream] = [video_in] + ([audio_in] if audio_in is not None else [])
    origin = _origin(streams)
    rate = settings.fps or video_in.average_rate or video_in.guessed_rate or Fraction(30)
    geometry = cast(Geometry, settings.geometry)
    video_out = cast(
        "VideoStream",
        out.add_stream(settings.video_encoder, rate=rate, options=settings.video_options),
    )
    video_out.width, video_out.height = geometry.canvas
    video_out.pix_fmt = settings.pix_fmt
    # Threads as the ffmpeg command line sets them (``-threads auto``, frame and slice
    # threading), so both ways encode alike. PyAV's default (slice threads only) has x264 cut
    # every picture into slices, for a low latency that a file does not need, and writes
    # bigger files (1 % on a textured pan, 13 % on still frames, at CRF 20).
    video_out.thread_count = 0
    video_out.thread_type = "AUTO"
    if settings.codec_tag is not None:
        video_out.codec_context.codec_tag = settings.codec_tag
    video_out.time_base = 1 / rate if settings.fps is not None else video_in.time_base
    audio_out: AudioStream | None = None
    if audio_in is not None:
        channels = audio_in.codec_context.layout.nb_channels
        audio_out = cast(
            "AudioStream", out.add_stream(settings.audio_encoder, rate=settings.audio_sample_rate)
        )
        audio_out.layout = "mono" if channels == 1 else "stereo"
        audio_out.bit_rate = settings.audio_bit_rate
    pictures = _Pictures(video_out, out, settings, origin)
    sound = None
    if audio_out is not None:
        sound = _Sound(audio_out, out, settings, origin, ready=pictures.tagged)
    for packet in src.demux(streams):
        if packet.stream.type == "video":
            for frame in cast("list[VideoFrame]", packet.decode()):
                pictures.add(frame, cast(Fraction, video_in.time_base))
        elif sound is not None:
            for sample in cast("list[AudioFrame]", packet.decode()):
                sound.add(sample)
    pictures.close()
    if sound is not None:
        sound.close()


class _Pictures:
    """Decoded frames -> the shared filter chain -> libx264 -> the muxer."""

    def __init__(
        self,
        stream: VideoStream,
        out: OutputContainer,
        settings: EncodeSettings,
        origin: Fraction,
    ) -> None:
        self._stream = stream
        self._out = out
        self._settings = settings
        self._origin = origin
        self._graph: Graph | None = None
        self._done = False
        self._tagged = False

    def tagged(self) -> bool:
        """Whether the video encoder has its colour tags: the container may start."""
        return self._tagged

    def add(self, frame: VideoFrame, time_base: Fraction) -> None:
        if frame.pts is None or self._done:
            return
        if self._graph is None:
            self._graph = self._build(frame, time_base)
        frame.pts -= round(self._origin / time_base)
        frame.time_base = time_base
        self._graph.vpush(frame)
        self._drain()

    def close(self) -> None:
        if self._graph is not None:
            self._graph.vpush(None)
            self._drain()
        self._out.mux(self._stream.encode(None))

    def _build(self, frame: VideoFrame, time_base: Fraction) -> Graph:
        import av.filter

        graph = av.filter.Graph()
        source = graph.add(
            "buffer",
            video_size=f"{frame.width}x{frame.height}",
            pix_fmt=str(int(frame.format)),  # type: ignore[call-overload]
            time_base=str(time_base),
            pixel_aspect="1/1",
            colorspace=str(int(frame.colorspace)),
            range=str(int(frame.color_range)),
        )
        chain = [source]
        for step in cast(str, self._settings.video_filter).split(","):
            name, _, args = step.partition("=")
            chain.append(graph.add(name, args or None))
        chain.append(graph.add("buffersink"))
        graph.link_nodes(*chain)
        graph.configure()
        return graph

    def _drain(self) -> None:
        import av

        graph = cast("Graph", self._graph)
        limit = self._settings.duration_s
        while True:
            try:
                frame = graph.vpull()
            except (av.BlockingIOError, av.EOFError):
                return
            if self._done or frame.pts is None:
                continue
            if limit is not None and frame.pts * cast(Fraction, frame.time_base) >= limit:
                self._done = True  # like ffmpeg -t: nothing that starts at the limit or later
                continue
            frame.pict_type = 0  # NONE: let x264 place keyframes, not the source's
            if not self._tagged:
                self._tag(frame)
            self._out.mux(self._stream.encode(frame))

    def _tag(self, frame: VideoFrame) -> None:
        """Tag the encoder with the colours the chain hands it (the source's, or BT.709 once
        converted), before it opens: as ffmpeg does, so players need not guess."""
        context = self._stream.codec_context
        context.color_primaries = frame.color_primaries
        context.color_trc = frame.color_trc
        context.colorspace = frame.colorspace
        context.color_range = frame.color_range
        if self._settings.colour == "keep" and self._settings.video_encoder == "libx265":
            static = hdr10_params(frame)
            if static:
                options: dict[str, object] = dict(self._stream.options)
                before = str(options.get("x265-params") or "")
                options["x265-params"] = f"{before}:{static}" if before else static
                self._stream.options = options
        self._tagged = True


def hdr10_params(frame: VideoFrame) -> str:
    """HDR10's static metadata on a decoded frame (the mastering display, MaxCLL/MaxFALL) as
    x265 parameters, so that kept HDR keeps them; ``""`` when the frame has none. (FFmpeg's
    own command line passes them to libx265 as stream side data; PyAV cannot.)"""
    params = []
    mastering = _side_data(frame, "MASTERING_DISPLAY_METADATA")
    if len(mastering) >= 88:  # AVMasteringDisplayMetadata: 10 rationals, 2 flags
        fields = struct.unpack("<22i", mastering[:88])
        if fields[20] and fields[21]:  # has_primaries, has_luminance
            rx, ry, gx, gy, bx, by, wx, wy, low, high = (
                Fraction(n, d) if d else Fraction(0)
                for n, d in zip(fields[0:20:2], fields[1:20:2], strict=True)
            )
            xy = [round(v * 50_000) for v in (gx, gy, bx, by, rx, ry, wx, wy)]  # 0.00002 units
            params.append(
                "master-display=G({},{})B({},{})R({},{})WP({},{})".format(*xy)
                + f"L({round(high * 10_000)},{round(low * 10_000)})"  # 0.0001 cd/m²
            )
    light = _side_data(frame, "CONTENT_LIGHT_LEVEL")
    if len(light) >= 8:
        max_cll, max_fall = struct.unpack("<2I", light[:8])
        params.append(f"max-cll={max_cll},{max_fall}")
    if params:
        params.append("hdr10=1")
    return ":".join(params)


def _side_data(frame: VideoFrame, name: str) -> bytes:
    """The bytes of the frame's side data of type ``name`` (PyAV's ``Type`` member), or b""."""
    entries: list[Any] = [*frame.side_data]  # PyAV iterates the entries, not keys
    for data in entries:
        if getattr(data.type, "name", None) == name:
            return bytes(cast(Any, data))
    return b""


class _Sound:
    """Decoded audio -> cut at the limit -> AAC (PyAV resamples to the encoder's format)."""

    def __init__(
        self,
        stream: AudioStream,
        out: OutputContainer,
        settings: EncodeSettings,
        origin: Fraction,
        *,
        ready: Callable[[], bool],
    ) -> None:
        """``ready`` says when packets may go to the muxer: its first packet writes the
        header, and with it the video encoder's colour tags (see ``_Pictures._tag``)."""
        self._stream = stream
        self._out = out
        self._limit = settings.duration_s
        self._origin = origin
        self._done = False
        self._ready = ready
        self._held: list[Packet[Any]] = []

    def add(self, frame: AudioFrame) -> None:
        if self._done or frame.pts is None or frame.time_base is None:
            return
        time_base = frame.time_base
        frame.pts -= round(self._origin / time_base)
        if self._limit is not None:
            start = frame.pts * time_base
            keep = math.floor((self._limit - start) * frame.sample_rate)
            if keep <= 0:
                self._done = True
                return
            if keep < frame.samples:
                frame = self._head(frame, keep)
                self._done = True
        self._mux(self._stream.encode(frame))

    def _mux(self, packets: list[Packet[Any]]) -> None:
        if not self._ready():
            self._held += packets  # a few frames' worth: until the first picture is encoded
            return
        if self._held:
            self._out.mux(self._held)
            self._held = []
        self._out.mux(packets)

    def _head(self, frame: AudioFrame, samples: int) -> AudioFrame:
        import av

        pts, time_base = frame.pts, frame.time_base
        frame.pts = None  # the FIFO checks timestamps against its own count otherwise
        fifo = av.AudioFifo()
        fifo.write(frame)
        head = cast("AudioFrame", fifo.read(samples))
        head.pts, head.time_base = pts, time_base
        return head

    def close(self) -> None:
        self._out.mux([*self._held, *self._stream.encode(None)])
        self._held = []
