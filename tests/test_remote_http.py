"""Media by URL against a real HTTP server on 127.0.0.1: the facts are the local file's, read
within the header budget (one request for images and faststart MP4s, at most three and head +
moov bytes for an MP4 whose moov is last), and every failure is a violation."""

from __future__ import annotations

import json
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import av
import pytest

import mediarules
from mediarules.inspection import inspect
from mediarules.models import MediaFacts
from mediarules.remote import HEAD_BYTES, FetchOptions, RemoteResult, fetch_all, redact
from mediarules.remote.ssrf import HostPolicy, RefusedError
from mediarules.remote.urls import presigned_expiry
from tests.http_server import MediaServer, top_level_boxes
from tests.media import make_clip, make_image, make_video

LOCAL = FetchOptions(allow_hosts=("127.0.0.1",), backoff=0.01)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("remote-media")
    made = {
        "photo.jpg": make_image(folder / "photo.jpg", size=(1200, 800), pad_to_bytes=300_000),
        "graphic.png": make_image(folder / "graphic.png", format="PNG", size=(640, 480)),
        "loop.gif": make_image(folder / "loop.gif", format="GIF", frames=4),
        "banner.webp": make_image(folder / "banner.webp", format="WEBP", size=(800, 400)),
        "clip.webm": make_video(folder / "clip.webm", codec="libvpx-vp9", audio=None),
        "last.mp4": make_video(folder / "last.mp4", size=(320, 240), noise=True, audio=None),
    }
    made["fast.mp4"] = _faststart(made["last.mp4"], folder / "fast.mp4")
    made["bigmoov.mp4"] = _with_big_moov(made["last.mp4"], folder / "bigmoov.mp4")
    made["small.mp4"] = make_clip(folder / "small.mp4", faststart=True)
    return made


def _faststart(source: Path, target: Path) -> Path:
    """The same packets remuxed with the moov box first."""
    with (
        av.open(str(source)) as old,
        av.open(str(target), "w", options={"movflags": "+faststart"}) as new,
    ):
        inp = old.streams.video[0]
        out = new.add_stream_from_template(inp)
        for packet in old.demux(inp):
            if packet.dts is None:
                continue
            packet.stream = out
            new.mux(packet)
    return target


def _with_big_moov(source: Path, target: Path) -> Path:
    """A moov-last MP4 whose moov holds 100 KB of ``free`` (more than the head): the reader
    must fetch it whole, in one more request."""
    data = source.read_bytes()
    kind, offset, size = top_level_boxes(data)[-1]
    assert kind == b"moov"
    pad = struct.pack(">I4s", 100_008, b"free") + bytes(100_000)
    moov = struct.pack(">I", size + len(pad)) + data[offset + 4 : offset + size] + pad
    target.write_bytes(data[:offset] + moov)
    return target


@pytest.fixture
def server(media: dict[str, Path]) -> Iterator[MediaServer]:
    served = MediaServer()
    for name, path in media.items():
        served.files[name] = path.read_bytes()
    with served.running():
        yield served


def _facts(result: RemoteResult) -> MediaFacts:
    assert result.failure is None, result.failure
    assert result.facts is not None
    return result.facts


def _same_as_local(result: RemoteResult, path: Path) -> None:
    remote = _facts(result).model_dump(exclude={"path", "notes"})
    assert remote == inspect(path).model_dump(exclude={"path", "notes"})


# ---------------------------------------------------------------------------------------------
# budgets


@pytest.mark.parametrize(
    "name", ["photo.jpg", "graphic.png", "loop.gif", "banner.webp", "small.mp4", "fast.mp4"]
)
def test_images_and_faststart_videos_take_one_request(
    server: MediaServer, media: dict[str, Path], name: str
) -> None:
    (result,) = fetch_all([server.url(name)], LOCAL)
    _same_as_local(result, media[name])
    requests, sent = server.count(name)
    assert requests == result.requests == 1
    assert sent == result.received <= HEAD_BYTES


def test_a_moov_at_the_end_is_found_from_the_box_sizes(
    server: MediaServer, media: dict[str, Path]
) -> None:
    data = media["last.mp4"].read_bytes()
    assert len(data) > 4 * HEAD_BYTES
    kind, _, moov = top_level_boxes(data)[-1]
    assert kind == b"moov" and moov < HEAD_BYTES
    (result,) = fetch_all([server.url("last.mp4")], LOCAL)
    _same_as_local(result, media["last.mp4"])
    requests, sent = server.count("last.mp4")
    assert requests == result.requests == 2
    assert sent <= HEAD_BYTES + moov


def test_a_moov_larger_than_the_head_takes_at_most_three_requests(
    server: MediaServer, media: dict[str, Path]
) -> None:
    data = media["bigmoov.mp4"].read_bytes()
    kind, _, moov = top_level_boxes(data)[-1]
    assert kind == b"moov" and moov > HEAD_BYTES
    (result,) = fetch_all([server.url("bigmoov.mp4")], LOCAL)
    _same_as_local(result, media["bigmoov.mp4"])
    requests, sent = server.count("bigmoov.mp4")
    assert requests <= 3
    assert sent <= HEAD_BYTES + moov


def test_a_webm_is_read_from_its_head(server: MediaServer, media: dict[str, Path]) -> None:
    (result,) = fetch_all([server.url("clip.webm")], LOCAL)
    _same_as_local(result, media["clip.webm"])
    assert server.count("clip.webm")[0] <= 2


def test_a_server_that_ignores_range_is_read_up_to_what_is_needed(
    server: MediaServer, media: dict[str, Path]
) -> None:
    server.modes["photo.jpg"] = "whole"
    (result,) = fetch_all([server.url("photo.jpg")], LOCAL)
    _same_as_local(result, media["photo.jpg"])
    assert result.received < media["photo.jpg"].stat().st_size  # cut off after the header


def test_a_server_that_ignores_range_is_cut_off_at_the_cap(
    server: MediaServer, media: dict[str, Path]
) -> None:
    server.modes["last.mp4"] = "whole"
    options = FetchOptions(allow_hosts=("127.0.0.1",), max_bytes=256 << 10)
    (result,) = fetch_all([server.url("last.mp4")], options)
    assert result.failure is not None and result.failure.code == "media.unreadable"
    assert "ignores byte ranges" in result.failure.message
    assert result.received <= (256 << 10) + (64 << 10)  # the cap, and the chunk it ended in


# ---------------------------------------------------------------------------------------------
# retries, timeouts, redirects


def test_dropped_connections_and_500s_are_tried_again(server: MediaServer) -> None:
    server.faults["graphic.png"].extend(["reset", "500"])
    (result,) = fetch_all([server.url("graphic.png")], LOCAL)
    assert _facts(result).width == 640
    assert server.count("graphic.png")[0] == 3


def test_a_429_waits_as_retry_after_says(server: MediaServer) -> None:
    server.faults["graphic.png"].append("429:1")
    began = time.monotonic()
    (result,) = fetch_all([server.url("graphic.png")], LOCAL)
    assert _facts(result).format == "png"
    assert time.monotonic() - began >= 0.9  # not the 10 ms backoff


def test_a_retry_after_longer_than_allowed_is_given_up_on(server: MediaServer) -> None:
    server.faults["graphic.png"].append("503:3600")
    (result,) = fetch_all([server.url("graphic.png")], LOCAL)
    assert result.failure is not None and result.failure.code == "media.unreachable"
    assert "3600" in result.failure.message and server.count("graphic.png")[0] == 1


def test_retries_are_bounded(server: MediaServer) -> None:
    server.faults["graphic.png"].extend(["500"] * 10)
    (result,) = fetch_all([server.url("graphic.png")], LOCAL)
    assert result.failure is not None and result.failure.code == "media.unreachable"
    assert result.failure.reason == "http_500"
    assert server.count("graphic.png")[0] == LOCAL.retries + 1


def test_a_slow_server_times_out(server: MediaServer) -> None:
    server.latency = 0.5
    options = FetchOptions(allow_hosts=("127.0.0.1",), read_timeout=0.1, retries=1, backoff=0.01)
    (result,) = fetch_all([server.url("graphic.png")], options)
    assert result.failure is not None and result.failure.code == "media.unreachable"
    assert result.failure.reason == "timeout"


def test_latency_does_not_change_the_answer(server: MediaServer, media: dict[str, Path]) -> None:
    server.latency = 0.05
    urls = [server.url(name) for name in ("photo.jpg", "last.mp4", "banner.webp")] * 4
    results = fetch_all(urls, FetchOptions(allow_hosts=("127.0.0.1",), concurrency=6))
    assert [r.url for r in results] == [redact(u) for u in urls]  # input order
    for result, name in zip(results, ["photo.jpg", "last.mp4", "banner.webp"] * 4, strict=True):
        _same_as_local(result, media[name])


def test_a_redirect_loop_stops_after_five(server: MediaServer) -> None:
    (result,) = fetch_all([server.url("redirect-loop")], LOCAL)
    assert result.failure is not None and result.failure.code == "media.unreachable"
    assert "redirects" in result.failure.message
    hops = [f"redirect-loop{i}" if i else "redirect-loop" for i in range(10)]
    assert sum(server.count(hop)[0] for hop in hops) == 6


def test_a_redirect_to_the_metadata_service_is_refused(server: MediaServer) -> None:
    server.redirects["innocent.jpg"] = "http://169.254.169.254/latest/meta-data/iam/"
    (result,) = fetch_all([server.url("innocent.jpg")], LOCAL)
    assert result.failure is not None and result.failure.code == "media.fetch_refused"
    assert "169.254.169.254" in result.failure.message
    assert "metadata" in result.failure.message


def test_a_redirect_is_followed_to_an_allowed_host(server: MediaServer) -> None:
    server.redirects["moved.png"] = "/graphic.png"
    (result,) = fetch_all([server.url("moved.png")], LOCAL)
    assert _facts(result).width == 640


# ---------------------------------------------------------------------------------------------
# refusals and missing files


def test_loopback_is_refused_unless_allowed(server: MediaServer) -> None:
    (result,) = fetch_all([server.url("graphic.png")], FetchOptions())
    assert result.failure is not None and result.failure.code == "media.fetch_refused"
    assert "loopback" in result.failure.message and "--allow-host" in result.failure.message
    assert server.count("graphic.png")[0] == 0  # refused before connecting


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "172.31.255.1", "192.168.1.1",
     "169.254.169.254", "169.254.1.1", "0.0.0.0", "224.0.0.1", "100.64.0.1", "::1", "fc00::1",
     "fd00:ec2::254", "fe80::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1"],
)  # fmt: skip
def test_private_and_special_addresses_are_refused(address: str) -> None:
    with pytest.raises(RefusedError):
        HostPolicy().resolve(address, 80)


def test_public_addresses_and_allowed_ones_pass() -> None:
    assert HostPolicy().resolve("8.8.8.8", 443) == ["8.8.8.8"]
    assert HostPolicy(["10.0.0.0/8"]).resolve("10.1.2.3", 80) == ["10.1.2.3"]
    assert HostPolicy(["localhost"]).resolve("localhost", 80)
    with pytest.raises(RefusedError):
        HostPolicy(["10.0.0.0/8"]).resolve("192.168.0.1", 80)


@pytest.mark.parametrize(
    ("url", "code"),
    [("ftp://example.com/a.jpg", "media.fetch_refused"),
     ("file:///etc/passwd", "media.fetch_refused"),
     ("gopher://127.0.0.1:6379/_INFO", "media.fetch_refused"),
     ("http://", "media.fetch_refused"),
     ("http://127.0.0.1:1/a.jpg", "media.unreachable")],  # nothing listens on port 1
)  # fmt: skip
def test_other_schemes_and_bad_urls_are_violations(url: str, code: str) -> None:
    (result,) = fetch_all([url], FetchOptions(allow_hosts=("127.0.0.1",), retries=0))
    assert result.failure is not None and result.failure.code == code


def test_404_is_not_found(server: MediaServer) -> None:
    (result,) = fetch_all([server.url("gone.jpg")], LOCAL)
    assert result.failure is not None and result.failure.code == "media.not_found"
    assert "404" in result.failure.message


def test_an_expired_presigned_url_says_so(server: MediaServer) -> None:
    query = (
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20240101%2Fus-east-1"
        "%2Fs3%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-Expires=3600"
        "&X-Amz-SignedHeaders=host&X-Amz-Signature=deadbeefcafe"
    )
    url = server.url("expiring/photo.jpg", query)
    assert presigned_expiry(url) is not None
    report = mediarules.check([url], platforms=["x"], allow_hosts=["127.0.0.1"])
    (violation,) = report.violations
    assert violation.code == "media.not_found"
    assert "expired at 2024-01-01 01:00:00 UTC" in violation.message
    dumped = report.model_dump_json()
    assert "deadbeefcafe" not in dumped and "AKIAEXAMPLE" not in dumped


# ---------------------------------------------------------------------------------------------
# through check, check_payload and the command line


def test_a_post_of_urls_reads_like_a_local_post(
    server: MediaServer, media: dict[str, Path]
) -> None:
    names = ["photo.jpg", "loop.gif", "last.mp4"]
    urls = [server.url(name, "X-Amz-Signature=s3cr3t&token=abc") for name in names]
    remote = mediarules.check(
        [*urls, server.url("gone.png")], platforms=["x", "instagram"], allow_hosts=["127.0.0.1"]
    )
    local = mediarules.check(
        [*(media[n] for n in names), media["graphic.png"]], platforms=["x", "instagram"]
    )
    assert [m.path for m in remote.media[:3]] == [server.url(n) for n in names]
    found = {(v.platform, v.code, v.media_index) for v in remote.violations}
    expected = {(v.platform, v.code, v.media_index) for v in local.violations if v.media_index != 3}
    assert expected <= found
    assert ("all", "media.not_found", 3) in found
    assert "s3cr3t" not in remote.model_dump_json()


def test_check_payload_fetches_records_without_metadata(server: MediaServer) -> None:
    payload = {
        "content": "New product!",
        "platforms": ["twitter-123", "instagram-456"],
        "media": [
            {"fileName": "a.png", "contentType": "image/png", "type": "image", "mediaId": "1",
             "fileUrl": server.url("graphic.png")},
            {"fileName": "b.jpg", "contentType": "image/jpeg", "type": "image", "mediaId": "2",
             "url": server.url("photo.jpg"),
             "metadata": {"width": 1080, "height": 1080, "size": 120000}},
        ],
    }  # fmt: skip
    report = mediarules.check_payload(payload, fetch=True, allow_hosts=["127.0.0.1"])
    assert report.media[0].width == 640 and report.media[0].format == "png"
    assert report.media[1].width == 1080  # declared: not fetched
    assert server.count("graphic.png")[0] == 1 and server.count("photo.jpg")[0] == 0
    unfetched = mediarules.check_payload(payload)
    assert unfetched.media[0].width is None and server.count("graphic.png")[0] == 1


def test_the_command_line_checks_urls(
    server: MediaServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mediarules.cli import main

    url = server.url("graphic.png", "X-Amz-Signature=s3cr3t")
    code = main(["check", url, "-p", "x", "--allow-host", "127.0.0.1", "--format", "json"])
    out = capsys.readouterr().out
    assert code == 0 and "s3cr3t" not in out
    assert json.loads(out)["media"][0]["width"] == 640
    listed = tmp_path / "urls.txt"
    listed.write_text(f"# uploads\n{server.url('photo.jpg')}\n\n{server.url('missing.gif')}\n")
    code = main(["check", "--each", "--urls", str(listed), "-p", "x", "--allow-host",
                 "127.0.0.1", "--format", "json"])  # fmt: skip
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 1 and len(lines) == 2
    assert lines[0]["ok"] is True
    assert [v["code"] for v in lines[1]["violations"]] == ["media.not_found"]
    post = tmp_path / "post.json"
    post.write_text(json.dumps({"content": "hi", "platforms": ["x"], "media": [
        {"fileName": "g.png", "type": "image", "mediaId": "1", "fileUrl": server.url("graphic.png")}
    ]}))  # fmt: skip
    code = main(["check", "--post", str(post), "--fetch", "--allow-host", "127.0.0.1",
                 "--format", "json"])  # fmt: skip
    assert code == 0 and json.loads(capsys.readouterr().out)["media"][0]["height"] == 480
    code = main(["check", url, "-p", "x", "--format", "json"])  # not allowed: refused
    violations = json.loads(capsys.readouterr().out)["violations"]
    assert code == 1 and violations[0]["code"] == "media.fetch_refused"


def test_a_huge_header_is_capped(server: MediaServer) -> None:
    options = FetchOptions(allow_hosts=("127.0.0.1",), max_requests=1)
    (result,) = fetch_all([server.url("bigmoov.mp4")], options)
    assert result.failure is not None and result.failure.reason == "fetch_cap"
    assert result.requests == 1


def test_a_file_only_mediainfo_reads_says_so(server: MediaServer, tmp_path: Path) -> None:
    avi = make_video(tmp_path / "clip.avi", codec="mpeg4", audio=None)
    assert inspect(avi).kind == "video"  # locally, MediaInfo reads it
    server.files["clip.avi"] = avi.read_bytes()
    (result,) = fetch_all([server.url("clip.avi")], LOCAL)
    assert result.failure is not None and result.failure.code == "media.unreadable"
    assert "MediaInfo" in result.failure.message and "local files only" in result.failure.message


def test_asyncio_callers_get_results_in_order(server: MediaServer) -> None:
    import asyncio

    from mediarules.remote import fetch_all_async

    names = ["last.mp4", "graphic.png", "gone.gif", "photo.jpg"]
    done: list[str] = []
    results = asyncio.run(
        fetch_all_async([server.url(n) for n in names], LOCAL, on_done=lambda r: done.append(r.url))
    )
    assert [r.url for r in results] == [server.url(n) for n in names]
    assert sorted(done) == sorted(server.url(n) for n in names)
    assert [r.facts is not None for r in results] == [True, True, False, True]
