"""The planner: desired and live state in, an immutable ``Plan`` out. availability -> diff ->
plan-time checks (roles too) ->
targets -> ownership -> order -> safety gates -> calls (via the provider's pure builders) ->
health -> summary. Nothing here writes; nothing here reads from the platform."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from difflib import get_close_matches
from fnmatch import fnmatchcase
from typing import Any

from scsync.errors import PlanError, Problem
from scsync.plan.apply_deps import with_dependencies
from scsync.plan.availability import available
from scsync.plan.checks import run_checks
from scsync.plan.diff import Draft, diff, display_fields
from scsync.plan.fingerprint import precondition
from scsync.plan.graph import make_room, order, over_limit, untangle
from scsync.plan.health import UNVERIFIED_PAGE, health
from scsync.plan.model import AccountRef, Change, Plan, RateInfo, Summary
from scsync.plan.options import PlanOptions
from scsync.plan.roles import check_roles
from scsync.plan.safety import gate, split_ownership
from scsync.providers.base import Call, LiveState, Provider
from scsync.resources import MAX_GROUPS, Kind, Resource, ResourceKey, parse_stream_address

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PlanResult:
    """A plan and the plan-time warnings found making it (shown on stderr in domain.md form)."""

    plan: Plan
    warnings: list[Problem]


def make_plan(desired: Mapping[ResourceKey, Resource], live: LiveState, provider: Provider,
              options: PlanOptions, *, now: datetime) -> Plan:
    """The plan that makes ``live`` match ``desired``. Raises ``PlanError`` (every problem)."""
    return build_plan(desired, live, provider, options, now=now).plan


def build_plan(desired: Mapping[ResourceKey, Resource], live: LiveState, provider: Provider,
               options: PlanOptions, *, now: datetime) -> PlanResult:
    """``make_plan`` that also returns the plan-time warnings."""
    desired, problems = available(desired, live)
    result = diff(desired, live)
    problems += run_checks(desired, live, result, options)
    problems += check_roles(desired, live, result.matched)
    noted = sorted((p for p in problems if p.warning), key=Problem.sort_key)
    warnings = [p for p in noted if p.code != UNVERIFIED_PAGE]  # notes go in the plan only
    if any(not p.warning for p in problems):
        raise PlanError([p for p in problems if p.code != UNVERIFIED_PAGE])
    drafts = select_targets(result.drafts, options.targets, desired)
    drafts, unmanaged = split_ownership(drafts, options)
    drafts = order(drafts)
    refusals = gate(drafts, live, options)
    drafts = make_room(drafts, live_group_count(live))
    drafts, stuck = untangle(drafts, live.of_kind(Kind.PROFILE_GROUP))
    if (problem := group_order_problem(drafts, live, stuck)) is not None:
        raise PlanError([*warnings, problem])
    known = with_renamed(live, result.matched)
    changes = [to_change(d) for d in drafts]
    calls = with_dependencies([build_call(d, provider, known) for d in drafts if not d.blocked],
                              changes)
    apply_reads = 2 * live.reads if calls else 0  # re-read before, verification after (at most)
    log.debug("planned %d changes, %d calls", len(drafts), len(calls))
    plan = Plan(
        created_at=now, config_digest=options.config_digest,
        account=AccountRef(id=live.account.id, name=live.account.name),
        summary=summarise(drafts), changes=changes,
        unmanaged=unmanaged, calls=calls, reads=live.reads, apply_reads=apply_reads,
        rate=rate_info(live), refusals=refusals, forced=options.force,
        health=health(live, calls=len(calls) + apply_reads, now=now,
                      warning_days=options.token_warning_days, warnings=noted))
    return PlanResult(plan, warnings)


def live_group_count(live: LiveState) -> int:
    return sum(1 for _ in live.of_kind(Kind.PROFILE_GROUP))


def group_order_problem(drafts: list[Draft], live: LiveState,
                        stuck: list[Draft]) -> Problem | None:
    """The error of a planned order that passes the group limit at some step (``--target``
    can leave out the deletes that would make room), or that cannot avoid a group containing
    itself at some step."""
    if stuck:
        first = stuck[0]
        assert first.desired is not None
        return Problem("this change of members makes a group contain itself at some step, "
                       "whatever the order of the writes; plan it with the groups that release "
                       "it (without --target), or change them in two applies",
                       first.desired.location("groups"), first.address, "groups")
    live_groups = live_group_count(live)
    found = over_limit(drafts, live_groups)
    if found is None:
        return None
    draft, count = found
    assert draft.desired is not None
    return Problem(f"creating it would make {count} profile groups on the platform (it has "
                   f"{live_groups} now) and the platform allows at most {MAX_GROUPS}; delete "
                   "groups first, or plan without --target so that the plan deletes them",
                   draft.desired.location(), draft.address)


def select_targets(drafts: list[Draft], targets: list[str],
                   desired: Mapping[ResourceKey, Resource]) -> list[Draft]:
    """The drafts matching ``targets`` plus the group creates they need (all when no targets).
    A ``stream.TOPIC/NETWORK/HANDLE`` target selects its topic: streams are written with it."""
    if not targets:
        return drafts
    patterns = [stream_topic_pattern(t) for t in targets]
    chosen = {d.address for d in drafts if any(fnmatchcase(d.address, p) for p in patterns)}
    creates = {d.name: d for d in drafts
               if d.action == "create" and d.kind is Kind.PROFILE_GROUP}
    pending = [d for d in drafts if d.address in chosen]
    while pending:
        draft = pending.pop()
        for name in (draft.desired.fields.get("groups") or []) if draft.desired else []:
            needed = creates.get(name)
            if needed is not None and needed.address not in chosen:
                chosen.add(needed.address)
                pending.append(needed)
    return [d for d in drafts if d.address in chosen]


def check_targets(targets: list[str], desired: Mapping[ResourceKey, Resource],
                  live: LiveState) -> None:
    """``PlanError`` for each target that matches no object of the config or the platform,
    with the closest addresses: a mistyped ``--target`` must not read as "No changes"."""
    if not targets:
        return
    addresses = sorted({r.address for r in desired.values()}
                       | {r.address for r in live.resources.values()})
    problems = []
    for target in targets:
        pattern = stream_topic_pattern(target)
        if any(fnmatchcase(a, pattern) for a in addresses):
            continue
        close = get_close_matches(pattern, addresses, n=3, cutoff=0.7)
        hint = (f"; the closest: {', '.join(close)}" if close
                else "; `scsync plan` without --target lists the planned addresses")
        problems.append(Problem(f"--target {target} matches no object of this account{hint}"))
    if problems:
        raise PlanError(problems)


def stream_topic_pattern(target: str) -> str:
    """``stream.Care/facebook/x`` -> ``topic.Care``; any other target as it is."""
    if not target.startswith("stream."):
        return target
    topic, _ = parse_stream_address(target)
    return f"topic.{topic}"


def with_renamed(live: LiveState, matched: Mapping[ResourceKey, Resource]) -> LiveState:
    """``live`` where an object the config renames (``previous_names``) is also found under its
    new name: a group that holds a renamed group then sends its id, not a reference to a create
    that will never happen."""
    renamed = {key: have for key, have in matched.items() if key not in live.resources}
    return replace(live, resources={**live.resources, **renamed}) if renamed else live


def build_call(draft: Draft, provider: Provider, live: LiveState) -> Call:
    """The one write of ``draft``, from the provider's pure call builders."""
    if draft.action == "create":
        assert draft.desired is not None
        return provider.create_call(draft.desired, live)
    assert draft.live is not None
    if draft.action == "delete":
        return provider.delete_call(draft.live)
    assert draft.desired is not None
    return provider.update_call(draft.live, draft.changed, draft.desired, live)


def to_change(draft: Draft) -> Change:
    """The plan's record of ``draft``, with before/after and its precondition."""
    paths = [f.path for f in draft.fields]
    return Change(
        address=draft.address, kind=draft.kind.value, action=draft.action,
        before=_before(draft),
        after=display_fields(draft.desired) if draft.desired else None,
        fields=draft.fields, precondition=precondition(draft.action, paths, draft.live),
        live_id=draft.live.id if draft.live else None, renamed_from=draft.renamed_from,
        blocked=draft.blocked)


def _before(draft: Draft) -> dict[str, Any] | None:
    """The live values of the fields config manages (every field for a delete)."""
    if draft.live is None:
        return None
    shown = display_fields(draft.live)
    if draft.desired is None:
        return shown
    return {key: shown.get(key) for key in display_fields(draft.desired)}


def summarise(drafts: list[Draft]) -> Summary:
    """Counts of the summary line; blocked deletes will not happen and are not counted."""
    return Summary(add=sum(d.action == "create" for d in drafts),
                   change=sum(d.action == "update" for d in drafts),
                   destroy=sum(d.action == "delete" and not d.blocked for d in drafts))


def rate_info(live: LiveState) -> RateInfo | None:
    rate = live.rate
    if rate is None:
        return None
    return RateInfo(limit=rate.limit, remaining=rate.remaining, window_s=rate.window_s,
                    reset_at=datetime.fromtimestamp(rate.reset_at, UTC))
