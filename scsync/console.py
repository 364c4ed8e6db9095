"""The terminal side of ``apply``: the approval question, progress (click's progress bar on a TTY,
kept under the finished lines and erased before the summary; plain lines otherwise), the
rate-limit countdown, notices and the ledger. The CLI builds one ``Console`` and hands its methods
to the library as callbacks; nothing else in scsync writes to the terminal.

Not rich: installed, rich makes every ``import httpx`` import it (and pygments), for httpx's own
command line, which scsync never uses."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, TextIO

import click

from scsync.plan.ledger import Ledger
from scsync.plan.progress import VERBS, ProgressEvent, countdown_line, step_line

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

APPROVAL_QUESTION = "Do you want to perform these actions? Only 'yes' will be accepted."
NO_TTY_REFUSAL = ("no terminal to ask for approval: nothing was applied; "
                  "run with --auto-approve to apply without asking")
_CLEAR = "\r\x1b[2K"
_SHOW_CURSOR = "\x1b[?25h"  # click hides the cursor while its bar is drawn


class Console:
    """Writes apply's reports to ``stream``; ``tty`` chooses the bar and the live countdown
    (redrawn in place) over plain lines that a CI log keeps readable."""

    def __init__(self, stream: TextIO, tty: bool, *, tick_s: float = 1.0,
                 plain_every_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream, self.tty = stream, tty
        self.tick_s, self.plain_every_s, self.clock = tick_s, plain_every_s, clock
        self._lock = threading.RLock()
        self._bar: ProgressBar[str] | None = None
        self._countdown: _Countdown | None = None

    # -- writing ---------------------------------------------------------------------------
    def line(self, text: str) -> None:
        """A permanent line (above the bar on a TTY, which stays under it)."""
        with self._lock:
            self._stop_countdown()
            tail = f"{_CLEAR}{self._bar.format_progress_line()}" if self._bar is not None else ""
            prefix = _CLEAR if self._bar is not None else ""
            self.stream.write(f"{prefix}{text}\n{tail}")
            self.stream.flush()

    def _draw(self, event: ProgressEvent) -> None:
        """Start the bar on the first step, then move it to ``event``'s step."""
        with self._lock:
            self._stop_countdown()
            if self._bar is None:
                self._bar = _new_bar(self.stream, event.total)
            self._bar.pos = event.completed
            self._bar.current_item = f"{VERBS.get(event.action, event.action)} {event.address}"
            self._bar.render_progress()

    def status(self, text: str) -> None:
        """The bar's text (a countdown while a bar is drawn)."""
        with self._lock:
            if self._bar is not None:
                self._bar.current_item = text
                self._bar.render_progress()

    def clear(self) -> None:
        """Remove the bar (before the ledger and the summary are printed)."""
        with self._lock:
            self._stop_countdown()
            if self._bar is not None:
                self.stream.write(_CLEAR + _SHOW_CURSOR)  # the bar is erased, not left behind
                self.stream.flush()
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


def _new_bar(stream: TextIO, total: int) -> ProgressBar[str]:
    """click's bar on ``stream`` (a terminal): ``[#####---------------]  3/12  updating ADDR``.
    Drawn by ``render_progress``; never finished (that would leave it on screen): the console
    erases it."""
    bar: ProgressBar[str] = click.progressbar(  # type: ignore[assignment]  # items: its texts
        length=max(total, 1), file=stream, width=20, show_pos=True, show_percent=False,
        show_eta=False, bar_template="[%(bar)s]  %(info)s")
    bar.item_show_func = lambda item: item
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
