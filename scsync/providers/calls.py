"""Build the one ``Call`` each change needs, from resources and the live state: pure, no I/O, so a
plan can list and price every write before any is made.

Flows travel as ids, profiles as ``{type, service_id}``, streams as the complete ``services``
list of their topic. Where an id is not known until an earlier call of the same apply creates it
(a member group created in the same run), the value is ``{"ref": ADDRESS}``; in a path such a
reference is written ``{ref:ADDRESS}``. ``execute`` fills both in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from scsync.errors import ProviderError
from scsync.providers.base import Call, LiveState
from scsync.providers.pages import page_index, page_key
from scsync.resources import (
    FLOW_FIELDS,
    FLOW_LIST_FIELDS,
    Kind,
    Resource,
    ResourceKey,
    address,
    split_profile_name,
)


def _segment(text: str) -> str:
    return quote(text, safe="")


def _id_value(text: str) -> int | str:
    return int(text) if text.isdigit() else text


class CallBuilder:
    """The calls of one account (``account_id``); see the module docstring."""

    def __init__(self, account_id: int) -> None:
        self.account_id = account_id

    def _path(self, *parts: str) -> str:
        return "/" + "/".join((str(self.account_id), "settings", *parts))

    # -- creates -----------------------------------------------------------------------------

    def create(self, desired: Resource, live: LiveState) -> Call:
        if desired.kind is Kind.TOPIC:
            topic: dict[str, Any] = {"name": desired.name}
            if desired.fields.get("searchkeywords") is not None:
                topic["searchkeywords"] = desired.fields["searchkeywords"]
            topic["services"] = self.services(desired.fields.get("streams") or [], live)
            return Call(method="POST", path=self._path("topics"), form={"topic": topic},
                        address=desired.address, action="create")
        if desired.kind is Kind.PROFILE_GROUP:
            group: dict[str, Any] = {"name": desired.name}
            for field_name, value in desired.fields.items():
                if field_name != "name" and value is not None:
                    group[field_name] = self._group_value(desired, field_name, value, live)
            return Call(method="POST", path=self._path("profilegroups"),
                        form={"profile_group": group}, address=desired.address, action="create")
        raise ProviderError(f"{desired.address}: {desired.kind.value}s are never created "
                            "through the API")

    # -- updates -----------------------------------------------------------------------------

    def update(self, live_resource: Resource, changed: Mapping[str, Any], desired: Resource,
               live: LiveState) -> Call:
        """The one call that sets ``changed`` (field -> desired value) and nothing else."""
        kind = live_resource.kind
        if kind is Kind.TOPIC:
            path, form = self._topic_update(live_resource, changed, live)
        elif kind is Kind.PROFILE:
            path, form = self._profile_update(live_resource, changed, desired, live)
        elif kind is Kind.PROFILE_GROUP:
            path = self._path("profilegroup", self._own_id(live_resource))
            form = {"updates": {f: self._group_value(desired, f, v, live)
                                for f, v in changed.items()}}
        else:
            path = self._path("user", self._own_id(live_resource))
            form = {"updates": user_updates(changed, live)}
        return Call(method="POST", path=path, form=form, address=desired.address,
                    action="update")

    def _topic_update(self, live_resource: Resource, changed: Mapping[str, Any],
                      live: LiveState) -> tuple[str, dict[str, Any]]:
        updates = {f: changed[f] for f in ("name", "searchkeywords") if f in changed}
        form: dict[str, Any] = {"updates": updates}
        if "streams" in changed:
            updates["services"] = self.services(changed["streams"] or [], live)
            form["options"] = {"services_edit_mode": "overwrite"}
        return self._path("topic", self._own_id(live_resource)), form

    def _profile_update(self, live_resource: Resource, changed: Mapping[str, Any],
                        desired: Resource, live: LiveState) -> tuple[str, dict[str, Any]]:
        api_type, _, service_id = (live_resource.id or "").partition("/")
        flows = {f.name: f.id for f in live.flows}
        updates = {f: _settings_value(desired.address, f, v, flows) for f, v in changed.items()}
        path = self._path("profile", _segment(api_type), _segment(service_id))
        return path, {"updates": updates}

    # -- deletes -----------------------------------------------------------------------------

    def delete(self, live_resource: Resource) -> Call:
        paths = {Kind.TOPIC: "topic", Kind.PROFILE_GROUP: "profilegroup"}
        if live_resource.kind not in paths:
            raise ProviderError(f"{live_resource.address}: {live_resource.kind.value}s are "
                                "never deleted through the API")
        path = self._path(paths[live_resource.kind], self._own_id(live_resource))
        return Call(method="DELETE", path=path, address=live_resource.address, action="delete")

    # -- references --------------------------------------------------------------------------

    def _own_id(self, resource: Resource) -> str:
        if resource.id:
            return _segment(resource.id)
        return "{ref:" + resource.address + "}"

    def services(self, streams: list[Mapping[str, Any]], live: LiveState) -> list[dict[str, Any]]:
        """The complete ``services`` list of a topic, one client entry per stream."""
        return [service_entry(stream, live) for stream in streams]

    def _group_value(self, desired: Resource, field_name: str, value: Any,
                     live: LiveState) -> Any:
        if field_name == "profiles":
            return [profile_ref(desired.address, name, live) for name in value or []]
        if field_name == "groups":
            return [{"id": group_ref(name, live)} for name in value or []]
        return value


def user_updates(changed: Mapping[str, Any], live: LiveState) -> dict[str, Any]:
    """A user's ``updates``: ``account_role`` (the role's id) and the changed social links."""
    updates: dict[str, Any] = {}
    if "role" in changed:
        wanted = str(changed["role"]).casefold()
        role = next((r for r in live.roles if r.name.casefold() == wanted), None)
        updates["account_role"] = role.id if role is not None else changed["role"]
    links = {f.removeprefix("social_links."): v for f, v in changed.items()
             if f.startswith("social_links.")}
    if links:
        updates["social_links"] = links
    return updates


def profile_ref(owner: str, name: str, live: LiveState) -> dict[str, str]:
    """``{"type", "service_id"}`` of a live profile named as config names it; when the profiles
    were not read (``scsync.plan.scope``), the handle stands for the service id."""
    if not live.has("profiles"):
        network, handle = split_profile_name(name)
        return {"type": network.api_type, "service_id": handle}
    found = live.find(ResourceKey.of(Kind.PROFILE, name))
    if found is None or not found.id:
        raise ProviderError(f"{owner} profiles: {name} is not a profile of this account")
    api_type, _, service_id = found.id.partition("/")
    return {"type": api_type, "service_id": service_id}


def group_ref(name: str, live: LiveState) -> int | str | dict[str, str]:
    """A member group's id, or ``{"ref": "profile_group.NAME"}`` when it is created in this run."""
    found = live.find(ResourceKey.of(Kind.PROFILE_GROUP, name))
    if found is not None and found.id:
        return _id_value(found.id)
    return {"ref": address(Kind.PROFILE_GROUP, name)}


def service_entry(stream: Mapping[str, Any], live: LiveState) -> dict[str, Any]:
    """A client ``services`` entry: type, username, authorized (+ connectedprofile_id)."""
    network, handle = split_profile_name(str(stream["profile"]))
    authorized = bool(stream.get("authorized", True))
    entry: dict[str, Any] = {"type": network.api_type, "username": handle,
                             "authorized": authorized}
    if not authorized:
        return entry
    owned = live.find(ResourceKey.of(Kind.PROFILE, str(stream["profile"])))
    service_id = handle
    if owned is not None and owned.id:
        entry["username"] = owned.name.partition("/")[2]
        service_id = owned.id.partition("/")[2]
    admins = page_index(live).admins([page_key(network.prefix, service_id)], names=False)
    admin = min(admins, key=lambda cp: (cp.expired, cp.id), default=None)
    if admin is not None:
        entry["connectedprofile_id"] = admin.id
    return entry


def flow_id(owner: str, field_name: str, name: Any, flows: Mapping[str, int]) -> int | None:
    """A flow's id from its name (``#<id>`` names an unknown id as read)."""
    if name in (None, ""):
        return None
    text = str(name)
    if text in flows:
        return flows[text]
    if text.startswith("#") and text[1:].isdigit():
        return int(text[1:])
    raise ProviderError(f"{owner} {field_name}: flow {text!r} does not exist on the platform")


def _settings_value(owner: str, field_name: str, value: Any, flows: Mapping[str, int]) -> Any:
    if field_name in FLOW_FIELDS:
        return flow_id(owner, field_name, value, flows)
    if field_name in FLOW_LIST_FIELDS and isinstance(value, list):
        return [_item_with_flow_id(owner, field_name, item, flows) for item in value]
    return value


def _item_with_flow_id(owner: str, field_name: str, item: Any,
                       flows: Mapping[str, int]) -> Any:
    if not isinstance(item, Mapping):
        return item
    out = {k: v for k, v in item.items() if k != "flow"}
    out["flow_id"] = flow_id(owner, field_name, item.get("flow"), flows)
    return out


_PATH_REF = re.compile(r"\{ref:([^}]*)\}")


def _known_id(ref: str, ids: Mapping[str, str]) -> str:
    if ref not in ids:
        raise ProviderError(f"{ref} has no platform id yet: the call that creates it must "
                            "run first")
    return str(ids[ref])


def resolve_refs(value: Any, ids: Mapping[str, str]) -> Any:
    """``value`` with every ``{"ref": ADDRESS}`` replaced by the id ``ids`` gives ADDRESS."""
    if isinstance(value, Mapping):
        if set(value) == {"ref"} and isinstance(value["ref"], str):
            return _id_value(_known_id(value["ref"], ids))
        return {k: resolve_refs(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_refs(v, ids) for v in value]
    return value


def resolve_path(path: str, ids: Mapping[str, str]) -> str:
    """``path`` with every ``{ref:ADDRESS}`` replaced by ADDRESS's id."""
    return _PATH_REF.sub(lambda m: _segment(_known_id(m.group(1), ids)), path)
