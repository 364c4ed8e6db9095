"""The plan file's own checks, without a platform: signing and its verification, the header, the
shape; and the apply lock."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scsync.plan.apply_deps import with_dependencies
from scsync.plan.lock import LockedError, apply_lock
from scsync.plan.model import AccountRef, Change, FieldChange, Plan, PlannedCall, Summary
from scsync.plan.planfile import PlanFileError, plan_file_text, read_plan_file

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
HINT = "nothing was applied; run `scsync plan -o FILE` again and review it"


def sample() -> Plan:
    changes = [Change(address="topic.New", kind="topic", action="create",
                      after={"name": "New"}, fields=[FieldChange(path="name", after="New")]),
               Change(address="profile_group.G", kind="profile_group", action="create",
                      after={"name": "G"}, fields=[FieldChange(path="name", after="G")])]
    calls = [PlannedCall(method="POST", path="/1001/settings/topics", address="topic.New",
                         action="create", form={"topic": {"name": "New"}}),
             PlannedCall(method="POST", path="/1001/settings/profilegroups",
                         address="profile_group.G", action="create",
                         form={"profile_group": {"name": "G"}})]
    return Plan(created_at=NOW, config_digest="d", account=AccountRef(id=1001),
                summary=Summary(add=2), changes=changes,
                calls=with_dependencies(calls, changes))


def written(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_signed_file_reads_back_with_its_key_only(tmp_path: Path) -> None:
    path = written(tmp_path, plan_file_text(sample(), "key-1"))
    assert read_plan_file(path, "key-1").signature is not None
    assert read_plan_file(path, None) == read_plan_file(path, "key-1")  # no key: not checked
    with pytest.raises(PlanFileError) as caught:
        read_plan_file(path, "key-2")
    assert str(caught.value) == (
        f"the plan file {path} was altered after it was signed (or signed with another key): "
        f"its signature does not match SCSYNC_PLAN_KEY; {HINT}")
    assert "key-1" not in path.read_text(encoding="utf-8")


def test_an_unsigned_file_is_written_without_a_key(tmp_path: Path) -> None:
    assert json.loads(plan_file_text(sample(), ""))["signature"] is None
    assert json.loads(plan_file_text(sample(), None))["signature"] is None


@pytest.mark.parametrize(("text", "message"), [
    ("[1, 2]", "{path} is not a scsync plan file (run `scsync plan -o FILE` to make one)"),
    ("[" * 100_000, "{path} is not a scsync plan file (run `scsync plan -o FILE` to make one)"),
    ('{"format_version": "2"}', 'the plan file {path} has format_version "2"; scsync 0.1.0 '
                                "applies format 2 only; " + HINT),
    ('{"format_version": 2, "extra": 1}', "the plan file {path} is not a valid plan file "
                                          "(created_at: Field required); " + HINT),
])
def test_unknown_files_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = written(tmp_path, text)
    with pytest.raises(PlanFileError) as caught:
        read_plan_file(path, None)
    assert str(caught.value) == message.format(path=path)


def test_calls_out_of_step_with_the_changes_are_refused(tmp_path: Path) -> None:
    plan = json.loads(sample().to_json())
    plan["calls"].reverse()
    path = written(tmp_path, json.dumps(plan))
    with pytest.raises(PlanFileError) as caught:
        read_plan_file(path, None)
    assert str(caught.value) == (
        f"the plan file {path}: calls[0] (POST /1001/settings/profilegroups) is the create of "
        "profile_group.G, but in that place the plan reviews the create of topic.New; " + HINT)
    plan["calls"] = plan["calls"][1:]  # back in order, the group's call left out
    path = written(tmp_path, json.dumps(plan))
    with pytest.raises(PlanFileError) as caught:
        read_plan_file(path, None)
    assert str(caught.value) == (
        f"the plan file {path}: the create of profile_group.G has no call; " + HINT)


def test_a_second_apply_in_the_same_directory_is_refused(tmp_path: Path) -> None:
    with apply_lock(tmp_path, account=1001) as path:
        holder = json.loads(path.read_text(encoding="utf-8"))
        assert set(holder) == {"pid", "host", "started_at", "account"}
        with pytest.raises(LockedError) as caught, apply_lock(tmp_path):
            pass
        assert str(caught.value).startswith(
            f"another apply of this account is running (process {holder['pid']} on host "
            f"{holder['host']}, started {holder['started_at']}); nothing was applied")
    with apply_lock(tmp_path):  # released: taken again
        pass


@pytest.mark.parametrize(("edit", "problem"), [
    ({"address": "bogus"}, "(bogus) is not an object address"),
    ({"kind": "user"}, "(topic.New) is of kind 'user', not 'topic'"),
    ({"before": {"name": "Old"}}, "(topic.New) is a create with `before` set"),
])
def test_a_malformed_change_is_refused(tmp_path: Path, edit: dict[str, object],
                                       problem: str) -> None:
    plan = json.loads(sample().to_json())
    plan["changes"][0].update(edit)
    path = written(tmp_path, json.dumps(plan))
    with pytest.raises(PlanFileError) as caught:
        read_plan_file(path, None)
    assert str(caught.value) == f"the plan file {path}: changes[0] {problem}; {HINT}"
