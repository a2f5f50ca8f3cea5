"""Writing new files into one folder without clobbering anything or escaping it.

The folder is opened once (``O_DIRECTORY``) and every name is resolved against its descriptor,
so swapping the folder, or a name in it, for a symlink cannot redirect a write. A temporary
file is created exclusively (``O_CREAT | O_EXCL | O_NOFOLLOW``, a random name) and written
through its descriptor; publishing links that very file under its final name
(``linkat`` through ``/proc/self/fd``, which fails on a name that exists, symlinks included)
and removes the temporary name. Where hard links are not supported, ``renameat2`` with
``RENAME_NOREPLACE`` publishes instead; where neither exists, nothing is published.

Stdlib only (and :mod:`mediarules.formatting`): every file mediarules writes goes through this
module: the fix executors' outputs, the HTML report, and the test files the hypothesis
strategies (:mod:`mediarules.strategies`) draw.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import secrets
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path, PurePath
from types import TracebackType
from typing import BinaryIO, cast

from mediarules.formatting import echo

__all__ = [
    "MAX_FREE_NAMES",
    "MAX_NAME_BYTES",
    "OutputFolder",
    "OutputFolderError",
    "TemporaryFile",
    "fit_name",
    "numbered_name",
]

MAX_NAME_BYTES = 255
"""The longest file name (in bytes) ext4, XFS, Btrfs, tmpfs, APFS and NTFS all accept."""

MAX_FREE_NAMES = 10_000
"""How many numbered names (``stem-2.ext`` ...) are tried before giving up on a folder."""

_MAX_SUFFIX_BYTES = 16
"""A longer "extension" is part of the stem, so cutting a long name never cuts into it."""

_TEMP_HINT_BYTES = 64
_NO_HARD_LINKS = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK})
"""``link`` errors meaning the file system has no (more) hard links: FAT, some shares."""

_RENAME_NOREPLACE = 1
_PROC_FD = Path("/proc/self/fd")


class OutputFolderError(OSError):
    """The output folder cannot be created, opened or written into (one line, for the CLI)."""


# -- names -----------------------------------------------------------------------------------


def fit_name(stem: str, tail: str, limit: int = MAX_NAME_BYTES) -> str:
    """``stem + tail`` in at most ``limit`` bytes, cutting the stem (at a character boundary)
    and keeping ``tail`` (``-tiktok-1.mp4``) whole."""
    room = limit - len(os.fsencode(tail))
    if room < 0:
        raise ValueError(f"a name ending {tail[:40]!r} cannot fit in {limit} bytes")
    return _cut(stem, room) + tail


def numbered_name(name: str, number: int) -> str:
    """``photo-2.jpg`` for ``photo.jpg`` and 2, shortened to fit ``MAX_NAME_BYTES``."""
    stem, suffix = split_suffix(name)
    return fit_name(stem, f"-{number}{suffix}")


def split_suffix(name: str) -> tuple[str, str]:
    """(stem, suffix); a suffix longer than a real extension counts as part of the stem."""
    suffix = PurePath(name).suffix
    if not suffix or len(os.fsencode(suffix)) > _MAX_SUFFIX_BYTES:
        return name, ""
    return name[: -len(suffix)], suffix


def _cut(text: str, size: int) -> str:
    """The longest start of ``text`` that is at most ``size`` bytes, whole characters only."""
    data = os.fsencode(text)
    if len(data) <= size:
        return text
    cut = data[:size]
    for back in range(4):  # a UTF-8 character is at most 4 bytes
        try:
            return cut[: len(cut) - back].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return os.fsdecode(cut)  # not UTF-8 to begin with: keep the bytes as they are


def _candidates(name: str, next_free: bool) -> Iterator[str]:
    yield name
    if next_free:
        for number in range(2, MAX_FREE_NAMES + 2):
            yield numbered_name(name, number)


# -- the folder ------------------------------------------------------------------------------


class OutputFolder:
    """A folder opened once; every name below is relative to its descriptor."""

    def __init__(self, path: Path, descriptor: int) -> None:
        self.path = path
        self.descriptor = descriptor

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, create: bool = True) -> OutputFolder:
        """Open the folder. With ``create``, make it first and prove a file can be created in
        it, raising :class:`OutputFolderError` naming the folder and the reason (a path under
        a regular file, a read-only file system, ``/proc``, no permission); without, it must
        exist, and errors are the system's own ``OSError``.
        """
        folder = Path(path)
        flags = os.O_RDONLY | os.O_DIRECTORY
        if not create:
            return cls(folder, os.open(folder, flags))
        try:
            os.makedirs(folder, exist_ok=True)
            descriptor = os.open(folder, flags)
        except OSError as exc:
            raise OutputFolderError(_folder_problem(folder, exc, made=False)) from None
        opened = cls(folder, descriptor)
        try:
            with opened.temporary("probe"):
                pass
        except OSError as exc:
            opened.close()
            raise OutputFolderError(_folder_problem(folder, exc, made=True)) from None
        return opened

    def close(self) -> None:
        if self.descriptor >= 0:
            os.close(self.descriptor)
            self.descriptor = -1

    def __enter__(self) -> OutputFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def shown(self, name: str) -> Path:
        """The path a person (or the next command) uses for ``name`` in this folder."""
        return self.path / name

    def taken(self, name: str) -> bool:
        """Whether anything (a file, a folder, a symlink, dangling or not) holds ``name``."""
        try:
            os.lstat(name, dir_fd=self.descriptor)
        except FileNotFoundError:
            return False
        return True

    def temporary(self, hint: str) -> TemporaryFile:
        """A new, empty, exclusively created file with a random hidden name."""
        return TemporaryFile(self, hint)

    def write_new(self, name: str, data: bytes, *, next_free: bool = False) -> str:
        """Write ``data`` as a new file; returns the name it was published under."""
        with self.temporary(name) as temporary:
            temporary.file.write(data)
            return temporary.publish(name, next_free=next_free)


def _folder_problem(folder: Path, exc: OSError, *, made: bool) -> str:
    reason = exc.strerror or str(exc)
    if isinstance(exc, FileExistsError | NotADirectoryError) and not made:
        reason = "a file is in the way (the path is, or runs through, a regular file)"
    elif made:
        reason = f"files cannot be created in it ({reason})"
    else:
        reason = f"it cannot be created or opened ({reason})"
    return f"cannot write into the output folder {echo(os.fsdecode(folder))}: {reason}"


# -- temporary files -------------------------------------------------------------------------


class TemporaryFile:
    """A file only this process has opened, until :meth:`publish` gives it its real name.

    Use it as a context manager: the file is created on entering the block, and leaving the
    block closes it and removes the temporary name (when it still holds this file), whatever
    happened, a KeyboardInterrupt during the creation itself included.
    """

    file: BinaryIO

    def __init__(self, folder: OutputFolder, hint: str) -> None:
        self.folder = folder
        self._stem = _cut(split_suffix(PurePath(hint).name)[0].lstrip("."), _TEMP_HINT_BYTES)
        self.name = ""
        self._identity: tuple[int, int] | None = None
        self._named = False

    def __enter__(self) -> TemporaryFile:
        try:
            self._create()
        except BaseException:
            self.discard()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.discard()

    def _create(self) -> None:
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        flags |= getattr(os, "O_BINARY", 0)
        for _ in range(100):
            # Named before it exists: an interrupt right after the open still finds it.
            self.name, self._named = f".{self._stem}.{secrets.token_hex(6)}.tmp", True
            try:
                descriptor = os.open(self.name, flags, 0o666, dir_fd=self.folder.descriptor)
            except FileExistsError:
                self._named = False  # someone else's
                continue
            break
        else:
            raise FileExistsError(errno.EEXIST, "no free temporary name", str(self.folder.path))
        self.file = os.fdopen(descriptor, "w+b")
        info = os.fstat(descriptor)
        self._identity = (info.st_dev, info.st_ino)

    @property
    def reopen_path(self) -> str | None:
        """A path that opens this very file whatever happens to its name (Linux ``/proc``),
        for libraries that must open it themselves; usable by child processes too."""
        if not _PROC_FD.is_dir():
            return None
        return f"/proc/{os.getpid()}/fd/{self.file.fileno()}"

    def intact(self) -> bool:
        """Whether the temporary name still holds this file (not a symlink put there); before
        the file's identity is known (an interrupt inside the creation), any regular file under
        the random name just created counts as this one."""
        if not self.name:
            return False
        try:
            info = os.lstat(self.name, dir_fd=self.folder.descriptor)
        except FileNotFoundError:
            return False
        mine = self._identity is None or (info.st_dev, info.st_ino) == self._identity
        return stat.S_ISREG(info.st_mode) and mine

    def rewind(self) -> None:
        """Empty the file, to write it again from the start."""
        self.file.seek(0)
        self.file.truncate()

    def publish(self, name: str, *, next_free: bool = False, sync: bool = True) -> str:
        """Give the file ``name`` (or with ``next_free`` the first free ``name-N``) without
        replacing anything; returns the name used. Raises :class:`FileExistsError` when the
        name (every name) is taken. ``sync=False`` skips the ``fsync`` (a few ms on a disk)
        for files nobody needs after a power cut, such as the test files of
        :mod:`mediarules.strategies`."""
        self.file.flush()
        if sync:
            os.fsync(self.file.fileno())
        for candidate in _candidates(name, next_free):
            try:
                self._link(candidate)
            except FileExistsError:
                continue
            self._drop_name()
            return candidate
        raise FileExistsError(errno.EEXIST, "the name is taken", str(self.folder.shown(name)))

    def replace(self, name: str) -> None:
        """Rename the file over ``name`` (atomic: ``name`` is the old file or the new one)."""
        self.file.flush()
        os.fsync(self.file.fileno())
        self._require_intact()
        descriptor = self.folder.descriptor
        os.replace(self.name, name, src_dir_fd=descriptor, dst_dir_fd=descriptor)
        self._named = False

    def discard(self) -> None:
        """Close the file and remove its temporary name (only while it still holds it)."""
        with contextlib.suppress(OSError):
            self._drop_name()
        if hasattr(self, "file"):
            self.file.close()

    def _link(self, name: str) -> None:
        descriptor = self.folder.descriptor
        try:
            if self.reopen_path is not None:
                # the open file itself, whatever its temporary name now holds
                os.link(
                    f"/proc/self/fd/{self.file.fileno()}",
                    name,
                    dst_dir_fd=descriptor,
                    follow_symlinks=True,
                )
            else:
                self._require_intact()
                os.link(
                    self.name,
                    name,
                    src_dir_fd=descriptor,
                    dst_dir_fd=descriptor,
                    follow_symlinks=False,
                )
        except FileNotFoundError as exc:
            raise OSError("the temporary file was removed or replaced during the write") from exc
        except OSError as exc:
            if exc.errno not in _NO_HARD_LINKS:
                raise
            self._require_intact()
            _rename_no_replace(descriptor, self.name, name)
            self._named = False

    def _require_intact(self) -> None:
        if not self.intact():
            raise OSError("the temporary file was removed or replaced during the write")

    def _drop_name(self) -> None:
        if self._named and self.intact():
            os.unlink(self.name, dir_fd=self.folder.descriptor)
        self._named = False


def _rename_no_replace(descriptor: int, old: str, new: str) -> None:
    """``renameat2(RENAME_NOREPLACE)``: rename, failing with EEXIST when ``new`` exists."""
    function = _renameat2()
    if function is None:
        raise OSError(
            errno.EOPNOTSUPP,
            "this file system has no hard links and the system no RENAME_NOREPLACE: "
            "a file cannot be published without risking an existing one",
        )
    result = function(descriptor, os.fsencode(old), descriptor, os.fsencode(new), _RENAME_NOREPLACE)
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), new)


def _renameat2() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):  # glibc before 2.28, or no libc to load
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int
    return cast("Callable[..., int]", function)
