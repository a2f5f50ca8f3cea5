"""``mediarules serve`` under load, over loopback, against a real server.

    python benchmarks/bench_serve.py [--quick] [--requests N] [--concurrency C] [--workers W]
                                     [--uploads N] [--json F]

Starts ``mediarules serve --workers 2`` (no access log) and sends, from 32 concurrent
HTTP/1.1 keep-alive connections (a bare asyncio client, so that the load generator costs
little beside the server on the same 2 CPUs):

1. ``GET /healthz``: the floor, what any request costs here (HTTP, the framework, the guard);
2. ``POST /v1/check`` with the seed's create-post body (metadata only: 3 media records, 2
   platforms), 2,000 requests;
3. ``POST /v1/check/files`` with a 5 MB MP4 upload, 200 requests;

and reports requests per second, p50 / p99 / max latency, errors (every answer must be a
200 with the very body the first one had) and the server's resident memory (all its
processes) before and after each phase. The check itself, in-process and single-threaded, is
measured too: ``/v1/check`` against it and against the floor says what HTTP and the service
add. Absolute figures move with the machine; the ratios are what to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import httpx  # noqa: E402

import mediarules  # noqa: E402
from tests.media import make_video  # noqa: E402
from tests.service_process import ServiceProcess  # noqa: E402
from tests.test_payload import seed_body  # noqa: E402


@dataclass
class Phase:
    name: str
    requests: int
    concurrency: int
    seconds: float
    per_second: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    server_cpu_ms: float
    """Processor time of the server per request."""
    rss_before_mib: float
    rss_after_mib: float


def _tree(pid: int) -> list[int]:
    """The server and every process under it (workers, MediaInfo workers)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        found.append(current)
        pending.extend(int(child) for child in children)
    return found


def server_cpu_seconds(pid: int) -> float:
    """Processor time (user + system) the server's processes have used so far: on a busy
    machine this moves less than wall time."""
    ticks = 0
    for process in _tree(pid):
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def server_rss_mib(pid: int) -> float:
    """Resident memory of the server and every process under it (workers, MediaInfo)."""
    total = 0
    for process in _tree(pid):
        try:
            status = Path(f"/proc/{process}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total / 2**20


@dataclass(frozen=True)
class Request:
    """One request as bytes on the wire, and the answer every copy of it must get."""

    name: str
    raw: bytes
    expected: bytes | None = None
    """The exact body every answer must have (None: any 200)."""


def http_request(
    method: str, path: str, body: bytes = b"", content_type: str | None = None
) -> bytes:
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    if content_type:
        head.append(f"Content-Type: {content_type}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes
) -> tuple[int, bytes]:
    writer.write(raw)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def load(
    url: str, count: int, concurrency: int, request: Request
) -> tuple[float, list[float], int]:
    """``count`` requests over ``concurrency`` keep-alive connections; (seconds, latencies,
    errors). A bare HTTP/1.1 client on asyncio streams: an HTTP library in Python costs
    several times what the server spends on a small request, and would be what is measured."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    latencies: list[float] = []
    errors = 0
    issued = 0

    async def connection() -> None:
        nonlocal issued, errors
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while issued < count:
                issued += 1
                started = time.perf_counter()
                try:
                    status, body = await _exchange(reader, writer, request.raw)
                    ok = status == 200 and (request.expected is None or body == request.expected)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    ok = False
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, int(port))
                latencies.append(time.perf_counter() - started)
                errors += not ok
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies, errors


def phase(service: ServiceProcess, count: int, concurrency: int, request: Request) -> Phase:
    before = server_rss_mib(service.process.pid)
    cpu = server_cpu_seconds(service.process.pid)
    seconds, latencies, errors = asyncio.run(load(service.url, count, concurrency, request))
    cpu = server_cpu_seconds(service.process.pid) - cpu
    after = server_rss_mib(service.process.pid)
    ordered = sorted(latencies)
    return Phase(
        name=request.name,
        requests=count,
        concurrency=concurrency,
        seconds=round(seconds, 3),
        per_second=round(count / seconds, 1),
        p50_ms=round(statistics.median(ordered) * 1000, 2),
        p99_ms=round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2),
        max_ms=round(ordered[-1] * 1000, 2),
        errors=errors,
        server_cpu_ms=round(cpu / count * 1000, 3),
        rss_before_mib=round(before, 1),
        rss_after_mib=round(after, 1),
    )


def in_process_ms(body: dict[str, Any], rounds: int = 300) -> float:
    """The check alone: ``check_payload`` of the same body, parsed as the service parses it."""
    raw = json.dumps(body).encode()
    from mediarules.inputs.payload import parse_payload

    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        mediarules.check_payload(parse_payload(raw, "body"))
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 checks, 20 uploads")
    parser.add_argument("--requests", type=int, help="POST /v1/check requests (2,000)")
    parser.add_argument("--uploads", type=int, help="POST /v1/check/files requests (200)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, metavar="F", help="write the figures as JSON")
    args = parser.parse_args()
    checks = args.requests or (200 if args.quick else 2000)
    uploads = args.uploads or (20 if args.quick else 200)
    concurrency = args.concurrency

    with tempfile.TemporaryDirectory(prefix="bench-serve-") as folder:
        root = Path(folder)
        clip = make_video(root / "clip.mp4", fps=30, duration_s=1.7, size=(640, 360), noise=True)
        body = seed_body()
        service = ServiceProcess(
            ["--workers", str(args.workers), "--no-access-log", "--max-concurrent", "64"],
            tmp=root / "server",
        ).ready()
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # both workers up, not only the first
                ready = {r["pid"] for r in service.records() if r.get("event") == "ready"}
                if len(ready) == args.workers:
                    break
                time.sleep(0.1)
            raw_body = json.dumps(body).encode()
            expected = httpx.post(f"{service.url}/v1/check", content=raw_body).content
            check = Request(
                "POST /v1/check (seed body)",
                http_request("POST", "/v1/check", raw_body, "application/json"),
                expected,
            )
            form = httpx.Request(
                "POST",
                f"{service.url}/v1/check/files",
                files=[("files", ("clip.mp4", clip.read_bytes(), "video/mp4"))],
                data={"platforms": "tiktok,instagram:reel,youtube:short,x"},
            )
            form.read()
            files = Request(
                f"POST /v1/check/files ({clip.stat().st_size / 1e6:.1f} MB MP4)",
                http_request("POST", "/v1/check/files", form.content, form.headers["content-type"]),
                httpx.post(f"{service.url}/v1/check/files", content=form.content,
                           headers={"content-type": form.headers["content-type"]}).content,
            )  # fmt: skip
            floor = Request("GET /healthz (floor)", http_request("GET", "/healthz"))
            phase(service, 200, concurrency, check)  # warm-up: imports, caches, connections
            phase(service, concurrency, concurrency, files)  # pools and buffers at full size
            results = [
                phase(service, checks, concurrency, floor),
                phase(service, checks, concurrency, check),
                phase(service, uploads, concurrency, files),
            ]
            alone = in_process_ms(body)
        finally:
            service.stop()
            leftovers = service.request_folders()

    print(f"mediarules serve --workers {args.workers}, {concurrency} concurrent connections, "
          f"loopback; Python {sys.version.split()[0]}")  # fmt: skip
    header = f"{'phase':<38} {'req':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    print(header + f" {'errors':>6} {'CPU ms/req':>10} {'RSS MiB before -> after':>24}")
    for result in results:
        print(
            f"{result.name:<38} {result.requests:>5} {result.per_second:>8,.1f} "
            f"{result.p50_ms:>8.2f} {result.p99_ms:>8.2f} {result.max_ms:>8.1f} "
            f"{result.errors:>6} {result.server_cpu_ms:>10.3f} "
            f"{result.rss_before_mib:>11.1f} -> {result.rss_after_mib:<9.1f}"
        )
    floor, check_phase = results[0], results[1]
    print(f"check_payload in process, one thread: {alone:.3f} ms per body")
    latency = check_phase.p50_ms / floor.p50_ms
    rate = check_phase.per_second / floor.per_second
    cpu = check_phase.server_cpu_ms / floor.server_cpu_ms
    print(f"/v1/check / /healthz: p50 {latency:.2f}x, requests per second {rate:.2f}x, "
          f"server CPU per request {cpu:.2f}x; / check_payload alone: "
          f"{check_phase.server_cpu_ms / alone:.2f}x")  # fmt: skip
    print(f"request folders left behind: {len(leftovers)}")
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                {
                    "phases": [asdict(r) for r in results],
                    "in_process_ms": alone,
                    "workers": args.workers,
                    "concurrency": concurrency,
                },
                indent=2,
            )
        )
    failed = sum(result.errors for result in results) or leftovers
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
