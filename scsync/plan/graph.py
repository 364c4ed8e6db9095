"""Dependency order of a plan: creates (topics, then groups child-first), then updates, then
deletes (groups holding others first, the reverse); deterministic within a tier (kind, then name),
as octoDNS sorts. Cycles among profile groups, which no order can satisfy, are refused before
(``scsync.group_cycles``)."""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from scsync.plan.diff import Draft
from scsync.resources import Kind, Resource

KIND_ORDER = {Kind.PROFILE: 0, Kind.TOPIC: 1, Kind.PROFILE_GROUP: 2, Kind.USER: 3}


def order(drafts: Iterable[Draft]) -> list[Draft]:
    """The drafts in the order apply must run them."""
    tiers: dict[str, list[Draft]] = {"create": [], "update": [], "delete": []}
    for draft in drafts:
        tiers[draft.action].append(draft)
    creates = sorted(tiers["create"], key=_tier_key)
    deletes = sorted(tiers["delete"], key=_tier_key, reverse=True)
    return (_children_first(creates, desired_side=True) + sorted(tiers["update"], key=_tier_key)
            + _children_first(deletes, desired_side=False)[::-1])


def _tier_key(draft: Draft) -> tuple[int, str]:
    return KIND_ORDER[draft.kind], draft.name


def _children_first(drafts: list[Draft], *, desired_side: bool) -> list[Draft]:
    """Stable topological sort of the group drafts (a group after the groups it holds); other
    kinds keep their place. Deletes are sorted with ``reverse`` and reversed by the caller."""
    groups = {d.name: d for d in drafts if d.kind is Kind.PROFILE_GROUP}
    if not groups:
        return drafts
    held_by: dict[str, list[str]] = {name: [] for name in groups}
    waiting: dict[str, int] = {}
    for name, draft in groups.items():
        resource = draft.desired if desired_side else draft.live
        children = {c for c in _members(resource) if c in groups and c != name}
        waiting[name] = len(children)
        for child in children:
            held_by[child].append(name)
    rank = {name: i for i, name in enumerate(d.name for d in drafts if d.name in groups)}
    ready = [(rank[n], n) for n, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    ordered: list[Draft] = []
    while ready:
        _, name = heapq.heappop(ready)
        ordered.append(groups[name])
        for parent in held_by[name]:
            waiting[parent] -= 1
            if waiting[parent] == 0:
                heapq.heappush(ready, (rank[parent], parent))
    ordered += [groups[n] for n in sorted(groups, key=rank.__getitem__) if waiting[n] > 0]
    others = [d for d in drafts if d.kind is not Kind.PROFILE_GROUP]
    return others + ordered


def _members(resource: Resource | None) -> list[str]:
    if resource is None:
        return []
    return list(resource.fields.get("groups") or [])
