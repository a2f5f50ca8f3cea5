"""The endpoints that do the work: ``/v1/check``, ``/v1/check/files``, ``/v1/fix``,
``/v1/measure`` (the rules, codes, probes and metrics are ``reference.py``'s).

Bodies are read by this package (bounded, with the command line's messages), not by the
framework; the OpenAPI document describes them all the same (``openapi.py``). Answers are
JSON made from the same records the library returns (``Report.model_dump(mode="json")``, as
``check --format json`` prints it), except the fixed files, a zip.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from mediarules.api import check, check_payload
from mediarules.fixes.api import FixResult, apply_fixes, plan_fixes
from mediarules.formatting import shorten
from mediarules.inputs.payload import PostPayload, platform_names
from mediarules.measuring import Measurement, measure
from mediarules.models import MediaRef, Report
from mediarules.ruleset import RuleConfigError, RuleSet, resolve_platforms
from mediarules.safe_write import OutputFolder
from mediarules.service.answers import PROBLEM_DOC, json_response, report_response
from mediarules.service.bodies import (
    MeasureRequest,
    PlainPost,
    json_body,
    model_from_body,
    post_from_body,
)
from mediarules.service.guard import context_of
from mediarules.service.problems import ProblemError, json_bytes
from mediarules.service.state import service_of
from mediarules.service.uploads import Form, Upload, read_form

__all__ = ["router"]

router = APIRouter()

_CHECK_FIELDS = ("files", "platforms", "caption", "title", "alt", "account_type", "content_warning")
_FIX_FIELDS = (*_CHECK_FIELDS, "unsafe")
RESULT_NAME = "mediarules-fix.json"
"""The fix result inside the zip of ``/v1/fix``, beside the fixed files."""


# -- check -----------------------------------------------------------------------------------


_CHECK_QUERY = [
    {
        "name": "platforms",
        "in": "query",
        "required": False,
        "schema": {"type": "array", "items": {"type": "string"}},
        "description": "Platforms to check instead of the body's (repeat, or x,tiktok).",
    },
    {
        "name": "account_type",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "business, creator, personal...",
    },
]


@router.post(
    "/v1/check",
    response_model=Report,
    responses=PROBLEM_DOC,
    tags=["check"],
    summary="Check a post given as JSON: the scheduler's create-post body or the plain form",
    description="The create-post body (`content`, `platforms` as account IDs, `scheduledTime`,"
    " `status`, `media` records with `metadata`) gives the report `mediarules check --post`"
    " gives; a body with a `caption` key is the plain form `{platforms, caption, title,"
    " media}` with flat metadata. No file is read: `fileUrl` is not fetched.",
    openapi_extra={"x-mediarules-body": "CheckBody", "parameters": _CHECK_QUERY},
)
async def checkjson_response(request: Request) -> Response:
    # The query is read here rather than declared: the framework's parameter machinery
    # costs about what the check of a small post does (the document still describes it).
    platforms = request.query_params.getlist("platforms")
    account_type = request.query_params.get("account_type")
    service = service_of(request)
    data = await json_body(
        request.headers.get("content-type"),
        request.stream(),
        expected="the create-post body",  # the plain form is an object too
    )
    post = post_from_body(data)
    ruleset = service.ruleset
    if isinstance(post, PostPayload):
        names: Sequence[str] | str = platforms or platform_names(post.platforms)
        keys = _platforms(names, ruleset)
        work: Callable[[], Report] = lambda: check_payload(  # noqa: E731
            post, platforms=keys, account_type=account_type, rules=ruleset
        )
    else:
        keys = _platforms(platforms or post.platforms, ruleset)
        work = lambda: check(  # noqa: E731
            post.media, platforms=keys, caption=post.caption, title=post.title,
            account_type=account_type or post.account_type,
            content_warning=post.content_warning, rules=ruleset,
        )  # fmt: skip
    if _small(post):
        report = work()  # a thread hop would cost more than this check
    else:
        report = await service.job_pool().run(context_of(request.scope).scratch, work)
    service.metrics.count_report(report)
    return report_response(report)


INLINE_MEDIA = 20
INLINE_TEXT = 20_000
"""A metadata-only post this small (at most ~20 ms of checking on 19 platforms) is checked on
the event loop; a larger one in a thread, so that it never holds up other requests."""


def _small(post: PostPayload | PlainPost) -> bool:
    if isinstance(post, PostPayload):
        texts = [post.content, post.title]
    else:
        texts = [post.caption, post.title, post.content_warning]
    text = sum(len(t) for t in texts if t)
    return len(post.media) <= INLINE_MEDIA and text <= INLINE_TEXT


@router.post(
    "/v1/check/files",
    response_model=Report,
    responses=PROBLEM_DOC,
    tags=["check"],
    summary="Check a post's files: multipart upload, one part named files per file",
    description="Form fields: `platforms` (comma-separated or repeated), `caption`, `title`,"
    " `alt` (one per file, in order), `account_type`, `content_warning`. The files are written"
    " to a private folder, inspected and deleted once the answer is sent; the report names"
    " each file by its upload name.",
    openapi_extra={"x-mediarules-body": "CheckFilesForm"},
)
async def check_files(request: Request) -> Response:
    service = service_of(request)
    post = await _uploaded_post(request, _CHECK_FIELDS)
    ruleset = service.ruleset

    def work() -> Report:
        return check(
            post.media, platforms=post.platforms, caption=post.caption, title=post.title,
            account_type=post.account_type, content_warning=post.content_warning,
            rules=ruleset,
        )  # fmt: skip

    report = await service.job_pool().run(context_of(request.scope).scratch, work)
    report = _client_names(report, post.uploads)
    service.metrics.count_report(report)
    return report_response(report)


# -- fix -------------------------------------------------------------------------------------


@router.post(
    "/v1/fix",
    response_class=FileResponse,
    responses={
        **PROBLEM_DOC,
        200: {
            "description": f"A zip of the fixed files and {RESULT_NAME} (the fix result:"
            " plan, files written, each platform's posts checked again). X-Mediarules-Ok"
            " says whether every resulting post passes.",
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        },
    },
    tags=["fix"],
    summary="Fix a post's files: multipart upload in, a zip of fixed files out",
    description="The form of /v1/check/files, plus `unsafe` (true: also run fixes that lose"
    " something: re-encode, downscale, trim, split text). Nothing stays on the server.",
    openapi_extra={"x-mediarules-body": "FixForm"},
)
async def fix_files(request: Request) -> Response:
    service = service_of(request)
    post = await _uploaded_post(request, _FIX_FIELDS)
    scratch = context_of(request.scope).scratch
    ruleset = service.ruleset
    out = scratch.path / "out"

    def work() -> tuple[Path, bool]:
        with service.fix_slots:
            fix_plan = plan_fixes(
                post.media, platforms=post.platforms, caption=post.caption, title=post.title,
                account_type=post.account_type, content_warning=post.content_warning,
                rules=ruleset,
            )  # fmt: skip
            result = apply_fixes(fix_plan, out, unsafe=post.unsafe, rules=ruleset)
        return _write_zip(result, post.uploads, scratch.path), result.ok

    archive, ok = await service.job_pool().run(scratch, work)
    return FileResponse(
        archive,
        media_type="application/zip",
        filename="mediarules-fixed.zip",
        headers={"x-mediarules-ok": "true" if ok else "false"},
    )


def _write_zip(result: FixResult, uploads: Sequence[Upload], root: Path) -> Path:
    """``root``/fixed.zip: the written files (stored: media is compressed already) and the
    result, its server paths replaced by the names in the zip and the uploads' names."""
    replacements = [(f"{upload.path.parent}/", "") for upload in uploads]
    replacements.append((f"{root / 'out'}/", ""))
    data = _scrub(result.model_dump(mode="json"), replacements, str(root))
    with OutputFolder.open(root) as folder, folder.temporary("fixed.zip") as temporary:
        with zipfile.ZipFile(temporary.file, "w") as bundle:
            for written in result.written:
                path = Path(written.path)
                bundle.write(path, path.name, compress_type=zipfile.ZIP_STORED)
            bundle.writestr(RESULT_NAME, json_bytes(data), compress_type=zipfile.ZIP_DEFLATED)
        return folder.shown(temporary.publish("fixed.zip", sync=False))


def _scrub(data: Any, replacements: list[tuple[str, str]], root: str) -> Any:
    """``data`` with the request folder's paths made relative (and any other mention of it
    hidden): a client never learns the server's paths."""
    if isinstance(data, str):
        for old, new in replacements:
            data = data.replace(old, new)
        return data.replace(root, "…")
    if isinstance(data, list):
        return [_scrub(item, replacements, root) for item in data]
    if isinstance(data, dict):
        return {key: _scrub(value, replacements, root) for key, value in data.items()}
    return data


# -- uploads ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _UploadedPost:
    uploads: list[Upload]
    media: list[MediaRef]
    platforms: list[str]
    caption: str | None
    title: str | None
    account_type: str | None
    content_warning: str | None
    unsafe: bool


async def _uploaded_post(request: Request, fields: Sequence[str]) -> _UploadedPost:
    service = service_of(request)
    form = await read_form(
        request.headers.get("content-type"),
        request.stream(),
        context_of(request.scope).scratch.path / "in",
        fields=fields,
        max_files=service.settings.max_files,
    )
    platforms = _platforms(form.many("platforms"), service.ruleset)
    alts = form.many("alt")
    if len(alts) > len(form.files):
        raise ProblemError(
            "invalid-form", f"{len(alts)} alt texts for {len(form.files)} files (one per file)"
        )
    media = [
        MediaRef(path=upload.path, alt_text=alts[index] if index < len(alts) else None)
        for index, upload in enumerate(form.files)
    ]
    return _UploadedPost(
        uploads=form.files,
        media=media,
        platforms=platforms,
        caption=form.one("caption"),
        title=form.one("title"),
        account_type=form.one("account_type"),
        content_warning=form.one("content_warning"),
        unsafe=_switch(form, "unsafe"),
    )


def _switch(form: Form, name: str) -> bool:
    value = form.one(name)
    if value is None:
        return False
    text = value.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("", "0", "false", "no", "off"):
        return False
    raise ProblemError(
        "invalid-form", f"the field {name!r} is true or false, not {shorten(value)!r}"
    )


def _client_names(report: Report, uploads: Sequence[Upload]) -> Report:
    """The report with each file named as uploaded, not by its path on the server."""
    names = {str(upload.path): upload.name for upload in uploads}
    if not names:
        return report
    media = [
        facts.model_copy(update={"path": names.get(facts.path, facts.path)})
        if facts.path
        else facts
        for facts in report.media
    ]
    violations = [
        v.model_copy(update={"path": names.get(v.path, v.path)}) if v.path else v
        for v in report.violations
    ]
    return report.model_copy(update={"media": media, "violations": violations})


def _platforms(names: Sequence[str] | str, ruleset: RuleSet) -> list[str]:
    try:
        return resolve_platforms(names, ruleset)
    except RuleConfigError as exc:
        message = str(exc)
        if message == "no platform given":
            message += ": name one or more in platforms (x,tiktok or repeated)"
        raise ProblemError("unprocessable", message) from None


# -- measure ---------------------------------------------------------------------------------


@router.post(
    "/v1/measure",
    response_model=list[Measurement],
    responses=PROBLEM_DOC,
    tags=["check"],
    summary="A text's length as each platform counts it, with the entities found",
    description="For a compose box: the length in each platform's unit (X's weighted count,"
    " graphemes, UTF-16...), the limit, what remains, and the URL, mention and hashtag spans"
    " (code point offsets).",
    openapi_extra={"x-mediarules-body": "MeasureRequest"},
)
async def measure_text(request: Request) -> Response:
    service = service_of(request)
    data = await json_body(
        request.headers.get("content-type"),
        request.stream(),
        expected="{text, platforms, field, has_media}",
    )
    asked = model_from_body(MeasureRequest, data)
    keys = _platforms(asked.platforms, service.ruleset)
    try:
        results = [
            measure(
                asked.text, key, field=asked.field, has_media=asked.has_media,
                rules=service.ruleset,
            ).to_dict()
            for key in keys
        ]  # fmt: skip
    except ValueError as exc:
        raise ProblemError("unprocessable", str(exc)) from None
    return json_response(results)
