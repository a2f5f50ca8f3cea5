"""The rules table: load ``rules/platforms.toml``, merge user overrides, validate, freeze.

A broken table never reaches the checks: every problem becomes one ``RuleConfigError`` whose
message names the file, the platform and the key.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from fractions import Fraction
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, TypeVar, cast

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    create_model,
    model_validator,
)
from pydantic import ValidationError as PydanticValidationError

from mediarules import rules_cache
from mediarules.formatting import echo, echo_name, shorten
from mediarules.limits import limits_of
from mediarules.models import Evidence, FrameRate, MediaKind, parse_exact_number
from mediarules.safe_read import DocumentError, parse_toml, read_document, read_limited

__all__ = [
    "AccountRules",
    "AltTextRules",
    "Counting",
    "ImageRules",
    "PlatformRules",
    "PostRules",
    "RuleConfigError",
    "RuleLayer",
    "RuleSet",
    "TagsRules",
    "TextRules",
    "UnknownPlatformError",
    "VideoRules",
    "as_ruleset",
    "default_rules",
    "default_rules_path",
    "load_rules",
    "resolve_platforms",
]


class RuleConfigError(Exception):
    """The rules table (or a platform name given by the user) cannot be used."""


class UnknownPlatformError(RuleConfigError):
    """A platform name that is neither a key nor an alias of the table."""


# Bounds on every limit. A limit outside them is no platform's (the largest real figures,
# in rules/platforms.toml and the Mastodon and TikTok documents, sit far inside), and some would
# make a check or a fix cost without bound: 0 pixels loops a resize, a URL counted as 10**9
# characters builds a gigabyte caption. A table breaking one is refused when it loads.
MAX_TEXT_LIMIT = 1_000_000
"""Characters, units or bytes of a caption, title or alt text (Mastodon forks: 100,000)."""
MIN_SPLIT_LENGTH = 20
"""The least a text limit may be where a fix continues the text in a thread or in follow-up
messages: every part holds a counter (`` 1/2``) and some words (Bluesky's: 300)."""
MAX_URL_LENGTH = 100
"""What one URL counts (X and Mastodon: 23); each URL in a caption is counted as this many."""
MAX_COUNT = 1_000
MAX_PLATFORMS = 1_000
"""Platforms and post types in one rules table, variants counted (the shipped table: 19). A
table of 200,000 platforms took two minutes and 2.4 GB to validate: it is refused at once."""
"""Media items, images or videos in one post (Instagram and Threads: 20)."""
MAX_FILE_BYTES = 2**42
"""Bytes of one file, 4 TiB (YouTube: 256 GB)."""
MAX_SIDE = 1_000_000
"""Pixels of a width or height (the largest platform figure: 8192)."""
MAX_PIXELS = 10**12
"""Pixels of a frame (Mastodon's image_matrix_limit: 33,177,600)."""
MAX_FRAMES = 1_000_000
"""Frames of an animation (Instagram: 250)."""
MAX_FPS = 1_000
"""A frame rate limit (the highest platform figure: 60 fps)."""
MAX_SECONDS = 10**7
"""A duration limit, about 115 days (YouTube: 12 hours)."""
MAX_BITRATE = 10**12
"""Bits per second (YouTube's highest recommendation: 85 Mbps)."""
MAX_RATIO = Fraction(1000)
"""The widest aspect ratio a limit may name; the tallest is its inverse (X: 1:3 to 3:1)."""

# the kinds of limit, each with its bounds: minimums may be 0, maximums at least 1
TextLimit = Annotated[int, Field(ge=0, le=MAX_TEXT_LIMIT)]
CountLimit = Annotated[int, Field(ge=0, le=MAX_COUNT)]
MinBytes = Annotated[int, Field(ge=0, le=MAX_FILE_BYTES)]
MaxBytes = Annotated[int, Field(ge=1, le=MAX_FILE_BYTES)]
MinSide = Annotated[int, Field(ge=0, le=MAX_SIDE)]
MaxSide = Annotated[int, Field(ge=1, le=MAX_SIDE)]
MaxPixels = Annotated[int, Field(ge=1, le=MAX_PIXELS)]
MinSeconds = Annotated[float, Field(ge=0, le=MAX_SECONDS, allow_inf_nan=False)]
MaxSeconds = Annotated[float, Field(gt=0, le=MAX_SECONDS, allow_inf_nan=False)]


def _parse_ratio(value: Any) -> Any:
    """``"4:5"``, ``"1.91:1"``, ``0.8`` or ``1`` -> Fraction(width, height)."""
    if isinstance(value, bool):
        raise ValueError("an aspect ratio is 'W:H' or a number, not a boolean")
    if isinstance(value, str) and ":" in value:
        left, _, right = value.partition(":")
        try:
            ratio = parse_exact_number(left.strip()) / parse_exact_number(right.strip())
        except (ValueError, ArithmeticError) as exc:
            raise ValueError(f"not an aspect ratio: {_quoted(value)} (write it as 'W:H')") from exc
    elif isinstance(value, int | float):
        try:
            ratio = parse_exact_number(str(value))
        except (ValueError, ArithmeticError) as exc:
            raise ValueError(f"not an aspect ratio: {echo(repr(value))}") from exc
    else:
        return value
    if ratio <= 0:
        raise ValueError(f"an aspect ratio is positive, not {echo(repr(value))}")
    if not 1 / MAX_RATIO <= ratio <= MAX_RATIO:
        raise ValueError(f"an aspect ratio lies between 1:1000 and 1000:1, not {echo(repr(value))}")
    return ratio


def _positive_rate(rate: Fraction | None) -> Fraction | None:
    if rate is not None and rate <= 0:
        raise ValueError(f"a frame rate limit is positive, not {float(rate):g}")
    if rate is not None and rate > MAX_FPS:
        raise ValueError(f"a frame rate limit is at most {MAX_FPS} fps, not {float(rate):g}")
    return rate


def format_ratio(ratio: Fraction) -> str:
    """Fraction(4, 5) -> "4:5"; Fraction(191, 100) -> "1.91:1"."""
    if ratio.denominator <= 100 and ratio.numerator <= 100:
        return f"{ratio.numerator}:{ratio.denominator}"
    return f"{float(ratio):.4g}:1"


AspectRatio = Annotated[
    Fraction,
    BeforeValidator(_parse_ratio),
    PlainSerializer(format_ratio, return_type=str),
]

FrameRateLimit = Annotated[FrameRate, AfterValidator(_positive_rate)]

Counting = Literal["code_points", "graphemes", "utf16", "utf8_bytes", "weighted", "emoji_utf8"]
"""How a platform counts text: Unicode code points, extended grapheme clusters, UTF-16 code
units, UTF-8 bytes, X's weighted count (most CJK and emoji weigh 2, URLs a fixed length), or
code points with each emoji as its UTF-8 bytes (Threads)."""


CITATION_KEYS = frozenset(
    {"source", "sources", "evidence", "evidences", "verified", "verifieds", "exclusive"}
)
"""The keys of a section that say how its limits are known and compared, not limits."""


class Section(BaseModel):
    """A group of limits, and how each is known. Each citation has a section-wide value and a
    per-key one that wins over it: ``source`` / ``sources.KEY`` (where it comes from),
    ``evidence`` / ``evidences.KEY`` (official, publisher or third-party: only the first two
    make errors), ``verified`` / ``verifieds.KEY`` (when it was last read). What a section
    leaves out, the platform's own ``source``, ``evidence`` and ``verified`` say.
    ``exclusive`` names the limits the platform compares strictly (``less_than``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    EXCLUSIVE_KEYS: ClassVar[frozenset[str]] = frozenset()
    """The keys whose comparison may be made strict (the checks honour it)."""

    source: str | None = None
    sources: dict[str, str] = Field(default_factory=dict)
    evidence: Evidence | None = None
    evidences: dict[str, Evidence] = Field(default_factory=dict)
    verified: date | None = None
    verifieds: dict[str, date] = Field(default_factory=dict)
    exclusive: list[str] = Field(
        default_factory=list,
        description="Limits the platform compares strictly: a value equal to one is refused.",
    )

    @model_validator(mode="after")
    def _citations_name_real_keys(self) -> Section:
        known = limit_keys(type(self))
        for table in ("sources", "evidences", "verifieds"):
            for key in getattr(self, table):
                if key not in known:
                    raise ValueError(
                        f"{table} names unknown key {_quoted(key)}{_did_you_mean(key, known)}"
                    )
        for key in self.exclusive:
            if key not in known:
                raise ValueError(
                    f"exclusive names unknown key {_quoted(key)}{_did_you_mean(key, known)}"
                )
            if key not in self.EXCLUSIVE_KEYS:
                can = ", ".join(sorted(self.EXCLUSIVE_KEYS)) or "none of this section's keys"
                raise ValueError(
                    f"exclusive: {_quoted(key)} is always compared inclusively"
                    f" (strict comparison is supported for {can})"
                )
        return self

    def source_of(self, key: str, fallback: str) -> str:
        """Where the limit ``key`` of this section comes from."""
        return self.sources.get(key) or self.source or fallback

    def evidence_of(self, key: str, fallback: Evidence | None) -> Evidence | None:
        """How the limit ``key`` of this section is known."""
        return self.evidences.get(key) or self.evidence or fallback

    def verified_of(self, key: str, fallback: date | None) -> date | None:
        """When the limit ``key`` of this section was last read at its source."""
        return self.verifieds.get(key) or self.verified or fallback

    def is_exclusive(self, key: str) -> bool:
        return key in self.exclusive


def limit_keys(section: type[Section]) -> set[str]:
    """The keys of a section that are limits (not citations)."""
    return set(section.model_fields) - CITATION_KEYS


class TextRules(Section):
    """Limits on a caption or a title."""

    required: bool = False
    max_length: TextLimit | None = None
    max_length_text_only: TextLimit | None = Field(
        default=None,
        description="Limit when the post has no media (e.g. a Telegram message).",
    )
    counting: Counting = "code_points"
    url_length: int | None = Field(
        default=None, ge=0, le=MAX_URL_LENGTH, description="Every URL counts this much."
    )
    mention_domains_free: bool = Field(
        default=False, description="@user@domain counts only @user (Mastodon)."
    )
    overflow: Literal["truncate", "thread", "follow_up"] = Field(
        default="truncate",
        description="How a fix shortens text that is too long: cut it, continue it in a thread"
        " of replies, or move the rest to follow-up messages (Telegram).",
    )
    content_warning_counts: bool = Field(
        default=False, description="The content warning counts with the text (Mastodon)."
    )
    max_utf8_bytes: TextLimit | None = None
    max_hashtags: TextLimit | None = None
    max_mentions: TextLimit | None = None
    max_links: TextLimit | None = None
    forbidden_characters: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _room_to_split(self) -> TextRules:
        """A text that continues in more posts needs room in each for a counter and words."""
        if self.overflow == "truncate":
            return self
        for key in ("max_length", "max_length_text_only", "max_utf8_bytes"):
            limit = getattr(self, key)
            if limit is not None and limit < MIN_SPLIT_LENGTH:
                where = "thread" if self.overflow == "thread" else "follow-up"
                raise ValueError(
                    f"{key} = {limit} leaves no room to continue in a {where}"
                    f" (at least {MIN_SPLIT_LENGTH})"
                )
        return self


class PostRules(Section):
    """Limits on the post as a whole: how many items of which kind, and whether they mix."""

    media_required: bool = False
    video_required: bool = False
    images_allowed: bool = True
    min_items: CountLimit | None = None
    max_items: CountLimit | None = None
    max_images: CountLimit | None = None
    max_videos: CountLimit | None = None
    max_animations: CountLimit | None = Field(
        default=None,
        description="When set, animated images count apart from still images (X: one GIF).",
    )
    mixing_allowed: bool = True
    recommended_max_items: CountLimit | None = Field(
        default=None,
        description="More items than this are accepted but may not be shown (Bluesky's"
        " gallery: clients keep to 10 of 20): a warning.",
    )
    media_with_poll: bool = Field(
        default=True, description="False: a post with a poll takes no media (Mastodon)."
    )


def _parse_tolerance(value: Any) -> Any:
    """``0.01`` (or ``"1%"``) -> Fraction(1, 100)."""
    if isinstance(value, bool):
        raise ValueError("a tolerance is a number such as 0.01 (1%), not a boolean")
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            return parse_exact_number(value.strip()[:-1].strip()) / 100
        except (ValueError, ArithmeticError) as exc:
            raise ValueError(f"not a tolerance: {_quoted(value)}") from exc
    if isinstance(value, int | float | str):
        try:
            return parse_exact_number(str(value))
        except (ValueError, ArithmeticError) as exc:
            raise ValueError(f"not a tolerance: {echo(repr(value))}") from exc
    return value


MAX_ASPECT_TOLERANCE = Fraction(1, 10)
"""The widest aspect-ratio tolerance a table may state (Meta's Ads Guide: 3% at most)."""

AspectTolerance = Annotated[
    Fraction,
    BeforeValidator(_parse_tolerance),
    Field(ge=0, le=MAX_ASPECT_TOLERANCE),
    PlainSerializer(float, return_type=float),
]


@lru_cache(maxsize=256)
def aspect_bounds(
    low: Fraction | None, high: Fraction | None, tolerance: Fraction
) -> tuple[Fraction | None, Fraction | None]:
    """The aspect ratios a platform accepts for ``[low, high]`` stated with a relative
    ``tolerance``: ``low * (1 - t)`` to ``high * (1 + t)``."""
    if not tolerance:
        return low, high
    return (
        None if low is None else low * (1 - tolerance),
        None if high is None else high * (1 + tolerance),
    )


_TOLERANCE_DESCRIPTION = (
    "Relative tolerance of min/max_aspect_ratio, where the platform rounds the ratio it"
    " states (Meta's 1.91:1 is 1200x628): 0.01 accepts 1% either side. 0: exact."
)


class ImageRules(Section):
    """Limits on each image."""

    EXCLUSIVE_KEYS: ClassVar[frozenset[str]] = frozenset(
        {"max_size_bytes", "max_animated_size_bytes"}
    )

    formats: list[str] = Field(default_factory=list, description="Formats the platform takes.")
    converted: dict[str, str] = Field(
        default_factory=dict, description="Formats the publisher converts, and into what."
    )
    preferred: list[str] = Field(default_factory=list)
    max_size_bytes: MaxBytes | None = None
    max_animated_size_bytes: MaxBytes | None = None
    min_width: MinSide | None = None
    min_height: MinSide | None = None
    max_width: MaxSide | None = None
    max_height: MaxSide | None = None
    max_pixels: MaxPixels | None = None
    max_animated_pixels: MaxPixels | None = None
    max_dimension_sum: Annotated[int, Field(ge=2, le=2 * MAX_SIDE)] | None = None
    min_aspect_ratio: AspectRatio | None = None
    max_aspect_ratio: AspectRatio | None = None
    aspect_ratio_tolerance: AspectTolerance = Field(
        default=Fraction(0), description=_TOLERANCE_DESCRIPTION
    )
    max_frames: int | None = Field(default=None, ge=1, le=MAX_FRAMES)
    scaled_min_width: MaxSide | None = Field(
        default=None, description="Narrower images are scaled up by the platform."
    )
    scaled_max_width: MaxSide | None = Field(
        default=None, description="Wider images are scaled down by the platform."
    )


def _registered(section: str) -> type[Section]:
    """A base for a section's rules holding a field per registered limit kind (its value is
    read by key: ``getattr(rules.video, kind.key)``)."""
    fields: dict[str, Any] = {
        kind.key: (kind.annotation | None, Field(default=None, description=kind.description))
        for kind in limits_of(section)
    }
    return create_model(f"Registered{section.title()}Rules", __base__=Section, **fields)


class VideoRules(_registered("video")):  # type: ignore[misc]
    """Limits on each video (and, from the registry, ``max_frames``, ``audio_sample_rates``)."""

    EXCLUSIVE_KEYS: ClassVar[frozenset[str]] = frozenset({"max_size_bytes"})

    containers: list[str] = Field(default_factory=list)
    video_codecs: list[str] = Field(default_factory=list, description="Empty: any codec.")
    audio_codecs: list[str] = Field(default_factory=list, description="Empty: any codec.")
    min_fps: FrameRateLimit | None = None
    max_fps: FrameRateLimit | None = None
    constant_frame_rate: bool = False
    min_duration_s: MinSeconds | None = None
    max_duration_s: MaxSeconds | None = None
    min_size_bytes: MinBytes | None = None
    max_size_bytes: MaxBytes | None = None
    min_width: MinSide | None = None
    min_height: MinSide | None = None
    max_width: MaxSide | None = None
    max_height: MaxSide | None = None
    max_pixels: MaxPixels | None = None
    min_aspect_ratio: AspectRatio | None = None
    max_aspect_ratio: AspectRatio | None = None
    aspect_ratio_tolerance: AspectTolerance = Field(
        default=Fraction(0), description=_TOLERANCE_DESCRIPTION
    )
    max_bitrate_bps: int | None = Field(default=None, ge=1, le=MAX_BITRATE)
    hdr: bool = Field(
        default=False,
        description="The platform documents HDR uploads (PQ or HLG, BT.2020, 10-bit): where it"
        " takes any codec, a re-encode keeps HDR in 10-bit HEVC instead of tone-mapping it.",
    )


_ALL_KINDS: tuple[MediaKind, ...] = ("image", "video")


class AltTextRules(Section):
    """Alt text (media description) limits."""

    required: bool = False
    max_length: TextLimit | None = None
    counting: Counting = "code_points"
    kinds: list[MediaKind] = Field(default_factory=lambda: list(_ALL_KINDS))


class AccountRules(Section):
    """Which account types can publish through the API."""

    types: list[str] = Field(default_factory=list, description="Empty: any account type.")


class TagsRules(Section):
    """Limits on the post's keyword tags, counted together as the platform stores them
    (YouTube's ``snippet.tags``: a list joined by commas, a tag with a space in quotes)."""

    max_length: TextLimit | None = None
    counting: Counting = "code_points"
    separators_count: bool = Field(
        default=False, description="The comma between two tags counts (1 each)."
    )
    quoted_spaces_count: bool = Field(
        default=False, description="A tag containing a space counts 2 more (its quotes)."
    )


_S = TypeVar("_S", bound=Section)


def _defaults(model: type[_S]) -> _S:
    """``model()``: a section with every limit at its default, made without validating (a
    model validated at import builds its schema then, on every run of the command line) and
    without ``model_construct()`` filling the defaults, which inspects each default factory's
    signature (the first such look at a builtin compiles ``tokenize``'s patterns: ~8 ms)."""
    values = {
        name: cast(Callable[[], Any], field.default_factory)()
        if field.default_factory is not None
        else field.default
        for name, field in model.model_fields.items()
    }
    return model.model_construct(_fields_set=set(), **values)


class PlatformRules(BaseModel):
    """Everything one platform asks of a post."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    name: str
    aliases: list[str] = Field(default_factory=list)
    variant_of: str | None = Field(
        default=None,
        description="Set on post types and tiers (instagram:reel): the platform they overlay.",
    )
    source: str = Field(description="Default citation for every limit of this platform.")
    evidence: Evidence | None = Field(
        default=None, description="How its limits are known, where a section does not say."
    )
    verified: date | None = None
    notes: str | None = None
    post: PostRules = _defaults(PostRules)
    caption: TextRules = _defaults(TextRules)
    title: TextRules | None = None
    image: ImageRules = _defaults(ImageRules)
    video: VideoRules = _defaults(VideoRules)
    alt_text: AltTextRules | None = None
    account: AccountRules | None = None
    tags: TagsRules | None = None

    def cite(self, section: str, key: str) -> tuple[str, Evidence | None, date | None]:
        """Source, evidence and verified date of the limit ``key`` of ``section``."""
        rules: Section | None = getattr(self, section, None)
        if rules is None:
            return self.source, self.evidence, self.verified
        return (
            rules.source_of(key, self.source),
            rules.evidence_of(key, self.evidence),
            rules.verified_of(key, self.verified),
        )


SECTIONS = ("post", "caption", "title", "image", "video", "alt_text", "account", "tags")
"""The sections of a platform's rules, in the order ``rules`` shows them."""


class RuleSet(BaseModel):
    """The validated, frozen rules table."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    platforms: dict[str, PlatformRules]

    @model_validator(mode="after")
    def _aliases_are_unique(self) -> RuleSet:
        seen: dict[str, str] = {}
        for key, rules in self.platforms.items():
            for name in [key, *rules.aliases]:
                name = name.lower()
                if name in seen and seen[name] != key:
                    raise ValueError(
                        f"name {_quoted(name)} is used by both {_quoted(seen[name])}"
                        f" and {_quoted(key)}"
                    )
                seen[name] = key
        return self

    def names(self) -> dict[str, str]:
        """Every accepted name (keys and aliases, lower case) -> platform key."""
        return dict(self._names)

    @cached_property
    def _names(self) -> dict[str, str]:
        # Built once per table: the table is frozen, and resolving ~20 names per check
        # rebuilt it each time (about a tenth of a metadata-only check).
        table = {}
        for key, rules in self.platforms.items():
            table[key.lower()] = key
            for alias in rules.aliases:
                table[alias.lower()] = key
        return table

    def resolve(self, name: str) -> str:
        """Platform key for a name or alias, case-insensitive; UnknownPlatformError otherwise."""
        names = self._names
        wanted = name.strip().lower()
        if wanted in names:
            return names[wanted]
        raise UnknownPlatformError(
            f"unknown platform {_quoted(name)}{_did_you_mean(wanted, names)}; "
            f"known: {', '.join(sorted(self.platforms))}"
        )

    def platform(self, name: str) -> PlatformRules:
        return self.platforms[self.resolve(name)]


def default_rules_path() -> Path:
    """The table shipped with mediarules.

    In a wheel it lives inside the package (``mediarules/rules/platforms.toml``); in a source
    checkout or editable install it is the repository's ``rules/platforms.toml``.
    """
    here = Path(__file__).parent
    packaged = here / "rules" / "platforms.toml"  # what importlib.resources finds on disk
    if packaged.is_file():
        return packaged
    checkout = here.resolve().parent / "rules" / "platforms.toml"
    if checkout.is_file():
        return checkout
    from importlib import resources  # a zipped install

    found = resources.files("mediarules").joinpath("rules").joinpath("platforms.toml")
    return Path(str(found)) if found.is_file() else checkout


RuleLayer = tuple[str, Mapping[str, Any]]
"""A table to merge over the defaults and where it comes from (a file name, for messages)."""


def load_rules(
    overrides: Path | str | None = None,
    *,
    base: Path | str | None = None,
    layers: Sequence[RuleLayer] = (),
) -> RuleSet:
    """Load the default table (or ``base``), merge ``layers`` then ``overrides`` over it,
    expand post types and tiers, validate.

    Tables merge key by key; a value in a later layer (number, string, list) replaces the
    earlier one. A platform the defaults lack can be defined whole in the overrides.
    ``layers`` carry generated limits (a Mastodon server's, a TikTok creator's); the user's
    ``overrides`` file comes last, so it has the final word.

    A table validated before, the same bytes and layers with the same code, comes from the
    user cache folder (:mod:`mediarules.rules_cache`) instead: the same ``RuleSet``, unparsed
    and unvalidated.
    """
    base_path = Path(base) if base is not None else default_rules_path()
    files = [base_path] if overrides is None else [base_path, Path(overrides)]
    raw = _raw_files(files)
    key = _cache_key(raw, layers) if raw is not None else None
    if key is not None:
        cached = rules_cache.load(key, RuleSet, _CACHED_CLASSES)
        if cached is not None:
            return cached
    parsed = _parsed(raw, files) if raw is not None else None
    if parsed is None:  # a file that cannot be read or parsed: the messages of _read_toml
        parsed = [_read_toml(path) for path in files]
    stack: list[RuleLayer] = [(str(base_path), parsed[0]), *layers]
    if overrides is not None:
        stack.append((str(overrides), parsed[1]))
    merged: dict[str, Any] = {}
    for _, data in stack:
        merged = _deep_merge(merged, data)
    merged = _expand_variants(merged, stack)
    try:
        ruleset = RuleSet.model_validate(merged)
    except PydanticValidationError as exc:
        raise RuleConfigError(_describe(exc, stack)) from None
    if key is not None:
        rules_cache.store(key, ruleset)
    return ruleset


def _raw_files(paths: Sequence[Path]) -> list[bytes] | None:
    """The bytes of each rules file, or None if one cannot be read (then ``_read_toml`` says
    why, as it always did)."""
    try:
        return [read_limited(path) for path in paths]
    except OSError:
        return None


def _parsed(raw: Sequence[bytes], paths: Sequence[Path]) -> list[dict[str, Any]] | None:
    """Each file's bytes as TOML, or None if one is not valid TOML (``_read_toml`` says
    why)."""
    try:
        return [parse_toml(data) for data in raw]
    except (ValueError, UnicodeDecodeError):  # TOMLDecodeError and InputValueError too
        return None


def _cache_key(raw: Sequence[bytes], layers: Sequence[RuleLayer]) -> str | None:
    """The cache key of a table made of these files and layers (in order) by this code;
    None when a layer cannot be written as JSON (it is then validated every time)."""
    try:
        layer_parts = [json.dumps(data, ensure_ascii=False).encode() for _, data in layers]
    except (TypeError, ValueError):
        return None
    return rules_cache.cache_key((*_code_fingerprint(), b"files", *raw, b"layers", *layer_parts))


@lru_cache(maxsize=1)
def _code_fingerprint() -> tuple[bytes, ...]:
    """What decides a validated table besides its data: the package and pydantic versions,
    and the source of the modules whose models and validators make it (an editable install
    changes them without a new version)."""
    from pydantic.version import VERSION as PYDANTIC_VERSION

    from mediarules import __version__

    here = Path(__file__).parent
    sources = []
    for name in _VALIDATING_MODULES:
        try:
            sources.append((here / name).read_bytes())
        except OSError:  # a zipped or frozen install: its version says it all
            sources.append(b"")
    return (__version__.encode(), PYDANTIC_VERSION.encode(), *sources)


_VALIDATING_MODULES = ("ruleset.py", "limits.py", "models.py", "requirements.py", "safe_read.py")
"""The modules whose parser, models, validators and limit kinds make a ``RuleSet``."""


VARIANT_SEPARATOR = ":"


def _expand_variants(data: dict[str, Any], stack: Sequence[RuleLayer]) -> dict[str, Any]:
    """``[platforms.instagram.variants.reel]`` becomes the platform ``instagram:reel``: the base
    platform with the variant's tables merged over it.

    A key the variant sets is cited to the variant's own ``source`` unless its section names
    one, so a post type never borrows the base platform's citation for its own figures.
    """
    platforms = data.get("platforms")
    if not isinstance(platforms, Mapping):
        return data
    count = sum(
        1
        + (
            len(p["variants"])
            if isinstance(p, Mapping) and isinstance(p.get("variants"), Mapping)
            else 0
        )
        for p in platforms.values()
    )
    if count > MAX_PLATFORMS:
        where = echo_name(_layer_defining(["platforms"], stack))
        raise RuleConfigError(
            f"{where}: {count:,} platforms and post types; a rules table holds at most"
            f" {MAX_PLATFORMS:,}"
        )
    expanded: dict[str, Any] = {}
    for key, platform in platforms.items():
        if not isinstance(platform, Mapping) or "variants" not in platform:
            expanded[key] = platform
            continue
        base = {k: v for k, v in platform.items() if k != "variants"}
        expanded[key] = base
        variants = platform["variants"]
        if not isinstance(variants, Mapping) or not all(
            isinstance(v, Mapping) for v in variants.values()
        ):
            where = echo_name(_layer_defining(["platforms", key, "variants"], stack))
            raise RuleConfigError(
                f"{where}: platform {_quoted(key)}, key 'variants': must hold one table per variant"
            )
        for name, overlay in variants.items():
            expanded[f"{key}{VARIANT_SEPARATOR}{name}"] = _variant(key, base, name, overlay, stack)
    return {**data, "platforms": expanded}


def _variant(
    key: str,
    base: Mapping[str, Any],
    name: str,
    overlay: Mapping[str, Any],
    stack: Sequence[RuleLayer],
) -> dict[str, Any]:
    """The base platform with the variant's tables merged over it.

    What the variant says of its figures (``source``, ``evidence``, ``verified``: its own, or
    its section's) is said of the keys it sets, one by one: the keys it inherits keep their
    base citations (a Premium tier's caption limit is a third party's figure; the counting
    it inherits is still X's own).
    """
    cited: dict[str, Any] = {}
    cleared = dict(base)
    defaults = {single: overlay.get(single) for single in ("source", "evidence", "verified")}
    _check_evidence(overlay.get("evidence"), key, name, "evidence", stack)
    for section, values in overlay.items():
        if isinstance(values, Mapping):
            values = dict(values)
            unset = _unset_keys(key, name, section, values.pop("unset", []), stack)
            if unset and isinstance(cleared.get(section), Mapping):
                cleared[section] = {k: v for k, v in cleared[section].items() if k not in unset}
            own = [k for k in values if k not in CITATION_KEYS]
            found = base.get(section)
            base_section: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
            for single, table in (
                ("source", "sources"),
                ("evidence", "evidences"),
                ("verified", "verifieds"),
            ):
                given = values.pop(single, None)
                _check_evidence(given if single == "evidence" else None, key, name,
                                f"{section}.evidence", stack)  # fmt: skip
                value = given if given is not None else defaults[single]
                inherited = base_section.get(single, base.get(single))
                if inherited is not None:  # the keys it inherits keep the base's citation
                    values[single] = inherited
                named = values.get(table, {})
                if value is not None and own and isinstance(named, Mapping):
                    values[table] = {**dict.fromkeys(own, value), **named}
        cited[section] = values
    merged = _deep_merge(cleared, cited)
    merged["variant_of"] = key
    merged["name"] = overlay.get("name", f"{base.get('name', key)} ({name})")
    merged["aliases"] = [
        f"{alias}{VARIANT_SEPARATOR}{name}" for alias in base.get("aliases", [])
    ] + list(overlay.get("aliases", []))
    for single in ("evidence", "verified"):  # the platform-wide defaults stay the base's
        if single in base:
            merged[single] = base[single]
        else:
            merged.pop(single, None)
    if "source" not in overlay:
        merged.pop("source", None)  # a variant cites its own figures: required below
    return merged


_EVIDENCE_VALUES = ("official", "publisher", "third-party")


def _check_evidence(
    value: Any, platform: str, variant: str, where: str, stack: Sequence[RuleLayer]
) -> None:
    """A variant's ``evidence`` is spread over the keys it sets: check it where it is written,
    so a misspelling is named there."""
    if value is None or value in _EVIDENCE_VALUES:
        return
    loc = ["platforms", platform, "variants", variant, *where.split(".")]
    file = echo_name(_layer_defining(loc, stack))
    name = _quoted(f"{platform}{VARIANT_SEPARATOR}{variant}")
    allowed = ", ".join(repr(v) for v in _EVIDENCE_VALUES)
    hint = _did_you_mean(value, _EVIDENCE_VALUES) if isinstance(value, str) else ""
    raise RuleConfigError(
        f"{file}: platform {name}, key {_quoted(where)}: must be one of {allowed},"
        f" not {_shown(value)}{hint}"
    )


def _read_toml(path: Path) -> dict[str, Any]:
    """A rules file: a regular file of at most ``MAX_INPUT_BYTES``, bounded in nesting and
    integers (``safe_read``); every problem is one line naming the file."""
    try:
        document: dict[str, Any] = read_document(path, syntax="TOML", noun="rules file")
    except DocumentError as exc:
        raise RuleConfigError(str(exc)) from None
    return document


def _deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


_MODELS_BY_SECTION: dict[str, type[Section]] = {
    "post": PostRules,
    "caption": TextRules,
    "title": TextRules,
    "image": ImageRules,
    "video": VideoRules,
    "alt_text": AltTextRules,
    "account": AccountRules,
    "tags": TagsRules,
}


def _describe(exc: PydanticValidationError, layers: Sequence[RuleLayer]) -> str:
    """One line per problem: ``file: platform 'x', key 'video.min_fsp': unknown key (...)``.

    A variant inherits its base platform's tables, so a bad base value fails in the variant
    too: that copy is left out, the base platform's line already says it.
    """
    errors = exc.errors()
    reported = {(tuple(map(str, e["loc"])), e["type"]) for e in errors}
    lines: list[str] = []
    for error in errors:
        loc = [str(part) for part in error["loc"]]
        base = _base_location(loc)
        if base is not None and (tuple(base), error["type"]) in reported:
            continue
        file = echo_name(_layer_writing(loc, layers))
        where = _where(loc)
        if error["type"] == "extra_forbidden":
            what = f"unknown key{_did_you_mean(loc[-1], _known_keys(loc[:-1]))}"
        elif error["type"] == "missing":
            what = "required key is missing"
        elif error["type"] == "value_error":  # our own validators name the value
            what = error["msg"].removeprefix("Value error, ")
        else:
            what = error["msg"]
            if "input" in error and not isinstance(error["input"], dict | list):
                what += f" (got {_shown(error['input'])})"
        lines.append(f"{file}: {where}: {what}")
    return "\n".join(dict.fromkeys(lines))


def _base_location(loc: list[str]) -> list[str] | None:
    """``platforms.x:premium.post.max_images`` -> ``platforms.x.post.max_images``; None for a
    location outside a variant."""
    if len(loc) >= 2 and loc[0] == "platforms" and VARIANT_SEPARATOR in loc[1]:
        return ["platforms", loc[1].partition(VARIANT_SEPARATOR)[0], *loc[2:]]
    return None


def _layer_writing(loc: list[str], layers: Sequence[RuleLayer]) -> str:
    """The file to blame for a problem at ``loc``: the last layer that writes that very key
    (in a variant's own table, else in its base platform's), or else the layer holding its
    deepest parent."""
    raw = _raw_location(loc)
    for candidate in (raw, _base_location(loc)):
        if candidate is None:
            continue
        for label, data in reversed(layers):
            if _holds(data, candidate):
                return label
    return _layer_defining(raw, layers)


def _holds(data: Mapping[str, Any], loc: list[str]) -> bool:
    node: Any = data
    for part in loc:
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def _where(loc: list[str]) -> str:
    if loc[:1] == ["platforms"] and len(loc) >= 2:
        key = ".".join(loc[2:])
        platform = _quoted(loc[1])
        return f"platform {platform}, key {_quoted(key)}" if key else f"platform {platform}"
    return f"key {_quoted('.'.join(loc))}" if loc else "top level"


def _shown(value: object) -> str:
    """A value as a message echoes it: a 5 MB string costs one short line."""
    return _quoted(value) if isinstance(value, str) else echo(repr(value))


def _quoted(text: str) -> str:
    """``repr`` of echoed input, cut to a readable length (``repr`` escapes controls)."""
    return repr(shorten(text))


def _known_keys(parent: list[str]) -> set[str]:
    """Field names allowed at ``parent`` (a location in the table)."""
    if not parent:
        return set(RuleSet.model_fields)
    if parent == ["platforms"]:
        return set()
    if len(parent) == 2:
        return set(PlatformRules.model_fields)
    model = _MODELS_BY_SECTION.get(parent[2]) if len(parent) == 3 else None
    return set(model.model_fields) if model else set()


def _unset_keys(
    platform: str, variant: str, section: str, names: Any, stack: Sequence[RuleLayer]
) -> set[str]:
    """A variant's ``unset = [...]``: base limits that do not apply to it (back to no limit)."""
    model = _MODELS_BY_SECTION.get(section)
    file = _layer_defining(["platforms", platform, "variants", variant, section, "unset"], stack)
    name = _quoted(f"{platform}{VARIANT_SEPARATOR}{variant}")
    where = f"{echo_name(file)}: platform {name}, key {_quoted(section + '.unset')}"
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise RuleConfigError(f"{where}: must be a list of key names")
    known = limit_keys(model) if model else set()
    for name in names:
        if name not in known:
            raise RuleConfigError(
                f"{where}: unknown key {_quoted(name)}{_did_you_mean(name, known)}"
            )
    return set(names)


def _raw_location(loc: list[str]) -> list[str]:
    """Where a location of the expanded table is written: ``platforms.instagram:reel.post``
    lives at ``platforms.instagram.variants.reel.post``."""
    if len(loc) >= 2 and loc[0] == "platforms" and VARIANT_SEPARATOR in loc[1]:
        platform, _, variant = loc[1].partition(VARIANT_SEPARATOR)
        return ["platforms", platform, "variants", variant, *loc[2:]]
    return loc


def _layer_defining(loc: list[str], layers: Sequence[RuleLayer]) -> str:
    """The last layer whose table holds ``loc`` (or its deepest existing parent)."""
    best = layers[0][0]
    best_depth = -1
    for label, data in layers:
        depth = 0
        node: Any = data
        for part in loc:
            if isinstance(node, Mapping) and part in node:
                node = node[part]
                depth += 1
            else:
                break
        if depth >= best_depth and depth > 0:
            best, best_depth = label, depth
    return best


def _did_you_mean(word: str, candidates: Any) -> str:
    if len(word) > 100:  # no name is this long: nothing to suggest, nothing to compare
        return ""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {matches[0]!r}?)" if matches else ""


_CACHED_CLASSES = (
    PlatformRules, PostRules, TextRules, ImageRules, VideoRules, AltTextRules, AccountRules,
    TagsRules,
)  # fmt: skip
"""What a cached ``RuleSet`` may be made of (besides ``Fraction`` and ``date``)."""


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    """The shipped rules table, loaded once per process (it is frozen), and validated once
    per version of the table and of mediarules (then read from the user cache folder)."""
    return load_rules()


def resolve_platforms(platforms: str | Iterable[str], ruleset: RuleSet) -> list[str]:
    """Platform keys for names, aliases or comma-separated lists, in order, without repeats.

    Raises ``UnknownPlatformError`` naming the first unknown platform.
    """
    names = [platforms] if isinstance(platforms, str) else list(platforms)
    keys: list[str] = []
    for entry in names:
        for name in entry.split(","):
            if name.strip():
                key = ruleset.resolve(name)
                if key not in keys:
                    keys.append(key)
    if not keys:
        raise UnknownPlatformError("no platform given")
    return keys


def as_ruleset(rules: RuleSet | str | os.PathLike[str] | None) -> RuleSet:
    """A ``RuleSet`` as given, the cached defaults for None, or a TOML file merged over them."""
    if isinstance(rules, RuleSet):
        return rules
    return default_rules() if rules is None else load_rules(Path(rules))
