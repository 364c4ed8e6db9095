"""How apply runs one step's call: inline, one at a time (the default while the rate limit is 350
an hour), or in a small thread pool for independent steps (``--parallelism N``). Both offer the
same three operations to the scheduler: how many more steps it may start, start one, and wait for
the next one to finish."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Protocol

from scsync.errors import ScsyncError
from scsync.plan.ledger import Step

Outcome = tuple[str | None, ScsyncError | None]
StepFn = Callable[[Step], Outcome]


class Runner(Protocol):
    def capacity(self) -> int: ...

    def submit(self, step: Step) -> None: ...

    def busy(self) -> bool: ...

    def wait_one(self) -> tuple[Step, Outcome]: ...

    def in_flight(self, step: Step) -> bool:
        """True when ``step``'s call is still running and will report its outcome."""
        ...

    def close(self) -> None: ...


class InlineRunner:
    """Runs each step in the calling thread as it is submitted (Ctrl-C lands between calls when
    the caller turns SIGINT into a stop event)."""

    def __init__(self, fn: StepFn) -> None:
        self.fn = fn
        self.results: deque[tuple[Step, Outcome]] = deque()

    def capacity(self) -> int:
        return 0 if self.results else 1

    def submit(self, step: Step) -> None:
        self.results.append((step, self.fn(step)))

    def busy(self) -> bool:
        return bool(self.results)

    def wait_one(self) -> tuple[Step, Outcome]:
        return self.results.popleft()

    def in_flight(self, step: Step) -> bool:
        return any(done is step for done, _ in self.results)

    def close(self) -> None:
        """Nothing runs in the background."""


class PoolRunner:
    """Runs up to ``size`` steps at once in worker threads; results are handled by the caller's
    thread, so the ledger and the ids are never touched concurrently."""

    def __init__(self, fn: StepFn, size: int) -> None:
        self.fn = fn
        self.size = size
        self.pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="scsync-apply")
        self.futures: dict[Future[Outcome], Step] = {}

    def capacity(self) -> int:
        return self.size - len(self.futures)

    def submit(self, step: Step) -> None:
        self.futures[self.pool.submit(self.fn, step)] = step

    def busy(self) -> bool:
        return bool(self.futures)

    def wait_one(self) -> tuple[Step, Outcome]:
        finished, _ = wait(self.futures, return_when=FIRST_COMPLETED)
        future = next(iter(finished))
        return self.futures.pop(future), future.result()

    def in_flight(self, step: Step) -> bool:
        return any(running is step for running in self.futures.values())

    def close(self) -> None:
        self.pool.shutdown(wait=True)


def make_runner(fn: StepFn, parallelism: int) -> Runner:
    return PoolRunner(fn, parallelism) if parallelism > 1 else InlineRunner(fn)
