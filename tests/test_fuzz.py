"""Mutated real media through the whole pipeline, for a bounded time (see tests/fuzz_media.py).

``MEDIARULES_FUZZ_SECONDS`` (default 20) is how long the hypothesis-driven run may take; the
by-hand runner (``python -m tests.fuzz_media --seconds 300``) goes on as long as asked.
libmediainfo spins forever on about one mutated video in 200: the library's own child
processes (tests/test_mediainfo_pool.py) kill it, so nothing here needs isolating.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest
from hypothesis import Phase, example, given, settings
from hypothesis import strategies as st
from pymediainfo import MediaInfo

import mediarules
from mediarules.inspection import mediainfo_pool, video
from mediarules.models import MediaFacts, Report
from tests import fuzz_media

FUZZ_SECONDS = float(os.environ.get("MEDIARULES_FUZZ_SECONDS", "20"))
MAX_EXAMPLES = max(1, int(FUZZ_SECONDS * 200))
"""More than fit in the time (about 70 inputs a second here): the clock ends the run."""

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:PIL")


class _Clock:
    """Starts at the first example; once out of time, examples do nothing, unless one has
    failed (hypothesis replays a failure and must see it fail again)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started: float | None = None
        self.failed = False
        self.ran = 0

    def out_of_time(self) -> bool:
        now = time.monotonic()
        if self.started is None:
            self.started = now
        return not self.failed and now - self.started > self.seconds


_clock = _Clock(FUZZ_SECONDS)


@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # the input is saved, not shrunk
)
@given(seed=st.integers(min_value=0, max_value=2**64 - 1))
@example(seed=467738107)  # CI, 2026-12-02: a Matroska header of height 0 (inspect read it)
def test_mutated_media_never_break_check_or_inspect(seed: int) -> None:
    """Hypothesis draws the mutation's seed in one piece (``st.randoms`` draws as it goes, so an
    example skipped by the clock would draw less than the same example run: "flaky")."""
    if _clock.out_of_time():
        return
    data, suffix = fuzz_media.random_case(random.Random(seed))
    _clock.ran += 1
    try:
        fuzz_media.fuzz_one(data, suffix)
    except Exception as exc:
        _clock.failed = True
        saved = fuzz_media.save_input(data, suffix)
        raise AssertionError(f"{exc!r} on a mutated {suffix} file, saved to {saved}") from exc


def test_the_timed_run_ran_inputs() -> None:
    """Runs after the fuzz test: it really fuzzed (a broken strategy would run nothing)."""
    if _clock.started is None:
        pytest.skip("the fuzz test did not run")
    assert _clock.ran >= min(50, MAX_EXAMPLES)


@pytest.mark.parametrize("name", fuzz_media.SEED_NAMES)
def test_every_seed_is_real_media_and_passes(tmp_path: Path, name: str) -> None:
    data = fuzz_media.seed_corpus()[name]
    fuzz_media.fuzz_one(data, Path(name).suffix)
    path = tmp_path / name
    path.write_bytes(data)
    kind = "video" if name.startswith("clip.") else "image"
    assert mediarules.inspect(path).kind == kind


def test_mutations_are_reproducible_and_change_the_bytes() -> None:
    corpus = fuzz_media.seed_corpus()
    outputs = [fuzz_media.random_case(random.Random(n)) for n in range(200)]
    assert outputs == [fuzz_media.random_case(random.Random(n)) for n in range(200)]
    changed = sum(data not in corpus.values() for data, _ in outputs)
    assert changed >= 190
    for mutator in fuzz_media.MUTATORS:  # tiny inputs do not break a mutator
        for size in (1, 2, 3, 5):
            mutator(bytearray(size), random.Random(size), [b"x"])


def test_the_invariants_catch_a_report_that_contradicts_itself() -> None:
    lying = Report(ok=True, violations=[], media=[MediaFacts(path="a.jpg", size=3)])
    with pytest.raises(fuzz_media.FuzzInvariantError, match="kind"):
        fuzz_media.check_report(lying, path="a.jpg", size=3)
    with pytest.raises(fuzz_media.FuzzInvariantError, match="path"):
        fuzz_media.check_report(lying, path="b.jpg", size=3)


@pytest.mark.parametrize("name", ["clip.mp4", "clip.mov", "clip.mkv"])
def test_the_worker_processes_see_what_mediainfo_sees(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(fuzz_media.seed_corpus()[name])
    in_process = [track.to_data() for track in MediaInfo.parse(path).tracks]
    found = video.probe(str(path))
    assert [found.general, *found.video, *found.audio] == in_process
    assert mediarules.inspect(path).kind == "video"


def test_the_library_kills_a_hang() -> None:
    """The 16-byte file libmediainfo never finishes: killed in both calls, then reported."""
    pool = mediainfo_pool.default_pool()
    killed = pool.killed
    began = time.monotonic()
    fuzz_media.fuzz_one(fuzz_media.MEDIAINFO_HANG, ".mp4")
    assert time.monotonic() - began < 5
    assert pool.killed == killed + 2  # check, then inspect


def test_the_fuzzer_runs_by_hand(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert fuzz_media.main(["--seconds", "1", "--seed", "7", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "inputs in" in out and "0 crashes" in out
