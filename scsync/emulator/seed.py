"""Seeding a database from a checked fixture document (``fixture.load``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scsync.emulator import auth, groups, history, profiles, settings, topics, users
from scsync.emulator.clock import parse_time
from scsync.emulator.common import api_type, page_key
from scsync.emulator.errors import ApiError, EmulatorError
from scsync.emulator.store import Tx

FLOW_LISTS = ("quick_replies", "quick_replies_on_every_message", "persistent_menu", "ice_breakers")
FLOW_SCALARS = ("get_started", "send_flow_on_start")


def seed(tx: Tx, doc: Mapping[str, Any], base_now: float) -> None:
    """Fill an empty database with the account of ``doc``."""
    if doc.get("clock") is not None:
        offset = parse_time(doc["clock"]) - base_now
        tx.set_meta("clock_offset", offset)
        tx.now = base_now + offset
    account = doc["account"]
    tx.set_meta("account", {"id": account["id"], "name": account["name"],
                            "features": dict(account.get("features") or {})})
    for project in doc.get("projects") or [{"id": 1, "name": "Default"}]:
        tx.put("projects", {"id": project["id"], "name": project["name"]})
    for step in (_users, _flows, _connected, _pages, _profiles, _topics, _groups, _clients,
                 _history):
        try:
            step(tx, doc)
        except ApiError as exc:
            raise EmulatorError(f"fixture: {step.__name__.strip('_')}: {exc.description}") from None
        except (TypeError, AttributeError, KeyError, ValueError) as exc:  # a shape check missed
            raise EmulatorError(f"fixture: {step.__name__.strip('_')}: a value has the wrong "
                                f"type or shape ({type(exc).__name__}: {exc})") from None


def _users(tx: Tx, doc: Mapping[str, Any]) -> None:
    for entry in doc.get("users") or []:
        role = entry.get("role", "agent")
        if role not in users.ROLES:
            raise EmulatorError(f"fixture: user {entry['email']}: role must be admin or agent")
        links = {k: users.check_link(k, v) for k, v in (entry.get("social_links") or {}).items()}
        tx.put("users", {"id": entry["id"], "email": entry["email"],
                         "name": entry.get("name") or entry["email"].split("@")[0], "role": role,
                         "social_links": {k: links.get(k) for k in users.LINKS}},
               entry["email"].lower())
        for token in entry.get("tokens") or []:
            expires = token.get("expires")
            auth.store_token(tx, entry["id"], str(token["token"]),
                             token.get("scopes") or auth.DEFAULT_SCOPES,
                             None if expires is None else parse_time(expires),
                             token.get("refresh_token"))


def _flows(tx: Tx, doc: Mapping[str, Any]) -> None:
    for flow in doc.get("flows") or []:
        tx.put("flows", {"id": flow["id"], "name": flow["name"],
                         "enabled": bool(flow.get("enabled", True))})


def _connected(tx: Tx, doc: Mapping[str, Any]) -> None:
    for entry in doc.get("connected_profiles") or []:
        user = _user_id(tx, entry["user"])
        pages = [{"type": api_type(p["type"]), "service_id": str(p["service_id"]),
                  "name": p.get("name") or str(p["service_id"])} for p in entry.get("pages") or []]
        tx.put("connected_profiles", {
            "id": entry["id"], "user_id": user, "type": api_type(entry["type"]),
            "service_id": str(entry["service_id"]), "name": entry.get("name") or "",
            "pages": pages, "expired": bool(entry.get("expired", False)),
            "missing_permissions": list(entry.get("missing_permissions") or [])})


def _user_id(tx: Tx, ref: Any) -> int:
    user = tx.by_key("users", ref.lower()) if isinstance(ref, str) else tx.get("users", ref)
    if user is None:
        raise EmulatorError(f"fixture: unknown user {ref!r}")
    return int(user["id"])


def _page(entry: Mapping[str, Any], ident: int) -> dict[str, Any]:
    sid = str(entry["service_id"])
    return {"id": ident, "type": api_type(entry["type"]), "service_id": sid,
            "username": str(entry.get("username") or sid),
            "displayname": str(entry.get("displayname") or entry.get("username") or sid)}


def _pages(tx: Tx, doc: Mapping[str, Any]) -> None:
    for index, entry in enumerate(doc.get("public_pages") or [], start=1):
        page = _page(entry, index)
        tx.put("public_pages", page, page_key(page["type"], page["service_id"]))


def _profiles(tx: Tx, doc: Mapping[str, Any]) -> None:
    flows = {f["name"]: f["id"] for f in tx.all("flows")}
    for index, entry in enumerate(doc.get("profiles") or [], start=1):
        profile = _page(entry, index)
        if profile["type"] not in settings.FIELDS:
            raise EmulatorError(f"fixture: profiles[{index - 1}]: unknown type {entry['type']!r}")
        given = {k: _flow_refs(k, v, flows) for k, v in (entry.get("settings") or {}).items()}
        bio_urls = given.pop("bio_urls", None)
        try:
            values = settings.apply_updates(profile["type"], {}, given, set(flows.values()))
        except ApiError as exc:
            raise EmulatorError(f"fixture: profile {profile['type']}/{profile['service_id']}: "
                                f"{exc.description}") from None
        if bio_urls is not None:
            values["bio"], values["bio_urls"] = given.get("bio"), list(bio_urls)
        profiles.save(tx, {**profile, "settings": values})


def _flow_refs(name: str, value: Any, flows: Mapping[str, int]) -> Any:
    """Fixture settings may name flows (``flow: Refund``) where the API takes ids."""
    def resolve(ref: Any) -> Any:
        if isinstance(ref, str):
            if ref not in flows:
                raise EmulatorError(f"fixture: settings {name}: unknown flow {ref!r}")
            return flows[ref]
        return ref
    if name in FLOW_SCALARS:
        return resolve(value)
    if name in FLOW_LISTS and isinstance(value, list):
        return [{**{k: v for k, v in i.items() if k != "flow"},
                 "flow_id": resolve(i.get("flow", i.get("flow_id")))}
                if isinstance(i, dict) else i for i in value]
    return value


def _topics(tx: Tx, doc: Mapping[str, Any]) -> None:
    for entry in doc.get("topics") or []:
        topics.seed(tx, entry)


def _groups(tx: Tx, doc: Mapping[str, Any]) -> None:
    entries = doc.get("profile_groups") or []
    ids = {}
    for index, entry in enumerate(entries, start=1):
        ids[entry["name"]] = entry.get("id", index)
        tx.put("profilegroups", {"id": ids[entry["name"]], "name": entry["name"],
                                 "color": entry.get("color"), "profiles": [], "groups": []},
               entry["name"])
    for entry in entries:
        group = tx.get("profilegroups", ids[entry["name"]])
        assert group is not None
        refs = [{"id": ids.get(g, g)} if not isinstance(g, dict) else g
                for g in entry.get("groups") or []]
        items = [_split(p) for p in entry.get("profiles") or []]
        groups.update(tx, group, {"profiles": items, "groups": refs})
    tx.conn.execute("DELETE FROM history")


def _split(item: Any) -> Any:
    if isinstance(item, str) and "/" in item:
        network, _, handle = item.partition("/")
        return {"type": api_type(network), "service_id": handle}
    if isinstance(item, dict) and "type" in item:
        return {**item, "type": api_type(str(item["type"]))}
    return item


def _clients(tx: Tx, doc: Mapping[str, Any]) -> None:
    for client in doc.get("oauth_clients") or []:
        tx.conn.execute("INSERT OR REPLACE INTO oauth_clients VALUES (?, ?)",
                        (str(client["client_id"]), str(client["client_secret"])))


def _history(tx: Tx, doc: Mapping[str, Any]) -> None:
    for entry in doc.get("history") or []:
        user = entry.get("user")
        if user is not None and not isinstance(user, dict):
            found = tx.get("users", _user_id(tx, user))
            user = {"id": found["id"], "name": found["name"]} if found else None
        history.add_entry(tx, parse_time(entry["date"]),
                          {"user": user, "type": entry["type"], "object": entry["object"],
                           "changes": entry.get("changes") or {}})
