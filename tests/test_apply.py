"""Unit tests of apply with a fake provider: ledger states, refs filled in, dependency skipping,
lost create responses resolved by one re-read, the stop event, rate-limit stops, parallelism."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from scsync.errors import (
    NotFoundError,
    PlatformRejected,
    RateLimitError,
    SafetyError,
    ScsyncError,
    ServerError,
)
from scsync.plan.apply import INTERRUPTED, apply_plan
from scsync.plan.apply_deps import call_refs, dependencies, with_dependencies
from scsync.plan.model import AccountRef, Change, FieldChange, Plan, Refusal, Summary
from scsync.plan.progress import ProgressEvent
from scsync.providers.base import Account, Call, LiveState, Me, RateBudget
from scsync.resources import Kind, Resource, parse_address

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
Behaviour = Callable[["FakeProvider", Call], str | None]


def lost(created: bool) -> Behaviour:
    """A create whose response is lost, after the write (``created``) or before it."""
    def behave(fake: FakeProvider, call: Call) -> str | None:
        if created:
            fake.store_create(call)
        error = ServerError(f"the platform failed {call.method} {call.path}: HTTP 500")
        error.ambiguous = True
        raise error
    return behave


def fails(error: ScsyncError) -> Behaviour:
    def behave(fake: FakeProvider, call: Call) -> str | None:
        raise error
    return behave


class FakeProvider:
    """Executes calls against an in-memory store; ``script[address]`` lists behaviours for the
    successive attempts of that address's call (then it succeeds)."""

    type_name = "fake"
    secrets: tuple[str, ...] = ()

    def __init__(self, script: Mapping[str, list[Behaviour]] | None = None) -> None:
        self.script = {k: list(v) for k, v in (script or {}).items()}
        self.executed: list[tuple[str, dict[str, str]]] = []
        self.store: dict[str, str] = {}  # address -> id of created objects
        self.next_id = 100
        self.lock = threading.Lock()
        self.rereads: list[Kind] = []

    def store_create(self, call: Call) -> str:
        with self.lock:
            self.next_id += 1
            self.store[call.address] = str(self.next_id)
            return str(self.next_id)

    def execute(self, call: Call, ids: Mapping[str, str]) -> str | None:
        for ref in call_refs(call):
            assert ref in ids, f"{call.address} executed without the id of {ref}"
        with self.lock:
            self.executed.append((call.address, dict(ids)))
            behaviours = self.script.get(call.address) or []
            behaviour = behaviours.pop(0) if behaviours else None
        if behaviour is not None:
            return behaviour(self, call)
        return self.store_create(call) if call.action == "create" else None

    def reread(self, kind: Kind) -> LiveState:
        self.rereads.append(kind)
        resources = {}
        for address, id_ in self.store.items():
            k, name = parse_address(address)
            if k is kind:
                resource = Resource(k, name, {"name": name}, id=id_)
                resources[resource.key] = resource
        return LiveState(account=Account(1001, "A"), me=Me(1, "ops@x"), resources=resources)

    def addresses(self) -> list[str]:
        return [address for address, _ in self.executed]


def call(address: str, action: str = "update", **form: Any) -> Call:
    kind, name = parse_address(address)
    method = "DELETE" if action == "delete" else "POST"
    return Call(method=method, path=f"/1001/settings/{kind.value}/{name}", form=form,
                address=address, action=action)  # type: ignore[arg-type]


def change(address: str, action: str = "update", **extra: Any) -> Change:
    kind, _ = parse_address(address)
    fields = [FieldChange(path="color", before="#000000", after="#FFFFFF")]
    return Change(address=address, kind=kind.value, action=action,  # type: ignore[arg-type]
                  fields=fields, **extra)


def make_plan(*calls: Call, changes: list[Change] | None = None) -> Plan:
    changes = changes if changes is not None else [change(c.address, c.action) for c in calls]
    return Plan(created_at=NOW, config_digest="d", account=AccountRef(id=1001),
                summary=Summary(), changes=changes, calls=with_dependencies(calls, changes))


def ref(address: str) -> dict[str, str]:
    return {"ref": address}


UK = call("profile_group.UK", "create", profile_group={"name": "UK"})
EMEA = call("profile_group.EMEA", "update", updates={"groups": [{"id": ref("profile_group.UK")}]})
TW = call("profile.twitter/ClaraLines")
FB = call("profile.facebook/claralines")
USER = call("user.alice@claralines.example")


def run(plan: Plan, fake: FakeProvider, **kwargs: Any) -> Any:
    return apply_plan(plan, fake, reread=fake.reread, **kwargs)


def statuses(ledger: Any) -> list[tuple[str, str]]:
    return [(s.address, s.status) for s in ledger.steps]


def test_every_call_once_in_plan_order_with_created_ids_filled_in() -> None:
    fake = FakeProvider()
    ledger = run(make_plan(UK, EMEA, TW), fake)
    assert fake.addresses() == ["profile_group.UK", "profile_group.EMEA",
                                "profile.twitter/ClaraLines"]
    assert fake.executed[1][1] == {"profile_group.UK": "101"}
    assert statuses(ledger) == [("profile_group.UK", "done"), ("profile_group.EMEA", "done"),
                                ("profile.twitter/ClaraLines", "done")]
    assert ledger.steps[0].created_id == "101"
    assert ledger.ok
    assert ledger.summary() == {"done": 3, "already_done": 0, "failed": 0, "skipped": 0,
                                "not_attempted": 0}
    assert ledger.resources_line() == "Resources: 1 added, 2 changed, 0 destroyed."


def test_a_failed_create_skips_its_dependants_and_independent_steps_go_on() -> None:
    rejected = PlatformRejected("the platform refused POST /1001/settings/profilegroups: "
                                "invalid_parameter: bad colour")
    after_emea = call("profile_group.Europe", "update",
                      updates={"groups": [{"id": 7}]})
    plan = make_plan(UK, EMEA, after_emea, TW, changes=[
        change("profile_group.UK", "create"), change("profile_group.EMEA"),
        change("profile_group.Europe", before={"groups": ["EMEA"]}, after={"groups": ["EMEA"]}),
        change("profile.twitter/ClaraLines")])
    fake = FakeProvider({"profile_group.UK": [fails(rejected)]})
    ledger = run(plan, fake)
    assert fake.addresses() == ["profile_group.UK", "profile.twitter/ClaraLines"]
    assert statuses(ledger) == [
        ("profile_group.UK", "failed"), ("profile_group.EMEA", "skipped"),
        ("profile_group.Europe", "skipped"), ("profile.twitter/ClaraLines", "done")]
    assert ledger.steps[0].message == str(rejected)
    assert ledger.steps[1].message == "depends on profile_group.UK, which failed"
    assert ledger.steps[2].message == "depends on profile_group.EMEA, which was skipped"
    assert not ledger.ok
    assert ledger.rerun_hint() == "Re-run `scsync apply` to finish: 3 changes remain."


def test_lost_create_response_found_by_one_reread_is_done_without_a_duplicate() -> None:
    fake = FakeProvider({"profile_group.UK": [lost(created=True)]})
    ledger = run(make_plan(UK, EMEA, TW), fake)
    # the dependant waits for the re-read; the independent step runs first
    assert fake.addresses() == ["profile_group.UK", "profile.twitter/ClaraLines",
                                "profile_group.EMEA"]
    assert fake.rereads == [Kind.PROFILE_GROUP]
    assert list(fake.store) == ["profile_group.UK"]
    assert fake.executed[2][1] == {"profile_group.UK": "101"}
    assert statuses(ledger)[0] == ("profile_group.UK", "done")
    assert ledger.steps[0].message == "the response was lost; a re-read found it created"
    assert ledger.ok


def test_lost_create_response_not_on_the_platform_is_retried_once() -> None:
    fake = FakeProvider({"profile_group.UK": [lost(created=False)]})
    ledger = run(make_plan(UK, EMEA, TW), fake)
    assert fake.addresses() == ["profile_group.UK", "profile.twitter/ClaraLines",
                                "profile_group.UK", "profile_group.EMEA"]
    assert fake.rereads == [Kind.PROFILE_GROUP]
    assert statuses(ledger) == [("profile_group.UK", "done"), ("profile_group.EMEA", "done"),
                                ("profile.twitter/ClaraLines", "done")]
    assert ledger.steps[0].attempts == 2


def test_a_create_lost_twice_and_absent_fails_and_its_dependants_are_skipped() -> None:
    fake = FakeProvider({"profile_group.UK": [lost(created=False), lost(created=False)]})
    ledger = run(make_plan(UK, EMEA, TW), fake)
    assert fake.addresses().count("profile_group.UK") == 2
    assert fake.rereads == [Kind.PROFILE_GROUP, Kind.PROFILE_GROUP]
    assert statuses(ledger) == [("profile_group.UK", "failed"),
                                ("profile_group.EMEA", "skipped"),
                                ("profile.twitter/ClaraLines", "done")]
    assert ledger.steps[0].message.endswith("a re-read did not find it after 2 tries")
    assert fake.store == {}


def test_a_lost_create_found_on_the_second_reread_is_not_created_twice() -> None:
    fake = FakeProvider({"profile_group.UK": [lost(created=False), lost(created=True)]})
    ledger = run(make_plan(UK, EMEA), fake)
    assert statuses(ledger) == [("profile_group.UK", "done"), ("profile_group.EMEA", "done")]
    assert list(fake.store) == ["profile_group.UK"]


def test_several_lost_creates_of_one_kind_cost_one_reread() -> None:
    topic_a = call("topic.A", "create", topic={"name": "A"})
    topic_b = call("topic.B", "create", topic={"name": "B"})
    fake = FakeProvider({"topic.A": [lost(created=True)], "topic.B": [lost(created=True)]})
    ledger = run(make_plan(topic_a, topic_b), fake)
    assert fake.rereads == [Kind.TOPIC]
    assert [s.status for s in ledger.steps] == ["done", "done"]
    assert sorted(fake.store) == ["topic.A", "topic.B"]


def test_a_failed_reread_fails_the_lost_create_with_both_reasons() -> None:
    fake = FakeProvider({"profile_group.UK": [lost(created=True)]})

    def broken(kind: Kind) -> LiveState:
        raise ServerError("the platform failed GET /1001/settings/profilegroups: HTTP 500")

    ledger = apply_plan(make_plan(UK, EMEA), fake, reread=broken)
    assert statuses(ledger) == [("profile_group.UK", "failed"), ("profile_group.EMEA", "skipped")]
    assert "re-reading profile_groups to check it failed too" in ledger.steps[0].message


def test_an_update_error_is_a_failure_even_when_ambiguous() -> None:
    error = ServerError("the platform failed POST x: HTTP 500")
    error.ambiguous = True
    fake = FakeProvider({"profile.twitter/ClaraLines": [fails(error)]})
    ledger = run(make_plan(TW, FB), fake)
    assert statuses(ledger) == [("profile.twitter/ClaraLines", "failed"),
                                ("profile.facebook/claralines", "done")]
    assert fake.rereads == []


def test_a_delete_answered_not_found_is_done() -> None:
    gone = call("topic.Old Campaign", "delete")
    fake = FakeProvider({"topic.Old Campaign": [fails(NotFoundError("not_found"))]})
    ledger = run(make_plan(gone), fake)
    assert statuses(ledger) == [("topic.Old Campaign", "done")]
    assert ledger.steps[0].message == "already gone from the platform"


def test_stop_event_finishes_the_call_in_flight_and_attempts_nothing_more() -> None:
    stop = threading.Event()

    def stop_during(fake: FakeProvider, c: Call) -> None:
        stop.set()  # Ctrl-C while this call is in flight
        return None

    fake = FakeProvider({"profile.facebook/claralines": [stop_during]})
    ledger = run(make_plan(TW, FB, USER), fake, stop=stop)
    assert fake.addresses() == ["profile.twitter/ClaraLines", "profile.facebook/claralines"]
    assert statuses(ledger) == [("profile.twitter/ClaraLines", "done"),
                                ("profile.facebook/claralines", "done"),
                                ("user.alice@claralines.example", "not_attempted")]
    assert ledger.stopped == INTERRUPTED
    assert ledger.steps[2].message == INTERRUPTED
    assert ledger.rerun_hint() == "Re-run `scsync apply` to finish: 1 change remains."


def test_a_lost_create_still_unresolved_when_stopped_fails_with_advice() -> None:
    stop = threading.Event()

    def stop_during(fake: FakeProvider, c: Call) -> None:
        stop.set()  # Ctrl-C before the lost create was re-read
        return None

    fake = FakeProvider({"profile_group.UK": [lost(created=False)],
                         "profile.twitter/ClaraLines": [stop_during]})
    ledger = run(make_plan(UK, EMEA, TW), fake, stop=stop)
    assert fake.rereads == []
    assert statuses(ledger) == [("profile_group.UK", "failed"),
                                ("profile_group.EMEA", "not_attempted"),
                                ("profile.twitter/ClaraLines", "done")]
    assert ledger.steps[0].message == (
        "the platform failed POST /1001/settings/profile_group/UK: HTTP 500; "
        "run `scsync plan` to see whether it was created")
    assert ledger.stopped == INTERRUPTED


def test_keyboard_interrupt_inside_a_call_is_reported_not_raised() -> None:
    def interrupt(fake: FakeProvider, c: Call) -> None:
        raise KeyboardInterrupt

    fake = FakeProvider({"profile.facebook/claralines": [interrupt]})
    ledger = run(make_plan(TW, FB, USER), fake)
    assert statuses(ledger) == [("profile.twitter/ClaraLines", "done"),
                                ("profile.facebook/claralines", "failed"),
                                ("user.alice@claralines.example", "not_attempted")]
    assert ledger.steps[1].message.startswith("interrupted during the call")
    assert ledger.stopped == INTERRUPTED


def test_rate_limit_past_max_wait_stops_cleanly_and_reports_what_remains() -> None:
    message = ("rate limit reached: 0 of 350 calls left until 18:00:00 UTC; re-run then or "
               "raise --max-wait")
    fake = FakeProvider({"profile.facebook/claralines": [fails(RateLimitError(message))]})
    ledger = run(make_plan(TW, FB, USER), fake)
    assert fake.addresses() == ["profile.twitter/ClaraLines", "profile.facebook/claralines"]
    assert statuses(ledger) == [("profile.twitter/ClaraLines", "done"),
                                ("profile.facebook/claralines", "not_attempted"),
                                ("user.alice@claralines.example", "not_attempted")]
    assert ledger.stopped == message
    assert ledger.summary_line() == "Apply failed: 1 done, 2 not attempted."
    assert ledger.render().splitlines()[-2:] == [
        f"Stopped: {message}.", "Re-run `scsync apply` to finish: 2 changes remain."]


def test_already_done_steps_are_not_repeated_and_lend_their_ids() -> None:
    fake = FakeProvider()
    ledger = run(make_plan(UK, EMEA), fake, done={"profile_group.UK": "42"})
    assert fake.addresses() == ["profile_group.EMEA"]
    assert fake.executed[0][1] == {"profile_group.UK": "42"}
    assert statuses(ledger) == [("profile_group.UK", "already_done"),
                                ("profile_group.EMEA", "done")]
    assert ledger.resources_line() == "Resources: 0 added, 1 changed, 0 destroyed."


def test_a_reference_to_an_object_never_created_fails_that_step() -> None:
    fake = FakeProvider()
    ledger = run(make_plan(EMEA), fake)
    assert fake.executed == []
    assert ledger.steps[0].status == "failed"
    assert ledger.steps[0].message == ("the id of profile_group.UK is unknown: "
                                       "it was not created")


def test_progress_reports_each_step_and_the_budget() -> None:
    events: list[ProgressEvent] = []
    budget = RateBudget(limit=350, remaining=1, reset_at=NOW.timestamp() + 600, window_s=3600)
    run(make_plan(TW, FB), FakeProvider(), progress=events.append, budget=budget,
        now=NOW.timestamp)
    assert [(e.kind, e.index, e.total, e.address, e.status) for e in events] == [
        ("start", 0, 2, "", ""),
        ("notice", 0, 2, "", ""),
        ("begin", 1, 2, "profile.twitter/ClaraLines", "running"),
        ("end", 1, 2, "profile.twitter/ClaraLines", "done"),
        ("begin", 2, 2, "profile.facebook/claralines", "running"),
        ("end", 2, 2, "profile.facebook/claralines", "done"),
    ]
    assert events[1].message == (
        "This apply makes 2 calls and 1 of 350 are left in this rate-limit window: it will "
        "wait for the reset at 10:10:00 UTC when they run out (up to --max-wait).")


def test_no_budget_notice_when_the_calls_fit() -> None:
    events: list[ProgressEvent] = []
    budget = RateBudget(limit=350, remaining=2, reset_at=0, window_s=3600)
    run(make_plan(TW, FB), FakeProvider(), progress=events.append, budget=budget)
    assert [e.kind for e in events if e.kind == "notice"] == []


class SlowProvider(FakeProvider):
    """Counts how many calls run at once."""

    def __init__(self) -> None:
        super().__init__()
        self.active = 0
        self.peak = 0
        self.order: list[str] = []

    def execute(self, call: Call, ids: Mapping[str, str]) -> str | None:
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        time.sleep(0.05)
        with self.lock:
            self.active -= 1
            self.order.append(call.address)
        return super().execute(call, ids)


def test_parallelism_runs_independent_steps_together_and_dependants_after() -> None:
    fake = SlowProvider()
    plan = make_plan(UK, TW, FB, USER, EMEA)
    ledger = run(plan, fake, parallelism=4)
    assert fake.peak == 4
    assert fake.order.index("profile_group.EMEA") > fake.order.index("profile_group.UK")
    assert fake.executed[-1] == ("profile_group.EMEA", {"profile_group.UK": "101"})
    assert all(s.status == "done" for s in ledger.steps)


def test_parallelism_one_never_overlaps_calls() -> None:
    fake = SlowProvider()
    run(make_plan(TW, FB, USER), fake, parallelism=1)
    assert fake.peak == 1


def test_dependencies_refs_renames_and_group_members() -> None:
    rename = call("topic.New", "update", updates={"name": "New"})
    create_old = call("topic.Old", "create", topic={"name": "Old"})
    path_ref = Call(method="POST", path="/1001/settings/profilegroup/{ref:profile_group.UK}",
                    address="profile_group.UK2", action="update")
    delete_child = call("profile_group.Legacy", "delete")
    parent = call("profile_group.EMEA", "update", updates={"groups": []})
    changes = {
        "topic.New": change("topic.New", renamed_from="Old"),
        "profile_group.EMEA": change("profile_group.EMEA", before={"groups": ["Legacy"]},
                                     after={"groups": []}),
    }
    calls = [UK, rename, create_old, path_ref, parent, delete_child, TW]
    assert call_refs(path_ref) == ["profile_group.UK"]
    assert dependencies(calls, changes) == [set(), set(), {1}, {0}, set(), {4}, set()]


def test_a_group_create_waits_for_the_group_deletes_before_it() -> None:
    """At the account's limit of 20 groups, the planner moves the deletes that free a slot before
    the creates; with --parallelism the creates must still wait for them."""
    gone = [call(f"profile_group.Old {n}", "delete") for n in (1, 2)]
    new = [call(f"profile_group.New {n}", "create", profile_group={"name": f"New {n}"})
           for n in (1, 2)]
    calls = [gone[0], new[0], gone[1], new[1], call("profile_group.Kept", "update")]
    changes = {c.address: change(c.address, c.action) for c in calls}
    assert dependencies(calls, changes) == [set(), {0}, set(), {0, 2}, set()]


def test_a_refused_plan_is_never_applied_unless_forced() -> None:
    refusal = Refusal(reason="Too many deletes of topics: 4 of 11 (36%) is over 30%",
                      forceable=True)
    refused = make_plan(TW).model_copy(update={"refusals": [refusal]})
    fake = FakeProvider()
    with pytest.raises(SafetyError) as caught:
        run(refused, fake)
    assert str(caught.value) == ("Too many deletes of topics: 4 of 11 (36%) is over 30% "
                                 "(use --force to apply anyway)")
    assert fake.executed == []
    forced = refused.model_copy(update={"forced": True})
    assert run(forced, fake).ok
