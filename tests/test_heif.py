"""HEIF, HEIC and AVIF: the header reader against the decoders, hostile bytes, and fix.

Every file is made here, by pillow-heif (libheif, x265) for HEIF and by Pillow (libavif) for
AVIF, and decoded by them as the oracle: the size a viewer shows (libheif applies irot/imir
and clap as it decodes; Pillow's AVIF plugin hands irot/imir over as an EXIF orientation),
the alpha channel, the bit depth, the pictures of a burst and the frames of a sequence.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import random
import struct
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pillow_heif
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageOps, features

import mediarules
from mediarules.fixes.api import apply_fixes, plan_fixes
from mediarules.inspection import UnreadableMediaError, heif, inspect
from mediarules.models import MediaFacts
from tests.deadline import within
from tests.fuzz_media import mutate

pillow_heif.register_heif_opener()  # the oracle, and the writer; inspect never needs it

HAS_AVIF = features.check("avif") is True
avif = pytest.mark.skipif(not HAS_AVIF, reason="Pillow built without AVIF")
REALMEDIA = Path(__file__).resolve().parents[1].parent / "shared" / "realmedia"
ORANGE = (200, 120, 40)


def picture(size: tuple[int, int] = (64, 48), mode: str = "RGB") -> Image.Image:
    """A picture whose corners differ, so that a turn or a mirror shows."""
    im = Image.new(mode, size, ORANGE + (255,) * (mode == "RGBA") if mode != "L" else 120)
    corner = (max(1, size[0] // 4), max(1, size[1] // 4))
    paints: dict[str, int | tuple[int, ...]] = {
        "RGB": (220, 20, 20),
        "RGBA": (220, 20, 20, 255),
        "L": 20,
    }
    paint = paints[mode]
    im.paste(paint, (0, 0, *corner))  # the top-left corner as stored
    if mode == "RGBA":
        im.paste((30, 30, 200, 0), (size[0] - corner[0], 0, size[0], corner[1]))
    return im


def exif_bytes(orientation: int | None = None, make: str | None = None) -> bytes:
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    if make is not None:
        exif[0x010F] = make
    return exif.tobytes()


def write_heic(path: Path, im: Image.Image, **options: object) -> Path:
    im.save(path, format="HEIF", quality=90, **options)
    return path


def write_avif(path: Path, im: Image.Image, **options: object) -> Path:
    im.save(path, format="AVIF", quality=90, **options)
    return path


def decoded(path: Path) -> tuple[tuple[int, int], str, int]:
    """(size as shown, Pillow mode, frames) from the decoder, after its orientation."""
    with Image.open(path) as im:
        frames = getattr(im, "n_frames", 1)
        shown = ImageOps.exif_transpose(im)  # AVIF: irot/imir arrive as EXIF; HEIF: reset to 1
        return shown.size, shown.mode, frames


def agrees_with_the_decoder(path: Path, facts: MediaFacts) -> None:
    size, mode, frames = decoded(path)
    assert facts.kind == "image"
    assert (facts.width, facts.height) == facts.display_size == size
    assert facts.orientation is None  # nothing left for a viewer to turn
    assert facts.has_alpha is ("A" in mode)
    assert facts.mode == mode
    if facts.format == "heif":
        heif_file = pillow_heif.open_heif(path, convert_hdr_to_8bit=False)
        assert facts.pictures == len(heif_file)
        assert facts.bit_depth == heif_file.info["bit_depth"]
        assert facts.frames == 1
    else:
        assert facts.frames == frames


# ---------------------------------------------------------------------------------------------
# the header reader against libheif and libavif


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("tiles", [0, 32], ids=["single", "grid"])
def test_heic_size_is_the_size_libheif_shows(tmp_path: Path, orientation: int, tiles: int) -> None:
    path = write_heic(
        tmp_path / "p.heic",
        picture((100, 60)),
        exif=exif_bytes(orientation, "Phone"),
        tile_size=tiles,
    )
    facts = inspect(path)
    agrees_with_the_decoder(path, facts)
    assert (facts.format, facts.brand) == ("heif", "heic")
    turned = orientation >= 5
    assert (facts.width, facts.height) == ((60, 100) if turned else (100, 60))
    header = read_header(path)
    assert header.grid == ((2, 4) if tiles else None)
    assert header.coding == "hvc1"


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("alpha", lambda p: write_heic(p, picture(mode="RGBA"))),
        ("grey", lambda p: write_heic(p, picture(mode="L"))),
        ("odd size", lambda p: write_heic(p, picture((37, 23)))),
        ("ten bit", lambda p: write_ten_bit(p)),
        ("thumbnail", lambda p: write_heic(p, picture((200, 120)), thumbnails=[32])),
        ("burst", lambda p: write_heic(p, picture(), save_all=True, append_images=[picture()])),
        ("grid of alpha", lambda p: write_heic(p, picture((90, 70), "RGBA"), tile_size=32)),
        ("icc", lambda p: write_heic(p, picture(), icc_profile=display_p3_profile())),
        ("like a phone's", lambda p: phone_like(p)),
    ],
)
def test_heic_facts_agree_with_pillow_heif(tmp_path: Path, name: str, make: object) -> None:
    assert callable(make)
    path = make(tmp_path / "p.heic")
    facts = inspect(path)
    agrees_with_the_decoder(path, facts)
    assert facts.format == "heif"


def phone_like(path: Path) -> Path:
    """A grid turned by irot with a thumbnail, EXIF, XMP (a MIME item) and an ICC profile, as
    phones write them."""
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    return write_heic(
        path,
        picture((200, 150)),
        tile_size=64,
        thumbnails=[48],
        exif=exif_bytes(6, "Phone"),
        xmp=xmp,
        icc_profile=display_p3_profile(),
    )


def write_ten_bit(path: Path) -> Path:
    """10-bit HEIC: pillow-heif writes 16-bit samples as 10 bits."""
    width, height = 64, 48
    rgb = bytes(v for _ in range(width * height) for v in (0x00, 0x90, 0x00, 0x40, 0x00, 0x10))
    pillow_heif.from_bytes(mode="RGB;16", size=(width, height), data=rgb).save(path, quality=90)
    return path


def test_ten_bit_and_bursts_are_told(tmp_path: Path) -> None:
    assert inspect(write_ten_bit(tmp_path / "ten.heic")).bit_depth == 10
    burst = write_heic(
        tmp_path / "burst.heic", picture(), save_all=True, append_images=[picture()] * 2
    )
    facts = inspect(burst)
    assert (facts.pictures, facts.frames, facts.animated) == (3, 1, False)


def test_the_colour_boxes_are_read(tmp_path: Path) -> None:
    nclx = read_header(write_heic(tmp_path / "nclx.heic", picture()))
    with_icc = read_header(write_heic(tmp_path / "icc.heic", picture(), icc_profile=P3))
    info = pillow_heif.open_heif(tmp_path / "nclx.heic").info["nclx_profile"]
    assert nclx.nclx is not None and nclx.icc is False
    assert nclx.nclx[:3] == (
        info["color_primaries"],
        info["transfer_characteristics"],
        info["matrix_coefficients"],
    )
    assert with_icc.icc is True


@avif
@pytest.mark.parametrize("orientation", range(1, 9))
def test_avif_size_is_the_size_libavif_shows(tmp_path: Path, orientation: int) -> None:
    path = write_avif(tmp_path / "p.avif", picture((100, 60)), exif=exif_bytes(orientation))
    facts = inspect(path)
    agrees_with_the_decoder(path, facts)
    assert (facts.format, facts.brand, facts.bit_depth) == ("avif", "avif", 8)
    assert read_header(path).rotation in (0, 90, 180, 270)


@avif
def test_avif_alpha_and_animation(tmp_path: Path) -> None:
    still = write_avif(tmp_path / "alpha.avif", picture(mode="RGBA"))
    agrees_with_the_decoder(still, inspect(still))
    assert inspect(still).has_alpha is True
    frames = [picture(mode="RGBA")] + [picture(mode="RGBA").rotate(180) for _ in range(3)]
    path = tmp_path / "anim.avif"
    frames[0].save(path, format="AVIF", save_all=True, append_images=frames[1:], duration=80)
    facts = inspect(path)
    agrees_with_the_decoder(path, facts)
    assert (facts.brand, facts.frames, facts.animated, facts.has_alpha) == ("avis", 4, True, True)


# ---------------------------------------------------------------------------------------------
# damaged files: a structured answer, never a traceback or a hang


def heic_bytes(im: Image.Image, **options: object) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return write_heic(Path(folder) / "p.heic", im, **options).read_bytes()


SEEDS: dict[str, bytes] = {}


def seed(name: str) -> bytes:
    """Files to damage, made once per run."""
    if not SEEDS:
        SEEDS["grid"] = heic_bytes(picture((90, 70)), tile_size=32, exif=exif_bytes(6, "Phone"))
        SEEDS["alpha"] = heic_bytes(picture((90, 70), "RGBA"), thumbnails=[24])
        SEEDS["burst"] = heic_bytes(picture(), save_all=True, append_images=[picture()])
        if HAS_AVIF:
            with tempfile.TemporaryDirectory() as folder:
                path = write_avif(Path(folder) / "p.avif", picture(mode="RGBA"))
                SEEDS["avif"] = path.read_bytes()
    return SEEDS[name]


SEED_NAMES = ["grid", "alpha", "burst", pytest.param("avif", marks=avif)]


def outcome(data: bytes) -> MediaFacts | UnreadableMediaError:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.heic"
        path.write_bytes(data)
        try:
            return within(10, lambda: inspect(path))
        except UnreadableMediaError as exc:
            return exc


@pytest.mark.parametrize("name", SEED_NAMES)
def test_every_cut_is_unreadable(name: str) -> None:
    """Each box says how long it is, so a HEIC cut anywhere is found out, header only (once
    its 12 bytes of brand are there: before that nothing says it is a HEIF file)."""
    data = seed(name)
    assert isinstance(outcome(data), MediaFacts)
    cuts = sorted({*range(12, 200), *range(200, len(data), max(1, len(data) // 150))})
    for cut in cuts:
        found = outcome(data[:cut])
        assert isinstance(found, UnreadableMediaError), cut
        assert found.reason in ("truncated", "corrupt"), (cut, found)


@given(name=st.sampled_from(["grid", "alpha", "burst", "avif"]), rnd=st.randoms())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_files_give_facts_or_a_reason(name: str, rnd: random.Random) -> None:
    if name == "avif" and not HAS_AVIF:
        return
    data = seed(name)
    # mutations land in the header (the first 1,500 bytes) as often as anywhere
    head, tail = data[:1500], data[1500:]
    mutated = mutate(head, rnd) + tail if rnd.random() < 0.5 else mutate(data, rnd)
    found = outcome(mutated)
    if isinstance(found, UnreadableMediaError):
        assert found.reason in ("truncated", "corrupt", "unrecognised", "empty"), found
    elif found.format in ("heif", "avif"):
        assert found.kind == "image" and min(found.display_size or (0, 0)) > 0
        assert (found.frames or 0) >= 1 and (found.pictures or 0) >= 1


# hand-made damage, each a path the reader must take -------------------------------------------


def boxes(
    data: bytes | bytearray, start: int = 0, end: int | None = None
) -> Iterator[tuple[bytes, int, int]]:
    """(type, offset of the box, its size) of the boxes in ``data[start:end]``."""
    end = len(data) if end is None else end
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        size = end - pos if size == 0 else size
        yield kind, pos, size
        pos += size


FULL_BOX = {b"meta": 4, b"iprp": 0, b"ipco": 0, b"iref": 4}


def find(data: bytes | bytearray, *path: bytes) -> tuple[int, int]:
    """(offset, size) of the box at ``path`` (``b"meta", b"iprp", b"ipco"``)."""
    start, end = 0, len(data)
    offset = size = 0
    for depth, kind in enumerate(path):
        offset, size = next((o, s) for k, o, s in boxes(data, start, end) if k == kind)
        if depth + 1 < len(path):
            start = offset + 8 + FULL_BOX.get(kind, 0)
            if kind == b"iinf":
                start = offset + 8 + (6 if data[offset + 8] == 0 else 8)
            end = offset + size
    return offset, size


def damaged(name: str, change: object) -> MediaFacts | UnreadableMediaError:
    data = bytearray(seed(name))
    assert callable(change)
    change(data)
    return outcome(bytes(data))


def hide_the_primary(data: bytearray) -> None:
    pitm, _ = find(data, b"meta", b"pitm")
    primary = struct.unpack_from(">H", data, pitm + 12)[0]
    iinf, size = find(data, b"meta", b"iinf")
    for kind, at, _ in boxes(bytes(data), iinf + 14, iinf + size):
        if kind == b"infe" and struct.unpack_from(">H", data, at + 12)[0] == primary:
            data[at + 11] |= 1
            return
    raise AssertionError("no infe for the primary item")


def rename(kind: bytes, new: bytes) -> object:
    def change(data: bytearray) -> None:
        at = bytes(data).index(kind)
        data[at : at + 4] = new

    return change


def set_u32(path: tuple[bytes, ...], field: int, value: int) -> object:
    def change(data: bytearray) -> None:
        offset, _ = find(bytes(data), *path)
        struct.pack_into(">I", data, offset + field, value)

    return change


def wrong_grid(data: bytearray) -> None:
    idat, _ = find(bytes(data), b"meta", b"idat")
    data[idat + 8 + 2] += 1  # one more row than there are tiles


def second_meta(data: bytearray) -> None:
    meta, size = find(bytes(data), b"meta")
    data[meta + size : meta + size] = data[meta : meta + size]


@pytest.mark.parametrize(
    ("name", "change", "reason", "words"),
    [
        ("grid", hide_the_primary, "corrupt", "primary item is hidden"),
        ("grid", wrong_grid, "corrupt", "a grid of 4x3 tiles with 9 tile pictures"),
        ("grid", rename(b"pict", b"abcd"), "unrecognised", "'abcd' items, not pictures"),
        ("alpha", rename(b"ispe", b"xspe"), "corrupt", "no size (ispe)"),
        ("grid", rename(b"pitm", b"xitm"), "corrupt", "no primary item (pitm)"),
        ("grid", rename(b"meta", b"xeta"), "unrecognised", "no picture in it"),
        ("grid", second_meta, "corrupt", "two meta boxes"),
        ("alpha", rename(b"iprp", b"xprp"), "corrupt", "no item properties (iprp)"),
        ("alpha", set_u32((b"meta", b"iprp"), 0, 3), "corrupt", "'iprp' box says it is 3"),
        ("alpha", set_u32((b"meta",), 0, 2**31), "truncated", "the file ends inside its 'meta'"),
        ("burst", set_u32((b"meta", b"pitm"), 8, 0x02000000), "corrupt", "pitm box of version 2"),
        ("burst", set_u32((b"meta", b"pitm"), 8, 0x01000000), "corrupt", "pitm box too short"),
    ],
)
def test_damage_is_named(name: str, change: object, reason: str, words: str) -> None:
    found = damaged(name, change)
    assert isinstance(found, UnreadableMediaError), found
    assert (found.reason, words in str(found)) == (reason, True), str(found)


def test_a_file_cut_inside_an_open_ended_box_is_truncated() -> None:
    """mdat of size 0 runs "to the end": only the item locations can tell it was cut."""
    data = bytearray(seed("grid"))
    mdat, _ = find(bytes(data), b"mdat")
    struct.pack_into(">I", data, mdat, 0)
    whole = outcome(bytes(data))
    assert isinstance(whole, MediaFacts) and (whole.width, whole.height) == (70, 90)
    cut = outcome(bytes(data[:-10]))
    assert isinstance(cut, UnreadableMediaError) and cut.reason == "truncated"
    assert "ends 10 bytes past the end of the file" in str(cut)


def test_an_mp4_with_a_heif_brand_is_no_picture(tmp_path: Path) -> None:
    from tests.media import make_video

    data = bytearray(make_video(tmp_path / "v.mp4", frames=3, size=(32, 24)).read_bytes())
    data[8:12] = b"heic"
    found = outcome(bytes(data))
    assert isinstance(found, UnreadableMediaError) and found.reason == "unrecognised"
    assert "brand 'heic'" in str(found) and "no picture in it" in str(found)


def test_budgets_stop_hostile_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    many = struct.pack(">I4s", 8, b"free") * 250_000  # 2 MB of empty boxes inside meta
    meta = struct.pack(">I4sI", 12 + len(many), b"meta", 0) + many
    ftyp = struct.pack(">I4s4sI4s", 20, b"ftyp", b"heic", 0, b"mif1")
    found = outcome(ftyp + meta)
    assert isinstance(found, UnreadableMediaError) and "more than 200,000 boxes" in str(found)
    monkeypatch.setattr(heif, "MAX_BOX_BYTES", 100)
    found = outcome(seed("grid"))
    assert isinstance(found, UnreadableMediaError) and "at most 100 bytes is read" in str(found)


# the fast paths read what the general ones read ----------------------------------------------


def test_plain_item_rows_read_as_the_general_path_reads_them() -> None:
    def infe(item: int, kind: bytes, name: bytes = b"", hidden: bool = False) -> bytes:
        body = struct.pack(">B3sHH4s", 2, bytes([0, 0, int(hidden)]), item, 0, kind) + name
        return struct.pack(">I4s", 8 + len(body) + 1, b"infe") + body + b"\x00"

    rows = [infe(1, b"grid"), *(infe(i, b"hvc1", hidden=True) for i in range(2, 9))]
    rows.append(infe(9, b"Exif"))
    named_last = [*rows[:-1], infe(9, b"Exif", b"x")]  # plain rows, then one read as a box
    named_first = [infe(1, b"grid", b"x"), *rows[1:]]  # every box read one by one

    def read(entries: list[bytes]) -> tuple[dict[int, bytes | None], set[int], int]:
        body = b"".join(entries)
        data = struct.pack(">I4sIH", 14 + len(body), b"iinf", 0, len(entries)) + body
        items = heif._Items(heif._Source(-1, b"", 0), data, 8, len(data))
        kinds = {item: items.get(item) for item in range(12) if item in items}
        return kinds, items.hidden, items.pictures(set())

    fast = read(rows)
    assert fast == read(named_last) == read(named_first)
    assert fast == (
        {1: b"grid", **dict.fromkeys(range(2, 9), b"hvc1"), 9: b"Exif"},
        set(range(2, 9)),
        1,  # the grid: the tiles are hidden, Exif is no picture
    )
    with pytest.raises(heif.HeifError, match="declared twice"):
        read([*rows, infe(3, b"hvc1")])


@pytest.mark.parametrize("wide", [0, 1])
def test_association_columns_read_as_entries_do(wide: int) -> None:
    """A grid item, 40 tiles sharing 4 properties, an item listed twice, then odd ones out."""
    lists = [(49, [1, 0x82, 3]), *((i, [0x81, 2, 3, 4]) for i in range(1, 41)), (7, [5])]
    lists += [(50, [1]), (51, [2, 3]), *((i, [6, 7]) for i in range(52, 60)), (60, [])]
    body = b""
    for item, indices in lists:
        layout = f">HB{len(indices)}{'H' if wide else 'B'}"
        values = [(v & 0x7F) | (0x8000 if wide and v & 0x80 else 0) if wide else v for v in indices]
        body += struct.pack(layout, item, len(indices), *values)
    data = struct.pack(">B3sI", 0, bytes([0, 0, wide]), len(lists)) + body

    expected: dict[int, int] = {}
    pos = 8
    for item, indices in lists:  # what a plain walk finds: the first entry of each item
        expected.setdefault(item, 2 * (pos + 2) + wide)
        pos += 3 + len(indices) * (1 + wide)
    assert heif._associations(data, 0, len(data)) == expected
    with pytest.raises(heif.HeifError, match="runs past its box"):  # a box a byte too short
        heif._associations(data + bytes(8), 0, len(data) - 1)


def test_location_rows_read_as_the_general_path_reads_them() -> None:
    entries = [(item, 1 + item % 2, 1000 * item, 7 + item, 50 * item) for item in range(1, 40)]
    # version 1: item, method, data reference, base (4), extents (1), offset (4), length (4)
    body = b"".join(struct.pack(">HHHIHII", i, m, 0, b, 1, o, n) for i, m, b, o, n in entries)
    data = struct.pack(">BBBBBBH", 1, 0, 0, 0, 0x44, 0x40, len(entries)) + body
    rows = heif._Locations(data, (0, len(data)))
    general = rows._parse(data, 8, len(data), len(entries))
    for item, method, base, offset, length in entries:
        assert rows.get(item) == general[item] == (method, False, [(base + offset, length)])
    assert rows.get(999) is None and rows.all() == general


# ---------------------------------------------------------------------------------------------
# check and fix, end to end

P3_PRIMARIES = ((0.680, 0.320), (0.265, 0.690), (0.150, 0.060))
SRGB_PRIMARIES = ((0.640, 0.330), (0.300, 0.600), (0.150, 0.060))
D65 = (0.3127, 0.3290)
Matrix = list[list[float]]


def rgb_to_xyz(primaries: tuple[tuple[float, float], ...]) -> Matrix:
    columns = [[x / y, 1.0, (1 - x - y) / y] for x, y in primaries]
    matrix = [[columns[c][r] for c in range(3)] for r in range(3)]
    white = [D65[0] / D65[1], 1.0, (1 - D65[0] - D65[1]) / D65[1]]
    scale = apply(invert(matrix), white)
    return [[matrix[r][c] * scale[c] for c in range(3)] for r in range(3)]


def invert(m: Matrix) -> Matrix:
    (a, b, c), (d, e, f), (g, h, i) = m
    det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
    return [
        [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
        [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
        [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
    ]


def apply(m: Matrix, v: list[float]) -> list[float]:
    return [sum(m[r][k] * v[k] for k in range(3)) for r in range(3)]


def times(a: Matrix, b: Matrix) -> Matrix:
    return [[sum(a[r][k] * b[k][c] for k in range(3)) for c in range(3)] for r in range(3)]


def srgb_decode(v: float) -> float:
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


def srgb_encode(v: float) -> float:
    v = min(1.0, max(0.0, v))
    return 12.92 * v if v <= 0.0031308 else 1.055 * v ** (1 / 2.4) - 0.055


def p3_to_srgb(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """What a colour-managed viewer shows: Display P3 to sRGB through XYZ (D65), by hand."""
    linear = apply(times(invert(rgb_to_xyz(SRGB_PRIMARIES)), rgb_to_xyz(P3_PRIMARIES)), [
        srgb_decode(v / 255) for v in rgb
    ])  # fmt: skip
    red, green, blue = (round(255 * srgb_encode(v)) for v in linear)
    return red, green, blue


def display_p3_profile() -> bytes:
    """An ICC v2 matrix/TRC profile of Display P3 (the sRGB curve), built from its primaries:
    the D50 colorants an ICC profile holds are the D65 ones through Bradford's adaptation."""
    bradford = [[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]]
    d65, d50 = [0.95047, 1.0, 1.08883], [0.96422, 1.0, 0.82521]
    cone65, cone50 = apply(bradford, d65), apply(bradford, d50)
    scale = [[cone50[i] / cone65[i] if i == j else 0.0 for j in range(3)] for i in range(3)]
    adapt = times(invert(bradford), times(scale, bradford))
    colorants = times(adapt, rgb_to_xyz(P3_PRIMARIES))

    def fixed(*values: float) -> bytes:
        return b"".join(struct.pack(">i", round(v * 65536)) for v in values)

    def xyz(values: list[float]) -> bytes:
        return b"XYZ \0\0\0\0" + fixed(*values)

    name = b"Display P3 (test)"
    curve = [round(65535 * srgb_decode(i / 1023)) for i in range(1024)]
    trc = b"curv\0\0\0\0" + struct.pack(f">I{len(curve)}H", len(curve), *curve)
    tags = {
        b"desc": b"desc\0\0\0\0" + struct.pack(">I", len(name) + 1) + name + b"\0"
        + bytes(4 + 4 + 2 + 1 + 67),
        b"cprt": b"text\0\0\0\0" + b"public domain\0",
        b"wtpt": xyz(d50),
        b"rXYZ": xyz([row[0] for row in colorants]),
        b"gXYZ": xyz([row[1] for row in colorants]),
        b"bXYZ": xyz([row[2] for row in colorants]),
        b"rTRC": trc,
        b"gTRC": trc,
        b"bTRC": trc,
    }  # fmt: skip
    table, blob = b"", b""
    start = 128 + 4 + 12 * len(tags)
    placed: dict[bytes, int] = {}  # the three curves share one copy, as ICC allows
    for signature, data in tags.items():
        data += bytes(-len(data) % 4)
        if data not in placed:
            placed[data] = start + len(blob)
            blob += data
        table += struct.pack(">4sII", signature, placed[data], len(data))
    size = start + len(blob)
    header = struct.pack(">I4sI4s4s4s12s4s", size, b"", 0x02100000, b"mntr", b"RGB ", b"XYZ ",
                         bytes(12), b"acsp")  # fmt: skip
    header += bytes(68 - len(header)) + fixed(*d50)
    header += bytes(128 - len(header))
    return header + struct.pack(">I", len(tags)) + table + blob


P3 = display_p3_profile()
SKY = (90, 160, 200)  # in Display P3: sRGB (61, 162, 204), far from the numbers themselves


def phone_photo(path: Path) -> Path:
    """A phone's HEIC: stored on its side with irot (EXIF orientation 6, which pillow-heif
    turns into irot), a Display P3 profile, EXIF with the camera's make."""
    im = Image.new("RGB", (160, 96), SKY)
    im.paste((220, 20, 20), (0, 0, 40, 24))  # top-left as stored: top-right once turned
    return write_heic(path, im, icc_profile=P3, exif=exif_bytes(6, "Phone maker"))


def pixel(im: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    value = im.getpixel(xy)
    assert isinstance(value, tuple)
    return value


def near(a: tuple[int, ...], b: tuple[int, ...], tolerance: int) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.skipif(not features.check_module("littlecms2"), reason="Pillow without LittleCMS")
def test_a_phone_heic_passes_facebook_and_becomes_a_jpeg_for_x(tmp_path: Path) -> None:
    photo = phone_photo(tmp_path / "IMG_0001.HEIC")
    before = digest(photo)
    facts = inspect(photo)
    assert (facts.format, facts.width, facts.height) == ("heif", 96, 160)

    facebook = mediarules.check([photo], platforms="facebook")
    assert facebook.ok and not facebook.violations, facebook.violations
    x = mediarules.check([photo], platforms="x")
    (refused,) = [v for v in x.violations if v.code == "image.format_not_allowed"]
    assert refused.fix is not None and refused.fix.applicability.value == "safe"

    plan = plan_fixes([photo], platforms="x")
    (output,) = plan.outputs
    assert output.image is not None and output.image.format == "jpeg"
    result = apply_fixes(plan, tmp_path / "out")  # a safe fix: no --unsafe-fixes needed
    assert result.ok, [p.report for p in result.posts]
    (written,) = result.written
    assert any("Display P3 (test)" in change for change in written.changes), written.changes
    fixed = inspect(written.path)
    assert (fixed.format, fixed.width, fixed.height) == ("jpeg", 96, 160)
    assert fixed.orientation in (None, 1)  # upright: nothing for a viewer to turn
    assert mediarules.check([written.path], platforms="x").ok
    with Image.open(written.path) as out:
        assert "icc_profile" not in out.info  # untagged: sRGB
        assert out.getexif().get(0x010F) == "Phone maker"
        rgb = out.convert("RGB")
        assert near(pixel(rgb, (90, 10)), (220, 20, 20), 40)  # the red corner: top-right
        assert near(pixel(rgb, (5, 150)), p3_to_srgb(SKY), 6)
        assert not near(pixel(rgb, (5, 150)), SKY, 20)  # the numbers alone would be wrong
    assert digest(photo) == before


def test_a_transparent_heic_becomes_a_png_where_png_is_taken(tmp_path: Path) -> None:
    photo = write_heic(tmp_path / "sticker.heic", picture((80, 60), "RGBA"))
    plan = plan_fixes([photo], platforms="telegram")
    (output,) = plan.outputs
    assert output.image is not None and output.image.format == "png"
    result = apply_fixes(plan, tmp_path / "out")
    assert result.ok, [p.report for p in result.posts]
    (written,) = result.written
    with Image.open(written.path) as out:
        assert out.mode == "RGBA"
        assert pixel(out, (75, 2))[3] == 0  # the transparent corner (top-right)
        assert near(pixel(out, (40, 30)), (*ORANGE, 255), 8)


def test_only_a_heif_fix_loads_pillow_heif() -> None:
    """Start-up stays lean: inspecting a HEIC and fixing a JPEG never import pillow_heif."""
    script = """
import sys, tempfile
from pathlib import Path
from PIL import Image
import mediarules
from mediarules.fixes.images import apply_image
from mediarules.fixes.targets import ImageTarget
folder = Path(tempfile.mkdtemp())
Image.new("RGB", (8, 8)).save(folder / "a.png")
mediarules.inspect(sys.argv[1])
apply_image(folder / "a.png", ImageTarget(format="jpeg"), folder / "a.jpg")
before = "pillow_heif" in sys.modules
apply_image(Path(sys.argv[1]), ImageTarget(format="jpeg"), folder / "b.jpg")
print(before, "pillow_heif" in sys.modules)
"""
    with tempfile.TemporaryDirectory() as folder:
        photo = write_heic(Path(folder) / "p.heic", picture())
        done = subprocess.run(
            [sys.executable, "-c", script, str(photo)], capture_output=True, text=True, check=True
        )
    assert done.stdout.split() == ["False", "True"]


# ---------------------------------------------------------------------------------------------
# real files


def real_heif_files() -> list[Path]:
    if not REALMEDIA.is_dir():
        return []
    suffixes = {".heic", ".heif", ".hif", ".avif", ".avifs"}
    return sorted(p for p in REALMEDIA.rglob("*") if p.suffix.lower() in suffixes)


def test_real_heif_files_agree_with_the_decoders() -> None:
    files = real_heif_files()
    if not files:
        pytest.skip(f"no HEIF/AVIF files under {REALMEDIA}")
    read = 0
    for path in files:
        try:
            expected = decoded(path)
        except Exception:  # the decoders cannot read it: inspect must still answer
            with contextlib.suppress(UnreadableMediaError):
                inspect(path)
            continue
        facts = inspect(path)
        name = "avif" if path.suffix.lower().startswith(".avif") else "heif"
        assert (facts.kind, facts.format) == ("image", name), path
        assert (facts.width, facts.height) == expected[0], path
        assert facts.has_alpha is ("A" in expected[1]), path
        read += 1
    assert read >= min(3, len(files))


def read_header(path: Path) -> heif.HeifHeader:
    with open(path, "rb") as handle:
        head = handle.read(4096)
        size = path.stat().st_size
        return heif.read_header(handle.fileno(), head, size, brand=head[8:12].decode("latin-1"))


def test_a_grid_is_read_from_its_header_alone(tmp_path: Path) -> None:
    """Not a speed test (benchmarks/ measure that): a grid of 80 tiles is read from its meta
    box and one box header, whatever the size of the picture data."""
    path = write_heic(tmp_path / "big.heic", Image.new("RGB", (640, 480), ORANGE), tile_size=64)
    reads: list[int] = []
    real = heif._read_at

    def counted(fd: int, length: int, offset: int) -> bytes:
        reads.append(length)
        return real(fd, length, offset)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(heif, "_read_at", counted)
        facts = inspect(path)
    assert (facts.width, facts.height) == (640, 480)
    assert sum(reads) <= math.ceil(find(path.read_bytes(), b"meta")[1] * 1.1) + 64
