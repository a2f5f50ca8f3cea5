"""The records mediarules reads and returns.

Field names here are a public contract: callers read them from Python and, through
``Report.model_dump(mode="json")`` and ``mediarules schema``, from other languages, and the
README's "Records (contract)" lists them. Add fields; never rename or drop one, nor change
what a value means (``severity``, ``applicability``, ``platform = "all"``). Violation codes are
the same kind of contract (:mod:`mediarules.codes`).
Everything is plain data: no Pillow image, no pymediainfo track ever reaches a record.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    model_validator,
)
from pydantic.alias_generators import to_camel

from mediarules.formatting import shorten
from mediarules.plain_records import init_plain
from mediarules.requirements import Requirement


class Severity(StrEnum):
    """How bad a violation is.

    ``error``: the platform will reject the post. ``warning``: it will be altered or is likely
    to fail. ``info``: worth knowing, nothing breaks.
    """

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Sort key: errors first."""
        return _SEVERITY_RANKS[self.value]


_SEVERITY_RANKS = {"error": 0, "warning": 1, "info": 2}


class Applicability(StrEnum):
    """What carrying out a fix costs the user.

    ``safe`` keeps what the user sees (remux, lossless or near-lossless conversion, EXIF
    orientation); ``unsafe`` loses something (re-encode, downscale, crop, trim, truncate, drop);
    ``manual`` needs a person (write alt text, switch account type).
    """

    SAFE = "safe"
    UNSAFE = "unsafe"
    MANUAL = "manual"


MediaKind = Literal["image", "video"]

Evidence = Literal["official", "publisher", "third-party"]
"""How a limit is known: ``official`` (the platform's own docs, schema, lexicon or source
code), ``publisher`` (the scheduler's own constraint, the seed) or ``third-party`` (other
schedulers, blogs). Only the first two make errors; a third-party figure warns."""


def _to_fraction(value: Any) -> Any:
    """Accept ``30000/1001``, ``29.97``, ``30`` or a Fraction; floats snap to the nearest
    broadcast-style ratio so a JSON round trip gives back the exact rate."""
    if value is None or isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        raise ValueError("a frame rate is a number, not a boolean")
    if isinstance(value, int):
        return _bounded_rate(Fraction(value), value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"a frame rate is a finite number, not {value!r}")
        return _bounded_rate(Fraction(value).limit_denominator(100_000), value)
    if isinstance(value, str):
        try:
            rate = parse_exact_number(value.strip()).limit_denominator(100_000)
        except (ValueError, ZeroDivisionError, ArithmeticError) as exc:
            raise ValueError(f"not a frame rate: {_echo(value)}") from exc
        return _bounded_rate(rate, value)
    return value


MAX_RATE_MAGNITUDE = 10**9
"""No frame rate (or rate limit) is a billion frames a second: past this a value is refused
where it is read, so every rate converts to a float and prints (``10**5000 / 3`` did not)."""


def _bounded_rate(rate: Fraction, given: object) -> Fraction:
    if abs(rate) > MAX_RATE_MAGNITUDE:
        shown = _echo(given) if isinstance(given, str) else "a number this large"
        raise ValueError(f"not a frame rate: {shown} (over {MAX_RATE_MAGNITUDE:,} fps)")
    return rate


def _echo(text: str) -> str:
    """``repr`` of echoed input, cut to a readable length (``'1000000…'``)."""
    return repr(shorten(text, 40))


_MAX_EXPONENT = 30
"""``Fraction("1e999999999")`` builds a billion-digit integer: no rate or ratio needs more
than 30 digits either side of the point, so larger exponents are refused before that."""


def parse_exact_number(text: str) -> Fraction:
    """``30000/1001`` (whole numbers: no exponent possible) or a decimal number, exactly.

    Raises ``ValueError`` or ``ArithmeticError`` (``decimal.InvalidOperation``,
    ``ZeroDivisionError``) for anything else, including NaN, infinity and huge exponents.
    """
    if "/" in text:
        return Fraction(text)
    number = Decimal(text)
    if not number.is_finite() or abs(number.adjusted()) > _MAX_EXPONENT:
        raise ValueError("not a finite number of reasonable size")
    return Fraction(number)


FrameRate = Annotated[
    Fraction,
    BeforeValidator(_to_fraction),
    PlainSerializer(lambda f: float(f), return_type=float, when_used="json"),
]
"""An exact frame rate. Python sees a ``Fraction`` (30000/1001); JSON sees a number."""


class MediaFacts(BaseModel):
    """What inspection learned about one file (or what a caller declares about it).

    Numbers are numbers: fps is an exact fraction, sizes are bytes, durations seconds.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    if not TYPE_CHECKING:  # (type checkers keep the signature pydantic gives)

        def __init__(self, /, **data: Any) -> None:
            """Facts a reader found, kept as given when validation would keep them so (no
            validator is built: :mod:`mediarules.plain_records`); validated otherwise."""
            if not init_plain(self, data):
                super().__init__(**data)

    path: str | None = None
    kind: MediaKind | None = Field(
        default=None, description="image or video; None only when the file could not be read."
    )
    format: str | None = Field(
        default=None,
        description="Image format (jpeg, png, gif, webp, ...) or video container (mp4, mov, ...),"
        " read from the bytes.",
    )
    size: int | None = Field(default=None, ge=0, description="File size in bytes.")
    width: int | None = Field(
        default=None,
        ge=0,
        description="Stored width in pixels (HEIF/AVIF: as decoded, after its crop and"
        " rotation boxes, which decoders always apply).",
    )
    height: int | None = Field(default=None, ge=0, description="Stored height in pixels.")
    # images
    mode: str | None = Field(default=None, description="Pillow mode: RGB, RGBA, P, L, CMYK...")
    frames: int | None = Field(default=None, ge=1, description="Frame count (animations).")
    has_alpha: bool | None = None
    orientation: int | None = Field(
        default=None, ge=1, le=8, description="EXIF orientation tag; 5-8 swap width and height."
    )
    bit_depth: int | None = Field(
        default=None,
        ge=1,
        description="Bits per colour sample as coded (8, 10, 12): HEIF/AVIF stills and video;"
        " None when unknown.",
    )
    pictures: int | None = Field(
        default=None,
        ge=1,
        description="Top-level pictures in a HEIF/AVIF file (a burst holds several); viewers"
        " show the primary one, so frames stays 1. None for other formats.",
    )
    # video
    fps: FrameRate | None = None
    variable_frame_rate: bool | None = None
    duration_s: float | None = Field(default=None, ge=0)
    video_codec: str | None = None
    audio_codec: str | None = None
    bit_rate: int | None = Field(default=None, ge=0, description="Overall bit rate, bit/s.")
    rotation: int | None = Field(default=None, description="Display rotation in degrees.")
    audio_sample_rate: int | None = Field(
        default=None, gt=0, description="Samples per second of the first audio track, Hz."
    )
    color_transfer: str | None = None
    """Transfer function: "sdr", "pq" (HDR10, Dolby Vision) or "hlg"; None when not tagged."""
    color_primaries: str | None = None
    """Colour primaries: "bt709", "bt2020", "p3" (Display P3), ...; None when not tagged."""
    dolby_vision: bool | None = None
    """Whether the video carries a Dolby Vision configuration; None when not read."""
    # kept for people: no rule reads these
    brand: str | None = Field(
        default=None,
        description="ISO base media major brand as stored ('isom', 'qt  ', 'wmf '); the"
        " format comes from the file's structure, never from this.",
    )
    notes: tuple[str, ...] = Field(
        default=(),
        description="Warnings a media library gave while reading the file (Pillow's"
        " 'Corrupt EXIF data'...), each once; they are kept here instead of printed.",
    )

    @property
    def animated(self) -> bool:
        """An image with more than one frame (animated GIF, WebP, APNG); a multi-page TIFF's
        frames are pages, not an animation."""
        return self.kind == "image" and (self.frames or 1) > 1 and self.format != "tiff"

    @property
    def display_size(self) -> tuple[int, int] | None:
        """(width, height) as a viewer shows it, after EXIF orientation or video rotation."""
        if self.width is None or self.height is None:
            return None
        swapped = (self.orientation or 1) >= 5 or (self.rotation or 0) % 180 == 90
        return (self.height, self.width) if swapped else (self.width, self.height)

    @property
    def aspect_ratio(self) -> Fraction | None:
        """Displayed width / height, exactly."""
        size = self.display_size
        if size is None or size[1] == 0:
            return None
        return Fraction(size[0], size[1])


class MediaRef(BaseModel):
    """A media item as the scheduler describes it: the upload payload plus stored metadata.

    Give ``path`` to have the file inspected; otherwise the declared metadata is checked as is.
    camelCase keys from the scheduler's API (``fileName``, ``contentType``, ``frameRate``...)
    are accepted as well as snake_case.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        defer_build=True,
    )

    path: Path | None = None
    url: str | None = Field(
        default=None,
        description="Where the file is uploaded (the scheduler's fileUrl): read by byte ranges "
        "when the record declares no metadata and the check is asked to fetch.",
    )
    file_name: str | None = None
    content_type: str | None = None
    type: MediaKind | None = None
    alt_text: str | None = None
    # metadata (the scheduler's `metadata` subdocument), taken as declared: a value that
    # cannot be true (a width of 0, a frame rate of -30) is a `media.metadata_invalid`
    # violation of the item when it is checked, not an error here.
    format: str | None = None
    size: int | None = None
    width: int | None = None
    height: int | None = None
    frame_rate: FrameRate | None = None
    codec_name: str | None = None
    audio_codec: str | None = None
    bit_rate: int | None = None
    duration: float | None = Field(default=None, description="Seconds.")


class FixStep(BaseModel):
    """One typed, serialisable operation of a fix; ``op`` names it, ``params`` holds its
    arguments (e.g. ``{"format": "jpeg", "quality": 95}`` for ``convert_image``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    op: Literal[
        "convert_image",
        "resize_image",
        "pad_or_crop_image",
        "trim_animation",
        "remux_video",
        "transcode_video",
        "trim_video",
        "truncate_text",
        "remove_text",
        "drop_media",
        "split_post",
        "rename_file",
        "set_field",
        "manual",
    ]
    params: dict[str, str | int | float | bool | None] = Field(default_factory=dict)


class Fix(BaseModel):
    """A planned repair for one violation."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    title: str
    applicability: Applicability
    steps: list[FixStep]
    loses: list[str] = Field(
        default_factory=list, description='What the fix gives up: "animation", "quality", ...'
    )
    requires: list[Requirement] = Field(
        default_factory=list,
        description="What the fixed post must satisfy, as typed data: the fix planner merges"
        " these over platforms and carries them out.",
    )


ALL_PLATFORMS = "all"
"""The ``platform`` of violations that hold whatever the platform (unreadable file, upload)."""


class Violation(BaseModel):
    """One broken rule, with where it is, why it matters and how to fix it."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    code: str
    severity: Severity
    platform: str
    media_index: int | None = None
    path: str | None = None
    message: str
    actual: str | int | float | bool | None = None
    limit: str | int | float | bool | list[str] | None = None
    source: str | None = None
    fix: Fix | None = None
    evidence: Evidence | None = None
    """How the broken limit is known (None: not a limit of the rules table, or unstated)."""


class Report(BaseModel):
    """Everything wrong with one post, for every platform asked about.

    ``ok`` is derived from ``violations`` (no error-severity violation) when not given, and
    must agree with them when it is.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    ok: bool
    violations: list[Violation]
    media: list[MediaFacts]

    @model_validator(mode="before")
    @classmethod
    def _derive_ok(cls, data: Any) -> Any:
        if isinstance(data, dict) and "ok" not in data:
            violations = data.get("violations", [])
            data = {**data, "ok": not any(_is_error(v) for v in violations)}
        return data

    @model_validator(mode="after")
    def _ok_agrees(self) -> Report:
        if self.ok != (not self.errors):
            raise ValueError("ok must be false exactly when some violation is an error")
        return self

    @property
    def errors(self) -> list[Violation]:
        return [v for v in self.violations if v.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Violation]:
        return [v for v in self.violations if v.severity is Severity.WARNING]

    def for_platform(self, platform: str) -> list[Violation]:
        return [v for v in self.violations if v.platform == platform]


def _is_error(violation: Any) -> bool:
    severity = violation.severity if isinstance(violation, Violation) else violation["severity"]
    return str(severity) == Severity.ERROR.value


_Record = TypeVar("_Record", bound=BaseModel)


def construct_trusted(model: type[_Record], fields: dict[str, Any]) -> _Record:
    """``model.model_construct(**fields)``, in a fifth of its time, for records built in bulk
    (one ``Violation`` per finding and platform) from values that are already valid.

    ``fields`` must name every field of ``model``, in their declared order (``repr`` follows
    it), and hold values of the declared types; a list value must be the record's own (a
    validated record holds a copy). ``model`` must have no aliases, private attributes, extra
    fields or ``model_post_init``: the four attributes set here are all a record then holds.
    """
    record = _NEW(model)
    _SET_DICT(record, fields)
    names = _FIELD_NAMES.get(model)
    if names is None:
        names = _FIELD_NAMES[model] = frozenset(model.model_fields)
    _SET_FIELDS_SET(record, set(names))  # each record its own set, as validation gives
    _SET_EXTRA(record, None)
    _SET_PRIVATE(record, None)
    return record


_NEW = object.__new__
_FIELD_NAMES: dict[type[BaseModel], frozenset[str]] = {}


def _slot_setter(name: str) -> Callable[[BaseModel, Any], None]:
    """The setter of one of ``BaseModel``'s ``__slots__`` (faster than ``object.__setattr__``)."""
    setter: Callable[[BaseModel, Any], None] = vars(BaseModel)[name].__set__
    return setter


_SET_DICT = _slot_setter("__dict__")
_SET_FIELDS_SET = _slot_setter("__pydantic_fields_set__")
_SET_EXTRA = _slot_setter("__pydantic_extra__")
_SET_PRIVATE = _slot_setter("__pydantic_private__")
