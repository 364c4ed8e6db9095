"""The planner: desired and live state in, an immutable ``Plan`` out. availability -> diff ->
plan-time checks (roles too) ->
targets -> ownership -> order -> safety gates -> calls (via the provider's pure builders) ->
health -> summary. Nothing here writes; nothing here reads from the platform."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any

from scsync.errors import PlanError, Problem
from scsync.plan.availability import available
from scsync.plan.checks import run_checks
from scsync.plan.diff import Draft, diff, display_fields
from scsync.plan.fingerprint import precondition
from scsync.plan.graph import order
from scsync.plan.health import health
from scsync.plan.model import AccountRef, Change, Plan, RateInfo, Summary
from scsync.plan.options import PlanOptions
from scsync.plan.roles import check_roles
from scsync.plan.safety import gate, split_ownership
from scsync.providers.base import Call, LiveState, Provider
from scsync.resources import Kind, Resource, ResourceKey, parse_stream_address

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
    warnings = sorted((p for p in problems if p.warning), key=Problem.sort_key)
    if any(not p.warning for p in problems):
        raise PlanError(problems)
    drafts = select_targets(result.drafts, options.targets, desired)
    drafts, unmanaged = split_ownership(drafts, options)
    drafts = order(drafts)
    refusals = gate(drafts, live, options)
    known = with_renamed(live, result.matched)
    calls = [build_call(d, provider, known) for d in drafts if not d.blocked]
    log.debug("planned %d changes, %d calls", len(drafts), len(calls))
    plan = Plan(
        created_at=now, config_digest=options.config_digest,
        account=AccountRef(id=live.account.id, name=live.account.name),
        summary=summarise(drafts), changes=[to_change(d) for d in drafts],
        unmanaged=unmanaged, calls=calls, reads=live.reads, rate=rate_info(live),
        refusals=refusals, forced=options.force,
        health=health(live, calls=len(calls), now=now, warning_days=options.token_warning_days,
                      warnings=warnings))
    return PlanResult(plan, warnings)


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
