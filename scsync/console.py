"""The terminal side of ``apply``: the approval question, progress (rich's transient bar on a TTY,
which clears itself, plain lines otherwise), the rate-limit countdown, notices and the ledger. The
CLI builds one ``Console`` and hands its methods to the library as callbacks; nothing else in
scsync writes to the terminal. rich is imported only when a bar is first drawn."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, TextIO

from scsync.plan.ledger import Ledger
from scsync.plan.progress import VERBS, ProgressEvent, countdown_line, step_line

if TYPE_CHECKING:
    from rich.progress import Progress

APPROVAL_QUESTION = "Do you want to perform these actions? Only 'yes' will be accepted."
NO_TTY_REFUSAL = ("no terminal to ask for approval: nothing was applied; "
                  "run with --auto-approve to apply without asking")
_CLEAR = "\r\x1b[2K"


class Console:
    """Writes apply's reports to ``stream``; ``tty`` chooses the bar and the live countdown
    (redrawn in place) over plain lines that a CI log keeps readable."""

    def __init__(self, stream: TextIO, tty: bool, *, tick_s: float = 1.0,
                 plain_every_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream, self.tty = stream, tty
        self.tick_s, self.plain_every_s, self.clock = tick_s, plain_every_s, clock
        self._lock = threading.RLock()
        self._bar: Progress | None = None
        self._countdown: _Countdown | None = None

    # -- writing ---------------------------------------------------------------------------
    def line(self, text: str) -> None:
        """A permanent line (above the bar on a TTY, which stays under it)."""
        with self._lock:
            self._stop_countdown()
            if self._bar is not None:
                self._bar.console.print(text, markup=False, highlight=False, soft_wrap=True)
                return
            self.stream.write(f"{text}\n")
            self.stream.flush()

    def _draw(self, event: ProgressEvent) -> None:
        """Start the bar on the first step, then move it to ``event``'s step."""
        with self._lock:
            self._stop_countdown()
            if self._bar is None:
                self._bar = _start_bar(self.stream, event.total)
            text = f"{VERBS.get(event.action, event.action)} {event.address}"
            self._bar.update(self._bar.task_ids[0], completed=event.completed, total=event.total,
                             description=text)
            self._bar.refresh()

    def status(self, text: str) -> None:
        """The bar's text (a countdown while a bar is drawn)."""
        with self._lock:
            if self._bar is not None:
                self._bar.update(self._bar.task_ids[0], description=text)

    def clear(self) -> None:
        """Remove the bar (before the ledger and the summary are printed)."""
        with self._lock:
            self._stop_countdown()
            if self._bar is not None:
                self._bar.stop()  # transient: the bar's lines are erased
                self._bar = None

    # -- callbacks the library calls ---------------------------------------------------------
    def progress(self, event: ProgressEvent) -> None:
        """The ``progress`` callback of ``apply_plan``."""
        if event.kind == "begin":
            if self.tty:
                self._draw(event)
        elif event.kind == "end":
            self.line(step_line(event))
        elif event.kind == "notice":
            self.line(event.message)

    def notice(self, message: str) -> None:
        """The provider's ``on_notice`` callback (a refreshed token and the like)."""
        self.line(message)

    def wait(self, seconds: float, reason: str) -> None:
        """The provider's ``on_wait`` callback: a countdown while it sleeps ``seconds``."""
        with self._lock:
            self._stop_countdown()
            self._countdown = _Countdown(self, seconds, reason)
            self._countdown.start()

    # -- after the run -----------------------------------------------------------------------
    def ledger(self, ledger: Ledger) -> None:
        self.clear()
        self.stream.write(ledger.render())
        self.stream.flush()

    def ask_approval(self, answers: TextIO) -> bool:
        """Ask ``APPROVAL_QUESTION``; True only for the answer ``yes``."""
        self.stream.write(f"\n{APPROVAL_QUESTION}\n  Enter a value: ")
        self.stream.flush()
        answer = answers.readline()
        self.stream.write("\n")
        return answer.strip() == "yes"

    def _stop_countdown(self) -> None:
        if self._countdown is not None:
            self._countdown.cancel()
            self._countdown = None


class _Countdown(threading.Thread):
    """Redraws the time left until the reset each tick (TTY), or writes a line now and then."""

    def __init__(self, console: Console, seconds: float, reason: str) -> None:
        super().__init__(name="scsync-countdown", daemon=True)
        self.console, self.reason = console, reason
        self.deadline = console.clock() + seconds
        self.cancelled = threading.Event()
        self._write(seconds, first=True)

    def _write(self, left: float, *, first: bool = False) -> None:
        text = countdown_line(left, self.reason)
        if self.console._bar is not None:
            self.console.status(text)
            return
        if self.console.tty:
            self.console.stream.write(_CLEAR + text)
        else:
            self.console.stream.write(f"{text}\n" if first else f"  {text}\n")
        self.console.stream.flush()

    def run(self) -> None:
        interval = self.console.tick_s if self.console.tty else self.console.plain_every_s
        while not self.cancelled.wait(interval):
            left = self.deadline - self.console.clock()
            if left <= 0:
                return
            with self.console._lock:
                if not self.cancelled.is_set():
                    self._write(left)

    def cancel(self) -> None:
        self.cancelled.set()
        if self.console.tty and self.console._bar is None:
            self.console.stream.write(_CLEAR)


def _start_bar(stream: TextIO, total: int) -> Progress:
    """rich's progress bar on ``stream`` (a terminal), erased when stopped."""
    from rich.console import Console as RichConsole
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    terminal = RichConsole(file=stream, force_terminal=True, no_color=True, highlight=False)
    bar = Progress(MofNCompleteColumn(), BarColumn(bar_width=20), TextColumn("{task.description}"),
                   console=terminal, transient=True, redirect_stdout=False, redirect_stderr=False)
    bar.add_task("", total=total)
    bar.start()
    return bar


@contextmanager
def stop_on_sigint(stop: threading.Event, console: Console | None = None) -> Iterator[None]:
    """While inside, a first Ctrl-C sets ``stop`` (the call in flight finishes, the ledger is
    printed); a second one interrupts at once. Only the main thread can install it."""

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        if console is not None:
            console.line("Interrupted: finishing the call in flight, then stopping "
                         "(Ctrl-C again to abort at once).")

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
