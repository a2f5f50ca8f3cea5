"""Limits that live on a server or an account, turned into rule layers.

A Mastodon server publishes its own limits at ``/api/v2/instance``; a TikTok creator's longest
allowed video comes from ``creator_info/query``. Saved as JSON, each becomes a ``RuleLayer``
merged over the default table (and under the user's ``--rules``), every key citing the file
as ``official`` evidence: the server's or TikTok's own answer about this account.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mediarules.checks.upload import format_from_mime
from mediarules.formatting import echo, echo_name
from mediarules.remote import FetchError, FetchOptions, is_url
from mediarules.ruleset import RuleConfigError, RuleLayer, RuleSet, default_rules, load_rules
from mediarules.safe_read import DocumentError, read_document

__all__ = [
    "instance_document_url",
    "live_mastodon_instance_layer",
    "mastodon_instance_layer",
    "read_json",
    "rules_with_limits",
    "tiktok_creator_layer",
]

# (section, key) <- path under the instance's `configuration`, and the least value that makes
# sense (a server taking no attachments says 0; one allowing 0 pixels says nothing true). The
# most is the rules table's own bound (ruleset.py), checked when the layer is merged.
_MASTODON_KEYS: tuple[tuple[str, str, tuple[str, ...], int], ...] = (
    ("caption", "max_length", ("statuses", "max_characters"), 1),
    ("caption", "url_length", ("statuses", "characters_reserved_per_url"), 0),
    ("post", "max_items", ("statuses", "max_media_attachments"), 0),
    ("post", "max_images", ("statuses", "max_media_attachments"), 0),
    ("image", "max_size_bytes", ("media_attachments", "image_size_limit"), 1),
    ("image", "max_pixels", ("media_attachments", "image_matrix_limit"), 1),
    ("video", "max_size_bytes", ("media_attachments", "video_size_limit"), 1),
    ("video", "max_fps", ("media_attachments", "video_frame_rate_limit"), 1),
    ("video", "max_pixels", ("media_attachments", "video_matrix_limit"), 1),
    ("alt_text", "max_length", ("media_attachments", "description_limit"), 1),
)


def rules_with_limits(
    rules: Path | str | None = None,
    *,
    mastodon_instance: Path | str | None = None,
    tiktok_creator_info: Path | str | None = None,
) -> RuleSet:
    """The default table, with a Mastodon server's and a TikTok creator's limits, then the
    user's ``rules`` file, over it (``--rules``, ``--mastodon-instance``,
    ``--tiktok-creator-info``). ``RuleConfigError`` with one line naming the file otherwise."""
    layers = []
    if mastodon_instance is not None:
        label = str(mastodon_instance)
        layers.append(mastodon_instance_layer(read_json(label), label=label))
    if tiktok_creator_info is not None:
        label = str(tiktok_creator_info)
        layers.append(tiktok_creator_layer(read_json(label), label=label))
    if rules is None and not layers:
        return default_rules()
    return load_rules(rules, layers=layers)


def read_json(path: Path | str) -> Any:
    """The JSON in ``path`` (a regular file of at most ``MAX_INPUT_BYTES``, bounded in
    nesting and numbers); RuleConfigError naming the file when it can't be read."""
    try:
        return read_document(path, syntax="JSON")
    except DocumentError as exc:
        raise RuleConfigError(str(exc)) from None


def mastodon_instance_layer(instance: Any, *, label: str, platform: str = "mastodon") -> RuleLayer:
    """The limits a Mastodon server's ``/api/v2/instance`` document states; keys the server
    does not state keep the defaults."""
    configuration = instance.get("configuration") if isinstance(instance, Mapping) else None
    if not isinstance(configuration, Mapping):
        raise RuleConfigError(
            f"{label}: not a Mastodon /api/v2/instance document (no 'configuration' object)"
        )
    domain = instance.get("domain")
    domain = echo(domain) if isinstance(domain, str) and domain.strip() else "the server"
    tables: dict[str, dict[str, Any]] = {}
    for section, key, path, least in _MASTODON_KEYS:
        value = _dig(configuration, path)
        if value is None:
            continue
        where = f"configuration.{'.'.join(path)}"
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            wanted = "a whole number" if least == 0 else "a positive whole number"
            raise RuleConfigError(
                f"{echo_name(label)}: {where} should be {wanted}, got {echo(repr(value))}"
            )
        _set(tables, section, key, value, f"{label}: {domain} {where}")
    mime_types = _dig(configuration, ("media_attachments", "supported_mime_types"))
    if isinstance(mime_types, list):
        source = f"{label}: {domain} configuration.media_attachments.supported_mime_types"
        formats = _formats(mime_types, "image/")
        containers = _formats(mime_types, "video/")
        if formats:
            _set(tables, "image", "formats", formats, source)
        if containers:
            _set(tables, "video", "containers", containers, source)
    return label, {"platforms": {platform: tables}}


INSTANCE_PATH = "/api/v2/instance"


def instance_document_url(server: str) -> str:
    """``https://example.social`` -> ``https://example.social/api/v2/instance`` (a URL that
    already names a path is taken as it is)."""
    if not is_url(server):
        raise RuleConfigError(f"{echo(server)}: not a server URL (https://example.social)")
    base = server.strip()
    scheme_end = base.index("://") + 3
    if "/" in base[scheme_end:].rstrip("/"):
        return base
    return base.rstrip("/") + INSTANCE_PATH


def live_mastodon_instance_layer(
    server: str,
    *,
    options: FetchOptions | None = None,
    cache: Path | None = None,
    notes: list[str] | None = None,
) -> RuleLayer:
    """A Mastodon server's limits fetched live from its ``/api/v2/instance`` (cached in the
    user cache folder by ``Cache-Control``/``ETag``; the cached copy when offline, with a
    line in ``notes`` saying so). RuleConfigError when there is neither."""
    from mediarules.remote.documents import fetch_json

    url = instance_document_url(server)
    try:
        document = fetch_json(url, options, cache=cache)
    except FetchError as exc:
        raise RuleConfigError(f"--mastodon-instance {echo(server)}: {exc}") from None
    if document.note is not None and notes is not None:
        notes.append(document.note)
    return mastodon_instance_layer(document.data, label=document.url)


def tiktok_creator_layer(creator_info: Any, *, label: str, platform: str = "tiktok") -> RuleLayer:
    """A TikTok creator's ``max_video_post_duration_sec`` (``creator_info/query`` response)."""
    data = creator_info.get("data", creator_info) if isinstance(creator_info, Mapping) else None
    seconds = data.get("max_video_post_duration_sec") if isinstance(data, Mapping) else None
    if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds <= 0:
        raise RuleConfigError(
            f"{label}: no positive data.max_video_post_duration_sec (a creator_info/query response)"
        )
    tables: dict[str, dict[str, Any]] = {}
    source = f"{label}: creator_info max_video_post_duration_sec"
    _set(tables, "video", "max_duration_s", seconds, source)
    # The creator's own limit is known: it replaces the default every creator has.
    _set(tables, "video", "default_max_duration_s", seconds, source)
    return label, {"platforms": {platform: tables}}


def _dig(node: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _set(
    tables: dict[str, dict[str, Any]], section: str, key: str, value: Any, source: str
) -> None:
    table = tables.setdefault(section, {})
    table[key] = value
    table.setdefault("sources", {})[key] = source
    table.setdefault("evidences", {})[key] = "official"


def _formats(mime_types: list[Any], prefix: str) -> list[str]:
    found: list[str] = []
    for mime in mime_types:
        if isinstance(mime, str) and mime.startswith(prefix):
            fmt = format_from_mime(mime)
            if fmt is not None and fmt not in found:
                found.append(fmt)
    return found
