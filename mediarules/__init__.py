"""mediarules: check a social-media post against each platform's rules before publishing.

>>> report = mediarules.check(["clip.mov"], platforms=["tiktok", "x"], caption="Hello")
>>> report.ok, [v.code for v in report.violations]
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from mediarules.codes import CODES, explain
from mediarules.engine import ALL_PLATFORMS, evaluate
from mediarules.inspection import UnreadableMediaError
from mediarules.inspection import inspect as _inspect_file
from mediarules.intake import MediaInput, take
from mediarules.models import (
    Applicability,
    Fix,
    FixStep,
    MediaFacts,
    MediaRef,
    Report,
    Severity,
    Violation,
)
from mediarules.ruleset import (
    PlatformRules,
    RuleConfigError,
    RuleSet,
    UnknownPlatformError,
    load_rules,
)

__version__ = "0.1.0"

__all__ = [
    "ALL_PLATFORMS",
    "CODES",
    "Applicability",
    "Fix",
    "FixStep",
    "MediaFacts",
    "MediaInput",
    "MediaRef",
    "PlatformRules",
    "Report",
    "RuleConfigError",
    "RuleSet",
    "Severity",
    "UnknownPlatformError",
    "UnreadableMediaError",
    "Violation",
    "check",
    "default_rules",
    "explain",
    "inspect",
    "load_rules",
    "resolve_platforms",
]


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    """The shipped rules table, parsed once per process (it is frozen)."""
    return load_rules()


def inspect(path: str | os.PathLike[str]) -> MediaFacts:
    """Read one file's facts from its header (never decoding pixels).

    Raises ``UnreadableMediaError`` for a file that is not an image or video it can read.
    """
    return _inspect_file(path)


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


def check(
    media: Iterable[MediaInput] = (),
    *,
    platforms: str | Iterable[str],
    caption: str | None = None,
    title: str | None = None,
    account_type: str | None = None,
    content_warning: str | None = None,
    rules: RuleSet | str | os.PathLike[str] | None = None,
) -> Report:
    """Check one post (``media`` together, with its caption and title) for ``platforms``.

    ``media`` holds paths, ``MediaRef`` metadata records (the scheduler's upload payload, with
    or without a file) or ready ``MediaFacts``. ``rules`` is a ``RuleSet`` or the path of a
    TOML file merged over the defaults. ``content_warning`` is the post's spoiler text, which
    Mastodon counts with the caption. Every problem comes back in the ``Report``; a file that
    cannot be read is a ``media.unreadable`` violation, not an exception. An unknown platform or
    a bad rules file raises ``RuleConfigError``.
    """
    if isinstance(rules, RuleSet):
        ruleset = rules
    elif rules is None:
        ruleset = default_rules()
    else:
        ruleset = load_rules(Path(rules))
    keys = resolve_platforms(platforms, ruleset)
    if isinstance(media, str | os.PathLike | MediaRef | MediaFacts):
        media = [media]  # one file given bare, not a list of one
    items = [take(entry) for entry in media]
    return evaluate(
        items,
        keys,
        ruleset,
        caption=caption,
        title=title,
        account_type=account_type,
        content_warning=content_warning,
    )
