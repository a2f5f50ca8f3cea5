"""The page at ``/`` used as a person would, in a real headless Chromium (Debian's package,
driven by Playwright; no browser is downloaded): pick platforms, type a caption and see the
counts, choose one file and drop another, check, read the ✗ and its fix, download the fixed
files, at a desktop's and a phone's width. Skipped where there is no Chromium."""

from __future__ import annotations

import base64
import io
import os
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import mediarules
from tests.media import make_image, make_video
from tests.service_process import ServiceProcess, running

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip(
        "no chromium on this machine (Debian: apt-get install chromium)", allow_module_level=True
    )
sync_api = pytest.importorskip("playwright.sync_api")

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS = 60_000
SCREENSHOTS = os.environ.get("MEDIARULES_SCREENSHOTS")
"""A folder to keep the screenshots in, to look at them (they are always taken)."""

CAPTION = "New drop 🚀 #launch @studio https://example.com/spring"
KEY = "a-key-for-the-page-test-0123"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    with running(tmp=tmp_path_factory.mktemp("page-serve")) as process:
        yield process


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.errors = errors
    try:
        yield page
    finally:
        context.close()


def shot(page: Any, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(SCREENSHOTS) / path.name)
    return path


def drop_file(page: Any, path: Path, mime: str) -> None:
    """Drop ``path`` on the drop zone as a person dragging it from a file manager would."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    transfer = page.evaluate_handle(
        """([data, name, mime]) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type: mime }));
            return transfer;
        }""",
        [data, path.name, mime],
    )
    for event in ("dragenter", "dragover", "drop"):
        page.dispatch_event("#drop", event, {"dataTransfer": transfer})


def count_of(page: Any, platform: str) -> str:
    return str(page.locator(f'#counts li[data-platform="{platform}"]').inner_text())


def test_a_person_checks_a_post_and_downloads_the_fixes(
    page: Any, service: ServiceProcess, tmp_path: Path
) -> None:
    clip = make_video(tmp_path / "clip.mp4", fps=20, duration_s=1.0, size=(360, 640))
    banner = make_image(tmp_path / "banner.webp", format="WEBP", size=(1200, 628))
    page.goto(f"{service.url}/")
    page.wait_for_selector("body[data-ready=true]")

    # platforms: one by mouse, one by keyboard, one post type
    page.get_by_label("TikTok", exact=True).check()
    page.get_by_label("LinkedIn", exact=True).focus()
    page.keyboard.press("Space")
    page.get_by_label("X", exact=True).check()
    assert page.get_by_label("LinkedIn", exact=True).is_checked()

    # the caption, counted as each platform counts it, as it is typed
    page.click("#caption")
    page.keyboard.type(CAPTION)
    for key in ("x", "linkedin", "tiktok"):
        expected = mediarules.measure(CAPTION, key)
        page.wait_for_function(
            "([key, length]) => { const li = document.querySelector("
            '`#counts li[data-platform="${key}"] .n`);'
            " return li && li.textContent === length.toLocaleString('en'); }",
            arg=[key, expected.length],
        )
        assert f"/ {expected.limit:,}" in count_of(page, key)
    page.keyboard.type(" " + "more words " * 25)
    page.wait_for_selector('#counts li.error[data-platform="x"]')
    assert "over" in count_of(page, "x") and "✗" in count_of(page, "x")
    page.fill("#caption", CAPTION)

    # files: one chosen, one dropped
    page.set_input_files("#files", str(clip))
    drop_file(page, banner, "image/webp")
    assert page.locator("#file-list .file-item .name").all_inner_texts() == [
        "clip.mp4",
        "banner.webp",
    ]
    page.fill("#alt-1", "The spring collection banner")

    page.click("#check")
    page.wait_for_selector("#result:not([hidden]) table.matrix")
    assert page.evaluate("document.activeElement.id") == "result"
    verdict = page.locator(".verdict").inner_text()
    assert "Not ready" in verdict and "TikTok" in verdict
    tiktok_clip = page.locator("tr.file").first.locator('td[data-platform="tiktok"]')
    assert "error" in (tiktok_clip.get_attribute("class") or "")
    assert tiktok_clip.inner_text().startswith("✗")
    assert "video.fps_too_low" in (tiktok_clip.get_attribute("aria-label") or "")
    issue = page.locator('li.issue[data-code="video.fps_too_low"]')
    assert "video is 20 fps; the minimum is 23 fps" in issue.inner_text()
    assert issue.locator(".fix-title").inner_text() == "Re-encode at 24 fps"
    assert issue.locator(".appl").inner_text().lower() == "unsafe"
    desktop = shot(page, tmp_path, "serve-page-desktop")

    # the fixed files, unsafe fixes included
    page.check("#unsafe")
    with page.expect_download() as download_info:
        page.click("#download")
    download = download_info.value
    assert download.suggested_filename == "mediarules-fixed.zip"
    archive = tmp_path / "fixed.zip"
    download.save_as(str(archive))
    page.wait_for_selector("#fix-status:has-text('Downloaded')")
    with zipfile.ZipFile(archive) as bundle:
        names = set(bundle.namelist())
        assert {"clip-tiktok-1.mp4", "mediarules-fix.json"} <= names
        assert any(name.startswith("banner-linkedin") for name in names)
        fixed = tmp_path / "out.mp4"
        fixed.write_bytes(bundle.read("clip-tiktok-1.mp4"))
    facts = mediarules.inspect(fixed)
    assert facts.fps is not None and facts.fps >= 23

    # a phone's width: nothing wider than the screen but the matrix, which scrolls in its box
    page.set_viewport_size({"width": 390, "height": 844})
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    phone = shot(page, tmp_path, "serve-page-phone")
    for picture in (desktop, phone):
        assert picture.stat().st_size > 20_000
    from PIL import Image

    with Image.open(phone) as image:
        assert image.width == 390 and image.height > 2000
    assert page.errors == []


def test_the_page_asks_for_the_api_key(browser: Any, tmp_path: Path) -> None:
    with running(tmp=tmp_path, env={"MEDIARULES_API_KEY": KEY}) as service:
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        try:
            page.goto(f"{service.url}/")
            page.wait_for_selector("#key-box:not([hidden])")
            assert "Cannot load the rules" in page.locator("#platforms").inner_text()
            page.fill("#api-key", KEY)
            page.keyboard.press("Enter")
            page.wait_for_selector("body[data-ready=true]")
            assert page.get_by_label("TikTok", exact=True).is_visible()
            assert page.locator("#key-box").is_hidden()
        finally:
            context.close()


def test_the_page_says_what_went_wrong(page: Any, service: ServiceProcess, tmp_path: Path) -> None:
    page.goto(f"{service.url}/")
    page.wait_for_selector("body[data-ready=true]")
    page.click("#check")
    assert page.locator("#status").inner_text() == "Pick at least one platform first."
    assert page.locator("#status").get_attribute("role") == "alert"
    page.get_by_label("Instagram", exact=True).check()
    junk = tmp_path / "notes.jpg"
    junk.write_bytes(b"\xff\xd8\xff\xe0 not really a JPEG " * 20)
    page.set_input_files("#files", str(junk))
    page.click("#check")
    page.wait_for_selector('li.issue[data-code="media.unreadable"]')
    assert (
        "cannot read the file"
        in page.locator('li.issue[data-code="media.unreadable"]').inner_text()
    )
    buffer = io.BytesIO()
    buffer.write(page.screenshot())
    assert buffer.tell() > 0
