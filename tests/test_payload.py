"""The scheduler's create-post body: parsing, checking its media without files, and the
scheduled-before-upload pitfall of the seed's Upload Flow."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

import mediarules
from mediarules import Applicability, Report, Severity
from mediarules.inputs.payload import (
    PayloadError,
    PayloadMedia,
    PostPayload,
    load_payload,
    payload_media,
    platform_names,
    scheduled_before_upload,
)

MEDIA_ID = "65f8a1b2c3d4e5f6a7b8c9d0"

PHOTO: dict[str, Any] = {
    "fileName": "my photo (1).jpg",
    "contentType": "image/jpeg",
    "type": "image",
    "mediaId": MEDIA_ID,
    "url": "https://brandcraft-media.s3.amazonaws.com/images/1710500000000-my_photo_1.jpg",
    "metadata": {
        "size": "245760",
        "width": "1200",
        "height": "675",
        "aspectRatio": "16:9",
        "format": "unknown",
    },
}
UNTYPED_VIDEO: dict[str, Any] = {  # as process-video stores it: mimeType inside metadata
    "fileName": "promo-video.mp4",
    "metadata": {
        "mimeType": "video/mp4",
        "width": 1080,
        "height": 1920,
        "frameRate": "30.000",
        "codecName": "h264",
        "bitRate": "4000000",
        "duration": "12.5",
        "format": "unknown",
    },
}
OCTET_STREAM: dict[str, Any] = {
    "fileName": "banner.png",
    "contentType": "application/octet-stream",
    "type": "image",
    "metadata": {"width": 1500, "height": 500},
}


def seed_body(**extra: Any) -> dict[str, Any]:
    """The seed's create-post body (JavaScript and Python examples) with media records."""
    return {
        "content": "Check out our new product! 🚀",
        "platforms": ["twitter-123456789", "linkedin-ABC123"],
        "media": [PHOTO, UNTYPED_VIDEO, OCTET_STREAM],
        **extra,
    }


def codes(report: Report, platform: str | None = None) -> list[str]:
    return [v.code for v in report.violations if platform is None or v.platform == platform]


@pytest.fixture
def no_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything tries to inspect a file."""

    def refuse(path: object) -> mediarules.MediaFacts:
        raise AssertionError(f"a file was read: {path}")

    monkeypatch.setattr("mediarules.inputs.intake.inspect", refuse)


def check(payload: PostPayload) -> Report:
    return mediarules.check(
        payload_media(payload),
        platforms=platform_names(payload.platforms),
        caption=payload.content,
        title=payload.title,
    )


# -- the seed's body, checked from metadata alone -------------------------------------------


@pytest.mark.usefixtures("no_files")
def test_seed_body_parses_and_checks_without_files(tmp_path: Path) -> None:
    assert not (Path.cwd() / PHOTO["fileName"]).exists()
    payload = PostPayload.model_validate(seed_body(postGroupId="507f1f77bcf86cd799439011"))
    assert payload.content == "Check out our new product! 🚀"
    assert platform_names(payload.platforms) == ["twitter", "linkedin"]
    assert [m.path for m in payload_media(payload)] == [None, None, None]

    report = check(payload)
    found = codes(report)
    assert "media.unreadable" not in found and "media.empty" not in found
    assert [f.path for f in report.media] == ["my photo (1).jpg", "promo-video.mp4", "banner.png"]
    assert [f.kind for f in report.media] == ["image", "video", "image"]
    assert report.media[1].fps == 30 and report.media[1].video_codec == "h264"

    upload = {(v.code, v.media_index): v for v in report.violations if v.platform == "all"}
    renamed = upload["media.filename_changed", 0]
    assert renamed.limit == "my_photo_1.jpg" and "my_photo_1.jpg" in renamed.message
    assert upload["media.type_missing", 1].severity is Severity.ERROR
    assert upload["media.content_type_invalid", 2].actual == "application/octet-stream"
    # the mixed post breaks X's and LinkedIn's rules: images or one video, never both
    assert "post.mixed_media_not_allowed" in codes(report, "x")
    assert "post.mixed_media_not_allowed" in codes(report, "linkedin")


@pytest.mark.usefixtures("no_files")
def test_tiktok_record_at_20_fps_is_too_slow() -> None:
    video = {
        "fileName": "promo-video.mp4",
        "contentType": "video/mp4",
        "type": "video",
        "mediaId": MEDIA_ID,
        "metadata": {
            "width": "1080",
            "height": "1920",
            "frameRate": "20",
            "codecName": "avc1",
            "duration": "15.0",
            "size": "5242880",
            "format": "unknown",
        },
    }
    payload = PostPayload.model_validate({"platforms": ["tiktok-7012345"], "media": [video]})
    report = check(payload)
    assert codes(report) == ["video.fps_too_low"]
    violation = report.violations[0]
    assert violation.platform == "tiktok" and violation.media_index == 0
    assert violation.actual == 20 and violation.limit == 23


def test_missing_file_name_on_disk_is_not_read() -> None:
    """Without the monkeypatch too: a record that names a file not on disk is not opened."""
    payload = PostPayload.model_validate(
        {"platforms": ["x"], "media": [{**PHOTO, "fileName": "nowhere/absent-1234.jpg"}]}
    )
    report = check(payload)
    assert "media.unreadable" not in codes(report)
    assert report.media[0].width == 1200


def test_a_local_path_is_inspected(tmp_path: Path) -> None:
    payload = PostPayload.model_validate(
        {"platforms": ["x"], "media": [{**PHOTO, "path": str(tmp_path / "gone.jpg")}]}
    )
    assert payload_media(payload)[0].path == tmp_path / "gone.jpg"
    assert "media.unreadable" in codes(check(payload))


# -- parsing ------------------------------------------------------------------------------


def test_top_level_content_type_wins_over_mime_types() -> None:
    both = {"mimeType": "image/png", "metadata": {"mimeType": "image/gif"}}
    assert PayloadMedia.model_validate(both).to_media_ref().content_type == "image/png"
    declared = {"contentType": "image/jpeg", **both}
    assert PayloadMedia.model_validate(declared).to_media_ref().content_type == "image/jpeg"
    nested = {"metadata": {"mimeType": "video/mp4"}}
    assert PayloadMedia.model_validate(nested).to_media_ref().content_type == "video/mp4"
    assert PayloadMedia.model_validate({}).to_media_ref().content_type is None


def test_numbers_as_strings() -> None:
    media = PayloadMedia.model_validate(
        {
            "type": "video",
            "metadata": {
                "size": "1048576",
                "width": " 1920 ",
                "height": "1080.0",
                "frameRate": "29.970",
                "bitRate": "8000000",
                "duration": "61.25",
            },
        }
    )
    ref = media.to_media_ref()
    assert (ref.size, ref.width, ref.height) == (1048576, 1920, 1080)
    assert ref.frame_rate == Fraction(2997, 100)
    assert ref.bit_rate == 8_000_000 and ref.duration == 61.25


def test_ntsc_frame_rate_as_fraction_string() -> None:
    media = PayloadMedia.model_validate({"metadata": {"frameRate": "30000/1001"}})
    assert media.to_media_ref().frame_rate == Fraction(30000, 1001)


def test_blank_numbers_are_absent() -> None:
    meta = PayloadMedia.model_validate({"metadata": {"width": "", "duration": " "}}).metadata
    assert meta is not None and meta.width is None and meta.duration is None


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({"format": "unknown"}, "jpeg"),  # from the content type
        ({"format": "UNKNOWN"}, "jpeg"),
        ({}, "jpeg"),
        ({"format": "png"}, "png"),  # a real format is believed (and mismatches are reported)
    ],
)
def test_unknown_format_falls_back_to_content_type(metadata: dict[str, str], expected: str) -> None:
    record = {"fileName": "a.jpg", "contentType": "image/jpeg", "metadata": metadata}
    ref = PayloadMedia.model_validate(record).to_media_ref()
    assert ref.format == (None if expected == "jpeg" else expected)
    report = mediarules.check([ref], platforms="x")
    assert report.media[0].format == expected


def test_s3_key_file_name_is_reduced_to_its_name() -> None:
    record = {"fileName": "images/1710500000000-product-photo.jpg", "type": "image"}
    ref = PayloadMedia.model_validate(record).to_media_ref()
    assert ref.file_name == "1710500000000-product-photo.jpg"
    assert "media.filename_changed" not in codes(mediarules.check([ref], platforms="x"))


def test_unknown_keys_are_ignored_and_snake_case_accepted() -> None:
    payload = PostPayload.model_validate(
        {
            "platforms": ["x"],
            "postGroupId": "507f1f77bcf86cd799439011",
            "scheduled_time": "2026-03-01T14:00:00.000Z",
            "media": [{"file_name": "a.jpg", "media_id": "m1", "addedAt": "2026-02-01"}],
        }
    )
    assert payload.scheduled_time == datetime(2026, 3, 1, 14, tzinfo=UTC)
    assert payload.media[0].file_name == "a.jpg" and payload.media[0].media_id == "m1"
    with pytest.raises(ValueError, match="frozen"):
        payload.status = "draft"


@pytest.mark.parametrize(
    ("ids", "names"),
    [
        (["twitter-123456789", "linkedin-ABC123"], ["twitter", "linkedin"]),
        (["tiktok", "TikTok-99", "x-1-2"], ["tiktok", "x"]),
        (["Twitter-1", "twitter-2", " linkedin-3 ", ""], ["twitter", "linkedin"]),
        ([], []),
    ],
)
def test_platform_names(ids: list[str], names: list[str]) -> None:
    assert platform_names(ids) == names


def test_platform_names_refuses_one_string() -> None:
    with pytest.raises(TypeError):
        platform_names("twitter-123")


def test_platform_names_resolve_through_the_rules_table() -> None:
    report = mediarules.check([], platforms=platform_names(["twitter-1", "tiktok-2"]))
    assert {v.platform for v in report.violations} <= {"x", "tiktok"}


# -- scheduled before upload ----------------------------------------------------------------


def uploaded(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "mediaId": MEDIA_ID}


def test_scheduled_post_with_a_media_not_uploaded() -> None:
    payload = PostPayload.model_validate(
        {
            "platforms": ["x"],
            "status": "scheduled",
            "scheduledTime": "2026-03-01T14:00:00.000Z",
            "media": [PHOTO, UNTYPED_VIDEO, uploaded(OCTET_STREAM)],
        }
    )
    findings = scheduled_before_upload(payload)
    assert len(findings) == 1
    finding = findings[0]
    assert finding.code == "post.scheduled_before_upload" and finding.media_index == 1
    assert finding.severity is Severity.WARNING
    assert "promo-video.mp4" in finding.message and "2026-03-01T14:00:00Z" in finding.message
    assert finding.source is not None and finding.source.startswith("seed: Upload Media")
    assert finding.fix is not None and finding.fix.applicability is Applicability.MANUAL
    assert finding.fix.title == "Create the post as a draft, upload the media, then schedule it"
    assert finding.code in mediarules.CODES


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"status": "scheduled"}, [0, 1]),
        ({"status": "Scheduled"}, [0, 1]),
        ({"scheduledTime": "2026-03-01T14:00:00Z"}, [0, 1]),
        ({"status": "pending", "scheduledTime": "2026-03-01T14:00:00Z"}, [0, 1]),
        ({"status": "draft", "scheduledTime": "2026-03-01T14:00:00Z"}, []),
        ({"status": "draft"}, []),
        ({}, []),
        ({"scheduledTime": ""}, []),
    ],
)
def test_when_a_post_counts_as_scheduled(fields: dict[str, str], expected: list[int]) -> None:
    media = [{"fileName": "a.jpg"}, {"fileName": "b.jpg", "mediaId": ""}, uploaded(PHOTO)]
    payload = PostPayload.model_validate({"platforms": ["x"], "media": media, **fields})
    assert [f.media_index for f in scheduled_before_upload(payload)] == expected


def test_scheduled_with_everything_uploaded_or_no_media() -> None:
    body = {"platforms": ["x"], "status": "scheduled"}
    done = PostPayload.model_validate({**body, "media": [uploaded(PHOTO), uploaded(OCTET_STREAM)]})
    assert scheduled_before_upload(done) == []
    assert scheduled_before_upload(PostPayload.model_validate(body)) == []


def test_unnamed_media_is_named_by_position() -> None:
    payload = PostPayload.model_validate(
        {"platforms": ["x"], "status": "scheduled", "media": [uploaded(PHOTO), {}]}
    )
    (finding,) = scheduled_before_upload(payload)
    assert finding.message.startswith("media item 2 has no mediaId")


# -- load_payload ---------------------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "post.json") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_payload_reads_the_body(tmp_path: Path) -> None:
    path = write(tmp_path, json.dumps(seed_body(status="draft"), ensure_ascii=False, indent=2))
    payload = load_payload(path)
    assert payload.status == "draft" and len(payload.media) == 3
    assert load_payload(str(path)) == payload


def test_load_payload_accepts_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"platforms": ["x"]}).encode())
    assert load_payload(path).platforms == ["x"]


def one_line_error(path: Path) -> str:
    with pytest.raises(PayloadError) as info:
        load_payload(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}: ")
    assert isinstance(info.value, ValueError)
    return message.removeprefix(f"{path}: ")


def test_bad_json_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, '{\n  "platforms": ["x"],\n  "content": "hi",,\n}\n')
    message = one_line_error(path)
    assert message.startswith("invalid JSON at line 3 column ")


def test_wrong_type_names_the_json_path(tmp_path: Path) -> None:
    body = seed_body()
    body["media"] = [PHOTO, {**OCTET_STREAM, "metadata": {"width": "wide"}}]
    message = one_line_error(write(tmp_path, json.dumps(body)))
    assert message.startswith("media[1].metadata.width: Input should be a valid integer")
    assert message.endswith('(got "wide")')


def test_every_problem_is_counted_in_one_line(tmp_path: Path) -> None:
    body = {"media": [{"type": "gif", "metadata": {"height": "tall", "size": True}}]}
    message = one_line_error(write(tmp_path, json.dumps(body)))
    assert message == "platforms: Field required (and 3 more problems)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[1, 2]", "expected a JSON object (the create-post body), got an array"),
        ('{"platforms": "x"}', 'platforms: Input should be a valid list (got "x")'),
        (
            '{"platforms": ["x"], "media": {}}',
            "media: Input should be a valid list (got an object)",
        ),
        ('{"platforms": ["x"], "media": [{"type": "gif"}]}', "media[0].type: Input should be"),
        ('{"platforms": ["x"], "media": ["a.jpg"]}', "media[0]: Input should be a JSON object"),
        (
            '{"platforms": ["x"], "media": [{"metadata": {"frameRate": "fast"}}]}',
            "media[0].metadata.frameRate: not a frame rate: 'fast'",
        ),
        (" \n", "the file is empty"),
        (
            '{"platforms": ["x"], "media": [{"metadata": {"frameRate": NaN}}]}',
            "invalid JSON: NaN is not a JSON number",
        ),
        (
            '{"platforms": ["x"], "scheduledTime": "tomorrow"}',
            "scheduledTime: Input should be a valid datetime",
        ),
    ],
)
def test_shape_errors(tmp_path: Path, text: str, expected: str) -> None:
    assert one_line_error(write(tmp_path, text)).startswith(expected)


def test_missing_file(tmp_path: Path) -> None:
    assert one_line_error(tmp_path / "absent.json") == "cannot read: No such file or directory"


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"content": "caf\xe9", "platforms": ["x"]}')
    assert one_line_error(path).startswith("not UTF-8 text")


def test_an_unreadable_record_value_is_not_a_crash() -> None:
    with pytest.raises(ValueError, match="frame rate"):
        PayloadMedia.model_validate({"metadata": {"frameRate": "fast"}})
    with pytest.raises(ValueError, match="finite"):
        PayloadMedia.model_validate({"metadata": {"frameRate": float("inf")}})


# -- check_payload and `check --post` -----------------------------------------------------


@pytest.mark.usefixtures("no_files")
def test_check_payload_reports_the_schedule_pitfall_once() -> None:
    body = seed_body(status="scheduled", scheduledTime="2026-03-01T14:00:00.000Z")
    report = mediarules.check_payload(body)
    scheduled = [v for v in report.violations if v.code == "post.scheduled_before_upload"]
    assert [(v.platform, v.media_index, v.severity) for v in scheduled] == [
        ("all", 1, Severity.WARNING),
        ("all", 2, Severity.WARNING),
    ]
    assert {v.platform for v in report.violations} <= {"all", "x", "linkedin"}
    assert "post.mixed_media_not_allowed" in codes(report, "x")
    # the same post as a draft: nothing about scheduling
    assert "post.scheduled_before_upload" not in codes(mediarules.check_payload(seed_body()))


@pytest.mark.usefixtures("no_files")
def test_check_payload_platforms_can_be_chosen() -> None:
    report = mediarules.check_payload(seed_body(), platforms="telegram")
    assert {v.platform for v in report.violations} <= {"all", "telegram"}


def test_check_post_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mediarules.cli import main

    post = write(tmp_path, json.dumps(seed_body(status="scheduled")))
    code = main(["check", "--post", str(post), "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1  # the untyped video fails the upload
    assert data == mediarules.check_payload(post).model_dump(mode="json")
    assert "media.type_missing" in [v["code"] for v in data["violations"]]
    code = main(["check", "--post", str(post), "-p", "bluesky", "--caption", "hi"])
    out = capsys.readouterr().out
    assert "Bluesky" in out and "LinkedIn" not in out
    code = main(["check", "--post", str(post), str(post)])
    assert code == 2 and "not both" in capsys.readouterr().err
    broken = write(tmp_path, "{", "broken.json")
    code = main(["check", "--post", str(broken)])
    err = capsys.readouterr().err
    assert code == 2 and "broken.json: invalid JSON" in err and err.count("\n") == 1
    code = main(["check"])
    assert code == 2 and "--platform" in capsys.readouterr().err
