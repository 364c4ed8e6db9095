"""``scsync doctor`` against the emulator in both API modes: each endpoint the config needs with
its evidence and what the platform answered, the token, the budget; exit 1 when a needed one is
missing. Read-only: the emulator receives no write."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_support import CLARALINES, run_cli
from tests.golden_util import assert_golden
from tests.test_public_api import CARE, GROUPS, emu, make_config

USERS = """\
users:
  agent@claralines.example:
    role: agent
    social_links: {linkedin: https://linkedin.com/in/agent}
"""
PROFILES = """\
profiles:
  twitter/ClaraLines:
    welcome_message: Hi
    quick_replies: [{label: Go, flow: Refund}]
"""
def doctor(root: Path, *args: str) -> tuple[int, str]:
    result = run_cli(["doctor", "-C", str(root), *args])
    assert result.stderr == ""
    return result.exit_code, result.stdout


@pytest.mark.parametrize(("api", "code"), [("full", 0), ("public", 1)])
def test_doctor_reports_each_endpoint_the_config_needs(request: pytest.FixtureRequest,
                                                       tmp_path: Path, api: str, code: int) -> None:
    root = make_config(tmp_path / "config", api, owned=True, users=USERS, groups=GROUPS,
                       profiles=PROFILES)
    exit_code, out = doctor(root)
    assert exit_code == code
    lines = out.splitlines()
    assert lines[0] == "Account: 1001 (ClaraLines)"
    assert lines[1].startswith("Token:   ops@claralines.example, role admin, scopes "
                               "accounts_read accounts_write, expires ")
    assert lines[2].startswith("Rate:    ") and " of 350 calls left" in lines[2]
    assert_golden(request, f"doctor_{api}.txt", "\n".join(lines[4:]) + "\n")
    assert [c for c in emu(root).calls() if c["method"] != "GET"] == []


def test_doctor_json(tmp_path: Path) -> None:
    root = make_config(tmp_path / "config", "public", users=USERS)
    exit_code, out = doctor(root, "--format", "json")
    assert exit_code == 0
    report = json.loads(out)
    assert report["ok"] is True
    assert report["account"] == {"id": 1001, "name": "ClaraLines"}
    assert report["token"]["user"] == "ops@claralines.example"
    assert report["token"]["scopes"] == ["accounts_read", "accounts_write"]
    assert report["rate_limit"]["limit"] == 350
    assert [(e["method"], e["path"], e["evidence"], e["status"]) for e in report["endpoints"]] == [
        ("GET", "/me", "public", "ok"), ("GET", "/me/accounts", "public", "ok"),
        ("GET", "/me/permissions", "public", "ok"),
        ("GET", "/1001/settings/users", "public", "ok"),
        ("GET", "/1001/settings/userroles", "public", "ok"),
        ("GET", "/1001/settings/history", "public", "ok"),
        ("POST", "/1001/settings/user/{id}", "public", "not checked"),
        ("POST", "/1001/settings/user/{id}", "proposed", "not checked")]


@pytest.mark.http
def test_doctor_over_http_against_serve_api_public(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "scsync", "emulator", "serve", "--db", str(tmp_path / "p.db"),
         "--fixture", str(CLARALINES), "--port", "0", "--api", "public"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split(": ", 1)[1].strip()
        token = process.stdout.readline().split(": ", 1)[1].strip()
        root = tmp_path / "config"
        root.mkdir()
        (root / "scsync.yaml").write_text(
            f"scsync: 1\nprovider:\n  type: socialconnect\n  base_url: {url}\n"
            "  account_id: 1001\n  token: ${env:SCSYNC_TOKEN}\n", encoding="utf-8")
        (root / "profiles.yaml").write_text(PROFILES, encoding="utf-8")
        result = run_cli(["doctor", "-C", str(root), "--format", "json"],
                         env={"SCSYNC_TOKEN": token})
        (root / "profiles.yaml").unlink()
        (root / "topics.yaml").write_text(CARE, encoding="utf-8")
        planned = run_cli(["plan", "-C", str(root), "--format", "json"],
                          env={"SCSYNC_TOKEN": token})  # lists fetched by threads over HTTP
    finally:
        process.terminate()
        process.communicate(timeout=10)
    assert result.exit_code == 1, result.stderr
    report = json.loads(result.stdout)
    assert [(e["path"], e["status"], e["detail"]) for e in report["endpoints"]
            if e["status"] == "missing"] == [("/1001/settings/flows", "missing", "not_found"),
                                             ("/1001/settings/profiles", "missing", "not_found")]
    assert token not in result.stdout
    assert planned.exit_code == 0, planned.stderr
    assert [h["address"] for h in json.loads(planned.stdout)["health"]] == [
        "GET /1001/settings/connectedprofiles", "GET /1001/settings/profiles"]
