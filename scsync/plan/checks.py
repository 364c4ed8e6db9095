"""Plan-time checks (domain.md): the rules that need live state. Flows exist by name, profiles and
users are on the platform, the rules between two profile fields hold on each profile as it will be
(live merged with the change), each new authorized stream has a connected profile that admins its
page (an owned one), group members exist and are not deleted by the same plan, the account-wide
group count, and the account's features; an unauthorized stream's page that no read can show is
noted. Every problem is collected (``Problem`` with the desired resource's location) before
``PlanError`` is raised."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from scsync import profile_rules
from scsync.errors import Location, Problem
from scsync.group_cycles import cycle_problems
from scsync.plan.diff import DiffResult, same_streams
from scsync.plan.health import MISSING_PERMISSIONS, UNVERIFIED_PAGE, missing_endpoint, user_label
from scsync.plan.options import PlanOptions
from scsync.plan.safety import is_protected
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
    problems += check_merged_profiles(result)
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


def check_merged_profiles(result: DiffResult) -> list[Problem]:
    """The rules between two fields (``profile_rules``) on each profile as it will be after its
    write: live values merged with the planned change. A field config leaves unset keeps its
    live value, so config alone cannot tell."""
    problems = []
    for draft in result.drafts:
        if draft.kind is not Kind.PROFILE or draft.live is None or draft.desired is None:
            continue
        network = split_profile_name(draft.desired.name)[0].prefix
        merged = {**draft.live.fields, **draft.changed}
        for rule in profile_rules.broken(network, merged):
            found = profile_rules.merged_problem(rule, draft.changed, draft.live.fields)
            if found is not None:
                field, message = found
                problems.append(Problem(message, draft.desired.location(field),
                                        draft.desired.address, field))
    return problems


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


_FLOW_KEYS = frozenset((*FLOW_LIST_FIELDS, *FLOW_FIELDS))


def flow_names(resource: Resource) -> list[Any]:
    """The flows a desired profile names, in ``flow_refs`` order, without their paths (a third
    of ``flow_refs``' time on the profiles of a large config)."""
    fields = resource.fields
    names: list[Any] = []
    if _FLOW_KEYS.isdisjoint(fields):
        return names  # names no flow (one look-up per field, most profiles)
    for name in FLOW_LIST_FIELDS:
        items = fields.get(name)
        if items:
            for item in items:
                if isinstance(item, dict) and (flow := item.get("flow")):
                    names.append(flow)
    for name in FLOW_FIELDS:
        if value := fields.get(name):
            names.append(value)
    return names


def check_flows(desired: Mapping[ResourceKey, Resource], live: LiveState) -> list[Problem]:
    if not live.has("flows"):  # not read: nothing names a flow, or plan.availability says why
        return []
    flows = {flow.name: flow for flow in live.flows}
    listing = ", ".join(sorted(flows, key=str.casefold)) or "none"
    enabled = frozenset(name for name, flow in flows.items() if flow.enabled)
    problems = []
    for resource in desired.values():
        if resource.kind is not Kind.PROFILE or enabled.issuperset(flow_names(resource)):
            continue  # every flow it names is there and enabled (the paths only for a problem)
        for path, name in flow_refs(resource):
            flow = flows.get(name)
            if flow is not None and flow.enabled:
                continue
            where = (resource.location(path), resource.address, path)  # only for a problem
            if flow is None and str(name).startswith("#"):
                ids = ", ".join(f"{f.id} ({f.name})"
                                for f in sorted(live.flows, key=lambda f: f.id))
                problems.append(Problem(f"no flow with id {name[1:]} on the platform; flows are: "
                                        f"{ids or 'none'}", *where))
            elif flow is None:
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
    """Each authorized stream a topic gains needs a connected profile that admins its page; an
    unauthorized one whose public page cannot be known before the write is a warning."""
    problems: list[Problem] = []
    pages: set[str] | None = None  # made when an unauthorized stream needs it
    for key, resource in desired.items():
        if resource.kind is not Kind.TOPIC:
            continue
        have = result.matched.get(key)
        streams = resource.fields.get("streams") or []
        if have is not None and same_streams(streams, have.fields.get("streams")):
            continue  # its streams are live already (known pages): nothing to check
        existing = {profile_ident(s["profile"]) for s in (have.fields.get("streams") or [])
                    if s.get("authorized", True)} if have else set()
        for i, stream in enumerate(streams):
            ident = profile_ident(stream["profile"])
            if stream.get("authorized", True) and ident not in existing:
                problems += _stream_problems(resource, i, stream["profile"], live)
            elif not stream.get("authorized", True):
                if pages is None:
                    pages = _known_public_pages(live)
                if ident not in pages:
                    problems.append(_unverified_page(resource, i, stream["profile"]))
    return problems


def _known_public_pages(live: LiveState) -> set[str]:
    """The pages an unauthorized stream is known to find: the account's own profiles and the
    pages live topics already track (the API has no look-up of a public page by handle)."""
    known = set(live.profile_aliases)
    tracked: set[str] = set()  # the profile names live streams spell (many streams, few names)
    for resource in live.resources.values():
        if resource.kind is Kind.PROFILE:
            known.add(resource.key.ident)
        elif resource.kind is Kind.TOPIC:
            tracked.update([s["profile"] for s in resource.fields.get("streams") or []])
    known.update(map(profile_ident, tracked))
    return known


def _unverified_page(resource: Resource, index: int, profile: str) -> Problem:
    path = f"streams[{index}]"
    return Problem(f"the public page {profile} cannot be verified before the write (the API "
                   "has no look-up of a page by handle); if it does not exist, apply fails for "
                   "this topic alone", resource.location(path), resource.address, path,
                   warning=True, code=UNVERIFIED_PAGE)


def _stream_problems(resource: Resource, index: int, profile: str,
                     live: LiveState) -> list[Problem]:
    path = f"streams[{index}]"

    def where() -> tuple[Location | None, str, str]:  # only for a problem: it may parse again
        return resource.location(path), resource.address, path

    if (gone := live.unavailable.get("connectedprofiles")) is not None:
        return [Problem(f"the connected profiles cannot be read on this platform "
                        f"({missing_endpoint(gone)}), so the authorized stream {profile} cannot "
                        "be checked or given the connected profile that admins its page; make "
                        "it unauthorized (authorized: false) or add it in Social Connect",
                        *where())]
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
    if live.find(ResourceKey.of(Kind.PROFILE, profile)) is None:
        return [Problem(f"{profile} is not a profile of this account, so it cannot be an "
                        f"authorized stream (the connected profile {cp.name} of {owner} admins "
                        "it, but the account has not added it); add it in Social Connect "
                        "(Account settings > Profiles > Add profile), then plan again, or set "
                        "authorized: false", *where())]
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
    groups = [r for r in desired.values() if r.kind is Kind.PROFILE_GROUP]
    if not groups:
        return []
    problems = _group_problems(desired, groups, live, result, options)
    if problems:  # again in the order of the config's files and lines, for the messages' order
        # (only now: an object's location may need its file parsed again, see config.source)
        problems = _group_problems(desired, sorted(groups, key=_place), live, result, options)
    return problems


def _group_problems(desired: Mapping[ResourceKey, Resource], groups: list[Resource],
                    live: LiveState, result: DiffResult, options: PlanOptions) -> list[Problem]:
    if live.account.features.get("profile_groups") is False:
        first = groups[0]
        return [Problem("this account does not have the profile groups feature; remove "
                        "profile_groups from the config, or ask Qualtrics to enable the feature",
                        first.location(), first.address)]
    kept_live = _unmanaged_groups(desired, live, result, options)
    problems = _group_members(groups, live, _deleted_groups(result, options))
    problems += _group_count(groups, kept_live)
    return problems + cycle_problems([*groups, *sorted(kept_live, key=lambda r: r.name)])


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


def _deleted_groups(result: DiffResult, options: PlanOptions) -> set[str]:
    """The live groups this plan deletes (authoritative ownership, not protected)."""
    if not options.is_authoritative(Kind.PROFILE_GROUP.config_section):
        return set()
    return {d.name for d in result.drafts if d.kind is Kind.PROFILE_GROUP
            and d.action == "delete" and not is_protected(d.address, options)}


def _group_members(groups: list[Resource], live: LiveState, deleted: set[str]) -> list[Problem]:
    known = {r.name for r in groups} | {r.name for r in live.of_kind(Kind.PROFILE_GROUP)}
    problems = []
    for group in groups:
        for i, profile in enumerate(group.fields.get("profiles") or []):
            if live.has("profiles") and live.find(ResourceKey.of(Kind.PROFILE, profile)) is None:
                problems.append(_member_problem(group, f"profiles[{i}]", (
                    f"profile {profile} is not on the platform; connect it in Social Connect "
                    "(Account settings > Profiles > Add profile), then plan again")))
        for i, name in enumerate(group.fields.get("groups") or []):
            if name in deleted:
                problems.append(_member_problem(group, f"groups[{i}]", (
                    f'profile group "{name}" is on the platform but not in the config, so this '
                    "plan deletes it (profile_groups: authoritative); add it to the config, or "
                    "remove it from groups")))
            elif name not in known:
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

