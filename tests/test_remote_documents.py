"""``--mastodon-instance https://...``: a server's limits fetched live through the same guarded
client, cached in the user cache folder by Cache-Control and ETag, used offline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from mediarules.inputs.instances import instance_document_url, live_mastodon_instance_layer
from mediarules.remote import FetchOptions
from mediarules.ruleset import RuleConfigError, load_rules
from tests.http_server import MediaServer

PATH = "api/v2/instance"
INSTANCE = {
    "domain": "example.social",
    "configuration": {
        "statuses": {"max_characters": 5000, "max_media_attachments": 6},
        "media_attachments": {"image_size_limit": 8_000_000, "video_frame_rate_limit": 120},
    },
}
ALLOWED = FetchOptions(allow_hosts=("127.0.0.1",))


@pytest.fixture
def server() -> Iterator[MediaServer]:
    served = MediaServer()
    served.files[PATH] = json.dumps(INSTANCE).encode()
    with served.running():
        yield served


def _limit(server: MediaServer, cache: Path) -> int:
    layer = live_mastodon_instance_layer(server.url(""), options=ALLOWED, cache=cache)
    value = load_rules(layers=[layer]).platforms["mastodon"].caption.max_length
    assert isinstance(value, int)
    return value


def test_the_document_url_is_the_servers_instance_endpoint() -> None:
    assert (
        instance_document_url("https://example.social") == "https://example.social/api/v2/instance"
    )
    assert instance_document_url("https://a.b/custom/path.json") == "https://a.b/custom/path.json"


def test_fresh_copies_are_not_fetched_again(server: MediaServer, tmp_path: Path) -> None:
    server.headers[PATH] = {"Cache-Control": "public, max-age=600", "ETag": '"v1"'}
    assert _limit(server, tmp_path) == 5000
    assert _limit(server, tmp_path) == 5000
    assert server.count(PATH)[0] == 1


def test_stale_copies_are_revalidated_by_etag(server: MediaServer, tmp_path: Path) -> None:
    server.headers[PATH] = {"Cache-Control": "max-age=0", "ETag": '"v1"'}
    assert _limit(server, tmp_path) == 5000
    assert _limit(server, tmp_path) == 5000
    assert server.count(PATH)[0] == 2
    assert server.seen_headers[-1].get("If-None-Match") == '"v1"'


def test_no_store_keeps_nothing(server: MediaServer, tmp_path: Path) -> None:
    server.headers[PATH] = {"Cache-Control": "no-store"}
    assert _limit(server, tmp_path) == 5000
    assert not list(tmp_path.rglob("*.json"))


def test_offline_the_cached_copy_is_used(tmp_path: Path) -> None:
    served = MediaServer()
    served.files[PATH] = json.dumps(INSTANCE).encode()
    with served.running():
        url = served.url("")
        assert _limit(served, tmp_path) == 5000
    notes: list[str] = []
    offline = FetchOptions(allow_hosts=("127.0.0.1",), retries=0)
    layer = live_mastodon_instance_layer(url, options=offline, cache=tmp_path, notes=notes)
    assert load_rules(layers=[layer]).platforms["mastodon"].caption.max_length == 5000
    assert notes and "using the copy from" in notes[0]


def test_no_server_and_no_copy_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(RuleConfigError, match="mastodon-instance"):
        live_mastodon_instance_layer("http://127.0.0.1:1", options=ALLOWED, cache=tmp_path)


def test_the_command_line_takes_a_server_url(
    server: MediaServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    from mediarules.cli import main

    monkeypatch.setenv("MEDIARULES_CACHE_DIR", str(tmp_path))
    caption = "x" * 600  # past Mastodon's default 500, within this server's 5000
    code = main(["check", "-p", "mastodon", "--caption", caption, "--mastodon-instance",
                 server.url(""), "--allow-host", "127.0.0.1", "--format", "json"])  # fmt: skip
    assert code == 0, capsys.readouterr().out
    assert list(tmp_path.rglob("*.json"))
