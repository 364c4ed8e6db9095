"""Plan-time checks (domain.md): the rules that need live state. Flows exist by name, profiles and
users are on the platform, each new authorized stream has a connected profile that admins its page,
group members exist, the account-wide group count, and the account's features. Every problem is
collected (``Problem`` with the desired resource's location) before ``PlanError`` is raised."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from scsync.errors import Location, Problem
from scsync.plan.diff import DiffResult
from scsync.plan.graph import cycle_problem
from scsync.plan.health import MISSING_PERMISSIONS, user_label
from scsync.plan.options import PlanOptions
from scsync.providers.base import ConnectedProfile, LiveState
from scsync.providers.pages import page_index
from scsync.resources import (
    FLOW_FIELDS,
    FLOW_LIST_FIELDS,
    MAX_GROUPS,
    Kind,
    Resource,
    ResourceKey,
    profile_ident,
    split_profile_name,
)


def run_checks(desired: Mapping[ResourceKey, Resource], live: LiveState, result: DiffResult,
               options: PlanOptions) -> list[Problem]:
    """Every plan-time problem and warning, in no particular order (``PlanError`` sorts)."""
    problems = list(result.problems)
    problems += [_not_on_platform(r) for r in result.missing]
    problems += check_flows(desired, live)
    problems += check_streams(desired, live, result)
    problems += check_groups(desired, live, result, options)
    return problems


def _not_on_platform(resource: Resource) -> Problem:
    if resource.kind is Kind.USER:
        message = (f"{resource.name} is not a user of this account; invite them in Social "
                   "Connect (Account settings > Users), then plan again")
    else:
        message = (f"{resource.name} is not connected to this account; connect it in Social "
                   "Connect (Account settings > Profiles > Add profile), then plan again")
    return Problem(message, resource.location(), resource.address)


def flow_refs(resource: Resource) -> Iterator[tuple[str, str]]:
    """(field path, flow name) for every flow a desired profile names."""
    fields = resource.fields
    for name in FLOW_LIST_FIELDS:
        for i, item in enumerate(fields.get(name) or []):
            if isinstance(item, dict) and item.get("flow"):
                yield f"{name}[{i}].flow", item["flow"]
    for name in FLOW_FIELDS:
        if fields.get(name):
            yield name, fields[name]


def check_flows(desired: Mapping[ResourceKey, Resource], live: LiveState) -> list[Problem]:
    flows = {flow.name: flow for flow in live.flows}
    listing = ", ".join(sorted(flows, key=str.casefold)) or "none"
    problems = []
    for resource in desired.values():
        if resource.kind is not Kind.PROFILE:
            continue
        for path, name in flow_refs(resource):
            flow = flows.get(name)
            if flow is not None and flow.enabled:
                continue
            where = (resource.location(path), resource.address, path)  # only for a problem
            if flow is None:
                problems.append(Problem(f'no flow named "{name}" on the platform; flows are: '
                                        f"{listing}", *where))
            elif not flow.enabled:
                problems.append(Problem(f'flow "{name}" is disabled on the platform: it starts '
                                        "nothing until it is enabled", *where, warning=True))
    return problems


def _page_idents(stream_profile: str, live: LiveState) -> set[str]:
    """Every matching form a page of ``stream_profile`` may have: handle, service id, name."""
    idents = {profile_ident(stream_profile)}
    found = live.find(ResourceKey.of(Kind.PROFILE, stream_profile))
    if found is not None:
        idents.add(found.key.ident)
        if found.id:
            api_type, _, service_id = found.id.partition("/")
            network = split_profile_name(stream_profile)[0]
            idents.add(profile_ident(f"{network.prefix}/{service_id}"))
    return idents


def page_admins(stream_profile: str, live: LiveState) -> list[ConnectedProfile]:
    """The connected profiles that administer the page of ``stream_profile``."""
    network = split_profile_name(stream_profile)[0].prefix
    keys = [(net, handle) for net, _, handle in
            (ident.partition("/") for ident in _page_idents(stream_profile, live))
            if net == network]
    return page_index(live).admins(keys)


def check_streams(desired: Mapping[ResourceKey, Resource], live: LiveState,
                  result: DiffResult) -> list[Problem]:
    """Each authorized stream a topic gains needs a connected profile that admins its page."""
    problems: list[Problem] = []
    for key, resource in desired.items():
        if resource.kind is not Kind.TOPIC:
            continue
        have = result.matched.get(key)
        existing = {profile_ident(s["profile"]) for s in (have.fields.get("streams") or [])
                    if s.get("authorized", True)} if have else set()
        for i, stream in enumerate(resource.fields.get("streams") or []):
            if stream.get("authorized", True) and profile_ident(stream["profile"]) not in existing:
                problems += _stream_problems(resource, i, stream["profile"], live)
    return problems


def _stream_problems(resource: Resource, index: int, profile: str,
                     live: LiveState) -> list[Problem]:
    path = f"streams[{index}]"

    def where() -> tuple[Location | None, str, str]:  # only for a problem: it may parse again
        return resource.location(path), resource.address, path

    admins = page_admins(profile, live)
    usable = [cp for cp in admins if not cp.expired]
    if not admins:
        return [Problem(f"no connected profile administers {profile}, so it cannot be an "
                        f"authorized stream; {_who(live)} must connect a "
                        f"{split_profile_name(profile)[0].prefix} account that admins {profile} "
                        "in Social Connect (Personal settings > Connected profiles), then plan "
                        "again, or set authorized: false", *where())]
    cp = usable[0] if usable else admins[0]
    owner = user_label(live, cp.user_id)
    if not usable:
        return [Problem(f"the connected profile {cp.name} of {owner} that administers {profile} "
                        f"is expired; {owner} must reconnect it in Social Connect (Personal "
                        "settings > Connected profiles), then plan again", *where())]
    if profile.startswith("facebook/") and cp.missing_permissions:
        return [Problem(f"the connected profile {cp.name} of {owner} used for {profile} lacks "
                        f"the permissions {', '.join(cp.missing_permissions)}; enable them in "
                        "its Business integration", *where(), warning=True,
                        code=MISSING_PERMISSIONS)]
    return []


def _who(live: LiveState) -> str:
    return f"a user of this account who admins the page (you are {live.me.email})"


def check_groups(desired: Mapping[ResourceKey, Resource], live: LiveState, result: DiffResult,
                 options: PlanOptions) -> list[Problem]:
    groups = sorted((r for r in desired.values() if r.kind is Kind.PROFILE_GROUP),
                    key=_place)
    if not groups:
        return []
    if live.account.features.get("profile_groups") is False:
        first = groups[0]
        return [Problem("this account does not have the profile groups feature; remove "
                        "profile_groups from the config, or ask Qualtrics to enable the feature",
                        first.location(), first.address)]
    kept_live = _unmanaged_groups(desired, live, result, options)
    problems = _group_members(groups, desired, live, result)
    problems += _group_count(groups, kept_live)
    cycle = cycle_problem(desired, kept_live)
    return problems + ([cycle] if cycle else [])


def _place(resource: Resource) -> tuple[Any, ...]:
    loc = resource.location()
    return (loc is None, (loc.path, loc.line, loc.col) if loc else ("", 0, 0), resource.name)


def _unmanaged_groups(desired: Mapping[ResourceKey, Resource], live: LiveState,
                      result: DiffResult, options: PlanOptions) -> list[Resource]:
    if options.is_authoritative(Kind.PROFILE_GROUP.config_section):
        return []
    matched = {r.key for r in result.matched.values()}
    return [r for r in live.of_kind(Kind.PROFILE_GROUP)
            if r.key not in matched and r.key not in desired]


def _group_members(groups: list[Resource], desired: Mapping[ResourceKey, Resource],
                   live: LiveState, result: DiffResult) -> list[Problem]:
    known = {r.name for r in groups} | {r.name for r in live.of_kind(Kind.PROFILE_GROUP)}
    problems = []
    for group in groups:
        for i, profile in enumerate(group.fields.get("profiles") or []):
            if live.find(ResourceKey.of(Kind.PROFILE, profile)) is None:
                problems.append(_member_problem(group, f"profiles[{i}]", (
                    f"profile {profile} is not on the platform; connect it in Social Connect "
                    "(Account settings > Profiles > Add profile), then plan again")))
        for i, name in enumerate(group.fields.get("groups") or []):
            if name not in known:
                problems.append(_member_problem(group, f"groups[{i}]", (
                    f'no profile group named "{name}" in the config or on the platform')))
    return problems


def _member_problem(group: Resource, path: str, message: str) -> Problem:
    return Problem(message, group.location(path), group.address, path)


def _group_count(groups: list[Resource], kept_live: list[Resource]) -> list[Problem]:
    total = len(groups) + len(kept_live)
    if total <= MAX_GROUPS:
        return []
    first = groups[0]
    return [Problem(f"the account would have {total} profile groups ({len(groups)} in the "
                    f"config and {len(kept_live)} unmanaged on the platform); the platform "
                    f"allows at most {MAX_GROUPS}", first.location(), first.address)]

