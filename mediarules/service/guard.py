"""The middleware every request passes: its ID, the API key, the limits, logs and metrics.

In order: a request ID (the client's ``X-Request-ID`` when it is sane, else a new one); the
API key for ``/v1/`` and ``/metrics`` when the service has one (compared in constant time);
for ``/v1/``, admission (``--max-concurrent`` requests worked on at once, one more gets 503
with ``Retry-After``); the body limit (``Content-Length`` past ``--max-body`` is refused
before a byte is read, and a body that grows past it while streaming is cut off with 413);
the time limit (``--timeout``, 503, for ``/v1/``). Then the access log line and the
metrics. An exception that escapes an endpoint is logged with its traceback and answered
with a 500 problem; the process goes on.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import re
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from starlette.requests import ClientDisconnect

from mediarules.formatting import human_bytes, human_seconds
from mediarules.service.logs import ACCESS, FIELDS_ATTRIBUTE, LOG
from mediarules.service.metrics import Metrics
from mediarules.service.problems import (
    PROBLEM_MEDIA_TYPE,
    PROBLEMS,
    ProblemError,
    json_bytes,
    problem_body,
)
from mediarules.service.settings import Settings
from mediarules.service.work import Gate, Scratch

__all__ = ["BodyTooLargeError", "Guard", "RequestContext", "context_of"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_WORK_PREFIX = "/v1/"
"""Only the API is admitted, timed and keyed: probes, metrics and the page answer while the
worker is at its limit (``/metrics`` too is keyed)."""
_KEYED_PREFIXES = (_WORK_PREFIX, "/metrics")


class BodyTooLargeError(ProblemError):
    def __init__(self, limit: int) -> None:
        super().__init__(
            "body-too-large",
            f"the request body is larger than {human_bytes(limit)} (the service's --max-body)",
        )


class RequestContext:
    """What the guard hands an endpoint through ``scope["state"]``."""

    def __init__(self, request_id: str, scratch: Scratch) -> None:
        self.request_id = request_id
        self.scratch = scratch


def context_of(scope: Scope) -> RequestContext:
    context: RequestContext = scope["state"]["context"]
    return context


class Guard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: Settings,
        metrics: Metrics,
        gate: Gate,
        scratch_base: Callable[[], Path],
    ) -> None:
        self.app = app
        self.settings = settings
        self.metrics = metrics
        self.gate = gate
        self.scratch_base = scratch_base
        self._key = settings.api_key.encode("ascii") if settings.api_key else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        path: str = scope.get("path", "")
        answer = _Answer(send, request_id)
        admitted = False
        scratch = Scratch(self.scratch_base())
        scope.setdefault("state", {})["context"] = RequestContext(request_id, scratch)
        try:
            refusal = self._refusal(scope, path)
            if refusal is not None:
                if refusal[0] == "body-too-large":
                    await _drain(receive, _content_length(scope) or 0)
                slug, detail, headers = refusal
                await answer.problem(slug, detail, instance=path, headers=headers)
                return
            if path.startswith(_WORK_PREFIX) and scope.get("method") != "OPTIONS":
                if not self.gate.enter():
                    self.metrics.refused.labels("busy").inc()
                    await answer.problem(
                        "busy",
                        f"{self.gate.limit} requests are being worked on (the service's"
                        " --max-concurrent); try again in a moment",
                        instance=path,
                        headers={"retry-after": "1"},
                    )
                    return
                admitted = True
                self.metrics.in_flight.inc()
            await self._run(scope, _limited(receive, self.settings.max_body_bytes), answer, path)
        finally:
            if admitted:
                self.metrics.in_flight.dec()
            scratch.close(self.gate.leave if admitted else _nothing)
            self._record(scope, path, answer, started)

    def _refusal(self, scope: Scope, path: str) -> tuple[str, str, dict[str, str]] | None:
        keyed = self._key is not None and path.startswith(_KEYED_PREFIXES)
        if keyed and scope.get("method") != "OPTIONS" and not self._key_matches(scope):
            self.metrics.refused.labels("unauthorized").inc()
            given = _header(scope, b"x-api-key") or _header(scope, b"authorization")
            detail = "wrong API key" if given else "this service needs an API key"
            return (
                "unauthorized",
                f"{detail}: send it as X-API-Key (or Authorization: Bearer)",
                {"www-authenticate": 'Bearer realm="mediarules"'},
            )
        length = _content_length(scope)
        limit = self.settings.max_body_bytes
        if length is not None and length > limit:
            self.metrics.refused.labels("body-too-large").inc()
            return ("body-too-large", BodyTooLargeError(limit).detail, {"connection": "close"})
        return None

    def _key_matches(self, scope: Scope) -> bool:
        assert self._key is not None
        given = _header(scope, b"x-api-key")
        if given is None:
            scheme, _, token = (_header(scope, b"authorization") or "").partition(" ")
            given = token.strip() if scheme.lower() == "bearer" else ""
        # compare_digest takes time independent of where the strings differ
        return hmac.compare_digest(given.encode("utf-8", "replace"), self._key)

    async def _run(self, scope: Scope, receive: Receive, answer: _Answer, path: str) -> None:
        timed = path.startswith(_WORK_PREFIX)
        try:
            async with asyncio.timeout(self.settings.timeout_s if timed else None):
                await self.app(scope, receive, answer.send)
        except TimeoutError:
            self.metrics.refused.labels("timeout").inc()
            if not answer.started:
                await answer.problem(
                    "timeout",
                    f"the request took longer than {human_seconds(self.settings.timeout_s)}"
                    " (the service's --timeout)",
                    instance=path,
                )
        except ClientDisconnect:  # the client went away mid-body: nobody to answer
            answer.gone = True
        except BodyTooLargeError as exc:  # raised while the framework itself read the body
            self.metrics.refused.labels("body-too-large").inc()
            if not answer.started:
                await answer.problem(exc.kind.slug, exc.detail, instance=path)
        except Exception:
            LOG.exception(
                "unhandled error",
                extra={FIELDS_ATTRIBUTE: {"request_id": answer.request_id, "path": path}},
            )
            if not answer.started:
                await answer.problem(
                    "internal",
                    f"the service failed on this request (request ID {answer.request_id})",
                    instance=path,
                )

    def _record(self, scope: Scope, path: str, answer: _Answer, started: float) -> None:
        seconds = time.perf_counter() - started
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        method = str(scope.get("method", ""))
        status = answer.status or (CLIENT_GONE if answer.gone else 0)
        self.metrics.requests.labels(method, template, str(status)).inc()
        self.metrics.latency.labels(method, template).observe(seconds)
        if self.settings.access_log:
            client = scope.get("client")
            fields = {
                "event": "request",
                "method": method,
                "path": path,
                "route": template,
                "status": status,
                "duration_ms": round(seconds * 1000, 3),
                "request_id": answer.request_id,
                "client": client[0] if client else None,
                "pid": os.getpid(),
            }
            ACCESS.info("%s %s %s", method, path, status, extra={FIELDS_ATTRIBUTE: fields})


class _Answer:
    """``send``, noting the status and adding ``X-Request-ID`` and ``nosniff``."""

    def __init__(self, send: Send, request_id: str) -> None:
        self._send = send
        self.request_id = request_id
        self.status: int | None = None
        self.gone = False

    @property
    def started(self) -> bool:
        return self.status is not None

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            headers = list(message.get("headers", []))
            headers.append((b"x-request-id", self.request_id.encode("ascii")))
            headers.append((b"x-content-type-options", b"nosniff"))
            message["headers"] = headers
        await self._send(message)

    async def problem(
        self,
        slug: str,
        detail: str,
        *,
        instance: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        kind = PROBLEMS[slug]
        body = json_bytes(problem_body(kind, detail, instance=instance, request_id=self.request_id))
        raw_headers = [
            (b"content-type", PROBLEM_MEDIA_TYPE.encode("ascii")),
            (b"content-length", str(len(body)).encode("ascii")),
        ]
        for name, value in (headers or {}).items():
            raw_headers.append((name.encode("latin-1"), value.encode("latin-1")))
        start = {"type": "http.response.start", "status": kind.status, "headers": raw_headers}
        await self.send(start)
        await self.send({"type": "http.response.body", "body": body})


CLIENT_GONE = 499
"""The status logged (and counted) for a request whose client left before its answer, as
nginx logs it; nothing is sent."""

DRAIN_BYTES = 64 * 1024 * 1024
"""How much of a refused body is read and dropped before the 413, so that a client that
sends its whole body before reading the answer (most do) gets the answer rather than a
connection reset. A longer body is cut off."""


def _limited(receive: Receive, limit: int) -> Receive:
    """``receive``, raising ``BodyTooLargeError`` once the body passes ``limit`` bytes (a body
    sent in chunks has no ``Content-Length`` to refuse it by)."""
    seen = 0

    async def limited() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                if message.get("more_body", False):
                    await _drain(receive, DRAIN_BYTES)
                raise BodyTooLargeError(limit)
        return message

    return limited


async def _drain(receive: Receive, expected: int) -> None:
    """Read and drop the rest of a refused body, when it is within ``DRAIN_BYTES``."""
    if expected > DRAIN_BYTES:
        return
    dropped = 0
    while dropped <= DRAIN_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            return
        dropped += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


def _content_length(scope: Scope) -> int | None:
    length = _header(scope, b"content-length")
    if length is None or not length.strip().isdigit():
        return None
    return int(length)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _request_id(scope: Scope) -> str:
    given = _header(scope, b"x-request-id")
    if given is not None and _REQUEST_ID.fullmatch(given):
        return given
    return secrets.token_hex(8)


def _nothing() -> None:
    pass
