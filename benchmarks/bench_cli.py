"""What the command line costs beyond starting Python, as ratios in the same run.

    python benchmarks/bench_cli.py [--quick] [--rounds N]

Wall time of ``python -m mediarules check FILES -p <all 10> --caption ... --format json`` (and
``--format text``) on a post of 4 images + 1 video, against ``python -c pass`` (interpreter
start-up: the ratio is mostly import cost) and ``python -c "import mediarules"`` (the rest is
the check and the output); each case is one subprocess per round. Then, in a fresh interpreter,
its first ``inspect`` of a JPEG, a WebP or an MP4 against a second one of the same file: the
one-time costs a one-file run pays (Pillow's plugin registry, loading libmediainfo). Last, one
``python -X importtime`` run splits the import cost by package.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import mediarules  # noqa: E402
from benchmarks._harness import (  # noqa: E402
    REPO,
    Case,
    GroupResult,
    Settings,
    parse_settings,
    print_group,
    print_header,
    print_summary,
    run_group,
)
from benchmarks.bench_check import CAPTION, mixed_post  # noqa: E402

DESCRIPTION = "Time the mediarules command line against Python start-up."
ENV = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}


def run_python(*args: str, expect: Sequence[int] = (0,)) -> str:
    done = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=ENV, check=False
    )
    if done.returncode not in expect:
        raise RuntimeError(f"exit {done.returncode}: {args}\n{done.stderr}")
    return done.stdout


def bench_cli(paths: Sequence[Path], platforms: Sequence[str], settings: Settings) -> GroupResult:
    command = [
        "-m",
        "mediarules",
        "check",
        *map(str, paths),
        "-p",
        ",".join(platforms),
        "--caption",
        CAPTION,
    ]
    report = json.loads(run_python(*command, "--format", "json", expect=(0, 1)))
    print(f"\nthe CLI reports {len(report['violations'])} violations for {len(paths)} files")
    cases: dict[str, Case] = {
        "python -c pass": lambda: run_python("-c", "pass"),
        "python -c 'import mediarules'": lambda: run_python("-c", "import mediarules"),
        "mediarules check --format json": lambda: run_python(
            *command, "--format", "json", expect=(0, 1)
        ),
        "mediarules check --format text": lambda: run_python(
            *command, "--format", "text", expect=(0, 1)
        ),
    }
    ratios = [
        ("check json / python -c pass", "mediarules check --format json", "python -c pass"),
        ("import / python -c pass", "python -c 'import mediarules'", "python -c pass"),
        ("check json / import", "mediarules check --format json", "python -c 'import mediarules'"),
        ("text / json", "mediarules check --format text", "mediarules check --format json"),
    ]
    return run_group("command line, one subprocess per call", cases, settings, ratios=ratios)


FIRST_AND_SECOND = """
import sys, time
import mediarules
start = time.perf_counter_ns()
mediarules.inspect(sys.argv[1])
middle = time.perf_counter_ns()
mediarules.inspect(sys.argv[1])
print(middle - start, time.perf_counter_ns() - middle)
"""
"""Times, inside one fresh interpreter, its first ``inspect`` of a file and a second one."""


def bench_first_inspect(paths: Sequence[Path], settings: Settings) -> GroupResult:
    """What a fresh process pays on its first file (a one-file CLI run pays it every time).

    Both calls are timed in the same process, so the ratio is free of start-up noise.
    """
    chosen = [p for p in paths if p.suffix in (".jpg", ".webp", ".mp4")]
    samples: dict[str, list[float]] = {}
    for round_index in range(settings.rounds):
        shift = round_index % len(chosen)
        for path in chosen[shift:] + chosen[:shift]:
            first, second = map(int, run_python("-c", FIRST_AND_SECOND, str(path)).split())
            samples.setdefault(f"first inspect {path.suffix}", []).append(first)
            samples.setdefault(f"second inspect {path.suffix}", []).append(second)
    result = GroupResult(
        title="inspect in a fresh process: first call vs second",
        samples=samples,
        calls=dict.fromkeys(samples, 1),
        ratios=[
            (
                f"first / second {p.suffix}",
                f"first inspect {p.suffix}",
                f"second inspect {p.suffix}",
            )
            for p in chosen
        ],
    )
    print_group(result)
    return result


def print_import_breakdown() -> None:
    """Self import time of ``mediarules.cli`` grouped by top-level package (one run)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import mediarules.cli"],
        capture_output=True,
        text=True,
        env=ENV,
        check=True,
    )
    by_package: dict[str, int] = defaultdict(int)
    by_module: dict[str, int] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        self_us, _, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        if not self_us.isdigit():
            continue  # the header line
        by_package[name.split(".")[0]] += int(self_us)
        if name.startswith("mediarules"):
            by_module[name] = int(self_us)
    total = sum(by_package.values())
    print("\n## import of mediarules.cli: share of self time by package (python -X importtime)")
    for name, micros in sorted(by_package.items(), key=lambda kv: -kv[1])[:8]:
        print(f"{name:<20}{micros / total:>7.1%}")
    print("mediarules modules, share of the whole import:")
    for name, micros in sorted(by_module.items(), key=lambda kv: -kv[1])[:5]:
        print(f"  {name:<30}{micros / total:>7.1%}")


def main() -> None:
    settings = parse_settings(DESCRIPTION, rounds=11, quick_rounds=4)
    print_header(
        "bench_cli: python -m mediarules check vs interpreter start-up",
        settings,
        versions={"mediarules": mediarules.__version__},
    )
    platforms = list(mediarules.default_rules().platforms)
    with tempfile.TemporaryDirectory(prefix="mediarules-bench-") as tmp:
        paths = mixed_post(Path(tmp))
        results = [bench_cli(paths, platforms, settings), bench_first_inspect(paths, settings)]
    print_import_breakdown()
    print_summary(results)


if __name__ == "__main__":
    main()
