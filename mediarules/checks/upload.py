"""Checks that hold for every platform: what the scheduler's upload API does to a file.

These come from the seed (the scheduler's Upload Media API page), not from any platform, so
the engine reports them once, under the platform name ``all``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import PurePath

from mediarules.checks.finding import Finding, manual
from mediarules.fixes import plan
from mediarules.models import MediaFacts, MediaRef

SOURCE = "seed: Upload Media API, POST /api/v1/get-upload-url"

EXTENSIONS: dict[str, str] = {
    ".jpg": "jpeg", ".jpeg": "jpeg", ".jpe": "jpeg", ".jfif": "jpeg",
    ".png": "png", ".gif": "gif", ".webp": "webp", ".bmp": "bmp",
    ".tif": "tiff", ".tiff": "tiff", ".heic": "heif", ".heif": "heif", ".avif": "avif",
    ".hif": "heif", ".heics": "heif", ".heifs": "heif", ".avifs": "avif",  # cameras, sequences
    ".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".qt": "mov", ".webm": "webm",
    ".mkv": "mkv", ".avi": "avi", ".ogv": "ogg", ".ogg": "ogg",
}  # fmt: skip
"""File extension -> the format its bytes should have."""

MIME_TYPES: dict[str, str] = {
    "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp",
    "bmp": "image/bmp", "tiff": "image/tiff", "heif": "image/heif", "avif": "image/avif",
    "mp4": "video/mp4", "mov": "video/quicktime", "webm": "video/webm",
    "mkv": "video/x-matroska", "avi": "video/x-msvideo", "ogg": "video/ogg",
}  # fmt: skip
"""Format -> its canonical MIME type."""

_FORMATS_BY_MIME = {mime: fmt for fmt, mime in MIME_TYPES.items()} | {
    "image/jpg": "jpeg",
    "image/pjpeg": "jpeg",
    "image/heic": "heif",
    "image/heic-sequence": "heif",
    "image/heif-sequence": "heif",
    "image/avif-sequence": "avif",
    "video/mov": "mov",
    "video/x-m4v": "mp4",
}
_UNSAFE_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9_.\-]")
_SAFE_NAME = re.compile(r"[A-Za-z0-9_.\-]*")
"""A name ``sanitized_file_name`` keeps as it is: no space to trim or replace, nothing to drop."""


def sanitized_file_name(name: str) -> str:
    """The name the upload API stores: trimmed, spaces to underscores, other special
    characters removed (``my photo (1).jpg`` -> ``my_photo_1.jpg``)."""
    return _UNSAFE_NAME_CHARACTERS.sub("", name.strip().replace(" ", "_"))


def format_from_name(name: str) -> str | None:
    return EXTENSIONS.get(PurePath(name).suffix.lower())


def format_from_mime(content_type: str) -> str | None:
    return _FORMATS_BY_MIME.get(content_type.split(";")[0].strip().lower())


def check_upload(facts: MediaFacts, ref: MediaRef | None) -> Iterator[Finding]:
    """What the upload request (or a bare file) gets wrong, whatever the platform."""
    named = _upload_name(facts, ref)
    if ref is not None and (ref.file_name is not None or ref.content_type is not None):
        # an upload request (not just a path with alt text): its declared fields must be right
        yield from _declared_type(facts, ref)
    if named is None:
        return
    name, suffix = named
    # one new name for both findings: sanitised, with the real format's extension
    fixed = name
    if facts.format is not None:
        expected = EXTENSIONS.get(suffix.lower())  # format_from_name(name)
        if expected is not None and expected != facts.format:
            fixed = PurePath(name).with_suffix(extension_for(facts.format)).name
            yield Finding(
                "media.format_mismatch",
                f"named {PurePath(name).suffix} but the bytes are {facts.format.upper()}",
                actual=facts.format,
                limit=expected,
                fix=plan.rename_file(sanitized_file_name(fixed)),
                source="file name vs file contents",
            )
    clean = sanitized_file_name(name)
    if clean != name:
        yield Finding(
            "media.filename_changed",
            f"the upload API will store {name!r} as {clean!r}",
            actual=name,
            limit=clean,
            fix=plan.rename_file(sanitized_file_name(fixed)),
            source=f"{SOURCE} (fileName is sanitized)",
        )


def upload_may_find(facts: MediaFacts, ref: MediaRef | None) -> bool:
    """Whether ``check_upload`` might find something: a request, or a file whose name the
    upload API changes or whose extension is another format's. Most files: no, for the cost
    of reading their name (the engine runs the check only on a yes)."""
    if ref is not None:
        return True
    path = facts.path
    if not path:
        return False
    name = pure_name(path)
    if facts.format is not None:
        dot = name.rfind(".")  # _suffix(name), written out
        expected = EXTENSIONS.get(name[dot:].lower()) if 0 < dot < len(name) - 1 else None
        if expected is not None and expected != facts.format:
            return True
    return _SAFE_NAME.fullmatch(name) is None  # else sanitizing changes nothing


def _upload_name(facts: MediaFacts, ref: MediaRef | None) -> tuple[str, str] | None:
    """The file name the upload gets (the request's, else the file's own), and its suffix:
    the suffix of the last part of the request's name (``PurePath(name).suffix``)."""
    if ref is not None and ref.file_name:
        return ref.file_name, _suffix(pure_name(ref.file_name))
    if facts.path:
        name = pure_name(facts.path)
        return name, _suffix(name)
    return None


def _posix_name(path: str) -> str:
    """``PurePosixPath(path).name`` without making the path (a third of an upload check's
    time): the last part that is neither empty nor ``.``."""
    name = path.rpartition("/")[2]
    if name and name != ".":  # a path that does not end with a slash or a dot: most
        return name
    for part in reversed(path.split("/")):
        if part and part != ".":
            return part
    return ""


def _path_name(path: str) -> str:
    return PurePath(path).name


pure_name: Callable[[str], str] = _path_name if os.name == "nt" else _posix_name
"""``PurePath(path).name`` (Windows paths have drives and backslashes: made as paths)."""


def _suffix(name: str) -> str:
    """``PurePath(name).suffix`` of a name (no separator in it): from its last dot, when that
    dot neither starts nor ends it."""
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


def _declared_type(facts: MediaFacts, ref: MediaRef) -> Iterator[Finding]:
    kind = facts.kind
    if ref.type is None:
        yield Finding(
            "media.type_missing",
            "the upload request has no type; the S3 upload fails without it",
            actual=None,
            limit=["image", "video"],
            fix=plan.set_field("type", kind) if kind else manual("Send type image or video"),
            source=f"{SOURCE} (type: omitting it makes PutObjectCommand fail)",
        )
    elif kind is not None and ref.type != kind:
        yield Finding(
            "media.format_mismatch",
            f"declared type is {ref.type} but the file is a {kind}",
            actual=kind,
            limit=ref.type,
            fix=plan.set_field("type", kind),
            source=SOURCE,
        )
    content_type = ref.content_type
    if content_type is None:
        return
    right_type = MIME_TYPES.get(facts.format or "")
    if not content_type.lower().startswith(("image/", "video/")):
        yield Finding(
            "media.content_type_invalid",
            f"contentType {content_type!r} is not an image or video type",
            actual=content_type,
            limit=["image/*", "video/*"],
            fix=plan.set_field("contentType", right_type)
            if right_type
            else manual("Send the file's real MIME type"),
            source=f"{SOURCE} (contentType is not validated by the API)",
        )
        return
    declared = format_from_mime(content_type)
    if facts.format is not None and declared is not None and declared != facts.format:
        yield Finding(
            "media.format_mismatch",
            f"contentType says {content_type} but the bytes are {facts.format.upper()}",
            actual=right_type or facts.format,
            limit=content_type,
            fix=plan.set_field("contentType", right_type or facts.format),
            source=SOURCE,
        )


def extension_for(fmt: str) -> str:
    """The usual file extension for a format: ``jpeg`` -> ``.jpg``, ``mov`` -> ``.mov``."""
    return {"jpeg": ".jpg", "tiff": ".tif", "heif": ".heic", "ogg": ".ogv"}.get(fmt, f".{fmt}")
