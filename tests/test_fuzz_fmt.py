"""Fuzzing the ruamel round-trip path (``scsync fmt``, and ``scsync export`` merging into
existing files): random YAML text gives formatted text or a ``ConfigError`` located in the file,
and alias bombs, deep nesting and files that are not UTF-8 are refused quickly with the loader's
messages, never an internal error or a hang."""

from __future__ import annotations

import shutil
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from scsync.cli import main
from scsync.errors import ConfigError
from scsync.ops.fmt import format_text
from tests.test_fuzz_config import BOMBS, DEEP, FULL, FUZZ, RAW, SYNTAX

pytestmark = pytest.mark.timeout(1800 if FULL else 300)


@FUZZ
@given(text=st.one_of(RAW, SYNTAX))
def test_format_text_formats_or_refuses_with_a_location(text: str) -> None:
    try:
        new = format_text(text, shown="f.yaml")
    except ConfigError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.location is not None and problem.location.path == "f.yaml"
            assert problem.location.line >= 1 and problem.location.col >= 1
        return
    assert format_text(new, shown="f.yaml") == new  # formatting formatted text changes nothing


CASES = {
    "billion laughs": (BOMBS["billion laughs"], "bad.yaml:1:64: aliases expand to too many "
                       "values (an alias bomb?); refusing to load this file"),
    "deep nesting": (DEEP["flow lists"], "bad.yaml:1:74: the file nests more than 64 levels "
                     "deep; config files need only a few levels"),
    "not UTF-8": (b"profiles:\n  twitter/x: {bio: \xff}\n",
                  "bad.yaml:2:20: the file is not UTF-8 text (byte 0xFF); save it as UTF-8"),
    "python tag": ("a: !!python/object/apply:os.system [ls]\n", "bad.yaml:1:4: unsupported tag "
                   "tag:yaml.org,2002:python/object/apply:os.system; config files use plain YAML "
                   "without tags"),
}


@pytest.mark.parametrize("case", CASES)
def test_fmt_refuses_bad_files_quickly(tmp_path: Path, case: str,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    content, message = CASES[case]
    monkeypatch.chdir(tmp_path)  # paths are shown from the working directory
    (tmp_path / "scsync.yaml").write_text("scsync: 1\n")
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())
    tracemalloc.start()
    try:
        result = CliRunner().invoke(main, ["fmt", "-C", str(tmp_path)])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024  # refused before any expansion or deep parse
    assert result.exit_code == 1
    assert result.output == message + "\n"
    assert bad.read_bytes() == (content if isinstance(content, bytes) else content.encode())


EXPORT_CASES = {
    "billion laughs": ("topics:\n  X: {searchkeywords: x}\n" + BOMBS["billion laughs"],
                       "error: topics.yaml:3:50: cannot merge into this file: aliases expand to "
                       "too many values (an alias bomb?); refusing to load this file; fix it or "
                       "choose another -o"),
    "deep nesting": ("users: " + "[" * 10_000 + "]" * 10_000,
                     "error: topics.yaml:1:71: cannot merge into this file: the file nests more "
                     "than 64 levels deep; config files need only a few levels; fix it or choose "
                     "another -o"),
    "not UTF-8": (b"a: \xff\n", "error: topics.yaml:1:4: the file is not UTF-8 text (byte 0xFF); "
                                 "save it as UTF-8; cannot merge into this file: fix it or choose "
                                 "another -o"),
}


@pytest.mark.parametrize("case", EXPORT_CASES)
def test_export_refuses_to_merge_into_bad_files(tmp_path: Path, case: str) -> None:
    examples = Path(__file__).resolve().parent.parent / "examples"
    shutil.copytree(examples / "config", tmp_path / "config",
                    ignore=shutil.ignore_patterns(".scsync"))
    shutil.copytree(examples / "platform", tmp_path / "platform")
    content, message = EXPORT_CASES[case]
    out = tmp_path / "out"
    out.mkdir()
    (out / "scsync.yaml").write_text("scsync: 1\nprovider: {type: emulator}\n")
    (out / "topics.yaml").write_bytes(content if isinstance(content, bytes) else content.encode())
    result = CliRunner().invoke(main, ["export", "-C", str(tmp_path / "config"), "-o", str(out)])
    assert (result.exit_code, result.output) == (1, message + "\n")
    assert sorted(p.name for p in out.iterdir()) == ["scsync.yaml", "topics.yaml"]
