"""The command line: exit codes, JSON that is exactly the Report, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import mediarules
from mediarules.cli import main
from tests.media import make_corrupt, make_image, make_video


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return make_video(tmp_path / "clip.mp4", fps=30, duration_s=3.2, size=(360, 640))


@pytest.fixture
def slow_clip(tmp_path: Path) -> Path:
    return make_video(tmp_path / "slow.mp4", fps=20, duration_s=3.5, size=(360, 640))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_exit_0_when_ready(capsys: pytest.CaptureFixture[str], clip: Path) -> None:
    code, out, _ = run(capsys, "check", str(clip), "--platform", "tiktok")
    assert code == 0
    assert "TikTok: ok" in out and "ready to publish" in out


def test_exit_1_and_text_report(capsys: pytest.CaptureFixture[str], slow_clip: Path) -> None:
    code, out, _ = run(capsys, "check", str(slow_clip), "-p", "tiktok,x")
    assert code == 1
    lines = out.splitlines()
    tiktok = next(i for i, line in enumerate(lines) if line.startswith("✗ TikTok"))
    assert "video.fps_too_low" in lines[tiktok + 1] and str(slow_clip) in lines[tiktok + 1]
    assert "fix (unsafe" in lines[tiktok + 2] and "24 fps" in lines[tiktok + 2]
    assert "X: ok" in out
    assert "not ready" in out
    assert "\x1b[" not in out  # no colour when not a terminal


def test_errors_come_before_warnings(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    webp = make_image(tmp_path / "a.webp", format="WEBP")
    photos = [make_image(tmp_path / f"{i}.jpg") for i in range(4)]
    code, out, _ = run(capsys, "check", str(webp), *map(str, photos), "-p", "bluesky")
    assert code == 1
    severities = [line.split()[0] for line in out.splitlines() if line.startswith("  ")
                  and line.split()[0] in ("error", "warning", "info")]  # fmt: skip
    assert severities == sorted(severities, key=["error", "warning", "info"].index)
    assert severities[0] == "error"


def test_json_is_exactly_the_report(
    capsys: pytest.CaptureFixture[str], slow_clip: Path, clip: Path
) -> None:
    code, out, _ = run(
        capsys, "check", str(slow_clip), str(clip), "-p", "tiktok", "-p", "x",
        "--caption", "Hello #launch", "--format", "json",
    )  # fmt: skip
    assert code == 1
    data = json.loads(out)
    expected = mediarules.check(
        [slow_clip, clip], platforms=["tiktok", "x"], caption="Hello #launch"
    ).model_dump(mode="json")
    assert data == expected
    assert list(data) == ["ok", "violations", "media"]
    assert data["ok"] is False


def test_unknown_platform_is_exit_2(capsys: pytest.CaptureFixture[str], clip: Path) -> None:
    code, out, err = run(capsys, "check", str(clip), "-p", "tiktk")
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    assert "unknown platform 'tiktk'" in err and "did you mean 'tiktok'" in err


def test_missing_path_is_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "check", str(tmp_path / "nope.mp4"), "-p", "x")
    assert code == 2 and "no such file" in err and "Traceback" not in err


def test_bad_rules_file_is_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, clip: Path
) -> None:
    rules = tmp_path / "mine.toml"
    rules.write_text("[platforms.tiktok.video]\nmin_fsp = 30\n")
    code, _, err = run(capsys, "check", str(clip), "-p", "tiktok", "--rules", str(rules))
    assert code == 2
    assert str(rules) in err and "'tiktok'" in err and "min_fsp" in err
    assert err.count("\n") == 1


def test_rules_override_changes_the_verdict(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, clip: Path
) -> None:
    rules = tmp_path / "strict.toml"
    rules.write_text('[platforms.tiktok.video]\nmin_fps = 50\nsources.min_fps = "our policy"\n')
    code, out, _ = run(capsys, "check", str(clip), "-p", "tiktok", "--rules", str(rules),
                       "--format", "json")  # fmt: skip
    assert code == 1
    violation = json.loads(out)["violations"][0]
    assert violation["code"] == "video.fps_too_low" and violation["source"] == "our policy"


def test_corrupt_file_is_a_violation_not_a_crash(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, clip: Path
) -> None:
    broken = make_corrupt(tmp_path / "broken.mp4", like=b"\x00\x00\x00\x18ftypmp42")
    code, out, err = run(capsys, "check", str(clip), str(broken), "-p", "tiktok")
    assert code == 1 and err == ""
    assert "media.unreadable" in out


def test_caption_file(capsys: pytest.CaptureFixture[str], tmp_path: Path, clip: Path) -> None:
    caption = tmp_path / "caption.txt"
    caption.write_text("é" * 1025, encoding="utf-8")
    code, out, _ = run(capsys, "check", str(clip), "-p", "telegram",
                       "--caption-file", str(caption), "--format", "json")  # fmt: skip
    assert code == 1
    assert json.loads(out)["violations"][0]["code"] == "caption.too_long"
    code, _, err = run(capsys, "check", str(clip), "-p", "x", "--caption-file", "/nope.txt")
    assert code == 2 and "caption file" in err


def test_usage_error_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", "a.mp4")  # no --platform
    assert code == 2 and err.count("\n") == 1 and "--platform" in err
    with pytest.raises(SystemExit) as exited:
        main(["check", "a.mp4", "--format", "yaml"])  # argparse's own usage errors
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--format" in err


def test_rules_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rules", "twitter", "--format", "json")
    assert code == 0
    data = json.loads(out)["platforms"]
    assert list(data) == ["x"] and data["x"]["post"]["max_images"] == 4
    code, out, _ = run(capsys, "rules", "tiktok")
    assert code == 0 and "min_fps" in out and "23" in out and "seed" in out
    code, _, err = run(capsys, "rules", "myspace")
    assert code == 2 and "unknown platform" in err


def test_explain_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "explain", "video.fps_too_low")
    assert code == 0 and "What:" in out and "Fix:" in out
    code, _, err = run(capsys, "explain", "video.fps_to_low")
    assert code == 2 and "did you mean 'video.fps_too_low'" in err
    code, out, _ = run(capsys, "explain")
    assert code == 0 and all(c in out for c in mediarules.CODES)


def test_python_dash_m(clip: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mediarules", "check", str(clip), "-p", "x", "--format", "json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ok"] is True


def test_alt_text_per_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    photos = [make_image(tmp_path / f"{i}.jpg") for i in range(2)]
    code, out, _ = run(capsys, "check", *map(str, photos), "-p", "bluesky",
                       "--alt", "A red square", "--format", "json")  # fmt: skip
    assert code == 0
    found = [(v["code"], v["media_index"]) for v in json.loads(out)["violations"]]
    assert found == [("media.alt_text_missing", 1)]  # only the second photo lacks alt text
    code, _, err = run(capsys, "check", str(photos[0]), "-p", "x", "--alt", "a", "--alt", "b")
    assert code == 2 and "--alt" in err
