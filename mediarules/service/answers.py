"""What every endpoint answers with: JSON bytes, a report, the error documentation."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response
from pydantic_core import PydanticSerializationError

from mediarules.models import Report
from mediarules.service.problems import Problem, json_bytes

__all__ = ["PROBLEM_DOC", "JSONBytes", "json_response", "report_response"]

PROBLEM_DOC: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {"application/problem+json": {}}}
    for status in (400, 401, 413, 415, 422, 503)
}
"""The error answers an endpoint documents (``openapi.py`` adds a default for the rest)."""


class JSONBytes(Response):
    media_type = "application/json"


def json_response(data: Any) -> JSONBytes:
    return JSONBytes(json_bytes(data))


def report_response(report: Report) -> JSONBytes:
    """``Report.model_dump(mode="json")`` as JSON, written by pydantic's own serializer (a
    fifth of the time); text it cannot encode (a lone surrogate) takes the slower way."""
    try:
        return JSONBytes(report.model_dump_json())
    except PydanticSerializationError:
        return json_response(report.model_dump(mode="json"))
