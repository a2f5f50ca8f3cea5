"""The pre-commit hook, run by real pre-commit in a sample content repository."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mediarules.cli.batch import MEDIA_SUFFIXES
from tests.media import make_image

REPO = Path(__file__).resolve().parent.parent
HOOKS = REPO / ".pre-commit-hooks.yaml"


def _hook() -> dict[str, object]:
    hooks = yaml.safe_load(HOOKS.read_text())
    (hook,) = [hook for hook in hooks if hook["id"] == "mediarules"]
    assert isinstance(hook, dict)
    return hook


def test_the_hook_picks_exactly_the_files_a_folder_walk_picks() -> None:
    pattern = re.compile(str(_hook()["files"]))
    others = {".txt", ".md", ".json", ".py", ".svg", ".psd", ".mpg", ".jpgx", ".png.bak"}
    suffixes = set(MEDIA_SUFFIXES) | others
    matched = {suffix for suffix in suffixes if pattern.search(f"photo{suffix}")}
    assert matched == set(MEDIA_SUFFIXES)
    assert pattern.search("PHOTO.JPG")  # case does not matter


def _git(folder: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True)


@pytest.fixture(scope="module")
def sample_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A content repository that publishes to Instagram (which takes no WebP)."""
    if not (REPO / ".git").exists():
        pytest.skip("needs mediarules as a git repository (pre-commit clones it)")
    folder = tmp_path_factory.mktemp("content-repo")
    _git(folder, "init", "-q")
    (folder / "pyproject.toml").write_text('[tool.mediarules]\nplatforms = ["instagram"]\n')
    make_image(folder / "good.jpg", size=(1080, 1080))
    make_image(folder / "bad.webp", format="WEBP", size=(1080, 1080))
    (folder / "notes.txt").write_text("not media")
    _git(folder, "add", ".")
    return folder


def _try_hook(folder: Path, *files: str) -> subprocess.CompletedProcess[str]:
    """``pre-commit try-repo``: the hook as published from this repository's working tree
    (pre-commit installs mediarules into an environment of its own, once)."""
    env = {**os.environ, "PRE_COMMIT_HOME": str(folder.parent / "pre-commit-home")}
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "mediarules",
         "--files", *files],
        cwd=folder, env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip


def test_the_hook_passes_good_media_and_ignores_other_files(sample_repo: Path) -> None:
    done = _try_hook(sample_repo, "good.jpg", "notes.txt")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"mediarules.*Passed", done.stdout), done.stdout


def test_the_hook_stops_a_commit_with_a_broken_rule(sample_repo: Path) -> None:
    done = _try_hook(sample_repo, "good.jpg", "bad.webp")
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(r"mediarules.*Failed", done.stdout)
    assert "bad.webp" in done.stdout and "image.format_not_allowed" in done.stdout
    assert "good.jpg" not in done.stdout.split("Failed", 1)[1]  # --quiet: only the errors
