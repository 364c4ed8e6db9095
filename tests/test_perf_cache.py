"""The config cache (``scsync.config.cache``): hits, misses, invalidation, corrupt entries, and
that an entry holds no secret and never runs code."""

from __future__ import annotations

import base64
import marshal
import shutil
from pathlib import Path
from typing import Any

import pytest

from scsync import engine
from scsync.config import Config, load_config
from scsync.config.cache import CACHE_DIR, ENTRY, HEADER, cache_key, cached_load
from scsync.config.locations import Locations
from scsync.errors import ConfigError
from scsync.resources import Kind, ResourceKey

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "config"


class CountingLoad:
    """``load_config``, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, root: Path, *, var_files: Any = ()) -> Config:
        self.calls += 1
        return load_config(root, var_files=var_files)


@pytest.fixture()
def account(tmp_path: Path) -> Path:
    root = tmp_path / "config"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".scsync"))
    return root


def entry_of(root: Path) -> Path:
    return root / CACHE_DIR / ENTRY


def same_config(a: Config, b: Config) -> None:
    assert a.root == b.root
    assert a.settings == b.settings
    assert a.desired == b.desired
    assert [dict(r.locations) for r in a.desired.values()] == [
        dict(r.locations) for r in b.desired.values()]
    assert a.warnings == b.warnings
    assert a.digest() == b.digest()


def test_a_miss_stores_the_config_and_a_hit_returns_it_without_loading(account: Path) -> None:
    load = CountingLoad()
    first = cached_load(account, (), load)
    assert load.calls == 1
    assert entry_of(account).is_file()
    second = cached_load(account, (), load)
    assert load.calls == 1
    same_config(second, load_config(account))
    same_config(first, second)
    assert len(second.desired) == 18


def test_any_change_to_a_file_is_a_miss(account: Path) -> None:
    load = CountingLoad()
    cached_load(account, (), load)
    topics = account / "topics.yaml"
    topics.write_text(topics.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    cached_load(account, (), load)
    assert load.calls == 2
    cached_load(account, (), load)
    assert load.calls == 2


def test_a_new_file_and_a_removed_file_are_misses(account: Path) -> None:
    load = CountingLoad()
    cached_load(account, (), load)
    extra = account / "more.yaml"
    extra.write_text("topics:\n  Extra topic:\n    searchkeywords: extra\n", encoding="utf-8")
    config = cached_load(account, (), load)
    assert load.calls == 2
    assert "topic.Extra topic" in {r.address for r in config.desired.values()}
    extra.unlink()
    config = cached_load(account, (), load)
    assert load.calls == 3
    assert "topic.Extra topic" not in {r.address for r in config.desired.values()}


def test_var_files_are_part_of_the_key(account: Path, tmp_path: Path) -> None:
    one, two = tmp_path / "one.yaml", tmp_path / "two.yaml"
    one.write_text("unused: 1\n", encoding="utf-8")
    two.write_text("unused: 2\n", encoding="utf-8")
    keys = {cache_key(account), cache_key(account, [one]), cache_key(account, [two])}
    assert len(keys) == 3
    assert cache_key(account, [one]) == cache_key(account, [one])
    one.write_text("unused: 3\n", encoding="utf-8")
    assert cache_key(account, [one]) not in keys


def test_an_unreadable_var_file_is_not_cached_and_reports_as_usual(account: Path,
                                                                  tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    assert cache_key(account, [missing]) is None
    with pytest.raises(ConfigError) as caught:
        cached_load(account, [missing])
    with pytest.raises(ConfigError) as direct:
        load_config(account, var_files=[missing])
    assert [str(p) for p in caught.value.problems] == [str(p) for p in direct.value.problems]
    assert not entry_of(account).exists()


def test_a_config_with_errors_is_never_cached(account: Path) -> None:
    (account / "users.yaml").write_text("users:\n  not-an-email: {}\n", encoding="utf-8")
    load = CountingLoad()
    for _ in range(2):
        with pytest.raises(ConfigError):
            cached_load(account, (), load)
    assert load.calls == 2
    assert not entry_of(account).exists()


@pytest.mark.parametrize("content", [
    b"",
    b"garbage",
    HEADER + b"0" * 64 + b"\n" + base64.b64encode(marshal.dumps((1, 2, 3, 4))),
])
def test_a_corrupt_or_stale_entry_is_ignored_and_rebuilt(account: Path, content: bytes) -> None:
    entry = entry_of(account)
    entry.parent.mkdir(parents=True)
    entry.write_bytes(content)
    load = CountingLoad()
    config = cached_load(account, (), load)
    assert load.calls == 1
    same_config(config, load_config(account))
    assert entry.read_bytes().startswith(HEADER + cache_key(account).encode())  # type: ignore


def test_a_corrupt_body_under_the_right_key_is_ignored(account: Path) -> None:
    key = cache_key(account)
    assert key is not None
    entry = entry_of(account)
    entry.parent.mkdir(parents=True)
    for body in (b"!!not base64!!", base64.b64encode(b"\x00\x01"),
                 base64.b64encode(marshal.dumps({"settings": 1}))):
        entry.write_bytes(HEADER + key.encode() + b"\n" + body)
        load = CountingLoad()
        cached_load(account, (), load)
        assert load.calls == 1


def test_a_cache_directory_that_cannot_be_written_is_skipped(account: Path) -> None:
    (account / ".scsync").write_text("a file where the directory would go", encoding="utf-8")
    load = CountingLoad()
    first = cached_load(account, (), load)
    second = cached_load(account, (), load)
    assert load.calls == 2
    same_config(first, second)


SOCIALCONNECT = """provider:
  type: socialconnect
  base_url: http://127.0.0.1:9
  account_id: 1001
  token: ${env:SCSYNC_PERF_TOKEN}
"""


def test_the_entry_is_text_and_keeps_env_references_unresolved(
        account: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = account / "scsync.yaml"
    text = settings.read_text(encoding="utf-8")
    start, end = text.index("provider:"), text.index("# The real platform")
    settings.write_text(text[:start] + SOCIALCONNECT + text[end:], encoding="utf-8")
    monkeypatch.setenv("SCSYNC_PERF_TOKEN", "tok-planted-secret-123")
    config = cached_load(account)
    assert config.settings.provider.token == "${env:SCSYNC_PERF_TOKEN}"  # type: ignore[union-attr]
    raw = entry_of(account).read_bytes()
    raw.decode("ascii")  # text: tools that read every file of a tree as text do not choke
    body = marshal.dumps(marshal.loads(base64.b64decode(raw.split(b"\n", 1)[1])))
    assert b"tok-planted-secret-123" not in raw + body
    assert b"${env:SCSYNC_PERF_TOKEN}" in body
    assert marshal.loads(base64.b64decode(raw.split(b"\n", 1)[1]))[3] == config.digest()
    same_config(cached_load(account), config)


def test_engine_load_uses_the_cache_only_when_asked(account: Path) -> None:
    engine.load(account)
    assert not entry_of(account).exists()
    cached = engine.load(account, cache=True)
    assert entry_of(account).is_file()
    same_config(engine.load(account, cache=True), cached)


def test_a_cache_entry_of_another_directory_is_not_shared(account: Path, tmp_path: Path) -> None:
    cached_load(account)
    other = tmp_path / "other"
    shutil.copytree(account, other)
    (other / "topics.yaml").write_text("topics: {}\n", encoding="utf-8")
    load = CountingLoad()
    config = cached_load(other, (), load)
    assert load.calls == 1
    assert not [r for r in config.desired.values() if r.kind.value == "topic"]


@pytest.mark.parametrize("cached", [False, True])
def test_locations_are_worked_out_only_when_asked(account: Path, cached: bool,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A load keeps no source map; a location asked for later (a plan-time problem) parses the
    file again and is exact, from a fresh load and from the cache alike."""
    monkeypatch.chdir(account)  # paths are shown relative to where scsync runs
    if cached:
        cached_load(account, ())
    config = cached_load(account, ()) if cached else load_config(account)
    topic = config.desired[ResourceKey.of(Kind.TOPIC, "ClaraLines Care")]
    assert isinstance(topic.locations, Locations)
    assert topic.locations.source.positions == {}
    assert all(r.locations._found is None for r in config.desired.values()
               if isinstance(r.locations, Locations))
    assert [str(topic.location(p)) for p in ("previous_names[0]", "streams[3]", "")] == [
        "topics.yaml:4:22", "topics.yaml:10:9", "topics.yaml:3:3"]


@pytest.mark.parametrize("cached", [False, True])
def test_a_template_is_located_in_its_rendered_text(account: Path, cached: bool,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A template keeps its rendered text, not a source map: a location asked for later is in
    the rendered text (its second profile lies past the template's last line)."""
    monkeypatch.chdir(account)
    if cached:
        cached_load(account, ())
    config = cached_load(account, ()) if cached else load_config(account)
    germany = config.desired[ResourceKey.of(Kind.PROFILE, "twitter/ClaraLinesDE")]
    if not cached:
        assert isinstance(germany.locations, Locations)
        assert germany.locations.source.positions == {}
    assert [str(germany.location(p)) for p in ("", "quick_replies[1].flow", "bio")] == [
        "profiles/regional.yaml.j2:14:3", "profiles/regional.yaml.j2:21:33",
        "profiles/regional.yaml.j2:17:10"]
