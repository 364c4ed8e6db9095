"""The provider's credentials and the OAuth grants that renew them, as the platform has them: the
token endpoint ``/oauth/access_token/`` on the web-app host beside the API (``api.engagor.com`` ->
``app.engagor.com``, ``api-us.engagor.com`` -> ``us.engagor.com``; ``provider.oauth_url``
overrides), called with GET and query parameters as the public clients call it.

A refresh rotates the refresh token, so it happens only where the new tokens can be kept (the
token store, ``tokens``); without one the run stops and says how to renew the secret. Secrets are
kept out of every ``repr`` and message, and out of the HTTP library's request log (the token
endpoint's URL carries them); failures are reported with the platform's error id and description.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

import httpx

from scsync.errors import AuthError, ResponseInfo, redact
from scsync.providers import apierrors
from scsync.providers.tokens import StoredTokens, TokenStore, fingerprint

logger = logging.getLogger(__name__)

REFRESH_PATH = "/oauth/access_token/"
AUTHORIZE_PATH = "/oauth/authorize/"
_API_HOST = re.compile(r"^api(?:-(?P<dc>[a-z0-9]+))?\.(?P<rest>.+)$")


@dataclass(frozen=True, slots=True)
class Credentials:
    """An access token and, optionally, what refreshes it. None of it appears in ``repr``."""

    token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    client_id: str | None = field(default=None, repr=False)
    client_secret: str | None = field(default=None, repr=False)
    expires_at: float | None = None  # unix time, when known (from the grant that issued it)

    @property
    def can_refresh(self) -> bool:
        return bool(self.refresh_token and self.client_id and self.client_secret)

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def secrets(self) -> tuple[str, ...]:
        """Every value to redact (the client id too: it is harmless, but a careful default)."""
        values = (self.token, self.refresh_token, self.client_secret, self.client_id)
        return tuple(v for v in values if v)


def web_app_origin(base_url: str) -> str | None:
    """The web-app origin of an API base URL (``https://api-us.engagor.com`` ->
    ``https://us.engagor.com``), or None for a host that does not follow the platform's names."""
    url = httpx.URL(base_url)
    match = _API_HOST.match(url.host or "")
    if match is None:
        return None
    host = f"{match['dc']}.{match['rest']}" if match["dc"] else f"app.{match['rest']}"
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{host}{port}"


@dataclass(frozen=True, slots=True)
class Renewal:
    """Where and whether the client may renew its token: the web-app origin (None: unknown,
    ``provider.oauth_url`` must say) and the store that keeps what a refresh returns."""

    oauth_url: str | None
    store: TokenStore | None
    source: str = ""  # fingerprint of the configured secret (see ``tokens``)

    def problem(self) -> str | None:
        """Why a refresh may not happen here, or None."""
        if self.oauth_url is None:
            return ("the web app's address is unknown for this base_url: set provider.oauth_url "
                    "(where /oauth/access_token/ is)")
        if self.store is None:
            return "no token store is configured"
        return self.store.writable_problem()


def renewal_refused(problem: str) -> AuthError:
    return AuthError(
        "the access token has expired and scsync will not refresh it here: the platform "
        "replaces the refresh token on every refresh and this run could not keep the new one "
        f"({problem}). Renew the secret: run `scsync login` where a token store can be kept and "
        "set the new access token in SCSYNC_TOKEN (a CI secret), or set provider.token_store to "
        "a file outside the repository that persists between runs")


def _refused(reason: str, info: ResponseInfo | None, secrets: Iterable[str],
             grant: Mapping[str, str]) -> AuthError:
    if grant.get("grant_type") == "authorization_code":
        message = (f"the web app refused the authorization code: {reason}; run scsync login "
                   "again for a new code (a code works once, for a few minutes)")
    else:
        message = (f"the access token has expired and refreshing it failed: {reason}; create a "
                   "new token in Social Connect (Account settings > API) and set it in "
                   "SCSYNC_TOKEN, or renew the configured refresh_token (or run `scsync login`)")
    return AuthError(redact(message, secrets), info)


def renew(http: httpx.Client, renewal: Renewal, credentials: Credentials, *,
          secrets: Iterable[str], now: Callable[[], float]) -> Credentials:
    """Fresh credentials: the ones another process already stored after refreshing the token
    we hold, else a refresh grant whose tokens are stored before they are used."""
    problem = renewal.problem()
    if problem is not None:
        raise renewal_refused(problem)
    assert renewal.store is not None and renewal.oauth_url is not None
    with renewal.store.locked():
        stored = renewal.store.load()
        if (stored is not None and stored.source == renewal.source
                and stored.access_token != credentials.token and not _expired(stored, now())):
            logger.info("using the token another run refreshed")
            return replace(credentials, token=stored.access_token,
                           refresh_token=stored.refresh_token, expires_at=stored.expires_at)
        fresh = token_grant(http, renewal.oauth_url, credentials, secrets=secrets, now=now,
                            grant={"grant_type": "refresh_token",
                                   "refresh_token": credentials.refresh_token or ""})
        renewal.store.save(StoredTokens(fresh.token, fresh.refresh_token, fresh.expires_at,
                                        renewal.source))
    return fresh


def _expired(stored: StoredTokens, now: float) -> bool:
    return stored.expires_at is not None and now >= stored.expires_at


def token_grant(http: httpx.Client, oauth_url: str, credentials: Credentials, *,
                grant: Mapping[str, str], secrets: Iterable[str],
                now: Callable[[], float]) -> Credentials:
    """Call the token endpoint (GET, query parameters) with ``grant``; raises ``AuthError`` when
    the platform refuses."""
    secrets = (*secrets, *credentials.secrets(),
               *(v for k, v in grant.items() if k != "grant_type" and v))
    params = {**grant, "client_id": credentials.client_id or "",
              "client_secret": credentials.client_secret or ""}
    try:
        response = http.get(oauth_url.rstrip("/") + REFRESH_PATH, params=params)
    except httpx.TransportError as exc:
        raise _refused(apierrors.transport_reason(exc), None, secrets, grant) from None
    info = apierrors.response_info(response, "GET", REFRESH_PATH, secrets)
    body = _json(response)
    token = body.get("access_token") if isinstance(body, dict) else None
    if not response.is_success or not isinstance(token, str) or not token:
        reason = f"{info.error_id}: {info.description}" if info.error_id else f"HTTP {info.status}"
        raise _refused(reason, info, secrets, grant)
    assert isinstance(body, dict)
    new_refresh, lifetime = body.get("refresh_token"), body.get("expires_in")
    expires_at = now() + float(lifetime) if isinstance(lifetime, int | float) else None
    return replace(credentials, token=token, expires_at=expires_at,
                   refresh_token=new_refresh if isinstance(new_refresh, str) and new_refresh
                   else credentials.refresh_token)


def authorize_url(oauth_url: str, client_id: str, state: str) -> str:
    """The web app's page where a person grants access and is given a code."""
    query = httpx.QueryParams({"client_id": client_id, "response_type": "code", "state": state})
    return f"{oauth_url.rstrip('/')}{AUTHORIZE_PATH}?{query}"


def stored_credentials(credentials: Credentials, stored: StoredTokens | None,
                       source: str) -> Credentials:
    """The configured credentials, or the stored ones that descend from the same secret."""
    if stored is None or stored.source != source:
        return credentials
    return replace(credentials, token=stored.access_token,
                   refresh_token=stored.refresh_token or credentials.refresh_token,
                   expires_at=stored.expires_at)


def source_of(token: str | None, refresh_token: str | None) -> str:
    """The fingerprint of the configured secret a stored entry must descend from."""
    return fingerprint(refresh_token or token)


def _json(response: httpx.Response) -> object:
    try:
        body = response.json()
    except ValueError:
        return {}
    if isinstance(body, dict) and isinstance(body.get("response"), dict) and "meta" in body:
        return body["response"]
    return body


class _NoQueryInRequestLog(logging.Filter):
    """httpx logs each request's URL; the token endpoint's query string carries secrets, so the
    query string of every logged URL is dropped (ours carry only paging and version)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) for a in record.args):
            record.args = tuple(a.copy_with(query=None) if isinstance(a, httpx.URL) else a
                                for a in record.args)
        return True


def _hide_query_strings() -> None:
    target = logging.getLogger("httpx")
    if not any(isinstance(f, _NoQueryInRequestLog) for f in target.filters):
        target.addFilter(_NoQueryInRequestLog())


_hide_query_strings()
