"""Factories and fixtures for the emulator's tests: a small account, in-process clients over
``httpx.WSGITransport`` and a real loopback server (thread or subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from scsync.emulator import BackgroundServer, Clock, Emulator, open_emulator

START = 1_800_000_000.0  # 2027-01-15T08:00:00Z
ROOT = Path(__file__).resolve().parent.parent
CLARALINES = ROOT / "examples" / "platform" / "claralines.yaml"


def make_fixture(**overrides: Any) -> dict[str, Any]:
    """A small account: two admins and an agent, flows, one owned page per network."""
    doc: dict[str, Any] = {
        "emulator_fixture": 1,
        "account": {"id": 1001, "name": "Test", "features": {"profile_groups": True}},
        "projects": [{"id": 1, "name": "Care"}],
        "users": [
            {"id": 1, "email": "ops@x.example", "name": "Ops", "role": "admin",
             "tokens": [{"token": "admin-token", "refresh_token": "admin-refresh"},
                        {"token": "read-token", "scopes": ["accounts_read"]},
                        {"token": "old-token", "expires": "2026-01-01T00:00:00Z"}]},
            {"id": 2, "email": "alice@x.example", "name": "Alice", "role": "admin"},
            {"id": 3, "email": "agent@x.example", "name": "Agent", "role": "agent",
             "tokens": [{"token": "agent-token"}]},
        ],
        "oauth_clients": [{"client_id": "ci", "client_secret": "s3cret"}],
        "flows": [{"id": 501, "name": "Refund"}, {"id": 502, "name": "CSAT"}],
        "connected_profiles": [
            {"id": 10, "user": 1, "type": "twitter", "service_id": "1", "name": "Ops",
             "pages": [{"type": "twitter", "service_id": "Clara"}]},
            {"id": 11, "user": 2, "type": "whatsapp", "service_id": "2", "name": "Alice",
             "pages": [{"type": "whatsapp", "service_id": "15550001111"}]},
        ],
        "profiles": [
            {"type": "twitter", "service_id": "Clara", "settings": {"color": "#6a1b9a"}},
            {"type": "twitter", "service_id": "ClaraHelp"},
            {"type": "facebook", "service_id": "clara"},
            {"type": "instagram", "service_id": "clara"},
            {"type": "whatsapp", "service_id": "15550001111",
             "settings": {"address": "1 Road", "description": "Us", "vertical": "travel"}},
            {"type": "web", "service_id": "Clara Web"},
        ],
        "public_pages": [{"type": "twitter", "service_id": "Rival", "displayname": "Rival Air"},
                         {"type": "facebook", "service_id": "rival"}],
        "topics": [{"id": 1, "name": "Care", "services": [
            {"type": "twitter", "service_id": "Clara", "authorized": True,
             "connectedprofile_id": 10}]}],
        "profile_groups": [{"id": 1, "name": "EMEA", "color": "#00897b",
                            "profiles": ["twitter/Clara"]}],
    }
    doc.update(overrides)
    return doc


class Api:
    """An httpx client with helpers for the emulator's form encoding and envelope."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def get(self, path: str, token: str | None = "admin-token", **params: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.client.get(path, params=params, headers=headers)

    def post(self, path: str, token: str | None = "admin-token", **form: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in form.items()}
        return self.client.post(path, data=data, headers=headers)

    def delete(self, path: str, token: str | None = "admin-token") -> httpx.Response:
        return self.client.delete(path, headers={"Authorization": f"Bearer {token}"})

    def ok(self, response: httpx.Response) -> Any:
        assert response.status_code == 200, response.text
        return response.json()["response"]

    def control(self, method: str, name: str, body: Any = None) -> Any:
        response = self.client.request(method, f"/_emulator/{name}", json=body)
        assert response.status_code == 200, response.text
        return response.json()


def error(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    assert body["code"] == response.status_code
    return response.status_code, body["error"], body["error_description"]


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def emu(clock: Clock) -> Iterator[Emulator]:
    emulator = open_emulator(":memory:", fixture=make_fixture(), clock=clock)
    yield emulator
    emulator.close()


@pytest.fixture
def api(emu: Emulator) -> Iterator[Api]:
    with httpx.Client(transport=httpx.WSGITransport(app=emu.wsgi),
                      base_url="http://emulator") as client:
        yield Api(client)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Emulator, str]]:
    """A file-backed emulator on an ephemeral loopback port, in a thread."""
    emulator = open_emulator(tmp_path / "p.db", fixture=make_fixture())
    server = BackgroundServer(emulator)
    yield emulator, server.url
    server.stop()
    emulator.close()


def start_process(db: Path, *args: str) -> tuple[subprocess.Popen[str], str, str]:
    """``scsync emulator serve`` in a subprocess: (process, base_url, token)."""
    code = "from scsync.emulator.cli import emulator; emulator()"
    process = subprocess.Popen([sys.executable, "-c", code, "serve", "--db", str(db), *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               cwd=ROOT)
    assert process.stdout is not None
    first, second = process.stdout.readline(), process.stdout.readline()
    if not first.startswith("base_url: "):
        process.kill()
        raise AssertionError(f"serve printed {first!r}: {process.communicate()[1]}")
    return process, first.split(": ", 1)[1].strip(), second.split(": ", 1)[1].strip()


def stop_process(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.communicate(timeout=10)
