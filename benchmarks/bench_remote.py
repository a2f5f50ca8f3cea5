"""Media by URL: what reading a header costs over HTTP, and how many files a second a batch
keeps up.

    python benchmarks/bench_remote.py [--quick] [--files N] [--concurrency C] [--latency S]

1. Per file (JPEG, PNG, an animated GIF, WebP, a faststart MP4, an MP4 whose moov is last, a
   WebM): the range requests and bytes ``mediarules`` needs, counted by the server, against
   the file's size, and beside ``ffprobe`` on the same URL when it is on PATH. Budgets (issue
   15): one request for images and faststart MP4s, at most three and head + moov bytes for a
   moov-last MP4.
2. Throughput: ``--files`` URLs (500) fetched ``--concurrency`` (64) at a time from a server
   answering each request after ``--latency`` (50 ms), as a fraction of the ideal
   ``concurrency / (requests per file x latency)``. Target: at least 0.7.

The server is a stdlib ``ThreadingHTTPServer`` (``tests/http_server.py``) in its own process,
on 127.0.0.1, so that it does not share the fetcher's interpreter lock.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks._harness import save_textured  # noqa: E402
from mediarules.remote import HEAD_BYTES, FetchOptions, fetch_all  # noqa: E402
from tests.http_server import MediaServer, top_level_boxes  # noqa: E402
from tests.media import make_video  # noqa: E402


def _serve(files: dict[str, bytes], pipe: Connection) -> None:
    server = MediaServer()
    server.files.update(files)
    with server.running():
        pipe.send(server.port)
        while True:
            command, value = pipe.recv()
            if command == "stop":
                return
            if command == "latency":
                server.latency = float(value)
            elif command == "stats":
                pipe.send((dict(server.requests), dict(server.sent)))
            elif command == "reset":
                server.requests.clear()
                server.sent.clear()
            pipe.send("ok") if command != "stats" else None


class Remote:
    """The server process, driven through a pipe."""

    def __init__(self, files: dict[str, bytes]) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(files, child), daemon=True)
        self._process.start()
        self.port = int(self._pipe.recv())

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def ask(self, command: str, value: Any = None) -> Any:
        self._pipe.send((command, value))
        return self._pipe.recv()

    def stop(self) -> None:
        self._pipe.send(("stop", None))
        self._process.join(5)


def make_files(folder: Path) -> dict[str, Path]:
    files = {
        "photo.jpg": folder / "photo.jpg",
        "graphic.png": folder / "graphic.png",
        "loop.gif": folder / "loop.gif",
        "banner.webp": folder / "banner.webp",
        "last.mp4": make_video(folder / "last.mp4", size=(640, 360), duration_s=2, noise=True),
        "clip.webm": make_video(
            folder / "clip.webm", size=(640, 360), duration_s=2, noise=True, codec="libvpx-vp9",
            audio="libopus",
        ),
    }  # fmt: skip
    save_textured(files["photo.jpg"], "JPEG", (4000, 3000))
    save_textured(files["banner.webp"], "WEBP", (1600, 800))
    save_textured(files["graphic.png"], "PNG", (1600, 1200))
    save_textured(files["loop.gif"], "GIF", (480, 270), frames=10)
    files["fast.mp4"] = _faststart(files["last.mp4"], folder / "fast.mp4")
    return files


def _faststart(source: Path, target: Path) -> Path:
    import av

    with (
        av.open(str(source)) as old,
        av.open(str(target), "w", options={"movflags": "+faststart"}) as new,
    ):
        streams = {s.index: new.add_stream_from_template(s) for s in old.streams}
        for packet in old.demux():
            if packet.dts is None:
                continue
            packet.stream = streams[packet.stream.index]
            new.mux(packet)
    return target


def per_file(remote: Remote, files: dict[str, Path]) -> list[dict[str, Any]]:
    rows = []
    options = FetchOptions(allow_hosts=("127.0.0.1",))
    ffprobe = shutil.which("ffprobe")
    for name, path in files.items():
        data = path.read_bytes()
        moov = next((size for kind, _, size in top_level_boxes(data) if kind == b"moov"), None)
        remote.ask("reset")
        (result,) = fetch_all([remote.url(name)], options)
        requests, sent = remote.ask("stats")
        row = {
            "file": name, "size": len(data), "ok": result.facts is not None,
            "requests": requests.get(name, 0), "bytes": sent.get(name, 0),
            "budget": _budget(name, data, moov),
        }  # fmt: skip
        if ffprobe is not None:
            remote.ask("reset")
            subprocess.run(
                [ffprobe, "-v", "error", "-show_format", "-show_streams", remote.url(name)],
                capture_output=True, check=False, timeout=60,
            )  # fmt: skip
            requests, sent = remote.ask("stats")
            row["ffprobe_requests"] = requests.get(name, 0)
            row["ffprobe_bytes"] = sent.get(name, 0)
        rows.append(row)
    return rows


def _budget(name: str, data: bytes, moov: int | None) -> str:
    if name == "last.mp4" and moov is not None:
        return f"<= 3 req, <= {HEAD_BYTES + moov:,} B"
    if name.endswith(".webm"):
        return "-"
    if name.endswith(".gif"):
        return "the file (its frames)"
    return "1 req"


def throughput(remote: Remote, names: list[str], files: int, concurrency: int, latency: float,
               rounds: int) -> dict[str, float]:  # fmt: skip
    urls = [remote.url(names[i % len(names)]) for i in range(files)]
    options = FetchOptions(allow_hosts=("127.0.0.1",), concurrency=concurrency)
    remote.ask("latency", latency)
    fetch_all(urls[: concurrency * 2], options)  # warm: imports, first connections
    rates, ratios, per_file_requests = [], [], []
    for _ in range(rounds):
        remote.ask("reset")
        began = time.perf_counter()
        results = fetch_all(urls, options)
        seconds = time.perf_counter() - began
        assert all(r.facts is not None for r in results), [r.failure for r in results][:3]
        requests, _ = remote.ask("stats")
        per_file = sum(requests.values()) / files
        ideal = concurrency / (per_file * latency)
        rates.append(files / seconds)
        ratios.append(files / seconds / ideal)
        per_file_requests.append(per_file)
    remote.ask("latency", 0)
    return {
        "files_per_s": statistics.median(rates),
        "requests_per_file": statistics.median(per_file_requests),
        "ideal_files_per_s": concurrency / (statistics.median(per_file_requests) * latency),
        "fraction_of_ideal": statistics.median(ratios),
        "fraction_min": min(ratios),
        "fraction_max": max(ratios),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one throughput round, not three")
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        files = make_files(Path(folder))
        remote = Remote({name: path.read_bytes() for name, path in files.items()})
        try:
            print("# bench_remote: media by URL, headers only")
            print(f"\n## requests and bytes per file (head = {HEAD_BYTES:,} B)")
            rows = per_file(remote, files)
            probe = "ffprobe_requests" in rows[0]
            header = f"{'file':<12} {'size':>10} {'req':>4} {'bytes':>9} {'of size':>8}  budget"
            print(header + ("   ffprobe req    bytes" if probe else ""))
            for row in rows:
                line = (
                    f"{row['file']:<12} {row['size']:>10,} {row['requests']:>4} "
                    f"{row['bytes']:>9,} {row['bytes'] / row['size']:>7.1%}  {row['budget']:<26}"
                )
                if probe:
                    line += f" {row['ffprobe_requests']:>5} {row['ffprobe_bytes']:>10,}"
                print(line + ("" if row["ok"] else "  (NOT READ)"))
            if not probe:
                print("(ffprobe is not on PATH: its column is left out)")
            rounds = 1 if args.quick else 3
            print(
                f"\n## {args.files} URLs, {args.concurrency} at a time, "
                f"{args.latency * 1000:.0f} ms a request ({rounds} round{'s' * (rounds > 1)})"
            )
            found = throughput(
                remote, list(files), args.files, args.concurrency, args.latency, rounds
            )
            print(
                f"{found['files_per_s']:.0f} files/s; ideal {found['ideal_files_per_s']:.0f} "
                f"({found['requests_per_file']:.2f} requests a file): "
                f"{found['fraction_of_ideal']:.2f} of the ideal "
                f"(rounds {found['fraction_min']:.2f}..{found['fraction_max']:.2f}; target >= 0.7)"
            )
        finally:
            remote.stop()


if __name__ == "__main__":
    main()
