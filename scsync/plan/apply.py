"""Apply: the executor of the plan's list of writes, in order, keeping a ledger of what happened.

One call per change (the plan's ``calls``, each carrying the positions of the calls it depends
on: apply derives nothing); ids of objects created earlier in the run fill the ``{"ref":
ADDRESS}`` of later calls; a step whose dependency failed is skipped while independent steps go
on. A create whose response was lost (``ProviderError.ambiguous``) is never retried
blind: once nothing else can run, its kind is re-read once and the create counts as done when the
object is there, or is retried once when it is not. A set ``stop`` event (Ctrl-C) lets the call
in flight finish and leaves the rest not attempted; a ``RateLimitError`` (the reset is beyond
``--max-wait``) stops the same way. Waiting for a reset within ``--max-wait`` is the provider's.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from scsync.errors import (
    NotFoundError,
    ProviderError,
    RateLimitError,
    ScsyncError,
)
from scsync.plan.apply_deps import call_refs
from scsync.plan.apply_runner import Outcome, Runner, make_runner
from scsync.plan.ledger import Ledger, Step
from scsync.plan.model import Plan
from scsync.plan.progress import ProgressEvent, budget_notice
from scsync.plan.safety import refusal_error
from scsync.providers.base import LiveState, Provider, RateBudget
from scsync.resources import Kind, ResourceKey, parse_address

logger = logging.getLogger(__name__)

Progress = Callable[[ProgressEvent], None]
INTERRUPTED = "interrupted (Ctrl-C): the call in flight finished, nothing more was sent"
MAX_CREATE_ATTEMPTS = 2
_BROKEN = {"failed": "failed", "skipped": "was skipped"}
_SETTLED = frozenset({"done", "already_done", "failed", "skipped", "not_attempted"})


@dataclass(frozen=True, slots=True)
class ApplySettings:
    """How to run: threads for independent steps, the cancel event, the clock."""

    parallelism: int = 1
    stop: threading.Event | None = None
    now: Callable[[], float] = time.time


def _steps(plan: Plan, done: Mapping[str, str | None]) -> list[Step]:
    kinds = {c.address: c.kind for c in plan.changes}
    steps = []
    for index, call in enumerate(plan.calls, start=1):
        kind = kinds.get(call.address) or parse_address(call.address)[0].value
        step = Step(index=index, address=call.address, action=call.action, call=call, kind=kind)
        if call.address in done:
            step.status, step.created_id = "already_done", done[call.address]
            step.message = "already done on the platform"
        steps.append(step)
    return steps


class _Apply:
    """One run of a plan: the steps, their dependencies, the ids created so far."""

    def __init__(self, plan: Plan, provider: Provider, reread: Callable[[Kind], LiveState],
                 progress: Progress | None, done: Mapping[str, str | None],
                 settings: ApplySettings) -> None:
        self.provider, self.reread, self.settings = provider, reread, settings
        self.emit: Progress = progress or (lambda event: None)
        self.steps = _steps(plan, done)
        self.reads = plan.reads
        self.deps = [{d - 1 for d in call.depends_on if 0 < d < position}
                     for position, call in enumerate(plan.calls, start=1)]
        self.ids = {address: id_ for address, id_ in done.items() if id_ is not None}
        self.given: dict[int, dict[str, str]] = {}  # per step: the ids its call refers to
        todo = [s for s in self.steps if s.status == "pending"]
        self.ordinal = {s.index: n for n, s in enumerate(todo, start=1)}
        self.total, self.completed, self.halt, self.cursor = len(todo), 0, "", 0
        self.dependants: list[list[int]] = [[] for _ in self.steps]
        for position, needs in enumerate(self.deps):
            for need in needs:
                self.dependants[need].append(position)

    # -- the loop --------------------------------------------------------------------------
    def run(self, budget: RateBudget | None) -> Ledger:
        self.emit(ProgressEvent("start", total=self.total))
        verify_reads = self.reads if self.total else 0  # at most one read of every kind
        if notice := budget_notice(self.total, budget, self.settings.now(), verify_reads):
            self.emit(ProgressEvent("notice", total=self.total, message=notice))
        runner = make_runner(self._execute, self.settings.parallelism)
        try:
            self._loop(runner)
        except KeyboardInterrupt:
            self._interrupted(runner)
        finally:
            runner.close()
        return self._finish()

    def _loop(self, runner: Runner) -> None:
        while True:
            if not self._stopping():
                self._launch(runner)
            if runner.busy():
                self._record(*runner.wait_one())
            elif self._unresolved() and not self._stopping():
                self._resolve()
            else:
                return

    def _stopping(self) -> bool:
        stop = self.settings.stop
        return bool(self.halt) or (stop is not None and stop.is_set())

    def _launch(self, runner: Runner) -> None:
        while self.cursor < len(self.steps) and self.steps[self.cursor].status in _SETTLED:
            self.cursor += 1
        for position in range(self.cursor, len(self.steps)):
            if runner.capacity() <= 0 or self._stopping():
                return
            if self.steps[position].status == "pending" and self._ready(position):
                self._start(self.steps[position], runner)

    def _ready(self, position: int) -> bool:
        return all(self.steps[d].status in ("done", "already_done") for d in self.deps[position])

    def _start(self, step: Step, runner: Runner) -> None:
        refs = call_refs(step.call)
        missing = [a for a in refs if a not in self.ids]
        if missing:
            self._end(step, "failed", f"the id of {missing[0]} is unknown: it was not created")
            return
        self.given[step.index] = {a: self.ids[a] for a in refs}
        step.status = "running"
        step.attempts += 1
        self.emit(self._event("begin", step))
        runner.submit(step)

    def _execute(self, step: Step) -> Outcome:
        """The worker: one call, its created id or its error (never raises our errors)."""
        try:
            return self.provider.execute(step.call, self.given[step.index]), None
        except ScsyncError as exc:
            return None, exc

    # -- outcomes --------------------------------------------------------------------------
    def _record(self, step: Step, outcome: Outcome) -> None:
        created_id, error = outcome
        if error is None:
            if created_id is not None:
                step.created_id = self.ids[step.address] = created_id
            self._end(step, "done", "")
        elif isinstance(error, RateLimitError):
            self.halt = str(error)
            self._end(step, "not_attempted", str(error))
        elif step.action == "create" and isinstance(error, ProviderError) and error.ambiguous:
            self._lost(step, error)
        elif step.action == "delete" and isinstance(error, NotFoundError):
            self._end(step, "done", "already gone from the platform")
        else:
            self._end(step, "failed", str(error))

    def _lost(self, step: Step, error: ScsyncError) -> None:
        step.status, step.message = "unresolved", str(error)
        self.emit(ProgressEvent(
            "notice", total=self.total, address=step.address, action=step.action,
            message=f"the response to the create of {step.address} was lost ({error}); "
                    f"re-reading {step.kind}s before any retry"))

    def _end(self, step: Step, status: str, message: str) -> None:
        step.status, step.message = status, message  # type: ignore[assignment]
        self.completed += 1
        self.emit(self._event("end", step))
        if status in _BROKEN:
            self._skip_dependants(step)

    def _event(self, kind: str, step: Step) -> ProgressEvent:
        return ProgressEvent(kind,  # type: ignore[arg-type]
                             total=self.total, index=self.ordinal.get(step.index, 0),
                             completed=self.completed, address=step.address,
                             action=step.action, status=step.status, message=step.message)

    def _skip_dependants(self, step: Step) -> None:
        """Skip, transitively, every pending step that waits for ``step`` (failed or skipped)."""
        for position in self.dependants[step.index - 1]:
            waiting = self.steps[position]
            if waiting.status == "pending":
                self._end(waiting, "skipped",
                          f"depends on {step.address}, which {_BROKEN[step.status]}")

    # -- lost responses ----------------------------------------------------------------------
    def _unresolved(self) -> list[Step]:
        return [s for s in self.steps if s.status == "unresolved"]

    def _resolve(self) -> None:
        by_kind: dict[str, list[Step]] = {}
        for step in self._unresolved():
            by_kind.setdefault(step.kind, []).append(step)
        for kind, steps in by_kind.items():
            try:
                live = self.reread(Kind(kind))
            except ScsyncError as exc:
                if isinstance(exc, RateLimitError):
                    self.halt = str(exc)
                for step in steps:
                    self._end(step, "failed", f"{step.message}; re-reading {kind}s to check it "
                                              f"failed too ({exc}): run `scsync plan` to see")
                continue
            for step in steps:
                self._settle(step, live)

    def _settle(self, step: Step, live: LiveState) -> None:
        found = live.find(ResourceKey.of(Kind(step.kind), parse_address(step.address)[1]))
        if found is not None:
            if found.id is not None:
                step.created_id = self.ids[step.address] = found.id
            self._end(step, "done", "the response was lost; a re-read found it created")
        elif step.attempts < MAX_CREATE_ATTEMPTS:
            step.status, self.cursor = "pending", min(self.cursor, step.index - 1)
            step.message = "the response was lost and a re-read did not find it: retrying once"
        else:
            self._end(step, "failed", f"{step.message}; a re-read did not find it after "
                                      f"{step.attempts} tries")

    # -- the end -------------------------------------------------------------------------------
    def _interrupted(self, runner: Runner) -> None:
        if self.settings.stop is not None:
            self.settings.stop.set()
        self.halt = self.halt or INTERRUPTED
        for step in self.steps:
            if step.status == "running" and not runner.in_flight(step):
                self._end(step, "failed", "interrupted during the call: it may or may not "
                                          "have taken effect; run `scsync plan` to see")
        while runner.busy():
            self._record(*runner.wait_one())

    def _finish(self) -> Ledger:
        reason = self.halt or (INTERRUPTED if self._stopping() else "")
        left = False
        for step in self.steps:
            if step.status == "pending":
                step.status, step.message, left = "not_attempted", reason, True
            elif step.status in ("unresolved", "running"):
                step.status = "failed"
                step.message += "; run `scsync plan` to see whether it was created"
        return Ledger(self.steps, stopped=reason if (left or self.halt) else "")


def apply_plan(plan: Plan, provider: Provider, *, reread: Callable[[Kind], LiveState],
               parallelism: int = 1, progress: Progress | None = None,
               stop: threading.Event | None = None,
               done: Mapping[str, str | None] | None = None,
               budget: RateBudget | None = None,
               now: Callable[[], float] = time.time) -> Ledger:
    """Run the plan's calls and return the ledger (never raises for a failed step).

    ``reread(kind)`` re-reads one kind after a lost create response; ``done`` maps the addresses
    of changes already done on the platform (``stale.prepare_saved_plan``) to their live ids, so
    their calls are not repeated and later calls can refer to them; ``budget`` is the rate-limit
    budget last seen, to warn when the calls exceed it. A plan that a safety gate refused is
    never applied (``SafetyError``).
    """
    if (refused := refusal_error(plan)) is not None:
        raise refused
    settings = ApplySettings(parallelism=max(1, parallelism), stop=stop, now=now)
    run = _Apply(plan, provider, reread, progress, done or {}, settings)
    ledger = run.run(budget)
    logger.debug("apply finished: %s", ledger.summary())
    return ledger
