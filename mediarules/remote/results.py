"""What reading a remote file gave: its facts, or why not (a report's code, a short reason,
a sentence without secrets). Plain, picklable data, light to import (no HTTP library)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mediarules.models import MediaFacts

__all__ = ["FailureCode", "FetchError", "FetchFailure", "RemoteResult"]

FailureCode = Literal[
    "media.unreachable", "media.not_found", "media.fetch_refused", "media.unreadable", "media.empty"
]


@dataclass(frozen=True)
class FetchFailure:
    """``code``: the violation; ``reason``: short, for programs (``http_404``, ``timeout``,
    ``expired``, ``blocked_host``...); ``message``: what happened, secrets left out."""

    code: FailureCode
    reason: str
    message: str


class FetchError(Exception):
    """A fetch that failed for good (retries spent, or not worth retrying)."""

    def __init__(self, code: FailureCode, reason: str, message: str) -> None:
        super().__init__(message)
        self.failure = FetchFailure(code, reason, message)

    def __reduce__(self) -> tuple[object, ...]:
        failure = self.failure
        return (FetchError, (failure.code, failure.reason, failure.message))


def unreachable(reason: str, message: str) -> FetchError:
    return FetchError("media.unreachable", reason, message)


def not_found(reason: str, message: str) -> FetchError:
    return FetchError("media.not_found", reason, message)


def refused(reason: str, message: str) -> FetchError:
    return FetchError("media.fetch_refused", reason, message)


@dataclass(frozen=True)
class RemoteResult:
    """What one URL gave: its ``facts``, or the ``failure``.

    ``url`` is as reports show it (no query string, no credentials); ``requests`` and
    ``received`` are what reading it cost (range requests made, bytes that came).
    """

    url: str
    facts: MediaFacts | None = None
    failure: FetchFailure | None = None
    size: int | None = None
    requests: int = 0
    received: int = 0
