"""Topics and their streams (services): creation, updates with ``services_edit_mode``, deletion,
and the resolution of a client's service entry into a stream (authorized or not)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scsync.emulator import history, profiles
from scsync.emulator.common import (
    NETWORKS,
    api_type,
    check_int,
    check_name,
    check_object,
    existing,
    page_key,
)
from scsync.emulator.errors import ApiError, invalid
from scsync.emulator.store import Tx

TOPIC_FIELDS = ("name", "searchkeywords", "project_id", "services")
UPDATE_FIELDS = ("name", "searchkeywords", "services")
SERVICE_FIELDS = ("type", "service_id", "username", "displayname", "authorized",
                  "connectedprofile_id", "expired")
EDIT_MODES = ("add", "overwrite", "delete")
AUTHORIZED_ONLY = frozenset({"whatsapp", "web"})


def get(tx: Tx, topic_id: int) -> dict[str, Any]:
    return existing(tx, "topics", topic_id, "topic")


def create(tx: Tx, body: Any) -> dict[str, Any]:
    body = check_object(body, TOPIC_FIELDS, "topic")
    name = _unique_name(tx, body.get("name"), None)
    topic = {"id": tx.next_id("topics"), "name": name,
             "project_id": _project(tx, body.get("project_id")),
             "searchkeywords": _keywords(body.get("searchkeywords")),
             "services": _services(tx, body.get("services", []), [])}
    tx.put("topics", topic, name)
    history.record(tx, "create", _obj(topic), history.changes(None, _trail(topic)))
    return topic


def update(tx: Tx, topic: dict[str, Any], updates: Any, options: Any) -> dict[str, Any]:
    updates = check_object(updates, UPDATE_FIELDS, "updates")
    options = check_object(options or {}, ("services_edit_mode",), "options")
    new = dict(topic)
    if "name" in updates:
        new["name"] = _unique_name(tx, updates["name"], topic["id"])
    if "searchkeywords" in updates:
        new["searchkeywords"] = _keywords(updates["searchkeywords"])
    mode = options.get("services_edit_mode", "overwrite")
    if mode not in EDIT_MODES:
        raise invalid(f"services_edit_mode must be one of {', '.join(EDIT_MODES)}")
    if "services" in updates:
        new["services"] = _edit_services(tx, topic["services"], updates["services"], mode)
    tx.put("topics", new, new["name"])
    history.record(tx, "update", _obj(new), history.changes(_trail(topic), _trail(new)))
    return new


def delete(tx: Tx, topic: dict[str, Any]) -> None:
    tx.delete("topics", topic["id"])
    history.record(tx, "delete", _obj(topic), history.changes(_trail(topic), None))


def seed(tx: Tx, entry: Mapping[str, Any]) -> dict[str, Any]:
    """A topic of a fixture: services resolved without history; ``expired`` flags kept."""
    given = [{**s, "type": api_type(str(s.get("type")))} for s in entry.get("services") or []]
    services = _resolve_all(tx, [{k: v for k, v in s.items() if k != "expired"} for s in given],
                            [], check=False)
    for service, source in zip(services, given, strict=True):
        service["expired"] = bool(source.get("expired", False))
    name = check_name(entry["name"], "name")
    topic = {"id": entry.get("id") or tx.next_id("topics"), "name": name,
             "project_id": _project(tx, entry.get("project_id")),
             "searchkeywords": _keywords(entry.get("searchkeywords")), "services": services}
    tx.put("topics", topic, name)
    return topic


def _obj(topic: Mapping[str, Any]) -> tuple[str, Any, str]:
    return ("topic", topic["id"], topic["name"])


def _trail(topic: Mapping[str, Any]) -> dict[str, Any]:
    """The fields the history shows (streams compactly)."""
    services = [{"type": s["type"], "service_id": s["service_id"], "authorized": s["authorized"]}
                for s in topic["services"]]
    return {"name": topic["name"], "searchkeywords": topic["searchkeywords"], "services": services}


def _unique_name(tx: Tx, value: Any, own_id: int | None) -> str:
    name = check_name(value, "topic name")
    other = tx.by_key("topics", name)
    if other is not None and other["id"] != own_id:
        raise invalid(f"a topic named {name!r} already exists (id {other['id']})")
    return name


def _keywords(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise invalid("searchkeywords must be a string or null")
    return value or None


def _project(tx: Tx, value: Any) -> int:
    if value is None:
        first = tx.conn.execute("SELECT MIN(id) FROM projects").fetchone()[0]
        if first is None:
            raise invalid("the account has no project to hold the topic")
        return int(first)
    project_id = check_int(value, "project_id")
    if tx.get("projects", project_id) is None:
        raise invalid(f"unknown project_id {project_id}")
    return project_id


def _edit_services(tx: Tx, current: list[dict[str, Any]], given: Any,
                   mode: str) -> list[dict[str, Any]]:
    if mode == "delete":
        gone = {_ident(s) for s in _resolve_all(tx, given, current, check=False)}
        return [s for s in current if _ident(s) not in gone]
    new = _services(tx, given, current)
    if mode == "overwrite":
        return new
    kept = {_ident(s) for s in current}
    return [*current, *(s for s in new if _ident(s) not in kept)]


def _services(tx: Tx, given: Any, current: list[dict[str, Any]]) -> list[dict[str, Any]]:
    services = _resolve_all(tx, given, current, check=True)
    seen: set[str] = set()
    for service in services:
        key = page_key(service["type"], service["service_id"])
        if key in seen:
            raise invalid(f"stream {service['type']}/{service['service_id']} is listed twice")
        seen.add(key)
    return services


def _resolve_all(tx: Tx, given: Any, current: list[dict[str, Any]],
                 *, check: bool) -> list[dict[str, Any]]:
    if given is None:
        return []
    if not isinstance(given, list):
        raise invalid("services must be a list of objects")
    existing = {_ident(s): s for s in current}
    out = []
    for index, entry in enumerate(given):
        service = _resolve(tx, entry, index, check=check)
        out.append(existing.get(_ident(service), service))  # keeps the expired flag
    return out


def _ident(service: Mapping[str, Any]) -> tuple[str, bool]:
    return page_key(service["type"], service["service_id"]), bool(service["authorized"])


def _resolve(tx: Tx, entry: Any, index: int, *, check: bool) -> dict[str, Any]:
    entry = check_object(entry, SERVICE_FIELDS, f"services[{index}]")
    network = entry.get("type")
    if network not in NETWORKS:
        raise ApiError("unsupported_type", f"services[{index}]: unsupported type {network!r}")
    handle = entry.get("username") or entry.get("service_id")
    handle = check_name(handle if handle is None else str(handle),
                        f"services[{index}].username")
    authorized = entry.get("authorized", True)
    if not isinstance(authorized, bool):
        raise invalid(f"services[{index}].authorized must be true or false")
    if authorized:
        return _authorized(tx, network, handle, entry.get("connectedprofile_id"), check=check)
    return _unauthorized(tx, network, handle)


def _authorized(tx: Tx, network: str, handle: str, cp_id: Any, *, check: bool) -> dict[str, Any]:
    page = profiles.find(tx, network, handle)
    if page is None:
        raise invalid(f"{network}/{handle} is not a profile of this account: "
                      "an authorized stream needs a page the account owns")
    connected = None
    if check or cp_id is not None:
        connected = _connected_profile(tx, network, page, cp_id)
    return _service(page, True, connected)


def _connected_profile(tx: Tx, network: str, page: Mapping[str, Any],
                       cp_id: Any) -> dict[str, Any]:
    name = f"{network}/{page['service_id']}"
    if cp_id is None:
        raise invalid(f"an authorized stream of {name} needs the connectedprofile_id "
                      "of a connected profile that administers the page")
    connected = tx.get("connected_profiles", check_int(cp_id, "connectedprofile_id"))
    if connected is None:
        raise invalid(f"unknown connectedprofile_id {cp_id}")
    wanted = page_key(network, page["service_id"])
    if not any(page_key(p["type"], p["service_id"]) == wanted for p in connected["pages"]):
        raise invalid(f"connected profile {cp_id} ({connected['name']}) does not administer "
                      f"{name}: connect a profile that admins the page")
    return connected


def _unauthorized(tx: Tx, network: str, handle: str) -> dict[str, Any]:
    if network in AUTHORIZED_ONLY:
        raise ApiError("unsupported_type",
                       f"{network} streams must be authorized: unauthorized tracking of "
                       f"{network} is not supported")
    page = profiles.find(tx, network, handle, "public_pages") or profiles.find(tx, network, handle)
    if page is None:
        raise invalid(f"no public page {network}/{handle}")
    return _service(page, False, None)


def _service(page: Mapping[str, Any], authorized: bool,
             connected: Mapping[str, Any] | None) -> dict[str, Any]:
    return {"type": page["type"], "service_id": page["service_id"],
            "username": page.get("username") or page["service_id"],
            "displayname": page.get("displayname") or page["service_id"],
            "authorized": authorized, "connectedprofile_id": connected["id"] if connected else None,
            "expired": False}
