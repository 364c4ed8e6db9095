"""Parse the platform's JSON objects into the live vocabulary: ``Resource``s with the field
shapes of ``scsync.resources`` (flows named, Twitter bios expanded) and the read-only objects of
``scsync.providers.base``. Pure functions: no I/O."""

from __future__ import annotations

from collections.abc import Callable, Mapping
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


def parse_connected_profile(body: Mapping[str, Any], shared: Shared | None = None
                            ) -> ConnectedProfile:
    text = (shared or Shared()).text
    pages = tuple(Page(prefix_of(str(p["type"])), text(str(p["service_id"])),
                       text(str(p.get("name") or "")))
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
    if type(flow_id) is int and (name := flows_by_id.get(flow_id)) is not None:
        return name  # the usual case: a known flow's id
    if flow_id in (None, ""):
        return None
    try:
        return flows_by_id.get(int(flow_id), f"#{flow_id}")
    except (TypeError, ValueError):
        return f"#{flow_id}"


def _flow_item(item: Mapping[str, Any], flows_by_id: Mapping[int, str],
               shared: Shared) -> dict[str, Any]:
    """The item with its ``flow_id`` replaced by a ``flow`` (last) naming the flow; equal items
    (the same texts and flow id) come back as one dict, never written to."""
    if len(item) == 2 and type(flow_id := item.get("flow_id")) is int:
        # the usual item: a label or question, and a flow id
        (key, value), (other, other_value) = item.items()
        if key == "flow_id":
            key, value = other, other_value
        if type(value) is str:
            memo = (flow_id, key, value)
            found = shared.items.get(memo)
            if found is None:
                found = shared.items[memo] = {key: shared.text(value),
                                              "flow": flow_name(flow_id, flows_by_id)}
            return found
    out = dict(item)
    flow_id = out.pop("flow_id", None)
    plain = type(flow_id) is int
    text = shared.text
    for key, value in out.items():  # labels and questions repeat across profiles
        if type(value) is str:
            out[key] = text(value)
        else:
            plain = False
    if not plain:  # only texts and an int id: equal keys then mean equal items, types too
        out["flow"] = flow_name(flow_id, flows_by_id)
        return out
    items = shared.items
    memo = (flow_id, *out.items())
    found = items.get(memo)
    if found is None:
        out["flow"] = flow_name(flow_id, flows_by_id)
        found = items[memo] = out
    return found


class _Texts(dict[str, str]):
    def __missing__(self, text: str) -> str:
        self[text] = text
        return text


class Shared:
    """What the objects of one read share: one copy of each repeated text (``text``: a text
    seen before costs one dict look-up) and of each repeated flow item or stream (``items``).
    Live values are never written to, so equal ones can be one object."""

    __slots__ = ("items", "text")

    def __init__(self) -> None:
        self.text: Callable[[str], str] = _Texts().__getitem__
        self.items: dict[tuple[Any, ...], dict[str, Any]] = {}


# How a profile field's API value becomes its live value (``_FIELD_PLANS``).
_FLOW, _FALSE_DEFAULT, _LIST, _FLOW_LIST = range(4)


def _field_plan(names: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[tuple[str, int], ...]]:
    """A network's fields, and those of them whose value is more than the API's as it is."""
    special = []
    for name in names:
        if name in FLOW_FIELDS:
            special.append((name, _FLOW))
        elif name in FALSE_DEFAULT_FIELDS:
            special.append((name, _FALSE_DEFAULT))
        elif name in LIST_FIELDS:
            special.append((name, _FLOW_LIST if name in FLOW_LIST_FIELDS else _LIST))
    return names, tuple(special)


_FIELD_PLANS = {prefix: _field_plan(names) for prefix, names in PROFILE_FIELDS.items()}
_OTHER_PLAN = _field_plan(("color",))
# Live resources have no config locations: they share one empty mapping (never written to).
_NO_LOCATIONS: dict[str, Any] = {}


def profile_name(body: Mapping[str, Any]) -> str:
    """``twitter/ClaraLines``: the config prefix and the username (else the service id)."""
    handle = body.get("username") or body.get("service_id")
    return f"{prefix_of(str(body['type']))}/{handle}"


def parse_profile(body: Mapping[str, Any], flows_by_id: Mapping[int, str],
                  shared: Shared | None = None) -> Resource:
    """A live profile: every setting of its network, flows named, the Twitter bio expanded.
    One pass over the network's fields; repeated values shared through ``shared``."""
    shared = shared or Shared()
    share = shared.text
    api_type = str(body["type"])
    network = NETWORK_BY_API_TYPE.get(api_type)
    prefix = network.prefix if network else api_type
    settings = body.get("settings") or {}
    names, special = _FIELD_PLANS.get(prefix, _OTHER_PLAN)
    get = settings.get
    fields = {f: share(v) if type(v := get(f)) is str else v for f in names}
    for name, how in special:
        value = fields[name]
        if how == _FLOW_LIST:
            fields[name] = [_flow_item(i, flows_by_id, shared) for i in value or []
                            if isinstance(i, dict)]
        elif how == _FLOW:
            fields[name] = flow_name(value, flows_by_id)
        elif how == _FALSE_DEFAULT:
            fields[name] = bool(value)
        else:
            fields[name] = [share(i) if type(i) is str else i for i in list(value or [])]
    if "bio" in fields and fields["bio"]:
        fields["bio"] = expand_bio(fields["bio"], settings.get("bio_urls"))
    handle = body.get("username") or body.get("service_id")
    return Resource(kind=Kind.PROFILE, name=share(f"{prefix}/{handle}"), fields=fields,
                    id=f"{body['type']}/{body['service_id']}", locations=_NO_LOCATIONS)


def parse_topic(body: Mapping[str, Any], shared: Shared | None = None) -> Resource:
    """A live topic; equal streams (the same profile, authorized and expired) shared through
    ``shared``."""
    shared = shared or Shared()
    items = shared.items
    streams = []
    for s in body.get("services") or []:
        name = profile_name(s)
        authorized, expired = bool(s.get("authorized")), bool(s.get("expired"))
        memo = (name, authorized, expired)
        stream = items.get(memo)
        if stream is None:
            stream = items[memo] = {"profile": shared.text(name), "authorized": authorized,
                                    "expired": expired}
        streams.append(stream)
    name = str(body["name"])
    fields = {"name": name, "searchkeywords": body.get("searchkeywords"), "streams": streams}
    return Resource(kind=Kind.TOPIC, name=name, fields=fields, id=str(body["id"]),
                    locations=_NO_LOCATIONS)


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
                    id=str(body["id"]), locations=_NO_LOCATIONS)


def parse_user(body: Mapping[str, Any]) -> Resource:
    links = body.get("social_links") or {}
    fields: dict[str, Any] = {f"social_links.{k}": links.get(k) or None for k in SOCIAL_LINKS}
    role = body.get("account_role")
    fields["role"] = str(role.get("name") or "") if isinstance(role, dict) else role
    return Resource(kind=Kind.USER, name=str(body["email"]), fields=fields, id=str(body["id"]),
                    locations=_NO_LOCATIONS)


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
