"""The soak's checks, written apart from scsync's own diff so that they cross-check it: duplicate
topics or groups in the emulator's state, every desired setting live (``settings_lost``), and the
faults counted from the emulator's call log.

``settings_lost`` compares the config the soak wrote with ``GET /_emulator/state`` field by
field, normalising as the platform stores things: colours and WhatsApp verticals in any case,
Twitter bios with their t.co links expanded, flows by id, allow-listed domains and stream sets
unordered, handles case-insensitive where the network says so, and an absent live value equal to
null, ``[]`` or ``false``. Fields in ``lifecycle.ignore_changes`` are skipped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from bench.soak_edits import Desired, ignored

Data = dict[str, Any]
API_TYPE = {"twitter": "twitter", "facebook": "facebook", "instagram": "instagram",
            "whatsapp": "whatsapp", "livechat": "web"}
EXACT = frozenset({"whatsapp", "web"})  # handles matched exactly; the others ignore case
FLOW_LISTS = frozenset({"quick_replies", "quick_replies_on_every_message", "persistent_menu",
                        "ice_breakers"})
FLOW_FIELDS = frozenset({"get_started", "send_flow_on_start"})
CASELESS = frozenset({"color", "vertical"})
SETS = frozenset({"allowlisted_domains"})
NOT_SETTINGS = frozenset({"lifecycle", "previous_names"})
EMPTY: tuple[Any, ...] = (None, [], False)
FAULT_KINDS = ("error", "dropped", "lost")


def duplicates(state: Mapping[str, Any]) -> list[str]:
    """``topic.NAME`` / ``profile_group.NAME`` for every name held by more than one live object."""
    found = []
    for kind, prefix in (("topics", "topic"), ("profile_groups", "profile_group")):
        names = Counter(obj["name"] for obj in state[kind])
        found += [f"{prefix}.{name} x{n}" for name, n in sorted(names.items()) if n > 1]
    return found


def page(type_: str, handle: str) -> tuple[str, str]:
    return type_, handle if type_ in EXACT else handle.casefold()


def config_page(name: str) -> tuple[str, str]:
    network, _, handle = name.partition("/")
    return page(API_TYPE[network], handle)


def settings_lost(desired: Desired, state: Mapping[str, Any]) -> list[str]:
    """Every desired field that is not live (``ADDRESS FIELD``), every desired object missing
    live, and every live topic or group that the config deletes but is still there."""
    flows = {f["name"]: f["id"] for f in state["flows"]}
    objs = desired.objects
    return [*_profiles(objs["profiles"], state["profiles"], flows),
            *_topics(objs["topics"], state["topics"]),
            *_groups(objs["profile_groups"], state["profile_groups"]),
            *_users(objs["users"], state["users"])]


def _profiles(wanted: Mapping[str, Data], live: Iterable[Data], flows: Mapping[str, int],
              ) -> list[str]:
    by_page = {page(p["type"], p["service_id"]): p for p in live}
    lost = []
    for name, obj in wanted.items():
        found = by_page.get(config_page(name))
        if found is None:
            lost.append(f"profile.{name} (missing)")
            continue
        settings = {**found["settings"]}
        for key, value in _managed(obj):
            if _setting(key, value, settings, flows) != _live(key, settings):
                lost.append(f"profile.{name} {key}")
    return lost


def _managed(obj: Data) -> list[tuple[str, Any]]:
    skip = ignored(obj) | NOT_SETTINGS | {"accept_custom_profile_terms"}
    return [(k, v) for k, v in obj.items() if k not in skip]


def _setting(key: str, value: Any, settings: Data, flows: Mapping[str, int]) -> Any:
    """The desired value as the platform would store it."""
    if value in EMPTY:
        return None
    if key in CASELESS:
        return str(value).casefold()
    if key in FLOW_FIELDS:
        return flows[value]
    if key in FLOW_LISTS:
        return [{**{k: v for k, v in item.items() if k != "flow"}, "flow_id": flows[item["flow"]]}
                for item in value]
    if key in SETS:
        return sorted(value)
    return value


def _live(key: str, settings: Data) -> Any:
    value: Any = settings.get(key)
    if value in EMPTY:
        return None
    if key in CASELESS:
        return str(value).casefold()
    if key in SETS:
        return sorted(value)
    if key == "bio":
        for link in settings.get("bio_urls") or []:
            value = value.replace(link["url"], link["expanded_url"])
    return value


def _stream_set(streams: Iterable[Any]) -> set[tuple[str, str, bool]]:
    out = set()
    for stream in streams:
        spec = {"profile": stream} if isinstance(stream, str) else stream
        out.add((*config_page(spec["profile"]), bool(spec.get("authorized", True))))
    return out


def _leftovers(wanted: Mapping[str, Data], live: Iterable[Data], prefix: str) -> list[str]:
    return [f"{prefix}.{obj['name']} (deleted in config, still live)"
            for obj in live if obj["name"] not in wanted]


def _topics(wanted: Mapping[str, Data], live: list[Data]) -> list[str]:
    by_name = {t["name"]: t for t in live}
    lost = _leftovers(wanted, live, "topic")
    for name, obj in wanted.items():
        found = by_name.get(name)
        if found is None:
            lost.append(f"topic.{name} (missing)")
            continue
        skip = ignored(obj)
        if "searchkeywords" in obj and "searchkeywords" not in skip and (
                obj["searchkeywords"] != found["searchkeywords"]):
            lost.append(f"topic.{name} searchkeywords")
        have = {(*page(s["type"], s["service_id"]), s["authorized"]) for s in found["services"]}
        if "streams" not in skip and _stream_set(obj.get("streams", [])) != have:
            lost.append(f"topic.{name} streams")
    return lost


def _groups(wanted: Mapping[str, Data], live: list[Data]) -> list[str]:
    by_name = {g["name"]: g for g in live}
    names = {g["id"]: g["name"] for g in live}
    lost = _leftovers(wanted, live, "profile_group")
    for name, obj in wanted.items():
        found = by_name.get(name)
        if found is None:
            lost.append(f"profile_group.{name} (missing)")
            continue
        skip = ignored(obj)
        if "color" in obj and "color" not in skip and (
                str(obj["color"]).casefold() != str(found["color"] or "").casefold()):
            lost.append(f"profile_group.{name} color")
        members = {page(p["type"], p["service_id"]) for p in found["profiles"]}
        if {config_page(p) for p in obj.get("profiles", [])} != members:
            lost.append(f"profile_group.{name} profiles")
        if set(obj.get("groups", [])) != {names.get(g["id"]) for g in found["groups"]}:
            lost.append(f"profile_group.{name} groups")
    return lost


def _users(wanted: Mapping[str, Data], live: Iterable[Data]) -> list[str]:
    by_email = {u["email"].casefold(): u for u in live}
    lost = []
    for email, obj in wanted.items():
        found = by_email.get(email.casefold())
        if found is None:
            lost.append(f"user.{email} (missing)")
            continue
        skip = ignored(obj)
        for network, url in (obj.get("social_links") or {}).items():
            if f"social_links.{network}" not in skip and found["social_links"].get(
                    network) != url:
                lost.append(f"user.{email} social_links.{network}")
    return lost


def faults(calls: Iterable[Mapping[str, Any]]) -> Counter[str]:
    """Per kind, the faults an emulator call log records: injected 500s (``error``), dropped
    connections, lost responses, and rate-limit refusals (``rate_limit``); ``calls`` counts every
    API call logged."""
    counted: Counter[str] = Counter({kind: 0 for kind in (*FAULT_KINDS, "rate_limit")})
    for entry in calls:
        counted["calls"] += 1
        if entry.get("fault") in FAULT_KINDS:
            counted[entry["fault"]] += 1
        elif entry.get("error") == "rate_limit_reached":
            counted["rate_limit"] += 1
    return counted
