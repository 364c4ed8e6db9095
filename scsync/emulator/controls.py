"""The ``/_emulator/`` controls (documented in ``app.py``): call log, stream expiry, clock,
out-of-band edits, the state dump and OAuth codes. Answered only to loopback clients."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from werkzeug.wrappers import Request, Response

from scsync.emulator import groups, oauth, profiles, state, topics, users
from scsync.emulator.clock import iso
from scsync.emulator.common import api_type, check_int, check_object, page_key, parse_json
from scsync.emulator.errors import ApiError, invalid, not_found
from scsync.emulator.platform import Platform
from scsync.emulator.store import Tx, dumps

LOOPBACK = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})


def handle(platform: Platform, request: Request, path: str) -> Response:
    try:
        if request.remote_addr not in LOOPBACK:
            raise ApiError("no_permission", "emulator controls answer loopback clients only")
        handler = _HANDLERS.get((request.method, path.removeprefix("/_emulator/")))
        if handler is None:
            raise not_found(f"no control {request.method} {path}")
        body, status = handler(platform, _body(request)), 200
    except ApiError as exc:
        body, status = exc.body(), exc.status
    return Response(dumps(body), status, mimetype="application/json")


def _body(request: Request) -> Any:
    if request.method != "POST":
        return None
    return parse_json(request.get_data(as_text=True) or "{}", "the control's body")


def _calls(platform: Platform, body: Any) -> Any:
    with platform.tx() as tx:
        rows = tx.conn.execute("SELECT data FROM calls ORDER BY id").fetchall()
    return [json.loads(r[0]) for r in rows]


def _clear_calls(platform: Platform, body: Any) -> Any:
    with platform.tx(write=True) as tx:
        tx.conn.execute("DELETE FROM calls")
    return True


def _expire(platform: Platform, body: Any) -> Any:
    body = check_object(body, ("type", "service_id"), "expire")
    key = page_key(api_type(str(body.get("type"))), str(body.get("service_id")))
    hit = 0
    with platform.tx(write=True) as tx:
        for topic in tx.all("topics"):
            for service in topic["services"]:
                if page_key(service["type"], service["service_id"]) == key or page_key(
                        service["type"], service["username"]) == key:
                    service["expired"] = True
                    hit += 1
            tx.put("topics", topic, topic["name"])
        if not hit:
            raise not_found(f"no stream of {body.get('type')}/{body.get('service_id')}")
    return {"expired": hit}


def _clock(platform: Platform, body: Any) -> Any:
    body = check_object(body, ("advance_s",), "clock")
    seconds = body.get("advance_s")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise invalid("advance_s must be a number of seconds, not negative")
    return {"now": iso(platform.advance(seconds))}


def _state(platform: Platform, body: Any) -> Any:
    with platform.tx() as tx:
        return state.dump(tx)


def _edit(platform: Platform, body: Any) -> Any:
    body = check_object(body, ("user", "object", "updates"), "edit")
    with platform.tx() as tx:
        actor = tx.by_key("users", str(body.get("user", "")).lower())
    if actor is None:
        raise invalid(f"unknown user {body.get('user')!r}")
    obj = check_object(body.get("object"), ("type", "id"), "object")
    edit = _EDITS.get(str(obj.get("type")))
    if edit is None:
        raise invalid(f"object.type must be one of {', '.join(_EDITS)}")
    with platform.tx(write=True, actor=actor) as tx:
        return edit(tx, obj.get("id"), body.get("updates") or {})


def _edit_profile(tx: Tx, ident: Any, updates: Mapping[str, Any]) -> Any:
    network, _, handle = str(ident).partition("/")
    profile = profiles.get(tx, api_type(network), handle)
    return profiles.output(profiles.update(tx, profile, updates))


def _edit_topic(tx: Tx, ident: Any, updates: Mapping[str, Any]) -> Any:
    return topics.update(tx, topics.get(tx, check_int(ident, "object.id")), updates, None)


def _edit_group(tx: Tx, ident: Any, updates: Mapping[str, Any]) -> Any:
    return groups.update(tx, groups.get(tx, check_int(ident, "object.id")), updates)


def _edit_user(tx: Tx, ident: Any, updates: Mapping[str, Any]) -> Any:
    return users.output(users.update(tx, users.get(tx, check_int(ident, "object.id")), updates))


def _oauth_code(platform: Platform, body: Any) -> Any:
    body = check_object(body, ("client_id", "user", "scopes"), "oauth-code")
    scopes = body.get("scopes") or ["accounts_read", "accounts_write"]
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise invalid("scopes must be a list of scope names")
    with platform.tx(write=True) as tx:
        email = body.get("user")
        user = (tx.by_key("users", str(email).lower()) if email is not None else
                next((u for u in tx.all("users") if u["role"] == "admin"), None))
        if user is None:
            raise invalid(f"unknown user {email!r}")
        return {"code": oauth.mint_code(tx, user["id"], str(body.get("client_id") or ""),
                                        scopes)}


_EDITS: dict[str, Callable[[Tx, Any, Mapping[str, Any]], Any]] = {
    "profile": _edit_profile, "topic": _edit_topic, "profilegroup": _edit_group,
    "user": _edit_user,
}
_HANDLERS: dict[tuple[str, str], Callable[[Platform, Any], Any]] = {
    ("GET", "calls"): _calls, ("DELETE", "calls"): _clear_calls, ("POST", "expire"): _expire,
    ("POST", "clock"): _clock, ("GET", "state"): _state, ("POST", "edit"): _edit,
    ("POST", "oauth-code"): _oauth_code,
}
