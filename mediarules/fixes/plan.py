"""Fix planning: pure functions from facts and limits to a ``Fix``.

Nothing here touches a file. A plan says what to do (typed steps), how safe it is, and what it
loses; executors carry it out later, always into new files.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from fractions import Fraction

from mediarules.models import Applicability, Fix, FixStep, MediaFacts, construct_trusted
from mediarules.requirements import (
    Bound,
    ByHand,
    Dropped,
    Named,
    Requirement,
    SetField,
    Shorter,
    Spread,
    Without,
    bound,
    one_of,
)

Requires = Sequence[Requirement]


def _fix(
    *,
    title: str,
    applicability: Applicability,
    steps: list[FixStep],
    loses: Sequence[str] = (),
    requires: Sequence[Requirement] = (),
) -> Fix:
    """A ``Fix`` from values this module made, unvalidated: checks make one per finding, and
    validating them again cost a fifth of a metadata-only check (tests/
    test_engine_speed_invariants.py holds them equal to validated ones)."""
    return construct_trusted(
        Fix,
        {
            "title": title,
            "applicability": applicability,
            "steps": steps,
            "loses": list(loses),
            "requires": list(requires),
        },
    )


def _step(*, op: str, params: dict[str, str | int | float | bool | None]) -> FixStep:
    return construct_trusted(FixStep, {"op": op, "params": params})


SAFE, UNSAFE, MANUAL = Applicability.SAFE, Applicability.UNSAFE, Applicability.MANUAL

STANDARD_FPS = (Fraction(24), Fraction(25), Fraction(30), Fraction(50), Fraction(60))
JPEG_QUALITY = 95
"""High enough that a PNG or WebP without transparency converts with no visible change."""

LOSSY_FORMATS = frozenset({"jpeg", "webp"})
LOSSY_SOURCES = frozenset({"jpeg", "webp", "heif", "avif"})
_PNG_METADATA_ROOM = 256 * 1024
"""EXIF and an ICC profile carried over, and PNG's chunk and zlib framing."""


def manual(title: str) -> Fix:
    """Work for a person, rendered from :class:`ByHand`."""
    return _fix(
        title=title,
        applicability=MANUAL,
        steps=[_step(op="manual", params={})],
        requires=[ByHand(task=title)],
    )


def convert_image(facts: MediaFacts, target: str, requires: Requires | None = None) -> Fix:
    """Convert to ``target``; safe unless the target drops transparency or animation."""
    loses = []
    if facts.has_alpha and target in ("jpeg", "bmp"):
        loses.append("transparency")
    if facts.animated and target not in ("gif", "webp", "png"):
        loses.append("animation")
    if facts.format == "tiff" and (facts.frames or 1) > 1:
        loses.append("pages")  # the fix keeps the first page
    params: dict[str, str | int | float | bool | None] = {"format": target}
    if target == "jpeg":
        params["quality"] = JPEG_QUALITY
    return _fix(
        title=f"Convert {facts.format or 'the image'} to {target.upper()}",
        applicability=UNSAFE if loses else SAFE,
        steps=[_step(op="convert_image", params=params)],
        loses=loses,
        requires=list(requires or [one_of(fact="format", values=(target,))]),
    )


def growth(source: str | None, fmt: str) -> Fraction:
    """How much bigger re-encoding a file as ``fmt`` may make it, at the same size.

    A prediction, on the side of caution: a budget the source meets is called safe only when
    the new file should meet it too. Re-encoding at the target quality can exceed a lower
    source quality; a lossless copy of a lossy picture is many times bigger.
    """
    lossy = source in LOSSY_SOURCES
    if source == fmt:
        return Fraction(3, 2) if fmt in LOSSY_FORMATS else Fraction(5, 4)
    if fmt in LOSSY_FORMATS:
        return Fraction(2) if lossy else Fraction(3, 2)
    if fmt == "gif":
        return Fraction(2)
    return Fraction(8) if lossy or source is None else Fraction(4)


def png_ceiling(width: int, height: int, *, alpha: bool, share: Fraction = Fraction(1)) -> Fraction:
    """The most an 8-bit RGB(A) PNG of ``share`` times this size (pixels and frames) can take:
    the raw rows (deflate never grows them by more than a few bytes a block), and room for
    the metadata carried over."""
    raw = (width * (4 if alpha else 3) + 1) * height * share
    return raw + raw / 256 + _PNG_METADATA_ROOM


def estimated_bytes(facts: MediaFacts, fmt: str, kept: Fraction = Fraction(1)) -> Fraction | None:
    """A cautious size for the picture in ``facts`` once encoded as ``fmt`` (``kept``: the
    share of its pixels and frames the output keeps); None when nothing says.

    What the planner grades an output by, and what the checks offer a conversion by. The
    :func:`growth` guess from the file's size, capped by the raw size of the pixels kept
    (twice it for a lossy or palette format, which never come near): a tiny file scaled up
    is mostly header, not picture. A PNG made from a lossy picture is bounded by that raw
    size alone: how far it grows over the JPEG depends on the picture, not the JPEG's size.
    """
    estimate = None if facts.size is None else facts.size * kept * growth(facts.format, fmt)
    size = facts.display_size
    if size is None or min(size) <= 0:
        return estimate
    share = (facts.frames or 1) * kept
    ceiling = png_ceiling(*size, alpha=bool(facts.has_alpha), share=share)
    if fmt != "png":
        ceiling *= 2
    elif facts.format in LOSSY_SOURCES:
        return ceiling
    return ceiling if estimate is None else min(estimate, ceiling)


def pick_image_target(facts: MediaFacts, allowed: list[str]) -> str:
    """The accepted format that keeps the most: PNG for transparency, GIF for animation,
    else JPEG; failing those, the first the platform lists."""
    if facts.animated:
        wishes = ["gif", "webp", "png", "jpeg"]
    elif facts.has_alpha:
        wishes = ["png", "webp", "jpeg"]
    else:
        wishes = ["jpeg", "png", "webp"]
    for wish in wishes:
        if wish in allowed:
            return wish
    return allowed[0] if allowed else "jpeg"


def resize_image(
    facts: MediaFacts,
    *,
    width: int,
    height: int,
    reason: str,
    requires: Requires,
    upscale: bool = False,
) -> Fix:
    return _fix(
        title=f"{'Upscale' if upscale else 'Downscale'} to {width}x{height} ({reason})",
        applicability=UNSAFE,
        steps=[_step(op="resize_image", params={"width": width, "height": height})],
        loses=["sharpness"] if upscale else ["resolution"],
        requires=list(requires),
    )


def fit_within(
    width: int,
    height: int,
    *,
    max_width: int | None = None,
    max_height: int | None = None,
    max_pixels: int | None = None,
    max_sum: int | None = None,
) -> tuple[int, int]:
    """Largest size with the same aspect ratio that meets every given bound."""
    scale = Fraction(1)
    if max_width is not None and width > max_width:
        scale = min(scale, Fraction(max_width, width))
    if max_height is not None and height > max_height:
        scale = min(scale, Fraction(max_height, height))
    if max_sum is not None and width + height > max_sum:
        scale = min(scale, Fraction(max_sum, width + height))
    new_w, new_h = max(1, int(width * scale)), max(1, int(height * scale))
    if max_pixels is not None:
        budget = max(1, max_pixels)  # a picture has a pixel: a budget of 0 looped forever
        for _ in range(8):  # float rounding: one pass almost always, a few at worst
            if new_w * new_h <= budget:
                break
            factor = (budget / (new_w * new_h)) ** 0.5
            new_w, new_h = max(1, int(new_w * factor)), max(1, int(new_h * factor))
        if new_w * new_h > budget and new_w >= new_h:  # a side held at 1: trim the other
            new_w = max(1, budget // new_h)
        elif new_w * new_h > budget:
            new_h = max(1, budget // new_w)
    return new_w, new_h


def grow_to(width: int, height: int, *, min_width: int = 0, min_height: int = 0) -> tuple[int, int]:
    """Smallest size with the same aspect ratio that meets the minimums (rounded up)."""
    scale = max(Fraction(1), Fraction(min_width, width or 1), Fraction(min_height, height or 1))
    return -(-width * scale.numerator // scale.denominator), -(
        -height * scale.numerator // scale.denominator
    )


def reshape(kind: str, ratio: Fraction, target: Fraction, requires: Requires) -> Fix:
    """Pad to the nearest in-range aspect ratio: nothing of the picture is cut, bars are added."""
    params: dict[str, str | int | float | bool | None] = {
        "aspect_ratio": f"{target.numerator}:{target.denominator}",
        "mode": "pad",
    }
    step = (
        _step(op="pad_or_crop_image", params=params)
        if kind == "image"
        else _step(op="transcode_video", params=params)
    )
    return _fix(
        title=f"Pad to {float(target):.4g}:1 (now {float(ratio):.4g}:1)",
        applicability=UNSAFE,
        steps=[step],
        loses=["framing"] if kind == "image" else ["framing", "quality"],
        requires=list(requires),
    )


def trim_animation(max_frames: int) -> Fix:
    return _fix(
        title=f"Keep the first {max_frames} frames",
        applicability=UNSAFE,
        steps=[_step(op="trim_animation", params={"max_frames": max_frames})],
        loses=["frames"],
        requires=[bound(fact="frames", at_most=max_frames)],
    )


def shrink_image(
    facts: MediaFacts, max_bytes: int, allowed: list[str], key: str, *, exclusive: bool = False
) -> Fix:
    """Re-encode within ``max_bytes`` (``exclusive``: under it, so at most one byte less)."""
    target = pick_image_target(facts, allowed) if allowed else (facts.format or "jpeg")
    if target == "png" and not facts.has_alpha and (not allowed or "jpeg" in allowed):
        target = "jpeg"
    budget = max_bytes - 1 if exclusive else max_bytes
    return _fix(
        title=f"Re-encode as {target.upper()} under {max_bytes:,} bytes",
        applicability=UNSAFE,
        steps=[
            _step(op="convert_image", params={"format": target, "max_bytes": budget}),
        ],
        loses=["quality"],
        requires=[bound(fact="bytes", at_most=max_bytes, exclusive=exclusive)],
    )


def nearest_standard_fps(
    fps: Fraction | None, low: Fraction | None, high: Fraction | None
) -> Fraction:
    """The common frame rate in [low, high] closest to ``fps`` (24, 25, 30, 50, 60).

    Checks ask it for every slow video on every platform: the answers are kept by the rates'
    whole-number parts, since hashing a ``Fraction`` is Python code (~1 µs, three a call)."""
    key = (_parts(fps), _parts(low), _parts(high))
    found = _NEAREST_FPS.get(key)
    if found is None:
        if len(_NEAREST_FPS) >= 256:
            _NEAREST_FPS.clear()
        found = _NEAREST_FPS[key] = _nearest_standard_fps(fps, low, high)
    return found


_NEAREST_FPS: dict[tuple[tuple[int, int] | None, ...], Fraction] = {}


def _parts(rate: Fraction | None) -> tuple[int, int] | None:
    return None if rate is None else rate.as_integer_ratio()


def _nearest_standard_fps(
    fps: Fraction | None, low: Fraction | None, high: Fraction | None
) -> Fraction:
    candidates = [
        f for f in STANDARD_FPS if (low is None or f >= low) and (high is None or f <= high)
    ]
    if not candidates:
        return low if low is not None else (high if high is not None else Fraction(30))
    current = fps if fps is not None else Fraction(30)
    return min(candidates, key=lambda f: abs(f - current))


def transcode(
    title: str, loses: list[str], requires: Requires, **params: str | int | float | bool | None
) -> Fix:
    return _fix(
        title=title,
        applicability=UNSAFE,
        steps=[_step(op="transcode_video", params=dict(params))],
        loses=loses,
        requires=list(requires),
    )


def remux(container: str, allowed: list[str]) -> Fix:
    return _fix(
        title=f"Remux into {container.upper()} (no re-encode)",
        applicability=SAFE,
        steps=[_step(op="remux_video", params={"container": container})],
        requires=[one_of(fact="container", values=tuple(allowed))],
    )


def trim_video(max_duration_s: float) -> Fix:
    return _fix(
        title=f"Trim to {max_duration_s:g} s",
        applicability=UNSAFE,
        steps=[_step(op="trim_video", params={"max_duration_s": max_duration_s})],
        loses=["the end of the video"],
        requires=[Bound(fact="duration_s", at_most=Fraction(max_duration_s))],
    )


def meet(what: str, need: Requirement) -> Fix:
    """The fix of a registered limit kind, rendered from its requirement alone."""
    if isinstance(need, Bound) and need.fact == "duration_s" and need.at_most is not None:
        trim = trim_video(float(need.at_most))
        return trim.model_copy(update={"title": f"{trim.title} ({what})", "requires": [need]})
    return _fix(
        title=f"Re-encode ({what})",
        applicability=UNSAFE,
        steps=[_step(op="transcode_video", params={})],
        loses=["quality"],
        requires=[need],
    )


def truncate_text(need: Shorter) -> Fix:
    """Rendered from ``need``; carried out with ``text.truncate`` and its counting options
    (or split into a thread or follow-ups, where ``need.overflow`` says the platform has them)."""
    unit = need.unit.replace("_", " ")
    return _fix(
        title=f"Truncate the {need.field.replace('_', ' ')} to {need.limit:,} ({unit})",
        applicability=UNSAFE,
        steps=[
            FixStep(
                op="truncate_text",
                params={
                    "field": need.field,
                    "limit": need.limit,
                    "counting": need.unit,
                    "url_length": need.url_length,
                    "mention_domains_free": need.mention_domains_free,
                },
            )
        ],
        loses=["text"],
        requires=[need],
    )


def remove_characters(need: Without) -> Fix:
    characters = list(need.characters)
    return _fix(
        title=f"Remove {' '.join(characters)} from the {need.field.replace('_', ' ')}",
        applicability=UNSAFE,
        steps=[
            FixStep(
                op="remove_text", params={"field": need.field, "characters": "".join(characters)}
            )
        ],
        loses=["characters"],
        requires=[need],
    )


def drop_media(indices: list[int], what: str) -> Fix:
    return _fix(
        title=f"Drop {what} {', '.join(f'#{i + 1}' for i in indices)} for this platform",
        applicability=UNSAFE,
        steps=[_step(op="drop_media", params={"index": i}) for i in indices],
        loses=["media"],
        requires=[Dropped()],
    )


def rename_file(new_name: str) -> Fix:
    return _fix(
        title=f"Save a copy named {new_name}",
        applicability=SAFE,
        steps=[_step(op="rename_file", params={"name": new_name})],
        requires=[Named(name=new_name)],
    )


def set_field(field: str, value: str) -> Fix:
    return _fix(
        title=f"Send {field} = {value!r}",
        applicability=SAFE,
        steps=[_step(op="set_field", params={"field": field, "value": value})],
        requires=[SetField(field=field, value=value)],
    )


def spread_groups(categories: Sequence[str | None], need: Spread) -> list[list[int]]:
    """The items (by index; ``categories``: ``image``, ``animation`` or ``video``, None when
    unread) in posts that each hold what ``need`` allows, in order: one kind a post where the
    platform does not mix them. What ``post.*`` checks offer and what the planner does."""
    per_kind = {
        "image": need.max_images,
        "video": need.max_videos,
        "animation": need.max_animations,
    }
    buckets: dict[str, list[tuple[int, str]]] = {}
    for index, category in enumerate(categories):
        kind = category if category in ("video", "animation") else "image"
        if kind == "animation" and need.max_animations is None:
            kind = (
                "image"  # animations count as images where the platform does not count them apart
            )
        buckets.setdefault("any" if need.mixing_allowed else kind, []).append((index, kind))
    groups: list[list[int]] = []
    for members in buckets.values():
        group: list[int] = []
        counted: Counter[str] = Counter()
        for index, kind in members:
            cap = per_kind[kind]
            full = (need.max_items and len(group) >= need.max_items) or (
                cap and counted[kind] >= cap
            )
            if group and full:
                groups.append(group)
                group, counted = [], Counter()
            group.append(index)
            counted[kind] += 1
        if group:
            groups.append(group)
    return groups


def split_post(groups: list[list[int]], why: str, need: Spread) -> Fix:
    """Publish the media as several posts (a thread where the platform has one)."""
    described = " + ".join("[" + ", ".join(f"#{i + 1}" for i in g) + "]" for g in groups)
    return _fix(
        title=f"Split into {len(groups)} posts ({why}): {described}",
        applicability=UNSAFE,
        steps=[
            _step(op="split_post", params={"media": ",".join(str(i) for i in group)})
            for group in groups
        ],
        loses=["one-post layout"],
        requires=[need],
    )
