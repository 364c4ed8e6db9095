"""The emulator's API in-process (httpx.WSGITransport): every endpoint, the envelope, auth, paging,
history and the /_emulator/ controls."""

from __future__ import annotations

import httpx
import pytest

from scsync.emulator import Clock, Emulator, open_emulator
from tests import emulator_helpers as helpers
from tests.emulator_helpers import START, Api, error, make_fixture

clock, emu, api = helpers.clock, helpers.emu, helpers.api  # the fixtures these tests use


def test_me_describes_the_token_user(api: Api) -> None:
    assert api.ok(api.get("/me")) == {
        "id": 1, "name": "Ops", "email": "ops@x.example",
        "account_role": {"id": 1, "name": "admin"},
        "token": {"expires_at": None, "scopes": ["accounts_read", "accounts_write"]}}


def test_me_accounts_nests_projects_topics_and_monitored_profiles(api: Api) -> None:
    body = api.ok(api.get("/me/accounts"))
    assert body["count"] == 1
    account = body["data"][0]
    assert (account["id"], account["name"], account["features"]) == (
        1001, "Test", {"profile_groups": True})
    assert account["projects"][0]["topics"] == [{
        "id": 1, "name": "Care", "searchkeywords": None,
        "monitoredprofiles": [{"type": "twitter", "username": "Clara", "displayname": "Clara"}]}]


def test_connected_profiles_of_me_and_of_the_account(api: Api) -> None:
    mine = api.ok(api.get("/me/connectedprofiles"))["data"]
    assert [c["id"] for c in mine] == [10]
    everyone = api.ok(api.get("/1001/settings/connectedprofiles"))["data"]
    assert everyone[1] == {"id": 11, "user_id": 2, "type": "whatsapp", "service_id": "2",
                           "name": "Alice", "expired": False, "missing_permissions": [],
                           "pages": [{"type": "whatsapp", "service_id": "15550001111",
                                      "name": "15550001111"}]}


def test_flows_are_listed(api: Api) -> None:
    assert api.ok(api.get("/1001/settings/flows"))["data"] == [
        {"id": 501, "name": "Refund", "enabled": True},
        {"id": 502, "name": "CSAT", "enabled": True}]


def test_profiles_list_and_one_profile_case_insensitively(api: Api) -> None:
    listed = api.ok(api.get("/1001/settings/profiles"))
    assert listed["count"] == 6
    one = api.ok(api.get("/1001/settings/profile/twitter/clara/"))
    assert one["service_id"] == "Clara" and one["settings"]["color"] == "#6a1b9a"
    assert one["settings"]["bio"] is None and one["settings"]["quick_replies"] == []
    assert one["settings"]["bio_urls"] == []
    web = api.ok(api.get("/1001/settings/profile/web/Clara Web"))
    assert set(web["settings"]) == {"color", "allowlisted_domains", "avatar",
                                    "send_flow_on_start", "quick_replies_on_every_message"}
    assert error(api.get("/1001/settings/profile/web/clara web"))[:2] == (404, "not_found")


def test_profile_update_stores_twitter_bio_with_tco_links(api: Api) -> None:
    bio = "Hello https://clarabridge.com/claralines/ and http://x.example/a"
    settings = api.ok(api.post("/1001/settings/profile/twitter/Clara",
                               updates={"bio": bio}))["settings"]
    links = settings["bio_urls"]
    assert [u["expanded_url"] for u in links] == ["https://clarabridge.com/claralines/",
                                                 "http://x.example/a"]
    assert all(u["url"].startswith("https://t.co/") and len(u["url"]) == 23 for u in links)
    assert settings["bio"] == f"Hello {links[0]['url']} and {links[1]['url']}"
    again = api.ok(api.post("/1001/settings/profile/twitter/Clara",
                            updates={"bio": settings["bio"]}))["settings"]
    assert again["bio_urls"] == links


def test_topic_create_read_update_delete(api: Api) -> None:
    created = api.ok(api.post("/1001/settings/topics", topic={
        "name": "Rivals", "searchkeywords": "rival", "services": [
            {"type": "twitter", "username": "rival", "authorized": False}]}))
    assert created == {"id": 2, "name": "Rivals", "project_id": 1, "searchkeywords": "rival",
                       "services": [{"type": "twitter", "service_id": "Rival",
                                     "username": "Rival", "displayname": "Rival Air",
                                     "authorized": False, "connectedprofile_id": None,
                                     "expired": False}]}
    assert api.ok(api.get("/1001/settings/topic/2")) == created
    renamed = api.ok(api.post("/1001/settings/topic/2", updates={"name": "Competitors"}))
    assert renamed["name"] == "Competitors" and renamed["services"] == created["services"]
    assert api.ok(api.delete("/1001/settings/topic/2")) is True
    assert error(api.get("/1001/settings/topic/2")) == (404, "not_found",
                                                        "no topic 2 in this account")


@pytest.mark.parametrize(("path", "message"), [
    ("/1001/settings/topic/99", "no topic 99 in this account"),
    ("/1001/settings/profilegroup/99", "no profile group 99 in this account"),
    ("/1001/settings/user/99", "no user 99 in this account"),
])
def test_an_unknown_id_is_not_found(api: Api, path: str, message: str) -> None:
    assert error(api.get(path)) == (404, "not_found", message)


@pytest.mark.parametrize(("mode", "expected"), [
    ("add", ["twitter/Clara", "facebook/rival"]),
    ("overwrite", ["facebook/rival"]),
    ("delete", ["twitter/Clara"]),
])
def test_services_edit_modes(api: Api, mode: str, expected: list[str]) -> None:
    stream = {"type": "facebook", "service_id": "rival", "authorized": False}
    if mode == "delete":
        api.ok(api.post("/1001/settings/topic/1", updates={"services": [stream]},
                        options={"services_edit_mode": "add"}))
    topic = api.ok(api.post("/1001/settings/topic/1", updates={"services": [stream]},
                            options={"services_edit_mode": mode}))
    assert [f"{s['type']}/{s['service_id']}" for s in topic["services"]] == expected


def test_resending_an_expired_stream_keeps_it_expired(api: Api) -> None:
    assert api.control("POST", "expire", {"type": "twitter", "service_id": "clara"}) == {
        "expired": 1}
    topic = api.ok(api.post("/1001/settings/topic/1", updates={"services": [
        {"type": "twitter", "username": "Clara", "authorized": True, "connectedprofile_id": 10},
        {"type": "facebook", "username": "rival", "authorized": False}]}))
    assert [s["expired"] for s in topic["services"]] == [True, False]


def test_profile_group_create_update_delete(api: Api) -> None:
    created = api.ok(api.post("/1001/settings/profilegroups", profile_group={
        "name": "UK", "color": "#3949AB",
        "profiles": [{"type": "twitter", "service_id": "clara"}]}))
    assert created == {"id": 2, "name": "UK", "color": "#3949AB",
                       "profiles": [{"type": "twitter", "service_id": "Clara"}], "groups": []}
    emea = api.ok(api.post("/1001/settings/profilegroup/1", updates={
        "groups": [{"id": 2}], "profiles": [{"type": "web", "service_id": "Clara Web"}]}))
    assert emea["profiles"] == [{"type": "web", "service_id": "Clara Web"}]
    assert emea["groups"] == [{"id": 2}]
    assert api.ok(api.get("/1001/settings/profilegroup/2"))["name"] == "UK"
    assert api.ok(api.delete("/1001/settings/profilegroup/2")) is True
    assert api.ok(api.get("/1001/settings/profilegroup/1"))["groups"] == []


def test_users_list_read_and_update_social_links(api: Api) -> None:
    assert api.ok(api.get("/1001/settings/users"))["count"] == 3
    user = api.ok(api.post("/1001/settings/user/2", updates={
        "social_links": {"linkedin": "https://linkedin.com/in/alice", "twitter": None}}))
    assert user == {"id": 2, "name": "Alice", "email": "alice@x.example",
                    "account_role": {"id": 1, "name": "admin"},
                    "social_links": {"twitter": None, "facebook": None,
                                     "linkedin": "https://linkedin.com/in/alice",
                                     "instagram": None}}
    demoted = api.ok(api.post("/1001/settings/user/2", updates={"account_role": {"name": "agent"}}))
    assert demoted["account_role"] == {"id": 2, "name": "agent"}
    assert api.ok(api.get("/1001/settings/user/2")) == demoted


def test_paging_walks_every_page_with_opaque_tokens(emu: Emulator, api: Api) -> None:
    for index in range(45):
        api.ok(api.post("/1001/settings/topics", topic={"name": f"T{index:02}"}))
    seen, url, pages = [], "/1001/settings/topics?limit=20&version=20240101", 0
    while url:
        body = api.ok(api.client.get(url, headers={"Authorization": "Bearer admin-token"}))
        assert body["count"] == 46
        seen += [t["name"] for t in body["data"]]
        url, pages = body["paging"]["next_url"], pages + 1
        if url:
            assert url.startswith("http://emulator/1001/settings/topics?")
            assert "version=20240101" in url and "token" not in url.replace("page_token", "")
    assert pages == 3 and seen == ["Care", *(f"T{i:02}" for i in range(45))]


@pytest.mark.parametrize(("limit", "shown"), [("0", "0"), ("-3", "-3"), ("x", "'x'")])
def test_limit_below_one_or_not_an_integer_is_invalid(api: Api, limit: str, shown: str) -> None:
    assert error(api.get("/1001/settings/topics", limit=limit)) == (
        400, "invalid_parameter", f"limit must be a positive integer, got {shown}")


def test_bad_page_token_is_invalid(api: Api) -> None:
    assert error(api.get("/1001/settings/topics", page_token="!!")) == (
        400, "invalid_parameter", "page_token is not a valid page token")


@pytest.mark.parametrize(("token", "description"), [
    (None, "An access token is required."),
    ("nope", "Invalid access token."),
    ("old-token", "The access token has expired."),
])
def test_bad_tokens_are_refused_with_rate_headers(api: Api, token: str | None,
                                                  description: str) -> None:
    response = api.get("/1001/settings/topics", token=token)
    assert error(response) == (403, "no_permission", description)
    assert response.headers["X-RateLimit-Limit"] == "350"


def test_token_in_query_string_is_accepted(api: Api) -> None:
    assert api.ok(api.client.get("/me", params={"access_token": "agent-token"}))["id"] == 3


def test_missing_scope_is_named(api: Api) -> None:
    assert api.ok(api.get("/1001/settings/topics", token="read-token"))["count"] == 1
    assert error(api.post("/1001/settings/topics", token="read-token", topic={"name": "X"})) == (
        403, "no_permission", "The access token lacks the scope accounts_write.")


@pytest.mark.parametrize("path", ["/1001/settings/profiles", "/1001/settings/profile/twitter/Clara",
                                  "/1001/settings/profilegroups"])
def test_profile_manager_refuses_agents(api: Api, path: str) -> None:
    assert error(api.get(path, token="agent-token")) == (
        403, "no_permission", "Only administrators can use the Profile Manager: "
        "agent@x.example is not an administrator.")


def test_agent_cannot_change_roles(api: Api) -> None:
    assert error(api.post("/1001/settings/user/3", token="agent-token",
                          updates={"account_role": "admin"})) == (
        403, "no_permission", "only administrators can change a user's role")


def test_expiry_follows_the_emulator_clock(api: Api, emu: Emulator) -> None:
    assert emu.token_for("agent@x.example") == "agent-token"  # never expires: reused
    token = emu.token_for("alice@x.example")
    assert api.ok(api.get("/me", token=token))["token"]["expires_at"] == "2027-04-15T08:00:00Z"
    api.control("POST", "clock", {"advance_s": 90 * 86400})
    assert error(api.get("/me", token=token))[2] == "The access token has expired."


def test_unknown_paths_accounts_and_methods(api: Api) -> None:
    assert error(api.get("/1001/settings/nothing")) == (
        404, "not_found", "unknown path /1001/settings/nothing")
    assert error(api.get("/999/settings/topics")) == (404, "not_found", "no account 999")
    assert error(api.delete("/1001/settings/users")) == (
        405, "invalid_http_method", "DELETE is not allowed on /1001/settings/users")


def test_form_values_must_be_json_objects_with_known_fields(api: Api) -> None:
    assert error(api.post("/1001/settings/topics", topic="{nope")) == (
        400, "invalid_parameter", "topic is not valid JSON: Expecting property name enclosed "
        "in double quotes")
    assert error(api.post("/1001/settings/topic/1", updates={"colour": 1})) == (
        400, "invalid_parameter", "unknown field 'colour' in updates (expected one of: name, "
        "searchkeywords, services)")
    assert error(api.post("/1001/settings/topic/1")) == (
        400, "invalid_parameter", "missing form field updates")


def test_feature_limit_reached_without_profile_groups(clock: Clock) -> None:
    doc = make_fixture(account={"id": 1001, "name": "T", "features": {"profile_groups": False}})
    emulator = open_emulator(":memory:", fixture=doc, clock=clock)
    with httpx.Client(transport=httpx.WSGITransport(app=emulator.wsgi),
                      base_url="http://e") as client:
        api = Api(client)
        assert error(api.post("/1001/settings/profilegroups", profile_group={"name": "X"})) == (
            400, "feature_limit_reached",
            "profile groups are not available on this account's plan")
    emulator.close()


def test_history_records_every_write_newest_first_with_filters(api: Api) -> None:
    api.ok(api.post("/1001/settings/topic/1", updates={"searchkeywords": "clara"}))
    api.ok(api.post("/1001/settings/profile/twitter/Clara", updates={"color": "#000000"}))
    api.control("POST", "clock", {"advance_s": 3600})
    api.control("POST", "edit", {"user": "alice@x.example",
                                 "object": {"type": "profile", "id": "twitter/Clara"},
                                 "updates": {"name": "Clara"}})
    entries = api.ok(api.get("/1001/settings/history"))["data"]
    assert [e["object"]["type"] for e in entries] == ["profile", "profile", "topic"]
    newest = entries[0]
    assert newest["date"] == "2027-01-15T09:00:00Z"
    assert newest["user"] == {"id": 2, "name": "Alice"} and newest["type"] == "update"
    assert newest["object"] == {"type": "profile", "id": "twitter/Clara", "name": "Clara"}
    assert newest["changes"] == {"name": {"old": None, "new": "Clara"}}
    assert entries[2]["changes"] == {"searchkeywords": {"old": None, "new": "clara"}}
    only_topics = api.ok(api.get("/1001/settings/history", types="topic", topic_ids="1"))
    assert only_topics["count"] == 1
    assert api.ok(api.get("/1001/settings/history", user_id="2"))["count"] == 1
    recent = api.ok(api.get("/1001/settings/history", date_from="2027-01-15T08:30:00Z"))
    assert recent["count"] == 1
    assert api.ok(api.get("/1001/settings/history", date_to=str(int(START))))["count"] == 2
    assert error(api.get("/1001/settings/history", types="flow"))[1] == "invalid_parameter"


@pytest.mark.parametrize(("params", "message"), [
    ({"types": "flow"},
     "unknown history type 'flow' (expected: topic, profile, profilegroup, user)"),
    ({"date_from": "last week"}, "date_from must be an ISO-8601 date or unix seconds"),
    ({"date_to": "soon"}, "date_to must be an ISO-8601 date or unix seconds"),
    ({"topic_ids": "1,two"}, "topic_ids must be a comma-separated list of ids"),
    ({"user_id": "me"}, "user_id must be a comma-separated list of ids"),
])
def test_history_refuses_bad_filters(api: Api, params: dict[str, str], message: str) -> None:
    assert error(api.get("/1001/settings/history", **params)) == (
        400, "invalid_parameter", message)


def test_an_unknown_control_is_not_found(api: Api) -> None:
    response = api.client.get("/_emulator/nothing")
    assert error(response) == (404, "not_found", "no control GET /_emulator/nothing")


def test_controls_call_log_state_and_loopback_only(api: Api, emu: Emulator) -> None:
    api.control("DELETE", "calls")
    api.post("/1001/settings/topics", topic={"name": "Logged"})
    calls = api.control("GET", "calls")
    assert calls == [{"method": "POST", "path": "/1001/settings/topics", "status": 200,
                      "user": "ops@x.example", "time": "2027-01-15T08:00:00Z",
                      "form": {"topic": {"name": "Logged"}}}]
    state = api.control("GET", "state")
    assert state["emulator_fixture"] == 1 and "tokens" not in str(state)
    assert [t["name"] for t in state["topics"]] == ["Care", "Logged"]
    again = open_emulator(":memory:", fixture=state, clock=Clock(START))
    with again.platform.tx() as tx:
        assert [t["name"] for t in tx.all("topics")] == ["Care", "Logged"]
    again.close()
    remote = httpx.Client(transport=httpx.WSGITransport(app=emu.wsgi, remote_addr="10.0.0.5"),
                          base_url="http://e")
    assert error(remote.get("/_emulator/calls")) == (
        403, "no_permission", "emulator controls answer loopback clients only")
    remote.close()


def test_edit_control_applies_rules(api: Api) -> None:
    response = api.client.post("/_emulator/edit", json={
        "user": "ops@x.example", "object": {"type": "profile", "id": "whatsapp/15550001111"},
        "updates": {"address": None}})
    assert error(response) == (400, "invalid_parameter",
                               "address is required for a WhatsApp profile and cannot be cleared")
