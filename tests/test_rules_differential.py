"""Client and emulator agree (domain.md, "One rule, two enforcers"): objects generated around
every limit and rule of domain.md, over live settings that may conflict with them, get the same
verdict from scsync (offline validation, then the plan-time checks against live state) as from
the emulator (the write scsync would send for them, refused or not). The emulator keeps its own
code; a disagreement is a bug on one side.

Left out on purpose, as rules of the config language rather than of the platform: ``""`` in a
typed field (a URL, an e-mail, a colour: config clears with ``null``), ``${env:NAME}`` outside
secrets, unknown keys, and the same entry twice in a set; and a public page that nobody can look
up before the write (the plan says so; see ``test_plan_contract``). Bounded for ``make test``;
``SCSYNC_SOAK_FULL=1`` (``make soak``) runs many more examples.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from scsync.config.desired import fields_of
from scsync.config.model_objects import ProfileGroup, SocialLinks, Topic
from scsync.config.model_profiles import PROFILE_MODELS
from scsync.emulator import Emulator, open_emulator
from scsync.errors import PlanError, PlatformRejected, ProviderError
from scsync.plan.options import PlanOptions
from scsync.plan.planner import build_plan
from scsync.providers.socialconnect import SocialConnectProvider
from scsync.resources import Kind, Resource, ResourceKey
from tests.emulator_helpers import make_fixture
from tests.test_apply_support import in_process

FULL = os.environ.get("SCSYNC_SOAK_FULL") == "1"
EXAMPLES = settings(max_examples=2000 if FULL else 150, deadline=None, derandomize=not FULL,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])
NOW = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)
PROFILES = {"twitter": "Clara", "facebook": "clara", "instagram": "clara",
            "whatsapp": "15550001111", "livechat": "Clara Web"}
API_TYPES = {"livechat": "web"}

# -- values around each rule -----------------------------------------------------------------

LONG_URL = "https://a.example/" + "p" * 238  # 256 characters
URLS = ["https://a.example/x", "http://localhost:8080/p", "https://a.example?q=1",
        "https://example.com]x", "https://a", "ftp://a.example", "https://a.example/a b",
        "HTTPS://A.EXAMPLE", "https://a.example:99999", "https://user@a.example",
        "https://exämple.com", "https://a..example", "https://a.example:", LONG_URL,
        LONG_URL + "p", "https://[::1]/", "https://a.example/a.jpg", "https://a.example/a.JPEG",
        "https://a.example/a.jpg?v=2", "https://a.example/a.png", "https://a.example/a.jpg#f"]
TEXTS = [None, "Hi", "", " ", "\t", "Bonjour à tous"]
REQUIRED = ["1 Road", "", " ", "\t", "x" * 256, "x" * 257]
EMAILS = [None, "a@b.example", "not-an-email", "a@b", "a" * 118 + "@b.example",
          "a" * 119 + "@b.example"]
BIOS = [None, "", "x" * 160, "x" * 161, "x" * 137 + " https://a.example/" + "y" * 40,
        "x" * 138 + " https://a.example/y", "x" * 136 + " HTTPS://A.EXAMPLE/Y", "🛫" * 160,
        "🛫" * 161]
COLOURS = [None, "#6A1B9A", "#abc", "#12345", "red", "6A1B9A"]
VERTICALS = ["travel", "TRAVEL", "Prof_Services", "AIRLINE", "", " "]
ITEM_TEXTS = ["Refund?", "", " ", "\t"]


def items(key: str, limit: int) -> list[list[dict[str, Any]] | None]:
    """Lists of {key, flow} around ``limit``: none, empty, full, one past, a blank text."""
    full = [{key: f"Q{i}", "flow": "Refund"} for i in range(limit)]
    return [None, [], full, [*full, {key: "One more", "flow": "CSAT"}],
            *([{key: text, "flow": "CSAT"}] for text in ITEM_TEXTS)]


CUSTOM: list[Any] = [None, [], *([{"name": name, "avatar": "https://a.example/c.png"}]
                                 for name in ITEM_TEXTS),
                     *([{"name": "C", "avatar": url}] for url in URLS)]
SWITCH = [None, True, False]
URL_OR_NONE = [None, *URLS]
URL_LISTS: list[Any] = [None, [], *([url] for url in URLS),
                        ["https://a.example", "https://b.example"],
                        ["https://a.example", "https://b.example", "https://c.example"]]
VALUES: dict[str, dict[str, list[Any]]] = {
    "twitter": {"color": COLOURS, "name": TEXTS, "url": URL_OR_NONE, "location": TEXTS,
                "bio": BIOS, "privacy_policy_url": URL_OR_NONE, "welcome_message": TEXTS,
                "quick_replies": items("label", 5),
                "quick_replies_on_every_message": items("label", 6),
                "custom_profiles": CUSTOM, "accept_custom_profile_terms": SWITCH},
    "facebook": {"color": COLOURS, "privacy_policy_url": URL_OR_NONE, "greeting_text": TEXTS,
                 "ice_breakers": items("question", 6), "get_started": [None, "Refund"],
                 "persistent_menu": items("label", 3), "case_creation_rules": SWITCH},
    "instagram": {"color": COLOURS, "ice_breakers": items("question", 4)},
    "whatsapp": {"about": TEXTS, "avatar_url": URL_OR_NONE, "email": EMAILS,
                 "websites": URL_LISTS, "address": REQUIRED, "description": REQUIRED,
                 "vertical": VERTICALS},
    "livechat": {"allowlisted_domains": URL_LISTS, "avatar": URL_OR_NONE,
                 "send_flow_on_start": [None, "CSAT"],
                 "quick_replies_on_every_message": items("label", 3)},
}
WHATSAPP_BASE = {"address": "1 Road", "description": "Us", "vertical": "travel"}

# Valid live settings (API shape) that the config may run into.
BAG = [{"question": "Bag?", "flow_id": 501}]
LIVE: dict[str, list[dict[str, Any]]] = {
    "twitter": [{}, {"welcome_message": "Hi", "quick_replies": [{"label": "R", "flow_id": 501}]},
                {"custom_profiles": [{"name": "C", "avatar": "https://a.example/c.png"}],
                 "accept_custom_profile_terms": True,
                 "privacy_policy_url": "https://a.example/p"}],
    "facebook": [{}, {"ice_breakers": BAG}, {"get_started": 502},
                 {"persistent_menu": [{"label": "M", "flow_id": 501}]},
                 {"case_creation_rules": True}],
    "instagram": [{}, {"ice_breakers": BAG}],
    "whatsapp": [{"address": "1 Road", "description": "Us", "vertical": "travel"}],
    "livechat": [{}, {"allowlisted_domains": ["https://a.example"]}],
}


@st.composite
def profile_cases(draw: st.DrawFn) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(network, live settings, config fields) of one profile: a few fields at once."""
    network = draw(st.sampled_from(sorted(VALUES)))
    options = VALUES[network]
    keys = draw(st.lists(st.sampled_from(sorted(options)), unique=True, min_size=1,
                         max_size=3))
    config = {key: draw(st.sampled_from(options[key])) for key in keys}
    if network == "whatsapp":
        config = {**WHATSAPP_BASE, **config}
    return network, draw(st.sampled_from(LIVE[network])), config


# -- the two verdicts ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def platform() -> Iterator[tuple[Emulator, SocialConnectProvider, httpx.Client]]:
    doc = make_fixture()
    doc["profiles"] += [{"type": "twitter", "service_id": f"T{i:02d}"} for i in range(1, 22)]
    doc["connected_profiles"][0]["pages"].append({"type": "twitter", "service_id": "Orphan"})
    emulator = open_emulator(":memory:", fixture=doc, rate_limit=(10**9, 3600))
    provider = in_process(emulator)
    with httpx.Client(transport=httpx.WSGITransport(app=emulator.wsgi),
                      base_url="http://emulator.local",
                      headers={"Authorization": "Bearer admin-token"}) as client:
        yield emulator, provider, client
    provider.close()
    emulator.close()


def _set_live(client: httpx.Client, path: str, network: str, settings: dict[str, Any]) -> None:
    """The profile's settings made exactly ``settings`` (every other field cleared)."""
    cleared = {name: None for name in VALUES[network] if name not in settings}
    for required in ("address", "description", "vertical"):
        cleared.pop(required, None)
    form = {"updates": json.dumps({**cleared, **settings})}
    response = client.post(path, data=form)
    assert response.status_code == 200, response.text


def scsync_refuses(name: str, config: dict[str, Any], provider: SocialConnectProvider) -> str:
    """Why scsync refuses ``config`` for profile ``name`` ("" when it plans it)."""
    model = PROFILE_MODELS[name.partition("/")[0]]
    try:
        obj = model.model_validate(config)
    except ValidationError as exc:
        return str(exc.errors()[0]["msg"])
    if found := obj.problems():
        return found[0][1]
    desired = Resource(Kind.PROFILE, name, fields_of(Kind.PROFILE, name, obj))
    try:
        build_plan({desired.key: desired}, provider.read(), provider, PlanOptions(), now=NOW)
    except PlanError as exc:
        return str(exc)
    return ""


def emulator_refuses(name: str, config: dict[str, Any], provider: SocialConnectProvider) -> str:
    """Why the emulator refuses the write of ``config`` as scsync builds it ("" if it takes
    it)."""
    live = provider.read()
    current = live.find(ResourceKey.of(Kind.PROFILE, name))
    assert current is not None
    desired = Resource(Kind.PROFILE, name, dict(config))
    try:
        provider.execute(provider.update_call(current, desired.fields, desired, live), {})
    except PlatformRejected as exc:
        return str(exc)
    return ""


def disagreement(platform: tuple[Emulator, SocialConnectProvider, httpx.Client], network: str,
                 live: dict[str, Any], config: dict[str, Any]) -> str:
    """"" when scsync and the emulator agree on ``config`` over ``live``, else both verdicts."""
    _, provider, client = platform
    handle = PROFILES[network]
    name = f"{network}/{handle}"
    path = f"/1001/settings/profile/{API_TYPES.get(network, network)}/{handle}"
    _set_live(client, path, network, live)
    client_says = scsync_refuses(name, config, provider)
    _set_live(client, path, network, live)
    server_says = emulator_refuses(name, config, provider)
    if bool(client_says) == bool(server_says):
        return ""
    return (f"{name} {config!r} over {live!r}:\n  scsync: {client_says or 'accepted'}\n"
            f"  emulator: {server_says or 'accepted'}")


@pytest.mark.parametrize("network", sorted(VALUES))
def test_every_value_around_every_limit_gets_the_same_verdict(
        platform: tuple[Emulator, SocialConnectProvider, httpx.Client], network: str) -> None:
    base = WHATSAPP_BASE if network == "whatsapp" else {}
    found = [disagreement(platform, network, LIVE[network][0], {**base, field: value})
             for field, values in VALUES[network].items() for value in values]
    assert [f for f in found if f] == []


@EXAMPLES
@given(profile_cases())
def test_combinations_over_conflicting_live_settings_get_the_same_verdict(
        platform: tuple[Emulator, SocialConnectProvider, httpx.Client],
        case: tuple[str, dict[str, Any], dict[str, Any]]) -> None:
    network, live, config = case
    assert disagreement(platform, network, live, config) == ""


def test_user_links_get_the_same_verdict(
        platform: tuple[Emulator, SocialConnectProvider, httpx.Client]) -> None:
    _, _, client = platform
    found = []
    for url in URL_OR_NONE:
        try:
            SocialLinks.model_validate({"linkedin": url})
            client_says = ""
        except ValidationError as exc:
            client_says = str(exc.errors()[0]["msg"])
        form = {"updates": json.dumps({"social_links": {"linkedin": url}})}
        response = client.post("/1001/settings/user/2", data=form)
        assert response.status_code in (200, 400), response.text  # never a 500
        if bool(client_says) != (response.status_code == 400):
            found.append((url, client_says, response.text))
    assert found == []


def _verdicts(platform: tuple[Emulator, SocialConnectProvider, httpx.Client], kind: Kind,
              name: str, model: type[ProfileGroup] | type[Topic], data: dict[str, Any]) -> str:
    """"" when scsync (model, then plan) and the emulator (the create scsync would send, then
    deleted again) agree on object ``name``, else both verdicts."""
    _, provider, client = platform
    client_says = ""
    try:
        obj = model.model_validate(data)
        problems = obj.problems()
        client_says = problems[0][1] if problems else ""
        desired = Resource(kind, name, fields_of(kind, name, obj))
        if not client_says:
            build_plan({desired.key: desired}, provider.read(), provider, PlanOptions(), now=NOW)
    except (ValidationError, PlanError) as exc:
        client_says = str(exc)
    fields = {"name": name, **data}
    if kind is Kind.TOPIC:
        fields["streams"] = [{"profile": s} if isinstance(s, str) else s
                             for s in data.get("streams", [])]
    live = provider.read()
    try:
        call = provider.create_call(Resource(kind, name, fields), live)
        created = provider.execute(call, {"profile_group.Nowhere": "999"})
        server_says = ""
        table = "topic" if kind is Kind.TOPIC else "profilegroup"
        assert client.delete(f"/1001/settings/{table}/{created}").status_code == 200
    except PlatformRejected as exc:
        server_says = str(exc)
    except ProviderError:  # scsync's builder cannot name a missing member: send it by hand
        response = client.post("/1001/settings/profilegroups", data={
            "profile_group": json.dumps({"name": name, "profiles": [
                {"type": p.partition("/")[0], "service_id": p.partition("/")[2]}
                for p in data.get("profiles", [])], "groups": [{"id": 999}]})})
        assert response.status_code == 400, response.text
        server_says = response.json()["error_description"]
    if bool(client_says) == bool(server_says):
        return ""
    return f"{name} {data!r}:\n  scsync: {client_says or 'accepted'}\n  emulator: {server_says}"


MEMBERS = [f"twitter/T{i:02d}" for i in range(1, 22)]
GROUPS: list[dict[str, Any]] = [
    *({"color": colour} for colour in COLOURS),
    {"profiles": MEMBERS[:20]}, {"profiles": MEMBERS[:21]},
    {"profiles": MEMBERS[:19], "groups": ["EMEA"]}, {"profiles": MEMBERS[:20], "groups": ["EMEA"]},
    {"profiles": ["twitter/Nobody"]}, {"groups": ["Nowhere"]},
]
STREAMS: list[Any] = [
    "twitter/Clara", "twitter/ClaraHelp", "twitter/Orphan", "whatsapp/15550001111",
    "livechat/Clara Web",
    {"profile": "whatsapp/15550001111", "authorized": False},
    {"profile": "livechat/Clara Web", "authorized": False},
    {"profile": "twitter/Rival", "authorized": False},
    {"profile": "facebook/rival", "authorized": False},
]


def test_profile_groups_get_the_same_verdict(
        platform: tuple[Emulator, SocialConnectProvider, httpx.Client]) -> None:
    found = [_verdicts(platform, Kind.PROFILE_GROUP, "Diff", ProfileGroup, data)
             for data in GROUPS]
    assert [f for f in found if f] == []


def test_topic_streams_get_the_same_verdict(
        platform: tuple[Emulator, SocialConnectProvider, httpx.Client]) -> None:
    found = [_verdicts(platform, Kind.TOPIC, "Diff", Topic, {"streams": [stream]})
             for stream in STREAMS]
    assert [f for f in found if f] == []
