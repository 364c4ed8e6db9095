"""Tokens as the platform issues them: refresh on the web-app origin, the token store that keeps
a rotated refresh token across runs (two refreshes in a row, in two processes), the CI case
without a store, ``scsync login``, and a CA bundle for ``verify_tls``."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
import yaml

from scsync.emulator import BackgroundServer, Emulator, open_emulator
from scsync.errors import AuthError, ProviderError
from scsync.providers.auth import Credentials, Renewal, web_app_origin
from scsync.providers.http import ApiClient
from scsync.providers.tokens import TokenStore, open_store
from tests.cli_support import CLARALINES as FIXTURE
from tests.cli_support import run_process
from tests.test_provider_helpers import (
    BASE,
    CLIENT_SECRET,
    NEW_TOKEN,
    REFRESH,
    TOKEN,
    WEB,
    FakeTime,
    Recorder,
    fail,
    make_client,
    ok,
    refresh_credentials,
)

REFRESH_PATH = "/oauth/access_token/"


@pytest.mark.parametrize(("base_url", "expected"), [
    ("https://api.engagor.com", "https://app.engagor.com"),
    ("https://api-us.engagor.com", "https://us.engagor.com"),
    ("https://api.engagor.com:8443", "https://app.engagor.com:8443"),
    ("http://127.0.0.1:5000", None),
])
def test_the_web_app_origin_is_derived_from_the_api_host(base_url: str,
                                                         expected: str | None) -> None:
    assert web_app_origin(base_url) == expected


def _platform(seen: list[httpx.Request], expired: str) -> Recorder:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == REFRESH_PATH:
            return httpx.Response(200, json={"access_token": NEW_TOKEN, "refresh_token": "r2-x",
                                             "expires_in": 3600, "scope": "accounts_read"})
        if request.headers["Authorization"] == f"Bearer {TOKEN}":
            return fail(403, "no_permission", expired)
        return ok({"id": 1})
    return Recorder([answer])


@pytest.mark.parametrize("description", ["Access token expired", "This token is expired."])
def test_expiry_is_read_from_any_description_that_says_so(tmp_path: Path,
                                                          description: str) -> None:
    seen: list[httpx.Request] = []
    client = make_client(_platform(seen, description), credentials=refresh_credentials(),
                         store=tmp_path / "t.json")
    assert client.get("/me") == {"id": 1}
    assert [r.url.path for r in seen] == ["/me", REFRESH_PATH, "/me"]


def test_a_no_permission_past_the_known_expiry_refreshes(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []
    time = FakeTime()
    credentials = Credentials(token=TOKEN, refresh_token=REFRESH, client_id="client-42",
                              client_secret=CLIENT_SECRET, expires_at=time.now + 10)
    client = make_client(_platform(seen, "Invalid access token."), credentials=credentials,
                         store=tmp_path / "t.json", time=time)
    time.now += 11  # the token's known expiry has passed: refreshed before the call
    assert client.get("/me") == {"id": 1}
    assert [r.url.path for r in seen] == [REFRESH_PATH, "/me"]


def test_an_unexplained_no_permission_is_not_taken_for_expiry(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []
    client = make_client(_platform(seen, "Invalid access token."),
                         credentials=refresh_credentials(), store=tmp_path / "t.json")
    with pytest.raises(AuthError, match="the platform refused GET /me: no_permission: Invalid"):
        client.get("/me")
    assert [r.url.path for r in seen] == ["/me"]


def test_the_store_keeps_the_rotated_tokens_readable_by_the_user_only(tmp_path: Path) -> None:
    store = tmp_path / "cache" / "scsync" / "tokens" / "t.json"
    client = make_client(_platform([], "The access token has expired."),
                         credentials=refresh_credentials(), store=store)
    client.get("/me")
    data = json.loads(store.read_text())
    assert (data["access_token"], data["refresh_token"]) == (NEW_TOKEN, "r2-x")
    assert data["expires_at"] == pytest.approx(FakeTime().now + 3600)
    assert REFRESH not in store.read_text() and CLIENT_SECRET not in store.read_text()
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.parent.stat().st_mode) == 0o700


def test_without_a_store_no_refresh_is_made(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []
    store = open_store(configured=None, key="k", env={"CI": "true"}, repository=tmp_path)
    client = ApiClient(BASE, refresh_credentials(), renewal=Renewal(WEB, store, "x"),
                       transport=httpx.MockTransport(_platform(seen, "Token expired")))
    with pytest.raises(AuthError) as caught:
        client.get("/me")
    assert [r.url.path for r in seen] == ["/me"]
    assert "CI is set and provider.token_store is not" in str(caught.value)


def test_a_store_inside_the_repository_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "config").mkdir()
    with pytest.raises(ProviderError) as caught:
        open_store(configured=str(tmp_path / "tokens.json"), key="k", env={},
                   repository=tmp_path / "config")
    assert str(caught.value) == (
        f"provider.token_store {tmp_path / 'tokens.json'} is inside the config's repository: "
        "tokens must never be committed; choose a path outside it")


def test_the_default_store_is_in_the_user_cache(tmp_path: Path) -> None:
    store = open_store(configured=None, key="k", env={"XDG_CACHE_HOME": str(tmp_path)},
                       repository=tmp_path / "repo")
    assert store.path.parent == tmp_path / "scsync" / "tokens" and store.problem is None
    assert TokenStore(store.path).load() is None


# -- across processes, against the emulator ------------------------------------------------------

SETTINGS = """\
scsync: 1
provider:
  type: socialconnect
  base_url: {url}
  oauth_url: {oauth}
  account_id: 1001
{token}  client_id: ${{env:SC_CLIENT_ID}}
  client_secret: ${{env:SC_CLIENT_SECRET}}
"""
SECRET_ENV = {"SC_TOKEN": "demo-admin-token", "SC_REFRESH": "demo-admin-refresh",
              "SC_CLIENT_ID": "claralines-ci", "SC_CLIENT_SECRET": "demo-client-secret"}


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[tuple[Emulator, BackgroundServer]]:
    doc = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    doc["users"][0]["tokens"][0]["expires"] = "2020-01-01T00:00:00Z"
    emulator = open_emulator(tmp_path / "p.db", fixture=doc)
    server = BackgroundServer(emulator)
    yield emulator, server
    server.stop()
    emulator.close()


def _account(tmp_path: Path, server: BackgroundServer, *, token: bool = True) -> Path:
    root = tmp_path / "account"
    root.mkdir()
    line = "  token: ${env:SC_TOKEN}\n  refresh_token: ${env:SC_REFRESH}\n" if token else ""
    (root / "scsync.yaml").write_text(SETTINGS.format(url=server.url, oauth=server.oauth_url,
                                                      token=line))
    return root


def _advance(server: BackgroundServer, days: int) -> None:
    httpx.post(f"{server.url}/_emulator/clock", json={"advance_s": days * 86400})


def _stored(cache: Path) -> dict[str, str]:
    [path] = (cache / "scsync" / "tokens").glob("*.json")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    return dict(json.loads(path.read_text()))


def _token_calls(server: BackgroundServer) -> list[dict[str, object]]:
    """The calls the emulator's token endpoint received (as its call log records them)."""
    calls = httpx.get(f"{server.url}/_emulator/calls").json()
    return [{k: c[k] for k in ("method", "path", "status", "grant")} for c in calls
            if c.get("origin") == "web"]


def _shown(result: object) -> str:
    return f"{getattr(result, 'stdout', '')}{getattr(result, 'stderr', '')}"


def test_two_refreshes_in_a_row_across_two_processes(
        tmp_path: Path, platform: tuple[Emulator, BackgroundServer]) -> None:
    _, server = platform
    root, cache = _account(tmp_path, server), tmp_path / "cache"
    env = {**SECRET_ENV, "XDG_CACHE_HOME": str(cache)}
    first = run_process(["plan", "-C", str(root)], env=env)
    assert first.returncode == 0, first.stderr
    assert "access token expired; refreshed it and kept the new tokens in" in first.stderr
    once = _stored(cache)
    _advance(server, 91)  # the refreshed token expires too; its refresh token was rotated
    second = run_process(["plan", "-C", str(root)], env=env)
    assert second.returncode == 0, second.stderr
    assert "access token expired; refreshed it and kept the new tokens in" in second.stderr
    twice = _stored(cache)
    assert twice["refresh_token"] not in (once["refresh_token"], "demo-admin-refresh")
    assert _token_calls(server) == [
        {"method": "GET", "path": REFRESH_PATH, "status": 200, "grant": "refresh_token"}] * 2
    shown = _shown(first) + _shown(second)
    for secret in (*SECRET_ENV.values(), *once.values(), *twice.values()):
        if isinstance(secret, str) and len(secret) > 8:
            assert secret not in shown


def test_on_ci_without_a_store_the_run_stops_and_says_how_to_renew(
        tmp_path: Path, platform: tuple[Emulator, BackgroundServer]) -> None:
    _, server = platform
    root, cache = _account(tmp_path, server), tmp_path / "cache"
    env = {**SECRET_ENV, "XDG_CACHE_HOME": str(cache), "CI": "true"}
    result = run_process(["plan", "-C", str(root)], env=env)
    assert result.returncode == 1
    assert result.stderr == (
        "error: the access token has expired and scsync will not refresh it here: the platform "
        "replaces the refresh token on every refresh and this run could not keep the new one "
        "(CI is set and provider.token_store is not: a CI runner's cache does not outlive the "
        "job). Renew the secret: run `scsync login` where a token store can be kept and set the "
        "new access token in SC_TOKEN (a CI secret), or set provider.token_store to a file "
        "outside the repository that persists between runs\n")
    assert not cache.exists() and _token_calls(server) == []
    still = httpx.get(f"{server.oauth_url}{REFRESH_PATH}", params={
        "grant_type": "refresh_token", "refresh_token": "demo-admin-refresh",
        "client_id": "claralines-ci", "client_secret": "demo-client-secret"})
    assert still.status_code == 200  # the refresh token was not spent


def test_login_stores_tokens_that_the_next_run_uses(
        tmp_path: Path, platform: tuple[Emulator, BackgroundServer]) -> None:
    _, server = platform
    root, cache = _account(tmp_path, server, token=False), tmp_path / "cache"
    env = {k: v for k, v in SECRET_ENV.items() if k in ("SC_CLIENT_ID", "SC_CLIENT_SECRET")}
    env["XDG_CACHE_HOME"] = str(cache)
    code = httpx.post(f"{server.url}/_emulator/oauth-code",
                      json={"client_id": "claralines-ci"}).json()["code"]
    login = run_process_input(["login", "-C", str(root)], env=env, input=f"{code}\n")
    assert login.returncode == 0, login.stderr
    lines = login.stdout.splitlines()
    assert lines[0] == ("Open this address, sign in and grant access; the web app then shows a "
                        "code:")
    assert lines[1].startswith(f"  {server.oauth_url}/oauth/authorize/?client_id=claralines-ci"
                               "&response_type=code&state=")
    [path] = (cache / "scsync" / "tokens").glob("*.json")
    assert lines[2].startswith(f"Logged in as ops@claralines.example; the tokens are kept in "
                               f"{path} (the access token works until ")
    stored = _stored(cache)
    assert _token_calls(server) == [{"method": "GET", "path": REFRESH_PATH, "status": 200,
                                     "grant": "authorization_code"}]
    plan = run_process(["plan", "-C", str(root)], env=env)
    assert plan.returncode == 0, plan.stderr
    for secret in (stored["access_token"], stored["refresh_token"], "demo-client-secret", code):
        assert secret not in _shown(login) + _shown(plan)


def test_login_with_a_spent_code_says_to_log_in_again(
        tmp_path: Path, platform: tuple[Emulator, BackgroundServer]) -> None:
    _, server = platform
    root = _account(tmp_path, server, token=False)
    env = {"SC_CLIENT_ID": "claralines-ci", "SC_CLIENT_SECRET": "demo-client-secret"}
    result = run_process_input(["login", "-C", str(root)], env=env,
                               input=f"{server.oauth_url}/done?code=emc-spent&state=x\n")
    assert result.returncode == 1
    assert result.stderr.endswith(
        "error: the web app refused the authorization code: no_permission: Invalid or expired "
        "authorization code.; run scsync login again for a new code (a code works once, for a "
        "few minutes)\n")
    assert "demo-client-secret" not in result.stdout + result.stderr


def test_login_refuses_where_tokens_cannot_be_kept(
        tmp_path: Path, platform: tuple[Emulator, BackgroundServer]) -> None:
    _, server = platform
    root = _account(tmp_path, server, token=False)
    env = {"SC_CLIENT_ID": "claralines-ci", "SC_CLIENT_SECRET": "demo-client-secret",
           "CI": "true"}
    result = run_process(["login", "-C", str(root)], env=env)
    assert (result.returncode, result.stderr) == (1, (
        "error: scsync login cannot keep the tokens: CI is set and provider.token_store is not: "
        "a CI runner's cache does not outlive the job\n"))


def run_process_input(args: list[str], *, env: dict[str, str],
                      input: str) -> subprocess.CompletedProcess[str]:
    """``python -m scsync ARGS`` with ``input`` on stdin (not a terminal)."""
    full_env = {**os.environ, **env}
    return subprocess.run([sys.executable, "-m", "scsync", *args], env=full_env, input=input,
                          capture_output=True, text=True, timeout=60, check=False)


# -- verify_tls: a CA bundle -----------------------------------------------------------------

def test_verify_tls_takes_a_ca_bundle(tmp_path: Path) -> None:
    trustme = pytest.importorskip("trustme")
    from scsync.emulator.tls import self_signed

    context, ca_file = self_signed(tmp_path)
    emulator = open_emulator(tmp_path / "tls.db", fixture=FIXTURE)
    server = BackgroundServer(emulator, tls=context)
    try:
        root = tmp_path / "account"
        root.mkdir()
        (root / "scsync.yaml").write_text(
            f"scsync: 1\nprovider:\n  type: socialconnect\n  base_url: {server.url}\n"
            f"  account_id: 1001\n  token: ${{env:SC_TOKEN}}\n  verify_tls: {ca_file}\n")
        result = run_process(["snapshot", "-C", str(root), "-o", str(tmp_path / "s.yaml")],
                             env={"SC_TOKEN": "demo-admin-token"})
    finally:
        server.stop()
        emulator.close()
    assert trustme is not None and server.url.startswith("https://")
    assert result.returncode == 0, result.stderr
    assert "emulator_fixture: 1" in (tmp_path / "s.yaml").read_text()


def test_the_query_string_of_a_token_request_is_not_logged(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    seen: list[httpx.Request] = []
    client = make_client(_platform(seen, "The access token has expired."),
                         credentials=refresh_credentials(), store=tmp_path / "t.json")
    client.get("/me")
    assert parse_qs(seen[1].url.query.decode())["client_secret"] == [CLIENT_SECRET]
    for secret in (CLIENT_SECRET, REFRESH, NEW_TOKEN, TOKEN):
        assert secret not in caplog.text


def test_a_ca_bundle_that_cannot_be_read_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "scsync.yaml").write_text(
        "scsync: 1\nprovider:\n  type: socialconnect\n  base_url: https://api.engagor.com\n"
        "  account_id: 1001\n  token: ${env:SC_TOKEN}\n  verify_tls: certs/missing.pem\n")
    result = run_process(["plan", "-C", str(tmp_path)], env={"SC_TOKEN": "t"})
    assert (result.returncode, result.stderr) == (1, (
        f"error: provider.verify_tls: cannot use {tmp_path / 'certs/missing.pem'} as a CA "
        "bundle: No such file or directory\n"))
