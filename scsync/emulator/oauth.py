"""The platform's web-app origin (``app.engagor.com`` beside ``api.engagor.com``): its OAuth token
endpoint ``/oauth/access_token/`` and the grants it answers.

The token endpoint takes its parameters from the query string (GET, as the public clients call
it) or from a form body (POST): ``grant_type`` ``refresh_token`` (with ``refresh_token``) or
``authorization_code`` (with a ``code`` minted by ``POST /_emulator/oauth-code``), plus
``client_id`` and ``client_secret``. It answers ``{access_token, expires_in, scope,
refresh_token, token_type}`` (no envelope); a refresh rotates the refresh token, so the old one
stops working. ``/oauth/authorize/`` answers a short page saying how the emulator mints codes.
Token calls go into the API's call log (``origin: web``, the ``grant``; never a parameter).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from werkzeug.wrappers import Request, Response

from scsync.emulator.auth import DEFAULT_SCOPES, TOKEN_LIFETIME_S, store_token
from scsync.emulator.clock import iso
from scsync.emulator.errors import ApiError, invalid
from scsync.emulator.platform import Platform
from scsync.emulator.store import Tx, dumps

TOKEN_PATH = "/oauth/access_token"
AUTHORIZE_PATH = "/oauth/authorize"
CODE_LIFETIME_S = 600
GRANTS = ("refresh_token", "authorization_code")
AUTHORIZE_PAGE = ("This is the scsync emulator's web-app origin. A person would sign in here and "
                  "be sent back with a code; the emulator mints one instead: POST "
                  '/_emulator/oauth-code {"client_id": ..., "user": EMAIL} on the API origin.\n')


class OAuthApp:
    """The WSGI callable of the web-app origin of one emulated account."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        path = request.path.rstrip("/") or "/"
        if path == AUTHORIZE_PATH and request.method == "GET":
            response = Response(AUTHORIZE_PAGE, mimetype="text/plain")
        else:
            try:
                body, status = self._token(request, path), 200
            except ApiError as exc:
                body, status = exc.body(), exc.status
            self._log(request, status)
            response = Response(dumps(body), status, mimetype="application/json")
        return response(environ, start_response)

    def _log(self, request: Request, status: int) -> None:
        """Into the API's call log: method, path, grant and status (never a parameter's value
        otherwise: they are secrets)."""
        grant = request.args.get("grant_type") or request.form.get("grant_type")
        entry = {"method": request.method, "path": request.path, "status": status, "user": None,
                 "origin": "web", "grant": grant if grant in GRANTS else None}
        with self.platform.tx(write=True) as tx:
            entry["time"] = iso(tx.now)
            tx.conn.execute("INSERT INTO calls (data) VALUES (?)", (dumps(entry),))

    def _token(self, request: Request, path: str) -> dict[str, Any]:
        if path != TOKEN_PATH:
            raise ApiError("not_found", f"unknown path {path}")
        if request.method not in ("GET", "POST"):
            raise ApiError("invalid_http_method",
                           f"{request.method} is not allowed on {TOKEN_PATH}/")
        params = {**request.args.to_dict(), **request.form.to_dict()}
        grant = params.get("grant_type")
        if grant not in GRANTS:
            raise invalid(f"grant_type must be one of {', '.join(GRANTS)}")
        with self.platform.tx(write=True) as tx:
            _check_client(tx, params)
            if grant == "refresh_token":
                return refresh(tx, params)
            return exchange_code(tx, params)


def _check_client(tx: Tx, params: Mapping[str, str]) -> None:
    missing = [k for k in ("client_id", "client_secret") if not params.get(k)]
    if missing:
        raise invalid(f"missing {', '.join(missing)}")
    client = tx.conn.execute("SELECT client_secret FROM oauth_clients WHERE client_id = ?",
                             (params["client_id"],)).fetchone()
    if client is None or not secrets.compare_digest(client[0] or "", params["client_secret"]):
        raise ApiError("no_permission", "Invalid client credentials.")


def _issue(tx: Tx, user_id: int, scopes: Iterable[str]) -> dict[str, Any]:
    scopes = list(scopes)
    access, renewal = "emu-" + secrets.token_urlsafe(24), "emr-" + secrets.token_urlsafe(24)
    store_token(tx, user_id, access, scopes, tx.now + TOKEN_LIFETIME_S, renewal)
    return {"access_token": access, "expires_in": TOKEN_LIFETIME_S, "scope": " ".join(scopes),
            "refresh_token": renewal, "token_type": "Bearer"}


def refresh(tx: Tx, params: Mapping[str, str]) -> dict[str, Any]:
    """The refresh_token grant: new tokens; the old access and refresh tokens stop working."""
    if not params.get("refresh_token"):
        raise invalid("missing refresh_token")
    row = tx.conn.execute("SELECT token, user_id, scopes FROM tokens WHERE refresh_token = ?",
                          (params["refresh_token"],)).fetchone()
    if row is None:
        raise ApiError("no_permission", "Invalid refresh token.")
    tx.conn.execute("DELETE FROM tokens WHERE token = ?", (row[0],))
    return _issue(tx, row[1], json.loads(row[2]))


def exchange_code(tx: Tx, params: Mapping[str, str]) -> dict[str, Any]:
    """The authorization_code grant: tokens for the user who authorized the code (used once)."""
    if not params.get("code"):
        raise invalid("missing code")
    row = tx.conn.execute("SELECT user_id, client_id, scopes, expires FROM oauth_codes "
                          "WHERE code = ?", (params["code"],)).fetchone()
    tx.conn.execute("DELETE FROM oauth_codes WHERE code = ?", (params["code"],))
    if row is None or row[1] != params["client_id"] or row[3] <= tx.now:
        raise ApiError("no_permission", "Invalid or expired authorization code.")
    return _issue(tx, row[0], json.loads(row[2]))


def mint_code(tx: Tx, user_id: int, client_id: str,
              scopes: Iterable[str] = DEFAULT_SCOPES) -> str:
    """A one-time authorization code, as the web app hands one out after a person signs in."""
    known = tx.conn.execute("SELECT 1 FROM oauth_clients WHERE client_id = ?",
                            (client_id,)).fetchone()
    if known is None:
        raise invalid(f"unknown client_id {client_id!r}")
    code = "emc-" + secrets.token_urlsafe(18)
    tx.conn.execute("INSERT INTO oauth_codes VALUES (?, ?, ?, ?, ?)",
                    (code, user_id, client_id, json.dumps(list(scopes)), tx.now + CODE_LIFETIME_S))
    return code
