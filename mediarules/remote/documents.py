"""Small JSON documents over HTTP (a Mastodon server's ``/api/v2/instance``), cached.

The answer is kept in the user's cache folder (``$MEDIARULES_CACHE_DIR``, else
``$XDG_CACHE_HOME/mediarules`` or the platform's own) with its ``ETag`` and ``Cache-Control``
lifetime: within ``max-age`` no request is made; after it, ``If-None-Match`` asks whether it
changed (304: the copy is still good); ``no-store`` keeps nothing. When the server cannot be
reached (offline, a 5xx), the cached copy is used, however old, and the caller is told so.
Requests go through the same guarded client as media (:mod:`~mediarules.remote.ssrf`).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mediarules.cache_folder import user_cache_folder
from mediarules.formatting import echo
from mediarules.remote.options import FetchOptions
from mediarules.remote.results import FetchError, not_found, unreachable
from mediarules.remote.urls import redact
from mediarules.safe_read import InputValueError, parse_json, read_limited
from mediarules.safe_write import OutputFolder

__all__ = ["Document", "cache_folder", "fetch_json"]

MAX_DOCUMENT = 1 << 20
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class Document:
    """A parsed document; ``note`` says when it came from the cache rather than the server."""

    data: Any
    url: str
    note: str | None = None


def cache_folder() -> Path:
    """Where fetched documents are kept (the user cache folder, ``mediarules/documents``)."""
    return user_cache_folder("documents")


def fetch_json(
    url: str, options: FetchOptions | None = None, *, cache: Path | None = None
) -> Document:
    """The JSON document at ``url``, fresh, revalidated or (offline) cached; raises
    :class:`FetchError` when there is neither an answer nor a cached copy."""
    from mediarules.remote.http import HttpClient, get_document  # httpx only when needed

    options = options or FetchOptions()
    folder = cache or cache_folder()
    name = hashlib.sha256(url.encode()).hexdigest()[:40] + ".json"
    entry = _read_entry(folder / name, url)
    now = time.time()
    if entry is not None and now - entry["fetched"] < entry["max_age"]:
        return Document(entry["data"], redact(url))
    headers = {"Accept": "application/json"}
    if entry is not None and entry.get("etag"):
        headers["If-None-Match"] = str(entry["etag"])
    client = HttpClient(options)
    try:
        status, answer, body = get_document(client, url, headers, MAX_DOCUMENT)
    except FetchError as exc:
        return _offline(entry, url, exc)
    finally:
        client.close()
    if status == 304 and entry is not None:
        _write_entry(folder, name, {**entry, "fetched": now, "max_age": _max_age(answer)})
        return Document(entry["data"], redact(url))
    if status >= 500 or status == 429:
        return _offline(entry, url, unreachable(f"http_{status}", f"HTTP {status}"))
    if status != 200:
        raise not_found(f"http_{status}", f"{redact(url)}: HTTP {status}")
    try:
        data = parse_json(body)
    except (ValueError, InputValueError) as exc:
        raise unreachable("bad_json", f"{redact(url)}: not JSON ({echo(str(exc))})") from None
    if "no-store" not in answer.get("cache-control", "").lower():
        fresh = {"url": url, "etag": answer.get("etag"), "fetched": now, "data": data}
        _write_entry(folder, name, {**fresh, "max_age": _max_age(answer)})
    return Document(data, redact(url))


def _max_age(headers: Any) -> float:
    control = str(headers.get("cache-control", ""))
    if "no-cache" in control.lower():
        return 0.0
    match = _MAX_AGE.search(control)
    return float(match.group(1)) if match else 0.0


def _offline(entry: dict[str, Any] | None, url: str, exc: FetchError) -> Document:
    if entry is None:
        raise exc
    when = datetime.fromtimestamp(entry["fetched"], tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    note = f"{redact(url)} could not be fetched ({exc}): using the copy from {when}"
    return Document(entry["data"], redact(url), note=note)


def _read_entry(path: Path, url: str) -> dict[str, Any] | None:
    """The cached entry for ``url``; a missing, damaged or foreign one is no entry."""
    try:
        entry = parse_json(read_limited(path))
    except (OSError, ValueError, InputValueError):
        return None
    valid = (
        isinstance(entry, dict)
        and entry.get("url") == url
        and isinstance(entry.get("fetched"), int | float)
        and isinstance(entry.get("max_age"), int | float)
        and "data" in entry
    )
    return entry if valid else None


def _write_entry(folder: Path, name: str, entry: dict[str, Any]) -> None:
    """Keep ``entry`` (a cache that cannot be written is no error: the next run fetches)."""
    try:
        with OutputFolder.open(folder) as opened, opened.temporary(name) as temporary:
            temporary.file.write(json.dumps(entry).encode())
            temporary.replace(name)
    except OSError:
        return
