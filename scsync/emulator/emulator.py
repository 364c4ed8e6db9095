"""The Python API of the emulator: ``open_emulator`` gives an ``Emulator`` whose ``wsgi`` callable
serves the platform API (for ``httpx.WSGITransport`` or a server) over one SQLite database, and
whose ``oauth_wsgi`` serves the web-app origin's OAuth token endpoint over the same database."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scsync.emulator import auth, seed
from scsync.emulator.app import EmulatorApp
from scsync.emulator.clock import Clock
from scsync.emulator.errors import EmulatorError
from scsync.emulator.faults import Faults
from scsync.emulator.fixture import load as load_fixture
from scsync.emulator.oauth import OAuthApp
from scsync.emulator.platform import Platform
from scsync.emulator.store import Store

log = logging.getLogger(__name__)


class Emulator:
    """One emulated account: its database, clock and WSGI applications (API and web app)."""

    def __init__(self, store: Store, clock: Clock, *, rate_limit: tuple[int, int] | None,
                 faults: Faults, api: str = "full") -> None:
        self.platform = Platform(store, clock)
        self.wsgi = EmulatorApp(self.platform, rate_limit=rate_limit, faults=faults, api=api)
        self.oauth_wsgi = OAuthApp(self.platform)
        with self.platform.tx() as tx:
            account = tx.meta("account")
        if account is None:
            raise EmulatorError(f"{store.path}: the database holds no account: seed it from a "
                                "fixture first")
        self.account_id: int = int(account["id"])

    def token_for(self, email: str | None = None) -> str:
        """A token with accounts_read and accounts_write for ``email`` (None: the first admin),
        valid for at least 90 days of the emulator's clock; minted when none such exists."""
        with self.platform.tx(write=True) as tx:
            user = _user(tx, email)
            floor = tx.now + auth.TOKEN_LIFETIME_S - 1
            for token, scopes, expires in tx.conn.execute(
                    "SELECT token, scopes, expires FROM tokens WHERE user_id = ? ORDER BY rowid",
                    (user["id"],)).fetchall():
                if all(s in scopes for s in auth.DEFAULT_SCOPES) and (
                        expires is None or expires >= floor):
                    return str(token)
            return auth.mint(tx, user["id"])

    def first_token(self) -> str:
        """The first admin's first token (as ``serve`` prints it), minted when there is none."""
        with self.platform.tx() as tx:
            admin = _user(tx, None)
            row = tx.conn.execute("SELECT token FROM tokens WHERE user_id = ? ORDER BY rowid "
                                  "LIMIT 1", (admin["id"],)).fetchone()
        return str(row[0]) if row else self.token_for(None)

    def close(self) -> None:
        self.platform.store.close()


def _user(tx: Any, email: str | None) -> dict[str, Any]:
    if email is None:
        found = next((u for u in tx.all("users") if u["role"] == "admin"), None)
        if found is None:
            raise EmulatorError("the account has no administrator")
        return dict(found)
    user = tx.by_key("users", email.lower())
    if user is None:
        raise EmulatorError(f"no user {email} in the emulated account")
    return dict(user)


def open_emulator(db: str | Path, *, fixture: Path | Mapping[str, Any] | None = None,
                  rate_limit: tuple[int, int] | None = None,
                  faults: Faults | Mapping[str, Any] | None = None,
                  clock: Clock | None = None, api: str = "full") -> Emulator:
    """Open (and, when it does not exist yet, seed from ``fixture``) the database ``db``;
    ``api="public"`` serves only the operations with public evidence."""
    clock = clock or Clock()
    fresh = str(db) == ":memory:" or not Path(db).exists()
    doc = load_fixture(fixture) if fresh and fixture is not None else None
    store = Store(db)
    try:
        if doc is not None:
            with store.tx(write=True) as tx:
                seed.seed(tx, doc, clock.now())
        return Emulator(store, clock, rate_limit=rate_limit, faults=Faults.of(faults), api=api)
    except BaseException:
        store.close()
        if fresh and str(db) != ":memory:":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
        raise


def seed_database(db: str | Path, fixture_path: Path | str) -> Emulator:
    """Create ``db`` from a fixture file; refuses an existing database."""
    if Path(db).exists():
        raise EmulatorError(f"{db}: the database already exists; remove it to seed it again")
    return open_emulator(db, fixture=Path(fixture_path))
