"""What a fix must achieve, as typed data: the vocabulary shared by checks, ``check``'s fixes
and the fix planner.

A check that finds a broken rule says what would satisfy it (``Bound("width", at_most=1080)``,
``Shorter("caption", 300, "graphemes")``); the ``Fix`` shown to the user is rendered from those
requirements, and the planner merges the requirements of every platform per output file and
per text field, then carries them out. Nothing here knows a platform, a rule or a check: this
module imports pydantic and the standard library only, so anything may import it.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from mediarules.plain_records import init_plain

__all__ = [
    "MEDIA_REQUIREMENTS",
    "Bound",
    "ByHand",
    "ConstantRate",
    "Dropped",
    "Named",
    "OneOf",
    "Requirement",
    "SetField",
    "Shorter",
    "Spread",
    "TextField",
    "Without",
    "bound",
    "one_of",
]


def _exact(value: Any) -> Any:
    """An int, a float (by its shortest repr: 1.91 is 191/100), ``"30000/1001"`` -> Fraction."""
    if isinstance(value, bool):
        raise ValueError("a bound is a number, not a boolean")
    if isinstance(value, float):
        return Fraction(repr(value))
    if isinstance(value, int | str):
        return Fraction(value)
    return value


def _plain(value: Fraction) -> int | float | str:
    """A whole number or a decimal that reads back exactly; else ``"n/d"`` (1:3 is "1/3")."""
    if value.denominator == 1:
        return int(value)
    decimal = float(value)
    return decimal if Fraction(repr(decimal)) == value else f"{value.numerator}/{value.denominator}"


Exact = Annotated[Fraction, BeforeValidator(_exact), PlainSerializer(_plain, when_used="json")]
"""A number kept exact (aspect ratios, frame rates): in JSON a number when one reads back
exactly, else ``"n/d"``."""

MediaFact = Literal[
    "bytes",
    "width",
    "height",
    "pixels",
    "dimension_sum",
    "aspect_ratio",
    "frames",
    "fps",
    "duration_s",
    "bitrate_bps",
]
"""A measurable fact of one file (sizes as displayed, after rotation)."""

ChoiceFact = Literal["format", "container", "video_codec", "audio_codec", "audio_sample_rate"]

TextField = Literal["caption", "title", "alt_text"]


class _Requirement(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    if not TYPE_CHECKING:  # (type checkers keep the signature pydantic gives)

        def __init__(self, /, **data: Any) -> None:
            """Kept as given when validation would keep it so (no validator is built:
            :mod:`mediarules.plain_records`); validated otherwise."""
            if not init_plain(self, data):
                super().__init__(**data)


class Bound(_Requirement):
    """A fact of the file must lie within ``[at_least, at_most]`` (``exclusive``: strictly)."""

    kind: Literal["bound"] = "bound"
    fact: MediaFact
    at_most: Exact | int | None = None
    at_least: Exact | int | None = None
    exclusive: bool = False

    def met_by(self, value: Fraction | int | float | None) -> bool:
        """Whether ``value`` satisfies the bound (an unknown value is taken as met)."""
        if value is None:
            return True
        if self.exclusive:
            return (self.at_most is None or value < self.at_most) and (
                self.at_least is None or value > self.at_least
            )
        return (self.at_most is None or value <= self.at_most) and (
            self.at_least is None or value >= self.at_least
        )


class OneOf(_Requirement):
    """A fact must be one of ``values``; ``prefer``: a value asked for although others pass
    (a platform's preferred format)."""

    kind: Literal["one_of"] = "one_of"
    fact: ChoiceFact
    values: list[str | int]
    prefer: str | None = None


class ConstantRate(_Requirement):
    """The video must have a constant frame rate."""

    kind: Literal["constant_frame_rate"] = "constant_frame_rate"


class Named(_Requirement):
    """The file must be uploaded under ``name`` (the upload API's own name, the real format's
    extension)."""

    kind: Literal["named"] = "named"
    name: str


class Shorter(_Requirement):
    """A text field must count at most ``limit`` in ``unit``, counted with these options."""

    kind: Literal["shorter"] = "shorter"
    field: TextField
    limit: int = Field(ge=0)
    unit: str
    url_length: int | None = None
    mention_domains_free: bool = False
    overflow: Literal["truncate", "thread", "follow_up"] = "truncate"
    """How the rest may go on: cut, in a thread of replies, or in follow-up messages."""
    rest_limit: int | None = None
    """The limit of each follow-up part (Telegram: a caption of 1,024, then messages of 4,096)."""


class Without(_Requirement):
    """A text field must not contain any of ``characters``."""

    kind: Literal["without"] = "without"
    field: TextField
    characters: str


class Spread(_Requirement):
    """The post's media must be spread over posts that each hold at most these."""

    kind: Literal["spread"] = "spread"
    max_items: int | None = None
    max_images: int | None = None
    max_videos: int | None = None
    max_animations: int | None = None
    mixing_allowed: bool = True


class Dropped(_Requirement):
    """The item cannot be published on this platform at all: leave it out."""

    kind: Literal["dropped"] = "dropped"


class SetField(_Requirement):
    """A field of the upload request must be sent with ``value``."""

    kind: Literal["set_field"] = "set_field"
    field: str
    value: str


class ByHand(_Requirement):
    """Only a person can do it (write alt text, switch the account type, film a longer clip)."""

    kind: Literal["by_hand"] = "by_hand"
    task: str


Requirement = Annotated[
    Bound | OneOf | ConstantRate | Named | Shorter | Without | Spread | Dropped | SetField | ByHand,
    Field(discriminator="kind"),
]


@lru_cache(maxsize=1024)
def bound(
    *,
    fact: MediaFact,
    at_most: Fraction | int | None = None,
    at_least: Fraction | int | None = None,
    exclusive: bool = False,
) -> Bound:
    """A shared ``Bound``: checks ask for the same few limits over and over, and a record is
    immutable, so one is made (and validated) once. A whole number is given as the
    ``Fraction`` validation makes of it (``Exact`` is the first choice of the union), so the
    record is made without building a validator."""
    return Bound(
        fact=fact,
        at_most=_as_validated(at_most),
        at_least=_as_validated(at_least),
        exclusive=exclusive,
    )


def _as_validated(value: Fraction | int | None) -> Fraction | int | None:
    return Fraction(value) if type(value) is int else value


@lru_cache(maxsize=1024)
def one_of(*, fact: ChoiceFact, values: tuple[str | int, ...], prefer: str | None = None) -> OneOf:
    """A shared ``OneOf`` (see :func:`bound`)."""
    return OneOf(fact=fact, values=list(values), prefer=prefer)


MEDIA_REQUIREMENTS = (Bound, OneOf, ConstantRate)
"""Requirements a new file meets (the rest are about text, names, the post or a person)."""
