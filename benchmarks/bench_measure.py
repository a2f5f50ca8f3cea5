"""How long ``mediarules.measure`` takes for a 280-character text, per platform.

    python benchmarks/bench_measure.py [--rounds N]

A compose box calls it on every keystroke, so each round measures a text that differs from
the last by one character (the text caches miss, as they would while typing). The goal is
under 50 µs per call; the figure is CPU time (``time.process_time``), so other processes on
the machine do not inflate it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mediarules import measure

TEXT = (
    "Launch day \U0001f680 Our new collection is here, made with love by the team "
    "\U0001f469\u200d\U0001f3a8. Tap the link for early access: "
    "https://example.com/drop?ref=social "
    "or shop.example.co.uk/new #launch #newcollection @studio @friends "
    "\u65e5\u672c\u8a9e\u3082 caf\u00e9 na\u00efve "
)
GOAL_US = 50.0


def per_call_us(platform: str, rounds: int) -> float:
    base = (TEXT * 3)[:279]
    texts = [base + chr(ord("a") + index % 26) for index in range(rounds)]
    measure(base, platform)  # rules loaded before the clock starts
    began = time.process_time()
    for text in texts:
        measure(text, platform)
    return (time.process_time() - began) / rounds * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5000)
    args = parser.parse_args()
    for platform in ("x", "bluesky", "mastodon", "instagram", "threads", "telegram"):
        took = per_call_us(platform, args.rounds)
        verdict = "ok" if took < GOAL_US else "over"
        print(f"{platform:<10} {took:6.1f} µs per call ({verdict}: goal {GOAL_US:.0f} µs)")


if __name__ == "__main__":
    main()
