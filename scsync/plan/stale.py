"""Saved plans against the platform as it is now: which changes are already done (a partly
applied plan can be applied again to finish) and whether the plan is stale (DESIGN, "The plan
file": the config digest differs, or a change's live object no longer matches its precondition:
its id, its name or a field the change touches moved), in which case ``apply PLANFILE`` refuses
and writes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from scsync.errors import StalePlanError
from scsync.plan.fingerprint import matches_after, still_matches
from scsync.plan.model import Change, Plan
from scsync.providers.base import LiveState
from scsync.resources import Kind, Resource, ResourceKey, parse_address

STALE_HEAD = "Saved plan is stale"


@dataclass(slots=True)
class Remaining:
    """The plan's changes split into those still to do and those the platform already shows
    (address -> the live object's id, which later calls of the plan may refer to)."""

    todo: list[Change] = field(default_factory=list)
    done: dict[str, str | None] = field(default_factory=dict)


class LiveIndex:
    """Finds the live object a change is about: by its platform id when the plan knows it (an
    update or delete, renamed or not), else by its natural key."""

    def __init__(self, live: LiveState) -> None:
        self.live = live
        self.by_id = {(r.kind, r.id): r for r in live.resources.values() if r.id is not None}

    def find(self, change: Change) -> Resource | None:
        kind = Kind(change.kind)
        if change.live_id is not None and change.action != "create":
            return self.by_id.get((kind, change.live_id))
        _, name = parse_address(change.address)
        return self.live.find(ResourceKey.of(kind, name))


def _active(plan: Plan) -> Iterator[Change]:
    return (c for c in plan.changes if not c.blocked)


def _reason(change: Change, found: Resource | None) -> str:
    if change.action == "create":
        return f"{change.address}: created on the platform since the plan was made"
    if found is None:
        return (f"{change.address}: deleted on the platform since the plan was made (no object "
                f"has its id {change.live_id} any more)")
    planned_name = change.renamed_from or (change.before or {}).get("name")
    if Kind(change.kind).keyed_by_name and planned_name and found.name != planned_name:
        return (f"{change.address}: renamed on the platform since the plan was made "
                f"({planned_name!r} is now {found.name!r})")
    return f"{change.address}: changed on the platform since the plan was made"


def _survey(plan: Plan, live: LiveState) -> tuple[Remaining, list[tuple[str, str]]]:
    """One pass over the plan's unblocked changes: what is done and still to do, and which of
    those still to do are stale (address, reason)."""
    index = LiveIndex(live)
    result, stale = Remaining(), []
    for change in _active(plan):
        found = index.find(change)
        if matches_after(change, found):
            result.done[change.address] = found.id if found is not None else None
            continue
        result.todo.append(change)
        if not still_matches(change, found):
            stale.append((change.address, _reason(change, found)))
    return result, stale


def _digest_reasons(plan: Plan, config_digest: str) -> list[str]:
    if plan.config_digest == config_digest:
        return []
    return [f"config changed since the plan was made (digest {plan.config_digest[:12]} is now "
            f"{config_digest[:12]})"]


def stale_error(reasons: list[str], addresses: list[str] | None = None) -> StalePlanError:
    """``Saved plan is stale: REASON; REASON. Run `scsync plan` again.``"""
    message = f"{STALE_HEAD}: {'; '.join(reasons)}. Run `scsync plan` again to review the changes."
    return StalePlanError(message, addresses or [])


def prepare_saved_plan(plan: Plan, *, config_digest: str, live: LiveState) -> Remaining:
    """What is left of a saved plan, or ``StalePlanError`` naming every stale object."""
    remaining, stale = _survey(plan, live)
    reasons = _digest_reasons(plan, config_digest) + [reason for _, reason in stale]
    if reasons:
        raise stale_error(reasons, [address for address, _ in stale])
    return remaining
