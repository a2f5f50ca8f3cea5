"""Media that are already uploaded: checked by URL (``http``, ``https``, ``s3``), reading only
their headers.

``mediarules.check(["https://.../clip.mp4", "s3://bucket/key.jpg"], ...)`` and the command
line hand URLs here: :func:`fetch_each` reads each one's head (64 KiB) and what its header
points at by byte ranges (:mod:`~mediarules.remote.source`), with httpx
(:mod:`~mediarules.remote.http`) or boto3 (:mod:`~mediarules.remote.s3`), only to hosts the
SSRF rules allow (:mod:`~mediarules.remote.ssrf`), and the inspection readers turn the bytes
into the same ``MediaFacts`` a local file gives. A failure is a :class:`RemoteResult` with a
:class:`FetchFailure`, which the report shows as ``media.unreachable``, ``media.not_found``,
``media.fetch_refused`` or ``media.unreadable``. :mod:`~mediarules.remote.documents` fetches
small JSON documents (a Mastodon server's limits) with an HTTP cache.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mediarules.remote.batch import fetch_all, fetch_all_async, fetch_each
    from mediarules.remote.fetch import Fetcher
    from mediarules.remote.options import HEAD_BYTES, FetchOptions
    from mediarules.remote.results import FetchError, FetchFailure, RemoteResult
    from mediarules.remote.urls import is_url, redact

__all__ = [
    "HEAD_BYTES",
    "FetchError",
    "FetchFailure",
    "FetchOptions",
    "Fetcher",
    "RemoteResult",
    "fetch_all",
    "fetch_all_async",
    "fetch_each",
    "is_url",
    "redact",
]

_MODULE_OF = {
    "fetch_all": "batch", "fetch_all_async": "batch", "fetch_each": "batch",
    "Fetcher": "fetch",
    "HEAD_BYTES": "options", "FetchOptions": "options",
    "FetchError": "results", "FetchFailure": "results", "RemoteResult": "results",
    "is_url": "urls", "redact": "urls",
}  # fmt: skip
"""Where each name lives: imported on first use (PEP 562), so a check of local files that
asks ``is_url`` never loads asyncio, the fetcher or the inspection readers it drives."""


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'mediarules.remote' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"mediarules.remote.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
