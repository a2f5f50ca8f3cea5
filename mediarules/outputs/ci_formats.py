"""Reports as CI systems read them: SARIF 2.1.0 for code-scanning views, and GitHub Actions
workflow commands (``::error file=...::``) for annotations on a pull request.

Paths are made relative to ``base`` (the folder CI runs in, normally the repository root)
with forward slashes, as both readers expect; a path outside ``base`` stays absolute.
A violation of the whole post (a caption too long) is placed on the post's first file.
"""

from __future__ import annotations

import hashlib
import os
import urllib.parse
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mediarules.codes import CODES
from mediarules.formatting import echo_message, echo_name, escape_controls
from mediarules.models import Report, Severity, Violation

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"

_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_GITHUB_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def relative_uri(path: str, base: Path) -> str:
    """``path`` relative to ``base`` with ``/`` separators, or absolute when outside it."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(os.path.abspath(base)).as_posix()
    except ValueError:
        return absolute.as_posix()


def _first_file(report: Report) -> str | None:
    """Where a violation without a file of its own is placed: the post's first file."""
    return next((facts.path for facts in report.media if facts.path), None)


def _where(violation: Violation, first_file: str | None) -> str | None:
    """The file a violation belongs to: its own, else ``first_file`` (found once a report)."""
    return violation.path if violation.path is not None else first_file


# ---------------------------------------------------------------------------------------------
# SARIF


def sarif_rules() -> list[dict[str, Any]]:
    """Every code of the registry as a SARIF reporting descriptor (a stable rule index)."""
    return [
        {
            "id": code.code,
            "name": "".join(part.title() for part in code.code.replace("_", ".").split(".")),
            "shortDescription": {"text": code.what},
            "fullDescription": {"text": f"{code.what} {code.why}"},
            "help": {
                "text": f"{code.why}\nFix: {code.fix}",
                "markdown": f"{code.why}\n\n**Fix:** {code.fix}",
            },
            "defaultConfiguration": {"level": _SARIF_LEVEL[code.severity]},
            "properties": {"tags": ["social-media", code.code.split(".")[0]]},
        }
        for code in CODES.values()
    ]


_RULE_INDEX = {code: index for index, code in enumerate(CODES)}


def sarif_results(report: Report, base: Path) -> list[dict[str, Any]]:
    """One SARIF result per violation of ``report``."""
    results = []
    first_file = _first_file(report)
    uris: dict[str, str] = {}  # many violations share a file: its URI is worked out once
    for violation in report.violations:
        result: dict[str, Any] = {
            "ruleId": violation.code,
            "level": _SARIF_LEVEL[violation.severity],
            "message": {"text": f"{violation.platform}: {violation.message}"},
            "properties": {
                "platform": violation.platform,
                "actual": violation.actual,
                "limit": violation.limit,
                "source": violation.source,
                "fix": violation.fix.title if violation.fix else None,
            },
        }
        if violation.code in _RULE_INDEX:
            result["ruleIndex"] = _RULE_INDEX[violation.code]
        where = _where(violation, first_file)
        uri = ""
        if where is not None:
            if where not in uris:
                uris[where] = _percent_encoded(relative_uri(where, base))
            uri = uris[where]
            # A media file has no lines; GitHub places a result by its line, so line 1
            # stands for the whole file.
            location = {"artifactLocation": {"uri": uri}, "region": {"startLine": 1}}
            result["locations"] = [{"physicalLocation": location}]
        # The same problem in the same file keeps its alert from one run to the next.
        key = f"{violation.code}|{violation.platform}|{uri}|{violation.media_index}"
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        result["partialFingerprints"] = {"mediarules/v1": digest}
        results.append(result)
    return results


def _percent_encoded(path: str) -> str:
    """A path as a URI reference: ``my photo.jpg`` -> ``my%20photo.jpg``; a file name's
    undecodable bytes (surrogate escapes) are encoded as the bytes they stand for."""
    try:
        raw = os.fsencode(path)
    except UnicodeEncodeError:  # a lone surrogate that came from JSON, not from a file name
        raw = path.encode("utf-8", "surrogatepass")
    return urllib.parse.quote(raw, safe="/")


def sarif_log(results: Iterable[dict[str, Any]], *, version: str) -> dict[str, Any]:
    """A complete SARIF log: one run of mediarules with every rule and ``results``."""
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "mediarules",
                        "version": version,
                        "semanticVersion": version,
                        "rules": sarif_rules(),
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": list(results),
            }
        ],
    }


# ---------------------------------------------------------------------------------------------
# GitHub Actions annotations


def github_annotations(report: Report, base: Path) -> list[str]:
    """One workflow command per violation: ``::error file=a.jpg,title=...::message``.

    What comes from the input (file names, platforms, messages) has its control and bidi
    characters escaped first, so a newline in a file name cannot end the command early and an
    ESC sequence cannot repaint the log; messages and fix titles are cut at ``MESSAGE_LIMIT``.
    """
    lines = []
    first_file = _first_file(report)
    files: dict[str, str] = {}  # many violations share a file: its property is made once
    for violation in report.violations:
        title = f"{echo_name(violation.code)} ({echo_name(violation.platform)})"
        properties = [f"title={_escape_property(title)}"]
        where = _where(violation, first_file)
        if where is not None:
            if where not in files:
                files[where] = _file_property(where, base)
            properties.insert(0, files[where])
        message = echo_message(violation.message)
        if violation.fix is not None:
            fix = violation.fix
            message += f"\nFix: {echo_message(fix.title)} ({fix.applicability.value})"
        command = _GITHUB_COMMAND[violation.severity]
        lines.append(f"::{command} {','.join(properties)}::{_escape_data(message)}")
    return lines


def _file_property(path: str, base: Path) -> str:
    """``file=`` with the path as GitHub reads it; not cut (it must name the file), escaped."""
    return f"file={_escape_property(escape_controls(relative_uri(path, base)))}"


def _escape_data(text: str) -> str:
    """Escapes GitHub's runner needs in a command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    """Escapes in a command's properties: also ``:`` and ``,``, which separate them."""
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
