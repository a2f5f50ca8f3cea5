"""The functions ``import mediarules`` offers: check a post, a scheduler payload, one file."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from mediarules.engine import evaluate
from mediarules.inputs.intake import MediaInput, take_all
from mediarules.inputs.payload import (
    PostPayload,
    load_payload,
    payload_media,
    platform_names,
    scheduled_before_upload,
)
from mediarules.inspection import inspect as _inspect_file
from mediarules.models import MediaFacts, Report
from mediarules.ruleset import RuleSet, as_ruleset, resolve_platforms


def inspect(path: str | os.PathLike[str]) -> MediaFacts:
    """Read one file's facts from its header (never decoding pixels).

    Raises ``UnreadableMediaError`` for a file that is not an image or video it can read.
    """
    return _inspect_file(path)


def check_payload(
    payload: PostPayload | Mapping[str, Any] | str | os.PathLike[str],
    *,
    platforms: str | Iterable[str] | None = None,
    account_type: str | None = None,
    poll: bool = False,
    rules: RuleSet | str | os.PathLike[str] | None = None,
) -> Report:
    """Check the scheduler's create-post body (a ``PostPayload``, its dict, or a JSON file).

    ``content`` is the caption, ``title`` and ``tags`` (our extensions) the video's title and
    keyword tags; ``platforms`` default to the body's account IDs (``twitter-123456789`` is
    X). Media records with ``metadata`` are checked as declared, no file read. A post
    scheduled while some media has no ``mediaId`` yet is a warning
    (``post.scheduled_before_upload``). ``poll``: the post has a poll (the body has no field
    for one). A bad file raises ``PayloadError``.
    """
    if isinstance(payload, str | os.PathLike):
        payload = load_payload(payload)
    elif not isinstance(payload, PostPayload):
        payload = PostPayload.model_validate(payload)
    ruleset = as_ruleset(rules)
    keys = resolve_platforms(
        platforms if platforms is not None else platform_names(payload.platforms), ruleset
    )
    return evaluate(
        take_all(payload_media(payload)),
        keys,
        ruleset,
        caption=payload.content,
        title=payload.title,
        account_type=account_type,
        tags=payload.tags,
        poll=poll,
        post_findings=scheduled_before_upload(payload),
    )


def check(
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
) -> Report:
    """Check one post (``media`` together, with its caption and title) for ``platforms``.

    ``media`` holds paths, ``MediaRef`` metadata records (the scheduler's upload payload, with
    or without a file) or ready ``MediaFacts``. ``rules`` is a ``RuleSet`` or the path of a
    TOML file merged over the defaults. ``content_warning`` is the post's spoiler text, which
    Mastodon counts with the caption. ``tags`` are the video's keyword tags (YouTube counts
    them together); ``poll``: the post carries a poll (Mastodon then takes no media).
    ``account_type`` is e.g. ``business``, ``creator`` or ``personal``. Every problem comes
    back in the ``Report``; a file that cannot be read is a ``media.unreadable`` violation, not
    an exception. An unknown platform or a bad rules file raises ``RuleConfigError``.
    """
    ruleset = as_ruleset(rules)
    keys = resolve_platforms(platforms, ruleset)
    items = take_all(media)
    return evaluate(
        items,
        keys,
        ruleset,
        caption=caption,
        title=title,
        account_type=account_type,
        content_warning=content_warning,
        tags=_tag_list(tags),
        poll=poll,
    )


def _tag_list(tags: Iterable[str] | None) -> list[str] | None:
    """The tags as a list; one string is one tag (not a list of its characters)."""
    if tags is None:
        return None
    return [tags] if isinstance(tags, str) else list(tags)
