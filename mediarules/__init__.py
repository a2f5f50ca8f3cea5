"""mediarules: check a social-media post against each platform's rules before publishing.

>>> report = mediarules.check(["clip.mov"], platforms=["tiktok", "x"], caption="Hello")
>>> report.ok, [v.code for v in report.violations]

Names are imported on first use (PEP 562), so ``python -m mediarules --help`` and a process
that needs only part of the package do not pay for the rest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mediarules.api import check, check_payload, inspect
    from mediarules.codes import CODES, explain
    from mediarules.fixes.api import FixPlan, FixResult, apply_fixes, plan_fixes
    from mediarules.inputs.intake import MediaInput
    from mediarules.inputs.payload import PostPayload, load_payload
    from mediarules.inspection import UnreadableMediaError
    from mediarules.measuring import Measurement, measure
    from mediarules.models import (
        ALL_PLATFORMS,
        Applicability,
        Fix,
        FixStep,
        MediaFacts,
        MediaRef,
        Report,
        Severity,
        Violation,
    )
    from mediarules.remote import FetchOptions
    from mediarules.ruleset import (
        PlatformRules,
        RuleConfigError,
        RuleSet,
        UnknownPlatformError,
        default_rules,
        load_rules,
        resolve_platforms,
    )

__version__ = "0.1.0"

_HOME = {
    "mediarules.api": ("check", "check_payload", "inspect"),
    "mediarules.codes": ("CODES", "explain"),
    "mediarules.fixes.api": ("FixPlan", "FixResult", "apply_fixes", "plan_fixes"),
    "mediarules.inspection": ("UnreadableMediaError",),
    "mediarules.inputs.intake": ("MediaInput",),
    "mediarules.measuring": ("Measurement", "measure"),
    "mediarules.remote": ("FetchOptions",),
    "mediarules.models": (
        "ALL_PLATFORMS", "Applicability", "Fix", "FixStep", "MediaFacts", "MediaRef", "Report",
        "Severity", "Violation",
    ),
    "mediarules.inputs.payload": ("PostPayload", "load_payload"),
    "mediarules.ruleset": (
        "PlatformRules", "RuleConfigError", "RuleSet", "UnknownPlatformError", "default_rules",
        "load_rules", "resolve_platforms",
    ),
}  # fmt: skip
_MODULE_OF = {name: module for module, names in _HOME.items() for name in names}

__all__ = [
    "ALL_PLATFORMS",
    "CODES",
    "Applicability",
    "FetchOptions",
    "Fix",
    "FixPlan",
    "FixResult",
    "FixStep",
    "Measurement",
    "MediaFacts",
    "MediaInput",
    "MediaRef",
    "PlatformRules",
    "PostPayload",
    "Report",
    "RuleConfigError",
    "RuleSet",
    "Severity",
    "UnknownPlatformError",
    "UnreadableMediaError",
    "Violation",
    "apply_fixes",
    "check",
    "check_payload",
    "default_rules",
    "explain",
    "inspect",
    "load_payload",
    "load_rules",
    "measure",
    "plan_fixes",
    "resolve_platforms",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'mediarules' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
