"""Run every check for every platform and turn findings into violations.

Checks say what went wrong; the engine adds where (platform, media index, path), how bad
(severity from the code registry) and on whose word (the ``source`` of the broken limit).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from mediarules.checks.finding import Finding
from mediarules.checks.image import check_image
from mediarules.checks.post import check_account, check_post
from mediarules.checks.text import check_alt_text, check_text
from mediarules.checks.upload import check_upload
from mediarules.checks.video import check_video
from mediarules.codes import CODES
from mediarules.intake import Item
from mediarules.models import Report, Severity, Violation
from mediarules.ruleset import PlatformRules, RuleSet, Section

ALL_PLATFORMS = "all"
"""The ``platform`` of violations that hold whatever the platform (unreadable file, upload)."""


def evaluate(
    items: Sequence[Item],
    platforms: Sequence[str],
    ruleset: RuleSet,
    *,
    caption: str | None = None,
    title: str | None = None,
    account_type: str | None = None,
    content_warning: str | None = None,
    post_findings: Sequence[Finding] = (),
) -> Report:
    """``platforms`` are resolved keys of ``ruleset``; ``items`` are one post, in order.

    ``post_findings`` hold for every platform (the scheduler's own pitfalls, found in its
    payload) and are reported once, under ``all``.
    """
    violations = list(_upload_violations(items))
    for finding in post_findings:
        index = finding.media_index
        item = items[index] if index is not None else None
        violations.append(_make(finding, ALL_PLATFORMS, finding.source, index, item))
    for key in platforms:
        rules = ruleset.platforms[key]
        found = _platform_findings(items, rules, caption, title, account_type, content_warning)
        violations.extend(_violation(f, key, rules, items) for f in found)
    order = {name: rank for rank, name in enumerate([ALL_PLATFORMS, *platforms])}
    violations.sort(
        key=lambda v: (
            order[v.platform],
            v.severity.rank,
            -1 if v.media_index is None else v.media_index,
        )
    )
    ok = not any(v.severity is Severity.ERROR for v in violations)
    return Report(ok=ok, violations=violations, media=[item.facts for item in items])


def _upload_violations(items: Sequence[Item]) -> Iterator[Violation]:
    for index, item in enumerate(items):
        findings: Iterable[Finding]
        if item.unreadable is not None:
            findings = [item.unreadable]
        else:
            findings = check_upload(item.facts, item.ref)
        for finding in findings:
            yield _make(finding, ALL_PLATFORMS, finding.source, index, item)


def _platform_findings(
    items: Sequence[Item],
    rules: PlatformRules,
    caption: str | None,
    title: str | None,
    account_type: str | None,
    content_warning: str | None,
) -> Iterator[tuple[Finding, Section, int | None]]:
    for finding in check_post([item.facts for item in items], rules.post):
        yield finding, rules.post, finding.media_index
    if rules.account is not None:
        for finding in check_account(account_type, rules.account):
            yield finding, rules.account, None
    for finding in check_text(
        "caption", caption, rules.caption, has_media=bool(items), content_warning=content_warning
    ):
        yield finding, rules.caption, None
    if rules.title is not None:
        for finding in check_text("title", title, rules.title, has_media=bool(items)):
            yield finding, rules.title, None
    for index, item in enumerate(items):
        facts = item.facts
        if item.unreadable is not None:
            continue
        if facts.kind == "image" and rules.post.images_allowed:
            for finding in check_image(facts, rules.image):
                yield finding, rules.image, index
        elif facts.kind == "video":
            for finding in check_video(facts, rules.video):
                yield finding, rules.video, index
        if rules.alt_text is not None:
            alt = item.ref.alt_text if item.ref else None
            for finding in check_alt_text(facts, alt, rules.alt_text):
                yield finding, rules.alt_text, index


def _violation(
    found: tuple[Finding, Section, int | None],
    platform: str,
    rules: PlatformRules,
    items: Sequence[Item],
) -> Violation:
    finding, section, index = found
    source = finding.source or section.source_of(finding.key or "", rules.source)
    return _make(finding, platform, source, index, items[index] if index is not None else None)


def _make(
    finding: Finding, platform: str, source: str | None, index: int | None, item: Item | None
) -> Violation:
    severity: Severity = finding.severity or CODES[finding.code].severity
    return Violation(
        code=finding.code,
        severity=severity,
        platform=platform,
        media_index=index,
        path=item.facts.path if item is not None else None,
        message=finding.message,
        actual=finding.actual,
        limit=finding.limit,
        source=source,
        fix=finding.fix,
    )
