"""The provider against the bundled emulator, in-process: the ClaraLines fixture read with one
paged list per kind, writes that converge, the rate limit, token refresh, admin-only settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from scsync.errors import AuthError, PlatformRejected, RateLimitError, ServerError
from scsync.providers.auth import Credentials, Renewal, source_of
from scsync.providers.base import LiveState
from scsync.providers.factory import EmulatorProvider, build_provider
from scsync.providers.http import ApiClient, ClientOptions
from scsync.providers.settings import EmulatorSettings
from scsync.providers.socialconnect import SocialConnectProvider
from scsync.providers.tokens import TokenStore
from scsync.resources import Kind, Resource, ResourceKey

emulator = pytest.importorskip("scsync.emulator")

FIXTURE = Path(__file__).resolve().parent.parent / "examples" / "platform" / "claralines.yaml"


def _provider(tmp_path: Path, **settings: Any) -> EmulatorProvider:
    provider = build_provider(EmulatorSettings(**{"path": "platform.db", "fixture": str(FIXTURE),
                                                  **settings}), base_dir=tmp_path)
    assert isinstance(provider, EmulatorProvider)
    return provider


@pytest.fixture
def provider(tmp_path: Path) -> Any:
    provider = _provider(tmp_path)
    yield provider
    provider.close()


def _get(live: LiveState, kind: Kind, name: str) -> Resource:
    found = live.find(ResourceKey.of(kind, name))
    assert found is not None, name
    return found


def test_reads_the_fixture_with_one_paged_list_per_kind(provider: EmulatorProvider) -> None:
    live = provider.read()
    assert live.reads == 8
    assert provider.client.reads == 8
    assert provider.type_name == "emulator"
    assert (live.account.id, live.account.name) == (1001, "ClaraLines")
    assert live.me.email == "ops@claralines.example"
    assert [f.name for f in live.flows] == ["Refund", "CSAT", "Baggage", "Booking", "Welcome",
                                           "Agent Handoff"]
    assert sorted(r.address for r in live.resources.values()) == [
        "profile.facebook/claralines", "profile.instagram/claralines",
        "profile.livechat/ClaraLines Web", "profile.twitter/ClaraLines",
        "profile.twitter/ClaraLinesDE", "profile.twitter/ClaraLinesHelp",
        "profile.twitter/ClaraLinesUK", "profile.whatsapp/15551230000",
        "profile_group.EMEA", "profile_group.Legacy", "topic.Claralines Care",
        "topic.Old Campaign", "user.agent@claralines.example", "user.alice@claralines.example",
        "user.ops@claralines.example"]
    assert live.rate is not None and live.rate.limit == 350


def test_live_shapes_from_the_fixture(provider: EmulatorProvider) -> None:
    live = provider.read()
    twitter = _get(live, Kind.PROFILE, "twitter/ClaraLines")
    assert twitter.fields["bio"] == "Fly with ClaraLines. https://clarabridge.com/claralines/"
    assert twitter.fields["location"] == "Claraland HQ"
    assert _get(live, Kind.PROFILE, "livechat/ClaraLines Web").id == "web/ClaraLines Web"
    assert _get(live, Kind.TOPIC, "Claralines Care").fields["streams"] == [
        {"profile": "twitter/ClaraLines", "authorized": True, "expired": False},
        {"profile": "facebook/claralines", "authorized": True, "expired": False},
        {"profile": "facebook/competitorair", "authorized": False, "expired": False}]
    assert _get(live, Kind.PROFILE_GROUP, "EMEA").fields == {
        "name": "EMEA", "color": "#00796b", "profiles": ["twitter/ClaraLines"], "groups": []}
    assert _get(live, Kind.USER, "alice@claralines.example").fields[
        "social_links.facebook"] == "https://facebook.com/alice.clara"
    assert [cp.id for cp in live.connected_profiles] == [10, 11, 12, 13, 14]


def _apply(provider: SocialConnectProvider, live: LiveState) -> None:
    """A small apply: every kind of write, one call each, a reference between two creates."""
    ids: dict[str, str] = {}
    uk = Resource(Kind.PROFILE_GROUP, "UK", {"name": "UK", "profiles": ["twitter/ClaraLinesUK"]})
    emea = _get(live, Kind.PROFILE_GROUP, "EMEA")
    care = _get(live, Kind.TOPIC, "Claralines Care")
    twitter = _get(live, Kind.PROFILE, "twitter/ClaraLines")
    ops = _get(live, Kind.USER, "ops@claralines.example")
    streams = [{"profile": "twitter/claralines", "authorized": True},
               {"profile": "whatsapp/15551230000", "authorized": True},
               {"profile": "instagram/skyrivals", "authorized": False}]
    services = Resource(Kind.TOPIC, "Service Channels", {"name": "Service Channels",
                                                         "streams": streams})
    profile_changes = {"bio": "Fly with us: https://clarabridge.com/claralines/fly",
                       "quick_replies": [{"label": "Refund?", "flow": "Refund"}]}
    calls = [
        provider.create_call(uk, live),
        provider.update_call(emea, {"color": "#00897B", "groups": ["UK"]},
                             Resource(Kind.PROFILE_GROUP, "EMEA", {}), live),
        provider.update_call(care, {"name": "ClaraLines Care"},
                             Resource(Kind.TOPIC, "ClaraLines Care", {}), live),
        provider.create_call(services, live),
        provider.update_call(twitter, profile_changes,
                             Resource(Kind.PROFILE, "twitter/ClaraLines", {}), live),
        provider.update_call(ops, {"social_links.twitter": "https://twitter.com/ops"},
                             Resource(Kind.USER, "ops@claralines.example", {}), live),
        provider.delete_call(_get(live, Kind.TOPIC, "Old Campaign")),
    ]
    for call in calls:
        created = provider.execute(call, ids)
        if created:
            ids[call.address] = created


def test_writes_land_and_converge(provider: EmulatorProvider) -> None:
    _apply(provider, provider.read())
    assert provider.client.writes == 7
    live = provider.read()
    assert _get(live, Kind.PROFILE_GROUP, "EMEA").fields == {
        "name": "EMEA", "color": "#00897B", "profiles": ["twitter/ClaraLines"], "groups": ["UK"]}
    assert _get(live, Kind.PROFILE_GROUP, "UK").fields["profiles"] == ["twitter/ClaraLinesUK"]
    assert live.find(ResourceKey.of(Kind.TOPIC, "Old Campaign")) is None
    assert _get(live, Kind.TOPIC, "ClaraLines Care").id == "1"
    assert sorted(s["profile"] for s in _get(live, Kind.TOPIC, "Service Channels")
                  .fields["streams"]) == ["instagram/skyrivals", "twitter/ClaraLines",
                                          "whatsapp/15551230000"]
    twitter = _get(live, Kind.PROFILE, "twitter/ClaraLines")
    assert twitter.fields["bio"] == "Fly with us: https://clarabridge.com/claralines/fly"
    assert twitter.fields["quick_replies"] == [{"label": "Refund?", "flow": "Refund"}]
    assert _get(live, Kind.USER, "ops@claralines.example").fields[
        "social_links.twitter"] == "https://twitter.com/ops"


def test_the_platform_refuses_a_duplicate_topic(provider: EmulatorProvider) -> None:
    live = provider.read()
    call = provider.create_call(Resource(Kind.TOPIC, "Old Campaign", {"name": "Old Campaign"}),
                                live)
    with pytest.raises(PlatformRejected) as caught:
        provider.execute(call, {})
    assert str(caught.value).startswith("the platform refused POST /1001/settings/topics: "
                                        "invalid_parameter: ")
    assert caught.value.response is not None and caught.value.response.status == 400


def test_rate_limit_beyond_max_wait(tmp_path: Path) -> None:
    provider = _provider(tmp_path, rate_limit=(3, 3600))
    try:
        with pytest.raises(RateLimitError) as caught:
            provider.read()
        assert str(caught.value).startswith("rate limit reached: 0 of 3 calls left until ")
        assert str(caught.value).endswith(" UTC; re-run then or raise --max-wait")
        # the third answer says 0 left: the fourth call is not even sent
        assert provider.client.reads == 3
    finally:
        provider.close()


def test_an_agent_cannot_read_profile_settings(tmp_path: Path) -> None:
    provider = _provider(tmp_path, user="agent@claralines.example")
    try:
        with pytest.raises(AuthError) as caught:
            provider.read()
        assert str(caught.value).startswith(
            "the platform refused GET /1001/settings/profiles: no_permission: ")
    finally:
        provider.close()


def test_an_injected_server_error_makes_a_create_ambiguous(tmp_path: Path) -> None:
    reader = _provider(tmp_path)
    live = reader.read()
    reader.close()
    provider = _provider(tmp_path, faults={"error_rate": 1.0, "seed": 1})
    try:
        call = provider.create_call(Resource(Kind.TOPIC, "New", {"name": "New"}), live)
        with pytest.raises(ServerError) as caught:
            provider.execute(call, {})
        assert caught.value.ambiguous
        assert provider.client.writes == 1
    finally:
        provider.close()


def test_an_expired_token_is_refreshed_against_the_emulator(tmp_path: Path) -> None:
    doc = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    doc["users"][0]["tokens"][0]["expires"] = "2020-01-01T00:00:00Z"
    em = emulator.open_emulator(tmp_path / "p.db", fixture=doc)
    server = emulator.BackgroundServer(em)
    notices: list[str] = []
    credentials = Credentials(token="demo-admin-token", refresh_token="demo-admin-refresh",
                              client_id="claralines-ci", client_secret="demo-client-secret")
    store = TokenStore(tmp_path / "tokens.json")
    renewal = Renewal(server.oauth_url, store, source_of(None, "demo-admin-refresh"))
    client = ApiClient(server.url, credentials, options=ClientOptions(), renewal=renewal,
                       on_notice=notices.append)
    provider = SocialConnectProvider(client, 1001)
    try:
        live = provider.read(frozenset({Kind.USER}))
        assert live.me.email == "ops@claralines.example"
        assert notices == [f"access token expired; refreshed it and kept the new tokens in "
                           f"{store.path}"]
        assert "demo-admin-token" in provider.secrets
        stored = store.load()
        assert stored is not None and stored.refresh_token != "demo-admin-refresh"
    finally:
        provider.close()
        server.stop()
        em.close()
