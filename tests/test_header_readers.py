"""The JPEG, PNG and GIF header readers give exactly what the Pillow path gives.

:mod:`mediarules.inspection.images` reads JPEG, PNG and GIF headers itself and sends anything
it does not reproduce exactly to Pillow. Every test here compares ``inspect`` (readers first)
with ``inspect`` forced through Pillow, the path every file took before, field by field with
the notes, or the same failure (reason and message). Generated files (modes, EXIF orientations
in both byte orders, ICC profiles, progressive and optimised JPEGs, MPO, APNG, interlaced and
16-bit PNGs, text chunks, animated GIFs) must also be answered by the readers themselves, so
that the comparison is not Pillow against Pillow; built, cut and damaged files only have to
agree, whoever answers. The real files in ``../shared/realmedia`` are compared too.
"""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms, PngImagePlugin

from mediarules.inspection import UnreadableMediaError, exif, gif, images, inspect, inspect_source
from mediarules.models import MediaFacts
from tests.test_gif import DESCRIPTOR, GREY_RAMP, SCREEN, WHERE, built_gifs, pillow_gifs

REALMEDIA = Path(__file__).resolve().parents[1].parent / "shared" / "realmedia"

# Damaged headers can claim huge pictures; Pillow's bomb check is not what is tested here.
pytestmark = pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")

Verdict = MediaFacts | tuple[str, str]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def verdict(path: Path) -> Verdict:
    try:
        return inspect(path)
    except UnreadableMediaError as exc:
        return (exc.reason, str(exc))


def pillow_verdict(path: Path) -> Verdict:
    """What ``inspect`` gave before the header readers: every image through Pillow."""
    with mock.patch.object(images, "_read_header", return_value=None):
        return verdict(path)


def answered_by_reader(path: Path) -> bool:
    """Whether a header reader (not Pillow) answers for this file; a reader that fails
    (instead of leaving the file to Pillow) fails the test."""
    data = path.read_bytes()
    with path.open("rb") as fp:
        return images.header_reader_answer(data[:4096], fp, None, len(data)) is not None


@contextmanager
def written(data: bytes, suffix: str = ".img") -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"file{suffix}"
        path.write_bytes(data)
        yield path


def assert_same(data: bytes, *, by_reader: bool | None = None) -> Verdict:
    """``inspect`` with the readers equals ``inspect`` through Pillow; ``by_reader`` True
    also asks that a reader answered (False: that Pillow did)."""
    with written(data) as path:
        found, expected = verdict(path), pillow_verdict(path)
        assert found == expected
        answered = answered_by_reader(path)
        if currently_in_test_context():  # hypothesis's statistics: how often each answers
            event("read by the header reader" if answered else "left to Pillow")
        if by_reader is not None:
            assert answered is by_reader, expected
    return found


def encoded(image: Image.Image, format: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=format, **options)
    return out.getvalue()


def srgb_profile() -> bytes:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    assert isinstance(profile, bytes)
    return profile


SRGB = srgb_profile()
BIG_PROFILE = SRGB + bytes(range(256)) * 600  # 150 KB: three APP2 chunks in a JPEG


def exif_block(
    orientation: int | None, order: str, extra: dict[int, object] | None = None
) -> Image.Exif:
    data = Image.Exif()
    data.endian = order
    if orientation is not None:
        data[0x0112] = orientation
    for tag, value in (extra or {}).items():
        data[tag] = value
    return data


def xmp_packet(orientation: int) -> bytes:
    return (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf='
        b'"http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:tiff='
        b'"http://ns.adobe.com/tiff/1.0/" tiff:Orientation="%d"/></rdf:RDF></x:xmpmeta>'
        % orientation
    )


# ---------------------------------------------------------------------------------------------
# building blocks: JPEG segments, PNG chunks, TIFF structures


def segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """The segments of a JPEG up to and including SOS (marker, payload)."""
    found = []
    position = 2
    while True:
        marker = data[position + 1]
        (length,) = struct.unpack_from(">H", data, position + 2)
        found.append((marker, data[position + 4 : position + 2 + length]))
        position += 2 + length
        if marker == 0xDA:
            return found


def rebuilt_jpeg(data: bytes, segments: list[tuple[int, bytes]]) -> bytes:
    """``data`` with its header segments replaced by ``segments`` (which end with SOS)."""
    original = jpeg_segments(data)
    end = 2 + sum(4 + len(payload) for _, payload in original)
    return b"\xff\xd8" + b"".join(segment(m, p) for m, p in segments) + data[end:]


BASE_JPEG = encoded(Image.new("RGB", (24, 16), (200, 40, 40)), "JPEG")


def with_segments(before: list[tuple[int, bytes]], *, jfif: bool = True) -> bytes:
    """The base JPEG with ``before`` inserted ahead of its own segments (JFIF kept or not)."""
    own = jpeg_segments(BASE_JPEG)
    if not jfif:
        own = [(m, p) for m, p in own if m != 0xE0]
    return rebuilt_jpeg(BASE_JPEG, [*before, *own])


def chunk(name: bytes, payload: bytes, *, crc: int | None = None) -> bytes:
    value = zlib.crc32(name + payload) if crc is None else crc
    return struct.pack(">I", len(payload)) + name + payload + struct.pack(">I", value)


def png_bytes(
    chunks: list[bytes],
    *,
    size: tuple[int, int] = (3, 2),
    depth: int = 8,
    colour: int = 2,
    interlace: int = 0,
    filter_method: int = 0,
) -> bytes:
    ihdr = struct.pack(">IIBBBBB", *size, depth, colour, 0, filter_method, interlace)
    pixels = chunk(b"IDAT", zlib.compress(bytes(64)))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + b"".join(chunks)
        + pixels
        + chunk(b"IEND", b"")
    )


TIFF_TYPES = {1: "B", 2: "s", 3: "H", 4: "L", 5: "LL", 6: "b", 7: "s", 8: "h", 9: "l"}
TIFF_TYPES |= {10: "ll", 11: "f", 12: "d", 13: "L", 16: "Q"}


@st.composite
def tiff_entries(draw: st.DrawFn) -> bytes:
    """A TIFF structure (header, IFD0, values) with entries of any type and count, values in
    place or past the end, duplicate tags: what a careless writer or a fuzzer makes."""
    order = draw(st.sampled_from("<>"))
    tags = st.sampled_from([0x0112, 0x0112, 0x0128, 0x011A, 0x010F, 0x8769, 0x9999, 0xB001])
    kinds = st.sampled_from([1, 2, 3, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 0])
    entries = draw(
        st.lists(st.tuples(tags, kinds, st.integers(0, 4), st.binary(min_size=4, max_size=4)),
                 max_size=6)
    )  # fmt: skip
    tail = draw(st.binary(max_size=40))
    first = draw(st.sampled_from([8, 8, 8, 2, 200]))
    body = bytearray()
    where = 8 + 2 + 12 * len(entries) + 4
    values = bytearray()
    for tag, kind, count, inline in entries:
        fmt = TIFF_TYPES.get(kind, "B")
        size = struct.calcsize(order + fmt) * count if kind != 2 and kind != 7 else count
        if size > 4:
            if draw(st.booleans()):  # the value where the entry says
                offset = where + len(values)
                values += draw(st.binary(min_size=size, max_size=size))
            else:
                offset = draw(st.integers(0, 300))
            body += struct.pack(order + "HHLL", tag, kind, count, offset)
        else:
            if kind in (3, 4, 8, 9, 13) and count == 1 and draw(st.booleans()):
                small = draw(st.integers(0, 10))
                inline = struct.pack(order + fmt, small).ljust(4, b"\x00")
            body += struct.pack(order + "HHL", tag, kind, count) + inline
    header = (b"II*\x00" if order == "<" else b"MM\x00*") + struct.pack(order + "L", first)
    ifd = struct.pack(order + "H", len(entries)) + bytes(body) + struct.pack(order + "L", 0)
    structure = header + ifd + bytes(values) + tail
    cut = draw(st.one_of(st.none(), st.integers(0, len(structure))))
    return structure if cut is None else structure[:cut]


def cut_or_changed(data: bytes, drawn: st.DataObject, *, within: int) -> bytes:
    """``data`` cut short, or with one byte changed, somewhere in its first ``within`` bytes."""
    where = drawn.draw(st.integers(0, min(within, len(data) - 1)))
    if drawn.draw(st.booleans()):
        return data[:where]
    return data[:where] + bytes([drawn.draw(st.integers(0, 255))]) + data[where + 1 :]


# ---------------------------------------------------------------------------------------------
# JPEG


@st.composite
def pillow_jpegs(draw: st.DrawFn) -> bytes:
    mode = draw(st.sampled_from(["L", "RGB", "CMYK"]))
    size = (draw(st.integers(1, 40)), draw(st.integers(1, 40)))
    image = Image.new(mode, size, "red" if mode != "L" else 90)
    options: dict[str, object] = {
        "quality": draw(st.integers(5, 95)),
        "progressive": draw(st.booleans()),
        "optimize": draw(st.booleans()),
    }
    orientation = draw(st.one_of(st.none(), st.integers(0, 9)))
    resolution = draw(st.booleans())
    if orientation is not None or resolution:
        extra: dict[int, object] = {0x0128: 2, 0x011A: 300.0} if resolution else {}
        options["exif"] = exif_block(orientation, draw(st.sampled_from("<>")), extra)
    if draw(st.booleans()):
        options["icc_profile"] = draw(st.sampled_from([SRGB, BIG_PROFILE]))
    if draw(st.booleans()):
        options["xmp"] = xmp_packet(draw(st.integers(0, 9)))
    if draw(st.booleans()):
        options["dpi"] = (draw(st.integers(1, 600)),) * 2
    if draw(st.booleans()):
        options["comment"] = b"made by a test"
    if mode != "L" and draw(st.booleans()):
        options["subsampling"] = draw(st.sampled_from([0, 1, 2]))
    if mode == "RGB" and draw(st.booleans()):  # an MPO: two pictures and an MPF index
        options.update(save_all=True, append_images=[Image.new("RGB", size, "blue")])
        return encoded(image, "MPO", **options)
    return encoded(image, "JPEG", **options)


@SETTINGS
@given(data=pillow_jpegs())
def test_pillow_written_jpegs_are_read_as_pillow_reads_them(data: bytes) -> None:
    assert_same(data, by_reader=True)


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("order", ["<", ">"])
def test_every_orientation_in_both_byte_orders(orientation: int, order: str) -> None:
    data = encoded(Image.new("RGB", (30, 20)), "JPEG", exif=exif_block(orientation, order))
    facts = assert_same(data, by_reader=True)
    assert isinstance(facts, MediaFacts)
    assert facts.orientation == orientation
    assert facts.display_size == ((20, 30) if orientation >= 5 else (30, 20))


@pytest.mark.parametrize(("mode", "expected"), [("L", "L"), ("RGB", "RGB"), ("CMYK", "CMYK")])
def test_components_make_the_mode(mode: str, expected: str) -> None:
    facts = assert_same(encoded(Image.new(mode, (9, 7)), "JPEG"), by_reader=True)
    assert isinstance(facts, MediaFacts)
    assert (facts.mode, facts.has_alpha, facts.frames) == (expected, False, 1)


@SETTINGS
@given(structure=tiff_entries(), jfif=st.booleans(), xmp=st.one_of(st.none(), st.integers(0, 9)))
def test_any_exif_in_a_jpeg(structure: bytes, jfif: bool, xmp: int | None) -> None:
    """EXIF a fuzzer would write: the reader answers as Pillow, or lets Pillow answer (with
    its warnings as notes). Without JFIF's density Pillow also reads the resolution tags."""
    before = [(0xE1, b"Exif\x00\x00" + structure)]
    if xmp is not None:
        before.append((0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + xmp_packet(xmp)))
    jfif_density = [(0xE0, b"JFIF\x00\x01\x01\x01\x00\x48\x00\x48\x00\x00")] if jfif else []
    assert_same(with_segments(jfif_density + before, jfif=False))


def test_exif_pillow_warns_about_goes_to_pillow_and_keeps_the_warning() -> None:
    structure = b"II*\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x02\x00\x00\x00\x06\x00"
    data = with_segments([(0xE1, b"Exif\x00\x00" + structure)])  # the next-IFD offset is cut
    facts = assert_same(data, by_reader=False)
    assert isinstance(facts, MediaFacts)
    assert any("Corrupt EXIF data" in note for note in facts.notes)


@pytest.mark.parametrize(
    ("kind", "count", "value", "expected"),
    [
        (3, 1, struct.pack("<H", 6) + b"\0\0", 6),  # SHORT, as the standard says
        (4, 1, struct.pack("<L", 8), 8),  # LONG
        (9, 1, struct.pack("<l", 3), 3),  # SLONG
        (1, 1, b"\x06\0\0\0", None),  # BYTE: Pillow gives bytes, not a number
        (2, 2, b"6\0\0\0", None),  # ASCII
        (11, 1, struct.pack("<f", 6.0), None),  # FLOAT
        (3, 1, struct.pack("<H", 9) + b"\0\0", None),  # out of range
    ],
)
def test_orientation_types(kind: int, count: int, value: bytes, expected: int | None) -> None:
    entry = struct.pack("<HHL", 0x0112, kind, count) + value
    structure = b"II*\x00\x08\x00\x00\x00\x01\x00" + entry + b"\0\0\0\0"
    facts = assert_same(with_segments([(0xE1, b"Exif\x00\x00" + structure)]), by_reader=True)
    assert isinstance(facts, MediaFacts)
    assert facts.orientation == expected


def test_xmp_orientation_counts_only_without_an_exif_one() -> None:
    xmp = (0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + xmp_packet(7))
    facts = assert_same(with_segments([xmp]), by_reader=True)
    assert isinstance(facts, MediaFacts) and facts.orientation == 7
    exif_data = exif_block(2, "<").tobytes()
    facts = assert_same(with_segments([(0xE1, exif_data), xmp]), by_reader=True)
    assert isinstance(facts, MediaFacts) and facts.orientation == 2


@st.composite
def mpf_segments(draw: st.DrawFn) -> bytes:
    """An MPF index as a camera writes it, or with its count, entries, types or tags wrong."""
    order = draw(st.sampled_from("<>"))
    well_formed = draw(st.booleans())
    pictures = draw(st.integers(0, 4))
    count = pictures if well_formed else draw(st.integers(0, 4))
    formats = [0x20030000, 0x00010001] if well_formed else [0x20030000, 0x07000000]
    entries = b"".join(
        struct.pack(order + "LLLHH", draw(st.sampled_from(formats)), 100, 5000 * i, 0, 0)
        for i in range(pictures)
    )
    count_kind = 4 if well_formed else draw(st.sampled_from([4, 3, 7, 5]))
    entry_kind = 7 if well_formed else draw(st.sampled_from([7, 1, 2, 3]))
    tags = [
        struct.pack(order + "HHL", 0xB000, 7, 4) + b"0100",
        struct.pack(order + "HHL", 0xB001, count_kind, 1) + struct.pack(order + "L", count),
        struct.pack(order + "HHLL", 0xB002, entry_kind, len(entries), 50),
    ]
    kept = [0, 1, 2]
    if not well_formed:
        kept = draw(st.lists(st.sampled_from(kept), min_size=1, max_size=3, unique=True))
    ifd = struct.pack(order + "H", len(kept)) + b"".join(tags[i] for i in sorted(kept))
    body = (b"II*\x00" if order == "<" else b"MM\x00*") + struct.pack(order + "L", 8)
    body += ifd + b"\0\0\0\0"
    body = body.ljust(50, b"\0") + entries
    return b"MPF\x00" + body


@SETTINGS
@given(mpf=mpf_segments())
def test_any_mpf_index(mpf: bytes) -> None:
    """MPO or JPEG, the facts are the same; a malformed index is a note (from Pillow)."""
    assert_same(with_segments([(0xE2, mpf)]))


@st.composite
def photoshop_segments(draw: st.DrawFn) -> bytes:
    resources = b""
    for _ in range(draw(st.integers(0, 3))):
        code = draw(st.sampled_from([0x03ED, 0x0404, 0x040C]))
        name = draw(st.binary(max_size=3))
        size = draw(st.integers(0, 20))
        value = draw(st.binary(min_size=size, max_size=size))
        entry = b"8BIM" + struct.pack(">HB", code, len(name)) + name
        entry += b"\0" * (len(entry) % 2) + struct.pack(">I", size) + value
        resources += entry + b"\0" * (len(value) % 2)
    payload = b"Photoshop 3.0\x00" + resources
    return payload[: draw(st.integers(14, len(payload)))]


@SETTINGS
@given(payload=photoshop_segments())
def test_any_photoshop_resources(payload: bytes) -> None:
    assert_same(with_segments([(0xED, payload)]))


JPEG_SEGMENTS = st.sampled_from(
    [
        (0xE0, b"JFIF\x00\x01\x02\x02\x00\x10\x00\x10\x00\x00"),  # density in cm
        (0xE0, b"JFIF\x00\x01"),  # shorter than Pillow reads
        (0xEE, b"Adobe\x00\x64\x00\x00\x00\x00\x02"),  # YCCK
        (0xEE, b"Adobe"),  # cut short
        (0xE2, b"ICC_PROFILE\x00\x01\x01" + SRGB[:100]),
        (0xE2, b"ICC_PROFILE\x00"),  # shorter than its header
        (0xE2, b"FPXR\x00stuff"),
        (0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + xmp_packet(5)),
        (0xFE, b"a comment"),
        (0xDD, b"\x00\x04"),  # DRI
        (0xEA, b"an application's own data"),
        (0xDB, b"\x00" + bytes(64)),  # an 8-bit quantisation table
        (0xDB, b"\x10" + bytes(128)),  # a 16-bit one
        (0xDB, b"\x00" + bytes(30)),  # cut short
    ]
)


@SETTINGS
@given(before=st.lists(JPEG_SEGMENTS, max_size=5), jfif=st.booleans())
def test_segments_pillow_reads_in_any_order(before: list[tuple[int, bytes]], jfif: bool) -> None:
    assert_same(with_segments(before, jfif=jfif))


def frame_header(bits: int, height: int, width: int, components: int, extra: bytes = b"") -> bytes:
    entries = b"".join(bytes([i + 1, 0x11, 0]) for i in range(components))
    return struct.pack(">BHHB", bits, height, width, components) + entries + extra


@pytest.mark.parametrize(
    "frame",
    [
        (0xC0, frame_header(12, 8, 8, 3)),  # 12-bit: Pillow refuses it
        (0xC1, frame_header(8, 8, 8, 2)),  # two components: Pillow refuses them
        (0xC2, frame_header(8, 0, 8, 3)),  # a height of 0
        (0xC3, frame_header(8, 8, 8, 3, b"\x04")),  # a component entry cut short
        (0xC0, frame_header(8, 8, 8, 3)[:4]),  # the frame header cut short
        (0xC9, frame_header(8, 9, 11, 1)),  # arithmetic coding: read as any frame
        (0xCF, frame_header(8, 9, 11, 4)),
    ],
)
def test_frame_headers(frame: tuple[int, bytes]) -> None:
    own = [(m, p) for m, p in jpeg_segments(BASE_JPEG) if m not in (0xC0,)]
    assert_same(rebuilt_jpeg(BASE_JPEG, [frame, *own]))


@pytest.mark.parametrize(
    "between",
    [
        b"\xff\xff\xff",  # fill bytes: read as Pillow reads them
        b"\x00\x01",  # junk: Pillow skips it
        b"\xff\xd0",  # RST0 outside a scan
        b"\xff\x01",  # TEM: Pillow refuses it
        b"\xff\xd8",  # a second SOI
    ],
)
def test_between_segments(between: bytes) -> None:
    own = jpeg_segments(BASE_JPEG)
    end = 2 + sum(4 + len(p) for _, p in own)
    head = b"\xff\xd8" + b"".join(segment(m, p) for m, p in own[:2])
    rest = b"".join(segment(m, p) for m, p in own[2:])
    assert_same(head + between + rest + BASE_JPEG[end:])


@SETTINGS
@given(data=st.data(), source=pillow_jpegs())
def test_cut_or_damaged_jpegs(data: st.DataObject, source: bytes) -> None:
    header = 2 + sum(4 + len(p) for _, p in jpeg_segments(source))
    assert_same(cut_or_changed(source, data, within=header + 8))


def test_a_header_longer_than_the_first_read_is_read_on() -> None:
    """A 60 KB APP1 before the frame header: the reader reads past its first 4 KiB."""
    data = with_segments([(0xE1, b"Exif\x00\x00" + exif_block(6, "<").tobytes()[6:]),
                          (0xEB, bytes(60_000))])  # fmt: skip
    facts = assert_same(data, by_reader=True)
    assert isinstance(facts, MediaFacts) and facts.orientation == 6


# ---------------------------------------------------------------------------------------------
# PNG


@st.composite
def pillow_pngs(draw: st.DrawFn) -> bytes:
    mode = draw(st.sampled_from(["1", "L", "LA", "P", "RGB", "RGBA", "I;16"]))
    size = (draw(st.integers(1, 30)), draw(st.integers(1, 30)))
    image = Image.new(mode, size)
    options: dict[str, object] = {"optimize": draw(st.booleans())}
    if mode in ("P", "L", "RGB", "1", "I;16") and draw(st.booleans()):
        if mode == "P" and draw(st.booleans()):
            options["transparency"] = bytes(draw(st.lists(st.integers(0, 255), max_size=8)))
        elif mode == "RGB":
            options["transparency"] = (1, 2, 3)
        else:
            options["transparency"] = 0
    if draw(st.booleans()):
        options["exif"] = exif_block(draw(st.integers(0, 9)), draw(st.sampled_from("<>")))
    if mode in ("RGB", "RGBA", "P", "L") and draw(st.booleans()):
        options["icc_profile"] = SRGB
    if draw(st.booleans()):
        info = PngImagePlugin.PngInfo()
        for key, value, kind in draw(st.lists(st.tuples(
            st.sampled_from(["Title", "XML:com.adobe.xmp", "Raw profile type exif", "Software"]),
            st.sampled_from(["plain", xmp_packet(6).decode(), "\nexif\n   10\nzz"]),
            st.sampled_from(["text", "ztxt", "itxt", "itxt-zip"])), max_size=3)):  # fmt: skip
            if kind == "text":
                info.add_text(key, value)
            elif kind == "ztxt":
                info.add_text(key, value, zip=True)
            else:
                info.add_itxt(key, value, zip=kind == "itxt-zip")
        options["pnginfo"] = info
    if mode in ("RGB", "RGBA", "P", "L") and draw(st.booleans()):  # APNG
        others = [Image.new(mode, size, 1) for _ in range(draw(st.integers(1, 3)))]
        options.update(save_all=True, append_images=others, default_image=draw(st.booleans()))
    return encoded(image, "PNG", **options)


@SETTINGS
@given(data=pillow_pngs())
def test_pillow_written_pngs_are_read_as_pillow_reads_them(data: bytes) -> None:
    assert_same(data, by_reader=True)


@pytest.mark.parametrize(
    ("mode", "transparency", "expected"),
    [
        ("1", None, ("1", False)),
        ("L", None, ("L", False)),
        ("L", 7, ("L", True)),
        ("LA", None, ("LA", True)),
        ("P", None, ("P", False)),
        ("P", 3, ("P", True)),
        ("P", b"\x00\x80\xff", ("P", True)),
        ("RGB", None, ("RGB", False)),
        ("RGB", (1, 2, 3), ("RGB", True)),
        ("RGBA", None, ("RGBA", True)),
        ("I;16", None, ("I;16", False)),
        ("I;16", 300, ("I;16", True)),
    ],
)
def test_modes_and_transparency(
    mode: str, transparency: object, expected: tuple[str, bool]
) -> None:
    options = {} if transparency is None else {"transparency": transparency}
    facts = assert_same(encoded(Image.new(mode, (5, 4)), "PNG", **options), by_reader=True)
    assert isinstance(facts, MediaFacts)
    assert (facts.mode, facts.has_alpha) == expected


@pytest.mark.parametrize(
    ("depth", "colour"),
    [(d, c) for c in (0, 2, 3, 4, 6) for d in (1, 2, 4, 8, 16)] + [(8, 1), (8, 5), (3, 0)],
)
@pytest.mark.parametrize("interlace", [0, 1])
def test_every_bit_depth_and_colour_type(depth: int, colour: int, interlace: int) -> None:
    """Pairs Pillow has a mode for are read by the reader; the others go to Pillow."""
    data = png_bytes([], depth=depth, colour=colour, interlace=interlace)
    usable = (depth, colour) in {(1, 0), (2, 0), (4, 0), (8, 0), (16, 0), (8, 2), (16, 2),
                                 (1, 3), (2, 3), (4, 3), (8, 3), (8, 4), (16, 4), (8, 6),
                                 (16, 6)}  # fmt: skip
    assert_same(data, by_reader=usable)


@pytest.mark.parametrize("default_image", [False, True])
def test_apng_frames(default_image: bool) -> None:
    frames = [Image.new("RGBA", (8, 8), (i * 40, 0, 0, 255)) for i in range(4)]
    data = encoded(frames[0], "PNG", save_all=True, append_images=frames[1:],
                   default_image=default_image)  # fmt: skip
    facts = assert_same(data, by_reader=True)
    assert isinstance(facts, MediaFacts)
    assert facts.frames == (4 if not default_image else 3 + 1)


TEXT_KEYS = st.sampled_from([b"Title", b"transparency", b"XML:com.adobe.xmp", b"exif", b"xmp",
                             b"Raw profile type exif", b""])  # fmt: skip
TEXT_VALUES = st.sampled_from(
    [
        b"plain",
        xmp_packet(3),
        b"\nexif\n   4\n" + exif_block(8, ">").tobytes()[6:].hex().encode(),
        b"\nexif\n   4\nxyz",
        b"\xff\xfe",
        bytes(3000),
    ]
)


@st.composite
def png_chunks(draw: st.DrawFn) -> bytes:
    name = draw(st.sampled_from([b"tEXt", b"zTXt", b"iTXt", b"tRNS", b"gAMA", b"cHRM", b"sRGB",
                                 b"pHYs", b"iCCP", b"eXIf", b"acTL", b"fcTL", b"PLTE", b"sBIT",
                                 b"prVt", b"IEND", b"fdAT", b"IHDR", b"a b?"]))  # fmt: skip
    key, value = draw(TEXT_KEYS), draw(TEXT_VALUES)
    if name == b"tEXt":
        payload = key + b"\0" + value
    elif name == b"zTXt":
        method = draw(st.sampled_from([0, 0, 1]))
        payload = (
            key
            + b"\0"
            + bytes([method])
            + draw(
                st.sampled_from(
                    [zlib.compress(value), b"not zlib", zlib.compress(bytes(2_000_000))]
                )
            )
        )
    elif name == b"iTXt":
        flag, method = draw(st.sampled_from([(0, 0), (1, 0), (1, 1)]))
        text = zlib.compress(value) if flag and draw(st.booleans()) else value
        payload = key + b"\0" + bytes([flag, method]) + b"en\0" + b"Title\0" + text
    elif name == b"iCCP":
        payload = b"sRGB\0" + draw(st.sampled_from([b"\0" + zlib.compress(SRGB), b"\1xx",
                                                    b"\0not zlib", b""]))  # fmt: skip
    elif name == b"eXIf":
        payload = draw(tiff_entries())
    elif name == b"acTL":
        payload = struct.pack(">II", draw(st.sampled_from([0, 1, 3, 2**31 + 1])), 0)
    elif name == b"fcTL":
        sequence = draw(st.integers(0, 2))
        payload = struct.pack(">IIIIIHHBB", sequence, 3, 2, 0, draw(st.integers(0, 1)), 1, 10, 0, 0)
    else:
        payload = draw(st.binary(max_size=40))
    cut = draw(st.one_of(st.none(), st.integers(0, len(payload))))
    return chunk(name, payload if cut is None else payload[:cut],
                 crc=draw(st.sampled_from([None, None, None, 0])))  # fmt: skip


@SETTINGS
@given(
    chunks=st.lists(png_chunks(), max_size=5),
    colour=st.sampled_from([0, 2, 3, 4, 6]),
)
def test_any_chunks_before_the_pixels(chunks: list[bytes], colour: int) -> None:
    assert_same(png_bytes(chunks, colour=colour))


@SETTINGS
@given(data=st.data(), source=pillow_pngs())
def test_cut_or_damaged_pngs(data: st.DataObject, source: bytes) -> None:
    header = source.find(b"IDAT") + 8
    assert_same(cut_or_changed(source, data, within=header))


@SETTINGS
@given(structure=tiff_entries())
def test_any_exif_in_a_png(structure: bytes) -> None:
    assert_same(png_bytes([chunk(b"eXIf", structure)]))


# ---------------------------------------------------------------------------------------------
# GIF


@SETTINGS
@given(data=pillow_gifs())
def test_pillow_written_gifs_are_read_as_pillow_reads_them(data: bytes) -> None:
    assert_same(data, by_reader=True)


@SETTINGS
@given(data=built_gifs())
def test_block_built_gifs(data: bytes) -> None:
    """Empty and unknown extensions, junk between blocks, local tables, comments."""
    assert_same(data)


@SETTINGS
@given(data=pillow_gifs(), where=WHERE, value=st.integers(0, 255), cut=st.booleans())
def test_cut_or_damaged_gifs(data: bytes, where: int, value: int, cut: bool) -> None:
    where %= len(data)
    assert_same(data[:where] if cut else data[:where] + bytes([value]) + data[where + 1 :])


def gif_screen(width: int, height: int, table: bytes | None) -> bytes:
    flags = 0x80 | 7 if table is not None else 0
    return b"GIF89a" + struct.pack("<HHBBB", width, height, flags, 0, 0) + (table or b"")


def gif_frame(
    size: tuple[int, int] = (16, 16),
    at: tuple[int, int] = (0, 0),
    table: bytes | None = None,
    control: bytes | None = None,
) -> bytes:
    flags = 0x80 | 7 if table is not None else 0
    out = b"" if control is None else b"!\xf9" + bytes([len(control)]) + control + b"\x00"
    out += b"," + struct.pack("<HHHHB", *at, *size, flags) + (table or b"")
    return out + b"\x08\x02\x4c\x01\x00"


COLOURS = bytes(range(256)) * 3
GREY = GREY_RAMP


@pytest.mark.parametrize(
    ("screen_table", "frame_table", "control", "expected"),
    [
        (COLOURS, None, None, ("P", False)),
        (GREY, None, None, ("L", False)),
        (None, None, None, ("L", False)),
        (GREY, COLOURS, None, ("P", False)),  # the frame's own table decides
        (COLOURS, GREY, None, ("L", False)),
        (COLOURS, None, b"\x01\x00\x00\x05", ("P", True)),  # a transparent index
        (COLOURS, None, b"\x00\x00\x00\x05", ("P", False)),
        (COLOURS, None, b"\x09\x00\x00\x05", ("P", True)),  # disposal 2, transparent
        (COLOURS, None, b"\x0d\x00\x00\x05", ("P", True)),  # disposal 3, transparent
    ],
)
def test_gif_modes_and_transparency(
    screen_table: bytes | None, frame_table: bytes | None, control: bytes | None,
    expected: tuple[str, bool],
) -> None:  # fmt: skip
    data = gif_screen(16, 16, screen_table) + gif_frame(table=frame_table, control=control)
    facts = assert_same(data + gif_frame() + b";", by_reader=True)
    assert isinstance(facts, MediaFacts)
    assert (facts.mode, facts.has_alpha, facts.frames) == (*expected, 2)


@pytest.mark.parametrize(
    "first",
    [
        gif_frame(size=(20, 16)),  # wider than the screen: Pillow grows the picture
        gif_frame(at=(8, 8)),  # reaches past the screen
        gif_frame(size=(0, 16), control=b"\x08\x00\x00\x00"),  # disposal 2 of nothing
        b"junk" + gif_frame(),  # bytes Pillow skips one at a time
        b"!\x01\x00" + gif_frame(),  # an extension with no sub-block
        b"!\xf9\x02\x01\x00\x00" + gif_frame(),  # a graphic control block cut short
        b";",  # no frame
    ],
)
def test_gifs_the_reader_leaves_to_pillow(first: bytes) -> None:
    assert_same(gif_screen(16, 16, COLOURS) + first + gif_frame() + b";", by_reader=False)


def test_a_huge_disposal_area_is_pillows_bomb_check() -> None:
    control = b"\x08\x00\x00\x00"  # disposal 2: Pillow fills the frame's area
    data = gif_screen(40_000, 40_000, COLOURS) + gif_frame(size=(40_000, 40_000), control=control)
    assert_same(data, by_reader=False)
    assert_same(gif_screen(4_000, 4_000, COLOURS) + gif_frame(size=(4_000, 4_000)), by_reader=True)


def test_many_small_frames_and_one_large_one() -> None:
    big = DESCRIPTOR + (b"\xff" + bytes(255)) * 3000 + b"\x05" + bytes(5) + b"\x00"
    small = gif_frame(control=b"\x00\x0a\x00\x00")
    data = SCREEN + big + small * 300 + b";"
    facts = assert_same(data, by_reader=True)
    assert isinstance(facts, MediaFacts) and facts.frames == 301


def test_a_gif_larger_than_a_chunk_is_read_in_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    small = gif_frame(control=b"\x00\x0a\x00\x00")
    data = SCREEN + small * 500 + b";"
    for chunk_size in (64, 1000, 4096):
        monkeypatch.setattr(gif, "CHUNK", chunk_size)
        facts = assert_same(data, by_reader=True)
        assert isinstance(facts, MediaFacts) and facts.frames == 500


# ---------------------------------------------------------------------------------------------
# WebP's EXIF chunk


def webp_with_exif(structure: bytes) -> bytes:
    still = encoded(Image.new("RGB", (8, 8)), "WEBP", lossless=True)
    picture = still[12:]  # the VP8L chunk
    vp8x = b"VP8X" + struct.pack("<I", 10) + bytes([0x08, 0, 0, 0]) + (7).to_bytes(3, "little")
    vp8x += (7).to_bytes(3, "little")
    exif_chunk = b"EXIF" + struct.pack("<I", len(structure)) + structure
    exif_chunk += b"\0" * (len(structure) % 2)
    body = b"WEBP" + vp8x + picture + exif_chunk
    return b"RIFF" + struct.pack("<I", len(body)) + body


@SETTINGS
@given(structure=tiff_entries(), prefix=st.sampled_from([b"", b"Exif\x00\x00"]))
def test_any_exif_in_a_webp(structure: bytes, prefix: bytes) -> None:
    data = webp_with_exif(prefix + structure)
    with written(data) as path:
        found = verdict(path)
        unsure: Callable[..., object] = lambda *args: exif.UNSURE  # noqa: E731
        with mock.patch.object(exif, "orientation_of", unsure):
            assert found == verdict(path)  # Pillow's Exif, as before


# ---------------------------------------------------------------------------------------------
# a source that fails part-way (a remote object whose fetch breaks)


class FailingSource:
    """Bytes by offset that raise OSError past ``limit``, as a remote source does when a
    range request fails."""

    def __init__(self, data: bytes, limit: int) -> None:
        self._data = data
        self._limit = limit
        self.size = len(data)

    def read_at(self, offset: int, length: int) -> bytes:
        if offset + length > self._limit and offset + 1 < self.size:
            raise OSError("the range request failed")
        return self._data[offset : offset + length]

    def prefetch(self, offset: int, length: int) -> None:
        """Nothing to prefetch."""


def source_verdict(data: bytes, limit: int) -> object:
    try:
        return inspect_source(FailingSource(data, limit), "remote.img")
    except (UnreadableMediaError, OSError) as exc:
        return (type(exc).__name__, str(exc))


@pytest.mark.parametrize("limit", [4096, 9000, 70_000, 10**9])
@pytest.mark.parametrize(
    "data",
    [
        with_segments([(0xEB, bytes(60_000))]),  # the frame header past the first 4 KiB
        png_bytes(
            [
                chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(bytes(50_000))),
                chunk(b"prVt", bytes(20_000)),
            ]
        ),
        SCREEN + (DESCRIPTOR + (b"\xff" + bytes(255)) * 300 + b"\x00") * 3 + b";",
    ],
    ids=["jpeg", "png", "gif"],
)
def test_a_failed_read_part_way_ends_as_it_did(data: bytes, limit: int) -> None:
    found = source_verdict(data, limit)
    with mock.patch.object(images, "_read_header", return_value=None):
        assert found == source_verdict(data, limit)


# ---------------------------------------------------------------------------------------------
# real files


def real_images() -> list[Path]:
    if not REALMEDIA.is_dir():
        return []
    magic = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")
    found = []
    for path in sorted(REALMEDIA.rglob("*")):
        if path.is_file():
            with path.open("rb") as fp:
                if fp.read(8).startswith(magic):
                    found.append(path)
    return found


@pytest.mark.parametrize("path", real_images(), ids=lambda p: p.name)
def test_real_files_read_as_pillow_reads_them(path: Path) -> None:
    assert verdict(path) == pillow_verdict(path)


def test_real_files_are_there_or_skipped() -> None:
    if not REALMEDIA.is_dir():
        pytest.skip("../shared/realmedia is not here")
    assert len(real_images()) >= 40


# ---------------------------------------------------------------------------------------------
# Pillow stays out of a header read


def test_a_jpeg_png_or_gif_check_does_not_import_pillow(tmp_path: Path) -> None:
    """Importing Pillow costs more than the check itself: the readers never do."""
    made = {
        "a.jpg": encoded(Image.new("RGB", (8, 8)), "JPEG", exif=exif_block(6, "<")),
        "a.png": encoded(Image.new("RGBA", (8, 8)), "PNG"),
        "a.gif": encoded(
            Image.new("P", (8, 8)), "GIF", save_all=True, append_images=[Image.new("P", (8, 8), 1)]
        ),
    }
    for name, data in made.items():
        (tmp_path / name).write_bytes(data)
    code = (
        "import sys, mediarules\n"
        f"for name in {sorted(made)!r}:\n"
        f"    mediarules.inspect({str(tmp_path)!r} + '/' + name)\n"
        "print(sorted(m for m in sys.modules if m.startswith('PIL.')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout


def test_changed_pillow_settings_send_files_to_pillow(monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import GifImagePlugin, ImageFile

    png_data = encoded(Image.new("RGB", (8, 8)), "PNG")
    gif_data = encoded(Image.new("P", (8, 8)), "GIF")
    assert_same(png_data, by_reader=True)
    assert_same(gif_data, by_reader=True)
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    assert_same(png_data, by_reader=False)
    monkeypatch.setattr(
        GifImagePlugin, "LOADING_STRATEGY", GifImagePlugin.LoadingStrategy.RGB_ALWAYS
    )
    facts = assert_same(gif_data, by_reader=False)
    assert isinstance(facts, MediaFacts) and facts.mode == "RGB"  # what Pillow now says


def test_pictures_with_impossible_sizes_stay_unreadable() -> None:
    data = png_bytes([], size=(2**31 + 5, 4))
    found = assert_same(data)
    assert isinstance(found, tuple) and found[0] == "corrupt"
