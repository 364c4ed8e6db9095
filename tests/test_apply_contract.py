"""The plan is the contract (issue 13, apply side), as a user meets it against the emulator:
an edited or unknown plan file is refused before any write, a signed plan file cannot be altered
on the way, an out-of-band rename makes a plan stale, verification checks the plan's own writes
and reports other people's changes as drift, the forecast counts apply's own reads, one apply
per account at a time, and a --target that matches nothing is an error."""

from __future__ import annotations

import fcntl
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scsync import console as console_module
from scsync.plan.progress import ProgressEvent
from tests import cli_support
from tests.cli_support import Account, make_account

account = cli_support.account
seeded_db = cli_support.seeded_db

HINT = "nothing was applied; run `scsync plan -o FILE` again and review it"
KEY = "k3y-for-tests-0f9e"


def saved(acc: Account, path: Path, *args: str, env: dict[str, str] | None = None,
          code: int = 0) -> dict[str, Any]:
    result = acc.cli("plan", "-C", str(acc.root), "-o", str(path), *args, env=env)
    assert result.exit_code == code, result.stderr
    return dict(json.loads(path.read_text(encoding="utf-8")))


def write(path: Path, plan: dict[str, Any]) -> None:
    path.write_text(json.dumps(plan, indent=2) + "\n", encoding="utf-8")


def position(plan: dict[str, Any], address: str, part: str = "calls") -> int:
    return next(n for n, item in enumerate(plan[part]) if item["address"] == address)


def apply_file(acc: Account, path: Path, env: dict[str, str] | None = None) -> Any:
    return acc.cli("apply", "-C", str(acc.root), str(path), env=env)


# -- 2. apply executes what was reviewed, and nothing else --------------------------------------

def test_a_call_swapped_for_another_is_refused_before_any_write(account: Account,
                                                                 tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    plan = saved(account, out)
    at = position(plan, "profile.twitter/ClaraLines")
    plan["calls"][at].update(method="DELETE", path="/1001/settings/topic/1", form={})
    write(out, plan)
    account.emu.clear_calls()
    result = apply_file(account, out)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: the plan file {out}: calls[{at}] (DELETE /1001/settings/topic/1) is not the "
        "call of the reviewed update of profile.twitter/ClaraLines, which is POST "
        "/1001/settings/profile/twitter/ClaraLines: the file was edited, or the platform "
        f"changed in a way the call depends on; {HINT}\n")
    assert account.emu.writes() == []
    assert [t["id"] for t in account.emu.state()["topics"]] == [1, 2]  # topic 1 still there


def test_a_call_body_edited_is_refused(account: Account, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    plan = saved(account, out)
    at = position(plan, "user.alice@claralines.example")
    plan["calls"][at]["form"] = {"updates": {"social_links": {"twitter": "https://evil.example"}}}
    write(out, plan)
    account.emu.clear_calls()
    result = apply_file(account, out)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: the plan file {out}: calls[{at}] (POST /1001/settings/user/2) differs in its "
        "body from the call of the reviewed update of user.alice@claralines.example: the file "
        f"was edited, or the platform changed in a way the call depends on; {HINT}\n")
    assert account.emu.writes() == []


@pytest.mark.parametrize(("edit", "message"), [
    (lambda p: p.update(format_version=999),
     "{out} has format_version 999; scsync 0.1.0 applies format 2 only; " + HINT),
    (lambda p: p.update(scsync_version="7.2.0"),
     "{out} was made by scsync 7.2.0; this is scsync 0.1.0, which applies only plans of its "
     "own release (0.1.x); " + HINT),
    (lambda p: p["account"].update(id=1002),
     "{out} is for account 1002 (ClaraLines), but this config manages account 1001 "
     "(ClaraLines); nothing was applied"),
    (lambda p: p["changes"][position(p, "topic.ClaraLines Care", "changes")].update(after=None),
     "{out}: changes[{care}] (topic.ClaraLines Care) is an update without `after`; " + HINT),
    (lambda p: p["calls"].append(p["calls"][0]),
     "{out}: calls[20] (POST /1001/settings/topics) is the create of topic.Competitors, but in "
     "that place the plan reviews no change; " + HINT),
    (lambda p: p["calls"][1].update(depends_on=[]) or p["calls"][4].update(depends_on=[]),
     None),  # Service Channels depends on nothing; UK's create neither: still the same plan
])
def test_an_unknown_or_inconsistent_plan_file_is_refused_before_any_read(
        account: Account, tmp_path: Path, edit: Any, message: str | None) -> None:
    out = tmp_path / "plan.json"
    plan = saved(account, out)
    edit(plan)
    write(out, plan)
    account.emu.clear_calls()
    result = apply_file(account, out)
    if message is None:
        assert result.exit_code == 0, result.stderr
        return
    care = position(plan, "topic.ClaraLines Care", "changes")
    expected = message.format(out=out, care=care)
    head = "the plan file " if expected.startswith(str(out)) else ""
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"error: {head}{expected}\n"
    assert account.emu.writes() == []


def test_a_dependency_removed_from_a_call_is_refused(account: Account, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    plan = saved(account, out)
    at = next(n for n, c in enumerate(plan["calls"]) if c["depends_on"])
    was = plan["calls"][at]["depends_on"]
    plan["calls"][at]["depends_on"] = []
    write(out, plan)
    result = apply_file(account, out)
    call = plan["calls"][at]
    assert result.stderr == (
        f"error: the plan file {out}: calls[{at}] ({call['method']} {call['path']}) has "
        f"depends_on [], but its change depends on {was}; {HINT}\n")
    assert account.emu.writes() == []


def test_a_protected_delete_unblocked_in_the_file_is_refused(account: Account,
                                                             tmp_path: Path) -> None:
    account.replace("scsync.yaml", "  - profile_group.EMEA\n",
                    "  - profile_group.EMEA\n  - topic.Old*\n")
    out = tmp_path / "plan.json"
    plan = saved(account, out, code=3)
    at = position(plan, "topic.Old Campaign", "changes")
    plan["changes"][at]["blocked"] = False
    plan["refusals"] = []
    plan["calls"].append({"method": "DELETE", "path": "/1001/settings/topic/2", "form": {},
                          "address": "topic.Old Campaign", "action": "delete",
                          "depends_on": []})
    write(out, plan)
    result = apply_file(account, out)
    assert (result.exit_code, result.stdout) == (3, "")
    assert result.stderr == ("error: topic.Old Campaign is protected by `protect:` in "
                             "scsync.yaml and would be deleted\n")
    assert account.emu.writes() == []


def test_a_signed_plan_applies_and_an_altered_or_unsigned_one_is_refused(
        account: Account, tmp_path: Path) -> None:
    key = {"SCSYNC_PLAN_KEY": KEY}
    out = tmp_path / "plan.json"
    plan = saved(account, out, env=key)
    assert re.fullmatch(r"hmac-sha256:[0-9a-f]{64}", plan["signature"])
    assert KEY not in out.read_text(encoding="utf-8")
    altered = dict(plan, created_at="2026-11-30T00:00:00Z")
    write(tmp_path / "altered.json", altered)
    refused = apply_file(account, tmp_path / "altered.json", env=key)
    assert refused.stderr == (
        f"error: the plan file {tmp_path / 'altered.json'} was altered after it was signed (or "
        "signed with another key): its signature does not match SCSYNC_PLAN_KEY; "
        f"{HINT}\n")
    write(tmp_path / "unsigned.json", dict(plan, signature=None))
    unsigned = apply_file(account, tmp_path / "unsigned.json", env=key)
    assert unsigned.stderr == (
        f"error: the plan file {tmp_path / 'unsigned.json'} is not signed, and SCSYNC_PLAN_KEY "
        "is set: apply takes only plan files signed by `scsync plan -o` with that key; "
        f"{HINT}\n")
    assert (refused.exit_code, unsigned.exit_code) == (1, 1)
    assert account.emu.writes() == []
    assert KEY not in refused.stderr + refused.stdout
    good = apply_file(account, out, env=key)
    assert good.exit_code == 0, good.stderr
    assert good.stdout.endswith("Apply complete! Resources: 5 added, 13 changed, 2 destroyed.\n")


def leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The paths of every scalar of a JSON document."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in leaves(v, (*path, k))]
    if isinstance(value, list):
        return [p for n, v in enumerate(value) for p in leaves(v, (*path, n))]
    return [path]


def set_at(document: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        document = document[part]
    document[path[-1]] = value


@settings(max_examples=300 if os.environ.get("SCSYNC_SOAK_FULL") else 12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_an_edited_plan_file_applies_the_reviewed_calls_or_nothing(
        tmp_path_factory: pytest.TempPathFactory, seeded_db: Path, data: st.DataObject) -> None:
    """Any one value of the file changed: exit 0 with exactly the reviewed writes, or a clean
    refusal with none (12 examples in `make test`, 300 in `make soak`)."""
    acc = make_account(tmp_path_factory.mktemp("edited") / "examples", seeded_db)
    out = acc.base / "plan.json"
    plan = saved(acc, out)
    reviewed = [(c["method"], c["path"]) for c in plan["calls"]]
    path = data.draw(st.sampled_from(leaves(plan)), label="path")
    value = data.draw(st.one_of(st.none(), st.booleans(), st.integers(-2, 1002),
                                st.sampled_from(["", "x", "DELETE", "/1001/settings/topic/1"])),
                      label="value")
    set_at(plan, path, value)
    write(out, plan)
    acc.emu.clear_calls()
    result = apply_file(acc, out)
    assert result.exit_code in (0, 1, 3), result.output
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    writes = [(m, p.replace("%20", " ")) for m, p in acc.emu.writes()]
    if result.exit_code == 0:
        assert writes == [(m, p.replace("%20", " ")) for m, p in reviewed]
    else:
        assert writes == []


# -- 3. preconditions cover identity ----------------------------------------------------------

def test_an_out_of_band_rename_makes_the_plan_stale(account: Account, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    plan = saved(account, out)
    emea = plan["changes"][position(plan, "profile_group.EMEA", "changes")]
    assert "name" not in {f["path"] for f in emea["fields"]}  # the plan does not rename it
    account.emu.edit("alice@claralines.example", "profilegroup", int(emea["live_id"]),
                     {"name": "Europe"})
    account.emu.clear_calls()
    result = apply_file(account, out)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "error: Saved plan is stale: profile_group.EMEA: renamed on the platform since the plan "
        "was made ('EMEA' is now 'Europe'). Run `scsync plan` again to review the changes.\n")
    assert account.emu.writes() == []


# -- 4. verification checks the plan's own changes ---------------------------------------------

def test_a_targeted_plan_file_applies_and_others_changes_are_drift(
        account: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "plan.json"
    plan = saved(account, out, "--target", "user.alice@claralines.example")
    assert [c["address"] for c in plan["calls"]] == ["user.alice@claralines.example"]
    original = console_module.Console.progress

    def progress(self: console_module.Console, event: ProgressEvent) -> None:
        # someone else edits the platform meanwhile
        original(self, event)
        if event.kind == "end":
            account.emu.edit("ops@claralines.example", "user", 3,
                             {"social_links": {"linkedin": "https://linkedin.com/in/agent"}})

    monkeypatch.setattr(console_module.Console, "progress", progress)
    result = apply_file(account, out)
    assert (result.exit_code, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    assert lines[-1] == "Apply complete! Resources: 0 added, 1 changed, 0 destroyed."
    assert re.fullmatch(r"Drift: user\.agent@claralines\.example was changed on the platform "
                        r"during this apply by Ops at \d{4}-\d\d-\d\d \d\d:\d\d UTC, outside "
                        r"it; run `scsync plan` to review it\.", lines[-2]), lines[-2]
    assert "bug" not in result.stdout


def test_an_unrelated_edit_before_the_apply_does_not_fail_it(account: Account,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    saved(account, out, "--target", "profile.twitter/ClaraLines")
    account.emu.edit("alice@claralines.example", "profile", "facebook/claralines",
                     {"greeting_text": "Edited in the app"})  # not part of the plan
    result = apply_file(account, out)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines()[-2:] == [
        "[1/1] updated profile.twitter/ClaraLines",
        "Apply complete! Resources: 0 added, 1 changed, 0 destroyed."]


# -- 5. an honest forecast ---------------------------------------------------------------------

def test_the_forecast_covers_every_call_apply_makes(account: Account, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    plan = saved(account, out)
    assert plan["apply_reads"] == 2 * plan["reads"] > 0
    account.emu.clear_calls()
    assert apply_file(account, out).exit_code == 0
    calls = account.emu.calls()
    reads = [c for c in calls if c["method"] == "GET"]
    assert len(calls) - len(reads) == len(plan["calls"])
    assert 0 < len(reads) <= plan["apply_reads"]
    shown = account.cli("show", str(out)).stdout
    assert (f"API calls: 20 writes + up to {plan['apply_reads']} reads (stale check and "
            f"verification) = {20 + plan['apply_reads']} (rate limit: ") in shown


# -- 6. one apply per account at a time --------------------------------------------------------

def test_a_second_apply_of_the_account_is_refused_while_one_runs(account: Account) -> None:
    lock = account.root / ".scsync" / "apply.lock"
    holder = {"pid": 4242, "host": "ci-runner-7", "started_at": "2026-11-30 08:00:00 UTC"}
    lock.write_text(json.dumps(holder), encoding="utf-8")
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as the running apply holds it
        account.emu.clear_calls()
        result = account.cli("apply", "-C", str(account.root), "--auto-approve")
    finally:
        os.close(fd)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "error: another apply of this account is running (process 4242 on host ci-runner-7, "
        "started 2026-11-30 08:00:00 UTC); nothing was applied: wait for it to finish (lock "
        f"{lock})\n")
    assert account.emu.calls() == []


def test_the_lock_left_by_a_dead_process_is_taken_over(account: Account) -> None:
    lock = account.root / ".scsync" / "apply.lock"
    lock.write_text(json.dumps({"pid": 999999, "host": "gone", "started_at": "yesterday"}),
                    encoding="utf-8")
    result = account.cli("apply", "-C", str(account.root), "--auto-approve")
    assert (result.exit_code, result.stderr) == (0, "")
    assert lock.read_text(encoding="utf-8") == ""  # released


# -- 7. a --target that matches nothing ------------------------------------------------------

def test_a_target_that_matches_nothing_is_an_error_naming_the_closest(account: Account) -> None:
    result = account.cli("plan", "-C", str(account.root), "--target", "topic.ClaraLine Care",
                         "--target", "user.*")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == ("error: --target topic.ClaraLine Care matches no object of this "
                             "account; the closest: topic.ClaraLines Care, topic.Claralines "
                             "Care\n")
    nothing_close = account.cli("plan", "-C", str(account.root), "--target", "zzz")
    assert nothing_close.stderr == ("error: --target zzz matches no object of this account; "
                                    "`scsync plan` without --target lists the planned "
                                    "addresses\n")
    assert account.emu.writes() == []
