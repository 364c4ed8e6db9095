"""The provider's call builders (pure) and execute(): exact paths and forms per change, flows as
ids, complete services lists, references filled in, creates never retried blindly."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from scsync.errors import ProviderError, ServerError
from scsync.providers.base import Call, LiveState
from scsync.providers.socialconnect import SocialConnectProvider
from scsync.resources import Kind, Resource, ResourceKey
from tests.test_provider_helpers import FakePlatform, Recorder, fail, make_client, ok


@pytest.fixture(scope="module")
def live() -> LiveState:
    return SocialConnectProvider(make_client(FakePlatform(page_size=10)), 1001).read()


@pytest.fixture
def provider() -> SocialConnectProvider:
    return SocialConnectProvider(make_client(Recorder([ok({})])), 1001)


def _live(live: LiveState, kind: Kind, name: str) -> Resource:
    found = live.find(ResourceKey.of(kind, name))
    assert found is not None
    return found


def _sent_form(request: httpx.Request) -> dict[str, Any]:
    return {k: json.loads(v[0]) for k, v in parse_qs(request.content.decode()).items()}


STREAMS = [{"profile": "twitter/claralines", "authorized": True},
           {"profile": "facebook/1234567", "authorized": True},
           {"profile": "facebook/competitorair", "authorized": False}]
SERVICES = [{"type": "twitter", "username": "ClaraLines", "authorized": True,
             "connectedprofile_id": 11},
            {"type": "facebook", "username": "claralines", "authorized": True,
             "connectedprofile_id": 10},
            {"type": "facebook", "username": "competitorair", "authorized": False}]


def test_create_topic_with_its_services(provider: SocialConnectProvider, live: LiveState) -> None:
    desired = Resource(Kind.TOPIC, "ClaraLines Care", {"name": "ClaraLines Care",
                                                       "searchkeywords": "claralines",
                                                       "streams": STREAMS})
    assert provider.create_call(desired, live) == Call(
        method="POST", path="/1001/settings/topics", address="topic.ClaraLines Care",
        action="create", form={"topic": {"name": "ClaraLines Care",
                                         "searchkeywords": "claralines", "services": SERVICES}})


def test_update_topic_name_only(provider: SocialConnectProvider, live: LiveState) -> None:
    current = _live(live, Kind.TOPIC, "Claralines Care")
    desired = Resource(Kind.TOPIC, "ClaraLines Care", {"name": "ClaraLines Care"})
    call = provider.update_call(current, {"name": "ClaraLines Care"}, desired, live)
    assert (call.method, call.path, call.action, call.address) == (
        "POST", "/1001/settings/topic/7", "update", "topic.ClaraLines Care")
    assert call.form == {"updates": {"name": "ClaraLines Care"}}


def test_update_topic_streams_sends_the_complete_list(provider: SocialConnectProvider,
                                                      live: LiveState) -> None:
    current = _live(live, Kind.TOPIC, "Claralines Care")
    desired = Resource(Kind.TOPIC, "Claralines Care", {"streams": STREAMS})
    call = provider.update_call(current, {"streams": STREAMS, "searchkeywords": None}, desired,
                                live)
    assert call.form == {"updates": {"searchkeywords": None, "services": SERVICES},
                         "options": {"services_edit_mode": "overwrite"}}


def test_update_profile_sends_flow_ids(provider: SocialConnectProvider, live: LiveState) -> None:
    current = _live(live, Kind.PROFILE, "twitter/ClaraLines")
    changed = {"quick_replies": [{"label": "Refund?", "flow": "Refund"},
                                 {"label": "Old", "flow": "#999"}], "bio": "Hello"}
    desired = Resource(Kind.PROFILE, "twitter/claralines", changed)
    call = provider.update_call(current, changed, desired, live)
    assert call.path == "/1001/settings/profile/twitter/ClaraLines"
    assert call.address == "profile.twitter/claralines"
    assert call.form == {"updates": {"quick_replies": [{"label": "Refund?", "flow_id": 501},
                                                       {"label": "Old", "flow_id": 999}],
                                     "bio": "Hello"}}


def test_update_profile_scalar_flows_and_quoted_paths(provider: SocialConnectProvider,
                                                      live: LiveState) -> None:
    facebook = _live(live, Kind.PROFILE, "facebook/claralines")
    call = provider.update_call(facebook, {"get_started": None},
                                Resource(Kind.PROFILE, "facebook/claralines", {}), live)
    assert (call.path, call.form) == ("/1001/settings/profile/facebook/1234567",
                                      {"updates": {"get_started": None}})
    web = _live(live, Kind.PROFILE, "livechat/ClaraLines Web")
    call = provider.update_call(web, {"send_flow_on_start": "CSAT"},
                                Resource(Kind.PROFILE, "livechat/ClaraLines Web", {}), live)
    assert (call.path, call.form) == ("/1001/settings/profile/web/web-1",
                                      {"updates": {"send_flow_on_start": 502}})


def test_an_unknown_flow_name_is_an_error(provider: SocialConnectProvider,
                                          live: LiveState) -> None:
    facebook = _live(live, Kind.PROFILE, "facebook/claralines")
    with pytest.raises(ProviderError) as caught:
        provider.update_call(facebook, {"get_started": "Nope"},
                             Resource(Kind.PROFILE, "facebook/claralines", {}), live)
    assert str(caught.value) == ("profile.facebook/claralines get_started: flow 'Nope' does not "
                                 "exist on the platform")


def test_create_group_refers_to_groups_created_in_the_same_run(
        provider: SocialConnectProvider, live: LiveState) -> None:
    desired = Resource(Kind.PROFILE_GROUP, "West", {
        "name": "West", "color": "#00897B", "profiles": ["twitter/claralines", "facebook/1234567"],
        "groups": ["UK", "Germany"]})
    call = provider.create_call(desired, live)
    assert (call.path, call.action) == ("/1001/settings/profilegroups", "create")
    assert call.form == {"profile_group": {
        "name": "West", "color": "#00897B",
        "profiles": [{"type": "twitter", "service_id": "ClaraLines"},
                     {"type": "facebook", "service_id": "1234567"}],
        "groups": [{"id": 3}, {"id": {"ref": "profile_group.Germany"}}]}}


def test_a_group_member_that_is_not_a_profile(provider: SocialConnectProvider,
                                              live: LiveState) -> None:
    desired = Resource(Kind.PROFILE_GROUP, "West", {"name": "West", "profiles": ["twitter/nobody"]})
    with pytest.raises(ProviderError, match=r"^profile_group.West profiles: twitter/nobody is not "
                                            r"a profile of this account$"):
        provider.create_call(desired, live)


def test_update_group_and_user(provider: SocialConnectProvider, live: LiveState) -> None:
    emea = _live(live, Kind.PROFILE_GROUP, "EMEA")
    call = provider.update_call(emea, {"color": "#FFFFFF", "groups": []},
                                Resource(Kind.PROFILE_GROUP, "EMEA", {}), live)
    assert (call.path, call.form) == ("/1001/settings/profilegroup/4",
                                      {"updates": {"color": "#FFFFFF", "groups": []}})
    user = _live(live, Kind.USER, "ops@claralines.example")
    call = provider.update_call(user, {"social_links.twitter": "https://x.com/ops"},
                                Resource(Kind.USER, "ops@claralines.example", {}), live)
    assert (call.path, call.form, call.address) == (
        "/1001/settings/user/1", {"updates": {"social_links": {"twitter": "https://x.com/ops"}}},
        "user.ops@claralines.example")


def test_deletes(provider: SocialConnectProvider, live: LiveState) -> None:
    call = provider.delete_call(_live(live, Kind.TOPIC, "Claralines Care"))
    assert call == Call(method="DELETE", path="/1001/settings/topic/7",
                        address="topic.Claralines Care", action="delete")
    assert provider.delete_call(_live(live, Kind.PROFILE_GROUP, "UK")).path == (
        "/1001/settings/profilegroup/3")


def test_profiles_and_users_are_never_created_or_deleted(provider: SocialConnectProvider,
                                                         live: LiveState) -> None:
    twitter = _live(live, Kind.PROFILE, "twitter/ClaraLines")
    with pytest.raises(ProviderError, match=r"^profile.twitter/ClaraLines: profiles are never "
                                            r"created through the API$"):
        provider.create_call(twitter, live)
    with pytest.raises(ProviderError, match=r"^user.Ops@ClaraLines.example: users are never "
                                            r"deleted through the API$"):
        provider.delete_call(_live(live, Kind.USER, "ops@claralines.example"))


def test_execute_fills_references_and_returns_the_created_id() -> None:
    rec = Recorder([ok({"id": 12, "name": "West"})])
    provider = SocialConnectProvider(make_client(rec), 1001)
    call = Call(method="POST", path="/1001/settings/profilegroups", address="profile_group.West",
                action="create", form={"profile_group": {
                    "name": "West", "groups": [{"id": 3}, {"id": {"ref": "profile_group.DE"}}]}})
    assert provider.execute(call, {"profile_group.DE": "8"}) == "12"
    assert _sent_form(rec.requests[0]) == {"profile_group": {"name": "West",
                                                             "groups": [{"id": 3}, {"id": 8}]}}


def test_execute_fills_a_path_reference_and_refuses_an_unknown_one() -> None:
    rec = Recorder([ok(True)])
    provider = SocialConnectProvider(make_client(rec), 1001)
    call = Call(method="DELETE", path="/1001/settings/profilegroup/{ref:profile_group.DE}",
                address="profile_group.DE", action="delete")
    assert provider.execute(call, {"profile_group.DE": "8"}) is None
    assert rec.requests[0].url.path == "/1001/settings/profilegroup/8"
    with pytest.raises(ProviderError, match=r"^profile_group.DE has no platform id yet"):
        provider.execute(call, {})
    assert len(rec.requests) == 1


def test_execute_never_retries_a_create_blindly() -> None:
    rec = Recorder([fail(500, "internal_server_error", "lost"), ok({"id": 1})])
    provider = SocialConnectProvider(make_client(rec), 1001)
    call = Call(method="POST", path="/1001/settings/topics", address="topic.A", action="create",
                form={"topic": {"name": "A"}})
    with pytest.raises(ServerError) as caught:
        provider.execute(call, {})
    assert caught.value.ambiguous
    assert len(rec.requests) == 1


def test_execute_retries_an_update() -> None:
    rec = Recorder([fail(500, "internal_server_error", "lost"), ok(True)])
    provider = SocialConnectProvider(make_client(rec), 1001)
    call = Call(method="POST", path="/1001/settings/topic/7", address="topic.A", action="update",
                form={"updates": {"name": "A"}})
    assert provider.execute(call, {}) is None
    assert len(rec.requests) == 2


def test_conveniences_read_once_then_write_one_call() -> None:
    platform = FakePlatform(page_size=10)
    provider = SocialConnectProvider(make_client(platform), 1001)
    provider.update(ResourceKey.of(Kind.PROFILE_GROUP, "EMEA"), {"color": "#000000"})
    reads = [r for r in platform.requests if r.method == "GET"]
    assert len(reads) == 8
    assert [(w.method, w.url.path) for w in platform.writes] == [
        ("POST", "/1001/settings/profilegroup/4")]
    assert _sent_form(platform.writes[0]) == {"updates": {"color": "#000000"}}
    new = Resource(Kind.TOPIC, "New", {"name": "New", "streams": []})
    assert provider.create(new) == "42"
    provider.delete(ResourceKey.of(Kind.TOPIC, "Claralines Care"))
    assert [(w.method, w.url.path) for w in platform.writes][1:] == [
        ("POST", "/1001/settings/topics"), ("DELETE", "/1001/settings/topic/7")]
