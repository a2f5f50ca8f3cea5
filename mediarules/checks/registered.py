"""The checks of the limit kinds in the registry (:mod:`mediarules.limits`): one generic
check per kind, made from its row."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from pydantic import BaseModel

from mediarules.checks.finding import Finding, manual
from mediarules.fixes import plan
from mediarules.limits import LimitKind, Number, limits_of
from mediarules.models import Fix, MediaFacts

RegisteredCheck = Callable[[MediaFacts, Any], Iterator[Finding]]


def check_for(kind: LimitKind) -> RegisteredCheck:
    """The check of one limit kind: the fact against the section's value for ``kind.key``."""

    def check(facts: MediaFacts, rules: BaseModel) -> Iterator[Finding]:
        limit = getattr(rules, kind.key)
        value = kind.fact(facts)
        if limit is None or value is None:
            return
        if not kind.broken(limit, value):  # within the limit itself: no slack to work out
            return
        slack = kind.slack(facts) if kind.slack is not None else 0
        if slack and not kind.broken(limit, value, slack):
            return
        harder = getattr(rules, kind.within) if kind.within is not None else None
        if harder is not None and kind.broken(harder, value, slack):
            return  # refused outright: the harder limit's finding says so
        show = kind.show
        shown = " or ".join(show(v) for v in limit) if isinstance(limit, list) else show(limit)
        yield Finding(
            kind.code,
            kind.message.format(value=show(value), limit=shown),
            key=kind.key,
            actual=_plain(value),
            limit=[str(v) for v in limit] if isinstance(limit, list) else limit,
            fix=_fix(kind, limit, facts),
        )

    check.__name__ = check.__qualname__ = f"registered_{kind.key}"
    return check


def _plain(value: Number) -> int | float:
    """A whole number as an int (a count, a rate in Hz), anything else as a float."""
    if isinstance(value, int) or (not isinstance(value, float) and value.denominator == 1):
        return int(value)
    return float(value)


def _fix(kind: LimitKind, limit: Any, facts: MediaFacts) -> Fix:
    need = kind.requirement(limit, facts)
    if need is None:
        shown = ", ".join(str(v) for v in limit) if isinstance(limit, list) else str(limit)
        return manual(kind.by_hand.format(limit=shown) or kind.fix)
    return plan.meet(f"at most {kind.amount(limit)}", need)


def registered_checks(section: str) -> tuple[tuple[RegisteredCheck, tuple[str, ...]], ...]:
    """Each registered kind's check of ``section``, with the one key it reads."""
    return tuple((check_for(kind), (kind.key,)) for kind in limits_of(section))
