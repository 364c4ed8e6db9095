"""The command line's habits, Terraform's way: usage errors exit 1 (2 and 3 keep their meanings
only), the global options before or after the command, and colour only where it is wanted."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import cli_support
from tests.cli_support import Account, no_ansi, run_cli, run_tty

account = cli_support.account
seeded_db = cli_support.seeded_db


@pytest.mark.parametrize(("args", "message"), [
    (["plan", "--bogus"], "Error: No such option '--bogus'"),
    (["plan", "-o"], "Error: Option '-o' requires an argument."),
    (["drift", "--format", "yaml"], "Error: Invalid value for '--format': 'yaml' is not one of"),
    (["show", "missing.json"], "Error: Invalid value for 'PLANFILE': File 'missing.json' does "
                               "not exist."),
    (["nope"], "Error: No such command 'nope'."),
    (["--bogus", "validate"], "Error: No such option '--bogus'."),
    (["groups", "export", "--bogus"], "Error: No such option '--bogus'"),
    (["emulator", "seed"], "Error: Missing option '--db'."),
])
def test_a_usage_error_exits_1_never_2(args: list[str], message: str) -> None:
    result = run_cli(args)
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_is_accepted_before_and_after_the_command(tmp_path: Path, where: str) -> None:
    (tmp_path / "scsync.yaml").write_text("scsync: 1\nprovider: {type: emulator}\nbogus: 1\n")
    args = ["validate", "-C", str(tmp_path)]
    args = ["--debug", *args] if where == "before" else [*args, "--debug"]
    result = run_cli(args)
    assert result.exit_code == 1
    assert result.stderr == ""  # --debug lets the error out, with its traceback
    assert type(result.exception).__name__ == "ConfigError"


def test_debug_after_a_nested_command(tmp_path: Path) -> None:
    result = run_cli(["emulator", "seed", "--db", str(tmp_path / "x.db"), "--fixture",
                      str(cli_support.CLARALINES), "--debug"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("args", "env"), [
    (["--no-color", "plan"], {}),
    (["plan", "--no-color"], {}),
    (["plan"], {"TERM": "dumb"}),
    (["plan"], {"NO_COLOR": "1"}),
])
def test_no_colour_on_a_terminal_when_asked(account: Account, args: list[str],
                                            env: dict[str, str]) -> None:
    code, shown = run_tty([*args, "-C", str(account.root)], env=env)
    assert code == 0, shown
    assert "Plan: 5 to add, 13 to change, 2 to destroy." in shown
    assert no_ansi(shown)


def test_colour_on_a_terminal_by_default(account: Account) -> None:
    code, shown = run_tty(["plan", "-C", str(account.root)])
    assert code == 0
    assert not no_ansi(shown)


UNTIDY = ('users:\n  ops@claralines.example: {social_links: {linkedin: '
          '"https://linkedin.com/in/claralines-ops"}}\n')


def test_fmt_diff_shows_what_would_change_and_writes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "untidy"
    root.mkdir()
    (root / "scsync.yaml").write_text("scsync: 1\nprovider: {type: emulator}\n")
    (root / "users.yaml").write_text(UNTIDY)
    monkeypatch.chdir(tmp_path)
    diff = ("--- untidy/users.yaml\n+++ untidy/users.yaml\n@@ -1,2 +1,2 @@\n users:\n"
            '-  ops@claralines.example: {social_links: {linkedin: '
            '"https://linkedin.com/in/claralines-ops"}}\n'
            "+  ops@claralines.example: {social_links: {linkedin: "
            "https://linkedin.com/in/claralines-ops}}\n")
    shown = run_cli(["fmt", "-C", "untidy", "--diff"])
    assert (shown.exit_code, shown.stdout, shown.stderr) == (0, diff, "")
    checked = run_cli(["fmt", "-C", "untidy", "--diff", "--check"])
    assert (checked.exit_code, checked.stdout) == (1, diff)
    assert checked.stderr == "the files above would be reformatted; run `scsync fmt`.\n"
    assert (root / "users.yaml").read_text() == UNTIDY
    assert run_cli(["fmt", "-C", "untidy"]).exit_code == 0
    clean = run_cli(["fmt", "-C", "untidy", "--diff", "--check"])
    assert (clean.exit_code, clean.stdout, clean.stderr) == (0, "", "")


def test_groups_export_without_the_feature_is_one_clear_error(tmp_path: Path) -> None:
    import yaml

    from tests.emulator_helpers import make_fixture

    fixture = tmp_path / "fixture.yaml"
    fixture.write_text(yaml.safe_dump(make_fixture(
        account={"id": 1001, "name": "Small", "features": {"profile_groups": False}})))
    root = tmp_path / "config"
    root.mkdir()
    (root / "scsync.yaml").write_text(
        f"scsync: 1\nprovider: {{type: emulator, fixture: {fixture}, user: ops@x.example}}\n")
    out = tmp_path / "groups.csv"
    result = run_cli(["groups", "export", "-C", str(root), "--format", "csv", "-o", str(out)])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == ("error: account 1001 (Small) does not have the profile groups "
                             f"feature: there is nothing to export; {out} was not written\n")
    assert not out.exists()


@pytest.mark.parametrize("args", [["groups", "export"], ["emulator", "seed"], ["accounts"]])
def test_nested_commands_take_the_global_options(args: list[str]) -> None:
    result = run_cli([*args, "--no-color", "--debug", "--help"])
    assert result.exit_code == 0, result.output
    assert "--no-color" in result.stdout and "--debug" in result.stdout


def test_paths_are_shown_from_the_working_directory(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from scsync.errors import shown_path

    (tmp_path / "accounts" / "emea").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "accounts")
    assert shown_path(tmp_path / "accounts" / "emea" / "a.yaml") == "emea/a.yaml"
    assert shown_path("emea/../emea/a.yaml") == "emea/a.yaml"
    assert shown_path(tmp_path / "other.yaml") == str(tmp_path / "other.yaml")  # outside: absolute
