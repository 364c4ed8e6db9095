"""``scsync doctor`` against the emulator in both API modes: each endpoint the config needs with
its evidence and what the platform answered, the token, the budget; exit 1 when a needed one is
missing. Read-only: the emulator receives no write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_support import run_cli
from tests.test_public_api import GROUPS, emu, make_config

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
TABLE = """\
endpoint                                           needed for                      evidence  platform
GET    /me                                         every command                   public    ok
GET    /me/accounts                                every command                   public    ok
GET    /me/permissions                             the token's scopes              public    ok
GET    /1001/settings/flows                        flows profiles refer to         proposed  {flows}
GET    /1001/settings/profiles                     profiles                        proposed  {profiles}
GET    /1001/settings/profilegroups                profile groups                  public    ok
GET    /1001/settings/users                        users                           public    ok
GET    /1001/settings/userroles                    users' roles                    public    ok
POST   /1001/settings/profile/{{type}}/{{service_id}}  profiles                        proposed  not checked
POST   /1001/settings/profilegroups                profile groups                  public    not checked
POST   /1001/settings/profilegroup/{{id}}            profile groups                  public    not checked
DELETE /1001/settings/profilegroup/{{id}}            profile groups (authoritative)  public    not checked
POST   /1001/settings/user/{{id}} [account_role]     users' roles                    public    not checked
POST   /1001/settings/user/{{id}} [social_links]     users' social links             proposed  not checked
"""


def doctor(root: Path, *args: str) -> tuple[int, str]:
    result = run_cli(["doctor", "-C", str(root), *args])
    assert result.stderr == ""
    return result.exit_code, result.stdout


@pytest.mark.parametrize(("api", "status", "code"), [("full", "ok", 0),
                                                     ("public", "missing (not_found)", 1)])
def test_doctor_reports_each_endpoint_the_config_needs(tmp_path: Path, api: str, status: str,
                                                       code: int) -> None:
    root = make_config(tmp_path / "config", api, owned=True, users=USERS, groups=GROUPS,
                       profiles=PROFILES)
    exit_code, out = doctor(root)
    assert exit_code == code
    lines = out.splitlines()
    assert lines[0] == "Account: 1001 (ClaraLines)"
    assert lines[1].startswith("Token:   ops@claralines.example, role admin, scopes "
                               "accounts_read accounts_write, expires ")
    assert lines[2].startswith("Rate:    ") and " of 350 calls left" in lines[2]
    table = "\n".join(lines[4:19]) + "\n"
    assert table == TABLE.format(flows=status, profiles=status)
    verdict = lines[20]
    if api == "public":
        assert verdict == ("Not available: 2 endpoints the config needs: GET "
                           "/1001/settings/flows, GET /1001/settings/profiles. Remove those "
                           "kinds from the config (or plan others with --target).")
    else:
        assert verdict == "Every endpoint the config reads is available."
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
        ("POST", "/1001/settings/user/{id}", "public", "not checked"),
        ("POST", "/1001/settings/user/{id}", "proposed", "not checked")]
