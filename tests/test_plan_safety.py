"""Safety gates: ownership, protect (never lifted), thresholds with their arithmetic (forceable)."""

from __future__ import annotations

from scsync.plan.model import Refusal
from tests.plan_factories import make_profile, make_topic, plan_of

AUTH = {"topics": "authoritative"}


def topics(n: int, prefix: str = "T") -> list:  # type: ignore[type-arg]
    return [make_topic(f"{prefix}{i:02}", live=True, id=str(i), searchkeywords="k", streams=[])
            for i in range(n)]


def keep(names: list[str]) -> list:  # type: ignore[type-arg]
    return [make_topic(n, searchkeywords="k", streams=[]) for n in names]


def test_too_many_deletes_refused_with_the_arithmetic() -> None:
    live = topics(11)
    plan = plan_of(keep([f"T{i:02}" for i in range(4, 11)]), live, ownership=AUTH)
    assert plan.refusals == [Refusal(reason="Too many deletes of topics: 4 of 11 (36%) is over 30%",
                                     forceable=True)]
    assert plan.refused and plan.summary.destroy == 4 and len(plan.calls) == 4


def test_force_lifts_thresholds() -> None:
    plan = plan_of(keep([f"T{i:02}" for i in range(4, 11)]), topics(11), ownership=AUTH,
                   force=True)
    assert plan.forced and len(plan.refusals) == 1 and not plan.refused


def test_at_the_ratio_or_below_min_existing_is_allowed() -> None:
    at_ratio = plan_of(keep([f"T{i:02}" for i in range(3, 10)]), topics(10), ownership=AUTH)
    assert at_ratio.summary.destroy == 3 and at_ratio.refusals == []
    few = plan_of(keep(["T00"]), topics(9), ownership=AUTH)
    assert few.summary.destroy == 8 and few.refusals == []


def test_too_many_updates_of_profiles() -> None:
    live = [make_profile(f"twitter/P{i}", live=True, color="#000000") for i in range(10)]
    desired = [make_profile(f"twitter/P{i}", color="#FFFFFF") for i in range(4)]
    plan = plan_of(desired, live, safety={"max_update_ratio": 0.25, "min_existing": 10})
    assert [r.reason for r in plan.refusals] == [
        "Too many updates of profiles: 4 of 10 (40%) is over 25%"]


def test_protected_delete_is_blocked_not_counted_and_not_lifted_by_force() -> None:
    live = [make_topic("ClaraLines Care", live=True, id="1", streams=[]),
            make_topic("Old", live=True, id="2", streams=[])]
    plan = plan_of([], live, ownership=AUTH, protect=["topic.Clara*"], force=True)
    assert [(c.address, c.action, c.blocked) for c in plan.changes] == [
        ("topic.ClaraLines Care", "delete", True), ("topic.Old", "delete", False)]
    assert [c.address for c in plan.calls] == ["topic.Old"]
    assert plan.summary.destroy == 1
    assert plan.refusals == [Refusal(
        reason="topic.ClaraLines Care is protected by `protect:` in scsync.yaml and would be "
               "deleted", forceable=False)]
    assert plan.refused


def test_protect_globs_are_case_sensitive_and_only_stop_deletes() -> None:
    live = [make_topic("Care", live=True, id="1", searchkeywords="a", streams=[])]
    plan = plan_of([], live, ownership=AUTH, protect=["topic.care"])
    assert plan.refusals == [] and plan.summary.destroy == 1
    updated = plan_of([make_topic("Care", searchkeywords="b", streams=[])], live,
                      ownership=AUTH, protect=["topic.*"])
    assert updated.refusals == [] and updated.summary.change == 1


def test_additive_kind_lists_unmanaged_sorted_and_never_deletes() -> None:
    live = [make_topic("b", live=True), make_topic("A", live=True)]
    plan = plan_of([], live, protect=["topic.*"])
    assert [u.address for u in plan.unmanaged] == ["topic.A", "topic.b"]
    assert plan.changes == [] and plan.refusals == []
