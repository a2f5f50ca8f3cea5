"""What a one-file ``check`` loads, and the text it writes without rich.

Start-up time is measured in ``benchmarks/`` (as a ratio to ``python -c pass``); here are the
contracts that make it short, each of which can silently break: a JSON check imports neither
rich nor the service, the payload reader, the remote fetcher, the text engines (no caption)
or a reader its file does not need, and it builds no pydantic schema (the first one imports
pydantic's plugin loader, ``importlib.metadata``). And the text report written without rich,
where rich would style nothing, is byte for byte what rich writes.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

import mediarules
from mediarules.models import MediaFacts, construct_trusted
from mediarules.outputs.render import PlainConsole, printable_stream, report_text, styles_shown
from mediarules.ruleset import default_rules
from mediarules.strategies import Post
from tests.media import make_clip, make_image

REPO = Path(__file__).resolve().parents[1]
PLATFORMS = "x,linkedin,instagram,threads,tiktok,youtube,facebook,bluesky,mastodon,telegram"

NEVER_FOR_A_JSON_CHECK = (
    "rich",
    "pydantic.plugin._loader",
    "importlib.metadata",
    "mediarules.service.settings",
    "mediarules.inputs.payload",
    "mediarules.inputs.instances",
    "mediarules.remote.batch",
    "mediarules.remote.http",
    "httpx",
    "mediarules.fixes.planner",
    "mediarules.outputs.ci_formats",
    "mediarules.outputs.html_report",
    "mediarules.text.twitter",
    "regex",
)

_PROBE = """
import json, runpy, sys
sys.argv = ["mediarules", *json.loads(sys.argv[1])]
try:
    runpy.run_module("mediarules", run_name="__main__")
except SystemExit as exit:
    code = exit.code
from mediarules import models, requirements
built = [m.__name__ for m in (models.MediaFacts, models.Report, models.Violation,
         requirements.Bound, requirements.OneOf) if m.__pydantic_complete__]
print(json.dumps({"code": code, "modules": sorted(sys.modules), "built": built}),
      file=sys.stderr)
"""


def _probe(args: list[str], cache: Path) -> dict[str, object]:
    """Run the command line on ``args`` in a fresh interpreter; what it loaded and built."""
    env = {**os.environ, "MEDIARULES_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO)}
    env.pop("MEDIARULES_NO_RULES_CACHE", None)
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    found: dict[str, object] = json.loads(done.stderr.strip().splitlines()[-1])
    found["stdout"] = done.stdout
    return found


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("startup")
    return {
        "jpeg": make_image(folder / "photo.jpg", size=(1080, 1350)),
        "png": make_image(folder / "graphic.png", format="PNG"),
        "mp4": make_clip(folder / "clip.mp4"),
    }


@pytest.mark.parametrize("kind", ["jpeg", "png", "mp4"])
def test_a_json_check_of_one_file_loads_only_what_it_needs(
    files: dict[str, Path], tmp_path: Path, kind: str
) -> None:
    args = ["check", str(files[kind]), "-p", PLATFORMS, "--format", "json"]
    _probe(args, tmp_path)  # the first run validates the rules table and keeps it
    found = _probe(args, tmp_path)
    modules = set(found["modules"])  # type: ignore[call-overload]
    assert found["code"] in (0, 1)
    assert json.loads(str(found["stdout"]))["media"][0]["format"] in ("jpeg", "png", "mp4")
    assert found["built"] == [], "a pydantic schema was built"
    assert not modules & set(NEVER_FOR_A_JSON_CHECK)
    if kind == "mp4":  # the MP4 header reader understood it: no Pillow, no MediaInfo
        assert not modules & {"PIL.Image", "mediarules.inspection.mediainfo_pool"}
        assert "mediarules.inspection.isobmff" in modules
    else:
        assert not modules & {"mediarules.inspection.isobmff", "mediarules.inspection.heif"}
    assert "mediarules.inspection.matroska" not in modules


def test_a_caption_loads_the_text_engines_and_text_on_a_pipe_loads_no_rich(
    files: dict[str, Path], tmp_path: Path
) -> None:
    args = ["check", str(files["mp4"]), "-p", PLATFORMS, "--caption", "Hi @you https://a.io"]
    _probe(args, tmp_path)
    found = _probe(args, tmp_path)
    modules = set(found["modules"])  # type: ignore[call-overload]
    assert {"regex", "mediarules.text.twitter"} <= modules
    assert not modules & {"rich.console", "rich.text", "importlib.metadata"}  # rich.cells: widths
    assert "ready to publish" in str(found["stdout"]) or "not ready" in str(found["stdout"])


def test_the_command_line_writes_to_a_pipe_what_rich_would(
    files: dict[str, Path], tmp_path: Path
) -> None:
    names = [str(files["jpeg"]), str(files["mp4"]), str(tmp_path / "写真 😀.gif")]
    Path(names[2]).write_bytes(b"GIF89a not really")
    env = {**os.environ, "MEDIARULES_CACHE_DIR": str(tmp_path / "cache")}
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR"):
        env.pop(name, None)
    for quiet in ([], ["-q"]):
        done = subprocess.run(
            [sys.executable, "-m", "mediarules", "check", *names, "-p", PLATFORMS,
             "--caption", "Hello #launch", *quiet],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        report = mediarules.check(names, platforms=PLATFORMS, caption="Hello #launch")
        buffer = io.StringIO()
        console = Console(file=printable_stream(buffer), soft_wrap=True, highlight=False, width=200)
        platforms = PLATFORMS.split(",")
        report_text(report, platforms, default_rules(), console, quiet=bool(quiet))
        assert done.stdout == buffer.getvalue()


_NAMES = st.sampled_from(
    ["a.jpg", "写真.jpg", "😀 party.png", "e\u0301.png", "wide\u3000.mp4", "x" * 300,
     "tab\tname.gif", "ctl\x1b[31m.png", "\udce9bad.jpg", "zero\u200bwidth.png"]
)  # fmt: skip


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(post=st.from_type(Post), name=_NAMES, quiet=st.booleans())
def test_plain_text_is_what_rich_writes_where_it_styles_nothing(
    post: Post, name: str, quiet: bool
) -> None:
    report = post.check()
    if report.media:
        media = [construct_trusted(MediaFacts, {**vars(m), "path": name}) for m in report.media]
        report = report.model_copy(update={"media": media})
    rules = default_rules()
    written = []
    for console_of in (
        lambda buffer: Console(file=buffer, soft_wrap=True, highlight=False, width=200),
        PlainConsole,
    ):
        buffer = io.StringIO()
        report_text(report, [post.platform], rules, console_of(buffer), quiet=quiet)
        written.append(buffer.getvalue())
    assert written[0] == written[1]


@pytest.mark.parametrize(
    "environment",
    [
        {},
        {"FORCE_COLOR": "1"},
        {"FORCE_COLOR": ""},
        {"NO_COLOR": "1"},
        {"TTY_COMPATIBLE": "1"},
        {"TTY_COMPATIBLE": "0", "FORCE_COLOR": "1"},
        {"TTY_COMPATIBLE": "2", "FORCE_COLOR": "1"},
    ],
)
@pytest.mark.parametrize("tty", [False, True])
def test_styles_are_shown_where_rich_sees_a_terminal(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], tty: bool
) -> None:
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    class Stream(io.StringIO):
        def isatty(self) -> bool:
            return tty

    stream = Stream()
    rich_sees = Console(file=stream).is_terminal
    assert styles_shown(stream) == rich_sees or "IPython" in sys.modules


_BOXES = [
    b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"moof", b"meta", b"uuid",
    b"\x1aE\xdf\xa3",
]  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(
    head=st.one_of(
        st.binary(max_size=64),
        st.tuples(st.binary(min_size=4, max_size=4), st.sampled_from(_BOXES), st.binary()).map(
            lambda parts: b"".join(parts)
        ),
        st.sampled_from(_BOXES).map(lambda box: box + bytes(40)),
    )
)
def test_the_sniffs_send_every_file_a_reader_would_take_to_it(head: bytes) -> None:
    """The dispatch imports the ISO BMFF and Matroska readers only for files whose first
    bytes pass these sniffs: whatever fails them, the readers would have given up on."""
    from mediarules.inspection import isobmff, matroska, sniff
    from mediarules.inspection.source import ByteSource

    class Bytes:
        size = len(head)

        def read_at(self, offset: int, length: int) -> bytes:
            return head[offset : offset + length]

        def prefetch(self, offset: int, length: int) -> None:
            pass

    source: ByteSource = Bytes()
    if not sniff.maybe_iso_bmff(head):
        assert isobmff.file_type(head) is None
        assert isobmff.read_open_video_facts(source, head, "f", size=len(head)) is None
    assert sniff.maybe_matroska(head) == matroska.is_matroska(head)
    assert sniff.HEAD_BYTES == isobmff.HEAD_BYTES
