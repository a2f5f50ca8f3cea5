"""Bit depth from the few bytes where each video codec states it: its configuration record
(``av1C``, ``hvcC``, ``avcC``, which Matroska stores as ``CodecPrivate`` and MP4 as boxes) or,
for VP9, the header of its first key frame (WebM usually stores no configuration at all).

Pure functions over bytes: a record too short, of an unknown version or that does not say
gives ``None``, never an exception.
"""

from __future__ import annotations

_AVC_EIGHT_BIT_PROFILES = frozenset({66, 77, 88, 100})
"""Baseline, Main, Extended and High: 8-bit by definition."""


def av1_bit_depth(record: bytes) -> int | None:
    """``AV1CodecConfigurationRecord``: ``high_bitdepth`` and ``twelve_bit`` of byte 2."""
    if len(record) < 4 or record[0] != 0x81:  # marker 1, version 1
        return None
    high, twelve = record[2] & 0x40, record[2] & 0x20
    if not high:
        return 8
    return 12 if twelve else 10


def hevc_bit_depth(record: bytes) -> int | None:
    """``HEVCDecoderConfigurationRecord``: ``bitDepthLumaMinus8`` in byte 17."""
    if len(record) < 23 or record[0] != 1:
        return None
    return (record[17] & 0x07) + 8


def avc_bit_depth(record: bytes) -> int | None:
    """``AVCDecoderConfigurationRecord``: 8 for the 8-bit-only profiles, else the bit depth in
    the extension that follows the parameter sets (``None`` when the record has none)."""
    if len(record) < 7 or record[0] != 1:
        return None
    if record[1] in _AVC_EIGHT_BIT_PROFILES:
        return 8
    pos = 5
    try:
        for count_mask in (0x1F, 0xFF):  # sequence, then picture parameter sets
            count = record[pos] & count_mask
            pos += 1
            for _ in range(count):
                pos += 2 + int.from_bytes(record[pos : pos + 2], "big")
        chroma, luma = record[pos], record[pos + 1]
    except IndexError:
        return None
    if chroma & 0xFC != 0xFC or luma & 0xF8 != 0xF8:  # reserved bits: not an extension
        return None
    return (luma & 0x07) + 8


_VP9_SYNC = 0x498342


def vp9_bit_depth(frame: bytes) -> int | None:
    """The bit depth a VP9 frame's uncompressed header states: profiles 0 and 1 are 8-bit;
    profiles 2 and 3 say 10 or 12 in a key frame's colour config (other frames: ``None``)."""
    head = frame[:8]
    bits = _Bits(int.from_bytes(head, "big"), 8 * len(head))
    if bits.read(2) != 2:  # frame_marker
        return None
    pair = bits.read(2)  # profile_low_bit, then profile_high_bit
    if pair is None:
        return None
    profile = (pair & 1) << 1 | pair >> 1
    if profile < 2:
        return 8
    if profile == 3:
        bits.read(1)  # reserved_zero
    # show_existing_frame (no header follows), frame_type (only a key frame, 0, carries the
    # colour config), show_frame, error_resilient_mode, then the key frame's sync code
    if bits.read(2) != 0:
        return None
    bits.read(2)
    if bits.read(24) != _VP9_SYNC:
        return None
    ten_or_twelve = bits.read(1)
    return None if ten_or_twelve is None else 12 if ten_or_twelve else 10


class _Bits:
    """Fields of at most 64 bits, most significant bit first, as VP9 headers are written.
    Past the end every field reads ``None`` (and compares unequal to any value)."""

    def __init__(self, value: int, length: int) -> None:
        self._value = value
        self._length = length
        self._pos = 0

    def read(self, count: int) -> int | None:
        end = self._pos + count
        if end > self._length:
            self._pos = self._length
            return None
        self._pos = end
        return (self._value >> (self._length - end)) & ((1 << count) - 1)
