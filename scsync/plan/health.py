"""Health items of a plan: what a reviewer must know that is not a planned change. Endpoints the
platform does not offer first, then expired streams (they crawl nothing), expired connected
profiles, missing permissions, a token near expiry, and a rate-limit budget too small for the
writes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from scsync.errors import Problem
from scsync.plan.model import HealthItem
from scsync.providers.base import LiveState, Unavailable
from scsync.resources import Kind, stream_address

# What a missing list costs, as the health item says it.
LOST = {
    "flows": "flows cannot be read; refer to a flow by its id (flow: {flow_id: ID}) instead "
             "of its name",
    "connectedprofiles": "connected profiles cannot be read; new authorized streams cannot be "
                         "checked or given the connected profile that admins their page",
    "profiles": "Profile Manager settings (profiles) cannot be read or planned",
    "topics": "topics cannot be read or planned",
    "profilegroups": "profile groups cannot be read or planned",
    "users": "users cannot be read or planned",
    "userroles": "user roles cannot be read, so a user's role: cannot be planned",
}


def missing_endpoint(gone: Unavailable) -> str:
    """``GET /1001/settings/flows answered not_found``."""
    return f"{gone.endpoint} answered {gone.error}"


# Plan-time warnings with this code repeat a ``missing_permissions`` item: listed once.
MISSING_PERMISSIONS = "missing_permissions"
# Plan-time notes with this code are facts to review, not warnings: shown in the plan only.
UNVERIFIED_PAGE = "unverified_page"


def health(live: LiveState, *, calls: int, now: datetime, warning_days: int,
           warnings: Iterable[Problem] = ()) -> list[HealthItem]:
    """Every health item, most urgent kind first."""
    return (unavailable(live) + expired_streams(live) + expired_connected_profiles(live)
            + missing_permissions(live) + token_expiry(live, now, warning_days)
            + rate_budget(live, calls)
            + [plan_warning(p) for p in warnings if p.code != MISSING_PERMISSIONS])


def unavailable(live: LiveState) -> list[HealthItem]:
    """Each list the platform does not offer, once, with its endpoint and what it costs."""
    return [HealthItem(kind="unavailable", severity="warning", address=gone.endpoint,
                       message=f"not available on this platform (it answered {gone.error}): "
                               f"{LOST.get(gone.list, gone.list + ' cannot be read')}")
            for gone in sorted(live.unavailable.values(), key=lambda g: g.path)]


def expired_streams(live: LiveState) -> list[HealthItem]:
    items = []
    for topic in sorted(live.of_kind(Kind.TOPIC), key=lambda r: r.name):
        for stream in topic.fields.get("streams") or []:
            if stream.get("expired"):
                items.append(HealthItem(
                    kind="expired_stream", severity="error",
                    address=stream_address(topic.name, stream["profile"]),
                    message=f"stream {stream['profile']} of topic {topic.name} is expired: it "
                            "crawls no data until reconnected in Social Connect (Settings > "
                            f"Topics > {topic.name} > Reconnect)"))
    return items


def user_label(live: LiveState, user_id: int) -> str:
    """The e-mail of user ``user_id`` (live users carry their platform id), else ``user N``."""
    for resource in live.of_kind(Kind.USER):
        if resource.id == str(user_id):
            return resource.name
    return live.me.email if live.me.id == user_id else f"user {user_id}"


def expired_connected_profiles(live: LiveState) -> list[HealthItem]:
    return [HealthItem(kind="expired_connected_profile", severity="warning",
                       message=f"the {cp.network} connected profile {cp.name} of "
                               f"{user_label(live, cp.user_id)} is expired: authorized streams "
                               "that need it cannot be added; reconnect it in Social Connect "
                               "(Personal settings > Connected profiles)")
            for cp in sorted(live.connected_profiles, key=lambda c: c.id) if cp.expired]


def missing_permissions(live: LiveState) -> list[HealthItem]:
    return [HealthItem(kind="missing_permissions", severity="warning",
                       message=f"the {cp.network} connected profile {cp.name} of "
                               f"{user_label(live, cp.user_id)} lacks the permissions "
                               f"{', '.join(cp.missing_permissions)}; enable them in its "
                               "Business integration")
            for cp in sorted(live.connected_profiles, key=lambda c: c.id)
            if cp.missing_permissions]


def token_expiry(live: LiveState, now: datetime, warning_days: int) -> list[HealthItem]:
    expires = live.me.token_expires_at
    if expires is None:
        return []
    expires = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
    left = expires - now
    if left > timedelta(days=warning_days):
        return []
    days = max(left.days, 0)
    return [HealthItem(kind="token_expiry", severity="warning",
                       message=f"the API token expires on {expires:%Y-%m-%d %H:%M} UTC (in "
                               f"{days} day{'s' if days != 1 else ''}); renew it, or configure "
                               "refresh_token, client_id and client_secret")]


def rate_budget(live: LiveState, calls: int) -> list[HealthItem]:
    rate = live.rate
    if rate is None or calls <= rate.remaining:
        return []
    reset = datetime.fromtimestamp(rate.reset_at, UTC)
    return [HealthItem(kind="rate_limit", severity="warning",
                       message=f"apply needs {calls} calls but only {rate.remaining} of "
                               f"{rate.limit} remain in this rate-limit window; it will wait "
                               f"for the reset at {reset:%Y-%m-%d %H:%M} UTC")]


def plan_warning(problem: Problem) -> HealthItem:
    """A plan-time warning (a disabled flow) or note (an unverified page) as a health item."""
    field = f"{problem.field}: " if problem.field else ""
    return HealthItem(kind="plan_warning", address=problem.address,
                      severity="info" if problem.code == UNVERIFIED_PAGE else "warning",
                      message=f"{field}{problem.message}")
