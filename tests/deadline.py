"""Run a step that might hang on hostile input, and fail the test instead of the whole run."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")


def within(seconds: float, work: Callable[[], T]) -> T:
    """``work()`` on a daemon thread; fail (instead of hanging the run) if it takes too long."""
    result: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(work())
        except BaseException as exc:  # handed to the test below
            failure.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        pytest.fail(f"still running after {seconds} s: it would hang")
    if failure:
        raise failure[0]
    return result[0]
