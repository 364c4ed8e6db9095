"""What a provider is built from: the ``provider:`` block of ``scsync.yaml`` once config has
validated it and the engine has resolved its secrets, as one typed value handed to
``providers.factory`` (config's own models hold ``${env:NAME}`` references, never secrets; providers
never import config). Secrets are left out of every ``repr``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_BASE_URL = "https://api.engagor.com"
DEFAULT_EMULATOR_DB = ".scsync/platform.db"


@dataclass(frozen=True, slots=True)
class PlatformSettings:
    """``type: socialconnect``: the real platform over its REST API."""

    account_id: int
    token: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    refresh_token: str | None = field(default=None, repr=False)
    client_id: str | None = field(default=None, repr=False)
    client_secret: str | None = field(default=None, repr=False)
    version: str | None = None
    timeout_s: float = 30.0
    verify_tls: bool | str = True  # or a CA bundle's path, relative to the config directory
    oauth_url: str | None = None  # the web-app origin of the token endpoint (else derived)
    token_store: str | None = None  # where refreshed tokens are kept (else the cache directory)


@dataclass(frozen=True, slots=True)
class EmulatorSettings:
    """``type: emulator``: the bundled emulator in-process; ``path`` and ``fixture`` are relative
    to the config directory; ``rate_limit`` is ``(calls, seconds)``."""

    path: str = DEFAULT_EMULATOR_DB
    fixture: str | None = None
    user: str | None = None
    account_id: int | None = None
    rate_limit: tuple[int, int] | None = None
    faults: Mapping[str, Any] | None = None
    api: str = "full"  # "public": only the operations with public evidence answer


ProviderSettings = PlatformSettings | EmulatorSettings
