"""Colour facts of a video: bit depth, transfer (SDR, PQ, HLG), primaries and Dolby Vision.

Pure functions over what a reader already holds: the boxes of an ISO base media visual sample
entry (``colr``, ``avcC``, ``hvcC``, ``av1C``, ``vpcC``, ``dvcC``/``dvvC``/``dvwC``) or the words
MediaInfo prints for a video track. Both end in the same names (ITU-T H.273 code points):
transfer ``sdr``/``pq``/``hlg``, primaries ``bt709``, ``bt2020``, ``p3`` (Display P3), ...
Anything unknown, unspecified or cut short gives ``None``, never an exception.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "Colour",
    "from_mediainfo",
    "from_sample_entry",
    "primaries_name",
    "transfer_name",
]


@dataclass(frozen=True)
class Colour:
    """The colour fields of ``MediaFacts`` for one video track."""

    bit_depth: int | None = None
    color_transfer: str | None = None
    color_primaries: str | None = None
    dolby_vision: bool | None = None


# ---------------------------------------------------------------------------------------------
# names (ITU-T H.273; MediaInfo's words for the same code points)

_PRIMARIES = {
    1: "bt709",
    4: "bt470m",
    5: "bt470bg",  # BT.601 625 lines (PAL)
    6: "smpte170m",  # BT.601 525 lines (NTSC)
    7: "smpte240m",
    8: "film",
    9: "bt2020",
    10: "xyz",  # SMPTE ST 428-1
    11: "dci-p3",  # SMPTE RP 431-2, the cinema white point
    12: "p3",  # SMPTE EG 432-1: Display P3 (iPhone, Mac)
    22: "ebu3213",
}
_PQ, _HLG = 16, 18
_SDR_TRANSFERS = frozenset({1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17})
"""Defined transfer functions that are not HDR: BT.709, BT.601, gamma 2.2/2.8, sRGB, linear,
log, BT.2020's SDR curve, SMPTE 428. 0, 2 (unspecified) and reserved values say nothing."""

_MEDIAINFO_PRIMARIES = {
    "BT.709": "bt709",
    "BT.470 System M": "bt470m",
    "BT.601 PAL": "bt470bg",
    "BT.601 NTSC": "smpte170m",
    "SMPTE 240M": "smpte240m",
    "Generic film": "film",
    "BT.2020": "bt2020",
    "XYZ": "xyz",
    "DCI P3": "dci-p3",
    "Display P3": "p3",
    "EBU Tech 3213": "ebu3213",
}
_MEDIAINFO_TRANSFERS = {
    "PQ": "pq",
    "HLG": "hlg",
    **dict.fromkeys(
        (
            "BT.709",
            "BT.470 System M",
            "BT.470 System B/G",
            "BT.601",
            "SMPTE 240M",
            "Linear",
            "Logarithmic (100:1)",
            "Logarithmic (316.22777:1)",
            "xvYCC",
            "BT.1361",
            "sRGB/sYCC",
            "BT.2020 (10-bit)",
            "BT.2020 (12-bit)",
            "SMPTE 428M",
        ),
        "sdr",
    ),
}
"""MediaInfo's ``transfer_characteristics`` for each H.273 code point it names (checked
against MediaInfo 24.12 with ``colr`` boxes of every code)."""


def primaries_name(code: int) -> str | None:
    """The short name of H.273 ``colour_primaries`` ``code``; ``None`` if unspecified."""
    return _PRIMARIES.get(code)


def transfer_name(code: int) -> str | None:
    """``pq``, ``hlg`` or ``sdr`` for H.273 ``transfer_characteristics`` ``code``."""
    if code == _PQ:
        return "pq"
    if code == _HLG:
        return "hlg"
    return "sdr" if code in _SDR_TRANSFERS else None


def from_mediainfo(track: Mapping[str, object]) -> Colour:
    """The colour facts MediaInfo reports for a video track (``track.to_data()``)."""
    depth = track.get("bit_depth")
    hdr = str(track.get("hdr_format") or "")
    return Colour(
        bit_depth=depth if isinstance(depth, int) and not isinstance(depth, bool) else None,
        color_transfer=_MEDIAINFO_TRANSFERS.get(str(track.get("transfer_characteristics"))),
        color_primaries=_MEDIAINFO_PRIMARIES.get(str(track.get("color_primaries"))),
        dolby_vision="Dolby Vision" in hdr,
    )


# ---------------------------------------------------------------------------------------------
# ISO base media sample entries

_DOLBY_VISION = frozenset({b"dvcC", b"dvvC", b"dvwC"})

_EIGHT_BIT = frozenset({"MPEG-4 Visual", "H.263", "JPEG"})
"""Codecs whose samples are 8-bit by definition (as MediaInfo reports them)."""


def from_sample_entry(codec: object, boxes: Sequence[tuple[bytes, bytes]]) -> Colour:
    """Colour facts from the boxes (type, payload) inside a visual sample entry.

    ``codec`` is MediaInfo's Format for the entry (``"AVC"``, ``"HEVC"``...). The ``colr``
    box (``nclx``, or QuickTime's ``nclc``) gives transfer and primaries, else VP9's ``vpcC``;
    the codec's configuration gives the bit depth; a Dolby Vision configuration box says DV.
    """
    found = dict(boxes[::-1])  # the first of each type wins
    transfer = primaries = None
    described = _described(boxes)
    if described is not None:
        primaries, transfer = described
    elif b"vpcC" in found:
        vp9 = _vpcc_colour(found[b"vpcC"])
        if vp9 is not None:
            primaries, transfer = vp9
    return Colour(
        bit_depth=_bit_depth(codec, found),
        color_transfer=transfer_name(transfer) if transfer is not None else None,
        color_primaries=primaries_name(primaries) if primaries is not None else None,
        dolby_vision=not _DOLBY_VISION.isdisjoint(found),
    )


def _described(boxes: Sequence[tuple[bytes, bytes]]) -> tuple[int, int] | None:
    """(primaries, transfer) of the first ``nclx``/``nclc`` colour box (an ICC one says
    neither)."""
    for kind, payload in boxes:
        if kind == b"colr" and payload[:4] in (b"nclx", b"nclc") and len(payload) >= 10:
            return _u16(payload, 4), _u16(payload, 6)
    return None


def _vpcc_colour(payload: bytes) -> tuple[int, int] | None:
    """(primaries, transfer) of a version 1 ``vpcC`` (version 0 packs them differently)."""
    if len(payload) < 10 or payload[0] != 1:
        return None
    return payload[7], payload[8]


def _bit_depth(codec: object, found: Mapping[bytes, bytes]) -> int | None:
    if codec == "HEVC" and b"hvcC" in found:
        return _hvcc_depth(found[b"hvcC"])
    if codec == "AV1" and b"av1C" in found:
        return _av1c_depth(found[b"av1C"])
    if codec == "VP9" and b"vpcC" in found:
        return _vpcc_depth(found[b"vpcC"])
    if codec == "AVC" and b"avcC" in found:
        return _avcc_depth(found[b"avcC"])
    if codec in _EIGHT_BIT:
        return 8
    return None


def _hvcc_depth(payload: bytes) -> int | None:
    """``bitDepthLumaMinus8`` (the low 3 bits of byte 17) of an HEVC configuration."""
    if len(payload) < 23 or payload[0] != 1:
        return None
    return (payload[17] & 7) + 8


def _av1c_depth(payload: bytes) -> int | None:
    """``high_bitdepth`` and ``twelve_bit`` (byte 2) of an AV1 configuration."""
    if len(payload) < 4 or payload[0] != 0x81:
        return None
    if not payload[2] & 0x40:
        return 8
    return 12 if payload[2] & 0x20 and payload[1] >> 5 == 2 else 10


def _vpcc_depth(payload: bytes) -> int | None:
    """The 4-bit ``bitDepth`` of a VP codec configuration (full box, version 0 or 1)."""
    if len(payload) < 7 or payload[0] > 1:
        return None
    depth = payload[6] >> 4
    return depth if depth in (8, 10, 12) else None


_HIGH_PROFILES = frozenset({100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135})
"""AVC profiles whose sequence parameter set carries ``chroma_format_idc`` and bit depths."""


def _avcc_depth(payload: bytes) -> int | None:
    """The luma bit depth of the first sequence parameter set in an AVC configuration."""
    if len(payload) < 8 or payload[0] != 1 or not payload[5] & 0x1F:
        return None
    length = _u16(payload, 6)
    sps = payload[8 : 8 + length]
    if len(sps) != length or len(sps) < 4 or sps[0] & 0x1F != 7:
        return None
    if sps[1] not in _HIGH_PROFILES:
        return 8  # Baseline, Main, Extended: always 8-bit
    bits = _Bits(_unescape(sps[4:64]))
    bits.golomb()  # seq_parameter_set_id
    if bits.golomb() == 3:  # chroma_format_idc 4:4:4
        bits.bit()  # separate_colour_plane_flag
    depth = bits.golomb()
    return depth + 8 if depth is not None and depth <= 6 else None


def _unescape(data: bytes) -> bytes:
    """NAL payload bytes without emulation prevention (``00 00 03`` -> ``00 00``)."""
    return data.replace(b"\x00\x00\x03", b"\x00\x00")


class _Bits:
    """An MSB-first bit reader over a few bytes; reading past the end gives ``None``."""

    def __init__(self, data: bytes) -> None:
        self._value = int.from_bytes(data, "big")
        self._left = 8 * len(data)

    def bit(self) -> int | None:
        if self._left <= 0:
            return None
        self._left -= 1
        return self._value >> self._left & 1

    def golomb(self) -> int | None:
        """An unsigned Exp-Golomb number (``ue(v)``); ``None`` when cut short or absurd."""
        zeros = 0
        while True:
            bit = self.bit()
            if bit is None or zeros > 31:
                return None
            if bit:
                break
            zeros += 1
        if zeros > self._left:
            return None
        self._left -= zeros
        return (1 << zeros) - 1 + (self._value >> self._left & ((1 << zeros) - 1))


def _u16(data: bytes, at: int) -> int:
    return data[at] << 8 | data[at + 1]
