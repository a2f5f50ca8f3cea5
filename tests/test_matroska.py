"""The header-only Matroska/WebM reader: MediaInfo's facts and PyAV's truth, or ``None``.

Differential: every clip of a corpus encoded here with PyAV (each codec this PyAV writes into
WebM and MKV, odd sizes, NTSC rates, B-frames, rotation, HDR tags) must give what
``video.video_facts(video.probe(path))`` gives, field for field, and agree with what PyAV
decodes (size, rate, duration, codec, rotation, bit depth, colour). The same clips with their
``DefaultDuration`` blanked out must get the rate from block timestamps, consistent with every
timestamp PyAV demuxes. Hand-built files check the structure (Info after the media, block
groups, lacing) and the bounds: no input makes the reader raise, hang, or read past its budget.
Real files from ``../shared/realmedia`` are compared with PyAV when the folder is there.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any, cast

import av
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from mediarules.inspection import (
    UnreadableMediaError,
    codec_config,
    images,
    inspect,
    matroska,
    video,
)
from mediarules.inspection.source import FileSource
from mediarules.models import MediaFacts
from tests.deadline import within
from tests.media import _write_silence, has_encoder, make_clip

REALMEDIA = Path(__file__).resolve().parents[1].parent / "shared" / "realmedia"

NOT_FROM_MEDIAINFO = {"rotation", "bit_depth", "color_transfer", "color_primaries", "dolby_vision"}
"""Facts the two paths do not share for Matroska: MediaInfo reads no projection and no colour
here; the header reader does not read Dolby Vision's block addition mappings (None)."""

# ---------------------------------------------------------------------------------------------
# EBML, written and found by hand (independently of the reader)

EBML, SEGMENT, SEEK_HEAD, SEEK, SEEK_ID, SEEK_POSITION = (
    0x1A45DFA3, 0x18538067, 0x114D9B74, 0x4DBB, 0x53AB, 0x53AC,
)  # fmt: skip
INFO, TIMESTAMP_SCALE, DURATION = 0x1549A966, 0x2AD7B1, 0x4489
TRACKS, TRACK_ENTRY, TRACK_NUMBER, TRACK_TYPE, CODEC_ID = 0x1654AE6B, 0xAE, 0xD7, 0x83, 0x86
DEFAULT_DURATION, CODEC_PRIVATE, CONTENT_ENCODINGS = 0x23E383, 0x63A2, 0x6D80
VIDEO, PIXEL_WIDTH, PIXEL_HEIGHT, AUDIO = 0xE0, 0xB0, 0xBA, 0xE1
CLUSTER, CLUSTER_TIMESTAMP, SIMPLE_BLOCK, BLOCK_GROUP, BLOCK = 0x1F43B675, 0xE7, 0xA3, 0xA0, 0xA1
VOID, CRC32 = 0xEC, 0xBF


def size_vint(value: int, length: int | None = None) -> bytes:
    """The shortest EBML size for ``value`` (or one of ``length`` bytes)."""
    if length is None:
        length = next(n for n in range(1, 9) if value < (1 << (7 * n)) - 1)
    return (value | 1 << (7 * length)).to_bytes(length, "big")


def element(ident: int, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return ident.to_bytes((ident.bit_length() + 7) // 8, "big") + size_vint(len(body)) + body


def uint(ident: int, value: int) -> bytes:
    return element(ident, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def double(ident: int, value: float) -> bytes:
    return element(ident, struct.pack(">d", value))


def text(ident: int, value: str) -> bytes:
    return element(ident, value.encode())


def read_vint(data: bytes, pos: int, *, marker: bool) -> tuple[int, int]:
    length = 9 - data[pos].bit_length()
    value = int.from_bytes(data[pos : pos + length], "big")
    return (value if marker else value & ((1 << (7 * length)) - 1)), pos + length


def find(data: bytes | bytearray, path: Sequence[int]) -> tuple[int, int, int]:
    """(offset, body offset, end) of the first element at ``path`` of ids, like
    ``[SEGMENT, TRACKS, TRACK_ENTRY, DEFAULT_DURATION]``."""
    start, end = 0, len(data)
    for depth, wanted in enumerate(path):
        pos = start
        while pos < end:
            ident, at = read_vint(bytes(data[pos : pos + 12]), 0, marker=True)
            size, at = read_vint(bytes(data[pos : pos + 12]), at, marker=False)
            if ident == wanted:
                if depth == len(path) - 1:
                    return pos, pos + at, pos + at + size
                start, end = pos + at, pos + at + size
                break
            pos += at + size
        else:
            raise KeyError(path)
    raise KeyError(path)


def void_out(data: bytes, path: Sequence[int]) -> bytes:
    """``data`` with the element at ``path`` replaced by a Void element of the same length."""
    offset, _, end = find(data, path)
    length = end - offset
    assert length >= 2
    return data[:offset] + b"\xec" + size_vint(length - 2, 1) + bytes(length - 2) + data[end:]


# ---------------------------------------------------------------------------------------------
# the corpus: real clips, made once


CORPUS: dict[str, dict[str, Any]] = {
    # WebM: the codecs its muxer takes
    "vp8-opus.webm": {"codec": "libvpx", "audio": "libopus"},
    "vp8-vorbis-ntsc30.webm": {"codec": "libvpx", "audio": "vorbis", "fps": Fraction(30000, 1001)},
    "vp9-opus-25.webm": {"codec": "libvpx-vp9", "audio": "libopus", "fps": 25},
    "vp9-odd-161x121.webm": {"codec": "libvpx-vp9", "size": (161, 121)},
    "vp9-444.webm": {"codec": "libvpx-vp9", "pix_fmt": "yuv444p"},  # profile 1
    "av1-opus.webm": {"codec": "libsvtav1", "audio": "libopus"},
    "av1-10bit-66x50.webm": {"codec": "libsvtav1", "pix_fmt": "yuv420p10le", "size": (66, 50)},
    "long-vp8-ntsc30.webm": {"codec": "libvpx", "frames": 240, "fps": Fraction(30000, 1001)},
    # MKV: what FFmpeg's Matroska muxer takes
    "h264-aac.mkv": {"audio": "aac"},
    "h264-ntsc24-bframes.mkv": {
        "fps": Fraction(24000, 1001),
        "codec_options": {"bf": "3"},
        "frames": 40,
        "audio": "aac",
    },
    "h264-60-flac.mkv": {"fps": 60, "audio": "flac"},
    "h264-ntsc60-ac3.mkv": {"fps": Fraction(60000, 1001), "audio": "ac3"},
    "h264-12.5.mkv": {"fps": Fraction(25, 2)},
    "h264-10bit.mkv": {"pix_fmt": "yuv420p10le"},
    "h264-444.mkv": {"pix_fmt": "yuv444p"},
    "h264-odd-130x98-opus.mkv": {"size": (130, 98), "audio": "libopus"},
    "hevc-eac3.mkv": {"codec": "libx265", "audio": "eac3"},
    "hevc-10bit.mkv": {"codec": "libx265", "pix_fmt": "yuv420p10le", "fps": 25},
    "mpeg4-mp3.mkv": {"codec": "mpeg4", "audio": "libmp3lame", "fps": 25},
    "mpeg2-mp2.mkv": {"codec": "mpeg2video", "audio": "mp2"},
    "vp8-vorbis.mkv": {"codec": "libvpx", "audio": "vorbis"},
    "vp9-pcm.mkv": {"codec": "libvpx-vp9", "audio": "pcm_s16le"},
    "av1-alac.mkv": {"codec": "libsvtav1", "audio": "alac"},
    "prores.mkv": {"codec": "prores", "pix_fmt": "yuv422p10le"},
    "ffv1.mkv": {"codec": "ffv1"},
    "rotate-90.mkv": {"rotation": 90},
    "rotate-180.webm": {"codec": "libvpx", "rotation": 180},
    "rotate-270.mkv": {"rotation": 270, "audio": "aac"},
    "vfr.mkv": {"timestamps_ms": [0, 33, 66, 133, 166, 200, 300, 333, 366, 400]},
    "long-h264-ntsc30.mkv": {"frames": 240, "fps": Fraction(30000, 1001), "audio": "aac"},
}

TAGGED: dict[str, dict[str, Any]] = {
    # transfer, primaries, matrix as ISO/IEC 23091-4 code points
    "hlg-hevc.mkv": {"codec": "libx265", "pix_fmt": "yuv420p10le", "colour": (18, 9, 9)},
    "pq-av1.webm": {"codec": "libsvtav1", "pix_fmt": "yuv420p10le", "colour": (16, 9, 9)},
    "pq-vp9-8bit.webm": {"codec": "libvpx-vp9", "pix_fmt": "yuv420p", "colour": (16, 9, 9)},
    "bt709-h264.mkv": {"codec": "libx264", "pix_fmt": "yuv420p", "colour": (1, 1, 1)},
    "p3-h264.mkv": {"codec": "libx264", "pix_fmt": "yuv420p", "colour": (13, 12, 1)},
}


def make_tagged(
    path: Path, *, codec: str, pix_fmt: str, colour: tuple[int, int, int], frames: int = 10
) -> Path:
    """A clip whose stream says its transfer, primaries and matrix (HDR or not)."""
    transfer, primaries, matrix = colour
    with av.open(str(path), "w") as output:
        stream = cast(av.VideoStream, output.add_stream(codec, rate=25))
        stream.width, stream.height, stream.pix_fmt = 64, 48, pix_fmt
        context = stream.codec_context
        context.color_trc, context.color_primaries, context.colorspace = transfer, primaries, matrix
        for index in range(frames):
            picture = Image.new("RGB", (64, 48), (index * 20 % 256, 100, 140))
            frame = av.VideoFrame.from_image(picture).reformat(format=pix_fmt)  # type: ignore[no-untyped-call]
            frame.pts, frame.time_base = index, Fraction(1, 25)
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    return path


def _encoders(options: dict[str, Any]) -> list[str]:
    return [options.get("codec", "libx264"), *([options["audio"]] if "audio" in options else [])]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("matroska")
    made = {}
    for name, options in CORPUS.items():
        if all(has_encoder(encoder) for encoder in _encoders(options)):
            made[name] = make_clip(folder / name, **options)
    for name, options in TAGGED.items():
        if has_encoder(options["codec"]):
            made[name] = make_tagged(folder / name, **options)
    return made


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One file that examples overwrite (they run one after another)."""
    return tmp_path_factory.mktemp("variants") / "variant.mkv"


def _clip(corpus: dict[str, Path], name: str) -> Path:
    if name not in corpus:
        pytest.skip(f"this PyAV cannot encode {name}")
    return corpus[name]


ALL = sorted([*CORPUS, *TAGGED])

# ---------------------------------------------------------------------------------------------
# the references


def header_facts(path: Path) -> MediaFacts | None:
    return matroska.read_video_facts(str(path), size=path.stat().st_size)


def mediainfo_facts(path: Path) -> MediaFacts | UnreadableMediaError:
    """What the MediaInfo path says about ``path``."""
    try:
        return video.video_facts(video.probe(str(path)), path=str(path), size=path.stat().st_size)
    except UnreadableMediaError as exc:
        return exc


def agree_with_mediainfo(path: Path) -> MediaFacts:
    ours = header_facts(path)
    assert ours is not None, f"the reader gave up on {path.name}"
    theirs = mediainfo_facts(path)
    assert isinstance(theirs, MediaFacts), f"MediaInfo: {theirs!r}"
    assert ours.model_dump(exclude=NOT_FROM_MEDIAINFO) == theirs.model_dump(
        exclude=NOT_FROM_MEDIAINFO
    )
    return ours


DECODERS = {"libdav1d": "av1", "libaom-av1": "av1", "libvpx": "vp8", "libvpx-vp9": "vp9"}
TRANSFERS = dict.fromkeys((1, 4, 5, 6, 7, 11, 12, 13, 14, 15), "sdr") | {16: "pq", 18: "hlg"}
PRIMARIES = {1: "bt709", 4: "bt470m", 5: "bt470bg", 6: "smpte170m", 9: "bt2020", 12: "smpte432"}


def pyav_truth(path: Path) -> dict[str, Any]:
    """What PyAV demuxes and decodes: the oracle for size, rate, time, codec and pixels."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        context = stream.codec_context
        times = sorted(p.pts for p in container.demux(stream) if p.pts is not None)
        container.seek(0)
        try:
            frame: av.VideoFrame | None = next(container.decode(stream))
        except (av.error.FFmpegError, StopIteration):  # a damaged bitstream
            frame = None
        return {
            "format": container.format.name,
            "width": context.width,
            "height": context.height,
            "average_rate": stream.average_rate,
            "time_base": stream.time_base,
            "times": times,
            "duration_s": container.duration / 1e6 if container.duration else None,
            "codec": DECODERS.get(context.name, context.name),
            "bits": context.format.components[0].bits if context.format else None,
            "rotation": None if frame is None else round(-getattr(frame, "rotation", 0)) % 360,
            "transfer": TRANSFERS.get(int(context.color_trc)),
            "primaries": PRIMARIES.get(int(context.color_primaries)),
        }


def fits_every_timestamp(rate: Fraction, times: Sequence[int], tick: Fraction) -> bool:
    """Whether a constant ``rate`` puts every frame within a tick (plus rounding) of its
    demuxed timestamp (``times`` in units of ``tick`` seconds)."""
    frame = 1 / (rate * tick)  # in ticks
    return all(abs(t - times[0] - i * frame) <= Fraction(11, 10) for i, t in enumerate(times))


def agree_with_pyav(facts: MediaFacts, truth: dict[str, Any]) -> None:
    assert truth["format"] == "matroska,webm" and facts.format in ("mkv", "webm")
    assert (facts.width, facts.height) == (truth["width"], truth["height"])
    assert facts.video_codec == truth["codec"]
    assert facts.fps is not None
    if facts.fps != truth["average_rate"]:  # PyAV guessed a rate: its timestamps are the truth
        assert not facts.variable_frame_rate
        assert fits_every_timestamp(facts.fps, truth["times"], truth["time_base"])
    frame_s = 1 / float(facts.fps)
    assert truth["duration_s"] is not None
    assert abs(cast(float, facts.duration_s) - truth["duration_s"]) <= frame_s
    assert truth["rotation"] is None or facts.rotation == truth["rotation"]
    # None where only the bitstream says it (PyAV decodes it): the container is what is read
    assert facts.bit_depth in (None, truth["bits"])
    assert facts.color_transfer in (None, truth["transfer"])
    assert facts.color_primaries in (None, truth["primaries"])


# ---------------------------------------------------------------------------------------------
# the corpus against MediaInfo and PyAV


@pytest.mark.parametrize("name", ALL)
def test_every_field_matches_mediainfo(corpus: dict[str, Path], name: str) -> None:
    facts = agree_with_mediainfo(_clip(corpus, name))
    assert facts.kind == "video" and facts.format == Path(name).suffix[1:]


@pytest.mark.parametrize("name", ALL)
def test_every_clip_agrees_with_pyav(corpus: dict[str, Path], name: str) -> None:
    path = _clip(corpus, name)
    facts = header_facts(path)
    assert facts is not None
    agree_with_pyav(facts, pyav_truth(path))


@pytest.mark.parametrize("name", ALL)
def test_inspect_reads_mkv_and_webm_without_pillow_or_mediainfo(
    corpus: dict[str, Path], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _clip(corpus, name)
    expected = header_facts(path)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the header reader should have answered")

    monkeypatch.setattr(images, "inspect_open_image", refuse)
    monkeypatch.setattr(video, "probe", refuse)
    assert inspect(path) == expected


@pytest.mark.parametrize(
    ("name", "field", "value"),
    [
        ("vp8-vorbis-ntsc30.webm", "fps", Fraction(30000, 1001)),
        ("vp8-vorbis-ntsc30.webm", "audio_codec", "vorbis"),
        ("h264-ntsc24-bframes.mkv", "fps", Fraction(24000, 1001)),
        ("h264-ntsc60-ac3.mkv", "fps", Fraction(60000, 1001)),
        ("h264-12.5.mkv", "fps", Fraction(25, 2)),
        ("vp9-odd-161x121.webm", "width", 161),
        ("h264-odd-130x98-opus.mkv", "height", 98),
        ("mpeg2-mp2.mkv", "video_codec", "mpeg2video"),
        ("mpeg4-mp3.mkv", "audio_codec", "mp3"),
        ("hevc-eac3.mkv", "video_codec", "hevc"),
        ("av1-alac.mkv", "video_codec", "av1"),
        ("rotate-90.mkv", "rotation", 90),
        ("rotate-180.webm", "rotation", 180),
        ("rotate-270.mkv", "rotation", 270),
        ("h264-10bit.mkv", "bit_depth", 10),
        ("h264-444.mkv", "bit_depth", 8),
        ("hevc-10bit.mkv", "bit_depth", 10),
        ("av1-10bit-66x50.webm", "bit_depth", 10),
        ("vp9-444.webm", "bit_depth", 8),
        ("vp8-opus.webm", "bit_depth", 8),
        ("hlg-hevc.mkv", "color_transfer", "hlg"),
        ("pq-av1.webm", "color_transfer", "pq"),
        ("pq-vp9-8bit.webm", "color_primaries", "bt2020"),
        ("bt709-h264.mkv", "color_transfer", "sdr"),
        ("p3-h264.mkv", "color_primaries", "smpte432"),
        ("h264-aac.mkv", "color_transfer", None),
    ],
)
def test_the_corpus_covers_what_it_claims(
    corpus: dict[str, Path], name: str, field: str, value: object
) -> None:
    """The differential tests prove agreement; these pin that the interesting cases exist."""
    facts = header_facts(_clip(corpus, name))
    assert facts is not None and getattr(facts, field) == value


# ---------------------------------------------------------------------------------------------
# no DefaultDuration: the rate from the blocks

VIDEO_DEFAULT_DURATION = [SEGMENT, TRACKS, TRACK_ENTRY, DEFAULT_DURATION]


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_without_default_duration_the_blocks_give_the_rate(
    corpus: dict[str, Path], scratch: Path, name: str
) -> None:
    path = _clip(corpus, name)
    data = path.read_bytes()
    with_it = header_facts(path)
    scratch.write_bytes(void_out(data, VIDEO_DEFAULT_DURATION))
    facts = header_facts(scratch)
    assert with_it is not None and facts is not None
    truth = pyav_truth(scratch)
    assert facts.model_dump(exclude={"fps", "variable_frame_rate", "path"}) == with_it.model_dump(
        exclude={"fps", "variable_frame_rate", "path"}
    )
    assert facts.fps is not None
    tick = truth["time_base"]
    if facts.variable_frame_rate:
        assert name.startswith("vfr")
        assert not fits_every_timestamp(with_it.fps or Fraction(1), truth["times"], tick)
    else:
        assert fits_every_timestamp(facts.fps, truth["times"], tick)
        if len(truth["times"]) >= 60:  # enough frames to tell 30000/1001 from 30
            assert facts.fps == with_it.fps


def test_a_variable_rate_is_the_mean_rate(corpus: dict[str, Path], scratch: Path) -> None:
    scratch.write_bytes(void_out(_clip(corpus, "vfr.mkv").read_bytes(), VIDEO_DEFAULT_DURATION))
    facts = header_facts(scratch)
    assert facts is not None and facts.variable_frame_rate is True
    assert facts.fps == Fraction(9 * 1000, 400)  # 10 frames over 400 ms


# ---------------------------------------------------------------------------------------------
# cut and mutated clips


@pytest.mark.parametrize("name", ["vp9-opus-25.webm", "h264-aac.mkv"])
def test_a_cut_file_is_left_to_mediainfo(corpus: dict[str, Path], scratch: Path, name: str) -> None:
    """Cut anywhere, the segment runs past the end: the reader never answers for it, and
    ``inspect`` says what MediaInfo says."""
    data = _clip(corpus, name).read_bytes()
    cuts = sorted({*range(1, 64), *range(64, len(data), max(1, len(data) // 40))})
    for cut in cuts:
        scratch.write_bytes(data[:cut])
        assert header_facts(scratch) is None
    scratch.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(UnreadableMediaError) as caught:
        inspect(scratch)
    assert caught.value.reason == "truncated"


@pytest.mark.parametrize("extra", [b"\0", b"\0" * 100, b"\x1aE\xdf\xa3\x80"])
def test_bytes_after_the_segment_are_left_to_mediainfo(
    corpus: dict[str, Path], scratch: Path, extra: bytes
) -> None:
    scratch.write_bytes(_clip(corpus, "h264-aac.mkv").read_bytes() + extra)
    assert header_facts(scratch) is None


def _sane(facts: MediaFacts) -> None:
    assert facts.kind == "video" and facts.format in ("mkv", "webm")
    for value in (facts.width, facts.height, facts.bit_rate, facts.size, facts.rotation):
        assert isinstance(value, int) and value >= 0
    assert facts.fps is None or facts.fps > 0
    assert facts.duration_s is not None and 0 < facts.duration_s < math.inf


def _read_guarded(path: Path) -> MediaFacts | None:
    """The reader under a deadline; a file without a video track may say so."""

    def run() -> tuple[MediaFacts | None, UnreadableMediaError | None]:
        try:
            return header_facts(path), None
        except UnreadableMediaError as exc:
            return None, exc

    facts, error = within(10, run)
    assert error is None or error.reason == "unrecognised"
    return facts


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    flips=st.lists(st.tuples(st.integers(0, 4096), st.integers(0, 255)), min_size=1, max_size=6),
    cut=st.one_of(st.just(0), st.integers(1, 200)),
)
def test_mutated_headers_never_break_the_reader(
    corpus: dict[str, Path], scratch: Path, flips: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(_clip(corpus, "vp9-opus-25.webm").read_bytes())
    for at, value in flips:
        data[at % len(data)] = value
    scratch.write_bytes(bytes(data[: len(data) - cut]))
    facts = _read_guarded(scratch)
    if facts is not None:
        _sane(facts)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=4)
)
def test_mutated_blocks_never_break_the_reader(
    corpus: dict[str, Path], scratch: Path, flips: list[tuple[int, int]]
) -> None:
    """Without DefaultDuration the reader walks clusters and blocks: damage them."""
    data = bytearray(
        void_out(_clip(corpus, "h264-ntsc24-bframes.mkv").read_bytes(), VIDEO_DEFAULT_DURATION)
    )
    _, first_cluster, _ = find(data, [SEGMENT, CLUSTER])
    for at, value in flips:
        data[first_cluster + at % (len(data) - first_cluster)] = value
    scratch.write_bytes(bytes(data))
    facts = _read_guarded(scratch)
    if facts is not None:
        _sane(facts)


@settings(max_examples=200, deadline=None)
@given(tail=st.binary(max_size=600))
def test_random_elements_after_an_ebml_header_never_break_the_reader(
    scratch: Path, tail: bytes
) -> None:
    scratch.write_bytes(HEAD + tail)
    facts = _read_guarded(scratch)
    if facts is not None:
        _sane(facts)


# ---------------------------------------------------------------------------------------------
# hand-built files: structure


HEAD = element(
    EBML,
    uint(0x4286, 1), uint(0x42F7, 1), uint(0x42F2, 4), uint(0x42F3, 8),
    text(0x4282, "webm"), uint(0x4287, 4), uint(0x4285, 2),
)  # fmt: skip
INFO_1S = element(INFO, uint(TIMESTAMP_SCALE, 1_000_000), double(DURATION, 1000.0))
VP9_KEY_FRAME = bytes([0x82, 0x49, 0x83, 0x42, 0x00, 0x00])  # profile 0, key frame: 8-bit
VP9_10_BIT = bytes([0x92, 0x49, 0x83, 0x42, 0x00, 0x00])  # profile 2, ten_or_twelve_bit 0
VP9_12_BIT = bytes([0x92, 0x49, 0x83, 0x42, 0x80, 0x00])


PIXELS_64x48 = (uint(PIXEL_WIDTH, 64), uint(PIXEL_HEIGHT, 48))


def video_track(
    *extra: bytes,
    number: int = 1,
    codec: str = "V_VP9",
    default_ns: int | None = 40_000_000,
    picture: bytes = element(VIDEO, *PIXELS_64x48),
) -> bytes:
    rate = [uint(DEFAULT_DURATION, default_ns)] if default_ns is not None else []
    entry = [uint(TRACK_NUMBER, number), uint(TRACK_TYPE, 1), text(CODEC_ID, codec)]
    return element(TRACK_ENTRY, *entry, *rate, picture, *extra)


def audio_track(*extra: bytes, codec: str = "A_OPUS") -> bytes:
    return element(
        TRACK_ENTRY, uint(TRACK_NUMBER, 2), uint(TRACK_TYPE, 2), text(CODEC_ID, codec),
        element(AUDIO, double(0xB5, 48000.0), uint(0x9F, 2)), *extra,
    )  # fmt: skip


AUDIO_TRACK = audio_track()


def block(track: int, relative: int, frame: bytes = VP9_KEY_FRAME, flags: int = 0x80) -> bytes:
    return size_vint(track) + struct.pack(">hB", relative, flags) + frame


def cluster(timestamp: int, *blocks: bytes, group: bool = False) -> bytes:
    if group:
        children = [element(BLOCK_GROUP, element(BLOCK, b)) for b in blocks]
    else:
        children = [element(SIMPLE_BLOCK, b) for b in blocks]
    return element(CLUSTER, uint(CLUSTER_TIMESTAMP, timestamp), *children)


def clusters(count: int = 25, step: int = 40, **options: Any) -> bytes:
    """``count`` frames of track 1, ``step`` ms apart, 5 to a cluster."""
    return b"".join(
        cluster(
            start * step, *(block(1, i * step) for i in range(min(5, count - start))), **options
        )
        for start in range(0, count, 5)
    )


def segment(*children: bytes) -> bytes:
    return element(SEGMENT, *children)


def webm(*children: bytes) -> bytes:
    return HEAD + segment(*children)


TRACKS_AV = element(TRACKS, video_track(), AUDIO_TRACK)
WHOLE = webm(INFO_1S, TRACKS_AV, clusters())


def read_bytes(path: Path, data: bytes) -> MediaFacts | None:
    path.write_bytes(data)
    return matroska.read_video_facts(str(path), size=len(data))


def test_a_hand_built_file_is_read(scratch: Path) -> None:
    assert read_bytes(scratch, WHOLE) == MediaFacts(
        path=str(scratch),
        kind="video",
        format="webm",
        size=len(WHOLE),
        width=64,
        height=48,
        fps=Fraction(25),
        variable_frame_rate=False,
        duration_s=1.0,
        video_codec="vp9",
        audio_codec="opus",
        bit_rate=len(WHOLE) * 8,
        rotation=0,
        bit_depth=8,
        audio_sample_rate=48000,
    )


def _seek_head(entries: Sequence[tuple[int, int]]) -> bytes:
    """Positions in 4 bytes, as muxers reserve them: the length does not depend on them."""
    seeks = [
        element(
            SEEK,
            element(SEEK_ID, ident.to_bytes(4, "big")),
            element(SEEK_POSITION, at.to_bytes(4, "big")),
        )
        for ident, at in entries
    ]
    return element(SEEK_HEAD, *seeks)


def test_info_and_tracks_after_the_media_are_found_through_the_seek_head(scratch: Path) -> None:
    media = clusters()
    at_info = len(_seek_head([(INFO, 0), (TRACKS, 0)])) + len(media)
    seek_head = _seek_head([(INFO, at_info), (TRACKS, at_info + len(INFO_1S))])
    data = webm(seek_head, media, INFO_1S, TRACKS_AV)
    facts = read_bytes(scratch, data)
    expected = read_bytes(scratch, WHOLE)
    assert facts is not None and expected is not None
    assert facts == expected.model_copy(update={"size": len(data), "bit_rate": len(data) * 8})
    no_seek_head = webm(element(VOID, bytes(len(seek_head) - 2)), media, INFO_1S, TRACKS_AV)
    assert read_bytes(scratch, no_seek_head) is None
    wrong_place = webm(_seek_head([(INFO, 0), (TRACKS, 0)]), media, INFO_1S, TRACKS_AV)
    assert read_bytes(scratch, wrong_place) is None


@pytest.mark.parametrize(
    "data",
    [
        webm(element(VOID, bytes(100)), TRACKS_AV, element(CRC32, bytes(4)), INFO_1S, clusters()),
        webm(INFO_1S, element(0x1254C367, bytes(50)), TRACKS_AV, clusters()),  # Tags
        webm(INFO_1S, TRACKS_AV, element(0x1C53BB6B, bytes(20)), clusters()),  # Cues
    ],
    ids=["tracks-first-void-crc", "tags", "cues"],
)
def test_elements_in_other_orders_are_read(scratch: Path, data: bytes) -> None:
    facts = read_bytes(scratch, data)
    assert facts is not None and (facts.fps, facts.duration_s) == (Fraction(25), 1.0)


@pytest.mark.parametrize("group", [False, True])
def test_block_timestamps_give_the_rate(scratch: Path, group: bool) -> None:
    tracks = element(TRACKS, video_track(default_ns=None), AUDIO_TRACK)
    facts = read_bytes(scratch, webm(INFO_1S, tracks, clusters(group=group)))
    assert facts is not None and (facts.fps, facts.variable_frame_rate) == (Fraction(25), False)


def test_reordered_invisible_and_audio_blocks(scratch: Path) -> None:
    """Timestamps in decode order (B-frames), a hidden frame, audio between: 50 fps."""
    order = [0, 60, 20, 40, 140, 80, 100, 120, 200, 160, 180]
    frames = [block(1, t) for t in order]
    frames.insert(3, block(1, 41, flags=0x08))  # invisible: never shown, not a frame
    frames.insert(5, block(2, 13, b"\xfc\x00"))
    tracks = element(TRACKS, video_track(default_ns=None), AUDIO_TRACK)
    facts = read_bytes(scratch, webm(INFO_1S, tracks, cluster(0, *frames)))
    assert facts is not None and facts.fps == 50 and not facts.variable_frame_rate


def test_blocks_in_many_clusters_of_one_frame(scratch: Path) -> None:
    """One frame per cluster, 1 ns ticks, 30000/1001 rounded to the nanosecond."""
    info = element(INFO, uint(TIMESTAMP_SCALE, 1), double(DURATION, 1e9))
    frames = [cluster(round(i * 1001e9 / 30000), block(1, 0)) for i in range(30)]
    tracks = element(TRACKS, video_track(default_ns=None))
    facts = read_bytes(scratch, webm(info, tracks, *frames))
    assert facts is not None and facts.fps == Fraction(30000, 1001)


@pytest.mark.parametrize(
    ("frame", "depth"), [(VP9_KEY_FRAME, 8), (VP9_10_BIT, 10), (VP9_12_BIT, 12), (b"\x00", None)]
)
def test_a_vp9_bit_depth_comes_from_its_first_frame(
    scratch: Path, frame: bytes, depth: int | None
) -> None:
    facts = read_bytes(scratch, webm(INFO_1S, TRACKS_AV, cluster(0, block(1, 0, frame))))
    assert facts is not None and facts.bit_depth == depth


def test_the_stored_size_is_the_size_whatever_the_display_size(scratch: Path) -> None:
    """Anamorphic: shown 128 wide, stored 64 wide (MediaInfo and PyAV say 64 too)."""
    display = (uint(0x54B0, 128), uint(0x54BA, 48), uint(0x54B2, 0))
    track = video_track(picture=element(VIDEO, *PIXELS_64x48, *display))
    facts = read_bytes(scratch, webm(INFO_1S, element(TRACKS, track), clusters()))
    assert facts is not None and (facts.width, facts.height) == (64, 48)


def test_colour_elements_win_over_the_codec(scratch: Path) -> None:
    colour = element(0x55B0, uint(0x55B2, 12), uint(0x55BA, 16), uint(0x55BB, 9))
    track = video_track(picture=element(VIDEO, *PIXELS_64x48, colour))
    facts = read_bytes(scratch, webm(INFO_1S, element(TRACKS, track), clusters()))
    assert facts is not None
    assert (facts.bit_depth, facts.color_transfer, facts.color_primaries) == (12, "pq", "bt2020")


def _projection(kind: int = 0, roll: float = 0.0, yaw: float = 0.0) -> bytes:
    return element(0x7670, uint(0x7671, kind), double(0x7673, yaw), double(0x7675, roll))


@pytest.mark.parametrize(
    ("projection", "rotation"),
    [
        (_projection(roll=-90.0), 90),
        (_projection(roll=90.0), 270),
        (_projection(roll=180.0), 180),
        (_projection(roll=0.0), 0),
        (_projection(roll=45.0), None),
        (_projection(kind=1), None),  # equirectangular (360°)
        (_projection(yaw=10.0), None),
    ],
)
def test_rotation_from_the_projection(
    scratch: Path, projection: bytes, rotation: int | None
) -> None:
    track = video_track(picture=element(VIDEO, *PIXELS_64x48, projection))
    facts = read_bytes(scratch, webm(INFO_1S, element(TRACKS, track), clusters()))
    assert (facts.rotation if facts is not None else None) == rotation


@pytest.mark.parametrize(
    ("tracks", "message"),
    [
        (element(TRACKS, AUDIO_TRACK), "audio only: the WebM file has no video track"),
        (element(TRACKS), "the WebM file has no image or video track that can be read"),
    ],
)
def test_no_video_track_is_said_as_mediainfo_says_it(
    scratch: Path, tracks: bytes, message: str
) -> None:
    with pytest.raises(UnreadableMediaError, match=message) as caught:
        read_bytes(scratch, webm(INFO_1S, tracks, clusters(count=1)))
    assert caught.value.reason == "unrecognised"


def test_audio_only_files_say_what_mediainfo_says(tmp_path: Path) -> None:
    for name, encoder in (("voice.webm", "libopus"), ("voice.mkv", "flac")):
        path = tmp_path / name
        with av.open(str(path), "w") as output:
            stream = cast(av.AudioStream, output.add_stream(encoder, rate=48000))
            stream.layout = "mono"
            _write_silence(output, stream, seconds=0.3)
        theirs = mediainfo_facts(path)
        assert isinstance(theirs, UnreadableMediaError)
        with pytest.raises(UnreadableMediaError) as caught:
            header_facts(path)
        assert (caught.value.reason, str(caught.value)) == (theirs.reason, str(theirs))


# ---------------------------------------------------------------------------------------------
# hand-built files: the bounds


def _sized(ident: int, body: bytes, size: bytes) -> bytes:
    """An element whose size field is ``size`` (bytes as stored), whatever ``body`` holds."""
    return ident.to_bytes((ident.bit_length() + 7) // 8, "big") + size + body


UNKNOWN = b"\x01\xff\xff\xff\xff\xff\xff\xff"
ENCRYPTED = element(CONTENT_ENCODINGS, element(0x6240, element(0x5035, uint(0x47E1, 5))))
NO_DEFAULT = element(TRACKS, video_track(default_ns=None), AUDIO_TRACK)
LACED = cluster(0, *(block(1, i * 40, flags=0x82) for i in range(5)))


def _deep(levels: int) -> bytes:
    inner = b""
    for _ in range(levels):
        inner = element(0x4DBB, inner)
    return inner


HOSTILE: dict[str, bytes] = {
    "unknown-size segment": HEAD + _sized(SEGMENT, INFO_1S + TRACKS_AV + clusters(), UNKNOWN),
    "unknown-size cluster": webm(INFO_1S, TRACKS_AV, _sized(CLUSTER, uint(0xE7, 0), UNKNOWN)),
    "segment past the end": HEAD + _sized(SEGMENT, INFO_1S, size_vint(2**40, 8)),
    "segment 2**56 - 2 bytes": HEAD + _sized(SEGMENT, INFO_1S, size_vint(2**56 - 2, 8)),
    "tracks past the segment": webm(INFO_1S, _sized(TRACKS, b"", size_vint(2**20, 4))),
    "no tracks": webm(INFO_1S, clusters()),
    "no info": webm(TRACKS_AV, clusters()),
    "no duration": webm(element(INFO, uint(TIMESTAMP_SCALE, 10**6)), TRACKS_AV, clusters()),
    "duration 0": webm(element(INFO, double(DURATION, 0.0)), TRACKS_AV, clusters()),
    "duration -1": webm(element(INFO, double(DURATION, -1.0)), TRACKS_AV, clusters()),
    "duration nan": webm(element(INFO, double(DURATION, math.nan)), TRACKS_AV, clusters()),
    "duration inf": webm(element(INFO, double(DURATION, math.inf)), TRACKS_AV, clusters()),
    "duration 3 bytes": webm(element(INFO, element(DURATION, b"\0\0\1")), TRACKS_AV, clusters()),
    "timestamp scale 0": webm(
        element(INFO, uint(TIMESTAMP_SCALE, 0), double(DURATION, 1.0)), TRACKS_AV, clusters()
    ),
    "two infos": webm(INFO_1S, INFO_1S, TRACKS_AV, clusters()),
    "two tracks elements": webm(INFO_1S, TRACKS_AV, TRACKS_AV, clusters()),
    "no cluster": webm(INFO_1S, TRACKS_AV),
    "other doc type": HEAD.replace(b"webm", b"mkvx") + segment(INFO_1S, TRACKS_AV, clusters()),
    "EBML read version 2": HEAD.replace(b"\x42\xf7\x81\x01", b"\x42\xf7\x81\x02")
    + segment(INFO_1S, TRACKS_AV, clusters()),
    "ids of 5 bytes": HEAD.replace(b"\x42\xf2\x81\x04", b"\x42\xf2\x81\x05")
    + segment(INFO_1S, TRACKS_AV, clusters()),
    "encrypted video": webm(INFO_1S, element(TRACKS, video_track(ENCRYPTED)), clusters()),
    "encrypted audio": webm(
        INFO_1S, element(TRACKS, video_track(), audio_track(ENCRYPTED)), clusters()
    ),
    "unknown video codec": webm(INFO_1S, element(TRACKS, video_track(codec="V_XYZ")), clusters()),
    "unknown audio codec": webm(
        INFO_1S, element(TRACKS, video_track(), audio_track(codec="A_QQQQ")), clusters()
    ),
    "giant codec id": webm(INFO_1S, element(TRACKS, video_track(codec="V_" + "x" * 10_000))),
    "two tracks numbered 1": webm(INFO_1S, element(TRACKS, video_track(), video_track())),
    "track number 0": webm(INFO_1S, element(TRACKS, video_track(number=0)), clusters()),
    "complex track": webm(
        INFO_1S,
        element(TRACKS, video_track().replace(b"\x83\x81\x01", b"\x83\x81\x03")),
        clusters(),
    ),
    "default duration 0": webm(INFO_1S, element(TRACKS, video_track(default_ns=0)), clusters()),
    "cropped": webm(
        INFO_1S,
        element(TRACKS, video_track(picture=element(VIDEO, *PIXELS_64x48, uint(0x54AA, 8)))),
        clusters(),
    ),
    "no pixel size": webm(INFO_1S, element(TRACKS, video_track(picture=element(VIDEO)))),
    "laced video, no default duration": webm(INFO_1S, NO_DEFAULT, LACED),
    "one frame, no default duration": webm(INFO_1S, NO_DEFAULT, clusters(count=1)),
    "all frames at 0, no default duration": webm(
        INFO_1S, NO_DEFAULT, cluster(0, *(block(1, 0) for _ in range(10)))
    ),
    "block before cluster timestamp": webm(
        INFO_1S, NO_DEFAULT, element(CLUSTER, element(SIMPLE_BLOCK, block(1, 0)))
    ),
    "size byte 0x00": webm(INFO_1S, TRACKS_AV, b"\x1f\x43\xb6\x75\x00" + bytes(20)),
    "id byte 0x00": webm(INFO_1S, TRACKS_AV, b"\x00" * 32),
    "many tiny elements": webm(INFO_1S, TRACKS_AV, element(VOID, b"") * 30_000, clusters()),
    "tracks over a megabyte": webm(
        INFO_1S, element(TRACKS, video_track(element(VOID, bytes(2**20)))), clusters()
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_anything_unusual_is_left_to_mediainfo(scratch: Path, name: str) -> None:
    scratch.write_bytes(HOSTILE[name])
    assert _read_guarded(scratch) is None


def test_unknown_elements_are_skipped_however_deep(scratch: Path) -> None:
    """A nest of 5,000 unknown elements in a track entry is one element to the reader."""
    facts = within(
        10,
        lambda: read_bytes(
            scratch, webm(INFO_1S, element(TRACKS, video_track(_deep(5000))), clusters())
        ),
    )
    assert facts is not None and facts.fps == 25


def test_reads_stay_within_the_budget(scratch: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A header bigger than the read budget is not read at all."""
    monkeypatch.setattr(matroska, "_MAX_READ", 1 << 16)
    big = webm(INFO_1S, element(TRACKS, video_track(element(VOID, bytes(100_000)))), clusters())
    assert read_bytes(scratch, big) is None
    assert read_bytes(scratch, WHOLE) is not None


def test_a_file_that_cannot_be_opened_is_left_to_the_usual_path(tmp_path: Path) -> None:
    assert matroska.read_video_facts(str(tmp_path / "gone.webm"), size=100) is None
    assert matroska.read_video_facts(str(tmp_path), size=100) is None


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    reads: list[int] = []
    real: Callable[[FileSource, int, int], bytes] = FileSource.read_at

    def counting(self: FileSource, offset: int, length: int) -> bytes:
        data = real(self, offset, length)
        reads.append(len(data))
        return data

    monkeypatch.setattr(FileSource, "read_at", counting)
    return reads


def test_a_big_file_is_read_in_a_few_blocks(
    corpus: dict[str, Path], scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It seeks over the media: a clip whose segment ends in 2 GiB of Void (sparse) takes its
    first buffer and nothing else."""
    data = _clip(corpus, "vp9-opus-25.webm").read_bytes()
    offset, body, end = find(data, [SEGMENT])
    pad = 2**31
    grown = data[:offset] + b"\x18\x53\x80\x67" + size_vint(end - body + 9 + pad, 8)
    with open(scratch, "wb") as file:
        file.write(grown + data[body:] + b"\xec" + size_vint(pad, 8))
        file.truncate(len(grown) + len(data) - body + 9 + pad)
    reads = _count_reads(monkeypatch)
    try:
        facts = header_facts(scratch)
    finally:
        scratch.unlink()
    assert facts is not None and facts.width == 64
    assert len(reads) <= 2 and sum(reads) <= 2 * matroska._CHUNK


def test_the_block_walk_reads_headers_not_frames(
    scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """96 frames of 100 kB each: the rate from their timestamps costs a few kB per frame."""
    frames = [cluster(i * 40, block(1, 0, VP9_KEY_FRAME + bytes(100_000))) for i in range(100)]
    tracks = element(TRACKS, video_track(default_ns=None))
    data = webm(element(INFO, uint(TIMESTAMP_SCALE, 10**6), double(DURATION, 4000.0)), tracks,
                *frames)  # fmt: skip
    scratch.write_bytes(data)
    reads = _count_reads(monkeypatch)
    facts = header_facts(scratch)
    assert facts is not None and facts.fps == 25
    assert sum(reads) <= 100 * matroska._BLOCK_CHUNK < len(data) // 20


# ---------------------------------------------------------------------------------------------
# bit depth from codec configuration records


@pytest.mark.parametrize(
    ("reader", "record", "depth"),
    [
        (codec_config.av1_bit_depth, bytes([0x81, 0x00, 0x0C, 0x00]), 8),
        (codec_config.av1_bit_depth, bytes([0x81, 0x00, 0x4C, 0x00]), 10),
        (codec_config.av1_bit_depth, bytes([0x81, 0x40, 0x6C, 0x00]), 12),
        (codec_config.av1_bit_depth, bytes([0x80, 0x00, 0x4C, 0x00]), None),
        (codec_config.av1_bit_depth, b"", None),
        (codec_config.hevc_bit_depth, bytes([1] + [0] * 16 + [0xFA] + [0] * 5), 10),
        (codec_config.hevc_bit_depth, bytes([1] + [0] * 16 + [0xF8] + [0] * 5), 8),
        (codec_config.hevc_bit_depth, bytes([1] * 10), None),
        (codec_config.avc_bit_depth, bytes([1, 66, 0, 30, 0xFF, 0xE0, 0]), 8),
        (
            codec_config.avc_bit_depth,
            bytes([1, 110, 0, 30, 0xFF, 0xE0, 0, 0xFD, 0xFA, 0xFA, 0]),
            10,
        ),
        (codec_config.avc_bit_depth, bytes([1, 110, 0, 30, 0xFF, 0xE0, 0]), None),  # no extension
        (codec_config.avc_bit_depth, bytes([1, 110, 0, 30, 0xFF, 0xE1, 0x40, 0]), None),  # cut
        (codec_config.vp9_bit_depth, VP9_10_BIT, 10),
        (codec_config.vp9_bit_depth, bytes([0xA2]), 8),  # profile 1
        (codec_config.vp9_bit_depth, bytes([0x92, 0x49]), None),  # cut
        (codec_config.vp9_bit_depth, bytes([0x96]), None),  # an inter frame of profile 2
    ],
)
def test_bit_depth_records(
    reader: Callable[[bytes], int | None], record: bytes, depth: int | None
) -> None:
    assert reader(record) == depth


@settings(max_examples=300, deadline=None)
@given(record=st.binary(max_size=64))
def test_bit_depth_records_never_raise(record: bytes) -> None:
    for reader in (
        codec_config.av1_bit_depth,
        codec_config.hevc_bit_depth,
        codec_config.avc_bit_depth,
        codec_config.vp9_bit_depth,
    ):
        assert reader(record) in (None, 8, 9, 10, 11, 12, 13, 14, 15)


# ---------------------------------------------------------------------------------------------
# real files


def _real_files() -> list[Path]:
    if not REALMEDIA.is_dir():
        return []
    return sorted(
        path
        for path in REALMEDIA.rglob("*")
        if path.suffix.lower() in (".mkv", ".webm", ".mka") and path.is_file()
    )


@pytest.mark.skipif(not REALMEDIA.is_dir(), reason="no ../shared/realmedia here")
@pytest.mark.parametrize("path", _real_files(), ids=lambda p: p.name)
def test_real_files_agree_with_pyav(path: Path) -> None:
    with av.open(str(path)) as container:
        has_video = bool(container.streams.video)
    if not has_video:  # said as MediaInfo says it, without MediaInfo
        theirs = mediainfo_facts(path)
        assert isinstance(theirs, UnreadableMediaError)
        with pytest.raises(UnreadableMediaError, match=f"^{re.escape(str(theirs))}$"):
            header_facts(path)
        return
    facts = header_facts(path)
    if facts is None:  # left to MediaInfo: only what this reader must not read
        data = path.read_bytes()
        find(data, [SEGMENT, TRACKS, TRACK_ENTRY, CONTENT_ENCODINGS])  # KeyError: not encrypted
        return
    assert has_video
    agree_with_pyav(facts, pyav_truth(path))
    assert inspect(path) == facts


def test_real_files_are_there_when_the_folder_is() -> None:
    if not REALMEDIA.is_dir():
        pytest.skip("no ../shared/realmedia here")
    assert _real_files(), "../shared/realmedia holds no MKV or WebM file"
