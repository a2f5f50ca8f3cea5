"""Fix outputs cannot clobber a file, follow a symlink, leave a partial file or overflow a name.

Every input is made here, in ``tmp_path``; the attacks are real: other processes writing into
the same folder, a thread swapping names while an encode runs, a signal mid-encode.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import av
import pytest
from PIL import Image

from mediarules.checks.upload import sanitized_file_name
from mediarules.fixes.api import apply_fixes, plan_fixes
from mediarules.fixes.images import apply_image
from mediarules.fixes.targets import ImageTarget
from mediarules.safe_write import MAX_NAME_BYTES, OutputFolder, fit_name, numbered_name
from tests.media import make_image, make_video

REPO = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}


def run_fix(*args: str | Path, cwd: Path) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "mediarules", "fix", *map(str, args), "--format", "json"]
    return subprocess.Popen(
        argv, cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def written_paths(result: subprocess.Popen[str]) -> list[Path]:
    out, err = result.communicate(timeout=120)
    assert result.returncode in (0, 1), err
    return [Path(w["path"]) for w in json.loads(out)["written"]]


class Watcher(threading.Thread):
    """Calls ``act`` once with the first temporary file (not the folder probe) in ``folder``."""

    def __init__(self, folder: Path, act: Callable[[Path], object]) -> None:
        super().__init__(daemon=True)
        self.folder, self.act = folder, act
        self.acted = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            names = os.listdir(self.folder) if self.folder.is_dir() else []
            found = [n for n in names if n.endswith(".tmp") and not n.startswith(".probe.")]
            if found:
                self.act(self.folder / found[0])
                self.acted.set()
                return
            time.sleep(0.0005)


def slow_clip(path: Path) -> Path:
    """A clip whose TikTok fix re-encodes long enough for a watcher to act mid-encode."""
    return make_video(path, fps=20, duration_s=2, size=(360, 640), noise=True)


# -- concurrent runs and names taken meanwhile -----------------------------------------------


def test_concurrent_fix_runs_with_same_named_inputs_keep_every_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    runs = []
    for number in range(4):
        folder = tmp_path / f"in{number}"
        folder.mkdir()
        make_video(folder / "clip.mov", duration_s=0.3, size=(360, 640), fps=30 + number)
        runs.append(run_fix(folder / "clip.mov", "-p", "tiktok", "--out", out, cwd=tmp_path))
    paths = [path for run in runs for path in written_paths(run)]
    assert len(paths) == 4 and len(set(paths)) == 4
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)
    rates = set()
    for path in paths:
        with av.open(str(path)) as container:
            rates.add(container.streams.video[0].average_rate)
    assert rates == {30, 31, 32, 33}  # four different files: none replaced another


def test_a_file_written_at_the_planned_name_meanwhile_is_kept(tmp_path: Path) -> None:
    clip = slow_clip(tmp_path / "clip.mov")
    out = tmp_path / "out"
    planned = out / "clip-tiktok-1.mp4"
    watcher = Watcher(out, lambda _: planned.write_bytes(b"someone else's file"))
    watcher.start()
    result = apply_fixes(plan_fixes([clip], platforms="tiktok"), out, unsafe=True)
    watcher.stop.set()
    assert watcher.acted.is_set()  # it happened during the encode
    assert planned.read_bytes() == b"someone else's file"
    assert [Path(w.path).name for w in result.written] == ["clip-tiktok-1-2.mp4"]
    assert result.posts[0].report is not None and result.posts[0].report.media[0].kind == "video"


def test_a_dangling_symlink_at_the_planned_name_is_left_alone(tmp_path: Path) -> None:
    photo = make_image(tmp_path / "photo.webp", format="WEBP", size=(400, 300))
    out = tmp_path / "out"
    out.mkdir()
    nowhere = tmp_path / "nowhere.jpg"
    (out / "photo-linkedin-1.jpg").symlink_to(nowhere)
    result = apply_fixes(plan_fixes([photo], platforms="linkedin"), out)
    assert [Path(w.path).name for w in result.written] == ["photo-linkedin-1-2.jpg"]
    assert os.readlink(out / "photo-linkedin-1.jpg") == str(nowhere)
    assert not nowhere.exists()
    with Image.open(out / "photo-linkedin-1-2.jpg") as im:
        assert (im.format, im.size) == ("JPEG", (400, 300))


def test_a_symlink_to_an_outside_file_at_the_planned_name_does_not_change_it(
    tmp_path: Path,
) -> None:
    photo = make_image(tmp_path / "photo.webp", format="WEBP", size=(400, 300))
    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "precious.txt"
    outside.write_bytes(b"do not touch")
    (out / "photo-linkedin-1.jpg").symlink_to(outside)
    result = apply_fixes(plan_fixes([photo], platforms="linkedin"), out)
    assert outside.read_bytes() == b"do not touch"
    assert (out / "photo-linkedin-1.jpg").is_symlink()
    assert [Path(w.path).name for w in result.written] == ["photo-linkedin-1-2.jpg"]


def test_swapping_the_temporary_file_for_a_symlink_mid_encode_writes_nothing_outside(
    tmp_path: Path,
) -> None:
    clip = slow_clip(tmp_path / "clip.mov")
    out = tmp_path / "out"
    outside = tmp_path / "precious.mp4"
    outside.write_bytes(b"do not touch")

    def swap(temporary: Path) -> None:
        link = temporary.with_name(".swap")
        link.symlink_to(outside)
        os.replace(link, temporary)  # the temporary name now points outside --out

    watcher = Watcher(out, swap)
    watcher.start()
    result = apply_fixes(plan_fixes([clip], platforms="tiktok"), out, unsafe=True)
    watcher.stop.set()
    assert watcher.acted.is_set()
    assert outside.read_bytes() == b"do not touch"
    for entry in out.iterdir():
        assert entry.is_symlink() == entry.name.endswith(".tmp")  # only the attacker's link
    for written in result.written:  # nothing published that is not the encoder's own file
        assert not Path(written.path).is_symlink()
    if not result.written:
        reason = "failed: the temporary file was removed or replaced during the write"
        assert [s.reason for s in result.skipped] == [reason]


def test_an_interrupted_encode_leaves_no_temporary_file(tmp_path: Path) -> None:
    clip = slow_clip(tmp_path / "clip.mov")
    out = tmp_path / "out"
    watcher = Watcher(out, lambda _: os.kill(os.getpid(), signal.SIGINT))
    watcher.start()
    with pytest.raises(KeyboardInterrupt):
        apply_fixes(plan_fixes([clip], platforms="tiktok"), out, unsafe=True)
    watcher.join(5)
    assert watcher.acted.is_set()
    assert os.listdir(out) == []


def test_an_interrupt_while_the_temporary_file_is_created_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The watcher above can strike between the open and the bookkeeping (CI, 2026-12-02)."""
    out = tmp_path / "out"
    folder = OutputFolder.open(out)

    def interrupted(descriptor: int, *args: object, **kwargs: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fdopen", interrupted)
    with pytest.raises(KeyboardInterrupt), folder.temporary("clip.mp4"):
        pass
    monkeypatch.undo()
    assert os.listdir(out) == []
    folder.close()


def test_a_failed_image_fix_leaves_no_file(tmp_path: Path) -> None:
    banner = make_image(tmp_path / "banner.png", format="PNG", size=(1000, 200))
    data = banner.read_bytes()
    banner.write_bytes(data[: len(data) * 2 // 3])  # the header reads, the pixels do not
    out = tmp_path / "out"
    fix_plan = plan_fixes([banner], platforms="instagram")  # 5:1 needs bars: one output
    assert len(fix_plan.outputs) == 1
    result = apply_fixes(fix_plan, out, unsafe=True)
    assert not result.written
    assert [s.reason for s in result.skipped] == ["failed: image file is truncated"]
    assert os.listdir(out) == []


def test_library_warnings_go_into_the_changes_not_to_stderr(
    tmp_path: Path, recwarn: pytest.WarningsRecorder
) -> None:
    exif = Image.Exif()
    exif[0x010F] = "Cam"
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (64, 48), (10, 120, 200)).save(photo, exif=exif.tobytes()[:-2])
    result = apply_image(photo, ImageTarget(format="png"), tmp_path / "photo.png")
    assert [c for c in result.changes if c.startswith("decoder warning: Corrupt EXIF")]
    assert len(recwarn) == 0


# -- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize("stem", ["x" * 235, "é" * 117 + "x", "照" * 78 + "x"])
def test_a_240_byte_input_name_gives_outputs_within_255_bytes(tmp_path: Path, stem: str) -> None:
    photo = tmp_path / f"{stem}.webp"
    assert len(os.fsencode(photo.name)) == 240
    make_image(photo, format="WEBP", size=(400, 300))
    out = tmp_path / "out"
    names = []
    for _ in range(2):  # the second run takes a numbered name: it must fit too
        result = apply_fixes(plan_fixes([photo], platforms="linkedin"), out)
        names += [Path(w.path).name for w in result.written]
    assert len(names) == 2 and len(set(names)) == 2
    for name in names:
        assert len(os.fsencode(name)) <= MAX_NAME_BYTES
        assert (out / name).is_file()
    assert names[0].endswith("-linkedin-1.jpg") and names[1].endswith("-linkedin-1-2.jpg")
    # letters with an ASCII form kept readable; others go, as the upload API drops them
    assert names[0][0] == stem[0].replace("é", "e").replace("照", "x")
    assert all(sanitized_file_name(name) == name for name in names)


def test_names_are_cut_at_character_boundaries() -> None:
    name = fit_name("é" * 200, "-x-1.jpg")
    assert len(name.encode()) <= MAX_NAME_BYTES and name.endswith("-x-1.jpg")
    assert set(name[: -len("-x-1.jpg")]) == {"é"}
    assert numbered_name("a.jpg", 3) == "a-3.jpg"
    assert len(numbered_name("€" * 85 + ".png", 12).encode()) <= MAX_NAME_BYTES


def test_non_ascii_letters_stay_readable_and_controls_go(tmp_path: Path) -> None:
    """Letters without an ASCII form go too: the upload API would drop them, and the fixed
    file would raise media.filename_changed again."""
    photo = make_image(tmp_path / "Crème фото \x1b[2J\n.webp", format="WEBP", size=(400, 300))
    result = apply_fixes(plan_fixes([photo], platforms="linkedin"), tmp_path / "out")
    assert [Path(w.path).name for w in result.written] == ["Creme_2J-linkedin-1.jpg"]
    codes = [v.code for post in result.posts if post.report for v in post.report.violations]
    assert "media.filename_changed" not in codes


# -- folders that cannot be written ----------------------------------------------------------


@pytest.mark.parametrize("where", ["under-a-file", "/proc/mediarules-out", "/proc/self"])
def test_an_unwritable_out_folder_is_one_line_and_exit_2(tmp_path: Path, where: str) -> None:
    photo = make_image(tmp_path / "photo.webp", format="WEBP", size=(400, 300))
    if where == "under-a-file":
        (tmp_path / "file").write_text("a file")
        out = str(tmp_path / "file" / "out")
    else:
        out = where
    run = run_fix(photo, "-p", "linkedin", "--out", out, cwd=tmp_path)
    stdout, stderr = run.communicate(timeout=60)
    assert run.returncode == 2
    assert stdout == ""
    assert stderr.count("\n") == 1 and stderr.startswith("mediarules: error: cannot write into")
    assert "Traceback" not in stderr
    assert os.fsencode(out).decode() in stderr


def in_a_read_only_mount(
    folder: Path, argv: list[str], cwd: Path
) -> subprocess.CompletedProcess[str] | None:
    """Run ``argv`` with a read-only tmpfs over ``folder``, in a mount namespace of its own (so
    nothing outside the child sees the mount, and it ends with the child). ``None`` where no
    namespace can be made: no ``unshare``, or neither root nor unprivileged user namespaces."""
    unshare = shutil.which("unshare")
    if unshare is None or not sys.platform.startswith("linux"):
        return None
    script = 'mount -t tmpfs -o ro tmpfs "$1" 2>/dev/null || exit 97; shift; exec "$@"'
    for flags in (["--mount"], ["--user", "--map-root-user", "--mount"]):
        done = subprocess.run(
            [unshare, *flags, "sh", "-c", script, "sh", str(folder), *argv],
            cwd=cwd,
            env=ENV,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 97 and not done.stderr.startswith("unshare:"):
            return done
    return None


@pytest.mark.parametrize("where", ["the-folder", "a-folder-in-it", "html-report"])
def test_a_read_only_file_system_is_one_line_and_exit_2(tmp_path: Path, where: str) -> None:
    """Root writes anywhere a mode bit forbids, so only a read-only mount shows this case."""
    photo = make_image(tmp_path / "photo.webp", format="WEBP", size=(400, 300))
    mount = tmp_path / "read-only"
    mount.mkdir()
    mediarules = [sys.executable, "-m", "mediarules"]
    if where == "html-report":
        target = mount / "page.html"
        argv = [*mediarules, "check", str(photo), "-p", "linkedin", "-q", "--html", str(target)]
        expected = f"mediarules: error: cannot write {target}: Read-only file system\n"
    else:
        out = mount if where == "the-folder" else mount / "out"
        argv = [*mediarules, "fix", str(photo), "-p", "linkedin", "--out", str(out)]
        why = "files cannot be created in it" if out == mount else "it cannot be created or opened"
        expected = (
            f"mediarules: error: cannot write into the output folder {out}: {why}"
            " (Read-only file system)\n"
        )
    run = in_a_read_only_mount(mount, argv, cwd=tmp_path)
    if run is None:
        pytest.skip("no private mount namespace here (unshare, root or user namespaces)")
    assert (run.returncode, run.stderr) == (2, expected)
    if where != "html-report":
        assert run.stdout == ""
    assert os.listdir(mount) == []  # the mount is gone with the child: nothing was written


def test_an_unwritable_folder_is_refused_before_any_output(tmp_path: Path) -> None:
    photo = make_image(tmp_path / "photo.webp", format="WEBP", size=(400, 300))
    fix_plan = plan_fixes([photo], platforms="linkedin")
    (tmp_path / "file").write_text("a file")
    with pytest.raises(OSError, match="a file is in the way"):
        apply_fixes(fix_plan, tmp_path / "file" / "out")


# -- publishing without hard links -----------------------------------------------------------


def test_without_hard_links_publishing_still_never_replaces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file system with no hard links (FAT, some shares): ``link`` fails with EPERM there, so
    publishing must fall back to a rename that refuses to replace."""

    def no_hard_links(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted")

    (tmp_path / "photo.jpg").write_bytes(b"mine")
    monkeypatch.setattr(os, "link", no_hard_links)
    with OutputFolder.open(tmp_path) as folder:
        first = folder.write_new("photo.jpg", b"new one", next_free=True)
        second = folder.write_new("photo.jpg", b"newer one", next_free=True)
        with pytest.raises(FileExistsError):
            folder.write_new("photo.jpg", b"refused")
    assert (first, second) == ("photo-2.jpg", "photo-3.jpg")
    assert (tmp_path / "photo.jpg").read_bytes() == b"mine"
    assert (tmp_path / "photo-2.jpg").read_bytes() == b"new one"
    assert sorted(os.listdir(tmp_path)) == ["photo-2.jpg", "photo-3.jpg", "photo.jpg"]


def test_publishing_syncs_unless_told_not_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    real_fsync = os.fsync

    def counting_fsync(descriptor: int) -> None:
        synced.append(descriptor)
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    with OutputFolder.open(tmp_path, create=False) as folder:
        with folder.temporary("kept") as temporary:
            temporary.file.write(b"kept")
            assert temporary.publish("kept.bin") == "kept.bin"
        assert len(synced) == 1
        with folder.temporary("fixture") as temporary:
            temporary.file.write(b"fixture")
            assert temporary.publish("kept.bin", next_free=True, sync=False) == "kept-2.bin"
        assert len(synced) == 1
    assert (tmp_path / "kept.bin").read_bytes() == b"kept"
    assert (tmp_path / "kept-2.bin").read_bytes() == b"fixture"
    assert sorted(os.listdir(tmp_path)) == ["kept-2.bin", "kept.bin"]
