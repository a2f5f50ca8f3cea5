"""What a media URL is, and how reports show it without its secrets.

A report's ``path`` for a remote file is its URL less the query string, the fragment and any
``user:password@``: a pre-signed S3 URL carries its signature (and the access key id) in the
query, so it is never echoed. :func:`presigned_expiry` reads the ``X-Amz-Date`` and
``X-Amz-Expires`` of a pre-signed URL, so a 403 can say "the pre-signed URL expired".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit, urlunsplit

__all__ = [
    "FETCHED_SCHEMES",
    "Location",
    "is_url",
    "parse",
    "presigned_expiry",
    "redact",
]

FETCHED_SCHEMES = frozenset({"http", "https", "s3"})

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
"""Anything with a scheme and ``//`` is a URL, not a path: ``ftp://`` and ``file://`` are
refused by scheme, not looked for on disk."""

MAX_URL = 8192
"""Characters of a URL taken at all (S3's own limit on a request line is 8 KiB)."""


def is_url(text: object) -> bool:
    """Whether ``text`` is a URL string (``scheme://...``), not a local path."""
    return isinstance(text, str) and _URL.match(text) is not None


@dataclass(frozen=True)
class Location:
    """A parsed media URL: ``scheme`` (lower case), ``host``, ``port``; for ``s3://``, the
    bucket is ``host`` and the key is ``key``."""

    url: str
    scheme: str
    host: str
    port: int | None
    key: str

    @property
    def shown(self) -> str:
        return redact(self.url)


def parse(url: str) -> Location:
    """The parts of ``url``; ``ValueError`` (a sentence) when it cannot be one."""
    if len(url) > MAX_URL:
        raise ValueError(f"the URL is longer than {MAX_URL:,} characters")
    if any(ch in url for ch in "\r\n\x00"):
        raise ValueError("the URL holds a line break or NUL")
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"the URL's port is not a number from 0 to 65535 ({exc})") from exc
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ValueError("the URL names no host (or bucket)")
    key = parts.path.lstrip("/") if scheme == "s3" else parts.path
    return Location(url=url.strip(), scheme=scheme, host=host, port=port, key=key)


def redact(url: str) -> str:
    """``url`` as reports show it: no ``user:password@``, no query string, no fragment."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return url.split("?", 1)[0].split("#", 1)[0]
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port is not None else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def had_secrets(url: str) -> bool:
    """Whether :func:`redact` left something out (a query string or credentials)."""
    parts = urlsplit(url.strip())
    return bool(parts.query or parts.username or parts.password)


def presigned_expiry(url: str) -> datetime | None:
    """When a SigV4 pre-signed URL stops working (``X-Amz-Date`` + ``X-Amz-Expires``), or
    ``None`` for any other URL. (SigV2's ``Expires`` is an absolute epoch second.)"""
    query = {k.lower(): v for k, v in parse_qsl(urlsplit(url).query)}
    try:
        if "x-amz-date" in query and "x-amz-expires" in query:
            signed = datetime.strptime(query["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            return signed + timedelta(seconds=int(query["x-amz-expires"]))
        if "expires" in query and ("signature" in query or "awsaccesskeyid" in query):
            return datetime.fromtimestamp(int(query["expires"]), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None
