"""Build the provider a config's ``provider:`` block names, from plain values whose secrets are
already resolved (the engine resolves ``${env:NAME}``; providers never import ``scsync.config``).

``type: socialconnect`` talks to the real platform; ``type: emulator`` runs the bundled emulator
in-process through ``httpx.WSGITransport``, so it exercises the very same provider code.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import httpx

from scsync.errors import AuthError, ProviderError
from scsync.providers.auth import Credentials
from scsync.providers.base import Provider
from scsync.providers.http import ApiClient, ClientOptions, NoticeCallback, WaitCallback
from scsync.providers.socialconnect import SocialConnectProvider

DEFAULT_BASE_URL = "https://api.engagor.com"
DEFAULT_EMULATOR_DB = ".scsync/platform.db"
EMULATOR_BASE_URL = "http://emulator.local"


class EmulatorProvider(SocialConnectProvider):
    """The Social Connect provider over an in-process emulator (closed with the provider)."""

    type_name: ClassVar[str] = "emulator"


def _optional_text(settings: Mapping[str, Any], name: str) -> str | None:
    value = settings.get(name)
    return str(value) if value not in (None, "") else None


def _account_id(settings: Mapping[str, Any]) -> int:
    value = settings.get("account_id")
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ProviderError("provider.account_id must be the account's number "
                            f"(got {value!r})") from None


_SECRET_FIELDS = ("token", "refresh_token", "client_id", "client_secret")


def _credentials(settings: Mapping[str, Any]) -> Credentials:
    token = _optional_text(settings, "token")
    if token is None:
        raise AuthError("no access token: set provider.token, for example "
                        "token: ${env:SCSYNC_TOKEN}")
    for name in _SECRET_FIELDS:
        value = _optional_text(settings, name)
        if value is not None and not _sendable(value):
            raise AuthError(f"provider.{name} holds a character that cannot be sent in an HTTP "
                            "header (a space, a control character or a non-ASCII letter); "
                            "check the value it is set to (it is not shown)")
    return Credentials(token=token, refresh_token=_optional_text(settings, "refresh_token"),
                       client_id=_optional_text(settings, "client_id"),
                       client_secret=_optional_text(settings, "client_secret"))


def _sendable(value: str) -> bool:
    """Whether a credential is visible ASCII (what a token, an id or a secret is made of)."""
    return all("!" <= char <= "~" for char in value)


def _options(settings: Mapping[str, Any], *, max_wait_s: float, in_process: bool) -> ClientOptions:
    version = _optional_text(settings, "version")
    timeout = settings.get("timeout", settings.get("timeout_s"))
    return ClientOptions(version=version, timeout_s=float(timeout or 30.0),
                         verify_tls=bool(settings.get("verify_tls", True)),
                         in_process=in_process, max_wait_s=float(max_wait_s))


def build_provider(settings: Mapping[str, Any], *, base_dir: Path,
                   on_wait: WaitCallback | None = None, on_notice: NoticeCallback | None = None,
                   max_wait_s: float = 900, transport: httpx.BaseTransport | None = None
                   ) -> Provider:
    """The provider of a ``provider:`` block (``type`` socialconnect, the default, or emulator)."""
    kind = str(settings.get("type") or "socialconnect")
    hooks: dict[str, Any] = {"on_wait": on_wait, "on_notice": on_notice}
    if kind == "socialconnect":
        client = ApiClient(str(settings.get("base_url") or DEFAULT_BASE_URL),
                           _credentials(settings), transport=transport,
                           options=_options(settings, max_wait_s=max_wait_s, in_process=False),
                           **hooks)
        return SocialConnectProvider(client, _account_id(settings))
    if kind == "emulator":
        return _emulator_provider(settings, base_dir=base_dir, max_wait_s=max_wait_s, **hooks)
    raise ProviderError(f"unknown provider type {kind!r}; expected socialconnect or emulator")


def parse_rate_limit(value: Any) -> tuple[int, int] | None:
    """``"350/3600"`` (or ``[350, 3600]``) -> (350, 3600); None when unset."""
    if value in (None, ""):
        return None
    if isinstance(value, list | tuple) and len(value) == 2:
        return int(value[0]), int(value[1])
    calls, _, seconds = str(value).partition("/")
    try:
        rule = (int(calls), int(seconds or 3600))
    except ValueError:
        rule = (0, 0)
    if rule[0] < 1 or rule[1] < 1:
        raise ProviderError(f"provider.rate_limit {value!r} must be CALLS/SECONDS, "
                            "both positive (350/3600)")
    return rule


def _emulator_provider(settings: Mapping[str, Any], *, base_dir: Path, max_wait_s: float,
                       on_wait: WaitCallback | None, on_notice: NoticeCallback | None
                       ) -> EmulatorProvider:
    from scsync.emulator import EmulatorError, open_emulator  # imported only when used

    path = str(settings.get("path") or DEFAULT_EMULATOR_DB)
    db = base_dir / path
    if path.endswith(("/", "\\")) or db.is_dir():
        raise ProviderError(f"provider.path {path!r} is a directory; name the database file "
                            f"(e.g. {DEFAULT_EMULATOR_DB})")
    fixture = settings.get("fixture")
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
        emulator = open_emulator(db, fixture=base_dir / str(fixture) if fixture else None,
                                 rate_limit=parse_rate_limit(settings.get("rate_limit")),
                                 faults=dict(settings.get("faults") or {}) or None)
    except EmulatorError as exc:
        raise ProviderError(f"the emulator could not start: {exc}") from None
    except (OSError, sqlite3.Error) as exc:
        raise ProviderError(f"the emulator could not open its database {path!r} "
                            f"(provider.path): {exc}") from None
    close: Callable[[], None] = emulator.close
    try:
        token = emulator.token_for(_optional_text(settings, "user"))
        client = ApiClient(EMULATOR_BASE_URL, Credentials(token=token),
                           options=_options(settings, max_wait_s=max_wait_s, in_process=True),
                           transport=httpx.WSGITransport(app=emulator.wsgi),
                           on_wait=on_wait, on_notice=on_notice)
        account_id = settings.get("account_id") or emulator.account_id
        return EmulatorProvider(client, int(account_id), on_close=close)
    except BaseException:
        close()
        raise
