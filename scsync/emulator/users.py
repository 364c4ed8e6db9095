"""Users of the account: never created through the API; role (never leaving the account without
an administrator), business-hours schedule and personal social links can be updated (links merged
key by key, null clears one); an administrator can remove another user from the account
(``DELETE``, as the platform's public API has it); ``roles`` lists the account's roles."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scsync.emulator import history
from scsync.emulator.common import check_int, check_object, existing, is_url
from scsync.emulator.errors import ApiError, invalid
from scsync.emulator.store import Tx

ROLES = {"admin": 1, "agent": 2}
ROLE_NAMES = {v: k for k, v in ROLES.items()}
LINKS = ("twitter", "facebook", "linkedin", "instagram")
FIELDS = ("account_role", "business_hours_schedule_id", "social_links")


def roles() -> list[dict[str, Any]]:
    """The account's roles as ``GET /{a}/settings/userroles`` lists them."""
    return [{"id": ident, "name": name} for name, ident in ROLES.items()]


def get(tx: Tx, user_id: int) -> dict[str, Any]:
    return existing(tx, "users", user_id, "user")


def output(user: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": user["id"], "name": user["name"], "email": user["email"],
            "account_role": {"id": ROLES[user["role"]], "name": user["role"]},
            "social_links": {k: user["social_links"].get(k) for k in LINKS}}


def check_link(name: str, url: Any) -> str | None:
    if url is None or url == "":
        return None
    if not is_url(url):
        raise invalid(f"social_links.{name}: {url!r} is not a valid http(s) URL")
    return str(url)


def update(tx: Tx, user: dict[str, Any], updates: Any) -> dict[str, Any]:
    updates = check_object(updates, FIELDS, "updates")
    new = {**user, "social_links": dict(user["social_links"])}
    if "account_role" in updates:
        _require_admin(tx, "change a user's role")
        new["role"] = _role(updates["account_role"])
        if user["role"] == "admin" and new["role"] != "admin" and _admins(tx) <= 1:
            raise invalid("the account must keep at least one administrator")
    if "business_hours_schedule_id" in updates:
        value = updates["business_hours_schedule_id"]
        new["business_hours_schedule_id"] = None if value is None else check_int(
            value, "business_hours_schedule_id")
    if "social_links" in updates:
        if tx.actor and tx.actor["id"] != user["id"]:
            _require_admin(tx, "change another user's social links")
        links = check_object(updates["social_links"], LINKS, "social_links")
        for name, url in links.items():
            new["social_links"][name] = check_link(name, url)
    tx.put("users", new, new["email"].lower())
    history.record(tx, "update", ("user", new["id"], new["name"]), _changes(user, new))
    return new


def delete(tx: Tx, user: dict[str, Any], caller_id: int) -> None:
    """Remove ``user`` (and their tokens) from the account: administrators only."""
    _require_admin(tx, "remove a user from the account")
    if user["id"] == caller_id:
        raise invalid("a user cannot remove themselves from the account")
    tx.delete("users", user["id"])
    tx.conn.execute("DELETE FROM tokens WHERE user_id = ?", (user["id"],))
    history.record(tx, "delete", ("user", user["id"], user["name"]), {})


def _changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    flat_old = {"account_role": old["role"], **{f"social_links.{k}": old["social_links"].get(k)
                                                 for k in LINKS},
                "business_hours_schedule_id": old.get("business_hours_schedule_id")}
    flat_new = {"account_role": new["role"], **{f"social_links.{k}": new["social_links"].get(k)
                                                 for k in LINKS},
                "business_hours_schedule_id": new.get("business_hours_schedule_id")}
    return history.changes(flat_old, flat_new)


def _admins(tx: Tx) -> int:
    return sum(1 for u in tx.all("users") if u["role"] == "admin")


def _require_admin(tx: Tx, what: str) -> None:
    if tx.actor is not None and tx.actor.get("role") != "admin":
        raise ApiError("no_permission", f"only administrators can {what}")


def _role(value: Any) -> str:
    if isinstance(value, Mapping):
        value = value.get("name", value.get("id"))
    if isinstance(value, int) and not isinstance(value, bool) and value in ROLE_NAMES:
        return ROLE_NAMES[value]
    if isinstance(value, str) and value.lower() in ROLES:
        return value.lower()
    raise invalid(f"account_role must be one of {', '.join(ROLES)} (or its id)")
