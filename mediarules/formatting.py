"""How input is shown back to people: cut to a readable length, control characters escaped.

Every message that echoes something a user (or an attacker) wrote, a platform name, a file
name, a key, a value, goes through here, so a 5 MB platform name costs one line and an ESC
sequence in a file name cannot repaint the terminal. Standard library only: any room may use it.
"""

from __future__ import annotations

import re

ECHO_LIMIT = 80
"""Characters of echoed input kept in a message (the rest becomes an ellipsis)."""

ELLIPSIS = "…"

# C0 and C1 controls, DEL, and the line/paragraph separators and bidi overrides that move text.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def shorten(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, the cut marked with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS


def escape_controls(text: str) -> str:
    """``text`` with each control character as a visible escape: ``\\n``, ``\\x1b``, ``\\u202e``."""
    if text.isprintable():
        return text
    return _CONTROL.sub(_escape, text)


def echo(text: str, limit: int = ECHO_LIMIT) -> str:
    """Input as a message may show it: shortened first (so the cost is bounded), then escaped."""
    return escape_controls(shorten(text, limit))


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    point = ord(char)
    return f"\\x{point:02x}" if point <= 0xFF else f"\\u{point:04x}"
