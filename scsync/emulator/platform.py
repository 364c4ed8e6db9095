"""The running platform: the store, the clock and the clock's offset kept in the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from scsync.emulator.clock import Clock
from scsync.emulator.store import Store, Tx


class Platform:
    """Opens transactions stamped with the emulator's time (base clock + database offset)."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    @contextmanager
    def tx(self, *, write: bool = False, actor: dict[str, Any] | None = None) -> Iterator[Tx]:
        with self.store.tx(write=write, actor=actor) as tx:
            tx.now = self.clock.now() + tx.meta("clock_offset", 0.0)
            yield tx

    def offset(self, tx: Tx) -> float:
        return float(tx.meta("clock_offset", 0.0))

    def advance(self, seconds: float) -> float:
        """Move the emulator's clock forward; returns the new emulator time."""
        with self.tx(write=True) as tx:
            tx.set_meta("clock_offset", self.offset(tx) + seconds)
            return tx.now + seconds
