"""Pillow's warnings about one file, kept for that file's facts instead of printed.

Pillow warns through :mod:`warnings` ("Corrupt EXIF data", "Truncated File Read", an MPO read
as a plain JPEG). Inside :func:`collecting`, a warning raised by Pillow goes to that call's
:class:`Notes`, found through a :mod:`contextvars` variable, so each thread (and each asyncio
task) collects its own and nothing reaches stderr.

``warnings.catch_warnings`` would do the same for a single thread, but it swaps process-wide
state (the filter list and ``showwarning``) and races between threads before Python 3.14.
Instead two things are installed under a lock the first time, and again whenever something
replaced them (pytest restores both around every test):

- a filter ``always`` for warnings raised inside Pillow, so the same warning met for the next
  file is met again (the default action shows each place in the code once per process);
- a ``showwarning`` hook that routes a Pillow warning to the active collector and hands every
  other warning, and Pillow's outside a collection, to the hook it replaced, untouched.

Known limits: outside mediarules, Pillow's warnings show every time rather than once per
place; a ``catch_warnings`` block in another thread hides the hook until it ends.
"""

from __future__ import annotations

import os
import re
import threading
import warnings
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import TextIO

import PIL

from mediarules.formatting import echo

MAX_NOTES = 20
"""Distinct warnings kept per file; a TIFF with 10,000 bad tags warns 10,000 times."""

NOTE_LIMIT = 200
"""Characters kept of one warning."""

_PIL_FOLDER = os.path.dirname(os.path.abspath(PIL.__file__)) + os.sep
_FILTER = ("always", None, Warning, re.compile(r"PIL\."), 0)
"""The entry ``warnings.filterwarnings("always", module=r"PIL\\.")`` adds."""


class Notes:
    """The distinct warnings met while reading one file, at most :data:`MAX_NOTES`."""

    def __init__(self) -> None:
        self._seen: dict[str, None] = {}
        self._dropped = 0

    def add(self, text: str) -> None:
        note = echo(" ".join(text.split()), NOTE_LIMIT)
        if note in self._seen:
            return
        if len(self._seen) < MAX_NOTES:
            self._seen[note] = None
        else:
            self._dropped += 1

    def as_tuple(self) -> tuple[str, ...]:
        notes = tuple(self._seen)
        if self._dropped:
            notes += (f"(and {self._dropped} more warnings)",)
        return notes


_collector: ContextVar[Notes | None] = ContextVar("mediarules_library_warnings", default=None)
_lock = threading.Lock()
_replaced: Callable[..., object] = warnings.showwarning
"""The ``showwarning`` the hook hands other warnings to."""


def collecting() -> _Collecting:
    """Collect Pillow's warnings raised in this context (this thread, this task) until exit:
    ``with collecting() as notes: ...``."""
    return _Collecting()


class _Collecting:
    """The context manager of :func:`collecting` (a class: ``@contextmanager`` costs twice as
    much, and this runs for every file)."""

    _token: Token[Notes | None]

    def __enter__(self) -> Notes:
        _install()
        notes = Notes()
        self._token = _collector.set(notes)
        return notes

    def __exit__(self, *exc_info: object) -> None:
        _collector.reset(self._token)


def _install() -> None:
    """Put the filter first and the hook in place, unless they already are (the usual case)."""
    if warnings.showwarning is _route and warnings.filters[:1] == [_FILTER]:
        return
    global _replaced
    with _lock:
        if warnings.showwarning is not _route:
            _replaced = warnings.showwarning
            warnings.showwarning = _route
        if warnings.filters[:1] != [_FILTER]:
            warnings.filterwarnings("always", module=r"PIL\.")


def _route(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    notes = _collector.get()
    if notes is not None and _from_pillow(filename):
        notes.add(f"Pillow: {message}")
        return
    _replaced(message, category, filename, lineno, file, line)


def _from_pillow(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_PIL_FOLDER)
