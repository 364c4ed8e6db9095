"""Build the provider a config's ``provider:`` block names, from its typed settings with secrets
already resolved (``providers.settings``: the engine resolves ``${env:NAME}``; providers never
import ``scsync.config``).

``type: socialconnect`` talks to the real platform; ``type: emulator`` runs the bundled emulator
in-process through ``httpx.WSGITransport``, so it exercises the very same provider code.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import ClassVar

import httpx

from scsync.errors import AuthError, ProviderError
from scsync.providers import tokens
from scsync.providers.auth import (
    Credentials,
    Renewal,
    source_of,
    stored_credentials,
    web_app_origin,
)
from scsync.providers.base import Provider
from scsync.providers.http import ApiClient, ClientOptions, NoticeCallback, WaitCallback
from scsync.providers.settings import (
    DEFAULT_EMULATOR_DB,
    EmulatorSettings,
    PlatformSettings,
    ProviderSettings,
)
from scsync.providers.socialconnect import SocialConnectProvider

EMULATOR_BASE_URL = "http://emulator.local"


class EmulatorProvider(SocialConnectProvider):
    """The Social Connect provider over an in-process emulator (closed with the provider)."""

    type_name: ClassVar[str] = "emulator"


def renewal_of(settings: PlatformSettings, *, base_dir: Path, env: Mapping[str, str]) -> Renewal:
    """Where the provider's tokens are renewed and kept (``oauth_url``, ``token_store``)."""
    oauth_url = settings.oauth_url or web_app_origin(settings.base_url)
    key = f"{settings.base_url}|{settings.account_id}|{settings.client_id or ''}"
    store = tokens.open_store(configured=settings.token_store, key=key, env=env,
                              repository=base_dir)
    return Renewal(oauth_url, store, source_of(settings.token or None, settings.refresh_token))


def _credentials(settings: PlatformSettings, renewal: Renewal) -> Credentials:
    """The configured credentials, or the stored ones descending from the same secret."""
    configured = Credentials(token=settings.token, refresh_token=settings.refresh_token or None,
                             client_id=settings.client_id or None,
                             client_secret=settings.client_secret or None)
    stored = renewal.store.load() if renewal.store is not None else None
    credentials = stored_credentials(configured, stored, renewal.source)
    if not credentials.token:
        raise AuthError("no access token: set provider.token, for example "
                        "token: ${env:SCSYNC_TOKEN}, or run scsync login")
    for name in ("token", "refresh_token", "client_id", "client_secret"):
        value = getattr(credentials, name)
        if value and not _sendable(value):
            raise AuthError(f"provider.{name} holds a character that cannot be sent in an HTTP "
                            "header (a space, a control character or a non-ASCII letter); "
                            "check the value it is set to (it is not shown)")
    return credentials


def _sendable(value: str) -> bool:
    """Whether a credential is visible ASCII (what a token, an id or a secret is made of)."""
    return all("!" <= char <= "~" for char in value)


def client_options(settings: PlatformSettings, *, base_dir: Path,
                   max_wait_s: float = 900) -> ClientOptions:
    """The HTTP options of a socialconnect provider block (timeout, TLS verification)."""
    return ClientOptions(version=settings.version, timeout_s=settings.timeout_s,
                         verify_tls=_verify(settings.verify_tls, base_dir), in_process=False,
                         max_wait_s=float(max_wait_s))


def _verify(value: bool | str, base_dir: Path) -> bool | ssl.SSLContext:
    """``verify_tls``: a flag, or a CA bundle's path (relative to the config directory)."""
    if not isinstance(value, str):
        return bool(value)
    path = base_dir / os.path.expanduser(value)
    try:
        return ssl.create_default_context(cafile=str(path))
    except (OSError, ssl.SSLError) as exc:
        raise ProviderError(f"provider.verify_tls: cannot use {path} as a CA bundle: "
                            f"{getattr(exc, 'strerror', None) or exc}") from None


def build_provider(settings: ProviderSettings, *, base_dir: Path,
                   on_wait: WaitCallback | None = None, on_notice: NoticeCallback | None = None,
                   max_wait_s: float = 900, transport: httpx.BaseTransport | None = None,
                   env: Mapping[str, str] | None = None) -> Provider:
    """The provider of a ``provider:`` block (socialconnect, or the emulator in-process);
    ``env`` (default the process's) locates the token store."""
    if isinstance(settings, EmulatorSettings):
        return _emulator_provider(settings, base_dir=base_dir, max_wait_s=max_wait_s,
                                  on_wait=on_wait, on_notice=on_notice)
    renewal = renewal_of(settings, base_dir=base_dir, env=os.environ if env is None else env)
    client = ApiClient(settings.base_url, _credentials(settings, renewal), transport=transport,
                       options=client_options(settings, base_dir=base_dir, max_wait_s=max_wait_s),
                       on_wait=on_wait, on_notice=on_notice, renewal=renewal)
    return SocialConnectProvider(client, settings.account_id)


def _emulator_provider(settings: EmulatorSettings, *, base_dir: Path, max_wait_s: float,
                       on_wait: WaitCallback | None, on_notice: NoticeCallback | None
                       ) -> EmulatorProvider:
    import sqlite3  # the emulator's store: imported only when used, as the emulator is

    from scsync.emulator import EmulatorError, open_emulator

    path = settings.path
    db = base_dir / path
    if path.endswith(("/", "\\")) or db.is_dir():
        raise ProviderError(f"provider.path {path!r} is a directory; name the database file "
                            f"(e.g. {DEFAULT_EMULATOR_DB})")
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
        emulator = open_emulator(db, fixture=base_dir / settings.fixture if settings.fixture
                                 else None, rate_limit=settings.rate_limit,
                                 faults=dict(settings.faults or {}) or None, api=settings.api)
    except EmulatorError as exc:
        raise ProviderError(f"the emulator could not start: {exc}") from None
    except (OSError, sqlite3.Error) as exc:
        raise ProviderError(f"the emulator could not open its database {path!r} "
                            f"(provider.path): {exc}") from None
    close: Callable[[], None] = emulator.close
    try:
        token = emulator.token_for(settings.user)
        client = ApiClient(EMULATOR_BASE_URL, Credentials(token=token),
                           options=ClientOptions(in_process=True, max_wait_s=float(max_wait_s)),
                           transport=httpx.WSGITransport(app=emulator.wsgi),
                           on_wait=on_wait, on_notice=on_notice)
        return EmulatorProvider(client, settings.account_id or emulator.account_id,
                                on_close=close)
    except BaseException:
        close()
        raise
