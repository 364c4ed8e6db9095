"""The platform's rate limit as the client sees it: ``X-RateLimit-*`` headers parsed into a
``RateBudget``, how long to wait for the reset, and the messages that say so."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from scsync.providers.base import RateBudget

# Seconds added to a reset time so that the first call after the wait lands in the new window:
# a share of the window (the platform rounds its reset up to a whole second; the margin covers
# the clocks' skew), at most MAX; RESET_MARGIN_S when the window's length is unknown.
RESET_MARGIN_SHARE = 0.01
RESET_MARGIN_MAX_S = 2.0
RESET_MARGIN_S = 1.0
# Without any header telling the reset, wait this long before retrying a rate-limited call.
FALLBACK_WAIT_S = 60.0


def _int(headers: Mapping[str, str], name: str) -> int | None:
    raw = headers.get(name)
    try:
        return int(float(raw)) if raw is not None else None
    except ValueError:
        return None


def budget_from_headers(headers: Mapping[str, str],
                        previous: RateBudget | None = None) -> RateBudget | None:
    """The budget the response's headers announce; ``previous`` fills headers that are missing."""
    limit = _int(headers, "X-RateLimit-Limit")
    remaining = _int(headers, "X-RateLimit-Remaining")
    reset = _int(headers, "X-RateLimit-Reset")
    window = _int(headers, "X-RateLimit-Time")
    if limit is None and remaining is None and reset is None:
        return previous
    return RateBudget(
        limit=limit if limit is not None else (previous.limit if previous else 0),
        remaining=remaining if remaining is not None else (previous.remaining if previous else 0),
        reset_at=float(reset) if reset is not None else (previous.reset_at if previous else 0.0),
        window_s=window if window is not None else (previous.window_s if previous else 0),
    )


def reset_margin(budget: RateBudget | None) -> float:
    """The margin after a reset: 1% of the window (0.02 s of 2 s, 0.6 s of a minute), at most
    2 s (an hour's window)."""
    if budget is None or budget.window_s <= 0:
        return RESET_MARGIN_S
    return min(RESET_MARGIN_MAX_S, budget.window_s * RESET_MARGIN_SHARE)


def seconds_until_reset(budget: RateBudget | None, now: float) -> float:
    """How long to wait for the window to reset (never negative; a fallback when unknown)."""
    if budget is None or budget.reset_at <= 0:
        return FALLBACK_WAIT_S
    return max(0.0, budget.reset_at - now) + reset_margin(budget)


def format_utc(timestamp: float, now: float) -> str:
    """``18:00:00 UTC``, with the date in front when ``timestamp`` is a day or more from ``now``."""
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    if abs(timestamp - now) >= 86400:
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    return moment.strftime("%H:%M:%S UTC")


def _left(budget: RateBudget | None) -> str:
    if budget is None:
        return "rate limit reached"
    return f"rate limit reached: {budget.remaining} of {budget.limit} calls left"


def exhausted_message(budget: RateBudget | None, reset_at: float, now: float) -> str:
    """The error when the reset is further away than ``--max-wait``."""
    return f"{_left(budget)} until {format_utc(reset_at, now)}; re-run then or raise --max-wait"


def waiting_reason(budget: RateBudget | None, reset_at: float, now: float) -> str:
    """What ``on_wait`` reports while the client waits for the reset."""
    return f"{_left(budget)}; waiting for the reset at {format_utc(reset_at, now)}"
