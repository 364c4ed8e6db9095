"""The emulator answers calls made the way public clients of the real API make them
(platform-api.md, "Evidence from public clients"): POST parameters in the query string,
``DELETE`` of a user, ``limit=99999``, keyword searches among monitored profiles, a whole-second
rate-limit reset, the OAuth token endpoint on the web-app origin (GET with query parameters, the
authorization-code grant) and paging through ``https://`` ``next_url``s."""

from __future__ import annotations

import json
import math
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from scsync.emulator import BackgroundServer, Clock, Emulator, open_emulator
from tests import emulator_helpers as helpers
from tests.emulator_helpers import ROOT, START, Api, error, make_fixture

clock, emu, api = helpers.clock, helpers.emu, helpers.api  # the fixtures these tests use
AUTH = {"Authorization": "Bearer admin-token"}
CLIENT = {"client_id": "ci", "client_secret": "s3cret"}


def test_post_parameters_in_the_query_string_with_an_empty_body(api: Api) -> None:
    topic = json.dumps({"name": "From the query", "searchkeywords": "clara"})
    response = api.client.post(f"/1001/settings/topics?topic={topic}", headers=AUTH)
    assert api.ok(response)["name"] == "From the query"
    calls = api.control("GET", "calls")
    assert calls[-1]["form"] == {"topic": {"name": "From the query", "searchkeywords": "clara"}}


def test_a_body_field_wins_over_the_query_string(api: Api) -> None:
    response = api.client.post("/1001/settings/topic/1?updates=" + json.dumps({"name": "Query"}),
                               data={"updates": json.dumps({"name": "Body"})}, headers=AUTH)
    assert api.ok(response)["name"] == "Body"


def test_a_raw_json_body_stays_refused(api: Api) -> None:
    response = api.client.post("/1001/settings/topics", json={"topic": {"name": "JSON"}},
                               headers=AUTH)
    assert error(response) == (400, "invalid_parameter", "missing form field topic")


def test_delete_user_answers_true_and_removes_the_user(api: Api) -> None:
    assert error(api.delete("/1001/settings/user/2", token="agent-token")) == (
        403, "no_permission", "only administrators can remove a user from the account")
    assert api.ok(api.delete("/1001/settings/user/3")) is True
    assert error(api.get("/me", token="agent-token")) == (
        403, "no_permission", "Invalid access token.")
    assert [u["id"] for u in api.ok(api.get("/1001/settings/users"))["data"]] == [1, 2]
    assert error(api.delete("/1001/settings/user/3")) == (
        404, "not_found", "no user 3 in this account")
    assert error(api.delete("/1001/settings/user/1")) == (
        400, "invalid_parameter", "a user cannot remove themselves from the account")
    history = api.ok(api.get("/1001/settings/history", types="user"))["data"]
    assert (history[0]["type"], history[0]["object"]) == (
        "delete", {"type": "user", "id": 3, "name": "Agent"})


def test_a_limit_above_the_maximum_is_capped(api: Api) -> None:
    accounts = api.ok(api.get("/me/accounts", limit="99999"))
    assert (accounts["count"], accounts["data"][0]["id"]) == (1, 1001)
    topics = api.ok(api.get("/1001/settings/topics", limit="99999"))
    assert topics["count"] == 1 and topics["paging"]["next_url"] is None


def test_me_accounts_pages_by_ten_by_default(clock: Clock) -> None:
    from scsync.emulator import paging, views

    assert views.ACCOUNTS_LIMIT == 10
    assert paging.limit_of({}, default=views.ACCOUNTS_LIMIT) == 10
    assert paging.limit_of({"limit": "99999"}) == paging.MAX_LIMIT == 200


def test_me_accounts_lists_a_keyword_search_as_a_monitored_profile(api: Api) -> None:
    api.ok(api.post("/1001/settings/topic/1", updates={"searchkeywords": "clara OR claralines"}))
    account = api.ok(api.get("/me/accounts"))["data"][0]
    assert account["projects"][0]["topics"][0]["monitoredprofiles"] == [
        {"type": "twitter", "username": "Clara", "displayname": "Clara"},
        {"type": "keywordsearch", "username": None, "displayname": "Care",
         "searchkeywords": "clara OR claralines"}]


def test_rate_limit_reset_is_the_whole_second_at_or_after_the_window_end() -> None:
    """A window starts on the whole second of its first call, so it ends on a whole second and
    ``X-RateLimit-Reset`` is exactly its end (never a fraction, never before it)."""
    start = START + 0.25
    emulator = open_emulator(":memory:", fixture=make_fixture(), clock=Clock(start),
                             rate_limit=(1, 60))
    with httpx.Client(transport=httpx.WSGITransport(app=emulator.wsgi), base_url="http://e",
                      headers=AUTH) as client:
        ok, refused = client.get("/me"), client.get("/me")
    emulator.close()
    assert ok.headers["X-RateLimit-Reset"] == str(math.floor(start) + 60) == str(int(START) + 60)
    assert refused.headers["X-RateLimit-Reset"] == str(int(START) + 60)
    assert error(refused)[2] == ("Rate limit of 1 calls per 60 s reached; the window resets at "
                                 f"{int(START) + 60}.")


# -- OAuth on the web-app origin -------------------------------------------------------------

@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[Emulator, BackgroundServer]]:
    emulator = open_emulator(tmp_path / "o.db", fixture=make_fixture())
    server = BackgroundServer(emulator)
    yield emulator, server
    server.stop()
    emulator.close()


def test_refresh_with_get_and_query_parameters_rotates_the_refresh_token(
        web: tuple[Emulator, BackgroundServer]) -> None:
    _, server = web
    assert server.oauth_url != server.url
    params = {**CLIENT, "grant_type": "refresh_token", "refresh_token": "admin-refresh"}
    answer = httpx.get(f"{server.oauth_url}/oauth/access_token/", params=params)
    body = answer.json()
    assert answer.status_code == 200
    assert sorted(body) == ["access_token", "expires_in", "refresh_token", "scope", "token_type"]
    assert (body["expires_in"], body["scope"]) == (90 * 86400, "accounts_read accounts_write")
    me = httpx.get(f"{server.url}/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["response"]["id"] == 1
    old = httpx.get(f"{server.oauth_url}/oauth/access_token/", params=params)
    assert error(old) == (403, "no_permission", "Invalid refresh token.")
    again = httpx.post(f"{server.oauth_url}/oauth/access_token/",  # a POST form works too
                       data={**params, "refresh_token": body["refresh_token"]})
    assert again.status_code == 200 and again.json()["refresh_token"] != body["refresh_token"]


def test_the_token_endpoint_is_not_on_the_api_origin(
        web: tuple[Emulator, BackgroundServer]) -> None:
    _, server = web
    params = {**CLIENT, "grant_type": "refresh_token", "refresh_token": "admin-refresh"}
    answer = httpx.get(f"{server.url}/oauth/access_token/", params=params, headers=AUTH)
    assert error(answer) == (404, "not_found", "unknown path /oauth/access_token")


@pytest.mark.parametrize(("params", "expected"), [
    ({"grant_type": "password"}, (400, "invalid_parameter",
                                  "grant_type must be one of refresh_token, authorization_code")),
    ({"grant_type": "refresh_token", "refresh_token": "admin-refresh", "client_id": "ci"},
     (400, "invalid_parameter", "missing client_secret")),
    ({**CLIENT, "client_secret": "nope", "grant_type": "refresh_token",
      "refresh_token": "admin-refresh"}, (403, "no_permission", "Invalid client credentials.")),
    ({**CLIENT, "grant_type": "authorization_code", "code": "emc-made-up"},
     (403, "no_permission", "Invalid or expired authorization code.")),
])
def test_the_token_endpoint_refuses_bad_grants(web: tuple[Emulator, BackgroundServer],
                                               params: dict[str, str],
                                               expected: tuple[int, str, str]) -> None:
    _, server = web
    assert error(httpx.get(f"{server.oauth_url}/oauth/access_token/", params=params)) == expected


def test_an_authorization_code_is_exchanged_once(web: tuple[Emulator, BackgroundServer]) -> None:
    _, server = web
    minted = httpx.post(f"{server.url}/_emulator/oauth-code",
                        json={"client_id": "ci", "user": "alice@x.example"})
    code = minted.json()["code"]
    params = {**CLIENT, "grant_type": "authorization_code", "code": code}
    body = httpx.get(f"{server.oauth_url}/oauth/access_token/", params=params).json()
    me = httpx.get(f"{server.url}/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["response"]["email"] == "alice@x.example"
    assert error(httpx.get(f"{server.oauth_url}/oauth/access_token/", params=params))[2] == (
        "Invalid or expired authorization code.")
    unknown = httpx.post(f"{server.url}/_emulator/oauth-code", json={"client_id": "nope"})
    assert error(unknown) == (400, "invalid_parameter", "unknown client_id 'nope'")


# -- TLS on loopback ---------------------------------------------------------------------------

def test_an_https_only_client_pages_through_next_url(tmp_path: Path) -> None:
    db = tmp_path / "tls.db"
    emulator = open_emulator(db, fixture=make_fixture())
    with httpx.Client(transport=httpx.WSGITransport(app=emulator.wsgi), base_url="http://e",
                      headers=AUTH) as local:
        for index in range(4):
            Api(local).ok(Api(local).post("/1001/settings/topics", topic={"name": f"T{index}"}))
    emulator.close()
    code = "from scsync.emulator.cli import emulator; emulator()"
    process = subprocess.Popen([sys.executable, "-c", code, "serve", "--db", str(db),
                                "--tls-self-signed"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert process.stdout is not None
        banner = dict(process.stdout.readline().strip().split(": ", 1) for _ in range(4))
        assert sorted(banner) == ["base_url", "ca_file", "oauth_url", "token"]
        assert banner["base_url"].startswith("https://127.0.0.1:")
        assert banner["oauth_url"].startswith("https://127.0.0.1:")
        names = _https_client_pages(banner["base_url"], banner["ca_file"])
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"{banner['base_url']}/me", headers=AUTH)  # the system CAs do not know it
    finally:
        process.terminate()
        process.communicate(timeout=10)
    assert names == ["Care", "T0", "T1", "T2", "T3"]


def _https_client_pages(base_url: str, ca_file: str) -> list[str]:
    """Page the way an https-only client does: a next_url not starting with https:// would be
    taken as a path under the base URL."""
    context = ssl.create_default_context(cafile=ca_file)
    names: list[str] = []
    with httpx.Client(verify=context, headers=AUTH) as client:
        url: str | None = f"{base_url}/1001/settings/topics?limit=2"
        while url:
            assert url.startswith("https://")
            body = client.get(url).json()["response"]
            names += [t["name"] for t in body["data"]]
            url = body["paging"]["next_url"]
    return names


def test_tls_options_are_checked(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from scsync.emulator.cli import emulator as emulator_cli

    pem = tmp_path / "x.pem"
    pem.write_text("not a certificate")
    runner = CliRunner()
    alone = runner.invoke(emulator_cli, ["serve", "--db", str(tmp_path / "a.db"),
                                         "--tls-cert", str(pem)])
    assert alone.exit_code == 2 and "--tls-cert and --tls-key go together" in alone.output
    bad = runner.invoke(emulator_cli, ["serve", "--db", str(tmp_path / "a.db"),
                                       "--tls-cert", str(pem), "--tls-key", str(pem)])
    assert bad.exit_code == 1
    assert bad.output.startswith(f"Error: cannot load the TLS certificate {pem} with key {pem}: ")


def test_tls_from_a_certificate_and_key(tmp_path: Path) -> None:
    trustme = pytest.importorskip("trustme")
    from scsync.emulator.tls import from_files

    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1")
    cert, key, ca_file = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    ca.cert_pem.write_to_path(str(ca_file))
    emulator = open_emulator(tmp_path / "c.db", fixture=make_fixture())
    server = BackgroundServer(emulator, tls=from_files(cert, key))
    try:
        context = ssl.create_default_context(cafile=str(ca_file))
        me = httpx.get(f"{server.url}/me", headers=AUTH, verify=context)
        refreshed = httpx.get(f"{server.oauth_url}/oauth/access_token/", verify=context, params={
            **CLIENT, "grant_type": "refresh_token", "refresh_token": "admin-refresh"})
    finally:
        server.stop()
        emulator.close()
    assert server.url.startswith("https://") and server.oauth_url.startswith("https://")
    assert me.json()["response"]["id"] == 1 and refreshed.status_code == 200
