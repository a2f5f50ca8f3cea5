"""The command line's grammar: cheap to import, so ``--help`` and usage errors are fast."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

EXIT_OK, EXIT_VIOLATIONS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad command-line input: printed on one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (and exit 2), not the whole usage.

    ``arguments``: a function that adds this (sub)command's arguments when it is first parsed
    or its help is shown, for a command whose help texts cost an import (``serve``'s name the
    environment variables of the service's settings): other commands never pay for it.
    """

    def __init__(
        self, *args: Any, arguments: Callable[[_Parser], None] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._arguments = arguments

    def _complete(self) -> None:
        if self._arguments is not None:
            add, self._arguments = self._arguments, None
            add(self)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        self._complete()
        return super().parse_known_args(args, namespace)

    def format_usage(self) -> str:
        self._complete()
        return super().format_usage()

    def format_help(self) -> str:
        self._complete()
        return super().format_help()

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mediarules",
        description="Check a social-media post's media, caption and title against each "
        "platform's rules before publishing.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check_cmd = commands.add_parser(
        "check",
        help="check one post (the files given together) for one or more platforms",
        description="Check the files given together as one post. Exit 0: ready; 1: some "
        "error-severity violation; 2: usage or configuration error.",
    )
    _add_post_arguments(check_cmd)
    check_cmd.add_argument(
        "--post", type=Path, metavar="F",
        help="the scheduler's create-post body (JSON): caption, platforms and media records",
    )  # fmt: skip
    check_cmd.add_argument(
        "--each", action="store_true",
        help="check each file as its own post; folders are searched for media files. "
        "Text: a line per file; --format json: JSON Lines, one report per line",
    )  # fmt: skip
    check_cmd.add_argument(
        "--html", type=Path, metavar="FILE",
        help="also write a self-contained HTML report (thumbnails, platform matrix, fixes)",
    )  # fmt: skip
    check_cmd.add_argument(
        "-q", "--quiet", action="store_true",
        help="text output: only the errors, one line each (nothing when all is ready)",
    )  # fmt: skip
    check_cmd.add_argument(
        "-j", "--jobs", type=_positive_int, metavar="N",
        help="with --each: worker processes (default: one per CPU, fewer for few files)",
    )  # fmt: skip
    _add_remote_arguments(check_cmd)
    _add_rules_and_format(check_cmd, formats=CHECK_FORMATS)

    fix_cmd = commands.add_parser(
        "fix",
        help="write fixed copies of the post's files into a folder, then check them again",
        description="Plan every fix, write new files into --out (never over an existing file, "
        "never touching the inputs) and check the resulting posts. Only safe fixes run unless "
        "--unsafe-fixes. Exit 0: the fixed post passes; 1: errors remain; 2: usage error.",
    )
    _add_post_arguments(fix_cmd)
    fix_cmd.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    fix_cmd.add_argument(
        "--unsafe-fixes", action="store_true",
        help="also run fixes that lose something (re-encode, downscale, trim, split text)",
    )  # fmt: skip
    fix_cmd.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    _add_rules_and_format(fix_cmd)

    rules_cmd = commands.add_parser("rules", help="print the effective rules table")
    rules_cmd.add_argument("platform", nargs="*", metavar="PLATFORM", help="default: all")
    _add_rules_and_format(rules_cmd)

    schema_cmd = commands.add_parser(
        "schema",
        help="print a JSON Schema: of the report (default), a --post body or a fix result",
        description="JSON Schema (draft 2020-12) generated from mediarules' own models, for "
        "services written in other languages.",
    )
    schema_cmd.add_argument("model", nargs="?", choices=SCHEMAS, default="report")

    measure_cmd = commands.add_parser(
        "measure",
        help="a text's length as each platform counts it, and the URLs, mentions and tags found",
        description="Length in each platform's own unit (X's weighted count, graphemes, UTF-16 "
        "units, ...), the limit, what remains, and the spans of URLs, mentions and hashtags. "
        "Exit 0: it fits every platform; 1: it does not fit some; 2: usage error.",
    )
    measure_cmd.add_argument("text", nargs="?", metavar="TEXT", help="the text to measure")
    measure_cmd.add_argument(
        "--text-file", type=Path, metavar="F", help="read the text from F (UTF-8)"
    )
    measure_cmd.add_argument(
        "-p", "--platform", action="append", metavar="NAME",
        help="platform to measure for; repeat or separate with commas (x,bluesky)",
    )  # fmt: skip
    measure_cmd.add_argument(
        "--field", choices=("caption", "title", "alt_text"), default="caption",
        help="which text of the post (default: caption)",
    )  # fmt: skip
    measure_cmd.add_argument(
        "--no-media", action="store_true",
        help="the post has no media: use the text-only limit where there is one (Telegram)",
    )  # fmt: skip
    _add_rules_and_format(measure_cmd)

    _add_serve(commands)

    explain_cmd = commands.add_parser("explain", help="what a violation code means")
    explain_cmd.add_argument("code", nargs="?", metavar="CODE", help="default: list codes")
    return parser


def _add_serve(commands: argparse._SubParsersAction[_Parser]) -> None:
    commands.add_parser(
        "serve",
        help="run the checks as an HTTP service: a JSON API (/v1/...) and a page for people (/)",
        description="Serve /v1/check (the scheduler's create-post body), /v1/check/files, "
        "/v1/fix, /v1/measure, /v1/rules, /v1/codes, /healthz, /readyz, /metrics, "
        "/openapi.json and the page at /. Each setting is a flag or an environment variable "
        "(the flag wins); limits hold per worker process. Needs: pip install 'mediarules[serve]'.",
        arguments=_serve_arguments,
    )


def _serve_arguments(serve_cmd: _Parser) -> None:
    """``serve``'s flags, added when ``serve`` is parsed or its help shown."""
    from mediarules.service.settings import ENVIRONMENT  # stdlib only

    def setting(flag: str, dest: str, metavar: str, text: str) -> None:
        serve_cmd.add_argument(
            flag, dest=dest, metavar=metavar, help=f"{text} (${ENVIRONMENT[flag]})"
        )

    setting("--host", "host", "ADDRESS", "address to listen on; default 127.0.0.1")
    setting("--port", "port", "N", "port; default 8750, 0: any free port (logged)")
    setting("--workers", "workers", "N", "worker processes; default 1")
    setting("--max-body", "max_body_bytes", "SIZE", "largest request body, e.g. 25MB; "
            "default 100MB (JSON bodies: 16 MiB at most)")  # fmt: skip
    setting("--max-files", "max_files", "N", "files per request; default 20")
    setting("--max-concurrent", "max_concurrent", "N",
            "requests worked on at once per worker, then 503; default 32")  # fmt: skip
    setting("--timeout", "timeout_s", "SECONDS", "longest a request may take; default 60")
    setting("--api-key", "api_key", "KEY",
            "require this key (X-API-Key or Authorization: Bearer) on /v1/ and /metrics; "
            "prefer the variable, which ps does not show")  # fmt: skip
    setting("--cors-origins", "cors_origins", "ORIGINS",
            "comma-separated origins whose pages may call the API")  # fmt: skip
    setting("--rules", "rules", "F", "TOML file merged over the default rules")
    setting("--mastodon-instance", "mastodon_instance", "F",
            "a Mastodon server's /api/v2/instance JSON: its own limits")  # fmt: skip
    setting("--tiktok-creator-info", "tiktok_creator_info", "F",
            "TikTok creator_info/query JSON: the creator's longest video")  # fmt: skip
    serve_cmd.add_argument(
        "--no-access-log", dest="access_log", action="store_const", const="0",
        help=f"no JSON line per request (${ENVIRONMENT['--access-log']}=0)",
    )  # fmt: skip


def _add_remote_arguments(command: argparse.ArgumentParser) -> None:
    """URLs as media: https://... and s3://bucket/key given as FILE are read headers only."""
    command.add_argument(
        "--urls", type=Path, metavar="F",
        help="a file of media URLs, one a line (with --each: each its own post)",
    )  # fmt: skip
    command.add_argument(
        "--fetch", action="store_true",
        help="with --post: read a media record's fileUrl (or url) when it has no metadata",
    )  # fmt: skip
    command.add_argument(
        "--allow-host", action="append", default=[], metavar="HOST",
        help="let URLs reach HOST (a name, address or network such as 10.0.0.0/8) even on a "
        "loopback, private or link-local address; repeat for more",
    )  # fmt: skip
    command.add_argument(
        "--s3-endpoint", metavar="URL",
        help="an S3-compatible store for s3:// URLs (MinIO...); AWS by default",
    )  # fmt: skip
    command.add_argument(
        "--concurrency", type=_positive_int, metavar="N",
        help="URLs read at once (default 16)",
    )  # fmt: skip


def _add_post_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "files", nargs="*", metavar="FILE",
        help="media files of the post: paths, https:// URLs or s3://bucket/key (with --each, "
        "s3://bucket/prefix/ checks every object under the prefix)",
    )  # fmt: skip
    command.add_argument(
        "-p", "--platform", action="append", metavar="NAME",
        help="platform to check for; repeat or separate with commas (x,linkedin, instagram:reel)",
    )  # fmt: skip
    caption = command.add_mutually_exclusive_group()
    caption.add_argument("--caption", metavar="TEXT", help="the post's text")
    caption.add_argument("--caption-file", type=Path, metavar="F", help="read the text from F")
    command.add_argument("--title", metavar="TEXT", help="the post's title (YouTube)")
    command.add_argument(
        "--alt", action="append", default=[], metavar="TEXT",
        help="alt text, one per file, in file order (repeat)",
    )  # fmt: skip
    command.add_argument(
        "--account-type", metavar="TYPE", help="account type, e.g. business, creator, personal"
    )
    command.add_argument(
        "--content-warning", metavar="TEXT", help="spoiler text (Mastodon counts it with the text)"
    )
    command.add_argument(
        "--tags", action="append", metavar="LIST",
        help="the video's keyword tags, separated by commas (YouTube counts them together); repeat",
    )  # fmt: skip
    command.add_argument(
        "--poll", action="store_true",
        help="the post carries a poll (Mastodon then takes no media)",
    )  # fmt: skip


SCHEMAS = ("report", "post", "fix-result")
"""What ``mediarules schema`` describes: ``check``'s output, a ``--post`` body and
``fix --format json``'s output."""

CHECK_FORMATS = ("text", "json", "sarif", "github")
"""``sarif``: SARIF 2.1.0 for code-scanning views; ``github``: workflow-command annotations."""


def _add_rules_and_format(
    command: argparse.ArgumentParser, *, formats: tuple[str, ...] = ("text", "json")
) -> None:
    command.add_argument(
        "--rules", type=Path, metavar="F", help="TOML file merged over the default rules"
    )
    command.add_argument(
        "--mastodon-instance", metavar="F|URL",
        help="a Mastodon server's own limits replace the defaults: its /api/v2/instance JSON "
        "saved as F, or the server's URL (https://example.social: fetched, cached by "
        "Cache-Control/ETag in the user cache folder, the cached copy used when offline)",
    )  # fmt: skip
    command.add_argument(
        "--tiktok-creator-info", type=Path, metavar="F",
        help="TikTok creator_info/query JSON: the creator's max_video_post_duration_sec",
    )  # fmt: skip
    command.add_argument("--format", choices=formats, default="text")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value
