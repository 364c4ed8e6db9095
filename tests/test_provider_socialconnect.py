"""The socialconnect provider's reads over a fake platform: paged lists only, the live resources
in the shapes of scsync.resources, flows named, bios expanded, aliases, history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scsync.errors import ProviderError
from scsync.ops.snapshot import take_snapshot
from scsync.providers.base import ConnectedProfile, Flow, Page
from scsync.providers.socialconnect import SocialConnectProvider
from scsync.resources import Kind, ResourceKey
from tests.test_provider_helpers import RESET, FakePlatform, make_client


def _provider(platform: FakePlatform) -> SocialConnectProvider:
    return SocialConnectProvider(make_client(platform), 1001)


def test_read_uses_one_paged_list_per_kind() -> None:
    platform = FakePlatform()
    live = _provider(platform).read()
    # After /me and /me/accounts the lists are fetched by a pool of threads: their requests
    # arrive in any order (a loaded machine reorders them), so the order is not asserted here.
    assert platform.paths()[:2] == ["/me", "/me/accounts"]
    assert sorted(platform.paths()[2:]) == sorted([
        "/1001/settings/flows", "/1001/settings/connectedprofiles",
        "/1001/settings/connectedprofiles", "/1001/settings/profiles", "/1001/settings/profiles",
        "/1001/settings/topics", "/1001/settings/profilegroups", "/1001/settings/users"])
    assert all(r.method == "GET" for r in platform.requests)
    assert all(r.url.params["limit"] == "200" for r in platform.requests[1:])
    assert live.reads == 10
    assert live.rate is not None and live.rate.reset_at == RESET


def test_read_account_me_flows_and_connected_profiles() -> None:
    live = _provider(FakePlatform()).read()
    assert (live.account.id, live.account.name, dict(live.account.features)) == (
        1001, "ClaraLines", {"profile_groups": True})
    assert live.projects == [{"id": 1, "name": "Care"}]
    assert (live.me.id, live.me.email, live.me.role) == (1, "ops@claralines.example", "admin")
    assert live.me.token_expires_at == datetime(2027, 2, 20, tzinfo=UTC)
    assert live.flows == [Flow(501, "Refund", True), Flow(502, "CSAT", False)]
    assert live.connected_profiles[1] == ConnectedProfile(
        id=10, user_id=1, network="facebook", service_id="9001", name="Ops on Facebook",
        pages=(Page("facebook", "1234567", "ClaraLines"),), expired=False,
        missing_permissions=("pages_messaging",))
    assert live.read_at is not None


def test_live_profiles() -> None:
    live = _provider(FakePlatform()).read()
    twitter = live.resources[ResourceKey.of(Kind.PROFILE, "twitter/claralines")]
    assert (twitter.name, twitter.id) == ("twitter/ClaraLines", "twitter/ClaraLines")
    assert twitter.fields == {
        "color": "#6a1b9a", "name": None, "url": None, "location": None,
        "bio": "Fly https://clarabridge.com/claralines/ now", "privacy_policy_url": None,
        "welcome_message": "Hi!",
        "quick_replies": [{"label": "Refund?", "flow": "Refund"},
                          {"label": "Gone", "flow": "#999"}],
        "quick_replies_on_every_message": [], "custom_profiles": [],
        "accept_custom_profile_terms": False}
    facebook = live.resources[ResourceKey.of(Kind.PROFILE, "facebook/claralines")]
    assert facebook.id == "facebook/1234567"
    assert facebook.fields == {"color": None, "privacy_policy_url": None, "greeting_text": None,
                               "get_started": "CSAT", "ice_breakers": [], "persistent_menu": [],
                               "case_creation_rules": False}
    web = live.resources[ResourceKey.of(Kind.PROFILE, "livechat/ClaraLines Web")]
    assert (web.name, web.id) == ("livechat/ClaraLines Web", "web/web-1")
    assert web.fields["allowlisted_domains"] == ["https://claralines.example"]
    assert web.fields["send_flow_on_start"] is None


def test_profiles_also_match_by_service_id() -> None:
    live = _provider(FakePlatform()).read()
    found = live.find(ResourceKey.of(Kind.PROFILE, "facebook/1234567"))
    assert found is not None and found.name == "facebook/claralines"
    assert live.profile_aliases["facebook/1234567"] == ResourceKey.of(Kind.PROFILE,
                                                                      "facebook/claralines")


def test_live_topics_groups_and_users() -> None:
    live = _provider(FakePlatform()).read()
    topic = live.resources[ResourceKey.of(Kind.TOPIC, "Claralines Care")]
    assert topic.id == "7"
    assert topic.fields == {"name": "Claralines Care", "searchkeywords": "claralines", "streams": [
        {"profile": "twitter/ClaraLines", "authorized": True, "expired": False},
        {"profile": "facebook/competitorair", "authorized": False, "expired": True}]}
    emea = live.resources[ResourceKey.of(Kind.PROFILE_GROUP, "EMEA")]
    assert (emea.id, emea.fields) == ("4", {"name": "EMEA", "color": "#00897b",
                                            "profiles": ["facebook/claralines"],
                                            "groups": ["UK", "#77"]})
    user = live.resources[ResourceKey.of(Kind.USER, "ops@claralines.example")]
    assert (user.name, user.id) == ("Ops@ClaraLines.example", "1")
    assert user.fields == {"social_links.twitter": None, "social_links.facebook": None,
                           "social_links.linkedin": "https://linkedin.com/in/ops",
                           "social_links.instagram": None, "role": "admin"}


def test_read_only_the_kinds_asked() -> None:
    platform = FakePlatform(page_size=10)
    live = _provider(platform).read(frozenset({Kind.USER}))
    assert platform.paths() == ["/me", "/me/accounts", "/1001/settings/flows",
                                "/1001/settings/connectedprofiles", "/1001/settings/users"]
    assert {k.kind for k in live.resources} == {Kind.USER}


def test_groups_are_not_read_without_the_feature() -> None:
    platform = FakePlatform(page_size=10)
    platform.data["/me/accounts"][1]["features"] = {"profile_groups": False}
    live = _provider(platform).read()
    assert "/1001/settings/profilegroups" not in platform.paths()
    assert not list(live.of_kind(Kind.PROFILE_GROUP))
    assert live.account.features == {"profile_groups": False}


def test_an_account_the_token_cannot_use() -> None:
    """One look-up of the account, for a plan's read and for a snapshot alike."""
    message = ("account 5 is not among the accounts this token can use; check "
               "provider.account_id and the token's user")
    provider = SocialConnectProvider(make_client(FakePlatform()), 5)
    for read in (provider.read, lambda: take_snapshot(provider)):
        with pytest.raises(ProviderError) as caught:
            read()
        assert str(caught.value) == message


def test_history_since_and_filtered() -> None:
    platform = FakePlatform(page_size=10)
    provider = _provider(platform)
    entries = provider.history(datetime(2026, 11, 22, 9, tzinfo=UTC), object_ids=["7"])
    assert [(e.object_type, e.object_id, e.user_name) for e in entries] == [
        ("topic", "7", "Alice")]
    assert entries[0].date == datetime(2026, 11, 22, 11, tzinfo=UTC)
    assert entries[0].changes == {"name": {"old": "A", "new": "Claralines Care"}}
    assert platform.requests[0].url.params["date_from"] == "2026-11-22T09:00:00Z"
    assert [e.object_id for e in provider.history()] == ["3", "7"]
