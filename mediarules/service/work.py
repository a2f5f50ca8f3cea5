"""Where a request's work runs and what it leaves behind.

Checks and fixes are blocking (file reads, MediaInfo, Pillow, PyAV): they run in a thread pool
so the event loop keeps answering. A request may be given up (its time limit) while its
thread still runs; then its private folder is deleted, and its admission slot given back,
only when that thread has finished, so a given-up request never leaves files behind nor lets
more work run at once than the limit.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import ParamSpec, TypeVar

__all__ = ["Gate", "Jobs", "Scratch"]

P = ParamSpec("P")
T = TypeVar("T")


class Gate:
    """How many requests are being worked on; ``enter`` refuses one past ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._inside = 0
        self._lock = threading.Lock()

    def enter(self) -> bool:
        with self._lock:
            if self._inside >= self.limit:
                return False
            self._inside += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self._inside -= 1

    @property
    def inside(self) -> int:
        return self._inside


class Scratch:
    """One request's private folder (made on first use, mode 0700, under ``base``) and the
    jobs that may still use it."""

    def __init__(self, base: Path) -> None:
        self._base = base
        self._path: Path | None = None
        self._jobs: list[Future[object]] = []
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        if self._path is None:
            self._path = Path(tempfile.mkdtemp(prefix="request-", dir=self._base))
        return self._path

    @property
    def made(self) -> Path | None:
        return self._path

    def hold(self, job: Future[T]) -> None:
        with self._lock:
            self._jobs.append(job)  # type: ignore[arg-type]

    def close(self, then: Callable[[], None]) -> None:
        """Delete the folder and call ``then``, now or when the last running job ends."""
        with self._lock:
            running = [job for job in self._jobs if not job.done()]
        if not running:
            self._finish(then)
            return
        left = [len(running)]
        lock = threading.Lock()

        def one_done(_: Future[object]) -> None:
            with lock:
                left[0] -= 1
                last = left[0] == 0
            if last:
                self._finish(then)

        for job in running:
            job.add_done_callback(one_done)

    def _finish(self, then: Callable[[], None]) -> None:
        try:
            if self._path is not None:
                shutil.rmtree(self._path, ignore_errors=True)
        finally:
            then()


class Jobs:
    """A thread pool for blocking work, as wide as the admission limit (so nothing queues)."""

    def __init__(self, threads: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="mediarules-job")

    async def run(
        self, scratch: Scratch, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """``function(*args, **kwargs)`` in a thread; ``scratch`` is kept until it ends, even
        when this await is cancelled (the request's time limit)."""
        job = self._pool.submit(function, *args, **kwargs)
        scratch.hold(job)
        return await asyncio.wrap_future(job)

    def shutdown(self) -> None:
        """Drop queued jobs and wait for running ones (graceful shutdown)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
