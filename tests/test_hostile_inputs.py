"""Hostile configuration, text and metadata (issue 11, inputs): nothing hangs, nothing crashes.

Every file the command line reads as configuration or text (``--post``, ``--rules``,
``--mastodon-instance``, ``--tiktok-creator-info``, ``--caption-file``, ``pyproject.toml``) is
made here, at test time, as the attack: a FIFO, ``/dev/zero``, a folder, a file past the size
cap, JSON nested 100,000 deep, integers of 5,000 digits, ``1e309``, NaN, limits of 0 or 10**9.
Each must end in exactly one stderr line naming the file (and the key, where there is one),
exit 2, within seconds. Declared metadata that cannot be true (a width of 0, a frame rate of
-30) is a ``media.metadata_invalid`` violation of its item, never a fact. Commands that could
hang run as subprocesses with a timeout, so a hang fails the test instead of the CI run.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

import mediarules
from mediarules import MediaFacts, MediaRef, RuleConfigError
from mediarules.cli import main
from mediarules.fixes.geometry import plan_geometry
from mediarules.fixes.plan import fit_within
from mediarules.inputs.payload import PayloadError
from mediarules.safe_read import MAX_INPUT_BYTES, MAX_NESTING
from tests.deadline import within

ALL = ["x", "instagram", "linkedin", "bluesky", "mastodon", "threads", "facebook", "telegram",
       "tiktok", "youtube"]  # fmt: skip
CLI_TIMEOUT = 60
"""Seconds before a command counts as hung: generous, as CI machines can be slow to start
Python; a real hang (a FIFO waited on) never ends."""


def _cli(args: list[str], cwd: Path, stdin: bytes | int | None = None) -> tuple[int, str, str]:
    """``python -m mediarules ARGS`` in ``cwd``: (exit code, stdout, stderr); a hang fails."""
    feed: dict[str, Any] = {"input": stdin} if isinstance(stdin, bytes) else {"stdin": stdin}
    done = subprocess.run(
        [sys.executable, "-m", "mediarules", *args],
        cwd=cwd,
        capture_output=True,
        timeout=CLI_TIMEOUT,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        **feed,
    )
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def _one_error_line(code: int, err: str, *names: str) -> str:
    """The command refused its input as a user sees it: exit 2, one line, naming ``names``."""
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("mediarules: error: "), err
    assert "Traceback" not in err
    for name in names:
        assert name in err, err
    return err


def _main(capsys: pytest.CaptureFixture[str], args: list[str]) -> tuple[int, str, str]:
    code = within(CLI_TIMEOUT, lambda: main(args))
    out, err = capsys.readouterr()
    return code, out, err


def _post(folder: Path, body: dict[str, Any] | str, name: str = "post.json") -> Path:
    path = folder / name
    path.write_text(body if isinstance(body, str) else json.dumps(body), encoding="utf-8")
    return path


def _body(**metadata: Any) -> dict[str, Any]:
    """A create-post body with one video record declaring ``metadata`` and one sane photo."""
    return {
        "content": "hi",
        "platforms": ["tiktok-1", "instagram-2"],
        "media": [
            {"fileName": "clip.mp4", "contentType": "video/mp4", "type": "video",
             "metadata": metadata},
            {"fileName": "photo.jpg", "contentType": "image/jpeg", "type": "image",
             "metadata": {"width": 1080, "height": 1350, "size": 200_000}},
        ],
    }  # fmt: skip


# ---------------------------------------------------------------------------------------------
# files that are no regular files: FIFOs, devices, folders, files past the cap

FILE_FLAGS: list[tuple[list[str], list[str]]] = [
    (["check", "--post"], []),
    (["check", "-p", "x", "--caption", "hi", "--rules"], []),
    (["check", "-p", "mastodon", "--caption", "hi", "--mastodon-instance"], []),
    (["check", "-p", "tiktok", "--caption", "hi", "--tiktok-creator-info"], []),
    (["check", "-p", "x", "--caption-file"], []),
]
FLAG_IDS = ["post", "rules", "mastodon-instance", "tiktok-creator-info", "caption-file"]


@pytest.mark.parametrize(("before", "after"), FILE_FLAGS, ids=FLAG_IDS)
def test_a_fifo_as_an_input_file_is_refused_at_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, before: list[str], after: list[str]
) -> None:
    """In process, on a thread with a deadline: a blocked open fails the test, not the run."""
    fifo = tmp_path / "input.fifo"
    os.mkfifo(fifo)
    code, _, err = _main(capsys, [*before, str(fifo), *after])
    _one_error_line(code, err, str(fifo), "named pipe")


@pytest.mark.parametrize(("before", "after"), [FILE_FLAGS[0], FILE_FLAGS[1]], ids=FLAG_IDS[:2])
def test_dev_zero_as_an_input_file_is_refused_at_once(
    tmp_path: Path, before: list[str], after: list[str]
) -> None:
    """In a child process: reading it whole would take the test run's memory with it."""
    code, _, err = _cli([*before, "/dev/zero", *after], tmp_path)
    _one_error_line(code, err, "/dev/zero", "character device")


def test_dev_zero_on_standard_input_stops_at_the_cap(tmp_path: Path) -> None:
    with open("/dev/zero", "rb") as zeros:
        code, _, err = _cli(["check", "--post", "-"], tmp_path, stdin=zeros.fileno())
    _one_error_line(code, err, "<stdin>", f"{MAX_INPUT_BYTES // 2**20} MiB")


def test_a_post_on_standard_input_is_checked(tmp_path: Path) -> None:
    body = json.dumps(_body(frameRate=30, width=1080, height=1920, duration=10)).encode()
    code, out, err = _cli(["check", "--post", "-", "--format", "json"], tmp_path, stdin=body)
    assert code in (0, 1) and err == ""
    assert [m["path"] for m in json.loads(out)["media"]] == ["clip.mp4", "photo.jpg"]


def test_a_caption_on_standard_input_is_checked(tmp_path: Path) -> None:
    caption = "a" * 300
    code, out, err = _cli(["check", "-p", "x", "--caption-file", "-", "--format", "json"],
                          tmp_path, stdin=caption.encode())  # fmt: skip
    assert code == 1 and err == ""
    assert "caption.too_long" in [v["code"] for v in json.loads(out)["violations"]]


def test_post_and_caption_cannot_both_read_standard_input(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = _main(capsys, ["check", "--post", "-", "--caption-file", "-"])
    _one_error_line(code, err, "standard input")


@pytest.mark.parametrize("flag", ["--post", "--caption-file", "--rules"])
def test_a_folder_as_an_input_file_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, flag: str
) -> None:
    args = ["check", flag, str(tmp_path)]
    if flag != "--post":
        args += ["-p", "x", "--caption", "hi"] if flag == "--rules" else ["-p", "x"]
    code, _, err = _main(capsys, args)
    _one_error_line(code, err, str(tmp_path))
    assert "directory" in err.lower()


def test_a_file_past_the_cap_is_refused_unread(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    huge = tmp_path / "huge.toml"
    with huge.open("wb") as handle:  # sparse: costs no disk
        handle.truncate(MAX_INPUT_BYTES + 1)
    began = time.monotonic()
    code, _, err = _main(capsys, ["check", "-p", "x", "--caption", "hi", "--rules", str(huge)])
    _one_error_line(code, err, str(huge), "16 MiB")
    assert time.monotonic() - began < 10


def test_a_file_at_the_cap_is_read(tmp_path: Path) -> None:
    caption = tmp_path / "caption.txt"
    caption.write_bytes(b"a" * MAX_INPUT_BYTES)
    code, _, err = _cli(["check", "-p", "telegram", "--caption-file", str(caption), "-q"],
                        tmp_path)  # fmt: skip
    assert code == 1 and "Traceback" not in err


def test_pyproject_settings_are_read_bounded(tmp_path: Path) -> None:
    """A project's ``rules =`` naming a FIFO, and a ``[tool.mediarules]`` holding a 5,000-digit
    integer: one line each, naming the file."""
    os.mkfifo(tmp_path / "rules.fifo")
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.mediarules]\nplatforms = ["x"]\nrules = "rules.fifo"\n')
    code, _, err = _cli(["check", "--caption", "hi"], tmp_path)
    _one_error_line(code, err, "rules.fifo", "named pipe")
    pyproject.write_text("[tool.mediarules]\nplatforms = " + "9" * 5000 + "\n")
    code, _, err = _cli(["check", "--caption", "hi"], tmp_path)
    _one_error_line(code, err, "pyproject.toml", "line 2", "platforms", "4,300 digits")


# ---------------------------------------------------------------------------------------------
# JSON out of bounds: nesting, huge integers, overflowing floats, NaN


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ('{"platforms": ["x"], "deep": ' + "[" * 100_000 + "]" * 100_000 + "}",
         ["nested more than", "line 1 column"]),
        ('{"platforms": ["x"], "deep": ' + "[" * 100 + "]" * 100 + "}",
         ["nested more than", "deep[0][0]"]),
        ('{"platforms": ["x"], "media": [{"metadata": {"width": ' + "7" * 5000 + "}}]}",
         ["5,000 digits", "media[0].metadata.width"]),
        ('{"platforms": ["x"], "media": [{"metadata": {"size": 99999999999999999999}}]}',
         ["64-bit", "media[0].metadata.size"]),
        ('{"platforms": ["x"], "media": [{"metadata": {"duration": 1e309}}]}',
         ["1e309 is too large", "media[0].metadata.duration"]),
        ('{"platforms": ["x"], "media": [{"metadata": {"frameRate": -Infinity}}]}',
         ["-Infinity is not a JSON number", "media[0].metadata.frameRate"]),
        ('{"platforms": ["x"], "media": [{"metadata": {"frameRate": "1' + "0" * 4000 + '/3"}}]}',
         ["media[0].metadata.frameRate", "not a frame rate"]),
        ('{"platforms": ["x"], "media": [{"metadata": {"width": "wide"}}]}',
         ["media[0].metadata.width", "valid integer"]),
    ],
    ids=["deep-100000", "deep-100", "int-5000-digits", "int-past-64-bit", "1e309",
         "infinity", "huge-fraction", "wrong-type"],
)  # fmt: skip
def test_a_post_out_of_bounds_is_one_line_naming_the_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, body: str, names: list[str]
) -> None:
    path = _post(tmp_path, body)
    began = time.monotonic()
    with pytest.raises(PayloadError) as caught:
        within(CLI_TIMEOUT, lambda: mediarules.check_payload(path))
    assert "\n" not in str(caught.value) and str(caught.value).startswith(str(path))
    code, _, err = _main(capsys, ["check", "--post", str(path)])
    _one_error_line(code, err, str(path), *names)
    assert time.monotonic() - began < 10


def test_nesting_at_the_limit_is_read(tmp_path: Path) -> None:
    inner = MAX_NESTING - 1  # the body itself is one level
    path = _post(tmp_path, '{"platforms": ["x"], "deep": ' + "[" * inner + "]" * inner + "}")
    assert mediarules.check_payload(path).media == []


@pytest.mark.parametrize(
    ("configuration", "names"),
    [
        ('{"statuses": {"max_characters": ' + "1" * 5000 + "}}",
         ["5,000 digits", "configuration.statuses.max_characters"]),
        ('{"media_attachments": {"image_matrix_limit": 1e999}}',
         ["configuration.media_attachments.image_matrix_limit"]),
        ('{"media_attachments": {"image_matrix_limit": 0}}',
         ["configuration.media_attachments.image_matrix_limit", "positive"]),
        ('{"statuses": {"characters_reserved_per_url": 1000000000}}',
         ["caption.url_length", "less than or equal to 100"]),
        ('{"statuses": {"max_characters": NaN}}', ["NaN", "configuration.statuses"]),
    ],
    ids=["int-5000-digits", "1e999", "matrix-0", "url-10**9", "nan"],
)  # fmt: skip
def test_a_mastodon_instance_out_of_bounds_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, configuration: str, names: list[str]
) -> None:
    instance = tmp_path / "instance.json"
    instance.write_text('{"domain": "example.social", "configuration": ' + configuration + "}")
    began = time.monotonic()
    code, _, err = _main(capsys, ["check", "-p", "mastodon", "--caption", "see https://a.example",
                                  "--mastodon-instance", str(instance)])  # fmt: skip
    _one_error_line(code, err, str(instance), *names)
    assert time.monotonic() - began < 10


def test_a_tiktok_creator_info_out_of_bounds_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    info = tmp_path / "creator.json"
    info.write_text('{"data": {"max_video_post_duration_sec": ' + "[" * 5000 + "]" * 5000 + "}}")
    code, _, err = _main(capsys, ["check", "-p", "tiktok", "--caption", "hi",
                                  "--tiktok-creator-info", str(info)])  # fmt: skip
    _one_error_line(code, err, str(info), "nested more than")


# ---------------------------------------------------------------------------------------------
# TOML out of bounds, and limits that make no sense


@pytest.mark.parametrize(
    ("toml", "names"),
    [
        ("[platforms.x.post]\nmax_images = " + "4" * 5000 + "\n",
         ["line 2", "max_images", "4,300 digits"]),
        ("[platforms.x.post]\nmax_images = 0x" + "f" * 5000 + "\n",
         ["platforms.x.post.max_images", "64-bit"]),
        ("[platforms.x.video]\nmax_duration_s = 1e309\n", ["'video.max_duration_s'", "finite"]),
        ("[platforms.x.video]\nmin_duration_s = nan\n", ["'video.min_duration_s'", "finite"]),
        ("[" + ".".join(["a"] * 500) + "]\n", ["nested more than"]),
        ("a = " + "{b = " * 3000 + "1" + "}" * 3000 + "\n", ["nested more than"]),
        ('[platforms.x.video]\nmax_fps = "1' + "0" * 4000 + '/3"\n',
         ["'video.max_fps'", "not a frame rate"]),
        ('[platforms.x.image]\nmax_aspect_ratio = "1e309:1"\n', ["'image.max_aspect_ratio'"]),
        ("[platforms.x.image]\nmax_pixels = 0\n",
         ["'image.max_pixels'", "greater than or equal to 1"]),
        ("[platforms.x.caption]\nurl_length = 1000000000\n",
         ["'caption.url_length'", "less than or equal to 100"]),
        ("[platforms.x.video]\nmax_width = 0\n", ["'video.max_width'"]),
        ("[platforms.x.image]\nmax_aspect_ratio = 1000000\n", ["'image.max_aspect_ratio'"]),
        ("[platforms.x.video]\nmax_fps = 100000\n", ["'video.max_fps'", "at most 1000"]),
        ("[platforms.x.caption]\nmax_length = 0\n", ["'caption'", "continue in a thread"]),
        ("[platforms.telegram.caption]\nmax_length = 1\n", ["'caption'", "follow-up"]),
    ],
    ids=["int-5000-digits", "hex-past-64-bit", "1e309", "nan", "deep-tables",
         "deep-inline", "huge-fraction", "ratio-1e309", "max-pixels-0", "url-10**9",
         "max-width-0", "ratio-10**6", "fps-10**5", "thread-limit-0", "follow-up-limit-1"],
)  # fmt: skip
def test_a_rules_file_out_of_bounds_is_one_line_naming_the_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, toml: str, names: list[str]
) -> None:
    rules = tmp_path / "mine.toml"
    rules.write_text(toml)
    began = time.monotonic()
    with pytest.raises(RuleConfigError):
        within(CLI_TIMEOUT, lambda: mediarules.check([], platforms="x", rules=rules))
    code, _, err = _main(capsys, ["check", "-p", "x", "--caption", "hi", "--rules", str(rules)])
    _one_error_line(code, err, str(rules), *names)
    assert time.monotonic() - began < 10


def test_the_shipped_table_is_inside_the_bounds() -> None:
    """Every real figure fits: the bounds refuse nonsense, never a platform."""
    rules = mediarules.ruleset.default_rules()
    assert len(rules.platforms) >= 10


def test_a_pixel_budget_of_zero_ends() -> None:
    """``fit_within`` looped forever on ``max_pixels = 0``: now it gives the smallest picture."""
    assert within(5, lambda: fit_within(4000, 3000, max_pixels=0)) == (1, 1)
    assert within(5, lambda: fit_within(1, 10**6, max_pixels=1000)) == (1, 1000)
    assert within(5, lambda: fit_within(13000, 13000, max_pixels=33_177_600)) == (5760, 5760)
    shape = within(5, lambda: plan_geometry(0, 0, max_pixels=0, max_width=0))
    assert shape.canvas == (1, 1)


# ---------------------------------------------------------------------------------------------
# declared metadata that cannot be true


def _invalid(report: mediarules.Report, index: int) -> list[mediarules.Violation]:
    return [v for v in report.violations
            if v.code == "media.metadata_invalid" and v.media_index == index]  # fmt: skip


@pytest.mark.parametrize(
    ("metadata", "left_out"),
    [
        ({"frameRate": -30, "width": 1080, "height": 1920, "duration": 10}, ["fps"]),
        ({"frameRate": 0, "width": 1080, "height": 1920}, ["fps"]),
        ({"frameRate": 30, "width": 0, "height": 0, "duration": 10}, ["width", "height"]),
        ({"frameRate": 30, "width": -1080, "height": 1920, "size": -5}, ["width", "size"]),
        ({"frameRate": 30, "width": 1080, "height": 1920, "duration": -3}, ["duration_s"]),
        ({"frameRate": 30, "width": 1080, "height": 1920, "duration": 0, "size": 0},
         ["size", "duration_s"]),
        ({"frameRate": 30, "width": 1080, "height": 1920, "bitRate": -1}, ["bit_rate"]),
    ],
    ids=["fps-negative", "fps-0", "size-0x0", "negative-side-and-size", "duration-negative",
         "zero-size-and-duration", "bitrate-negative"],
)  # fmt: skip
def test_metadata_that_cannot_be_true_is_a_violation_not_a_fact(
    tmp_path: Path, metadata: dict[str, Any], left_out: list[str]
) -> None:
    report = mediarules.check_payload(_post(tmp_path, _body(**metadata)), platforms=ALL)
    (violation,) = _invalid(report, 0)
    assert violation.platform == mediarules.ALL_PLATFORMS and not report.ok
    assert violation.actual == ", ".join(left_out)
    facts = report.media[0]
    assert all(getattr(facts, name) is None for name in left_out)
    about_the_clip = [v.message for v in report.violations
                      if v.media_index == 0 and v is not violation]  # fmt: skip
    assert not [m for m in about_the_clip if "-30 fps" in m or " 0 fps" in m or "0x0" in m]
    assert not [v for v in report.violations if v.media_index == 0 and v.fix
                and "Upscale to 0" in v.fix.title]  # fmt: skip
    assert _invalid(report, 1) == []  # the photo is checked as usual
    assert report.media[1].width == 1080


def test_the_other_facts_of_a_bad_record_are_still_checked(tmp_path: Path) -> None:
    body = _body(frameRate=-30, width=1080, height=1920, duration=10, size=10**10)
    report = mediarules.check_payload(_post(tmp_path, body), platforms="tiktok")
    codes = {v.code for v in report.violations if v.media_index == 0}
    assert {"media.metadata_invalid", "media.too_large"} <= codes
    assert not codes & {"video.fps_too_low", "video.fps_too_high"}


@pytest.mark.parametrize(
    "media",
    [
        MediaRef(file_name="a.jpg", type="image", width=0, height=100),
        MediaRef(file_name="a.jpg", type="image", width=100, height=0),
        MediaRef(file_name="a.mp4", type="video", frame_rate=Fraction(-30), width=0, height=0),
        MediaFacts(kind="image", format="jpeg", width=0, height=0, size=1000),
        MediaFacts(kind="video", format="mp4", width=1080, height=1920, fps=Fraction(-30)),
    ],
    ids=["ref-width-0", "ref-height-0", "ref-video", "facts-image-0x0", "facts-fps-negative"],
)
def test_zero_sides_and_rates_never_crash_a_check(media: MediaRef | MediaFacts) -> None:
    """``checks/image.py`` divided by a width of 0 (ZeroDivisionError) on every platform."""
    report = mediarules.check([media], platforms=ALL)
    (violation,) = _invalid(report, 0)
    shown = report.model_dump(mode="json")["media"][0]
    assert all(shown[name] is None for name in str(violation.actual).split(", "))


HUGE = 10**400
"""Past every float: ``float(HUGE)`` and ``float(Fraction(HUGE, 3))`` raise OverflowError."""


@pytest.mark.parametrize(
    ("media", "left_out"),
    [
        (MediaRef(file_name="a.mp4", type="video", width=1080, height=1920,
                  frame_rate=Fraction(HUGE, 3)), "fps"),
        (MediaFacts(kind="video", format="mp4", width=1080, height=1920,
                    fps=Fraction(-HUGE, 3)), "fps"),
        (MediaFacts(kind="image", format="jpeg", width=1080, height=1350, fps=Fraction(2 * 10**9)),
         "fps"),
        (MediaRef(file_name="a.mp4", type="video", width=1080, height=1920, frame_rate=Fraction(30),
                  bit_rate=HUGE), "bit_rate"),
        (MediaFacts(kind="image", format="jpeg", width=1080, height=1350, size=HUGE), "size"),
        (MediaRef(file_name="a.jpg", type="image", width=HUGE, height=-HUGE, size=2**63),
         "width, height, size"),
    ],
    ids=["ref-fps-10**400", "facts-fps-minus-10**400", "image-fps-2e9", "ref-bit-rate-10**400",
         "facts-size-10**400", "ref-sides-and-size-past-64-bits"],
)  # fmt: skip
def test_numbers_past_any_float_are_invalid_not_an_overflow(
    tmp_path: Path, media: MediaRef | MediaFacts, left_out: str
) -> None:
    """The API takes Python numbers as they come (JSON and TOML stop them when they are read):
    a frame rate of ``10**400 / 3`` raised OverflowError in ``checks/video.py``, a bit rate or
    a size of ``10**400`` in ``intake`` and ``checks/finding.py``. Each is now one
    ``media.metadata_invalid`` naming it in a short message, and every output and the fix
    plan work on the rest."""
    from rich.console import Console

    from mediarules.outputs.ci_formats import github_annotations, sarif_log, sarif_results
    from mediarules.outputs.html_report import render_html
    from mediarules.outputs.render import report_json, report_text

    report = mediarules.check([media], platforms=ALL)
    (violation,) = _invalid(report, 0)
    assert violation.actual == left_out
    assert len(violation.message) < 300
    assert "over " in violation.message or "below -" in violation.message
    assert all(report.media[0].model_dump()[name] is None for name in left_out.split(", "))
    report_json(report)
    report_text(report, ALL, mediarules.default_rules(), Console(file=io.StringIO()))
    json.dumps(sarif_log(sarif_results(report, tmp_path), version="0"))
    github_annotations(report, tmp_path)
    render_html([report], ALL, mediarules.default_rules())
    mediarules.plan_fixes([media], platforms=ALL).model_dump_json()


def test_a_file_whose_header_says_zero_pixels_is_unreadable(tmp_path: Path) -> None:
    """A real WebP whose VP8 frame header now says 0 x 16: read from bytes, reported once."""
    from PIL import Image

    path = tmp_path / "zero.webp"
    Image.new("RGB", (16, 16), "red").save(path, "WEBP", lossless=False)
    data = bytearray(path.read_bytes())
    frame = data.index(b"\x9d\x01\x2a") + 3  # the VP8 start code, then 14-bit width
    data[frame : frame + 2] = b"\x00\x00"
    path.write_bytes(bytes(data))
    report = mediarules.check([path], platforms=ALL)
    assert [v.code for v in report.violations if v.code.startswith(("image.", "video."))] == []
    unreadable = [v for v in report.violations if v.code == "media.unreadable"]
    assert len(unreadable) == 1 and report.media[0].width is None
    with pytest.raises(mediarules.UnreadableMediaError) as raised:  # inspect says the same
        mediarules.inspect(path)
    assert raised.value.reason == "corrupt" and f"cannot read the file: {raised.value}" == (
        unreadable[0].message
    )


def test_metadata_invalid_is_explained(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _main(capsys, ["explain", "media.metadata_invalid"])
    assert code == 0 and "cannot be true" in out


def test_a_bad_record_on_the_command_line_is_a_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _post(tmp_path, _body(frameRate=-30, width=0, height=1920))
    code, out, err = _main(capsys, ["check", "--post", str(path), "--format", "json"])
    assert code == 1 and err == ""
    found = [v for v in json.loads(out)["violations"] if v["code"] == "media.metadata_invalid"]
    assert [(v["media_index"], v["actual"]) for v in found] == [(0, "width, fps")]


# ---------------------------------------------------------------------------------------------
# what errors echo back


def test_a_five_megabyte_platform_name_costs_one_short_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _post(tmp_path, {"platforms": ["\x1b[2J" + "a" * 5_000_000], "content": "hi"})
    began = time.monotonic()
    code, _, err = _main(capsys, ["check", "--post", str(path)])
    _one_error_line(code, err, "unknown platform", "…")
    assert len(err) < 1000 and "\x1b" not in err
    assert time.monotonic() - began < 10


def test_a_control_character_in_a_file_name_is_escaped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    name = tmp_path / "evil\x1b]0;owned\x07.json"
    code, _, err = _main(capsys, ["check", "--post", str(name)])
    _one_error_line(code, err, "evil\\x1b]0;owned\\x07.json")
    assert "\x1b" not in err and "\x07" not in err


def test_a_five_megabyte_value_in_a_rules_file_costs_one_short_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rules = tmp_path / "mine.toml"
    rules.write_text('[platforms.x.caption]\ncounting = "' + "b" * 5_000_000 + '"\n')
    code, _, err = _main(capsys, ["check", "-p", "x", "--caption", "hi", "--rules", str(rules)])
    _one_error_line(code, err, str(rules), "'caption.counting'")
    assert len(err) < 1000


def test_a_rules_file_with_thousands_of_problems_costs_one_short_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Each problem was listed: 1 MB of bad limits gave a 7 MB line. The API keeps them all."""
    rules = tmp_path / "mine.toml"
    rules.write_text("".join(f"[platforms.p{n}.image]\nmax_pixels = 0\n" for n in range(500)))
    with pytest.raises(RuleConfigError) as caught:
        mediarules.check([], platforms="x", rules=rules)
    problems = len(str(caught.value).splitlines())
    assert problems >= 1000
    code, _, err = _main(capsys, ["check", "-p", "x", "--caption", "hi", "--rules", str(rules)])
    _one_error_line(code, err, str(rules), "'image.max_pixels'")
    assert err.rstrip().endswith(f"(and {problems - 10:,} more problems)")
    assert len(err) < 3000


def test_a_grapheme_longer_than_a_whole_post_is_cut_not_a_crash(tmp_path: Path) -> None:
    """X threads long captions; one cluster of 401 code points cannot start any post of a
    thread, so the planner truncates instead (it raised ValueError out of split_text)."""
    from mediarules import apply_fixes, plan_fixes

    caption = "a" + "\u0301" * 400 + " hello"
    plan = plan_fixes([], platforms=["x"], caption=caption)
    (platform,) = plan.platforms
    assert platform.text == "truncate"
    result = apply_fixes(plan, tmp_path / "out", unsafe=True)
    assert all(post.report is not None and post.report.ok for post in result.posts)


def test_a_rules_table_of_too_many_platforms_is_refused_before_validation(tmp_path: Path) -> None:
    """200,000 platforms took two minutes and 2.4 GB to validate; past 1,000 it is one line."""
    from mediarules.ruleset import MAX_PLATFORMS, RuleConfigError, load_rules

    many = tmp_path / "many.toml"
    many.write_text(
        "".join(f'[platforms.p{i}]\nname = "P{i}"\nsource = "s"\n' for i in range(MAX_PLATFORMS))
    )
    with pytest.raises(
        RuleConfigError, match=r"[0-9,]+ platforms and post types; .* at most 1,000"
    ):
        load_rules(many)
