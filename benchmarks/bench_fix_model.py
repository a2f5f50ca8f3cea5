"""The fix model against an earlier revision, in one run: metadata-only evaluations per second
and fix-planning time, for this checkout and for ``--baseline`` (a git revision, checked out
into a temporary worktree), in alternating rounds so both see the same machine.

    python benchmarks/bench_fix_model.py [--baseline REV] [--rounds N]

Each round runs every measurement in a fresh interpreter per tree (this checkout, then the
baseline, then the other way round), so neither gets warm caches the other lacks; times are
the process's CPU time, which other work on a busy machine disturbs less. Printed:
the median of the rounds per tree and the ratio now / baseline (> 1: faster now for rates,
slower now for times).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

PLATFORMS = "x,linkedin,instagram,threads,tiktok,youtube,facebook,bluesky,mastodon,telegram"

MEASURE = r"""
import json, sys, time
import mediarules
from mediarules.fixes.api import plan_fixes

folder = sys.argv[1]
platforms = sys.argv[2].split(",")
images = [mediarules.MediaFacts(kind="image", format="jpeg", size=900_000 + i, width=4032,
                                height=3024, mode="RGB", frames=1, has_alpha=False)
          for i in range(4)]
video = mediarules.MediaFacts(kind="video", format="mov", size=40_000_000, width=1920,
                              height=1080, fps=20, duration_s=12.5, video_codec="h264",
                              audio_codec="aac", bit_rate=25_000_000)
post = [*images, video]
caption = "Launch day! " * 40
mediarules.check(post, platforms=platforms, caption=caption)  # warm: rules, imports
count, start = 0, time.process_time()
while time.process_time() - start < 1.0:
    mediarules.check(post, platforms=platforms, caption=caption)
    count += 1
rate = count * len(platforms) / (time.process_time() - start)

files = [f"{folder}/wide.png", f"{folder}/photo.webp", f"{folder}/big.jpg"]
plan_fixes(files, platforms=platforms, caption=caption)  # warm: Pillow plugins
times = []
for _ in range(5):
    start = time.process_time()
    plan_fixes(files, platforms=platforms, caption=caption * 3)
    times.append(time.process_time() - start)
print(json.dumps({"rate": rate, "plan_ms": min(times) * 1000}))
"""


def make_media(folder: Path) -> None:
    Image.new("RGB", (3000, 400), (200, 30, 30)).save(folder / "wide.png")
    Image.new("RGBA", (1200, 1500), (30, 200, 30, 128)).save(folder / "photo.webp")
    Image.effect_noise((5000, 4000), 64).convert("RGB").save(folder / "big.jpg", quality=90)


def measure(tree: Path, media: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(media), PLATFORMS],
        cwd=tree, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", default="a96798e", help="git revision to compare with")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch) / "baseline"
        media = Path(scratch) / "media"
        media.mkdir()
        make_media(media)
        subprocess.run(
            ["git", "worktree", "add", "--detach", "-q", str(base), args.baseline],
            cwd=ROOT, check=True,
        )  # fmt: skip
        try:
            trees = {"now": ROOT, "baseline": base}
            runs: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
            for round_number in range(args.rounds):
                order = list(trees) if round_number % 2 == 0 else list(reversed(trees))
                for name in order:
                    runs[name].append(measure(trees[name], media))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT)
    print(f"{args.rounds} rounds, medians; 4 photos + 1 video for 10 platforms, with a caption")
    print(f"{'figure':44} {'now':>10} {'baseline':>10} {'now/base':>9}")
    for key, label in (
        ("rate", "metadata-only evaluations / s (higher: better)"),
        ("plan_ms", "plan_fixes, 3 files x 10 platforms, ms"),
    ):
        now = statistics.median(r[key] for r in runs["now"])
        then = statistics.median(r[key] for r in runs["baseline"])
        print(f"{label:44} {now:10.1f} {then:10.1f} {now / then:9.2f}")


if __name__ == "__main__":
    main()
