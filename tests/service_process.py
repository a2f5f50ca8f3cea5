"""A real ``mediarules serve`` for the tests: a uvicorn process on a free loopback port.

``--port 0`` lets the server take a free port itself (no race between choosing a port and
binding it); its ``listening`` log line says which. ``ready()`` waits for ``/readyz``;
``stop()`` sends SIGTERM (a graceful shutdown) and kills the process if it does not end.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

START_SECONDS = 60.0
"""A loaded CI machine can take many seconds to import FastAPI and the rules in a worker."""


class ServiceProcess:
    def __init__(
        self,
        args: Sequence[str] = (),
        *,
        tmp: Path,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.tmp = tmp
        """The server's TMPDIR: its request folders live under it, and nothing else does."""
        tmp.mkdir(parents=True, exist_ok=True)
        environ = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("MEDIARULES_", "PROMETHEUS_"))
        }
        environ.update({"TMPDIR": str(tmp), **(env or {})})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mediarules", "serve", "--port", "0", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environ,
            cwd=tmp,
        )
        self.lines: list[str] = []
        self._listening = threading.Event()
        self.url = ""
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.lines.append(line)
            if not self.url:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if record.get("event") == "listening":
                    self.url = record["url"]
                    self._listening.set()
        self._listening.set()

    def ready(self) -> ServiceProcess:
        deadline = time.monotonic() + START_SECONDS
        if not self._listening.wait(START_SECONDS) or not self.url:
            raise RuntimeError(f"the service did not start: {self.stderr()}")
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the service exited: {self.stderr()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the service was never ready: {self.stderr()}")

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, **kwargs)

    def records(self) -> list[dict[str, Any]]:
        """The JSON log lines so far (every line must be one)."""
        return [json.loads(line) for line in list(self.lines) if line.strip()]

    def stderr(self) -> str:
        time.sleep(0.1)
        return "\n".join(self.lines[-40:])

    def terminate(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = 30) -> int:
        self.terminate()
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait(10)
        self._reader.join(5)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return code

    def request_folders(self) -> list[Path]:
        """The per-request folders that exist now (each worker has its base folder)."""
        return sorted(self.tmp.glob("mediarules-serve-*/request-*"))

    def wait_for_no_request_folders(self, seconds: float = 10) -> list[Path]:
        """A folder is deleted once the answer is sent, a moment after the client has it."""
        deadline = time.monotonic() + seconds
        while (left := self.request_folders()) and time.monotonic() < deadline:
            time.sleep(0.05)
        return left


@contextmanager
def running(args: Sequence[str] = (), *, tmp: Path, **kwargs: Any) -> Iterator[ServiceProcess]:
    service = ServiceProcess(args, tmp=tmp, **kwargs)
    try:
        yield service.ready()
    finally:
        service.stop()


BOUNDARY = "mediarules-test-boundary"
MULTIPART = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}


def form_part(name: str, value: bytes, filename: str | None = None) -> bytes:
    """One part of a multipart body written by hand (to cut it, send it slowly, or send no
    file at all, which HTTP clients do not do)."""
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    return f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + value + b"\r\n"


def form_end() -> bytes:
    return f"--{BOUNDARY}--\r\n".encode()
