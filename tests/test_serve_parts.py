"""The service's parts on their own, in this process: settings, upload names, problem types,
and what happens to a request's folder when the request is given up while its thread runs."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from mediarules.service.settings import (
    ENVIRONMENT,
    FIELDS,
    Settings,
    SettingsError,
    parse_size,
    resolve_settings,
)


@pytest.mark.parametrize(
    ("text", "size"),
    [("1000", 1000), ("25MB", 25_000_000), ("25 mb", 25_000_000), ("5MiB", 5 * 2**20),
     ("1.5GB", 1_500_000_000), ("512k", 512_000), ("2KiB", 2048), ("7 bytes", 7)],
)  # fmt: skip
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "MB", "-5MB", "5 TB", "0", "0.0001KB", "1e3", "65GB"])
def test_bad_sizes(text: str) -> None:
    with pytest.raises(ValueError, match=r"size|at least|at most"):
        parse_size(text)


def test_flag_then_variable_then_default() -> None:
    flags = dict.fromkeys(FIELDS)
    assert resolve_settings(flags, {}) == Settings()
    environ = {"MEDIARULES_MAX_FILES": "4", "MEDIARULES_CORS_ORIGINS": "https://a.example, *"}
    settings = resolve_settings({**flags, "max_files": "9"}, environ)
    assert settings.max_files == 9
    assert settings.cors_origins == ("https://a.example", "*")
    assert resolve_settings(flags, {"MEDIARULES_API_KEY": "  "}).api_key is None
    with pytest.raises(SettingsError, match=r"^MEDIARULES_WORKERS 'two': not a whole number$"):
        resolve_settings(flags, {"MEDIARULES_WORKERS": "two"})


def test_every_flag_has_its_variable_and_settings_travel_to_workers() -> None:
    assert ENVIRONMENT["--max-body"] == "MEDIARULES_MAX_BODY"
    assert len(set(ENVIRONMENT.values())) == len(ENVIRONMENT) == len(FIELDS)
    settings = Settings(port=0, api_key="x" * 20, cors_origins=("https://a.example",))
    assert Settings.from_json(settings.to_json()) == settings
    assert settings.described["api_key"] == "set"


def test_serve_help_loads_no_web_framework() -> None:
    probe = (
        "import sys, contextlib, io\n"
        "from mediarules.cli import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    main(['serve', '--help'])\n"
        "heavy = ['fastapi', 'starlette', 'uvicorn', 'prometheus_client', 'python_multipart',\n"
        "         'pydantic', 'mediarules.service.app', 'mediarules.engine']\n"
        "print(sorted(name for name in heavy if name in sys.modules))\n"
        "assert 'MEDIARULES_MAX_BODY' in out.getvalue()\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


# -- uploads, problems -----------------------------------------------------------------------

fastapi = pytest.importorskip("fastapi")

from mediarules.service.problems import PROBLEMS, slug_for_status  # noqa: E402
from mediarules.service.uploads import MAX_NAME_BYTES, client_name  # noqa: E402
from mediarules.service.work import Gate, Jobs, Scratch  # noqa: E402


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("photo.jpg", "photo.jpg"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\clip.mov", "clip.mov"),
        (".hidden.png", "hidden.png"),
        ("..", "file-4"),
        ("a\u202ebc\x00.gif", "abc.gif"),
        ("   ", "file-4"),
        ("café 🚀.webp", "café 🚀.webp"),
    ],
)
def test_upload_names(given: str, kept: str) -> None:
    assert client_name(given, 3) == kept


def test_a_long_upload_name_keeps_its_extension() -> None:
    name = client_name("é" * 300 + ".jpeg", 0)
    assert name.endswith(".jpeg") and len(name.encode()) <= MAX_NAME_BYTES


def test_problem_types() -> None:
    assert len({kind.type for kind in PROBLEMS.values()}) == len(PROBLEMS)
    assert all(400 <= kind.status < 600 for kind in PROBLEMS.values())
    assert slug_for_status(404) == "not-found"
    assert slug_for_status(502) == "internal"
    assert slug_for_status(418) == "invalid-request"


def test_a_given_up_request_keeps_its_folder_and_slot_until_its_thread_ends(tmp_path: Path) -> None:
    """The time limit cancels the wait, not the thread: the folder the thread reads and the
    admission slot stay taken until it returns, then both are released."""
    gate = Gate(1)
    assert gate.enter() and not gate.enter()
    scratch = Scratch(tmp_path)
    folder = scratch.path
    (folder / "upload.bin").write_bytes(b"x")
    release = threading.Event()
    jobs = Jobs(2)

    async def give_up() -> None:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await jobs.run(scratch, release.wait, 30)

    asyncio.run(give_up())
    scratch.close(gate.leave)
    assert folder.exists() and gate.inside == 1  # the thread still runs
    release.set()
    jobs.shutdown()
    assert not folder.exists() and gate.inside == 0
    assert gate.enter()


def test_a_finished_request_releases_at_once(tmp_path: Path) -> None:
    gate = Gate(3)
    assert gate.enter()
    scratch = Scratch(tmp_path)
    folder = scratch.path
    jobs = Jobs(1)
    assert asyncio.run(jobs.run(scratch, sum, [1, 2])) == 3
    scratch.close(gate.leave)
    assert not folder.exists() and gate.inside == 0
    untouched = Scratch(tmp_path)
    untouched.close(lambda: None)  # a request that never made its folder
    assert untouched.made is None
    jobs.shutdown()
