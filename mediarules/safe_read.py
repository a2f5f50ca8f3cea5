"""Bounded reading of the files the command line takes as configuration or text.

``--post``, ``--rules``, ``--mastodon-instance``, ``--tiktok-creator-info``, ``--caption-file``
and ``pyproject.toml`` are untrusted: a FIFO would block the open, ``/dev/zero`` would fill
memory, a JSON array nested 100,000 deep or an integer of 5,000 digits would raise from deep
inside the parser. Here a file must be a regular file (or ``-``, standard input, where the
caller allows it), is read up to ``MAX_INPUT_BYTES``, and a parsed document is refused when it
nests deeper than ``MAX_NESTING`` or holds a number no count or limit can be, naming where.
Standard library only (and ``mediarules.formatting``, which is too).
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import stat
import sys
import tomllib
from collections.abc import Callable, Iterable
from typing import Any

from mediarules.formatting import echo, echo_name

__all__ = [
    "MAX_INPUT_BYTES",
    "MAX_INTEGER",
    "MAX_NESTING",
    "STDIN",
    "InputFileError",
    "InputValueError",
    "parse_json",
    "parse_toml",
    "read_limited",
]

MAX_INPUT_BYTES = 16 * 1024 * 1024
"""The most a configuration or text file may hold (real ones hold a few KB: a create-post
body with 10,000 media records is about 3 MB); a larger file is refused, never read whole."""

MAX_NESTING = 64
"""Containers (objects, arrays, tables) inside one another: the deepest real document (a
Mastodon instance) nests 4."""

MAX_INTEGER = 2**63 - 1
"""The largest integer a document may hold (TOML's own bound, and past any size in bytes)."""

STDIN = "-"
"""The file name that means standard input, where the caller allows it."""

_FILE_KINDS: tuple[tuple[Callable[[int], bool], str], ...] = (
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class InputFileError(OSError):
    """A file that may not be read as configuration or text: not a regular file, or too large.

    ``str(error)`` is the reason alone (callers put the file name first).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)


class InputValueError(ValueError):
    """A parsed document that may not be used: nested too deeply, or a number out of range.

    ``where`` is the key path (``media[1].metadata.width``) or the line, when known.
    """

    def __init__(self, reason: str, where: str | None = None) -> None:
        self.reason = reason
        self.where = where
        super().__init__(f"{where}: {reason}" if where else reason)


def read_limited(path: str | os.PathLike[str], *, stdin_ok: bool = False) -> bytes:
    """The bytes of the regular file ``path`` (standard input for ``-`` when ``stdin_ok``).

    The open cannot block (``O_NONBLOCK``: a FIFO is refused, not waited on) and at most
    ``MAX_INPUT_BYTES`` are kept. Raises ``OSError``: ``FileNotFoundError`` and the like as the
    system says, ``IsADirectoryError`` for a folder, ``InputFileError`` for anything else.
    """
    if stdin_ok and os.fspath(path) == STDIN:
        return _capped(sys.stdin.buffer.read(MAX_INPUT_BYTES + 1))
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)
    descriptor = os.open(path, flags)
    with open(descriptor, "rb", closefd=True) as handle:
        status = os.fstat(descriptor)
        _require_regular(status.st_mode)
        if status.st_size > MAX_INPUT_BYTES:
            raise InputFileError(_too_large())
        return _capped(handle.read(MAX_INPUT_BYTES + 1))


def _require_regular(mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
    kind = next((name for test, name in _FILE_KINDS if test(mode)), "not a file")
    raise InputFileError(f"not a regular file ({kind})")


def _capped(data: bytes) -> bytes:
    if len(data) > MAX_INPUT_BYTES:
        raise InputFileError(_too_large())
    return data


def _too_large() -> str:
    return f"larger than the {MAX_INPUT_BYTES // 2**20} MiB limit for input files"


class DocumentError(ValueError):
    """A configuration document that cannot be used; ``str(error)`` is one line that names
    the file first."""


def read_document(path: str | os.PathLike[str], *, syntax: str, noun: str = "file") -> Any:
    """The parsed JSON or TOML (``syntax``) document in ``path``, read with
    :func:`read_limited`; any problem raises :class:`DocumentError` naming the file and, where
    known, the key path (``noun`` is what the file is to the user: "rules file")."""
    name = echo_name(os.fsdecode(path))
    parse: Callable[[bytes], Any] = parse_toml if syntax == "TOML" else parse_json
    try:
        return parse(read_limited(path))
    except FileNotFoundError:
        raise DocumentError(f"{name}: {noun} not found") from None
    except IsADirectoryError:
        raise DocumentError(f"{name}: is a directory, not a {noun}") from None
    except (json.JSONDecodeError, tomllib.TOMLDecodeError, InputValueError) as exc:
        raise DocumentError(f"{name}: invalid {syntax}: {exc}") from None
    except OSError as exc:
        raise DocumentError(f"{name}: cannot read {noun}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{name}: cannot read {noun}: not UTF-8 ({exc.reason})") from None


# ---------------------------------------------------------------------------------------------
# JSON


class _Refused:
    """Stands, in a parsed document, for a number that may not be used (and says why), so the
    walk over the document can name its key path."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


def parse_json(raw: bytes | str) -> Any:
    """``json.loads(raw)``, bounded: NaN, Infinity, numbers that overflow a float, integers
    past ``MAX_INTEGER`` and nesting past ``MAX_NESTING`` raise ``InputValueError`` naming the
    key path. Bad JSON raises ``json.JSONDecodeError``, bad bytes ``UnicodeDecodeError``."""
    refused: list[_Refused] = []

    def refuse(reason: str) -> _Refused:
        refused.append(_Refused(reason))
        return refused[-1]

    def integer(text: str) -> int | _Refused:
        digits = len(text.lstrip("-"))
        if digits > len(str(MAX_INTEGER)):  # int() of 5,000 digits raises: never try
            return refuse(f"an integer of {digits:,} digits is past the 64-bit limit")
        value = int(text)
        return value if abs(value) <= MAX_INTEGER else refuse(_integer_too_large(value))

    def real(text: str) -> float | _Refused:
        value = float(text)
        return value if math.isfinite(value) else refuse(f"{_cut(text)} is too large a number")

    def constant(text: str) -> _Refused:
        return refuse(f"{text} is not a JSON number")

    try:
        data = json.loads(raw, parse_int=integer, parse_float=real, parse_constant=constant)
    except RecursionError:
        raise InputValueError(_too_deep(), _deep_position(raw)) from None
    _check_tree(data, _refusal if refused else None)
    return data


def _refusal(value: object) -> str | None:
    return value.reason if isinstance(value, _Refused) else None


_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def _deep_position(raw: bytes | str) -> str | None:
    """``line L column C`` where a JSON text first nests past ``MAX_NESTING`` (strings skipped)."""
    text = raw if isinstance(raw, str) else raw.decode(json.detect_encoding(raw), "replace")
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return _line_column(text, match.start())
        elif token in "]}":
            depth -= 1
    return None


# ---------------------------------------------------------------------------------------------
# TOML

_LONG_NUMBER = re.compile(r"[0-9][0-9_]{4299,}")


def parse_toml(raw: bytes) -> dict[str, Any]:
    """``tomllib.loads`` of UTF-8 ``raw``, bounded: integers past ``MAX_INTEGER`` and nesting
    past ``MAX_NESTING`` raise ``InputValueError`` naming the key or line. Bad TOML raises
    ``tomllib.TOMLDecodeError``, bad bytes ``UnicodeDecodeError``.

    Infinite and NaN floats are left to the schema of the table, which names the key.
    """
    text = raw.decode("utf-8")
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise InputValueError(_too_deep()) from None
    except tomllib.TOMLDecodeError:
        raise
    except ValueError:  # int() refuses more than 4,300 decimal digits before TOML sees them
        raise InputValueError(
            "an integer of more than 4,300 digits is too large", _long_number_line(text)
        ) from None
    _check_tree(data, _toml_scalar)
    return data


def _toml_scalar(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INTEGER:
        return _integer_too_large(value)
    return None


def _long_number_line(text: str) -> str | None:
    match = _LONG_NUMBER.search(text)
    if match is None:
        return None
    start = text.rfind("\n", 0, match.start()) + 1
    key, equals, _ = text[start : match.start()].partition("=")
    where = f"line {text.count(chr(10), 0, match.start()) + 1}"
    return f"{where}, key {_cut(key.strip())!r}" if equals and key.strip() else where


# ---------------------------------------------------------------------------------------------
# the walk over a parsed document

_Trail = tuple[Any, str | int] | None
"""The way to a node: (the trail to its parent, its key), built only for containers."""


def _check_tree(root: Any, scalar_problem: Callable[[object], str | None] | None) -> None:
    """Refuse nesting past ``MAX_NESTING``, and any scalar ``scalar_problem`` objects to,
    naming its key path. One pass, no recursion: a million-node document costs a fraction of
    its parse."""
    if not isinstance(root, dict | list):
        problem = scalar_problem(root) if scalar_problem is not None else None
        if problem is not None:
            raise InputValueError(problem)
        return
    stack: list[tuple[Any, int, _Trail]] = [(root, 1, None)]
    while stack:
        node, depth, trail = stack.pop()
        entries: Iterable[tuple[str | int, Any]] = (
            node.items() if isinstance(node, dict) else enumerate(node)
        )
        for key, value in entries:
            if isinstance(value, dict | list):
                if depth >= MAX_NESTING:
                    raise InputValueError(_too_deep(), key_path((trail, key)))
                stack.append((value, depth + 1, (trail, key)))
            elif scalar_problem is not None:
                problem = scalar_problem(value)
                if problem is not None:
                    raise InputValueError(problem, key_path((trail, key)))


def key_path(trail: _Trail) -> str:
    """``media[1].metadata.width`` for the trail to a node; long keys cut, controls escaped."""
    parts: list[str | int] = []
    while trail is not None:
        trail, key = trail
        parts.append(key)
    text = ""
    for part in reversed(parts):
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{_cut(part)}" if text else _cut(part)
    return _cut(text, 160) or "(top level)"


def _too_deep() -> str:
    return f"nested more than {MAX_NESTING} levels deep"


def _integer_too_large(value: int) -> str:
    """Told by its bits: ``str`` of a 5,000-digit integer raises."""
    return f"an integer of {value.bit_length():,} bits is past the 64-bit limit"


def _line_column(text: str, position: int) -> str:
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return f"line {line} column {column}"


def _cut(text: str, limit: int = 40) -> str:
    return echo(text, limit)
