"""plan_fixes and apply_fixes: plan every fix of a post, then carry it out and check again.

>>> plan = plan_fixes(["clip.mov"], platforms="tiktok")
>>> result = apply_fixes(plan, "out/", unsafe=True)
>>> result.ok, [f.path for f in result.written]
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from mediarules.engine import evaluate
from mediarules.fixes.apply import (
    FixResult,
    NewFile,
    PostResult,
    SkippedOutput,
    WrittenFile,
    apply,
)
from mediarules.fixes.planner import FixPlan, OutputPlan, PlannedPost, PlatformPlan, plan
from mediarules.inputs.intake import Item, MediaInput, take, take_all
from mediarules.models import MediaRef, Report
from mediarules.ruleset import RuleSet, as_ruleset, resolve_platforms

__all__ = [
    "FixPlan",
    "FixResult",
    "OutputPlan",
    "PlannedPost",
    "PlatformPlan",
    "PostResult",
    "SkippedOutput",
    "WrittenFile",
    "apply_fixes",
    "plan_fixes",
]


def plan_fixes(
    media: Iterable[MediaInput] = (),
    *,
    platforms: str | Iterable[str],
    caption: str | None = None,
    title: str | None = None,
    account_type: str | None = None,
    content_warning: str | None = None,
    tags: Iterable[str] | None = None,
    poll: bool = False,
    rules: RuleSet | str | os.PathLike[str] | None = None,
) -> FixPlan:
    """Check the post, then plan every fix: new files, posts per platform, text, manual work."""
    ruleset = as_ruleset(rules)
    keys = resolve_platforms(platforms, ruleset)
    items = take_all(media)
    tag_list = None if tags is None else [tags] if isinstance(tags, str) else list(tags)
    report = evaluate(
        items, keys, ruleset, caption=caption, title=title, account_type=account_type,
        content_warning=content_warning, tags=tag_list, poll=poll,
    )  # fmt: skip
    return plan(
        items, report, keys, ruleset, caption=caption, title=title, account_type=account_type,
        content_warning=content_warning, tags=tag_list, poll=poll,
    )  # fmt: skip


def apply_fixes(
    fix_plan: FixPlan,
    out_dir: str | os.PathLike[str],
    *,
    unsafe: bool = False,
    dry_run: bool = False,
    rules: RuleSet | str | os.PathLike[str] | None = None,
) -> FixResult:
    """Write the planned outputs into ``out_dir`` (safe ones only unless ``unsafe``), build
    each platform's posts and check every one of them again with the rules the plan was made
    with (``rules``: other rules to check them against instead)."""
    ruleset = fix_plan.ruleset if rules is None else as_ruleset(rules)

    def recheck(media: list[int | NewFile], platform: str, post: PlannedPost) -> Report:
        alt_texts = post.alt_texts or fix_plan.alt_texts
        items = [_recheck_item(entry, fix_plan, alt_texts) for entry in media]
        return evaluate(
            items,
            [platform],
            ruleset,
            caption=post.caption,
            title=post.title,
            account_type=fix_plan.account_type,
            content_warning=fix_plan.content_warning,
            tags=fix_plan.tags,
            poll=fix_plan.poll,
        )

    return apply(fix_plan, Path(out_dir), recheck, unsafe=unsafe, dry_run=dry_run)


def _recheck_item(entry: int | NewFile, fix_plan: FixPlan, alt_texts: list[str | None]) -> Item:
    """A new file is inspected; an input kept as it was reuses its facts (metadata-only
    records included), and an unreadable input is read again, to be reported again."""
    index = entry.media_index if isinstance(entry, NewFile) else entry
    alt = alt_texts[index] if index < len(alt_texts) else None
    if isinstance(entry, NewFile):
        return take(MediaRef(path=Path(entry.path), alt_text=alt) if alt else entry.path)
    facts = fix_plan.before.media[entry]
    if facts.kind is None and facts.path is not None:
        return take(facts.path)
    return Item(facts, MediaRef(alt_text=alt) if alt else None)
