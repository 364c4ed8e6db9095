"""A planted token must appear nowhere: not in exception text, reprs, log records (DEBUG), wait
reasons or notices, whatever the platform or the network does."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable

import httpx
import pytest

from scsync.errors import ScsyncError
from scsync.providers.http import RetryPolicy
from scsync.providers.socialconnect import SocialConnectProvider
from tests.test_provider_helpers import (
    BASE,
    CLIENT_SECRET,
    NEW_TOKEN,
    REFRESH,
    TOKEN,
    Recorder,
    fail,
    make_client,
    ok,
    page,
    refresh_credentials,
)

SECRETS = (TOKEN, REFRESH, CLIENT_SECRET, NEW_TOKEN)


def _echo(status: int, error: str) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        return fail(status, error, f"bad header {request.headers['Authorization']} {REFRESH}")
    return answer


SCENARIOS: dict[str, list[object]] = {
    "rejected-echo": [_echo(400, "invalid_parameter")],
    "auth-echo": [_echo(403, "no_permission")],
    "server-echo": [_echo(500, "internal_server_error")],
    "not-found-echo": [_echo(404, "not_found")],
    "connect": [httpx.ConnectError(f"refused for {TOKEN}")],
    "read": [httpx.ReadError(f"reset {TOKEN}")],
    "rate": [fail(400, "rate_limit_reached", f"spent {TOKEN}", remaining=0)],
    "foreign-next": [ok(page([1], f"https://evil.example/{TOKEN}?access_token={TOKEN}"))],
    "refresh-refused": [lambda r: (fail(400, "invalid_grant", f"{REFRESH} {CLIENT_SECRET}")
                                   if r.url.path.startswith("/oauth") else
                                   fail(403, "no_permission", "The access token has expired."))],
}


def _texts(error: BaseException) -> list[str]:
    return [str(error), repr(error), "".join(traceback.format_exception(error)),
            repr(getattr(error, "response", None))]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_no_secret_in_any_output(name: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    waits: list[tuple[float, str]] = []
    notices: list[str] = []
    client = make_client(Recorder(list(SCENARIOS[name])), credentials=refresh_credentials(),
                         waits=waits, notices=notices, max_wait_s=10,
                         retry=RetryPolicy(max_tries=2))
    provider = SocialConnectProvider(client, 1001)
    with pytest.raises(ScsyncError) as caught:
        client.get_all("/1001/settings/topics")
    outputs = [*_texts(caught.value), repr(client), repr(provider), repr(client._credentials),
               *(r for _, r in waits), *notices, caplog.text,
               *(str(r.args) for r in caplog.records)]
    for secret in SECRETS:
        assert all(secret not in text for text in outputs), (secret, name)


def test_the_refreshed_token_is_never_shown(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    notices: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/oauth"):
            return httpx.Response(200, json={"access_token": NEW_TOKEN})
        if request.headers["Authorization"] == f"Bearer {TOKEN}":
            return fail(403, "no_permission", "The access token has expired.")
        return fail(400, "invalid_parameter", f"echo {request.headers['Authorization']}")

    client = make_client(Recorder([answer]), credentials=refresh_credentials(), notices=notices)
    with pytest.raises(ScsyncError) as caught:
        client.get("/me")
    assert str(caught.value) == "the platform refused GET /me: invalid_parameter: echo Bearer ***"
    for text in (*_texts(caught.value), *notices, caplog.text):
        assert NEW_TOKEN not in text and TOKEN not in text


def test_secrets_are_listed_for_the_cli_boundary() -> None:
    provider = SocialConnectProvider(make_client(Recorder([ok({})]),
                                                 credentials=refresh_credentials()), 1001)
    assert set(provider.secrets) >= {TOKEN, REFRESH, CLIENT_SECRET}
    assert BASE in repr(provider.client)
