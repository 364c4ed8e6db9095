"""build_provider: the provider block (secrets already resolved) to a provider."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from scsync.errors import AuthError, ProviderError
from scsync.providers.factory import build_provider, parse_rate_limit
from scsync.providers.socialconnect import SocialConnectProvider
from tests.test_provider_helpers import TOKEN, Recorder, ok


def _build(settings: dict[str, object], rec: Recorder | None = None) -> SocialConnectProvider:
    provider = build_provider(settings, base_dir=Path("."),
                              transport=httpx.MockTransport(rec or Recorder([ok({})])))
    assert isinstance(provider, SocialConnectProvider)
    return provider


def test_socialconnect_from_settings() -> None:
    rec = Recorder([ok({"id": 1})])
    provider = _build({"type": "socialconnect", "base_url": "https://api-us.engagor.com",
                       "account_id": "1001", "token": TOKEN, "version": "20240101"}, rec)
    assert (provider.type_name, provider.account_id) == ("socialconnect", 1001)
    provider.client.get("/me")
    assert str(rec.requests[0].url) == "https://api-us.engagor.com/me?version=20240101"
    assert rec.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN in provider.secrets
    provider.close()


def test_the_default_base_url_is_the_eu_data_centre() -> None:
    rec = Recorder([ok({})])
    _build({"account_id": 1, "token": TOKEN}, rec).client.get("/me")
    assert str(rec.requests[0].url) == "https://api.engagor.com/me"


def test_a_missing_token() -> None:
    with pytest.raises(AuthError) as caught:
        _build({"type": "socialconnect", "account_id": 1, "token": ""})
    assert str(caught.value) == ("no access token: set provider.token, for example "
                                 "token: ${env:SCSYNC_TOKEN}")


def test_a_bad_account_id_and_type() -> None:
    with pytest.raises(ProviderError, match=r"^provider.account_id must be the account's number "
                                            r"\(got 'abc'\)$"):
        _build({"account_id": "abc", "token": TOKEN})
    with pytest.raises(ProviderError, match=r"^unknown provider type 'ftp'; expected "
                                            r"socialconnect or emulator$"):
        _build({"type": "ftp"})


def test_plain_http_to_a_remote_host_is_refused() -> None:
    with pytest.raises(ProviderError, match=r"^refusing plain http:// for example.com"):
        _build({"base_url": "http://example.com", "account_id": 1, "token": TOKEN})


def test_rate_limit_settings() -> None:
    assert parse_rate_limit("350/3600") == (350, 3600)
    assert parse_rate_limit("20") == (20, 3600)
    assert parse_rate_limit([5, 60]) == (5, 60)
    assert parse_rate_limit(None) is None
    with pytest.raises(ProviderError, match=r"^provider.rate_limit 'x/y' must be CALLS/SECONDS"):
        parse_rate_limit("x/y")


def test_the_emulator_provider_acts_as_a_chosen_user(tmp_path: Path) -> None:
    pytest.importorskip("scsync.emulator")
    fixture = Path(__file__).resolve().parent.parent / "examples" / "platform" / "claralines.yaml"
    provider = build_provider({"type": "emulator", "path": "sub/platform.db",
                               "fixture": str(fixture), "user": "alice@claralines.example"},
                              base_dir=tmp_path)
    try:
        assert (tmp_path / "sub" / "platform.db").exists()
        assert provider.type_name == "emulator"
        assert provider.read(frozenset()).me.email == "alice@claralines.example"
    finally:
        provider.close()
