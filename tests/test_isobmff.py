"""The header-only MP4/MOV reader: the same facts as MediaInfo, or ``None``, never a crash.

Differential: every clip of a corpus encoded at test time, and byte-level variants of real clips
(time scales, sample durations, track durations, brands, matrices, file sizes, cuts), must give
exactly what ``video.video_facts(video.probe(path))`` gives, or ``None`` (then ``inspect`` asks
MediaInfo). Hand-built boxes check the bounds: no input makes the reader raise, loop, or read
past the file or its budget.
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import features

from mediarules.inspection import UnreadableMediaError, images, inspect, isobmff, video
from mediarules.models import MediaFacts
from tests.media import _write_silence, has_encoder, make_clip, make_image

# ---------------------------------------------------------------------------------------------
# helpers


def mediainfo_facts(path: Path) -> MediaFacts | UnreadableMediaError:
    """What the MediaInfo path says about ``path`` (the reference)."""
    try:
        return video.video_facts(video.probe(str(path)), path=str(path), size=path.stat().st_size)
    except UnreadableMediaError as exc:
        return exc


def with_brand(
    facts: MediaFacts | UnreadableMediaError, path: Path
) -> MediaFacts | UnreadableMediaError:
    """``facts`` with the raw major brand the header reader and ``inspect`` add (MediaInfo's
    facts lack it)."""
    found = isobmff.file_type(path.read_bytes()[: isobmff.HEAD_BYTES])
    if isinstance(facts, UnreadableMediaError) or found is None:
        return facts
    return facts.model_copy(update={"brand": found.major_brand})


def pyav_bit_depth(path: Path) -> int | None:
    """Bits per sample of the first video stream's pixel format, as FFmpeg decodes it."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return stream.format.components[0].bits if stream.format is not None else None


def reference(path: Path) -> MediaFacts | UnreadableMediaError:
    """MediaInfo's facts with the brand the readers add, and with what MediaInfo does not
    read from the header taken from PyAV: the bit depth a VP9 ``vpcC`` box states (MediaInfo
    reports none for VP9 in MP4)."""
    facts = with_brand(mediainfo_facts(path), path)
    if isinstance(facts, MediaFacts) and facts.video_codec == "vp9" and facts.bit_depth is None:
        return facts.model_copy(update={"bit_depth": pyav_bit_depth(path)})
    return facts


def header_facts(path: Path) -> MediaFacts | None:
    return isobmff.read_video_facts(str(path), size=path.stat().st_size)


def agree(path: Path, *, must_answer: bool = False) -> MediaFacts | None:
    """The reader's facts for ``path``, checked against MediaInfo's; ``None`` if it passed."""
    ours = header_facts(path)
    if ours is None:
        assert not must_answer, f"the header reader gave up on {path.name}"
        return None
    theirs = reference(path)
    assert isinstance(theirs, MediaFacts), f"MediaInfo: {theirs!r}, reader: {ours!r}"
    assert ours.model_dump() == theirs.model_dump()
    return ours


def find_box(data: bytes | bytearray, path: Sequence[str | int]) -> tuple[int, int, int]:
    """(offset, header length, size) of the box at ``path``, like ``["moov", "trak", 1, "tkhd"]``
    (an integer picks the n-th box of the type named before it)."""
    start, end, step = 0, len(data), 0
    while step < len(path):
        name = str(path[step]).encode()
        wanted = 0
        if step + 1 < len(path) and isinstance(path[step + 1], int):
            wanted = int(path[step + 1])
            step += 1
        pos, seen = start, 0
        while True:
            if pos + 8 > end:
                raise KeyError(path)
            size, kind = struct.unpack_from(">I4s", data, pos)
            head = 8
            if size == 1:
                (size,) = struct.unpack_from(">Q", data, pos + 8)
                head = 16
            if kind == name:
                if seen == wanted:
                    break
                seen += 1
            pos += size
        step += 1
        if step == len(path):
            return pos, head, size
        start, end = pos + head, pos + size
    raise KeyError(path)


def replace_box(data: bytearray, path: Sequence[str | int], new: bytes) -> None:
    """Put ``new`` (a whole box) in place of the box at ``path``, resizing its ancestors."""
    offset, _, size = find_box(data, path)
    names = [i for i, part in enumerate(path) if isinstance(part, str)]
    for i in names[:-1]:  # each ancestor, outermost first
        ancestor = list(path[: i + 1])
        if isinstance(path[i + 1], int):
            ancestor.append(path[i + 1])
        parent, _, parent_size = find_box(data, ancestor)
        struct.pack_into(">I", data, parent, parent_size + len(new) - size)
    data[offset : offset + size] = new


def box(kind: bytes, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return struct.pack(">I4s", 8 + len(body), kind) + body


def full_box(kind: bytes, *parts: bytes, version: int = 0) -> bytes:
    return box(kind, struct.pack(">I", version << 24), *parts)


def stts(entries: Sequence[tuple[int, int]]) -> bytes:
    table = b"".join(struct.pack(">II", count, delta) for count, delta in entries)
    return full_box(b"stts", struct.pack(">I", len(entries)), table)


def set_track_duration(data: bytearray, track: int, ticks: int) -> None:
    """Write ``ticks`` as the track header's duration and as its one edit's (FFmpeg writes an
    edit list per track; a header and edits that disagree make a different presentation)."""
    tkhd, head, _ = find_box(data, ["moov", "trak", track, "tkhd"])
    struct.pack_into(">I", data, tkhd + head + 20, ticks)
    with contextlib.suppress(KeyError):
        elst, head, _ = find_box(data, ["moov", "trak", track, "edts", "elst"])
        assert data[elst + head] == 0 and struct.unpack_from(">I", data, elst + head + 4) == (1,)
        struct.pack_into(">I", data, elst + head + 8, ticks)


def matrix(a: int, b: int, c: int, d: int) -> bytes:
    return struct.pack(">9i", a, b, 0, c, d, 0, 0, 0, 0x40000000)


# ---------------------------------------------------------------------------------------------
# the corpus: real clips, made once

CORPUS: dict[str, dict[str, Any]] = {
    "h264-24.mp4": {"fps": 24, "audio": "aac"},
    "h264-25.mov": {"fps": 25},
    "h264-ntsc30.mp4": {"fps": Fraction(30000, 1001), "audio": "aac"},
    "h264-60.mov": {"fps": 60, "audio": "aac"},
    "h264-23.976.mp4": {"fps": Fraction(23976, 1000)},  # 23.976 exactly, not 24000/1001
    "h264-ntsc24.mov": {"fps": Fraction(24000, 1001), "audio": "aac"},
    "h264-15.mp4": {"fps": 15, "audio": "aac"},
    "hevc-30.mp4": {"codec": "libx265"},
    "hevc-25.mov": {"codec": "libx265", "fps": 25, "audio": "aac"},
    "mpeg4-25.mp4": {"codec": "mpeg4", "fps": 25, "audio": "aac"},
    "mpeg4-30.mov": {"codec": "mpeg4"},
    "rotate-90.mp4": {"rotation": 90},
    "rotate-180.mov": {"rotation": 180, "audio": "aac"},
    "rotate-270.mp4": {"rotation": 270},
    "faststart.mp4": {"faststart": True, "audio": "aac"},
    "faststart.mov": {"faststart": True},
    "bframes.mp4": {"codec_options": {"bf": "3"}, "frames": 30, "audio": "aac"},  # edit list
    "odd-66x50.mp4": {"size": (66, 50)},
    "odd-130x98.mov": {"size": (130, 98), "audio": "aac"},
    "vfr.mp4": {"timestamps_ms": [0, 33, 66, 133, 166, 200, 300, 333, 366, 400]},
    "vfr.mov": {"timestamps_ms": [0, 40, 80, 120, 200, 240, 280, 400], "audio": "aac"},
    "vp9-opus.mp4": {"codec": "libvpx-vp9", "audio": "libopus"},
    "ac3.mp4": {"audio": "ac3"},
    "eac3.mov": {"audio": "eac3"},
    "flac.mp4": {"audio": "flac"},
    "alac.mov": {"audio": "alac"},
    "pcm.mov": {"audio": "pcm_s16le"},
    "pcm.mp4": {"audio": "pcm_s16le"},  # ipcm
    "alaw.mov": {"audio": "pcm_alaw"},
    "mp3.mov": {"audio": "libmp3lame"},
    "prores.mov": {"codec": "prores", "pix_fmt": "yuv422p10le"},
    "mjpeg.mov": {"codec": "mjpeg", "pix_fmt": "yuvj420p"},
    "h263.3gp": {"codec": "h263", "size": (128, 96), "fps": 15, "container": "3gp"},
    "h264.3gp": {"fps": 15, "container": "3gp", "audio": "aac"},
    "h264.m4v": {"container": "ipod", "audio": "aac"},
    "long.mp4": {"frames": 240, "audio": "aac"},
    "timecode.mov": {"fps": 25, "timecode": "01:00:00:00", "audio": "aac"},  # a tmcd track
}
UNDERSTOOD_ELSEWHERE = {
    "mp3.mp4": {"audio": "libmp3lame"},  # mp4a with object type 0x6B: the layer is in the data
    "fpcm.mp4": {"audio": "pcm_f32le"},  # MediaInfo has no name for it but "fpcm"
}


def _encoders(options: dict[str, Any]) -> list[str]:
    return [options.get("codec", "libx264"), *([options["audio"]] if "audio" in options else [])]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("isobmff")
    made = {}
    for name, options in {**CORPUS, **UNDERSTOOD_ELSEWHERE}.items():
        if all(has_encoder(encoder) for encoder in _encoders(options)):
            made[name] = make_clip(folder / name, **options)
    return made


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One file that hypothesis examples overwrite (they run one after another)."""
    return tmp_path_factory.mktemp("variants") / "variant.mp4"


def _clip(corpus: dict[str, Path], name: str) -> Path:
    if name not in corpus:
        pytest.skip(f"this PyAV cannot encode {name}")
    return corpus[name]


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_field_matches_mediainfo(corpus: dict[str, Path], name: str) -> None:
    facts = agree(_clip(corpus, name), must_answer=True)
    assert facts is not None and facts.kind == "video"


@pytest.mark.parametrize("name", sorted(UNDERSTOOD_ELSEWHERE))
def test_what_only_mediainfo_can_tell_is_left_to_it(corpus: dict[str, Path], name: str) -> None:
    path = _clip(corpus, name)
    assert header_facts(path) is None
    assert inspect(path) == with_brand(mediainfo_facts(path), path)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_inspect_reads_mp4_and_mov_without_pillow_or_mediainfo(
    corpus: dict[str, Path], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _clip(corpus, name)
    expected = reference(path)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the header reader should have answered")

    monkeypatch.setattr(images, "inspect_open_image", refuse)
    monkeypatch.setattr(video, "probe", refuse)
    assert inspect(path) == expected


@pytest.mark.parametrize(
    ("name", "field", "value"),
    [
        ("h264-ntsc30.mp4", "fps", Fraction(30000, 1001)),
        ("h264-23.976.mp4", "fps", Fraction(2997, 125)),
        ("h264-15.mp4", "audio_codec", "aac"),
        ("rotate-90.mp4", "rotation", 90),
        ("rotate-180.mov", "rotation", 180),
        ("rotate-270.mp4", "rotation", 270),
        ("vfr.mp4", "variable_frame_rate", True),
        ("faststart.mov", "format", "mov"),
        ("h264.3gp", "format", "mp4"),
        ("odd-66x50.mp4", "width", 66),
        ("hevc-25.mov", "video_codec", "hevc"),
        ("mpeg4-25.mp4", "video_codec", "mpeg4"),
        ("mp3.mov", "audio_codec", "mp3"),
    ],
)
def test_the_corpus_covers_what_it_claims(
    corpus: dict[str, Path], name: str, field: str, value: object
) -> None:
    """The differential test proves agreement; these pin that the interesting cases exist."""
    facts = header_facts(_clip(corpus, name))
    assert facts is not None and getattr(facts, field) == value


def test_the_corpus_has_edit_lists_and_both_moov_places(corpus: dict[str, Path]) -> None:
    find_box(_clip(corpus, "bframes.mp4").read_bytes(), ["moov", "trak", 0, "edts", "elst"])
    for name, moov_first in (("faststart.mp4", True), ("h264-24.mp4", False)):
        data = _clip(corpus, name).read_bytes()
        assert (find_box(data, ["moov"])[0] < find_box(data, ["mdat"])[0]) is moov_first


# ---------------------------------------------------------------------------------------------
# byte-level variants of real clips, against MediaInfo

STANDARD_RATES = [Fraction(n) for n in (10, 12, 15, 24, 25, 30, 48, 50, 60, 120)] + [
    Fraction(n * 1000, 1001) for n in (12, 15, 24, 30, 48, 60)
]


@st.composite
def sample_tables(draw: st.DrawFn) -> tuple[int, list[tuple[int, int]]]:
    """A media time scale and a time-to-sample table: constant, almost constant (one odd first
    or last sample), irregular, or anything; rates near the standard ones MediaInfo snaps to."""
    timescale = draw(
        st.one_of(
            st.sampled_from([600, 1000, 12800, 15360, 24000, 30000, 90000, 1_000_000]),
            st.integers(1, 2**31 - 1),
        )
    )
    near = Fraction(draw(st.integers(-3000, 3000)), 1_000_000)  # within 0.3 %
    rate = draw(st.sampled_from(STANDARD_RATES)) * (1 + near)
    delta = max(1, round(timescale / rate))
    shape = draw(st.sampled_from(["constant", "first", "last", "both", "jitter", "any"]))
    odd = st.integers(max(1, delta - 50), delta + 50)
    if shape == "constant":
        entries = [(draw(st.integers(1, 40)), delta)]
    elif shape in ("first", "last", "both"):
        entries = [(draw(st.integers(1, 40)), delta)]
        if shape in ("first", "both"):
            entries.insert(0, (1, draw(odd)))
        if shape in ("last", "both"):
            entries.append((1, draw(odd)))
    elif shape == "jitter":
        entries = draw(st.lists(st.tuples(st.integers(1, 5), odd), min_size=1, max_size=6))
    else:
        entries = draw(
            st.lists(
                st.tuples(st.integers(1, 5), st.integers(1, 2**31 - 1)), min_size=1, max_size=4
            )
        )
    return timescale, entries


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=sample_tables())
def test_frame_rate_and_its_mode_match_mediainfo(
    corpus: dict[str, Path], scratch: Path, table: tuple[int, list[tuple[int, int]]]
) -> None:
    timescale, entries = table
    data = bytearray(_clip(corpus, "h264-ntsc30.mp4").read_bytes())
    mdhd, head, _ = find_box(data, ["moov", "trak", 0, "mdia", "mdhd"])
    struct.pack_into(">I", data, mdhd + head + 12, timescale)
    replace_box(data, ["moov", "trak", 0, "mdia", "minf", "stbl", "stts"], stts(entries))
    scratch.write_bytes(data)
    agree(scratch, must_answer=True)


@settings(max_examples=40, deadline=None)
@given(
    movie_timescale=st.one_of(st.sampled_from([600, 1000, 90000]), st.integers(1, 2**32 - 1)),
    video_ticks=st.one_of(st.integers(1, 2**32 - 2), st.integers(2**24 - 4, 2**24 + 4)),
    audio_ticks=st.integers(1, 2**32 - 2),
)
def test_durations_and_bit_rate_match_mediainfo(
    corpus: dict[str, Path], scratch: Path, movie_timescale: int, video_ticks: int, audio_ticks: int
) -> None:
    """Track durations in the movie time scale, as MediaInfo rounds them (single precision:
    2**24 + 1 ticks of 1 ms are 2**24 ms)."""
    data = bytearray(_clip(corpus, "h264-24.mp4").read_bytes())
    mvhd, head, _ = find_box(data, ["moov", "mvhd"])
    struct.pack_into(">I", data, mvhd + head + 12, movie_timescale)
    for track, ticks in ((0, video_ticks), (1, audio_ticks)):
        set_track_duration(data, track, ticks)
    scratch.write_bytes(data)
    # Under half a millisecond, MediaInfo has no duration and no bit rate: it decides.
    agree(scratch, must_answer=max(video_ticks, audio_ticks) * 1000 >= 2 * movie_timescale)


@settings(max_examples=40, deadline=None)
@given(
    seconds=st.one_of(st.floats(0.5, 60), st.floats(3600, 48 * 3600)),
    movie_timescale=st.sampled_from([600, 1000, 90000, 44100, 12800]),
    media_timescale=st.sampled_from([600, 1000, 15360, 30000, 90000]),
    frame_ticks=st.integers(4, 4000),
    skew=st.sampled_from([0, 0, 1, -1, 7]),
    in_media_scale=st.booleans(),
)
def test_long_consistent_durations_match_mediainfo(
    corpus: dict[str, Path],
    scratch: Path,
    seconds: float,
    movie_timescale: int,
    media_timescale: int,
    frame_ticks: int,
    skew: int,
    in_media_scale: bool,
) -> None:
    """Headers that agree with the samples (up to ``skew`` ticks), up to two days long: past
    2**24 ms MediaInfo's double-precision path differs from its single-precision one. Some
    muxers write the track duration in the media time scale: MediaInfo rescales it."""
    data = bytearray(_clip(corpus, "h264-24.mp4").read_bytes())
    frames = max(1, round(seconds * media_timescale / frame_ticks))
    mvhd, head, _ = find_box(data, ["moov", "mvhd"])
    struct.pack_into(">I", data, mvhd + head + 12, movie_timescale)
    media_ticks = frames * frame_ticks
    track_ticks = skew + (
        media_ticks if in_media_scale else round(media_ticks * movie_timescale / media_timescale)
    )
    for track in (0, 1):
        set_track_duration(data, track, max(1, min(track_ticks, 2**32 - 2)))
    mdhd, head, _ = find_box(data, ["moov", "trak", 0, "mdia", "mdhd"])
    struct.pack_into(">II", data, mdhd + head + 12, media_timescale, media_ticks % 2**32)
    replace_box(
        data, ["moov", "trak", 0, "mdia", "minf", "stbl", "stts"], stts([(frames, frame_ticks)])
    )
    scratch.write_bytes(data)
    agree(scratch, must_answer=True)


@settings(max_examples=8, deadline=None)
@given(
    extra=st.one_of(
        st.integers(16, 2**20), st.integers(2**32 - 64, 2**32 + 64), st.integers(16, 6 * 10**9)
    )
)
def test_bit_rate_of_a_big_file_matches_mediainfo(
    corpus: dict[str, Path], scratch: Path, extra: int
) -> None:
    """A sparse ``free`` box with a 64-bit size makes a file of gigabytes without writing them."""
    data = _clip(corpus, "long.mp4").read_bytes()
    with open(scratch, "wb") as file:
        file.write(data + struct.pack(">I4sQ", 1, b"free", extra))
        file.truncate(len(data) + extra)
    try:
        agree(scratch, must_answer=True)
    finally:
        scratch.unlink()


MPEG4_BRANDS = sorted(b.decode() for b in isobmff._MPEG4_BRANDS)


@settings(max_examples=30, deadline=None)
@given(
    brand=st.one_of(
        st.sampled_from(MPEG4_BRANDS),
        st.sampled_from(["iso6", "iso3", "XAVC", "dash", "crx ", "QT  ", "heic", "avif", "mif1"]),
        st.binary(min_size=4, max_size=4),
    )
)
def test_the_container_name_follows_the_brand_as_mediainfo_does(
    corpus: dict[str, Path], scratch: Path, brand: str | bytes
) -> None:
    raw = brand.encode("latin-1") if isinstance(brand, str) else brand
    data = bytearray(_clip(corpus, "h264-ntsc30.mp4").read_bytes())
    data[8:12] = raw
    scratch.write_bytes(data)
    facts = agree(scratch, must_answer=brand in MPEG4_BRANDS)
    if facts is not None:  # MediaInfo (and so the reader) trims spaces: b"  qt" is QuickTime too
        assert facts.format == ("mov" if raw.strip(b" ") == b"qt" else "mp4")


def test_a_quicktime_file_without_ftyp_is_a_mov(corpus: dict[str, Path], scratch: Path) -> None:
    data = bytearray(_clip(corpus, "h264-60.mov").read_bytes())
    for first in (b"free", b"wide", b"skip"):
        data[4:8] = first  # the ftyp box becomes padding, as in QuickTime files before 2001
        scratch.write_bytes(data)
        facts = agree(scratch, must_answer=True)
        assert facts is not None and facts.format == "mov"
    data = bytearray(_clip(corpus, "faststart.mp4").read_bytes())
    _, _, ftyp = find_box(data, ["ftyp"])
    del data[:ftyp]  # moov first; the chunk offsets move with the data
    for track in (0, 1):
        stco, head, _ = find_box(data, ["moov", "trak", track, "mdia", "minf", "stbl", "stco"])
        (count,) = struct.unpack_from(">I", data, stco + head + 4)
        for at in range(stco + head + 8, stco + head + 8 + 4 * count, 4):
            struct.pack_into(">I", data, at, struct.unpack_from(">I", data, at)[0] - ftyp)
    scratch.write_bytes(data)
    facts = agree(scratch, must_answer=True)
    assert facts is not None and facts.format == "mov"


@settings(max_examples=15, deadline=None)
@given(
    name=st.sampled_from(["h264-24.mp4", "hevc-30.mp4", "mpeg4-30.mov", "prores.mov"]),
    size=st.tuples(st.integers(1, 65535), st.integers(1, 65535)),
)
def test_the_stored_size_is_the_sample_description_s(
    corpus: dict[str, Path], scratch: Path, name: str, size: tuple[int, int]
) -> None:
    """MediaInfo reports the sample entry's width and height, even against the codec's own."""
    data = bytearray(_clip(corpus, name).read_bytes())
    stsd, head, _ = find_box(data, ["moov", "trak", 0, "mdia", "minf", "stbl", "stsd"])
    struct.pack_into(">HH", data, stsd + head + 16 + 24, *size)
    scratch.write_bytes(data)
    facts = agree(scratch, must_answer=True)
    assert facts is not None and (facts.width, facts.height) == size


@pytest.mark.parametrize(
    ("name", "old", "new", "understood"),
    [
        ("hevc-30.mp4", b"hev1", b"hvc1", True),  # what iPhones write
        ("hevc-25.mov", b"hev1", b"hvc1", True),
        ("h264-24.mp4", b"avc1", b"avc3", True),
        ("h264-24.mp4", b"avc1", b"avc2", False),
        ("hevc-30.mp4", b"hev1", b"dvhe", False),  # Dolby Vision
        ("h264-24.mp4", b"avc1", b"encv", False),
    ],
)
def test_sample_entry_codes(
    corpus: dict[str, Path], scratch: Path, name: str, old: bytes, new: bytes, understood: bool
) -> None:
    data = bytearray(_clip(corpus, name).read_bytes())
    stsd, head, _ = find_box(data, ["moov", "trak", 0, "mdia", "minf", "stbl", "stsd"])
    assert data[stsd + head + 12 : stsd + head + 16] == old
    data[stsd + head + 12 : stsd + head + 16] = new
    scratch.write_bytes(data)
    assert (agree(scratch, must_answer=understood) is not None) is understood


ONE = 0x10000


@settings(max_examples=25, deadline=None)
@given(
    abcd=st.one_of(
        st.sampled_from(
            [(ONE, 0, 0, ONE), (0, ONE, -ONE, 0), (-ONE, 0, 0, -ONE), (0, -ONE, ONE, 0)]
        ),
        st.tuples(*[st.sampled_from([0, ONE, -ONE, 2 * ONE, ONE // 2, 0x7FFFFFFF])] * 4),
    )
)
def test_rotation_matches_mediainfo(
    corpus: dict[str, Path], scratch: Path, abcd: tuple[int, int, int, int]
) -> None:
    """Quarter turns are read; mirrors, scaling and skew are left to MediaInfo."""
    data = bytearray(_clip(corpus, "h264-25.mov").read_bytes())
    tkhd, head, _ = find_box(data, ["moov", "trak", 0, "tkhd"])
    data[tkhd + head + 40 : tkhd + head + 76] = matrix(*abcd)
    scratch.write_bytes(data)
    a, b, c, d = abcd
    quarter_turn = {abs(a), abs(b)} == {0, ONE} and (c, d) == (-b, a)
    agree(scratch, must_answer=quarter_turn)


@pytest.mark.parametrize("name", ["faststart.mp4", "h264-24.mp4", "faststart.mov"])
def test_a_cut_file_is_left_to_mediainfo_unless_it_is_whole_for_it(
    corpus: dict[str, Path], scratch: Path, name: str
) -> None:
    """Cut anywhere: the reader answers only what MediaInfo answers (a faststart file cut right
    after its moov is a whole video to MediaInfo too), and never for a truncated file."""
    data = _clip(corpus, name).read_bytes()
    cuts = sorted({*range(1, 80), *range(80, len(data), max(1, len(data) // 60))})
    answered = 0
    for cut in cuts:
        scratch.write_bytes(data[:cut])
        if agree(scratch) is not None:
            answered += 1
            assert not isinstance(mediainfo_facts(scratch), UnreadableMediaError)
    moov_end = sum(find_box(data, ["moov"])[::2])
    assert answered <= sum(1 for cut in cuts if cut >= moov_end)


# ---------------------------------------------------------------------------------------------
# routing: images and audio stay on the old path


@pytest.mark.skipif(features.check("avif") is not True, reason="Pillow built without AVIF")
def test_avif_images_still_go_to_pillow(tmp_path: Path) -> None:
    path = make_image(tmp_path / "photo.avif", format="AVIF")
    assert header_facts(path) is None
    facts = inspect(path)
    assert (facts.kind, facts.format) == ("image", "avif")


@pytest.mark.parametrize("brand", [b"heic", b"mif1", b"avif", b"avis", b"msf1"])
def test_heif_brands_are_not_the_readers(
    corpus: dict[str, Path], scratch: Path, brand: bytes
) -> None:
    data = bytearray(_clip(corpus, "h264-24.mp4").read_bytes())
    data[8:12] = brand
    scratch.write_bytes(data)
    assert header_facts(scratch) is None
    data[8:12] = b"isom"
    data[16:20] = brand  # a compatible brand says image too
    scratch.write_bytes(data)
    assert header_facts(scratch) is None


def test_audio_only_is_left_to_the_usual_path(tmp_path: Path) -> None:
    path = tmp_path / "voice.m4a"
    with av.open(str(path), "w", format="mp4") as output:
        stream = output.add_stream("aac", rate=48000)
        stream.layout = "mono"
        _write_silence(output, stream, seconds=0.3)
    assert header_facts(path) is None
    with pytest.raises(UnreadableMediaError, match="audio only"):
        inspect(path)


@pytest.mark.parametrize(
    "head", [b"\xff\xd8\xff\xe0", b"\x89PNG\r\n\x1a\n", b"RIFF\0\0\0\0WEBP", b"", b"\0\0\0"]
)
def test_other_files_are_not_the_readers(tmp_path: Path, head: bytes) -> None:
    path = tmp_path / "x"
    path.write_bytes(head + b"\0" * 40)
    assert header_facts(path) is None


# ---------------------------------------------------------------------------------------------
# hand-built files: the bounds

AVC1 = box(
    b"avc1",
    bytes(6) + struct.pack(">H", 1) + bytes(16),
    struct.pack(">HHIIIH", 64, 48, 0x480000, 0x480000, 0, 1),
    bytes(32) + struct.pack(">Hh", 0x18, -1),
    box(b"avcC", bytes.fromhex("0164000affe1000467640a00010004")),
)


def descriptor(tag: int, *parts: bytes) -> bytes:
    """An MPEG-4 descriptor with a one-byte length."""
    body = b"".join(parts)
    return bytes([tag, len(body)]) + body


ESDS = full_box(
    b"esds",
    descriptor(
        0x03,  # ES_Descriptor: ES_ID, no flags
        struct.pack(">HB", 1, 0),
        descriptor(0x04, bytes([0x40, 0x15]) + bytes(11), descriptor(0x05, b"\x11\x88")),  # AAC LC
        descriptor(0x06, b"\x02"),
    ),
)

MP4A = box(
    b"mp4a",
    bytes(6) + struct.pack(">H", 1) + bytes(8),
    struct.pack(">HHHHI", 1, 16, 0, 0, 48000 << 16),
    ESDS,
)


def track(
    handler: bytes,
    entry: bytes,
    *,
    ticks: int = 1000,
    timescale: int = 1000,
    table: Sequence[tuple[int, int]] = ((10, 100),),
    times: bytes | None = None,
    turn: tuple[int, int, int, int] = (ONE, 0, 0, ONE),
) -> bytes:
    """A ``trak`` box: ``ticks`` long in the movie time scale, ``table`` as its ``stts``."""
    tkhd = full_box(
        b"tkhd",
        struct.pack(">IIIII", 0, 0, 1, 0, ticks),
        bytes(8) + struct.pack(">hhhH", 0, 0, 0, 0),
        matrix(*turn),
        struct.pack(">II", 64 << 16, 48 << 16),
    )
    mdhd = full_box(b"mdhd", struct.pack(">IIIIHH", 0, 0, timescale, 1000, 0x55C4, 0))
    hdlr = full_box(b"hdlr", bytes(4) + handler + bytes(12) + b"\0")
    stsd = full_box(b"stsd", struct.pack(">I", 1), entry)
    sizes, offsets = full_box(b"stsz", bytes(8)), full_box(b"stco", bytes(4))
    stbl = box(b"stbl", stsd, stts(table) if times is None else times, sizes, offsets)
    return box(b"trak", tkhd, box(b"mdia", mdhd, hdlr, box(b"minf", stbl)))


def movie(*tracks: bytes, timescale: int = 1000) -> bytes:
    mvhd = full_box(
        b"mvhd",
        struct.pack(">IIII", 0, 0, timescale, 1000),
        struct.pack(">iH", ONE, 0x100) + bytes(10),
        matrix(ONE, 0, 0, ONE),
        bytes(24) + struct.pack(">I", 3),
    )
    return box(b"moov", mvhd, *tracks)


FTYP = box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isomiso2avc1mp41")
VIDEO = track(b"vide", AVC1)
SOUND = track(b"soun", MP4A, timescale=48000, table=((47, 1024),))
MDAT = box(b"mdat", bytes(64))


def read_bytes(path: Path, data: bytes) -> MediaFacts | None:
    path.write_bytes(data)
    return isobmff.read_video_facts(str(path), size=len(data))


def test_a_hand_built_file_is_read(scratch: Path) -> None:
    data = FTYP + movie(VIDEO, SOUND) + MDAT
    facts = read_bytes(scratch, data)
    assert facts == MediaFacts(
        path=str(scratch),
        kind="video",
        format="mp4",
        size=len(data),
        width=64,
        height=48,
        fps=Fraction(10),
        variable_frame_rate=False,
        duration_s=1.0,
        video_codec="h264",
        audio_codec="aac",
        bit_rate=len(data) * 8,
        rotation=0,
        brand="isom",
        audio_sample_rate=48000,
        dolby_vision=False,  # (its avcC's SPS is cut short: no bit depth)
    )
    moov_last = FTYP + MDAT + movie(VIDEO, SOUND)
    assert read_bytes(scratch, moov_last) == facts.model_copy(update={"size": len(moov_last)})


def _with_largesize(data: bytes, kind: bytes, size: int) -> bytes:
    """``data`` with the box ``kind`` given a 64-bit size field holding ``size``."""
    at = data.index(kind) - 4
    return data[:at] + struct.pack(">I4sQ", 1, kind, size) + data[at + 8 :]


WHOLE = FTYP + movie(VIDEO) + MDAT
LYING_STTS = full_box(b"stts", struct.pack(">III", 0x20000000, 10, 100))  # 4 GiB of entries?

HOSTILE = {
    "moov past the end": FTYP + movie(VIDEO)[:-9],
    "no moov": FTYP + MDAT,
    "mdat past the end": WHOLE[:-1],
    "two moov": FTYP + movie(VIDEO) + movie(VIDEO) + MDAT,
    "fragments": WHOLE + box(b"moof", bytes(8)),
    "fragmented movie": FTYP + box(b"moov", movie(VIDEO)[8:], box(b"mvex", bytes(8))) + MDAT,
    "unknown top box": WHOLE + box(b"junk", bytes(8)),
    "trailing bytes": WHOLE + b"\0\0\0",
    "size 0 inside moov": FTYP + box(b"moov", movie(VIDEO)[8:], struct.pack(">I4s", 0, b"free")),
    "size below its header": FTYP + movie(VIDEO, struct.pack(">I4s", 4, b"free")) + MDAT,
    "largesize 2**64-1": _with_largesize(WHOLE, b"moov", 2**64 - 1),
    "largesize below 16": _with_largesize(WHOLE, b"mdat", 12),
    "stts count past its box": FTYP + movie(track(b"vide", AVC1, times=LYING_STTS)) + MDAT,
    "empty stts": FTYP + movie(track(b"vide", AVC1, table=())) + MDAT,
    "zero sample delta": FTYP + movie(track(b"vide", AVC1, table=((10, 0),))) + MDAT,
    "negative sample delta": FTYP + movie(track(b"vide", AVC1, table=((10, 2**31),))) + MDAT,
    "zero media time scale": FTYP + movie(track(b"vide", AVC1, timescale=0)) + MDAT,
    "zero movie time scale": FTYP + movie(VIDEO, timescale=0) + MDAT,
    "zero track duration": FTYP + movie(track(b"vide", AVC1, ticks=0)) + MDAT,
    "unknown track duration": FTYP + movie(track(b"vide", AVC1, ticks=0xFFFFFFFF)) + MDAT,
    "encrypted video": FTYP + movie(track(b"vide", AVC1.replace(b"avc1", b"encv", 1))) + MDAT,
    "unknown codec": FTYP + movie(track(b"vide", AVC1.replace(b"avc1", b"xyz1", 1))) + MDAT,
    "encrypted audio": FTYP + movie(VIDEO, SOUND.replace(b"mp4a", b"enca", 1)) + MDAT,
    "two video tracks": FTYP + movie(VIDEO, VIDEO) + MDAT,
    "no video track": FTYP + movie(SOUND) + MDAT,
    "unknown track kind": FTYP + movie(VIDEO, track(b"zzzz", AVC1)) + MDAT,
    "mirrored": FTYP + movie(track(b"vide", AVC1, turn=(-ONE, 0, 0, ONE))) + MDAT,
    "sample entry past stsd": FTYP
    + movie(track(b"vide", struct.pack(">I", 9999) + AVC1[4:]))
    + MDAT,
    "empty movie header": FTYP + box(b"moov", box(b"mvhd"), VIDEO) + MDAT,
    "many tiny boxes": FTYP + box(b"moov", struct.pack(">I4s", 8, b"free") * 30_000) + MDAT,
    "heic brand": box(b"ftyp", b"heic", bytes(4), b"mif1heic") + movie(VIDEO) + MDAT,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_anything_unusual_is_left_to_mediainfo(scratch: Path, name: str) -> None:
    assert read_bytes(scratch, HOSTILE[name]) is None


def test_a_harmless_timecode_track_does_not_stop_the_reader(scratch: Path) -> None:
    facts = read_bytes(scratch, FTYP + movie(VIDEO, track(b"tmcd", b"", ticks=1000)) + MDAT)
    assert facts is not None and facts.duration_s == 1.0


def test_a_longer_timecode_track_does_not_lengthen_the_video(scratch: Path) -> None:
    """Intentional difference: MediaInfo's General duration is the longest track's, here a
    5 s timecode track; players present the audio and video, 1 s."""
    path = scratch.with_name("timecode.mp4")
    facts = read_bytes(path, FTYP + movie(VIDEO, track(b"tmcd", b"", ticks=5000)) + MDAT)
    assert facts is not None and facts.duration_s == 1.0
    theirs = mediainfo_facts(path)
    assert isinstance(theirs, MediaFacts) and theirs.duration_s == 5.0


def test_reads_stay_within_the_budget(scratch: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A time-to-sample table larger than the read budget is not read at all."""
    monkeypatch.setattr(isobmff, "_MAX_READ", 1 << 16)
    table = [(1, 100 + i % 2) for i in range(10_000)]  # 80 kB
    assert read_bytes(scratch, FTYP + movie(track(b"vide", AVC1, table=table)) + MDAT) is None
    assert read_bytes(scratch, WHOLE) is not None


def test_a_file_that_cannot_be_opened_is_left_to_the_usual_path(tmp_path: Path) -> None:
    assert isobmff.read_video_facts(str(tmp_path / "gone.mp4"), size=100) is None
    assert isobmff.read_video_facts(str(tmp_path), size=100) is None


def _sane(facts: MediaFacts) -> None:
    assert facts.kind == "video" and facts.format in ("mp4", "mov")
    for value in (facts.width, facts.height, facts.bit_rate, facts.rotation, facts.size):
        assert isinstance(value, int) and value >= 0
    assert facts.fps is None or facts.fps > 0
    assert facts.duration_s is not None and 0 < facts.duration_s < float("inf")


@settings(max_examples=300, deadline=None)
@given(
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=6),
    cut=st.one_of(st.just(0), st.integers(1, 100)),
)
def test_mutated_files_never_break_the_reader(
    scratch: Path, flips: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(FTYP + movie(VIDEO, SOUND) + MDAT)
    for at, value in flips:
        data[at % len(data)] = value
    facts = read_bytes(scratch, bytes(data[: len(data) - cut]))
    if facts is not None:
        _sane(facts)


LEAVES: list[list[str | int]] = [
    ["moov", "mvhd"],
    *(
        ["moov", "trak", n, *inner]
        for n in (0, 1)
        for inner in (
            ["tkhd"],
            ["mdia", "mdhd"],
            ["mdia", "hdlr"],
            ["mdia", "minf", "stbl", "stsd"],
            ["mdia", "minf", "stbl", "stts"],
        )
    ),
]


@settings(max_examples=300, deadline=None)
@given(path=st.sampled_from(LEAVES), keep=st.integers(0, 120), junk=st.binary(max_size=12))
def test_a_box_cut_short_or_padded_never_breaks_the_reader(
    scratch: Path, path: list[str | int], keep: int, junk: bytes
) -> None:
    """Every field the reader reads, in a box too short for it (or with bytes to spare)."""
    data = bytearray(FTYP + movie(VIDEO, SOUND) + MDAT)
    offset, head, size = find_box(data, path)
    payload = bytes(data[offset + head : offset + size])
    replace_box(data, path, box(bytes(data[offset + 4 : offset + 8]), payload[:keep], junk))
    facts = read_bytes(scratch, bytes(data))
    if facts is not None:
        _sane(facts)


@settings(max_examples=200, deadline=None)
@given(tail=st.binary(max_size=600))
def test_random_boxes_after_a_brand_never_break_the_reader(scratch: Path, tail: bytes) -> None:
    facts = read_bytes(scratch, FTYP + tail)
    if facts is not None:
        _sane(facts)


def test_a_big_file_is_read_in_a_few_blocks(
    corpus: dict[str, Path], scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It seeks over the media data: a clip padded to 2 GiB (sparse) takes a block or two."""
    data = _clip(corpus, "h264-24.mp4").read_bytes()
    with open(scratch, "wb") as file:
        file.write(data + struct.pack(">I4sQ", 1, b"free", 2**31))
        file.truncate(len(data) + 2**31)
    reads: list[int] = []
    real_fill = isobmff._Source._fill

    def counting_fill(self: isobmff._Source, offset: int, length: int, *rest: int) -> None:
        real_fill(self, offset, length, *rest)
        reads.append(len(self._buffer))

    monkeypatch.setattr(isobmff._Source, "_fill", counting_fill)
    try:
        assert header_facts(scratch) is not None
    finally:
        scratch.unlink()
    assert len(reads) <= 2 and sum(reads) <= 2 * isobmff._BLOCK
