"""The plan's safety gates (domain.md "Config semantics"): ownership turns deletes of additive
kinds into unmanaged objects; ``protect:`` blocks deletes outright (``--force`` cannot lift it);
octoDNS-style thresholds refuse too many updates or deletes of one kind unless forced."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from fnmatch import fnmatchcase

from scsync.errors import SafetyError
from scsync.plan.diff import Draft
from scsync.plan.model import FORCE_HINT, Action, Plan, Refusal, Unmanaged
from scsync.plan.options import PlanOptions
from scsync.providers.base import LiveState
from scsync.resources import Kind

# How thresholds name a kind in their message ("Too many deletes of topics").
KIND_WORDS = {Kind.PROFILE: "profiles", Kind.TOPIC: "topics",
              Kind.PROFILE_GROUP: "profile groups", Kind.USER: "users"}


def split_ownership(drafts: Iterable[Draft],
                    options: PlanOptions) -> tuple[list[Draft], list[Unmanaged]]:
    """Deletes survive only for authoritative kinds; the others' objects become unmanaged."""
    kept: list[Draft] = []
    unmanaged: list[Unmanaged] = []
    for draft in drafts:
        if draft.action == "delete" and not options.is_authoritative(draft.kind.config_section):
            unmanaged.append(Unmanaged(address=draft.address, kind=draft.kind.value))
        else:
            kept.append(draft)
    unmanaged.sort(key=lambda u: u.address)
    return kept, unmanaged


def is_protected(address: str, options: PlanOptions) -> bool:
    return any(fnmatchcase(address, pattern) for pattern in options.protect)


def protect(drafts: Iterable[Draft], options: PlanOptions) -> list[Refusal]:
    """Mark deletes of protected objects blocked; one non-forceable refusal for each."""
    refusals = []
    for draft in drafts:
        if draft.action == "delete" and is_protected(draft.address, options):
            draft.blocked = True
            refusals.append(Refusal(
                reason=f"{draft.address} is protected by `protect:` in scsync.yaml "
                       "and would be deleted", forceable=False))
    return refusals


def thresholds(drafts: Iterable[Draft], live: LiveState, options: PlanOptions) -> list[Refusal]:
    """Forceable refusals for each kind whose updates or deletes exceed their ratio."""
    existing = Counter(key.kind for key in live.resources)
    counts = Counter((d.kind, d.action) for d in drafts if not d.blocked)
    safety = options.safety
    refusals = []
    for kind in Kind:
        limits: tuple[tuple[Action, float], ...] = (("update", safety.max_update_ratio),
                                                    ("delete", safety.max_delete_ratio))
        for action, ratio in limits:
            reason = _over(action, kind, counts[kind, action], existing[kind], ratio, options)
            if reason:
                refusals.append(Refusal(reason=reason, forceable=True))
    return refusals


def _over(action: str, kind: Kind, count: int, existing: int, ratio: float,
          options: PlanOptions) -> str | None:
    if not count or not existing or existing < options.safety.min_existing:
        return None
    if count / existing <= ratio:
        return None
    return (f"Too many {action}s of {KIND_WORDS[kind]}: {count} of {existing} "
            f"({_percent(count / existing)}) is over {_percent(ratio)}")


def _percent(ratio: float) -> str:
    return f"{round(ratio * 100)}%"


def gate(drafts: list[Draft], live: LiveState, options: PlanOptions) -> list[Refusal]:
    """Every refusal of the plan: protected deletes first, then thresholds."""
    return protect(drafts, options) + thresholds(drafts, live, options)


def refusal_error(plan: Plan) -> SafetyError | None:
    """The error of a refused plan (exit 3), one reason per gate that holds; None when no gate
    refuses it. The one place that words it, for ``apply`` and for a saved plan alike."""
    if not plan.refused:
        return None
    return SafetyError([r.reason if not r.forceable else f"{r.reason} {FORCE_HINT}"
                        for r in plan.refusals if not r.forceable or not plan.forced])
