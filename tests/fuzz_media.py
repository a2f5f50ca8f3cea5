"""A fuzz target for the whole pipeline: bytes in, a consistent ``Report`` out, never a crash.

``fuzz_one(data, suffix)`` writes ``data`` to a file named ``input<suffix>``, checks it for all
ten platforms and inspects it; any exception other than ``UnreadableMediaError`` from
``inspect`` is a bug, and so is a report that contradicts itself. ``mutate`` turns real media
(made by :mod:`tests.media`) into near-valid inputs: bit flips, boundary integers, byte
insertions and deletions, chunk duplication, splices and truncation. ``tests/test_fuzz.py``
runs it for a bounded time under hypothesis; by hand it runs as long as asked::

    python -m tests.fuzz_media --seconds 300

Crashing and slow inputs are written under the system temp folder and printed.

libmediainfo (24.12) spins forever on about one mutated video in 200 (and on the 16 bytes of
``MEDIAINFO_HANG``); the library runs it in killable child processes
(:mod:`mediarules.inspection.mediainfo_pool`), so a fuzzing run stays fast and leaves nothing
spinning. With atheris installed (it is not a dependency), ``--atheris`` hands the same target
to libFuzzer.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import importlib
import json
import random
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any
from unittest import mock

import mediarules
from mediarules.inspection import mediainfo_pool, video
from mediarules.models import Report, Severity

PLATFORMS: tuple[str, ...] = (
    "x", "linkedin", "instagram", "threads", "tiktok",
    "youtube", "facebook", "bluesky", "mastodon", "telegram",
)  # fmt: skip
"""The ten seed platforms, all checked for every input."""

SUFFIXES: tuple[str, ...] = (".jpg", ".png", ".gif", ".webp", ".mp4", ".mov", ".mkv", ".txt", "")
"""File names the inputs get: the kind comes from the bytes, so any name must do."""

REASONS = frozenset(
    {"missing", "empty", "unrecognised", "truncated", "corrupt", "permission", "directory"}
)
UNREADABLE_CODES = frozenset({"media.unreadable", "media.empty"})
GAVE_UP = "did not finish"
"""In the message of a file MediaInfo was stopped on (its worker outlived the time limit)."""


class FuzzInvariantError(AssertionError):
    """An input broke an invariant (the message says which)."""


def fuzz_one(data: bytes, suffix: str) -> None:
    """Check and inspect ``data`` saved as ``input<suffix>``; raise on any broken invariant.

    Only ``mediarules.UnreadableMediaError`` may come out of ``inspect``; ``check`` may raise
    nothing at all. Library warnings (Pillow's "Corrupt EXIF data") are not failures.
    """
    with tempfile.TemporaryDirectory(prefix="mediarules-fuzz-") as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        with warnings.catch_warnings():  # single-threaded here: swapping the filter is safe
            warnings.simplefilter("ignore")
            report = mediarules.check([path], platforms=PLATFORMS)
            try:
                facts: mediarules.MediaFacts | None = mediarules.inspect(path)
                error = None
            except mediarules.UnreadableMediaError as exc:
                facts, error = None, exc
        check_report(report, path=str(path), size=len(data))
        _agree(report, facts, error)


def check_report(report: Report, *, path: str, size: int) -> None:
    """The invariants of a report on one file, whatever the file held."""
    errors = [v for v in report.violations if v.severity is Severity.ERROR]
    _expect(report.ok == (not errors), "ok disagrees with the error-severity violations")
    _expect(len(report.media) == 1, f"{len(report.media)} media facts for one file")
    facts = report.media[0]
    _expect(facts.path == path, f"facts.path {facts.path!r} is not {path!r}")
    unreadable = [v for v in report.violations if v.code in UNREADABLE_CODES]
    _expect(len(unreadable) <= 1, "more than one unreadable violation for one file")
    if size == 0:
        _expect([v.code for v in unreadable] == ["media.empty"], "an empty file is not media.empty")
    if unreadable:
        violation = unreadable[0]
        _expect(violation.platform == mediarules.ALL_PLATFORMS, "unreadable is per platform")
        _expect(violation.actual in REASONS, f"unknown reason {violation.actual!r}")
        _expect(facts.kind is None, "an unreadable file has a kind")
        others = [v.code for v in report.violations if v.media_index == 0 and v is not violation]
        _expect(not others, f"an unreadable file was checked: {others}")
    else:
        _expect(facts.kind in ("image", "video"), f"readable, yet kind is {facts.kind!r}")
    _expect(facts.size == size, f"facts.size {facts.size} is not the file's {size} bytes")
    for v in report.violations:
        _expect(v.media_index in (None, 0), f"media_index {v.media_index}")
        _expect(v.platform in (mediarules.ALL_PLATFORMS, *PLATFORMS), f"platform {v.platform!r}")
        _expect(v.code in mediarules.CODES, f"unregistered code {v.code!r}")
        _expect(bool(v.message) and "\n" not in v.message, f"not one line: {v.message!r}")
    _expect_sane(facts)
    dumped = report.model_dump(mode="json")
    json.dumps(dumped, allow_nan=False)  # what the CLI prints
    _expect(Report.model_validate(dumped) == report, "the report does not survive JSON")


def _agree(
    report: Report,
    facts: mediarules.MediaFacts | None,
    error: mediarules.UnreadableMediaError | None,
) -> None:
    """``inspect`` and ``check`` see the same file the same way (unless MediaInfo was stopped
    on it, where a few ms either side of the timeout decide)."""
    unreadable = [v for v in report.violations if v.code in UNREADABLE_CODES]
    if any(GAVE_UP in v.message for v in unreadable) or (error and GAVE_UP in str(error)):
        return
    if error is not None:
        _expect(error.reason in REASONS, f"unknown reason {error.reason!r}")
        said = [v.actual for v in unreadable]
        _expect(said == [error.reason], f"inspect says {error.reason!r}, check says {said}")
    else:
        _expect(not unreadable, "inspect read the file but check calls it unreadable")
        _expect(facts == report.media[0], "inspect and check disagree on the facts")


def _expect_sane(facts: mediarules.MediaFacts) -> None:
    for name in ("size", "width", "height", "frames", "bit_rate", "rotation"):
        value = getattr(facts, name)
        _expect(value is None or (isinstance(value, int) and value >= 0), f"{name} = {value!r}")
    fps = facts.fps
    _expect(fps is None or (isinstance(fps, Fraction) and fps > 0), f"fps = {fps!r}")
    duration = facts.duration_s
    _expect(duration is None or 0 <= duration < float("inf"), f"duration_s = {duration!r}")


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise FuzzInvariantError(message)


# ---------------------------------------------------------------------------------------------
# seeds and mutations


SEED_NAMES = (
    "photo.jpg", "alpha.png", "anim.gif", "anim.webp", "still.webp", "clip.mp4", "clip.mov",
    "clip.mkv",
)  # fmt: skip


@functools.cache
def seed_corpus() -> dict[str, bytes]:
    """Real media, one file per format (``SEED_NAMES``), made once per process."""
    from tests.media import make_image, make_video  # PyAV: a test dependency, imported late

    with tempfile.TemporaryDirectory(prefix="mediarules-seeds-") as folder:
        root = Path(folder)
        paths = [
            make_image(root / "photo.jpg", orientation=6, size=(40, 30)),
            make_image(root / "alpha.png", format="PNG", mode="RGBA", size=(40, 30)),
            make_image(root / "anim.gif", format="GIF", frames=3, size=(24, 16)),
            make_image(root / "anim.webp", format="WEBP", frames=2, size=(24, 16)),
            make_image(root / "still.webp", format="WEBP", orientation=3, size=(24, 16)),
            make_video(root / "clip.mp4", frames=4, size=(32, 24)),
            make_video(root / "clip.mov", frames=4, size=(32, 24), audio=None),
            make_video(root / "clip.mkv", frames=4, size=(32, 24), audio="flac"),
        ]
        corpus = {path.name: path.read_bytes() for path in paths}
    assert tuple(corpus) == SEED_NAMES
    return corpus


MEDIAINFO_HANG = bytes.fromhex("000000016d6f6f76ffffffffffffffff")
"""16 bytes libmediainfo 24.12 never finishes: a ``moov`` box whose 64-bit size is 2**64 - 1.
Found by this fuzzer, as was a real 2 KB MP4 whose ``sbgp`` box claims 0xFFFFFFF0 entries."""


Mutator = Callable[[bytearray, random.Random, Sequence[bytes]], None]

_INTERESTING = (0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 0x10000)


def _flip_bits(data: bytearray, rnd: random.Random, corpus: Sequence[bytes]) -> None:
    for _ in range(rnd.randint(1, 8)):
        data[rnd.randrange(len(data))] ^= 1 << rnd.randrange(8)


def _set_bytes(data: bytearray, rnd: random.Random, corpus: Sequence[bytes]) -> None:
    for _ in range(rnd.randint(1, 4)):
        data[rnd.randrange(len(data))] = rnd.choice((0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF))


def _set_integer(data: bytearray, rnd: random.Random, corpus: Sequence[bytes]) -> None:
    """A length, size or count field replaced by a boundary value (either byte order)."""
    width = rnd.choice((1, 2, 4))
    if len(data) < width:
        return
    value = (rnd.choice(_INTERESTING) + rnd.choice((-1, 0, 0, 1))) % (1 << (8 * width))
    at = rnd.randrange(len(data) - width + 1)
    data[at : at + width] = value.to_bytes(width, rnd.choice(("big", "little")))


def _insert(data: bytearray, rnd: random.Random, corpus: Sequence[bytes]) -> None:
    at = rnd.randrange(len(data) + 1)
    data[at:at] = rnd.randbytes(rnd.choice((1, 2, 4, rnd.randint(1, 256))))


def _delete(data: bytearray, rnd: random.Random, corpus: Sequence[bytes]) -> None:
    start = rnd.randrange(len(data))
    del data[start : start + rnd.choice((1, 2, 4, rnd.randint(1, 512)))]


def _duplicate(data: bytearray, rnd: random.Random, corpus: Sequence[bytes]) -> None:
    """A chunk copied elsewhere, up to 8 times (a repeated box, chunk or segment)."""
    start = rnd.randrange(len(data))
    chunk = bytes(data[start : start + rnd.randint(1, 1024)])
    at = rnd.randrange(len(data) + 1)
    data[at:at] = chunk * rnd.choice((1, 1, 2, 8))


def _splice(data: bytearray, rnd: random.Random, corpus: Sequence[bytes]) -> None:
    """The head of this file on the tail of another (a JPEG header on an MP4 body)."""
    other = rnd.choice(corpus)
    data[rnd.randrange(len(data) + 1) :] = other[rnd.randrange(len(other) + 1) :]


def _truncate(data: bytearray, rnd: random.Random, corpus: Sequence[bytes]) -> None:
    del data[rnd.choice((rnd.randrange(len(data) + 1), rnd.randrange(min(len(data), 64) + 1))) :]


MUTATORS: tuple[Mutator, ...] = (
    _flip_bits, _set_bytes, _set_integer, _insert, _delete, _duplicate, _splice, _truncate,
)  # fmt: skip


def mutate(seed: bytes, rnd: random.Random, corpus: Sequence[bytes] = ()) -> bytes:
    """``seed`` after one to four random mutations (the same ``rnd`` state, the same output)."""
    data = bytearray(seed)
    for _ in range(rnd.choice((1, 1, 2, 3, 4))):
        if not data:
            break
        rnd.choice(MUTATORS)(data, rnd, corpus or (seed,))
    return bytes(data)


def random_case(rnd: random.Random) -> tuple[bytes, str]:
    """One input: a mutated seed, saved under its own suffix or (1 in 4) any other."""
    corpus = seed_corpus()
    name = rnd.choice(sorted(corpus))
    suffix = Path(name).suffix if rnd.random() < 0.75 else rnd.choice(SUFFIXES)
    return mutate(corpus[name], rnd, list(corpus.values())), suffix


# ---------------------------------------------------------------------------------------------
# by hand

SLOW_S = 1.0
"""An input that takes longer than this is saved too: MediaInfo hangs show up as slow."""


def save_input(
    data: bytes, suffix: str, folder: Path | None = None, *, kind: str = "crash"
) -> Path:
    """Write an input where it can be replayed: ``fuzz_one(path.read_bytes(), suffix)``."""
    folder = folder or Path(tempfile.gettempdir()) / "mediarules-fuzz-crashes"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kind}-{hashlib.sha1(data).hexdigest()[:16]}{suffix or '.noext'}"
    path.write_bytes(data)
    return path


def run(seconds: float, *, seed: int, out: Path | None = None, stop_on_crash: bool = False) -> int:
    """Fuzz for ``seconds``; print what ran, every crash and every slow input.

    Returns the number of crashes.
    """
    rnd = random.Random(seed)
    seed_corpus()  # not timed
    start = time.perf_counter()
    count = crashes = slow = 0
    while time.perf_counter() - start < seconds:
        data, suffix = random_case(rnd)
        count += 1
        began = time.perf_counter()
        try:
            fuzz_one(data, suffix)
        except Exception:
            crashes += 1
            saved = save_input(data, suffix, out)
            print(f"crash #{crashes} after {count} inputs, saved to {saved}:", file=sys.stderr)
            traceback.print_exc()
            if stop_on_crash:
                break
        took = time.perf_counter() - began
        if took > SLOW_S:
            slow += 1
            saved = save_input(data, suffix, out, kind="slow")
            print(f"slow input ({took:.1f} s) saved to {saved}", file=sys.stderr)
    elapsed = time.perf_counter() - start
    rate = count / elapsed if elapsed else 0.0
    print(
        f"{count} inputs in {elapsed:.1f} s ({rate:.0f}/s), seed {seed}: "
        f"{crashes} crashes, {slow} slower than {SLOW_S:g} s"
    )
    return crashes


def run_atheris(seconds: float, argv: Sequence[str]) -> None:  # pragma: no cover - by hand
    """Hand ``fuzz_one`` to libFuzzer (atheris): the first byte picks the suffix."""
    atheris: Any = importlib.import_module("atheris")
    corpus = Path(tempfile.mkdtemp(prefix="mediarules-atheris-"))
    for name, data in seed_corpus().items():
        index = SUFFIXES.index(Path(name).suffix)
        (corpus / name).write_bytes(bytes([index]) + data)

    def one_input(data: bytes) -> None:
        if data:
            fuzz_one(data[1:], SUFFIXES[data[0] % len(SUFFIXES)])

    atheris.instrument_all()
    atheris.Setup([sys.argv[0], *argv, f"-max_total_time={int(seconds)}", str(corpus)], one_input)
    atheris.Fuzz()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fuzz_media", description="Fuzz mediarules with mutated media."
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="how long (default 60)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    parser.add_argument("--out", type=Path, default=None, help="folder for crashing inputs")
    parser.add_argument("--stop", action="store_true", help="stop at the first crash")
    parser.add_argument(
        "--mediainfo-timeout", type=float, default=1.0, metavar="S",
        help="the most seconds MediaInfo may take per file before it is killed (default 1)",
    )  # fmt: skip
    parser.add_argument("--atheris", action="store_true", help="use atheris/libFuzzer if installed")
    args, rest = parser.parse_known_args(argv)
    if rest and not args.atheris:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    pool = mediainfo_pool.default_pool()
    killed = pool.killed
    with mock.patch.object(video, "PROBE_TIMEOUT_S", args.mediainfo_timeout):
        if args.atheris:
            run_atheris(args.seconds, rest)
            return 0
        seed = args.seed if args.seed is not None else random.randrange(2**32)
        crashes = run(args.seconds, seed=seed, out=args.out, stop_on_crash=args.stop)
    print(f"MediaInfo was killed on {pool.killed - killed} inputs")
    return 1 if crashes else 0


if __name__ == "__main__":
    raise SystemExit(main())
