"""Whole posts: media, caption, title and account type, valid or breaking one chosen code.

A post's media is first chosen as a *composition* (how many still images, animations and
videos). ``post_codes`` predicts the post-level codes a composition gets from the table's
``[post]`` rules, the way ``checks/post.py`` counts: animated images count apart only where
the platform caps animations, images a platform refuses are reported one by one rather than
counted again, and a too-many-of-one-kind finding stands in for ``post.too_many_items``.
Valid posts use compositions with no code; ``violating="post.*"`` uses those that give that
code with as few others as possible; any other code is broken by one item, the caption, the
title or the account type of an otherwise valid post.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Literal

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from pydantic import BaseModel, ConfigDict

import mediarules
from mediarules._strategies._args import check_range, check_validity, resolve
from mediarules._strategies.media import MediaSpace, media_space
from mediarules._strategies.numbers import near_int
from mediarules._strategies.text import NEAR, TextSpec, entity_text, texts
from mediarules.codes import CODES
from mediarules.models import MediaFacts, MediaKind, Report, Severity
from mediarules.ruleset import PlatformRules, PostRules, RuleSet, TextRules, default_rules

__all__ = ["Post", "post_codes", "posts", "supported_codes"]

DEFAULT_MAX_ITEMS = 10
"""The most items a post gets where the platform sets no count limit."""

TextField = Literal["caption", "title"]
_OTHER_ACCOUNT_TYPES = ("personal", "creator", "page", "unknown")
_BLANK_TITLES = (None, "", " ", "\n\t")


class Post(BaseModel):
    """One post for one platform, as ``posts()`` draws it; ``check()`` runs mediarules on it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    platform: str
    media: list[MediaFacts]
    caption: str | None = None
    title: str | None = None
    account_type: str | None = None

    def check(self, rules: RuleSet | None = None) -> Report:
        """``mediarules.check`` for this post's platform (pass the ``rules`` it was drawn
        from when they are not the shipped table)."""
        return mediarules.check(
            self.media,
            platforms=self.platform,
            caption=self.caption,
            title=self.title,
            account_type=self.account_type,
            rules=rules,
        )


@dataclass(frozen=True)
class Composition:
    """How many items of each kind a post holds. ``animations`` is non-zero only where the
    platform counts animated images apart (``max_animations``)."""

    images: int
    animations: int
    videos: int

    @property
    def total(self) -> int:
        return self.images + self.animations + self.videos

    def has(self, slot: str) -> bool:
        return bool(getattr(self, slot))


def post_codes(rules: PostRules, c: Composition) -> frozenset[str]:
    """The post-level codes ``c`` gets under ``rules``."""
    images, animations, videos = c.images, c.animations, c.videos
    codes = set()
    if rules.media_required and c.total == 0:
        codes.add("post.media_required")
    if rules.video_required and videos == 0:
        codes.add("post.video_required")
    if not rules.images_allowed and images + animations:
        codes.add("post.images_not_allowed")
    counted = False
    for code, found, limit, is_image in (
        ("post.too_many_images", images, rules.max_images, True),
        ("post.too_many_animations", animations, rules.max_animations, True),
        ("post.too_many_videos", videos, rules.max_videos, False),
    ):
        if is_image and not rules.images_allowed:
            continue
        if limit is not None and found > limit:
            codes.add(code)
            counted = True
    kept = c.total if rules.images_allowed else videos
    if rules.max_items is not None and kept > rules.max_items and not counted:
        codes.add("post.too_many_items")
    shown = rules.recommended_max_items
    over_max = rules.max_items is not None and c.total > rules.max_items
    if shown is not None and c.total > shown and not over_max:
        codes.add("post.over_recommended_items")
    if rules.min_items is not None and 0 < c.total < rules.min_items:
        codes.add("post.too_few_items")
    present = [n for n in (images, animations, videos) if n]
    if not rules.images_allowed:
        present = [videos] if videos else []
    if not rules.mixing_allowed and len(present) > 1:
        codes.add("post.mixed_media_not_allowed")
    return frozenset(codes)


_TEXT_CODES = {
    "too_long": "length",
    "too_many_hashtags": "hashtags",
    "too_many_mentions": "mentions",
    "too_many_links": "links",
    "invalid_characters": "forbidden",
    "missing": "required",
}


def _text_breakable(spec: TextSpec, what: str) -> bool:
    if what == "length":
        return spec.limit is not None
    if what == "forbidden":
        return bool(spec.forbidden)
    if what == "required":
        return spec.required
    return getattr(spec, f"max_{what}") is not None


class PostSpace:
    """What one platform's rules let a post be."""

    def __init__(self, rules: PlatformRules, media: MediaSpace) -> None:
        self.rules = rules
        self.media = media
        self._codes: dict[Composition, frozenset[str]] = {}
        self._recipes: dict[tuple[int, int | None], dict[str, list[Recipe]]] = {}

    @cached_property
    def compositions(self) -> tuple[Composition, ...]:
        """Every composition worth trying: up to one past each count limit."""
        post = self.rules.post
        has_image = self.media.still is not None
        has_animation = self.media.animated is not None and post.max_animations is not None
        has_video = self.media.video is not None
        default = post.max_items if post.max_items is not None else DEFAULT_MAX_ITEMS

        def top(limit: int | None, exists: bool) -> int:
            return (limit if limit is not None else default) + 1 if exists else 0

        image_top = top(post.max_images, has_image) if post.images_allowed else int(has_image)
        animation_top = top(post.max_animations, has_animation) if post.images_allowed else 0
        video_top = top(post.max_videos, has_video)
        found = [
            Composition(i, a, v)
            for i, a, v in itertools.product(
                range(image_top + 1), range(animation_top + 1), range(video_top + 1)
            )
        ]
        return tuple(sorted(found, key=lambda c: (c.total, c.videos, c.animations)))

    def codes_of(self, c: Composition) -> frozenset[str]:
        found = self._codes.get(c)
        if found is None:
            found = self._codes[c] = post_codes(self.rules.post, c)
        return found

    def all_recipes(self, lo: int, hi: int | None) -> dict[str, list[Recipe]]:
        """Code -> recipes, for every code a post of ``lo``..``hi`` items can break."""
        found = self._recipes.get((lo, hi))
        if found is None:
            found = {}
            for code in CODES:
                options = recipes(self, code, lo, hi)
                if options:
                    found[code] = options
            self._recipes[(lo, hi)] = found
        return found

    def text_spec(self, field: TextField, *, has_media: bool) -> TextSpec | None:
        rules: TextRules | None = self.rules.caption if field == "caption" else self.rules.title
        return TextSpec.of(rules, has_media=has_media) if rules is not None else None


_POST_SPACES: dict[tuple[int, str], tuple[RuleSet, PostSpace]] = {}


def post_space(ruleset: RuleSet, key: str) -> PostSpace:
    entry = _POST_SPACES.get((id(ruleset), key))
    if entry is None or entry[0] is not ruleset:
        if len(_POST_SPACES) >= 256:
            _POST_SPACES.clear()
        space = PostSpace(ruleset.platforms[key], media_space(ruleset, key))
        entry = (ruleset, space)
        _POST_SPACES[(id(ruleset), key)] = entry
    return entry[1]


# -- recipes ------------------------------------------------------------------------------

Slot = Literal["images", "animations", "videos"]
_SLOTS: tuple[Slot, ...] = ("images", "animations", "videos")


@dataclass(frozen=True)
class Recipe:
    """How to draw a post: its compositions, and what (if anything) it breaks."""

    compositions: tuple[Composition, ...]
    item: tuple[MediaKind, Slot, str] | None = None
    """One item of this kind, in this slot, breaks this code."""
    caption: str | None = None
    """What the caption breaks (``too_long``, ``too_many_hashtags``...), or None."""
    title: str | None = None
    account_ok: bool = True
    errors_only: bool = False
    """The item breaks its code only where that is an error (not a third-party limit's)."""


_POST_KEYS = {
    "post.media_required": "media_required",
    "post.video_required": "video_required",
    "post.images_not_allowed": "images_allowed",
    "post.too_many_images": "max_images",
    "post.too_many_animations": "max_animations",
    "post.too_many_videos": "max_videos",
    "post.too_many_items": "max_items",
    "post.over_recommended_items": "recommended_max_items",
    "post.too_few_items": "min_items",
    "post.mixed_media_not_allowed": "mixing_allowed",
}
"""The ``[post]`` key each post-level code breaks."""

_TEXT_KEYS = {
    "length": ("max_length", "max_length_text_only", "max_utf8_bytes"),
    "hashtags": ("max_hashtags",),
    "mentions": ("max_mentions",),
    "links": ("max_links",),
    "forbidden": ("forbidden_characters",),
    "required": ("required",),
}
"""The keys of a caption or title each kind of text code may break."""


def _third_party(rules: PlatformRules, section: str, keys: tuple[str, ...]) -> bool:
    """Whether any of ``keys`` of ``section`` is known from third parties only (breaking it
    is a warning, whatever the code's own severity)."""
    table = getattr(rules, section)
    return any(
        table.evidence_of(key, rules.evidence) == "third-party"
        for key in keys
        if _limits(key, getattr(table, key, None))
    )


def _limits(key: str, value: object) -> bool:
    """Whether ``value`` of ``key`` restricts anything: an ``*_allowed`` key limits when it
    is false (``mixing_allowed = false``), any other when it is set and not false."""
    if value is None:
        return False
    return value is False if key.endswith("_allowed") else value is not False


def error_recipes(space: PostSpace, code: str, recipes_: list[Recipe]) -> list[Recipe]:
    """The recipes of ``code`` that give an error on this platform: the code is an error and
    the limit broken is not a third party's figure (a media item keeps to the plans that
    break an official or publisher limit)."""
    if CODES[code].severity is not Severity.ERROR:
        return []
    rules = space.rules
    prefix, _, what = code.partition(".")
    if code in _POST_KEYS:
        return [] if _third_party(rules, "post", (_POST_KEYS[code],)) else recipes_
    if prefix in ("caption", "title") and what in _TEXT_CODES:
        return [] if _third_party(rules, prefix, _TEXT_KEYS[_TEXT_CODES[what]]) else recipes_
    if code == "account.business_required":
        return [] if _third_party(rules, "account", ("types",)) else recipes_
    kept = []
    for recipe in recipes_:
        if recipe.item is None:
            kept.append(recipe)
        elif code in space.media.error_codes(recipe.item[0]):
            kept.append(replace(recipe, errors_only=True))
    return kept


def recipes(space: PostSpace, code: str | None, lo: int, hi: int | None) -> list[Recipe]:
    """The ways to draw a post of ``lo``..``hi`` items that breaks ``code`` (None: nothing);
    empty when the platform's rules cannot produce it."""
    base = [c for c in space.compositions if c.total >= lo and (hi is None or c.total <= hi)]
    valid = tuple(c for c in base if not space.codes_of(c))
    if code is None:
        return [Recipe(valid)] if valid else []
    if code.startswith("post."):
        hits = [(len(space.codes_of(c)), c) for c in base if code in space.codes_of(c)]
        if not hits:
            return []
        fewest = min(n for n, _ in hits)
        return [Recipe(tuple(c for n, c in hits if n == fewest))]
    prefix, _, what = code.partition(".")
    if prefix in ("caption", "title") and what in _TEXT_CODES:
        field: TextField = "caption" if prefix == "caption" else "title"
        need = _TEXT_CODES[what]
        comps = tuple(
            c
            for c in valid
            if (spec := space.text_spec(field, has_media=c.total > 0)) is not None
            and _text_breakable(spec, need)
        )
        if not comps:
            return []
        return [Recipe(comps, caption=what) if field == "caption" else Recipe(comps, title=what)]
    if code == "account.business_required":
        account = space.rules.account
        return [Recipe(valid, account_ok=False)] if account and account.types and valid else []
    found = []
    for kind in space.media.kinds:
        if code not in space.media.codes(kind):
            continue
        slot: Slot = "videos" if kind == "video" else "images"
        if code == "image.too_many_frames" and space.rules.post.max_animations is not None:
            slot = "animations"
        comps = tuple(c for c in valid if c.has(slot))
        if comps:
            found.append(Recipe(comps, item=(kind, slot, code)))
    return found


# -- text fields --------------------------------------------------------------------------

DEFAULT_MAX_TEXT = 1000


def _room(spec: TextSpec, extra: str) -> tuple[TextSpec, int]:
    """The rules and the length left for text that ``extra`` will be appended to."""
    room = (spec.limit if spec.limit is not None else DEFAULT_MAX_TEXT) - spec.measure(" " + extra)
    byte_cap = spec.byte_cap
    if byte_cap is not None:
        byte_cap -= len(extra.encode()) + 1
        room = min(room, byte_cap)  # so the base keeps the byte cap (see keeps_rules)
    return replace(spec, byte_cap=byte_cap), room


def _valid_text(spec: TextSpec) -> st.SearchStrategy[str | None]:
    hi = spec.limit if spec.limit is not None else DEFAULT_MAX_TEXT
    if spec.byte_cap is not None:
        hi = min(hi, spec.byte_cap)
    lo = min(1, hi) if spec.required else 0
    text = texts(spec, lo, hi)
    return text if spec.required else st.none() | text


def _with_extra(
    spec: TextSpec, extras: list[str], relaxed: Callable[[TextSpec], TextSpec]
) -> st.SearchStrategy[str]:
    """A valid text with one of ``extras`` appended (or put first), the whole within limit."""
    longest = max(extras, key=lambda e: spec.measure(" " + e))
    base_spec, room = _room(relaxed(spec), longest)
    bases = texts(base_spec, 0, room) if room > 0 else st.just("")
    return _draw_with_extra(st.sampled_from(extras), bases)


@st.composite
def _draw_with_extra(
    draw: st.DrawFn, extras: st.SearchStrategy[str], bases: st.SearchStrategy[str]
) -> str:
    extra = draw(extras)
    base = draw(bases)
    if not base:
        return extra
    return f"{extra} {base}" if draw(st.booleans()) else f"{base} {extra}"


def _text_strategy(spec: TextSpec | None, what: str | None) -> st.SearchStrategy[str | None]:
    if spec is None:
        return st.none()
    if what is None:
        return _valid_text(spec)
    if what == "missing":
        return st.sampled_from(_BLANK_TITLES)
    if what == "too_long":
        assert spec.limit is not None
        lo, hi = spec.limit + 1, spec.limit + max(NEAR, spec.limit // 10)
        return texts(spec, lo, hi, targets=near_int(lo, hi))
    if what == "invalid_characters":
        return _with_extra(spec, list(spec.forbidden), lambda s: s)
    kind = _TEXT_CODES[what]
    cap = getattr(spec, f"max_{kind}")
    extras = [entity_text(kind, n) for n in range(cap + 1, cap + 4)]
    return _with_extra(spec, extras, lambda s: s.without_cap(kind))


# -- posts --------------------------------------------------------------------------------


def _post_strategy(space: PostSpace, key: str, recipe: Recipe) -> st.SearchStrategy[Post]:
    media, post_rules = space.media, space.rules.post
    valid_items: dict[Slot, st.SearchStrategy[MediaFacts]] = {}
    if media.still is not None:
        still_only = post_rules.max_animations is not None
        valid_items["images"] = media.valid("image", animated=False if still_only else None)
    if media.animated is not None:
        valid_items["animations"] = media.valid("image", animated=True)
    if media.video is not None:
        valid_items["videos"] = media.valid("video")
    broken = (
        media.violating(recipe.item[0], recipe.item[2], errors_only=recipe.errors_only)
        if recipe.item
        else None
    )
    has_media = sorted({c.total > 0 for c in recipe.compositions})
    caption_of = {
        m: _text_strategy(space.text_spec("caption", has_media=m), recipe.caption)
        for m in has_media
    }
    title_of = {
        m: _text_strategy(space.text_spec("title", has_media=m), recipe.title) for m in has_media
    }
    account = space.rules.account
    if account is None or not account.types:
        accounts: st.SearchStrategy[str | None] = st.none()
    elif recipe.account_ok:
        accounts = st.sampled_from(account.types)
    else:
        accounts = st.sampled_from([t for t in _OTHER_ACCOUNT_TYPES if t not in account.types])

    return _draw_post(key, recipe, valid_items, broken, caption_of, title_of, accounts)


@st.composite
def _draw_post(
    draw: st.DrawFn,
    key: str,
    recipe: Recipe,
    valid_items: dict[Slot, st.SearchStrategy[MediaFacts]],
    broken: st.SearchStrategy[MediaFacts] | None,
    caption_of: dict[bool, st.SearchStrategy[str | None]],
    title_of: dict[bool, st.SearchStrategy[str | None]],
    accounts: st.SearchStrategy[str | None],
) -> Post:
    composition = draw(st.sampled_from(recipe.compositions))
    broken_at = None
    if recipe.item is not None:
        slot = recipe.item[1]
        broken_at = (slot, draw(st.integers(0, getattr(composition, slot) - 1)))
    items = []
    for slot in _SLOTS:
        for index in range(getattr(composition, slot)):
            if broken is not None and broken_at == (slot, index):
                items.append(draw(broken))
            else:
                items.append(draw(valid_items[slot]))
    items = draw(st.permutations(items))
    with_media = bool(items)
    return Post(
        platform=key,
        media=items,
        caption=draw(caption_of[with_media]),
        title=draw(title_of[with_media]),
        account_type=draw(accounts),
    )


def supported_codes(
    platform: str, *, kind: MediaKind | None = None, rules: RuleSet | None = None
) -> frozenset[str]:
    """The codes ``posts(platform, violating=...)`` can produce, or, with ``kind``, those
    ``media_facts(platform, kind=kind, violating=...)`` can."""
    ruleset, key, _ = resolve(platform, rules)
    space = post_space(ruleset, key)
    if kind is not None:
        if kind not in ("image", "video"):
            raise InvalidArgument(f"kind={kind!r} must be 'image', 'video' or None")
        return space.media.codes(kind)
    return frozenset(space.all_recipes(0, None))


def posts(
    platform: str,
    *,
    valid: bool | None = None,
    violating: str | None = None,
    min_items: int | None = None,
    max_items: int | None = None,
    rules: RuleSet | None = None,
) -> st.SearchStrategy[Post]:
    """Posts for ``platform``: media records, caption, title and account type.

    ``valid=True``: ``post.check()`` has no error for the platform (counts, mixing, required
    video or media, refused images, required title, account type, every caption, title,
    image and video limit). ``violating=CODE``: the report holds that code, the rest of the
    post kept valid where the rules allow. ``valid=False``: it breaks one error code the
    platform's rules can produce (see ``supported_codes``). ``min_items`` / ``max_items``
    bound the number of media items. A code the rules cannot produce, or bounds no post can
    meet, raises ``InvalidArgument``.
    """
    ruleset, key, _ = resolve(platform, rules)
    check_validity(valid, violating)
    check_range("min_items", min_items, "max_items", max_items)
    space = post_space(ruleset, key)
    lo = min_items or 0

    def strategy(options: list[Recipe]) -> st.SearchStrategy[Post]:
        return st.one_of([_post_strategy(space, key, recipe) for recipe in options])

    if violating is not None:
        options = recipes(space, violating, lo, max_items)
        if valid is False and options and not error_recipes(space, violating, options):
            raise InvalidArgument(
                f"valid=False needs an error, but on {key!r} {violating!r} is a warning:"
                " the limit it breaks is a third party's figure"
            )
        if valid is False:
            options = error_recipes(space, violating, options)
        if not options:
            known = ", ".join(sorted(space.all_recipes(lo, max_items)))
            raise InvalidArgument(
                f"{key!r} rules cannot produce {violating!r} (with min_items={min_items},"
                f" max_items={max_items}); they can produce: {known}"
            )
        return strategy(options)
    kept = recipes(space, None, lo, max_items)
    broken = (
        []
        if valid is True
        else [
            strategy(errors)
            for code, options in sorted(space.all_recipes(lo, max_items).items())
            if (errors := error_recipes(space, code, options))
        ]
    )
    if valid is True and not kept:
        raise InvalidArgument(
            f"no valid {key!r} post has min_items={min_items}, max_items={max_items}"
        )
    if valid is False and not broken:
        raise InvalidArgument(
            f"no {key!r} post with min_items={min_items}, max_items={max_items} can break a rule"
        )
    if not kept and not broken:
        raise InvalidArgument(f"no {key!r} post has min_items={min_items}, max_items={max_items}")
    if valid is True:
        return strategy(kept)
    if valid is False:
        return st.one_of(broken)
    return _half_and_half(strategy(kept) if kept else None, st.one_of(broken) if broken else None)


def _half_and_half(
    first: st.SearchStrategy[Post] | None, second: st.SearchStrategy[Post] | None
) -> st.SearchStrategy[Post]:
    """Each strategy half the time (``one_of`` would flatten ``second``'s branches and draw
    ``first`` once in as many codes as there are); shrinks towards ``first``."""
    if first is None or second is None:
        chosen = first or second
        assert chosen is not None
        return chosen
    return st.booleans().flatmap(lambda other: second if other else first)


def _any_post(_: type[Post]) -> st.SearchStrategy[Post]:
    return st.sampled_from(sorted(default_rules().platforms)).flatmap(posts)


st.register_type_strategy(Post, _any_post)
