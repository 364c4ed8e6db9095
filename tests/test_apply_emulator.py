"""Apply against the emulator in-process: the example config applied to its fixture makes exactly
the plan's calls, one for one; planning again is empty (also for generated configs); a stale saved
plan is refused with nothing written; a partly applied plan finishes on a second run."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scsync.config import Config
from scsync.emulator import Emulator, open_emulator
from scsync.errors import ApplyError, StalePlanError
from scsync.plan.apply import apply_plan
from scsync.plan.model import Plan
from scsync.plan.options import PlanOptions
from scsync.plan.planner import make_plan
from scsync.plan.progress import ProgressEvent
from scsync.plan.stale import prepare_saved_plan
from scsync.plan.verify import complete_message, conclude, unconverged
from scsync.providers.socialconnect import SocialConnectProvider
from scsync.resources import Kind, Resource
from tests.test_apply_support import (
    FIXTURE,
    NOW,
    controls,
    example_config,
    expected_write,
    in_process,
    logged_write,
    options_of,
    plan_and_apply,
    reread_of,
    verify,
    writes,
)


@pytest.fixture()
def account(tmp_path: Path) -> Iterator[tuple[Config, Emulator, SocialConnectProvider]]:
    config = example_config(tmp_path)
    emulator = open_emulator(tmp_path / "platform.db", fixture=FIXTURE)
    provider = in_process(emulator)
    yield config, emulator, provider
    provider.close()
    emulator.close()


def logged_writes(emulator: Emulator) -> list[Any]:
    with controls(emulator) as client:
        return writes(client.get("/_emulator/calls").json())


def clear_log(emulator: Emulator) -> None:
    with controls(emulator) as client:
        client.delete("/_emulator/calls").raise_for_status()


def test_example_apply_makes_exactly_the_planned_calls_and_converges(
        account: tuple[Config, Emulator, SocialConnectProvider]) -> None:
    config, emulator, provider = account
    clear_log(emulator)
    applied = plan_and_apply(config, provider)
    assert applied.ledger.ok, applied.ledger.render()
    assert applied.plan.summary.total == len(applied.plan.calls) == 20
    ids = {s.address: s.created_id for s in applied.ledger.steps if s.created_id}
    assert [logged_write(e) for e in logged_writes(emulator)] == [
        expected_write(c, ids) for c in applied.plan.calls]
    assert complete_message(applied.ledger) == (
        "Apply complete! Resources: 5 added, 13 changed, 2 destroyed.")
    plan, items = verify(config.desired, provider, options_of(config), now=lambda: NOW)
    assert items == []
    assert plan.is_empty


def test_a_group_holding_a_group_created_in_the_same_run_gets_its_id(
        account: tuple[Config, Emulator, SocialConnectProvider]) -> None:
    config, emulator, provider = account
    applied = plan_and_apply(config, provider)
    created = {s.address: s.created_id for s in applied.ledger.steps if s.created_id}
    emea = next(e for e in logged_writes(emulator) if e["path"].endswith("/profilegroup/1"))
    member_ids = {g["id"] for g in emea["form"]["updates"]["groups"]}
    assert member_ids == {int(created["profile_group.UK"]), int(created["profile_group.Germany"])}


def test_parallel_apply_converges_too(
        account: tuple[Config, Emulator, SocialConnectProvider]) -> None:
    config, emulator, provider = account
    clear_log(emulator)
    applied = plan_and_apply(config, provider, parallelism=4)
    assert applied.ledger.ok, applied.ledger.render()
    assert len(logged_writes(emulator)) == len(applied.plan.calls)
    assert verify(config.desired, provider, options_of(config), now=lambda: NOW)[1] == []


def saved_plan(config: Config, provider: SocialConnectProvider) -> Plan:
    live = provider.read()
    text = make_plan(config.desired, live, provider, options_of(config), now=NOW).to_json()
    return Plan.from_json(text)


def test_a_plan_made_stale_by_an_edit_on_the_platform_is_refused_and_nothing_is_written(
        account: tuple[Config, Emulator, SocialConnectProvider]) -> None:
    config, emulator, provider = account
    plan = saved_plan(config, provider)
    with controls(emulator) as client:
        client.post("/_emulator/edit", json={
            "user": "alice@claralines.example", "object": {"type": "profile",
                                                           "id": "twitter/ClaraLines"},
            "updates": {"welcome_message": "Edited in the web app"}}).raise_for_status()
    clear_log(emulator)
    with pytest.raises(StalePlanError) as caught:
        prepare_saved_plan(plan, config_digest=config.digest(), live=provider.read())
    assert str(caught.value) == (
        "Saved plan is stale: profile.twitter/ClaraLines: changed on the platform since the "
        "plan was made. Run `scsync plan` again to review the changes.")
    assert caught.value.addresses == ["profile.twitter/ClaraLines"]
    assert logged_writes(emulator) == []


def test_a_plan_for_another_config_is_refused(
        account: tuple[Config, Emulator, SocialConnectProvider]) -> None:
    config, _, provider = account
    plan = saved_plan(config, provider)
    with pytest.raises(StalePlanError, match=r"^Saved plan is stale: config changed since the "
                                             r"plan was made \(digest [0-9a-f]{12} is now "
                                             r"0{12}\)\. Run"):
        prepare_saved_plan(plan, config_digest="0" * 64, live=provider.read())


def test_a_partly_applied_saved_plan_finishes_on_a_second_run_without_repeating_a_write(
        account: tuple[Config, Emulator, SocialConnectProvider]) -> None:
    config, emulator, provider = account
    plan = saved_plan(config, provider)
    clear_log(emulator)
    stop = threading.Event()

    def stop_after_seven(event: ProgressEvent) -> None:
        if event.kind == "end" and event.completed == 7:
            stop.set()

    first = apply_plan(plan, provider, reread=reread_of(provider), stop=stop,
                       progress=stop_after_seven)
    assert first.summary()["done"] == 7
    assert first.summary()["not_attempted"] == 13
    remaining = prepare_saved_plan(plan, config_digest=config.digest(), live=provider.read())
    assert len(remaining.done) == 7
    second = apply_plan(plan, provider, reread=reread_of(provider), done=remaining.done)
    assert second.ok, second.render()
    assert second.summary()["already_done"] == 7
    ids = {s.address: s.created_id for s in first.steps if s.created_id}
    assert [logged_write(e) for e in logged_writes(emulator)] == [
        expected_write(c, ids) for c in plan.calls]
    assert verify(config.desired, provider, options_of(config), now=lambda: NOW)[1] == []


# -- generated configs -------------------------------------------------------------------------

OWNED = ["twitter/ClaraLines", "twitter/ClaraLinesHelp", "twitter/ClaraLinesUK",
         "twitter/ClaraLinesDE", "facebook/claralines", "instagram/claralines",
         "whatsapp/15551230000", "livechat/ClaraLines Web"]
PUBLIC = ["twitter/CompetitorAir", "facebook/competitorair", "instagram/skyrivals"]
USERS = ["ops@claralines.example", "alice@claralines.example", "agent@claralines.example"]
COLOUR = st.from_regex(r"#[0-9a-fA-F]{6}", fullmatch=True)
URL = st.from_regex(r"https://example\.com/[a-z]{1,8}", fullmatch=True)


def _spelt(profile: str, upper: bool) -> str:
    network, _, handle = profile.partition("/")
    return f"{network}/{handle.upper()}" if upper and network in ("twitter", "facebook") else \
        profile


@st.composite
def topics(draw: st.DrawFn) -> list[Resource]:
    names = draw(st.lists(st.sampled_from(["Care", "Rivals", "Old Campaign", "Social"]),
                          unique=True, max_size=3))
    found = []
    for name in names:
        streams = [{"profile": _spelt(p, draw(st.booleans())), "authorized": True}
                   for p in draw(st.lists(st.sampled_from(OWNED[:6]), unique=True, max_size=3))]
        streams += [{"profile": p, "authorized": False}
                    for p in draw(st.lists(st.sampled_from(PUBLIC), unique=True, max_size=2))]
        keywords = draw(st.one_of(st.none(), st.sampled_from(["claralines", "  air  OR sky"])))
        found.append(Resource(Kind.TOPIC, name, {"name": name, "searchkeywords": keywords,
                                                 "streams": streams}))
    return found


@st.composite
def groups(draw: st.DrawFn) -> list[Resource]:
    names = draw(st.lists(st.sampled_from(["EMEA", "UK", "Germany", "Legacy", "Chat"]),
                          unique=True, max_size=4))
    found = []
    for position, name in enumerate(names):
        members = draw(st.lists(st.sampled_from(names[position + 1:]), unique=True)
                       if position + 1 < len(names) else st.just([]))
        found.append(Resource(Kind.PROFILE_GROUP, name, {
            "name": name, "color": draw(COLOUR),
            "profiles": draw(st.lists(st.sampled_from(OWNED), unique=True, max_size=3)),
            "groups": members}))
    return found


@st.composite
def others(draw: st.DrawFn) -> list[Resource]:
    found = [Resource(Kind.PROFILE, p, {"color": draw(COLOUR)})
             for p in draw(st.lists(st.sampled_from(OWNED), unique=True, max_size=4))]
    for email in draw(st.lists(st.sampled_from(USERS), unique=True, max_size=2)):
        found.append(Resource(Kind.USER, email, {
            "social_links.linkedin": draw(st.one_of(st.none(), URL)),
            "social_links.twitter": draw(URL)}))
    return found


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.tuples(topics(), groups(), others()))
def test_generated_configs_apply_and_plan_again_empty(
        parts: tuple[list[Resource], list[Resource], list[Resource]]) -> None:
    desired = {r.key: r for part in parts for r in part}
    options = PlanOptions(ownership={"topics": "authoritative",
                                     "profile_groups": "authoritative"}, force=True)
    emulator = open_emulator(":memory:", fixture=FIXTURE)
    provider = in_process(emulator)
    try:
        live = provider.read()
        plan = make_plan(desired, live, provider, options, now=NOW)
        ledger = apply_plan(plan, provider, reread=reread_of(provider))
        assert ledger.ok, ledger.render()
        again = make_plan(desired, provider.read(), provider, options, now=NOW)
        assert unconverged(again) == []
        names = [r.name for r in provider.read(frozenset({Kind.TOPIC})).of_kind(Kind.TOPIC)]
        assert len(names) == len(set(names))
    finally:
        provider.close()
        emulator.close()


def test_conclude_checks_the_written_objects_against_their_after(
        account: tuple[Config, Emulator, SocialConnectProvider]) -> None:
    config, emulator, provider = account
    applied = plan_and_apply(config, provider)
    verified = conclude(applied.plan, applied.ledger, provider, applied.live)
    assert (verified.unconverged, verified.drift) == ([], [])
    assert complete_message(applied.ledger) == (
        "Apply complete! Resources: 5 added, 13 changed, 2 destroyed.")
    with controls(emulator) as client:  # as if the platform had dropped a setting (color is
        # not a field the plan writes: not checked)
        client.post("/_emulator/edit", json={
            "user": "alice@claralines.example",
            "object": {"type": "profile", "id": "twitter/ClaraLines"},
            "updates": {"welcome_message": "Hi", "color": "#000000"}}).raise_for_status()
    with pytest.raises(ApplyError) as caught:
        conclude(applied.plan, applied.ledger, provider, applied.live)
    assert str(caught.value) == (
        "apply did not converge: after the writes the platform still differs from the plan at "
        "profile.twitter/ClaraLines welcome_message; the "
        "platform did not keep what was written, or scsync compares these fields wrongly (run "
        "`scsync plan` to see; if it shows no change, please report it)")
    assert caught.value.ledger is applied.ledger


def test_conclude_reads_again_only_the_kinds_written(
        account: tuple[Config, Emulator, SocialConnectProvider]) -> None:
    config, emulator, provider = account
    live = provider.read()
    options = options_of(config).model_copy(update={"targets": ["user.*"]})
    plan = make_plan(config.desired, live, provider, options, now=NOW)
    ledger = apply_plan(plan, provider, reread=reread_of(provider))
    clear_log(emulator)
    conclude(plan, ledger, provider, live)
    with controls(emulator) as client:
        read = [c["path"] for c in client.get("/_emulator/calls").json()]
    assert not [p for p in read if p.endswith(("/topics", "/profilegroups"))], read
    assert [p for p in read if p.endswith("/users")] == ["/1001/settings/users"]


def test_conclude_refuses_a_ledger_with_failures(
        account: tuple[Config, Emulator, SocialConnectProvider]) -> None:
    config, _, provider = account
    stop = threading.Event()
    stop.set()
    live = provider.read()
    plan = make_plan(config.desired, live, provider, options_of(config), now=NOW)
    ledger = apply_plan(plan, provider, reread=reread_of(provider), stop=stop)
    with pytest.raises(ApplyError) as caught:
        conclude(plan, ledger, provider, live)
    assert str(caught.value) == (
        "Apply failed: 20 not attempted. Stopped: interrupted (Ctrl-C): the call in flight "
        "finished, nothing more was sent. Re-run `scsync apply` to finish: 20 changes remain.")
