"""``check --html``: the self-contained page, read as a user (or a browser) would read it."""

from __future__ import annotations

import base64
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

import mediarules
from mediarules.codes import CODES
from mediarules.models import (
    ALL_PLATFORMS,
    Applicability,
    Fix,
    FixStep,
    MediaFacts,
    Report,
    Severity,
    Violation,
)
from mediarules.outputs import html_report
from mediarules.outputs.html_report import render_html, write_html_report
from mediarules.ruleset import RuleSet, default_rules
from tests.media import make_corrupt, make_image, make_video

PLATFORMS = ["x", "linkedin", "instagram", "bluesky"]
WHEN = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
VOID = {"img", "meta", "br", "hr", "input", "link", "source", "wbr", "col", "area", "base"}


# -- a small DOM from the stdlib parser ------------------------------------------------------


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()

    def find(self, tag: str | None = None, cls: str | None = None) -> list[Node]:
        return [
            node
            for node in self.walk()
            if (tag is None or node.tag == tag) and (cls is None or cls in node.classes)
        ]

    def one(self, tag: str | None = None, cls: str | None = None) -> Node:
        found = self.find(tag, cls)
        assert len(found) == 1, f"{len(found)} <{tag} class={cls}>"
        return found[0]

    @property
    def text(self) -> str:
        return "".join(self.texts) + "".join(child.text for child in self.children)


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return
        raise AssertionError(f"</{tag}> closes nothing")

    def handle_data(self, data: str) -> None:
        node = Node("#text", {}, texts=[data])
        self.stack[-1].children.append(node)


def parse(page: str) -> Node:
    builder = TreeBuilder()
    builder.feed(page)
    builder.close()
    assert [n.tag for n in builder.stack] == ["#document"], "unclosed elements"
    return builder.root


def cards(tree: Node) -> list[Node]:
    return tree.find("article", "file")


def card_named(tree: Node, name: str) -> Node:
    found = [c for c in cards(tree) if c.one(cls="file-name").one("span", "name").text == name]
    assert len(found) == 1, name
    return found[0]


def matrix_rows(tree: Node) -> dict[str, dict[str, Node]]:
    """Row label -> {platform name -> cell}."""
    table = tree.one("table", "matrix")
    heads = [th.text for th in table.one("thead").find("th", "plat")]
    rows: dict[str, dict[str, Node]] = {}
    for row in table.one("tbody").find("tr"):
        if "group" in row.classes:
            continue
        label = row.one("th").one("span", "name").text
        rows[label] = dict(zip(heads, row.find("td", "cell"), strict=True))
    return rows


def status(cell: Node) -> str:
    return next(c for c in ("ok", "warning", "error") if c in cell.classes)


def decode_uri(uri: str) -> Image.Image:
    head, _, data = uri.partition(",")
    assert head in ("data:image/jpeg;base64", "data:image/png;base64"), head
    image = Image.open(io.BytesIO(base64.b64decode(data, validate=True)))
    image.load()
    return image


# -- media -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("html-media")
    return {
        "photo.jpg": make_image(root / "photo.jpg", size=(640, 480)),
        "photo.webp": make_image(root / "photo.webp", format="WEBP", size=(1200, 900)),
        "clip.mp4": make_video(root / "clip.mp4", size=(320, 240), duration_s=1),
        "broken.jpg": make_corrupt(root / "broken.jpg"),
    }


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return default_rules()


@pytest.fixture(scope="module")
def each_reports(media: dict[str, Path], rules: RuleSet) -> list[Report]:
    """``check --each``: one report per file."""
    return [
        mediarules.check([str(path)], platforms=PLATFORMS, caption="Hello", rules=rules)
        for path in media.values()
    ]


@pytest.fixture(scope="module")
def each_page(each_reports: list[Report], rules: RuleSet) -> str:
    return render_html(each_reports, PLATFORMS, rules, title="Batch", generated=WHEN)


@pytest.fixture(scope="module")
def each_tree(each_page: str) -> Node:
    return parse(each_page)


# -- thumbnails ------------------------------------------------------------------------------


def test_one_thumbnail_per_file_and_each_is_a_small_picture(each_tree: Node) -> None:
    assert [c.one(cls="file-name").one("span", "name").text for c in cards(each_tree)] == [
        "photo.jpg",
        "photo.webp",
        "clip.mp4",
        "broken.jpg",
    ]
    for card in cards(each_tree):
        thumb = card.one(cls="thumb")
        name = card.one(cls="file-name").one("span", "name").text
        if name == "broken.jpg":
            assert thumb.tag == "svg" and thumb.attrs["data-thumbnail"] == "placeholder"
            assert "JPG" in thumb.text and "unreadable" in thumb.attrs["aria-label"]
            continue
        assert thumb.tag == "img" and thumb.attrs["alt"]
        image = decode_uri(thumb.attrs["src"])
        assert max(image.size) <= 160
        assert (int(thumb.attrs["width"]), int(thumb.attrs["height"])) == image.size


def test_thumbnails_keep_the_shape(each_tree: Node) -> None:
    image = decode_uri(card_named(each_tree, "photo.webp").one("img", "thumb").attrs["src"])
    assert image.size == (160, 120)


def test_video_gets_its_poster_frame(each_tree: Node) -> None:
    pytest.importorskip("av")
    thumb = card_named(each_tree, "clip.mp4").one(cls="thumb")
    assert thumb.tag == "img" and thumb.attrs["data-thumbnail"] == "image"
    assert thumb.attrs["alt"].startswith("Poster frame of")
    image = decode_uri(thumb.attrs["src"]).convert("RGB")
    assert image.size == (160, 120)
    pixel = image.getpixel((80, 60))
    assert isinstance(pixel, tuple)
    # make_video paints every frame (30, 120, 200): the frame itself, not a placeholder
    assert all(abs(a - b) <= 12 for a, b in zip(pixel, (30, 120, 200), strict=True))


def test_video_without_pyav_gets_a_placeholder(
    media: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "av", None)  # import av -> ImportError
    facts = mediarules.inspect(media["clip.mp4"])
    thumb = html_report._thumbnail(facts)
    assert thumb.uri is None and thumb.label == "MP4"
    assert "<svg" in thumb.html("thumb") and "MP4" in thumb.html("thumb")


def test_missing_and_damaged_files_get_placeholders(tmp_path: Path, rules: RuleSet) -> None:
    clip = make_video(tmp_path / "cut.mp4", size=(64, 48), duration_s=1)
    clip.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    gone = MediaFacts(path=str(tmp_path / "gone.jpg"), kind="image", format="jpeg")
    placeholder = html_report._thumbnail(gone)
    assert placeholder.uri is None and placeholder.note == "file missing"
    assert placeholder.label == "JPEG" and "file missing" in placeholder.html("thumb")
    report = mediarules.check([str(clip)], platforms=PLATFORMS, rules=rules)
    tree = parse(render_html([report], PLATFORMS, rules))
    card_named(tree, "cut.mp4").one(cls="thumb")  # a picture or a placeholder, never a crash


# -- the matrix ------------------------------------------------------------------------------


def test_matrix_marks_match_the_report(
    each_tree: Node, each_reports: list[Report], rules: RuleSet
) -> None:
    rows = matrix_rows(each_tree)
    words = {Severity.ERROR: "error", Severity.WARNING: "warning"}
    for report in each_reports:
        assert report.media[0].path is not None
        row = rows[Path(report.media[0].path).name]
        for key in PLATFORMS:
            found = report.for_platform(key) + report.for_platform(ALL_PLATFORMS)
            ranked = sorted(v.severity for v in found if v.severity is not Severity.INFO)
            expected = words[min(ranked, key=lambda s: s.rank)] if ranked else "ok"
            cell = row[rules.platforms[key].name]
            assert status(cell) == expected, (report.media[0].path, key)
            mark = cell.one("span", "mark").text
            assert mark.startswith({"ok": "✓", "warning": "⚠", "error": "✗"}[expected])
            assert cell.attrs["title"] == cell.attrs["aria-label"]
            assert cell.attrs["aria-label"].startswith(f"{rules.platforms[key].name}, ")


def test_known_cells(each_tree: Node) -> None:
    rows = matrix_rows(each_tree)
    webp = rows["photo.webp"]["LinkedIn"]
    assert status(webp) == "warning" and "image.format_converted" in webp.attrs["aria-label"]
    assert all(status(cell) == "error" for cell in rows["broken.jpg"].values())
    assert "media.unreadable" in rows["broken.jpg"]["Bluesky"].attrs["aria-label"]


def test_info_only_counts_as_ready_with_a_note(each_tree: Node) -> None:
    cell = matrix_rows(each_tree)["photo.webp"]["X"]  # PNG preferred: a note only
    assert status(cell) == "ok"
    assert cell.find("sup", "note") and "1 note" in cell.attrs["aria-label"]
    assert cell.one("span", "word").text == "ok, 1 note"


def test_verdict_counts_files(each_tree: Node, each_reports: list[Report]) -> None:
    verdict = each_tree.one("section", "verdict")
    assert "error" in verdict.classes
    failed = sum(1 for r in each_reports if r.errors)
    warned = sum(1 for r in each_reports if r.ok and r.warnings)
    ready = len(each_reports) - failed - warned
    assert (failed, warned, ready) == (3, 1, 0)  # the JPEG only warns (Bluesky: no alt text)
    text = " ".join(verdict.text.split())
    assert text.startswith("✗ 4 files checked. Not ready: 3 of 4 have errors.")
    assert "✓ 0 ready ⚠ 1 with warnings only ✗ 3 with errors" in text


def test_header_names_title_time_and_platforms(each_tree: Node) -> None:
    assert each_tree.one("title").text == "Batch" and each_tree.one("h1").text == "Batch"
    meta = each_tree.one("p", "meta")
    assert meta.one("time").attrs["datetime"] == "2026-05-01T09:30:00+00:00"
    assert "X, LinkedIn, Instagram, Bluesky" in meta.text


def test_ready_post_says_so(media: dict[str, Path], rules: RuleSet) -> None:
    report = mediarules.check([str(media["photo.jpg"])], platforms=["x"], rules=rules)
    assert report.ok and not report.warnings
    tree = parse(render_html([report], ["x"], rules))
    verdict = tree.one("section", "verdict")
    assert "ok" in verdict.classes and "Ready to publish" in verdict.text
    assert status(matrix_rows(tree)["photo.jpg"]["X"]) in ("ok",)


# -- details ---------------------------------------------------------------------------------


def test_every_violation_and_fix_is_shown(each_tree: Node, each_reports: list[Report]) -> None:
    for report in each_reports:
        assert report.media[0].path is not None
        card = card_named(each_tree, Path(report.media[0].path).name)
        text = card.text
        for violation in report.violations:
            assert violation.message in text
            assert violation.code in text
            if violation.fix is not None:
                assert violation.fix.title in text
                assert violation.fix.applicability.value in text
                for lost in violation.fix.loses:
                    assert lost in text
            if violation.code in CODES:
                assert CODES[violation.code].why in text


def test_facts_are_in_human_units(each_tree: Node) -> None:
    facts = card_named(each_tree, "clip.mp4").one("dl", "facts")
    terms, values = facts.find("dt"), facts.find("dd")
    pairs = dict(zip([d.text for d in terms], [d.text for d in values], strict=True))
    assert pairs["Format"] == "MP4" and pairs["Pixels"] == "320 \u00d7 240 px"
    assert pairs["Frame rate"] == "30 fps" and pairs["Duration"].endswith(" s")
    assert pairs["File size"].endswith(" KB")


def test_one_post_of_several_files(media: dict[str, Path], rules: RuleSet) -> None:
    files = [str(media[n]) for n in ("photo.webp", "clip.mp4", "broken.jpg")]
    report = mediarules.check(files, platforms=PLATFORMS, caption="Hi <b>there</b>", rules=rules)
    tree = parse(render_html([report], PLATFORMS, rules))
    rows = matrix_rows(tree)
    assert list(rows) == ["photo.webp", "clip.mp4", "broken.jpg", "Whole post"]
    # photo and video together: a post-wide error, in the whole-post row and section
    assert status(rows["Whole post"]["X"]) == "error"
    assert "post.mixed_media_not_allowed" in rows["Whole post"]["X"].attrs["aria-label"]
    assert "post.mixed_media_not_allowed" not in rows["photo.webp"]["X"].attrs["aria-label"]
    whole = tree.one("section", "post").one("div", "whole")
    assert "post.mixed_media_not_allowed" in whole.text
    assert len(cards(tree)) == 3
    by_platform = tree.one("p", "by-platform").text
    assert "Errors on" in by_platform and "LinkedIn" in by_platform


def test_several_posts_of_several_files(media: dict[str, Path], rules: RuleSet) -> None:
    first = [str(media["photo.jpg"]), str(media["photo.webp"])]
    second = [str(media["clip.mp4"]), str(media["broken.jpg"])]
    reports = [mediarules.check(f, platforms=PLATFORMS, rules=rules) for f in (first, second)]
    tree = parse(render_html(reports, PLATFORMS, rules))
    groups = [" ".join(g.text.split()) for g in tree.find("tr", "group")]
    assert groups == ["Post 1 · 2 files", "Post 2 · 2 files"]
    assert list(matrix_rows(tree)) == [
        "photo.jpg", "photo.webp", "Post 1: whole", "clip.mp4", "broken.jpg", "Post 2: whole",
    ]  # fmt: skip
    ids = [node.attrs["id"] for node in tree.walk() if "id" in node.attrs]
    assert len(ids) == len(set(ids))
    links = {node.attrs["href"] for node in tree.walk() if "href" in node.attrs}
    assert links and all(link.startswith("#") and link[1:] in ids for link in links)
    assert " ".join(tree.one("tfoot").text.split()).startswith("Posts without errors")


def test_text_only_post(rules: RuleSet) -> None:
    report = mediarules.check([], platforms=["instagram", "x"], caption="Hi", rules=rules)
    tree = parse(render_html([report], ["instagram", "x"], rules))
    rows = matrix_rows(tree)
    assert list(rows) == ["Whole post"] and status(rows["Whole post"]["Instagram"]) == "error"
    assert "post.media_required" in tree.one("div", "whole").text
    assert not cards(tree)


def test_no_reports(rules: RuleSet) -> None:
    tree = parse(render_html([], PLATFORMS, rules))
    assert "Nothing was checked" in tree.one("section", "verdict").text


# -- safety ----------------------------------------------------------------------------------

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>.jpg'


def _report_for(name: str, message: str, fix_title: str = "Fix <it>") -> Report:
    return Report(
        ok=False,
        violations=[
            Violation(
                code="image.format_not_allowed",
                severity=Severity.ERROR,
                platform="x",
                media_index=0,
                path=name,
                message=message,
                fix=Fix(
                    title=fix_title,
                    applicability=Applicability.SAFE,
                    steps=[FixStep(op="manual")],
                    loses=["<b>bold</b>"],
                ),
                source="<a href='https://evil.example'>src</a>",
            )
        ],
        media=[MediaFacts(path=name, kind="image", format="<svg onload=alert(3)>")],
    )


def test_hostile_text_stays_text(tmp_path: Path, rules: RuleSet) -> None:
    # on disk: the folder "<script>alert(1)<" holds "script>.jpg"
    (tmp_path / "<script>alert(1)<").mkdir()
    real = make_image(tmp_path / "<script>alert(1)</script>.jpg")
    reports = [
        _report_for(HOSTILE, "caption has <b onclick=alert(4)>html</b> & more"),
        mediarules.check([str(real)], platforms=["x"], rules=rules),
    ]
    page = render_html(reports, ["x"], rules, title="<script>alert(5)</script>")
    tree = parse(page)
    for node in tree.walk():
        assert node.tag not in ("script", "b", "iframe", "object", "embed", "link")
        assert not any(name.startswith("on") for name in node.attrs), node
    assert not [img for img in tree.find("img") if not img.attrs["src"].startswith("data:")]
    names = [c.one(cls="file-name").one("span", "name").text for c in cards(tree)]
    assert names == ['script>"><img src=x onerror=alert(2)>.jpg', "script>.jpg"]
    assert HOSTILE in cards(tree)[0].one("dl", "facts").text
    assert str(real) in cards(tree)[1].one("dl", "facts").text
    assert "caption has <b onclick=alert(4)>html</b> & more" in tree.text
    assert tree.one("h1").text == "<script>alert(5)</script>"


def test_no_external_resources(each_page: str, rules: RuleSet) -> None:
    # a URL in the report's own text stays text
    page = render_html([_report_for("a.jpg", "see https://example.com/x")], ["x"], rules)
    for tree in (parse(each_page), parse(page)):
        for node in tree.walk():
            for attribute in ("src", "href", "srcset", "action", "data", "poster", "xlink:href"):
                value = node.attrs.get(attribute, "")
                assert not value.startswith(("http:", "https:", "//")), (node.tag, value)
            assert node.tag not in ("script", "link", "iframe", "object", "embed")
        style = "".join(s.text for s in tree.find("style"))
        assert "url(" not in style and "@import" not in style
    # no URL in the markup at all, not even an SVG namespace (HTML implies it)
    assert "xmlns" not in each_page and '"http' not in each_page


def test_the_style_sheet_is_the_package_data_file(each_tree: Node) -> None:
    shipped = resources.files("mediarules.outputs").joinpath("report.css").read_text("utf-8")
    source = Path(html_report.__file__).with_name("report.css").read_text("utf-8")
    assert shipped == source and html_report.style_sheet() == shipped
    [style] = each_tree.find("style")
    assert style.text.strip() == shipped.strip()
    assert ".matrix" in shipped and "@media print" in shipped  # the whole sheet, not a stub


def test_undecodable_file_names(tmp_path: Path, rules: RuleSet) -> None:
    name = os.fsdecode(b"caf\xe9.jpg")  # "caf\udce9.jpg" on POSIX
    path = tmp_path / name
    try:
        make_image(path)
    except (UnicodeEncodeError, OSError):
        pytest.skip("this file system does not take undecodable names")
    report = mediarules.check([str(path)], platforms=["x"], rules=rules)
    reports = [report, _report_for("caf\udce9\ud800.jpg", "bad caf\udce9")]
    out = tmp_path / "report.html"
    write_html_report(reports, ["x"], rules, out)
    page = out.read_bytes().decode("utf-8")  # strict: valid UTF-8
    names = [c.one(cls="file-name").one("span", "name").text for c in cards(parse(page))]
    assert names == ["caf\\xe9.jpg", "caf\\xe9\\ud800.jpg"]
    assert "bad caf\\xe9" in page
    thumb = card_named(parse(page), "caf\\xe9.jpg").one(cls="thumb")
    assert thumb.tag == "img"  # the file itself was read


def test_control_and_bidi_characters_are_visible(rules: RuleSet) -> None:
    tree = parse(render_html([_report_for("evil\u202egpj.exe\x1b[31m", "m")], ["x"], rules))
    assert cards(tree)[0].one(cls="file-name").one("span", "name").text == (
        "evil\\u202egpj.exe\\x1b[31m"
    )


_NAMES = st.text(min_size=1, max_size=40).filter(lambda s: "/" not in s and s not in (".", ".."))
_TEXT = st.text(max_size=80)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=_NAMES, message=_TEXT, fix_title=_TEXT, title=_TEXT)
def test_any_text_keeps_the_structure(name: str, message: str, fix_title: str, title: str) -> None:
    rules = default_rules()
    page = render_html([_report_for(name, message, fix_title)], ["x"], rules, title=title)
    page.encode("utf-8")  # no lone surrogate left
    tree = parse(page)
    assert len(cards(tree)) == 1 and len(tree.find("table")) == 1
    assert len(tree.find(cls="thumb")) == 1 and len(tree.find("li", "issue")) == 1
    assert not tree.find("script")
    plain = all(c.isprintable() or c == " " for c in name + message) and not any(
        "\ud800" <= c <= "\udfff" for c in name + message
    )
    if plain:  # ordinary text shows exactly as given
        card = cards(tree)[0]
        assert card.one(cls="file-name").one("span", "name").text == name
        assert card.one("p", "msg").text == message


# -- writing ---------------------------------------------------------------------------------


def test_written_atomically_and_rewritten(
    media: dict[str, Path], each_reports: list[Report], rules: RuleSet, tmp_path: Path
) -> None:
    folder = media["photo.jpg"].parent
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    out = folder / "report.html"
    try:
        write_html_report(each_reports, PLATFORMS, rules, out, title="First")
        write_html_report(each_reports, PLATFORMS, rules, out, title="Second")
        after = {p.name: p.read_bytes() for p in folder.iterdir() if p.name != "report.html"}
        assert after == before  # inputs untouched, no temporary file left
        assert parse(out.read_text("utf-8")).one("h1").text == "Second"
        assert not out.stat().st_mode & 0o111  # an ordinary, non-executable file
    finally:
        out.unlink(missing_ok=True)


def test_failed_write_keeps_the_old_report(
    each_reports: list[Report], rules: RuleSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "report.html"
    out.write_text("old report")

    def broken_replace(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_html_report(each_reports[:1], PLATFORMS, rules, out)
    assert out.read_text() == "old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_never_writes_over_an_input(
    media: dict[str, Path], each_reports: list[Report], rules: RuleSet
) -> None:
    target = media["photo.jpg"]
    before = target.read_bytes()
    with pytest.raises(ValueError, match="checked files"):
        write_html_report(each_reports, PLATFORMS, rules, target)
    assert target.read_bytes() == before


# -- in a real browser -----------------------------------------------------------------------

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(BROWSER is None, reason="no chromium on PATH")
def test_chromium_renders_the_page(
    each_reports: list[Report], rules: RuleSet, tmp_path: Path
) -> None:
    assert BROWSER is not None
    page = tmp_path / "report.html"
    shot = tmp_path / "report.png"
    write_html_report(each_reports, PLATFORMS, rules, page, title="Screenshot")
    subprocess.run(
        [
            BROWSER,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            # No background connections: this machine's network is closed.
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1280,1600",
            page.as_uri(),
        ],
        check=False,
        capture_output=True,
        timeout=120,
    )
    assert shot.is_file() and shot.stat().st_size > 20_000
    with Image.open(shot) as image:
        assert image.size == (1280, 1600)
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
        assert colours is not None and len(colours) > 50  # text, marks, thumbnails: not blank


# -- the command line: check --html ----------------------------------------------------------


def test_check_html_writes_the_page_next_to_the_usual_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mediarules.cli import main

    banner = make_image(tmp_path / "banner.webp", format="WEBP", size=(1200, 630))
    report = tmp_path / "out" / "report.html"
    report.parent.mkdir()
    code = main(["check", str(banner), "-p", "linkedin,instagram", "--html", str(report)])
    assert code == 1 and "#  file" in capsys.readouterr().out  # the text report still prints
    tree = parse(report.read_text(encoding="utf-8"))
    assert [c.one(cls="file-name").one("span", "name").text for c in cards(tree)] == ["banner.webp"]
    assert "image.format_not_allowed" in tree.text


def test_check_each_html_has_a_card_per_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mediarules.cli import main

    folder = tmp_path / "content"
    folder.mkdir()
    make_image(folder / "a.jpg", size=(1080, 1080))
    make_image(folder / "b.webp", format="WEBP", size=(1080, 1080))
    make_corrupt(folder / "c.jpg")
    report = tmp_path / "report.html"
    argv = ["check", "--each", str(folder), "-p", "instagram", "--format", "json", "-j", "2"]
    assert main([*argv, "--html", str(report)]) == 1
    assert len(capsys.readouterr().out.splitlines()) == 3  # JSON Lines still stream
    names = [c.one(cls="file-name").one("span", "name").text for c in cards(parse(
        report.read_text(encoding="utf-8")))]  # fmt: skip
    assert names == ["a.jpg", "b.webp", "c.jpg"]


def test_check_html_refuses_to_write_over_a_checked_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mediarules.cli import main

    photo = make_image(tmp_path / "a.jpg")
    before = photo.read_bytes()
    assert main(["check", str(photo), "-p", "x", "--html", str(photo)]) == 2
    assert "one of the checked files" in capsys.readouterr().err
    assert photo.read_bytes() == before
