"""The scheduler's create-post body: parse it into what ``mediarules.check`` takes.

The body (``content``, ``platforms``, ``scheduledTime``, ``status``, ``title``, ``tags``) and
its media records (``fileName``, ``contentType``, ``type``, ``mediaId``, ``metadata``...) use
the scheduler's camelCase keys, as its Upload Media API page shows them. Fields the scheduler adds
and mediarules does not use are ignored. Stored metadata is taken as declared: no file is read
unless a record names a local ``path``.

>>> payload = load_payload("post.json")
>>> report = mediarules.check(
...     payload_media(payload),
...     platforms=platform_names(payload.platforms),
...     caption=payload.content,
...     title=payload.title,
... )
>>> findings = scheduled_before_upload(payload)
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel
from pydantic_core import ErrorDetails

from mediarules.checks.finding import Finding
from mediarules.fixes import plan
from mediarules.formatting import echo, echo_name
from mediarules.models import FrameRate, MediaKind, MediaRef, Severity
from mediarules.safe_read import InputValueError, parse_json, read_limited

__all__ = [
    "SCHEDULE_SOURCE",
    "PayloadError",
    "PayloadMedia",
    "PayloadMetadata",
    "PostPayload",
    "describe_validation",
    "load_payload",
    "parse_json_object",
    "parse_payload",
    "payload_from_object",
    "payload_media",
    "platform_names",
    "scheduled_before_upload",
]

SCHEDULE_SOURCE = (
    "seed: Upload Media, Upload Flow (create the post as a draft, upload media, then schedule)"
)

UNKNOWN_FORMAT = "unknown"
"""The scheduler's default for ``metadata.format``, which no endpoint ever fills in."""


class PayloadError(ValueError):
    """A payload file that cannot be read or does not have the create-post body's shape.

    The message is one line naming the file and, for a shape error, the JSON path of the
    problem: ``post.json: media[1].metadata.width: Input should be a valid integer``.
    """


def _number(value: Any) -> Any:
    """Numbers may arrive as strings (``"30.000"``, ``"1920"``); a blank one is absent and a
    boolean is never a number."""
    if isinstance(value, bool):
        raise ValueError("expected a number, not a boolean")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("expected a finite number")
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _text(value: Any) -> Any:
    """A free-form label that may arrive as a number (``aspectRatio``: ``"16:9"`` or ``1.78``)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _blank_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


# Declared values are taken as they are: one that cannot be true (a width of 0, a negative
# duration) is a `media.metadata_invalid` violation of its item, not a refusal of the body.
Count = Annotated[int | None, BeforeValidator(_number)]
Seconds = Annotated[float | None, BeforeValidator(_number)]
Rate = Annotated[FrameRate | None, BeforeValidator(_number)]
Label = Annotated[str | None, BeforeValidator(_text)]


class _Camel(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="ignore", alias_generator=to_camel, populate_by_name=True
    )


class PayloadMetadata(_Camel):
    """A media record's ``metadata`` subdocument, as the scheduler stores it.

    ``format`` defaults to ``"unknown"`` on the scheduler's side (no endpoint fills it in);
    ``mimeType`` is here when the record came from the process-video endpoint.
    """

    size: Count = None
    width: Count = None
    height: Count = None
    aspect_ratio: Label = None
    format: str | None = None
    frame_rate: Rate = None
    codec_name: str | None = None
    bit_rate: Count = None
    duration: Seconds = None
    mime_type: str | None = None


class PayloadMedia(_Camel):
    """One media record of the post: the upload request's fields, the ``mediaId`` the upload
    API returned (None until uploaded), ``fileUrl`` (or the stored record's ``url``), the
    stored ``metadata``, and optionally a local ``path`` (our extension: the file is then
    inspected instead of trusting the metadata)."""

    file_name: str | None = None
    content_type: str | None = None
    type: MediaKind | None = None
    media_id: Annotated[str | None, BeforeValidator(_blank_is_none)] = None
    path: Path | None = None
    file_url: Annotated[str | None, BeforeValidator(_blank_is_none)] = None
    url: Annotated[str | None, BeforeValidator(_blank_is_none)] = None
    alt_text: str | None = None
    mime_type: str | None = Field(
        default=None,
        description="Top-level on records made by get-upload-url; wins over metadata.mimeType.",
    )
    metadata: PayloadMetadata | None = None

    @property
    def declared_content_type(self) -> str | None:
        """``contentType``, else the record's ``mimeType`` (top-level before metadata's)."""
        meta = self.metadata
        return self.content_type or self.mime_type or (meta.mime_type if meta else None)

    @property
    def display_name(self) -> str | None:
        """The file's name: the last segment of ``fileName`` (stored records hold the S3 key,
        ``images/1710500000000-product-photo.jpg``), else the local path's name."""
        if self.file_name:
            return _base_name(self.file_name)
        return self.path.name if self.path else None

    def to_media_ref(self) -> MediaRef:
        """The record as ``mediarules.check`` takes it, metadata flattened into its fields."""
        meta = self.metadata or PayloadMetadata()
        fmt = meta.format.strip() if meta.format else None
        if fmt and fmt.lower() == UNKNOWN_FORMAT:
            fmt = None
        return MediaRef(
            path=self.path,
            url=self.file_url or self.url,
            file_name=_base_name(self.file_name) if self.file_name else None,
            content_type=self.declared_content_type,
            type=self.type,
            alt_text=self.alt_text,
            format=fmt or None,
            size=meta.size,
            width=meta.width,
            height=meta.height,
            frame_rate=meta.frame_rate,
            codec_name=meta.codec_name,
            bit_rate=meta.bit_rate,
            duration=meta.duration,
        )


def _base_name(file_name: str) -> str:
    return PurePosixPath(file_name).name or file_name


class PostPayload(_Camel):
    """The scheduler's create-post body, plus the post's media records.

    ``platforms`` holds the scheduler's account IDs (``twitter-123456789``,
    ``linkedin-ABC123``) or bare platform names (``tiktok``); ``platform_names`` turns them
    into names ``mediarules.check`` resolves.
    """

    content: str | None = None
    platforms: list[str]
    scheduled_time: Annotated[datetime | None, BeforeValidator(_blank_is_none)] = None
    status: str | None = None
    title: str | None = None
    tags: list[str] | None = Field(
        default=None,
        description="The video's keyword tags (YouTube); our extension of the create-post body.",
    )
    media: list[PayloadMedia] = Field(default_factory=list)

    @property
    def is_scheduled(self) -> bool:
        """Status ``scheduled``, or a ``scheduledTime`` on a post that is not a draft."""
        status = (self.status or "").strip().lower()
        return status == "scheduled" or (self.scheduled_time is not None and status != "draft")


def payload_media(payload: PostPayload) -> list[MediaRef]:
    """The post's media records as ``MediaRef``s, in order."""
    return [media.to_media_ref() for media in payload.media]


def platform_names(ids: Iterable[str]) -> list[str]:
    """Platform names from the scheduler's account IDs, in order, without repeats.

    ``twitter-123456789`` -> ``twitter`` (the part before the first ``-``, lower-cased); a bare
    name stays as it is. Aliases are left to the rules table (``twitter`` is ``x`` there).
    """
    if isinstance(ids, str):
        raise TypeError("platform_names takes a list of IDs, not one string")
    names: list[str] = []
    for entry in ids:
        name = entry.strip().split("-", 1)[0].strip().lower()
        if name and name not in names:
            names.append(name)
    return names


def scheduled_before_upload(payload: PostPayload) -> list[Finding]:
    """One warning per media item without a ``mediaId`` on a post that is already scheduled.

    The seed's Upload Flow: create the post as a draft, upload the media, then schedule it;
    otherwise the scheduler may publish before the upload completes.
    """
    if not payload.is_scheduled:
        return []
    when = (
        f" for {payload.scheduled_time.isoformat().replace('+00:00', 'Z')}"
        if payload.scheduled_time is not None
        else ""
    )
    findings = []
    for index, media in enumerate(payload.media):
        if media.media_id is not None:
            continue
        name = media.display_name or f"media item {index + 1}"
        findings.append(
            Finding(
                "post.scheduled_before_upload",
                f"{name} has no mediaId but the post is already scheduled{when}: "
                "it may publish before the upload completes",
                fix=plan.manual("Create the post as a draft, upload the media, then schedule it"),
                media_index=index,
                severity=Severity.WARNING,
                source=SCHEDULE_SOURCE,
            )
        )
    return findings


def load_payload(path: str | os.PathLike[str]) -> PostPayload:
    """Read a create-post body from a JSON file (a regular file of at most
    ``safe_read.MAX_INPUT_BYTES``; ``-`` is a file of that name, see ``parse_payload``).

    Raises ``PayloadError`` (one line naming the file) for a missing or unreadable file, bad
    JSON (with its line and column), a number or nesting out of bounds (with the JSON path) or
    a body of the wrong shape (with the JSON path).
    """
    name = echo_name(os.fspath(path))
    try:
        raw = read_limited(path)
    except OSError as exc:
        raise PayloadError(f"{name}: cannot read: {exc.strerror or exc}") from exc
    return parse_payload(raw, name)


def parse_payload(raw: bytes, name: str) -> PostPayload:
    """A create-post body from the bytes of a JSON document; ``name`` is how messages call it
    (``<stdin>``). Raises ``PayloadError`` as ``load_payload`` does."""
    return payload_from_object(parse_json_object(raw, name), name)


def payload_from_object(data: dict[str, Any], name: str) -> PostPayload:
    """A create-post body from a parsed JSON object; ``PayloadError`` (one line, with the JSON
    path of the first problem) when it does not have the body's shape."""
    try:
        return PostPayload.model_validate(data)
    except ValidationError as exc:
        raise PayloadError(f"{name}: {describe_validation(exc)}") from exc


def parse_json_object(
    raw: bytes,
    name: str,
    *,
    expected: str = "the create-post body",
    container: str = "file",
) -> dict[str, Any]:
    """The JSON object in ``raw``, bounded as ``safe_read.parse_json`` is; ``PayloadError``
    with one line naming ``name`` (and what was ``expected``) for empty input, bad JSON (line
    and column), a number or nesting out of bounds (JSON path), bad UTF-8 or another type.
    ``container`` is what an empty ``raw`` is called (``file``, ``body``)."""
    if not raw.strip():
        raise PayloadError(f"{name}: the {container} is empty (expected {expected} as JSON)")
    try:
        data = parse_json(raw)
    except json.JSONDecodeError as exc:
        raise PayloadError(
            f"{name}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    except InputValueError as exc:
        where = f" (at {exc.where})" if exc.where else ""
        raise PayloadError(f"{name}: invalid JSON: {exc.reason}{where}") from exc
    except UnicodeDecodeError as exc:
        raise PayloadError(f"{name}: not UTF-8 text ({exc.reason})") from exc
    if not isinstance(data, dict):
        raise PayloadError(f"{name}: expected a JSON object ({expected}), got {_json_type(data)}")
    return data


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"


def describe_validation(exc: ValidationError) -> str:
    """The first problem of ``exc`` as one line, ``json.path: message (got value)``, and how
    many more there are (``media[1].metadata.width: Input should be a valid integer``)."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    text = f"{_json_path(first['loc'])}: {_message(first)}{_got(first)}"
    if len(errors) > 1:
        more = len(errors) - 1
        text += f" (and {more} more problem{'s' if more > 1 else ''})"
    return " ".join(text.split())


def _json_path(loc: tuple[int | str, ...]) -> str:
    """``('media', 1, 'metadata', 'width')`` -> ``media[1].metadata.width``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path or "(top level)"


def _message(error: ErrorDetails) -> str:
    if error["type"] == "model_type":
        return "Input should be a JSON object"
    return error["msg"].removeprefix("Value error, ")


def _got(error: ErrorDetails) -> str:
    if error["type"] == "missing":
        return ""
    value = error.get("input")
    if isinstance(value, dict):
        return " (got an object)"
    if isinstance(value, list):
        return " (got an array)"
    if isinstance(value, str):
        value = value[:60]  # a 5 MB string is not turned to JSON to show 40 characters of it
    shown = json.dumps(value, ensure_ascii=False, default=str)
    return f" (got {echo(shown, 40)})"
