"""The endpoints that look things up: the probes, ``/metrics``, ``/v1/rules``,
``/v1/codes`` and what each problem type means."""

from __future__ import annotations

import difflib
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from mediarules import __version__
from mediarules.codes import CODES, explain
from mediarules.formatting import shorten
from mediarules.models import Severity
from mediarules.outputs.render import rules_data
from mediarules.ruleset import PlatformRules, RuleConfigError
from mediarules.service.answers import PROBLEM_DOC, json_response
from mediarules.service.metrics import CONTENT_TYPE
from mediarules.service.problems import PROBLEMS, ProblemError
from mediarules.service.state import Service, service_of

__all__ = ["router"]

router = APIRouter()


# -- probes and metrics ----------------------------------------------------------------------


class Health(BaseModel):
    status: str
    version: str


class Readiness(Health):
    platforms: int
    limits: dict[str, float | int]


@router.get("/healthz", response_model=Health, tags=["service"], summary="Liveness")
async def healthz() -> Response:
    return json_response({"status": "ok", "version": __version__})


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: PROBLEM_DOC[503]},
    tags=["service"],
    summary="Readiness: the rules are loaded and the worker takes requests",
)
async def readyz(request: Request) -> Response:
    service = service_of(request)
    if not service.ready:
        raise ProblemError("not-ready", "the service is starting or shutting down")
    settings = service.settings
    return json_response(
        {
            "status": "ready",
            "version": __version__,
            "platforms": len(service.ruleset.platforms),
            "limits": {
                "max_body_bytes": settings.max_body_bytes,
                "max_files": settings.max_files,
                "max_concurrent": settings.max_concurrent,
                "timeout_s": settings.timeout_s,
            },
        }
    )


@router.get(
    "/metrics",
    tags=["service"],
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def metrics(request: Request) -> Response:
    return Response(service_of(request).metrics.exposition(), media_type=CONTENT_TYPE)


# -- rules and codes -------------------------------------------------------------------------


class PlatformAnswer(PlatformRules):
    """A platform's table as validated, with every limit it sets and how it is known."""

    limits: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Every limit it sets: section, key, value, comparison, evidence, source,"
        " verified date (as `mediarules rules --format json` prints them).",
    )


class RulesAnswer(BaseModel):
    platforms: dict[str, PlatformAnswer]


@router.get(
    "/v1/rules",
    response_model=RulesAnswer,
    tags=["rules"],
    summary="The effective rules table (as mediarules rules --format json prints it)",
)
async def rules(request: Request) -> Response:
    return json_response({"platforms": _rulesjson_response(service_of(request))})


@router.get(
    "/v1/rules/{platform}",
    response_model=RulesAnswer,
    responses={404: PROBLEM_DOC[400]},
    tags=["rules"],
    summary="One platform's effective rules (a name, alias or post type)",
)
async def platform_rules(request: Request, platform: str) -> Response:
    service = service_of(request)
    try:
        key = service.ruleset.resolve(platform)
    except RuleConfigError as exc:
        raise ProblemError("not-found", str(exc)) from None
    return json_response({"platforms": {key: _rulesjson_response(service)[key]}})


def _rulesjson_response(service: Service) -> dict[str, Any]:
    if service.rules_json is None:  # the rules never change while the service runs
        service.rules_json = rules_data(service.ruleset, list(service.ruleset.platforms))
    return service.rules_json


class CodeInfo(BaseModel):
    code: str
    severity: Severity
    what: str
    why: str
    fix: str


class CodeExplained(CodeInfo):
    text: str


@router.get(
    "/v1/codes",
    response_model=list[CodeInfo],
    tags=["rules"],
    summary="Every violation code, its severity and what it means",
)
async def codes() -> Response:
    return json_response([_code(code) for code in CODES])


@router.get(
    "/v1/codes/{code}",
    response_model=CodeExplained,
    responses={404: PROBLEM_DOC[400]},
    tags=["rules"],
    summary="One code: what it means, why the platform cares, how to fix it",
)
async def code_info(code: str) -> Response:
    if code not in CODES:
        close = difflib.get_close_matches(code, list(CODES), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ProblemError("not-found", f"unknown code {shorten(code)!r}{hint}")
    return json_response({**_code(code), "text": explain(code)})


def _code(code: str) -> dict[str, str]:
    entry = CODES[code]
    return {
        "code": entry.code,
        "severity": entry.severity.value,
        "what": entry.what,
        "why": entry.why,
        "fix": entry.fix,
    }


# -- problem types ---------------------------------------------------------------------------


class ProblemType(BaseModel):
    type: str
    status: int
    title: str
    description: str


@router.get(
    "/problems/{slug}",
    response_model=ProblemType,
    responses={404: PROBLEM_DOC[400]},
    tags=["service"],
    summary="What a problem type means (the type of every error answer)",
)
async def problem_type(slug: str) -> Response:
    kind = PROBLEMS.get(slug)
    if kind is None:
        raise ProblemError("not-found", f"no problem type {shorten(slug)!r}")
    return json_response(
        {"type": kind.type, "status": kind.status, "title": kind.title,
         "description": kind.description}
    )  # fmt: skip
