"""The package surface: every public name resolves, and importing is lazy."""

from __future__ import annotations

import subprocess
import sys

import pytest

import mediarules


def test_every_public_name_resolves_to_its_home_module() -> None:
    assert sorted(mediarules.__all__) == sorted(mediarules._MODULE_OF)
    for name in mediarules.__all__:
        value = getattr(mediarules, name)
        assert value is getattr(sys.modules[mediarules._MODULE_OF[name]], name)
    assert set(mediarules.__all__) <= set(dir(mediarules))


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="chek"):
        getattr(mediarules, "chek")  # noqa: B009


def test_help_and_the_parser_load_neither_the_engine_nor_the_media_libraries() -> None:
    probe = (
        "import sys, contextlib, io\n"
        "from mediarules.cli import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--help'])\n"
        "heavy = ['mediarules.engine', 'mediarules.models', 'pydantic', 'PIL', 'pymediainfo',\n"
        "         'rich', 'regex', 'av']\n"
        "print(sorted(name for name in heavy if name in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
