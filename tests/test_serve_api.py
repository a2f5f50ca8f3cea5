"""``mediarules serve`` over HTTP: every endpoint, every kind of bad request, against a real
uvicorn process (``tests/service_process.py``), compared with the command line and the
library on the same input."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import mediarules
from mediarules.codes import CODES, explain
from tests.media import make_corrupt, make_image, make_video
from tests.service_process import MULTIPART, ServiceProcess, form_end, form_part, running
from tests.test_payload import seed_body

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    with running(tmp=tmp_path_factory.mktemp("serve")) as process:
        yield process


@pytest.fixture(scope="module")
def client(service: ServiceProcess) -> Iterator[httpx.Client]:
    with service.client() as http:
        yield http


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A post's files: a clip TikTok refuses (20 fps), a WebP, a PNG named .jpg, junk."""
    folder = tmp_path_factory.mktemp("media")
    return {
        "clip": make_video(folder / "clip.mp4", fps=20, duration_s=1.0, size=(360, 640)),
        "webp": make_image(folder / "banner.webp", format="WEBP", size=(1200, 628)),
        "png_as_jpg": make_image(folder / "photo.jpg", format="PNG", size=(1080, 1350)),
        "junk": make_corrupt(folder / "broken.jpg"),
    }


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mediarules", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def problem_of(response: httpx.Response, status: int) -> dict[str, Any]:
    """The answer is a problem document of ``status``, complete and consistent."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("/problems/") and body["title"] and body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]
    assert "\n" not in body["detail"]
    return body


def files_form(*paths: Path, **fields: str | list[str]) -> dict[str, Any]:
    parts = [
        ("files", (path.name, path.read_bytes(), "application/octet-stream")) for path in paths
    ]
    data: dict[str, Any] = dict(fields)
    return {"files": parts, "data": data}


# -- probes, page, documents -----------------------------------------------------------------


def test_probes(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "version": mediarules.__version__}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready"
    assert ready["platforms"] == len(mediarules.default_rules().platforms)
    assert ready["limits"]["max_files"] == 20


def test_the_page_and_its_files_are_served(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert '<script src="/static/page.js"' in page.text
    script = client.get("/static/page.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    css = client.get("/static/report.css")
    assert "--ink:#101828" in css.text  # the --html report's own style sheet
    assert client.get("/static/page.css").status_code == 200


def test_openapi_document_and_docs(client: httpx.Client) -> None:
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    for path in ("/v1/check", "/v1/check/files", "/v1/fix", "/v1/measure", "/v1/rules",
                 "/v1/rules/{platform}", "/v1/codes", "/v1/codes/{code}", "/healthz",
                 "/readyz", "/metrics"):  # fmt: skip
        assert path in paths
    body = paths["/v1/check"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert [ref["$ref"].rsplit("/", 1)[1] for ref in body["oneOf"]] == ["PostPayload", "PlainPost"]
    form = paths["/v1/fix"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert {"files", "platforms", "unsafe"} <= set(form["properties"])
    errors = paths["/v1/check"]["post"]["responses"]["400"]["content"]
    assert list(errors) == [PROBLEM]
    assert client.get("/docs").status_code == 200


# -- /v1/check: the scheduler's body, the same report as check --post ------------------------


@pytest.mark.parametrize(
    "extra",
    [{}, {"status": "scheduled", "scheduledTime": "2026-03-01T14:00:00.000Z"}],
    ids=["draft", "scheduled"],
)
def test_seed_payload_gives_the_report_check_post_gives(
    client: httpx.Client, tmp_path: Path, extra: dict[str, str]
) -> None:
    raw = json.dumps(seed_body(**extra), ensure_ascii=False).encode("utf-8")
    (tmp_path / "post.json").write_bytes(raw)
    command = cli("check", "--post", "post.json", "--format", "json", cwd=tmp_path)
    assert command.returncode == 1, command.stderr  # the seed's post breaks some rules
    response = client.post("/v1/check", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == json.loads(command.stdout)
    codes = {v["code"] for v in response.json()["violations"]}
    assert ("post.scheduled_before_upload" in codes) == bool(extra)


def test_platforms_in_the_query_replace_the_body_s(client: httpx.Client, tmp_path: Path) -> None:
    raw = json.dumps(seed_body()).encode()
    (tmp_path / "post.json").write_bytes(raw)
    command = cli("check", "--post", "post.json", "-p", "tiktok,bluesky", "--format", "json",
                  "--account-type", "business", cwd=tmp_path)  # fmt: skip
    response = client.post(
        "/v1/check",
        content=raw,
        params=[("platforms", "tiktok"), ("platforms", "bluesky"), ("account_type", "business")],
        headers={"content-type": "application/json"},
    )
    assert response.json() == json.loads(command.stdout)
    assert {v["platform"] for v in response.json()["violations"]} <= {"all", "tiktok", "bluesky"}


def test_plain_form_gives_the_library_s_report(client: httpx.Client) -> None:
    media = [
        {"fileName": "clip.mp4", "type": "video", "width": 1080, "height": 1920,
         "frameRate": "30000/1001", "codecName": "h264", "duration": 95, "size": 10_000_000},
        {"file_name": "a.webp", "content_type": "image/webp", "width": 1200, "height": 628,
         "alt_text": "A banner"},
    ]  # fmt: skip
    body = {"platforms": "x,tiktok,youtube:short", "caption": "Hello #launch", "title": None,
            "content_warning": "spoilers", "media": media}  # fmt: skip
    response = client.post("/v1/check", json=body)
    assert response.status_code == 200
    expected = mediarules.check(
        [mediarules.MediaRef.model_validate(m) for m in media],
        platforms="x,tiktok,youtube:short",
        caption="Hello #launch",
        content_warning="spoilers",
    )
    assert response.json() == expected.model_dump(mode="json")


def test_the_node_client_of_the_readme_checks_the_seed_payload(
    service: ServiceProcess, client: httpx.Client, tmp_path: Path
) -> None:
    """Step 4 of the seed's Upload Flow, as the README shows it: Node's own fetch."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("no node on this machine")
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    snippet = re.search(r"```js\n(// mediarules-check\n.*?)```", readme, re.DOTALL)
    assert snippet is not None, "the README's fetch example is marked // mediarules-check"
    body = seed_body(status="scheduled", scheduledTime="2026-03-01T14:00:00.000Z")
    script = (
        f"const MEDIARULES_URL = {json.dumps(service.url)};\n"
        f"const post = {json.dumps(body, ensure_ascii=False)};\n"
        "async function main() {\n"
        f"{snippet.group(1)}\n"
        "  console.log(JSON.stringify({ report, blocked: !report.ok }));\n"
        "}\n"
        "main().catch((error) => { console.error(error); process.exit(1); });\n"
    )
    (tmp_path / "step4.mjs").write_text(script, encoding="utf-8")
    run = subprocess.run([node, "step4.mjs"], capture_output=True, text=True, cwd=tmp_path,
                         timeout=60)  # fmt: skip
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert answer["report"] == client.post("/v1/check", json=body).json()
    assert answer["blocked"] is True


# -- bad JSON bodies: 4xx problems with the command line's own words ---------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"{bad",
        b"[1, 2]",
        b"   ",
        b'{"platforms": 5}',
        b'{"content": "hi"}',
        b'{"platforms": ["tiktok"], "media": [{"metadata": {"width": "wide"}}]}',
        b'{"platforms": ["tiktok"], "media": [{"metadata": {"frameRate": 1e999}}]}',
        b'{"platforms": ["x"], "media": ' + b"[" * 100 + b"]" * 100 + b"}",
        b'{"platforms": ["x"], "scheduledTime": "yesterday"}',
        b"\xff\xfe{}",
    ],
    ids=[
        "syntax",
        "array",
        "empty",
        "platforms-type",
        "no-platforms",
        "metadata-type",
        "overflow",
        "nesting",
        "date",
        "not-utf8",
    ],
)
def test_bad_bodies_are_400_with_the_cli_message(
    client: httpx.Client, tmp_path: Path, raw: bytes
) -> None:
    (tmp_path / "post.json").write_bytes(raw)
    command = cli("check", "--post", "post.json", cwd=tmp_path)
    assert command.returncode == 2
    cli_line = command.stderr.strip()
    assert cli_line.startswith("mediarules: error: post.json: "), cli_line
    response = client.post("/v1/check", content=raw, headers={"content-type": "application/json"})
    body = problem_of(response, 400)
    assert body["type"] == "/problems/invalid-body"
    said = cli_line.removeprefix("mediarules: error: post.json: ").replace("the file", "the body")
    assert body["detail"] == f"request body: {said}"


def test_unknown_platform_is_422_with_the_cli_message(client: httpx.Client, tmp_path: Path) -> None:
    raw = json.dumps({"content": "hi", "platforms": ["tiktk-123"]}).encode()
    (tmp_path / "post.json").write_bytes(raw)
    command = cli("check", "--post", "post.json", cwd=tmp_path)
    response = client.post("/v1/check", content=raw, headers={"content-type": "application/json"})
    body = problem_of(response, 422)
    assert f"mediarules: error: {body['detail']}" == command.stderr.strip()
    assert "did you mean 'tiktok'?" in body["detail"]
    empty = problem_of(client.post("/v1/check", json={"platforms": [], "caption": "x"}), 422)
    assert empty["detail"].startswith("no platform given")


def test_other_bad_requests(client: httpx.Client) -> None:
    form = problem_of(
        client.post("/v1/check", content=b"{}", headers={"content-type": "text/csv"}), 415
    )
    assert "application/json" in form["detail"]
    both = problem_of(
        client.post("/v1/check", json={"platforms": "x", "caption": "a", "content": "b"}), 400
    )
    assert "not both" in both["detail"]
    typo = problem_of(
        client.post("/v1/check", json={"platforms": "x", "caption": "a", "captoin": "b"}), 400
    )
    assert typo["detail"].startswith("request body: captoin: Extra inputs are not permitted")
    missing = problem_of(client.get("/v1/nothing"), 404)
    assert missing["detail"] == "no such endpoint: GET /v1/nothing"
    wrong = problem_of(client.get("/v1/check"), 405)
    assert wrong["type"] == "/problems/method-not-allowed"
    assert client.get(wrong["type"]).json()["status"] == 405  # the type is documented


@pytest.mark.parametrize("field", ["path", "Path"])
def test_a_media_record_never_names_a_file_of_the_server(client: httpx.Client, field: str) -> None:
    """``path`` is the library's way to have a file inspected: over HTTP it would read the
    service's own disk, so it is refused (any other spelling is not a field at all)."""
    secret = Path(sys.executable).resolve()
    for body in (
        {"content": "x", "platforms": ["x"], "media": [{field: str(secret), "type": "image"}]},
        {"caption": "x", "platforms": ["x"], "media": [{field: str(secret), "type": "image"}]},
    ):
        response = client.post("/v1/check", json=body)
        if field == "path":
            assert "reads no file of its own" in problem_of(response, 400)["detail"]
        else:
            assert response.status_code in (200, 400)
        assert str(secret) not in response.text.replace(f'"{secret}"', "")
        if response.status_code == 200:
            assert all(m["size"] is None for m in response.json()["media"])


def test_json_bodies_stop_at_16_mib(client: httpx.Client) -> None:
    raw = b'{"platforms": ["x"], "caption": "' + b"a" * (17 * 1024 * 1024) + b'"}'
    body = problem_of(
        client.post("/v1/check", content=raw, headers={"content-type": "application/json"}), 413
    )
    assert body["detail"] == "request body: larger than 16 MiB, the limit for a JSON document"


# -- /v1/check/files -------------------------------------------------------------------------


def test_files_give_the_report_check_gives(
    service: ServiceProcess, client: httpx.Client, media: dict[str, Path], tmp_path: Path
) -> None:
    paths = [media["clip"], media["webp"], media["png_as_jpg"], media["junk"]]
    response = client.post(
        "/v1/check/files",
        **files_form(
            *paths,
            platforms=["tiktok,x", "linkedin"],
            caption="New drop 🚀 #launch",
            alt=["A clip", "", "A photo"],
        ),
    )
    assert response.status_code == 200, response.text
    command = cli("check", *map(str, paths), "-p", "tiktok,x", "-p", "linkedin",
                  "--caption", "New drop 🚀 #launch", "--alt", "A clip", "--alt", "",
                  "--alt", "A photo", "--format", "json", cwd=tmp_path)  # fmt: skip
    expected = json.loads(command.stdout)
    names = {str(path): path.name for path in paths}
    for entry in [*expected["media"], *expected["violations"]]:
        entry["path"] = names.get(entry["path"], entry["path"])
    assert response.json() == expected
    codes = {(v["platform"], v["code"]) for v in response.json()["violations"]}
    assert ("tiktok", "video.fps_too_low") in codes
    assert ("all", "media.unreadable") in codes
    assert ("all", "media.format_mismatch") in codes
    assert str(service.tmp) not in response.text
    assert service.wait_for_no_request_folders() == []


def test_upload_names_are_cleaned(client: httpx.Client, media: dict[str, Path]) -> None:
    data = media["webp"].read_bytes()
    parts = [
        ("files", ("../../../etc/passwd.webp", data, "image/webp")),
        ("files", ("C:\\fakepath\\..\\x\u202e.webp", data, "image/webp")),
        ("files", ("", data, "image/webp")),
        ("files", ("photo.webp", data, "image/webp")),
        ("files", ("photo.webp", data, "image/webp")),
    ]
    response = client.post("/v1/check/files", files=parts, data={"platforms": "x"})
    names = [m["path"] for m in response.json()["media"]]
    assert names == ["passwd.webp", "x.webp", "file-3", "photo.webp", "photo.webp"]
    assert [m["width"] for m in response.json()["media"]] == [1200] * 5


def test_bad_forms(client: httpx.Client, media: dict[str, Path]) -> None:
    clip = media["clip"]
    unknown = problem_of(
        client.post("/v1/check/files", **files_form(clip, platforms="x", captoin="a")), 400
    )
    assert unknown["detail"].startswith("unknown form field 'captoin'; fields: ")
    alts = problem_of(
        client.post("/v1/check/files", **files_form(clip, platforms="x", alt=["a", "b"])), 400
    )
    assert alts["detail"] == "2 alt texts for 1 files (one per file)"
    twice = problem_of(
        client.post("/v1/check/files", **files_form(clip, platforms="x", caption=["a", "b"])), 400
    )
    assert twice["detail"] == "the field 'caption' is given 2 times"
    nothing = problem_of(client.post("/v1/check/files", **files_form(clip)), 422)
    assert nothing["detail"].startswith("no platform given")
    unknown_platform = problem_of(
        client.post("/v1/check/files", **files_form(clip, platforms="tiktk")), 422
    )
    assert unknown_platform["detail"].startswith(
        "unknown platform 'tiktk' (did you mean 'tiktok'?)"
    )
    not_form = problem_of(client.post("/v1/check/files", json={"platforms": "x"}), 415)
    assert "multipart/form-data" in not_form["detail"]
    cut = form_part("platforms", b"x") + form_part("files", b"abc", "a.jpg")[:-2]
    truncated = client.post("/v1/check/files", content=cut, headers=MULTIPART)
    assert problem_of(truncated, 400)["detail"] == (
        "the multipart body ends before its closing boundary"
    )
    latin = form_part("platforms", b"x") + form_part("caption", b"caf\xe9") + form_end()
    not_utf8 = problem_of(client.post("/v1/check/files", content=latin, headers=MULTIPART), 400)
    assert not_utf8["detail"].startswith("the field 'caption' is not UTF-8")


def test_a_text_only_post_needs_no_file(client: httpx.Client) -> None:
    raw = form_part("platforms", b"x,bluesky") + form_part("caption", b"a" * 400) + form_end()
    response = client.post("/v1/check/files", content=raw, headers=MULTIPART)
    codes = {(v["platform"], v["code"]) for v in response.json()["violations"]}
    assert ("x", "caption.too_long") in codes and ("bluesky", "caption.too_long") in codes
    assert response.json()["media"] == []


# -- /v1/fix ---------------------------------------------------------------------------------


def test_fix_returns_a_zip_of_fixed_files(
    service: ServiceProcess, client: httpx.Client, media: dict[str, Path], tmp_path: Path
) -> None:
    response = client.post(
        "/v1/fix",
        **files_form(media["clip"], media["webp"], platforms="tiktok,linkedin", unsafe="true"),
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert 'filename="mediarules-fixed.zip"' in response.headers["content-disposition"]
    bundle = zipfile.ZipFile(io.BytesIO(response.content))
    names = sorted(bundle.namelist())
    assert names == ["banner-linkedin-2.jpg", "clip-tiktok-1.mp4", "mediarules-fix.json"]
    bundle.extractall(tmp_path)
    fixed = mediarules.inspect(tmp_path / "clip-tiktok-1.mp4")
    assert fixed.fps is not None and fixed.fps >= 23
    assert mediarules.inspect(tmp_path / "banner-linkedin-2.jpg").format == "jpeg"
    result = json.loads((tmp_path / "mediarules-fix.json").read_text(encoding="utf-8"))
    assert sorted(w["path"] for w in result["written"]) == names[:2]
    assert [o["source"] for o in result["plan"]["outputs"]] == ["clip.mp4", "banner.webp"]
    assert str(service.tmp) not in bundle.read("mediarules-fix.json").decode()
    again = mediarules.check([tmp_path / "clip-tiktok-1.mp4"], platforms="tiktok")
    assert "video.fps_too_low" not in [v.code for v in again.violations]
    assert response.headers["x-mediarules-ok"] == ("true" if result["ok"] else "false")
    assert service.wait_for_no_request_folders() == []


def test_fix_without_unsafe_runs_only_safe_fixes(
    client: httpx.Client, media: dict[str, Path]
) -> None:
    response = client.post(
        "/v1/fix", **files_form(media["clip"], media["webp"], platforms="tiktok,linkedin")
    )
    bundle = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(bundle.namelist()) == ["banner-linkedin-2.jpg", "mediarules-fix.json"]
    result = json.loads(bundle.read("mediarules-fix.json"))
    assert [s["output"] for s in result["skipped"]] == ["o1"]
    assert response.headers["x-mediarules-ok"] == "false"
    bad = problem_of(
        client.post("/v1/fix", **files_form(media["clip"], platforms="tiktok", unsafe="maybe")), 400
    )
    assert bad["detail"] == "the field 'unsafe' is true or false, not 'maybe'"


# -- /v1/measure, /v1/rules, /v1/codes -------------------------------------------------------


def test_measure_gives_the_library_s_measurements(client: httpx.Client) -> None:
    text = "Launch 🚀 @team #new https://example.com/a-long-path 日本語"
    keys = ["x", "bluesky", "telegram"]
    response = client.post(
        "/v1/measure", json={"text": text, "platforms": keys, "has_media": False}
    )
    expected = [mediarules.measure(text, key, has_media=False).to_dict() for key in keys]
    assert response.json() == json.loads(json.dumps(expected))
    alt = client.post(
        "/v1/measure", json={"text": "a", "platforms": "mastodon", "field": "alt_text"}
    )
    assert alt.json()[0]["field"] == "alt_text"
    no_title = problem_of(
        client.post("/v1/measure", json={"text": "a", "platforms": "x", "field": "title"}), 422
    )
    assert no_title["detail"] == "x has no 'title' field; fields: caption, title, alt_text"
    wrong = problem_of(client.post("/v1/measure", json={"text": 5, "platforms": "x"}), 400)
    assert wrong["detail"] == "request body: text: Input should be a valid string (got 5)"


def test_rules_are_the_cli_s(client: httpx.Client, tmp_path: Path) -> None:
    command = cli("rules", "--format", "json", cwd=tmp_path)
    assert client.get("/v1/rules").json() == json.loads(command.stdout)
    one = client.get("/v1/rules/twitter").json()
    assert list(one["platforms"]) == ["x"]
    assert one["platforms"]["x"] == json.loads(command.stdout)["platforms"]["x"]
    missing = problem_of(client.get("/v1/rules/tiktk"), 404)
    assert missing["detail"].startswith("unknown platform 'tiktk' (did you mean 'tiktok'?)")


def test_codes_are_the_registry(client: httpx.Client) -> None:
    listed = client.get("/v1/codes").json()
    assert [entry["code"] for entry in listed] == list(CODES)
    assert listed[0]["severity"] == CODES[listed[0]["code"]].severity.value
    one = client.get("/v1/codes/video.fps_too_low").json()
    assert one["text"] == explain("video.fps_too_low") and one["why"]
    missing = problem_of(client.get("/v1/codes/video.fps_too_lo"), 404)
    assert (
        missing["detail"] == "unknown code 'video.fps_too_lo' (did you mean 'video.fps_too_low'?)"
    )


# -- logs and metrics ------------------------------------------------------------------------


def test_every_log_line_is_json_and_requests_are_logged(
    service: ServiceProcess, client: httpx.Client
) -> None:
    response = client.get("/readyz", headers={"x-request-id": "trace-42"})
    assert response.headers["x-request-id"] == "trace-42"
    odd = client.get("/healthz", headers={b"x-request-id": "no spaces allowed\u00e9".encode()})
    assert re.fullmatch(r"[0-9a-f]{16}", odd.headers["x-request-id"])
    records = service.records()  # raises if a line is not JSON
    access = [r for r in records if r["logger"] == "mediarules.access"]
    mine = next(r for r in access if r["request_id"] == "trace-42")
    assert mine["method"] == "GET" and mine["path"] == "/readyz" and mine["status"] == 200
    assert mine["route"] == "/readyz" and mine["duration_ms"] >= 0 and mine["client"] == "127.0.0.1"
    assert any(r.get("event") == "listening" for r in records)


def test_metrics_count_requests_and_violations(
    client: httpx.Client, media: dict[str, Path]
) -> None:
    client.post("/v1/check/files", **files_form(media["clip"], platforms="tiktok"))
    client.get("/v1/rules/nowhere")
    text = client.get("/metrics").text
    assert (
        'mediarules_http_requests_total{method="POST",route="/v1/check/files",status="200"}' in text
    )
    assert 'route="/v1/rules/{platform}",status="404"' in text
    line = re.search(r'mediarules_violations_total\{code="video\.fps_too_low",platform="tiktok",'
                     r'severity="error"\} (\d+)', text)  # fmt: skip
    assert line is not None and int(float(line.group(1))) >= 1
    assert "mediarules_http_request_duration_seconds_bucket" in text


def test_a_lone_surrogate_in_a_name_is_escaped_not_a_500(client: httpx.Client) -> None:
    record = {"fileName": "a\ud800.jpg", "type": "image", "width": 10, "height": 10}
    raw = json.dumps({"platforms": "x", "caption": None, "media": [record]}).encode()
    assert b"\\ud800" in raw  # JSON's own escape: valid JSON, an invalid string
    response = client.post("/v1/check", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 200
    assert b'"path":"a\\ud800.jpg"' in response.content
    assert response.json()["media"][0]["path"] == "a\ud800.jpg"
