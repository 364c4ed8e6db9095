"""After an apply: plan again and check that nothing is left (DESIGN, principle 4). A change
that survives a successful apply is a normalisation bug, reported by address and field, never
hidden behind a success message."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from scsync.errors import ApplyError
from scsync.plan.ledger import Ledger
from scsync.plan.model import Change, Plan
from scsync.plan.options import PlanOptions
from scsync.plan.planner import make_plan
from scsync.plan.scope import read_scope, scoped
from scsync.providers.base import Provider
from scsync.resources import Resource, ResourceKey

COMPLETE_HEAD = "Apply complete!"


def _items(change: Change) -> list[str]:
    if change.action == "create":
        return [f"{change.address} (not created)"]
    if change.action == "delete":
        return [f"{change.address} (not destroyed)"]
    return [f"{change.address} {f.path}" for f in change.fields] or [change.address]


def unconverged(plan: Plan) -> list[str]:
    """``ADDRESS FIELD`` of every change a plan still makes (blocked deletes are not changes
    an apply could make, so they are left out)."""
    return [item for change in plan.changes if not change.blocked for item in _items(change)]


def verify(desired: Mapping[ResourceKey, Resource], provider: Provider, options: PlanOptions,
           *, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> tuple[Plan, list[str]]:
    """Re-read the platform (what the plan read), plan again, and return that plan with its
    non-converged items."""
    kinds, lists = read_scope(desired, options)
    live = provider.read(kinds, lists=lists)
    plan = make_plan(scoped(desired, kinds), live, provider, options, now=now())
    return plan, unconverged(plan)


def complete_message(ledger: Ledger) -> str:
    """``Apply complete! Resources: 1 added, 2 changed, 0 destroyed.``"""
    return f"{COMPLETE_HEAD} {ledger.resources_line()}"


def convergence_error(items: list[str], ledger: Ledger | None = None) -> ApplyError:
    """The error for a verification plan that is not empty (a normalisation bug)."""
    message = ("apply did not converge: planning again still changes "
               f"{', '.join(items)}; this is a bug in scsync's comparison of these fields, "
               "please report it")
    return ApplyError(message, ledger)


def conclude(ledger: Ledger, desired: Mapping[ResourceKey, Resource], provider: Provider,
             options: PlanOptions, *,
             now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> str:
    """After ``apply_plan``: the ``Apply complete!`` line when every step is done and planning
    again is empty; else ``ApplyError`` (the ledger's failures, or what did not converge)."""
    if not ledger.ok:
        raise failure_error(ledger)
    _, items = verify(desired, provider, options, now=now)
    if items:
        raise convergence_error(items, ledger)
    return complete_message(ledger)


def failure_error(ledger: Ledger) -> ApplyError:
    """The error for an apply with failed or unfinished steps (the ledger says which)."""
    return ApplyError(" ".join(ledger.closing_lines()), ledger)
