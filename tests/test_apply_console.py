"""The terminal side of apply: plain progress lines, the TTY bar, the countdown, the approval
question and the ledger table."""

from __future__ import annotations

import io
import os
import signal
import threading
import time

from scsync.console import APPROVAL_QUESTION, Console, stop_on_sigint
from scsync.plan.ledger import Ledger, Step
from scsync.plan.progress import ProgressEvent, clock, countdown_line
from scsync.providers.base import Call
from tests.cli_support import screen


def begin(index: int, address: str, action: str = "update", completed: int = 0) -> ProgressEvent:
    return ProgressEvent("begin", total=4, index=index, completed=completed, address=address,
                         action=action, status="running")


def end(index: int, address: str, status: str, message: str = "",
        action: str = "update") -> ProgressEvent:
    return ProgressEvent("end", total=4, index=index, completed=index, address=address,
                         action=action, status=status, message=message)


def test_plain_progress_is_one_line_per_finished_step() -> None:
    out = io.StringIO()
    console = Console(out, tty=False)
    console.progress(ProgressEvent("start", total=4))
    console.progress(begin(1, "topic.ClaraLines Care", "create"))
    console.progress(end(1, "topic.ClaraLines Care", "done", action="create"))
    console.progress(end(2, "profile_group.UK", "failed", "the platform refused it",
                         action="create"))
    console.progress(end(3, "profile_group.EMEA", "skipped",
                         "depends on profile_group.UK, which failed"))
    console.progress(ProgressEvent("notice", message="re-reading topics"))
    assert out.getvalue() == (
        "[1/4] created topic.ClaraLines Care\n"
        "[2/4] FAILED profile_group.UK: the platform refused it\n"
        "[3/4] skipped profile_group.EMEA: depends on profile_group.UK, which failed\n"
        "re-reading topics\n")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_tty_progress_keeps_finished_lines_above_a_bar_that_is_erased() -> None:
    out = Terminal()
    console = Console(out, tty=True)
    console.progress(begin(3, "topic.ClaraLines Care", completed=2))
    assert screen(out.getvalue())[-1] == (
        "[##########----------]  2/4  updating topic.ClaraLines Care")
    console.progress(end(3, "topic.ClaraLines Care", "done"))
    console.progress(begin(4, "topic.Old Campaign", "delete", completed=3))
    assert screen(out.getvalue()) == ["[3/4] updated topic.ClaraLines Care",
                                      "[###############-----]  3/4  destroying topic.Old Campaign"]
    console.clear()
    out.write("Apply complete!\n")
    assert screen(out.getvalue()) == ["[3/4] updated topic.ClaraLines Care", "Apply complete!", ""]
    assert out.getvalue().endswith("\x1b[?25hApply complete!\n")  # the cursor shown again


def test_clock() -> None:
    assert clock(245) == "4:05"
    assert clock(3723) == "1:02:03"
    assert clock(0.2) == "0:01"
    assert countdown_line(61, "rate limit reached") == (
        "Waiting for the rate-limit reset: 1:01 left (rate limit reached)")


def test_plain_countdown_writes_a_line_now_and_then() -> None:
    out = io.StringIO()
    console = Console(out, tty=False, plain_every_s=0.05)
    console.wait(0.3, "rate limit reached: 0 of 5 calls left")
    time.sleep(0.18)
    console.line("[4/4] updated user.alice@claralines.example")
    lines = out.getvalue().splitlines()
    assert lines[0] == ("Waiting for the rate-limit reset: 0:01 left "
                        "(rate limit reached: 0 of 5 calls left)")
    assert len(lines) >= 3
    assert all(line.startswith("  Waiting for the rate-limit reset:") for line in lines[1:-1])
    assert lines[-1] == "[4/4] updated user.alice@claralines.example"
    time.sleep(0.1)
    assert out.getvalue().splitlines()[-1] == lines[-1]  # the countdown stopped


def test_tty_countdown_redraws_in_place() -> None:
    out = io.StringIO()
    console = Console(out, tty=True, tick_s=0.02)
    console.wait(125, "rate limit reached")
    time.sleep(0.1)
    console.clear()
    text = out.getvalue()
    assert "\n" not in text
    assert text.startswith("\r\x1b[2KWaiting for the rate-limit reset: 2:05 left "
                           "(rate limit reached)")
    assert text.count("\r\x1b[2KWaiting for the rate-limit reset:") >= 3


def test_approval_accepts_only_yes() -> None:
    out = io.StringIO()
    console = Console(out, tty=True)
    assert console.ask_approval(io.StringIO("yes\n")) is True
    assert console.ask_approval(io.StringIO("y\n")) is False
    assert console.ask_approval(io.StringIO("")) is False
    assert out.getvalue().count(APPROVAL_QUESTION) == 3
    assert APPROVAL_QUESTION == ("Do you want to perform these actions? "
                                 "Only 'yes' will be accepted.")


def _step(index: int, address: str, action: str, status: str, message: str = "") -> Step:
    call = Call(method="POST", path="/x", address=address, action=action)  # type: ignore[arg-type]
    return Step(index=index, address=address, action=action, call=call,
                status=status, message=message)  # type: ignore[arg-type]


def test_ledger_table_summary_and_hint() -> None:
    ledger = Ledger([
        _step(1, "topic.ClaraLines Care", "create", "done"),
        _step(2, "profile_group.UK", "create", "failed", "the platform refused it"),
        _step(3, "profile_group.EMEA", "update", "skipped",
              "depends on profile_group.UK, which failed"),
        _step(4, "topic.Old Campaign", "delete", "already_done", "already done on the platform"),
        _step(5, "user.alice@claralines.example", "update", "not_attempted"),
    ])
    out = io.StringIO()
    Console(out, tty=False).ledger(ledger)
    assert out.getvalue() == (
        "#  STATUS         ACTION  OBJECT                         MESSAGE\n"
        "1  done           create  topic.ClaraLines Care\n"
        "2  failed         create  profile_group.UK               the platform refused it\n"
        "3  skipped        update  profile_group.EMEA             depends on profile_group.UK, "
        "which failed\n"
        "4  already done   delete  topic.Old Campaign             already done on the platform\n"
        "5  not attempted  update  user.alice@claralines.example\n"
        "Apply failed: 1 done, 1 already done, 1 failed, 1 skipped, 1 not attempted.\n"
        "Re-run `scsync apply` to finish: 3 changes remain.\n")


def test_first_ctrl_c_sets_the_stop_event_and_the_second_interrupts() -> None:
    stop = threading.Event()
    out = io.StringIO()
    before = signal.getsignal(signal.SIGINT)  # SIG_IGN when pytest runs as a background job
    with stop_on_sigint(stop, Console(out, tty=False)):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.01)
        assert stop.is_set()
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.01)
            raised = False
        except KeyboardInterrupt:
            raised = True
    assert raised
    assert out.getvalue().startswith("Interrupted: finishing the call in flight")
    assert signal.getsignal(signal.SIGINT) is before
