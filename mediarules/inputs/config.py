"""A project's settings in ``pyproject.toml``, which ``check`` and ``fix`` read when the
command line does not say::

    [tool.mediarules]
    platforms = ["x", "linkedin", "instagram:reel"]   # what -p would say
    rules = "rules/ours.toml"                         # what --rules would say (from this file)

The nearest ``pyproject.toml`` with a ``[tool.mediarules]`` table, from the working folder up,
is the project's (as pre-commit runs hooks from the repository's root, that is its file).
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediarules.formatting import echo_name, shorten
from mediarules.ruleset import RuleConfigError
from mediarules.safe_read import InputValueError, parse_toml, read_limited

KEYS = ("platforms", "rules")


@dataclass(frozen=True)
class ProjectConfig:
    """``[tool.mediarules]`` of one ``pyproject.toml``."""

    source: Path
    platforms: tuple[str, ...] = ()
    rules: Path | None = None


def find_project_config(start: Path) -> ProjectConfig | None:
    """The settings of the nearest ``pyproject.toml`` (``start`` or a parent) that has them."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if not candidate.is_file():
            continue
        table = _tool_table(candidate)
        if table is not None:
            return _parse(candidate, table)
    return None


def _tool_table(path: Path) -> dict[str, Any] | None:
    """``[tool.mediarules]`` of ``path``, read as every configuration file is (``safe_read``:
    a regular file of at most ``MAX_INPUT_BYTES``, bounded nesting and integers)."""
    try:
        data = parse_toml(read_limited(path))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise RuleConfigError(f"{_name(path)}: cannot read [tool.mediarules]: {reason}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, InputValueError) as exc:
        raise RuleConfigError(f"{_name(path)}: cannot read [tool.mediarules]: {exc}") from None
    tool = data.get("tool")
    table = tool.get("mediarules") if isinstance(tool, dict) else None
    if table is None:
        return None
    if not isinstance(table, dict):
        raise RuleConfigError(f"{path}: [tool.mediarules] must be a table")
    return table


def _parse(path: Path, table: dict[str, Any]) -> ProjectConfig:
    name = _name(path)
    for key in table:
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1) if len(key) <= 100 else []
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise RuleConfigError(f"{name}: [tool.mediarules] unknown key {shorten(key)!r}{hint}")
    platforms = table.get("platforms", [])
    if isinstance(platforms, str):
        platforms = [platforms]
    if not isinstance(platforms, list) or not all(isinstance(p, str) for p in platforms):
        raise RuleConfigError(f"{name}: [tool.mediarules] platforms must be a list of names")
    rules = table.get("rules")
    if rules is not None and not isinstance(rules, str):
        raise RuleConfigError(f"{name}: [tool.mediarules] rules must be a file name")
    return ProjectConfig(
        source=path,
        platforms=tuple(platforms),
        rules=path.parent / rules if rules is not None else None,
    )


def _name(path: Path) -> str:
    return echo_name(str(path))
