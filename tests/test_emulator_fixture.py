"""Fixtures: the ClaraLines example account, the fixture format's shape checks and seeding."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from scsync.emulator import Clock, EmulatorError, open_emulator
from tests.emulator_helpers import CLARALINES, START, Api, make_fixture


@pytest.fixture
def claralines() -> Any:
    emulator = open_emulator(":memory:", fixture=CLARALINES)
    with httpx.Client(transport=httpx.WSGITransport(app=emulator.wsgi),
                      base_url="http://e") as client:
        yield Api(client)
    emulator.close()


def _names(api: Api, path: str, key: str = "name") -> list[Any]:
    return [item[key] for item in api.ok(api.get(path, token="demo-admin-token",
                                                 limit="200"))["data"]]


def test_claralines_is_the_account_of_the_examples_readme(claralines: Api) -> None:
    api = claralines
    account = api.ok(api.get("/me/accounts", token="demo-admin-token"))["data"][0]
    assert (account["id"], account["name"], account["features"]) == (
        1001, "ClaraLines", {"profile_groups": True})
    assert [p["name"] for p in account["projects"]] == ["Care"]
    assert _names(api, "/1001/settings/users", "email") == [
        "ops@claralines.example", "alice@claralines.example", "agent@claralines.example"]
    roles = [u["account_role"]["name"] for u in api.ok(api.get(
        "/1001/settings/users", token="demo-admin-token"))["data"]]
    assert roles == ["admin", "admin", "agent"]
    assert api.ok(api.get("/me", token="demo-agent-token"))["id"] == 3
    flows = api.ok(api.get("/1001/settings/flows", token="demo-admin-token"))["data"]
    assert [(f["id"], f["name"], f["enabled"]) for f in flows] == [
        (501, "Refund", True), (502, "CSAT", True), (503, "Baggage", True),
        (504, "Booking", True), (505, "Welcome", True), (506, "Agent Handoff", False)]
    profiles = api.ok(api.get("/1001/settings/profiles", token="demo-admin-token"))["data"]
    assert [f"{p['type']}/{p['service_id']}" for p in profiles] == [
        "twitter/ClaraLines", "twitter/ClaraLinesHelp", "twitter/ClaraLinesUK",
        "twitter/ClaraLinesDE", "facebook/claralines", "instagram/claralines",
        "whatsapp/15551230000", "web/ClaraLines Web"]
    assert profiles[0]["settings"]["color"] == "#6a1b9a"
    assert _names(api, "/1001/settings/topics") == ["Claralines Care", "Old Campaign"]
    assert _names(api, "/1001/settings/profilegroups") == ["EMEA", "Legacy"]


def test_claralines_connections_and_streams(claralines: Api) -> None:
    api = claralines
    connected = api.ok(api.get("/1001/settings/connectedprofiles", token="demo-admin-token"))
    pages = {(c["user_id"], p["type"], p["service_id"]) for c in connected["data"]
             for p in c["pages"]}
    owned = {("twitter", h) for h in ("ClaraLines", "ClaraLinesHelp", "ClaraLinesUK",
                                      "ClaraLinesDE")}
    owned |= {("facebook", "claralines"), ("instagram", "claralines")}
    assert {(1, *p) for p in owned} <= pages
    assert {(2, "whatsapp", "15551230000"), (2, "web", "ClaraLines Web")} <= pages
    topics = api.ok(api.get("/1001/settings/topics", token="demo-admin-token"))["data"]
    assert not any(s["expired"] for t in topics for s in t["services"])
    for network, handle in (("twitter", "CompetitorAir"), ("facebook", "competitorair"),
                            ("instagram", "skyrivals")):
        created = api.post("/1001/settings/topics", token="demo-admin-token", topic={
            "name": f"probe {network}", "services": [
                {"type": network, "username": handle, "authorized": False}]})
        assert created.status_code == 200, created.text


BAD = [
    ({"emulator_fixture": 2}, "fixture: emulator_fixture: must be 1 (the fixture format version)"),
    ({"extra": 1}, "fixture: extra: unknown section (expected one of: emulator_fixture, clock, "
     "account, projects, users, connected_profiles, profiles, public_pages, flows, topics, "
     "profile_groups, oauth_clients, history)"),
    ({"account": {"id": "x", "name": "A"}}, "fixture: account.id: must be an integer"),
    ({"users": [{"id": 1, "email": "a@b.c"}, {"id": 1, "email": "d@b.c"}]},
     "fixture: users[1]: duplicate id 1"),
    ({"clock": "yesterday"}, "fixture: clock: not an ISO-8601 time"),
    ({"profiles": [{"type": "twitter", "service_id": "A", "settings": {"bio": "x" * 200}}]},
     "fixture: profile twitter/A: bio is 200 characters; Twitter allows 160"),
    ({"profiles": [{"type": "myspace", "service_id": "A"}]},
     "fixture: profiles[0]: unknown type 'myspace'"),
    ({"topics": [{"name": "T", "services": [{"type": "twitter", "username": "ghost",
                                             "authorized": False}]}]},
     "fixture: topics: no public page twitter/ghost"),
    ({"connected_profiles": [{"id": 1, "user": "nobody@x", "type": "twitter",
                              "service_id": "1"}]}, "fixture: unknown user 'nobody@x'"),
]


@pytest.mark.parametrize(("override", "message"), BAD)
def test_bad_fixtures_are_refused_in_one_line(override: dict[str, Any], message: str) -> None:
    with pytest.raises(EmulatorError) as caught:
        open_emulator(":memory:", fixture=make_fixture(**override))
    assert str(caught.value) == message


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(EmulatorError, match=r"cannot read the fixture: No such file"):
        open_emulator(tmp_path / "a.db", fixture=tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("emulator_fixture: [1\n")
    with pytest.raises(EmulatorError, match=r"bad.yaml: not a valid fixture file: "):
        open_emulator(tmp_path / "a.db", fixture=bad)
    assert not (tmp_path / "a.db").exists()


def test_an_unseeded_database_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EmulatorError, match="the database holds no account: seed it from a "
                                            "fixture first"):
        open_emulator(tmp_path / "empty.db")


def test_fixture_flow_names_clock_bio_urls_groups_and_history() -> None:
    doc = make_fixture(
        clock="2027-01-01T00:00:00Z",
        profiles=[{"type": "facebook", "service_id": "clara",
                   "settings": {"ice_breakers": [{"question": "Refund?", "flow": "Refund"}]}},
                  {"type": "twitter", "service_id": "Clara",
                   "settings": {"bio": "See https://t.co/abcdefghij",
                                "bio_urls": [{"url": "https://t.co/abcdefghij",
                                              "expanded_url": "https://x.example"}]}}],
        profile_groups=[{"name": "A", "groups": ["B"]}, {"name": "B", "profiles": [
            {"type": "facebook", "service_id": "CLARA"}]}],
        topics=[], connected_profiles=[],
        history=[{"date": "2026-12-01T00:00:00Z", "user": "alice@x.example", "type": "create",
                  "object": {"type": "topic", "id": 9, "name": "Gone"}}])
    emulator = open_emulator(":memory:", fixture=doc, clock=Clock(START))
    with emulator.platform.tx() as tx:
        assert tx.now == 1798761600.0  # the fixture's clock, not the base clock
        profiles = tx.all("profiles")
        assert profiles[0]["settings"]["ice_breakers"] == [{"question": "Refund?",
                                                            "flow_id": 501}]
        assert profiles[1]["settings"]["bio"] == "See https://t.co/abcdefghij"
        assert [g["groups"] for g in tx.all("profilegroups")] == [[{"id": 2}], []]
        assert tx.all("profilegroups")[1]["profiles"] == [{"type": "facebook",
                                                           "service_id": "clara"}]
        rows = tx.conn.execute("SELECT data FROM history").fetchall()
        assert len(rows) == 1 and '"name":"Alice"' in rows[0][0]
    emulator.close()
