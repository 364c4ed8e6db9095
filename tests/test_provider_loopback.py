"""The provider over real loopback HTTP: an unreachable port, dropped connections, and a lost
response to a create (stored by the platform, so it must never be retried blindly)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scsync.errors import TransportError
from scsync.providers.auth import Credentials
from scsync.providers.base import Call
from scsync.providers.http import ApiClient, ClientOptions, RetryPolicy
from scsync.providers.socialconnect import SocialConnectProvider
from scsync.resources import Kind, ResourceKey

emulator = pytest.importorskip("scsync.emulator")
pytestmark = pytest.mark.http

FIXTURE = Path(__file__).resolve().parent.parent / "examples" / "platform" / "claralines.yaml"
TOKEN = "demo-admin-token"


def _client(url: str, sleeps: list[float] | None = None) -> ApiClient:
    sleeps = [] if sleeps is None else sleeps
    return ApiClient(url, Credentials(token=TOKEN),
                     options=ClientOptions(timeout_s=5, retry=RetryPolicy(max_tries=3)),
                     sleep=sleeps.append)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "platform.db"
    emulator.open_emulator(path, fixture=FIXTURE).close()
    return path


@pytest.fixture
def serve(db: Path) -> Iterator[Any]:
    running: list[Any] = []

    def start(**faults: Any) -> str:
        em = emulator.open_emulator(db, faults=faults or None)
        server = emulator.BackgroundServer(em)
        running.append((server, em))
        return str(server.url)

    yield start
    for server, em in running:
        server.stop()
        em.close()


def test_an_unreachable_api() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps: list[float] = []
    with pytest.raises(TransportError) as caught:
        _client(f"http://127.0.0.1:{port}", sleeps).get("/me")
    assert str(caught.value) == f"cannot reach http://127.0.0.1:{port}: connection refused"
    assert len(sleeps) == 2


def test_reads_over_http(serve: Any) -> None:
    provider = SocialConnectProvider(_client(serve()), 1001)
    live = provider.read()
    assert live.reads == 8
    assert live.find(ResourceKey.of(Kind.TOPIC, "Old Campaign")) is not None
    provider.close()


def test_dropped_connections_are_retried_then_reported(serve: Any) -> None:
    url = serve(drop_rate=1.0, seed=3)
    sleeps: list[float] = []
    client = _client(url, sleeps)
    with pytest.raises(TransportError) as caught:
        client.get("/me")
    assert str(caught.value).startswith(f"lost the connection to {url} during GET /me: ")
    assert (client.reads, len(sleeps), caught.value.ambiguous) == (3, 2, False)
    client.close()


def test_a_lost_response_to_a_create_is_ambiguous_and_not_retried(serve: Any) -> None:
    faulty = SocialConnectProvider(_client(serve(lost_response_rate=1.0, seed=3)), 1001)
    call = Call(method="POST", path="/1001/settings/topics", address="topic.Lost",
                action="create", form={"topic": {"name": "Lost"}})
    with pytest.raises(TransportError) as caught:
        faulty.execute(call, {})
    assert caught.value.ambiguous
    assert faulty.client.writes == 1
    faulty.close()
    reader = SocialConnectProvider(_client(serve()), 1001)
    assert reader.read(frozenset({Kind.TOPIC})).find(ResourceKey.of(Kind.TOPIC, "Lost"))
    reader.close()


def test_an_http_platform_loads_no_ca_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CA bundle (``ssl.create_default_context``) is for https platforms only."""
    import ssl

    built: list[str] = []
    real = ssl.create_default_context

    def counting(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        built.append("context")
        return real(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", counting)
    ApiClient("http://127.0.0.1:9", Credentials(token="t")).close()
    assert built == []
    ApiClient("https://api.engagor.com", Credentials(token="t")).close()
    assert built == ["context"]
