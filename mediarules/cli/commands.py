"""The commands behind ``mediarules check | fix | rules | explain``.

Each command imports what it uses when it runs: a one-file ``check --format json`` never
loads rich, the service, the payload reader, the fix planner or the remote readers.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mediarules.cli.parser import EXIT_OK, EXIT_USAGE, EXIT_VIOLATIONS, UsageError
from mediarules.formatting import echo_name, escape_controls, shorten
from mediarules.outputs.render import PlainConsole, printable, printable_stream, styles_shown
from mediarules.remote import is_url, redact
from mediarules.ruleset import RuleConfigError, RuleSet, resolve_platforms
from mediarules.safe_read import STDIN, read_limited

if TYPE_CHECKING:
    from rich.console import Console

    from mediarules.inputs.payload import PostPayload
    from mediarules.models import MediaRef, Report
    from mediarules.remote import FetchOptions


def run(args: argparse.Namespace) -> int:
    """Carry out a parsed command line; an error in the input is one line and exit code 2."""
    try:
        _apply_project_config(args)
        if args.command == "check":
            return _check(args)
        if args.command == "rules":
            return _rules(args)
        if args.command == "fix":
            return _fix(args)
        if args.command == "schema":
            return _schema(args)
        if args.command == "measure":
            return _measure(args)
        if args.command == "serve":
            return _serve(args)
        return _explain(args)
    except (RuleConfigError, UsageError) as exc:
        message = escape_controls(one_line(str(exc)))  # one line, nothing raw
        print(f"mediarules: error: {printable(message)}", file=sys.stderr)
        return EXIT_USAGE


def _console() -> Console:
    """Standard output for rich. Piped output (CI logs, files) is not cut to 80 columns; a
    terminal gets its own width."""
    from rich.console import Console

    return Console(
        file=printable_stream(sys.stdout),
        soft_wrap=True,
        highlight=False,
        width=None if sys.stdout.isatty() else 200,
    )


def _report_console() -> Console | PlainConsole:
    """Where a report's text goes: rich for a terminal (or where rich is told to style), else
    the same lines written plain, without loading rich."""
    if styles_shown(sys.stdout):
        return _console()
    return PlainConsole(printable_stream(sys.stdout))


MAX_PROBLEMS_SHOWN = 10
"""Problems an error line lists: a rules file with 40,000 bad limits said each of them, 7 MB
on one line. The API's ``RuleConfigError`` keeps them all, one a line."""


def one_line(problems: str) -> str:
    """The problems of an error (one a line) joined by ``; ``, the first
    :data:`MAX_PROBLEMS_SHOWN` of them, then how many more."""
    lines = problems.splitlines() or [""]
    shown = "; ".join(lines[:MAX_PROBLEMS_SHOWN])
    more = len(lines) - MAX_PROBLEMS_SHOWN
    return f"{shown} (and {more:,} more problem{'s' if more > 1 else ''})" if more > 0 else shown


def _apply_project_config(args: argparse.Namespace) -> None:
    """Platforms and rules file from ``[tool.mediarules]`` where the command line is silent
    (a ``--post`` body names its own platforms)."""
    if not hasattr(args, "rules") or args.command == "serve":
        return  # a service is set up by its flags and environment, not the folder it starts in
    from mediarules.inputs.config import find_project_config

    config = find_project_config(Path.cwd())
    if config is None:
        return
    if args.rules is None and config.rules is not None:
        args.rules = config.rules
    wants_platforms = args.command in ("check", "fix") and getattr(args, "post", None) is None
    if wants_platforms and not args.platform and config.platforms:
        args.platform = list(config.platforms)


def _load(args: argparse.Namespace) -> RuleSet:
    """The default table, with server and creator limits, then the user's --rules, over it."""
    from mediarules.ruleset import default_rules, load_rules

    layers = []
    if args.mastodon_instance is not None:
        from mediarules.inputs.instances import (
            live_mastodon_instance_layer,
            mastodon_instance_layer,
            read_json,
        )

        label = str(args.mastodon_instance)
        if is_url(label):
            notes: list[str] = []
            options = _fetch_options(args)
            layers.append(live_mastodon_instance_layer(label, options=options, notes=notes))
            for note in notes:
                print(f"mediarules: note: {printable(escape_controls(note))}", file=sys.stderr)
        else:
            layers.append(mastodon_instance_layer(read_json(label), label=label))
    if args.tiktok_creator_info is not None:
        from mediarules.inputs.instances import read_json, tiktok_creator_layer

        label = str(args.tiktok_creator_info)
        layers.append(tiktok_creator_layer(read_json(label), label=label))
    if args.rules is None and not layers:
        return default_rules()
    return load_rules(args.rules, layers=layers)


def _fetch_options(args: argparse.Namespace) -> FetchOptions:
    """``--allow-host``, ``--s3-endpoint`` and ``--concurrency`` (where the command has them)."""
    from mediarules.remote import FetchOptions

    concurrency = getattr(args, "concurrency", None)
    try:
        return FetchOptions(
            allow_hosts=tuple(getattr(args, "allow_host", ()) or ()),
            s3_endpoint=getattr(args, "s3_endpoint", None),
            **({"concurrency": concurrency} if concurrency else {}),
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _read_urls(path: Path) -> list[str]:
    """``--urls F``: one URL a line; blank lines and ``#`` comments skipped."""
    name = _input_name(path)
    try:
        text = read_limited(path, stdin_ok=True).decode("utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read --urls {name}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"cannot read --urls {name}: not UTF-8 ({exc.reason})") from None
    urls = [line.strip() for line in text.splitlines()]
    urls = [url for url in urls if url and not url.startswith("#")]
    for url in urls:
        if not is_url(url):
            raise UsageError(f"--urls {name}: not a URL: {echo_name(redact(url))}")
    return urls


def _check(args: argparse.Namespace) -> int:
    if args.urls is not None:
        args.files = [*args.files, *_read_urls(args.urls)]
    if args.fetch and args.post is None:
        raise UsageError("--fetch goes with --post (URLs given as files are always fetched)")
    if args.post is not None:
        return _check_post(args)
    if not args.platform:
        raise UsageError(
            "name a platform with -p/--platform, give a --post file, or set platforms in "
            "[tool.mediarules] of pyproject.toml"
        )
    if args.each:
        return _check_each(args)
    if args.jobs is not None:
        raise UsageError("--jobs goes with --each")
    from mediarules.api import check

    ruleset = _load(args)
    platforms = resolve_platforms(args.platform, ruleset)
    media, caption = _post_from_args(args)
    report = check(
        media, platforms=platforms, caption=caption, title=args.title,
        account_type=args.account_type, content_warning=args.content_warning,
        tags=_tags(args), poll=args.poll, rules=ruleset,
        fetch=True, fetch_options=_fetch_options(args),
    )  # fmt: skip
    return _print_report(args, report, platforms, ruleset)


def _tags(args: argparse.Namespace) -> list[str] | None:
    """``--tags "launch,product demo" --tags news`` -> three tags (blank ones left out)."""
    if args.tags is None:
        return None
    return [tag.strip() for entry in args.tags for tag in entry.split(",") if tag.strip()]


def _check_each(args: argparse.Namespace) -> int:
    """``check --each``: every file (and every media file in the folders) is its own post."""
    from rich.console import Console

    from mediarules.cli import batch  # process pools only when asked

    console = _console()
    if args.alt:
        raise UsageError("--alt names one post's files; it does not go with --each")
    if not args.files:
        raise UsageError("give the files or folders to check with --each")
    for name in args.files:
        with contextlib.suppress(PermissionError):  # reported as media.unreadable
            if not is_url(name) and not Path(name).exists():
                raise UsageError(f"no such file or folder: {echo_name(name)}")
    ruleset = _load(args)
    caption = _read_text(args.caption_file) if args.caption_file is not None else args.caption
    settings = batch.PostSettings(
        platforms=tuple(resolve_platforms(args.platform, ruleset)), rules=ruleset,
        caption=caption, title=args.title, account_type=args.account_type,
        content_warning=args.content_warning,
        tags=None if args.tags is None else tuple(_tags(args) or ()), poll=args.poll,
    )  # fmt: skip
    progress = None  # a bar only for a person watching; text lines print above it
    if sys.stderr.isatty():
        text_on_terminal = args.format == "text" and sys.stdout.isatty()
        progress = console if text_on_terminal else Console(stderr=True)
    if any(is_url(name) for name in args.files):
        options = _fetch_options(args)
        tally = batch.run_each_remote(
            batch.entries(args.files, options), settings, options,
            output=args.format, console=console, progress=progress, quiet=args.quiet,
            keep_reports=args.html is not None,
        )  # fmt: skip
    else:
        files = list(batch.media_files(Path(name) for name in args.files))
        tally = batch.run_each(
            files, settings, jobs=batch.worker_count(args.jobs, len(files)),
            output=args.format, console=console, progress=progress, quiet=args.quiet,
            keep_reports=args.html is not None,
        )  # fmt: skip
    if args.html is not None:
        _write_html(args.html, tally.reports, list(settings.platforms), ruleset)
    return EXIT_VIOLATIONS if tally.failed else EXIT_OK


def _write_html(path: Path, reports: list[Report], platforms: list[str], ruleset: RuleSet) -> None:
    from mediarules.outputs.html_report import write_html_report  # Pillow/PyAV: only here

    try:
        write_html_report(reports, platforms, ruleset, path)
    except ValueError as exc:  # it would overwrite one of the checked files
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


def _post_from_args(args: argparse.Namespace) -> tuple[list[str | MediaRef], str | None]:
    """The files (with their alt texts) and the caption given on the command line."""
    for name in args.files:
        if is_url(name):
            continue  # fetched by check: a failure is the file's violation
        path = Path(name)
        try:
            if not path.exists():
                raise UsageError(f"no such file: {echo_name(name)}")
        except PermissionError:
            continue  # a folder on the way may not be searched: reported as media.unreadable
        if path.is_dir():
            raise UsageError(f"{echo_name(name)} is a directory; give the post's files")
    if len(args.alt) > len(args.files):
        raise UsageError(f"{len(args.alt)} --alt texts for {len(args.files)} files")
    caption = args.caption
    if args.caption_file is not None:
        caption = _read_text(args.caption_file)
    media: list[str | MediaRef] = [
        _with_alt(name, args.alt[i] if i < len(args.alt) else None) if args.alt else name
        for i, name in enumerate(args.files)
    ]
    return media, caption


def _with_alt(name: str, alt: str | None) -> MediaRef:
    from mediarules.models import MediaRef

    if is_url(name):
        return MediaRef(url=name, alt_text=alt)
    return MediaRef(path=Path(name), alt_text=alt)


def _fix(args: argparse.Namespace) -> int:
    from mediarules.fixes.api import apply_fixes, plan_fixes
    from mediarules.outputs.render import fix_json, fix_text

    if not args.platform:
        raise UsageError("name a platform with -p/--platform")
    ruleset = _load(args)
    platforms = resolve_platforms(args.platform, ruleset)
    media, caption = _post_from_args(args)
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out {args.out} is a file, not a folder")
    fix_plan = plan_fixes(
        media, platforms=platforms, caption=caption, title=args.title,
        account_type=args.account_type, content_warning=args.content_warning,
        tags=_tags(args), poll=args.poll, rules=ruleset,
    )  # fmt: skip
    from mediarules.safe_write import OutputFolderError

    try:
        result = apply_fixes(
            fix_plan, args.out, unsafe=args.unsafe_fixes, dry_run=args.dry_run, rules=ruleset
        )
    except OutputFolderError as exc:
        raise UsageError(str(exc)) from None
    if args.format == "json":
        print(fix_json(result))
    else:
        fix_text(result, ruleset, _console())
    return EXIT_OK if result.ok else EXIT_VIOLATIONS


def _check_post(args: argparse.Namespace) -> int:
    """``--post F``: the body brings caption, title, platforms and media; flags may override."""
    from mediarules.api import check_payload
    from mediarules.inputs.payload import platform_names

    if args.files or args.alt or args.content_warning or args.each or args.urls:
        raise UsageError("--post brings its own media and text; give files or --post, not both")
    if str(args.post) == STDIN and str(args.caption_file) == STDIN:
        raise UsageError("--post - and --caption-file - cannot both read standard input")
    payload = _read_payload(args.post)
    updates: dict[str, object] = {"content": args.caption, "title": args.title}
    if args.caption_file is not None:
        updates["content"] = _read_text(args.caption_file)
    if args.tags is not None:
        updates["tags"] = _tags(args)
    payload = payload.model_copy(update={k: v for k, v in updates.items() if v is not None})
    ruleset = _load(args)
    platforms = resolve_platforms(
        args.platform if args.platform else platform_names(payload.platforms), ruleset
    )
    report = check_payload(
        payload, platforms=platforms, account_type=args.account_type, poll=args.poll,
        rules=ruleset, fetch=args.fetch, fetch_options=_fetch_options(args),
    )  # fmt: skip
    return _print_report(args, report, platforms, ruleset)


def _print_report(
    args: argparse.Namespace, report: Report, platforms: list[str], ruleset: RuleSet
) -> int:
    if getattr(args, "html", None) is not None:
        _write_html(args.html, [report], platforms, ruleset)
    if args.format == "json":
        from mediarules.outputs.render import report_json

        print(report_json(report))
    elif args.format == "sarif":
        from mediarules import __version__
        from mediarules.outputs.ci_formats import sarif_log, sarif_results
        from mediarules.outputs.render import json_text

        log = sarif_log(sarif_results(report, Path.cwd()), version=__version__)
        print(json_text(log))
    elif args.format == "github":
        from mediarules.outputs.ci_formats import github_annotations

        for line in github_annotations(report, Path.cwd()):
            print(printable(line))
    else:
        from mediarules.outputs.render import report_text

        quiet = getattr(args, "quiet", False)
        report_text(report, platforms, ruleset, _report_console(), quiet=quiet)
    return EXIT_OK if report.ok else EXIT_VIOLATIONS


def _read_text(path: Path) -> str:
    """A caption (or text) file as UTF-8, ``-`` for standard input: a regular file of at most
    ``MAX_INPUT_BYTES`` (``safe_read``), so a FIFO or ``/dev/zero`` is one line, at once."""
    name = _input_name(path)
    try:
        return read_limited(path, stdin_ok=True).decode("utf-8")
    except FileNotFoundError:
        raise UsageError(f"no such caption file: {name}") from None
    except OSError as exc:
        raise UsageError(f"cannot read caption file {name}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"cannot read caption file {name}: not UTF-8 ({exc.reason})") from None


def _input_name(path: Path) -> str:
    """How an error names an input file: ``<stdin>`` for ``-``, else the path, shortened."""
    return "<stdin>" if str(path) == STDIN else echo_name(str(path))


def _read_payload(path: Path) -> PostPayload:
    """``--post F`` (``-``: standard input) as a create-post body."""
    from mediarules.inputs.payload import PayloadError, load_payload, parse_payload

    try:
        if str(path) == STDIN:
            return parse_payload(read_limited(path, stdin_ok=True), _input_name(path))
        return load_payload(path)
    except OSError as exc:  # reading standard input
        raise UsageError(f"<stdin>: cannot read: {exc.strerror or exc}") from None
    except PayloadError as exc:
        raise UsageError(str(exc)) from None


def _rules(args: argparse.Namespace) -> int:
    from mediarules.outputs.render import rules_json, rules_text

    ruleset = _load(args)
    platforms = (
        resolve_platforms(args.platform, ruleset) if args.platform else list(ruleset.platforms)
    )
    if args.format == "json":
        print(rules_json(ruleset, platforms))
    else:
        rules_text(ruleset, platforms, _console())
    return EXIT_OK


def _measure(args: argparse.Namespace) -> int:
    """``measure``: one line per platform, then its entities; JSON: a list of measurements."""
    from mediarules.measuring import measure, measurement_lines
    from mediarules.outputs.render import json_text

    if (args.text is None) == (args.text_file is None):
        raise UsageError("give the text to measure, or --text-file, not both")
    if not args.platform:
        raise UsageError("name a platform with -p/--platform")
    text = args.text if args.text is not None else _read_text(args.text_file)
    ruleset = _load(args)
    try:
        results = [
            measure(text, key, field=args.field, has_media=not args.no_media, rules=ruleset)
            for key in resolve_platforms(args.platform, ruleset)
        ]
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.format == "json":
        print(json_text([result.to_dict() for result in results]))
    else:
        console = _console()
        for line in measurement_lines(results):
            console.print(printable(line), markup=False)
    return EXIT_OK if all(result.valid for result in results) else EXIT_VIOLATIONS


SERVE_MODULES = ("fastapi", "uvicorn", "prometheus_client", "python_multipart")
"""What ``serve`` needs beyond the core: the ``serve`` extra."""


def _serve(args: argparse.Namespace) -> int:
    """``serve``: settings checked, rules loaded (a bad one: exit 2), then run until stopped."""
    import importlib.util

    from mediarules.inputs.instances import rules_with_limits
    from mediarules.service.settings import FIELDS, SettingsError, resolve_settings

    try:
        settings = resolve_settings({name: getattr(args, name) for name in FIELDS}, os.environ)
    except SettingsError as exc:
        raise UsageError(str(exc)) from None
    missing = [name for name in SERVE_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise UsageError(f"serve needs {', '.join(missing)}: pip install 'mediarules[serve]'")
    ruleset = rules_with_limits(
        settings.rules,
        mastodon_instance=settings.mastodon_instance,
        tiktok_creator_info=settings.tiktok_creator_info,
    )
    from mediarules.service.run import serve

    try:
        serve(settings, ruleset)
    except SettingsError as exc:  # the address cannot be had
        raise UsageError(str(exc)) from None
    return EXIT_OK


def _explain(args: argparse.Namespace) -> int:
    import difflib

    from mediarules.codes import CODES, explain

    console = _console()
    if args.code is None:
        for code, entry in CODES.items():
            console.print(f"{code:<32} {entry.severity.value:<8} {entry.what}")
        return EXIT_OK
    if args.code not in CODES:
        close = difflib.get_close_matches(args.code, list(CODES), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UsageError(f"unknown code {shorten(args.code)!r}{hint}")
    console.print(explain(args.code))
    return EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    """Output models are described as serialised (``mode="serialization"``: a frame rate is a
    number), input models as accepted (``"30000/1001"`` is a valid frame rate)."""
    from pydantic import BaseModel
    from pydantic.json_schema import JsonSchemaMode

    from mediarules.fixes.apply import FixResult  # only for its schema
    from mediarules.inputs.payload import PostPayload
    from mediarules.models import Report
    from mediarules.outputs.render import json_text

    models: dict[str, tuple[type[BaseModel], JsonSchemaMode]] = {
        "report": (Report, "serialization"),
        "post": (PostPayload, "validation"),
        "fix-result": (FixResult, "serialization"),
    }
    model, mode = models[args.model]
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **model.model_json_schema(mode=mode),
    }
    print(json_text(schema))
    return EXIT_OK
