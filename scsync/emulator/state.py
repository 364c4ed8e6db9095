"""The whole account as a fixture document (``GET /_emulator/state``): what ``scsync snapshot``
writes. Tokens and OAuth clients are left out; seeding the document gives the same account."""

from __future__ import annotations

import json
from typing import Any

from scsync.emulator.clock import iso
from scsync.emulator.store import Tx


def dump(tx: Tx) -> dict[str, Any]:
    return {
        "emulator_fixture": 1,
        "clock": iso(tx.now),
        "account": tx.meta("account"),
        "projects": tx.all("projects"),
        "users": [_user(u) for u in tx.all("users")],
        "connected_profiles": [_connected(c) for c in tx.all("connected_profiles")],
        "profiles": [_page(p, with_settings=True) for p in tx.all("profiles")],
        "public_pages": [_page(p) for p in tx.all("public_pages")],
        "flows": tx.all("flows"),
        "topics": [_topic(t) for t in tx.all("topics")],
        "profile_groups": tx.all("profilegroups"),
        "history": _history(tx),
    }


def _user(user: dict[str, Any]) -> dict[str, Any]:
    links = {k: v for k, v in user["social_links"].items() if v is not None}
    return {"id": user["id"], "email": user["email"], "name": user["name"], "role": user["role"],
            "social_links": links}


def _connected(cp: dict[str, Any]) -> dict[str, Any]:
    return {"user": cp["user_id"], **{k: v for k, v in cp.items() if k != "user_id"}}


def _page(page: dict[str, Any], *, with_settings: bool = False) -> dict[str, Any]:
    out = {k: page[k] for k in ("type", "service_id", "username", "displayname")}
    if with_settings:
        out["settings"] = {k: v for k, v in page["settings"].items() if v not in (None, [])}
    return out


def _topic(topic: dict[str, Any]) -> dict[str, Any]:
    services = [{k: s[k] for k in ("type", "service_id", "authorized", "connectedprofile_id",
                                   "expired")} for s in topic["services"]]
    return {**topic, "services": services}


def _history(tx: Tx) -> list[dict[str, Any]]:
    rows = tx.conn.execute("SELECT date, data FROM history ORDER BY id").fetchall()
    return [{"date": iso(r[0]), **json.loads(r[1])} for r in rows]
