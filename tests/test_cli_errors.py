"""Bad input that belongs to no config line: one `error:` line, exit 1, never a traceback."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from scsync import __version__
from scsync.cli import main
from tests import cli_support
from tests.cli_support import Account

account = cli_support.account
seeded_db = cli_support.seeded_db

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "config"


def test_a_missing_var_file_is_one_error_line(tmp_path: Path) -> None:
    missing = tmp_path / "vars.yaml"
    result = CliRunner().invoke(main, ["validate", "-C", str(EXAMPLE), "--var-file", str(missing)])
    assert result.exit_code == 1
    assert result.stderr == f"error: cannot read {missing}: No such file or directory\n"



def test_a_var_file_that_is_not_a_mapping_names_its_place(tmp_path: Path) -> None:
    listed = tmp_path / "vars.yaml"
    listed.write_text("- emea\n- apac\n")
    broken = tmp_path / "broken.yaml"
    broken.write_text("region: [emea\n")
    result = CliRunner().invoke(main, ["validate", "-C", str(EXAMPLE), "--var-file", str(listed),
                                       "--var-file", str(broken)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{broken}:2:1: not valid YAML: did not find expected ',' or ']' (while parsing a flow "
        "sequence)",
        f"{listed}:1:1: a var file must be a mapping of NAME: value",
    ]


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


def test_an_out_file_that_cannot_be_written_is_one_error_line(account: Account) -> None:
    out = account.base / "no-such-dir" / "plan.json"
    result = CliRunner().invoke(main, ["plan", "-C", str(account.root), "-o", str(out)])
    assert result.exit_code == 1
    assert result.stderr == f"error: {out}: No such file or directory\n"
