"""Dependency order of a plan: creates (topics, then groups child-first), then updates, then
deletes (groups holding others first, the reverse); deterministic within a tier (kind, then name),
as octoDNS sorts. A group delete that frees a slot runs before the group create that needs it
(``make_room``), so that no step of the order passes the account's group limit. Cycles among
profile groups, which no order can satisfy, are refused before (``scsync.group_cycles``)."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping

from scsync.plan.diff import Draft
from scsync.resources import MAX_GROUPS, Kind, Resource

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


def _group_step(draft: Draft) -> int:
    """How a draft changes the account's group count when it runs (blocked ones never run)."""
    if draft.kind is not Kind.PROFILE_GROUP or draft.blocked:
        return 0
    return {"create": 1, "delete": -1}.get(draft.action, 0)


def make_room(drafts: list[Draft], live_groups: int) -> list[Draft]:
    """``drafts`` (ordered) with group deletes moved, in their order, just before the group
    create that would otherwise pass the limit of ``MAX_GROUPS`` (``live_groups`` exist now)."""
    deletes = [d for d in drafts if _group_step(d) < 0]
    moved: set[int] = set()
    ordered: list[Draft] = []
    count = live_groups
    for draft in drafts:
        if id(draft) in moved:
            continue
        if _group_step(draft) > 0:
            while count >= MAX_GROUPS and deletes:
                early = deletes.pop(0)
                moved.add(id(early))
                ordered.append(early)
                count -= 1
        elif _group_step(draft) < 0:
            deletes.remove(draft)
        count += _group_step(draft)
        ordered.append(draft)
    return ordered


def over_limit(drafts: list[Draft], live_groups: int) -> tuple[Draft, int] | None:
    """The first group create at which the account would hold more than ``MAX_GROUPS``, with
    that count."""
    count = live_groups
    for draft in drafts:
        count += _group_step(draft)
        if count > MAX_GROUPS and _group_step(draft) > 0:
            return draft, count
    return None


def _holds(graph: Mapping[str, set[str]], start: str, target: str) -> bool:
    """Whether ``start`` contains ``target``, directly or through other groups."""
    seen, stack = set(), [start]
    while stack:
        name = stack.pop()
        if name == target:
            return True
        if name not in seen:
            seen.add(name)
            stack.extend(graph.get(name, ()))
    return False


def _group_update(draft: Draft) -> bool:
    return (draft.kind is Kind.PROFILE_GROUP and draft.action == "update"
            and "groups" in draft.changed)


def untangle(drafts: list[Draft],
             live_groups: Iterable[Resource]) -> tuple[list[Draft], list[Draft]]:
    """``drafts`` with the updates of group members reordered among their places, stably, so
    that no step makes a group contain itself (the platform refuses that step: swapping which
    group holds which needs the release first); and the updates no order of one write per
    group can place so (empty when none)."""
    renamed = {d.renamed_from: d.name for d in drafts
               if d.kind is Kind.PROFILE_GROUP and d.renamed_from}
    graph = {renamed.get(r.name, r.name): {renamed.get(m, m) for m in _members(r)}
             for r in live_groups}
    for draft in drafts:
        if draft.kind is Kind.PROFILE_GROUP and draft.action == "create":
            graph[draft.name] = set(_members(draft.desired))
    pending = [d for d in drafts if _group_update(d)]
    ordered: list[Draft] = []
    while pending:
        ready = next((d for d in pending if not any(
            _holds(graph, member, d.name) for member in _members(d.desired))), None)
        if ready is None:
            slots = iter([*ordered, *pending])
            return [next(slots) if _group_update(d) else d for d in drafts], pending
        pending.remove(ready)
        graph[ready.name] = set(_members(ready.desired))
        ordered.append(ready)
    slots = iter(ordered)
    return [next(slots) if _group_update(d) else d for d in drafts], []


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
