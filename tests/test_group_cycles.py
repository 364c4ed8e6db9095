"""Cycles among profile groups: one search and one message, whether config alone holds the cycle
(offline, ``validate``) or config with the live groups a plan leaves (plan time)."""

from __future__ import annotations

from scsync.errors import PlanError
from scsync.group_cycles import cycle_problems, group_cycles
from tests.plan_factories import make_group, make_live, make_profile, plan_of


def test_each_cycle_once_from_its_first_group_shortest_first() -> None:
    members = {"A": ["B"], "B": ["C", "A2"], "C": ["A"], "A2": ["A"], "D": [], "S": ["S"]}
    assert group_cycles(members, ["A", "B", "C", "A2", "D", "S"]) == [
        ["A", "B", "C", "A"], ["A2", "A", "B", "A2"], ["S", "S"]]
    assert group_cycles(members, ["C"]) == [["C", "A", "B", "C"]]
    assert group_cycles({"A": ["B", "C"], "B": ["C"], "C": []}, ["A", "B", "C"]) == []
    assert group_cycles({"A": ["Unknown"]}, ["A"]) == []


def test_the_problem_points_at_the_member_that_closes_the_loop() -> None:
    groups = [make_group("EMEA", line=1, profiles=[], groups=["Other", "UK"]),
              make_group("UK", line=10, profiles=[], groups=["EMEA"]),
              make_group("Other", line=20, profiles=[], groups=[])]
    assert [str(p) for p in cycle_problems(groups)] == [
        "groups.yaml:4:23: profile_group.EMEA groups[1]: a cycle: the group contains itself "
        "(EMEA > UK > EMEA)"]


def test_offline_and_plan_time_give_the_same_message() -> None:
    groups = [make_group("A", profiles=[], groups=["B"]),
              make_group("B", line=10, profiles=[], groups=["A"])]
    offline = [str(p) for p in cycle_problems(groups)]
    live = make_live([make_profile(live=True)])
    try:
        plan_of(groups, live)
    except PlanError as exc:
        at_plan_time = [str(p) for p in exc.problems]
    else:
        raise AssertionError("a cycle must refuse the plan")
    assert at_plan_time == offline == [
        "groups.yaml:4:13: profile_group.A groups[0]: a cycle: the group contains itself "
        "(A > B > A)"]


def test_a_cycle_among_live_groups_alone_is_named_without_a_place() -> None:
    live = [make_group("X", live=True, groups=["Y"]), make_group("Y", live=True, groups=["X"])]
    assert [str(p) for p in cycle_problems(live)] == [
        "profile_group.X groups[0]: a cycle: the group contains itself (X > Y > X)"]
