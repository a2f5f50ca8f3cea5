"""ICC profiles written at test time, byte by byte, from published colorimetry.

Pillow can only make sRGB, Lab and XYZ profiles (``ImageCms.createProfile``), and no CMYK,
Display P3 or Adobe RGB profile may be committed or assumed on the machine, so tests build
them here (ICC.1:2001-04, version 2.1): RGB matrix/TRC display profiles from each space's
primaries and white point (Bradford-adapted to the D50 PCS), and a CMYK printer profile
whose ``A2B0`` lookup table models inks with dot gain and impurities, so that a converter
that ignores the profile (Pillow's plain ``convert("RGB")``) is measurably wrong.

The module also holds the colour arithmetic the tests use as their own reference, without
LittleCMS: ``rgb_to_srgb`` converts one colour through the same primaries and curves.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Callable, Sequence

Matrix = tuple[tuple[float, ...], ...]
XYZ = tuple[float, float, float]

D50: XYZ = (0.9642, 1.0, 0.8249)
D65_XY = (0.3127, 0.3290)

PRIMARIES = {
    # (red xy, green xy, blue xy), white xy; transfer
    "srgb": (((0.64, 0.33), (0.30, 0.60), (0.15, 0.06)), D65_XY),
    "display-p3": (((0.680, 0.320), (0.265, 0.690), (0.150, 0.060)), D65_XY),
    "adobe-rgb": (((0.64, 0.33), (0.21, 0.71), (0.15, 0.06)), D65_XY),
}
ADOBE_GAMMA = 563 / 256  # 2.19921875, as the Adobe RGB (1998) specification rounds it

_BRADFORD: Matrix = (
    (0.8951, 0.2664, -0.1614),
    (-0.7502, 1.7135, 0.0367),
    (0.0389, -0.0685, 1.0296),
)


# -- colour arithmetic ---------------------------------------------------------------------


def _mul(a: Matrix, b: Matrix) -> Matrix:
    return tuple(
        tuple(sum(a[i][k] * b[k][j] for k in range(3)) for j in range(3)) for i in range(3)
    )


def _apply(m: Matrix, v: Sequence[float]) -> XYZ:
    x, y, z = (sum(m[i][k] * v[k] for k in range(3)) for i in range(3))
    return x, y, z


def _inverse(m: Matrix) -> Matrix:
    (a, b, c), (d, e, f), (g, h, i) = m
    det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
    return (
        ((e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det),
        ((f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det),
        ((d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det),
    )


def _xyz(xy: tuple[float, float]) -> XYZ:
    x, y = xy
    return x / y, 1.0, (1 - x - y) / y


def _diagonal(v: Sequence[float]) -> Matrix:
    return ((v[0], 0.0, 0.0), (0.0, v[1], 0.0), (0.0, 0.0, v[2]))


def rgb_to_xyz_d50(space: str) -> Matrix:
    """Linear RGB -> XYZ relative to D50 (the ICC PCS), Bradford-adapted from the white."""
    primaries, white_xy = PRIMARIES[space]
    columns = [_xyz(p) for p in primaries]
    m = tuple(tuple(columns[j][i] for j in range(3)) for i in range(3))
    white = _xyz(white_xy)
    s = _apply(_inverse(m), white)
    native = _mul(m, _diagonal(s))
    source = _apply(_BRADFORD, white)
    target = _apply(_BRADFORD, D50)
    scale = _diagonal([target[i] / source[i] for i in range(3)])
    adapt = _mul(_inverse(_BRADFORD), _mul(scale, _BRADFORD))
    return _mul(adapt, native)


def srgb_decode(v: float) -> float:
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


def srgb_encode(v: float) -> float:
    v = min(1.0, max(0.0, v))
    return v * 12.92 if v <= 0.0031308 else 1.055 * v ** (1 / 2.4) - 0.055


def _decoder(space: str) -> Callable[[float], float]:
    if space == "adobe-rgb":
        return lambda v: float(v**ADOBE_GAMMA)
    return srgb_decode


def rgb_to_srgb(rgb: Sequence[int], space: str) -> tuple[int, int, int]:
    """One 8-bit colour of ``space`` as 8-bit sRGB, clipped (relative colorimetric)."""
    decode = _decoder(space)
    linear = [decode(c / 255) for c in rgb]
    xyz = _apply(rgb_to_xyz_d50(space), linear)
    out = _apply(_inverse(rgb_to_xyz_d50("srgb")), xyz)
    r, g, b = (round(255 * srgb_encode(c)) for c in out)
    return r, g, b


# -- ICC encoding --------------------------------------------------------------------------


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz_tag(xyz: Sequence[float]) -> bytes:
    return b"XYZ \0\0\0\0" + b"".join(_s15(v) for v in xyz)


def _text(text: str) -> bytes:
    return b"text\0\0\0\0" + text.encode("ascii") + b"\0"


def _desc(text: str) -> bytes:
    ascii_ = text.encode("ascii") + b"\0"
    body = b"desc\0\0\0\0" + struct.pack(">I", len(ascii_)) + ascii_
    return body + struct.pack(">II", 0, 0) + struct.pack(">HB", 0, 0) + b"\0" * 67


def _curve(space: str) -> bytes:
    if space == "adobe-rgb":
        return b"curv\0\0\0\0" + struct.pack(">IH", 1, round(ADOBE_GAMMA * 256))
    table = [round(65535 * srgb_decode(i / 1023)) for i in range(1024)]
    return b"curv\0\0\0\0" + struct.pack(f">I{len(table)}H", len(table), *table)


def _profile(device_class: bytes, colour_space: bytes, tags: list[tuple[bytes, bytes]]) -> bytes:
    count = len(tags)
    offset = 128 + 4 + 12 * count
    table, data = b"", b""
    for signature, body in tags:
        padded = body + b"\0" * (-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += padded
    size = offset + len(data)
    header = struct.pack(">I4sI4s4s4s", size, b"\0\0\0\0", 0x02100000, device_class,
                         colour_space, b"XYZ ")  # fmt: skip
    header += struct.pack(">6H", 2026, 1, 1, 0, 0, 0) + b"acsp" + b"\0" * 24
    header += struct.pack(">I", 0) + b"".join(_s15(v) for v in D50) + b"\0" * 4
    header += b"\0" * (128 - len(header))
    return header + struct.pack(">I", count) + table + data


def rgb_profile(space: str, name: str) -> bytes:
    """A display profile for ``space`` (``display-p3``, ``adobe-rgb``, ``srgb``)."""
    m = rgb_to_xyz_d50(space)
    curve = _curve(space)
    return _profile(
        b"mntr",
        b"RGB ",
        [
            (b"desc", _desc(name)),
            (b"cprt", _text("made at test time")),
            (b"wtpt", _xyz_tag(D50)),
            (b"rXYZ", _xyz_tag([m[0][0], m[1][0], m[2][0]])),
            (b"gXYZ", _xyz_tag([m[0][1], m[1][1], m[2][1]])),
            (b"bXYZ", _xyz_tag([m[0][2], m[1][2], m[2][2]])),
            (b"rTRC", curve),
            (b"gTRC", curve),
            (b"bTRC", curve),
        ],
    )


def ink_model(c: float, m: float, y: float, k: float) -> tuple[float, float, float]:
    """Linear sRGB reflected by inks (0..1 coverage): dot gain, and cyan that absorbs some
    green, magenta some blue, as real process inks do."""

    def gain(v: float) -> float:
        return float(v**0.7)  # a 50 % dot prints as about 62 %

    c, m, y, k = (gain(v) for v in (c, m, y, k))
    red = (1 - c) * (1 - 0.05 * m) * (1 - k)
    green = (1 - m) * (1 - 0.25 * c) * (1 - 0.05 * y) * (1 - k)
    blue = (1 - y) * (1 - 0.3 * m) * (1 - 0.1 * c) * (1 - k)
    return red, green, blue


def cmyk_profile(name: str = "Test CMYK", grid: int = 9) -> bytes:
    """A printer profile whose ``A2B0`` (CMYK -> XYZ, lut16) samples :func:`ink_model`."""
    to_xyz = rgb_to_xyz_d50("srgb")
    clut: list[int] = []
    steps = [i / (grid - 1) for i in range(grid)]
    for c, m, y, k in itertools.product(steps, repeat=4):  # the first input varies slowest
        xyz = _apply(to_xyz, ink_model(c, m, y, k))
        clut += [min(65535, max(0, round(v * 32768))) for v in xyz]
    identity = (1, 0, 0, 0, 1, 0, 0, 0, 1)
    entries = 2
    body = b"mft2\0\0\0\0" + struct.pack(">BBBB", 4, 3, grid, 0)
    body += b"".join(_s15(v) for v in identity) + struct.pack(">HH", entries, entries)
    body += struct.pack(">2H", 0, 65535) * 4
    body += struct.pack(f">{len(clut)}H", *clut)
    body += struct.pack(">2H", 0, 65535) * 3
    return _profile(
        b"prtr",
        b"CMYK",
        [
            (b"desc", _desc(name)),
            (b"cprt", _text("made at test time")),
            (b"wtpt", _xyz_tag(D50)),
            (b"A2B0", body),
        ],
    )
