"""``mediarules`` on the command line.

Exit codes: 0 no error-severity violation, 1 at least one, 2 usage or configuration error
(unknown platform, bad rules file, missing path), always with a one-line message.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from rich.console import Console

from mediarules import check, check_payload, default_rules, resolve_platforms
from mediarules.codes import CODES, explain
from mediarules.fixes.api import apply_fixes, plan_fixes
from mediarules.instances import mastodon_instance_layer, read_json, tiktok_creator_layer
from mediarules.models import MediaRef, Report
from mediarules.payload import PayloadError, load_payload, platform_names
from mediarules.render import (
    fix_json,
    fix_text,
    printable,
    printable_stream,
    report_json,
    report_text,
    rules_json,
    rules_text,
)
from mediarules.ruleset import RuleConfigError, RuleSet, load_rules

EXIT_OK, EXIT_VIOLATIONS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad command-line input: printed on one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (and exit 2), not the whole usage."""

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
    _add_rules_and_format(check_cmd)

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

    explain_cmd = commands.add_parser("explain", help="what a violation code means")
    explain_cmd.add_argument("code", nargs="?", metavar="CODE", help="default: list codes")
    return parser


def _add_post_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("files", nargs="*", metavar="FILE", help="media files of the post")
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


def _add_rules_and_format(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--rules", type=Path, metavar="F", help="TOML file merged over the default rules"
    )
    command.add_argument(
        "--mastodon-instance", type=Path, metavar="F",
        help="a Mastodon server's /api/v2/instance JSON: its own limits replace the defaults",
    )  # fmt: skip
    command.add_argument(
        "--tiktok-creator-info", type=Path, metavar="F",
        help="TikTok creator_info/query JSON: the creator's max_video_post_duration_sec",
    )  # fmt: skip
    command.add_argument("--format", choices=("text", "json"), default="text")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Piped output (CI logs, files) is not cut to 80 columns; a terminal gets its own width.
    console = Console(
        file=printable_stream(sys.stdout),
        soft_wrap=True,
        highlight=False,
        width=None if sys.stdout.isatty() else 200,
    )
    try:
        if args.command == "check":
            return _check(args, console)
        if args.command == "rules":
            return _rules(args, console)
        if args.command == "fix":
            return _fix(args, console)
        return _explain(args, console)
    except (RuleConfigError, UsageError) as exc:
        message = str(exc).replace("\n", "; ")
        print(f"mediarules: error: {printable(message)}", file=sys.stderr)
        return EXIT_USAGE


def _load(args: argparse.Namespace) -> RuleSet:
    """The default table, with server and creator limits, then the user's --rules, over it."""
    layers = []
    if args.mastodon_instance is not None:
        label = str(args.mastodon_instance)
        layers.append(mastodon_instance_layer(read_json(label), label=label))
    if args.tiktok_creator_info is not None:
        label = str(args.tiktok_creator_info)
        layers.append(tiktok_creator_layer(read_json(label), label=label))
    if args.rules is None and not layers:
        return default_rules()
    return load_rules(args.rules, layers=layers)


def _check(args: argparse.Namespace, console: Console) -> int:
    if args.post is not None:
        return _check_post(args, console)
    if not args.platform:
        raise UsageError("name a platform with -p/--platform (or give a --post file)")
    ruleset = _load(args)
    platforms = resolve_platforms(args.platform, ruleset)
    media, caption = _post_from_args(args)
    report = check(
        media, platforms=platforms, caption=caption, title=args.title,
        account_type=args.account_type, content_warning=args.content_warning, rules=ruleset,
    )  # fmt: skip
    return _print_report(args, report, platforms, ruleset, console)


def _post_from_args(args: argparse.Namespace) -> tuple[list[str | MediaRef], str | None]:
    """The files (with their alt texts) and the caption given on the command line."""
    for name in args.files:
        path = Path(name)
        try:
            if not path.exists():
                raise UsageError(f"no such file: {name}")
        except PermissionError:
            continue  # a folder on the way may not be searched: reported as media.unreadable
        if path.is_dir():
            raise UsageError(f"{name} is a directory; give the post's files")
    if len(args.alt) > len(args.files):
        raise UsageError(f"{len(args.alt)} --alt texts for {len(args.files)} files")
    caption = args.caption
    if args.caption_file is not None:
        caption = _read_text(args.caption_file)
    media: list[str | MediaRef] = [
        MediaRef(path=Path(name), alt_text=args.alt[i] if i < len(args.alt) else None)
        if args.alt
        else name
        for i, name in enumerate(args.files)
    ]
    return media, caption


def _fix(args: argparse.Namespace, console: Console) -> int:
    if not args.platform:
        raise UsageError("name a platform with -p/--platform")
    ruleset = _load(args)
    platforms = resolve_platforms(args.platform, ruleset)
    media, caption = _post_from_args(args)
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out {args.out} is a file, not a folder")
    fix_plan = plan_fixes(
        media, platforms=platforms, caption=caption, title=args.title,
        account_type=args.account_type, content_warning=args.content_warning, rules=ruleset,
    )  # fmt: skip
    result = apply_fixes(
        fix_plan, args.out, unsafe=args.unsafe_fixes, dry_run=args.dry_run, rules=ruleset
    )
    if args.format == "json":
        print(fix_json(result))
    else:
        fix_text(result, ruleset, console)
    return EXIT_OK if result.ok else EXIT_VIOLATIONS


def _check_post(args: argparse.Namespace, console: Console) -> int:
    """``--post F``: the body brings caption, title, platforms and media; flags may override."""
    if args.files or args.alt or args.content_warning:
        raise UsageError("--post brings its own media and text; give files or --post, not both")
    try:
        payload = load_payload(args.post)
    except PayloadError as exc:
        raise UsageError(str(exc)) from None
    updates = {"content": args.caption, "title": args.title}
    if args.caption_file is not None:
        updates["content"] = _read_text(args.caption_file)
    payload = payload.model_copy(update={k: v for k, v in updates.items() if v is not None})
    ruleset = _load(args)
    platforms = resolve_platforms(
        args.platform if args.platform else platform_names(payload.platforms), ruleset
    )
    report = check_payload(
        payload, platforms=platforms, account_type=args.account_type, rules=ruleset
    )
    return _print_report(args, report, platforms, ruleset, console)


def _print_report(
    args: argparse.Namespace,
    report: Report,
    platforms: list[str],
    ruleset: RuleSet,
    console: Console,
) -> int:
    if args.format == "json":
        print(report_json(report))
    else:
        report_text(report, platforms, ruleset, console)
    return EXIT_OK if report.ok else EXIT_VIOLATIONS


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"no such caption file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read caption file {path}: {exc}") from None


def _rules(args: argparse.Namespace, console: Console) -> int:
    ruleset = _load(args)
    platforms = (
        resolve_platforms(args.platform, ruleset) if args.platform else list(ruleset.platforms)
    )
    if args.format == "json":
        print(rules_json(ruleset, platforms))
    else:
        rules_text(ruleset, platforms, console)
    return EXIT_OK


def _explain(args: argparse.Namespace, console: Console) -> int:
    if args.code is None:
        for code, entry in CODES.items():
            console.print(f"{code:<32} {entry.severity.value:<8} {entry.what}")
        return EXIT_OK
    if args.code not in CODES:
        close = difflib.get_close_matches(args.code, list(CODES), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UsageError(f"unknown code {args.code!r}{hint}")
    console.print(explain(args.code))
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
