"""Errors as RFC 9457 problem details (``application/problem+json``).

Every refusal is a problem document: ``type`` (a reference to its entry under
``/problems/``), ``title``, ``status``, ``detail`` (the one line the command line prints for
the same input, without ``mediarules: error:``), ``instance`` (the request's path) and
``request_id`` (also in the ``X-Request-ID`` response header and the access log). Bad input is
always a 4xx; a 5xx means the service could not answer (busy, too slow, or a bug).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from mediarules.outputs.render import json_line

__all__ = [
    "PROBLEMS",
    "PROBLEM_MEDIA_TYPE",
    "Problem",
    "ProblemError",
    "ProblemKind",
    "json_bytes",
    "problem_body",
    "slug_for_status",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"


@dataclass(frozen=True)
class ProblemKind:
    slug: str
    status: int
    title: str
    description: str

    @property
    def type(self) -> str:
        return f"/problems/{self.slug}"


def _kinds(*kinds: ProblemKind) -> dict[str, ProblemKind]:
    return {kind.slug: kind for kind in kinds}


PROBLEMS = _kinds(
    ProblemKind("invalid-body", 400, "Invalid request body",
                "The body is not JSON, not a JSON object, or not the shape the endpoint takes;"
                " the detail names the JSON path of the first problem."),
    ProblemKind("invalid-form", 400, "Invalid form",
                "The multipart form is damaged, has an unknown field, or a field that is not"
                " UTF-8 text."),
    ProblemKind("invalid-request", 400, "Invalid request",
                "A query or path parameter, or the request as a whole, cannot be used."),
    ProblemKind("unauthorized", 401, "API key required",
                "The service was started with an API key: send it as X-API-Key (or"
                " Authorization: Bearer)."),
    ProblemKind("not-found", 404, "Not found", "No such endpoint, platform or code."),
    ProblemKind("method-not-allowed", 405, "Method not allowed",
                "The endpoint exists but not for this HTTP method."),
    ProblemKind("not-acceptable", 406, "Not acceptable",
                "The endpoint cannot answer in a type the Accept header allows."),
    ProblemKind("body-too-large", 413, "Request body too large",
                "The body is larger than the service's --max-body (16 MiB at most for JSON)."),
    ProblemKind("too-many-files", 413, "Too many files",
                "More files in one request than the service's --max-files."),
    ProblemKind("unsupported-media-type", 415, "Unsupported media type",
                "The endpoint takes application/json or multipart/form-data, as documented."),
    ProblemKind("unprocessable", 422, "Cannot check this post",
                "The request is well formed but cannot be checked: an unknown platform, no"
                " platform, or a field the platform does not have."),
    ProblemKind("internal", 500, "Internal error",
                "The service failed; the request ID finds the traceback in its log."),
    ProblemKind("busy", 503, "Too many requests at once",
                "The worker is at its --max-concurrent; try again after Retry-After seconds."),
    ProblemKind("timeout", 503, "Request took too long",
                "The request took longer than the service's --timeout."),
    ProblemKind("not-ready", 503, "Not ready", "The service is starting or shutting down."),
)  # fmt: skip

_BY_STATUS = {
    400: "invalid-request",
    401: "unauthorized",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    413: "body-too-large",
    415: "unsupported-media-type",
    422: "unprocessable",
    503: "not-ready",
}


def slug_for_status(status: int) -> str:
    """The problem kind for a bare HTTP status (a framework's own 404 or 405)."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return "internal" if status >= 500 else "invalid-request"


class ProblemError(Exception):
    """Raised anywhere in a request to answer with a problem document."""

    def __init__(self, slug: str, detail: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.kind = PROBLEMS[slug]
        self.detail = detail
        self.headers = dict(headers or {})


class Problem(BaseModel):
    """An RFC 9457 problem document, as every error of the service is answered."""

    type: str = Field(description="A reference to the kind of problem: /problems/<slug>.")
    title: str
    status: int
    detail: str = Field(description="One line, as the command line says it for the same input.")
    instance: str | None = Field(default=None, description="The path of the request.")
    request_id: str | None = Field(default=None, description="Also in X-Request-ID.")


def problem_body(
    kind: ProblemKind, detail: str, *, instance: str | None, request_id: str | None
) -> dict[str, Any]:
    return {
        "type": kind.type,
        "title": kind.title,
        "status": kind.status,
        "detail": detail,
        "instance": instance,
        "request_id": request_id,
    }


def json_bytes(data: Any) -> bytes:
    """Compact JSON as UTF-8; lone surrogates (undecodable names) escaped, never a crash."""
    return json_line(data).encode("utf-8")
