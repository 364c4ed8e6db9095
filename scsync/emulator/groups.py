"""Profile groups: a feature of some accounts only; at most 20 per account and 20 items each;
no cycles; the ``profiles`` (and ``groups``) of an update replace the current ones."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from scsync.emulator import history, profiles
from scsync.emulator.common import check_int, check_name, check_object, existing
from scsync.emulator.errors import ApiError, invalid
from scsync.emulator.store import Tx

FIELDS = ("name", "color", "profiles", "groups")
MAX_GROUPS = 20
MAX_ITEMS = 20
_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def require_feature(tx: Tx) -> None:
    account = tx.meta("account", {})
    if not account.get("features", {}).get("profile_groups", False):
        raise ApiError("feature_limit_reached",
                       "profile groups are not available on this account's plan")


def get(tx: Tx, group_id: int) -> dict[str, Any]:
    return existing(tx, "profilegroups", group_id, "profile group")


def create(tx: Tx, body: Any) -> dict[str, Any]:
    body = check_object(body, FIELDS, "profile_group")
    if tx.count("profilegroups") >= MAX_GROUPS:
        raise ApiError("limit_exceeded", f"an account can have at most {MAX_GROUPS} profile groups")
    group: dict[str, Any] = {"id": tx.next_id("profilegroups"), "name": None, "color": None,
             "profiles": [], "groups": []}
    group = _apply(tx, group, {"name": body.get("name"), **body})
    history.record(tx, "create", _obj(group), history.changes(None, _trail(group)))
    return group


def update(tx: Tx, group: dict[str, Any], updates: Any) -> dict[str, Any]:
    updates = check_object(updates, FIELDS, "updates")
    new = _apply(tx, group, updates)
    history.record(tx, "update", _obj(new), history.changes(_trail(group), _trail(new)))
    return new


def delete(tx: Tx, group: dict[str, Any]) -> None:
    tx.delete("profilegroups", group["id"])
    history.record(tx, "delete", _obj(group), history.changes(_trail(group), None))
    for other in tx.all("profilegroups"):
        if any(g["id"] == group["id"] for g in other["groups"]):
            kept = [g for g in other["groups"] if g["id"] != group["id"]]
            changed = {**other, "groups": kept}
            tx.put("profilegroups", changed, changed["name"])
            history.record(tx, "update", _obj(changed),
                           history.changes(_trail(other), _trail(changed)))


def _obj(group: Mapping[str, Any]) -> tuple[str, Any, str]:
    return ("profilegroup", group["id"], group["name"])


def _trail(group: Mapping[str, Any]) -> dict[str, Any]:
    return {f: group[f] for f in FIELDS}


def _apply(tx: Tx, group: dict[str, Any], updates: Mapping[str, Any]) -> dict[str, Any]:
    new = dict(group)
    if "name" in updates:
        new["name"] = _unique_name(tx, updates["name"], group["id"])
    if "color" in updates:
        new["color"] = _color(updates["color"])
    if "profiles" in updates:
        new["profiles"] = _profiles(tx, updates["profiles"])
    if "groups" in updates:
        new["groups"] = _groups(tx, updates["groups"], group["id"])
    items = len(new["profiles"]) + len(new["groups"])
    if items > MAX_ITEMS:
        raise ApiError("limit_exceeded",
                       f"a profile group holds at most {MAX_ITEMS} items; {new['name']!r} "
                       f"would hold {items}")
    tx.put("profilegroups", new, new["name"])
    _check_cycle(tx, new)
    return new


def _unique_name(tx: Tx, value: Any, own_id: int) -> str:
    name = check_name(value, "profile group name")
    other = tx.by_key("profilegroups", name)
    if other is not None and other["id"] != own_id:
        raise invalid(f"a profile group named {name!r} already exists (id {other['id']})")
    return name


def _color(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _COLOR.match(value):
        raise invalid(f"color {value!r} is not a hex colour like #00897B")
    return value


def _profiles(tx: Tx, value: Any) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid("profiles must be a list of {type, service_id} objects")
    out: list[dict[str, str]] = []
    for index, item in enumerate(value):
        item = check_object(item, ("type", "service_id"), f"profiles[{index}]")
        network = item.get("type")
        handle = str(item.get("service_id") or "")
        profile = profiles.find(tx, str(network), handle) if handle else None
        if profile is None:
            raise invalid(f"profiles[{index}]: no profile {network}/{handle} in this account")
        entry = {"type": profile["type"], "service_id": profile["service_id"]}
        if entry not in out:
            out.append(entry)
    return out


def _groups(tx: Tx, value: Any, own_id: int) -> list[dict[str, int]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid("groups must be a list of {id} objects")
    out: list[dict[str, int]] = []
    for index, item in enumerate(value):
        item = check_object(item, ("id",), f"groups[{index}]")
        group_id = check_int(item.get("id"), f"groups[{index}].id")
        if group_id != own_id and tx.get("profilegroups", group_id) is None:
            raise invalid(f"groups[{index}]: no profile group {group_id} in this account")
        if {"id": group_id} not in out:
            out.append({"id": group_id})
    return out


def _check_cycle(tx: Tx, start: Mapping[str, Any]) -> None:
    """Refuse a group that contains itself, directly or through others (naming the cycle)."""
    by_id = {g["id"]: g for g in tx.all("profilegroups")}

    def walk(group_id: int, path: list[int]) -> list[int] | None:
        for child in by_id.get(group_id, {}).get("groups", []):
            if child["id"] == start["id"]:
                return [*path, child["id"]]
            if child["id"] not in path:
                found = walk(child["id"], [*path, child["id"]])
                if found:
                    return found
        return None

    cycle = walk(start["id"], [start["id"]])
    if cycle:
        names = " > ".join(by_id[i]["name"] for i in cycle)
        raise invalid(f"profile group {start['name']!r} would contain itself (a cycle: {names})")
