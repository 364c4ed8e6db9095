"""The terminal side of ``apply``: the approval question, progress (a bar on a TTY, plain lines
otherwise), the rate-limit countdown, notices and the ledger. The CLI builds one ``Console`` and
hands its methods to the library as callbacks; nothing else in scsync writes to the terminal."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TextIO

from scsync.plan.ledger import Ledger
from scsync.plan.progress import ProgressEvent, bar_line, countdown_line, step_line

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
        self._bar = ""
        self._countdown: _Countdown | None = None

    # -- writing ---------------------------------------------------------------------------
    def line(self, text: str) -> None:
        """A permanent line (above the bar on a TTY, which is redrawn under it)."""
        with self._lock:
            self._stop_countdown()
            prefix = _CLEAR if self.tty and self._bar else ""
            tail = self._bar if self.tty else ""
            self.stream.write(f"{prefix}{text}\n{tail}")
            self.stream.flush()

    def _draw(self, text: str) -> None:
        with self._lock:
            self._stop_countdown()
            self._bar = text
            self.stream.write(_CLEAR + text)
            self.stream.flush()

    def clear(self) -> None:
        """Remove the bar (before the ledger and the summary are printed)."""
        with self._lock:
            self._stop_countdown()
            if self.tty and self._bar:
                self.stream.write(_CLEAR)
                self.stream.flush()
            self._bar = ""

    # -- callbacks the library calls ---------------------------------------------------------
    def progress(self, event: ProgressEvent) -> None:
        """The ``progress`` callback of ``apply_plan``."""
        if event.kind == "begin":
            if self.tty:
                self._draw(bar_line(event))
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
        if self.console.tty:
            self.console.stream.write(_CLEAR + self.console._bar)


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
