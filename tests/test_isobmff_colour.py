"""Colour facts of MP4/MOV video: bit depth, transfer, primaries, Dolby Vision.

Clips are encoded at test time with the colour tags set on the stream (FFmpeg writes them as
a ``colr`` box: ``nclx`` in MP4, ``nclc`` in MOV); ``colr`` boxes are then patched to every
code point. The header reader must agree with MediaInfo (the fallback path) and with PyAV
(FFmpeg's reading of the same tags and of the decoder's pixel format).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any, cast

import av
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import mediarules
from mediarules.inspection import colour, inspect
from tests.media import _scheduling_kept, has_encoder
from tests.test_isobmff import agree, box, find_box, header_facts, pyav_bit_depth, replace_box

PQ, HLG, BT709, BT2020 = 16, 18, 1, 9


def make_tagged(
    path: Path,
    codec: str,
    pix_fmt: str,
    *,
    transfer: int | None = None,
    primaries: int | None = None,
    matrix: int | None = None,
) -> Path:
    """Ten frames of ``codec`` in ``pix_fmt``, tagged with H.273 code points (or untagged)."""
    options = {"x265-params": "log-level=error"} if codec == "libx265" else {}
    with _scheduling_kept(), av.open(str(path), "w") as output:
        stream = cast(av.VideoStream, output.add_stream(codec, rate=30, options=options))
        stream.width, stream.height, stream.pix_fmt = 64, 48, pix_fmt
        context: Any = stream.codec_context
        for name, value in (("color_trc", transfer), ("color_primaries", primaries)):
            if value is not None:
                setattr(context, name, value)
        if matrix is not None:
            context.colorspace = matrix
        for index in range(10):
            picture = Image.new("RGB", (64, 48), ((index * 37) % 256, 120, 200))
            frame: Any = av.VideoFrame.from_image(picture).reformat(format=pix_fmt)  # type: ignore[no-untyped-call]
            frame.pts, frame.time_base = index, Fraction(1, 30)
            for name, value in (
                ("color_trc", transfer),
                ("color_primaries", primaries),
                ("colorspace", matrix),
            ):
                if value is not None:
                    setattr(frame, name, value)
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    return path


CLIPS: dict[str, dict[str, Any]] = {
    "h264-8bit-untagged.mp4": {"codec": "libx264", "pix_fmt": "yuv420p"},
    "h264-8bit-bt709.mp4": {"codec": "libx264", "pix_fmt": "yuv420p", "tags": (1, 1, 1)},
    "h264-10bit-bt709.mp4": {"codec": "libx264", "pix_fmt": "yuv420p10le", "tags": (1, 1, 1)},
    "h264-10bit-444.mov": {"codec": "libx264", "pix_fmt": "yuv444p10le"},
    "hevc-10bit-pq.mp4": {"codec": "libx265", "pix_fmt": "yuv420p10le", "tags": (PQ, 9, 9)},
    "hevc-10bit-hlg.mov": {"codec": "libx265", "pix_fmt": "yuv420p10le", "tags": (HLG, 9, 9)},
    "hevc-12bit.mp4": {"codec": "libx265", "pix_fmt": "yuv420p12le"},
    "hevc-8bit-p3.mov": {"codec": "libx265", "pix_fmt": "yuv420p", "tags": (13, 12, 1)},
    "av1-10bit-hlg.mp4": {"codec": "libsvtav1", "pix_fmt": "yuv420p10le", "tags": (HLG, 9, 9)},
    "vp9-8bit.mp4": {"codec": "libvpx-vp9", "pix_fmt": "yuv420p"},
    "mpeg4.mp4": {"codec": "mpeg4", "pix_fmt": "yuv420p"},
}


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("colour")
    made = {}
    for name, options in CLIPS.items():
        if has_encoder(options["codec"]):
            transfer, primaries, matrix = options.get("tags", (None, None, None))
            made[name] = make_tagged(
                folder / name,
                options["codec"],
                options["pix_fmt"],
                transfer=transfer,
                primaries=primaries,
                matrix=matrix,
            )
    return made


def _clip(clips: dict[str, Path], name: str) -> Path:
    if name not in clips:
        pytest.skip(f"this PyAV cannot encode {name}")
    return clips[name]


def pyav_colour(path: Path) -> colour.Colour:
    """What FFmpeg reads: the tags as H.273 code points, the decoder's bit depth."""
    with av.open(str(path)) as container:
        context = container.streams.video[0].codec_context
        transfer, primaries = int(context.color_trc), int(context.color_primaries)
    return colour.Colour(
        bit_depth=pyav_bit_depth(path),
        color_transfer=colour.transfer_name(transfer),
        color_primaries=colour.primaries_name(primaries),
        dolby_vision=False,
    )


@pytest.mark.parametrize("name", sorted(CLIPS))
def test_colour_facts_agree_with_mediainfo_and_pyav(clips: dict[str, Path], name: str) -> None:
    path = _clip(clips, name)
    facts = agree(path, must_answer=True)  # every field as MediaInfo says (VP9: see reference)
    assert facts is not None
    ours = colour.Colour(
        facts.bit_depth, facts.color_transfer, facts.color_primaries, facts.dolby_vision
    )
    assert ours == pyav_colour(path)


@pytest.mark.parametrize(
    ("name", "depth", "transfer", "primaries"),
    [
        ("h264-8bit-untagged.mp4", 8, None, None),
        ("h264-10bit-bt709.mp4", 10, "sdr", "bt709"),
        ("hevc-10bit-pq.mp4", 10, "pq", "bt2020"),
        ("hevc-10bit-hlg.mov", 10, "hlg", "bt2020"),
        ("hevc-12bit.mp4", 12, None, None),
        ("hevc-8bit-p3.mov", 8, "sdr", "p3"),
        ("av1-10bit-hlg.mp4", 10, "hlg", "bt2020"),
        ("vp9-8bit.mp4", 8, None, None),
    ],
)
def test_the_colour_corpus_covers_what_it_claims(
    clips: dict[str, Path], name: str, depth: int, transfer: str | None, primaries: str | None
) -> None:
    facts = header_facts(_clip(clips, name))
    assert facts is not None
    assert (facts.bit_depth, facts.color_transfer, facts.color_primaries) == (
        depth,
        transfer,
        primaries,
    )
    assert facts.dolby_vision is False


def test_mov_colour_boxes_are_nclc(clips: dict[str, Path]) -> None:
    data = _clip(clips, "hevc-10bit-hlg.mov").read_bytes()
    assert data[data.index(b"colr") + 4 : data.index(b"colr") + 8] == b"nclc"


def _colr_payload(data: bytes | bytearray) -> int:
    at = bytes(data).index(b"colr")
    assert data[at + 4 : at + 8] in (b"nclx", b"nclc")
    return at + 8


@settings(max_examples=40, deadline=None)
@given(primaries=st.integers(0, 25), transfer=st.integers(0, 25))
def test_every_colr_code_point_reads_as_mediainfo_reads_it(
    clips: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
    primaries: int,
    transfer: int,
) -> None:
    data = bytearray(_clip(clips, "hevc-10bit-pq.mp4").read_bytes())
    struct.pack_into(">HH", data, _colr_payload(data), primaries, transfer)
    path = tmp_path_factory.mktemp("colr") / "patched.mp4"
    path.write_bytes(data)
    facts = agree(path, must_answer=True)
    assert facts is not None
    assert facts.color_primaries == colour.primaries_name(primaries)
    assert facts.color_transfer == colour.transfer_name(transfer)
    assert pyav_colour(path).color_transfer == facts.color_transfer


def _with_entry_box(data: bytearray, extra: bytes) -> None:
    """Append ``extra`` to the video sample entry (and grow every box around it)."""
    stsd_path: list[str | int] = ["moov", "trak", 0, "mdia", "minf", "stbl", "stsd"]
    stsd, head, size = find_box(data, stsd_path)
    entry = bytes(data[stsd + head + 8 : stsd + size])
    (length,) = struct.unpack_from(">I", entry)
    grown = struct.pack(">I", length + len(extra)) + entry[4:length] + extra + entry[length:]
    replace_box(data, stsd_path, bytes(data[stsd : stsd + head + 8]) + grown)
    stsd, head, size = find_box(data, stsd_path)
    struct.pack_into(">I", data, stsd, size + len(extra) - (size - head - 8 - len(entry)))
    struct.pack_into(">I", data, stsd, head + 8 + len(grown))


DOLBY_VISION_8_4 = box(
    b"dvvC",
    bytes([1, 0, 8 << 1, 0x10 | 0x0D]) + bytes([4 << 4]) + bytes(19),  # profile 8, level 1, RPU+BL
)


def test_a_dolby_vision_configuration_says_dolby_vision(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    data = bytearray(_clip(clips, "hevc-10bit-hlg.mov").read_bytes())
    _with_entry_box(data, DOLBY_VISION_8_4)
    path = tmp_path / "dolby.mov"
    path.write_bytes(data)
    facts = agree(path, must_answer=True)  # MediaInfo: HDR format "Dolby Vision"
    assert facts is not None and facts.dolby_vision is True
    assert (facts.color_transfer, facts.bit_depth) == ("hlg", 10)


def test_colour_facts_reach_the_json_report(clips: dict[str, Path]) -> None:
    path = _clip(clips, "hevc-10bit-pq.mp4")
    report = mediarules.check([path], platforms=["youtube"])
    media = report.model_dump(mode="json")["media"][0]
    assert {key: media[key] for key in ("bit_depth", "color_transfer", "color_primaries")} == {
        "bit_depth": 10,
        "color_transfer": "pq",
        "color_primaries": "bt2020",
    }
    assert media["dolby_vision"] is False
    assert inspect(path).color_transfer == "pq"


# ---------------------------------------------------------------------------------------------
# the codec configurations, byte by byte


def _sps(profile: int, *fields: int) -> bytes:
    """An H.264 sequence parameter set: profile, then Exp-Golomb ``fields``, RBSP-padded."""
    bits = "".join(_golomb(value) for value in fields) + "1"
    bits += "0" * (-len(bits) % 8)
    body = int(bits, 2).to_bytes(len(bits) // 8, "big")
    return bytes([0x67, profile, 0, 30]) + body


def _golomb(value: int) -> str:
    code = bin(value + 1)[2:]
    return "0" * (len(code) - 1) + code


def _avcc(sps: bytes) -> bytes:
    profile = sps[1] if len(sps) > 1 else 0
    return bytes([1, profile, 0, 30, 0xFF, 0xE1]) + struct.pack(">H", len(sps)) + sps + b"\0"


def _iter_depths() -> Iterator[tuple[bytes, int | None]]:
    yield _avcc(_sps(66, 0)), 8  # Baseline
    yield _avcc(_sps(100, 0, 1, 0)), 8  # High, 4:2:0, 8-bit
    yield _avcc(_sps(110, 0, 1, 2)), 10  # High 10
    yield _avcc(_sps(244, 3, 3, 0, 4)), 12  # High 4:4:4, separate planes flag, 12-bit
    yield _avcc(_sps(100)[:4]), None  # cut before the bit depth
    yield _avcc(b"\x67"), None


@pytest.mark.parametrize(("avcc", "depth"), list(_iter_depths()))
def test_avc_bit_depth_from_the_sequence_parameter_set(avcc: bytes, depth: int | None) -> None:
    assert colour.from_sample_entry("AVC", [(b"avcC", avcc)]).bit_depth == depth


def test_emulation_prevention_bytes_are_removed_before_reading() -> None:
    sps = _sps(110, 0, 1, 2)
    escaped = sps[:4] + b"\x00\x00\x03" + sps[4:]  # as if the payload began with 00 00
    assert colour._unescape(escaped[4:]) == b"\x00\x00" + sps[4:]


@settings(max_examples=300, deadline=None)
@given(
    codec=st.sampled_from(["AVC", "HEVC", "AV1", "VP9", "ProRes", None]),
    boxes=st.lists(
        st.tuples(
            st.sampled_from([b"colr", b"avcC", b"hvcC", b"av1C", b"vpcC", b"dvcC", b"pasp"]),
            st.binary(max_size=40),
        ),
        max_size=4,
    ),
)
def test_any_sample_entry_boxes_give_colour_facts_or_none(
    codec: str | None, boxes: list[tuple[bytes, bytes]]
) -> None:
    found = colour.from_sample_entry(codec, boxes)
    assert found.bit_depth is None or 8 <= found.bit_depth <= 16
    assert found.color_transfer in (None, "sdr", "pq", "hlg")
    assert found.dolby_vision is (b"dvcC" in {kind for kind, _ in boxes})
