"""The home-made readers tell truth from headers (issue 11, "Wrong answers").

A header is not a picture: a WebP needs its image chunk whole, as libwebp does (Pillow is the
oracle). An ISO base media file is an MP4 or a MOV by its structure and brands, whatever
MediaInfo calls it, and its raw brand is a fact of its own. A file is a video only in a
container mediarules knows as video: a FLIC animation Pillow cannot read is not one. Pillow's
warnings about a file end up in its facts, never on stderr, thread by thread.

Every input is made here: Pillow and PyAV files, patched or cut, and hand-written bytes.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import av
import pytest
from PIL import Image, UnidentifiedImageError, features

import mediarules
from mediarules.inspection import UnreadableMediaError, convert, inspect
from mediarules.models import Report
from tests.media import make_clip, make_image

REPO = Path(__file__).resolve().parent.parent
REALMEDIA = REPO.parent / "shared" / "realmedia"

# ---------------------------------------------------------------------------------------------
# helpers


def unreadable(path: Path) -> UnreadableMediaError:
    with pytest.raises(UnreadableMediaError) as caught:
        inspect(path)
    return caught.value


def pillow_loads(path: Path) -> bool:
    """The oracle: whether Pillow (libwebp, libtiff...) decodes the file."""
    try:
        with Image.open(path) as im:
            im.load()
    except Exception:
        return False
    return True


def codes(report: Report) -> list[str]:
    return [v.code for v in report.violations]


def chunk(fourcc: bytes, payload: bytes) -> bytes:
    padding = b"\0" if len(payload) % 2 else b""
    return fourcc + struct.pack("<I", len(payload)) + payload + padding


def riff(*chunks: bytes) -> bytes:
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def vp8x(width: int, height: int, *, animated: bool = False) -> bytes:
    flags = 0x02 if animated else 0
    size = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return chunk(b"VP8X", bytes([flags, 0, 0, 0]) + size)


def webp_chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    """(fourcc, offset, payload length) of each top-level chunk of a WebP."""
    found, position = [], 12
    while position + 8 <= len(data):
        (length,) = struct.unpack_from("<I", data, position + 4)
        found.append((data[position : position + 4], position, length))
        position += 8 + length + (length & 1)
    return found


def pillow_webp(tmp_path: Path, name: str, **options: object) -> Path:
    """A real WebP with noise (so the bitstream is not tiny)."""
    frames = int(options.pop("frames", 1))  # type: ignore[call-overload]
    mode = str(options.pop("mode", "RGB"))
    size = (37, 21)
    images = [Image.frombytes(mode, size, os.urandom(37 * 21 * len(mode))) for _ in range(frames)]
    if frames > 1:
        options.update(save_all=True, append_images=images[1:], duration=80)
    path = tmp_path / name
    images[0].save(path, "WEBP", **options)
    return path


# ---------------------------------------------------------------------------------------------
# WebP: the picture itself must be there, whole


def test_a_30_byte_vp8x_header_is_not_a_30x30_image(tmp_path: Path) -> None:
    path = tmp_path / "banner.webp"
    path.write_bytes(riff(vp8x(30, 30)))
    assert path.stat().st_size == 30
    assert not pillow_loads(path)
    error = unreadable(path)
    assert "no picture" in str(error)
    report = mediarules.check([path], platforms=["x"])
    assert codes(report) == ["media.unreadable"]
    assert not report.ok
    assert report.media[0].kind is None and report.media[0].width is None


@pytest.mark.parametrize(
    "options", [{}, {"lossless": True, "mode": "RGBA"}, {"frames": 3}], ids=str
)
def test_a_webp_cut_inside_its_image_data_is_unreadable(
    tmp_path: Path, options: dict[str, object]
) -> None:
    path = pillow_webp(tmp_path, "whole.webp", **options)
    data = path.read_bytes()
    fourcc, offset, length = next(
        c for c in webp_chunks(data) if c[0] in (b"VP8 ", b"VP8L", b"ANMF")
    )
    cut = tmp_path / "cut.webp"
    cut.write_bytes(data[: offset + 8 + length // 2])
    assert not pillow_loads(cut)
    error = unreadable(cut)  # "corrupt", as any image cut short is (test_inspect.py)
    assert error.reason == "corrupt" and "cut short" in str(error)
    # The RIFF size made to agree with the cut: the chunk itself still ends past the file.
    fixed = bytearray(cut.read_bytes())
    struct.pack_into("<I", fixed, 4, len(fixed) - 8)
    cut.write_bytes(fixed)
    assert not pillow_loads(cut)
    error = unreadable(cut)
    assert error.reason == "corrupt" and f"the '{fourcc.decode('latin-1')}' chunk" in str(error)


def test_an_animation_needs_frames_that_hold_pictures(tmp_path: Path) -> None:
    anim = chunk(b"ANIM", bytes(6))
    frame_header = bytes(6) + (36).to_bytes(3, "little") + (20).to_bytes(3, "little") + bytes(4)
    cases = {
        "no ANMF": riff(vp8x(37, 21, animated=True), anim),
        "no ANIM": riff(vp8x(37, 21, animated=True), chunk(b"ANMF", frame_header + bytes(8))),
        "empty frame": riff(vp8x(37, 21, animated=True), anim, chunk(b"ANMF", frame_header)),
        "frame without picture": riff(
            vp8x(37, 21, animated=True), anim, chunk(b"ANMF", frame_header + chunk(b"ALPH", b"x"))
        ),
    }
    for name, data in cases.items():
        path = tmp_path / f"{name}.webp"
        path.write_bytes(data)
        assert not pillow_loads(path), name
        assert unreadable(path).reason == "corrupt", name


def test_a_real_animation_reads_as_pillow_reads_it(tmp_path: Path) -> None:
    path = pillow_webp(tmp_path, "loop.webp", frames=4)
    facts = inspect(path)
    with Image.open(path) as im:
        assert (facts.kind, facts.format, facts.frames) == (
            "image",
            "webp",
            getattr(im, "n_frames", 1),
        )
        assert (facts.width, facts.height) == im.size


def test_a_still_picture_must_match_its_vp8x_canvas(tmp_path: Path) -> None:
    data = pillow_webp(tmp_path, "p.webp", lossless=True).read_bytes()
    image = data[12:]  # the VP8L chunk of a simple-format file
    path = tmp_path / "mismatch.webp"
    path.write_bytes(riff(vp8x(40, 21), image))
    assert not pillow_loads(path)
    assert "canvas" in str(unreadable(path))
    path.write_bytes(riff(vp8x(37, 21), image))
    assert pillow_loads(path)
    assert (inspect(path).width, inspect(path).height) == (37, 21)


@pytest.mark.parametrize(
    "options", [{}, {"lossless": True, "mode": "RGBA"}, {"frames": 2}, {"exif": b"Exif\0\0"}]
)
def test_every_cut_of_a_webp_is_readable_exactly_when_pillow_decodes_it(
    tmp_path: Path, options: dict[str, object]
) -> None:
    if "exif" in options:
        exif = Image.Exif()
        exif[0x0112] = 6
        options = {"exif": exif.tobytes()}
    data = pillow_webp(tmp_path, "w.webp", **options).read_bytes()
    path = tmp_path / "cut.webp"
    for cut in sorted({*range(12, 60), *range(60, len(data) + 1, max(1, len(data) // 40))}):
        path.write_bytes(data[:cut])
        try:
            inspect(path)
        except UnreadableMediaError:
            ours = False
        else:
            ours = True
        assert ours == pillow_loads(path), f"cut at {cut} of {len(data)}"


# ---------------------------------------------------------------------------------------------
# ISO base media: the container from structure and brands, the brand kept as it is


@pytest.mark.parametrize(
    ("general", "short"),
    [
        (("iso6", "iso6", None), "mp4"),
        (("wmf ", "wmf ", None), "mp4"),
        (("0x00000000", "0x00000000", None), "mp4"),
        (("QT  ", "QT  ", None), "mp4"),  # only "qt  " is QuickTime's
        (("MPEG-4", "qt  ", None), "mov"),
        (("heic", "heic", None), "heif"),
        (("avis", "avis", None), "avif"),
        (("FLIC", None, None), "flic"),
    ],
)
def test_mediainfo_s_brand_named_formats_become_container_names(
    general: tuple[str, str | None, None], short: str
) -> None:
    name = convert.container_name(*general)
    assert name == short
    assert (name in convert.VIDEO_CONTAINERS) == (short in ("mp4", "mov"))


def with_brand(source: Path, target: Path, brand: bytes) -> Path:
    data = bytearray(source.read_bytes())
    assert data[4:8] == b"ftyp"
    data[8:12] = brand
    target.write_bytes(data)
    return target


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    fragmented = folder / "fragmented.mp4"
    with av.open(str(fragmented), "w", options={"movflags": "frag_keyframe+empty_moov"}) as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(15):
            picture = Image.new("RGB", (64, 48), (index * 16, 90, 160))
            frame = av.VideoFrame.from_image(picture)  # type: ignore[no-untyped-call]
            frame.pts = index
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return {
        "plain": make_clip(folder / "plain.mp4", frames=15),
        "mov": make_clip(folder / "plain.mov", frames=15),
        "fragmented": fragmented,
    }


@pytest.fixture(scope="module")
def warm_mediainfo(clips: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> None:
    """One MediaInfo parse first, so that a cold worker is not what the test measures."""
    inspect(with_brand(clips["fragmented"], tmp_path_factory.mktemp("w") / "w.mp4", b"isom"))


@pytest.mark.parametrize("brand", [b"wmf ", b"iso6", b"ianb", b"dash", b"\0\0\0\0"])
@pytest.mark.parametrize("clip", ["plain", "fragmented"])
def test_an_unknown_or_generic_brand_is_an_mp4_with_its_brand_kept(
    clips: dict[str, Path], tmp_path: Path, warm_mediainfo: None, brand: bytes, clip: str
) -> None:
    path = with_brand(clips[clip], tmp_path / "x.mp4", brand)
    facts = inspect(path)
    assert (facts.kind, facts.format, facts.video_codec) == ("video", "mp4", "h264")
    assert facts.brand == brand.decode("latin-1")
    report = mediarules.check([path], platforms=["tiktok", "x", "linkedin"])
    assert "media.format_mismatch" not in codes(report)
    titles = [v.fix.title for v in report.violations if v.fix is not None]
    assert not any(brand.decode("latin-1").strip() in title for title in titles if title)


def test_the_planned_rename_names_a_real_container(clips: dict[str, Path], tmp_path: Path) -> None:
    """A ``wmf `` MP4 named ``.mov``: the fix renames it to ``.mp4``, never ``.wmf``."""
    path = with_brand(clips["plain"], tmp_path / "x.mov", b"wmf ")
    report = mediarules.check([path], platforms=["x"])
    mismatch = [v for v in report.violations if v.code == "media.format_mismatch"]
    assert len(mismatch) == 1 and mismatch[0].fix is not None
    assert mismatch[0].fix.title == "Save a copy named x.mp4"


@pytest.mark.parametrize("clip", ["plain", "mov"])
def test_qt_is_a_mov_whatever_the_writer(clips: dict[str, Path], tmp_path: Path, clip: str) -> None:
    path = with_brand(clips[clip], tmp_path / "x.mov", b"qt  ")
    facts = inspect(path)
    assert (facts.kind, facts.format, facts.brand) == ("video", "mov", "qt  ")


def test_a_fragmented_mp4_from_pyav_is_an_mp4(clips: dict[str, Path], warm_mediainfo: None) -> None:
    facts = inspect(clips["fragmented"])
    assert (facts.kind, facts.format, facts.brand) == ("video", "mp4", "isom")
    assert (facts.width, facts.height) == (64, 48)


@pytest.mark.parametrize("brand", [b"heic", b"mif1", b"avis", b"msf1"])
def test_a_heif_brand_is_an_image_never_a_video(
    clips: dict[str, Path], tmp_path: Path, brand: bytes
) -> None:
    path = with_brand(clips["plain"], tmp_path / "x.mp4", brand)
    error = unreadable(path)  # by Pillow's AVIF plugin (mif1), or as no image Pillow reads
    assert error.reason in ("unrecognised", "corrupt") and "AVIF" in str(error)
    data = bytearray(clips["plain"].read_bytes())
    data[16:20] = brand  # a compatible brand says image too
    path.write_bytes(data)
    assert "AVIF" in str(unreadable(path))


def test_an_unknown_brand_without_a_movie_box_is_not_a_video(tmp_path: Path) -> None:
    path = tmp_path / "x.mp4"
    ftyp = struct.pack(">I4s4sI4s", 20, b"ftyp", b"zzzz", 0, b"zzzz")
    path.write_bytes(ftyp + struct.pack(">I4s", 108, b"mdat") + os.urandom(100))
    assert unreadable(path).reason in ("unrecognised", "corrupt")


@pytest.mark.skipif(features.check("avif") is not True, reason="Pillow built without AVIF")
def test_an_avif_image_keeps_its_brand(tmp_path: Path) -> None:
    facts = inspect(make_image(tmp_path / "p.avif", format="AVIF"))
    assert (facts.kind, facts.format, facts.brand) == ("image", "avif", "avif")


# ---------------------------------------------------------------------------------------------
# only what was truly read becomes a kind: FLIC


def flic(*, magic: int = 0xAF12, frames: int = 2, extension_flags: int = 0) -> bytes:
    """A FLIC animation, 32x24, each frame one BLACK chunk (Pillow cannot write FLIC).

    ``extension_flags`` (offset 42, used by some writers) makes Pillow's plugin refuse the file
    while MediaInfo still finds a "video" track in it.
    """
    black = struct.pack("<IH", 6, 13)
    frame = struct.pack("<IHH8x", 16 + len(black), 0xF1FA, 1) + black
    head = bytearray(128)
    struct.pack_into(
        "<IHHHHHHI", head, 0, 128 + frames * len(frame), magic, frames, 32, 24, 8, 3, 5
    )
    struct.pack_into("<H", head, 42, extension_flags)
    struct.pack_into("<II", head, 80, 128, 128 + len(frame))
    return bytes(head) + frame * frames


@pytest.mark.parametrize(("name", "magic"), [("anim.flc", 0xAF12), ("anim.fli", 0xAF11)])
def test_a_flic_pillow_cannot_read_is_unreadable_not_a_video(
    tmp_path: Path, warm_mediainfo: None, name: str, magic: int
) -> None:
    good = tmp_path / f"good-{name}"
    good.write_bytes(flic(magic=magic))
    facts = inspect(good)
    assert (facts.kind, facts.format, (facts.width, facts.height)) == ("image", "fli", (32, 24))
    bad = tmp_path / name
    bad.write_bytes(flic(magic=magic, extension_flags=1))
    with pytest.raises(UnidentifiedImageError):
        Image.open(bad)
    error = unreadable(bad)
    assert "not a video container" in str(error)
    report = mediarules.check([bad], platforms=["tiktok"])
    assert codes(report)[0] == "media.unreadable"  # and TikTok wants a video
    assert report.media[0].kind is None


# ---------------------------------------------------------------------------------------------
# Pillow's warnings: in the facts, never on stderr


def tiff_with_corrupt_tag(path: Path) -> Path:
    """A TIFF whose Software tag claims a million bytes, more than the file: Pillow warns
    "Tag data larger than file" while reading the header, skips the tag, reads the rest."""
    image = Image.new("RGB", (8, 6), (10, 200, 30))
    image.save(path, "TIFF", tiffinfo={305: "made by the mediarules tests"})
    data = bytearray(path.read_bytes())
    assert data[:4] == b"II*\0"
    (ifd,) = struct.unpack_from("<I", data, 4)
    (count,) = struct.unpack_from("<H", data, ifd)
    for entry in range(ifd + 2, ifd + 2 + 12 * count, 12):
        if struct.unpack_from("<H", data, entry)[0] == 305:
            struct.pack_into("<I", data, entry + 4, 10**6)
            break
    else:
        raise AssertionError("no Software tag")
    path.write_bytes(data)
    return path


WARNING = "Tag data larger than file"


def test_a_pillow_warning_is_in_the_report_and_not_on_stderr(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = tiff_with_corrupt_tag(tmp_path / "scan.tif")
    with warnings.catch_warnings(record=True) as escaped:
        warnings.simplefilter("always")
        first, second = inspect(path), inspect(path)
    assert first.kind == "image" and first.format == "tiff"
    for facts in (first, second):  # every time, not once per process
        assert any(WARNING in note for note in facts.notes)
    assert not [w for w in escaped if "PIL" in w.filename]
    assert inspect(make_image(tmp_path / "clean.tif", format="TIFF")).notes == ()
    report = mediarules.check([path], platforms=["x"])
    assert report.media[0].notes == first.notes
    assert capfd.readouterr().err == ""


def test_the_cli_keeps_pillow_warnings_off_stderr(tmp_path: Path) -> None:
    path = tiff_with_corrupt_tag(tmp_path / "scan.tif")
    result = subprocess.run(
        [
            sys.executable,
            "-W",
            "default",
            "-m",
            "mediarules",
            "check",
            "--format",
            "json",
            "-p",
            "x",
            str(path),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert result.stderr == ""
    media = json.loads(result.stdout)["media"][0]
    assert any(WARNING in note for note in media["notes"])


def test_threads_each_collect_their_own_warnings(tmp_path: Path) -> None:
    corrupt = tiff_with_corrupt_tag(tmp_path / "bad.tif")
    clean = make_image(tmp_path / "good.tif", format="TIFF")
    paths = [corrupt, clean] * 40
    serial = [inspect(p) for p in paths]
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(inspect, paths))
    assert [f.model_dump() for f in threaded] == [f.model_dump() for f in serial]
    assert all(f.notes for f in threaded[0::2]) and not any(f.notes for f in threaded[1::2])


def test_other_warnings_pass_through_untouched() -> None:
    inspect(REPO / "examples" / "photo.jpg")  # the hook is installed
    with pytest.warns(UserWarning, match="not Pillow's"):
        warnings.warn("not Pillow's", UserWarning, stacklevel=1)
    with pytest.warns(Image.DecompressionBombWarning):  # Pillow's, outside an inspection
        Image._decompression_bomb_check((Image.MAX_IMAGE_PIXELS or 1, 2))


# ---------------------------------------------------------------------------------------------
# real files, when the shared samples are there


@pytest.mark.skipif(not REALMEDIA.is_dir(), reason="no ../shared/realmedia here")
def test_real_samples_formats_are_real_container_names() -> None:
    mp4s = sorted((REALMEDIA / "androidx-media" / "mp4").glob("*.mp4"))
    assert mp4s
    for path in mp4s:
        try:
            facts = inspect(path)
        except UnreadableMediaError:
            continue
        head = path.read_bytes()[:12]
        assert facts.format in ("mp4", "mov"), path.name
        if head[4:8] == b"ftyp":
            assert facts.brand == head[8:12].decode("latin-1"), path.name


@pytest.mark.skipif(not REALMEDIA.is_dir(), reason="no ../shared/realmedia here")
def test_real_webps_read_exactly_when_pillow_decodes_them() -> None:
    webps = sorted((REALMEDIA / "pillow").glob("*.webp"))
    assert webps
    for path in webps:
        try:
            facts = inspect(path)
        except UnreadableMediaError:
            assert not pillow_loads(path), path.name
            continue
        assert pillow_loads(path), path.name
        with Image.open(path) as im:
            assert (facts.width, facts.height, facts.frames) == (
                *im.size,
                getattr(im, "n_frames", 1),
            )
