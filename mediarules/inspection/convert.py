"""Pure conversions from what the media libraries report to what ``MediaFacts`` holds.

No media library is imported here: every function takes plain values (MediaInfo gives ``int``
or ``str`` for the same field depending on the container) and is tested without media.
Unparseable input gives ``None``, never an exception: a missing fact is not a crash.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from fractions import Fraction

# ---------------------------------------------------------------------------------------------
# numbers

_MAX_EXPONENT = 30  # no media fact needs more than 30 digits either side of the point


def parse_number(value: object) -> Fraction | None:
    """An exact number from an ``int``, ``float`` or numeric string (``"500.000000"``).

    ``None``, booleans, blanks, NaN/infinity and anything else unparseable give ``None``.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(value) if value == value and abs(value) != float("inf") else None
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
        # is_finite rejects NaN/inf; the exponent bound keeps "1e999999999" from building a
        # billion-digit integer.
        if not number.is_finite() or abs(number.adjusted()) > _MAX_EXPONENT:
            return None
        return Fraction(number)
    return None


def parse_count(value: object) -> int | None:
    """A non-negative whole number (pixels, bytes, bit/s); fractions round to nearest."""
    number = parse_number(value)
    if number is None or number < 0:
        return None
    return round(number)


def ms_to_seconds(value: object) -> float | None:
    """MediaInfo durations are milliseconds (``1003`` or ``"1000.000000"``); give seconds."""
    number = parse_number(value)
    if number is None or number < 0:
        return None
    return float(number / 1000)


def parse_rotation(value: object) -> int | None:
    """Display rotation in whole degrees, clockwise, normalised to 0..359 (``"-90.000"`` -> 270).

    MediaInfo reports the clockwise angle a player turns the stored picture by, like the
    legacy ``rotate`` tag.
    """
    number = parse_number(value)
    if number is None:
        return None
    return round(number) % 360


_NTSC_TOLERANCE = Fraction(1, 2000)  # half the last digit MediaInfo prints ("29.970")


def parse_frame_rate(value: object) -> Fraction | None:
    """An exact frame rate from MediaInfo's decimal text (``"20.000"``, ``"29.970"``).

    MediaInfo prints three decimals, so NTSC-style rates ``N*1000/1001`` (23.976, 29.970,
    59.940...) are snapped back to that exact fraction; other rates keep their decimal value
    (``"12.500"`` -> 25/2). Non-positive rates give ``None``.
    """
    number = parse_number(value)
    if number is None or number <= 0:
        return None
    number = number.limit_denominator(1001)
    if number.denominator != 1:
        whole = round(number * Fraction(1001, 1000))
        ntsc = Fraction(whole * 1000, 1001)
        if whole > 0 and abs(ntsc - number) <= _NTSC_TOLERANCE:
            return ntsc
    return number


def frame_rate_from_parts(numerator: object, denominator: object) -> Fraction | None:
    """``framerate_num`` / ``framerate_den`` (``"30000"``, ``"1001"``) as an exact fraction."""
    num, den = parse_number(numerator), parse_number(denominator)
    if num is None or den is None or num <= 0 or den <= 0:
        return None
    return num / den


# ---------------------------------------------------------------------------------------------
# names

IMAGE_FORMATS: dict[str, str] = {
    "JPEG": "jpeg",
    "MPO": "jpeg",  # multi-picture JPEG (iPhone, cameras): every viewer shows the first picture
    "PNG": "png",
    "GIF": "gif",
    "WEBP": "webp",
    "BMP": "bmp",
    "DIB": "bmp",
    "TIFF": "tiff",
    "HEIF": "heif",
    "HEIC": "heif",
    "AVIF": "avif",
}

CONTAINERS: dict[str, str] = {
    "MPEG-4": "mp4",
    "QuickTime": "mov",
    "WebM": "webm",
    "Matroska": "mkv",
    "AVI": "avi",
    "Ogg": "ogg",
    "MPEG-TS": "ts",
    "MPEG-PS": "mpeg",
    "Flash Video": "flv",
    "MPEG Video": "mpegvideo",  # a bare MPEG-1/2 video stream (FFmpeg's name for it)
    "Windows Media": "wmv",
    "RealMedia": "realmedia",
    "MXF": "mxf",
    "GXF": "gxf",
    "DV": "dv",
    "IVF": "ivf",
    "YUV4MPEG2": "y4m",
}
"""MediaInfo's General ``format`` of the video containers mediarules reads, by short name."""

VIDEO_CONTAINERS = frozenset({"mp4", "mov", *CONTAINERS.values()})
"""The containers a file may be a video in: anything else MediaInfo finds a video track in
(a FLIC animation Pillow could not read, a JPEG 2000 image) is not a video to mediarules."""

IMAGE_BRANDS: dict[str, str] = (
    dict.fromkeys(("avif", "avis", "avio", "MA1A", "MA1B"), "avif")
    | dict.fromkeys(("mif1", "mif2", "msf1", "miaf", "heic", "heix", "heim", "heis"), "heif")
    | dict.fromkeys(("hevc", "hevx", "hevm", "hevs", "avci", "avcs", "j2ki", "j2is"), "heif")
    | dict.fromkeys(("jpeg", "jpgs"), "jpeg")
    | dict.fromkeys(("jp2 ", "jpx ", "jpm "), "jpeg2000")
)
"""ISO base media brands of still images and image sequences (HEIF, AVIF, JPEG 2000), as
stored (four characters), with the image format each names. A file with one of them among its
brands is an image, even when it also holds a video track: :mod:`~mediarules.inspection.heif`
reads it (and names it by the coding of its primary picture: ``avif`` for AV1, else ``heif``,
HEIC included, as the rules table and the upload checks name it)."""

VIDEO_CODECS: dict[str, str] = {
    "AVC": "h264",
    "HEVC": "hevc",
    "VP8": "vp8",
    "VP9": "vp9",
    "AV1": "av1",
    "MPEG-4 Visual": "mpeg4",
    "ProRes": "prores",
    "Theora": "theora",
    "VC-1": "vc1",
    "H.263": "h263",
    "JPEG": "mjpeg",
}

AUDIO_CODECS: dict[str, str] = {
    "AAC": "aac",
    "Opus": "opus",
    "Vorbis": "vorbis",
    "AC-3": "ac3",
    "E-AC-3": "eac3",
    "FLAC": "flac",
    "PCM": "pcm",
    "ALAC": "alac",
}

_MPEG_AUDIO_LAYERS = {"Layer 1": "mp1", "Layer 2": "mp2", "Layer 3": "mp3"}


def _clean(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def image_format_name(pillow_format: str) -> str:
    """Pillow's format name (``"JPEG"``, ``"MPO"``, ``"WEBP"``) as a short lower-case name."""
    name = pillow_format.strip()
    return IMAGE_FORMATS.get(name.upper(), name.lower())


def container_name(format: object, codec_id: object = None, profile: object = None) -> str | None:
    """MediaInfo's General ``format`` as a short container name (``mp4``, ``mov``, ``webm``).

    MP4 and QuickTime share the ISO base media format; MediaInfo tells them apart by the major
    brand (``codec_id`` ``"qt  "``) or the ``"QuickTime"`` profile. A brand MediaInfo does not
    know becomes its ``format`` (``iso6``, ``wmf``, ``0x00000000``), equal to ``codec_id``:
    that is an MP4 too (or a HEIF/AVIF image), never a format named after the brand.
    """
    name = _clean(format)
    if name is None:
        return None
    brand = _clean(codec_id)
    if name == "MPEG-4" or name == brand:
        if brand == "qt" or _clean(profile) == "QuickTime":
            return "mov"
        return IMAGE_BRANDS.get(f"{brand or '':<4}", "mp4")
    return CONTAINERS.get(name, name.lower())


def video_codec_name(format: object, version: object = None) -> str | None:
    """MediaInfo's video ``format`` as FFmpeg-style codec name (``AVC`` -> ``h264``)."""
    name = _clean(format)
    if name is None:
        return None
    if name == "MPEG Video":
        return "mpeg1video" if _clean(version) == "Version 1" else "mpeg2video"
    return VIDEO_CODECS.get(name, name.lower())


def audio_codec_name(format: object, profile: object = None) -> str | None:
    """MediaInfo's audio ``format`` as a short codec name (``MPEG Audio`` layer 3 -> ``mp3``)."""
    name = _clean(format)
    if name is None:
        return None
    if name == "MPEG Audio":
        return _MPEG_AUDIO_LAYERS.get(_clean(profile) or "", "mpeg audio")
    return AUDIO_CODECS.get(name, name.lower())


# ---------------------------------------------------------------------------------------------
# colour (ISO/IEC 23091-4 code points, shared by Matroska's Colour, MP4's colr and the codecs)

_PQ, _HLG = 16, 18
_SDR_TRANSFERS = frozenset({1, 4, 5, 6, 7, 11, 12, 13, 14, 15})
"""BT.709, BT.470 M/BG, BT.601, SMPTE 240M, xvYCC, BT.1361, sRGB, BT.2020 (10 and 12 bit): the
gamma curves of standard dynamic range. Linear, log and unspecified (2) say nothing here."""

COLOR_PRIMARIES: dict[int, str] = {
    1: "bt709",
    4: "bt470m",
    5: "bt470bg",
    6: "smpte170m",
    7: "smpte240m",
    8: "film",
    9: "bt2020",
    10: "smpte428",
    11: "smpte431",  # DCI-P3
    12: "smpte432",  # Display P3 (P3-D65)
    22: "ebu3213",
}
"""Colour primaries by code point, named as FFmpeg names them (2 is "unspecified": no name)."""


def color_transfer_name(code: object) -> str | None:
    """``sdr``, ``pq`` or ``hlg`` for a transfer characteristics code point; else ``None``."""
    if not isinstance(code, int) or isinstance(code, bool):
        return None
    if code == _PQ:
        return "pq"
    if code == _HLG:
        return "hlg"
    return "sdr" if code in _SDR_TRANSFERS else None


def color_primaries_name(code: object) -> str | None:
    """FFmpeg's name for a colour primaries code point (``9`` -> ``bt2020``); else ``None``."""
    if not isinstance(code, int) or isinstance(code, bool):
        return None
    return COLOR_PRIMARIES.get(code)
