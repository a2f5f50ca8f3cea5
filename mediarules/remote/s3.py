"""``s3://bucket/key`` through boto3 (the optional extra ``mediarules[s3]``).

Ranged ``GetObject`` calls on a client made from the standard AWS credential chain
(environment, shared files, SSO, an instance or task role), or ``--s3-endpoint`` for an
S3-compatible store (MinIO, a local moto server: path-style addressing there). boto3's own
retries (standard mode) and timeouts use the batch's settings. An endpoint is vetted like any
host (:mod:`~mediarules.remote.ssrf`); AWS's own endpoints need no vetting.
``ListObjectsV2`` lists a prefix for ``check --each s3://bucket/prefix/``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from mediarules.formatting import echo
from mediarules.remote.options import FetchOptions
from mediarules.remote.results import FetchError, not_found, refused, unreachable
from mediarules.remote.ssrf import HostPolicy, RefusedError
from mediarules.remote.urls import Location, parse

__all__ = ["S3Client", "S3Object", "list_prefix"]

MISSING_EXTRA = "s3:// URLs need boto3: pip install 'mediarules[s3]'"
_GONE_CODES = frozenset({"NoSuchKey", "NoSuchBucket", "404", "NotFound", "403", "AccessDenied"})


class S3Client:
    """One boto3 client for the batch (boto3 clients are thread-safe), made on first use."""

    def __init__(self, options: FetchOptions) -> None:
        self.options = options
        self._client: Any = None
        self._failure: FetchError | None = None
        self._lock = threading.Lock()

    def client(self) -> Any:
        with self._lock:
            if self._failure is not None:
                raise self._failure
            if self._client is None:
                try:
                    self._client = _make_client(self.options)
                except FetchError as exc:
                    self._failure = exc
                    raise
        return self._client

    def open(self, location: Location, deadline: float) -> S3Object:
        return S3Object(self, location)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def _make_client(options: FetchOptions) -> Any:
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise refused("s3_extra", MISSING_EXTRA) from None
    endpoint = options.s3_endpoint
    if endpoint is not None:
        _vet_endpoint(endpoint, options)
    config = Config(
        connect_timeout=options.connect_timeout,
        read_timeout=options.read_timeout,
        retries={"max_attempts": options.retries + 1, "mode": "standard"},
        max_pool_connections=options.concurrency,
        s3={"addressing_style": "path"} if endpoint else {},
    )
    return boto3.session.Session().client("s3", endpoint_url=endpoint, config=config)


def _vet_endpoint(endpoint: str, options: FetchOptions) -> None:
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise refused("scheme", f"the S3 endpoint {echo(endpoint)} is not an http(s) URL")
    try:
        HostPolicy(options.allow_hosts).resolve(parts.hostname, parts.port or 443)
    except RefusedError as exc:
        raise refused("blocked_host", f"S3 endpoint: {exc}") from None
    except Exception as exc:  # httpcore.ConnectError: the name does not resolve
        raise unreachable("dns", f"S3 endpoint: {echo(str(exc))}") from None


class S3Object:
    """One object, read by ranged ``GetObject`` calls."""

    def __init__(self, client: S3Client, location: Location) -> None:
        self._client = client
        self._bucket = location.host
        self._key = location.key
        self.size: int | None = None
        self.received = 0

    def fetch(self, start: int, end: int) -> tuple[int, bytes]:
        from botocore import exceptions as errors  # boto3 is there: the client was made

        client = self._client.client()
        try:
            answer = client.get_object(
                Bucket=self._bucket, Key=self._key, Range=f"bytes={start}-{end - 1}"
            )
            body = answer["Body"]
            try:
                data = body.read(end - start)
            finally:
                body.close()
        except errors.ClientError as exc:
            raise _client_error(exc, self) from None
        except errors.NoCredentialsError:
            raise unreachable(
                "credentials",
                "no AWS credentials found (environment, ~/.aws, SSO, an instance or task role)",
            ) from None
        except (errors.ConnectTimeoutError, errors.ReadTimeoutError) as exc:
            raise unreachable("timeout", f"S3 did not answer in time ({echo(str(exc))})") from None
        except errors.EndpointConnectionError as exc:
            raise unreachable("refused", echo(str(exc), 160)) from None
        except errors.BotoCoreError as exc:
            raise unreachable("s3", echo(str(exc), 160)) from None
        total = str(answer.get("ContentRange") or "").rpartition("/")[2]
        self.size = int(total) if total.isdigit() else int(answer.get("ContentLength") or 0)
        self.received += len(data)
        return start, data


def _client_error(exc: Any, obj: S3Object) -> FetchError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code == "InvalidRange":  # an empty object: there is no byte 0
        obj.size = 0
        return FetchError("media.empty", "empty", "the object is empty (0 bytes)")
    if code in _GONE_CODES or status in (403, 404):
        what = {"NoSuchBucket": "no such bucket", "NoSuchKey": "no such key"}.get(code)
        if what is None:
            what = "access denied" if status == 403 or "Denied" in code else "not found"
        return not_found(f"s3_{code or status}", f"S3: {what} ({echo(code or str(status))})")
    return unreachable(
        f"s3_{code or status}", f"S3 error {echo(code)}: {echo(str(error.get('Message', '')))}"
    )


def list_prefix(url: str, options: FetchOptions) -> Iterator[str]:
    """``s3://bucket/key`` of each object under ``s3://bucket/prefix/``, in key order
    (``ListObjectsV2``, a page of 1,000 at a time; "folder" markers left out)."""
    location = parse(url)
    client = S3Client(options).client()
    from botocore import exceptions

    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=location.host, Prefix=location.key
    )
    try:
        for page in pages:
            for entry in page.get("Contents", []):
                key = str(entry["Key"])
                if key.endswith("/") and not entry.get("Size"):
                    continue
                yield f"s3://{location.host}/{key}"
    except exceptions.ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        raise not_found(f"s3_{code}", f"cannot list {echo(url)}: {echo(code)}") from None
    except exceptions.NoCredentialsError:
        raise unreachable("credentials", f"cannot list {echo(url)}: no AWS credentials") from None
    except exceptions.BotoCoreError as exc:
        raise unreachable("s3", f"cannot list {echo(url)}: {echo(str(exc), 160)}") from None
