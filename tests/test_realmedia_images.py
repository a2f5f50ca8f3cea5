"""Every image in ``../shared/realmedia/pillow`` that Pillow (with pillow-heif) opens: kind, size
as a viewer shows it and frame count agree with Pillow's own reading, file by file.

Skipped where the folder is absent. Where the two readings differ by design, the test says why
(``Pillow's size`` below) rather than leaving the file out.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pillow_heif
import pytest
from PIL import Image

import mediarules

REALMEDIA = Path(__file__).resolve().parents[1].parent / "shared" / "realmedia" / "pillow"
FILES = sorted(p for p in REALMEDIA.rglob("*") if p.is_file()) if REALMEDIA.is_dir() else []
_ORIENTATION = 0x0112
_TURNED = (5, 6, 7, 8)

ONE_PICTURE = {"MPO": "a stereo pair: viewers and platforms show its first picture",
               "PSD": "Pillow's frames are its layers: one picture is shown"}  # fmt: skip


def pillow_reading(path: Path) -> tuple[str, tuple[int, int], int] | None:
    """(format, size as shown, frames) by Pillow alone; None when Pillow cannot open it."""
    pillow_heif.register_heif_opener()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with Image.open(path) as im:
                fmt, (width, height) = im.format or "", im.size
                frames = getattr(im, "n_frames", 1)
                orientation = im.getexif().get(_ORIENTATION)
        except Exception:
            return None
    # Pillow's TIFF plugin reports the size after its own EXIF turn; the others as stored
    turned = orientation in _TURNED and fmt != "TIFF"
    return fmt, (height, width) if turned else (width, height), frames


@pytest.mark.skipif(not FILES, reason="no ../shared/realmedia here")
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_an_image_reads_as_pillow_shows_it(path: Path) -> None:
    seen = pillow_reading(path)
    if seen is None:
        pytest.skip("Pillow cannot open it either")
    fmt, shown, frames = seen
    facts = mediarules.inspect(path)
    assert facts.kind == "image", facts
    assert facts.display_size == shown, (facts, shown)
    expected_frames = 1 if fmt in ONE_PICTURE else frames
    assert (facts.frames or 1) == expected_frames, (facts.frames, frames, ONE_PICTURE.get(fmt))
