"""Fault injection for API calls (never for ``/_emulator/`` controls): seeded random 500s, dropped
connections, lost responses (the write is stored, then the socket closes) and slow responses."""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from scsync.emulator.errors import EmulatorError

RATES = ("error_rate", "drop_rate", "lost_response_rate", "slow_rate")


@dataclass(frozen=True, slots=True)
class Faults:
    """Rates are probabilities per API call; ``latency_ms`` delays every call, a slow call waits
    ``slow_ms`` more. All off by default."""

    error_rate: float = 0.0
    drop_rate: float = 0.0
    lost_response_rate: float = 0.0
    slow_rate: float = 0.0
    latency_ms: int = 0
    slow_ms: int = 2000
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in RATES:
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise EmulatorError(f"fault {name} must be between 0 and 1, got {value}")
        if self.latency_ms < 0 or self.slow_ms < 0:
            raise EmulatorError("fault latencies must not be negative")

    @classmethod
    def of(cls, value: Faults | Mapping[str, Any] | None) -> Faults:
        if value is None:
            return cls()
        if isinstance(value, Faults):
            return value
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise EmulatorError(f"unknown fault knob {unknown[0]!r} "
                                f"(expected one of: {', '.join(sorted(known))})")
        return cls(**value)

    @property
    def active(self) -> bool:
        return any(getattr(self, n) for n in RATES) or self.latency_ms > 0


@dataclass(frozen=True, slots=True)
class Decision:
    error: bool = False
    drop: bool = False
    lost: bool = False
    delay_s: float = 0.0


class Injector:
    """Draws one ``Decision`` per API call from a seeded generator (thread-safe)."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self._random = random.Random(faults.seed)
        self._lock = threading.Lock()

    def decide(self) -> Decision:
        f = self.faults
        if not f.active:
            return Decision()
        with self._lock:
            draws = [self._random.random() for _ in RATES]
        slow = draws[3] < f.slow_rate
        delay = (f.latency_ms + (f.slow_ms if slow else 0)) / 1000
        return Decision(error=draws[0] < f.error_rate, drop=draws[1] < f.drop_rate,
                        lost=draws[2] < f.lost_response_rate, delay_s=delay)
