"""Imports flow one way: ARCHITECTURE.md's rooms table, checked against every import.

The table is read from ARCHITECTURE.md itself, so the document and the code cannot drift: a
room's "may import" column lists rooms in backticks (``fixes.plan``, ``inspection``; a bare
name covers the room's folder), "nothing" or "everything", and "(types only)" after a name
that may be imported only under ``if TYPE_CHECKING:``. Imports are read with ``ast``, lazy
ones inside functions included.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "mediarules"
ROOT = "mediarules"
EVERYTHING = "*"


# -- the table -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Room:
    name: str  # the table's first cell, as written
    prefixes: tuple[str, ...]  # dotted module names; a folder covers everything in it
    exact: tuple[str, ...]  # modules matched only exactly (the package root)
    allowed: frozenset[str]
    types_only: frozenset[str]

    def holds(self, module: str) -> bool:
        return module in self.exact or any(_under(module, p) for p in self.prefixes)

    def match_length(self, module: str) -> int:
        lengths = [len(p) for p in self.prefixes if _under(module, p)]
        lengths += [len(e) for e in self.exact if module == e]
        return max(lengths, default=-1)


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _dotted(cell_name: str) -> tuple[str, bool]:
    """``fixes/plan.py`` -> (``mediarules.fixes.plan``, False); ``__init__.py`` -> the root,
    matched exactly (True)."""
    path = cell_name.removesuffix("/").removesuffix(".py")
    if path == "__init__":
        return ROOT, True
    return f"{ROOT}." + path.replace("/", "."), False


def _target(name: str) -> str:
    return ROOT if name == ROOT else f"{ROOT}.{name}"


def read_rooms() -> list[Room]:
    text = (REPO / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = text.split("## Rooms", 1)[1].split("\n## ", 1)[0]
    rooms = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        assert len(cells) == 3, f"a rooms row has three cells: {line}"
        prefixes: list[str] = []
        exact: list[str] = []
        for name in re.findall(r"`([^`]+)`", cells[0]):
            dotted, whole = _dotted(name)
            (exact if whole else prefixes).append(dotted)
        may = cells[2]
        types_only: set[str]
        if may == "everything":
            allowed, types_only = {EVERYTHING}, set()
        elif may == "nothing":
            allowed, types_only = set(), set()
        else:
            allowed = {_target(n) for n in re.findall(r"`([^`]+)`(?! \(types only\))", may)}
            types_only = {_target(n) for n in re.findall(r"`([^`]+)` \(types only\)", may)}
            assert allowed | types_only, f"no room named in {may!r}"
        rooms.append(
            Room(cells[0], tuple(prefixes), tuple(exact), frozenset(allowed), frozenset(types_only))
        )
    assert rooms, "ARCHITECTURE.md has no rooms table"
    return rooms


ROOMS = read_rooms()


# -- the code --------------------------------------------------------------------------------


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


@dataclass(frozen=True)
class Import:
    line: int
    target: str  # the mediarules module imported (a package, a module, or the root)
    names: tuple[str, ...]  # for ``from X import a, b``: a, b
    types_only: bool


def imports_of(module: str, source: str | None = None) -> Iterator[Import]:
    """The mediarules imports of ``module`` (of ``source`` instead of its file, if given)."""
    path = MODULES[module]
    text = path.read_text(encoding="utf-8") if source is None else source
    tree = ast.parse(text, filename=str(path))
    typing_nodes = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)
    }
    for node in ast.walk(tree):
        only_types = id(node) in typing_nodes
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _under(alias.name, ROOT):
                    yield Import(node.lineno, alias.name, (), only_types)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, path, node)
            if not _under(base, ROOT):
                continue
            names = tuple(alias.name for alias in node.names)
            submodules = [f"{base}.{n}" for n in names if f"{base}.{n}" in MODULES]
            for submodule in submodules:  # ``from mediarules import text``: the module text
                yield Import(node.lineno, submodule, (), only_types)
            rest = tuple(n for n in names if f"{base}.{n}" not in MODULES)
            if rest:
                yield Import(node.lineno, base, rest, only_types)


def _absolute(module: str, path: Path, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def room_of(module: str) -> Room | None:
    holding = [room for room in ROOMS if room.holds(module)]
    return max(holding, key=lambda room: room.match_length(module), default=None)


def broken_rules(module: str, source: str | None = None) -> list[str]:
    room = room_of(module)
    assert room is not None
    problems = []
    for found in imports_of(module, source):
        target = found.target
        if target == ROOT and found.names == ("__version__",):
            continue  # the root imports nothing eagerly: its version is free to read
        if EVERYTHING in room.allowed or (room.holds(target) and target != ROOT):
            continue
        if any(_under(target, allowed) for allowed in room.allowed if allowed != ROOT):
            continue
        if target == ROOT and ROOT in room.allowed:
            continue
        if found.types_only and any(_under(target, t) for t in room.types_only):
            continue
        where = f"{MODULES[module].relative_to(REPO)}:{found.line}"
        problems.append(f"{where}: {module} ({room.name}) imports {target}")
    return problems


# -- tests -----------------------------------------------------------------------------------


def test_the_table_is_read() -> None:
    names = {room.name for room in ROOMS}
    assert {"`formatting.py`", "`models.py`", "`inputs/`", "`outputs/`", "`cli/`"} <= names
    outputs = next(room for room in ROOMS if room.name == "`outputs/`")
    assert "mediarules.engine" not in outputs.allowed
    assert outputs.types_only == {"mediarules.fixes.apply"}


def test_every_module_is_in_a_room() -> None:
    homeless = [module for module in MODULES if room_of(module) is None]
    assert not homeless, f"add a row to ARCHITECTURE.md's rooms table for {homeless}"


def test_every_room_holds_a_module() -> None:
    empty = [room.name for room in ROOMS if not any(room.holds(m) for m in MODULES)]
    assert not empty, f"ARCHITECTURE.md names rooms that do not exist: {empty}"


def test_every_allowed_room_exists() -> None:
    named = {t for room in ROOMS for t in room.allowed | room.types_only} - {EVERYTHING, ROOT}
    missing = [t for t in named if not any(_under(m, t) for m in MODULES)]
    assert not missing, f"ARCHITECTURE.md allows imports of modules that do not exist: {missing}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_follow_the_table(module: str) -> None:
    assert broken_rules(module) == []


def _imports_under(room: str) -> Iterator[tuple[str, Import]]:
    for module in MODULES:
        if _under(module, room):
            for found in imports_of(module):
                yield module, found


def test_outputs_never_import_the_engine_or_the_checks() -> None:
    """Renderers take finished reports; whatever the table says."""
    wrong = [
        (module, found.target)
        for module, found in _imports_under("mediarules.outputs")
        if _under(found.target, "mediarules.engine") or _under(found.target, "mediarules.checks")
    ]
    assert wrong == []


def test_inputs_never_import_outputs_or_the_command_line() -> None:
    wrong = [
        (module, found.target)
        for module, found in _imports_under("mediarules.inputs")
        if _under(found.target, "mediarules.outputs") or _under(found.target, "mediarules.cli")
    ]
    assert wrong == []


def test_the_lowest_rooms_import_only_each_other() -> None:
    """formatting and plain_records import nothing of mediarules, requirements only
    plain_records; models only those three; inspection only models, formatting and itself."""
    lowest = {
        "mediarules.formatting": set(),
        "mediarules.plain_records": set(),
        "mediarules.requirements": {"mediarules.plain_records"},
        "mediarules.models": {
            "mediarules.formatting",
            "mediarules.requirements",
            "mediarules.plain_records",
        },
        "mediarules.inspection": {"mediarules.models", "mediarules.formatting"},
    }
    for room, allowed in lowest.items():
        for module, found in _imports_under(room):
            assert _under(found.target, room) or found.target in allowed, (module, found)


# -- the checker itself ----------------------------------------------------------------------


def test_a_renderer_importing_the_engine_is_caught() -> None:
    """The checker fails on a bad import, lazy ones too (it is not a test that cannot fail)."""
    source = (PACKAGE / "outputs" / "render.py").read_text(encoding="utf-8")
    source += "\n\ndef _late() -> None:\n    from mediarules.engine import evaluate\n"
    [problem] = broken_rules("mediarules.outputs.render", source)
    assert "imports mediarules.engine" in problem and "(`outputs/`)" in problem


def test_a_type_only_import_is_allowed_only_under_type_checking() -> None:
    source = (PACKAGE / "outputs" / "ci_formats.py").read_text(encoding="utf-8")
    assert broken_rules("mediarules.outputs.ci_formats", source) == []
    typed = source + "\nif TYPE_CHECKING:\n    from mediarules.fixes.apply import FixResult\n"
    assert broken_rules("mediarules.outputs.ci_formats", typed) == []
    plain = source + "\nfrom mediarules.fixes.apply import FixResult\n"
    [problem] = broken_rules("mediarules.outputs.ci_formats", plain)
    assert "imports mediarules.fixes.apply" in problem


def test_inputs_importing_a_renderer_is_caught() -> None:
    source = (PACKAGE / "inputs" / "config.py").read_text(encoding="utf-8")
    source += "\nfrom mediarules.outputs import render\nimport mediarules.cli\n"
    problems = broken_rules("mediarules.inputs.config", source)
    assert [p.rsplit(" imports ", 1)[1] for p in problems] == [
        "mediarules.outputs.render",
        "mediarules.cli",
    ]


def test_only_the_version_may_come_from_the_package_root() -> None:
    source = (PACKAGE / "outputs" / "html_report.py").read_text(encoding="utf-8")
    assert "from mediarules import __version__" in source
    assert broken_rules("mediarules.outputs.html_report", source) == []
    [problem] = broken_rules("mediarules.outputs.html_report", source + "\nimport mediarules\n")
    assert problem.endswith("imports mediarules")
