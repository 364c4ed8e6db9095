"""Dependency order: creates (groups child-first), updates, deletes (holders first); cycles;
``--target`` with the creates a target needs."""

from __future__ import annotations

from scsync.plan.graph import find_cycle
from tests.plan_factories import make_group, make_profile, make_topic, plan_of, stream

AUTH = {"topics": "authoritative", "profile_groups": "authoritative"}
PROFILES = [make_profile("twitter/ClaraLines", live=True)]


def addresses(plan: object) -> list[tuple[str, str]]:
    return [(c.action, c.address) for c in plan.changes]  # type: ignore[attr-defined]


def test_tiers_and_deterministic_order_within_them() -> None:
    desired = [make_group("Zeta", profiles=[], groups=[]), make_topic("B", streams=[]),
               make_topic("A", streams=[]), make_group("Alpha", profiles=[], groups=[]),
               make_profile(color="#000000"), make_topic("Kept", searchkeywords="new")]
    live = [*PROFILES, make_topic("Kept", live=True, searchkeywords="old"),
            make_topic("Gone2", live=True), make_topic("Gone1", live=True),
            make_group("Old", live=True, groups=[])]
    assert addresses(plan_of(desired, live, ownership=AUTH)) == [
        ("create", "topic.A"), ("create", "topic.B"),
        ("create", "profile_group.Alpha"), ("create", "profile_group.Zeta"),
        ("update", "profile.twitter/ClaraLines"), ("update", "topic.Kept"),
        ("delete", "profile_group.Old"), ("delete", "topic.Gone1"), ("delete", "topic.Gone2")]


def test_child_groups_created_before_the_groups_that_hold_them() -> None:
    desired = [make_group("A", profiles=[], groups=["M"]), make_group("M", profiles=[],
                                                                      groups=["Z"]),
               make_group("Z", profiles=[], groups=[]), make_group("B", profiles=[], groups=[])]
    plan = plan_of(desired, PROFILES)
    assert addresses(plan) == [("create", "profile_group.B"), ("create", "profile_group.Z"),
                               ("create", "profile_group.M"), ("create", "profile_group.A")]
    assert plan.calls[2].form["profile_group"]["groups"] == [{"id": {"ref": "profile_group.Z"}}]


def test_deletes_remove_the_holding_group_first() -> None:
    live = [*PROFILES, make_group("A", live=True, groups=[]),
            make_group("Child", live=True, groups=[]),
            make_group("Parent", live=True, groups=["Child"])]
    assert addresses(plan_of([], live, ownership=AUTH)) == [
        ("delete", "profile_group.A"), ("delete", "profile_group.Parent"),
        ("delete", "profile_group.Child")]


def test_find_cycle_names_the_groups_in_it() -> None:
    assert find_cycle({"A": ["B"], "B": ["C"], "C": ["A"], "D": []}) == ["A", "B", "C", "A"]
    assert find_cycle({"A": ["A"]}) == ["A", "A"]
    assert find_cycle({"A": ["B", "C"], "B": ["C"], "C": []}) is None
    assert find_cycle({"A": ["Unknown"]}) is None


def test_target_plans_only_matching_changes_plus_the_creates_they_need() -> None:
    desired = [make_group("EMEA", profiles=[], groups=["UK"]),
               make_group("UK", profiles=[], groups=["London"]),
               make_group("London", profiles=[], groups=[]),
               make_group("Other", profiles=[], groups=[]),
               make_topic("T", streams=[stream("twitter/CompetitorAir", False)])]
    plan = plan_of(desired, PROFILES, targets=["profile_group.EMEA"])
    assert addresses(plan) == [("create", "profile_group.London"), ("create", "profile_group.UK"),
                               ("create", "profile_group.EMEA")]
    assert [c.address for c in plan.calls] == [c.address for c in plan.changes]
    globbed = plan_of(desired, PROFILES, targets=["topic.*"])
    assert addresses(globbed) == [("create", "topic.T")]
