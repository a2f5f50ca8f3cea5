"""Carry out a fix plan: write new files into one folder, build the posts, check them again.

Inputs are never modified; an output never replaces an existing file (a taken name, a
symlink included, moves it on to ``name-2``...) and never lands outside the folder, which is
opened once (:mod:`mediarules.safe_write`). A folder that cannot be written into raises
:class:`OutputFolderError`; an output that fails is skipped with the reason. Without ``unsafe``
only fixes that keep what the viewer sees run; the rest are listed, with what they would lose.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from mediarules.fixes.images import ImageTooLarge, write_image
from mediarules.fixes.planner import FixPlan, OutputPlan, PlannedPost
from mediarules.fixes.video import VideoSupportMissing, write_video
from mediarules.models import Applicability, Report
from mediarules.safe_write import MAX_FREE_NAMES, OutputFolder, OutputFolderError, numbered_name

__all__ = [
    "Checker",
    "FixResult",
    "NewFile",
    "OutputFolderError",
    "PostResult",
    "SkippedOutput",
    "WrittenFile",
    "apply",
]


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
    """Write the outputs, then re-check each platform's posts through ``recheck``.

    Raises :class:`OutputFolderError` when ``out_dir`` cannot be created or written into.
    """
    written: list[WrittenFile] = []
    skipped: list[SkippedOutput] = []
    paths: dict[str, str] = {}
    folder = None if dry_run else OutputFolder.open(out_dir)
    try:
        for output in plan.outputs:
            if output.applicability is Applicability.UNSAFE and not unsafe:
                skipped.append(_unsafe_skip(output))
            elif folder is None:
                paths[output.id] = str(_free_path(out_dir, output.file_name))
            else:
                result = _write_output(output, folder)
                if isinstance(result, SkippedOutput):
                    skipped.append(result)
                else:
                    written.append(result)
                    paths[output.id] = result.path
    finally:
        if folder is not None:
            folder.close()
    posts = []
    for platform_plan in plan.platforms:
        planned = platform_plan.posts
        if not unsafe and (
            platform_plan.reshaped
            or platform_plan.text != "unchanged"
            or platform_plan.title_changed
            or platform_plan.alt_texts_changed
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


def _unsafe_skip(output: OutputPlan) -> SkippedOutput:
    loses = ", ".join(output.loses) or "quality"
    return SkippedOutput(output=output.id, reason=f"unsafe (loses {loses}): needs --unsafe-fixes")


def _write_output(output: OutputPlan, folder: OutputFolder) -> WrittenFile | SkippedOutput:
    """One output written under the first free name, or skipped with the reason."""
    try:
        path, changes = _write(output, folder)
    except (VideoSupportMissing, ImageTooLarge) as exc:
        return SkippedOutput(output=output.id, reason=str(exc))
    except (OSError, ValueError) as exc:
        return SkippedOutput(output=output.id, reason=f"failed: {exc}")
    return WrittenFile(
        output=output.id, path=str(path), platforms=output.platforms, changes=changes
    )


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


def _write(output: OutputPlan, folder: OutputFolder) -> tuple[Path, list[str]]:
    source, name = Path(output.source), output.file_name
    if output.copied:
        return _copy(source, folder, name), [f"copied unchanged as {name} (a rename)"]
    if output.image is not None:
        image = write_image(source, output.image, folder, name, next_free=True)
        return image.path, image.changes
    if output.video is not None:
        video = write_video(source, output.video, folder, name, next_free=True)
        return video.path, video.changes
    raise ValueError(f"output {output.id} has no target")


def _copy(source: Path, folder: OutputFolder, name: str) -> Path:
    """The source's bytes, streamed into a new file under ``name`` (or the next free one)."""
    with source.open("rb") as original, folder.temporary(name) as temporary:
        shutil.copyfileobj(original, temporary.file)
        return folder.shown(temporary.publish(name, next_free=True))


def _free_path(folder: Path, name: str) -> Path:
    """For a dry run: the name a write would take now (another run may take it first)."""
    name = Path(name).name  # a bare name: nothing outside the folder
    candidate = folder / name
    for number in range(2, MAX_FREE_NAMES + 2):
        if not os.path.lexists(candidate):
            break
        candidate = folder / numbered_name(name, number)
    return candidate
