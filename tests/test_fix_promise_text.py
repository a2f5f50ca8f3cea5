"""``fix`` does what ``check`` offers for text, post shape and the rules it was planned with.

Each case checks a real post, plans and applies its fixes, and checks the result again, as a
user running ``mediarules check`` then ``mediarules fix --unsafe-fixes`` would.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mediarules
from mediarules import Applicability, MediaRef
from mediarules.fixes.api import FixResult, apply_fixes, plan_fixes
from mediarules.models import Report, Violation
from mediarules.requirements import Shorter, Spread
from mediarules.ruleset import as_ruleset, load_rules
from mediarules.strategies import captions
from mediarules.text import count
from tests.media import make_image

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # one grapheme, 25 bytes


def rechecked(result: FixResult) -> list[Violation]:
    return [v for post in result.posts if post.report for v in post.report.violations]


def only(report: Report, code: str, platform: str) -> Violation:
    found = [v for v in report.violations if v.code == code and v.platform == platform]
    assert len(found) == 1, report.violations
    return found[0]


def test_a_too_long_bluesky_alt_text_is_truncated_as_offered(tmp_path: Path) -> None:
    photo = make_image(tmp_path / "photo.png", format="PNG", size=(400, 300))
    media = [MediaRef(path=photo, alt_text="a" * 3000)]
    offered = only(
        mediarules.check(media, platforms="bluesky"), "media.alt_text_too_long", "bluesky"
    )
    assert offered.fix is not None and offered.fix.title.startswith(
        "Truncate the alt text to 2,000"
    )
    assert offered.fix.requires == [
        Shorter(field="alt_text", limit=2000, unit=offered.fix.requires[0].unit)  # type: ignore[union-attr]
    ]

    plan = plan_fixes(media, platforms="bluesky")
    (platform_plan,) = plan.platforms
    assert platform_plan.alt_texts_changed
    alt = platform_plan.posts[0].alt_texts
    assert alt is not None and alt[0] is not None and len(alt[0]) <= 2000

    assert not apply_fixes(plan, tmp_path / "out").ok  # safe only: a cut text needs consent
    result = apply_fixes(plan, tmp_path / "out", unsafe=True)
    assert result.ok, rechecked(result)
    assert "media.alt_text_too_long" not in [v.code for v in rechecked(result)]


def test_a_bluesky_caption_meets_graphemes_and_bytes_at_once(tmp_path: Path) -> None:
    caption = FAMILY * 290  # 290 graphemes (under 300), 7,250 UTF-8 bytes (over 3,000)
    report = mediarules.check([], platforms="bluesky", caption=caption)
    offered = only(report, "caption.too_long", "bluesky")
    assert offered.fix is not None and "3,000 (utf8 bytes)" in offered.fix.title

    plan = plan_fixes([], platforms="bluesky", caption=caption)
    result = apply_fixes(plan, tmp_path / "out", unsafe=True)
    assert result.ok, rechecked(result)
    captions = [post.caption or "" for post in result.posts]
    assert all(len(c.encode()) <= 3000 and count(c, "graphemes") <= 300 for c in captions)
    assert "".join(captions).count(FAMILY) == 290  # a thread: nothing of the text is lost


def test_a_caption_too_long_in_both_units_is_split_under_both(tmp_path: Path) -> None:
    caption = " ".join([FAMILY * 5] * 100)  # 599 graphemes, 12,599 bytes
    plan = plan_fixes([], platforms="bluesky", caption=caption)
    (platform_plan,) = plan.platforms
    assert platform_plan.text == "thread"
    result = apply_fixes(plan, tmp_path / "out", unsafe=True)
    assert result.ok, rechecked(result)
    assert len(result.posts) > 2


def test_the_plan_re_checks_with_the_rules_it_was_made_with(tmp_path: Path) -> None:
    """A user rule of 20,000 bytes on LinkedIn images: a 570 KB file is not ok after safe fixes."""
    rules_file = tmp_path / "mine.toml"
    rules_file.write_text("[platforms.linkedin.image]\nmax_size_bytes = 20000\n")
    photo = make_image(tmp_path / "photo.png", format="PNG", size=(400, 300), pad_to_bytes=570_000)
    ruleset = load_rules(rules_file)
    plan = plan_fixes([photo], platforms="linkedin", rules=ruleset)
    assert plan.ruleset is ruleset
    result = apply_fixes(plan, tmp_path / "out")  # safe only: the re-encode is skipped
    assert not result.ok
    assert "media.too_large" in [v.code for v in rechecked(result)]
    assert "ruleset" not in result.model_dump(mode="json")["plan"]  # not echoed in JSON


def test_too_many_photos_are_spread_as_check_said(tmp_path: Path) -> None:
    photos = [make_image(tmp_path / f"{i}.png", format="PNG") for i in range(6)]
    offered = only(mediarules.check(photos, platforms="x"), "post.too_many_images", "x")
    assert offered.fix is not None and isinstance(offered.fix.requires[0], Spread)
    promised = [step.params["media"] for step in offered.fix.steps]

    plan = plan_fixes(photos, platforms="x")
    (platform_plan,) = plan.platforms
    planned = [",".join(str(m) for m in post.media) for post in platform_plan.posts]
    assert planned == promised == ["0,1,2,3", "4,5"]
    result = apply_fixes(plan, tmp_path / "out", unsafe=True)
    assert result.ok, rechecked(result)


def test_a_fix_shows_its_requirements_in_json(tmp_path: Path) -> None:
    photo = make_image(tmp_path / "wide.png", format="PNG", size=(3000, 400))
    report = mediarules.check([photo], platforms="instagram")
    dumped = report.model_dump(mode="json")
    shaped = [v for v in dumped["violations"] if v["code"] == "image.aspect_ratio_out_of_range"]
    assert shaped[0]["fix"]["requires"] == [
        {"kind": "bound", "fact": "aspect_ratio", "at_most": 1.91, "at_least": 0.8,
         "exclusive": False}
    ]  # fmt: skip
    assert Report.model_validate(dumped) == report
    assert shaped[0]["fix"]["applicability"] == Applicability.UNSAFE


# -- the promise, over generated texts -------------------------------------------------------

TEXT_PLATFORMS = sorted(key for key in as_ruleset(None).platforms if ":" not in key)
PLANNED_TEXT = ("caption.", "title.", "media.alt_text_too_long")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_offered_text_fix_is_done_or_listed(data: st.DataObject) -> None:
    """Over captions drawn near and past each platform's limit (and long alt texts): every
    text violation whose fix is safe or unsafe is gone after ``fix --unsafe-fixes``, or the
    plan lists it as manual work; no fix leaves a new text error behind."""
    platform = data.draw(st.sampled_from(TEXT_PLATFORMS))
    caption = data.draw(captions(platform, near_limit=True) | captions(platform, min_length=1))
    over = data.draw(st.integers(min_value=0, max_value=2))
    alt = data.draw(st.sampled_from([None, FAMILY * 600, "word " * 900]))
    media = [MediaRef(file_name="photo.jpg", type="image", width=1080, height=1080, size=1000,
                      alt_text=alt)] if over else []  # fmt: skip
    plan = plan_fixes(media, platforms=[platform], caption=caption + "!" * over)
    with tempfile.TemporaryDirectory() as folder:
        result = apply_fixes(plan, Path(folder), unsafe=True)
    after = {(v.code, v.media_index) for v in rechecked(result) if v.code.startswith(PLANNED_TEXT)}
    manual = {(v.code, v.media_index) for v in plan.manual}
    for v in plan.before.violations:
        if not v.code.startswith(PLANNED_TEXT) or v.fix is None:
            continue
        key = (v.code, v.media_index)
        if v.fix.applicability is Applicability.MANUAL:
            assert key in manual
        else:
            assert key not in after, (v, result.posts)
    before = {(v.code, v.media_index) for v in plan.before.violations}
    assert after <= before  # nothing new
