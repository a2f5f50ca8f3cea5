"""What the engine's shortcuts must not change (see ``mediarules/engine.py``).

- Work is shared between platforms whose limits agree, within one post: checking platforms
  together gives what checking each alone gives, and each platform cites its own sources.
- What depends only on the rules is cached per ``RuleSet`` object: a rules override, a new
  table or a table changed in place is never answered from another table's cache.
- Checks whose limits are all unset are skipped: they could not have found anything.
- A check runs only where its section's screen (``checks/screens.py``) sets its bit: every
  screen sets the bit of every check that finds something (files, posts, texts, upload names;
  over hypothesis facts and files at each limit of the table), and the fast paths around
  them (plausible facts, byte estimates kept by what they read) answer as the slow ones.
- Violations and reports are built without validation: they equal what validation builds.

``tests/test_engine_golden.py`` holds the reports themselves to the bytes recorded before.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path, PurePath
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mediarules
from mediarules import MediaFacts, MediaRef, Report, RuleSet, Violation, text
from mediarules.checks import screens
from mediarules.checks.image import IMAGE_CHECKS, estimate_inputs, image_checks_for
from mediarules.checks.image import LIMIT_KEYS as IMAGE_KEYS
from mediarules.checks.post import LIMIT_KEYS as POST_KEYS
from mediarules.checks.post import POST_CHECKS, post_checks_for
from mediarules.checks.text import TextMeasures, check_text
from mediarules.checks.upload import check_upload, pure_name, upload_may_find
from mediarules.checks.video import LIMIT_KEYS as VIDEO_KEYS
from mediarules.checks.video import VIDEO_CHECKS, video_checks_for
from mediarules.fixes import plan
from mediarules.inputs.intake import _plausible, impossible_values
from mediarules.ruleset import ImageRules, PostRules, TextRules, VideoRules
from mediarules.strategies import media_facts

RULES = mediarules.default_rules()
PLATFORMS = list(RULES.platforms)
CAPTION = (
    "Launch day 🚀 made by the team 👩‍🎨. Early access: https://example.com/drop?ref=social "
    "#launch #design @studio @friends@mastodon.social"
)

facts = (
    st.sampled_from(PLATFORMS).flatmap(media_facts)
    # A too-large video lasting a few femtoseconds crashes checks/video.py (size_bytes:
    # OverflowError on the bit-rate budget); not what this file is about.
)
refs = st.builds(
    MediaRef,
    file_name=st.sampled_from(["a.jpg", "clip.mp4", "my photo (1).png", "x.gif"]),
    content_type=st.sampled_from([None, "image/jpeg", "video/mp4", "text/plain"]),
    type=st.sampled_from([None, "image", "video"]),
    alt_text=st.sampled_from([None, "", "A photo", "x" * 1600]),
    width=st.integers(1, 5000),
    height=st.integers(1, 5000),
    size=st.integers(1, 10**9),
    frame_rate=st.sampled_from([None, Fraction(30), Fraction(30000, 1001), Fraction(120)]),
    duration=st.sampled_from([None, 0.2, 30.0, 4000.0]),
)
media = st.lists(facts | refs, max_size=11)
captions = st.sampled_from([None, "", CAPTION, CAPTION * 12, "<b>" + "#tag " * 40])
platform_lists = st.lists(st.sampled_from(PLATFORMS), min_size=1, unique=True)
relaxed = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------------------------
# sharing between platforms


@relaxed
@given(
    items=media,
    caption=captions,
    platforms=platform_lists,
    title=st.sampled_from([None, "", "A <title>"]),
    account_type=st.sampled_from([None, "business", "personal"]),
    content_warning=st.sampled_from([None, "CW: " + "spoilers " * 30]),
    tags=st.sampled_from([None, ["launch"], ["product demo"] * 40]),
    poll=st.booleans(),
)
def test_platforms_together_are_each_platform_alone(
    items: list[MediaFacts | MediaRef],
    caption: str | None,
    platforms: list[str],
    title: str | None,
    account_type: str | None,
    content_warning: str | None,
    tags: list[str] | None,
    poll: bool,
) -> None:
    post: dict[str, Any] = {
        "caption": caption,
        "title": title,
        "account_type": account_type,
        "content_warning": content_warning,
        "tags": tags,
        "poll": poll,
    }
    together = mediarules.check(items, platforms=platforms, **post)
    alone = [mediarules.check(items, platforms=[p], **post) for p in platforms]
    expected = [v for v in alone[0].violations if v.platform == "all"]
    for platform, report in zip(platforms, alone, strict=True):
        expected += [v for v in report.violations if v.platform == platform]
    assert together.violations == expected
    assert together.ok == all(report.ok for report in alone)


def test_platforms_with_the_same_limits_cite_their_own_sources() -> None:
    x = RULES.platforms["x"]
    twin = x.model_copy(
        update={
            "aliases": [],
            "source": "the twin's own docs",
            "image": x.image.model_copy(update={"source": "the twin's image page", "sources": {}}),
        }
    )
    ruleset = RuleSet(platforms={**RULES.platforms, "twin": twin})
    jpeg = MediaFacts(path="a.jpg", kind="image", format="jpeg", width=1200, height=1200, size=1)
    report = mediarules.check([jpeg], platforms=["x", "twin"], rules=ruleset)
    by_platform = {
        v.platform: v.source for v in report.violations if v.code == "image.format_not_preferred"
    }
    assert by_platform == {
        "x": x.image.source_of("preferred", x.source),
        "twin": "the twin's image page",
    }


# ---------------------------------------------------------------------------------------------
# the per-table cache


def _two_images() -> list[MediaFacts]:
    return [
        MediaFacts(path=f"{n}.jpg", kind="image", format="png", width=1080, height=1080, size=1)
        for n in range(2)
    ]


def _codes(report: Report, platform: str) -> set[str]:
    return {v.code for v in report.violations if v.platform == platform}


def test_a_rules_override_is_not_answered_from_the_defaults(tmp_path: Path) -> None:
    override = tmp_path / "rules.toml"
    override.write_text("[platforms.x.post]\nmax_images = 1\nmax_items = 1\n")
    assert "post.too_many_images" not in _codes(mediarules.check(_two_images(), platforms="x"), "x")
    strict = mediarules.check(_two_images(), platforms="x", rules=override)
    assert "post.too_many_images" in _codes(strict, "x")
    again = mediarules.check(_two_images(), platforms="x")
    assert "post.too_many_images" not in _codes(again, "x")


def test_every_new_table_is_checked_by_its_own_limits() -> None:
    """New tables, made and dropped one after another, may reuse an ``id``: never the cache."""
    post = RULES.platforms["x"].post
    for round_ in range(30):
        limit = round_ % 3
        x = RULES.platforms["x"].model_copy(
            update={"post": post.model_copy(update={"max_images": limit})}
        )
        ruleset = RuleSet(platforms={"x": x})
        report = mediarules.check(_two_images(), platforms="x", rules=ruleset)
        found = [v.limit for v in report.violations if v.code == "post.too_many_images"]
        assert found == ([] if limit >= 2 else [limit])
        del ruleset, x, report


def test_a_table_changed_in_place_is_checked_by_its_new_limits() -> None:
    ruleset = mediarules.load_rules()
    assert "post.too_many_images" not in _codes(
        mediarules.check(_two_images(), platforms="x", rules=ruleset), "x"
    )
    strict = ruleset.platforms["x"].post.model_copy(update={"max_images": 1})
    ruleset.platforms["x"] = ruleset.platforms["x"].model_copy(update={"post": strict})
    report = mediarules.check(_two_images(), platforms="x", rules=ruleset)
    assert "post.too_many_images" in _codes(report, "x")


# ---------------------------------------------------------------------------------------------
# skipped checks


def _sections(model: type[ImageRules] | type[VideoRules] | type[PostRules]) -> list[object]:
    """Every platform's section, and an empty one (no limit set)."""
    names: dict[type, str] = {ImageRules: "image", VideoRules: "video", PostRules: "post"}
    name = names[model]
    return [model(), *(getattr(rules, name) for rules in RULES.platforms.values())]


@relaxed
@given(item=facts)
def test_skipped_checks_find_nothing(item: MediaFacts) -> None:
    for image_rules in _sections(ImageRules):
        assert isinstance(image_rules, ImageRules)
        chosen = image_checks_for(image_rules)
        found = [f for check in chosen for f in check(item, image_rules)]
        assert found == [f for check in IMAGE_CHECKS for f in check(item, image_rules)]
    for video_rules in _sections(VideoRules):
        assert isinstance(video_rules, VideoRules)
        chosen_video = video_checks_for(video_rules)
        found = [f for check in chosen_video for f in check(item, video_rules)]
        assert found == [f for check in VIDEO_CHECKS for f in check(item, video_rules)]


@relaxed
@given(items=st.lists(facts, max_size=12))
def test_skipped_post_checks_find_nothing(items: list[MediaFacts]) -> None:
    for post_rules in _sections(PostRules):
        assert isinstance(post_rules, PostRules)
        chosen = post_checks_for(post_rules)
        found = [f for check in chosen for f in check(items, post_rules)]
        assert found == [f for check in POST_CHECKS for f in check(items, post_rules)]


def test_every_check_names_the_keys_it_reads() -> None:
    for checks, keys, model in (
        (IMAGE_CHECKS, IMAGE_KEYS, ImageRules),
        (VIDEO_CHECKS, VIDEO_KEYS, VideoRules),
        (POST_CHECKS, POST_KEYS, PostRules),
    ):
        assert set(keys) == set(checks)
        for names in keys.values():
            assert names and set(names) <= set(model.model_fields) - {"source", "sources"}


def test_text_measures_count_as_the_text_module() -> None:
    measures = TextMeasures()
    for counting in text.COUNTINGS:
        for url_length in (None, 23):
            for free in (False, True):
                want = text.count(
                    CAPTION, counting, url_length=url_length, mention_domains_free=free
                )
                for _ in range(2):  # worked out, then kept
                    got = measures.count(
                        CAPTION, counting, url_length=url_length, mention_domains_free=free
                    )
                    assert got == want
    assert measures.entities(CAPTION, "hashtags") == len(text.find_hashtags(CAPTION))
    assert measures.entities(CAPTION, "mentions") == len(text.find_mentions(CAPTION))
    assert measures.entities(CAPTION + " https://example.com/drop?ref=social", "links") == 1


# ---------------------------------------------------------------------------------------------
# records built without validation


@relaxed
@given(items=media, caption=captions, platforms=platform_lists)
def test_records_equal_what_validation_builds(
    items: list[MediaFacts | MediaRef], caption: str | None, platforms: list[str]
) -> None:
    report = mediarules.check(items, platforms=platforms, caption=caption, title="<t>")
    for violation in report.violations:
        values = {name: getattr(violation, name) for name in Violation.model_fields}
        validated = Violation(**values)
        assert validated == violation
        assert repr(validated) == repr(violation)
        assert validated.model_fields_set == violation.model_fields_set
        assert validated.model_dump_json() == violation.model_dump_json()
        assert type(validated.actual) is type(violation.actual)
        assert type(validated.limit) is type(violation.limit)
    validated_report = Report(ok=report.ok, violations=report.violations, media=report.media)
    assert validated_report == report
    assert validated_report.model_fields_set == report.model_fields_set
    assert Report.model_validate_json(report.model_dump_json()) == report


def test_a_violation_owns_its_limit_list() -> None:
    heic = MediaFacts(path="a.heic", kind="image", format="heif", width=1080, height=1080, size=1)
    report = mediarules.check([heic], platforms=["instagram", "instagram:reel"])
    lists = [v.limit for v in report.violations if isinstance(v.limit, list)]
    assert lists
    formats = RULES.platforms["instagram"].image.formats
    assert all(limit is not formats for limit in lists)
    assert len({id(limit) for limit in lists}) == len(lists)


# ---------------------------------------------------------------------------------------------
# screens: the engine runs a check only where its section's screen sets its bit

FORMATS = sorted(
    {"jpeg", "png", "gif", "webp", "bmp", "tiff", "heif", "avif", "mp4", "mov", "webm", "mkv"}
    | {fmt for rules in RULES.platforms.values() for fmt in rules.image.formats}
    | {fmt for rules in RULES.platforms.values() for fmt in rules.video.containers}
)
CODECS = ["h264", "hevc", "vp8", "vp9", "av1", "prores", "aac", "opus", "mp3", "pcm"]
_LIMIT_INTS = sorted(
    {
        value + delta
        for rules in RULES.platforms.values()
        for section in (rules.image, rules.video)
        for key, value in section
        if type(value) is int and key not in ("aspect_ratio_tolerance",)
        for delta in (-1, 0, 1)
    }
    | {0, 1, 4, 1080, 1920, 10**12}
)
near = st.sampled_from([n for n in _LIMIT_INTS if n >= 0]) | st.integers(0, 10**10)
rates = st.sampled_from(
    [Fraction(n) for n in (1, 23, 24, 25, 30, 50, 60, 61, 120)]
    + [Fraction(30000, 1001), Fraction(2399, 100), Fraction(6001, 100), Fraction(1, 3)]
)
loose_facts = st.builds(
    MediaFacts,
    kind=st.sampled_from(["image", "video", None]),
    format=st.none() | st.sampled_from(FORMATS),
    size=st.none() | near,
    width=st.none() | near,
    height=st.none() | near,
    frames=st.none() | st.integers(1, 400),
    orientation=st.none() | st.integers(1, 8),
    rotation=st.none() | st.sampled_from([0, 90, 180, 270]),
    has_alpha=st.none() | st.booleans(),
    fps=st.none() | rates,
    variable_frame_rate=st.none() | st.booleans(),
    duration_s=st.none()
    | st.sampled_from([0.0, 0.4, 0.5, 2.99, 3.0, 3.01, 59.99, 180.0, 180.02, 600.1, 7200.0])
    | st.floats(0, 10**5),
    video_codec=st.none() | st.sampled_from(CODECS),
    audio_codec=st.none() | st.sampled_from(CODECS),
    bit_rate=st.none() | near,
    audio_sample_rate=st.none() | st.sampled_from([22_050, 44_100, 48_000]),
)
any_facts = loose_facts | facts


def _bits(
    screen: screens.FileScreen | None, item: MediaFacts, checks: tuple[Any, ...], rules: object
) -> None:
    """Every check that finds something in ``item`` has its bit in the screen's answer."""
    answer = 0 if screen is None else screen(item, item.display_size, item.animated)
    for check in checks:
        found = list(check(item, rules))
        if found:
            assert answer & screens.bit_of(check), (check.__name__, found[0].code, answer)


screened = settings(relaxed, max_examples=400)


@screened
@given(item=any_facts)
def test_file_screens_never_miss_a_finding(item: MediaFacts) -> None:
    _screens_keep_every_finding(item)


def _screens_keep_every_finding(item: MediaFacts) -> None:
    for image_rules in _sections(ImageRules):
        assert isinstance(image_rules, ImageRules)
        _bits(screens.image_screen(image_rules), item, IMAGE_CHECKS, image_rules)
    for video_rules in _sections(VideoRules):
        assert isinstance(video_rules, VideoRules)
        _bits(screens.video_screen(video_rules), item, VIDEO_CHECKS, video_rules)


def test_screens_pass_a_file_that_breaks_nothing() -> None:
    """Not every file is screened in: the screens do cut work (a JPEG within every limit of
    Facebook's, a video within X's)."""
    jpeg = MediaFacts(kind="image", format="jpeg", width=1080, height=1080, size=200_000)
    facebook = RULES.platforms["facebook"]
    assert screens.image_screen(facebook.image)(jpeg, jpeg.display_size, False) == 0  # type: ignore[misc]
    clip = MediaFacts(
        kind="video", format="mp4", width=1280, height=720, size=10**6, fps=Fraction(30),
        duration_s=30.0, video_codec="h264", audio_codec="aac", bit_rate=2_000_000,
    )  # fmt: skip
    x = RULES.platforms["x"]
    assert screens.video_screen(x.video)(clip, clip.display_size, False) == 0  # type: ignore[misc]


@screened
@given(items=st.lists(any_facts, max_size=12))
def test_the_post_screen_never_misses_a_finding(items: list[MediaFacts]) -> None:
    kinds = [(f.kind, f.kind == "image" and f.animated) for f in items]
    shape = screens.PostShape(
        len(items),
        sum(kind == "image" for kind, _ in kinds),
        sum(moving for _, moving in kinds),
        sum(kind == "video" for kind, _ in kinds),
    )
    for post_rules in _sections(PostRules):
        assert isinstance(post_rules, PostRules)
        screen = screens.post_screen(post_rules)
        answer = 0 if screen is None else screen(shape)
        for check in POST_CHECKS:
            if list(check(items, post_rules)):
                assert answer & screens.bit_of(check), check.__name__


TEXT_SECTIONS = [
    TextRules(),
    TextRules(
        required=True,
        max_length=10,
        max_utf8_bytes=12,
        max_hashtags=1,
        max_mentions=1,
        max_links=1,
        forbidden_characters=["<", ">"],
        max_length_text_only=5,
    ),
    *(rules.caption for rules in RULES.platforms.values()),
    *(rules.title for rules in RULES.platforms.values() if rules.title is not None),
]
TEXT_PIECES = [*"ab #@.:/<>\r\n\ufeff\U0001f680\u0301", "x.com", "https://a.co", "@u@d.e", "日本"]
texts = (
    st.none()
    | st.sampled_from(["", " ", "\n", CAPTION, CAPTION * 12, "<b>" + "#tag " * 40, "a\ufeffb"])
    | st.lists(st.sampled_from(TEXT_PIECES)).map("".join)
)


@screened
@given(
    text=texts,
    has_media=st.booleans(),
    content_warning=st.sampled_from([None, "", "CW", "spoilers " * 60]),
)
def test_the_text_screen_never_misses_a_finding(
    text: str | None, has_media: bool, content_warning: str | None
) -> None:
    for rules in TEXT_SECTIONS:
        measures = TextMeasures()
        screen = screens.text_screen(rules)
        quiet = not screen(text, has_media, content_warning, measures)
        found = list(
            check_text("caption", text, rules, has_media=has_media, content_warning=content_warning)
        )
        assert not (quiet and found), (rules, [f.code for f in found])


@screened
@given(
    item=any_facts,
    path=st.none()
    | st.sampled_from(["a.jpg", "my photo (1).PNG", "dir/", "/", ".hidden", "x.", "a/./b.mp4"])
    | st.text(st.sampled_from(list("ab./ _-()é\\J")), max_size=12),
)
def test_the_upload_screen_never_misses_a_finding(item: MediaFacts, path: str | None) -> None:
    item = item.model_copy(update={"path": path})
    if not upload_may_find(item, None):
        assert list(check_upload(item, None)) == []
    if path is not None:
        assert pure_name(path) == PurePath(path).name


@screened
@given(item=loose_facts)
def test_plausible_facts_are_those_with_nothing_impossible(item: MediaFacts) -> None:
    if _plausible(item):
        assert impossible_values(vars(item)) == {}


def _edge_facts() -> list[MediaFacts]:
    """Files one under, at and one over each size, side, frame, rate, duration and bit-rate
    limit of the table (durations also half a frame either side)."""
    found: list[MediaFacts] = []
    gif = MediaFacts(kind="image", format="gif", width=480, height=480, size=1000, frames=2)
    clip = MediaFacts(
        kind="video", format="mp4", width=1280, height=720, size=10**6, fps=Fraction(30),
        duration_s=30.0, video_codec="h264", audio_codec="aac", bit_rate=10**6,
    )  # fmt: skip
    for rules in RULES.platforms.values():
        for base, section in ((gif, rules.image), (clip, rules.video)):
            for key, value in section:
                if isinstance(value, bool) or not isinstance(value, int | float | Fraction):
                    continue
                fact = next((f for f in _EDGE_FACTS if f in key), None)
                if fact is None:
                    continue
                if fact == "duration_s":
                    steps: tuple[Any, ...] = (-1 / 60, -1 / 1000, 0, 1 / 1000, 1 / 60, 1 / 30)
                    values: list[Any] = [max(0.0, float(value) + step) for step in steps]
                elif fact == "fps":
                    values = [Fraction(value) + step for step in (Fraction(-1, 100), 0, 1)]
                else:
                    values = [max(1, int(value) + step) for step in (-1, 0, 1)]
                found += [base.model_copy(update={_EDGE_FACTS[fact]: v}) for v in values]
    return found


_EDGE_FACTS = {"size": "size", "width": "width", "height": "height", "frames": "frames",
               "fps": "fps", "duration": "duration_s", "bitrate": "bit_rate"}  # fmt: skip


def test_screens_never_miss_a_finding_at_the_limits() -> None:
    edges = _edge_facts()
    assert len(edges) > 300
    for item in edges:
        _screens_keep_every_finding(item)


@screened
@given(item=loose_facts, other_size=st.none() | near, target=st.sampled_from(["png", "jpeg"]))
def test_facts_with_the_same_estimate_inputs_have_the_same_estimate(
    item: MediaFacts, other_size: int | None, target: str
) -> None:
    """``checks.image`` keeps a byte estimate (and a not-preferred finding) by
    ``estimate_inputs``: two files alike in those have the same estimate."""
    other = item.model_copy(update={"size": other_size})
    if estimate_inputs(item, target) == estimate_inputs(other, target):
        assert plan.estimated_bytes(item, target) == plan.estimated_bytes(other, target)
