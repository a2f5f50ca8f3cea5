"""The rules table: it loads, every limit cites a source, and broken tables say where."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediarules.ruleset import (
    RuleConfigError,
    UnknownPlatformError,
    default_rules_path,
    load_rules,
)

SEED_PLATFORMS = {
    "x", "linkedin", "instagram", "threads", "tiktok",
    "youtube", "facebook", "bluesky", "mastodon", "telegram",
}  # fmt: skip


def test_default_table_has_the_ten_seed_platforms() -> None:
    rules = load_rules()
    assert {k for k, p in rules.platforms.items() if p.variant_of is None} == SEED_PLATFORMS
    assert rules.resolve("twitter") == "x"
    assert rules.resolve("Twitter") == "x"
    assert default_rules_path().name == "platforms.toml"


def test_every_limit_that_is_set_cites_a_source() -> None:
    rules = load_rules()
    for key, platform in rules.platforms.items():
        assert platform.source.strip(), key
        for name in ("post", "caption", "title", "image", "video", "alt_text", "account"):
            section = getattr(platform, name)
            if section is None:
                continue
            defaults = type(section)()
            for field in type(section).model_fields:
                if field in ("source", "sources") or getattr(section, field) == getattr(
                    defaults, field
                ):
                    continue
                source = section.source_of(field, "")
                assert source.strip(), f"{key}.{name}.{field} has no source"


def test_seed_figures_are_in_the_table() -> None:
    """The seed's 'Platform Media Limits' and 'Supported Formats', as a reader checks them."""
    rules = load_rules()
    p = rules.platforms
    assert p["x"].post.max_images == 4 and p["x"].post.max_videos == 1
    assert p["x"].image.preferred == ["png"]
    assert p["bluesky"].post.max_images == 4 and p["mastodon"].post.max_images == 4
    assert p["instagram"].post.max_items == 10
    assert p["instagram"].account is not None and "business" in p["instagram"].account.types
    for key in SEED_PLATFORMS:
        assert p[key].post.max_videos == 1, key
    for key in ("tiktok", "youtube"):
        assert p[key].post.video_required and not p[key].post.images_allowed
        assert p[key].video.containers == ["mp4"]
    assert p["tiktok"].video.min_fps == 23
    assert p["telegram"].caption.max_length == 1024
    for key in ("linkedin", "telegram", "bluesky", "threads"):
        assert p[key].image.converted.get("webp") == "jpeg", key
    for key in SEED_PLATFORMS:
        caption = p[key].caption
        assert caption.max_length is not None or caption.max_utf8_bytes is not None, key


def write(tmp_path: Path, text: str, name: str = "my-rules.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_override_merges_over_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "[platforms.tiktok.video]\nmin_fps = 30\n")
    rules = load_rules(path)
    assert rules.platforms["tiktok"].video.min_fps == 30
    # the rest of TikTok's table is still there
    assert rules.platforms["tiktok"].video.containers == ["mp4"]
    assert rules.platforms["tiktok"].video.max_fps == 60
    assert load_rules().platforms["tiktok"].video.min_fps == 23


def test_override_can_add_a_platform(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[platforms.pixelfed]\nname = "Pixelfed"\nsource = "our instance"\n'
        "[platforms.pixelfed.post]\nmax_images = 10\n",
    )
    rules = load_rules(path)
    assert rules.resolve("pixelfed") == "pixelfed"
    assert rules.platforms["pixelfed"].post.max_images == 10


def test_unknown_key_names_file_platform_key_and_suggests(tmp_path: Path) -> None:
    path = write(tmp_path, "[platforms.tiktok.video]\nmin_fsp = 30\n")
    with pytest.raises(RuleConfigError) as caught:
        load_rules(path)
    message = str(caught.value)
    assert str(path) in message
    assert "'tiktok'" in message
    assert "video.min_fsp" in message
    assert "did you mean 'min_fps'" in message
    assert "\n" not in message  # one problem, one line


def test_mistyped_value_names_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[platforms.x.post]\nmax_images = "four"\n')
    with pytest.raises(RuleConfigError, match=r"platform 'x', key 'post.max_images'"):
        load_rules(path)


def test_unknown_section_suggests_the_right_one(tmp_path: Path) -> None:
    path = write(tmp_path, "[platforms.x.vidoe]\nmax_fps = 30\n")
    with pytest.raises(RuleConfigError, match=r"did you mean 'video'"):
        load_rules(path)


def test_sources_must_name_real_keys(tmp_path: Path) -> None:
    path = write(tmp_path, '[platforms.x.video]\nsources.max_fsp = "somewhere"\n')
    with pytest.raises(RuleConfigError, match=r"max_fsp.*did you mean 'max_fps'"):
        load_rules(path)


def test_new_platform_without_required_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "[platforms.pixelfed.post]\nmax_images = 10\n")
    with pytest.raises(RuleConfigError) as caught:
        load_rules(path)
    assert "platform 'pixelfed', key 'name': required key is missing" in str(caught.value)
    assert str(path) in str(caught.value)


def test_invalid_toml_names_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "[platforms.x\nmax = 1\n")
    with pytest.raises(RuleConfigError, match=r"my-rules\.toml: invalid TOML: .*line 1"):
        load_rules(path)


def test_missing_rules_file(tmp_path: Path) -> None:
    with pytest.raises(RuleConfigError, match="rules file not found"):
        load_rules(tmp_path / "nope.toml")


def test_bad_aspect_ratio_text(tmp_path: Path) -> None:
    path = write(tmp_path, '[platforms.x.image]\nmin_aspect_ratio = "4:zero"\n')
    with pytest.raises(RuleConfigError, match=r"image.min_aspect_ratio.*W:H"):
        load_rules(path)


def test_alias_clash_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, '[platforms.linkedin]\naliases = ["twitter"]\n')
    with pytest.raises(RuleConfigError, match="twitter"):
        load_rules(path)


def test_unknown_platform_suggests(tmp_path: Path) -> None:
    with pytest.raises(UnknownPlatformError, match=r"'tiktk' \(did you mean 'tiktok'\?\)"):
        load_rules().resolve("tiktk")


def test_post_types_and_tiers_overlay_their_platform() -> None:
    rules = load_rules()
    reel = rules.platforms["instagram:reel"]
    assert reel.variant_of == "instagram" and reel.name == "Instagram Reel"
    assert reel.post.video_required and not reel.post.images_allowed
    assert reel.video == rules.platforms["instagram"].video  # the rest is Instagram's
    assert rules.resolve("Twitter:Premium") == "x:premium"
    premium = rules.platforms["x:premium"]
    assert premium.video.max_duration_s == 7500
    assert premium.video.min_fps is None and premium.video.max_fps == 60  # inherited
    # a key the variant sets cites the variant, not the base platform
    assert "125 min" in premium.video.source_of("max_duration_s", "")
    assert "125 min" not in premium.video.source_of("max_fps", "")
    story = rules.platforms["instagram:story"].image
    assert story.min_aspect_ratio is None and story.formats == ["jpeg"]
    carousel = rules.platforms["instagram:carousel"].post
    assert (carousel.min_items, carousel.max_items, carousel.mixing_allowed) == (2, 10, True)


def test_variant_in_overrides(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[platforms.tiktok.variants.long]\nsource = "our creator_info"\n'
        "[platforms.tiktok.variants.long.video]\nmax_duration_s = 900\n",
    )
    rules = load_rules(path)
    assert rules.platforms["tiktok:long"].video.max_duration_s == 900
    assert rules.platforms["tiktok:long"].video.source_of("max_duration_s", "") == (
        "our creator_info"
    )


def test_variant_errors_name_the_variant(tmp_path: Path) -> None:
    path = write(tmp_path, "[platforms.x.variants.premium.vidoe]\nmax_fps = 30\n")
    with pytest.raises(RuleConfigError) as caught:
        load_rules(path)
    message = str(caught.value)
    assert message.startswith(str(path))
    assert "platform 'x:premium', key 'vidoe'" in message and "did you mean 'video'" in message
    no_source = write(tmp_path, "[platforms.tiktok.variants.long.video]\nmax_fps = 30\n", "b.toml")
    with pytest.raises(RuleConfigError, match=r"platform 'tiktok:long', key 'source'"):
        load_rules(no_source)
    bad_unset = write(
        tmp_path,
        '[platforms.tiktok.variants.long]\nsource = "s"\n'
        '[platforms.tiktok.variants.long.video]\nunset = ["min_fsp"]\n',
        "c.toml",
    )
    with pytest.raises(RuleConfigError, match=r"did you mean 'min_fps'"):
        load_rules(bad_unset)
