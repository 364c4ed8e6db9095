"""The concurrent read (``ApiClient.prefetch``) and the emulator's pages served from stored JSON:
the same state, calls, counts, errors and rate-limit waits as the sequential read."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scsync.emulator import BackgroundServer, Emulator, open_emulator, profiles
from scsync.emulator.store import RawJSON, Store, dumps
from scsync.emulator.views import PROFILE_FIELDS
from scsync.errors import ProviderError
from scsync.providers.auth import Credentials
from scsync.providers.http import ApiClient, ClientOptions
from scsync.providers.socialconnect import SocialConnectProvider
from tests.test_provider_helpers import (
    RESET,
    FakeTime,
    fail,
    fake_account,
    make_client,
    ok,
    page,
    rate_headers,
)

FIXTURE = Path(__file__).resolve().parent.parent / "examples" / "platform" / "claralines.yaml"
TOKEN = "demo-admin-token"
LISTS = ("flows", "connectedprofiles", "profiles", "topics", "profilegroups", "users")


# ------------------------------------------------------------------ the emulator's raw pages

def test_dumps_inserts_raw_json_verbatim() -> None:
    body = {"a": RawJSON('[{"x":1.50}]'), "b": ["RawJSON", RawJSON("null")], "c": "é"}
    assert dumps(body) == '{"a":[{"x":1.50}],"b":["RawJSON",null],"c":"é"}'
    with pytest.raises(TypeError, match="Object of type set is not JSON serializable"):
        dumps({"s": {1}})


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(["username", "displayname", "extra"]),
                       st.text() | st.none() | st.integers() | st.floats(allow_nan=False,
                                                                        allow_infinity=False)),
       st.recursive(st.none() | st.booleans() | st.text() | st.integers()
                    | st.floats(allow_nan=False, allow_infinity=False),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8))
def test_a_profile_page_from_sqlite_equals_profiles_output(extra: dict[str, Any],
                                                           value: Any) -> None:
    """SQLite copies the stored tokens: the page is byte for byte what ``dumps`` would make."""
    store = Store(":memory:")
    try:
        row = {"id": 7, "type": "twitter", "service_id": "S\n\"é", "username": None,
               "displayname": "D", **extra, "settings": {"v": value}}
        with store.tx(write=True) as tx:
            tx.put("profiles", row, "twitter/s")
            [(ident, text)] = tx.page_raw("profiles", 0, 5, PROFILE_FIELDS)
        assert (ident, text) == (7, dumps(profiles.output(json.loads(dumps(row)))))
    finally:
        store.close()


def test_every_list_serves_what_the_decoding_path_served() -> None:
    emu = open_emulator(":memory:", fixture=FIXTURE)
    try:
        with httpx.Client(transport=httpx.WSGITransport(app=emu.wsgi), base_url="http://e",
                          headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            for table, name in (("flows", "flows"), ("connected_profiles", "connectedprofiles"),
                                ("topics", "topics"), ("profilegroups", "profilegroups"),
                                ("profiles", "profiles")):
                got = client.get(f"/1001/settings/{name}", params={"limit": 2}).json()
                with emu.platform.tx() as tx:
                    rows = tx.all(table)[:2]
                render = profiles.output if table == "profiles" else dict
                assert got["response"]["data"] == [render(r) for r in rows], name
                assert got["response"]["count"] == len(tx_all(emu, table))
    finally:
        emu.close()


def tx_all(emu: Emulator, table: str) -> list[dict[str, Any]]:
    with emu.platform.tx() as tx:
        return tx.all(table)


# ------------------------------------------------------------------ the concurrent read

@pytest.fixture
def served(tmp_path: Path) -> Any:
    emu = open_emulator(tmp_path / "p.db", fixture=FIXTURE)
    server = BackgroundServer(emu)
    yield emu, server.url
    server.stop()
    emu.close()


def _calls(emu: Any) -> list[tuple[str, str]]:
    with emu.platform.tx() as tx:
        rows = tx.conn.execute("SELECT data FROM calls ORDER BY id").fetchall()
    return [(c["method"], c["path"]) for c in (json.loads(r[0]) for r in rows)]


def test_a_loopback_read_equals_the_in_process_read(served: Any) -> None:
    emu, url = served
    loopback = SocialConnectProvider(ApiClient(url, Credentials(token=TOKEN),
                                               options=ClientOptions(timeout_s=10)), 1001)
    in_process = SocialConnectProvider(ApiClient(
        "http://emulator", Credentials(token=TOKEN), options=ClientOptions(in_process=True),
        transport=httpx.WSGITransport(app=emu.wsgi)), 1001)
    fast = loopback.read()
    first = _calls(emu)
    slow = in_process.read()
    assert fast.resources == slow.resources and fast.resources
    assert (fast.flows, fast.connected_profiles, fast.profile_aliases) == (
        slow.flows, slow.connected_profiles, slow.profile_aliases)
    assert fast.reads == slow.reads == 8
    assert first[:2] == [("GET", "/me"), ("GET", "/me/accounts")]
    assert Counter(first) == Counter(_calls(emu)[len(first):])
    assert {path.rsplit("/", 1)[1] for _, path in first[2:]} == set(LISTS)
    loopback.close()
    in_process.close()


def _account_handler(delays: dict[str, float], failing: dict[str, httpx.Response]) -> Any:
    account = fake_account()

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        time.sleep(delays.get(path, 0.0))
        if path in failing:
            return failing[path]
        body = account.get(path, [])
        return ok(page(body) if isinstance(body, list) else body)
    return handler


def test_the_first_error_by_kind_order_is_raised() -> None:
    """users fails first in time, profiles first in kind order: profiles' error is raised."""
    failing = {"/1001/settings/profiles": fail(403, "forbidden", "profiles: admins only"),
               "/1001/settings/users": fail(403, "forbidden", "users: admins only")}
    client = make_client(_account_handler({"/1001/settings/profiles": 0.2}, failing))
    with pytest.raises(ProviderError, match="profiles: admins only"):
        SocialConnectProvider(client, 1001).read()


def test_a_spent_budget_is_waited_for_once_across_threads() -> None:
    """/me/accounts spends the window: the six lists queue behind one wait for its reset."""
    account, clock = fake_account(), FakeTime()
    waits: list[tuple[float, str]] = []
    lock = threading.Lock()
    left = [350]

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        with lock:
            if clock.now <= RESET:
                headers = rate_headers(0 if path == "/me/accounts" else 10, RESET)
            else:
                left[0] -= 1
                headers = rate_headers(left[0], RESET + 3600)
        body = account.get(path, [])
        payload = page(body) if isinstance(body, list) else body
        return httpx.Response(200, json={"meta": {"code": 200}, "response": payload},
                              headers=headers)

    start = clock.now
    client = make_client(handler, time=clock, waits=waits, max_wait_s=7200)
    live = SocialConnectProvider(client, 1001).read()
    assert clock.sleeps == [RESET - start + 2]  # the margin: 1% of the hour, at most 2 s
    assert waits == [(RESET - start + 2, "rate limit reached: 0 of 350 calls left; waiting for "
                                         "the reset at 18:00:00 UTC")]
    assert live.reads == 8
    assert live.rate is not None and live.rate.remaining == 344


def test_concurrent_budgets_keep_the_lowest_remaining_of_a_window() -> None:
    """Answers of one window arriving out of order (9, 7, 8 left): the lowest is kept."""
    answers = iter([9, 7, 8])

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"meta": {"code": 200}, "response": {}},
                              headers=rate_headers(next(answers)))

    client = make_client(handler)
    for _ in range(3):
        client.get("/me")
    assert client.rate is not None and client.rate.remaining == 6  # 7, less the third call


def test_concurrent_reads_never_send_more_calls_than_the_window_has_left() -> None:
    """/me/accounts leaves 2 calls in the window: of the six lists read by four threads, two
    are sent, the rest wait for the reset; the platform never refuses one."""
    account, clock = fake_account(), FakeTime()
    lock = threading.Lock()
    sent: list[tuple[str, bool]] = []
    left = [4]  # /me and /me/accounts take two of them

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        with lock:
            fresh = clock.now > RESET
            if fresh:
                left[0] = max(left[0], 350) - 1
            elif left[0] == 0:
                sent.append((path, False))
                return fail(400, "rate_limit_reached", "Rate limit reached.", remaining=0)
            else:
                left[0] -= 1
            sent.append((path, True))
            headers = rate_headers(left[0], RESET + 3600 if fresh else RESET)
        time.sleep(0.05)  # answered slowly, so that the four threads have calls in flight
        body = account.get(path, [])
        payload = page(body) if isinstance(body, list) else body
        return httpx.Response(200, json={"meta": {"code": 200}, "response": payload},
                              headers=headers)

    client = make_client(handler, time=clock, max_wait_s=7200)
    live = SocialConnectProvider(client, 1001).read()
    assert [ok for _, ok in sent] == [True] * 8
    assert len(clock.sleeps) == 1
    assert live.reads == 8
