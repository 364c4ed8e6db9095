"""``scsync fmt``: canonical key order and quoting, comments kept, idempotent, and output that
loads to exactly the data it was made from."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scsync.config.yamlfast import load as fast_load
from scsync.errors import ConfigError
from scsync.ops.canonical import needs_quotes
from scsync.ops.fmt import format_text, format_tree
from tests.test_ops_fixture import EXAMPLE_CONFIG

MESSY = """\
# ClaraLines Twitter
profiles:
  twitter/ClaraLines:   # the main account
    # the bio is tuned by marketing
    bio: Fly with us   # keep short
    welcome_message: 'Hi!'
    color: '#6A1B9A'
    quick_replies:
      - flow: Refund
        label: yes
    lifecycle: {ignore_changes: [location]}
    name: on
  # help desk
  twitter/ClaraLinesHelp:
    url: ~
    color: "#8E24AA"
# the topics
topics:
  Care:
    streams: [twitter/ClaraLines, {authorized: false, profile: facebook/rival}]
    searchkeywords: '"Clara Lines" OR 1:30'
    previous_names: [care]
"""

CANONICAL = """\
# ClaraLines Twitter
profiles:
  twitter/ClaraLines:   # the main account
    # the bio is tuned by marketing
    color: "#6A1B9A"
    name: "on"
    bio: Fly with us   # keep short
    welcome_message: Hi!
    quick_replies:
      - label: "yes"
        flow: Refund
    lifecycle: {ignore_changes: [location]}
  # help desk
  twitter/ClaraLinesHelp:
    color: "#8E24AA"
    url: null
# the topics
topics:
  Care:
    previous_names: [care]
    searchkeywords: '"Clara Lines" OR 1:30'
    streams: [twitter/ClaraLines, {profile: facebook/rival, authorized: false}]
"""


def test_canonical_order_and_quoting_keep_every_comment() -> None:
    # A comment above an object's first key stays first (ruamel keeps it with the object's key).
    assert format_text(MESSY) == CANONICAL


def test_formatting_is_idempotent_and_keeps_the_data() -> None:
    assert format_text(CANONICAL) == CANONICAL
    assert fast_load(CANONICAL).data == fast_load(MESSY).data


def test_check_lists_changed_files_and_writes_nothing(tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # paths are shown from the working directory
    (tmp_path / "scsync.yaml").write_text("provider: {type: emulator}\nscsync: 1\n")
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "twitter.yaml").write_text(MESSY)
    (tmp_path / "users.yaml").write_text("users:\n  a@x.example: {}\n")
    template = "profiles:\n{% for r in regions %}  twitter/C{{ r }}: {color: '#1'}\n{% endfor %}"
    (tmp_path / "regional.yaml.j2").write_text(template)
    assert format_tree(tmp_path, check=True) == ["profiles/twitter.yaml", "scsync.yaml"]
    assert (tmp_path / "profiles" / "twitter.yaml").read_text() == MESSY
    assert format_tree(tmp_path) == ["profiles/twitter.yaml", "scsync.yaml"]
    assert (tmp_path / "profiles" / "twitter.yaml").read_text() == CANONICAL
    assert (tmp_path / "scsync.yaml").read_text() == "scsync: 1\nprovider: {type: emulator}\n"
    assert (tmp_path / "regional.yaml.j2").read_text() == template  # templates left alone
    assert format_tree(tmp_path, check=True) == []


def test_the_example_config_is_already_canonical(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE_CONFIG, tmp_path / "config")
    assert format_tree(tmp_path / "config", check=True) == []


def test_a_file_that_is_not_yaml_is_reported_with_its_place(tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # paths are shown from the working directory
    (tmp_path / "scsync.yaml").write_text("scsync: 1\n")
    (tmp_path / "bad.yaml").write_text("topics:\n  a: [1, 2\n")
    with pytest.raises(ConfigError) as caught:
        format_tree(tmp_path)
    assert str(caught.value).startswith("bad.yaml:3:1: not valid YAML: ")



def test_a_file_that_cannot_be_read_is_one_error_not_a_crash(tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # paths are shown from the working directory
    (tmp_path / "scsync.yaml").write_text("scsync: 1\n")
    (tmp_path / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    (tmp_path / "latin1.yaml").write_bytes(b"topics:\n  Caf\xe9: {}\n")
    with pytest.raises(ConfigError) as caught:
        format_tree(tmp_path)
    assert str(caught.value).splitlines() == [
        "latin1.yaml:2:6: the file is not UTF-8 text (byte 0xE9); save it as UTF-8",
        "cannot read gone.yaml: No such file or directory",
    ]


@pytest.mark.parametrize(("text", "quoted"), [
    ("#6A1B9A", True), ("yes", True), ("No", True), ("on", True), ("y", True), ("1:30", True),
    ("0o17", True), ("12", True), ("2026-01-01", True), ("null", True), ("", True),
    ("a: b", True), ("@handle", True), ("ClaraLines Care", False), ("https://x.example/a", False),
    ('claralines OR "@ClaraLines"', False), ("Hi! How can we help?", False),
])
def test_needs_quotes(text: str, quoted: bool) -> None:
    assert needs_quotes(text) is quoted


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
_VALUE = st.one_of(_TEXT, st.none(), st.booleans(), st.integers(),
                   st.lists(_TEXT, max_size=3))
_KEYS = st.sampled_from(["bio", "color", "name", "url", "label", "flow", "about", "x"])


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(_KEYS, _VALUE, max_size=6))
def test_fmt_output_reloads_to_the_same_data(fields: dict[str, object]) -> None:
    import yaml as pyyaml

    text = pyyaml.safe_dump({"profiles": {"twitter/A": fields}}, allow_unicode=True)
    formatted = format_text(text)
    assert fast_load(formatted).data == fast_load(text).data
    assert format_text(formatted) == formatted
