"""Build the provider a config's ``provider:`` block names, from its typed settings with secrets
already resolved (``providers.settings``: the engine resolves ``${env:NAME}``; providers never
import ``scsync.config``).

``type: socialconnect`` talks to the real platform; ``type: emulator`` runs the bundled emulator
in-process through ``httpx.WSGITransport``, so it exercises the very same provider code.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import httpx

from scsync.errors import AuthError, ProviderError
from scsync.providers.auth import Credentials
from scsync.providers.base import Provider
from scsync.providers.http import ApiClient, ClientOptions, NoticeCallback, WaitCallback
from scsync.providers.settings import EmulatorSettings, PlatformSettings, ProviderSettings
from scsync.providers.socialconnect import SocialConnectProvider

EMULATOR_BASE_URL = "http://emulator.local"


class EmulatorProvider(SocialConnectProvider):
    """The Social Connect provider over an in-process emulator (closed with the provider)."""

    type_name: ClassVar[str] = "emulator"


def _credentials(settings: PlatformSettings) -> Credentials:
    if not settings.token:
        raise AuthError("no access token: set provider.token, for example "
                        "token: ${env:SCSYNC_TOKEN}")
    return Credentials(token=settings.token, refresh_token=settings.refresh_token or None,
                       client_id=settings.client_id or None,
                       client_secret=settings.client_secret or None)


def build_provider(settings: ProviderSettings, *, base_dir: Path,
                   on_wait: WaitCallback | None = None, on_notice: NoticeCallback | None = None,
                   max_wait_s: float = 900, transport: httpx.BaseTransport | None = None
                   ) -> Provider:
    """The provider of a ``provider:`` block (socialconnect, or the emulator in-process)."""
    if isinstance(settings, EmulatorSettings):
        return _emulator_provider(settings, base_dir=base_dir, max_wait_s=max_wait_s,
                                  on_wait=on_wait, on_notice=on_notice)
    options = ClientOptions(version=settings.version, timeout_s=settings.timeout_s,
                            verify_tls=settings.verify_tls, in_process=False,
                            max_wait_s=float(max_wait_s))
    client = ApiClient(settings.base_url, _credentials(settings), transport=transport,
                       options=options, on_wait=on_wait, on_notice=on_notice)
    return SocialConnectProvider(client, settings.account_id)


def _emulator_provider(settings: EmulatorSettings, *, base_dir: Path, max_wait_s: float,
                       on_wait: WaitCallback | None, on_notice: NoticeCallback | None
                       ) -> EmulatorProvider:
    from scsync.emulator import EmulatorError, open_emulator  # imported only when used

    db = base_dir / settings.path
    db.parent.mkdir(parents=True, exist_ok=True)
    try:
        emulator = open_emulator(db, fixture=base_dir / settings.fixture if settings.fixture
                                 else None, rate_limit=settings.rate_limit,
                                 faults=dict(settings.faults or {}) or None)
    except EmulatorError as exc:
        raise ProviderError(f"the emulator could not start: {exc}") from None
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
