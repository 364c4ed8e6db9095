"""The day-two commands as a user runs them: ``drift``, ``snapshot`` and ``plan --live-snapshot``
(and ``emulator serve --fixture`` of a snapshot), ``export`` then ``plan``, ``fmt --check``,
``groups export`` and ``schema``; and no secret in any output or file of any of them."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from tests import cli_support
from tests.cli_support import (
    PLANTED_REFRESH,
    PLANTED_TOKEN,
    ROOT,
    SCSYNC,
    SOCIALCONNECT_SETTINGS,
    Account,
    Emu,
    Served,
    make_account,
    run_cli,
    stop_served,
)

account = cli_support.account
seeded_db = cli_support.seeded_db
served = cli_support.served

NO_DRIFT = "\nNo drift. The platform matches the configuration.\n"
HEADER = re.compile(r"Drift report: ClaraLines \(account 1001\), checked \d{4}-\d\d-\d\d "
                    r"\d\d:\d\d UTC\n")
EXPIRED = ("  Error: stream.Competitors/twitter/CompetitorAir: stream twitter/CompetitorAir of "
           "topic "
           "Competitors is expired: it crawls no data until reconnected in Social Connect "
           "(Settings > Topics > Competitors > Reconnect)\n")
GROUP_ROWS = [
    ["Profile group ID", "Profile group name", "Profile", "Profile ID", "Profile display name",
     "Via"],
    ["1", "EMEA", "twitter/ClaraLines", "ClaraLines", "ClaraLines", ""],
    ["1", "EMEA", "twitter/ClaraLinesUK", "ClaraLinesUK", "ClaraLines UK", "UK"],
    ["1", "EMEA", "twitter/ClaraLinesDE", "ClaraLinesDE", "ClaraLines DE", "Germany"],
    ["3", "Germany", "twitter/ClaraLinesDE", "ClaraLinesDE", "ClaraLines DE", ""],
    ["4", "Messaging", "whatsapp/15551230000", "15551230000", "ClaraLines WhatsApp", ""],
    ["4", "Messaging", "livechat/ClaraLines Web", "ClaraLines Web", "ClaraLines Web", ""],
    ["5", "UK", "twitter/ClaraLinesUK", "ClaraLinesUK", "ClaraLines UK", ""],
]


@pytest.fixture
def applied(account: Account) -> Account:
    result = account.cli("apply", "-C", str(account.root), "--auto-approve")
    assert result.exit_code == 0, result.stderr
    return account


# -- drift -------------------------------------------------------------------------------------

def test_no_drift_right_after_apply(applied: Account) -> None:
    result = applied.cli("drift", "-C", str(applied.root))
    assert (result.exit_code, result.stderr) == (0, "")
    assert HEADER.match(result.stdout) and result.stdout.endswith(NO_DRIFT)


def test_out_of_band_edit_is_drift_with_who_and_when(applied: Account) -> None:
    applied.emu.edit("alice@claralines.example", "profile", "twitter/ClaraLines",
                     {"welcome_message": "Howdy"})
    result = applied.cli("drift", "-C", str(applied.root))
    assert result.exit_code == 2
    assert re.search(r"\n  # profile\.twitter/ClaraLines: changed by Alice Martin "
                     r"\(alice@claralines\.example\) on \d{4}-\d\d-\d\d \d\d:\d\d UTC\n",
                     result.stdout), result.stdout
    assert "          - Howdy\n          + Hi! How can we help you today?\n" in result.stdout
    assert result.stdout.endswith(
        "\nDrift: 0 expired streams, 1 object changed outside scsync, 0 missing, 0 extra "
        "(0 unmanaged objects not counted).\n")


def test_expired_stream_is_drift_and_comes_first(applied: Account) -> None:
    applied.emu.expire("twitter", "CompetitorAir")
    result = applied.cli("drift", "-C", str(applied.root))
    assert result.exit_code == 2
    assert HEADER.sub("", result.stdout) == (
        "\nExpired: reconnect these first (an expired stream crawls no data):\n" + EXPIRED +
        "\nDrift: 1 expired stream, 0 objects changed outside scsync, 0 missing, 0 extra "
        "(0 unmanaged objects not counted).\n")
    doc = json.loads(applied.cli("drift", "-C", str(applied.root), "--format", "json").stdout)
    assert doc["summary"]["expired_streams"] == 1


def test_drift_several_accounts(applied: Account, tmp_path: Path, seeded_db: Path) -> None:
    other = make_account(tmp_path / "other", seeded_db)
    assert other.cli("apply", "-C", str(other.root), "--auto-approve").exit_code == 0
    clean = run_cli(["drift", "-C", str(applied.root), "-C", str(other.root)])
    assert clean.exit_code == 0
    other.emu.expire("twitter", "CompetitorAir")
    result = run_cli(["drift", "-C", str(applied.root), "-C", str(other.root)])
    assert result.exit_code == 2
    assert result.stdout.endswith(
        f"{applied.root}: No drift. The platform matches the configuration.\n"
        f"{other.root}: Drift: 1 expired stream, 0 objects changed outside scsync, 0 missing, "
        "0 extra (0 unmanaged objects not counted).\n"
        "Total: Drift: 1 expired stream, 0 objects changed outside scsync, 0 missing, 0 extra "
        "(0 unmanaged objects not counted).\n")
    other.replace("profiles/twitter.yaml", "flow: Booking}", "flow: Bookings}")
    broken = run_cli(["drift", "-C", str(applied.root), "-C", str(other.root)])
    assert broken.exit_code == 1
    assert broken.stderr.startswith(f"{other.root}/profiles/twitter.yaml:14:38: ")


# -- snapshot ----------------------------------------------------------------------------------

def snapshot_of(acc: Account, out: Path) -> str:
    result = acc.cli("snapshot", "-C", str(acc.root), "-o", str(out))
    assert (result.exit_code, result.stdout) == (0, f"Snapshot written to {out}.\n")
    return out.read_text(encoding="utf-8")


def test_snapshot_has_no_tokens(account: Account, tmp_path: Path) -> None:
    text = snapshot_of(account, tmp_path / "snap.yaml")
    assert text.startswith("# scsync snapshot of account 1001 (ClaraLines) taken ")
    assert "emulator_fixture: 1" in text
    for secret in ("demo-admin-token", "demo-agent-token", "demo-admin-refresh",
                   "demo-client-secret", "tokens:"):
        assert secret not in text


def test_live_snapshot_plan_needs_no_credentials(account: Account, tmp_path: Path) -> None:
    snapshot_of(account, tmp_path / "snap.yaml")
    live = json.loads(account.cli("plan", "-C", str(account.root), "--format", "json").stdout)
    (account.root / "scsync.yaml").write_text(
        SOCIALCONNECT_SETTINGS.format(url="https://api.engagor.com"), encoding="utf-8")
    offline = account.cli("plan", "-C", str(account.root), "--live-snapshot",
                          str(tmp_path / "snap.yaml"), "--format", "json",
                          env={"SCSYNC_TOKEN": None})
    assert offline.exit_code == 0, offline.stderr
    doc = json.loads(offline.stdout)
    assert doc["changes"] == live["changes"] and doc["calls"] == live["calls"]
    text = account.cli("plan", "-C", str(account.root), "--live-snapshot",
                       str(tmp_path / "snap.yaml"), env={"SCSYNC_TOKEN": None})
    assert re.match(r"Planned against a live snapshot, not the live platform. Live state from "
                    r"snapshot \S*snap\.yaml, taken \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(0 minutes "
                    r"ago\)\.\n", text.stdout), text.stdout
    assert "\nPlan: 5 to add, 13 to change, 2 to destroy.\n" in text.stdout


@pytest.fixture
def snapshot_server(account: Account, tmp_path: Path) -> Iterator[Served]:
    """``scsync emulator serve --fixture SNAPSHOT`` and a socialconnect config that targets it."""
    snapshot_of(account, tmp_path / "snap.yaml")
    process = subprocess.Popen([*SCSYNC, "emulator", "serve", "--db",
                                str(tmp_path / "snap.db"), "--fixture",
                                str(tmp_path / "snap.yaml")], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    url = process.stdout.readline().split(": ", 1)[1].strip()
    token = process.stdout.readline().split(": ", 1)[1].strip()
    config = tmp_path / "remote-config"
    shutil.copytree(account.root, config, ignore=shutil.ignore_patterns(".scsync"))
    (config / "scsync.yaml").write_text(SOCIALCONNECT_SETTINGS.format(url=url), encoding="utf-8")
    server = Served(process, url, token, config, Emu(tmp_path / "snap.db"))
    yield server
    stop_served(server)


def test_serve_a_snapshot(account: Account, snapshot_server: Served) -> None:
    live = json.loads(account.cli("plan", "-C", str(account.root), "--format", "json").stdout)
    result = run_cli(["plan", "-C", str(snapshot_server.root), "--format", "json"],
                     env={"SCSYNC_TOKEN": snapshot_server.printed_token})
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["changes"] == live["changes"]
    assert snapshot_server.printed_token not in (snapshot_server.root / "scsync.yaml").read_text()


# -- export, fmt, groups, schema ---------------------------------------------------------------

def test_export_then_plan_is_empty(account: Account) -> None:
    out = account.base / "exported"
    result = account.cli("export", "-C", str(account.root), "-o", str(out))
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == f"Exported 14 new and 0 updated objects into 9 files under {out}.\n"
    plan = run_cli(["plan", "-C", str(out), "--detailed-exitcode"])
    assert (plan.exit_code, plan.stdout) == (
        0, "No changes. The platform matches the configuration.\n")
    assert run_cli(["fmt", "-C", str(out), "--check"]).exit_code == 0


def test_fmt_check_exit_codes(account: Account) -> None:
    clean = account.cli("fmt", "-C", str(account.root), "--check")
    assert (clean.exit_code, clean.stdout, clean.stderr) == (0, "", "")
    account.replace("profile_groups.yaml", "  EMEA:\n    color: \"#00897B\"\n",
                    "  EMEA:\n    groups: [UK, Germany]\n    color: \"#00897B\"\n")
    account.replace("profile_groups.yaml", "    profiles: [twitter/ClaraLines]\n    groups: "
                    "[UK, Germany]\n", "    profiles: [twitter/ClaraLines]\n")
    before = (account.root / "profile_groups.yaml").read_text(encoding="utf-8")
    dirty = account.cli("fmt", "-C", str(account.root), "--check")
    shown = f"{account.root}/profile_groups.yaml\n"
    assert (dirty.exit_code, dirty.stdout) == (1, shown)
    assert dirty.stderr == "1 file(s) would be reformatted; run `scsync fmt`.\n"
    assert (account.root / "profile_groups.yaml").read_text(encoding="utf-8") == before
    fixed = account.cli("fmt", "-C", str(account.root))
    assert (fixed.exit_code, fixed.stdout) == (0, shown)
    assert account.cli("fmt", "-C", str(account.root), "--check").exit_code == 0


def test_groups_export_csv_and_xlsx(applied: Account, tmp_path: Path) -> None:
    result = applied.cli("groups", "export", "-C", str(applied.root), "--format", "csv", "-o",
                         str(tmp_path / "g.csv"))
    assert (result.exit_code, result.stdout) == (0, f"Wrote 7 rows to {tmp_path / 'g.csv'}.\n")
    with (tmp_path / "g.csv").open(encoding="utf-8", newline="") as file:
        assert list(csv.reader(file)) == GROUP_ROWS
    xlsx = applied.cli("groups", "export", "-C", str(applied.root), "--format", "xlsx", "-o",
                       str(tmp_path / "g.xlsx"))
    assert xlsx.exit_code == 0
    sheet = openpyxl.load_workbook(tmp_path / "g.xlsx").active
    assert sheet is not None
    rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert rows == GROUP_ROWS


def test_schema_prints_the_committed_schema() -> None:
    result = run_cli(["schema"])
    assert result.exit_code == 0
    assert result.stdout == (ROOT / "schemas" / "scsync.schema.json").read_text(encoding="utf-8")


# -- secrets -----------------------------------------------------------------------------------

def test_no_secret_in_any_output_or_file(served: Served, tmp_path: Path) -> None:
    env = {"SCSYNC_TOKEN": PLANTED_TOKEN}
    root = str(served.root)
    runs = [
        run_cli(["plan", "-C", root, "-o", str(tmp_path / "plan.json")], env=env),
        run_cli(["--debug", "plan", "-C", root, "--format", "json"], env=env),
        run_cli(["plan", "-C", root, "--format", "html"], env=env),
        run_cli(["apply", "-C", root, "--auto-approve"], env=env),
        run_cli(["drift", "-C", root, "--format", "markdown"], env=env),
        run_cli(["snapshot", "-C", root, "-o", str(tmp_path / "snap.yaml")], env=env),
        run_cli(["export", "-C", root, "-o", str(tmp_path / "exported")], env=env),
        run_cli(["groups", "export", "-C", root, "--format", "csv", "-o",
                 str(tmp_path / "g.csv")], env=env),
        run_cli(["plan", "-C", root], env={"SCSYNC_TOKEN": PLANTED_TOKEN + "-wrong"}),
    ]
    assert [r.exit_code for r in runs] == [0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert runs[-1].stderr == ("error: the platform refused GET /me: no_permission: Invalid "
                               "access token.\n")
    shown = "".join(r.stdout + r.stderr for r in runs)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) >= 9
    written = "".join(p.read_text(encoding="utf-8") for p in files)
    for secret in (PLANTED_TOKEN, PLANTED_REFRESH):
        assert secret not in shown
        assert secret not in written
