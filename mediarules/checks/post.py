"""Post-level checks: the files given together are one post; count and mix them."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache

from mediarules.checks.finding import Finding, manual
from mediarules.fixes import plan
from mediarules.models import Fix, MediaFacts, Severity
from mediarules.requirements import Spread
from mediarules.ruleset import AccountRules, PostRules

PostCheck = Callable[[Sequence[MediaFacts], PostRules], Iterator[Finding]]


def _by_category(
    items: Sequence[MediaFacts], rules: PostRules
) -> tuple[list[int], list[int], list[int]]:
    """Indices of the images, animations (only where the platform counts GIFs apart; else
    they are images) and videos; unreadable items (``kind`` None) are in none."""
    images: list[int] = []
    animations: list[int] = []
    videos: list[int] = []
    apart = rules.max_animations is not None
    for index, facts in enumerate(items):
        if facts.kind == "image":
            (animations if apart and facts.animated else images).append(index)
        elif facts.kind == "video":
            videos.append(index)
    return images, animations, videos


def required(items: Sequence[MediaFacts], rules: PostRules) -> Iterator[Finding]:
    """Some media, or a video, where the platform publishes nothing else."""
    if rules.media_required and not items:
        yield Finding(
            "post.media_required",
            "the platform does not publish a post without an image or a video",
            key="media_required",
            actual=0,
            limit=True,
            fix=manual("Attach an image or a video"),
        )
    if rules.video_required and not any(facts.kind == "video" for facts in items):
        yield Finding(
            "post.video_required",
            "the platform only publishes video, and the post has none",
            key="video_required",
            actual=0,
            limit=True,
            fix=manual("Attach a video"),
        )


def refused_images(items: Sequence[MediaFacts], rules: PostRules) -> Iterator[Finding]:
    """One finding per image, in order, where the platform takes none."""
    if rules.images_allowed:
        return
    for index, facts in enumerate(items):
        if facts.kind == "image":
            yield _refused_image(index)


@lru_cache(maxsize=1024)
def _refused_image(index: int) -> Finding:
    """The finding of the image at ``index`` where no image is taken: the same for every post
    (a finding and its fix are never changed once made)."""
    return Finding(
        "post.images_not_allowed",
        "the platform does not take images",
        key="images_allowed",
        actual="image",
        limit=False,
        fix=plan.drop_media([index], "image"),
        media_index=index,
    )


def counts(items: Sequence[MediaFacts], rules: PostRules) -> Iterator[Finding]:
    """Too many images, animations or videos; failing those, too many items."""
    images, animations, videos = _by_category(items, rules)
    allowed = rules.images_allowed
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
        if not allowed and what != "videos":
            continue  # already reported one by one
        if limit is not None and len(found) > limit:
            counted = True
            yield Finding(
                code,
                f"post has {len(found)} {what}; the limit is {limit}",
                key=key,
                actual=len(found),
                limit=limit,
                fix=_spread_fix(items, rules, f"at most {limit} {what} each", animations),
            )
    if rules.max_items is not None and not counted:
        refused = set() if allowed else {*images, *animations}
        yield from _too_many_items(items, rules, refused)


def _spread_fix(
    items: Sequence[MediaFacts],
    rules: PostRules,
    why: str,
    animations: list[int] | None = None,
    max_items: int | None = None,
) -> Fix:
    """Publish the media over several posts, as the planner will (images a platform refuses
    are left out of them: they are dropped, one by one). ``animations``: the items counted
    as animations, when the caller has them (``_by_category``); ``max_items``: fewer a post
    than the rules' own maximum."""
    if animations is None:
        _, animations, _ = _by_category(items, rules)
    moving = set(animations)
    categories = tuple(
        None
        if not rules.images_allowed and facts.kind == "image"
        else "video"
        if facts.kind == "video"
        else "animation"
        if i in moving
        else "image"
        for i, facts in enumerate(items)
    )
    most = rules.max_items if max_items is None else max_items
    limits = (most, rules.max_images, rules.max_videos, rules.max_animations)
    return _spread_fix_of(categories, limits, rules.mixing_allowed, why)


@lru_cache(maxsize=256)
def _spread_fix_of(
    categories: tuple[str | None, ...],
    limits: tuple[int | None, int | None, int | None, int | None],
    mixing_allowed: bool,
    why: str,
) -> Fix:
    """The split for items of these categories (None: refused, left out): the same post
    shape on every platform and every post with it shares one (immutable) fix."""
    max_items, max_images, max_videos, max_animations = limits
    need = Spread(
        max_items=max_items, max_images=max_images, max_videos=max_videos,
        max_animations=max_animations, mixing_allowed=mixing_allowed,
    )  # fmt: skip
    kept = [index for index, category in enumerate(categories) if category is not None]
    groups = plan.spread_groups([categories[i] for i in kept], need)
    return plan.split_post([[kept[i] for i in group] for group in groups], why, need)


def _too_many_items(
    items: Sequence[MediaFacts], rules: PostRules, refused: set[int]
) -> Iterator[Finding]:
    """Images a video-only platform refuses (``refused``) are already reported one by one:
    they do not count again as extra items (nor as a mix, in ``mixing``)."""
    kept = [index for index in range(len(items)) if index not in refused]
    limit = rules.max_items
    if limit is not None and len(kept) > limit:
        yield Finding(
            "post.too_many_items",
            f"post has {len(kept)} media items; the limit is {limit}",
            key="max_items",
            actual=len(kept),
            limit=limit,
            fix=_spread_fix(items, rules, f"at most {limit} items each"),
        )


def recommended_items(items: Sequence[MediaFacts], rules: PostRules) -> Iterator[Finding]:
    """More items than clients show, though the platform takes them (a warning); the hard
    maximum is ``counts``' (then this is not said again)."""
    shown = rules.recommended_max_items
    if shown is None or len(items) <= shown:
        return
    if rules.max_items is not None and len(items) > rules.max_items:
        return
    yield Finding(
        "post.over_recommended_items",
        f"post has {len(items)} media items; the platform takes them, but clients show {shown}",
        key="recommended_max_items",
        actual=len(items),
        limit=shown,
        fix=_spread_fix(items, rules, f"at most {shown} items each", max_items=shown),
    )


def too_few_items(items: Sequence[MediaFacts], rules: PostRules) -> Iterator[Finding]:
    """Fewer items than the platform's minimum (a post without media is another matter)."""
    if rules.min_items is not None and 0 < len(items) < rules.min_items:
        yield Finding(
            "post.too_few_items",
            f"post has {len(items)} media items; the minimum is {rules.min_items}",
            key="min_items",
            actual=len(items),
            limit=rules.min_items,
            fix=manual(f"Add media to reach {rules.min_items} items"),
        )


def mixing(items: Sequence[MediaFacts], rules: PostRules) -> Iterator[Finding]:
    """Images, animations and videos together where the platform takes one kind a post."""
    if rules.mixing_allowed:
        return
    images, animations, videos = _by_category(items, rules)
    groups = {"image": images, "animation": animations, "video": videos}
    if not rules.images_allowed:
        groups = {"video": videos}  # refused images are reported one by one, not as a mix
    present = [name for name, indices in groups.items() if indices]
    if len(present) > 1:
        yield Finding(
            "post.mixed_media_not_allowed",
            f"post mixes {' and '.join(p + 's' for p in present)}; the platform takes one kind",
            key="mixing_allowed",
            actual=", ".join(present),
            limit=False,
            fix=_spread_fix(items, rules, "one kind of media each", animations),
        )


_SPREAD_KEYS = (
    "images_allowed", "mixing_allowed", "max_images", "max_animations", "max_videos", "max_items"
)  # fmt: skip

POST_CHECKS: tuple[PostCheck, ...] = (
    required, refused_images, counts, recommended_items, too_few_items, mixing
)  # fmt: skip

LIMIT_KEYS: dict[PostCheck, tuple[str, ...]] = {
    required: ("media_required", "video_required"),
    refused_images: ("images_allowed",),
    counts: _SPREAD_KEYS,
    recommended_items: ("recommended_max_items", *_SPREAD_KEYS),
    too_few_items: ("min_items",),
    mixing: _SPREAD_KEYS,
}
"""The ``[post]`` keys each check reads: platforms whose values agree get the same findings
(a split's fix spreads the media by all of the counts: see ``_spread``)."""


_CAN_FIND: dict[PostCheck, Callable[[PostRules], bool]] = {  # else the check yields nothing
    required: lambda rules: rules.media_required or rules.video_required,
    refused_images: lambda rules: not rules.images_allowed,
    counts: lambda rules: any(
        limit is not None
        for limit in (rules.max_images, rules.max_animations, rules.max_videos, rules.max_items)
    ),
    recommended_items: lambda rules: rules.recommended_max_items is not None,
    too_few_items: lambda rules: rules.min_items is not None,
    mixing: lambda rules: not rules.mixing_allowed,
}


def post_checks_for(rules: PostRules) -> tuple[PostCheck, ...]:
    """The checks of ``POST_CHECKS`` (in order) that can find something under ``rules``."""
    return tuple(check for check in POST_CHECKS if _CAN_FIND[check](rules))


def check_poll(poll: bool, items: Sequence[MediaFacts], rules: PostRules) -> Iterator[Finding]:
    """A post with a poll, and media, where the platform takes one or the other."""
    if not poll or rules.media_with_poll or not items:
        return
    yield Finding(
        "post.poll_with_media",
        f"the post has a poll and {len(items)} media item{'s' if len(items) > 1 else ''};"
        " the platform takes a poll or media, not both",
        key="media_with_poll",
        actual=len(items),
        limit=0,
        fix=manual("Publish the media in a post of its own, or leave the poll out"),
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
            fix=manual(f"Switch the account to a {wanted} account"),
            severity=Severity.INFO,
        )
        return
    yield Finding(
        "account.business_required",
        f"a {account_type} account cannot publish here; it must be a {wanted} account",
        key="types",
        actual=account_type,
        limit=rules.types,
        fix=manual(f"Switch the account to a {wanted} account"),
    )
