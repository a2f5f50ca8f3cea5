"""The functions ``import mediarules`` offers: check a post, a scheduler payload, one file.

What only some calls need is imported by them: the payload reader for ``check_payload``, the
Mastodon instance reader for ``mastodon_instance_rules`` (URLs are fetched by
``inputs.intake``, which imports the remote readers only for them).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from mediarules.engine import evaluate
from mediarules.inputs.intake import MediaInput, take_all
from mediarules.inspection import inspect as _inspect_file
from mediarules.models import MediaFacts, Report
from mediarules.remote.options import FetchOptions
from mediarules.ruleset import RuleSet, as_ruleset, load_rules, resolve_platforms

if TYPE_CHECKING:
    from mediarules.inputs.payload import PostPayload


def inspect(path: str | os.PathLike[str]) -> MediaFacts:
    """Read one file's facts from its header (never decoding pixels).

    Raises ``UnreadableMediaError`` for a file that is not an image or video it can read.
    """
    return _inspect_file(path)


def mastodon_instance_rules(
    server: str,
    *,
    rules: str | os.PathLike[str] | None = None,
    allow_hosts: Iterable[str] = (),
    fetch_options: FetchOptions | None = None,
) -> RuleSet:
    """The rules with a Mastodon server's own limits, fetched live from
    ``server/api/v2/instance`` (``https://example.social``), cached in the user cache folder
    (``Cache-Control``, ``ETag``) and read from that cache when the server cannot be reached;
    ``rules`` is a TOML file merged over them. Raises ``RuleConfigError``."""
    from mediarules.inputs.instances import live_mastodon_instance_layer

    options = _fetch_options(fetch_options, allow_hosts, None)
    layer = live_mastodon_instance_layer(server, options=options)
    return load_rules(os.fspath(rules) if rules is not None else None, layers=[layer])


def check_payload(
    payload: PostPayload | Mapping[str, Any] | str | os.PathLike[str],
    *,
    platforms: str | Iterable[str] | None = None,
    account_type: str | None = None,
    poll: bool = False,
    rules: RuleSet | str | os.PathLike[str] | None = None,
    fetch: bool = False,
    allow_hosts: Iterable[str] = (),
    s3_endpoint: str | None = None,
    fetch_options: FetchOptions | None = None,
) -> Report:
    """Check the scheduler's create-post body (a ``PostPayload``, its dict, or a JSON file).

    ``content`` is the caption, ``title`` and ``tags`` (our extensions) the video's title and
    keyword tags; ``platforms`` default to the body's account IDs (``twitter-123456789`` is
    X). Media records with ``metadata`` are checked as declared, no file read. With ``fetch``,
    a record without metadata is read from its ``fileUrl`` (or ``url``) by byte ranges,
    headers only (see :func:`check` for ``allow_hosts``, ``s3_endpoint`` and
    ``fetch_options``). A post scheduled while some media has no ``mediaId`` yet is a warning
    (``post.scheduled_before_upload``). ``poll``: the post has a poll (the body has no field
    for one). A bad file raises ``PayloadError``.
    """
    from mediarules.inputs.payload import (
        PostPayload,
        load_payload,
        payload_media,
        platform_names,
        scheduled_before_upload,
    )

    if isinstance(payload, str | os.PathLike):
        payload = load_payload(payload)
    elif not isinstance(payload, PostPayload):
        payload = PostPayload.model_validate(payload)
    ruleset = as_ruleset(rules)
    keys = resolve_platforms(
        platforms if platforms is not None else platform_names(payload.platforms), ruleset
    )
    options = _fetch_options(fetch_options, allow_hosts, s3_endpoint) if fetch else None
    return evaluate(
        take_all(payload_media(payload), fetch=options, fetch_records=fetch),
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
    fetch: bool = False,
    allow_hosts: Iterable[str] = (),
    s3_endpoint: str | None = None,
    fetch_options: FetchOptions | None = None,
) -> Report:
    """Check one post (``media`` together, with its caption and title) for ``platforms``.

    ``media`` holds paths, URLs (``https://``, ``s3://bucket/key``: headers read by byte
    ranges, never the whole file), ``MediaRef`` metadata records (the scheduler's upload
    payload, with or without a file; with ``fetch``, a record without metadata is read from its
    ``url``) or ready ``MediaFacts``. URLs resolving to loopback, private or link-local
    addresses are refused unless their host is in ``allow_hosts``; ``s3_endpoint`` is an
    S3-compatible store; ``fetch_options`` sets timeouts, caps and concurrency. ``rules`` is a
    ``RuleSet`` or the path of a TOML file merged over the defaults. ``content_warning`` is the
    post's spoiler text, which Mastodon counts with the caption. ``tags`` are the video's
    keyword tags (YouTube counts them together); ``poll``: the post carries a poll (Mastodon
    then takes no media). ``account_type`` is e.g. ``business``, ``creator`` or ``personal``.
    Every problem comes back in the ``Report``; a file that cannot be read is a
    ``media.unreadable`` violation (a URL's ``media.unreachable``, ``media.not_found`` or
    ``media.fetch_refused``), not an exception.
    An unknown platform or a bad rules file raises ``RuleConfigError``.
    """
    ruleset = as_ruleset(rules)
    keys = resolve_platforms(platforms, ruleset)
    options = _fetch_options(fetch_options, allow_hosts, s3_endpoint)
    items = take_all(media, fetch=options, fetch_records=fetch)
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


_DEFAULT_FETCH = FetchOptions()


def _fetch_options(
    options: FetchOptions | None, allow_hosts: Iterable[str], s3_endpoint: str | None
) -> FetchOptions:
    """``options`` (or the defaults) with the hosts and endpoint given beside them."""
    hosts = (allow_hosts,) if isinstance(allow_hosts, str) else tuple(allow_hosts)
    if not hosts and s3_endpoint is None:
        return options or _DEFAULT_FETCH  # (every check call: no new object)
    options = options or _DEFAULT_FETCH
    return dataclasses.replace(
        options,
        allow_hosts=(*options.allow_hosts, *hosts),
        s3_endpoint=s3_endpoint or options.s3_endpoint,
    )
