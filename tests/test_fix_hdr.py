"""HDR in video fixes: tone-mapped to SDR with ``HDR`` in the losses, or kept as 10-bit HEVC.

Clips are made at test time: patches of known BT.2100 signal (HLG or PQ, BT.2020 primaries)
written as 10-bit RGB, turned into BT.2020 Y'CbCr and encoded by libx265 with the tags set.
The fixed output is decoded again and its patches compared with the rendering the fix used
to give (the same pixels with the tags dropped, as a player reads untagged video: BT.709).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import pytest

import mediarules
from mediarules.fixes.api import plan_fixes
from mediarules.fixes.targets import VideoTarget
from mediarules.fixes.video import (
    apply_video,
    describe_video_changes,
    ffmpeg_command,
    hdr_losses,
)
from mediarules.inspection import inspect
from mediarules.models import MediaFacts
from mediarules.ruleset import as_ruleset
from tests.media import _audio_stream, _scheduling_kept, _write_silence, has_encoder
from tests.test_isobmff_colour import DOLBY_VISION_8_4, _with_entry_box, make_tagged

pytestmark = pytest.mark.skipif(not has_encoder("libx265"), reason="this PyAV has no libx265")

HLG, PQ, BT2020 = 18, 16, 9
SIDE = 32

_BT709_TO_BT2020 = (
    (0.6274, 0.3293, 0.0433),
    (0.0691, 0.9195, 0.0114),
    (0.0164, 0.0880, 0.8956),
)  # ITU-R BT.2087


def hlg_signal(scene: float) -> float:
    """BT.2100 HLG OETF: relative scene light (0..1) -> signal."""
    a = 0.17883277
    b, c = 1 - 4 * a, 0.5 - a * math.log(4 * a)
    return math.sqrt(3 * scene) if scene <= 1 / 12 else a * math.log(12 * scene - b) + c


def pq_signal(nits: float) -> float:
    """SMPTE ST 2084 inverse EOTF: display light in cd/m² -> signal."""
    m1, m2 = 2610 / 16384, 2523 / 4096 * 128
    c1, c2, c3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
    y = (nits / 10000) ** m1
    return float(((c1 + c2 * y) / (1 + c3 * y)) ** m2)


def in_bt2020(rgb: tuple[float, float, float]) -> tuple[float, ...]:
    """Linear BT.709 RGB as linear BT.2020 RGB."""
    return tuple(sum(row[k] * rgb[k] for k in range(3)) for row in _BT709_TO_BT2020)


def hdr_clip(
    path: Path,
    transfer: int,
    patches: Sequence[tuple[float, ...]],
    *,
    frames: int = 6,
    fps: int = 30,
    x265: str = "",
    audio: bool = False,
) -> Path:
    """``patches`` (R'G'B' signal, 0..1) side by side, 10-bit BT.2020 HEVC tagged ``transfer``
    (``x265``: more x265 parameters, such as HDR10's mastering display; ``audio``: silent
    AAC, whose packets come first)."""
    width = SIDE * len(patches)
    planes = {"r": b"", "g": b"", "b": b""}
    for patch in patches:
        for name, value in zip("rgb", patch, strict=True):
            planes[name] += struct.pack("<H", round(value * 1023)) * SIDE
    with _scheduling_kept(), av.open(str(path), "w") as output:
        options = {"x265-params": ":".join(p for p in ("log-level=error", x265) if p)}
        stream = output.add_stream("libx265", rate=fps, options=options)
        stream.width, stream.height, stream.pix_fmt = width, SIDE, "yuv420p10le"
        context: Any = stream.codec_context
        context.color_trc, context.color_primaries, context.colorspace = transfer, BT2020, BT2020
        sound = _audio_stream(output, "aac") if audio else None
        if sound is not None:
            _write_silence(output, sound, seconds=frames / fps)
        for index in range(frames):
            rgb: Any = av.VideoFrame(width, SIDE, "gbrp10le")
            for plane, name in zip(rgb.planes, "gbr", strict=True):
                assert plane.line_size == width * 2
                plane.update(planes[name] * SIDE)
            frame: Any = rgb.reformat(
                format="yuv420p10le", dst_colorspace=BT2020, dst_color_range=1
            )
            frame.color_trc, frame.color_primaries, frame.colorspace = transfer, BT2020, BT2020
            frame.color_range = 1
            frame.pts, frame.time_base = index, Fraction(1, fps)
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    return path


def patch_colours(path: Path, count: int, *, as_bt709: bool = False) -> list[tuple[int, ...]]:
    """The centre of each patch of the first frame as 8-bit RGB; ``as_bt709`` reads the
    pixels as a player reads untagged video (what the fix made before it converted)."""
    with av.open(str(path)) as container:
        frame: Any = next(container.decode(video=0))
        if as_bt709:
            frame = frame.reformat(format="rgb24", src_colorspace=1, src_color_range=1)
        image = frame.to_image()
    colours = []
    for index in range(count):
        value = image.getpixel((index * SIDE + SIDE // 2, SIDE // 2))
        assert isinstance(value, tuple)
        colours.append(value)
    return colours


def tone_mapped(
    source: Path, tmp_path: Path, max_width: int | None = None
) -> tuple[Path, list[str]]:
    tmp_path.mkdir(exist_ok=True)
    target = VideoTarget(container="mp4", video_codec="h264", max_width=max_width)
    result = apply_video(source, target, tmp_path / "sdr.mp4")
    return result.path, result.changes


def assert_sdr_bt709(path: Path) -> None:
    facts = inspect(path)
    assert (facts.video_codec, facts.bit_depth) == ("h264", 8)
    assert (facts.color_transfer, facts.color_primaries) == ("sdr", "bt709")


GREYS_HLG = [0.25, 0.5, 0.75, 0.9, 1.0]
RED = in_bt2020((0.25, 0.02, 0.02))  # a saturated BT.709 red, in BT.2020 scene light


def test_hlg_to_h264_is_tone_mapped_not_just_untagged(tmp_path: Path) -> None:
    patches = [(g, g, g) for g in GREYS_HLG] + [tuple(hlg_signal(v) for v in RED)]
    source = hdr_clip(tmp_path / "hlg.mp4", HLG, patches)
    facts = inspect(source)
    assert (facts.color_transfer, facts.color_primaries, facts.bit_depth) == ("hlg", "bt2020", 10)
    output, changes = tone_mapped(source, tmp_path)
    assert_sdr_bt709(output)
    assert "tone-mapped HDR (hlg/bt2020) to SDR BT.709" in changes

    got = patch_colours(output, len(patches))
    before = patch_colours(source, len(patches), as_bt709=True)  # tags dropped, as it was
    greys = [c[1] for c in got[: len(GREYS_HLG)]]
    assert greys == sorted(greys) and len(set(greys)) == len(greys)
    assert 150 <= greys[2] <= 200  # HLG reference white (75 %): below SDR white, not clipped
    assert greys[4] - greys[3] >= 10  # the top of the range keeps its steps
    # BT.2020 values read as BT.709 look washed out; converted, the red is red again
    red, red_before = got[-1], before[-1]
    assert red[1] / red[0] < red_before[1] / red_before[0] - 0.05, (red, red_before)


MASTERING = (
    "hdr10=1:master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)"
    "L(10000000,1):max-cll=1000,400"
)  # a P3-D65 display of 1,000 nits, content at most 1,000 nits (frame average 400)


def static_metadata(path: Path) -> dict[str, bytes]:
    with av.open(str(path)) as container:
        frame: Any = next(container.decode(video=0))
        entries: list[Any] = [*frame.side_data]
    wanted = ("MASTERING_DISPLAY_METADATA", "CONTENT_LIGHT_LEVEL")
    return {e.type.name: bytes(e) for e in entries if e.type.name in wanted}


NITS = [1, 10, 100, 203, 1000, 4000]


@pytest.fixture(scope="module")
def pq_clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A PQ ramp with and without HDR10 metadata, and each tone-mapped (swscale builds its
    tone-mapping table on the first frame: about 6 s here, once per encode)."""
    folder = tmp_path_factory.mktemp("pq")
    patches = [(pq_signal(n),) * 3 for n in NITS]
    clips = {
        "plain": hdr_clip(folder / "plain.mp4", PQ, patches),
        "graded": hdr_clip(folder / "graded.mp4", PQ, patches, x265=MASTERING),
    }
    for name in ("plain", "graded"):
        clips[f"{name}-sdr"] = tone_mapped(clips[name], folder / name)[0]
    return clips


def test_pq_highlights_are_compressed_not_clipped(pq_clips: dict[str, Path]) -> None:
    """Without metadata swscale assumes a 10,000 nit peak: every step stays apart."""
    assert_sdr_bt709(pq_clips["plain-sdr"])
    greys = [c[1] for c in patch_colours(pq_clips["plain-sdr"], len(NITS))]
    assert greys == sorted(greys) and len(set(greys)) == len(greys), greys
    assert greys[-1] - greys[-2] >= 10, greys  # 1,000 and 4,000 nits stay apart
    assert greys[3] < 235, greys  # 203 nits is not pushed to white


def test_hdr10_metadata_guides_the_tone_map_and_is_kept_in_hevc(
    pq_clips: dict[str, Path], tmp_path: Path
) -> None:
    """With a 1,000 nit mastering display the tone map puts that peak at white; kept HDR
    keeps the mastering display and MaxCLL."""
    graded = pq_clips["graded"]
    assert set(static_metadata(graded)) == {"MASTERING_DISPLAY_METADATA", "CONTENT_LIGHT_LEVEL"}
    without = [c[1] for c in patch_colours(pq_clips["plain-sdr"], len(NITS))]
    with_peak = [c[1] for c in patch_colours(pq_clips["graded-sdr"], len(NITS))]
    assert with_peak[4] >= 250 > without[4], (with_peak, without)
    assert with_peak[3] > without[3]  # reference white brighter once the peak is known
    kept = apply_video(graded, VideoTarget(container="mp4", video_codec="hevc"), tmp_path / "k.mp4")
    assert static_metadata(kept.path) == static_metadata(graded)


def test_hevc_target_keeps_10_bit_hdr_and_its_tags(tmp_path: Path) -> None:
    patches = [(g, g, g) for g in GREYS_HLG] + [tuple(hlg_signal(v) for v in RED)]
    source = hdr_clip(tmp_path / "hlg.mov", HLG, patches)
    facts = inspect(source)
    target = VideoTarget(container="mp4", video_codec="hevc", max_width=SIDE * 3)
    assert describe_video_changes(facts, target) == (True, ["quality", "resolution"])
    result = apply_video(source, target, tmp_path / "kept.mp4")
    out = inspect(result.path)
    assert (out.video_codec, out.bit_depth) == ("hevc", 10)
    assert (out.color_transfer, out.color_primaries) == ("hlg", "bt2020")
    assert "kept HDR (hlg/bt2020) as 10-bit HEVC" in result.changes
    with av.open(str(result.path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_tag == "hvc1"  # what Apple's players want
        assert int(stream.codec_context.colorspace) == BT2020
    argv = ffmpeg_command(source, target, "kept.mp4", facts)
    assert argv[argv.index("-c:v") + 1] == "libx265" and "yuv420p10le" in argv
    assert argv[argv.index("-tag:v") + 1] == "hvc1"


def test_a_remux_keeps_the_colour_boxes_and_dolby_vision(tmp_path: Path) -> None:
    source = make_tagged(tmp_path / "hlg.mov", "libx265", "yuv420p10le", transfer=HLG,
                         primaries=BT2020, matrix=BT2020)  # fmt: skip
    data = bytearray(source.read_bytes())
    _with_entry_box(data, DOLBY_VISION_8_4)
    dolby = tmp_path / "dolby.mov"
    dolby.write_bytes(data)
    for path in (source, dolby):
        facts = inspect(path)
        target = VideoTarget(container="mp4", reencode=False, video_codec="hevc", audio_codec=None)
        assert describe_video_changes(facts, target) == (False, [])
        written = apply_video(path, target, tmp_path / f"{path.stem}.mp4").path
        out = inspect(written)
        assert (out.color_transfer, out.color_primaries, out.bit_depth) == ("hlg", "bt2020", 10)
        assert out.dolby_vision is facts.dolby_vision
        box = written.read_bytes()
        assert box[box.index(b"colr") + 4 : box.index(b"colr") + 8] == b"nclx"
    # FFmpeg's MOV muxer writes no Dolby Vision box: a remux into MOV says so
    into_mov = VideoTarget(container="mov", reencode=False, video_codec="hevc", audio_codec=None)
    assert describe_video_changes(inspect(dolby), into_mov) == (True, ["Dolby Vision"])


def test_dolby_vision_kept_as_hevc_loses_only_its_metadata(tmp_path: Path) -> None:
    source = make_tagged(tmp_path / "hlg.mov", "libx265", "yuv420p10le", transfer=HLG,
                         primaries=BT2020, matrix=BT2020)  # fmt: skip
    data = bytearray(source.read_bytes())
    _with_entry_box(data, DOLBY_VISION_8_4)
    dolby = tmp_path / "dolby.mov"
    dolby.write_bytes(data)
    facts = inspect(dolby)
    assert facts.dolby_vision
    hevc = VideoTarget(container="mp4", video_codec="hevc", fps=Fraction(24))
    assert hdr_losses(facts, hevc) == ["Dolby Vision"]
    result = apply_video(dolby, hevc, tmp_path / "kept.mp4")
    assert "dropped the Dolby Vision metadata" in result.changes
    assert not inspect(result.path).dolby_vision
    assert hdr_losses(facts, hevc.model_copy(update={"video_codec": "h264"})) == ["HDR"]


# -- what check offers and what the plan does ------------------------------------------------

HDR_FACTS = MediaFacts(
    path="iphone.mov", kind="video", format="mov", size=40_000_000, width=1920, height=1080,
    fps=Fraction(240), duration_s=10.0, video_codec="hevc", audio_codec="aac", bit_depth=10,
    color_transfer="hlg", color_primaries="bt2020", dolby_vision=False,
)  # fmt: skip
"""A slow-motion iPhone clip: 240 fps breaks the frame-rate limit of every platform."""

KEEPS = {"instagram", "threads", "tiktok", "facebook", "youtube"}
"""HEVC listed, or any codec and documented HDR uploads (YouTube)."""


@pytest.fixture
def fps_everywhere(tmp_path: Path) -> Path:
    """The table, with a 60 fps limit on the platforms that set none (LinkedIn, YouTube...)."""
    rules = tmp_path / "rules.toml"
    lines = []
    for key, platform in as_ruleset(None).platforms.items():
        if ":" not in key and platform.video.max_fps is None:
            lines += [f"[platforms.{key}.video]", "max_fps = 60", 'sources.max_fps = "test"']
    rules.write_text("\n".join(lines) + "\n")
    return rules


@pytest.mark.parametrize("platform", ["x", "linkedin", "instagram", "threads", "tiktok",
                                      "facebook", "youtube", "bluesky", "mastodon"])  # fmt: skip
def test_check_and_plan_agree_on_hdr(fps_everywhere: Path, platform: str) -> None:
    report = mediarules.check([HDR_FACTS], platforms=platform, rules=fps_everywhere)
    (found,) = [v for v in report.violations if v.code == "video.fps_too_high"]
    assert found.fix is not None
    plan = plan_fixes([HDR_FACTS], platforms=platform, rules=fps_everywhere)
    (output,) = plan.outputs
    assert output.video is not None
    keeps = platform in KEEPS
    assert ("HDR" in found.fix.loses) is not keeps
    assert ("HDR" in output.loses) is not keeps
    assert output.video.video_codec == ("hevc" if keeps else "h264")
    assert found.fix.steps[0].params["video_codec"] == output.video.video_codec
    assert set(output.loses) <= set(found.fix.loses) | {"resolution", "framing", "length"}


def test_a_clip_for_x_and_instagram_is_fixed_as_planned(tmp_path: Path) -> None:
    """End to end: X (H.264 only) gets SDR and the plan says HDR is lost; Instagram alone
    keeps 10-bit HEVC HLG."""
    patches = [(g, g, g) for g in GREYS_HLG]
    source = hdr_clip(tmp_path / "slowmo.mov", HLG, patches, frames=12, fps=120, audio=True)
    for platforms, codec, transfer in ((["x"], "h264", "sdr"), (["instagram"], "hevc", "hlg")):
        plan = plan_fixes([source], platforms=platforms)
        (output,) = plan.outputs
        assert ("HDR" in output.loses) is (codec == "h264")
        result = mediarules.apply_fixes(plan, tmp_path / platforms[0], unsafe=True)
        (written,) = result.written
        facts = inspect(written.path)
        # tagged although audio reached the muxer first (its header carries the tags)
        assert (facts.video_codec, facts.color_transfer) == (codec, transfer)
        assert facts.audio_codec == "aac"
        rechecked = [v.code for post in result.posts if post.report for v in post.report.violations]
        assert "video.fps_too_high" not in rechecked


ANDROIDX = Path(__file__).resolve().parents[1].parent / "shared" / "realmedia" / "androidx-media"


@pytest.mark.parametrize(
    ("name", "transfer"),
    [("mp4/dolbyVision-hdr.MOV", "hlg"), ("mp4/sample_with_colr_mdcv_and_clli.mp4", "pq")],
)
def test_phone_and_encoder_hdr_samples(tmp_path: Path, name: str, transfer: str) -> None:
    """androidx/media's iPhone Dolby Vision MOV (HLG base, audio, rotation) and an AV1 HDR10
    file with mastering metadata: tone-mapped outputs are tagged SDR BT.709, kept ones keep
    their transfer, primaries and HDR10 metadata."""
    source = ANDROIDX / name
    if not source.exists():
        pytest.skip("../shared/realmedia is not here")
    facts = inspect(source)
    assert facts.color_transfer == transfer
    sdr, _ = tone_mapped(source, tmp_path / "sdr", max_width=320)  # small: quicker
    assert_sdr_bt709(sdr)
    hevc = VideoTarget(container="mp4", video_codec="hevc", max_width=320)
    kept = apply_video(source, hevc, tmp_path / "k.mp4")
    out = inspect(kept.path)
    assert (out.video_codec, out.bit_depth) == ("hevc", 10)
    assert (out.color_transfer, out.color_primaries) == (transfer, "bt2020")
    assert static_metadata(kept.path) == static_metadata(source)
    assert ("dropped the Dolby Vision metadata" in kept.changes) is bool(facts.dolby_vision)
