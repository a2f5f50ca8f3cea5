"""``--format sarif`` and ``--format github``, and ``mediarules schema``: each produced here and
checked against its schema or what its reader expects."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import mediarules
from mediarules.cli import main
from mediarules.codes import CODES
from tests.media import make_corrupt, make_image


@pytest.fixture
def post(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A post in a repository: a WebP LinkedIn converts, a broken file, a name with a space."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "media").mkdir()
    make_image(tmp_path / "media" / "my banner.webp", format="WEBP", size=(1200, 628))
    make_corrupt(tmp_path / "media" / "broken.jpg")
    return ["media/my banner.webp", "media/broken.jpg"]


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# SARIF

# The part of SARIF 2.1.0 that GitHub code scanning reads (written from the OASIS spec and
# GitHub's "SARIF support for code scanning"): what a file must have to be accepted.
_MESSAGE = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
SARIF_SUBSET: dict[str, Any] = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "$schema": {"type": "string", "format": "uri"},
        "version": {"const": "2.1.0"},
        "runs": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["tool", "results"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name", "rules"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "version": {"type": "string"},
                                    "rules": {"type": "array", "items": {"$ref": "#/$defs/rule"}},
                                },
                            }
                        },
                    },
                    "results": {"type": "array", "items": {"$ref": "#/$defs/result"}},
                },
            },
        },
    },
    "$defs": {
        "rule": {
            "type": "object",
            "required": ["id", "shortDescription", "fullDescription", "help"],
            "properties": {
                "id": {"type": "string"},
                "shortDescription": _MESSAGE,
                "fullDescription": _MESSAGE,
                "help": _MESSAGE,
                "defaultConfiguration": {
                    "type": "object",
                    "properties": {"level": {"enum": ["none", "note", "warning", "error"]}},
                },
            },
        },
        "result": {
            "type": "object",
            "required": ["ruleId", "message", "level"],
            "properties": {
                "ruleId": {"type": "string"},
                "ruleIndex": {"type": "integer", "minimum": 0},
                "level": {"enum": ["none", "note", "warning", "error"]},
                "message": _MESSAGE,
                "partialFingerprints": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                },
                "locations": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["physicalLocation"],
                        "properties": {
                            "physicalLocation": {
                                "type": "object",
                                "required": ["artifactLocation"],
                                "properties": {
                                    "artifactLocation": {
                                        "type": "object",
                                        "required": ["uri"],
                                        "properties": {"uri": {"type": "string"}},
                                    },
                                    "region": {
                                        "type": "object",
                                        "properties": {
                                            "startLine": {"type": "integer", "minimum": 1}
                                        },
                                    },
                                },
                            }
                        },
                    },
                },
            },
        },
    },
}


def _sarif(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, dict[str, Any]]:
    code, out = _run(capsys, [*argv, "--format", "sarif"])
    log = json.loads(out)
    jsonschema.validate(log, SARIF_SUBSET)
    return code, log


def test_sarif_has_every_rule_and_a_result_per_violation(
    capsys: pytest.CaptureFixture[str], post: list[str]
) -> None:
    code, log = _sarif(capsys, ["check", *post, "-p", "linkedin,x"])
    assert code == 1
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] == "mediarules"
    assert [rule["id"] for rule in rules] == list(CODES)
    report = mediarules.check(post, platforms=["linkedin", "x"])
    assert len(run["results"]) == len(report.violations)
    for result, violation in zip(run["results"], report.violations, strict=True):
        assert result["ruleId"] == violation.code
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        expected = {"error": "error", "warning": "warning", "info": "note"}[violation.severity]
        assert result["level"] == expected
        assert violation.platform in result["message"]["text"]
    by_code = {result["ruleId"]: result for result in run["results"]}
    uri = by_code["image.format_converted"]["locations"][0]["physicalLocation"]
    assert uri["artifactLocation"]["uri"] == "media/my%20banner.webp"  # relative, a URI
    unreadable = by_code["media.unreadable"]["locations"][0]["physicalLocation"]
    assert unreadable["artifactLocation"]["uri"] == "media/broken.jpg"


def test_sarif_fingerprints_are_stable_and_distinct(
    capsys: pytest.CaptureFixture[str], post: list[str]
) -> None:
    _, first = _sarif(capsys, ["check", *post, "-p", "linkedin,x"])
    _, second = _sarif(capsys, ["check", *post, "-p", "linkedin,x"])
    prints = [r["partialFingerprints"] for r in first["runs"][0]["results"]]
    assert prints == [r["partialFingerprints"] for r in second["runs"][0]["results"]]
    assert len({json.dumps(p) for p in prints}) == len(prints)


def test_a_caption_violation_is_placed_on_the_posts_first_file(
    capsys: pytest.CaptureFixture[str], post: list[str]
) -> None:
    _, log = _sarif(capsys, ["check", post[0], "-p", "x", "--caption", "y" * 300])
    (caption,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "caption.too_long"]
    where = caption["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert where == "media/my%20banner.webp"


def test_sarif_for_a_folder_batch_gathers_every_file(
    capsys: pytest.CaptureFixture[str], post: list[str]
) -> None:
    code, log = _sarif(capsys, ["check", "--each", "media", "-p", "linkedin", "-j", "2"])
    assert code == 1
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
    }
    assert uris == {"media/my%20banner.webp", "media/broken.jpg"}


def test_a_clean_post_is_a_sarif_log_without_results(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    make_image(tmp_path / "ok.png", format="PNG", size=(1200, 1200))
    code, log = _sarif(capsys, ["check", "ok.png", "-p", "linkedin"])
    assert code == 0 and log["runs"][0]["results"] == []


# ---------------------------------------------------------------------------------------------
# GitHub annotations

# ::error file=a.jpg,title=code (platform)::message  (GitHub's workflow command syntax)
_COMMAND = re.compile(r"^::(error|warning|notice) ((?:[a-z]+=[^,:]*)(?:,[a-z]+=[^,:]*)*)::(.*)$")


def _unescape(text: str) -> str:
    for escaped, char in (("%0A", "\n"), ("%0D", "\r"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, char)
    return text


def _annotations(out: str) -> list[tuple[str, dict[str, str], str]]:
    found = []
    for line in out.splitlines():
        match = _COMMAND.match(line)
        assert match, line
        command, properties, message = match.groups()
        fields = dict(item.split("=", 1) for item in properties.split(","))
        found.append((command, {k: _unescape(v) for k, v in fields.items()}, _unescape(message)))
    return found


def test_github_annotations_name_file_code_and_platform(
    capsys: pytest.CaptureFixture[str], post: list[str]
) -> None:
    code, out = _run(capsys, ["check", *post, "-p", "linkedin,x", "--format", "github"])
    annotations = _annotations(out)
    report = mediarules.check(post, platforms=["linkedin", "x"])
    assert code == 1 and len(annotations) == len(report.violations)
    for (command, fields, message), violation in zip(annotations, report.violations, strict=True):
        expected = {"error": "error", "warning": "warning", "info": "notice"}[violation.severity]
        assert command == expected
        assert fields["title"] == f"{violation.code} ({violation.platform})"
        assert fields["file"] in post
        assert message.startswith(violation.message)
        if violation.fix is not None:
            assert f"\nFix: {violation.fix.title}" in message


def test_github_escapes_what_would_break_a_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    make_image(tmp_path / "a,b:100%.webp", format="WEBP")
    _, out = _run(capsys, ["check", "a,b:100%.webp", "-p", "linkedin", "--format", "github"])
    annotations = _annotations(out)
    assert annotations
    assert {fields["file"] for _, fields, _ in annotations} == {"a,b:100%.webp"}


# ---------------------------------------------------------------------------------------------
# schema


def _schema(capsys: pytest.CaptureFixture[str], model: str) -> dict[str, Any]:
    code, out = _run(capsys, ["schema", model])
    assert code == 0
    schema: dict[str, Any] = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def test_check_json_output_validates_against_the_report_schema(
    capsys: pytest.CaptureFixture[str], post: list[str]
) -> None:
    schema = _schema(capsys, "report")
    _, out = _run(capsys, ["check", *post, "-p", "linkedin,x,tiktok", "--format", "json"])
    jsonschema.validate(json.loads(out), schema)
    _, lines = _run(capsys, ["check", "--each", "media", "-p", "x", "--format", "json"])
    for line in lines.splitlines():
        jsonschema.validate(json.loads(line), schema)
    with pytest.raises(jsonschema.ValidationError):  # the schema does say something
        jsonschema.validate({"ok": "yes", "violations": [], "media": []}, schema)


def test_the_report_schema_is_the_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, ["schema"])[1] == _run(capsys, ["schema", "report"])[1]


def test_a_post_body_validates_against_the_post_schema(capsys: pytest.CaptureFixture[str]) -> None:
    schema = _schema(capsys, "post")
    body = {
        "content": "New drop",
        "platforms": ["tiktok-1"],
        "media": [{"fileName": "a.mp4", "contentType": "video/mp4", "type": "video",
                   "metadata": {"frameRate": "30000/1001", "width": 1080, "height": 1920}}],
    }  # fmt: skip
    jsonschema.validate(body, schema)
    mediarules.PostPayload.model_validate(body)


def test_fix_json_output_validates_against_the_fix_result_schema(
    capsys: pytest.CaptureFixture[str], post: list[str], tmp_path: Path
) -> None:
    schema = _schema(capsys, "fix-result")
    _, out = _run(
        capsys, ["fix", post[0], "-p", "linkedin", "--out", str(tmp_path / "out"), "--format",
                 "json"]
    )  # fmt: skip
    jsonschema.validate(json.loads(out), schema)
