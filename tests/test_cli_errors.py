"""Bad input that belongs to no config line: one `error:` line, exit 1, never a traceback."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from scsync import __version__
from scsync.cli import main

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "config"


def test_a_missing_var_file_is_one_error_line(tmp_path: Path) -> None:
    missing = tmp_path / "vars.yaml"
    result = CliRunner().invoke(main, ["validate", "-C", str(EXAMPLE), "--var-file", str(missing)])
    assert result.exit_code == 1
    assert result.stderr == f"error: cannot read {missing}: No such file or directory\n"


def test_an_emulator_without_fixture_or_database_says_how_to_seed_it(tmp_path: Path) -> None:
    (tmp_path / "scsync.yaml").write_text("scsync: 1\nprovider: {type: emulator}\n")
    result = CliRunner().invoke(main, ["plan", "-C", str(tmp_path)])
    assert result.exit_code == 1
    db = tmp_path / ".scsync" / "platform.db"
    assert result.stderr == (f"error: the emulator could not start: {db}: the database holds no "
                             "account: seed it from a fixture first\n")
    assert not db.exists()


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"scsync, version {__version__}\n"
