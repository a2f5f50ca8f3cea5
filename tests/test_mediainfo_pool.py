"""MediaInfo out of process: hangs and memory bombs cost one killed child, never the caller.

Every input is made here: real videos from PyAV, the 16 bytes libmediainfo never finishes,
and a real MP4 whose edit list claims 2**32 - 1 entries (libmediainfo allocates 12 GB for it).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from unittest import mock

import pytest
from pymediainfo import MediaInfo

import mediarules
from mediarules.inspection import mediainfo_pool, video
from mediarules.inspection.mediainfo_pool import MediaInfoMemoryError, MediaInfoPool
from mediarules.models import Report
from tests.fuzz_media import MEDIAINFO_HANG
from tests.media import make_video

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Videos MediaInfo reads (``inspect`` reads them with its header readers instead)."""
    folder = tmp_path_factory.mktemp("clips")
    return [
        make_video(folder / "a.mkv", frames=6, audio="flac"),
        make_video(folder / "b.webm", frames=4, codec="libvpx", audio="libopus"),
        make_video(folder / "c.mkv", frames=9, fps=25, size=(48, 32), audio=None),
        make_video(folder / "d.mp4", frames=5, fps=20),
        make_video(folder / "e.mov", frames=3, fps=15, size=(32, 64)),
    ]


@pytest.fixture
def hang(tmp_path: Path) -> Path:
    path = tmp_path / "hang.mp4"
    path.write_bytes(MEDIAINFO_HANG)
    return path


@pytest.fixture
def memory_bomb(tmp_path: Path) -> Path:
    """A real MP4 whose ``elst`` box claims 2**32 - 1 entries."""
    data = bytearray(make_video(tmp_path / "clip.mp4", frames=4).read_bytes())
    at = data.find(b"elst")
    assert at > 0, "PyAV's MP4 muxer writes an edit list"
    data[at + 8 : at + 12] = b"\xff\xff\xff\xff"  # after the version and flags
    path = tmp_path / "bomb.mp4"
    path.write_bytes(data)
    return path


@pytest.fixture
def pool() -> Iterator[MediaInfoPool]:
    own = MediaInfoPool(max_workers=2)
    yield own
    own.close()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _alive(pid: int) -> bool:
    """The process exists (a zombie, killed but not reaped, counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _running(pid: int) -> bool:
    """The process exists and is not a zombie (an orphan's reaper may be slow)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _unreadable(report: Report) -> tuple[str, str]:
    [found] = [v for v in report.violations if v.code == "media.unreadable"]
    return str(found.actual), found.message


def test_the_pool_answers_what_mediainfo_answers_in_process(
    pool: MediaInfoPool, clips: list[Path]
) -> None:
    for clip in clips:
        in_process = [track.to_data() for track in MediaInfo.parse(clip).tracks]
        assert pool.tracks(str(clip), timeout=5) == in_process


def test_a_worker_is_started_lazily_and_reused(pool: MediaInfoPool, clips: list[Path]) -> None:
    assert pool.workers == []
    pool.tracks(str(clips[0]), timeout=5)
    [worker] = pool.workers
    for clip in clips:
        pool.tracks(str(clip), timeout=5)
    assert pool.workers == [worker]


def test_the_16_byte_hang_is_unreadable_quickly_every_time(hang: Path, clips: list[Path]) -> None:
    mediainfo_pool.default_pool().tracks(str(clips[0]), timeout=5)  # a worker is up: not timed
    threads = threading.active_count()
    for _ in range(3):
        began = time.monotonic()
        report = mediarules.check([hang, clips[0]], platforms=["x", "tiktok"])
        assert time.monotonic() - began < 2.5
        reason, message = _unreadable(report)
        assert reason == "corrupt" and "MediaInfo did not finish" in message
        assert report.media[1].kind == "video"  # the next file is read as before
    assert threading.active_count() == threads


def test_after_a_hang_nothing_keeps_running(hang: Path, clips: list[Path]) -> None:
    """The hung child is killed and reaped; the process and its workers then use no CPU."""
    pool = mediainfo_pool.default_pool()
    pool.tracks(str(clips[0]), timeout=5)
    before = set(pool.workers)
    with pytest.raises(mediarules.UnreadableMediaError, match="did not finish"):
        mediarules.inspect(hang)
    killed = before - set(pool.workers)
    assert killed and not any(_alive(pid) for pid in killed)
    pids = [os.getpid(), *pool.workers]
    used = sum(map(_cpu_seconds, pids))
    time.sleep(1.5)
    assert sum(map(_cpu_seconds, pids)) - used < 0.2  # a spinning thread would add 1.5 s


def test_a_memory_bomb_costs_one_child(memory_bomb: Path, clips: list[Path]) -> None:
    """Given time to run, libmediainfo meets the address-space cap (unlimited, it takes 100 s
    and 12 GB for this file); the default pool's time limit stops it even sooner."""
    small = MediaInfoPool(max_workers=1, memory_limit=384 * 2**20)
    try:
        began = time.monotonic()
        with pytest.raises(MediaInfoMemoryError, match="ran out of memory"):
            small.tracks(str(memory_bomb), timeout=30)
        assert time.monotonic() - began < 15
        assert small.tracks(str(clips[0]), timeout=5)  # a fresh child reads the next file
        with (
            mock.patch.object(mediainfo_pool, "_default", small),
            pytest.raises(mediarules.UnreadableMediaError) as caught,
        ):
            video.probe(str(memory_bomb), size=100 * 2**20)  # 5.5 s: time enough
        assert caught.value.reason == "corrupt" and "ran out of memory" in str(caught.value)
    finally:
        small.close()
    began = time.monotonic()
    with pytest.raises(mediarules.UnreadableMediaError) as caught:
        video.probe(str(memory_bomb))
    assert caught.value.reason == "corrupt" and time.monotonic() - began < 5


def test_threads_at_once_get_the_serial_results(clips: list[Path], hang: Path) -> None:
    def check(path: Path) -> Report:
        return mediarules.check([path], platforms=["x", "tiktok"])

    files = [*clips, hang] * 3
    serial = [check(path) for path in files]
    with ThreadPoolExecutor(max_workers=6) as executor:
        parallel = list(executor.map(check, files))
    assert parallel == serial
    assert len(mediainfo_pool.default_pool().workers) <= mediainfo_pool.default_pool().max_workers


def test_the_pool_recovers_when_a_worker_is_killed(pool: MediaInfoPool, clips: list[Path]) -> None:
    expected = pool.tracks(str(clips[0]), timeout=5)
    for _ in range(2):
        [worker] = pool.workers
        os.kill(worker, signal.SIGKILL)
        assert pool.tracks(str(clips[0]), timeout=5) == expected
        assert pool.workers != [worker]


def test_a_forked_child_starts_its_own_workers(pool: MediaInfoPool, clips: list[Path]) -> None:
    expected = pool.tracks(str(clips[1]), timeout=5)
    parent_workers = pool.workers
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        try:
            tracks = pool.tracks(str(clips[1]), timeout=5)
            os.write(write, json.dumps([tracks == expected, pool.workers]).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as answer:
        same, child_workers = json.loads(answer.read())
    os.waitpid(child, 0)
    assert same and child_workers and not set(child_workers) & set(parent_workers)
    assert pool.tracks(str(clips[1]), timeout=5) == expected  # the parent's pipes still work
    assert pool.workers == parent_workers


def test_workers_end_with_their_parent_even_mid_hang(hang: Path) -> None:
    """A parent killed while its worker spins in libmediainfo: the worker's watchdog ends it."""
    script = (
        "import sys, threading, time\n"
        "from mediarules.inspection.mediainfo_pool import MediaInfoPool\n"
        "pool = MediaInfoPool(max_workers=1)\n"
        "threading.Thread(target=pool.tracks, args=(sys.argv[1],), kwargs={'timeout': 600},"
        " daemon=True).start()\n"
        "while not pool.workers: time.sleep(0.01)\n"
        "print(pool.workers[0], flush=True)\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script, str(hang)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert parent.stdout is not None
    worker = int(parent.stdout.readline())
    time.sleep(0.3)  # the worker is inside libmediainfo now
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 5
    while _running(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(worker)


def test_a_relative_path_is_read_from_the_callers_directory(
    pool: MediaInfoPool, clips: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker started in one directory; the caller has moved on to another since."""
    monkeypatch.chdir(clips[0].parent)
    first = pool.tracks(clips[0].name, timeout=5)
    (tmp_path / clips[0].name).write_bytes(clips[1].read_bytes())  # same name, other video
    monkeypatch.chdir(tmp_path)
    second = pool.tracks(clips[0].name, timeout=5)
    assert first[0]["format"] == "Matroska" and second[0]["format"] == "WebM"


def test_a_real_time_caller_gets_workers_of_normal_priority(
    pool: MediaInfoPool, clips: list[Path]
) -> None:
    """SVT-AV1 leaves the thread that encodes SCHED_FIFO, and children inherit it: a real-time
    worker spinning on a hostile file would starve the very thread that must kill it."""
    started: list[int] = []

    def start_a_worker_in_real_time() -> None:
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))  # this thread only
        except PermissionError:
            return
        pool.tracks(str(clips[0]), timeout=5)
        started.extend(pool.workers)

    thread = threading.Thread(target=start_a_worker_in_real_time)
    thread.start()
    thread.join()
    if not started:
        pytest.skip("needs CAP_SYS_NICE to run a thread in real time")
    [worker] = started
    assert os.sched_getscheduler(worker) == os.SCHED_OTHER


def test_the_time_limit_grows_with_the_file_and_is_capped() -> None:
    assert video.time_limit(16) < 0.6
    assert video.time_limit(100 * 10**6) == pytest.approx(5.5)
    assert video.time_limit(10**12) == video.PROBE_TIMEOUT_S
