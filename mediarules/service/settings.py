"""``mediarules serve``'s settings: each a flag and an environment variable, checked at start.

A flag wins over its environment variable, which wins over the default. Every value is
checked before anything starts, and a bad one is one line naming the flag or the variable
(the command line prints it and exits 2). This module imports no web framework: the command
line reads it before deciding to start one.

The worker processes of ``--workers N`` get the checked settings through one environment
variable (``SETTINGS_VARIABLE``, JSON), set by the process that spawns them.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from mediarules.formatting import echo, human_bytes

__all__ = [
    "ENVIRONMENT",
    "FIELDS",
    "SETTINGS_VARIABLE",
    "Settings",
    "SettingsError",
    "parse_size",
    "resolve_settings",
]

SETTINGS_VARIABLE = "MEDIARULES_SERVE_SETTINGS"
"""Where worker processes find the settings the command line checked (internal)."""


class SettingsError(ValueError):
    """A flag or environment variable that cannot be used: one line naming it."""


@dataclass(frozen=True)
class Settings:
    """What one ``mediarules serve`` runs with. Limits hold per worker process."""

    host: str = "127.0.0.1"
    port: int = 8750
    workers: int = 1
    max_body_bytes: int = 100_000_000
    """The largest request body: uploads in all, or a JSON document (never past 16 MiB)."""
    max_files: int = 20
    max_concurrent: int = 32
    """Requests worked on at once by one worker process; one more is refused with 503."""
    timeout_s: float = 60.0
    """The longest one request may take, reading its body included; then 503."""
    api_key: str | None = None
    cors_origins: tuple[str, ...] = ()
    rules: str | None = None
    mastodon_instance: str | None = None
    tiktok_creator_info: str | None = None
    access_log: bool = True

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Settings:
        data = json.loads(text)
        data["cors_origins"] = tuple(data.get("cors_origins", ()))
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})

    @property
    def described(self) -> dict[str, Any]:
        """The settings for a log line: the API key is never shown, only whether there is one."""
        data = asdict(self)
        data["api_key"] = "set" if self.api_key else None
        data["cors_origins"] = list(self.cors_origins)
        return data


# -- values ----------------------------------------------------------------------------------

_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([kmg]i?b?|b|bytes)?\s*", re.IGNORECASE)
_UNITS = {
    "": 1, "b": 1, "bytes": 1,
    "k": 1000, "kb": 1000, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
    "ki": 1024, "kib": 1024, "mi": 1024**2, "mib": 1024**2, "gi": 1024**3, "gib": 1024**3,
}  # fmt: skip
MAX_BODY_CEILING = 64 * 10**9
"""Past this a body limit is a typo, not a decision."""


def parse_size(text: str) -> int:
    """``25MB`` -> 25,000,000; ``5MiB`` -> 5,242,880; ``1000`` -> 1,000 (decimal units as
    the rest of mediarules shows sizes; ``KiB``/``MiB``/``GiB`` binary)."""
    match = _SIZE.fullmatch(text)
    if match is None:
        raise ValueError("not a size (e.g. 25MB, 500KB, 5MiB or a number of bytes)")
    number, unit = match.groups()
    size = math.floor(float(number) * _UNITS[(unit or "").lower()])
    if size < 1:
        raise ValueError("must be at least 1 byte")
    if size > MAX_BODY_CEILING:
        raise ValueError(f"must be at most {human_bytes(MAX_BODY_CEILING)}")
    return size


def _whole(least: int, most: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise ValueError("not a whole number") from None
        if not least <= value <= most:
            raise ValueError(f"must be from {least:,} to {most:,}")
        return value

    return parse


def _seconds(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError("not a number of seconds") from None
    if not math.isfinite(value) or not 0.1 <= value <= 86_400:
        raise ValueError("must be from 0.1 to 86,400 seconds")
    return value


def _host(text: str) -> str:
    host = text.strip()
    if not host or any(c.isspace() for c in host) or len(host) > 255:
        raise ValueError("not a host name or address")
    return host


def _key(text: str) -> str | None:
    key = text.strip()
    if not key:
        return None  # an empty variable means no key, as an unset one does
    if len(key) < 16:
        raise ValueError("an API key must be at least 16 characters")
    if len(key) > 4096 or not key.isprintable() or not key.isascii():
        raise ValueError("an API key is at most 4,096 printable ASCII characters")
    return key


def _origins(text: str) -> tuple[str, ...]:
    origins = tuple(part.strip().rstrip("/") for part in text.split(",") if part.strip())
    for origin in origins:
        if origin != "*" and not re.fullmatch(r"https?://[^\s/]+", origin):
            raise ValueError(f"{echo(origin)} is not an origin (https://example.com, or *)")
    return origins


def _path(text: str) -> str | None:
    return text or None


def _switch(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError("not a yes or no (1/0, true/false, yes/no, on/off)")


@dataclass(frozen=True)
class _Setting:
    field: str
    flag: str
    parse: Callable[[str], Any]
    secret: bool = False

    @property
    def variable(self) -> str:
        return "MEDIARULES_" + self.flag.removeprefix("--").replace("-", "_").upper()


_SETTINGS = (
    _Setting("host", "--host", _host),
    _Setting("port", "--port", _whole(0, 65_535)),
    _Setting("workers", "--workers", _whole(1, 64)),
    _Setting("max_body_bytes", "--max-body", parse_size),
    _Setting("max_files", "--max-files", _whole(1, 1_000)),
    _Setting("max_concurrent", "--max-concurrent", _whole(1, 10_000)),
    _Setting("timeout_s", "--timeout", _seconds),
    _Setting("api_key", "--api-key", _key, secret=True),
    _Setting("cors_origins", "--cors-origins", _origins),
    _Setting("rules", "--rules", _path),
    _Setting("mastodon_instance", "--mastodon-instance", _path),
    _Setting("tiktok_creator_info", "--tiktok-creator-info", _path),
    _Setting("access_log", "--access-log", _switch),
)

ENVIRONMENT = {setting.flag: setting.variable for setting in _SETTINGS}
"""Each flag's environment variable: ``--max-body`` is ``MEDIARULES_MAX_BODY``."""
FIELDS = tuple(setting.field for setting in _SETTINGS)
"""The settings a command line gives (its ``argparse`` destinations are these names)."""


def resolve_settings(flags: Mapping[str, str | None], environ: Mapping[str, str]) -> Settings:
    """Settings from ``flags`` (field name -> the flag's text, None when not given) over
    ``environ`` over the defaults. Raises ``SettingsError`` naming the flag or variable."""
    values: dict[str, Any] = {}
    for setting in _SETTINGS:
        given = flags.get(setting.field)
        origin = setting.flag
        if given is None:
            given, origin = environ.get(setting.variable), setting.variable
        if given is None:
            continue
        try:
            values[setting.field] = setting.parse(given)
        except ValueError as exc:
            shown = "(hidden)" if setting.secret else repr(echo(given, 40))
            raise SettingsError(f"{origin} {shown}: {exc}") from None
    return Settings(**values)
