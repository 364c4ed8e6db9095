"""``scsync plan`` as a user runs it: the example's whole output (golden), formats, the plan
file, the reads it costs, ``--target``, colour, exit-code precedence over several accounts,
safety refusals and every kind of error line."""

from __future__ import annotations

import json
import re
import shutil
import socket
from pathlib import Path

import jsonschema
import pytest

from scsync.config.cache import CACHE_DIR, ENTRY
from scsync.providers import http
from tests import cli_support
from tests.cli_support import (
    AGENT_TOKEN,
    EXPIRED_TOKEN,
    ROOT,
    SOCIALCONNECT_SETTINGS,
    Account,
    Served,
    make_account,
    no_ansi,
    run_cli,
    run_process,
    run_tty,
)
from tests.golden_util import assert_golden

account = cli_support.account
seeded_db = cli_support.seeded_db
served = cli_support.served

SUMMARY = "Plan: 5 to add, 13 to change, 2 to destroy."
PLAN_SCHEMA = json.loads((ROOT / "schemas" / "plan.schema.json").read_text(encoding="utf-8"))
READ_PATHS = ["/me", "/me/accounts", "/1001/settings/flows", "/1001/settings/connectedprofiles",
              "/1001/settings/profiles", "/1001/settings/topics", "/1001/settings/profilegroups",
              "/1001/settings/users"]


def headers(text: str) -> list[str]:
    return re.findall(r"^  # (\S+ ?.*?) will", text, flags=re.M)


# -- the example -------------------------------------------------------------------------------

def test_plan_example_golden(request: pytest.FixtureRequest, account: Account) -> None:
    result = account.cli("plan", "-C", str(account.root))
    assert (result.exit_code, result.stderr) == (0, "")
    assert_golden(request, "example_plan.txt", result.stdout)
    assert f"\n{SUMMARY}\n" in result.stdout
    assert no_ansi(result.stdout)


def test_plan_reads_only(account: Account) -> None:
    account.cli("plan", "-C", str(account.root))
    assert [(c["method"], c["path"]) for c in account.emu.calls()] == [
        ("GET", path) for path in READ_PATHS]


def test_detailed_exitcode(account: Account) -> None:
    result = account.cli("plan", "-C", str(account.root), "--detailed-exitcode")
    assert result.exit_code == 2
    assert f"\n{SUMMARY}\n" in result.stdout


def test_json_is_valid_and_reads_one_paged_list_per_kind(account: Account) -> None:
    account.emu.clear_calls()
    result = account.cli("plan", "-C", str(account.root), "--format", "json")
    assert (result.exit_code, result.stderr) == (0, "")
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, PLAN_SCHEMA)
    assert doc["summary"] == {"add": 5, "change": 13, "destroy": 2}
    assert doc["account"] == {"id": 1001, "name": "ClaraLines"}
    calls = account.emu.calls()
    assert {c["method"] for c in calls} == {"GET"}
    assert sorted(c["path"] for c in calls) == sorted(READ_PATHS)  # each path once: one page
    assert doc["reads"] == len(calls)
    assert len(doc["calls"]) == 20
    assert [c["method"] for c in doc["calls"]] == ["POST"] * 18 + ["DELETE"] * 2


@pytest.mark.parametrize("fmt", ["text", "markdown", "html", "json"])
def test_out_file_is_the_json_plan_whatever_the_format(account: Account, tmp_path: Path,
                                                       fmt: str) -> None:
    out = tmp_path / "plan.json"
    result = account.cli("plan", "-C", str(account.root), "--format", fmt, "-o", str(out))
    assert result.exit_code == 0
    saved = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.validate(saved, PLAN_SCHEMA)
    assert saved["summary"] == {"add": 5, "change": 13, "destroy": 2}
    assert len(saved["changes"]) == 20
    if fmt == "json":
        assert json.loads(result.stdout)["changes"] == saved["changes"]
    else:
        assert not result.stdout.lstrip().startswith("{")


def test_markdown_starts_with_the_summary(account: Account) -> None:
    result = account.cli("plan", "-C", str(account.root), "--format", "markdown")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"**{SUMMARY}**\n")


def test_html_carries_the_summary_before_the_changes(account: Account) -> None:
    result = account.cli("plan", "-C", str(account.root), "--format", "html")
    assert result.exit_code == 0
    assert result.stdout.startswith("<!DOCTYPE html>")
    assert SUMMARY in result.stdout
    assert result.stdout.index(SUMMARY) < result.stdout.index("topic.Competitors")


def test_target_limits_the_changes(account: Account) -> None:
    result = account.cli("plan", "-C", str(account.root), "--target", "topic.*")
    assert result.exit_code == 0
    assert headers(result.stdout) == ["topic.Competitors", "topic.Service Channels",
                                      "topic.ClaraLines Care", "topic.Old Campaign"]
    assert "\nPlan: 2 to add, 1 to change, 1 to destroy.\n" in result.stdout
    one = account.cli("plan", "-C", str(account.root), "--target", "user.ops@claralines.example",
                      "--format", "json")
    assert [c["address"] for c in json.loads(one.stdout)["changes"]] == [
        "user.ops@claralines.example"]
    # a target brings the objects it depends on: EMEA holds the groups UK and Germany
    deps = account.cli("plan", "-C", str(account.root), "--target", "profile_group.EMEA")
    assert sorted(headers(deps.stdout)) == ["profile_group.EMEA", "profile_group.Germany",
                                            "profile_group.UK"]
    # a stream is written with its topic: targeting it plans the topic's one change
    stream = account.cli("plan", "-C", str(account.root), "--target",
                         "stream.ClaraLines Care/instagram/claralines")
    assert stream.exit_code == 0
    assert headers(stream.stdout) == ["topic.ClaraLines Care"]


def test_no_ansi_without_a_terminal_or_with_no_color(account: Account) -> None:
    piped = run_process(["plan", "-C", str(account.root)])
    assert piped.returncode == 0
    assert no_ansi(piped.stdout) and no_ansi(piped.stderr)
    runner = run_cli(["plan", "-C", str(account.root)])
    assert no_ansi(runner.stdout)
    assert strip_budget(runner.stdout) == strip_budget(piped.stdout)


def strip_budget(text: str) -> str:
    return re.sub(r"\d+ of 350 calls left", "N of 350 calls left", text)


def test_colour_only_on_a_terminal_without_no_color(account: Account) -> None:
    code, shown = run_tty(["plan", "-C", str(account.root)])
    assert code == 0 and "\x1b[" in shown
    code, shown = run_tty(["plan", "-C", str(account.root)], env={"NO_COLOR": "1"})
    assert code == 0 and no_ansi(shown)
    assert SUMMARY in shown


def test_python_dash_m_runs_the_same_cli(account: Account) -> None:
    result = run_process(["plan", "-C", str(account.root), "--detailed-exitcode"])
    assert result.returncode == 2
    assert f"\n{SUMMARY}\n" in result.stdout


# -- exit-code precedence, several accounts -----------------------------------------------------

@pytest.fixture
def second(tmp_path: Path, seeded_db: Path) -> Account:
    return make_account(tmp_path / "second", seeded_db)


def protect_old_campaign(acc: Account) -> None:
    acc.replace("scsync.yaml", "  - profile_group.EMEA\n",
                "  - profile_group.EMEA\n  - topic.Old*\n")


def break_flow(acc: Account) -> None:
    acc.replace("profiles/twitter.yaml", "flow: Booking}", "flow: Bookings}")


def test_several_accounts_summary_and_total(account: Account, second: Account) -> None:
    result = run_cli(["plan", "-C", str(account.root), "-C", str(second.root),
                      "--detailed-exitcode"])
    assert result.exit_code == 2
    assert result.stdout.count("scsync will perform the following actions:") == 2
    assert result.stdout.endswith(f"{account.root}: {SUMMARY}\n{second.root}: {SUMMARY}\n"
                                  "Total: 10 to add, 26 to change, 4 to destroy.\n")
    assert f"=== {account.root} ===" in result.stdout


def test_one_refused_account_exits_3(account: Account, second: Account) -> None:
    protect_old_campaign(second)
    result = run_cli(["plan", "-C", str(account.root), "-C", str(second.root),
                      "--detailed-exitcode"])
    assert result.exit_code == 3
    assert ("Error: topic.Old Campaign is protected by `protect:` in scsync.yaml and would be "
            "deleted") in result.stdout


def test_one_broken_account_exits_1_over_refused(account: Account, second: Account) -> None:
    protect_old_campaign(account)
    break_flow(second)
    result = run_cli(["plan", "-C", str(account.root), "-C", str(second.root),
                      "--detailed-exitcode"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"{second.root}/profiles/twitter.yaml:14:38: profile.twitter/ClaraLines "
        'quick_replies[2].flow: no flow named "Bookings" on the platform; flows are: '
        "Agent Handoff, Baggage, Booking, CSAT, Refund, Welcome\n")
    assert f"{account.root}: Plan: 5 to add, 13 to change, 1 to destroy.\n" in result.stdout


# -- safety gates ------------------------------------------------------------------------------

THRESHOLDS = [
    "Error: Too many updates of profiles: 8 of 8 (100%) is over 50% (use --force to apply anyway)",
    "Error: Too many deletes of topics: 1 of 2 (50%) is over 30% (use --force to apply anyway)",
    "Error: Too many deletes of profile groups: 1 of 2 (50%) is over 30% (use --force to apply "
    "anyway)",
    "Error: Too many updates of users: 3 of 3 (100%) is over 50% (use --force to apply anyway)",
]


def test_threshold_refusal_comes_first_then_the_plan_then_the_refusal_again(
        account: Account) -> None:
    account.replace("scsync.yaml", "min_existing: 10", "min_existing: 1")
    result = account.cli("plan", "-C", str(account.root))
    assert result.exit_code == 3
    head, _, rest = result.stdout.partition("\n\nscsync will perform the following actions:\n")
    assert head.splitlines() == [SUMMARY, "Refused: apply will make none of these changes until "
                                 "what follows is resolved.", *THRESHOLDS]
    body, _, refusal = rest.partition("\nError: ")
    assert len(headers(body)) == 20 and f"\n{SUMMARY}\n" in body
    assert "DELETE /1001/settings/topic/2" in body
    assert [line for line in rest.splitlines() if line.startswith("Error:")] == THRESHOLDS


def test_force_lifts_thresholds(account: Account) -> None:
    account.replace("scsync.yaml", "min_existing: 10", "min_existing: 1")
    result = account.cli("plan", "-C", str(account.root), "--force", "--detailed-exitcode")
    assert result.exit_code == 2
    assert "Error:" not in result.stdout
    assert ("Warning: Too many deletes of topics: 1 of 2 (50%) is over 30% (lifted by --force)"
            in result.stdout)


def test_protect_refusal_is_not_lifted_by_force(account: Account) -> None:
    protect_old_campaign(account)
    for extra in ((), ("--force",)):
        result = account.cli("plan", "-C", str(account.root), *extra)
        assert result.exit_code == 3
        assert "  # topic.Old Campaign is protected and will NOT be destroyed\n" in result.stdout
        assert "\nPlan: 5 to add, 13 to change, 1 to destroy.\n" in result.stdout
        refusal = ("Error: topic.Old Campaign is protected by `protect:` in scsync.yaml and would "
                   "be deleted (keep it in the config, or remove it from `protect:` to delete "
                   "it)\n")
        assert result.stdout.startswith("Plan: 5 to add, 13 to change, 1 to destroy.\nRefused: ")
        assert result.stdout.count(refusal) == 2 and result.stdout.endswith("\n" + refusal)


# -- errors ------------------------------------------------------------------------------------

def socialconnect(acc: Account, url: str) -> None:
    (acc.root / "scsync.yaml").write_text(SOCIALCONNECT_SETTINGS.format(url=url),
                                          encoding="utf-8")


def test_unset_env_is_one_line(account: Account) -> None:
    socialconnect(account, "http://127.0.0.1:9")
    result = account.cli("plan", "-C", str(account.root), env={"SCSYNC_TOKEN": None})
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == ("error: environment variable SCSYNC_TOKEN is not set (referenced by "
                             "provider.token)\n")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_api_is_one_error_line(account: Account,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http.RetryPolicy, "delay", lambda self, tries, jitter: 0.0)
    port = free_port()
    socialconnect(account, f"http://127.0.0.1:{port}")
    result = account.cli("plan", "-C", str(account.root), env={"SCSYNC_TOKEN": "t-123"})
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: cannot reach http://127.0.0.1:{port}: connection refused"]
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_expired_token_says_how_to_renew(served: Served) -> None:
    result = run_cli(["plan", "-C", str(served.root)], env={"SCSYNC_TOKEN": EXPIRED_TOKEN})
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "error: the access token has expired; create a new one in Social Connect (Account "
        "settings > API) and set it in SCSYNC_TOKEN, or configure refresh_token, client_id and "
        "client_secret to refresh it automatically\n")


def test_non_admin_token_is_a_clear_error(served: Served) -> None:
    result = run_cli(["plan", "-C", str(served.root)], env={"SCSYNC_TOKEN": AGENT_TOKEN})
    assert result.exit_code == 1
    assert result.stderr == (
        "error: the platform refused GET /1001/settings/profiles: no_permission: Only "
        "administrators can use the Profile Manager: agent@claralines.example is not an "
        "administrator.\n")


def test_socialconnect_plan_matches_the_embedded_one(served: Served, account: Account) -> None:
    result = run_cli(["plan", "-C", str(served.root), "--format", "json"],
                     env={"SCSYNC_TOKEN": served.printed_token})
    embedded = account.cli("plan", "-C", str(account.root), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["calls"] == json.loads(embedded.stdout)["calls"]


PLAN_TIME_ERRORS = [  # run from the examples directory with -C config
    "config/profile_groups.yaml:9:38: profile_group.UK profiles[1]: profile twitter/Nobody is not "
    "on the platform; connect it in Social Connect (Account settings > Profiles > Add profile), "
    "then plan again",
    'config/profiles/twitter.yaml:14:38: profile.twitter/ClaraLines quick_replies[2].flow: no flow '
    'named "Bookings" on the platform; flows are: Agent Handoff, Baggage, Booking, CSAT, Refund, '
    "Welcome",
    "config/profiles/twitter.yaml:32:3: profile.twitter/NotConnected: twitter/NotConnected is not "
    "connected to this account; connect it in Social Connect (Account settings > Profiles > Add "
    "profile), then plan again",
]


def break_at_plan_time(acc: Account) -> None:
    break_flow(acc)
    acc.replace("profile_groups.yaml", "profiles: [twitter/ClaraLinesUK]",
                "profiles: [twitter/ClaraLinesUK, twitter/Nobody]")
    acc.append("profiles/twitter.yaml", '\n  twitter/NotConnected:\n    color: "#000000"\n')


def test_plan_time_errors_have_path_line_col_from_the_working_directory(
        account: Account, monkeypatch: pytest.MonkeyPatch) -> None:
    break_at_plan_time(account)
    monkeypatch.chdir(account.base)
    assert account.cli("validate", "-C", "config").exit_code == 0  # offline: fine
    result = account.cli("plan", "-C", "config")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.splitlines() == PLAN_TIME_ERRORS
    assert account.emu.writes() == []


def test_plan_time_errors_are_located_the_same_from_the_config_cache(
        account: Account, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second plan loads the config from the cache (which holds no locations): each
    location is worked out from its file when the problem is printed."""
    break_at_plan_time(account)
    monkeypatch.chdir(account.base)
    first = account.cli("plan", "-C", "config")
    assert (account.root / CACHE_DIR / ENTRY).is_file()
    again = account.cli("plan", "-C", "config")
    assert (again.exit_code, again.stdout) == (1, "")
    assert first.stderr.splitlines() == again.stderr.splitlines() == PLAN_TIME_ERRORS


def test_debug_shows_a_traceback(account: Account) -> None:
    break_at_plan_time(account)
    plain = run_process(["plan", "-C", str(account.root)])
    assert plain.returncode == 1 and "Traceback" not in plain.stderr
    debug = run_process(["--debug", "plan", "-C", str(account.root)])
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr
    assert "scsync.errors.PlanError" in debug.stderr


def test_expired_token_names_the_configured_variable(served: Served, tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(served.root, config)
    settings = config / "scsync.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        "${env:SCSYNC_TOKEN}", "${env:CLARA_TOKEN}"), encoding="utf-8")
    result = run_cli(["plan", "-C", str(config)], env={"CLARA_TOKEN": EXPIRED_TOKEN})
    assert result.exit_code == 1
    assert result.stderr == (
        "error: the access token has expired; create a new one in Social Connect (Account "
        "settings > API) and set it in CLARA_TOKEN, or configure refresh_token, client_id and "
        "client_secret to refresh it automatically\n")
