"""Evidence decides severity: every limit says how it is known (official, publisher or
third-party), only the first two can refuse a post, and ``rules`` shows it per key."""

from __future__ import annotations

import json
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest

import mediarules
from mediarules import MediaFacts, MediaRef, Severity
from mediarules.cli import main
from mediarules.engine import THIRD_PARTY_NOTE
from mediarules.outputs.render import limits_of
from mediarules.ruleset import RuleConfigError, load_rules
from tests.media import make_video

RULES = load_rules()


def test_every_limit_of_the_shipped_table_says_how_it_is_known() -> None:
    for key, platform in RULES.platforms.items():
        for limit in limits_of(platform):
            where = f"{key} {limit.section}.{limit.key}"
            assert limit.evidence in ("official", "publisher", "third-party"), where
            assert limit.verified is not None, where
            assert limit.source, where


THIRD_PARTIES = ("ayrshare", "swat.io", "postiz", "mixpost", "getlate", "postsyncer", "publer")


def test_evidence_agrees_with_the_source_text() -> None:
    """A source that says it is unconfirmed, or that is another scheduler's, is never
    official; a publisher limit cites the seed."""
    for key, platform in RULES.platforms.items():
        for limit in limits_of(platform):
            where = f"{key} {limit.section}.{limit.key}: {limit.source}"
            text = limit.source.lower()
            if "unconfirmed" in text or text.startswith(THIRD_PARTIES):
                assert limit.evidence == "third-party", where
            if limit.evidence == "publisher":
                assert "seed" in text, where


@pytest.mark.parametrize(
    ("platform", "section", "key"),
    [
        ("tiktok", "video", "min_duration_s"),
        ("x", "image", "min_width"),
        ("x", "image", "max_height"),
        ("linkedin", "video", "min_aspect_ratio"),
        ("linkedin", "video", "max_aspect_ratio"),
        ("facebook:reel", "video", "max_size_bytes"),
        ("facebook", "caption", "max_length"),
        ("facebook", "video", "max_size_bytes"),
        ("x:premium", "caption", "max_length"),
    ],
)
def test_the_third_party_figures_the_issue_names(platform: str, section: str, key: str) -> None:
    _, evidence, verified = RULES.platforms[platform].cite(section, key)
    assert evidence == "third-party"
    assert verified == date(2026, 12, 6)


@pytest.mark.parametrize(
    ("platform", "section", "key", "evidence"),
    [
        ("tiktok", "video", "max_duration_s", "official"),
        ("tiktok", "video", "containers", "publisher"),
        ("tiktok", "post", "images_allowed", "publisher"),
        ("x", "image", "preferred", "publisher"),
        ("x", "image", "max_size_bytes", "official"),
        ("mastodon", "image", "max_size_bytes", "official"),
        ("bluesky", "image", "converted", "publisher"),
        ("facebook:reel", "video", "min_fps", "official"),
        ("facebook:story", "image", "max_size_bytes", "official"),
    ],
)
def test_official_and_publisher_limits(
    platform: str, section: str, key: str, evidence: str
) -> None:
    assert RULES.platforms[platform].cite(section, key)[1] == evidence


def test_a_variant_cites_the_keys_it_sets_and_keeps_the_base_for_the_rest() -> None:
    """x:premium's caption limit is a third party's; the counting it inherits is X's own."""
    premium = RULES.platforms["x:premium"]
    source, evidence, _ = premium.cite("caption", "max_length")
    assert evidence == "third-party" and "postiz" in source
    source, evidence, _ = premium.cite("caption", "counting")
    assert evidence == "official" and "twitter-text" in source
    source, evidence, _ = premium.cite("video", "max_size_bytes")
    assert evidence == "official" and "Premium" in source
    reel = RULES.platforms["facebook:reel"]
    assert reel.cite("video", "video_codecs")[1] == "official"  # set by the Reels guide
    assert RULES.platforms["facebook"].cite("video", "video_codecs")[1] == "third-party"


# -- severity ---------------------------------------------------------------------------------


def test_a_broken_third_party_limit_warns_and_says_why(tmp_path: Path) -> None:
    """A real 2-second clip: LinkedIn's 3 s minimum is in its Videos API (an error); TikTok's
    rests on third-party pages only (a warning that says so)."""
    clip = make_video(tmp_path / "short.mp4", fps=30, duration_s=2.0, size=(720, 1280))
    report = mediarules.check([clip], platforms=["tiktok", "linkedin"])
    (tiktok,) = [v for v in report.for_platform("tiktok") if v.code == "video.duration_too_short"]
    (linkedin,) = [
        v for v in report.for_platform("linkedin") if v.code == "video.duration_too_short"
    ]
    assert tiktok.severity is Severity.WARNING and tiktok.evidence == "third-party"
    assert tiktok.message.endswith(THIRD_PARTY_NOTE)
    assert "third-party figure" in tiktok.message
    assert linkedin.severity is Severity.ERROR and linkedin.evidence == "official"
    assert THIRD_PARTY_NOTE not in linkedin.message
    assert tiktok.fix == linkedin.fix  # the same fix is offered either way
    tiktok_alone = mediarules.check([clip], platforms="tiktok")
    assert tiktok_alone.ok  # nothing the platform documents is broken


def test_the_same_limit_stated_as_official_is_an_error(tmp_path: Path) -> None:
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text(
        '[platforms.tiktok.video]\nevidences.min_duration_s = "official"\n', encoding="utf-8"
    )
    short = MediaFacts(kind="video", format="mp4", size=10**6, width=720, height=1280,
                       fps=Fraction(30), duration_s=2.0, video_codec="h264",
                       audio_codec="aac")  # fmt: skip
    (found,) = [
        v
        for v in mediarules.check([short], platforms="tiktok", rules=rules_file).violations
        if v.code == "video.duration_too_short"
    ]
    assert found.severity is Severity.ERROR and found.evidence == "official"


def test_x_image_bounds_warn_outside_4_to_8192_px() -> None:
    tiny = MediaRef(file_name="dot.png", content_type="image/png", type="image", width=2,
                    height=2, size=100)  # fmt: skip
    huge = tiny.model_copy(update={"width": 9000, "height": 9000, "size": 4_000_000})
    for ref, code in ((tiny, "image.too_small"), (huge, "image.too_large")):
        report = mediarules.check([ref], platforms="x")
        (found,) = [v for v in report.violations if v.code == code]
        assert found.severity is Severity.WARNING and found.evidence == "third-party"
        assert report.ok


def test_violations_outside_the_table_have_no_evidence(tmp_path: Path) -> None:
    named = tmp_path / "photo.jpg"
    named.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)  # a PNG signature, unreadable
    report = mediarules.check([named], platforms="x")
    assert all(v.evidence is None for v in report.for_platform("all"))


# -- validation -------------------------------------------------------------------------------


def _load(tmp_path: Path, text: str) -> str:
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text(text, encoding="utf-8")
    with pytest.raises(RuleConfigError) as caught:
        load_rules(rules_file)
    return str(caught.value)


def test_evidences_must_name_real_keys(tmp_path: Path) -> None:
    message = _load(tmp_path, '[platforms.x.image]\nevidences.max_widht = "official"\n')
    assert "evidences names unknown key 'max_widht'" in message
    assert "did you mean 'max_width'" in message
    message = _load(tmp_path, "[platforms.x.image]\nverifieds.max_widht = 2026-12-06\n")
    assert "verifieds names unknown key 'max_widht'" in message


def test_evidence_takes_three_values(tmp_path: Path) -> None:
    message = _load(tmp_path, '[platforms.x.image]\nevidence = "oficial"\n')
    assert "platform 'x', key 'image.evidence'" in message and "'official'" in message
    message = _load(tmp_path, '[platforms.x.image]\nevidences.max_width = "blog"\n')
    assert "image.evidences.max_width" in message


def test_a_variants_evidence_is_checked_where_it_is_written(tmp_path: Path) -> None:
    message = _load(
        tmp_path,
        '[platforms.x.variants.pro]\nsource = "ours"\nevidence = "third_party"\n'
        "[platforms.x.variants.pro.caption]\nmax_length = 9000\n",
    )
    assert "platform 'x:pro', key 'evidence'" in message
    assert "did you mean 'third-party'" in message
    message = _load(
        tmp_path,
        '[platforms.x.variants.pro]\nsource = "ours"\n'
        '[platforms.x.variants.pro.caption]\nmax_length = 9000\nevidence = "oficial"\n',
    )
    assert "key 'caption.evidence'" in message and "did you mean 'official'" in message


def test_exclusive_names_a_size_key(tmp_path: Path) -> None:
    message = _load(tmp_path, '[platforms.x.image]\nexclusive = ["max_size_bites"]\n')
    assert "exclusive names unknown key 'max_size_bites'" in message
    assert "did you mean 'max_size_bytes'" in message
    message = _load(tmp_path, '[platforms.x.image]\nexclusive = ["max_width"]\n')
    assert "'max_width' is always compared inclusively" in message
    assert "max_animated_size_bytes, max_size_bytes" in message


def test_a_variant_without_evidence_keeps_the_base_one(tmp_path: Path) -> None:
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text(
        '[platforms.tiktok.variants.long]\nsource = "our creator_info"\n'
        "[platforms.tiktok.variants.long.video]\nmax_duration_s = 900\n",
        encoding="utf-8",
    )
    long = load_rules(rules_file).platforms["tiktok:long"]
    assert long.cite("video", "max_duration_s") == ("our creator_info", "official",
                                                      date(2026, 9, 1))  # fmt: skip


# -- what `rules` shows -----------------------------------------------------------------------


def test_rules_text_shows_evidence_source_and_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "tiktok"]) == 0
    out = capsys.readouterr().out
    assert "evidence" in out and "verified" in out
    line = next(row for row in out.splitlines() if "min_duration_s" in row)
    assert "third-party" in line and "2026-12-06" in line and "ayrshare" in line
    assert main(["rules", "mastodon"]) == 0
    out = capsys.readouterr().out
    sizes = [row for row in out.splitlines() if "max_size_bytes" in row]
    assert sizes and all("< " in row for row in sizes)  # strict: shown as "< 16,777,216"


def test_rules_json_lists_every_limit_with_its_citation(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "mastodon", "instagram", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)["platforms"]
    limits = {(lim["section"], lim["key"]): lim for lim in data["mastodon"]["limits"]}
    size = limits["image", "max_size_bytes"]
    assert size["value"] == 16_777_216 and size["comparison"] == "exclusive"
    assert size["evidence"] == "official" and "less_than" in size["source"]
    assert size["verified"] == "2026-12-06"
    ratio = {(lim["section"], lim["key"]): lim for lim in data["instagram"]["limits"]}
    assert ratio["image", "max_aspect_ratio"]["comparison"] == "inclusive, within 1%"
    assert ratio["video", "max_duration_s"]["comparison"] == "inclusive, to the frame"
    assert ratio["image", "formats"]["comparison"] is None
    assert data["mastodon"]["image"]["exclusive"] == ["max_size_bytes"]  # the raw table too


# -- layers -----------------------------------------------------------------------------------


def test_a_mastodon_servers_limits_are_official_and_stay_strict(tmp_path: Path) -> None:
    instance = tmp_path / "instance.json"
    instance.write_text(json.dumps({"domain": "example.social", "configuration": {
        "media_attachments": {"image_size_limit": 10_485_760}}}), encoding="utf-8")  # fmt: skip
    from mediarules.inputs.instances import mastodon_instance_layer, read_json

    ruleset = load_rules(layers=[mastodon_instance_layer(read_json(instance), label="i.json")])
    source, evidence, _ = ruleset.platforms["mastodon"].cite("image", "max_size_bytes")
    assert evidence == "official" and "example.social" in source
    at_limit = MediaRef(file_name="a.jpg", content_type="image/jpeg", type="image",
                        width=100, height=100, size=10_485_760)  # fmt: skip
    report = mediarules.check([at_limit], platforms="mastodon", rules=ruleset)
    (found,) = [v for v in report.violations if v.code == "media.too_large"]
    assert found.severity is Severity.ERROR and "smaller than" in found.message


def test_strategies_know_a_third_party_limit_only_warns() -> None:
    from hypothesis.errors import InvalidArgument

    from mediarules.strategies import media_facts, posts

    with pytest.raises(InvalidArgument, match="third party"):
        posts("x", valid=False, violating="image.too_small")
    with pytest.raises(InvalidArgument, match="tiktok"):
        media_facts("tiktok", valid=False, violating="video.duration_too_short")
    posts("x", violating="image.too_small")  # it can still be broken (as a warning)


REALMEDIA = Path(__file__).resolve().parents[1].parent / "shared" / "realmedia"


@pytest.mark.skipif(not REALMEDIA.is_dir(), reason="no ../shared/realmedia here")
def test_real_short_videos_warn_on_tiktok_and_fail_on_linkedin() -> None:
    """Videos nobody on this project made: under 3 s, TikTok's third-party minimum warns
    where LinkedIn's own (its Videos API) refuses."""
    short = []
    for path in sorted((REALMEDIA / "androidx-media" / "mp4").glob("*.mp4")):
        try:
            facts = mediarules.inspect(path)
        except Exception:  # unreadable samples are another test's business
            continue
        if facts.kind == "video" and facts.duration_s is not None and facts.duration_s < 2.9:
            short.append(facts)
        if len(short) == 8:
            break
    if not short:
        pytest.skip("no short video among the samples")
    for facts in short:
        report = mediarules.check([facts], platforms=["tiktok", "linkedin"])
        found = {(v.platform, v.code): v.severity for v in report.violations}
        assert found[("tiktok", "video.duration_too_short")] is Severity.WARNING, facts.path
        assert found[("linkedin", "video.duration_too_short")] is Severity.ERROR, facts.path
