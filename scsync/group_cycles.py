"""Cycles among profile groups (a group that holds itself through others), which no platform can
hold and no order of calls can create: one search and one message, used offline on config
(``scsync.config.checks``) and at plan time on config plus the live groups the plan leaves as they
are (``scsync.plan.checks``)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence

from scsync.errors import Problem
from scsync.resources import Resource


def group_cycles(members: Mapping[str, Sequence[str]], starts: Iterable[str]) -> list[list[str]]:
    """Every cycle of ``members`` (group -> the groups it holds) through one of ``starts``, once
    each, as ``[A, B, ..., A]``: the shortest from the first of ``starts`` on it."""
    cycles: list[list[str]] = []
    reported: set[frozenset[str]] = set()
    for start in starts:
        path = _shortest_cycle(start, members)
        if path is not None and frozenset(path) not in reported:
            reported.add(frozenset(path))
            cycles.append([*path, start])
    return cycles


def _shortest_cycle(start: str, members: Mapping[str, Sequence[str]]) -> list[str] | None:
    """The groups on the shortest path start > ... > start (breadth first), or None."""
    paths: deque[list[str]] = deque([[start]])
    seen: set[str] = set()
    while paths:
        path = paths.popleft()
        for child in members.get(path[-1], ()):
            if child == start:
                return path
            if child in members and child not in seen:
                seen.add(child)
                paths.append([*path, child])
    return None


def cycle_problems(groups: Sequence[Resource]) -> list[Problem]:
    """One error per cycle among ``groups``, at the member entry through which its first group
    (in the order given: config's in file order, then any live ones) holds the next:
    ``a cycle: the group contains itself (A > B > A)``."""
    by_name: dict[str, Resource] = {}
    for group in groups:
        by_name.setdefault(group.name, group)
    members = {name: list(g.fields.get("groups") or []) for name, g in by_name.items()}
    problems = []
    for cycle in group_cycles(members, by_name):
        group = by_name[cycle[0]]
        path = f"groups[{members[cycle[0]].index(cycle[1])}]"
        problems.append(Problem(f"a cycle: the group contains itself ({' > '.join(cycle)})",
                                group.location(path), group.address, path))
    return problems
