"""``mediarules serve``'s production manners, each against its own real server: start-up
checks, the API key, CORS, the limits (body, files, concurrency, time), graceful shutdown and
worker processes."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.media import make_image
from tests.service_process import MULTIPART, ServiceProcess, form_end, form_part, running
from tests.test_serve_api import problem_of

KEY = "k3y-for-the-tests-0123456789"


def serve(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``mediarules serve`` expected to stop at start-up."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MEDIARULES_")}
    return subprocess.run(
        [sys.executable, "-m", "mediarules", "serve", *args],
        capture_output=True, text=True, timeout=60, env={**environ, **(env or {})},
    )  # fmt: skip


def slow_upload(url: str, seconds: float, folder: Path) -> httpx.Response:
    """A check whose upload trickles in over ``seconds``: the request is in progress all along."""
    image = make_image(folder / "slow.png", format="PNG", size=(32, 32)).read_bytes()

    def body() -> Iterator[bytes]:
        yield form_part("platforms", b"x")
        data = form_part("files", image, "slow.png")
        steps = 10
        for index in range(steps):
            time.sleep(seconds / steps)
            yield data[index * len(data) // steps : (index + 1) * len(data) // steps]
        yield form_end()

    return httpx.post(f"{url}/v1/check/files", content=body(), headers=MULTIPART, timeout=60)


def in_background(
    url: str, seconds: float, folder: Path
) -> tuple[threading.Thread, list[httpx.Response]]:
    answers: list[httpx.Response] = []
    worker = threading.Thread(target=lambda: answers.append(slow_upload(url, seconds, folder)))
    worker.start()
    return worker, answers


def in_flight(client: httpx.Client) -> float:
    match = re.search(r"^mediarules_requests_in_flight (\S+)$", client.get("/metrics").text, re.M)
    return float(match.group(1)) if match else 0.0


def wait_until(predicate: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("the condition never held")


# -- start-up --------------------------------------------------------------------------------


def test_a_bad_rules_file_stops_start_up_with_the_cli_s_message(tmp_path: Path) -> None:
    rules = tmp_path / "bad.toml"
    rules.write_text("[platforms.tiktok.video]\nmin_fsp = 23\n", encoding="utf-8")
    started = serve("--rules", str(rules), "--port", "0")
    assert started.returncode == 2
    command = subprocess.run(
        [sys.executable, "-m", "mediarules", "rules", "--rules", str(rules)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert started.stderr.strip() == command.stderr.strip()
    assert "did you mean 'min_fps'?" in started.stderr
    assert len(started.stderr.strip().splitlines()) == 1
    instance = tmp_path / "instance.json"
    instance.write_text("[]", encoding="utf-8")
    by_env = serve("--port", "0", env={"MEDIARULES_MASTODON_INSTANCE": str(instance)})
    assert by_env.returncode == 2
    assert "not a Mastodon /api/v2/instance document" in by_env.stderr


@pytest.mark.parametrize(
    ("args", "env", "said"),
    [
        (["--max-body", "lots"], {}, "--max-body 'lots': not a size"),
        ([], {"MEDIARULES_MAX_BODY": "0"}, "MEDIARULES_MAX_BODY '0': must be at least 1 byte"),
        (["--workers", "0"], {}, "--workers '0': must be from 1 to 64"),
        ([], {"MEDIARULES_TIMEOUT": "nan"}, "MEDIARULES_TIMEOUT 'nan': must be from 0.1"),
        (["--api-key", "short"], {}, "--api-key (hidden): an API key must be at least 16"),
        (
            ["--cors-origins", "example.com"],
            {},
            "--cors-origins 'example.com': example.com is not an",
        ),
        (["--port", "70000"], {}, "--port '70000': must be from 0 to 65,535"),
    ],
)
def test_bad_settings_are_one_line_and_exit_2(
    args: list[str], env: dict[str, str], said: str
) -> None:
    started = serve(*args, env=env)
    assert started.returncode == 2
    assert started.stderr.startswith(f"mediarules: error: {said}")
    assert len(started.stderr.strip().splitlines()) == 1
    assert "short" not in started.stderr or "--api-key" not in args


def test_a_port_in_use_is_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = serve("--port", str(port))
    assert started.returncode == 2
    assert started.stderr.strip() == (
        f"mediarules: error: cannot listen on 127.0.0.1:{port}: Address already in use"
    )


def test_flags_win_over_the_environment(tmp_path: Path) -> None:
    env = {"MEDIARULES_MAX_FILES": "1", "MEDIARULES_TIMEOUT": "7", "MEDIARULES_MAX_BODY": "2MiB"}
    with running(["--max-files", "3"], tmp=tmp_path, env=env) as service:
        limits = httpx.get(f"{service.url}/readyz").json()["limits"]
    assert limits == {"max_body_bytes": 2 * 1024 * 1024, "max_files": 3, "max_concurrent": 32,
                      "timeout_s": 7.0}  # fmt: skip


def test_no_project_config_is_read(tmp_path: Path) -> None:
    """A pyproject.toml in the folder a service starts in does not change its rules."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mediarules]\nrules = "missing.toml"\n', encoding="utf-8"
    )
    with running([], tmp=tmp_path) as service:
        assert httpx.get(f"{service.url}/readyz").status_code == 200


# -- the API key and CORS --------------------------------------------------------------------


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    with running(
        ["--cors-origins", "https://app.example"],
        tmp=tmp_path_factory.mktemp("keyed"),
        env={"MEDIARULES_API_KEY": KEY},
    ) as service:
        yield service


def test_the_api_key(keyed: ServiceProcess) -> None:
    body = {"platforms": "x", "caption": "hello"}
    with keyed.client() as client:
        missing = problem_of(client.post("/v1/check", json=body), 401)
        assert missing["detail"].startswith("this service needs an API key")
        wrong = problem_of(
            client.post("/v1/check", json=body, headers={"x-api-key": KEY[:-1] + "x"}), 401
        )
        assert wrong["detail"].startswith("wrong API key")
        assert client.post("/v1/check", json=body, headers={"x-api-key": KEY}).status_code == 200
        bearer = {"authorization": f"Bearer {KEY}"}
        assert client.post("/v1/check", json=body, headers=bearer).status_code == 200
        unicode = client.post("/v1/check", json=body, headers={b"x-api-key": "clé".encode()})
        assert unicode.status_code == 401
        assert problem_of(client.get("/metrics"), 401)["type"] == "/problems/unauthorized"
        assert client.get("/metrics", headers=bearer).status_code == 200
        for open_path in ("/healthz", "/readyz", "/", "/openapi.json", "/static/page.js"):
            assert client.get(open_path).status_code == 200
        document = client.get("/openapi.json").json()
        assert set(document["components"]["securitySchemes"]) == {"apiKey", "bearer"}
        assert document["paths"]["/v1/check"]["post"]["security"] == [
            {"apiKey": []},
            {"bearer": []},
        ]
        assert "security" not in document["paths"]["/healthz"]["get"]
    assert KEY not in "\n".join(keyed.lines)


def test_cors(keyed: ServiceProcess) -> None:
    with keyed.client() as client:
        allowed = client.options(
            "/v1/check",
            headers={"origin": "https://app.example", "access-control-request-method": "POST",
                     "access-control-request-headers": "content-type,x-api-key"},
        )  # fmt: skip
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://app.example"
        assert "x-api-key" in allowed.headers["access-control-allow-headers"].lower()
        refused = client.options(
            "/v1/check",
            headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
        )
        assert "access-control-allow-origin" not in refused.headers
        answer = client.post("/v1/check", json={"platforms": "x", "caption": "a"},
                             headers={"origin": "https://app.example"})  # fmt: skip
        assert answer.status_code == 401  # an error the page can still read
        assert answer.headers["access-control-allow-origin"] == "https://app.example"


# -- body, files, concurrency, time ----------------------------------------------------------


@pytest.fixture(scope="module")
def tight(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    args = ["--max-body", "1MB", "--max-files", "2", "--max-concurrent", "1", "--timeout", "2"]
    with running(args, tmp=tmp_path_factory.mktemp("tight")) as service:
        yield service


def test_body_limit_by_length_and_by_stream(tight: ServiceProcess, tmp_path: Path) -> None:
    big = form_part("platforms", b"x") + form_part("files", os.urandom(1_500_000), "big.jpg")
    big += form_end()
    with tight.client() as client:
        declared = problem_of(client.post("/v1/check/files", content=big, headers=MULTIPART), 413)
        assert (
            declared["detail"] == "the request body is larger than 1 MB (the service's --max-body)"
        )

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
            for start in range(0, len(big), 64 * 1024):
                yield big[start : start + 64 * 1024]

        streamed = problem_of(
            client.post("/v1/check/files", content=chunks(), headers=MULTIPART), 413
        )
        assert streamed["detail"] == declared["detail"]
        assert client.get("/readyz").status_code == 200
    assert tight.wait_for_no_request_folders() == []


def test_files_per_request(tight: ServiceProcess, tmp_path: Path) -> None:
    image = make_image(tmp_path / "a.png", format="PNG").read_bytes()
    parts = [("files", (f"{i}.png", image, "image/png")) for i in range(3)]
    with tight.client() as client:
        body = problem_of(client.post("/v1/check/files", files=parts, data={"platforms": "x"}), 413)
        assert body["detail"] == "more than 2 files in one request (the service's --max-files)"
        assert body["type"] == "/problems/too-many-files"
        two = client.post("/v1/check/files", files=parts[:2], data={"platforms": "x"})
        assert two.status_code == 200 and len(two.json()["media"]) == 2
    assert tight.wait_for_no_request_folders() == []


def test_concurrent_requests(tight: ServiceProcess, tmp_path: Path) -> None:
    worker, answers = in_background(tight.url, 1.5, tmp_path)
    with tight.client() as client:
        wait_until(lambda: in_flight(client) == 1)
        busy = client.post("/v1/check", json={"platforms": "x", "caption": "a"})
        body = problem_of(busy, 503)
        assert body["type"] == "/problems/busy" and busy.headers["retry-after"] == "1"
        assert client.get("/healthz").status_code == 200  # probes answer while busy
        assert client.get("/readyz").status_code == 200
        worker.join(30)
        assert answers[0].status_code == 200, answers[0].text
        assert client.post("/v1/check", json={"platforms": "x", "caption": "a"}).status_code == 200
        assert 'mediarules_requests_refused_total{reason="busy"}' in client.get("/metrics").text


def test_time_limit(tight: ServiceProcess, tmp_path: Path) -> None:
    slow = slow_upload(tight.url, 4.0, tmp_path)
    body = problem_of(slow, 503)
    assert body["detail"] == "the request took longer than 2 s (the service's --timeout)"
    with tight.client() as client:
        assert client.post("/v1/check", json={"platforms": "x", "caption": "a"}).status_code == 200
    assert tight.wait_for_no_request_folders() == []


def test_a_client_that_leaves_mid_upload(tight: ServiceProcess) -> None:
    """Logged as 499 (nobody to answer), not as an error; its folder goes."""
    host, port = tight.url.removeprefix("http://").rsplit(":", 1)
    body = form_part("platforms", b"x") + form_part("files", b"x" * 100_000, "gone.jpg")
    head = (
        "POST /v1/check/files HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: {MULTIPART['content-type']}\r\nContent-Length: {len(body) + 10}\r\n"
        "X-Request-ID: leaving-early\r\n\r\n"
    )
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(head.encode() + body[:50_000])
        with tight.client() as client:
            wait_until(lambda: in_flight(client) == 1)
    wait_until(lambda: any(r.get("request_id") == "leaving-early" for r in tight.records()))
    mine = [r for r in tight.records() if r.get("request_id") == "leaving-early"]
    assert [(r["logger"], r.get("status")) for r in mine] == [("mediarules.access", 499)]
    assert tight.wait_for_no_request_folders() == []


# -- shutdown and workers --------------------------------------------------------------------


def test_graceful_shutdown_finishes_the_request_in_progress(tmp_path: Path) -> None:
    service = ServiceProcess([], tmp=tmp_path / "server").ready()
    try:
        worker, answers = in_background(service.url, 2.0, tmp_path)
        with service.client() as client:
            wait_until(lambda: in_flight(client) == 1)
        service.terminate()  # SIGTERM, mid-upload
        worker.join(30)
        assert answers and answers[0].status_code == 200, service.stderr()
        assert [m["path"] for m in answers[0].json()["media"]] == ["slow.png"]
        # uvicorn ends by raising the signal again once it has shut down: the process is
        # seen to stop on SIGTERM, as a supervisor expects (systemd counts it as a clean stop)
        assert service.process.wait(30) in (0, -signal.SIGTERM)
    finally:
        service.stop()
    assert list((tmp_path / "server").iterdir()) == []  # every folder it made is gone
    messages = [r["message"] for r in service.records()]
    assert "worker stopping" in messages


def test_two_workers_share_the_port_and_the_metrics(tmp_path: Path) -> None:
    with running(["--workers", "2"], tmp=tmp_path) as service:

        def ready_workers() -> set[int]:
            return {r["pid"] for r in service.records() if r.get("event") == "ready"}

        wait_until(lambda: len(ready_workers()) == 2, seconds=60)

        def post_some() -> None:
            with service.client() as client:
                for _ in range(10):
                    answer = client.post("/v1/check", json={"platforms": "tiktok", "caption": "a"})
                    assert answer.status_code == 200

        def served() -> set[int]:
            return {r["pid"] for r in service.records() if r.get("path") == "/v1/check"}

        # Which worker accepts a connection is the kernel's choice: on a busy machine one
        # worker can take a whole round of 8, so rounds go on (each on new connections)
        # until both have served, within a deadline.
        rounds, deadline = 0, time.monotonic() + 60
        while rounds == 0 or (served() != ready_workers() and time.monotonic() < deadline):
            threads = [threading.Thread(target=post_some) for _ in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            rounds += 1
        assert served() == ready_workers()
        with service.client() as client:
            text = client.get("/metrics").text
        line = 'mediarules_http_requests_total{method="POST",route="/v1/check",status="200"}'
        count = re.search(rf"^{re.escape(line)} (\S+)$", text, re.M)
        # summed over both workers
        assert count is not None and float(count.group(1)) == 80 * rounds
