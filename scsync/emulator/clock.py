"""The emulator's clock: a base clock (real time unless a test passes another) plus an offset kept
in the database, so ``/_emulator/clock`` advances it for every process that shares the file."""

from __future__ import annotations

import time
from datetime import UTC, datetime


class Clock:
    """A source of unix time; subclass or pass ``start`` for a frozen, manually advanced clock."""

    def __init__(self, start: float | None = None) -> None:
        self._frozen = start

    def now(self) -> float:
        return time.time() if self._frozen is None else self._frozen

    def advance(self, seconds: float) -> None:
        """Move a frozen clock forward (a real-time clock is moved through the database offset)."""
        if self._frozen is None:
            raise ValueError("only a frozen clock can be advanced directly")
        self._frozen += seconds


def iso(ts: float | None) -> str | None:
    """Unix time -> ISO-8601 with a ``Z`` (seconds precision)."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: object) -> float:
    """ISO-8601 text, a datetime or unix seconds -> unix time. Raises ValueError."""
    if isinstance(value, bool):
        raise ValueError(f"not a time: {value!r}")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        text = value.strip()
        if text.replace(".", "", 1).isdigit():
            return float(text)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    else:
        raise ValueError(f"not a time: {value!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
