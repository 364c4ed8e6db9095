"""The API endpoints of platform-api.md: one small handler per (path, method), registered in
``ROUTES`` with the scopes, admin rights and transaction kind it needs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from scsync.emulator import groups, history, paging, profiles, topics, users
from scsync.emulator.auth import Token
from scsync.emulator.clock import iso, parse_time
from scsync.emulator.common import api_type, parse_json
from scsync.emulator.errors import invalid, not_found
from scsync.emulator.store import Tx

READ = ("accounts_read",)
# The fields of a listed profile (``profiles.output``), served from the stored row by SQLite.
PROFILE_FIELDS = ("type", "service_id", "username", "displayname", "settings")
WRITE = ("accounts_read", "accounts_write")
ACCOUNTS_LIMIT = 10  # /me/accounts's default page size


@dataclass(slots=True)
class Ctx:
    """What a handler knows of its request."""

    args: Mapping[str, str]
    form: Mapping[str, str]  # POST fields (the query string's where the body lacks them)
    base_url: str  # scheme://host/path of this request, for next_url
    token: Token

    def json(self, name: str, *, required: bool = True) -> Any:
        text = self.form.get(name)
        if text is None:
            if required:
                raise invalid(f"missing form field {name}")
            return None
        return parse_json(text, name)


Handler = Callable[..., Any]


@dataclass(frozen=True, slots=True)
class Route:
    path: str
    method: str
    handler: Handler
    scopes: tuple[str, ...] = READ
    admin: bool = False
    groups_feature: bool = False
    account: bool = True  # the path starts with /{a}

    @property
    def write(self) -> bool:
        return self.method != "GET"


ROUTES: list[Route] = []


def route(path: str, method: str = "GET", **options: Any) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        scopes = WRITE if method != "GET" else READ
        ROUTES.append(Route(path, method, handler, **{"scopes": scopes, **options}))
        return handler
    return register


def _table(ctx: Ctx, tx: Tx, table: str, render: Callable[[dict[str, Any]], Any] = dict,
           ) -> dict[str, Any]:
    limit = paging.limit_of(ctx.args)
    rows = tx.page(table, paging.decode(ctx.args) or 0, limit + 1)
    return paging.page(rows, limit, tx.count(table), ctx.base_url, ctx.args, render)


def _raw_table(ctx: Ctx, tx: Tx, table: str, fields: tuple[str, ...] | None = None,
               ) -> dict[str, Any]:
    """``_table`` serving each row's stored JSON (or its ``fields``) without decoding it."""
    limit = paging.limit_of(ctx.args)
    rows = tx.page_raw(table, paging.decode(ctx.args) or 0, limit + 1, fields)
    return paging.raw_page(rows, limit, tx.count(table), ctx.base_url, ctx.args)


def _listed(ctx: Ctx, items: list[dict[str, Any]], *, default: int = paging.DEFAULT_LIMIT,
            ) -> dict[str, Any]:
    limit = paging.limit_of(ctx.args, default=default)
    after = paging.decode(ctx.args) or 0
    rows = [i for i in sorted(items, key=lambda i: i["id"]) if i["id"] > after][:limit + 1]
    return paging.page(rows, limit, len(items), ctx.base_url, ctx.args, dict)


@route("/me", scopes=(), account=False)
def me(ctx: Ctx, tx: Tx) -> dict[str, Any]:
    body = users.output(ctx.token.user)
    del body["social_links"]
    body["token"] = {"expires_at": iso(ctx.token.expires), "scopes": list(ctx.token.scopes)}
    return body


@route("/me/accounts", account=False)
def me_accounts(ctx: Ctx, tx: Tx) -> dict[str, Any]:
    account = tx.meta("account")
    projects = [{**p, "topics": []} for p in tx.all("projects")]
    by_id = {p["id"]: p for p in projects}
    for topic in tx.all("topics"):
        monitored = [{k: s[k] for k in ("type", "username", "displayname")}
                     for s in topic["services"]]
        if topic["searchkeywords"]:
            monitored.append(_keyword_search(topic))
        by_id[topic["project_id"]]["topics"].append(
            {"id": topic["id"], "name": topic["name"], "searchkeywords": topic["searchkeywords"],
             "monitoredprofiles": monitored})
    return _listed(ctx, [{**account, "projects": projects}], default=ACCOUNTS_LIMIT)


def _keyword_search(topic: Mapping[str, Any]) -> dict[str, Any]:
    """A topic's keyword search as the platform lists it among the monitored profiles."""
    return {"type": "keywordsearch", "username": None, "displayname": topic["name"],
            "searchkeywords": topic["searchkeywords"]}


@route("/me/connectedprofiles", account=False)
def me_connected(ctx: Ctx, tx: Tx) -> dict[str, Any]:
    mine = [c for c in tx.all("connected_profiles") if c["user_id"] == ctx.token.user["id"]]
    return _listed(ctx, mine)


@route("/{a}/settings/connectedprofiles")
def connected_profiles(ctx: Ctx, tx: Tx) -> dict[str, Any]:
    return _raw_table(ctx, tx, "connected_profiles")


@route("/{a}/settings/flows")
def flows(ctx: Ctx, tx: Tx) -> dict[str, Any]:
    return _raw_table(ctx, tx, "flows")


@route("/{a}/settings/topics")
def list_topics(ctx: Ctx, tx: Tx) -> dict[str, Any]:
    return _raw_table(ctx, tx, "topics")


@route("/{a}/settings/topics", "POST")
def create_topic(ctx: Ctx, tx: Tx) -> dict[str, Any]:
    return topics.create(tx, ctx.json("topic"))


@route("/{a}/settings/topic/<int:ident>")
def get_topic(ctx: Ctx, tx: Tx, ident: int) -> dict[str, Any]:
    return topics.get(tx, ident)


@route("/{a}/settings/topic/<int:ident>", "POST")
def update_topic(ctx: Ctx, tx: Tx, ident: int) -> dict[str, Any]:
    topic = topics.get(tx, ident)
    return topics.update(tx, topic, ctx.json("updates"), ctx.json("options", required=False))


@route("/{a}/settings/topic/<int:ident>", "DELETE")
def delete_topic(ctx: Ctx, tx: Tx, ident: int) -> bool:
    topics.delete(tx, topics.get(tx, ident))
    return True


@route("/{a}/settings/profiles", admin=True)
def list_profiles(ctx: Ctx, tx: Tx) -> dict[str, Any]:
    return _raw_table(ctx, tx, "profiles", PROFILE_FIELDS)


@route("/{a}/settings/profile/<network>/<path:handle>", admin=True)
def get_profile(ctx: Ctx, tx: Tx, network: str, handle: str) -> dict[str, Any]:
    return profiles.output(profiles.get(tx, api_type(network), handle))


@route("/{a}/settings/profile/<network>/<path:handle>", "POST", admin=True)
def update_profile(ctx: Ctx, tx: Tx, network: str, handle: str) -> dict[str, Any]:
    profile = profiles.get(tx, api_type(network), handle)
    return profiles.output(profiles.update(tx, profile, ctx.json("updates")))


@route("/{a}/settings/profilegroups", admin=True, groups_feature=True)
def list_groups(ctx: Ctx, tx: Tx) -> dict[str, Any]:
    return _raw_table(ctx, tx, "profilegroups")


@route("/{a}/settings/profilegroups", "POST", admin=True, groups_feature=True)
def create_group(ctx: Ctx, tx: Tx) -> dict[str, Any]:
    return groups.create(tx, ctx.json("profile_group"))


@route("/{a}/settings/profilegroup/<int:ident>", admin=True, groups_feature=True)
def get_group(ctx: Ctx, tx: Tx, ident: int) -> dict[str, Any]:
    return groups.get(tx, ident)


@route("/{a}/settings/profilegroup/<int:ident>", "POST", admin=True, groups_feature=True)
def update_group(ctx: Ctx, tx: Tx, ident: int) -> dict[str, Any]:
    return groups.update(tx, groups.get(tx, ident), ctx.json("updates"))


@route("/{a}/settings/profilegroup/<int:ident>", "DELETE", admin=True, groups_feature=True)
def delete_group(ctx: Ctx, tx: Tx, ident: int) -> bool:
    groups.delete(tx, groups.get(tx, ident))
    return True


@route("/{a}/settings/users")
def list_users(ctx: Ctx, tx: Tx) -> dict[str, Any]:
    return _table(ctx, tx, "users", users.output)


@route("/{a}/settings/user/<int:ident>")
def get_user(ctx: Ctx, tx: Tx, ident: int) -> dict[str, Any]:
    return users.output(users.get(tx, ident))


@route("/{a}/settings/user/<int:ident>", "POST")
def update_user(ctx: Ctx, tx: Tx, ident: int) -> dict[str, Any]:
    return users.output(users.update(tx, users.get(tx, ident), ctx.json("updates")))


@route("/{a}/settings/user/<int:ident>", "DELETE")
def delete_user(ctx: Ctx, tx: Tx, ident: int) -> bool:
    users.delete(tx, users.get(tx, ident), ctx.token.user["id"])
    return True


@route("/{a}/settings/history")
def settings_history(ctx: Ctx, tx: Tx) -> dict[str, Any]:
    limit = paging.limit_of(ctx.args)
    before = paging.decode(ctx.args)
    rows, total = history.query(tx, _history_filters(ctx.args), before, limit + 1)
    return paging.page(rows, limit, total, ctx.base_url, ctx.args, dict)


def _history_filters(args: Mapping[str, str]) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    for name in ("date_from", "date_to"):
        if args.get(name):
            try:
                filters[name] = parse_time(args[name])
            except ValueError:
                raise invalid(f"{name} must be an ISO-8601 date or unix seconds") from None
    if args.get("types"):
        filters["types"] = [t.strip() for t in args["types"].split(",") if t.strip()]
        unknown = [t for t in filters["types"] if t not in history.OBJECT_TYPES]
        if unknown:
            raise invalid(f"unknown history type {unknown[0]!r} "
                          f"(expected: {', '.join(history.OBJECT_TYPES)})")
    for name in ("topic_ids", "user_id"):
        if args.get(name):
            parts = [p.strip() for p in args[name].split(",") if p.strip()]
            if not all(p.isdigit() for p in parts):
                raise invalid(f"{name} must be a comma-separated list of ids")
            filters[name] = [int(p) for p in parts] if name == "topic_ids" else int(parts[0])
    return filters


def check_account(tx: Tx, account_id: int) -> None:
    if tx.meta("account", {}).get("id") != account_id:
        raise not_found(f"no account {account_id}")


@route("/{a}/settings/userroles")
def user_roles(ctx: Ctx, tx: Tx) -> dict[str, Any]:
    return _listed(ctx, users.roles())


@route("/me/permissions", scopes=(), account=False)
def me_permissions(ctx: Ctx, tx: Tx) -> dict[str, Any]:
    return {"scopes": list(ctx.token.scopes)}
