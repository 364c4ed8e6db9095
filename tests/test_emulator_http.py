"""The emulator over real loopback HTTP: endpoints, faults, the shared rate limit across two
processes, persistence across a restart, concurrency and the ``scsync emulator`` commands."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from scsync.emulator import BackgroundServer, Emulator, Faults, open_emulator
from scsync.emulator.cli import emulator as emulator_cli
from tests import emulator_helpers as helpers
from tests.emulator_helpers import (
    CLARALINES,
    Api,
    error,
    make_fixture,
    start_process,
    stop_process,
)

pytestmark = pytest.mark.http
served = helpers.served  # the fixture of a thread-served emulator
AUTH = {"Authorization": "Bearer admin-token"}


def test_endpoints_and_paging_over_http(served: tuple[Emulator, str]) -> None:
    _, url = served
    with httpx.Client(base_url=url, headers=AUTH) as client:
        api = Api(client)
        for index in range(5):
            api.ok(api.post("/1001/settings/topics", topic={"name": f"T{index}"}))
        names, next_url = [], f"{url}/1001/settings/topics?limit=2"
        while next_url:
            assert next_url.startswith(url)
            body = api.ok(client.get(next_url))
            names += [t["name"] for t in body["data"]]
            next_url = body["paging"]["next_url"]
        assert names == ["Care", "T0", "T1", "T2", "T3", "T4"]
        response = client.get("/1001/settings/users/")
        assert response.headers["X-RateLimit-Remaining"] == "341"  # 5 writes, 3 pages, this call


def _faulty(tmp_path: Path, **knobs: object) -> tuple[Emulator, BackgroundServer]:
    emulator = open_emulator(tmp_path / "f.db", fixture=make_fixture(), faults=dict(knobs))
    return emulator, BackgroundServer(emulator)


def test_error_fault_answers_500_but_controls_work(tmp_path: Path) -> None:
    emulator, server = _faulty(tmp_path, error_rate=1.0, seed=1)
    with httpx.Client(base_url=server.url, headers=AUTH) as client:
        assert error(client.get("/me")) == (500, "internal_server_error",
                                            "The server failed (injected fault).")
        assert client.get("/_emulator/calls").json()[0]["status"] == 500
    server.stop()
    emulator.close()


def test_drop_fault_closes_the_connection_without_an_answer(tmp_path: Path) -> None:
    emulator, server = _faulty(tmp_path, drop_rate=1.0)
    with httpx.Client(base_url=server.url, headers=AUTH) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post("/1001/settings/topics", data={"topic": json.dumps({"name": "Dropped"})})
        state = client.get("/_emulator/state").json()
    assert [t["name"] for t in state["topics"]] == ["Care"]
    server.stop()
    emulator.close()


def test_lost_response_stores_the_write_then_drops(tmp_path: Path) -> None:
    emulator, server = _faulty(tmp_path, lost_response_rate=1.0)
    with httpx.Client(base_url=server.url, headers=AUTH) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post("/1001/settings/topics", data={"topic": json.dumps({"name": "Lost"})})
        state = client.get("/_emulator/state").json()
    assert [t["name"] for t in state["topics"]] == ["Care", "Lost"]
    server.stop()
    emulator.close()


def test_slow_fault_delays_the_answer(tmp_path: Path) -> None:
    emulator, server = _faulty(tmp_path, slow_rate=1.0, slow_ms=600)
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=0.2) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.get("/me")
        assert client.get("/_emulator/calls").status_code == 200
    server.stop()
    emulator.close()


def test_seeded_faults_repeat_and_rates_are_checked(tmp_path: Path) -> None:
    def pattern(db: str) -> list[int]:
        emulator = open_emulator(tmp_path / db, fixture=make_fixture(),
                                 faults=Faults(error_rate=0.5, seed=7))
        with httpx.Client(transport=httpx.WSGITransport(app=emulator.wsgi),
                          base_url="http://e", headers=AUTH) as client:
            statuses = [client.get("/me").status_code for _ in range(12)]
        emulator.close()
        return statuses

    first = pattern("a.db")
    assert first == pattern("b.db") and set(first) == {200, 500}
    with pytest.raises(Exception, match="fault error_rate must be between 0 and 1, got 2"):
        Faults(error_rate=2)


def test_rate_limit_is_shared_by_two_processes(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    open_emulator(db, fixture=make_fixture()).close()
    first, url_a, _ = start_process(db, "--rate-limit", "3/3600")
    second, url_b, _ = start_process(db, "--rate-limit", "3/3600")
    try:
        remaining = []
        for url in (url_a, url_b, url_a):
            response = httpx.get(f"{url}/me", headers=AUTH)
            assert response.status_code == 200
            remaining.append(response.headers["X-RateLimit-Remaining"])
        refused = httpx.get(f"{url_b}/me", headers=AUTH)
    finally:
        stop_process(first)
        stop_process(second)
    assert remaining == ["2", "1", "0"]
    assert error(refused)[:2] == (400, "rate_limit_reached")
    assert refused.headers["X-RateLimit-Limit"] == "3"
    assert refused.headers["X-RateLimit-Time"] == "3600"
    assert refused.headers["X-RateLimit-Remaining"] == "0"


def test_rate_window_resets_when_the_clock_advances(tmp_path: Path) -> None:
    emulator = open_emulator(tmp_path / "r.db", fixture=make_fixture(), rate_limit=(1, 60))
    with httpx.Client(transport=httpx.WSGITransport(app=emulator.wsgi), base_url="http://e",
                      headers=AUTH) as client:
        assert client.get("/me").status_code == 200
        assert error(client.get("/me"))[1] == "rate_limit_reached"
        client.post("/_emulator/clock", json={"advance_s": 61})
        ok = client.get("/me")
    assert ok.status_code == 200 and ok.headers["X-RateLimit-Remaining"] == "0"
    emulator.close()


def test_state_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    emulator = open_emulator(db, fixture=make_fixture())
    server = BackgroundServer(emulator)
    httpx.post(f"{server.url}/1001/settings/topics", headers=AUTH,
               data={"topic": json.dumps({"name": "Kept"})})
    server.stop()
    emulator.close()
    again = open_emulator(db, fixture=make_fixture(topics=[]))  # an existing db is not re-seeded
    server = BackgroundServer(again)
    body = httpx.get(f"{server.url}/1001/settings/topics", headers=AUTH).json()["response"]
    server.stop()
    again.close()
    assert [t["name"] for t in body["data"]] == ["Care", "Kept"]


def test_concurrent_writes_are_all_stored(served: tuple[Emulator, str]) -> None:
    _, url = served
    failures: list[str] = []

    def create(index: int) -> None:
        response = httpx.post(f"{url}/1001/settings/topics", headers=AUTH,
                              data={"topic": json.dumps({"name": f"C{index}"})})
        if response.status_code != 200:
            failures.append(response.text)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    body = httpx.get(f"{url}/1001/settings/topics?limit=200", headers=AUTH).json()["response"]
    assert failures == [] and body["count"] == 17
    assert len({t["id"] for t in body["data"]}) == 17


def test_serve_prints_url_and_the_first_admin_token(tmp_path: Path) -> None:
    process, url, token = start_process(tmp_path / "c.db", "--fixture", str(CLARALINES))
    try:
        me = httpx.get(f"{url}/me", headers={"Authorization": f"Bearer {token}"})
    finally:
        stop_process(process)
    assert url.startswith("http://127.0.0.1:") and not url.endswith(":0")
    assert token == "demo-admin-token" and me.json()["response"]["id"] == 1


def test_serve_mints_a_token_when_the_fixture_has_none(tmp_path: Path) -> None:
    fixture = tmp_path / "f.json"
    doc = make_fixture()
    for user in doc["users"]:
        user.pop("tokens", None)
    fixture.write_text(json.dumps(doc))
    process, url, token = start_process(tmp_path / "m.db", "--fixture", str(fixture))
    try:
        me = httpx.get(f"{url}/me", headers={"Authorization": f"Bearer {token}"}).json()
    finally:
        stop_process(process)
    assert me["response"]["token"]["scopes"] == ["accounts_read", "accounts_write"]


def test_seed_command_creates_the_database_once(tmp_path: Path) -> None:
    runner = CliRunner()
    db = tmp_path / "s.db"
    args = ["seed", "--db", str(db), "--fixture", str(CLARALINES)]
    result = runner.invoke(emulator_cli, args)
    assert result.exit_code == 0 and result.output == f"seeded {db} from {CLARALINES}\n"
    again = runner.invoke(emulator_cli, args)
    assert again.exit_code == 1
    assert again.output == (f"Error: {db}: the database already exists; remove it to seed it "
                            "again\n")


def test_seed_command_reports_a_bad_fixture_in_one_line(tmp_path: Path) -> None:
    fixture = tmp_path / "bad.yaml"
    fixture.write_text("emulator_fixture: 1\naccount: {id: 1, name: A}\nusers: [{id: 1}]\n")
    result = CliRunner().invoke(emulator_cli, ["seed", "--db", str(tmp_path / "x.db"),
                                               "--fixture", str(fixture)])
    assert result.exit_code == 1
    assert result.output == f"Error: {fixture}: users[0]: email is required\n"
    assert not (tmp_path / "x.db").exists()


def test_serve_fault_flags_reach_the_server(tmp_path: Path) -> None:
    process, url, token = start_process(tmp_path / "e.db", "--fixture", str(CLARALINES),
                                        "--fault-error-rate", "1", "--fault-seed", "3",
                                        "--latency-ms", "1")
    try:
        failed = httpx.get(f"{url}/me", headers={"Authorization": f"Bearer {token}"})
        control = httpx.get(f"{url}/_emulator/calls")
    finally:
        stop_process(process)
    assert error(failed)[:2] == (500, "internal_server_error")
    assert control.status_code == 200 and control.json()[0]["status"] == 500
