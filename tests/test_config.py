"""``[tool.mediarules]`` in pyproject.toml: what check, fix and rules use when the command line
is silent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mediarules.cli import main
from mediarules.inputs.config import find_project_config
from tests.media import make_image


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose pyproject.toml names its platforms and a rules file, run from a
    sub-folder (as a hook or a person might)."""
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "site"\n\n'
        '[tool.mediarules]\nplatforms = ["linkedin", "x"]\nrules = "config/rules.toml"\n'
    )
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "rules.toml").write_text("[platforms.x.post]\nmax_images = 1\n")
    (tmp_path / "posts").mkdir()
    make_image(tmp_path / "posts" / "a.png", format="PNG", size=(1200, 1200))
    make_image(tmp_path / "posts" / "b.png", format="PNG", size=(1200, 1200))
    monkeypatch.chdir(tmp_path / "posts")
    return tmp_path


def _report(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, dict[str, object]]:
    code = main([*argv, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_check_uses_the_projects_platforms_and_rules(
    capsys: pytest.CaptureFixture[str], project: Path
) -> None:
    code, report = _report(capsys, ["check", "a.png", "b.png"])
    violations = report["violations"]
    assert isinstance(violations, list)
    assert code == 1  # the project's own rules allow X one image
    assert {(v["platform"], v["code"]) for v in violations} >= {("x", "post.too_many_images")}
    assert {v["platform"] for v in violations} <= {"linkedin", "x"}


def test_the_command_line_wins_over_the_project(
    capsys: pytest.CaptureFixture[str], project: Path, tmp_path: Path
) -> None:
    (tmp_path / "lenient.toml").write_text("[platforms.x.post]\nmax_images = 4\n")
    code, report = _report(
        capsys, ["check", "a.png", "b.png", "-p", "x", "--rules", str(tmp_path / "lenient.toml")]
    )
    assert code == 0 and report["ok"] is True


def test_rules_prints_the_projects_table(capsys: pytest.CaptureFixture[str], project: Path) -> None:
    assert main(["rules", "x", "--format", "json"]) == 0
    table = json.loads(capsys.readouterr().out)
    assert table["platforms"]["x"]["post"]["max_images"] == 1


def test_the_nearest_pyproject_with_the_table_is_the_projects(
    project: Path, tmp_path: Path
) -> None:
    (project / "posts" / "pyproject.toml").write_text('[project]\nname = "inner"\n')
    config = find_project_config(project / "posts")
    assert config is not None and config.source == project / "pyproject.toml"
    assert config.platforms == ("linkedin", "x")
    assert config.rules == project / "config" / "rules.toml"


def test_no_project_means_no_config(tmp_path: Path) -> None:
    assert find_project_config(tmp_path) is None


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('platfroms = ["x"]', "unknown key 'platfroms' (did you mean 'platforms'?)"),
        ("platforms = 3", "platforms must be a list of names"),
        ("rules = 1", "rules must be a file name"),
        ('platforms = ["twitr"]', "unknown platform 'twitr'"),
    ],
)
def test_a_bad_project_table_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    table: str,
    message: str,
) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.mediarules]\n{table}\n")
    make_image(tmp_path / "a.png", format="PNG")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "a.png"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    if "platform '" not in message:  # the table's own problems name the file
        assert str(tmp_path / "pyproject.toml") in err
