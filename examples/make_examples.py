"""Regenerate the tiny example post in this folder (a few KB in all).

    python examples/make_examples.py

Each file breaks a rule on purpose, so ``mediarules check`` has something to say:
- ``clip.mp4``: 20 fps (TikTok, Instagram and Threads need 23 or more), 4 s, H.264/AAC;
- ``photo.jpg``: a PNG under a .jpg name;
- ``banner.webp``: WebP, which LinkedIn, Telegram, Bluesky and Threads get converted.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.media import make_image, make_video  # noqa: E402


def main() -> None:
    make_video(HERE / "clip.mp4", fps=20, duration_s=4, size=(360, 640))
    make_image(HERE / "photo.jpg", format="PNG", size=(1080, 1350))
    make_image(HERE / "banner.webp", format="WEBP", size=(1200, 628))


if __name__ == "__main__":
    main()
