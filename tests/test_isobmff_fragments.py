"""Fragmented MP4s, odd brands and start offsets: read as players read them.

Files are made at test time with PyAV's MP4 muxer (``movflags`` ``frag_keyframe``,
``empty_moov``, ``dash``, ``global_sidx``...) and patched at the byte level (brands, edit
lists, a ``mehd`` box). The header reader must answer for them and agree with MediaInfo on
every field, except where MediaInfo is known to differ from what players show (each case says
why, and PyAV is the judge).
"""

from __future__ import annotations

import struct
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mediarules
from mediarules.inspection import UnreadableMediaError, fragments, inspect, isobmff, video
from mediarules.inspection.source import FileSource
from tests.deadline import within
from tests.media import make_clip, make_fragmented
from tests.test_isobmff import (
    agree,
    box,
    find_box,
    full_box,
    header_facts,
    mediainfo_facts,
    reference,
    replace_box,
)

FRAGMENTED: dict[str, dict[str, Any]] = {
    "empty-moov.mp4": {},
    "audio.mp4": {"audio": True},
    "default-base-moof.mp4": {"movflags": "frag_keyframe+empty_moov+default_base_moof"},
    "dash.mp4": {"movflags": "dash+frag_keyframe+empty_moov"},
    "global-sidx.mp4": {"movflags": "frag_keyframe+empty_moov+global_sidx", "audio": True},
    "separate-moof.mp4": {"movflags": "frag_keyframe+empty_moov+separate_moof", "audio": True},
    "many-fragments.mp4": {"codec_options": {"g": "5"}, "audio": True},
    "ntsc.mp4": {"fps": Fraction(30000, 1001), "frames": 60},
    "vfr.mp4": {"timestamps_ms": [0, 33, 66, 133, 166, 200, 300, 333, 366, 400, 433, 466]},
    "moov-samples.mp4": {"movflags": "frag_keyframe", "codec_options": {"bf": "0", "g": "30"}},
    "mov.mov": {"container": "mov"},
}


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("fragmented")
    return {name: make_fragmented(folder / name, **options) for name, options in FRAGMENTED.items()}


def count_boxes(data: bytes, kind: bytes) -> int:
    """Top-level boxes of ``kind``."""
    pos = found = 0
    while pos + 8 <= len(data):
        size, name = struct.unpack_from(">I4s", data, pos)
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, pos + 8)
        found += name == kind
        pos += size or len(data)
    return found


@pytest.mark.parametrize("name", sorted(FRAGMENTED))
def test_fragmented_files_are_read_from_their_fragments_and_agree_with_mediainfo(
    clips: dict[str, Path], name: str
) -> None:
    path = clips[name]
    assert count_boxes(path.read_bytes(), b"moof") >= 1
    facts = agree(path, must_answer=True)
    assert facts is not None and facts.format == ("mov" if name.endswith(".mov") else "mp4")


def test_the_fragment_corpus_covers_what_it_claims(clips: dict[str, Path]) -> None:
    data = {name: path.read_bytes() for name, path in clips.items()}
    assert count_boxes(data["many-fragments.mp4"], b"moof") >= 10
    assert count_boxes(data["dash.mp4"], b"sidx") >= 2
    assert count_boxes(data["global-sidx.mp4"], b"sidx") >= 1
    assert count_boxes(data["empty-moov.mp4"], b"mfra") == 1
    assert data["default-base-moof.mp4"][8:12] == b"iso5"
    stts, head, _ = find_box(
        data["moov-samples.mp4"], ["moov", "trak", "mdia", "minf", "stbl", "stts"]
    )
    assert struct.unpack_from(">I", data["moov-samples.mp4"], stts + head + 4)[0] > 0  # samples
    vfr = header_facts(clips["vfr.mp4"])
    assert vfr is not None and vfr.variable_frame_rate is True
    ntsc = header_facts(clips["ntsc.mp4"])
    assert ntsc is not None and ntsc.fps == Fraction(30000, 1001)


@pytest.mark.parametrize("name", ["empty-moov.mp4", "audio.mp4", "many-fragments.mp4"])
def test_fragmented_durations_match_pyav(clips: dict[str, Path], name: str) -> None:
    facts = header_facts(clips[name])
    with av.open(str(clips[name])) as container:
        assert container.duration is not None
        assert facts is not None and facts.duration_s == pytest.approx(
            container.duration / 1e6, abs=0.0015
        )


# ---------------------------------------------------------------------------------------------
# brands: the container comes from structure


def with_major_brand(source: Path, target: Path, brand: bytes) -> Path:
    data = bytearray(source.read_bytes())
    data[8:12] = brand
    target.write_bytes(data)
    return target


MP4_PLATFORMS = [
    key
    for key, platform in mediarules.default_rules().platforms.items()
    if platform.video and "mp4" in platform.video.containers
]


@pytest.mark.parametrize("brand", [b"iso6", b"ianb", b"dash", b"msdh", b"cmfc", b"wmf "])
@pytest.mark.parametrize("clip", ["empty-moov.mp4", "dash.mp4", "audio.mp4"])
def test_a_fragmented_file_of_any_brand_is_an_mp4_every_mp4_platform_takes(
    clips: dict[str, Path], tmp_path: Path, brand: bytes, clip: str
) -> None:
    path = with_major_brand(clips[clip], tmp_path / "upload.mp4", brand)
    facts = agree(path, must_answer=True)
    assert facts is not None and (facts.format, facts.brand) == ("mp4", brand.decode())
    report = mediarules.check([path], platforms=MP4_PLATFORMS)
    codes = {violation.code for violation in report.violations}
    assert not codes & {"media.format_mismatch", "video.container_not_allowed", "media.unreadable"}


# ---------------------------------------------------------------------------------------------
# durations: the presentation span, whatever the container


def test_the_same_frames_measure_the_same_in_every_container(tmp_path: Path) -> None:
    """90 frames at 30 fps are 3.0 s as MP4, MOV, fragmented MP4 and Matroska."""
    made = [
        make_clip(tmp_path / "clip.mp4", frames=90),
        make_clip(tmp_path / "clip.mov", frames=90),
        make_clip(tmp_path / "clip.mkv", frames=90, container="matroska"),
        make_fragmented(tmp_path / "fragmented.mp4"),
        make_fragmented(tmp_path / "fragmented.mov", container="mov"),
    ]
    assert {path.name: inspect(path).duration_s for path in made} == dict.fromkeys(
        (path.name for path in made), 3.0
    )


@pytest.mark.parametrize("name", ["late.mp4", "late.mov", "late-no-bframes.mp4"])
def test_a_video_whose_first_frame_is_at_10_s_lasts_as_long_as_its_frames(
    tmp_path: Path, name: str
) -> None:
    """FFmpeg writes a 10 s empty edit before 4 s of frames. Intentional difference: MediaInfo
    says 14 s (the track header counts the empty edit); PyAV presents 4 s from 10 s on."""
    path = make_fragmented(
        tmp_path / name,
        movflags="",
        frames=120,
        first=300,
        container=name[-3:],
        codec_options={"bf": "0"} if "no-bframes" in name else None,
    )
    elst, head, _ = find_box(path.read_bytes(), ["moov", "trak", "edts", "elst"])
    assert struct.unpack_from(">i", path.read_bytes(), elst + head + 12) == (-1,)  # empty edit
    facts = header_facts(path)
    assert facts is not None and facts.duration_s == 4.0
    assert inspect(path).duration_s == 4.0
    theirs = reference(path)
    assert isinstance(theirs, mediarules.MediaFacts) and theirs.duration_s == 14.0
    with av.open(str(path)) as container:
        assert (container.start_time, container.duration) == (10_000_000, 4_000_000)
    assert facts.model_copy(update={"duration_s": 14.0, "bit_rate": theirs.bit_rate}) == theirs


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(delay_ms=st.integers(1, 10**7), audio_too=st.booleans())
def test_an_empty_edit_patched_in_does_not_lengthen_the_clip(
    tmp_path_factory: pytest.TempPathFactory, delay_ms: int, audio_too: bool
) -> None:
    """An empty edit put before the media of one track (or both) delays it, nothing else:
    the duration is the span from the first presented sample to the last."""
    folder = tmp_path_factory.mktemp("edits")
    source = make_clip(folder / "clip.mp4", frames=30, audio="aac")
    plain = header_facts(source)
    assert plain is not None and plain.duration_s is not None
    data = bytearray(source.read_bytes())
    delayed = [0, 1] if audio_too else [0]
    for track in delayed:
        _delay_track(data, track, delay_ms)
    path = folder / "delayed.mp4"
    path.write_bytes(data)
    facts = header_facts(path)
    assert facts is not None
    ends = [delay_ms / 1000 + _track_seconds(source, t) for t in delayed]
    ends += [_track_seconds(source, t) for t in (0, 1) if t not in delayed]
    start = 0 if len(delayed) < 2 else delay_ms / 1000
    assert facts.duration_s == pytest.approx(max(ends) - start, abs=0.0011)


def _track_seconds(path: Path, track: int) -> float:
    data = path.read_bytes()
    elst, head, _ = find_box(data, ["moov", "trak", track, "edts", "elst"])
    (segment,) = struct.unpack_from(">I", data, elst + head + 8)
    mvhd, head, _ = find_box(data, ["moov", "mvhd"])
    (timescale,) = struct.unpack_from(">I", data, mvhd + head + 12)
    return float(segment / timescale)


def _delay_track(data: bytearray, track: int, delay_ms: int) -> None:
    """Put an empty edit of ``delay_ms`` before the track's one edit (movie time scale 1000)."""
    mvhd, head, _ = find_box(data, ["moov", "mvhd"])
    assert struct.unpack_from(">I", data, mvhd + head + 12) == (1000,)
    elst, head, size = find_box(data, ["moov", "trak", track, "edts", "elst"])
    payload = bytes(data[elst + head : elst + size])
    assert payload[:8] == bytes(4) + struct.pack(">I", 1)
    empty = struct.pack(">IiHH", delay_ms, -1, 1, 0)
    new = full_box(b"elst", struct.pack(">I", 2), empty, payload[8:])
    replace_box(data, ["moov", "trak", track, "edts", "elst"], new)
    tkhd, head, _ = find_box(data, ["moov", "trak", track, "tkhd"])
    (ticks,) = struct.unpack_from(">I", data, tkhd + head + 20)
    struct.pack_into(">I", data, tkhd + head + 20, ticks + delay_ms)


# ---------------------------------------------------------------------------------------------
# past the caps: mehd, sidx, or MediaInfo


def test_past_the_fragment_cap_a_file_without_mehd_or_sidx_is_left_to_mediainfo(
    clips: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = clips["many-fragments.mp4"]
    whole = header_facts(path)
    monkeypatch.setattr(isobmff, "_MAX_FRAGMENTS", 3)
    assert whole is not None and header_facts(path) is None
    assert inspect(path).duration_s == pytest.approx(whole.duration_s, abs=0.0011)


def test_past_the_fragment_cap_mehd_gives_the_duration(
    clips: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = bytearray(clips["many-fragments.mp4"].read_bytes())
    offset, head, size = find_box(data, ["moov", "mvex"])
    children = bytes(data[offset + head : offset + size])
    mehd = full_box(b"mehd", struct.pack(">I", 2345))  # movie time scale 1000: 2.345 s
    replace_box(data, ["moov", "mvex"], box(b"mvex", mehd, children))
    path = tmp_path / "mehd.mp4"
    path.write_bytes(data)
    whole = header_facts(path)
    assert whole is not None and whole.duration_s == 3.075  # every fragment read: no mehd
    monkeypatch.setattr(isobmff, "_MAX_FRAGMENTS", 3)
    capped = header_facts(path)
    assert capped is not None and capped.duration_s == 2.345
    assert (capped.fps, capped.variable_frame_rate) == (whole.fps, whole.variable_frame_rate)


def test_past_the_sample_cap_a_whole_file_sidx_gives_the_duration(
    clips: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = clips["global-sidx.mp4"]
    whole = header_facts(path)
    assert whole is not None
    monkeypatch.setattr(isobmff, "_MAX_SAMPLES", 10)
    capped = header_facts(path)
    assert capped is not None and capped.duration_s == whole.duration_s == 3.075  # the audio's


def test_a_dash_sidx_per_segment_does_not_pass_for_the_whole_file(
    clips: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(isobmff, "_MAX_FRAGMENTS", 1)
    assert header_facts(clips["dash.mp4"]) is None


def test_fragments_are_read_in_small_blocks(
    clips: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[int] = []
    real = FileSource.read_at

    def counting(self: FileSource, offset: int, length: int) -> bytes:
        reads.append(length)
        return real(self, offset, length)

    monkeypatch.setattr(FileSource, "read_at", counting)
    path = clips["many-fragments.mp4"]
    assert header_facts(path) is not None
    fragments_count = count_boxes(path.read_bytes(), b"moof")
    assert len(reads) <= fragments_count + 3
    assert sum(reads) <= isobmff.HEAD_BYTES + 2 * isobmff._BLOCK + fragments_count * 4096


# ---------------------------------------------------------------------------------------------
# hostile fragments: never a crash, never a hang


def _sane(facts: mediarules.MediaFacts) -> None:
    assert facts.kind == "video" and facts.format in ("mp4", "mov")
    assert facts.duration_s is not None and 0 <= facts.duration_s < float("inf")
    assert facts.fps is None or facts.fps > 0


def _moof_regions(data: bytes) -> list[tuple[int, int]]:
    regions, pos = [], 0
    while pos + 8 <= len(data):
        size, name = struct.unpack_from(">I4s", data, pos)
        if name in (b"moof", b"mvex", b"sidx", b"mfra"):
            regions.append((pos, pos + size))
        pos += size or len(data)
    return regions


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    clip=st.sampled_from(["audio.mp4", "global-sidx.mp4", "vfr.mp4", "moov-samples.mp4"]),
    flips=st.lists(
        st.tuples(st.integers(0, 10**6), st.integers(0, 7), st.integers(0, 255)),
        min_size=1,
        max_size=8,
    ),
    cut=st.one_of(st.just(0), st.integers(1, 400)),
)
def test_mutated_fragments_never_break_the_reader(
    clips: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
    clip: str,
    flips: list[tuple[int, int, int]],
    cut: int,
) -> None:
    """Bytes changed inside the fragment boxes (moof, mvex, sidx, mfra): counts, flags, sizes,
    durations. The reader answers sanely or gives up, within a second, reading little."""
    data = bytearray(clips[clip].read_bytes())
    regions = _moof_regions(bytes(data))
    for at, region, value in flips:
        start, end = regions[region % len(regions)]
        data[start + at % (end - start)] = value
    path = tmp_path_factory.mktemp("mutant") / "m.mp4"
    path.write_bytes(data[: len(data) - cut])
    facts = within(5, lambda: header_facts(path))
    if facts is not None:
        _sane(facts)


@settings(max_examples=300, deadline=None)
@given(
    payload=st.binary(max_size=200),
    flags=st.integers(0, 0xFFFFFF),
    version=st.integers(0, 2),
    count=st.one_of(st.integers(0, 40), st.integers(2**31, 2**32 - 1)),
)
def test_any_trun_payload_is_parsed_or_refused(
    payload: bytes, flags: int, version: int, count: int
) -> None:
    data = struct.pack(">II", version << 24 | flags, count) + payload
    try:
        durations, offsets = fragments.parse_trun(data, 1000)
    except fragments.FragmentError:
        return
    assert len(durations) == count and (offsets is None or len(offsets) == count)
    timing = fragments.Timing()
    timing.add(durations, offsets)
    assert timing.samples == count


def test_a_lying_trun_count_is_refused_without_allocating() -> None:
    data = struct.pack(">IIII", 0x000100, 2**32 - 1, 1000, 1000)
    with pytest.raises(fragments.FragmentError):
        fragments.parse_trun(data, 0)


def test_timing_reduces_runs_as_a_time_to_sample_table_does() -> None:
    """A lone odd first and last sample do not make the rate variable, as in an stts."""
    timing = fragments.Timing()
    timing.add([1000, 512, 512], None)
    timing.add([512] * 10, None)
    timing.add([300], None)
    assert timing.stts() == (512, 512, 14, 1000 + 512 * 12 + 300)
    jitter = fragments.Timing()
    for delta in (512, 500, 512, 530, 512):
        jitter.add([delta, delta], None)
    assert jitter.stts()[:2] == (500, 530)


def test_composition_offsets_set_the_presented_span() -> None:
    timing = fragments.Timing()
    timing.add([512] * 4, [1024, 2048, 512, 1024])  # B-frames: presented from 1024 on
    assert (timing.first_presented, timing.last_presented, timing.presented) == (1024, 3072, 2048)


def test_mediainfo_reads_the_fragmented_corpus_too(clips: dict[str, Path]) -> None:
    """The reference is a reference: MediaInfo understands every generated file."""
    for path in clips.values():
        facts = mediainfo_facts(path)
        assert not isinstance(facts, UnreadableMediaError), path.name
        assert video.probe(str(path)).video
