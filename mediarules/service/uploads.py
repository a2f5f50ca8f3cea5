"""A multipart upload streamed into a request's private folder, never held in memory.

Each part named ``files`` is a file: it is written as it arrives into its own numbered
subfolder (through ``safe_write``: exclusive temporary, then published under the client's
name, cleaned), so two files of the same name do not meet and a fix writes its outputs
next to nothing else. Other parts are text fields of at most ``MAX_FIELD_BYTES``, UTF-8, and
only the names the endpoint takes: a misspelt field is an error, not silently ignored. The
body limit is the guard's (``--max-body``); the number of files is ``--max-files``.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass, field
from pathlib import Path

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from mediarules.formatting import echo
from mediarules.safe_write import OutputFolder, TemporaryFile, fit_name, split_suffix
from mediarules.service.problems import ProblemError

__all__ = ["FILE_FIELD", "MAX_FIELD_BYTES", "Form", "Upload", "client_name", "read_form"]

FILE_FIELD = "files"
MAX_FIELD_BYTES = 1024 * 1024
"""A caption, title or alt text: far past any platform's limit, far short of a file."""
MAX_FIELDS = 1_000
MAX_NAME_BYTES = 200
"""A client's file name is cut to this, leaving room for a fix's ``-tiktok-1`` tail."""

_UNSAFE_IN_NAME = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Upload:
    name: str
    """The client's file name, cleaned: how reports and fixed files call it."""
    path: Path
    size: int


@dataclass
class Form:
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: list[Upload] = field(default_factory=list)

    def one(self, name: str) -> str | None:
        """A field given at most once (None when absent)."""
        values = self.fields.get(name, [])
        if len(values) > 1:
            raise ProblemError("invalid-form", f"the field {name!r} is given {len(values)} times")
        return values[0] if values else None

    def many(self, name: str) -> list[str]:
        return self.fields.get(name, [])


def client_name(raw: str, index: int) -> str:
    """The last segment of the client's file name (``C:\\fakepath\\a.jpg`` -> ``a.jpg``),
    without control or bidi characters or leading dots, cut to ``MAX_NAME_BYTES``;
    ``file-N`` when nothing is left."""
    name = re.split(r"[/\\]", raw)[-1]
    name = _UNSAFE_IN_NAME.sub("", name).strip().lstrip(".").strip()
    if not name:
        return f"file-{index + 1}"
    stem, suffix = split_suffix(name)
    if len(os.fsencode(name)) > MAX_NAME_BYTES:
        name = fit_name(stem, suffix, MAX_NAME_BYTES)
    return name


async def read_form(
    content_type: str | None,
    chunks: AsyncIterator[bytes],
    folder: Path,
    *,
    fields: Collection[str],
    max_files: int,
) -> Form:
    """Read a ``multipart/form-data`` body from ``chunks`` into ``folder``.

    Raises ``ProblemError``: 415 for another content type, 400 for a damaged body, an unknown
    field, a field over ``MAX_FIELD_BYTES`` or not UTF-8, 413 past ``max_files`` files.
    """
    boundary = _boundary(content_type)
    reader = _Reader(folder, set(fields), max_files)
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": reader.part_begin,
            "on_header_field": reader.header_field,
            "on_header_value": reader.header_value,
            "on_header_end": reader.header_end,
            "on_headers_finished": reader.headers_finished,
            "on_part_data": reader.part_data,
            "on_part_end": reader.part_end,
            "on_end": reader.end,
        },
    )
    try:
        async for chunk in chunks:
            if chunk:
                parser.write(chunk)
        parser.finalize()
    except MultipartParseError as exc:
        raise ProblemError("invalid-form", f"damaged multipart body: {echo(str(exc))}") from None
    finally:
        reader.discard()
    if not reader.ended:
        raise ProblemError("invalid-form", "the multipart body ends before its closing boundary")
    return reader.form


def _boundary(content_type: str | None) -> bytes:
    kind, options = parse_options_header(content_type or "")
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        shown = echo(content_type) if content_type else "none"
        raise ProblemError(
            "unsupported-media-type",
            f"send the files as multipart/form-data (a part named {FILE_FIELD!r} per file);"
            f" the request's Content-Type is {shown}",
        )
    if len(boundary) > 200:
        raise ProblemError("invalid-form", "the multipart boundary is longer than 200 bytes")
    return boundary


class _Reader:
    """python-multipart's callbacks: headers per part, then its data to a file or a field."""

    def __init__(self, folder: Path, fields: set[str], max_files: int) -> None:
        self.folder = folder
        self.allowed = fields
        self.max_files = max_files
        self.form = Form()
        self.ended = False
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._disposition: bytes | None = None
        self._name = ""
        self._value = bytearray()
        self._file: TemporaryFile | None = None
        self._folder: OutputFolder | None = None
        self._client_name = ""
        self._size = 0

    def part_begin(self) -> None:
        self._disposition = None
        self._name = ""
        self._value.clear()

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def header_end(self) -> None:
        if bytes(self._header_field).strip().lower() == b"content-disposition":
            self._disposition = bytes(self._header_value)
        self._header_field.clear()
        self._header_value.clear()

    def headers_finished(self) -> None:
        kind, options = parse_options_header(self._disposition or b"")
        raw_name = options.get(b"name")
        if kind != b"form-data" or raw_name is None:
            raise ProblemError(
                "invalid-form", "a part has no Content-Disposition: form-data; name=..."
            )
        name = raw_name.decode("utf-8", "replace")
        self._name = name
        if name == FILE_FIELD and FILE_FIELD in self.allowed:
            index = len(self.form.files)
            if index >= self.max_files:
                raise ProblemError(
                    "too-many-files",
                    f"more than {self.max_files} files in one request (the service's --max-files)",
                )
            filename = options.get(b"filename", b"").decode("utf-8", "replace")
            self._client_name = client_name(filename, index)
            self._folder = OutputFolder.open(self.folder / str(index))
            self._file = self._folder.temporary(self._client_name).__enter__()
            self._size = 0
            return
        if name not in self.allowed - {FILE_FIELD}:
            known = ", ".join(sorted(self.allowed))
            raise ProblemError(
                "invalid-form", f"unknown form field {echo(name, 40)!r}; fields: {known}"
            )
        if sum(len(v) for v in self.form.fields.values()) >= MAX_FIELDS:
            raise ProblemError("invalid-form", f"more than {MAX_FIELDS:,} form fields")

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self._file is not None:
            self._file.file.write(data[start:end])
            self._size += end - start
            return
        self._value += data[start:end]
        if len(self._value) > MAX_FIELD_BYTES:
            raise ProblemError(
                "invalid-form",
                f"the field {echo(self._name, 40)!r} is longer than {MAX_FIELD_BYTES:,} bytes",
            )

    def part_end(self) -> None:
        if self._file is not None and self._folder is not None:
            name = self._file.publish(self._client_name, sync=False)
            path = self._folder.shown(name)
            self._close_file()
            self.form.files.append(Upload(self._client_name, path, self._size))
            return
        try:
            text = bytes(self._value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProblemError(
                "invalid-form", f"the field {echo(self._name, 40)!r} is not UTF-8 ({exc.reason})"
            ) from None
        self.form.fields.setdefault(self._name, []).append(text)

    def end(self) -> None:
        self.ended = True

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.discard()
            self._file = None
        if self._folder is not None:
            self._folder.close()
            self._folder = None

    def discard(self) -> None:
        """A part cut short: its temporary goes (the request's folder goes anyway)."""
        self._close_file()
