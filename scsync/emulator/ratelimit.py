"""The per-user rate limit: a fixed window (default 350 calls per 3,600 s, starting at the whole
second of its first call) counted in the database, so every process serving the same file shares
it; ``X-RateLimit-*`` headers describe it (the reset rounded up, as the platform's)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from scsync.emulator.store import Tx

DEFAULT = (350, 3600)


@dataclass(frozen=True, slots=True)
class Window:
    limit: int
    seconds: int
    remaining: int
    reset: float  # unix time on the base clock

    @property
    def reset_header(self) -> str:
        """The whole second at or after the window's end (the platform never announces a reset
        before it happens)."""
        return str(math.ceil(self.reset))

    def headers(self) -> dict[str, str]:
        return {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Time": str(self.seconds),
                "X-RateLimit-Remaining": str(self.remaining),
                "X-RateLimit-Reset": self.reset_header}


def hit(tx: Tx, bucket: str, rule: tuple[int, int], offset: float) -> tuple[bool, Window]:
    """Count one call of ``bucket``; False when the window's allowance is already spent.
    ``offset`` (emulator time minus base time) turns the reset into base-clock time."""
    limit, seconds = rule
    row = tx.conn.execute("SELECT window_start, count FROM ratelimit WHERE bucket = ?",
                          (bucket,)).fetchone()
    # a window starts at the whole second of its first call, so its reset is a whole second
    start, count = (row[0], row[1]) if row else (math.floor(tx.now), 0)
    if tx.now >= start + seconds:
        start, count = math.floor(tx.now), 0
    allowed = count < limit
    if allowed:
        count += 1
    tx.conn.execute("INSERT OR REPLACE INTO ratelimit (bucket, window_start, count) VALUES (?,?,?)",
                    (bucket, start, count))
    return allowed, Window(limit, seconds, max(limit - count, 0), start + seconds - offset)


def idle(rule: tuple[int, int], now: float, offset: float) -> Window:
    """The headers of a call that is not counted (no user known)."""
    return Window(rule[0], rule[1], rule[0], now + rule[1] - offset)


def parse(text: str) -> tuple[int, int]:
    """``"350/3600"`` -> (350, 3600). Raises ValueError."""
    calls, _, seconds = text.partition("/")
    rule = (int(calls), int(seconds or 3600))
    if rule[0] < 1 or rule[1] < 1:
        raise ValueError(f"rate limit {text!r} must be CALLS/SECONDS with both positive")
    return rule
