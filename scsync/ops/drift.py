"""Drift detection for a scheduled job: a plan seen in a different light. ``detect_drift`` makes
the plan (``make_plan``), then sorts what it found into expired streams and connected profiles
(loud, first), objects changed outside scsync (field by field), objects missing on the platform,
objects on the platform that config lacks (authoritative kinds), unmanaged objects (reported, not
counted) and health items; and attributes each drifted object to who changed it and when, from ONE
paged read of the platform's settings history.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from scsync.plan.model import AccountRef, Change, Frozen, HealthItem, Plan, Unmanaged
from scsync.plan.options import PlanOptions
from scsync.plan.planner import make_plan
from scsync.plan.render.filters import plural
from scsync.providers.base import KIND_LISTS, HistoryEntry, LiveState, Provider
from scsync.resources import Kind, Resource, ResourceKey, split_profile_name

log = logging.getLogger(__name__)

EXPIRED_KINDS = ("expired_stream", "expired_connected_profile")
# The settings history's object type of each kind.
HISTORY_TYPES = {Kind.PROFILE: "profile", Kind.TOPIC: "topic",
                 Kind.PROFILE_GROUP: "profilegroup", Kind.USER: "user"}
# Config field -> the name the settings history gives it, where they differ.
HISTORY_FIELDS = {(Kind.TOPIC, "streams"): "services"}
RATE_WARNING_RATIO = 0.1
NO_DRIFT = "No drift. The platform matches the configuration."


class DriftField(Frozen):
    """One field whose live value differs from the config's."""

    path: str
    live: Any = None
    config: Any = None


class Attributed(Frozen):
    """Who last changed an object, from the settings history (all unset when no entry matched)."""

    changed_by: str | None = None
    """``Alice Martin (alice@claralines.example)``."""
    changed_by_email: str | None = None
    changed_at: datetime | None = None
    by_token_user: bool = False
    """The entry was made by the user behind scsync's own token (an earlier apply, likely)."""
    attribution: str = ""
    """The sentence reports show: ``changed by ... on 2026-11-21 14:02 UTC``."""


class DriftChange(Attributed):
    """An object changed outside scsync: its drifted fields (a pending rename included)."""

    address: str
    kind: str
    fields: list[DriftField] = []
    renamed_from: str | None = None


class DriftObject(Attributed):
    """A whole object that drifted: missing on the platform, or on it but not in config."""

    address: str
    kind: str
    message: str
    protected: bool = False


class DriftSummary(Frozen):
    expired_streams: int = 0
    expired_profiles: int = 0
    changed: int = 0
    missing: int = 0
    extra: int = 0
    unmanaged: int = 0

    @property
    def total(self) -> int:
        """Everything that counts as drift (unmanaged objects do not)."""
        return (self.expired_streams + self.expired_profiles + self.changed + self.missing
                + self.extra)


class DriftReport(Frozen):
    """What ``scsync drift`` found in one account."""

    account: AccountRef
    checked_at: datetime
    expired: list[HealthItem] = []
    """Expired streams, then expired connected profiles: reconnect them first."""
    changed: list[DriftChange] = []
    missing: list[DriftObject] = []
    extra: list[DriftObject] = []
    unmanaged: list[Unmanaged] = []
    health: list[HealthItem] = []
    """Not drift: a token near expiry, a rate limit nearly spent, permissions, warnings."""
    history_since: datetime | None = None
    """The start of the settings-history read used for attribution (None: not read)."""
    summary: DriftSummary


def has_drift(report: DriftReport) -> bool:
    """True when the report counts as drift (exit 2): expired streams and profiles count."""
    return report.summary.total > 0


def summary_line(summary: DriftSummary) -> str:
    """``Drift: 2 expired streams, 3 objects changed outside scsync, 1 missing, 0 extra (4
    unmanaged objects not counted).``, or the no-drift sentence."""
    if summary.total == 0:
        return NO_DRIFT
    parts = [plural(summary.expired_streams, "expired stream")]
    if summary.expired_profiles:
        parts.append(plural(summary.expired_profiles, "expired connected profile"))
    parts += [f"{plural(summary.changed, 'object')} changed outside scsync",
              f"{summary.missing} missing", f"{summary.extra} extra"]
    unmanaged = f"{plural(summary.unmanaged, 'unmanaged object')} not counted"
    return f"Drift: {', '.join(parts)} ({unmanaged})."


def detect_drift(desired: Mapping[ResourceKey, Resource], live: LiveState, provider: Provider,
                 options: PlanOptions, *, now: datetime, history_days: int = 30,
                 since: datetime | None = None) -> DriftReport:
    """The drift of ``live`` from ``desired``. Profiles and users that config declares but the
    platform lacks are reported as missing instead of failing the plan; any other plan-time
    problem raises ``PlanError`` (a kind the platform does not offer too: ``plan.availability``).
    Reads the settings history once, only when something drifted.
    """
    absent = [r for r in desired.values() if r.kind in (Kind.PROFILE, Kind.USER)
              and live.find(r.key) is None and KIND_LISTS[r.kind] not in live.unavailable]
    present = {k: r for k, r in desired.items() if r.kind not in (Kind.PROFILE, Kind.USER)
               or live.find(k) is not None or KIND_LISTS[k.kind] in live.unavailable}
    plan = make_plan(present, live, provider, options.model_copy(update={"targets": []}),
                     now=now)
    sorted_ = _Sorted(plan, absent)
    history_since = None
    entries: list[HistoryEntry] = []
    if sorted_.changes or sorted_.absent:
        history_since = since or now - timedelta(days=history_days)
        entries = provider.history(since=history_since)
        log.debug("read %d settings-history entries since %s", len(entries), history_since)
    who = Attributor(entries, live, since=history_since)
    return _report(plan, live, sorted_, who, now=now, history_since=history_since)


class _Sorted:
    """The plan's changes by what they mean for drift."""

    def __init__(self, plan: Plan, absent: list[Resource]) -> None:
        self.changes = plan.changes
        self.updates = [c for c in plan.changes if c.action == "update"]
        self.creates = [c for c in plan.changes if c.action == "create"]
        self.deletes = [c for c in plan.changes if c.action == "delete"]
        self.absent = absent


def _report(plan: Plan, live: LiveState, found: _Sorted, who: Attributor, *, now: datetime,
            history_since: datetime | None) -> DriftReport:
    expired = [h for h in plan.health if h.kind in EXPIRED_KINDS]
    changed = [_changed(c, live, who) for c in found.updates]
    missing = sorted([_missing_create(c, who) for c in found.creates]
                     + [_missing_adopted(r, who) for r in found.absent],
                     key=lambda o: o.address)
    extra = [_extra(c, live, who) for c in found.deletes]
    health = [h for h in plan.health if h.kind not in EXPIRED_KINDS and h.kind != "rate_limit"
              and not (h.kind == "plan_warning" and h.severity == "info")]  # notes on apply
    health += rate_near_limit(live)
    summary = DriftSummary(
        expired_streams=sum(h.kind == "expired_stream" for h in expired),
        expired_profiles=sum(h.kind == "expired_connected_profile" for h in expired),
        changed=len(changed), missing=len(missing), extra=len(extra),
        unmanaged=len(plan.unmanaged))
    return DriftReport(account=plan.account, checked_at=now, expired=expired, changed=changed,
                       missing=missing, extra=extra, unmanaged=list(plan.unmanaged),
                       health=health, history_since=history_since, summary=summary)


def _changed(change: Change, live: LiveState, who: Attributor) -> DriftChange:
    fields = [DriftField(path=f.path, live=f.before, config=f.after) for f in change.fields]
    kind = Kind(change.kind)
    touched = [_history_field(kind, f.path) for f in change.fields]
    found = who.for_object(kind, change.live_id, touched)
    return DriftChange(address=change.address, kind=change.kind, fields=fields,
                       renamed_from=change.renamed_from, **who.describe(found))


def _missing_create(change: Change, who: Attributor) -> DriftObject:
    name = change.address.partition(".")[2]
    found = who.deleted(Kind(change.kind), name)
    return DriftObject(address=change.address, kind=change.kind,
                       message="in config but not on the platform (apply creates it)",
                       **who.describe(found, verb="deleted", none=""))


def _missing_adopted(resource: Resource, who: Attributor) -> DriftObject:
    if resource.kind is Kind.USER:
        message = (f"in config but not a user of this account; invite {resource.name} in "
                   "Social Connect (Account settings > Users)")
        found = None
    else:
        message = ("in config but not connected to this account; connect it in Social Connect "
                   "(Account settings > Profiles > Add profile)")
        found = who.for_object(Kind.PROFILE, _profile_id(resource.name), ())
    return DriftObject(address=resource.address, kind=resource.kind.value, message=message,
                       **who.describe(found))


def _profile_id(name: str) -> str:
    network, handle = split_profile_name(name)
    return f"{network.api_type}/{handle}"


def _extra(change: Change, live: LiveState, who: Attributor) -> DriftObject:
    found = who.for_object(Kind(change.kind), change.live_id, ())
    message = "on the platform but not in config (apply deletes it: its kind is authoritative)"
    if change.blocked:
        message = ("on the platform but not in config; protected by `protect:`, so apply "
                   "will not delete it")
    return DriftObject(address=change.address, kind=change.kind, message=message,
                       protected=change.blocked, **who.describe(found, verb="last changed"))


def _history_field(kind: Kind, path: str) -> str:
    return HISTORY_FIELDS.get((kind, path), path)


def rate_near_limit(live: LiveState) -> list[HealthItem]:
    """A warning when under 10% of the rate-limit window's calls are left."""
    rate = live.rate
    if rate is None or rate.limit <= 0 or rate.remaining >= rate.limit * RATE_WARNING_RATIO:
        return []
    reset = datetime.fromtimestamp(rate.reset_at, UTC)
    return [HealthItem(kind="rate_limit", severity="warning",
                       message=f"only {rate.remaining} of {rate.limit} API calls are left in "
                               f"this rate-limit window (it resets at {reset:%Y-%m-%d %H:%M} "
                               "UTC); other jobs on this token may be slowed or refused")]


class Attributor:
    """Who changed an object and when, from one read of the settings history."""

    def __init__(self, entries: Iterable[HistoryEntry], live: LiveState, *,
                 since: datetime | None = None) -> None:
        # newest first; a stable sort keeps the platform's order among equal dates
        self.entries = sorted(entries, key=lambda e: e.date, reverse=True)
        self.me = live.me
        self.emails = {r.id: r.name for r in live.of_kind(Kind.USER) if r.id is not None}
        self.no_entry = "no settings-history entry found for it" + (
            f" since {since.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if since else "")

    def for_object(self, kind: Kind, object_id: str | None,
                   fields: Sequence[str]) -> HistoryEntry | None:
        """The newest entry for the object that touches one of ``fields``, else its newest."""
        if object_id is None:
            return None
        mine = [e for e in self.entries
                if e.object_type == HISTORY_TYPES[kind] and e.object_id == object_id]
        touching = [e for e in mine if any(_touches(e, f) for f in fields)]
        found = touching or mine
        return found[0] if found else None

    def deleted(self, kind: Kind, name: str) -> HistoryEntry | None:
        """The newest deletion of an object of ``kind`` named ``name``."""
        return next((e for e in self.entries if e.object_type == HISTORY_TYPES[kind]
                     and e.type == "delete" and e.object_name == name), None)

    def describe(self, entry: HistoryEntry | None, *, verb: str = "changed",
                 none: str | None = None) -> dict[str, Any]:
        """The ``Attributed`` fields for ``entry`` (``none``: the sentence when there is none)."""
        if entry is None:
            return {"attribution": self.no_entry if none is None else none}
        email = self.emails.get(str(entry.user_id)) if entry.user_id is not None else None
        if email is None and entry.user_id is not None and entry.user_id == self.me.id:
            email = self.me.email
        user = _user_text(entry, email)
        mine = entry.user_id is not None and entry.user_id == self.me.id
        by = f"scsync's token user {user}" if mine else user
        when = entry.date.astimezone(UTC)
        return {"changed_by": user, "changed_by_email": email, "changed_at": when,
                "by_token_user": mine,
                "attribution": f"{verb} by {by} on {when:%Y-%m-%d %H:%M} UTC"}


def _user_text(entry: HistoryEntry, email: str | None) -> str:
    if entry.user_id is None:
        return "the platform"
    name = entry.user_name or f"user {entry.user_id}"
    return f"{name} ({email})" if email else name


def _touches(entry: HistoryEntry, field: str) -> bool:
    return any(key == field or key.startswith(field + ".") or field.startswith(key + ".")
               for key in entry.changes)
