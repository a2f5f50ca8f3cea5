"""One remote file's facts, from its head and what the header points at.

:meth:`Fetcher.inspect` never raises: a file it cannot reach, find, may not fetch or cannot
read is a :class:`RemoteResult` holding the failure (the code its violation gets, a reason,
a sentence without secrets), so a batch goes on and a post is still checked.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING

from mediarules.formatting import echo
from mediarules.inspection import UnreadableMediaError, inspect_source
from mediarules.models import MediaFacts
from mediarules.remote.options import FetchOptions
from mediarules.remote.results import FetchError, FetchFailure, RemoteResult, refused
from mediarules.remote.source import RangeObject, RemoteSource
from mediarules.remote.urls import FETCHED_SCHEMES, parse, redact

if TYPE_CHECKING:
    from mediarules.remote.http import HttpClient
    from mediarules.remote.s3 import S3Client

__all__ = ["Fetcher"]


class Fetcher:
    """The connections of one batch (HTTP made at once, S3 on the first ``s3://``);
    :meth:`inspect` may be called from many threads."""

    def __init__(self, options: FetchOptions | None = None) -> None:
        self.options = options or FetchOptions()
        self._http: HttpClient | None = None
        self._s3: S3Client | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
        if self._s3 is not None:
            self._s3.close()

    def inspect(self, url: str) -> RemoteResult:
        shown = redact(url)
        try:
            obj = self._open(url, time.monotonic() + self.options.total_timeout)
        except FetchError as exc:
            return RemoteResult(shown, failure=exc.failure)
        source = RemoteSource(obj, self.options)
        try:
            source.open()
            facts = _facts(source, shown)
        except FetchError as exc:
            return _result(shown, source, failure=source.failure or exc.failure)
        if source.failure is not None:  # a reader took the failure for "not my format"
            return _result(shown, source, failure=source.failure)
        return _result(shown, source, facts=facts)

    def _open(self, url: str, deadline: float) -> RangeObject:
        try:
            location = parse(url)
        except ValueError as exc:
            raise refused("bad_url", f"not a URL mediarules can fetch: {exc}") from None
        if location.scheme not in FETCHED_SCHEMES:
            raise refused(
                "scheme",
                f"{echo(location.scheme)}: URLs are not fetched (only http, https and s3)",
            )
        if location.scheme == "s3":
            if not location.key:
                raise refused("bad_url", "an s3:// URL names a bucket and a key")
            return self._s3_client().open(location, deadline)
        return self._http_client().open(url, deadline)

    def _http_client(self) -> HttpClient:
        if self._http is not None:
            return self._http
        with self._lock:
            if self._http is None:
                from mediarules.remote.http import HttpClient  # httpx: only when a URL comes

                self._http = HttpClient(self.options)
            return self._http

    def _s3_client(self) -> S3Client:
        with self._lock:
            if self._s3 is None:
                from mediarules.remote.s3 import S3Client

                self._s3 = S3Client(self.options)
            return self._s3


def _facts(source: RemoteSource, shown: str) -> MediaFacts:
    if source.size == 0:
        raise FetchError("media.empty", "empty", "the object is empty (0 bytes)")
    try:
        return inspect_source(source, shown)
    except UnreadableMediaError as exc:
        if exc.reason == "empty":
            raise FetchError("media.empty", exc.reason, str(exc)) from None
        raise FetchError("media.unreadable", exc.reason, str(exc)) from None


def _result(
    shown: str,
    source: RemoteSource,
    *,
    facts: MediaFacts | None = None,
    failure: FetchFailure | None = None,
) -> RemoteResult:
    return RemoteResult(
        shown,
        facts=facts,
        failure=failure,
        size=source.size or source.known_size,
        requests=source.requests,
        received=source.received,
    )
