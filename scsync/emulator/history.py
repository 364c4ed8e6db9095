"""The settings history: every write (through the API or out of band) as an entry with its date,
user, object and changed fields; queried newest first with the filters of ``/settings/history``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from scsync.emulator.clock import iso
from scsync.emulator.store import Tx, dumps

OBJECT_TYPES = ("topic", "profile", "profilegroup", "user")


def changes(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None,
            fields: tuple[str, ...] | None = None) -> dict[str, dict[str, Any]]:
    """``{field: {old, new}}`` for every field that differs (all fields for a create/delete)."""
    old = old or {}
    new = new or {}
    names = fields if fields is not None else tuple(dict.fromkeys([*old, *new]))
    return {f: {"old": old.get(f), "new": new.get(f)} for f in names if old.get(f) != new.get(f)}


def record(tx: Tx, action: str, obj: tuple[str, Any, str],
           diff: Mapping[str, Any]) -> None:
    """Add one entry: ``action`` create/update/delete of ``obj`` = (type, id, name) by tx.actor."""
    if action == "update" and not diff:
        return
    object_type, object_id, name = obj
    user = {"id": tx.actor["id"], "name": tx.actor["name"]} if tx.actor else None
    entry = {"user": user, "type": action,
             "object": {"type": object_type, "id": object_id, "name": name}, "changes": diff}
    tx.conn.execute(
        "INSERT INTO history (date, user_id, object_type, object_id, data) VALUES (?, ?, ?, ?, ?)",
        (tx.now, user["id"] if user else None, object_type, str(object_id), dumps(entry)))


def add_entry(tx: Tx, date: float, entry: dict[str, Any]) -> None:
    """Insert a ready entry (from a fixture)."""
    obj = entry["object"]
    user = entry.get("user")
    tx.conn.execute(
        "INSERT INTO history (date, user_id, object_type, object_id, data) VALUES (?, ?, ?, ?, ?)",
        (date, user["id"] if user else None, obj["type"], str(obj["id"]), dumps(entry)))


def query(tx: Tx, filters: Mapping[str, Any], before: int | None,
          limit: int) -> tuple[list[dict[str, Any]], int]:
    """A page of entries, newest first, with ids below ``before``; and the total matching."""
    where, args = _where(filters)
    total = tx.conn.execute(f"SELECT COUNT(*) FROM history WHERE {where}", args).fetchone()[0]
    if before is not None:
        where += " AND id < ?"
        args = [*args, before]
    rows = tx.conn.execute(f"SELECT id, date, data FROM history WHERE {where} "
                           "ORDER BY id DESC LIMIT ?", [*args, limit]).fetchall()
    return [{"id": r[0], "date": iso(r[1]), **json.loads(r[2])} for r in rows], int(total)


def _where(filters: Mapping[str, Any]) -> tuple[str, list[Any]]:
    clauses, args = ["1 = 1"], []
    if filters.get("date_from") is not None:
        clauses.append("date >= ?")
        args.append(filters["date_from"])
    if filters.get("date_to") is not None:
        clauses.append("date <= ?")
        args.append(filters["date_to"])
    if filters.get("types"):
        clauses.append(f"object_type IN ({','.join('?' * len(filters['types']))})")
        args.extend(filters["types"])
    if filters.get("topic_ids"):
        clauses.append(f"object_type = 'topic' AND object_id IN "
                       f"({','.join('?' * len(filters['topic_ids']))})")
        args.extend(str(i) for i in filters["topic_ids"])
    if filters.get("user_id") is not None:
        clauses.append("user_id = ?")
        args.append(filters["user_id"])
    return " AND ".join(clauses), args
