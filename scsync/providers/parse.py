"""Parse the platform's JSON objects into the live vocabulary: ``Resource``s with the field
shapes of ``scsync.resources`` (flows named, Twitter bios expanded) and the read-only objects of
``scsync.providers.base``. Pure functions: no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from scsync.providers.base import Account, ConnectedProfile, Flow, HistoryEntry, Me, Page, Role
from scsync.resources import (
    FALSE_DEFAULT_FIELDS,
    FLOW_FIELDS,
    FLOW_LIST_FIELDS,
    NETWORK_BY_API_TYPE,
    PROFILE_FIELDS,
    SOCIAL_LINKS,
    Kind,
    Resource,
)

# Profile settings whose value is a list (the API answers [] when unset).
LIST_FIELDS = frozenset({"quick_replies", "quick_replies_on_every_message", "custom_profiles",
                         "ice_breakers", "persistent_menu", "websites", "allowlisted_domains"})


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 text (``Z`` allowed) or unix time as an aware datetime; None when absent."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def prefix_of(api_type: str) -> str:
    """The config prefix of an API ``type`` (``web`` -> ``livechat``)."""
    network = NETWORK_BY_API_TYPE.get(api_type)
    return network.prefix if network else api_type


def parse_me(body: Mapping[str, Any]) -> Me:
    role = body.get("account_role") or {}
    token = body.get("token") or {}
    return Me(id=int(body["id"]), email=str(body.get("email") or ""),
              name=str(body.get("name") or ""),
              role=str(role.get("name") or "") if isinstance(role, dict) else str(role),
              token_expires_at=parse_time(token.get("expires_at")))


def parse_account(body: Mapping[str, Any]) -> tuple[Account, list[Mapping[str, Any]]]:
    """The account and its projects, from one item of ``/me/accounts``."""
    features = {str(k): bool(v) for k, v in (body.get("features") or {}).items()}
    account = Account(id=int(body["id"]), name=str(body.get("name") or ""), features=features)
    return account, list(body.get("projects") or [])


def parse_flow(body: Mapping[str, Any]) -> Flow:
    return Flow(id=int(body["id"]), name=str(body["name"]), enabled=bool(body.get("enabled", True)))


def parse_connected_profile(body: Mapping[str, Any]) -> ConnectedProfile:
    pages = tuple(Page(prefix_of(str(p["type"])), str(p["service_id"]), str(p.get("name") or ""))
                  for p in body.get("pages") or [])
    return ConnectedProfile(
        id=int(body["id"]), user_id=int(body.get("user_id") or 0),
        network=prefix_of(str(body["type"])), service_id=str(body["service_id"]),
        name=str(body.get("name") or ""), pages=pages, expired=bool(body.get("expired")),
        missing_permissions=tuple(str(p) for p in body.get("missing_permissions") or []))


def expand_bio(bio: str | None, bio_urls: Any) -> str | None:
    """The bio with every t.co link replaced by the URL it stands for."""
    if not bio:
        return bio
    for link in bio_urls or []:
        if isinstance(link, dict) and link.get("url") and link.get("expanded_url"):
            bio = bio.replace(str(link["url"]), str(link["expanded_url"]))
    return bio


def flow_name(flow_id: Any, flows_by_id: Mapping[int, str]) -> str | None:
    """A flow id as the flow's name (``#<id>`` when the platform has no such flow)."""
    if flow_id in (None, ""):
        return None
    try:
        return flows_by_id.get(int(flow_id), f"#{flow_id}")
    except (TypeError, ValueError):
        return f"#{flow_id}"


def _flow_item(item: Mapping[str, Any], flows_by_id: Mapping[int, str]) -> dict[str, Any]:
    out = {k: v for k, v in item.items() if k != "flow_id"}
    out["flow"] = flow_name(item.get("flow_id"), flows_by_id)
    return out


def _setting(field_name: str, settings: Mapping[str, Any], flows_by_id: Mapping[int, str]) -> Any:
    value = settings.get(field_name)
    if field_name in FLOW_FIELDS:
        return flow_name(value, flows_by_id)
    if field_name in FALSE_DEFAULT_FIELDS:
        return bool(value)
    if field_name in LIST_FIELDS:
        items = list(value or [])
        if field_name in FLOW_LIST_FIELDS:
            return [_flow_item(i, flows_by_id) for i in items if isinstance(i, dict)]
        return items
    return value


def profile_name(body: Mapping[str, Any]) -> str:
    """``twitter/ClaraLines``: the config prefix and the username (else the service id)."""
    handle = body.get("username") or body.get("service_id")
    return f"{prefix_of(str(body['type']))}/{handle}"


def parse_profile(body: Mapping[str, Any], flows_by_id: Mapping[int, str]) -> Resource:
    """A live profile: every setting of its network, flows named, the Twitter bio expanded."""
    prefix = prefix_of(str(body["type"]))
    settings = body.get("settings") or {}
    fields = {f: _setting(f, settings, flows_by_id) for f in PROFILE_FIELDS.get(prefix, ("color",))}
    if "bio" in fields:
        fields["bio"] = expand_bio(fields["bio"], settings.get("bio_urls"))
    return Resource(kind=Kind.PROFILE, name=profile_name(body), fields=fields,
                    id=f"{body['type']}/{body['service_id']}")


def parse_topic(body: Mapping[str, Any]) -> Resource:
    streams = [{"profile": profile_name(s), "authorized": bool(s.get("authorized")),
                "expired": bool(s.get("expired"))} for s in body.get("services") or []]
    fields = {"name": str(body["name"]), "searchkeywords": body.get("searchkeywords"),
              "streams": streams}
    return Resource(kind=Kind.TOPIC, name=str(body["name"]), fields=fields, id=str(body["id"]))


def parse_profile_group(body: Mapping[str, Any], profile_names: Mapping[tuple[str, str], str],
                        group_names: Mapping[str, str]) -> Resource:
    """A live group; member profiles and groups named through the live profiles and groups."""
    profiles = [profile_names.get((str(p["type"]), str(p["service_id"])),
                                  f"{prefix_of(str(p['type']))}/{p['service_id']}")
                for p in body.get("profiles") or []]
    groups = [group_names.get(str(g["id"]), f"#{g['id']}") for g in body.get("groups") or []]
    fields = {"name": str(body["name"]), "color": body.get("color"), "profiles": profiles,
              "groups": groups}
    return Resource(kind=Kind.PROFILE_GROUP, name=str(body["name"]), fields=fields,
                    id=str(body["id"]))


def parse_user(body: Mapping[str, Any]) -> Resource:
    links = body.get("social_links") or {}
    fields: dict[str, Any] = {f"social_links.{k}": links.get(k) or None for k in SOCIAL_LINKS}
    role = body.get("account_role")
    fields["role"] = str(role.get("name") or "") if isinstance(role, dict) else role
    return Resource(kind=Kind.USER, name=str(body["email"]), fields=fields, id=str(body["id"]))


def parse_role(body: Mapping[str, Any]) -> Role:
    return Role(id=int(body["id"]), name=str(body.get("name") or ""))


def parse_history(body: Mapping[str, Any]) -> HistoryEntry:
    user = body.get("user") or {}
    obj = body.get("object") or {}
    user_id = user.get("id")
    return HistoryEntry(
        date=parse_time(body.get("date")) or datetime.fromtimestamp(0, tz=UTC),
        user_id=int(user_id) if user_id is not None else None,
        user_name=str(user.get("name") or ""), type=str(body.get("type") or ""),
        object_type=str(obj.get("type") or ""), object_id=str(obj.get("id") or ""),
        object_name=str(obj.get("name") or ""), changes=dict(body.get("changes") or {}))
