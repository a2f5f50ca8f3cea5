"""The MediaInfo child process that :mod:`~mediarules.inspection.mediainfo_pool` starts.

Run as a script (``python -P mediainfo_worker.py LIMIT PARENT_PID``): it imports only the
stdlib and pymediainfo, never mediarules, so it starts in tens of milliseconds. It reads
requests on stdin and answers on what was its stdout; both are frames: a 4-byte big-endian
length, then the payload. A request is a path (``os.fsencode``); the answer is JSON: the first
``{"ready": true}`` once libmediainfo is loaded, then per request an empty frame (taken), then
``{"tracks": [...]}`` (each ``track.to_data()``) or ``{"error": KIND, "message": ...}``.

The address space is capped (``RLIMIT_AS``): libmediainfo gives up on an allocation the cap
refuses and returns what it has. A parse whose peak reaches ``budget`` bytes is answered as
``"memory"`` and the worker exits, so that the next one starts with a fresh peak. A watchdog
thread ends the worker when its parent is gone, even while libmediainfo spins.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import struct
import sys
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pymediainfo import MediaInfo

HEADER = struct.Struct(">I")
"""Every frame starts with its payload's length."""

MAX_FRAME_BYTES = 16 * 2**20
"""No request or answer is larger: a bigger report on one file means a hostile file."""

PARENT_POLL_S = 0.5
"""How often the watchdog looks for the parent (a wake-up costs microseconds)."""


def read_exactly(fd: int, count: int) -> bytes | None:
    """``count`` bytes from ``fd``, blocking; ``None`` at end of file."""
    chunks: list[bytes] = []
    while count:
        chunk = os.read(fd, count)
        if not chunk:
            return None
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


def write_frame(fd: int, payload: bytes) -> None:
    """One frame on ``fd``; ``os.write`` may write less than asked, so loop."""
    data = memoryview(HEADER.pack(len(payload)) + payload)
    while data:
        data = data[os.write(fd, data) :]


def main(argv: Sequence[str]) -> int:
    limit, parent = int(argv[0]), int(argv[1])
    _normal_priority()
    answers = _private_answer_fd()
    _watch_parent(parent)
    try:
        from pymediainfo import MediaInfo

        ready = MediaInfo.can_parse()  # loads libmediainfo once, before the cap
    except Exception as exc:  # told to the parent, which reports it
        ready = False
        reason = f"{type(exc).__name__}: {exc}"
    else:
        reason = "libmediainfo cannot be loaded"
    if not ready:
        _answer(answers, {"error": "unavailable", "message": reason})
        return 1
    _cap_address_space(limit)
    _answer(answers, {"ready": True})
    while (request := _read_frame(0)) is not None:
        write_frame(answers, b"")  # taken: from now on, a death is the file's doing
        answer = _parse(MediaInfo, os.fsdecode(request), budget=limit // 2)
        _answer(answers, answer)
        if answer.get("error") == "memory":
            return 0  # the peak only grows: a fresh worker measures the next file
    return 0


def _parse(media_info: type[MediaInfo], path: str, *, budget: int) -> dict[str, object]:
    try:
        info = media_info.parse(path)
        answer: dict[str, object] = {"tracks": [track.to_data() for track in info.tracks]}
    except FileNotFoundError:
        return {"error": "missing", "message": "no such file"}
    except MemoryError:
        return {"error": "memory", "message": "out of memory"}
    except RuntimeError:  # pymediainfo's word for "libmediainfo could not open it"
        return {"error": "parse", "message": "libmediainfo could not open the file"}
    except Exception as exc:  # pymediainfo failing on libmediainfo's output
        return {"error": "parse", "message": f"{type(exc).__name__} reading MediaInfo's output"}
    if _peak_address_space() >= budget:
        return {"error": "memory", "message": f"needed over {budget >> 20} MiB"}
    return answer


def _answer(fd: int, answer: dict[str, object]) -> None:
    payload = json.dumps(answer).encode()
    if len(payload) > MAX_FRAME_BYTES:
        too_large = {"error": "parse", "message": "MediaInfo's report is too large"}
        payload = json.dumps(too_large).encode()
    write_frame(fd, payload)


def _read_frame(fd: int) -> bytes | None:
    header = read_exactly(fd, HEADER.size)
    if header is None:
        return None
    (length,) = HEADER.unpack(header)
    if length > MAX_FRAME_BYTES:
        return None
    return read_exactly(fd, length)


def _private_answer_fd() -> int:
    """Answers go to a copy of stdout; fd 1 itself points at stderr, so that anything the
    library prints cannot end up inside a frame."""
    answers = os.dup(1)
    os.dup2(2, 1)
    return answers


def _normal_priority() -> None:
    """Leave a real-time policy inherited from the parent (SVT-AV1 makes the thread that
    encodes ``SCHED_FIFO``): a real-time worker spinning in libmediainfo takes whole cores
    from its parent, which then cannot run to kill it."""
    if hasattr(os, "sched_setscheduler"):
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))


def _watch_parent(parent: int) -> None:
    """End this process once ``parent`` is gone (a daemon thread that mostly sleeps).

    ``PR_SET_PDEATHSIG`` is not used: it fires when the parent *thread* that started the
    worker ends, and a pool is shared by threads that come and go.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def _cap_address_space(limit: int) -> None:
    # ValueError, OSError: a lower hard limit is already in place, or there is no such limit
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _peak_address_space() -> int:
    """Peak virtual memory of this process in bytes (``VmPeak``; elsewhere the peak RSS)."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmPeak:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
