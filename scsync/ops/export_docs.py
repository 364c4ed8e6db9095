"""Live resources as config objects: the plain data ``scsync export`` writes for each object,
in canonical key order, and the file of the examples/config layout each object belongs in.

What is exported is exactly what config would manage: every setting the platform has a value
for (flows by name, the Twitter bio expanded), unset settings left out (absent = unmanaged, so a
plan right after an export is empty), and never a read-only field or a secret.
"""

from __future__ import annotations

from typing import Any

from scsync.errors import ScsyncError
from scsync.ops.canonical import ITEM_FIELDS, sort_keys
from scsync.resources import FALSE_DEFAULT_FIELDS, PROFILE_FIELDS, SOCIAL_LINKS, Kind, Resource

KIND_NAMES: dict[str, Kind] = {
    **{kind.value: kind for kind in Kind},
    **{kind.config_section: kind for kind in Kind},
    "groups": Kind.PROFILE_GROUP,
}
# The order of sections in the layout, and so of an export's files.
KIND_ORDER = (Kind.PROFILE, Kind.TOPIC, Kind.PROFILE_GROUP, Kind.USER)


def parse_kinds(text: str | None) -> frozenset[Kind]:
    """``--kinds profiles,topics`` -> those kinds (all when empty). Raises ``ScsyncError``."""
    if not text:
        return frozenset(Kind)
    kinds: set[Kind] = set()
    for part in (p.strip() for p in text.split(",")):
        if part not in KIND_NAMES:
            choices = ", ".join(k.config_section for k in KIND_ORDER)
            raise ScsyncError(f'--kinds: unknown kind "{part}"; expected a comma-separated list '
                              f"of {choices}")
        kinds.add(KIND_NAMES[part])
    return frozenset(kinds)


def layout_file(resource: Resource) -> str:
    """The file of the layout that holds ``resource``: profiles/twitter.yaml, topics.yaml..."""
    if resource.kind is Kind.PROFILE:
        return f"profiles/{resource.name.partition('/')[0]}.yaml"
    return f"{resource.kind.config_section}.yaml"


def _unset(name: str, value: Any) -> bool:
    if name in FALSE_DEFAULT_FIELDS:
        return value is not True
    return value is None or value == "" or value == [] or value == {}


def _item(item: Any) -> Any:
    if isinstance(item, dict):
        return {k: item[k] for k in sort_keys(item.keys(), ITEM_FIELDS) if item[k] is not None}
    return item


def profile_object(resource: Resource) -> dict[str, Any]:
    network = resource.name.partition("/")[0]
    out: dict[str, Any] = {}
    for name in PROFILE_FIELDS.get(network, ("color",)):
        value = resource.fields.get(name)
        if _unset(name, value):
            continue
        out[name] = [_item(i) for i in value] if isinstance(value, list) else value
    return out


def _stream(stream: dict[str, Any]) -> Any:
    if stream.get("authorized", True):
        return stream["profile"]
    return {"profile": stream["profile"], "authorized": False}


def topic_object(resource: Resource) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not _unset("searchkeywords", resource.fields.get("searchkeywords")):
        out["searchkeywords"] = resource.fields["searchkeywords"]
    out["streams"] = [_stream(s) for s in resource.fields.get("streams") or []]
    return out


def group_object(resource: Resource) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("color", "profiles", "groups"):
        value = resource.fields.get(name)
        if not _unset(name, value):
            out[name] = list(value) if isinstance(value, list) else value
    return out


def user_object(resource: Resource) -> dict[str, Any]:
    links = {k: resource.fields.get(f"social_links.{k}") for k in SOCIAL_LINKS}
    return {"social_links": {k: v for k, v in links.items() if v}}


def config_object(resource: Resource) -> dict[str, Any]:
    """The config data of a live resource (see the module docstring)."""
    build = {Kind.PROFILE: profile_object, Kind.TOPIC: topic_object,
             Kind.PROFILE_GROUP: group_object, Kind.USER: user_object}[resource.kind]
    return build(resource)


def exported(resource: Resource) -> bool:
    """Whether an export writes ``resource``: users only when they have a social link (users are
    adopted; one without links has nothing for config to manage)."""
    if resource.kind is Kind.USER:
        return bool(user_object(resource)["social_links"])
    return True
