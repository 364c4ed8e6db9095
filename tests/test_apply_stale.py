"""Saved plans against a changed platform: stale reasons per object, a changed config digest,
changes already done (a partly applied plan finishes on a re-run)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from scsync.errors import StalePlanError
from scsync.plan.fingerprint import precondition
from scsync.plan.model import AccountRef, Change, FieldChange, Plan, PlannedCall, Summary
from scsync.plan.stale import Remaining, prepare_saved_plan
from scsync.providers.base import Account, LiveState, Me
from scsync.resources import Kind, Resource

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def live_state(*resources: Resource) -> LiveState:
    return LiveState(account=Account(1001, "ClaraLines"), me=Me(1, "ops@x"),
                     resources={r.key: r for r in resources})


def profile(color: str, bio: str = "old bio") -> Resource:
    return Resource(Kind.PROFILE, "twitter/ClaraLines", {"color": color, "bio": bio},
                    id="twitter/ClaraLines")


def topic(name: str, id_: str = "7", keywords: str = "air") -> Resource:
    return Resource(Kind.TOPIC, name, {"name": name, "searchkeywords": keywords, "streams": []},
                    id=id_)


def update_profile(live: Resource) -> Change:
    return Change(address="profile.twitter/ClaraLines", kind="profile", action="update",
                  fields=[FieldChange(path="color", before="#000000", after="#6A1B9A")],
                  precondition=precondition("update", ["color"], live), live_id=live.id)


def rename_topic(live: Resource) -> Change:
    return Change(address="topic.New Care", kind="topic", action="update",
                  renamed_from=live.name, live_id=live.id,
                  fields=[FieldChange(path="name", before=live.name, after="New Care")],
                  precondition=precondition("update", ["name"], live))


def create_topic(name: str) -> Change:
    return Change(address=f"topic.{name}", kind="topic", action="create",
                  after={"name": name, "searchkeywords": "x", "streams": []},
                  fields=[FieldChange(path="name", after=name),
                          FieldChange(path="searchkeywords", after="x")])


def delete_topic(live: Resource) -> Change:
    return Change(address=live.address, kind="topic", action="delete", live_id=live.id,
                  precondition=precondition("delete", [], live))


def stale_reasons(plan: Plan, live: LiveState, digest: str = "abcdef0123456789") -> list[str]:
    """The reasons ``prepare_saved_plan`` gives for refusing ``plan`` (none when it holds)."""
    try:
        prepare_saved_plan(plan, config_digest=digest, live=live)
    except StalePlanError as exc:
        head, _, rest = str(exc).partition(": ")
        assert head == "Saved plan is stale"
        return rest.removesuffix(". Run `scsync plan` again to review the changes.").split("; ")
    return []


def remaining(plan: Plan, live: LiveState) -> Remaining:
    return prepare_saved_plan(plan, config_digest="abcdef0123456789", live=live)


def saved(*changes: Change, digest: str = "abcdef0123456789") -> Plan:
    calls = [PlannedCall(method="POST", path="/x", address=c.address, action=c.action)
             for c in changes]
    return Plan(created_at=NOW, config_digest=digest, account=AccountRef(id=1001),
                summary=Summary(), changes=list(changes), calls=calls)


def test_a_plan_still_matching_the_platform_is_not_stale() -> None:
    old = profile("#000000")
    plan = saved(update_profile(old), create_topic("Fresh"), delete_topic(topic("Gone")))
    live = live_state(old, topic("Gone"))
    left = remaining(plan, live)
    assert [c.address for c in left.todo] == ["profile.twitter/ClaraLines", "topic.Fresh",
                                                   "topic.Gone"]
    assert left.done == {}


def test_harmless_spelling_differences_do_not_make_a_plan_stale() -> None:
    plan = saved(update_profile(profile("#000000")))
    assert stale_reasons(plan, live_state(profile("#000000 "))) == []


def test_a_changed_config_and_each_changed_object_is_a_reason() -> None:
    old_profile, old_topic = profile("#000000"), topic("Claralines Care")
    plan = saved(update_profile(old_profile), rename_topic(old_topic), create_topic("Fresh"))
    live = live_state(profile("#123456"), topic("Fresh", id_="9", keywords="other"))
    reasons = stale_reasons(plan, live, digest="ffffffffffffffff")
    assert reasons == [
        "config changed since the plan was made (digest abcdef012345 is now ffffffffffff)",
        "profile.twitter/ClaraLines: changed on the platform since the plan was made",
        "topic.New Care: deleted on the platform since the plan was made (no object has its "
        "id 7 any more)",
        "topic.Fresh: created on the platform since the plan was made",
    ]
    with pytest.raises(StalePlanError) as caught:
        prepare_saved_plan(plan, config_digest="ffffffffffffffff", live=live)
    assert str(caught.value).startswith(
        "Saved plan is stale: config changed since the plan was made (digest abcdef012345 "
        "is now ffffffffffff); profile.twitter/ClaraLines: changed on the platform")
    assert caught.value.addresses == ["profile.twitter/ClaraLines", "topic.New Care",
                                      "topic.Fresh"]


def test_changes_already_done_are_split_off_with_their_live_ids() -> None:
    old_profile, old_topic = profile("#000000"), topic("Claralines Care")
    gone = topic("Old Campaign", id_="8")
    plan = saved(update_profile(old_profile), rename_topic(old_topic), create_topic("Fresh"),
                 delete_topic(gone))
    fresh = Resource(Kind.TOPIC, "Fresh", {"name": "Fresh", "searchkeywords": "x",
                                           "streams": []}, id="12")
    renamed = topic("New Care")  # same id 7, the new name
    live = live_state(profile("#6a1b9a"), renamed, fresh)
    left = remaining(plan, live)
    assert left.todo == []
    assert left.done == {"profile.twitter/ClaraLines": "twitter/ClaraLines",
                              "topic.New Care": "7", "topic.Fresh": "12",
                              "topic.Old Campaign": None}


def test_blocked_deletes_are_neither_stale_nor_to_do() -> None:
    kept = topic("ClaraLines Care")
    blocked: dict[str, Any] = {"blocked": True}
    change = delete_topic(kept).model_copy(update=blocked)
    plan = saved(change)
    live = live_state(topic("ClaraLines Care", keywords="changed"))
    assert remaining(plan, live).todo == []


def test_identity_is_part_of_the_precondition() -> None:
    old = topic("ClaraLines Care", id_="7")
    change = Change(address="topic.ClaraLines Care", kind="topic", action="update",
                    live_id="7", before={"name": "ClaraLines Care", "searchkeywords": "air"},
                    after={"name": "ClaraLines Care", "searchkeywords": "sky"},
                    fields=[FieldChange(path="searchkeywords", before="air", after="sky")],
                    precondition=precondition("update", ["searchkeywords"], old))
    plan = saved(change)
    renamed = topic("Renamed", id_="7")  # the changed field did not move, the name did
    recreated = topic("ClaraLines Care", id_="8")  # deleted and created again: a new id
    assert stale_reasons(plan, live_state(renamed)) == [
        "topic.ClaraLines Care: renamed on the platform since the plan was made "
        "('ClaraLines Care' is now 'Renamed')"]
    assert stale_reasons(plan, live_state(recreated)) == [
        "topic.ClaraLines Care: deleted on the platform since the plan was made (no object has "
        "its id 7 any more)"]
    assert stale_reasons(plan, live_state(old)) == []
