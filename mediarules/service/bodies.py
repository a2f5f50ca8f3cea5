"""The JSON bodies the service takes, read bounded and checked with the command line's words.

``POST /v1/check`` takes the scheduler's create-post body (what ``check --post F`` reads) or
the plain form ``{platforms, caption, title, media}``; a body with a ``caption`` key is the
plain form (``"caption": null`` for a post without text), any other the create-post body.
Media records never name a file on the service's disk (``path``): files are uploaded to
``/v1/check/files``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mediarules.inputs.payload import (
    PayloadError,
    PostPayload,
    describe_validation,
    parse_json_object,
    payload_from_object,
)
from mediarules.models import MediaRef
from mediarules.safe_read import MAX_INPUT_BYTES
from mediarules.service.problems import ProblemError

__all__ = [
    "BODY_NAME",
    "MeasureRequest",
    "PlainPost",
    "json_body",
    "model_from_body",
    "post_from_body",
]

BODY_NAME = "request body"
"""How messages name the body, as the command line names a file."""

_JSON_TYPES = ("application/json", "text/json")

M = TypeVar("M", bound=BaseModel)


class PlainPost(BaseModel):
    """A post as ``mediarules.check`` takes it: platforms, text, and media records with
    their metadata flat (``fileName``, ``contentType``, ``type``, ``width``, ``frameRate``...)."""

    model_config = ConfigDict(extra="forbid")

    platforms: list[str] | str = Field(
        description='Platform names, aliases or post types: ["x", "instagram:reel"] or'
        ' "x,instagram:reel".'
    )
    caption: str | None = None
    title: str | None = None
    account_type: str | None = None
    content_warning: str | None = None
    media: list[MediaRef] = Field(default_factory=list)


class MeasureRequest(BaseModel):
    """A text to measure as each platform counts it."""

    model_config = ConfigDict(extra="forbid")

    text: str
    platforms: list[str] | str
    field: Literal["caption", "title", "alt_text"] = "caption"
    has_media: bool = Field(
        default=True, description="False: the post has no media (Telegram's text-only limit)."
    )


async def json_body(
    content_type: str | None, chunks: AsyncIterator[bytes], *, expected: str
) -> dict[str, Any]:
    """The body as a JSON object, read to at most ``MAX_INPUT_BYTES`` (the command line's
    limit for a ``--post`` file). Problems: 415, 413 or 400 with the command line's line."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type and media_type not in _JSON_TYPES and not media_type.endswith("+json"):
        raise ProblemError(
            "unsupported-media-type",
            f"send {expected} as application/json; the request's Content-Type is {media_type[:60]}",
        )
    raw = bytearray()
    async for chunk in chunks:
        raw += chunk
        if len(raw) > MAX_INPUT_BYTES:
            raise ProblemError(
                "body-too-large",
                f"{BODY_NAME}: larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB, the limit"
                " for a JSON document",
            )
    try:
        return parse_json_object(bytes(raw), BODY_NAME, expected=expected, container="body")
    except PayloadError as exc:
        raise ProblemError("invalid-body", str(exc)) from None


def post_from_body(data: dict[str, Any]) -> PostPayload | PlainPost:
    """The create-post body, or the plain form when the body has a ``caption``."""
    _refuse_paths(data)
    if "caption" in data:
        if "content" in data:
            raise ProblemError(
                "invalid-body",
                f"{BODY_NAME}: give content (the create-post body) or caption (the plain"
                " form), not both",
            )
        return model_from_body(PlainPost, data)
    try:
        return payload_from_object(data, BODY_NAME)
    except PayloadError as exc:
        raise ProblemError("invalid-body", str(exc)) from None


def model_from_body(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ProblemError("invalid-body", f"{BODY_NAME}: {describe_validation(exc)}") from None


def _refuse_paths(data: dict[str, Any]) -> None:
    """A media record's ``path`` would make the service read its own disk: refused."""
    media = data.get("media")
    if not isinstance(media, list):
        return
    for index, record in enumerate(media):
        if isinstance(record, dict) and "path" in record:
            raise ProblemError(
                "invalid-body",
                f"{BODY_NAME}: media[{index}].path: the service reads no file of its own;"
                " upload the files to /v1/check/files",
            )
