"""How remote media are fetched: budgets, timeouts, retries and which hosts may be reached."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["HEAD_BYTES", "FetchOptions"]

HEAD_BYTES = 64 << 10
"""The first request of every object: most image headers and faststart ``moov`` boxes fit."""


@dataclass(frozen=True)
class FetchOptions:
    """Settings for one batch of remote media (all have working defaults).

    ``allow_hosts`` lets the named hosts (names, addresses or networks such as
    ``10.0.0.0/8``) be reached even when they resolve to a loopback, private or link-local
    address, which are refused otherwise. ``s3_endpoint`` is an S3-compatible store's URL
    (MinIO, a local moto server) for ``s3://`` URLs. ``max_bytes`` and ``max_requests``
    bound each file; past them its header is not read (``media.unreadable``).
    """

    allow_hosts: tuple[str, ...] = ()
    s3_endpoint: str | None = None
    concurrency: int = 16
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    total_timeout: float = 60.0
    """Seconds for one file, all its requests, retries and waits included."""
    retries: int = 3
    """Further tries after a 429, a 5xx or a dropped connection."""
    backoff: float = 0.2
    """Seconds before the first retry; doubled each time (with jitter)."""
    max_retry_after: float = 20.0
    """The longest ``Retry-After`` honoured; a server asking for more is given up on."""
    max_redirects: int = 5
    head_bytes: int = HEAD_BYTES
    max_bytes: int = 32 << 20
    """Bytes read from one file at most (a server ignoring ``Range`` is cut off here)."""
    max_requests: int = 12
    """Range requests for one file at most (retries not counted)."""
    http2: bool | None = None
    """HTTP/2 where the server offers it: ``None`` turns it on when ``h2`` is installed."""
    user_agent: str = field(default="")

    def __post_init__(self) -> None:
        if self.concurrency < 1 or self.max_redirects < 0 or self.retries < 0:
            raise ValueError("concurrency must be 1 or more; redirects and retries 0 or more")
        if self.head_bytes < 1024 or self.max_bytes < self.head_bytes:
            raise ValueError("head_bytes must be 1 KiB or more, and max_bytes at least that")
        object.__setattr__(self, "allow_hosts", tuple(self.allow_hosts))
