"""A Mastodon server's and a TikTok creator's own limits, and Mastodon's content warning."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

import mediarules
from mediarules import MediaFacts
from mediarules.cli import main
from mediarules.inputs.instances import mastodon_instance_layer, tiktok_creator_layer
from mediarules.ruleset import RuleConfigError, load_rules

# Shaped like a real /api/v2/instance answer (Mastodon 4.x), for a server that raised limits.
INSTANCE: dict[str, Any] = {
    "domain": "big.example",
    "title": "Big",
    "version": "4.3.0",
    "configuration": {
        "urls": {"streaming": "wss://big.example"},
        "statuses": {
            "max_characters": 5000,
            "max_media_attachments": 8,
            "characters_reserved_per_url": 23,
        },
        "media_attachments": {
            "supported_mime_types": [
                "image/jpeg", "image/png", "image/gif", "image/heic", "image/webp",
                "video/webm", "video/mp4", "video/quicktime", "audio/mpeg",
            ],
            "image_size_limit": 10485760,
            "image_matrix_limit": 16777216,
            "video_size_limit": 41943040,
            "video_frame_rate_limit": 60,
            "video_matrix_limit": 2304000,
        },
    },
}  # fmt: skip

VIDEO = MediaFacts(
    kind="video", format="mp4", width=1280, height=720, size=1_000_000, fps=Fraction(30),
    duration_s=10, video_codec="h264", audio_codec="aac",
)  # fmt: skip


def codes(report: mediarules.Report) -> list[str]:
    return [v.code for v in report.violations]


def test_instance_limits_replace_the_defaults() -> None:
    rules = load_rules(layers=[mastodon_instance_layer(INSTANCE, label="big.json")])
    mastodon = rules.platforms["mastodon"]
    assert mastodon.caption.max_length == 5000
    assert (mastodon.post.max_items, mastodon.post.max_images) == (8, 8)
    assert mastodon.video.max_fps == 60 and mastodon.video.max_pixels == 2304000
    assert mastodon.image.formats == ["jpeg", "png", "gif", "heif", "webp"]
    assert mastodon.video.containers == ["webm", "mp4", "mov"]
    assert mastodon.alt_text is not None and mastodon.alt_text.max_length == 1500  # not stated
    assert mastodon.caption.source_of("max_length", "") == (
        "big.json: big.example configuration.statuses.max_characters"
    )

    long_caption = "a" * 1000
    assert "caption.too_long" in codes(mediarules.check([], platforms="mastodon",
                                                        caption=long_caption))  # fmt: skip
    assert mediarules.check([], platforms="mastodon", caption=long_caption, rules=rules).ok
    fast = VIDEO.model_copy(update={"fps": Fraction(90)})
    assert mediarules.check([fast], platforms="mastodon").ok  # upstream default: 120 fps
    slow_server = mediarules.check([fast], platforms="mastodon", rules=rules)
    assert codes(slow_server) == ["video.fps_too_high"]
    assert slow_server.violations[0].source == (
        "big.json: big.example configuration.media_attachments.video_frame_rate_limit"
    )


def test_heic_stays_a_conversion_on_a_server_that_lists_it() -> None:
    rules = load_rules(layers=[mastodon_instance_layer(INSTANCE, label="big.json")])
    heic = MediaFacts(kind="image", format="heif", width=100, height=100, size=1000)
    assert codes(mediarules.check([heic], platforms="mastodon", rules=rules)) == [
        "image.format_converted"
    ]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"domain": "x"}, "no 'configuration' object"),
        ([], "no 'configuration' object"),
        ({"configuration": {"statuses": {"max_characters": "lots"}}}, "whole number"),
    ],
)
def test_bad_instance_documents(document: Any, message: str) -> None:
    with pytest.raises(RuleConfigError, match=message):
        mastodon_instance_layer(document, label="i.json")


def test_tiktok_creator_duration() -> None:
    info = {"data": {"max_video_post_duration_sec": 300, "privacy_level_options": ["SELF_ONLY"]}}
    rules = load_rules(layers=[tiktok_creator_layer(info, label="creator.json")])
    clip = VIDEO.model_copy(update={"width": 720, "height": 1280, "duration_s": 400.0})
    assert mediarules.check([clip], platforms="tiktok").ok  # API default: 10 min
    report = mediarules.check([clip], platforms="tiktok", rules=rules)
    assert codes(report) == ["video.duration_too_long"]
    assert report.violations[0].limit == 300
    with pytest.raises(RuleConfigError, match="max_video_post_duration_sec"):
        tiktok_creator_layer({"data": {}}, label="creator.json")


def test_user_rules_have_the_last_word(tmp_path: Path) -> None:
    mine = tmp_path / "mine.toml"
    mine.write_text("[platforms.mastodon.caption]\nmax_length = 700\n")
    rules = load_rules(mine, layers=[mastodon_instance_layer(INSTANCE, label="big.json")])
    assert rules.platforms["mastodon"].caption.max_length == 700
    assert rules.platforms["mastodon"].post.max_items == 8


def test_mastodon_counts_the_content_warning() -> None:
    text = "a" * 480
    assert mediarules.check([], platforms="mastodon", caption=text).ok
    report = mediarules.check([], platforms="mastodon", caption=text,
                              content_warning="spoilers for the finale")  # fmt: skip
    (violation,) = report.violations
    assert violation.code == "caption.too_long" and violation.actual == 503
    assert "content warning" in violation.message
    assert violation.fix is not None and violation.fix.steps[0].params["limit"] == 477
    # other platforms have no content warning to count
    assert mediarules.check([], platforms="threads", caption=text[:500],
                            content_warning="x" * 100).ok  # fmt: skip


def test_cli_flags(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    instance = tmp_path / "instance.json"
    instance.write_text(json.dumps(INSTANCE))
    code = main(["check", "-p", "mastodon", "--caption", "a" * 1000,
                 "--mastodon-instance", str(instance)])  # fmt: skip
    assert code == 0
    capsys.readouterr()
    code = main(["rules", "mastodon", "--mastodon-instance", str(instance), "--format", "json"])
    out = capsys.readouterr().out
    assert code == 0 and json.loads(out)["platforms"]["mastodon"]["caption"]["max_length"] == 5000
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    code = main(["check", "-p", "mastodon", "--mastodon-instance", str(broken)])
    err = capsys.readouterr().err
    assert code == 2 and "broken.json: invalid JSON" in err and err.count("\n") == 1
    code = main(["check", "-p", "tiktok", "--tiktok-creator-info", str(tmp_path / "none.json")])
    assert code == 2 and "file not found" in capsys.readouterr().err
    code = main(["check", "-p", "mastodon", "--caption", "a" * 480,
                 "--content-warning", "cw " * 10])  # fmt: skip
    assert code == 1
