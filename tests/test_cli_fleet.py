"""Fleets of accounts: ``scsync accounts`` lists the account directories for a CI matrix, and
``plan``/``drift`` with several ``-C`` work on ``--jobs N`` accounts at once, output in the order of
the ``-C`` options and each account with its own rate limit."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests import cli_support
from tests.cli_support import Account, make_account, run_cli

seeded_db = cli_support.seeded_db


def write_account(path: Path) -> None:
    path.mkdir(parents=True)
    (path / "scsync.yaml").write_text("scsync: 1\nprovider: {type: emulator}\n")


def test_accounts_lists_every_account_directory_for_a_matrix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("accounts/us", "accounts/emea", "accounts/emea/sub", "accounts/.hidden/x"):
        write_account(tmp_path / name)
    (tmp_path / "accounts" / "notes").mkdir()
    monkeypatch.chdir(tmp_path)
    text = run_cli(["accounts", "-C", "accounts"])
    assert (text.exit_code, text.stdout) == (
        0, "accounts/emea\naccounts/emea/sub\naccounts/us\n")
    matrix = run_cli(["accounts", "-C", "accounts", "--format", "json"])
    assert matrix.exit_code == 0
    assert json.loads(matrix.stdout) == {"include": [
        {"account": "accounts/emea", "name": "emea"},
        {"account": "accounts/emea/sub", "name": "emea_sub"},
        {"account": "accounts/us", "name": "us"}]}
    assert matrix.stdout.count("\n") == 1  # one line, for $GITHUB_OUTPUT


def test_accounts_without_any_is_an_error(tmp_path: Path) -> None:
    result = run_cli(["accounts", "-C", str(tmp_path)])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"error: no account directory (one holding a scsync.yaml) under "
                             f"{tmp_path}\n")
    missing = run_cli(["accounts", "-C", str(tmp_path / "nope")])
    assert missing.exit_code == 1


@pytest.fixture
def fleet(tmp_path: Path, seeded_db: Path) -> list[Account]:
    accounts = [make_account(tmp_path / name, seeded_db) for name in ("a", "b", "c")]
    accounts[1].replace("profiles/twitter.yaml", "flow: Booking}", "flow: Bookings}")
    return accounts


def test_plan_with_jobs_keeps_the_order_of_the_accounts(fleet: list[Account]) -> None:
    a, b, c = (acc.root for acc in fleet)
    result = run_cli(["plan", "-C", str(a), "-C", str(b), "-C", str(c), "--jobs", "3"])
    assert result.exit_code == 1  # b is broken; a and c are still planned
    assert re.findall(r"^=== (.*) ===$", result.stdout, flags=re.M) == [str(a), str(c)]
    assert result.stderr.startswith(f"{b}/profiles/twitter.yaml:14:38: ")
    assert result.stdout.endswith(
        f"{a}: Plan: 5 to add, 13 to change, 2 to destroy.\n"
        f"{c}: Plan: 5 to add, 13 to change, 2 to destroy.\n"
        "Total: 10 to add, 26 to change, 4 to destroy.\n")
    budgets = re.findall(r"rate limit: (\d+) of 350", result.stdout)
    assert len(budgets) == 2 and budgets[0] == budgets[1]  # each account its own limit
    for acc in fleet:
        assert acc.emu.writes() == []


def test_drift_with_jobs_keeps_the_order_of_the_accounts(fleet: list[Account]) -> None:
    a, _, c = (acc.root for acc in fleet)
    result = run_cli(["drift", "-C", str(c), "-C", str(a), "--jobs", "2"])
    assert result.exit_code in (0, 2), result.stderr
    labels = re.findall(r"^(\S+): (?:No drift|Drift:)", result.stdout, flags=re.M)
    assert labels[:2] == [str(c), str(a)]


def test_jobs_must_be_positive() -> None:
    result = run_cli(["plan", "--jobs", "0"])
    assert result.exit_code == 1
    assert "Invalid value for '--jobs'" in result.stderr
