"""Why a remote file could not be read: a code of the report, a short reason, a sentence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["FailureCode", "FetchError", "FetchFailure"]

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
