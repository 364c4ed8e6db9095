"""The platform's rules as the emulator enforces them server-side (domain.md), with the error ids
and statuses of platform-api.md's table."""

from __future__ import annotations

from typing import Any

import pytest

from tests import emulator_helpers as helpers
from tests.emulator_helpers import Api, error

clock, emu, api = helpers.clock, helpers.emu, helpers.api  # the fixtures these tests use

TW = "/1001/settings/profile/twitter/Clara"
FB = "/1001/settings/profile/facebook/clara"
IG = "/1001/settings/profile/instagram/clara"
WA = "/1001/settings/profile/whatsapp/15550001111"
WEB = "/1001/settings/profile/web/Clara Web"


def _qr(n: int, key: str = "label") -> list[dict[str, Any]]:
    return [{key: f"item {i}", "flow_id": 501} for i in range(n)]


REFUSED = [
    (TW, {"bio": "x" * 161}, "invalid_parameter", "bio is 161 characters; Twitter allows 160"),
    (TW, {"bio": "x" * 138 + " https://example.com/" + "y" * 30}, "invalid_parameter",
     "bio is 162 characters; Twitter allows 160"),
    (TW, {"color": "purple"}, "invalid_parameter",
     "color 'purple' is not a hex colour like #6A1B9A"),
    (TW, {"colour": "#000000"}, "invalid_parameter",
     "unknown field 'colour' for a twitter profile (expected one of: color, name, url, location, "
     "bio, privacy_policy_url, welcome_message, quick_replies, quick_replies_on_every_message, "
     "custom_profiles, accept_custom_profile_terms)"),
    (TW, {"bio_urls": []}, "invalid_parameter",
     "bio_urls is read-only: it is derived from the bio"),
    (TW, {"quick_replies": _qr(1)}, "invalid_parameter",
     "quick_replies need a welcome_message: set one first"),
    (TW, {"welcome_message": "Hi", "quick_replies": _qr(6)}, "limit_exceeded",
     "quick_replies: at most 5 items, got 6"),
    (TW, {"welcome_message": "Hi", "quick_replies": [{"label": "A", "flow_id": 999}]},
     "invalid_parameter", "quick_replies[0].flow_id: unknown flow id 999"),
    (TW, {"custom_profiles": [{"name": "C", "avatar": "https://a.example/b.png"}],
          "privacy_policy_url": "https://p.example"}, "invalid_parameter",
     "custom_profiles require accepting the custom profile terms "
     "(accept_custom_profile_terms: true)"),
    (TW, {"custom_profiles": [{"name": "C", "avatar": "https://a.example/b.png"}],
          "accept_custom_profile_terms": True}, "invalid_parameter",
     "custom_profiles require a privacy_policy_url"),
    (FB, {"ice_breakers": _qr(7, "question")}, "limit_exceeded",
     "ice_breakers: at most 6 items, got 7"),
    (FB, {"persistent_menu": _qr(4)}, "limit_exceeded", "persistent_menu: at most 3 items, got 4"),
    (FB, {"ice_breakers": _qr(1, "question"), "get_started": 501}, "invalid_parameter",
     "ice_breakers override get_started: set one or the other, not both"),
    (FB, {"persistent_menu": _qr(1), "case_creation_rules": True}, "invalid_parameter",
     "persistent_menu cannot be combined with case_creation_rules"),
    (FB, {"get_started": 999}, "invalid_parameter", "get_started: unknown flow id 999"),
    (IG, {"ice_breakers": _qr(5, "question")}, "limit_exceeded",
     "ice_breakers: at most 4 items, got 5"),
    (IG, {"get_started": 501}, "invalid_parameter",
     "unknown field 'get_started' for a instagram profile (expected one of: color, ice_breakers)"),
    (WA, {"address": ""}, "invalid_parameter",
     "address is required for a WhatsApp profile and cannot be cleared"),
    (WA, {"description": "d" * 257}, "invalid_parameter",
     "description is 257 characters; at most 256 allowed"),
    (WA, {"vertical": "AIRLINE"}, "invalid_parameter",
     "vertical 'AIRLINE' is not one of APPAREL, AUTO, BEAUTY, EDU, ENTERTAIN, EVENT_PLAN, "
     "FINANCE, GOVT, GROCERY, HEALTH, HOTEL, NONPROFIT, OTHER, PROF_SERVICES, RESTAURANT, "
     "RETAIL, TRAVEL"),
    (WA, {"email": "not-an-email"}, "invalid_parameter",
     "email 'not-an-email' is not a valid e-mail address"),
    (WA, {"avatar_url": "https://a.example/b.png"}, "invalid_parameter",
     "avatar_url 'https://a.example/b.png' must end in .jpg or .jpeg"),
    (WA, {"websites": ["https://a.example", "https://b.example", "https://c.example"]},
     "limit_exceeded",
     "websites: at most 2 items, got 3"),
    (WEB, {"quick_replies_on_every_message": _qr(4)}, "limit_exceeded",
     "quick_replies_on_every_message: at most 3 items, got 4"),
    (WEB, {"allowlisted_domains": ["clarabridge.com"]}, "invalid_parameter",
     "allowlisted_domains: 'clarabridge.com' is not a full http(s) URL"),
    (WEB, {"send_flow_on_start": "Refund"}, "invalid_parameter",
     "send_flow_on_start must be a flow id (an integer) or null"),
]


@pytest.mark.parametrize(("path", "updates", "code", "message"), REFUSED,
                         ids=[f"{r[0].rsplit('/', 2)[1]}-{r[3][:30]}" for r in REFUSED])
def test_profile_rules_refuse_with_id_and_message(api: Api, path: str, updates: dict[str, Any],
                                                  code: str, message: str) -> None:
    assert error(api.post(path, updates=updates)) == (400, code, message)


ACCEPTED = [
    (TW, {"welcome_message": "Hi", "quick_replies": _qr(5)}),
    (FB, {"ice_breakers": _qr(6, "question"), "persistent_menu": _qr(3)}),
    (WA, {"vertical": "hotel", "websites": ["https://a.example", "https://b.example"],
          "email": "a@b.example",
          "avatar_url": "https://a.example/b.JPEG"}),
    (WEB, {"send_flow_on_start": 502, "allowlisted_domains": ["https://clarabridge.com"]}),
]


@pytest.mark.parametrize(("path", "updates"), ACCEPTED)
def test_profile_rules_accept_valid_settings(api: Api, path: str, updates: dict[str, Any]) -> None:
    settings = api.ok(api.post(path, updates=updates))["settings"]
    for name, value in updates.items():
        if name != "bio":
            assert settings[name] == value


def test_bio_at_exactly_160_with_a_url_is_accepted(api: Api) -> None:
    bio = "x" * 136 + " https://example.com/" + "y" * 40
    assert len(bio) > 160
    assert api.ok(api.post(TW, updates={"bio": bio}))["settings"]["bio_urls"][0][
        "expanded_url"] == "https://example.com/" + "y" * 40


STREAMS = [
    ({"type": "myspace", "username": "x", "authorized": False}, "unsupported_type",
     "services[0]: unsupported type 'myspace'"),
    ({"type": "whatsapp", "username": "15550001111", "authorized": False}, "unsupported_type",
     "whatsapp streams must be authorized: unauthorized tracking of whatsapp is not supported"),
    ({"type": "web", "username": "Clara Web", "authorized": False}, "unsupported_type",
     "web streams must be authorized: unauthorized tracking of web is not supported"),
    ({"type": "twitter", "username": "nobody", "authorized": False}, "invalid_parameter",
     "no public page twitter/nobody"),
    ({"type": "twitter", "username": "Rival", "authorized": True, "connectedprofile_id": 10},
     "invalid_parameter", "twitter/Rival is not a profile of this account: an authorized stream "
     "needs a page the account owns"),
    ({"type": "twitter", "username": "ClaraHelp", "authorized": True, "connectedprofile_id": 10},
     "invalid_parameter", "connected profile 10 (Ops) does not administer twitter/ClaraHelp: "
     "connect a profile that admins the page"),
    ({"type": "twitter", "username": "Clara", "authorized": True}, "invalid_parameter",
     "an authorized stream of twitter/Clara needs the connectedprofile_id of a connected profile "
     "that administers the page"),
    ({"type": "twitter", "username": "Clara", "authorized": True, "connectedprofile_id": 77},
     "invalid_parameter", "unknown connectedprofile_id 77"),
]


@pytest.mark.parametrize(("service", "code", "message"), STREAMS)
def test_stream_rules(api: Api, service: dict[str, Any], code: str, message: str) -> None:
    assert error(api.post("/1001/settings/topics",
                          topic={"name": "New", "services": [service]})) == (400, code, message)


def test_authorized_whatsapp_stream_is_accepted(api: Api) -> None:
    topic = api.ok(api.post("/1001/settings/topics", topic={"name": "WA", "services": [
        {"type": "whatsapp", "service_id": "15550001111", "authorized": True,
         "connectedprofile_id": 11}]}))
    assert topic["services"][0]["connectedprofile_id"] == 11


def test_topic_names_are_unique_and_streams_not_repeated(api: Api) -> None:
    assert error(api.post("/1001/settings/topics", topic={"name": "Care"})) == (
        400, "invalid_parameter", "a topic named 'Care' already exists (id 1)")
    twice = {"type": "facebook", "username": "rival", "authorized": False}
    assert error(api.post("/1001/settings/topics", topic={"name": "N", "services": [
        twice, {**twice, "username": "RIVAL"}]})) == (
        400, "invalid_parameter", "stream facebook/rival is listed twice")
    assert error(api.post("/1001/settings/topic/1", updates={"name": "X"},
                          options={"services_edit_mode": "merge"}))[1] == "invalid_parameter"


def test_group_limits(api: Api) -> None:
    for index in range(19):
        api.ok(api.post("/1001/settings/profilegroups", profile_group={"name": f"G{index}"}))
    assert error(api.post("/1001/settings/profilegroups", profile_group={"name": "G21"})) == (
        400, "limit_exceeded", "an account can have at most 20 profile groups")
    many = [{"id": i} for i in range(2, 21)]
    two = [{"type": "twitter", "service_id": "Clara"}, {"type": "facebook", "service_id": "clara"}]
    assert error(api.post("/1001/settings/profilegroup/1",
                          updates={"groups": many, "profiles": two})) == (
        400, "limit_exceeded", "a profile group holds at most 20 items; 'EMEA' would hold 21")


def test_group_cycles_names_and_members(api: Api) -> None:
    api.ok(api.post("/1001/settings/profilegroups", profile_group={"name": "UK",
                                                                   "groups": [{"id": 1}]}))
    assert error(api.post("/1001/settings/profilegroup/1", updates={"groups": [{"id": 2}]})) == (
        400, "invalid_parameter",
        "profile group 'EMEA' would contain itself (a cycle: EMEA > UK > EMEA)")
    assert error(api.post("/1001/settings/profilegroups", profile_group={"name": "UK"}))[2] == (
        "a profile group named 'UK' already exists (id 2)")
    assert error(api.post("/1001/settings/profilegroups", profile_group={
        "name": "Z", "profiles": [{"type": "twitter", "service_id": "Rival"}]}))[2] == (
        "profiles[0]: no profile twitter/Rival in this account")
    assert error(api.post("/1001/settings/profilegroups", profile_group={
        "name": "Z", "color": "teal"}))[2] == "color 'teal' is not a hex colour like #00897B"


@pytest.mark.parametrize("url", ["ftp://x.example/a", "linkedin.com/in/a", "https://"])
def test_social_links_must_be_http_urls(api: Api, url: str) -> None:
    response = api.post("/1001/settings/user/1", updates={"social_links": {"linkedin": url}})
    assert error(response) == (
        400, "invalid_parameter", f"social_links.linkedin: {url!r} is not a valid http(s) URL")


def test_users_cannot_be_created(api: Api) -> None:
    assert error(api.post("/1001/settings/users", updates={}))[:2] == (405, "invalid_http_method")
    assert error(api.delete("/1001/settings/profile/twitter/Clara"))[:2] == (
        405, "invalid_http_method")
    assert error(api.post("/1001/settings/flows"))[:2] == (405, "invalid_http_method")
