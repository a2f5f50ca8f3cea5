"""Pillow's warnings about one file, kept for that file's facts instead of printed.

Pillow warns through :mod:`warnings` ("Corrupt EXIF data", "Truncated File Read", an MPO read
as a plain JPEG). Inside :func:`collecting`, a warning raised by Pillow goes to that call's
:class:`Notes`, found through a :mod:`contextvars` variable, so each thread (and each asyncio
task) collects its own and nothing reaches stderr.

``warnings.catch_warnings`` would do the same for a single thread, but it swaps process-wide
state (the filter list and ``showwarning``) and races between threads before Python 3.14.
Instead two things are installed under a lock the first time, and again whenever something
replaced them (pytest restores both around every test):

- a filter ``always`` for warnings raised inside Pillow, so the same warning met for the next
  file is met again (the default action shows each place in the code once per process);
- a ``showwarning`` hook that routes a Pillow warning to the active collector and hands every
  other warning, and Pillow's outside a collection, to the hook it replaced, untouched.

libtiff (Pillow decodes compressed TIFFs with it) reports errors through a process-wide C
handler that prints to stderr ("ZIPDecode: Decoding error at scanline 0, ..."); Pillow silences
its warnings but not its errors. The first collection once Pillow is loaded (or
:func:`pillow_loaded`, called by the Pillow fallback when it imports Pillow) puts a handler in
every libtiff the process has loaded: inside a collection a message becomes a ``libtiff:`` note
of the calling thread's collector, outside one it goes to the handler it replaced, as before.
A collection never imports Pillow itself: a JPEG read by its header reader does not pay for it.
(So a process that reads an MP4 never loads Pillow for this.)

Known limits: outside mediarules, Pillow's warnings show every time rather than once per
place; a ``catch_warnings`` block in another thread hides the hook until it ends; libtiff is
found through ``/proc/self/maps`` (Linux) or Pillow's bundled ``.dylibs`` (macOS), and its
messages are formatted only where a ``va_list`` is passed as one pointer (x86-64, arm64): a
libtiff linked statically, or another platform, still prints.
"""

from __future__ import annotations

import glob
import os
import platform
import re
import sys
import threading
import warnings
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, TextIO

from mediarules.formatting import echo

MAX_NOTES = 20
"""Distinct warnings kept per file; a TIFF with 10,000 bad tags warns 10,000 times."""

NOTE_LIMIT = 200
"""Characters kept of one warning."""

_pil_folder: str | None = None
"""Pillow's folder, once Pillow is imported (a warning from inside it comes from Pillow)."""
_FILTER = ("always", None, Warning, re.compile(r"PIL\."), 0)
"""The entry ``warnings.filterwarnings("always", module=r"PIL\\.")`` adds."""


class Notes:
    """The distinct warnings met while reading one file, at most :data:`MAX_NOTES`."""

    def __init__(self) -> None:
        self._seen: dict[str, None] = {}
        self._dropped = 0

    def add(self, text: str) -> None:
        note = echo(" ".join(text.split()), NOTE_LIMIT)
        if note in self._seen:
            return
        if len(self._seen) < MAX_NOTES:
            self._seen[note] = None
        else:
            self._dropped += 1

    def as_tuple(self) -> tuple[str, ...]:
        notes = tuple(self._seen)
        if self._dropped:
            notes += (f"(and {self._dropped} more warnings)",)
        return notes


_collector: ContextVar[Notes | None] = ContextVar("mediarules_library_warnings", default=None)
_lock = threading.Lock()
_replaced: Callable[..., object] = warnings.showwarning
"""The ``showwarning`` the hook hands other warnings to."""


def collecting() -> _Collecting:
    """Collect Pillow's warnings raised in this context (this thread, this task) until exit:
    ``with collecting() as notes: ...``."""
    return _Collecting()


class _Collecting:
    """The context manager of :func:`collecting` (a class: ``@contextmanager`` costs twice as
    much, and this runs for every file)."""

    _token: Token[Notes | None]

    def __enter__(self) -> Notes:
        _install()
        notes = Notes()
        self._token = _collector.set(notes)
        return notes

    def __exit__(self, *exc_info: object) -> None:
        _collector.reset(self._token)


def _install() -> None:
    """Put the filter first and the hook in place, unless they already are (the usual case)."""
    if not _libtiff_hooked and _PILLOW_C_LIBRARY in sys.modules:
        _hook_libtiff()
    if warnings.showwarning is _route and warnings.filters[:1] == [_FILTER]:
        return
    global _replaced
    with _lock:
        if warnings.showwarning is not _route:
            _replaced = warnings.showwarning
            warnings.showwarning = _route
        if warnings.filters[:1] != [_FILTER]:
            warnings.filterwarnings("always", module=r"PIL\.")


def _route(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    notes = _collector.get()
    if notes is not None and _from_pillow(filename):
        notes.add(f"Pillow: {message}")
        return
    _replaced(message, category, filename, lineno, file, line)


def _from_pillow(filename: str) -> bool:
    folder = _pillow_folder()
    return folder is not None and os.path.abspath(filename).startswith(folder)


def _pillow_folder() -> str | None:
    """Where Pillow is, or ``None`` while it is not imported (nothing can come from it)."""
    global _pil_folder
    if _pil_folder is None:
        pil = sys.modules.get("PIL")
        if pil is None or pil.__file__ is None:
            return None
        _pil_folder = os.path.dirname(os.path.abspath(pil.__file__)) + os.sep
    return _pil_folder


# ---------------------------------------------------------------------------------------------
# libtiff's error handler

_PILLOW_C_LIBRARY = "PIL._imaging"
"""Pillow's C library, which links the libtiff it decodes TIFFs with."""

if TYPE_CHECKING:
    import ctypes

_VA_LIST_IS_ONE_POINTER = platform.machine().lower() in {"x86_64", "amd64", "aarch64", "arm64"}
"""Where a ``va_list`` argument arrives as one pointer that can be handed on to ``vsnprintf``
(or to the replaced handler) unchanged."""

_PILLOW_TIFF_NAME = "tempfile.tif: "
"""The name Pillow gives every TIFF it hands libtiff, which libtiff puts before some messages."""

_libtiff_hooked = False
_tiff_handlers: list[object] = []
"""Our ctypes callbacks, one per libtiff, kept alive for as long as libtiff may call them."""
_vsnprintf: Callable[..., int] | None = None


def pillow_loaded() -> None:
    """Hook libtiff now: Pillow was just imported, inside a collection that began without it."""
    if not _libtiff_hooked:
        _hook_libtiff()


def _hook_libtiff() -> None:
    """Put a collecting error handler in every loaded libtiff, once per process."""
    global _libtiff_hooked, _vsnprintf
    with _lock:
        if _libtiff_hooked:
            return
        _libtiff_hooked = True
        if not _VA_LIST_IS_ONE_POINTER:
            return
        import ctypes

        # void handler(const char *module, const char *fmt, va_list ap)
        tiff_handler = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p)
        try:
            vsnprintf = ctypes.CDLL(None).vsnprintf
            vsnprintf.argtypes = [
                ctypes.c_char_p,
                ctypes.c_size_t,
                ctypes.c_char_p,
                ctypes.c_void_p,
            ]
            vsnprintf.restype = ctypes.c_int
            _vsnprintf = vsnprintf
            for library in _loaded_libtiffs():
                setter = library.TIFFSetErrorHandler
                setter.argtypes = [ctypes.c_void_p]
                setter.restype = ctypes.c_void_p
                previous = setter(None)  # read the handler in place (libtiff's own printer)
                replaced = tiff_handler(previous) if previous else None
                handler = tiff_handler(_error_handler(replaced))
                _tiff_handlers.append(handler)
                setter(ctypes.cast(handler, ctypes.c_void_p))
        except Exception:  # no libc, no libtiff symbols, no dlopen flags: leave things be
            return


def _loaded_libtiffs() -> list[ctypes.CDLL]:
    """Every libtiff already in the process (Pillow's ``_imaging`` links one), never a new one."""
    import ctypes

    from PIL import _imaging  # noqa: F401  (loads the libtiff Pillow decodes with)

    if os.path.exists("/proc/self/maps"):
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            paths = {line.split(maxsplit=5)[-1].strip() for line in maps if "libtiff" in line}
    else:
        paths = set(glob.glob(os.path.join(_pillow_folder() or "", ".dylibs", "libtiff*")))
    found = []
    for path in sorted(paths):
        if not os.path.basename(path).startswith("libtiff"):
            continue
        try:  # RTLD_NOLOAD: a handle on the copy already loaded, or nothing
            found.append(ctypes.CDLL(path, mode=os.RTLD_NOLOAD | os.RTLD_NOW))
        except OSError:
            continue
    return found


def _error_handler(
    replaced: Callable[[bytes | None, bytes | None, int | None], None] | None,
) -> Callable[[bytes | None, bytes | None, int | None], None]:
    """libtiff's error handler: a note of this thread's collector, or, outside a collection,
    the ``replaced`` handler (which prints). It never raises: ctypes would print that too."""

    def handle(module: bytes | None, fmt: bytes | None, args: int | None) -> None:
        try:
            notes = _collector.get()
            if notes is None:
                if replaced is not None:
                    replaced(module, fmt, args)
                return
            where = module.decode("utf-8", "replace") + ": " if module else ""
            if where == _PILLOW_TIFF_NAME:
                where = ""
            notes.add(f"libtiff: {where}{_formatted(fmt, args)}")
        except Exception:  # never raise into C (see the docstring)
            pass

    return handle


def _formatted(fmt: bytes | None, args: int | None) -> str:
    """libtiff's ``printf``-style message, cut to what a note keeps."""
    if fmt is None or _vsnprintf is None:
        return ""
    import ctypes

    buffer = ctypes.create_string_buffer(NOTE_LIMIT * 2)
    _vsnprintf(buffer, len(buffer), fmt, args)
    return buffer.value.decode("utf-8", "replace")
