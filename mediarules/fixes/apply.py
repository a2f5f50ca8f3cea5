"""Carry out a fix plan: write new files into one folder, build the posts, check them again.

Inputs are never modified; an output never replaces an existing file and never lands outside
the folder. Without ``unsafe`` only fixes that keep what the viewer sees run; the rest are
listed, with what they would lose.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from mediarules.fixes.images import apply_image
from mediarules.fixes.planner import FixPlan, OutputPlan, PlannedPost
from mediarules.fixes.video import VideoSupportMissing, apply_video
from mediarules.models import Applicability, Report


class WrittenFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    output: str
    path: str
    platforms: list[str]
    changes: list[str]


class SkippedOutput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    output: str
    reason: str


class PostResult(BaseModel):
    """One post as it would be published, and what ``check`` says of it now."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    platform: str
    post: int
    caption: str | None
    media: list[str]
    report: Report | None = Field(description="None in a dry run.")


class FixResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    ok: bool = Field(description="Every resulting post passes check (False in a dry run).")
    plan: FixPlan
    written: list[WrittenFile]
    skipped: list[SkippedOutput]
    posts: list[PostResult]


@dataclass(frozen=True)
class NewFile:
    path: str
    media_index: int
    """The input it was made from (its alt text applies to it too)."""


Checker = Callable[[list[int | NewFile], str, PlannedPost], Report]
"""Re-checks one post: its media (an int: an input as given; or a new file), the platform and
the post's text -> Report."""


def apply(
    plan: FixPlan,
    out_dir: Path,
    recheck: Checker,
    *,
    unsafe: bool = False,
    dry_run: bool = False,
) -> FixResult:
    """Write the outputs, then re-check each platform's posts through ``recheck``."""
    written: list[WrittenFile] = []
    skipped: list[SkippedOutput] = []
    paths: dict[str, str] = {}
    if not dry_run:
        out_dir.mkdir(parents=True, exist_ok=True)
    for output in plan.outputs:
        if output.applicability is Applicability.UNSAFE and not unsafe:
            loses = ", ".join(output.loses) or "quality"
            skipped.append(
                SkippedOutput(
                    output=output.id, reason=f"unsafe (loses {loses}): needs --unsafe-fixes"
                )
            )
            continue
        destination = _free_path(out_dir, output.file_name)
        if dry_run:
            paths[output.id] = str(destination)
            continue
        try:
            changes = _write(output, destination)
        except VideoSupportMissing as exc:
            skipped.append(SkippedOutput(output=output.id, reason=str(exc)))
            continue
        except (OSError, ValueError) as exc:
            skipped.append(SkippedOutput(output=output.id, reason=f"failed: {exc}"))
            continue
        paths[output.id] = str(destination)
        written.append(
            WrittenFile(
                output=output.id, path=str(destination), platforms=output.platforms, changes=changes
            )
        )
    posts = []
    for platform_plan in plan.platforms:
        planned = platform_plan.posts
        if not unsafe and (
            platform_plan.reshaped
            or platform_plan.text != "unchanged"
            or platform_plan.title_changed
        ):
            planned = [_unchanged_post(platform_plan.platform, plan)]
        for number, post in enumerate(planned):
            media = [_resolve(entry, paths, plan) for entry in post.media]
            report = None if dry_run else recheck(media, platform_plan.platform, post)
            posts.append(
                PostResult(
                    platform=platform_plan.platform,
                    post=number,
                    caption=post.caption,
                    media=[_shown(entry, plan) for entry in media],
                    report=report,
                )
            )
    ok = not dry_run and all(p.report is not None and p.report.ok for p in posts)
    return FixResult(ok=ok, plan=plan, written=written, skipped=skipped, posts=posts)


def _unchanged_post(platform: str, plan: FixPlan) -> PlannedPost:
    """The post with its text and shape as given; only the file outputs swapped in."""
    media: list[int | str] = []
    for index in range(len(plan.before.media)):
        output = next(
            (o for o in plan.outputs if o.media_index == index and platform in o.platforms), None
        )
        media.append(output.id if output is not None else index)
    return PlannedPost(caption=plan.caption, title=plan.title, media=media)


def _resolve(entry: int | str, paths: dict[str, str], plan: FixPlan) -> int | NewFile:
    """The new file, or the input index when the entry is an input or its output was not
    written (skipped, or a dry run)."""
    if isinstance(entry, int):
        return entry
    index = next(o.media_index for o in plan.outputs if o.id == entry)
    return NewFile(paths[entry], index) if entry in paths else index


def _shown(entry: int | NewFile, plan: FixPlan) -> str:
    """How a post's media entry is named in the result: a path, or the input's own name."""
    if isinstance(entry, NewFile):
        return entry.path
    return plan.before.media[entry].path or f"input #{entry + 1}"


def _write(output: OutputPlan, destination: Path) -> list[str]:
    if output.image is not None:
        return apply_image(Path(output.source), output.image, destination).changes
    if output.video is not None:
        return apply_video(Path(output.source), output.video, destination).changes
    raise ValueError(f"output {output.id} has no target")


def _free_path(folder: Path, name: str) -> Path:
    """``name`` in ``folder``, or ``stem-2.ext``... when taken: never over an existing file."""
    candidate = folder / Path(name).name  # a bare name: nothing outside the folder
    stem, suffix = candidate.stem, candidate.suffix
    number = 2
    while candidate.exists():
        candidate = folder / f"{stem}-{number}{suffix}"
        number += 1
    return candidate
