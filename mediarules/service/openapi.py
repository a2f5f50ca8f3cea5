"""The OpenAPI document: the framework's, with the request bodies this package reads itself.

Endpoints mark their body with ``openapi_extra={"x-mediarules-body": NAME}``; the marker is
replaced by the schema of the models (validation mode: ``"30000/1001"`` is a frame rate) or
the multipart form it names. Error answers are described as ``application/problem+json``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from mediarules.inputs.payload import PostPayload
from mediarules.service.bodies import MeasureRequest, PlainPost

__all__ = ["openapi_document"]

_REF = "#/components/schemas/{model}"
_MARKER = "x-mediarules-body"
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

_TEXT = {"type": "string"}
_TEXTS = {"type": "array", "items": _TEXT}


def _form(*, fix: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "files": {
            "type": "array",
            "items": {"type": "string", "format": "binary"},
            "description": "The post's files, in order: one part named files each.",
        },
        "platforms": {
            **_TEXTS,
            "description": "Platform names or post types, comma-separated or repeated.",
        },
        "caption": _TEXT,
        "title": _TEXT,
        "alt": {**_TEXTS, "description": "Alt text, one per file, in file order."},
        "account_type": _TEXT,
        "content_warning": _TEXT,
    }
    if fix:
        properties["unsafe"] = {
            "type": "string",
            "enum": ["true", "false"],
            "description": "true: also run fixes that lose something.",
        }
    return {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "properties": properties, "required": ["platforms"]},
                "encoding": {"files": {"contentType": "application/octet-stream"}},
            }
        },
    }


def _json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _bodies() -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    models: list[tuple[type[BaseModel], Any]] = [
        (PostPayload, "validation"),
        (PlainPost, "validation"),
        (MeasureRequest, "validation"),
    ]
    refs, defs = models_json_schema(models, ref_template=_REF)
    payload = refs[(PostPayload, "validation")]
    plain = refs[(PlainPost, "validation")]
    bodies = {
        "CheckBody": _json_body(
            {
                "oneOf": [payload, plain],
                "description": "A body with a caption key is the plain form; any other is the"
                " scheduler's create-post body.",
            }
        ),
        "MeasureRequest": _json_body(refs[(MeasureRequest, "validation")]),
        "CheckFilesForm": _form(fix=False),
        "FixForm": _form(fix=True),
    }
    return bodies, defs.get("$defs", {})


_SECURITY_SCHEMES = {
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "bearer": {"type": "http", "scheme": "bearer"},
}


def openapi_document(app: FastAPI, *, keyed: bool = False) -> dict[str, Any]:
    """The document; ``keyed``: the service has an API key, which ``/v1/`` and ``/metrics``
    then ask for (in either header)."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    bodies, definitions = _bodies()
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in definitions.items():
        if name in schemas and schemas[name] != schema:
            raise RuntimeError(f"two schemas named {name} in the OpenAPI document")
        schemas[name] = schema
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    if keyed:
        document["components"]["securitySchemes"] = _SECURITY_SCHEMES
    for path, methods in document.get("paths", {}).items():
        for operation in methods.values():
            marker = operation.pop(_MARKER, None)
            if marker is not None:
                operation["requestBody"] = bodies[marker]
            _problem_responses(operation)
            if keyed and path.startswith(("/v1/", "/metrics")):
                operation["security"] = [{"apiKey": []}, {"bearer": []}]
    app.openapi_schema = document
    return document


def _problem_responses(operation: dict[str, Any]) -> None:
    """Errors are problem documents: described as such, with a ``default`` for any status
    not listed (401 with an API key, 404, 405, 500, 503)."""
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status in list(responses):
        answer = responses[status]
        content = answer.get("content", {})
        if status == "422" and "HTTPValidationError" in str(content):
            del responses[status]  # the framework's own; this service answers 400 instead
            continue
        if status.startswith(("4", "5")):
            answer["content"] = {"application/problem+json": {"schema": _PROBLEM_REF}}
    responses["default"] = {
        "description": "An error, as an RFC 9457 problem document.",
        "content": {"application/problem+json": {"schema": _PROBLEM_REF}},
    }
