"""The one exception inspection raises for a file it cannot turn into facts."""

from __future__ import annotations

from typing import Literal

Reason = Literal[
    "missing", "empty", "unrecognised", "truncated", "corrupt", "permission", "directory"
]
"""Short, stable code for why a file could not be inspected."""

_DEFAULT_MESSAGES: dict[Reason, str] = {
    "missing": "no such file",
    "empty": "file is empty (0 bytes)",
    "unrecognised": "not an image or video Pillow or MediaInfo can read",
    "truncated": "truncated: the file ends before its declared size",
    "corrupt": "the file's header is damaged",
    "permission": "permission denied",
    "directory": "is a directory, not a file",
}


class UnreadableMediaError(Exception):
    """A file that cannot be read as an image or a video.

    ``str(error)`` is one human sentence saying why; ``reason`` is a short code for programs
    (one of :data:`Reason`); ``path`` is the path that was inspected, when known.
    """

    reason: Reason
    path: str | None

    def __init__(self, reason: Reason, message: str | None = None, *, path: str | None = None):
        self.reason = reason
        self.path = path
        super().__init__(message if message is not None else _DEFAULT_MESSAGES[reason])

    def __str__(self) -> str:
        return str(self.args[0])

    def __reduce__(self) -> tuple[object, ...]:
        # Exception pickles as cls(*args); keep reason and path across process boundaries.
        return (_rebuild, (self.reason, str(self), self.path))


def _rebuild(reason: Reason, message: str, path: str | None) -> UnreadableMediaError:
    return UnreadableMediaError(reason, message, path=path)
