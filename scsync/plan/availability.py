"""Planning on a platform that lacks endpoints (degrade per kind): a list the platform does not
offer (``LiveState.unavailable``) makes its kind "not available on this platform". The plan says
so once (a health item naming the endpoint, ``scsync.plan.health``), plans every other kind, and
fails only for what the config asks of a missing one, naming the endpoint.

Flows given by id (``flow: {flow_id: ID}``, ``#ID`` in the desired state) are resolved to their
names here when the flows were read, so both sides compare alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from scsync.errors import Location, Problem
from scsync.plan.checks import flow_names, flow_refs
from scsync.plan.health import missing_endpoint
from scsync.providers.base import KIND_LISTS, LiveState
from scsync.resources import FLOW_FIELDS, FLOW_LIST_FIELDS, Kind, Resource, ResourceKey


def _first(resources: list[Resource]) -> Resource:
    """The object the config declares first (by file, line and column)."""
    nowhere = Location("", 0, 0)
    return min(resources, key=lambda r: (r.location() is None, r.location() or nowhere, r.name))


def unavailable_kinds(desired: Mapping[ResourceKey, Resource],
                      live: LiveState) -> list[Problem]:
    """One error per kind the config declares but the platform does not offer."""
    problems = []
    for kind, name in KIND_LISTS.items():
        gone = live.unavailable.get(name)
        chosen = [r for key, r in desired.items() if key.kind is kind] if gone else []
        if gone is None or not chosen:
            continue
        first = _first(chosen)
        count = f"{len(chosen)} {kind.noun}{'' if len(chosen) == 1 else 's'}"
        problems.append(Problem(
            f"{kind.noun}s are not available on this platform ({missing_endpoint(gone)}), so "
            f"the {count} of the config cannot be planned; remove {kind.config_section} from "
            "the config, or run `scsync doctor` to see what this platform offers",
            first.location(), first.address))
    return problems


def flow_problems(desired: Mapping[ResourceKey, Resource], live: LiveState) -> list[Problem]:
    """Flows named when the platform does not list them: each must be given by id instead."""
    gone = live.unavailable.get("flows")
    if gone is None:
        return []
    problems = []
    for resource in desired.values():
        if resource.kind is not Kind.PROFILE:
            continue
        for path, name in flow_refs(resource):
            if not str(name).startswith("#"):
                problems.append(Problem(
                    f'flow "{name}" cannot be found by name: this platform does not list flows '
                    f"({missing_endpoint(gone)}); refer to it by id instead "
                    "(flow: {flow_id: ID})",
                    resource.location(path), resource.address, path))
    return problems


def resolve_flow_ids(desired: Mapping[ResourceKey, Resource],
                     live: LiveState) -> dict[ResourceKey, Resource]:
    """``desired`` with every ``#ID`` flow reference named, when the flows were read."""
    names = {f"#{flow.id}": flow.name for flow in live.flows}
    if not names:
        return dict(desired)
    out = dict(desired)
    for key, resource in desired.items():
        if resource.kind is Kind.PROFILE and any(
                str(ref).startswith("#") for ref in flow_names(resource)):
            fields = {f: _named(f, v, names) for f, v in resource.fields.items()}
            out[key] = replace(resource, fields=fields)
    return out


def _named(field_name: str, value: Any, names: Mapping[str, str]) -> Any:
    if field_name in FLOW_FIELDS and isinstance(value, str):
        return names.get(value, value)
    if field_name in FLOW_LIST_FIELDS and isinstance(value, list):
        return [{**item, "flow": names.get(str(item.get("flow")), item.get("flow"))}
                if isinstance(item, dict) else item for item in value]
    return value


def available(desired: Mapping[ResourceKey, Resource],
              live: LiveState) -> tuple[dict[ResourceKey, Resource], list[Problem]]:
    """The desired objects that can be planned on this platform (flow ids named), and the
    errors for what the config asks of what it lacks."""
    problems = unavailable_kinds(desired, live) + flow_problems(desired, live)
    kept = {key: r for key, r in desired.items() if KIND_LISTS[key.kind] not in live.unavailable}
    return resolve_flow_ids(kept, live), problems
