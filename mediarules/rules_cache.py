"""A validated rules table kept between runs, so that a process validates it at most once.

Validating the shipped table (TOML parse, merge, pydantic) costs more than the rest of a
one-file ``check``; the result is frozen, so it is pickled into the user cache folder
(``$MEDIARULES_CACHE_DIR/rules``, else ``$XDG_CACHE_HOME/mediarules/rules`` or the platform's
own, as :func:`mediarules.remote.documents.cache_folder` chooses) under a key the caller makes
of everything the table depends on (:func:`cache_key`: the table's bytes, the package version,
the code that validates it, Python's and pydantic's versions, the pickle protocol).
``MEDIARULES_NO_RULES_CACHE=1`` turns it off.

The cache can only save time, never change an answer:

- An entry is written whole under a temporary name, then renamed (readers see the old file or
  the new one), and holds its key and a SHA-256 digest of its pickle: a truncated, damaged or
  foreign file, or one another user owns, is no entry.
- It is unpickled with only the classes the caller names (and ``Fraction``, ``date``): a file
  that names anything else is no entry, and nothing in it runs code.
- Every failure to read or write (no home folder, a read-only file system, a full disk) is
  silent: the caller validates the table, as it would without a cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import stat
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from mediarules.cache_folder import FOLDER_VARIABLE, user_cache_folder

__all__ = [
    "DISABLE_VARIABLE",
    "FOLDER_VARIABLE",
    "cache_folder",
    "cache_key",
    "load",
    "store",
]

DISABLE_VARIABLE = "MEDIARULES_NO_RULES_CACHE"
"""Set (to anything but ``""`` or ``0``): validate the table every time, keep nothing."""

PROTOCOL = pickle.HIGHEST_PROTOCOL

MAX_ENTRY_BYTES = 64 << 20
"""A larger file is no entry (the shipped table pickles to ~35 KB; the largest table the
rules accept, 1,000 platforms, to a few MB)."""

KEEP_ENTRIES = 16
"""Entries kept in the folder: writing one removes the oldest beyond these (each version of
a user's rules file, each upgrade, makes a new one)."""

_MAGIC = b"mediarules rules cache 1\n"
_SUFFIX = ".pickle"

_T = TypeVar("_T")


def cache_folder() -> Path | None:
    """Where entries are kept; ``None`` when the cache is turned off."""
    if os.environ.get(DISABLE_VARIABLE, "") not in ("", "0"):
        return None
    return user_cache_folder("rules")


def cache_key(parts: Iterable[bytes]) -> str:
    """A key for ``parts`` taken in order (each one length-prefixed, so no two different
    sequences give the same key), with the Python version and pickle protocol added."""
    digest = hashlib.sha256()
    environment = f"{sys.implementation.name} {sys.version} pickle {PROTOCOL}".encode()
    for part in (environment, *parts):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def load(key: str, expected: type[_T], allowed: Iterable[type]) -> _T | None:
    """The entry stored under ``key`` if it is intact and an ``expected`` made only of the
    ``allowed`` classes; otherwise (no entry, cache off, anything wrong) ``None``."""
    try:
        folder = cache_folder()
        if folder is None:
            return None
        data = _read_entry(folder / _name(key), key)
        if data is None:
            return None
        value = _Unpickler(io.BytesIO(data), (expected, *allowed)).load()
    except Exception:  # a damaged or foreign file, a folder that cannot be read: no entry
        return None
    return value if type(value) is expected else None


def store(key: str, value: object) -> None:
    """Keep ``value`` under ``key`` (replacing a damaged entry); silent on any failure."""
    with contextlib.suppress(Exception):  # a cache that cannot be written is no error
        folder = cache_folder()
        if folder is None:
            return
        payload = pickle.dumps(value, protocol=PROTOCOL)
        entry = b"".join(
            (_MAGIC, key.encode("ascii"), b"\n", hashlib.sha256(payload).digest(), payload)
        )
        from mediarules.safe_write import OutputFolder  # only when an entry is written

        name = _name(key)
        with OutputFolder.open(folder) as opened, opened.temporary(name) as temporary:
            temporary.file.write(entry)
            temporary.replace(name)
        _prune(folder, keep=name)


def _name(key: str) -> str:
    return f"rules-{key[:40]}{_SUFFIX}"


def _read_entry(path: Path, key: str) -> bytes | None:
    """The pickle of the entry at ``path``, if the file is a regular file of this user that
    holds ``key`` and the digest of what follows; else None."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError:
        return None
    with open(descriptor, "rb", closefd=True) as handle:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ENTRY_BYTES:
            return None
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            return None  # another user's file: it could say anything
        data = handle.read(MAX_ENTRY_BYTES + 1)
    head = b"".join((_MAGIC, key.encode("ascii"), b"\n"))
    digest_end = len(head) + 32
    if not data.startswith(head) or len(data) <= digest_end:
        return None
    payload = data[digest_end:]
    if hashlib.sha256(payload).digest() != data[len(head) : digest_end]:
        return None
    return payload


class _Unpickler(pickle.Unpickler):
    """An unpickler that builds only the classes it is given (and ``Fraction``, ``date``)."""

    def __init__(self, file: io.BytesIO, classes: Iterable[type]) -> None:
        super().__init__(file)
        self._classes = {(cls.__module__, cls.__qualname__): cls for cls in classes}

    def find_class(self, module: str, name: str) -> Any:
        found = self._classes.get((module, name)) or _PLAIN.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a rules table")
        return found


def _plain_classes() -> dict[tuple[str, str], type]:
    from datetime import date
    from fractions import Fraction

    return {("fractions", "Fraction"): Fraction, ("datetime", "date"): date}


_PLAIN = _plain_classes()


def _prune(folder: Path, *, keep: str) -> None:
    """Remove the oldest entries beyond :data:`KEEP_ENTRIES` (never ``keep``)."""
    entries = []
    for path in folder.glob(f"rules-*{_SUFFIX}"):
        with contextlib.suppress(OSError):
            entries.append((path.stat().st_mtime_ns, path))
    entries.sort(reverse=True)
    for _, path in entries[KEEP_ENTRIES:]:
        if path.name != keep:
            with contextlib.suppress(OSError):
                path.unlink()
