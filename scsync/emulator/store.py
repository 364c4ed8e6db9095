"""SQLite storage of one emulated account: a table per object kind holding JSON blobs, plus meta,
tokens, history, the call log and rate-limit counters.

A file database runs in WAL mode with a pool of connections (one per concurrent transaction, so
a threaded server never shares one); ``:memory:`` uses one connection behind a lock.
Every request works inside ``Store.tx``: ``BEGIN IMMEDIATE`` for writes, a plain
(snapshot) ``BEGIN`` for reads, so concurrent requests and processes never corrupt the data.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OBJECT_TABLES = ("projects", "users", "flows", "connected_profiles", "profiles", "public_pages",
                 "topics", "profilegroups")

_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    *(f"CREATE TABLE IF NOT EXISTS {t} (id INTEGER PRIMARY KEY, key TEXT, data TEXT NOT NULL)"
      for t in OBJECT_TABLES),
    *(f"CREATE INDEX IF NOT EXISTS {t}_key ON {t}(key)" for t in OBJECT_TABLES),
    "CREATE TABLE IF NOT EXISTS tokens (token TEXT PRIMARY KEY, user_id INTEGER NOT NULL,"
    " scopes TEXT NOT NULL, expires REAL, refresh_token TEXT)",
    "CREATE INDEX IF NOT EXISTS tokens_refresh ON tokens(refresh_token)",
    "CREATE TABLE IF NOT EXISTS oauth_clients (client_id TEXT PRIMARY KEY, client_secret TEXT)",
    "CREATE TABLE IF NOT EXISTS oauth_codes (code TEXT PRIMARY KEY, user_id INTEGER NOT NULL,"
    " client_id TEXT NOT NULL, scopes TEXT NOT NULL, expires REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS history (id INTEGER PRIMARY KEY AUTOINCREMENT, date REAL NOT NULL,"
    " user_id INTEGER, object_type TEXT NOT NULL, object_id TEXT NOT NULL, data TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS history_date ON history(date)",
    "CREATE TABLE IF NOT EXISTS calls (id INTEGER PRIMARY KEY AUTOINCREMENT, data TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS ratelimit (bucket TEXT PRIMARY KEY, window_start REAL NOT NULL,"
    " count INTEGER NOT NULL)",
]


class RawJSON:
    """JSON text that ``dumps`` inserts as it is: rows the database already holds encoded, so a
    page of them is served without decoding and re-encoding every row."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def dumps(value: Any) -> str:
    """Compact JSON (UTF-8 kept); ``RawJSON`` values are inserted verbatim."""
    raws: list[str] = []
    marker = f"raw-json-{secrets.token_hex(8)}-"

    def placeholder(obj: Any) -> str:
        if not isinstance(obj, RawJSON):
            raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")
        raws.append(obj.text)
        return f"{marker}{len(raws) - 1}"

    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=placeholder)
    for index, raw in enumerate(raws):
        text = text.replace(f'"{marker}{index}"', raw, 1)
    return text


def _object_sql(fields: tuple[str, ...]) -> str:
    """SQL building, from a row's ``data``, the JSON object of ``fields`` (the stored tokens
    copied as they are; NULL when a field is missing)."""
    parts = [f"'{json.dumps(name)}:' || (data -> '$.{name}')" for name in fields]
    return "'{' || " + " || ',' || ".join(parts) + " || '}'"


@dataclass(slots=True)
class Tx:
    """One transaction: the connection, the emulator time it runs at, and who acts (for history)."""

    conn: sqlite3.Connection
    now: float
    actor: dict[str, Any] | None = None

    def get(self, table: str, ident: int) -> dict[str, Any] | None:
        if isinstance(ident, int) and not -(2**63) <= ident < 2**63:
            return None  # no row has an id SQLite cannot hold (``/topic/99999999999999999999``)
        row = self.conn.execute(f"SELECT data FROM {table} WHERE id = ?", (ident,)).fetchone()
        return json.loads(row[0]) if row else None

    def by_key(self, table: str, key: str) -> dict[str, Any] | None:
        row = self.conn.execute(f"SELECT data FROM {table} WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, table: str, obj: dict[str, Any], key: str | None = None) -> None:
        self.conn.execute(f"INSERT OR REPLACE INTO {table} (id, key, data) VALUES (?, ?, ?)",
                          (obj["id"], key, dumps(obj)))

    def next_id(self, table: str, floor: int = 1) -> int:
        row = self.conn.execute(f"SELECT MAX(id) FROM {table}").fetchone()
        return max((row[0] or 0) + 1, floor)

    def delete(self, table: str, ident: int) -> None:
        self.conn.execute(f"DELETE FROM {table} WHERE id = ?", (ident,))

    def all(self, table: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(f"SELECT data FROM {table} ORDER BY id").fetchall()
        return [json.loads(r[0]) for r in rows]

    def page(self, table: str, after: int, limit: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(f"SELECT data FROM {table} WHERE id > ? ORDER BY id LIMIT ?",
                                 (after, limit)).fetchall()
        return [json.loads(r[0]) for r in rows]

    def page_raw(self, table: str, after: int, limit: int,
                 fields: tuple[str, ...] | None = None) -> list[tuple[int, str]]:
        """Like ``page``, as (id, JSON text) without decoding: each row's stored JSON, or the
        object of its ``fields`` only."""
        column = "data" if fields is None else _object_sql(fields)
        rows = self.conn.execute(f"SELECT id, {column} FROM {table} WHERE id > ? ORDER BY id "
                                 "LIMIT ?", (after, limit)).fetchall()
        for ident, text in rows:
            if text is None:
                raise KeyError(f"{table} row {ident} lacks one of {', '.join(fields or ())}")
        return [(int(ident), str(text)) for ident, text in rows]

    def count(self, table: str) -> int:
        return int(self.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    def meta(self, key: str, default: Any = None) -> Any:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set_meta(self, key: str, value: Any) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                          (key, dumps(value)))


class Store:
    """The database file (or ``:memory:``) of one emulated account."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.memory = self.path == ":memory:"
        self._lock = threading.RLock()
        self._idle: list[sqlite3.Connection] = []
        self._shared: sqlite3.Connection | None = None
        if self.memory:
            self._shared = self._open(":memory:")
        with self.tx(write=True) as tx:
            for statement in _SCHEMA:
                tx.conn.execute(statement)

    def _open(self, path: str) -> sqlite3.Connection:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None,
                               check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 30000")
        if not self.memory:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        if self._shared is not None:
            with self._lock:
                yield self._shared
            return
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        conn = conn or self._open(self.path)
        try:
            yield conn
        finally:
            with self._lock:
                self._idle.append(conn)

    @contextmanager
    def tx(self, *, write: bool = False, now: float = 0.0,
           actor: dict[str, Any] | None = None) -> Iterator[Tx]:
        """A transaction; committed when the block ends normally, rolled back otherwise."""
        with self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield Tx(conn, now, actor)
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    def close(self) -> None:
        """Close every connection this store opened (call when no request is running)."""
        with self._lock:
            for conn in [*self._idle, *([self._shared] if self._shared else [])]:
                conn.close()
            self._idle = []
            self._shared = None
