"""The provider's credentials and the OAuth refresh of an expired access token.

Secrets are kept out of every ``repr`` and message; the refresh call sends them only in its form
body (never in a URL) and reports failures with the platform's error id and description only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import httpx

from scsync.errors import AuthError, ResponseInfo, redact
from scsync.providers import apierrors

logger = logging.getLogger(__name__)

REFRESH_PATH = "/oauth/access_token/"


@dataclass(frozen=True, slots=True)
class Credentials:
    """An access token and, optionally, what refreshes it. None of it appears in ``repr``."""

    token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    client_id: str | None = field(default=None, repr=False)
    client_secret: str | None = field(default=None, repr=False)

    @property
    def can_refresh(self) -> bool:
        return bool(self.refresh_token and self.client_id and self.client_secret)

    def secrets(self) -> tuple[str, ...]:
        """Every value to redact (the client id too: it is harmless, but a careful default)."""
        values = (self.token, self.refresh_token, self.client_secret, self.client_id)
        return tuple(v for v in values if v)


def _refused(reason: str, info: ResponseInfo | None, secrets: Iterable[str]) -> AuthError:
    message = (f"the access token has expired and refreshing it failed: {reason}; create a new "
               "token in Social Connect (Account settings > API) and set it in SCSYNC_TOKEN, "
               "or renew the configured refresh_token")
    return AuthError(redact(message, secrets), info)


def refresh_access_token(http: httpx.Client, base_url: str, credentials: Credentials, *,
                         secrets: Iterable[str]) -> Credentials:
    """New credentials from the refresh grant; raises ``AuthError`` when the platform refuses."""
    secrets = (*secrets, *credentials.secrets())
    form = {"refresh_token": credentials.refresh_token or "",
            "client_id": credentials.client_id or "",
            "client_secret": credentials.client_secret or ""}
    try:
        response = http.post(base_url + REFRESH_PATH, params={"grant_type": "refresh_token"},
                             data=form)
    except httpx.TransportError as exc:
        raise _refused(apierrors.transport_reason(exc), None, secrets) from None
    info = apierrors.response_info(response, "POST", REFRESH_PATH, secrets)
    body = _json(response)
    token = body.get("access_token") if isinstance(body, dict) else None
    if not response.is_success or not isinstance(token, str) or not token:
        reason = f"{info.error_id}: {info.description}" if info.error_id else f"HTTP {info.status}"
        raise _refused(reason, info, secrets)
    new_refresh = body.get("refresh_token") if isinstance(body, dict) else None
    return replace(credentials, token=token,
                   refresh_token=new_refresh if isinstance(new_refresh, str) and new_refresh
                   else credentials.refresh_token)


def _json(response: httpx.Response) -> object:
    try:
        body = response.json()
    except ValueError:
        return {}
    if isinstance(body, dict) and isinstance(body.get("response"), dict) and "meta" in body:
        return body["response"]
    return body
