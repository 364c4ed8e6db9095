"""Golden files: compare rendered output with tests/golden/NAME, byte for byte. Golden files are
rewritten only with ``pytest --update-golden``, never silently."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"


def assert_golden(request: pytest.FixtureRequest, name: str, text: str) -> None:
    """Fail unless ``text`` equals the golden file ``name`` (``--update-golden`` rewrites it)."""
    path = GOLDEN / name
    if request.config.getoption("--update-golden", default=False):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
        return
    if not path.exists():
        pytest.fail(f"golden file tests/golden/{name} is missing: run pytest --update-golden")
    with path.open(encoding="utf-8", newline="") as file:
        expected = file.read()
    if text != expected:
        diff = difflib.unified_diff(expected.splitlines(keepends=True),
                                    text.splitlines(keepends=True),
                                    f"golden/{name}", "rendered", n=2)
        pytest.fail(f"output differs from tests/golden/{name} (pytest --update-golden rewrites "
                    f"it after review):\n{''.join(list(diff)[:200])}", pytrace=False)
