"""A real HTTP server on 127.0.0.1 for the remote tests: files served with or without
``Range``, and misbehaviour on demand (latency, dropped connections, 500s, 429 with
``Retry-After``, redirect loops, a redirect to the cloud metadata address). It counts requests
and body bytes per path, so tests can hold the fetcher to its budgets."""

from __future__ import annotations

import re
import socket
import struct
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


class MediaServer:
    """Files by path, each served the way its entry in :attr:`modes` says (``"range"`` by
    default, ``"whole"``: the server ignores ``Range``); :attr:`faults` holds one-shot
    misbehaviours per path, used up in order (``"reset"``, ``"500"``, ``"429:SECONDS"``)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.headers: dict[str, dict[str, str]] = defaultdict(dict)
        self.modes: dict[str, str] = {}
        self.faults: dict[str, deque[str]] = defaultdict(deque)
        self.redirects: dict[str, str] = {}
        self.latency = 0.0
        self.requests: Counter[str] = Counter()
        self.sent: Counter[str] = Counter()
        self.seen_headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    def url(self, path: str, query: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/{path}" + (f"?{query}" if query else "")

    def count(self, path: str) -> tuple[int, int]:
        """(requests, body bytes sent) for ``path``."""
        with self._lock:
            return self.requests[path], self.sent[path]

    @contextmanager
    def running(self) -> Iterator[MediaServer]:
        handler = _handler(self)
        server = _Server(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        self._server = server
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # (the default 5 drops connections when 64 arrive at once)


def _handler(state: MediaServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            path = parts.path.lstrip("/")
            with state._lock:
                state.requests[path] += 1
                state.seen_headers.append(dict(self.headers.items()))
                fault = state.faults[path].popleft() if state.faults[path] else None
            if state.latency:
                time.sleep(state.latency)
            if fault == "reset":
                # SO_LINGER 0: close with a TCP reset, as a crashed proxy does
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.close_connection = True
                return
            if fault is not None and fault[:3].isdigit():
                code, _, wait = fault.partition(":")
                extra = {"Retry-After": wait} if wait else {}
                self._send(int(code), b"", extra, path)
                return
            if path in state.redirects:
                self._send(302, b"", {"Location": state.redirects[path]}, path)
                return
            if path.startswith("redirect-loop"):
                step = int(path[len("redirect-loop") :] or 0)
                self._send(302, b"", {"Location": f"/redirect-loop{step + 1}"}, path)
                return
            if path.startswith("expiring/"):
                query = {k.lower(): v[0] for k, v in parse_qs(parts.query).items()}
                if "x-amz-signature" in query:
                    body = (
                        b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code>"
                        b"<Message>Request has expired</Message></Error>"
                    )
                    self._send(403, body, {"Content-Type": "application/xml"}, path)
                    return
            data = state.files.get(path)
            if data is None:
                self._send(404, b"not found", {}, path)
                return
            extra = dict(state.headers.get(path, {}))
            tag = extra.get("ETag")
            if tag is not None and self.headers.get("If-None-Match") == tag:
                self._send(304, b"", extra, path)
                return
            wanted = _RANGE.match(self.headers.get("Range", "").strip())
            if state.modes.get(path, "range") == "whole" or wanted is None:
                self._send(200, data, extra, path)
                return
            first = int(wanted.group(1))
            last = int(wanted.group(2)) if wanted.group(2) else len(data) - 1
            if first >= len(data):
                self._send(416, b"", {"Content-Range": f"bytes */{len(data)}"}, path)
                return
            last = min(last, len(data) - 1)
            extra["Content-Range"] = f"bytes {first}-{last}/{len(data)}"
            self._send(206, data[first : last + 1], extra, path)

        def _send(self, code: int, body: bytes, headers: dict[str, str], path: str) -> None:
            self.send_response(code)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                for at in range(0, len(body), 1 << 16):
                    self.wfile.write(body[at : at + (1 << 16)])
                    with state._lock:
                        state.sent[path] += len(body[at : at + (1 << 16)])
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

    return Handler


def top_level_boxes(data: bytes) -> list[tuple[bytes, int, int]]:
    """``(type, offset, size)`` of each top-level ISO-BMFF box."""
    boxes = []
    pos = 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, pos)
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, pos + 8)
        size = size or len(data) - pos
        boxes.append((kind, pos, size))
        pos += size
    return boxes
