"""Bearer tokens: who calls, with which scopes, until when (the OAuth grants that issue them are
in ``oauth``)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from scsync.emulator.errors import ApiError
from scsync.emulator.store import Tx

DEFAULT_SCOPES = ("accounts_read", "accounts_write")
TOKEN_LIFETIME_S = 90 * 86400


@dataclass(frozen=True, slots=True)
class Token:
    token: str
    user: dict[str, Any]
    scopes: tuple[str, ...]
    expires: float | None


def _denied(description: str) -> ApiError:
    return ApiError("no_permission", description)


def authenticate(tx: Tx, token: str | None) -> Token:
    """The token's user, or no_permission saying if the token is missing, unknown or expired."""
    if not token:
        raise _denied("An access token is required.")
    row = tx.conn.execute("SELECT user_id, scopes, expires FROM tokens WHERE token = ?",
                          (token,)).fetchone()
    user = tx.get("users", row[0]) if row else None
    if row is None or user is None:
        raise _denied("Invalid access token.")
    if row[2] is not None and row[2] <= tx.now:
        raise _denied("The access token has expired.")
    return Token(token, user, tuple(json.loads(row[1])), row[2])


def require_scopes(token: Token, needed: Iterable[str]) -> None:
    for scope in needed:
        if scope not in token.scopes:
            raise _denied(f"The access token lacks the scope {scope}.")


def require_admin(token: Token) -> None:
    if token.user.get("role") != "admin":
        raise _denied("Only administrators can use the Profile Manager: "
                      f"{token.user['email']} is not an administrator.")


def store_token(tx: Tx, user_id: int, token: str, scopes: Iterable[str] = DEFAULT_SCOPES,
                expires: float | None = None, refresh_token: str | None = None) -> None:
    tx.conn.execute("INSERT OR REPLACE INTO tokens (token, user_id, scopes, expires, refresh_token)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (token, user_id, json.dumps(list(scopes)), expires, refresh_token))


def mint(tx: Tx, user_id: int, *, scopes: Iterable[str] = DEFAULT_SCOPES,
         lifetime: float = TOKEN_LIFETIME_S) -> str:
    token = "emu-" + secrets.token_urlsafe(24)
    store_token(tx, user_id, token, scopes, tx.now + lifetime)
    return token
