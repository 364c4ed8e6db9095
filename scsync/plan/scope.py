"""What a plan reads: the kinds the config (and ``--target``) manage, plus the lists their checks
need, and nothing else. Every read is a call of a 350-an-hour budget, and a platform that lacks
an endpoint must not fail the plan of a config that never needed it.

A config with only users reads ``/me``, ``/me/accounts``, the users, and the roles when a user
has a ``role:``. Flows are read only when a profile refers to one (by name, or by id to check
that it exists); connected profiles only when a topic has an authorized stream; the profiles
whenever profiles are managed or a topic has an authorized stream (its page is found through
them). Profile groups need only their own list: unless the profiles are read for another kind, a
member profile is sent with its handle as the service id.
"""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase

from scsync.plan.checks import flow_refs
from scsync.plan.options import PlanOptions
from scsync.providers.base import KIND_LISTS
from scsync.resources import DELETABLE_KINDS, Kind, Resource, ResourceKey

_GLOB = frozenset("*?[")


def target_kinds(targets: list[str]) -> frozenset[Kind]:
    """The kinds a ``--target`` list can select (every kind when there are no targets)."""
    if not targets:
        return frozenset(Kind)
    found: set[Kind] = set()
    for target in targets:
        head = target.partition(".")[0]
        if head == "stream":
            found.add(Kind.TOPIC)
        elif _GLOB & set(head):
            found.update(k for k in Kind if fnmatchcase(k.value, head))
        else:
            found.update(k for k in Kind if k.value == head)
    return frozenset(found)


def managed_kinds(desired: Mapping[ResourceKey, Resource],
                  options: PlanOptions) -> frozenset[Kind]:
    """The kinds config manages (it declares some, or owns the kind outright), within the
    targets."""
    declared = {key.kind for key in desired}
    owned = {k for k in DELETABLE_KINDS if options.is_authoritative(k.config_section)}
    return frozenset((declared | owned) & target_kinds(options.targets))


def _authorized_streams(resource: Resource) -> bool:
    return any(s.get("authorized", True) for s in resource.fields.get("streams") or [])


def lists_for(desired: Mapping[ResourceKey, Resource], kinds: frozenset[Kind]) -> frozenset[str]:
    """The paged lists a plan of ``desired`` (restricted to ``kinds``) reads."""
    lists = {KIND_LISTS[k] for k in kinds}
    chosen = [r for key, r in desired.items() if key.kind in kinds]
    if any(r.kind is Kind.USER and "role" in r.fields for r in chosen):
        lists.add("userroles")
    if any(r.kind is Kind.PROFILE and any(flow_refs(r)) for r in chosen):
        lists.add("flows")
    if any(r.kind is Kind.TOPIC and _authorized_streams(r) for r in chosen):
        lists |= {"profiles", "connectedprofiles"}
    return frozenset(lists)


def read_scope(desired: Mapping[ResourceKey, Resource],
               options: PlanOptions) -> tuple[frozenset[Kind], frozenset[str]]:
    """(kinds, lists) a plan of ``desired`` under ``options`` reads."""
    kinds = managed_kinds(desired, options)
    return kinds, lists_for(desired, kinds)


def scoped(desired: Mapping[ResourceKey, Resource],
           kinds: frozenset[Kind]) -> dict[ResourceKey, Resource]:
    """The desired objects of ``kinds`` (the others are not planned, so not read)."""
    return {key: r for key, r in desired.items() if key.kind in kinds}
