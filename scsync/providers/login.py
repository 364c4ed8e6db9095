"""``scsync login``: the OAuth ``authorization_code`` flow for a person at a terminal. The web app
shows the person a code after they grant access at the authorize URL; the code is exchanged for
tokens at the token endpoint, and the tokens go straight into the token store (``tokens``), so
nobody pastes a token into a file."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

from scsync.errors import AuthError, ProviderError
from scsync.providers import auth
from scsync.providers.factory import client_options, renewal_of
from scsync.providers.http import ApiClient
from scsync.providers.settings import PlatformSettings, ProviderSettings
from scsync.providers.tokens import StoredTokens


@dataclass(frozen=True, slots=True)
class LoggedIn:
    """What a login shows: who, where the tokens are kept, until when the access token works."""

    email: str
    store: Path
    expires_at: float | None


@dataclass(frozen=True, slots=True)
class Login:
    """One login in progress: ``url`` is where the person grants access."""

    settings: ProviderSettings = field(repr=False)  # holds the client secret
    base_dir: Path
    env: Mapping[str, str] = field(repr=False)
    renewal: auth.Renewal
    credentials: auth.Credentials
    url: str

    def complete(self, answer: str, *,
                 transport: httpx.BaseTransport | None = None) -> LoggedIn:
        """Exchange the code (or the redirect URL that carries it) and store the tokens."""
        code = code_of(answer)
        assert self.renewal.store is not None and self.renewal.oauth_url is not None
        assert isinstance(self.settings, PlatformSettings)
        options = client_options(self.settings, base_dir=self.base_dir)
        with httpx.Client(transport=transport, verify=options.verify_tls,
                          timeout=options.timeout_s) as http:
            fresh = auth.token_grant(http, self.renewal.oauth_url, self.credentials,
                                     grant={"grant_type": "authorization_code", "code": code},
                                     secrets=(), now=time.time)
        self.renewal.store.save(StoredTokens(fresh.token, fresh.refresh_token, fresh.expires_at,
                                             self.renewal.source))
        client = ApiClient(self.settings.base_url, fresh, options=options, transport=transport,
                           renewal=self.renewal)
        try:
            me = client.get("/me")
        finally:
            client.close()
        email = str(me.get("email", "?")) if isinstance(me, dict) else "?"
        return LoggedIn(email, self.renewal.store.path, fresh.expires_at)


def begin(settings: ProviderSettings, *, base_dir: Path, env: Mapping[str, str]) -> Login:
    """A login for the provider block ``settings`` (secrets resolved); refuses when the tokens
    could not be kept or the OAuth client is not configured."""
    if not isinstance(settings, PlatformSettings):
        raise ProviderError("scsync login is for the socialconnect provider (the emulator "
                            "provider needs no token)")
    credentials = auth.Credentials(token="", client_id=settings.client_id,
                                   client_secret=settings.client_secret)
    if not (credentials.client_id and credentials.client_secret):
        raise ProviderError("scsync login needs provider.client_id and provider.client_secret "
                            "(by reference: ${env:NAME}), the OAuth client the tokens are for")
    renewal = renewal_of(settings, base_dir=base_dir, env=env)
    problem = renewal.problem()
    if problem is not None:
        raise AuthError(f"scsync login cannot keep the tokens: {problem}")
    assert renewal.oauth_url is not None
    url = auth.authorize_url(renewal.oauth_url, credentials.client_id,
                             secrets.token_urlsafe(12))
    return Login(settings, base_dir, env, renewal, credentials, url)


def code_of(answer: str) -> str:
    """The code a person pasted: the code itself or the redirect URL carrying ``code=``."""
    text = answer.strip()
    if "code=" in text:
        found = parse_qs(urlsplit(text).query or text.split("?", 1)[-1]).get("code")
        text = found[0] if found else ""
    if not text:
        raise AuthError("no authorization code was given")
    return text
