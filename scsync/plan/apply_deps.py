"""Which planned writes depend on which: computed once by the planner and carried in the plan
(each call's ``depends_on``), so that apply executes a list it was given, skipping the dependants
of a failed step and running independent steps side by side.

A write depends on an earlier one when it refers to the object that one creates (``{"ref":
ADDRESS}`` in its form), or when both touch one name of the same kind: a topic or group under its
name or its old name, and for profile groups each group named among its members (a parent group
waits for its children, a child's delete for its parent's update); a group create also waits for
every group delete ordered before it, which frees the slot it may need under the account's limit.
Profiles and users are distinct objects that nothing else writes: they never wait.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from scsync.plan.model import Change, PlannedCall
from scsync.providers.base import Call
from scsync.resources import Kind, parse_address

_PATH_REF = re.compile(r"\{ref:([^}]+)\}")


def refs_in(value: Any) -> Iterator[str]:
    """Every ``{"ref": ADDRESS}`` inside a form value, depth first."""
    if isinstance(value, dict):
        if set(value) == {"ref"} and isinstance(value["ref"], str):
            yield value["ref"]
            return
        for item in value.values():
            yield from refs_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from refs_in(item)


def call_refs(call: Call) -> list[str]:
    """The addresses whose platform ids ``call`` needs (``{ref:ADDRESS}`` in its path,
    ``{"ref": ADDRESS}`` in its form), in order, without repeats."""
    return list(dict.fromkeys([*_PATH_REF.findall(call.path), *refs_in(call.form)]))


def _members(side: Mapping[str, Any] | None) -> list[str]:
    groups = (side or {}).get("groups") or []
    return [g for g in groups if isinstance(g, str)]


def touched_names(change: Change | None, address: str) -> set[tuple[str, str]]:
    """(kind, name) pairs a write touches, for the same-name ordering rule."""
    kind, name = parse_address(address)
    if not kind.keyed_by_name:
        return set()
    names = {name}
    if change is not None:
        names |= {change.renamed_from} if change.renamed_from else set()
        if kind is Kind.PROFILE_GROUP:
            names |= set(_members(change.before)) | set(_members(change.after))
    return {(kind.value, n) for n in names}


def dependencies(calls: Sequence[Call], changes: Mapping[str, Change]) -> list[set[int]]:
    """For each call (by position), the positions of the earlier calls it must wait for."""
    by_address: dict[str, int] = {}
    last_touch: dict[tuple[str, str], int] = {}
    group_deletes: set[int] = set()
    deps: list[set[int]] = []
    for position, call in enumerate(calls):
        mine = {by_address[a] for a in call_refs(call) if a in by_address}
        if call.address.startswith(f"{Kind.PROFILE_GROUP.value}."):
            if call.action == "create":
                mine |= group_deletes
            elif call.action == "delete":
                group_deletes.add(position)
        for touched in touched_names(changes.get(call.address), call.address):
            if touched in last_touch:
                mine.add(last_touch[touched])
            last_touch[touched] = position
        deps.append(mine)
        by_address[call.address] = position
    return deps


def with_dependencies(calls: Sequence[Call], changes: Sequence[Change]) -> list[PlannedCall]:
    """``calls`` as the plan carries them: each with the 1-based positions it depends on."""
    deps = dependencies(calls, {c.address: c for c in changes})
    return [PlannedCall(**(call.model_dump() | {"depends_on": sorted(d + 1 for d in needs)}))
            for call, needs in zip(calls, deps, strict=True)]
