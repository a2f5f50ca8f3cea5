"""Post-level checks: the files given together are one post; count and mix them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from mediarules.checks.finding import Finding
from mediarules.fixes import plan
from mediarules.models import MediaFacts, Severity
from mediarules.ruleset import AccountRules, PostRules


def _category(facts: MediaFacts, rules: PostRules) -> str:
    """image, animation (only where the platform counts GIFs apart) or video."""
    if facts.kind == "image" and facts.animated and rules.max_animations is not None:
        return "animation"
    return facts.kind or "unknown"


def check_post(items: Sequence[MediaFacts], rules: PostRules) -> Iterator[Finding]:
    """``items`` holds one record per input, unreadable ones too (their ``kind`` is None)."""
    groups: dict[str, list[int]] = {"image": [], "animation": [], "video": [], "unknown": []}
    for index, facts in enumerate(items):
        groups[_category(facts, rules)].append(index)
    images, animations, videos = groups["image"], groups["animation"], groups["video"]

    if rules.media_required and not items:
        yield Finding(
            "post.media_required",
            "the platform does not publish a post without an image or a video",
            key="media_required",
            actual=0,
            limit=True,
            fix=plan.manual("Attach an image or a video"),
        )
    if rules.video_required and not videos:
        yield Finding(
            "post.video_required",
            "the platform only publishes video, and the post has none",
            key="video_required",
            actual=0,
            limit=True,
            fix=plan.manual("Attach a video"),
        )
    if not rules.images_allowed:
        for index in images + animations:
            yield Finding(
                "post.images_not_allowed",
                "the platform does not take images",
                key="images_allowed",
                actual="image",
                limit=False,
                fix=plan.drop_media([index], "image"),
                media_index=index,
            )

    counted = False
    for code, what, found, limit, key in (
        ("post.too_many_images", "images", images, rules.max_images, "max_images"),
        (
            "post.too_many_animations",
            "animations",
            animations,
            rules.max_animations,
            "max_animations",
        ),
        ("post.too_many_videos", "videos", videos, rules.max_videos, "max_videos"),
    ):
        if not rules.images_allowed and what != "videos":
            continue  # already reported one by one
        if limit is not None and len(found) > limit:
            counted = True
            yield Finding(
                code,
                f"post has {len(found)} {what}; the limit is {limit}",
                key=key,
                actual=len(found),
                limit=limit,
                fix=plan.drop_media(found[limit:], what.rstrip("s")),
            )
    # Images a video-only platform refuses are already reported one by one: don't count them
    # again as extra items or as a mix.
    refused = set() if rules.images_allowed else set(images + animations)
    kept = [index for index in range(len(items)) if index not in refused]
    if rules.max_items is not None and len(kept) > rules.max_items and not counted:
        yield Finding(
            "post.too_many_items",
            f"post has {len(kept)} media items; the limit is {rules.max_items}",
            key="max_items",
            actual=len(kept),
            limit=rules.max_items,
            fix=plan.drop_media(kept[rules.max_items :], "item"),
        )
    if rules.min_items is not None and 0 < len(items) < rules.min_items:
        yield Finding(
            "post.too_few_items",
            f"post has {len(items)} media items; the minimum is {rules.min_items}",
            key="min_items",
            actual=len(items),
            limit=rules.min_items,
            fix=plan.manual(f"Add media to reach {rules.min_items} items"),
        )
    present = [
        name
        for name in ("image", "animation", "video")
        if groups[name] and (rules.images_allowed or name == "video")
    ]
    if not rules.mixing_allowed and len(present) > 1:
        yield Finding(
            "post.mixed_media_not_allowed",
            f"post mixes {' and '.join(p + 's' for p in present)}; the platform takes one kind",
            key="mixing_allowed",
            actual=", ".join(present),
            limit=False,
            fix=plan.split_post([groups[name] for name in present], "one kind of media each"),
        )


def check_account(account_type: str | None, rules: AccountRules) -> Iterator[Finding]:
    """Unknown account type: a reminder (info); a known type not on the list: an error."""
    if not rules.types or (account_type is not None and account_type in rules.types):
        return
    wanted = " or ".join(rules.types)
    if account_type is None:
        yield Finding(
            "account.business_required",
            f"publishing needs a {wanted} account; make sure this one is",
            key="types",
            actual=None,
            limit=rules.types,
            fix=plan.manual(f"Switch the account to a {wanted} account"),
            severity=Severity.INFO,
        )
        return
    yield Finding(
        "account.business_required",
        f"a {account_type} account cannot publish here; it must be a {wanted} account",
        key="types",
        actual=account_type,
        limit=rules.types,
        fix=plan.manual(f"Switch the account to a {wanted} account"),
    )
