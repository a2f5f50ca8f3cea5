"""How things are shown to people: echoed input cut and escaped, and quantities in words.

Every message that echoes something a user (or an attacker) wrote, a platform name, a file
name, a key, a value, goes through here, so a 5 MB platform name costs one line and an ESC
sequence in a file name cannot repaint the terminal. Sizes, durations, frame rates and bit
rates are written here too, once, so a check's message, the terminal table and the HTML page
say "1.5 MB", "1 min 15.5 s" and "23.976 fps" alike. Standard library only: any room may use it.
"""

from __future__ import annotations

import re
from fractions import Fraction

ECHO_LIMIT = 80
"""Characters of echoed input kept in a message (the rest becomes an ellipsis)."""

NAME_LIMIT = 160
"""Characters of a file name, path or platform name kept in a report: cut in the middle, so
the folder it starts with and the name and suffix it ends with both stay readable."""

MESSAGE_LIMIT = 500
"""Characters of a message or fix title kept in human-readable output (text, GitHub, HTML);
JSON and SARIF keep every character."""

ELLIPSIS = "…"

# C0 and C1 controls, DEL, and the line/paragraph separators and bidi overrides that move text.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def shorten(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, the cut marked with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS


def shorten_middle(text: str, limit: int = NAME_LIMIT) -> str:
    """``text`` cut to ``limit`` characters by taking out its middle, marked with an ellipsis."""
    if len(text) <= limit:
        return text
    kept = max(limit - 1, 0)
    head = (kept + 1) // 2
    return text[:head] + ELLIPSIS + text[len(text) - (kept - head) :]


def escape_controls(text: str) -> str:
    """``text`` with each control character as a visible escape: ``\\n``, ``\\x1b``, ``\\u202e``."""
    if text.isprintable():
        return text
    return _CONTROL.sub(_escape, text)


def echo(text: str, limit: int = ECHO_LIMIT) -> str:
    """Input as a message may show it: shortened first (so the cost is bounded), then escaped."""
    return escape_controls(shorten(text, limit))


def echo_name(text: str, limit: int = NAME_LIMIT) -> str:
    """A file name, path or platform name as a report shows it: both ends kept, escaped."""
    return escape_controls(shorten_middle(text, limit))


def echo_message(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """A message or fix title as human output shows it (a fix that drops 100,000 items names
    them all only in JSON): cut at ``limit``, then escaped."""
    return echo(text, limit)


def human_bytes(size: int) -> str:
    """1_500_000 -> '1.5 MB' (decimal units, as the platforms' docs mostly use)."""
    if size < 1000:
        return f"{size:,} bytes"
    return _three_digits(size / 1000, ("KB", "MB", "GB"))


def human_seconds(seconds: float) -> str:
    """75.5 -> '1 min 15.5 s'."""
    if seconds < 60:
        return f"{seconds:g} s"
    minutes, rest = divmod(seconds, 60)
    if float(f"{rest:.3g}") >= 60:  # 119.97 s is 2 min, not "1 min 60 s"
        minutes, rest = minutes + 1, 0.0
    if minutes < 60:
        return f"{minutes:g} min" + (f" {rest:.3g} s" if rest >= 0.05 else "")
    hours, minutes = divmod(minutes, 60)
    return f"{hours:g} h" + (f" {minutes:g} min" if minutes else "")


def human_fps(rate: Fraction | float) -> str:
    """A frame rate as a number people read, without its unit: 30, 29.97, 23.976 (at most
    three decimals, no trailing zeros)."""
    return f"{float(rate):.3f}".rstrip("0").rstrip(".")


def human_bit_rate(bits_per_second: float) -> str:
    """4_500_000 -> '4.5 Mbit/s'; 128_000 -> '128 kbit/s'."""
    return _three_digits(bits_per_second / 1000, ("kbit/s", "Mbit/s"))


def _three_digits(value: float, units: tuple[str, ...]) -> str:
    """``value`` (in ``units[0]``) in the first unit that shows it in three significant
    digits: 999,999 bytes is "1 MB", never "1e+03 KB"; past the last unit, whole numbers."""
    for unit in units[:-1]:
        if value < 999.5:
            return f"{value:.3g} {unit}"
        value /= 1000
    return f"{value:.3g} {units[-1]}" if value < 999.5 else f"{value:,.0f} {units[-1]}"


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    point = ord(char)
    return f"\\x{point:02x}" if point <= 0xFF else f"\\u{point:04x}"
