"""scsync against a platform that offers only the endpoints with public evidence (the emulator's
``api: public``) and against the full emulator: a plan reads only what its config manages, a
missing kind is said once and fails only what the config asks of it, and roles are managed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scsync.providers import apispec
from tests.cli_support import CLARALINES, Emu, run_cli

SETTINGS = """\
scsync: 1
provider:
  type: emulator
  fixture: {fixture}
  api: {api}
"""
OWN_GROUPS = "ownership:\n  profile_groups: authoritative\n"
USERS = """\
users:
  agent@claralines.example:
    role: Admin
  alice@claralines.example:
    social_links:
      twitter: https://twitter.com/alice_clara
"""
GROUPS = """\
profile_groups:
  EMEA:
    color: "#00897B"
    profiles: [twitter/ClaraLines]
    groups: [UK]
  UK:
    color: "#3949AB"
    profiles: [twitter/ClaraLinesUK]
"""
PUBLIC_READS = [("GET", "/me"), ("GET", "/me/accounts"), ("GET", "/1001/settings/profilegroups"),
                ("GET", "/1001/settings/users"), ("GET", "/1001/settings/userroles")]


@pytest.fixture(autouse=True)
def _inside_the_account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from inside the account, so messages name its files as a user there sees them."""
    (tmp_path / "config").mkdir()
    monkeypatch.chdir(tmp_path / "config")


def make_config(root: Path, api: str, *, owned: bool = False, **files: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    settings = SETTINGS.format(fixture=CLARALINES, api=api) + (OWN_GROUPS if owned else "")
    (root / "scsync.yaml").write_text(settings, encoding="utf-8")
    for name, text in files.items():
        (root / f"{name}.yaml").write_text(text, encoding="utf-8")
    return root


def emu(root: Path) -> Emu:
    return Emu(root / ".scsync" / "platform.db")


def reads(root: Path) -> list[tuple[str, str]]:
    return [(c["method"], c["path"]) for c in emu(root).calls() if c["method"] == "GET"]


@pytest.mark.parametrize("api", ["public", "full"])
def test_users_and_groups_plan_apply_and_converge(tmp_path: Path, api: str) -> None:
    root = make_config(tmp_path / "config", api, owned=True, users=USERS, groups=GROUPS)
    planned = run_cli(["plan", "-C", str(root), "--detailed-exitcode"])
    assert planned.exit_code == 2, planned.stderr
    assert sorted(reads(root)) == sorted(PUBLIC_READS)
    assert {apispec.find(method, path).evidence for method, path in reads(root)} == {"public"}
    assert '~ role = "agent" -> "Admin"' in planned.stdout
    assert "POST   /1001/settings/user/3          update  user.agent@claralines.example" in (
        planned.stdout)
    emu(root).clear_calls()
    applied = run_cli(["apply", "-C", str(root), "--auto-approve"])
    assert applied.exit_code == 0, applied.stderr
    writes = [c for c in emu(root).calls() if c["method"] != "GET"]
    assert [(c["method"], c["path"], c["status"]) for c in writes] == [
        ("POST", "/1001/settings/profilegroups", 200),
        ("POST", "/1001/settings/profilegroup/1", 200),
        ("POST", "/1001/settings/user/3", 200),
        ("POST", "/1001/settings/user/2", 200),
        ("DELETE", "/1001/settings/profilegroup/2", 200)]
    assert writes[0]["form"] == {"profile_group": {
        "name": "UK", "color": "#3949AB",
        "profiles": [{"type": "twitter", "service_id": "ClaraLinesUK"}], "groups": []}}
    assert writes[2]["form"] == {"updates": {"account_role": 1}}
    again = run_cli(["plan", "-C", str(root), "--detailed-exitcode"])
    assert again.exit_code == 0, again.stdout + again.stderr
    assert "No changes." in again.stdout


def test_a_users_only_config_reads_the_users_and_nothing_else(tmp_path: Path) -> None:
    users = "users:\n  ops@claralines.example: {}\n"
    root = make_config(tmp_path / "config", "public", users=users)
    result = run_cli(["plan", "-C", str(root)])
    assert result.exit_code == 0, result.stderr
    assert reads(root) == [("GET", "/me"), ("GET", "/me/accounts"), ("GET", "/1001/settings/users")]


def test_profiles_on_a_public_platform_fail_with_the_missing_endpoint(tmp_path: Path) -> None:
    profiles = 'profiles:\n  twitter/ClaraLines:\n    color: "#6A1B9A"\n'
    root = make_config(tmp_path / "config", "public", users=USERS, profiles=profiles)
    result = run_cli(["plan", "-C", str(root)])
    assert result.exit_code == 1
    assert result.stderr == (
        "profiles.yaml:2:3: profile.twitter/ClaraLines: profiles are not available on this "
        "platform (GET /1001/settings/profiles answered not_found), so the 1 profile of the "
        "config cannot be planned; remove profiles from the config, or run `scsync doctor` to "
        "see what this platform offers\n")
    assert result.stdout == ""


def test_a_target_on_users_plans_them_when_profiles_are_missing(tmp_path: Path) -> None:
    profiles = 'profiles:\n  twitter/ClaraLines:\n    color: "#6A1B9A"\n'
    root = make_config(tmp_path / "config", "public", users=USERS, profiles=profiles)
    result = run_cli(["plan", "-C", str(root), "--target", "user.*", "--detailed-exitcode"])
    assert result.exit_code == 2, result.stderr
    assert ("GET", "/1001/settings/profiles") not in reads(root)


CARE = """\
topics:
  Claralines Care:
    searchkeywords: claralines
    streams:
      - twitter/ClaraLines
      - facebook/claralines
      - {profile: facebook/competitorair, authorized: false}
"""


def test_missing_lists_are_health_items_and_the_rest_is_planned(tmp_path: Path) -> None:
    root = make_config(tmp_path / "config", "public", topics=CARE)
    result = run_cli(["plan", "-C", str(root), "--format", "json", "--detailed-exitcode"])
    assert result.exit_code == 0, result.stderr
    text = run_cli(["plan", "-C", str(root)]).stdout
    assert ("Warning: GET /1001/settings/profiles: not available on this platform (it answered "
            "not_found): Profile Manager settings (profiles) cannot be read or planned") in text
    assert json.loads(result.stdout)["health"] == [
        {"kind": "unavailable", "severity": "warning",
         "address": "GET /1001/settings/connectedprofiles",
         "message": "not available on this platform (it answered not_found): connected "
                    "profiles cannot be read; new authorized streams cannot be checked or given "
                    "the connected profile that admins their page"},
        {"kind": "unavailable", "severity": "warning", "address": "GET /1001/settings/profiles",
         "message": "not available on this platform (it answered not_found): Profile "
                    "Manager settings (profiles) cannot be read or planned"}]


def test_a_new_authorized_stream_needs_the_connected_profiles(tmp_path: Path) -> None:
    topics = CARE + "      - twitter/ClaraLinesUK\n"
    root = make_config(tmp_path / "config", "public", topics=topics)
    result = run_cli(["plan", "-C", str(root)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "topics.yaml:8:9: topic.Claralines Care streams[3]: the connected profiles cannot be "
        "read on this platform (GET /1001/settings/connectedprofiles answered not_found), so "
        "the authorized stream twitter/ClaraLinesUK cannot be checked or given the connected "
        "profile that admins its page; make it unauthorized (authorized: false) or add it in "
        "Social Connect"]


def test_flow_by_id_is_named_when_flows_are_read(tmp_path: Path) -> None:
    profiles = ("profiles:\n  twitter/ClaraLines:\n    welcome_message: Hi\n    quick_replies:\n"
                "      - {label: Refund please, flow: {flow_id: 501}}\n")
    root = make_config(tmp_path / "config", "full", profiles=profiles)
    result = run_cli(["plan", "-C", str(root)])
    assert result.exit_code == 0, result.stderr
    assert '+ {"label": "Refund please", "flow": "Refund"},' in result.stdout
    (root / "profiles.yaml").write_text(profiles.replace("501", "999"), encoding="utf-8")
    bad = run_cli(["plan", "-C", str(root)])
    assert bad.exit_code == 1
    assert bad.stderr == (
        "profiles.yaml:5:38: profile.twitter/ClaraLines quick_replies[0].flow: no flow with id "
        "999 on the platform; flows are: 501 (Refund), 502 (CSAT), 503 (Baggage), 504 (Booking), "
        "505 (Welcome), 506 (Agent Handoff)\n")


ROLE_CASES = {
    "unknown": ("users:\n  agent@claralines.example:\n    role: owner\n",
                ['users.yaml:3:11: user.agent@claralines.example role: no role named "owner" on '
                 "the platform; roles are: admin, agent"]),
    "own": ("users:\n  ops@claralines.example:\n    role: agent\n",
            ["users.yaml:3:11: user.ops@claralines.example role: ops@claralines.example is the "
             "user whose token scsync runs with; scsync never demotes it (the apply would lose "
             "the rights it needs); change this role in Social Connect, or run scsync with "
             "another administrator's token"]),
    "last_admin": ("users:\n  ops@claralines.example:\n    role: agent\n"
                   "  alice@claralines.example:\n    role: agent\n",
                   ["users.yaml:3:11: user.ops@claralines.example role: ops@claralines.example "
                    "is the user whose token scsync runs with; scsync never demotes it (the "
                    "apply would lose the rights it needs); change this role in Social Connect, "
                    "or run scsync with another administrator's token",
                    "users.yaml:5:11: user.alice@claralines.example role: this plan would leave "
                    "the account without an administrator; keep at least one user with an "
                    "administrator role"]),
}


@pytest.mark.parametrize("case", sorted(ROLE_CASES))
def test_role_rules_fail_before_any_write(tmp_path: Path, case: str) -> None:
    users, expected = ROLE_CASES[case]
    root = make_config(tmp_path / "config", "public", users=users)
    result = run_cli(["plan", "-C", str(root)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == expected
    assert [c for c in emu(root).calls() if c["method"] != "GET"] == []


def test_only_an_administrator_token_changes_roles(tmp_path: Path) -> None:
    root = make_config(tmp_path / "config", "public",
                       users="users:\n  alice@claralines.example: {role: agent}\n")
    (root / "scsync.yaml").write_text(SETTINGS.format(fixture=CLARALINES, api="public")
                                      + "  user: agent@claralines.example\n", encoding="utf-8")
    result = run_cli(["plan", "-C", str(root)])
    assert result.exit_code == 1
    assert result.stderr == (
        "users.yaml:2:36: user.alice@claralines.example role: only an administrator can change "
        "a role, and scsync runs with the token of agent@claralines.example (agent); run it "
        "with an administrator's token\n")


def test_roles_missing_on_the_platform_fail_only_the_role(tmp_path: Path) -> None:
    from scsync.plan.roles import check_roles
    from scsync.providers.base import Unavailable
    from tests.plan_factories import keyed, make_live, make_user

    desired = keyed([make_user("alice@claralines.example", role="agent")])
    live = make_live([make_user("alice@claralines.example", live=True, role="admin")])
    live.unavailable["userroles"] = Unavailable("userroles", "/1001/settings/userroles",
                                                "not_found")
    [problem] = check_roles(desired, live, {})
    assert problem.message == (
        "roles cannot be planned: this platform does not list them (GET "
        "/1001/settings/userroles answered not_found); remove role: from the users")


def test_a_flow_named_when_flows_are_missing_says_to_use_its_id() -> None:
    from scsync.plan.availability import available
    from scsync.providers.base import Unavailable
    from tests.plan_factories import keyed, make_live, make_profile

    by_name = make_profile(quick_replies=[{"label": "Go", "flow": "Refund"}])
    by_id = make_profile("twitter/ClaraLinesUK", quick_replies=[{"label": "Go", "flow": "#501"}])
    live = make_live([], flows=[])
    live.unavailable["flows"] = Unavailable("flows", "/1001/settings/flows", "not_found")
    kept, problems = available(keyed([by_name, by_id]), live)
    assert len(kept) == 2
    assert [(p.address, p.field, p.message) for p in problems] == [
        ("profile.twitter/ClaraLines", "quick_replies[0].flow",
         'flow "Refund" cannot be found by name: this platform does not list flows (GET '
         "/1001/settings/flows answered not_found); refer to it by id instead (flow: "
         "{flow_id: ID})")]


def test_the_emulator_lists_roles_and_permissions_and_keeps_an_administrator(
        tmp_path: Path) -> None:
    import httpx

    from scsync.emulator import open_emulator

    emulator = open_emulator(tmp_path / "e.db", fixture=CLARALINES, api="public")
    headers = {"Authorization": "Bearer demo-admin-token"}
    try:
        with httpx.Client(transport=httpx.WSGITransport(app=emulator.wsgi), headers=headers,
                          base_url="http://emulator.local") as client:
            roles = client.get("/1001/settings/userroles").json()["response"]
            permissions = client.get("/me/permissions").json()["response"]
            demote_alice = client.post("/1001/settings/user/2",
                                       data={"updates": '{"account_role": 2}'})
            demote_ops = client.post("/1001/settings/user/1",
                                     data={"updates": '{"account_role": "agent"}'})
    finally:
        emulator.close()
    assert roles["data"] == [{"id": 1, "name": "admin"}, {"id": 2, "name": "agent"}]
    assert permissions == {"scopes": ["accounts_read", "accounts_write"]}
    assert demote_alice.json()["response"]["account_role"] == {"id": 2, "name": "agent"}
    assert demote_ops.status_code == 400
    assert demote_ops.json() == {"code": 400, "error": "invalid_parameter",
                                 "error_description": "the account must keep at least one "
                                                      "administrator"}


def test_drift_on_a_public_platform_names_the_missing_endpoint(tmp_path: Path) -> None:
    profiles = 'profiles:\n  twitter/ClaraLines:\n    color: "#6A1B9A"\n'
    root = make_config(tmp_path / "config", "public", users=USERS, profiles=profiles)
    result = run_cli(["drift", "-C", str(root)])
    assert result.exit_code == 1
    assert "profiles are not available on this platform (GET /1001/settings/profiles answered " \
           "not_found)" in result.stderr


def test_a_refused_write_without_public_evidence_says_so(tmp_path: Path) -> None:
    root = make_config(tmp_path / "config", "public", topics="topics:\n  New One: {}\n")
    result = run_cli(["apply", "-C", str(root), "--auto-approve"])
    assert result.exit_code == 1
    assert ("[1/1] FAILED topic.New One: the platform refused POST /1001/settings/topics: "
            "not_found: unknown path /1001/settings/topics (POST /{a}/settings/topics has no "
            "public evidence: this platform may not offer it; `scsync doctor` lists what the "
            "config needs)") in result.stdout


def test_export_says_which_kinds_the_platform_does_not_offer(tmp_path: Path) -> None:
    root = make_config(tmp_path / "config", "public")
    result = run_cli(["export", "-C", str(root), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ("warning: profiles not exported: they are not available on this "
                             "platform (GET /1001/settings/profiles answered not_found)\n")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "profile_groups.yaml", "scsync.yaml", "topics.yaml", "users.yaml"]
