"""What a plan reads (``scsync.plan.scope``): the kinds config manages within the targets, and
the lists their checks need."""

from __future__ import annotations

import pytest

from scsync.plan.options import PlanOptions
from scsync.plan.scope import lists_for, read_scope, target_kinds
from scsync.resources import Kind
from tests.plan_factories import keyed, make_group, make_profile, make_topic, make_user, stream


@pytest.mark.parametrize(("targets", "kinds"), [
    ([], set(Kind)),
    (["user.*"], {Kind.USER}),
    (["stream.Care/twitter/x"], {Kind.TOPIC}),
    (["profile*"], {Kind.PROFILE, Kind.PROFILE_GROUP}),
    (["*"], set(Kind)),
    (["topic.Care", "profile_group.EMEA"], {Kind.TOPIC, Kind.PROFILE_GROUP}),
])
def test_target_kinds(targets: list[str], kinds: set[Kind]) -> None:
    assert target_kinds(targets) == kinds


def test_users_alone_read_the_users_and_the_roles_only_when_a_role_is_set() -> None:
    assert lists_for(keyed([make_user()]), frozenset({Kind.USER})) == {"users"}
    with_role = keyed([make_user(role="admin")])
    assert lists_for(with_role, frozenset({Kind.USER})) == {"users", "userroles"}


def test_flows_and_connected_profiles_only_when_referred_to() -> None:
    plain = keyed([make_profile(color="#000000"),
                   make_topic(streams=[stream("twitter/Rival", False)])])
    assert lists_for(plain, frozenset({Kind.PROFILE, Kind.TOPIC})) == {"profiles", "topics"}
    rich = keyed([make_profile(get_started="Refund"),
                  make_topic(streams=[stream("twitter/ClaraLines")])])
    assert lists_for(rich, frozenset({Kind.PROFILE, Kind.TOPIC})) == {
        "profiles", "topics", "flows", "connectedprofiles"}


def test_an_authoritative_kind_is_read_even_without_objects_in_config() -> None:
    desired = keyed([make_group()])
    options = PlanOptions(ownership={"topics": "authoritative"})
    assert read_scope(desired, options) == (frozenset({Kind.PROFILE_GROUP, Kind.TOPIC}),
                                            frozenset({"profilegroups", "topics"}))
    targeted = PlanOptions(ownership={"topics": "authoritative"}, targets=["profile_group.*"])
    assert read_scope(desired, targeted) == (frozenset({Kind.PROFILE_GROUP}),
                                             frozenset({"profilegroups"}))
