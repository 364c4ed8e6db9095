"""``scsync apply`` as a user runs it: approval (auto, no terminal, a terminal answering no or
yes), a saved plan executed call for call, stale plans refused before any write, an interrupted
apply finished by a re-run, and refused plans never applied."""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from scsync.console import Console
from scsync.plan.progress import ProgressEvent
from tests import cli_support
from tests.cli_support import (
    Account,
    run_tty,
    screen,
)

account = cli_support.account
seeded_db = cli_support.seeded_db

APPLIED = "Apply complete! Resources: 5 added, 13 changed, 2 destroyed."
NO_CHANGES = "No changes. The platform matches the configuration.\n"
NO_TTY = ("error: no terminal to ask for approval: nothing was applied; run with --auto-approve "
          "to apply without asking\n")
PROTECTED = ("error: topic.Old Campaign is protected by `protect:` in scsync.yaml and would be "
             "deleted\n")


def saved_plan(acc: Account, path: Path) -> dict[str, Any]:
    result = acc.cli("plan", "-C", str(acc.root), "-o", str(path))
    assert result.exit_code == 0, result.stderr
    return dict(json.loads(path.read_text(encoding="utf-8")))


def planned_writes(plan: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["method"], unquote(c["path"])) for c in plan["calls"]]


def test_auto_approve_applies_and_converges(account: Account) -> None:
    result = account.cli("apply", "-C", str(account.root), "--auto-approve")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.endswith(f"\n{APPLIED}\n")
    assert "[20/20] destroyed topic.Old Campaign\n" in result.stdout
    assert len(account.emu.writes()) == 20
    again = account.cli("plan", "-C", str(account.root), "--detailed-exitcode")
    assert (again.exit_code, again.stdout) == (0, NO_CHANGES)
    noop = account.cli("apply", "-C", str(account.root), "--auto-approve")
    assert (noop.exit_code, noop.stdout) == (0, NO_CHANGES + NO_CHANGES)
    assert len(account.emu.writes()) == 20


def test_no_terminal_applies_nothing(account: Account) -> None:
    result = account.cli("apply", "-C", str(account.root), input="yes\n")
    assert result.exit_code == 1
    assert result.stderr == NO_TTY
    assert "\nPlan: 5 to add, 13 to change, 2 to destroy.\n" in result.stdout  # shown first
    assert account.emu.writes() == []


def test_terminal_answer_no_applies_nothing(account: Account) -> None:
    code, shown = run_tty(["apply", "-C", str(account.root)], env={"NO_COLOR": "1"},
                          answer="no")
    assert code == 1
    assert "Do you want to perform these actions? Only 'yes' will be accepted." in shown
    assert "Apply cancelled: only 'yes' is accepted; nothing was changed." in shown
    assert account.emu.writes() == []


def test_terminal_answer_yes_applies(account: Account) -> None:
    code, shown = run_tty(["apply", "-C", str(account.root)], env={"NO_COLOR": "1"},
                          answer="yes")
    assert code == 0
    assert APPLIED in shown
    assert len(account.emu.writes()) == 20
    lines = [line for line in screen(shown) if line]
    assert lines[-1] == APPLIED  # the bar erased itself: nothing is left on the last line
    assert lines[-2].startswith("[20/20] ")
    assert "]  19/20  " in shown  # the bar was drawn, then erased
    assert not [line for line in lines if line.startswith("[#") or line.startswith("[-")]


def test_saved_plan_is_executed_call_for_call(account: Account, tmp_path: Path) -> None:
    plan = saved_plan(account, tmp_path / "plan.json")
    account.emu.clear_calls()
    result = account.cli("apply", "-C", str(account.root), str(tmp_path / "plan.json"))
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.endswith(f"\n{APPLIED}\n")
    assert account.emu.writes() == planned_writes(plan)
    assert {c["status"] for c in account.emu.calls()} == {200}


def test_stale_plan_after_a_config_edit(account: Account, tmp_path: Path) -> None:
    saved_plan(account, tmp_path / "plan.json")
    account.replace("profile_groups.yaml", '"#43A047"', '"#43A048"')
    result = account.cli("apply", "-C", str(account.root), str(tmp_path / "plan.json"))
    assert (result.exit_code, result.stdout) == (1, "")
    assert re.fullmatch(r"error: Saved plan is stale: config changed since the plan was made "
                        r"\(digest [0-9a-f]{12} is now [0-9a-f]{12}\)\. Run `scsync plan` again "
                        r"to review the changes\.\n", result.stderr), result.stderr
    assert account.emu.writes() == []


def test_formatting_does_not_make_a_plan_stale(account: Account, tmp_path: Path) -> None:
    plan = saved_plan(account, tmp_path / "plan.json")
    account.replace("users.yaml", "users:\n", "# a comment\nusers:\n")
    result = account.cli("apply", "-C", str(account.root), str(tmp_path / "plan.json"))
    assert result.exit_code == 0, result.stderr
    assert account.emu.writes() == planned_writes(plan)


def test_stale_plan_after_an_out_of_band_edit(account: Account, tmp_path: Path) -> None:
    saved_plan(account, tmp_path / "plan.json")
    account.emu.edit("alice@claralines.example", "profile", "twitter/ClaraLines",
                     {"welcome_message": "Howdy"})
    account.emu.clear_calls()
    result = account.cli("apply", "-C", str(account.root), str(tmp_path / "plan.json"))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == ("error: Saved plan is stale: profile.twitter/ClaraLines: changed on "
                             "the platform since the plan was made. Run `scsync plan` again to "
                             "review the changes.\n")
    assert account.emu.writes() == []


def interrupt_after(monkeypatch: pytest.MonkeyPatch, steps: int) -> None:
    """Press Ctrl-C (a real SIGINT) once ``steps`` steps of the apply have ended."""
    original = Console.progress
    ended = [0]

    def progress(self: Console, event: ProgressEvent) -> None:
        original(self, event)
        if event.kind == "end":
            ended[0] += 1
            if ended[0] == steps:
                signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(Console, "progress", progress)


def test_interrupted_apply_finishes_on_rerun(account: Account, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    plan = saved_plan(account, tmp_path / "plan.json")
    with monkeypatch.context() as patch:
        interrupt_after(patch, 5)
        first = account.cli("apply", "-C", str(account.root), str(tmp_path / "plan.json"))
    assert first.exit_code == 1
    assert first.stderr == (
        "error: Apply failed: 5 done, 15 not attempted. Stopped: interrupted (Ctrl-C): the call "
        "in flight finished, nothing more was sent. Re-run `scsync apply` to finish: 15 changes "
        "remain.\n")
    assert "Re-run `scsync apply` to finish: 15 changes remain." in first.stdout
    assert account.emu.writes() == planned_writes(plan)[:5]
    second = account.cli("apply", "-C", str(account.root), str(tmp_path / "plan.json"))
    assert (second.exit_code, second.stderr) == (0, "")
    assert second.stdout.endswith("\nApply complete! Resources: 0 added, 13 changed, "
                                  "2 destroyed.\n")
    assert account.emu.writes() == planned_writes(plan)  # no duplicate, nothing missing
    third = account.cli("apply", "-C", str(account.root), str(tmp_path / "plan.json"))
    assert third.exit_code == 0
    assert third.stdout.endswith("\nNothing left to apply: all 20 changes of this plan are "
                                 "already on the platform.\n")
    assert len(account.emu.writes()) == 20


def protect_old_campaign(acc: Account) -> None:
    acc.replace("scsync.yaml", "  - profile_group.EMEA\n",
                "  - profile_group.EMEA\n  - topic.Old*\n")


def test_protected_plan_is_not_applied(account: Account, tmp_path: Path) -> None:
    protect_old_campaign(account)
    for extra in ((), ("--force",)):
        result = account.cli("apply", "-C", str(account.root), "--auto-approve", *extra)
        assert (result.exit_code, result.stderr) == (3, PROTECTED)
        assert "  # topic.Old Campaign is protected and will NOT be destroyed\n" in result.stdout
    assert account.emu.writes() == []


def test_saved_refused_plan_is_not_applied(account: Account, tmp_path: Path) -> None:
    protect_old_campaign(account)
    out = tmp_path / "plan.json"
    assert account.cli("plan", "-C", str(account.root), "-o", str(out)).exit_code == 3
    result = account.cli("apply", "-C", str(account.root), str(out))
    assert (result.exit_code, result.stderr) == (3, PROTECTED)
    assert account.emu.writes() == []


def test_thresholds_refuse_apply_unless_forced(account: Account) -> None:
    account.replace("scsync.yaml", "min_existing: 10", "min_existing: 1")
    refused = account.cli("apply", "-C", str(account.root), "--auto-approve")
    assert refused.exit_code == 3
    assert refused.stderr.splitlines() == [
        "error: Too many updates of profiles: 8 of 8 (100%) is over 50% "
        "(use --force to apply anyway)",
        "error: Too many deletes of topics: 1 of 2 (50%) is over 30% (use --force to apply anyway)",
        "error: Too many deletes of profile groups: 1 of 2 (50%) is over 30% "
        "(use --force to apply anyway)",
        "error: Too many updates of users: 3 of 3 (100%) is over 50% (use --force to apply anyway)"]
    assert "(use --force to apply anyway)" in refused.stdout
    assert account.emu.writes() == []
    forced = account.cli("apply", "-C", str(account.root), "--auto-approve", "--force")
    assert forced.exit_code == 0, forced.stderr
    assert forced.stdout.endswith(f"\n{APPLIED}\n")


def test_missing_plan_file_is_one_error_line(account: Account, tmp_path: Path) -> None:
    bogus = tmp_path / "not-a-plan.json"
    bogus.write_text("{}", encoding="utf-8")
    result = account.cli("apply", "-C", str(account.root), str(bogus))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"error: {bogus} is not a scsync plan file (run `scsync plan -o "
                             "FILE` to make one)\n")
    assert account.emu.writes() == []
