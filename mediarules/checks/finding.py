"""What a check yields: the facts of one broken rule, before the engine adds context."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import NamedTuple, TypeVar

from pydantic import BaseModel

from mediarules.fixes import plan
from mediarules.formatting import human_bytes as human_bytes  # re-exported for the checks
from mediarules.formatting import human_seconds as human_seconds
from mediarules.models import Fix, Severity

Scalar = str | int | float | bool | None


class Finding(NamedTuple):
    """Immutable, and a named tuple rather than a frozen dataclass: checks make many (one per
    broken rule and item) and a tuple is made in half the time."""

    code: str
    message: str
    key: str | None = None
    """The rules key whose limit was broken: the engine looks up its ``source``."""
    actual: Scalar = None
    limit: Scalar | list[str] = None
    fix: Fix | None = None
    media_index: int | None = None
    """For post-level checks that point at one item (e.g. an image on a video-only platform)."""
    severity: Severity | None = None
    """Overrides the code's default severity when the same code can mean less."""
    source: str | None = None
    """For checks whose limit is not in the rules table (the upload API's own behaviour)."""


def is_set(limit: object) -> bool:
    """Whether a rules value can be broken: None, False and an empty list or table mean no
    limit (any format, any codec, no constant frame rate needed)."""
    if limit is None or limit is False:
        return False
    return not isinstance(limit, list | dict) or bool(limit)


Check = TypeVar("Check", bound=Callable[..., object])


def checks_that_apply(
    checks: Sequence[Check], limit_keys: Mapping[Check, tuple[str, ...]], rules: BaseModel
) -> tuple[Check, ...]:
    """The ``checks`` (in order) that can find something under ``rules``: a check whose
    limits (``limit_keys``) are all unset never yields."""
    return tuple(
        check for check in checks if any(is_set(getattr(rules, key)) for key in limit_keys[check])
    )


@lru_cache(maxsize=1024)
def manual(title: str) -> Fix:
    """``plan.manual(title)``, made once per title: checks ask for the same few (one per item
    of a post, for every post) and a fix is never changed once made (the engine, the planner
    and every output only read it), so reports may share one."""
    return plan.manual(title)
