"""Checks across config objects, offline: the same object declared twice (even in two files),
more profile groups than an account may hold, groups that contain themselves, and previous names
that clash."""

from __future__ import annotations

from collections.abc import Iterable

from scsync.errors import Location, Problem
from scsync.resources import MAX_GROUPS, Resource, ResourceKey


def duplicate(existing: Resource, again: Resource) -> Problem:
    """The problem of ``again`` declaring the object ``existing`` already declares."""
    first = existing.location()
    same = "" if existing.name == again.name else f" (as {existing.name})"
    return Problem(f"declared twice: also at {first}{same}", again.location(), again.address)


def too_many_groups(groups: list[Resource]) -> list[Problem]:
    """More than 20 groups declared: one problem, at the first group over the limit."""
    if len(groups) <= MAX_GROUPS:
        return []
    extra = sorted(groups, key=lambda r: r.location() or Location("", 0, 0))[MAX_GROUPS]
    return [Problem(f"the config declares {len(groups)} profile groups; an account holds at "
                    f"most {MAX_GROUPS}", extra.location(), extra.address)]


def group_cycles(groups: dict[str, Resource]) -> list[Problem]:
    """Every cycle among config groups, reported once at its first group in file order."""
    problems: list[Problem] = []
    reported: set[frozenset[str]] = set()
    if not any(_cycle_from(name, groups) for name in groups):
        return problems  # (file order needs the groups' locations: only worked out for a cycle)
    for name in sorted(groups, key=lambda n: groups[n].location() or Location("", 0, 0)):
        cycle = _cycle_from(name, groups)
        if cycle and frozenset(cycle) not in reported:
            reported.add(frozenset(cycle))
            group = groups[name]
            index = group.fields["groups"].index(cycle[1] if len(cycle) > 1 else name)
            chain = " > ".join([*cycle, name])
            problems.append(Problem(f"a cycle: the group contains itself ({chain})",
                                    group.location(f"groups[{index}]"), group.address,
                                    f"groups[{index}]"))
    return problems


def _cycle_from(start: str, groups: dict[str, Resource]) -> list[str] | None:
    """The shortest path start > ... > start, as the list of groups on it, or None."""
    paths: list[list[str]] = [[start]]
    seen: set[str] = set()
    while paths:
        path = paths.pop(0)
        for child in groups[path[-1]].fields["groups"]:
            if child == start:
                return path
            if child in groups and child not in seen:
                seen.add(child)
                paths.append([*path, child])
    return None


def previous_name_clashes(resources: Iterable[Resource]) -> list[Problem]:
    """A previous name that is the name of another config object of the kind, or claimed twice."""
    problems: list[Problem] = []
    names = {(r.kind, r.name): r for r in resources}
    claimed: dict[ResourceKey, Resource] = {}
    for resource in names.values():
        for index, old in enumerate(resource.previous_names):
            field = f"previous_names[{index}]"
            where = _Where(resource, field)
            if (resource.kind, old) in names:
                problems.append(Problem(f'"{old}" is the name of another {resource.kind.noun} '
                                        "in config; a previous name must be free", where(),
                                        resource.address, field))
            key = ResourceKey.of(resource.kind, old)
            if key in claimed:
                problems.append(Problem(f'"{old}" is also a previous name of '
                                        f"{claimed[key].address}", where(), resource.address,
                                        field))
            claimed.setdefault(key, resource)
    return problems


class _Where:
    """The location of a resource's field, worked out only for a problem (it may parse the file
    again: see ``scsync.config.locations``)."""

    def __init__(self, resource: Resource, field: str) -> None:
        self.resource, self.field = resource, field

    def __call__(self) -> Location | None:
        return self.resource.location(self.field) or self.resource.location()
