"""The ASGI app: ``create_app(settings, ruleset)``, or ``create_app()`` in a worker process.

The page for people is package data (``static/``: HTML, CSS and a script, no build step),
served at ``/`` with the ``--html`` report's style sheet at ``/static/report.css``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware

from mediarules import __version__
from mediarules.inputs.instances import rules_with_limits
from mediarules.outputs.html_report import style_sheet
from mediarules.ruleset import RuleSet
from mediarules.service.guard import Guard
from mediarules.service.logs import LOG
from mediarules.service.openapi import openapi_document
from mediarules.service.problems import (
    PROBLEM_MEDIA_TYPE,
    PROBLEMS,
    ProblemError,
    json_bytes,
    problem_body,
    slug_for_status,
)
from mediarules.service.reference import router as reference_router
from mediarules.service.routes import router
from mediarules.service.settings import SETTINGS_VARIABLE, Settings
from mediarules.service.state import Service

__all__ = ["create_app", "load_ruleset"]

_PAGE_POLICY = (
    "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; "
    "style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
"""The page loads nothing from elsewhere and runs no inline script."""


def load_ruleset(settings: Settings) -> RuleSet:
    """The rules every request is checked against; ``RuleConfigError`` (one line) if bad."""
    return rules_with_limits(
        settings.rules,
        mastodon_instance=settings.mastodon_instance,
        tiktok_creator_info=settings.tiktok_creator_info,
    )


def create_app(settings: Settings | None = None, ruleset: RuleSet | None = None) -> FastAPI:
    """The service. Without arguments (a worker of ``serve --workers N``) the settings come
    from the environment variable ``serve`` set, and the rules are loaded here, once."""
    if settings is None:
        encoded = os.environ.get(SETTINGS_VARIABLE)
        settings = Settings.from_json(encoded) if encoded else Settings()
    if ruleset is None:
        ruleset = load_ruleset(settings)
    service = Service(settings, ruleset)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        service.start()
        LOG.info("worker ready", extra={"fields": {"event": "ready", "pid": os.getpid()}})
        try:
            yield
        finally:
            LOG.info("worker stopping", extra={"fields": {"event": "stop", "pid": os.getpid()}})
            service.stop()

    app = FastAPI(
        title="mediarules",
        version=__version__,
        description="Check a social-media post against each platform's rules before"
        " publishing: the scheduler's create-post body, a post's files, or a caption as you"
        " type. Errors are RFC 9457 problem documents.",
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.service = service
    app.include_router(reference_router)
    app.include_router(router)
    _add_page(app)  # before the mount, which would answer /static/report.css with a 404
    app.mount("/static", StaticFiles(packages=[("mediarules.service", "static")]), name="static")
    _add_error_handlers(app)
    app.add_middleware(
        Guard,
        settings=settings,
        metrics=service.metrics,
        gate=service.gate,
        scratch_base=service.scratch_base,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["content-type", "x-api-key", "authorization", "x-request-id"],
            expose_headers=[
                "x-request-id",
                "x-mediarules-ok",
                "content-disposition",
                "retry-after",
            ],
            max_age=600,
        )
    keyed = settings.api_key is not None
    app.openapi = lambda: openapi_document(app, keyed=keyed)  # type: ignore[method-assign]
    return app


def _add_page(app: FastAPI) -> None:
    page = resources.files("mediarules.service").joinpath("static", "index.html")
    html = page.read_bytes()
    css = style_sheet().encode("utf-8")
    page_headers = {
        "content-security-policy": _PAGE_POLICY,
        "referrer-policy": "no-referrer",
        "cache-control": "no-cache",
    }

    @app.get("/", include_in_schema=False)
    async def index() -> Response:
        return Response(html, media_type="text/html; charset=utf-8", headers=page_headers)

    @app.get("/static/report.css", include_in_schema=False)
    async def report_css() -> Response:
        return Response(css, media_type="text/css; charset=utf-8")


def _problem(request: Request, slug: str, detail: str, headers: dict[str, str]) -> Response:
    kind = PROBLEMS[slug]
    context = request.scope.get("state", {}).get("context")
    body = problem_body(
        kind,
        detail,
        instance=request.url.path,
        request_id=getattr(context, "request_id", None),
    )
    return Response(
        json_bytes(body), status_code=kind.status, media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


def _add_error_handlers(app: FastAPI) -> None:
    async def problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ProblemError)
        service: Service = request.app.state.service
        if exc.kind.slug in ("body-too-large", "too-many-files"):
            service.metrics.refused.labels(exc.kind.slug).inc()
        return _problem(request, exc.kind.slug, exc.detail, exc.headers)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        slug = slug_for_status(exc.status_code)
        detail = exc.detail if isinstance(exc.detail, str) else PROBLEMS[slug].title
        if exc.status_code == 404:
            detail = f"no such endpoint: {request.method} {request.url.path[:200]}"
        elif exc.status_code == 405:
            detail = f"{request.url.path[:200]} does not take {request.method}"
        return _problem(request, slug, detail, dict(exc.headers or {}))

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        detail = f"{where}: {first.get('msg', 'invalid')}" if where else "invalid request"
        return _problem(request, "invalid-request", detail, {})

    app.add_exception_handler(ProblemError, problem)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)
