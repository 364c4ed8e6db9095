"""build_provider: the provider block's typed settings (validated by config, secrets resolved by
the engine) to a provider; the engine's one conversion from the config model."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from scsync.config import load_config
from scsync.engine import provider_settings
from scsync.errors import AuthError, ProviderError, SecretError
from scsync.providers.factory import build_provider
from scsync.providers.settings import EmulatorSettings, PlatformSettings
from scsync.providers.socialconnect import SocialConnectProvider
from tests.test_provider_helpers import TOKEN, Recorder, ok


def _build(settings: PlatformSettings, rec: Recorder | None = None) -> SocialConnectProvider:
    provider = build_provider(settings, base_dir=Path("."),
                              transport=httpx.MockTransport(rec or Recorder([ok({})])))
    assert isinstance(provider, SocialConnectProvider)
    return provider


def test_socialconnect_from_settings() -> None:
    rec = Recorder([ok({"id": 1})])
    provider = _build(PlatformSettings(account_id=1001, token=TOKEN, version="20240101",
                                       base_url="https://api-us.engagor.com"), rec)
    assert (provider.type_name, provider.account_id) == ("socialconnect", 1001)
    provider.client.get("/me")
    assert str(rec.requests[0].url) == "https://api-us.engagor.com/me?version=20240101"
    assert rec.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN in provider.secrets
    provider.close()


def test_the_default_base_url_is_the_eu_data_centre() -> None:
    rec = Recorder([ok({})])
    _build(PlatformSettings(account_id=1, token=TOKEN), rec).client.get("/me")
    assert str(rec.requests[0].url) == "https://api.engagor.com/me"


def test_a_missing_token() -> None:
    with pytest.raises(AuthError) as caught:
        _build(PlatformSettings(account_id=1, token=""))
    assert str(caught.value) == ("no access token: set provider.token, for example "
                                 "token: ${env:SCSYNC_TOKEN}, or run scsync login")


def test_settings_never_show_a_secret() -> None:
    settings = PlatformSettings(account_id=1, token=TOKEN, refresh_token="r-secret",
                                client_id="c-id", client_secret="c-secret")
    shown = repr(settings)
    assert shown == ("PlatformSettings(account_id=1, base_url='https://api.engagor.com', "
                     "version=None, timeout_s=30.0, verify_tls=True, oauth_url=None, "
                     "token_store=None)")


def test_plain_http_to_a_remote_host_is_refused() -> None:
    with pytest.raises(ProviderError, match=r"^refusing plain http:// for example.com"):
        _build(PlatformSettings(account_id=1, token=TOKEN, base_url="http://example.com"))


def _config(tmp_path: Path, provider: str) -> Path:
    (tmp_path / "scsync.yaml").write_text(f"scsync: 1\nprovider: {provider}\n")
    return tmp_path


def test_the_engine_turns_the_config_block_into_typed_settings(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, (
        "{type: socialconnect, account_id: 1001, token: '${env:T}', "
        "refresh_token: '${env:R}', timeout_s: 5, verify_tls: false}")))
    settings = provider_settings(config, {"T": "tok", "R": "ref"})
    assert settings == PlatformSettings(account_id=1001, token="tok", refresh_token="ref",
                                        timeout_s=5.0, verify_tls=False)
    with pytest.raises(SecretError) as caught:
        provider_settings(config, {"T": "tok"})
    assert str(caught.value) == ("environment variable R is not set (referenced by "
                                 "provider.refresh_token)")


def test_the_engine_turns_an_emulator_block_into_typed_settings(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, (
        "{type: emulator, path: x.db, rate_limit: 350/3600, faults: {error_rate: 0.5}}")))
    settings = provider_settings(config, {})
    assert settings == EmulatorSettings(path="x.db", rate_limit=(350, 3600),
                                        faults={"error_rate": 0.5, "drop_rate": 0,
                                                "lost_response_rate": 0, "slow_rate": 0,
                                                "latency_ms": 0})


def test_the_emulator_provider_acts_as_a_chosen_user(tmp_path: Path) -> None:
    pytest.importorskip("scsync.emulator")
    fixture = Path(__file__).resolve().parent.parent / "examples" / "platform" / "claralines.yaml"
    provider = build_provider(EmulatorSettings(path="sub/platform.db", fixture=str(fixture),
                                               user="alice@claralines.example"),
                              base_dir=tmp_path)
    try:
        assert (tmp_path / "sub" / "platform.db").exists()
        assert provider.type_name == "emulator"
        assert provider.read(frozenset()).me.email == "alice@claralines.example"
    finally:
        provider.close()
