"""Decompression bombs in ``fix``: bounded memory, a clear reason, nothing printed.

Each fix runs in a child started by a small launcher, whose ``RUSAGE_CHILDREN`` peak is the
fix's own (Linux keeps a parent's peak across fork + exec, so pytest's size would leak in).
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image

from mediarules.fixes.images import DECODE_BUDGET_BYTES

REPO = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
GIB = 2**30

LAUNCHER = """
import json, resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(json.dumps({"rc": done.returncode, "out": done.stdout, "err": done.stderr, "peak": peak}))
"""

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss in KiB")


def measured(*argv: str, cwd: Path) -> dict[str, object]:
    """Run ``argv`` under the launcher: its exit code, output and peak RSS in bytes."""
    done = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *argv],
        cwd=cwd,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def flat_rgba_png(path: Path, side: int) -> Path:
    """A ``side`` x ``side`` RGBA PNG, written row by row (bounded memory, about 4 KiB a
    thousand rows once compressed): one red square on a transparent green field."""
    chunks = [
        b"\x89PNG\r\n\x1a\n",
        _chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0)),
    ]
    packer = zlib.compressobj(9)
    first = bytearray(b"\x00" + b"\x10\xc0\x20\x80" * side)
    square = side // 4
    first[1 + 4 * square : 1 + 8 * square] = b"\xe0\x10\x10\xff" * square
    data = [packer.compress(bytes(first))]
    same = b"\x02" + bytes(4 * side)  # filter "up": every further row repeats the first
    data += [packer.compress(same) for _ in range(side - 1)]
    data.append(packer.flush())
    chunks += [_chunk(b"IDAT", b"".join(data)), _chunk(b"IEND", b"")]
    path.write_bytes(b"".join(chunks))
    return path


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def test_a_13000_square_rgba_png_is_refused_with_the_figure_under_1_gib(tmp_path: Path) -> None:
    big = flat_rgba_png(tmp_path / "big.png", 13_000)
    assert big.stat().st_size < 2_000_000
    with pytest.warns(Image.DecompressionBombWarning), Image.open(big) as im:  # a real PNG
        assert (im.size, im.mode) == ((13_000, 13_000), "RGBA")
    argv = [sys.executable, "-m", "mediarules", "fix", str(big), "-p", "linkedin"]
    run = measured(*argv, "--out", "out", "--unsafe-fixes", "--format", "json", cwd=tmp_path)
    assert run["rc"] in (0, 1), run["err"]
    assert run["err"] == ""  # no DecompressionBombWarning or other library noise
    assert isinstance(run["peak"], int) and run["peak"] < GIB
    result = json.loads(str(run["out"]))
    assert result["written"] == []
    (skipped,) = result["skipped"]
    budget = DECODE_BUDGET_BYTES // 2**20
    assert skipped["reason"].startswith("too large to fix safely: decoding this 13000x13000")
    assert skipped["reason"].endswith(f"MiB, over the {budget} MiB budget")
    assert os.listdir(tmp_path / "out") == []


def test_a_big_jpeg_for_a_small_target_is_decoded_reduced(tmp_path: Path) -> None:
    """9000 x 9000 decoded whole would be over the budget; for a 2000 px target libjpeg
    decodes it at half size, so the fix runs, in far less memory."""
    photo = tmp_path / "photo.jpg"
    maker = (
        f"from PIL import Image; Image.new('RGB', (9000, 9000), (200, 40, 40)).save({str(photo)!r})"
    )
    subprocess.run([sys.executable, "-c", maker], check=True, timeout=120)
    fixer = (
        "import sys; from pathlib import Path; from mediarules.fixes.images import apply_image;"
        "from mediarules.fixes.targets import ImageTarget;"
        "r = apply_image(Path(sys.argv[1]), ImageTarget(format='jpeg', max_width=2000,"
        " max_height=2000), Path(sys.argv[2])); print(r.width, r.height)"
    )
    run = measured(sys.executable, "-c", fixer, str(photo), "small.jpg", cwd=tmp_path)
    assert run["rc"] == 0, run["err"]
    assert str(run["out"]).split() == ["2000", "2000"]
    assert isinstance(run["peak"], int) and run["peak"] < 400 * 2**20
    with Image.open(tmp_path / "small.jpg") as im:
        assert im.size == (2000, 2000)
        assert im.getpixel((1000, 1000)) == pytest.approx((200, 40, 40), abs=3)
