"""Plan-time checks against live state: exact messages, locations, and all problems at once."""

from __future__ import annotations

from typing import Any

import pytest

from scsync.errors import PlanError
from scsync.plan.options import PlanOptions
from scsync.plan.planner import build_plan
from scsync.providers.base import ConnectedProfile, Page
from scsync.resources import Resource
from tests.plan_factories import (
    NOW,
    BuilderProvider,
    default_connected,
    make_group,
    make_live,
    make_profile,
    make_topic,
    make_user,
    plan_of,
    stream,
)

LIVE_PROFILES = [make_profile(name, live=True) for name in (
    "twitter/ClaraLines", "twitter/ClaraLinesUK", "facebook/claralines", "instagram/claralines")]


def problems_of(desired: list[Resource], live: Any = None, **options: Any) -> list[str]:
    with pytest.raises(PlanError) as caught:
        plan_of(desired, LIVE_PROFILES if live is None else live, **options)
    return str(caught.value).splitlines()


def test_unknown_flow_names_the_flows_there_are() -> None:
    desired = make_profile(quick_replies=[{"label": "Refund?", "flow": "Refund2"}],
                           welcome_message="Hi")
    assert problems_of([desired]) == [
        'profiles.yaml:2:20: profile.twitter/ClaraLines quick_replies[0].flow: no flow named '
        '"Refund2" on the platform; flows are: Agent Handoff, Baggage, Booking, CSAT, Refund, '
        "Welcome"]


def test_flow_fields_that_hold_a_name_are_checked() -> None:
    desired = make_profile("facebook/claralines", get_started="Nope")
    (line,) = problems_of([desired])
    assert line.startswith('profiles.yaml:2:16: profile.facebook/claralines get_started: no flow '
                           'named "Nope" on the platform; flows are: Agent Handoff,')


def test_disabled_flow_is_a_warning_not_an_error() -> None:
    desired = make_profile(quick_replies=[{"label": "Agent", "flow": "Agent Handoff"}],
                           welcome_message="Hi")
    result = build_plan({desired.key: desired}, make_live(LIVE_PROFILES), BuilderProvider(),
                        PlanOptions(), now=NOW)
    assert [str(w) for w in result.warnings] == [
        'profiles.yaml:2:20: profile.twitter/ClaraLines quick_replies[0].flow: warning: flow '
        '"Agent Handoff" is disabled on the platform: it starts nothing until it is enabled']
    assert [(h.kind, h.address) for h in result.plan.health] == [
        ("plan_warning", "profile.twitter/ClaraLines")]
    assert len(result.plan.changes) == 1


def test_profile_not_connected_says_how_to_connect_it() -> None:
    assert problems_of([make_profile("twitter/Unknown", line=9, color="#000000")]) == [
        "profiles.yaml:9:1: profile.twitter/Unknown: twitter/Unknown is not connected to this "
        "account; connect it in Social Connect (Account settings > Profiles > Add profile), "
        "then plan again"]


def test_user_not_on_the_platform() -> None:
    assert problems_of([make_user("bob@claralines.example",
                                  **{"social_links.twitter": "https://x.com/bob"})]) == [
        "users.yaml:1:1: user.bob@claralines.example: bob@claralines.example is not a user of "
        "this account; invite them in Social Connect (Account settings > Users), then plan again"]


def test_authorized_stream_without_an_admin_says_who_must_connect_what() -> None:
    desired = make_topic(streams=[stream("twitter/ClaraLines"), stream("instagram/claralines")])
    live = make_live(LIVE_PROFILES, connected=default_connected()[:1])
    assert problems_of([desired], live) == [
        "topics.yaml:3:24: topic.ClaraLines Care streams[1]: no connected profile administers "
        "instagram/claralines, so it cannot be an authorized stream; a user of this account who "
        "admins the page (you are ops@claralines.example) must connect a instagram account that "
        "admins instagram/claralines in Social Connect (Personal settings > Connected "
        "profiles), then plan again, or set authorized: false"]


def test_authorized_stream_whose_admin_is_expired_names_the_user() -> None:
    connected = [ConnectedProfile(11, 2, "facebook", "9001", "Alice on Facebook",
                                  pages=(Page("facebook", "claralines"),), expired=True)]
    live = make_live([*LIVE_PROFILES, make_user("alice@claralines.example", live=True, id="2")],
                     connected=connected)
    (line,) = problems_of([make_topic(streams=[stream("facebook/claralines")])], live)
    assert line == (
        "topics.yaml:3:14: topic.ClaraLines Care streams[0]: the connected profile Alice on "
        "Facebook of alice@claralines.example that administers facebook/claralines is expired; "
        "alice@claralines.example must reconnect it in Social Connect (Personal settings > "
        "Connected profiles), then plan again")


def test_existing_authorized_stream_is_not_rechecked_and_unauthorized_never() -> None:
    live = make_live([*LIVE_PROFILES, make_topic(live=True, streams=[
        stream("instagram/claralines")])], connected=[])
    desired = make_topic(streams=[stream("instagram/claralines"),
                                  stream("twitter/CompetitorAir", False)])
    assert len(plan_of([desired], live).changes) == 1


def test_page_matched_by_service_id_of_the_live_profile() -> None:
    profile = make_profile("facebook/claralines", live=True, id="facebook/4242")
    connected = [ConnectedProfile(11, 1, "facebook", "9001", "Ops", pages=(
        Page("facebook", "4242", "ClaraLines Page"),))]
    plan = plan_of([make_topic(streams=[stream("facebook/ClaraLines")])],
                   make_live([profile], connected=connected))
    assert plan.summary.add == 1


def test_missing_permissions_of_the_stream_profile_is_a_warning() -> None:
    connected = [ConnectedProfile(11, 1, "facebook", "9001", "Ops on Facebook",
                                  pages=(Page("facebook", "claralines"),),
                                  missing_permissions=("pages_messaging",))]
    desired = make_topic(streams=[stream("facebook/claralines")])
    result = build_plan({desired.key: desired}, make_live(LIVE_PROFILES, connected=connected),
                        BuilderProvider(), PlanOptions(), now=NOW)
    assert [str(w) for w in result.warnings] == [
        "topics.yaml:3:14: topic.ClaraLines Care streams[0]: warning: the connected profile Ops "
        "on Facebook of ops@claralines.example used for facebook/claralines lacks the "
        "permissions pages_messaging; enable them in its Business integration"]
    assert [(h.kind, h.message) for h in result.plan.health] == [(
        "missing_permissions", "the facebook connected profile Ops on Facebook of "
        "ops@claralines.example lacks the permissions pages_messaging; enable them in its "
        "Business integration")]


def test_group_members_against_live_and_config() -> None:
    desired = [make_group("EMEA", profiles=["twitter/ClaraLines", "twitter/Ghost"],
                          groups=["UK", "Nowhere", "Legacy"]),
               make_group("UK", line=10, profiles=[], groups=[])]
    live = [*LIVE_PROFILES, make_group("Legacy", live=True, profiles=[], groups=[])]
    assert problems_of(desired, live) == [
        "groups.yaml:3:25: profile_group.EMEA profiles[1]: profile twitter/Ghost is not on the "
        "platform; connect it in Social Connect (Account settings > Profiles > Add profile), "
        "then plan again",
        'groups.yaml:4:23: profile_group.EMEA groups[1]: no profile group named "Nowhere" in '
        "the config or on the platform"]


def test_group_count_counts_unmanaged_live_groups() -> None:
    desired = [make_group(f"G{i:02}", line=1 + 5 * i, profiles=[], groups=[]) for i in range(18)]
    live = [*LIVE_PROFILES, *[make_group(f"Live{i}", live=True, groups=[]) for i in range(3)]]
    assert problems_of(desired, live) == [
        "groups.yaml:1:1: profile_group.G00: the account would have 21 profile groups (18 in the "
        "config and 3 unmanaged on the platform); the platform allows at most 20"]
    plan = plan_of(desired, live, ownership={"profile_groups": "authoritative"})
    assert plan.summary.destroy == 3


def test_profile_groups_without_the_feature() -> None:
    live = make_live(LIVE_PROFILES, features={"profile_groups": False})
    assert problems_of([make_group(profiles=[], groups=[])], live) == [
        "groups.yaml:1:1: profile_group.EMEA: this account does not have the profile groups "
        "feature; remove profile_groups from the config, or ask Qualtrics to enable the feature"]


def test_group_cycle_through_config_and_live() -> None:
    desired = [make_group("A", profiles=[], groups=["B"]),
               make_group("B", line=10, profiles=[], groups=["Live"])]
    live = [*LIVE_PROFILES, make_group("Live", live=True, groups=["A"])]
    assert problems_of(desired, live) == [
        "groups.yaml:4:13: profile_group.A groups[0]: a cycle: the group contains itself "
        "(A > B > Live > A)"]


def test_every_problem_is_reported_at_once_in_file_order() -> None:
    desired = [make_profile("twitter/Unknown", line=20, color="#000000"),
               make_profile(line=1, quick_replies=[{"label": "x", "flow": "Missing"}],
                            welcome_message="Hi"),
               make_group(profiles=["twitter/Ghost"], groups=[])]
    lines = problems_of(desired)
    assert [line.split(": ")[0:2] for line in lines] == [
        ["groups.yaml:3:15", "profile_group.EMEA profiles[0]"],
        ["profiles.yaml:2:20", "profile.twitter/ClaraLines quick_replies[0].flow"],
        ["profiles.yaml:20:1", "profile.twitter/Unknown"]]


def test_a_live_profile_that_already_breaks_a_rule_refuses_any_write() -> None:
    live = make_profile("facebook/claralines", live=True, get_started="Refund",
                        ice_breakers=[{"question": "Bag?", "flow": "Baggage"}])
    desired = make_profile("facebook/claralines", color="#123456")
    assert problems_of([desired], [live]) == [
        "profiles.yaml:1:1: profile.facebook/claralines: ice breakers override Get Started, and "
        'the platform has both ice_breakers: ["Bag?"] and get_started: "Refund"; the platform '
        "refuses any write to this profile until config settles one of them"]
