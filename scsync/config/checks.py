"""Checks across config objects, offline: the same object declared twice (even in two files),
more profile groups than an account may hold, groups that contain themselves, and previous names
that clash."""

from __future__ import annotations

from collections.abc import Iterable

from scsync.errors import Location, Problem
from scsync.group_cycles import cycle_problems
from scsync.group_cycles import group_cycles as cycles_among
from scsync.resources import MAX_GROUPS, Resource, ResourceKey

NOWHERE = Location("", 0, 0)


def duplicate(existing: Resource, again: Resource) -> Problem:
    """The problem of ``again`` declaring the object ``existing`` already declares."""
    first = existing.location()
    same = "" if existing.name == again.name else f" (as {existing.name})"
    return Problem(f"declared twice: also at {first}{same}", again.location(), again.address)


def too_many_groups(groups: list[Resource]) -> list[Problem]:
    """More than 20 groups declared: one problem, at the first group over the limit."""
    if len(groups) <= MAX_GROUPS:
        return []
    extra = sorted(groups, key=lambda r: r.location() or NOWHERE)[MAX_GROUPS]
    return [Problem(f"the config declares {len(groups)} profile groups; an account holds at "
                    f"most {MAX_GROUPS}", extra.location(), extra.address)]


def group_cycles(groups: dict[str, Resource]) -> list[Problem]:
    """Every cycle among config groups, reported once at its first group in file order."""
    members = {name: list(g.fields.get("groups") or []) for name, g in groups.items()}
    if not cycles_among(members, groups):
        return []  # (file order needs the groups' locations: only worked out for a cycle)
    return cycle_problems(sorted(groups.values(), key=lambda g: g.location() or NOWHERE))


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
