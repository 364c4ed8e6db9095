"""Loading: YAML 1.2 scalars, bounded aliases, file discovery, templates and var files, the
desired state's field shapes and locations, the digest, and the example account."""

from __future__ import annotations

import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from scsync.config import load_config
from scsync.config.yamlfast import MAX_DEPTH, YamlProblem, load, values
from scsync.errors import ConfigError, Location
from scsync.resources import Kind, ResourceKey

EXAMPLE = Path(__file__).parent.parent / "examples" / "config"
SETTINGS = "scsync: 1\nprovider: {type: emulator}\n"


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Problems name files from the working directory: here, the config directory itself."""
    monkeypatch.chdir(tmp_path)


def make_config(tmp_path: Path, files: dict[str, str], settings: str = SETTINGS) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "scsync.yaml").write_text(settings, encoding="utf-8")
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_yaml_12_core_scalars() -> None:
    data = load("a: Yes\nb: on\nc: 1:30\nd: 0o17\ne: 0x1F\nf: true\ng: ~\nh: 1.5\ni: No\n").data
    assert data == {"a": "Yes", "b": "on", "c": "1:30", "d": 15, "e": 31, "f": True, "g": None,
                    "h": 1.5, "i": "No"}


def test_positions_are_one_based_key_and_value() -> None:
    loaded = load("topics:\n  Care:\n    streams: [twitter/a]\n")
    assert loaded.positions[("topics", "Care", "streams")] == (3, 5, 3, 14)
    assert loaded.positions[("topics", "Care", "streams", 0)] == (3, 15, 3, 15)


def _outcome(parse: Any, text: str) -> Any:
    try:
        return "ok", repr(parse(text))
    except YamlProblem as exc:
        return exc.message, exc.line, exc.col


@pytest.mark.parametrize("text", [
    "a: 1\nb: [x, {c: 0x1F, d: .inf, e: ~, f: Yes, g: ''}]\n",
    "a: 1\nb: 2\na: 3\n", "1: a\n'1': b\n", "x: {true: 1, 'true': 2}\n",
    "a: &x [1, 2]\nb: *x\n", "R&D: x\nR&D: y\n", "- &a [*a]\n",
    "a: !!python/object x\n", "a: !foo [1]\n", "? [a]\n: b\n", "x: " + "9" * 5000 + "\n",
    *("[" * depth + "1" + "]" * depth for depth in (MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1)),
    *("".join(" " * i + "a:\n" for i in range(depth)) + " " * depth + tail
      for depth in (MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1)
      for tail in ("b: 1\n", "[x]\n", "? [x]\n" + " " * depth + ": 1\n")),
])
def test_values_without_a_source_map_are_those_of_load(text: str) -> None:
    """The load's walk (no positions kept) gives the values and the refusals of the walk that
    makes the source map, at the same line and column."""
    assert _outcome(values, text) == _outcome(lambda t: load(t).data, text)


def test_a_section_validated_in_one_pass_keeps_each_object_and_each_problem(
        tmp_path: Path) -> None:
    """Enough objects of one model are validated in one pass; when one of them is wrong, each is
    validated on its own, and the problems are those of the wrong one, where they are."""
    topics = "topics:\n" + "".join(
        f"  T{i}:\n    searchkeywords: k{i}\n    streams: [twitter/Clara{i}]\n" for i in range(20))
    config = load_config(make_config(tmp_path / "good", {"topics.yaml": topics}))
    assert len(config.desired) == 20
    assert config.desired[ResourceKey.of(Kind.TOPIC, "T7")].fields == {
        "name": "T7", "searchkeywords": "k7",
        "streams": [{"profile": "twitter/Clara7", "authorized": True}]}
    bad = topics + "  T20:\n    searchkeywords: 5\n    streams: [twitter/x, twitter/X]\n"
    with pytest.raises(ConfigError) as caught:
        load_config(make_config(tmp_path / "bad", {"topics.yaml": bad}))
    assert [str(problem) for problem in caught.value.problems] == [
        "bad/topics.yaml:63:21: topic.T20 searchkeywords: expected text, got the number 5; quote "
        "it to make it text"]
    bad = topics + "  T20:\n    streams: [twitter/x, twitter/X]\n"
    with pytest.raises(ConfigError) as caught:
        load_config(make_config(tmp_path / "rule", {"topics.yaml": bad}))
    assert [str(problem) for problem in caught.value.problems] == [
        "rule/topics.yaml:63:26: topic.T20 streams[1]: twitter/X is listed twice in this topic "
        "(also streams[0])"]


def test_billion_laughs_is_refused_quickly() -> None:
    text = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join(["*" + chr(96 + i)] * 9) + "]\n"
        for i in range(1, 10))
    tracemalloc.start()
    try:
        with pytest.raises(YamlProblem, match="aliases expand to too many values"):
            load(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024  # the expansion stops at its budget, long before 10**9 values


def test_small_aliases_are_fine() -> None:
    data = load("x: &q [{label: A, flow: B}]\ny: *q\n").data
    assert data["y"] == [{"label": "A", "flow": "B"}]


def test_example_account_loads() -> None:
    config = load_config(EXAMPLE)
    assert {k: config.count(k) for k in Kind} == {Kind.PROFILE: 8, Kind.TOPIC: 3,
                                                  Kind.PROFILE_GROUP: 4, Kind.USER: 3}
    assert config.settings.provider.type == "emulator"
    assert config.settings.ownership.topics == "authoritative"
    assert config.settings.protect == ["topic.ClaraLines Care", "profile_group.EMEA"]
    assert config.root == EXAMPLE
    uk = config.desired[ResourceKey.of(Kind.PROFILE, "twitter/claralinesuk")]
    assert uk.name == "twitter/ClaraLinesUK"
    assert uk.fields["quick_replies"] == [{"label": "Refunds", "flow": "Refund"},
                                          {"label": "Bookings", "flow": "Booking"}]
    assert uk.location("quick_replies[1].flow") == Location(
        f"{EXAMPLE.resolve()}/profiles/regional.yaml.j2", 12, 33)  # outside the working dir


def test_desired_shapes(tmp_path: Path) -> None:
    root = make_config(tmp_path, {"a.yaml": (
        "profiles:\n  twitter/ClaraLines:\n    bio: null\n    quick_replies_on_every_message: []\n"
        "topics:\n  Care:\n    streams:\n      - twitter/ClaraLines\n"
        "      - {profile: facebook/rival, authorized: false}\n"
        "profile_groups:\n  EMEA: {groups: [UK]}\n  UK: {}\n"
        "users:\n  Alice@Example.com:\n    social_links: {linkedin: https://linkedin.com/in/a}\n"
        "    lifecycle: {ignore_changes: [social_links]}\n")})
    desired = load_config(root).desired
    profile = desired[ResourceKey.of(Kind.PROFILE, "twitter/claralines")]
    assert profile.fields == {"bio": None, "quick_replies_on_every_message": []}
    topic = desired[ResourceKey.of(Kind.TOPIC, "Care")]
    assert topic.fields == {"name": "Care", "searchkeywords": None, "streams": [
        {"profile": "twitter/ClaraLines", "authorized": True},
        {"profile": "facebook/rival", "authorized": False}]}
    assert topic.location("streams[1]") == Location("a.yaml", 9, 9)
    assert desired[ResourceKey.of(Kind.PROFILE_GROUP, "UK")].fields == {
        "name": "UK", "color": None, "profiles": [], "groups": []}
    user = desired[ResourceKey.of(Kind.USER, "alice@example.com")]
    assert user.fields == {"social_links.linkedin": "https://linkedin.com/in/a"}
    assert user.ignore_changes == frozenset(f"social_links.{n}" for n in
                                            ("twitter", "facebook", "linkedin", "instagram"))
    assert user.location() == Location("a.yaml", 14, 3)


def test_discovery_skips_dot_dirs_and_other_accounts(tmp_path: Path) -> None:
    root = make_config(tmp_path, {
        "topics.yml": "topics:\n  A: {}\n",
        ".hidden/topics.yaml": "topics:\n  B: {}\n",
        "other/scsync.yaml": SETTINGS,
        "other/topics.yaml": "topics:\n  C: {}\n",
        "nested/deeper/t.yaml": "topics:\n  D: {}\n",
        "notes.txt": "not yaml",
    })
    assert sorted(r.name for r in load_config(root).desired.values()) == ["A", "D"]


def test_var_file_overrides_vars(tmp_path: Path) -> None:
    root = make_config(tmp_path, {"t.yaml.j2": (
        "topics:\n{% for r in regions %}\n  Care {{ r }}: {}\n{% endfor %}\n")},
        settings=SETTINGS + "vars: {regions: [UK]}\n")
    var_file = tmp_path / "vars.yml.txt"
    var_file.write_text("regions: [FR, IT]\n", encoding="utf-8")
    assert sorted(r.name for r in load_config(root).desired.values()) == ["Care UK"]
    names = sorted(r.name for r in load_config(root, var_files=[var_file]).desired.values())
    assert names == ["Care FR", "Care IT"]


def test_digest_ignores_formatting_and_secret_values(tmp_path: Path) -> None:
    one = make_config(tmp_path / "one", {"t.yaml": "topics:\n  Care: {streams: [twitter/a]}\n"})
    two = make_config(tmp_path / "two", {"x/y.yaml": (
        "# a comment\ntopics:\n  Care:\n    streams:\n      - twitter/a\n")})
    assert load_config(one).digest() == load_config(two).digest()
    (two / "x/y.yaml").write_text("topics:\n  Care: {streams: [twitter/b]}\n", encoding="utf-8")
    assert load_config(one).digest() != load_config(two).digest()


def test_literal_token_is_a_warning(tmp_path: Path) -> None:
    root = make_config(tmp_path, {}, settings=(
        "scsync: 1\nprovider:\n  type: socialconnect\n  account_id: 1\n  token: abcdef123\n"))
    config = load_config(root)
    assert [str(w) for w in config.warnings] == [
        "scsync.yaml:5:10: provider.token: warning: a literal token in config ends up in version "
        "control; write ${env:NAME} and set the variable"]
    assert "abcdef123" not in str(config.warnings)


def test_every_problem_in_every_file_is_collected(tmp_path: Path) -> None:
    root = make_config(tmp_path, {
        "a.yaml": "profiles:\n  twitter/a:\n    nmae: x\n",
        "b.yaml": "topics:\n  T:\n    streams: [{profile: whatsapp/15551230000, authorized: no}]\n",
        "c.yaml": "users: [\n"})
    with pytest.raises(ConfigError) as caught:
        load_config(root)
    assert [str(p) for p in caught.value.problems] == [
        'a.yaml:3:5: profile.twitter/a nmae: unknown key for a Twitter profile; did you mean '
        '"name"?',
        'b.yaml:3:59: topic.T streams[0].authorized: expected true or false, got "no" (only '
        "true and false are booleans)",
        "c.yaml:2:1: not valid YAML: did not find expected node content (while parsing a flow "
        "node)",
    ]


def test_a_released_file_is_read_again_for_a_location_or_located_at_its_start(
        tmp_path: Path) -> None:
    """A location asked after the load reads the file again; a file gone or no longer YAML by
    then is located at its start instead of failing the plan."""
    from scsync.config.source import Source

    path = tmp_path / "topics.yaml"
    path.write_text("topics:\n  Care:\n    searchkeywords: care\n", encoding="utf-8")
    source = Source("topics.yaml", file=path)
    source.release()
    assert source.location(("topics", "Care", "searchkeywords")) == Location("topics.yaml", 3, 21)
    for broken in ("gone", "topics: [unclosed\n"):
        source = Source("topics.yaml", file=path)
        if broken == "gone":
            path.unlink()
        else:
            path.write_text(broken, encoding="utf-8")
        assert source.location(("topics", "Care")) == Location("topics.yaml", 1, 1)
