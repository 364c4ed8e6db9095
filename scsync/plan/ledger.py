"""The apply ledger: one ``Step`` per planned write and what became of it (done, failed with the
platform's message, skipped because a dependency failed, not attempted, already done), rendered
as the table the CLI prints after an apply, with the counts and the hint on what to re-run."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from scsync.errors import printable
from scsync.providers.base import Call

StepStatus = Literal["pending", "running", "unresolved", "done", "failed", "skipped",
                     "not_attempted", "already_done"]

# Statuses in the order the summary lists them, with the words it uses.
STATUS_WORDS: dict[str, str] = {
    "done": "done",
    "already_done": "already done",
    "failed": "failed",
    "skipped": "skipped",
    "not_attempted": "not attempted",
}
# Statuses that leave the change still to do.
# ``running`` and ``unresolved`` (a create whose response was lost) exist only during a run.
UNFINISHED = frozenset({"pending", "running", "unresolved", "failed", "skipped", "not_attempted"})
_PAST = {"create": "added", "update": "changed", "delete": "destroyed"}


@dataclass(slots=True)
class Step:
    """One planned write: its place in the plan (1-based), its call and its outcome."""

    index: int
    address: str
    action: str
    call: Call
    kind: str = ""
    status: StepStatus = "pending"
    message: str = ""
    created_id: str | None = None
    attempts: int = 0


@dataclass(slots=True)
class Ledger:
    """Every step of an apply, in plan order; ``stopped`` says why the run ended early."""

    steps: list[Step] = field(default_factory=list)
    stopped: str = ""

    def summary(self) -> dict[str, int]:
        """Counts per status (every status of ``STATUS_WORDS``, zero included)."""
        counts = Counter(_final(s.status) for s in self.steps)
        return {status: counts.get(status, 0) for status in STATUS_WORDS}

    @property
    def remaining(self) -> list[Step]:
        """The steps whose change is still to do (failed, skipped, not attempted)."""
        return [s for s in self.steps if s.status in UNFINISHED]

    @property
    def ok(self) -> bool:
        """True when every step is done (now or before) and the run was not stopped."""
        return not self.remaining and not self.stopped

    def resources_line(self) -> str:
        """``Resources: 1 added, 2 changed, 0 destroyed.`` counting what this run did."""
        done = Counter(s.action for s in self.steps if s.status == "done")
        parts = ", ".join(f"{done.get(action, 0)} {word}" for action, word in _PAST.items())
        return f"Resources: {parts}."

    def summary_line(self) -> str:
        """``Apply failed: 3 done, 1 failed, 1 skipped, 2 not attempted.`` (zero counts omitted)."""
        counts = self.summary()
        parts = [f"{n} {STATUS_WORDS[s]}" for s, n in counts.items() if n]
        head = "Apply finished" if self.ok else "Apply failed"
        return f"{head}: {', '.join(parts) or 'nothing to do'}."

    def rerun_hint(self) -> str:
        """``Re-run `scsync apply` to finish: 2 changes remain.`` (empty when nothing remains)."""
        left = len(self.remaining)
        if not left:
            return ""
        noun = "change remains" if left == 1 else "changes remain"
        return f"Re-run `scsync apply` to finish: {left} {noun}."

    def closing_lines(self) -> list[str]:
        """The summary line, then the stop reason and the re-run hint when there are any (each a
        sentence: they are joined on one line in an error message)."""
        lines = [self.summary_line()]
        if self.stopped:
            stop = "" if self.stopped.endswith((".", "!", "?")) else "."
            lines.append(f"Stopped: {self.stopped}{stop}")
        if hint := self.rerun_hint():
            lines.append(hint)
        return lines

    def render(self) -> str:
        """The ledger as a plain-text table, then the summary line, the stop reason and the hint."""
        lines = _table(self.steps) if self.steps else []
        return "\n".join([*lines, *self.closing_lines()]) + "\n"


def _final(status: str) -> str:
    return {"pending": "not_attempted", "running": "failed", "unresolved": "failed"}.get(
        status, status)


def _table(steps: list[Step]) -> list[str]:
    rows = [("#", "STATUS", "ACTION", "OBJECT", "MESSAGE")]
    rows += [(str(s.index), STATUS_WORDS[_final(s.status)], s.action, printable(s.address),
              printable(s.message)) for s in steps]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return [("  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths, strict=True))
             + "  " + row[4]).rstrip() for row in rows]
