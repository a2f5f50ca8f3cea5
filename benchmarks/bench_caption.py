"""How long ``mediarules.check`` takes for a 3 MB caption on all 10 platforms.

    python benchmarks/bench_caption.py [--rounds N] [--size CHARACTERS]

Each round makes a fresh caption (words, emoji, URLs, dots, mentions and hashtags, as
``tests/test_robustness.py``'s ``mixed_caption``; a new seed, so no cached scan helps) and
times ``check([], platforms=<all 10>, caption=..., title=caption[:5000])``, then, on the same
caption, one pass of ``regex``'s ``\\X`` over it (the floor: what segmenting the caption into
graphemes once costs, which Bluesky's and Mastodon's counts alone need). The goal is under a
second for the check; the ratio to the floor is what to compare across machines. Times are
CPU time (``time.process_time``), so other processes on a shared machine inflate them less.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import regex

import mediarules
from tests.test_robustness import PLATFORMS, mixed_caption

GOAL_S = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size", type=int, default=3_000_000)
    args = parser.parse_args()
    mediarules.check([], platforms=PLATFORMS)  # rules loaded before the clock starts
    checks, floors = [], []
    for seed in range(args.rounds):
        caption = mixed_caption(args.size, seed=1000 + seed)
        began = time.process_time()
        mediarules.check([], platforms=PLATFORMS, caption=caption, title=caption[:5000])
        checks.append(time.process_time() - began)
        began = time.process_time()
        regex.findall(r"\X", caption)
        floors.append(time.process_time() - began)
        print(f"round {seed + 1}: check {checks[-1]:.3f} s, \\X floor {floors[-1]:.3f} s")
    check, floor = statistics.median(checks), statistics.median(floors)
    ratios = sorted(c / f for c, f in zip(checks, floors, strict=True))
    verdict = "ok" if check < GOAL_S else "over"
    print(f"## summary ({args.size:,} characters, {len(PLATFORMS)} platforms)")
    print(f"check median {check:.3f} s ({verdict}: goal {GOAL_S:.0f} s)")
    print(f"check / \\X floor: median {statistics.median(ratios):.2f}x, floor {floor:.3f} s")


if __name__ == "__main__":
    main()
