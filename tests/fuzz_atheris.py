"""A coverage-guided fuzzer (atheris, libFuzzer) for the config loader: run by ``make soak`` only,
never collected by pytest (the name has no ``test_`` prefix).

Each input is written as one extra file of a private copy of the example account (or over one of
its files, chosen by the first byte) and loaded. The property is the fuzz suite's
(tests/test_fuzz_config.py): ``load_config`` returns, or raises ``ConfigError`` whose problems are
located in a file of the config directory; any other exception is a crash libFuzzer reports with
the input that caused it.

    .venv/bin/pip install atheris        # optional; needs a prebuilt wheel or clang
    .venv/bin/python tests/fuzz_atheris.py -runs=20000 -max_total_time=120
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from scsync.config import load_config
    from scsync.errors import ConfigError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TARGETS = ["fuzz.yaml", "fuzz.yaml.j2", "scsync.yaml", "topics.yaml", "profiles/twitter.yaml"]


def _account() -> Path:
    base = Path(tempfile.mkdtemp(prefix="scsync-atheris-"))
    shutil.copytree(EXAMPLES / "config", base / "config", ignore=shutil.ignore_patterns(".scsync"))
    shutil.copytree(EXAMPLES / "platform", base / "platform")
    return base / "config"


ROOT = _account()
ORIGINALS = {name: (ROOT / name).read_bytes() for name in TARGETS if (ROOT / name).exists()}


def _check(root: Path) -> None:
    try:
        load_config(root)
    except ConfigError as exc:
        for problem in exc.problems:
            loc = problem.location
            if loc is None or loc.line < 1 or loc.col < 1 or not (root / loc.path).is_file():
                raise AssertionError(f"a problem not located in a config file: {problem}") from None


def test_one_input(data: bytes) -> None:
    if not data:
        return
    name = TARGETS[data[0] % len(TARGETS)]
    path = ROOT / name
    path.write_bytes(data[1:])
    try:
        _check(ROOT)
    finally:
        if name in ORIGINALS:
            path.write_bytes(ORIGINALS[name])
        else:
            path.unlink()


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
