"""The validated rules table kept between runs (``mediarules.rules_cache``).

A cache can only save time: an entry gives the very table a fresh load gives, a damaged,
foreign or unreadable entry is ignored (and rewritten), a folder that cannot be written
changes nothing, and a table whose bytes change is validated again.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

import mediarules
from mediarules import rules_cache
from mediarules.remote import documents
from mediarules.ruleset import RuleConfigError, RuleSet, default_rules_path, load_rules

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of this test's own (the rules entries go to its ``rules`` folder)."""
    monkeypatch.setenv(rules_cache.FOLDER_VARIABLE, str(tmp_path / "cache"))
    monkeypatch.delenv(rules_cache.DISABLE_VARIABLE, raising=False)
    return tmp_path / "cache" / "rules"


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("rules-*.pickle")) if folder.is_dir() else []


def _fresh(monkeypatch: pytest.MonkeyPatch, *args: object, **kwargs: object) -> RuleSet:
    """A load that neither reads nor writes the cache."""
    with monkeypatch.context() as patch:
        patch.setenv(rules_cache.DISABLE_VARIABLE, "1")
        return load_rules(*args, **kwargs)  # type: ignore[arg-type]


def _refuse_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> RuleSet:
        raise AssertionError("the table was validated again")

    monkeypatch.setattr(RuleSet, "model_validate", refuse)


def test_an_entry_gives_the_table_a_fresh_load_gives(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load_rules()
    (entry,) = _entries(cache)
    _refuse_validation(monkeypatch)
    again = load_rules()  # from the entry: validating would raise
    assert again == first
    assert again is not first
    assert again.model_dump(mode="json") == first.model_dump(mode="json")
    assert entry.stat().st_size > 1000


def test_verdicts_from_a_cached_table_are_those_of_a_fresh_one(
    cache: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.media import make_image

    load_rules()  # writes the entry
    cached = load_rules()
    fresh = _fresh(monkeypatch)
    photo = make_image(tmp_path / "photo.png", format="PNG", size=(4000, 300))
    platforms = sorted(fresh.platforms)
    for caption in (None, "Launch day #new @team https://example.com " * 20):
        got = mediarules.check([photo], platforms=platforms, caption=caption, rules=cached)
        want = mediarules.check([photo], platforms=platforms, caption=caption, rules=fresh)
        assert got.model_dump(mode="json") == want.model_dump(mode="json")
        assert got.violations, "the post breaks some limit somewhere"


def test_the_command_line_writes_an_entry_and_reads_it_back(tmp_path: Path) -> None:
    from tests.media import make_image

    photo = make_image(tmp_path / "photo.jpg")
    env = {**os.environ, rules_cache.FOLDER_VARIABLE: str(tmp_path / "cache")}
    env.pop(rules_cache.DISABLE_VARIABLE, None)
    command = [sys.executable, "-m", "mediarules", "check", str(photo), "-p", "x,tiktok",
               "--format", "json"]  # fmt: skip
    runs = [
        subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, check=False)
        for _ in range(2)
    ]
    assert [run.returncode for run in runs] == [0, 0] or runs[0].returncode == runs[1].returncode
    assert runs[0].stdout == runs[1].stdout and runs[0].stderr == runs[1].stderr == ""
    assert len(_entries(tmp_path / "cache" / "rules")) == 1
    off = {**env, rules_cache.DISABLE_VARIABLE: "1"}
    uncached = subprocess.run(command, env=off, cwd=tmp_path, capture_output=True, text=True)
    assert uncached.stdout == runs[0].stdout


@pytest.mark.parametrize(
    "damage",
    ["truncated", "flipped byte", "empty", "garbage", "other key", "not a pickle"],
)
def test_a_damaged_entry_is_ignored_and_rewritten(
    cache: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    good = load_rules()
    (entry,) = _entries(cache)
    data = entry.read_bytes()
    header = len(data) - len(pickle.dumps(good, protocol=rules_cache.PROTOCOL))
    damaged = {
        "truncated": data[: len(data) // 2],
        "flipped byte": data[:-100] + bytes([data[-100] ^ 0x20]) + data[-99:],
        "empty": b"",
        "garbage": os.urandom(len(data)),
        "other key": data.replace(entry.name[6:46].encode(), b"0" * 40, 1),
        "not a pickle": data[:header] + b"not a pickle at all",
    }[damage]
    entry.write_bytes(damaged)
    again = load_rules()
    assert again == good
    assert entry.read_bytes() == data  # validated again, and the entry written again


def test_an_entry_naming_other_classes_runs_nothing(
    cache: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A pickle that would call a function (here: write a file) is refused, not run, even
    with a right header and digest."""
    good = load_rules()
    (entry,) = _entries(cache)
    proof = tmp_path / "ran"

    class Payload:
        def __reduce__(self) -> tuple[object, ...]:
            return (Path.write_text, (proof, "ran"))

    payload = pickle.dumps(Payload(), protocol=rules_cache.PROTOCOL)
    key = entry.read_bytes().split(b"\n")[1][:64]
    forged = b"".join(
        (b"mediarules rules cache 1\n", key, b"\n", hashlib.sha256(payload).digest(), payload)
    )
    assert entry.read_bytes().startswith(forged[: len(forged) - len(payload) - 32])
    entry.write_bytes(forged)
    assert load_rules() == good
    assert not proof.exists()


def test_another_users_entry_is_ignored(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not hasattr(os, "getuid") or os.getuid() != 0:
        pytest.skip("changing a file's owner needs root")
    load_rules()
    (entry,) = _entries(cache)
    os.chown(entry, 4242, 4242)
    _refuse_validation(monkeypatch)
    with pytest.raises(AssertionError, match="validated again"):
        load_rules()


@pytest.mark.parametrize("where", ["a file in the way", "a file as the folder"])
def test_a_cache_that_cannot_be_written_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    folder = blocker / "cache" if where == "a file in the way" else blocker
    monkeypatch.setenv(rules_cache.FOLDER_VARIABLE, str(folder))
    monkeypatch.delenv(rules_cache.DISABLE_VARIABLE, raising=False)
    first, second = load_rules(), load_rules()
    assert first == second == _fresh(monkeypatch)
    assert blocker.read_text() == "not a folder"


def test_an_unreadable_home_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """No cache folder variable and no home to find one in: the table is validated."""
    monkeypatch.delenv(rules_cache.FOLDER_VARIABLE, raising=False)
    monkeypatch.delenv(rules_cache.DISABLE_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "/proc/no/such/folder")
    assert load_rules() == _fresh(monkeypatch)


def test_turned_off_nothing_is_written(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(rules_cache.DISABLE_VARIABLE, "1")
    load_rules()
    assert _entries(cache) == []
    monkeypatch.setenv(rules_cache.DISABLE_VARIABLE, "0")  # "0" and "" mean on
    load_rules()
    assert len(_entries(cache)) == 1


def test_the_key_follows_the_bytes_of_every_layer(
    cache: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shipped = default_rules_path().read_bytes()
    base = tmp_path / "base.toml"
    base.write_bytes(shipped)
    same = load_rules(base=base)
    assert len(_entries(cache)) == 1  # the shipped table's own bytes: the same entry
    assert load_rules() == same
    assert len(_entries(cache)) == 1
    changed = shipped.replace(b"max_length = 280", b"max_length = 281", 1)
    assert changed != shipped
    base.write_bytes(changed)
    other = load_rules(base=base)
    assert len(_entries(cache)) == 2
    assert other != same and other == _fresh(monkeypatch, base=base)
    override = tmp_path / "mine.toml"
    override.write_text('[platforms.x.caption]\nmax_length = 100\nsource = "mine"\n')
    mine = load_rules(override, base=base)
    assert mine.platforms["x"].caption.max_length == 100
    layer = ("instance.json", {"platforms": {"mastodon": {"caption": {"max_length": 777}}}})
    layered = load_rules(override, base=base, layers=[layer])
    assert layered.platforms["mastodon"].caption.max_length == 777
    assert len(_entries(cache)) == 4
    _refuse_validation(monkeypatch)
    assert load_rules(override, base=base, layers=[layer]) == layered  # each its own entry
    assert load_rules(override, base=base) == mine


def test_a_broken_table_says_what_it_said_and_keeps_nothing(
    cache: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    messages = []
    for text in ("[platforms.x.caption]\nmax_lenght = 3\n", "not = [toml", "\xff"):
        override = tmp_path / "bad.toml"
        override.write_bytes(text.encode("latin-1"))
        for cached in (True, False):
            with monkeypatch.context() as patch:
                if not cached:
                    patch.setenv(rules_cache.DISABLE_VARIABLE, "1")
                with pytest.raises(RuleConfigError) as caught:
                    load_rules(override)
            messages.append(str(caught.value))
    assert messages[0::2] == messages[1::2]
    assert "did you mean 'max_length'" in messages[0]
    assert _entries(cache) == []
    with pytest.raises(RuleConfigError, match="not found"):
        load_rules(tmp_path / "missing.toml")


def test_old_entries_are_pruned(cache: Path, tmp_path: Path) -> None:
    shipped = default_rules_path().read_bytes()
    for number in range(rules_cache.KEEP_ENTRIES + 3):
        base = tmp_path / f"base{number}.toml"
        base.write_bytes(shipped + f"\n# {number}\n".encode())
        load_rules(base=base)
    assert len(_entries(cache)) == rules_cache.KEEP_ENTRIES


def test_the_cache_is_the_user_cache_folder_of_fetched_documents(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(rules_cache.DISABLE_VARIABLE, raising=False)
    for chosen in (str(tmp_path / "mine"), None):
        if chosen is None:
            monkeypatch.delenv(rules_cache.FOLDER_VARIABLE, raising=False)
            monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        else:
            monkeypatch.setenv(rules_cache.FOLDER_VARIABLE, chosen)
        folder = rules_cache.cache_folder()
        assert folder is not None
        assert folder.parent == documents.cache_folder().parent


def test_the_key_covers_what_makes_a_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """Python's version and the pickle protocol are in every key; the caller adds its own."""
    parts = [b"a", b"bc"]
    key = rules_cache.cache_key(parts)
    assert key == rules_cache.cache_key([b"a", b"bc"])
    assert key != rules_cache.cache_key([b"ab", b"c"])  # each part length-prefixed
    monkeypatch.setattr(rules_cache, "PROTOCOL", rules_cache.PROTOCOL - 1)
    protocol_changed = rules_cache.cache_key(parts)
    assert key != protocol_changed
    monkeypatch.setattr(sys, "version", sys.version + " (another build)")
    assert rules_cache.cache_key(parts) not in (key, protocol_changed)


def test_the_key_follows_the_code_that_validates(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An editable install changes the models without a new version: the source of the
    modules that make a table is in the key."""
    from mediarules import ruleset

    load_rules()
    fingerprint = ruleset._code_fingerprint()
    assert any(b"class RuleSet(BaseModel)" in part for part in fingerprint)
    assert any(b"def parse_toml" in part for part in fingerprint)
    monkeypatch.setattr(ruleset, "_code_fingerprint", lambda: (*fingerprint, b"# an edit"))
    load_rules()
    assert len(_entries(cache)) == 2
