"""What an apply reports while it runs (``ProgressEvent``), and the pure text of each report: the
progress line, the rate-limit budget notice and the countdown (the TTY bar is click's). No I/O
here: the console (``scsync.console``) writes these strings, library code only calls a
callback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from scsync.errors import printable
from scsync.providers.base import RateBudget
from scsync.providers.ratelimit import format_utc

EventKind = Literal["start", "begin", "end", "notice"]

VERBS = {"create": "creating", "update": "updating", "delete": "destroying"}
PAST = {"create": "created", "update": "updated", "delete": "destroyed"}


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """One report of a running apply.

    ``start``: the apply begins (``total`` steps); ``begin``: step ``index`` starts; ``end``: it
    finished with ``status`` (``message`` says why it failed or was skipped); ``notice``: anything
    else worth telling (the budget, a lost response being checked).
    """

    kind: EventKind
    total: int = 0
    index: int = 0
    completed: int = 0
    address: str = ""
    action: str = ""
    status: str = ""
    message: str = ""


def step_line(event: ProgressEvent) -> str:
    """``[3/12] updating topic.ClaraLines Care`` (a ``begin``) or, for an ``end``,
    ``[3/12] updated topic.ClaraLines Care`` / ``[3/12] FAILED ... : message``."""
    head = f"[{event.index}/{event.total}]"
    if event.kind == "begin":
        return printable(f"{head} {VERBS.get(event.action, event.action)} {event.address}")
    if event.status == "done":
        tail = f" ({event.message})" if event.message else ""
        return printable(f"{head} {PAST.get(event.action, event.action)} {event.address}{tail}")
    word = {"failed": "FAILED", "skipped": "skipped", "not_attempted": "not attempted"}.get(
        event.status, event.status)
    return printable(f"{head} {word} {event.address}: {event.message}".rstrip(": "))


def budget_notice(calls: int, budget: RateBudget | None, now: float,
                  reads: int = 0) -> str | None:
    """Said before an apply whose calls (the writes, then up to ``reads`` reads to verify them)
    exceed what is left of the rate-limit window."""
    if budget is None or calls + reads <= budget.remaining:
        return None
    makes = (f"{calls} calls" if not reads
             else f"{calls} writes and up to {reads} reads to verify them")
    return (f"This apply makes {makes} and {budget.remaining} of {budget.limit} are left "
            f"in this rate-limit window: it will wait for the reset at "
            f"{format_utc(budget.reset_at, now)} when they run out (up to --max-wait).")


def clock(seconds: float) -> str:
    """``4:05`` or ``1:02:03``."""
    whole = max(0, int(seconds + 0.999))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def countdown_line(seconds_left: float, reason: str) -> str:
    """``Waiting for the rate-limit reset: 4:05 left (REASON)``; a retry's pause after a failed
    call is its reason alone (it says what failed and when the next try comes)."""
    if not reason.startswith("rate limit"):
        return reason
    return f"Waiting for the rate-limit reset: {clock(seconds_left)} left ({reason})"
