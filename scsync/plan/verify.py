"""After an apply: check the plan's own changes (DESIGN, principle 4). Only the kinds written are
read again; each written object must equal its change's ``after`` (a created object exists, a
deleted one is gone). A written object that does not is reported by address and field, never
hidden behind a success message. Other objects of those kinds that moved since the apply's own
read were changed by someone else meanwhile: they are drift notices (who and when, where the
settings history says), never a failure of the apply."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from scsync.errors import ApplyError, ScsyncError
from scsync.plan.fingerprint import field_value, fingerprint, matches_after
from scsync.plan.ledger import Ledger, Step
from scsync.plan.model import Change, Plan
from scsync.providers.base import HistoryEntry, LiveState, Provider
from scsync.resources import Kind, Resource, ResourceKey, parse_address, same_value

COMPLETE_HEAD = "Apply complete!"
_WRITTEN = frozenset({"done", "already_done"})


@dataclass(slots=True)
class Verified:
    """What the verification found: written objects not as planned, and drift elsewhere."""

    unconverged: list[str] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)


def _plan_items(change: Change) -> list[str]:
    if change.action == "create":
        return [f"{change.address} (not created)"]
    if change.action == "delete":
        return [f"{change.address} (not destroyed)"]
    return [f"{change.address} {f.path}" for f in change.fields] or [change.address]


def unconverged(plan: Plan) -> list[str]:
    """``ADDRESS FIELD`` of every change a plan still makes (blocked deletes are not changes
    an apply could make, so they are left out)."""
    return [item for change in plan.changes if not change.blocked
            for item in _plan_items(change)]


def _items(change: Change, live: Resource | None) -> list[str]:
    """What of a written object is not as its change planned."""
    if change.action != "update":
        return _plan_items(change)
    if live is None:
        return [f"{change.address} (gone)"]
    kind = Kind(change.kind)
    return [f"{change.address} {f.path}" for f in change.fields
            if not same_value(kind, f.path, f.after, field_value(live, f.path))]


class _Index:
    """Live objects by platform id and by key."""

    def __init__(self, live: LiveState) -> None:
        self.live = live
        self.by_id = {(r.kind, r.id): r for r in live.resources.values() if r.id is not None}

    def find(self, change: Change, step: Step) -> Resource | None:
        kind = Kind(change.kind)
        known = change.live_id or step.created_id
        if known is not None:
            return self.by_id.get((kind, known))
        return self.live.find(ResourceKey.of(kind, parse_address(change.address)[1]))


def verify_written(plan: Plan, ledger: Ledger, provider: Provider,
                   before: LiveState) -> Verified:
    """Re-read the kinds the apply wrote and check the written objects and the others."""
    written = [s for s in ledger.steps if s.status in _WRITTEN]
    kinds = frozenset(Kind(s.kind) for s in written)
    if not kinds:
        return Verified()
    live = provider.read(kinds)
    index = _Index(live)
    changes = {c.address: c for c in plan.changes}
    result = Verified()
    touched: set[tuple[Kind, str | None]] = set()
    for step in written:
        change = changes[step.address]
        found = index.find(change, step)
        touched |= {(Kind(change.kind), change.live_id), (Kind(change.kind), step.created_id)}
        if not matches_after(change, found):
            result.unconverged += _items(change, found) or [change.address]
    result.drift = _drift(before, live, kinds, touched, provider)
    return result


def _moved(before: LiveState, after: LiveState, kinds: frozenset[Kind],
           touched: set[tuple[Kind, str | None]]) -> list[tuple[str, str, str | None]]:
    """(address, what happened, platform id) of each object of ``kinds`` that the apply did not
    write and that differs between its own read and the verification's."""
    def keyed(live: LiveState) -> dict[tuple[Kind, str | None], Resource]:
        return {(r.kind, r.id): r for r in live.resources.values()
                if r.kind in kinds and (r.kind, r.id) not in touched}

    old, new = keyed(before), keyed(after)
    moved = []
    for key in sorted(old.keys() | new.keys(), key=lambda k: (k[0].value, str(k[1]))):
        was, now = old.get(key), new.get(key)
        if was is not None and now is None:
            moved.append((was.address, "was deleted", was.id))
        elif was is None and now is not None:
            moved.append((now.address, "was created", now.id))
        elif was is not None and now is not None and (
                fingerprint(was, was.fields) != fingerprint(now, now.fields)):
            moved.append((now.address, "was changed", now.id))
    return moved


def _drift(before: LiveState, after: LiveState, kinds: frozenset[Kind],
           touched: set[tuple[Kind, str | None]], provider: Provider) -> list[str]:
    moved = _moved(before, after, kinds, touched)
    if not moved:
        return []
    who = _history(provider, before.read_at, (id_ for _, _, id_ in moved if id_ is not None))
    lines = []
    for address, what, id_ in moved:
        entry = who.get(str(id_))
        by = (f" by {entry.user_name or 'an unknown user'} at {entry.date:%Y-%m-%d %H:%M} UTC"
              if entry is not None else "")
        lines.append(f"Drift: {address} {what} on the platform during this apply{by}, outside "
                     "it; run `scsync plan` to review it.")
    return lines


def _history(provider: Provider, since: datetime | None,
             ids: Iterable[str]) -> Mapping[str, HistoryEntry]:
    """The latest settings-history entry per object id (empty when the history is unreadable)."""
    try:
        entries = provider.history(since=since, object_ids=list(ids))
    except ScsyncError:
        return {}
    return {e.object_id: e for e in entries}  # sorted by date: the last one wins


def complete_message(ledger: Ledger) -> str:
    """``Apply complete! Resources: 1 added, 2 changed, 0 destroyed.``"""
    return f"{COMPLETE_HEAD} {ledger.resources_line()}"


def convergence_error(items: list[str], ledger: Ledger | None = None) -> ApplyError:
    """The error for written objects that are not as planned after the writes."""
    message = (f"apply did not converge: after the writes the platform still differs from the "
               f"plan at {', '.join(items)}; the platform did not keep what was written, or "
               "scsync compares these fields wrongly (run `scsync plan` to see; if it shows no "
               "change, please report it)")
    return ApplyError(message, ledger)


def conclude(plan: Plan, ledger: Ledger, provider: Provider, before: LiveState) -> Verified:
    """After ``apply_plan``: the verification of a ledger whose every step is done; else
    ``ApplyError`` (the ledger's failures, or written objects that are not as planned)."""
    if not ledger.ok:
        raise failure_error(ledger)
    verified = verify_written(plan, ledger, provider, before)
    if verified.unconverged:
        raise convergence_error(verified.unconverged, ledger)
    return verified


def failure_error(ledger: Ledger) -> ApplyError:
    """The error for an apply with failed or unfinished steps (the ledger says which)."""
    return ApplyError(" ".join(ledger.closing_lines()), ledger)
