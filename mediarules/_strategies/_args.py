"""Argument checks shared by the strategies: impossible arguments raise ``InvalidArgument``
when the strategy is built, never an empty strategy at the first draw (hypothesis'
convention)."""

from __future__ import annotations

from hypothesis.errors import InvalidArgument

from mediarules.codes import CODES
from mediarules.ruleset import PlatformRules, RuleSet, UnknownPlatformError, default_rules

__all__ = ["check_count", "check_range", "check_validity", "resolve"]


def resolve(platform: str, rules: RuleSet | None) -> tuple[RuleSet, str, PlatformRules]:
    """The rules table, the platform's key (aliases and case resolved) and its rules."""
    if rules is None:
        rules = default_rules()
    elif not isinstance(rules, RuleSet):
        raise InvalidArgument(f"rules={rules!r} must be a mediarules.RuleSet or None")
    if not isinstance(platform, str):
        raise InvalidArgument(
            f"platform={platform!r} must be a str such as 'x' or 'instagram:reel'"
        )
    try:
        key = rules.resolve(platform)
    except UnknownPlatformError as exc:
        raise InvalidArgument(str(exc)) from None
    return rules, key, rules.platforms[key]


def check_count(name: str, value: int | None) -> None:
    """``value`` is None or a whole number >= 0."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"{name}={value!r} must be an int or None")
    if value < 0:
        raise InvalidArgument(f"{name}={value!r} must be >= 0")


def check_range(low_name: str, low: int | None, high_name: str, high: int | None) -> None:
    check_count(low_name, low)
    check_count(high_name, high)
    if low is not None and high is not None and low > high:
        raise InvalidArgument(f"{low_name}={low} is greater than {high_name}={high}")


def check_validity(valid: bool | None, violating: str | None) -> None:
    """``valid`` and ``violating`` agree, and ``violating`` names a known code."""
    if valid is not None and not isinstance(valid, bool):
        raise InvalidArgument(f"valid={valid!r} must be True, False or None")
    if violating is None:
        return
    if not isinstance(violating, str):
        raise InvalidArgument(f"violating={violating!r} must be a violation code or None")
    if violating not in CODES:
        raise InvalidArgument(f"violating={violating!r} is not a violation code (see CODES)")
    if valid is True:
        raise InvalidArgument(f"valid=True contradicts violating={violating!r}")
    if valid is False and CODES[violating].severity.value != "error":
        raise InvalidArgument(
            f"valid=False needs an error, but {violating!r} is"
            f" a{'n' if CODES[violating].severity.value == 'info' else ''}"
            f" {CODES[violating].severity.value}"
        )
