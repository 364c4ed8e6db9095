"""Profiles the account owns and their Profile Manager settings: lookup, API shape, updates."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from scsync.emulator import history, settings
from scsync.emulator.common import CASELESS, page_key
from scsync.emulator.errors import not_found
from scsync.emulator.store import Tx


def find(tx: Tx, network: str, handle: str, table: str = "profiles") -> dict[str, Any] | None:
    """The page of ``network`` whose service id (or username) is ``handle``."""
    found = tx.by_key(table, page_key(network, handle))
    if found is not None:
        return found
    rows = tx.conn.execute(f"SELECT data FROM {table} WHERE key LIKE ? ESCAPE '\\'",
                           (network.replace("_", "\\_") + "/%",)).fetchall()
    wanted = handle.lower() if network in CASELESS else handle
    for (data,) in rows:
        page: dict[str, Any] = json.loads(data)
        username = page.get("username") or ""
        if (username.lower() if network in CASELESS else username) == wanted:
            return page
    return None


def get(tx: Tx, network: str, handle: str) -> dict[str, Any]:
    profile = find(tx, network, handle)
    if profile is None:
        raise not_found(f"no profile {network}/{handle} in this account")
    return profile


def output(profile: Mapping[str, Any]) -> dict[str, Any]:
    return {k: profile[k] for k in ("type", "service_id", "username", "displayname", "settings")}


def address(profile: Mapping[str, Any]) -> str:
    return f"{profile['type']}/{profile['service_id']}"


def flow_ids(tx: Tx) -> set[int]:
    return {int(r[0]) for r in tx.conn.execute("SELECT id FROM flows").fetchall()}


def save(tx: Tx, profile: dict[str, Any]) -> None:
    tx.put("profiles", profile, page_key(profile["type"], profile["service_id"]))


def update(tx: Tx, profile: dict[str, Any], updates: Mapping[str, Any]) -> dict[str, Any]:
    """Apply settings ``updates`` (domain rules enforced) and record the change."""
    old = profile["settings"]
    new = settings.apply_updates(profile["type"], old, updates, flow_ids(tx))
    profile = {**profile, "settings": new}
    save(tx, profile)
    history.record(tx, "update", ("profile", address(profile), profile["username"]),
                   history.changes(old, new))
    return profile
