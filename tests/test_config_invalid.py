"""The bad-input corpus: each directory under tests/configs/invalid/ is a config that
``scsync validate`` must refuse with exactly the stderr lines of its ``expected.txt``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from scsync.cli import main

INVALID = Path(__file__).parent / "configs" / "invalid"
CASES = sorted(p.name for p in INVALID.iterdir() if p.is_dir())


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES)
def test_invalid_config(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(INVALID)
    expected = (INVALID / case / "expected.txt").read_text(encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", "-C", case])
    assert result.stderr == expected
    assert result.stdout == ""
    assert result.exit_code == 1
