"""The provider's HTTP layer over httpx.MockTransport: auth header, paging, same origin, plain http,
retries and backoff, rate-limit waits, error mapping and token refresh."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from scsync.errors import (
    AuthError,
    NotFoundError,
    PlatformRejected,
    ProviderError,
    RateLimitError,
    ServerError,
    TokenExpiredError,
    TransportError,
)
from scsync.providers.http import RetryPolicy
from tests.test_provider_helpers import (
    BASE,
    CLIENT_SECRET,
    NEW_TOKEN,
    REFRESH,
    RESET,
    T0,
    TOKEN,
    WEB,
    FakeTime,
    Recorder,
    fail,
    make_client,
    ok,
    page,
    rate_headers,
    refresh_credentials,
)

# -- requests ------------------------------------------------------------------------------------


def test_token_only_in_the_authorization_header_and_version_pinned() -> None:
    rec = Recorder([ok({"id": 1})])
    client = make_client(rec, version="20240101")
    assert client.get("/me") == {"id": 1}
    request = rec.requests[0]
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert str(request.url) == f"{BASE}/me?version=20240101"
    assert TOKEN not in str(request.url)
    assert (client.reads, client.writes) == (1, 0)


def test_post_form_values_are_json_encoded() -> None:
    rec = Recorder([ok(True)])
    client = make_client(rec)
    client.post("/1001/settings/topic/7", {"updates": {"name": "A"}, "options": {"x": 1}})
    request = rec.requests[0]
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = parse_qs(request.content.decode())
    assert form == {"updates": ['{"name": "A"}'], "options": ['{"x": 1}']}
    assert (client.reads, client.writes) == (0, 1)


def test_paging_follows_next_url_with_limit_200() -> None:
    rec = Recorder([ok(page([1, 2], f"{BASE}/1001/settings/topics?page_token=abc&limit=200")),
                    ok(page([3], None))])
    client = make_client(rec)
    assert client.get_all("/1001/settings/topics") == [1, 2, 3]
    urls = [str(r.url) for r in rec.requests]
    assert urls == [f"{BASE}/1001/settings/topics?limit=200",
                    f"{BASE}/1001/settings/topics?page_token=abc&limit=200"]
    assert client.reads == 2


def test_a_plain_list_response_is_one_page() -> None:
    client = make_client(Recorder([ok([{"id": 1}, {"id": 2}])]))
    assert client.get_all("/1001/settings/flows") == [{"id": 1}, {"id": 2}]


def test_a_paging_loop_is_an_error_not_an_endless_read() -> None:
    again = f"{BASE}/1001/settings/topics?page_token=abc&limit=200"
    rec = Recorder([ok(page([1], again)), ok(page([2], again))])
    client = make_client(rec)
    with pytest.raises(ProviderError) as caught:
        client.get_all("/1001/settings/topics")
    assert str(caught.value) == "the platform's paging of /1001/settings/topics loops"
    assert len(rec.requests) == 2


def test_next_url_to_another_origin_is_refused() -> None:
    rec = Recorder([ok(page([1], "https://evil.example/steal?page_token=x"))])
    client = make_client(rec)
    with pytest.raises(ProviderError) as caught:
        client.get_all("/1001/settings/topics")
    assert str(caught.value) == ("refusing to follow https://evil.example/steal: it is not on "
                                 "https://api.engagor.com")
    assert len(rec.requests) == 1


def test_next_url_on_another_port_is_refused() -> None:
    client = make_client(Recorder([ok(page([1], "https://api.engagor.com:8443/x"))]))
    with pytest.raises(ProviderError, match="refusing to follow https://api.engagor.com:8443/x"):
        client.get_all("/1001/settings/topics")


def test_a_token_in_next_url_is_never_sent_in_a_url() -> None:
    rec = Recorder([ok(page([1], f"{BASE}/t?page_token=p&access_token=leak")), ok(page([2]))])
    make_client(rec).get_all("/t")
    assert str(rec.requests[1].url) == f"{BASE}/t?page_token=p"


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:9", "http://[::1]:80",
                                 "http://127.1.2.3"])
def test_plain_http_is_allowed_on_loopback(url: str) -> None:
    rec = Recorder([ok({"id": 1})])
    make_client(rec, base_url=url).get("/me")
    assert len(rec.requests) == 1


def test_plain_http_is_refused_elsewhere() -> None:
    with pytest.raises(ProviderError) as caught:
        make_client(Recorder([ok({})]), base_url="http://api.engagor.com")
    assert str(caught.value) == ("refusing plain http:// for api.engagor.com: use https:// "
                                 "(plain http is allowed only on loopback)")


def test_plain_http_is_allowed_in_process() -> None:
    rec = Recorder([ok({"id": 1})])
    make_client(rec, base_url="http://emulator.local", in_process=True).get("/me")
    assert str(rec.requests[0].url) == "http://emulator.local/me"


def test_tls_verification_may_be_off_only_on_loopback() -> None:
    make_client(Recorder([ok({})]), base_url="https://127.0.0.1:8443", verify_tls=False)
    with pytest.raises(ProviderError) as caught:
        make_client(Recorder([ok({})]), verify_tls=False)
    assert str(caught.value) == ("refusing verify_tls: false for api.engagor.com: "
                                 "TLS verification may be turned off only on loopback")


# -- retries -------------------------------------------------------------------------------------


def test_5xx_is_retried_with_exponential_backoff() -> None:
    time, waits = FakeTime(), []
    rec = Recorder([fail(500, "internal_server_error", "boom"),
                    fail(503, "internal_server_error", "boom"), ok({"id": 1})])
    client = make_client(rec, time=time, waits=waits)
    assert client.get("/me") == {"id": 1}
    assert time.sleeps == [0.5, 1.0]
    assert waits[0] == (0.5, "the platform failed GET /me: internal_server_error: boom; "
                             "retrying in 0.5 s (try 2 of 5)")
    assert client.reads == 3


def test_backoff_is_capped_and_jittered_then_gives_up() -> None:
    time = FakeTime()
    rec = Recorder([fail(500, "internal_server_error", "boom")])
    client = make_client(rec, time=time, retry=RetryPolicy(max_tries=7, base_s=1, cap_s=4),
                         jitter=0.0)
    with pytest.raises(ServerError) as caught:
        client.get("/me")
    assert time.sleeps == [0.5, 1.0, 2.0, 2.0, 2.0, 2.0]
    assert len(rec.requests) == 7
    assert str(caught.value) == "the platform failed GET /me: internal_server_error: boom"
    assert caught.value.response is not None
    assert caught.value.response.status == 500
    assert not caught.value.ambiguous


def test_a_create_is_not_retried_after_a_5xx() -> None:
    time = FakeTime()
    rec = Recorder([fail(500, "internal_server_error", "boom"), ok({"id": 9})])
    client = make_client(rec, time=time)
    with pytest.raises(ServerError) as caught:
        client.post("/1001/settings/topics", {"topic": {"name": "A"}}, idempotent=False)
    assert caught.value.ambiguous
    assert len(rec.requests) == 1
    assert time.sleeps == []


def test_an_update_is_retried_after_a_5xx() -> None:
    rec = Recorder([fail(502, "internal_server_error", "boom"), ok(True)])
    client = make_client(rec)
    assert client.post("/1001/settings/topic/1", {"updates": {}}) is True
    assert len(rec.requests) == 2


def test_a_create_is_not_retried_after_a_dropped_connection() -> None:
    rec = Recorder([httpx.ReadError("connection reset by peer"), ok({"id": 9})])
    client = make_client(rec)
    with pytest.raises(TransportError) as caught:
        client.post("/1001/settings/topics", {"topic": {"name": "A"}}, idempotent=False)
    assert caught.value.ambiguous
    assert str(caught.value) == ("lost the connection to https://api.engagor.com during "
                                 "POST /1001/settings/topics: connection reset by peer")
    assert len(rec.requests) == 1


def test_a_create_that_never_connected_is_retried() -> None:
    rec = Recorder([httpx.ConnectError("[Errno 111] Connection refused"), ok({"id": 9})])
    client = make_client(rec)
    assert client.post("/1001/settings/topics", {"topic": {}}, idempotent=False) == {"id": 9}
    assert len(rec.requests) == 2


def test_unreachable_api() -> None:
    time = FakeTime()
    rec = Recorder([httpx.ConnectError("[Errno 111] Connection refused")])
    client = make_client(rec, time=time)
    with pytest.raises(TransportError) as caught:
        client.get("/me")
    assert str(caught.value) == "cannot reach https://api.engagor.com: connection refused"
    assert not caught.value.ambiguous
    assert len(rec.requests) == 5
    assert time.sleeps == [0.5, 1.0, 2.0, 4.0]


def test_timeouts_are_retried_and_reported() -> None:
    rec = Recorder([httpx.ReadTimeout("read timed out")])
    with pytest.raises(TransportError) as caught:
        make_client(rec, retry=RetryPolicy(max_tries=2)).get("/me")
    assert str(caught.value) == ("lost the connection to https://api.engagor.com during GET /me: "
                                 "timed out")
    assert len(rec.requests) == 2


@pytest.mark.parametrize("error", ["invalid_parameter", "limit_exceeded", "feature_limit_reached",
                                   "unsupported_type"])
def test_client_errors_are_never_retried(error: str) -> None:
    rec = Recorder([fail(400, error, "Topic name already exists")])
    client = make_client(rec)
    with pytest.raises(PlatformRejected) as caught:
        client.post("/1001/settings/topics", {"topic": {"name": "A"}}, idempotent=False)
    assert str(caught.value) == (f"the platform refused POST /1001/settings/topics: {error}: "
                                 "Topic name already exists")
    assert caught.value.response is not None
    assert (caught.value.response.status, caught.value.response.error_id) == (400, error)
    assert caught.value.response.path == "/1001/settings/topics"
    assert len(rec.requests) == 1


def test_not_found_and_no_permission_are_typed() -> None:
    client = make_client(Recorder([fail(404, "not_found", "No such topic.")]))
    with pytest.raises(NotFoundError, match=r"^the platform refused GET /1001/settings/topic/9: "
                                            r"not_found: No such topic\.$"):
        client.get("/1001/settings/topic/9?x=1")
    client = make_client(Recorder([fail(403, "no_permission", "Invalid access token.")]))
    with pytest.raises(AuthError) as caught:
        client.get("/me")
    assert str(caught.value) == "the platform refused GET /me: no_permission: Invalid access token."
    assert type(caught.value) is AuthError


def test_an_unreadable_answer_is_an_error() -> None:
    client = make_client(Recorder([httpx.Response(200, text="<html>", headers=rate_headers())]))
    with pytest.raises(ProviderError, match="^the platform sent an unreadable answer to GET /me$"):
        client.get("/me")


# -- rate limit ----------------------------------------------------------------------------------


def test_rate_limit_reached_waits_for_the_reset_then_retries() -> None:
    time, waits = FakeTime(now=RESET - 30), []
    rec = Recorder([fail(400, "rate_limit_reached", "Rate limit reached.", remaining=0),
                    ok({"id": 1})])
    client = make_client(rec, time=time, waits=waits)
    assert client.get("/me") == {"id": 1}
    # 30 s to the reset, plus a margin of 1% of the hour's window, at most 2 s
    assert waits == [(32.0, "rate limit reached: 0 of 350 calls left; waiting for the reset at "
                            "18:00:00 UTC")]
    assert time.sleeps == [32.0]
    assert len(rec.requests) == 2


def test_rate_limit_beyond_max_wait_is_an_error() -> None:
    time, waits = FakeTime(), []
    rec = Recorder([fail(400, "rate_limit_reached", "Rate limit reached.", remaining=0)])
    client = make_client(rec, time=time, waits=waits, max_wait_s=900)
    with pytest.raises(RateLimitError) as caught:
        client.get("/me")
    assert str(caught.value) == ("rate limit reached: 0 of 350 calls left until 18:00:00 UTC; "
                                 "re-run then or raise --max-wait")
    assert caught.value.reset_at == RESET
    assert (waits, time.sleeps, len(rec.requests)) == ([], [], 1)


def test_a_spent_window_is_waited_out_before_the_next_call() -> None:
    time, waits = FakeTime(now=RESET - 100), []
    rec = Recorder([ok({"id": 1}, remaining=0), ok({"id": 2})])
    client = make_client(rec, time=time, waits=waits)
    client.get("/me")
    assert client.rate is not None and client.rate.remaining == 0
    assert client.get("/me") == {"id": 2}
    assert time.sleeps == [102.0]
    assert len(rec.requests) == 2


@pytest.mark.parametrize(("window", "margin"), [("2", 0.02), ("60", 0.6), ("3600", 2.0)])
def test_the_margin_after_a_reset_is_a_share_of_the_window(window: str, margin: float) -> None:
    time = FakeTime(now=RESET - 1)
    spent = ok({"id": 1}, remaining=0)
    spent.headers["X-RateLimit-Time"] = window
    client = make_client(Recorder([spent, ok({"id": 2})]), time=time)
    client.get("/me")
    client.get("/me")
    assert time.sleeps == [pytest.approx(1 + margin)]


def test_a_spent_window_beyond_max_wait_sends_nothing() -> None:
    rec = Recorder([ok({"id": 1}, remaining=0)])
    client = make_client(rec, max_wait_s=60)
    client.get("/me")
    with pytest.raises(RateLimitError, match="^rate limit reached: 0 of 350 calls left until "
                                             "18:00:00 UTC; re-run then or raise --max-wait$"):
        client.get("/me")
    assert len(rec.requests) == 1


def test_rate_budget_is_kept_from_headers() -> None:
    client = make_client(Recorder([ok({}, remaining=12)]))
    client.get("/me")
    assert client.rate is not None
    assert (client.rate.limit, client.rate.remaining, client.rate.reset_at,
            client.rate.window_s) == (350, 12, RESET, 3600)


def test_a_far_reset_shows_its_date() -> None:
    rec = Recorder([fail(400, "rate_limit_reached", "x", remaining=0, reset=T0 + 2 * 86400)])
    with pytest.raises(RateLimitError, match="until 2026-11-24 17:00:00 UTC;"):
        make_client(rec).get("/me")


# -- tokens --------------------------------------------------------------------------------------


def test_an_expired_token_without_refresh_credentials() -> None:
    rec = Recorder([fail(403, "no_permission", "The access token has expired.")])
    with pytest.raises(TokenExpiredError) as caught:
        make_client(rec).get("/me")
    assert str(caught.value) == (
        "the access token has expired; create a new one in Social Connect (Account settings > "
        "API) and set it in SCSYNC_TOKEN, or configure refresh_token, client_id and "
        "client_secret to refresh it automatically")
    assert len(rec.requests) == 1


def _refreshing_platform(seen: list[httpx.Request]) -> Recorder:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/oauth/access_token/":
            return httpx.Response(200, json={"access_token": NEW_TOKEN, "refresh_token": "r2-xyz1",
                                             "expires_in": 7776000, "token_type": "bearer"})
        if request.headers["Authorization"] == f"Bearer {TOKEN}":
            return fail(403, "no_permission", "The access token has expired.")
        return ok({"id": 1})
    return Recorder([answer])


def test_an_expired_token_is_refreshed_once_and_used_from_then_on(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []
    notices: list[str] = []
    store = tmp_path / "tokens.json"
    client = make_client(_refreshing_platform(seen), credentials=refresh_credentials(),
                         notices=notices, store=store)
    assert client.get("/me") == {"id": 1}
    assert client.get("/1001/settings/flows") == {"id": 1}
    assert notices == [f"access token expired; refreshed it and kept the new tokens in {store}"]
    refresh = seen[1]
    assert (refresh.method, refresh.url.copy_with(query=None)) == (
        "GET", httpx.URL(f"{WEB}/oauth/access_token/"))
    assert "Authorization" not in refresh.headers and refresh.content == b""
    assert parse_qs(refresh.url.query.decode()) == {
        "grant_type": ["refresh_token"], "refresh_token": [REFRESH], "client_id": ["client-42"],
        "client_secret": [CLIENT_SECRET]}
    after = [r.headers.get("Authorization") for r in (seen[2], seen[3])]
    assert after == [f"Bearer {NEW_TOKEN}"] * 2
    assert len(seen) == 4
    assert {TOKEN, NEW_TOKEN, REFRESH, "r2-xyz1", CLIENT_SECRET} <= set(client.secrets)
    assert client.refreshes == 1


def test_a_refused_refresh_is_one_clear_error_without_secrets(tmp_path: Path) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/access_token/":
            return fail(400, "invalid_grant", f"Bad refresh token {REFRESH}")
        return fail(403, "no_permission", "The access token has expired.")
    with pytest.raises(AuthError) as caught:
        make_client(Recorder([answer]), credentials=refresh_credentials(),
                    store=tmp_path / "t.json").get("/me")
    assert str(caught.value) == (
        "the access token has expired and refreshing it failed: invalid_grant: Bad refresh "
        "token ***; create a new token in Social Connect (Account settings > API) and set it in "
        "SCSYNC_TOKEN, or renew the configured refresh_token (or run `scsync login`)")


def test_a_token_still_expired_after_refresh_is_not_refreshed_again(tmp_path: Path) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/access_token/":
            return httpx.Response(200, json={"access_token": NEW_TOKEN})
        return fail(403, "no_permission", "The access token has expired.")
    rec = Recorder([answer])
    with pytest.raises(TokenExpiredError):
        make_client(rec, credentials=refresh_credentials(), store=tmp_path / "t.json").get("/me")
    assert [r.url.path for r in rec.requests] == ["/me", "/oauth/access_token/", "/me"]


def test_request_bodies_are_json_per_field_even_for_nested_refs() -> None:
    rec = Recorder([ok({"id": 5})])
    make_client(rec).post("/1001/settings/profilegroups",
                          {"profile_group": {"name": "EMEA", "groups": [{"id": 3}]}},
                          idempotent=False)
    form = parse_qs(rec.requests[0].content.decode())
    assert json.loads(form["profile_group"][0]) == {"name": "EMEA", "groups": [{"id": 3}]}


def test_parallel_calls_refresh_the_token_once(tmp_path: Path) -> None:
    barrier = threading.Barrier(2, timeout=5)
    refreshes: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/access_token/":
            refreshes.append(request.url.path)
            return httpx.Response(200, json={"access_token": NEW_TOKEN})
        if request.headers["Authorization"] == f"Bearer {TOKEN}":
            barrier.wait()  # both calls were sent with the old token
            return fail(403, "no_permission", "The access token has expired.")
        return ok({"id": 1})

    client = make_client(Recorder([answer]), credentials=refresh_credentials(),
                         store=tmp_path / "t.json")
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(client.get("/me")))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert results == [{"id": 1}, {"id": 1}]
    assert refreshes == ["/oauth/access_token/"]
