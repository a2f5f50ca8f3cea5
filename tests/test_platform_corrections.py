"""Limits corrected against the platforms' own documents (issue: the verdict the platform
would give). Each case sits on the right side of the platform's own figure."""

from __future__ import annotations

import mediarules
from mediarules import MediaRef


def _codes(platform: str, media: MediaRef) -> set[str]:
    report = mediarules.check([media], platforms=[platform])
    return {v.code for v in report.violations if v.severity == "error"}


def test_a_facebook_story_photo_may_be_10_mb_where_a_feed_photo_may_be_4() -> None:
    """The Page Stories API takes photos up to 10 MB; the story variant inherited the feed's
    4 MB (error 1366046) and refused a 6 MB story photo."""
    photo = MediaRef(file_name="story.jpg", content_type="image/jpeg", type="image",
                     width=1080, height=1920, size=6_000_000)  # fmt: skip
    assert "media.too_large" not in _codes("facebook:story", photo)
    assert "media.too_large" in _codes("facebook", photo)
    too_big = photo.model_copy(update={"size": 10_000_001})
    assert "media.too_large" in _codes("facebook:story", too_big)
