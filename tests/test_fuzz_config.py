"""Fuzzing the config loader and validator (hypothesis): random YAML, random mutations of the
example account, unicode edge cases, invalid UTF-8, huge values and deep nesting.

The property, for every input: ``load_config`` returns a ``Config`` or raises ``ConfigError``
whose every problem is located in a file of the config directory (a path that opens it from the
working directory, line >= 1, col >= 1), and the message starts with that location. Never another
exception.

Bounded for ``make test``; ``SCSYNC_SOAK_FULL=1`` (``make soak``) scales the examples up.
"""

from __future__ import annotations

import os
import shutil
import string
import tempfile
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scsync.config import Config, load_config
from scsync.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FULL = os.environ.get("SCSYNC_SOAK_FULL") == "1"
EXAMPLES_PER_TEST = 3000 if FULL else 40
pytestmark = pytest.mark.timeout(1800 if FULL else 300)
FUZZ = settings(max_examples=EXAMPLES_PER_TEST, deadline=None, derandomize=not FULL,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
EXAMPLE_FILES = sorted(p.relative_to(EXAMPLES / "config").as_posix()
                       for p in (EXAMPLES / "config").rglob("*")
                       if p.is_file() and ".scsync" not in p.parts)


@pytest.fixture(scope="module")
def account() -> Iterator[Path]:
    """A private copy of the example account (and its platform fixture, which it names), made the
    working directory, so that problems name its files as ``deep.yaml``."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        shutil.copytree(EXAMPLES / "config", base / "config",
                        ignore=shutil.ignore_patterns(".scsync"))
        shutil.copytree(EXAMPLES / "platform", base / "platform")
        before = os.getcwd()
        os.chdir(base / "config")
        try:
            yield base / "config"
        finally:
            os.chdir(before)


def check(root: Path) -> Config | ConfigError:
    """Load ``root`` and assert the property; returns what the load gave."""
    try:
        return load_config(root)
    except ConfigError as exc:
        assert exc.problems, "a ConfigError without problems"
        for problem in exc.problems:
            loc = problem.location
            assert loc is not None, f"a problem without a file: {problem}"
            assert loc.line >= 1 and loc.col >= 1, str(problem)
            assert Path(loc.path).is_file(), f"{loc.path} cannot be opened from here"
            assert Path(loc.path).resolve().is_relative_to(root.resolve()), loc.path
            assert str(problem).startswith(f"{loc}: "), str(problem)
        return exc


class Swap:
    """Writes ``content`` over one file of ``root`` and restores the original afterwards."""

    def __init__(self, root: Path, name: str, content: bytes) -> None:
        self.path = root / name
        self.content = content
        self.original = self.path.read_bytes() if self.path.exists() else None

    def __enter__(self) -> Path:
        self.path.write_bytes(self.content)
        return self.path

    def __exit__(self, *exc: object) -> None:
        if self.original is None:
            self.path.unlink()
        else:
            self.path.write_bytes(self.original)


def load_with(root: Path, name: str, content: bytes | str) -> Config | ConfigError:
    data = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
    with Swap(root, name, data):
        return check(root)


# -- strategies ---------------------------------------------------------------------------------

EDGE_TEXT = st.sampled_from([
    "", " ", "\t", "\u00a0", "\u200b", "\u202e", "\ufeff", "\u2028", "\u0085", "\x7f", "\x1b[31m",
    "é", "e\u0301", "ß", "İ", "ﬃ", "𝕏", "😀", "👩\u200d👩\u200d👧", "\U0010ffff", "\ud800",
    "\udfff",
    "\x00", "${env:X}", "${env:", "${", "#6A1B9A", "#", "- ", ": ", "? ", "&a", "*a", "!!str",
    "!!python/object:os.system", "{{ x }}", "{%", "'", '"', "\\", "\r\n", "\r", "yes", "No", "~",
    "null", "0x1F", "0o17", "1e400", "-.inf", ".nan", "9" * 5000, "x" * 100_000,
])
UNICODE = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), UNICODE, EDGE_TEXT)
KEY = st.one_of(UNICODE, EDGE_TEXT, st.sampled_from([
    "profiles", "topics", "profile_groups", "users", "twitter/ClaraLines", "facebook/x",
    "whatsapp/15550001111", "livechat/Web", "instagram/i", "color", "bio", "streams",
    "searchkeywords", "previous_names", "lifecycle", "ignore_changes", "quick_replies", "flow",
    "label", "profiles", "groups", "social_links", "a@b.example", "scsync", "provider", "vars",
]))


def _nest(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEY, inner, max_size=4))


DATA = st.recursive(SCALAR, _nest, max_leaves=25)
SECTIONED = st.dictionaries(
    st.sampled_from(["profiles", "topics", "profile_groups", "users"]),
    st.dictionaries(KEY, DATA, max_size=3), min_size=1, max_size=4)


def dump(data: Any, flow: bool | None, width: int) -> str:
    """YAML text of ``data`` (which may hold lone surrogates: dumped escaped, as YAML allows)."""
    return yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True, width=width)


YAML_TEXT = st.builds(dump, st.one_of(DATA, SECTIONED), st.sampled_from([None, True, False]),
                      st.sampled_from([20, 80, 10_000]))
SYNTAX = st.text(st.sampled_from(list(":-?[]{},#&*!|>'\"%@`\t\n\r ") + list("abcXYZ019./")),
                 max_size=200)
RAW = st.one_of(st.text(max_size=300), SYNTAX, YAML_TEXT)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    """One example file with one to four random edits."""
    name = draw(st.sampled_from(EXAMPLE_FILES))
    lines = (EXAMPLES / "config" / name).read_bytes().split(b"\n")
    for _ in range(draw(st.integers(1, 4))):
        lines = draw(st.sampled_from(MUTATIONS))(draw, lines)
    return name, b"\n".join(lines)


def _index(draw: st.DrawFn, lines: list[bytes]) -> int:
    return draw(st.integers(0, max(len(lines) - 1, 0)))


def _delete(draw: st.DrawFn, lines: list[bytes]) -> list[bytes]:
    i = _index(draw, lines)
    return lines[:i] + lines[i + 1:]


def _duplicate(draw: st.DrawFn, lines: list[bytes]) -> list[bytes]:
    i = _index(draw, lines)
    return lines[:i + 1] + lines[i:]


def _swap_values(draw: st.DrawFn, lines: list[bytes]) -> list[bytes]:
    with_values = [i for i, line in enumerate(lines) if b": " in line]
    if len(with_values) < 2:
        return lines
    a, b = draw(st.lists(st.sampled_from(with_values), min_size=2, max_size=2, unique=True))
    out = list(lines)
    ka, _, va = lines[a].partition(b": ")
    kb, _, vb = lines[b].partition(b": ")
    out[a], out[b] = ka + b": " + vb, kb + b": " + va
    return out


def _indent(draw: st.DrawFn, lines: list[bytes]) -> list[bytes]:
    i = _index(draw, lines)
    out = list(lines)
    shift = draw(st.integers(-4, 4))
    out[i] = b" " * shift + out[i] if shift >= 0 else out[i][-shift:]
    return out


def _insert(draw: st.DrawFn, lines: list[bytes]) -> list[bytes]:
    i = _index(draw, lines)
    out = list(lines)
    at = draw(st.integers(0, len(out[i]) if out else 0))
    piece = draw(st.one_of(
        st.sampled_from([b"\t", b"\xef\xbb\xbf", b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00",
                         b"\r", b"&a ", b"*a", b"!!python/object:os.system ", b"{", b"]", b"#",
                         b"${env:", b"{{", b"{% for %}", b"\\"]),
        st.binary(max_size=8), EDGE_TEXT.map(lambda t: t.encode("utf-8", "surrogatepass"))))
    if out:
        out[i] = out[i][:at] + piece + out[i][at:]
    return out or [piece]


def _long_value(draw: st.DrawFn, lines: list[bytes]) -> list[bytes]:
    with_values = [i for i, line in enumerate(lines) if b": " in line]
    if not with_values:
        return lines
    i = draw(st.sampled_from(with_values))
    out = list(lines)
    key = out[i].partition(b": ")[0]
    size = draw(st.sampled_from([1_000, 70_000, 300_000]))
    out[i] = key + b": " + draw(st.sampled_from([b"x", b"9", "\u00e9".encode()])) * size
    return out


MUTATIONS = [_delete, _duplicate, _swap_values, _indent, _insert, _long_value]


# -- the properties -----------------------------------------------------------------------------

def test_the_example_account_loads(account: Path) -> None:
    assert isinstance(check(account), Config)


@FUZZ
@given(text=RAW, name=st.sampled_from(["fuzz.yaml", "profiles/fuzz.yml", "topics.yaml"]))
def test_random_yaml_text(account: Path, text: str, name: str) -> None:
    load_with(account, name, text)


@FUZZ
@given(text=RAW)
def test_random_settings_file(account: Path, text: str) -> None:
    load_with(account, "scsync.yaml", text)


@FUZZ
@given(case=mutated())
def test_mutations_of_the_example(account: Path, case: tuple[str, bytes]) -> None:
    load_with(account, *case)


@FUZZ
@given(data=st.binary(max_size=400), bom=st.booleans())
def test_random_bytes(account: Path, data: bytes, bom: bool) -> None:
    load_with(account, "fuzz.yaml", (b"\xef\xbb\xbf" if bom else b"") + data)


TEMPLATE_BITS = st.sampled_from([
    "{{ regions }}", "{{ regions[0] }}", "{{ nope }}", "{% for r in regions %}", "{% endfor %}",
    "{% if %}", "{{", "}}", "{%", "%}", "{#", "#}", "{{ 1/0 }}", "{{ regions[9] }}",
    "{{ ''.__class__ }}", "{{ range(10**9) }}", "{{ 'x' * 10**8 }}", "{{ 2 ** 10**6 }}",
    "{% include 'topics.yaml' %}", "{% extends '/etc/passwd' %}", "{% raw %}", "{{ lipsum() }}",
    "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "profiles:\n", "  twitter/X{{ r }}:\n",
    "    color: '#123456'\n", "\n", " ", "\t", "-", ":",
])


@FUZZ
@given(parts=st.lists(st.one_of(TEMPLATE_BITS, st.text(string.printable, max_size=10)),
                      max_size=12))
def test_random_templates(account: Path, parts: list[str]) -> None:
    load_with(account, "profiles/fuzz.yaml.j2", "".join(parts))


# -- bad input at scale, each named -------------------------------------------------------------

DEEP = {
    "flow lists": "profiles: " + "[" * 10_000 + "]" * 10_000,
    "flow mappings": "profiles: " + "{a: " * 10_000 + "}" * 10_000,
    "flow pairs": "profiles: " + "[a: " * 10_000 + "]" * 10_000,
    "compact sequences": "- " * 10_000 + "x",
    "block mappings": "".join(" " * i + "a:\n" for i in range(2_000)),
}


@pytest.mark.parametrize("text", DEEP.values(), ids=DEEP.keys())
def test_deep_nesting_is_refused_with_a_location(account: Path, text: str) -> None:
    result = load_with(account, "deep.yaml", text)
    assert isinstance(result, ConfigError)
    [problem] = result.problems
    assert problem.location is not None and problem.location.path == "deep.yaml"
    assert problem.message == ("the file nests more than 64 levels deep; config files need only "
                               "a few levels")


def test_nesting_that_would_crash_the_c_parser_is_refused(account: Path, tmp_path: Path) -> None:
    """200,000 levels overflow libyaml's recursive composer (a segfault): refused before it."""
    (tmp_path / "deep.yaml").write_text("x: " + "[" * 200_000 + "]" * 200_000)
    with Swap(account, "deep.yaml", (tmp_path / "deep.yaml").read_bytes()):
        result = check(account)
    assert isinstance(result, ConfigError)
    assert str(result) == ("deep.yaml:1:67: the file nests more than 64 levels deep; config files "
                           "need only a few levels")


def test_a_huge_number_is_refused_not_crashed(account: Path) -> None:
    result = load_with(account, "big.yaml", "profile_groups:\n  G: {color: 0x" + "f" * 5000 + "}\n")
    assert isinstance(result, ConfigError)
    assert str(result) == ("big.yaml:2:14: the number has too many digits (5002); quote it if it "
                           "is text")


def test_a_control_character_is_located(account: Path) -> None:
    result = load_with(account, "nul.yaml", "profiles:\n  twitter/x: {bio: a\x00b}\n")
    assert str(result) == ("nul.yaml:2:21: not valid YAML: unacceptable character #x0000: "
                           "control characters are not allowed")


def test_invalid_utf8_is_located(account: Path) -> None:
    result = load_with(account, "bad.yaml", b"profiles:\n  twitter/x: {bio: \xed\xa0\x80}\n")
    assert str(result) == "bad.yaml:2:20: the file is not UTF-8 text (byte 0xED); save it as UTF-8"


def test_a_byte_order_mark_is_accepted(account: Path) -> None:
    text = (EXAMPLES / "config" / "users.yaml").read_bytes()
    with Swap(account, "users.yaml", b"\xef\xbb\xbf" + text):
        assert isinstance(check(account), Config)


def test_very_long_values_load_or_fail_cleanly(account: Path) -> None:
    bio = "é" * 2_000_000
    result = load_with(account, "long.yaml", f"profiles:\n  twitter/LongBio:\n    bio: {bio}\n")
    assert isinstance(result, ConfigError)
    assert all(p.location is not None and p.location.path == "long.yaml"
               for p in result.problems)


def _laughs(levels: int, width: int) -> str:
    lines = ['a: &a ["lol"' + ', "lol"' * (width - 1) + "]"]
    for level in range(1, levels):
        name, prev = f"l{level}", "a" if level == 1 else f"l{level - 1}"
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * width) + "]")
    return "\n".join(lines) + "\n"


BOMBS = {
    "billion laughs": _laughs(9, 10),
    "wide laughs": _laughs(3, 2_000),
    "deep laughs": _laughs(60, 2),
}


@pytest.mark.parametrize("text", BOMBS.values(), ids=BOMBS.keys())
def test_alias_bombs_are_refused_quickly_in_little_memory(account: Path, text: str) -> None:
    tracemalloc.start()
    try:
        result = load_with(account, "bomb.yaml", text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(result, ConfigError)
    [problem] = result.problems
    assert problem.message == ("aliases expand to too many values (an alias bomb?); refusing to "
                               "load this file")
    assert problem.location is not None and problem.location.path == "bomb.yaml"
    assert peak < 8 * 1024 * 1024 + 40 * len(text)


def test_a_recursive_alias_is_refused(account: Path) -> None:
    result = load_with(account, "loop.yaml", "topics: &t\n  T: *t\n")
    assert str(result) == ("loop.yaml:1:9: an alias refers to a node that contains it "
                           "(a recursive alias)")
