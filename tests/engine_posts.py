"""Many varied posts, made the same way every time, and the reports today's engine gives them.

``tests/test_engine_golden.py`` checks every generated post and compares each report (its JSON
and its terminal text) with the digests recorded in ``tests/cases/engine_reports.txt``: a
change to the engine that changes one byte of one report fails there, naming the post.
``tests/cases/engine_reports_full.json`` holds a few whole reports, for a readable diff.

The posts are metadata only (``MediaFacts`` and ``MediaRef`` records, the scheduler's
create-post body): no file is read. Their values are drawn from the shipped rules table,
around every limit it states (one under, at, one over; durations half a frame either side;
shapes at each aspect ratio bound and its tolerance), with unknown (None) and impossible
values, every format, codec and container the table names and some it does not; captions,
titles, alt texts and tags with hashtags, mentions, links, emoji, CJK, combining marks,
characters a counter refuses, near each text limit; every platform and post type, by key,
alias and comma-separated list; polls, tags, account types and content warnings.

When the rules table, a message or a report format changes on purpose, regenerate both files
(and say why in the commit)::

    python -m tests.engine_posts --write
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
from fractions import Fraction
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from rich.console import Console

import mediarules
from mediarules import MediaFacts, MediaRef, Report, RuleSet
from mediarules.inputs.payload import platform_names
from mediarules.outputs.render import report_json, report_text
from mediarules.remote import FetchFailure, RemoteResult
from mediarules.remote.results import FailureCode
from mediarules.ruleset import ImageRules, VideoRules, resolve_platforms

SEED = 17
COUNT = 2400
FULL = (24, 26, 52)
"""The posts whose whole reports are recorded too."""

CASES = Path(__file__).resolve().parent / "cases"
DIGESTS = CASES / "engine_reports.txt"
FULL_REPORTS = CASES / "engine_reports_full.json"

Post = dict[str, Any]
"""What one check is given: ``kind`` (``check`` or ``payload``) and its arguments."""


# ---------------------------------------------------------------------------------------------
# values around the table's limits


def _sorted(values: set[Any]) -> list[Any]:
    """Set iteration order follows string hashing, which changes with each run: sort."""
    return sorted(values, key=lambda value: (type(value).__name__, value))


class Limits:
    """Every value the shipped table states, by the fact it bounds, sorted."""

    def __init__(self, rules: RuleSet) -> None:
        sizes: set[int] = set()
        sides: set[int] = set()
        pixels: set[int] = set()
        sums: set[int] = set()
        frames: set[int] = set()
        rates: set[Fraction] = set()
        durations: set[float] = set()
        bit_rates: set[int] = set()
        sample_rates: set[int] = {22_050, 44_100, 48_000}
        ratios: set[tuple[Fraction, Fraction]] = set()
        image_formats: set[str] = {"bmp", "tiff", "heif", "avif", "jxl"}
        containers: set[str] = {"avi", "ogg", "mkv", "webm"}
        video_codecs: set[str] = {"mpeg4", "prores", "av1", "vp8", "mpeg2video"}
        audio_codecs: set[str] = {"mp3", "opus", "pcm", "vorbis", "flac"}
        texts: set[int] = set()
        counts: set[int] = set()
        for platform in rules.platforms.values():
            image, video = platform.image, platform.video
            for section in (image, video):
                for key in ("min_width", "min_height", "max_width", "max_height"):
                    _add(sides, getattr(section, key))
                _add(sizes, section.max_size_bytes)
                _add(pixels, section.max_pixels)
                _add(frames, section.max_frames)
                tolerance = section.aspect_ratio_tolerance
                for key in ("min_aspect_ratio", "max_aspect_ratio"):
                    ratio = getattr(section, key)
                    if ratio is not None:
                        ratios.add((ratio, tolerance))
            _image_limits(image, sizes, sides, pixels, sums, image_formats)
            _video_limits(
                video, sizes, rates, durations, bit_rates, sample_rates, containers,
                video_codecs, audio_codecs,
            )  # fmt: skip
            post = platform.post
            for key in ("min_items", "max_items", "max_images", "max_videos", "max_animations",
                        "recommended_max_items"):  # fmt: skip
                _add(counts, getattr(post, key))
            for text in (platform.caption, platform.title):
                if text is not None:
                    for key in ("max_length", "max_length_text_only", "max_utf8_bytes"):
                        _add(texts, getattr(text, key))
            if platform.alt_text is not None:
                _add(texts, platform.alt_text.max_length)
            if platform.tags is not None:
                _add(texts, platform.tags.max_length)
        self.sizes = _sorted(sizes)
        self.sides = _sorted(sides)
        self.pixels = _sorted(pixels)
        self.sums = _sorted(sums)
        self.frames = _sorted(frames)
        self.rates = _sorted(rates | {Fraction(30000, 1001), Fraction(24), Fraction(30)})
        self.durations = _sorted(durations)
        self.bit_rates = _sorted(bit_rates)
        self.sample_rates = _sorted(sample_rates)
        self.ratios = sorted(ratios)
        self.image_formats = _sorted(image_formats)
        self.containers = _sorted(containers)
        self.video_codecs = _sorted(video_codecs)
        self.audio_codecs = _sorted(audio_codecs)
        self.texts = _sorted(texts)
        self.counts = _sorted(counts)


def _add(values: set[Any], value: Any) -> None:
    if value is not None:
        values.add(value)


def _image_limits(
    image: ImageRules,
    sizes: set[int],
    sides: set[int],
    pixels: set[int],
    sums: set[int],
    formats: set[str],
) -> None:
    _add(sizes, image.max_animated_size_bytes)
    _add(pixels, image.max_animated_pixels)
    _add(sums, image.max_dimension_sum)
    _add(sides, image.scaled_min_width)
    _add(sides, image.scaled_max_width)
    formats.update(image.formats, image.converted, image.converted.values(), image.preferred)


def _video_limits(
    video: VideoRules,
    sizes: set[int],
    rates: set[Fraction],
    durations: set[float],
    bit_rates: set[int],
    sample_rates: set[int],
    containers: set[str],
    video_codecs: set[str],
    audio_codecs: set[str],
) -> None:
    _add(sizes, video.min_size_bytes)
    _add(rates, video.min_fps)
    _add(rates, video.max_fps)
    _add(durations, video.min_duration_s)
    _add(durations, video.max_duration_s)
    _add(durations, video.default_max_duration_s)
    _add(bit_rates, video.max_bitrate_bps)
    sample_rates.update(video.audio_sample_rates or ())
    if video.max_frames is not None:
        durations.update(video.max_frames / rate for rate in (24, 30, 60))
    containers.update(video.containers)
    video_codecs.update(video.video_codecs)
    audio_codecs.update(video.audio_codecs)


# ---------------------------------------------------------------------------------------------
# one post


class Maker:
    """Draws posts from one seeded generator: the same seed, the same posts."""

    def __init__(self, rules: RuleSet, seed: int) -> None:
        self.random = random.Random(seed)
        self.limits = Limits(rules)
        self.keys = list(rules.platforms)
        self.aliases = sorted(
            alias for platform in rules.platforms.values() for alias in platform.aliases
        )

    # small helpers

    def chance(self, probability: float) -> bool:
        return self.random.random() < probability

    def pick(self, values: list[Any]) -> Any:
        return values[self.random.randrange(len(values))]

    def near(self, value: int) -> int:
        """One under, at or one over ``value`` (never below 0)."""
        return max(0, value + self.random.choice((-1, 0, 0, 1)))

    def maybe(self, value: Any, none: float = 0.15) -> Any:
        return None if self.chance(none) else value

    # media

    def size(self) -> tuple[int, int]:
        """A width and height: around a side, pixel or sum limit, or at an aspect ratio bound."""
        draw = self.random.random()
        limits = self.limits
        if draw < 0.2:
            return self.near(self.pick(limits.sides)), self.random.choice(
                (self.near(self.pick(limits.sides)), 1080, 1920, 360)
            )
        if draw < 0.35 and limits.pixels:
            total = self.pick(limits.pixels)
            width = max(1, int(total**0.5) + self.random.randint(-3, 3))
            return width, self.near(total // width)
        if draw < 0.45 and limits.sums:
            total = self.near(self.pick(limits.sums))
            width = self.random.randint(1, total - 1)
            return width, total - width
        if draw < 0.75:
            ratio, tolerance = self.pick(limits.ratios)
            bound = ratio * (1 + self.random.choice((0, tolerance, -tolerance)))
            height = self.random.choice((628, 1000, 1080, 1350, 1920, 7))
            width = max(1, round(bound * height) + self.random.choice((-1, 0, 0, 1)))
            return width, height
        size: tuple[int, int] = self.pick(_SIZES)
        return size

    def facts(self, kind: str | None) -> dict[str, Any]:
        limits = self.limits
        width, height = self.size()
        values: dict[str, Any] = {
            "kind": kind,
            "size": self.maybe(
                self.near(self.pick(limits.sizes))
                if self.chance(0.5)
                else self.random.choice((1, 14_011, 530_034, 2**40, 0))
            ),
            "width": self.maybe(width, 0.08),
            "height": self.maybe(height, 0.08),
            "path": self.pick(_PATHS[kind or "image"]),
        }
        if self.chance(0.3):
            values["orientation"] = self.random.randint(1, 8)
        if kind == "image":
            values["format"] = self.maybe(self.pick(limits.image_formats), 0.05)
            frames = self.random.choice(
                (1, 1, 1, None, 2, 20, self.near(self.pick(limits.frames)) or 1)
            )
            values |= {
                "frames": frames,
                "has_alpha": self.random.choice((None, False, True)),
                "mode": self.random.choice(("RGB", "RGBA", "P", "L", "CMYK", None)),
                "bit_depth": self.random.choice((None, 8, 10, 16)),
            }
        elif kind == "video":
            values |= self.video()
        return values

    def video(self) -> dict[str, Any]:
        limits = self.limits
        rate: Fraction | None = self.pick(limits.rates)
        if rate is not None and self.chance(0.4):
            rate += self.random.choice((Fraction(-1, 100), Fraction(1, 100), Fraction(-1), 1))
        rate = self.maybe(rate, 0.1)
        seconds = self.maybe(self.pick(limits.durations) if self.chance(0.7) else 5.014, 0.1)
        if seconds is not None and self.chance(0.6):
            frame = 1 / float(rate) if rate else 0.001
            seconds = max(0.0, seconds + self.random.choice((-0.6, -0.4, 0.4, 0.6)) * frame)
        return {
            "format": self.maybe(self.pick(limits.containers), 0.05),
            "fps": rate if rate is None or rate > 0 else None,
            "variable_frame_rate": self.random.choice((None, False, False, True)),
            "duration_s": seconds,
            "video_codec": self.maybe(self.pick(limits.video_codecs)),
            "audio_codec": self.maybe(self.pick(limits.audio_codecs), 0.3),
            "bit_rate": self.maybe(self.near(self.pick(limits.bit_rates)), 0.4),
            "rotation": self.random.choice((None, 0, 0, 90, 180, 270)),
            "audio_sample_rate": self.maybe(self.pick(limits.sample_rates), 0.4),
            "color_transfer": self.random.choice((None, None, "sdr", "pq", "hlg")),
            "dolby_vision": self.random.choice((None, False, True)),
            "bit_depth": self.random.choice((None, 8, 10)),
        }

    def media_facts(self) -> MediaFacts:
        kind = self.random.choice(("image", "image", "video", None))
        values = self.facts(kind)
        if self.chance(0.1):  # impossible values a caller may declare
            values[self.random.choice(("width", "height", "size"))] = 0
        try:
            return MediaFacts.model_validate(values)
        except ValidationError:  # a combination the record refuses: keep what it takes
            return MediaFacts(kind=values["kind"], path=values["path"])

    def media_ref(self) -> MediaRef:
        kind = self.random.choice(("image", "video", None))
        values = self.facts(kind or "image")
        name = self.pick(_PATHS[kind or "image"])
        record: dict[str, Any] = {
            "file_name": self.maybe(name, 0.3),
            "content_type": self.random.choice(
                (
                    None,
                    "image/jpeg",
                    "image/png",
                    "video/mp4",
                    "video/quicktime",
                    "text/plain",
                    "image/heic",
                    "application/octet-stream",
                )
            ),
            "type": kind,
            "alt_text": self.alt_text(),
            "format": self.random.choice((None, "unknown", values.get("format"))),
            "size": values["size"],
            "width": values["width"],
            "height": values["height"],
        }
        if kind == "video" or self.chance(0.2):
            rate = values.get("fps")
            record |= {
                "frame_rate": self.random.choice((rate, Fraction(-30), 0, rate)),
                "codec_name": self.random.choice(("avc1", "H.264", "hevc", None, "vp9")),
                "audio_codec": self.random.choice(("AAC", None, "opus")),
                "bit_rate": self.random.choice((values.get("bit_rate"), 0, -5)),
                "duration": self.random.choice((values.get("duration_s"), -1.0, 0.0)),
            }
        return MediaRef.model_validate(record)

    def remote(self) -> RemoteResult:
        """A URL already fetched (no I/O): its facts, or why it could not be read."""
        url = self.random.choice(("https://cdn.example.com/a.jpg", "s3://bucket/clip.mp4"))
        if self.chance(0.5):
            facts = self.media_facts().model_copy(update={"path": url})
            return RemoteResult(url, facts=facts, size=facts.size)
        codes: list[FailureCode] = ["media.unreachable", "media.not_found", "media.fetch_refused"]
        code = self.random.choice(codes)
        failure = FetchFailure(code, "http_404", "the server said 404")
        return RemoteResult(url, failure=failure, size=self.random.choice((None, 0, 1234)))

    def media(self) -> list[MediaFacts | MediaRef | RemoteResult]:
        count = self.random.choice((0, 1, 1, 1, 2, 3, 4, 5, 10))
        if self.chance(0.15):
            count = self.near(self.pick(self.limits.counts))
        items: list[MediaFacts | MediaRef | RemoteResult] = []
        for _ in range(count):
            if self.chance(0.05):
                items.append(self.remote())
            elif self.chance(0.25):
                items.append(self.media_ref())
            elif items and self.chance(0.1):
                items.append(items[-1])  # the same record twice
            else:
                items.append(self.media_facts())
        return items

    # texts

    def text(self, length: int | None = None) -> str:
        """Pieces with entities, then filler to ``length`` characters when given."""
        pieces = [self.pick(_PIECES) for _ in range(self.random.randint(0, 8))]
        if self.chance(0.3):
            pieces += ["#tag" + str(n) for n in range(self.near(self.pick([5, 30])))]
        if self.chance(0.2):
            pieces += ["@user" + str(n) for n in range(self.near(self.pick([5, 20])))]
        if self.chance(0.2):
            pieces += [f"https://example.com/{n}" for n in range(self.near(5))]
        text = " ".join(pieces)
        if length is not None and len(text) < length:
            filler = self.pick(_FILLERS)
            text += (filler * (length // len(filler) + 1))[: length - len(text)]
        return text

    def caption(self) -> str | None:
        draw = self.random.random()
        if draw < 0.08:
            return None
        if draw < 0.12:
            return self.random.choice(("", "   ", "\n"))
        if draw < 0.4:
            return self.text(self.near(self.pick([n for n in self.limits.texts if n <= 6000])))
        return self.text()

    def alt_text(self) -> str | None:
        return self.random.choice(
            (None, None, "", "A photo of the team", "x" * 1000, "x" * 1001, "é" * 2000, "🚀" * 420)
        )

    def tags(self) -> list[str] | None:
        draw = self.random.random()
        if draw < 0.6:
            return None
        if draw < 0.7:
            return []
        words = ["launch", "product demo", "été", "🚀 rocket", "x" * 30]
        return [self.pick(words) for _ in range(self.random.randint(1, 40))]

    # posts

    def platforms(self) -> str | list[str]:
        draw = self.random.random()
        if draw < 0.1:
            return list(self.keys)
        names = [self.pick(self.keys) for _ in range(self.random.randint(1, 6))]
        if self.chance(0.2):
            names.append(self.pick(self.aliases))
        if self.chance(0.15):
            names = [name.upper() if self.chance(0.3) else name for name in names]
        return ",".join(names) if self.chance(0.15) else names

    def post(self) -> Post:
        if self.chance(0.12):
            return self.payload()
        return {
            "kind": "check",
            "media": self.media(),
            "platforms": self.platforms(),
            "caption": self.caption(),
            "title": self.random.choice(
                (None, None, "", "A <title>", self.text(100), self.text(101), "é" * 70)
            ),
            "account_type": self.random.choice((None, None, "business", "creator", "personal")),
            "content_warning": self.random.choice((None, None, None, "CW", "spoilers " * 60)),
            "tags": self.tags(),
            "poll": self.chance(0.15),
        }

    def payload(self) -> Post:
        media = []
        for _ in range(self.random.randint(0, 4)):
            ref = self.media_ref()
            metadata = {
                "size": ref.size,
                "width": ref.width,
                "height": ref.height,
                "format": ref.format,
                "frameRate": float(ref.frame_rate) if ref.frame_rate is not None else None,
                "codecName": ref.codec_name,
                "bitRate": ref.bit_rate,
                "duration": ref.duration,
            }
            media.append(
                {
                    "fileName": ref.file_name,
                    "contentType": ref.content_type,
                    "type": ref.type,
                    "mediaId": self.random.choice((None, "", "m-1")),
                    "altText": ref.alt_text,
                    "metadata": self.maybe(metadata, 0.1),
                }
            )
        names = ["twitter", "instagram", "tiktok", "linkedin", "mastodon", "bluesky"]
        ids = [f"{name}-{n}" for n, name in enumerate(names)]
        body = {
            "content": self.caption(),
            "platforms": [self.pick(ids) for _ in range(self.random.randint(1, 3))],
            "status": self.random.choice((None, "draft", "scheduled")),
            "scheduledTime": self.random.choice((None, "2026-12-24T10:00:00Z")),
            "title": self.random.choice((None, "A title")),
            "tags": self.tags(),
            "media": media,
        }
        return {"kind": "payload", "payload": body, "poll": self.chance(0.1)}


_SIZES = [(1080, 1080), (1080, 1350), (1920, 1080), (1200, 628), (4, 4), (16000, 9000),
          (320, 240), (0, 1080), (1440, 2560)]  # fmt: skip

_PATHS: dict[str, list[str | None]] = {
    "image": [None, "a.jpg", "photos/my photo (1).PNG", "x.gif", "banner.webp", "clip.mp4",
              "été.jpeg", ".hidden", "noext", "dir/", "scan.TIFF", "IMG_0001.HEIC", "a.jpg.png"],
    "video": [None, "clip.mp4", "clip.mov", "my clip.MP4", "reel.webm", "a.jpg", "film.mkv",
              "x.avi", "trailer.m4v"],
}  # fmt: skip

_PIECES = [
    "Launch day!", "🚀", "👩‍🎨", "🇫🇷", "1️⃣", "👍🏽", "©️", "#launch", "#été", "#123", "\uff03wide",
    "@studio", "@friends@mastodon.social", "@alice.bsky.social", "me@example.com",
    "https://example.com/drop?ref=social", "example.com", "t.co/abc", "http://a.co",
    "https://例え.jp/パス", "日本語のテキスト", "e\u0301", "\r\n", "\ufeff", "\ufffe", "<b>",
    "a > b", "$TICK", "readme.md.☃.co/a", "x.com/home", "(see https://example.org/a_(b))",
]  # fmt: skip
_FILLERS = ["lorem ipsum dolor sit amet ", "x", "日本", "🚀", "e\u0301", "ab cd. "]


def make_posts(rules: RuleSet, count: int = COUNT, seed: int = SEED) -> list[Post]:
    maker = Maker(rules, seed)
    return [maker.post() for _ in range(count)]


# ---------------------------------------------------------------------------------------------
# reports


def check(post: Post, rules: RuleSet) -> tuple[Report, list[str]]:
    """The report for ``post``, and the platform keys it was checked for."""
    if post["kind"] == "payload":
        report = mediarules.check_payload(post["payload"], poll=post["poll"], rules=rules)
        names = platform_names(post["payload"]["platforms"])
        return report, resolve_platforms(names, rules)
    arguments = {key: value for key, value in post.items() if key != "kind"}
    return mediarules.check(rules=rules, **arguments), resolve_platforms(post["platforms"], rules)


def rendered(report: Report, platforms: list[str], rules: RuleSet) -> tuple[str, str]:
    """The report as ``check --format json`` and as terminal text (piped: 200 columns)."""
    buffer = io.StringIO()
    console = Console(file=buffer, soft_wrap=True, highlight=False, width=200)
    report_text(report, platforms, rules, console)
    return report_json(report), buffer.getvalue()


def digest(json_text: str, text: str) -> str:
    both = hashlib.sha256()
    both.update(json_text.encode("utf-8", "surrogatepass"))
    both.update(b"\0")
    both.update(text.encode("utf-8", "surrogatepass"))
    return both.hexdigest()[:16]


def outputs(
    rules: RuleSet, count: int = COUNT, seed: int = SEED
) -> list[tuple[Post, tuple[str, str]]]:
    """Each generated post with its rendered report."""
    found = []
    for post in make_posts(rules, count, seed):
        report, platforms = check(post, rules)
        found.append((post, rendered(report, platforms, rules)))
    return found


def read_digests() -> list[str]:
    lines = DIGESTS.read_text("utf-8").splitlines()
    return [line.split()[1] for line in lines if line and not line.startswith("#")]


def write(rules: RuleSet) -> None:
    found = outputs(rules)
    header = [
        "# sha256 (first 16 hex digits) of each generated post's report: JSON, NUL, text.",
        f"# tests/engine_posts.py, seed {SEED}, {COUNT} posts; regenerate with",
        "#     python -m tests.engine_posts --write",
    ]
    lines = [f"{index} {digest(*both)}" for index, (_, both) in enumerate(found)]
    DIGESTS.write_text("\n".join([*header, *lines]) + "\n", "utf-8")
    full = {str(index): {"json": found[index][1][0], "text": found[index][1][1]} for index in FULL}
    FULL_REPORTS.write_text(json.dumps(full, indent=1, ensure_ascii=False) + "\n", "utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="record today's reports")
    parser.add_argument("--show", type=int, help="print the post of this number and its report")
    args = parser.parse_args(argv)
    rules = mediarules.default_rules()
    if args.write:
        write(rules)
        print(f"wrote {DIGESTS} and {FULL_REPORTS}")
    if args.show is not None:
        post = make_posts(rules, args.show + 1)[args.show]
        print(post)
        report, platforms = check(post, rules)
        print("\n\n".join(rendered(report, platforms, rules)))


if __name__ == "__main__":
    main()
