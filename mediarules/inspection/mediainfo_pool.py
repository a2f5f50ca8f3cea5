"""libmediainfo in killable child processes: a small pool, started lazily and reused.

libmediainfo can spin forever or allocate gigabytes on a damaged file, and a thread stuck in a
C library can be neither stopped nor limited. So every parse runs in a worker process
(:mod:`~mediarules.inspection.mediainfo_worker`) whose address space is capped
(``RLIMIT_AS``) and which is SIGKILLed and reaped when a parse outlives its time limit. A lost
worker is replaced on the next call. Each call takes an idle worker (or starts one, up to
``max_workers``) and gives it back, so threads calling at once get what serial calls get.

Workers end with their parent: end of file on their stdin, or their watchdog. A process forked
from one with workers (``check --each``) forgets them: it shares no pipe with them and starts
its own when it needs them.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path

from mediarules.inspection import mediainfo_worker
from mediarules.inspection.mediainfo_worker import HEADER, MAX_FRAME_BYTES, write_frame

MEMORY_LIMIT_BYTES = 2**30
"""The worker's address-space cap. Parsing normal files peaks near 150 MiB of address space
(28 MiB resident: Python, pymediainfo, libmediainfo, two threads' malloc arenas); a parse that
peaks at half the cap is taken for a memory bomb (an edit list of 2**32 - 1 entries: 12 GB)."""

WALL_FACTOR = 10.0
"""A parse's time limit counts the worker's own CPU time, so a busy machine (other processes
taking the cores) cannot make a sound file "corrupt"; the wall clock stops a worker that is
blocked rather than spinning, after this many times the limit (+ ``WALL_MARGIN_S``)."""

WALL_MARGIN_S = 5.0

_POLL_S = 0.05
"""How often a waiting caller reads the worker's CPU time."""

START_TIMEOUT_S = 30.0
"""How long a new worker may take to load libmediainfo (~0.1 s; more on a loaded machine)."""

WORKER_SCRIPT = Path(mediainfo_worker.__file__)

Track = Mapping[str, object]


class MediaInfoError(Exception):
    """MediaInfo could not give the tracks of a file (the subclass says why)."""


class MediaInfoTimeoutError(MediaInfoError):
    """The parse outlived its time limit: the worker was killed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(
            f"MediaInfo did not finish reading the file in {seconds:.3g} s of processor time"
        )


class MediaInfoMemoryError(MediaInfoError):
    """The parse needed more memory than a worker may have."""


class MediaInfoCrashError(MediaInfoError):
    """The worker died during the parse (in-process, the caller would have died)."""


class MediaInfoParseError(MediaInfoError):
    """libmediainfo could not open the file, or its output could not be read."""


class MediaInfoUnavailableError(MediaInfoError):
    """No worker could be started (libmediainfo missing, no processes left)."""


class _Worker:
    """One child process and the two pipe ends this process holds."""

    def __init__(self, memory_limit: int, start_timeout: float) -> None:
        request_read, self.requests = os.pipe()
        self.answers, answer_write = os.pipe()
        self._ready = selectors.DefaultSelector()  # made once: it is a file descriptor too
        self._ready.register(self.answers, selectors.EVENT_READ)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-P", str(WORKER_SCRIPT), str(memory_limit), str(os.getpid())],
                stdin=request_read,
                stdout=answer_write,
                stderr=subprocess.DEVNULL,
            )
        except OSError as exc:
            self.close_pipes()
            raise MediaInfoUnavailableError(f"cannot start MediaInfo ({exc.strerror})") from exc
        finally:
            os.close(request_read)
            os.close(answer_write)
        try:
            hello = self.receive(start_timeout)
        except MediaInfoError as exc:
            self.kill()
            raise MediaInfoUnavailableError(f"MediaInfo did not start ({exc})") from exc
        if not hello.get("ready"):
            self.kill()
            raise MediaInfoUnavailableError(str(hello.get("message") or "MediaInfo did not start"))

    def ask(self, path: str, timeout: float) -> dict[str, object] | None:
        """The answer on ``path`` within ``timeout`` s; ``None`` if the worker was gone before
        it took the request (it acknowledges each one before parsing)."""
        try:
            # absolute: the worker keeps the directory it started in, this process may not
            write_frame(self.requests, os.fsencode(os.path.abspath(path)))
        except OSError:  # EPIPE
            return None
        limit = _Limit(self.process.pid, timeout)
        try:
            self._frame(limit)
        except MediaInfoCrashError:
            return None
        limit.restart()  # the acknowledgement came: the parse starts now
        return _decode(self._frame(limit))

    def receive(self, timeout: float) -> dict[str, object]:
        """The next answer, within ``timeout`` seconds."""
        return _decode(self._frame(_Limit(self.process.pid, timeout)))

    def _frame(self, limit: _Limit) -> bytes:
        (length,) = HEADER.unpack(self._read(HEADER.size, limit))
        if length > MAX_FRAME_BYTES:
            raise MediaInfoParseError("MediaInfo's report is too large")
        return self._read(length, limit)

    def _read(self, count: int, limit: _Limit) -> bytes:
        chunks: list[bytes] = []
        while count:
            while not self._ready.select(_POLL_S):
                if limit.spent():
                    raise MediaInfoTimeoutError(limit.seconds)
            chunk = os.read(self.answers, min(count, 1 << 20))
            if not chunk:
                raise MediaInfoCrashError(f"MediaInfo crashed on the file ({self._death()})")
            chunks.append(chunk)
            count -= len(chunk)
        return b"".join(chunks)

    def _death(self) -> str:
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "no answer"
        if code < 0:
            with contextlib.suppress(ValueError):
                return f"killed by {signal.Signals(-code).name}"
        return f"exit status {code}"

    def kill(self) -> None:
        """SIGKILL and reap the worker (it may be spinning), then close the pipes."""
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)  # SIGKILL takes effect at once, bar a stuck disk
        self.close_pipes()

    def close_pipes(self) -> None:
        self._ready.close()
        for fd in (self.requests, self.answers):
            with contextlib.suppress(OSError):
                os.close(fd)


class _Limit:
    """``seconds`` of the worker's processor time (read from ``/proc``; the wall clock where
    there is none), or ``WALL_FACTOR`` times that of wall time, whichever ends first."""

    def __init__(self, pid: int, seconds: float) -> None:
        self.pid, self.seconds = pid, seconds
        self.restart()

    def restart(self) -> None:
        self._wall = time.monotonic()
        self._cpu = _cpu_seconds(self.pid)

    def spent(self) -> bool:
        wall = time.monotonic() - self._wall
        if wall > self.seconds * WALL_FACTOR + WALL_MARGIN_S:
            return True
        cpu = _cpu_seconds(self.pid)
        if cpu is None or self._cpu is None:
            return wall > self.seconds
        return cpu - self._cpu > self.seconds


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(pid: int) -> float | None:
    """User + system time of process ``pid`` (all its threads), or None without ``/proc``."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rpartition(b")")[2].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    except (OSError, IndexError, ValueError):
        return None


class MediaInfoPool:
    """Up to ``max_workers`` MediaInfo processes, each capped at ``memory_limit`` bytes."""

    def __init__(
        self,
        *,
        max_workers: int | None = None,
        memory_limit: int = MEMORY_LIMIT_BYTES,
        start_timeout: float = START_TIMEOUT_S,
    ) -> None:
        if max_workers is not None and max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, not {max_workers}")
        self.max_workers = max_workers or min(2, os.cpu_count() or 1)
        self.memory_limit = memory_limit
        self.start_timeout = start_timeout
        self.killed = 0
        """Workers killed so far (time limit, memory, crash): for tests and diagnostics."""
        self._lock = threading.Condition()
        self._live: list[_Worker] = []
        self._idle: list[_Worker] = []
        self._starting = 0
        _POOLS.add(self)

    def tracks(self, path: str, *, timeout: float) -> list[Track]:
        """Every track MediaInfo finds in ``path`` (``track.to_data()``), within ``timeout`` s.

        Raises ``FileNotFoundError`` or a :class:`MediaInfoError`.
        """
        for _ in range(2):  # a second time only if an idle worker had died meanwhile
            worker = self._take()
            try:
                answer = worker.ask(path, timeout)
            except BaseException:
                self._discard(worker, killed=True)
                raise
            if answer is None:
                self._discard(worker)
                continue
            self._give_back(worker, ended=answer.get("error") == "memory")
            return _tracks_of(answer, self.memory_limit)
        raise MediaInfoUnavailableError("MediaInfo workers keep dying")

    @property
    def workers(self) -> Sequence[int]:
        """The process ids of the live workers."""
        with self._lock:
            return [worker.process.pid for worker in self._live]

    def close(self) -> None:
        """Stop every worker (idle or busy); the next call starts new ones."""
        with self._lock:
            live, self._live, self._idle = self._live, [], []
            self._lock.notify_all()
        for worker in live:
            worker.kill()

    def _take(self) -> _Worker:
        with self._lock:
            while not self._idle and len(self._live) + self._starting >= self.max_workers:
                self._lock.wait()
            if self._idle:
                return self._idle.pop()
            self._starting += 1
        worker: _Worker | None = None
        try:
            worker = _Worker(self.memory_limit, self.start_timeout)
            return worker
        finally:
            with self._lock:
                self._starting -= 1
                if worker is None:  # it failed to start: its slot is free again
                    self._lock.notify()
                else:
                    self._live.append(worker)

    def _give_back(self, worker: _Worker, *, ended: bool) -> None:
        if ended:  # it exits by itself after a memory bomb: reap it
            self._discard(worker)
            return
        with self._lock:
            if worker in self._live:
                self._idle.append(worker)
            self._lock.notify()

    def _discard(self, worker: _Worker, *, killed: bool = False) -> None:
        worker.kill()
        with self._lock:
            if killed:
                self.killed += 1
            if worker in self._live:
                self._live.remove(worker)
            self._lock.notify()

    def _forget_after_fork(self) -> None:
        """In a forked child: the workers are the parent's; close our copies of their pipes."""
        for worker in self._live:
            worker.close_pipes()
        self._lock = threading.Condition()  # another thread may have held it at the fork
        self._live, self._idle, self._starting = [], [], 0


def _decode(payload: bytes) -> dict[str, object]:
    try:
        answer = json.loads(payload)
    except ValueError as exc:
        raise MediaInfoParseError("MediaInfo's report cannot be read") from exc
    if not isinstance(answer, dict):
        raise MediaInfoParseError("MediaInfo's report cannot be read")
    return answer


def _tracks_of(answer: Mapping[str, object], memory_limit: int) -> list[Track]:
    tracks = answer.get("tracks")
    if isinstance(tracks, list) and all(isinstance(track, dict) for track in tracks):
        return tracks
    error, message = answer.get("error"), str(answer.get("message") or "")
    if error == "missing":
        raise FileNotFoundError(message)
    if error == "memory":
        raise MediaInfoMemoryError(
            f"MediaInfo ran out of memory reading the file ({message}; limit "
            f"{memory_limit >> 20} MiB)"
        )
    raise MediaInfoParseError(message or "MediaInfo's report cannot be read")


_POOLS: weakref.WeakSet[MediaInfoPool] = weakref.WeakSet()
_default: MediaInfoPool | None = None
_default_lock = threading.Lock()


def default_pool() -> MediaInfoPool:
    """The pool inspection uses, made on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = MediaInfoPool()
        return _default


def _close_all() -> None:
    for pool in list(_POOLS):
        pool.close()


def _forget_all_after_fork() -> None:
    global _default_lock
    _default_lock = threading.Lock()
    for pool in list(_POOLS):
        pool._forget_after_fork()


atexit.register(_close_all)
os.register_at_fork(after_in_child=_forget_all_after_fork)
