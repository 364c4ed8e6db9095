"""The soak: N cycles of random config edits, then ``scsync apply`` and ``scsync plan`` as
subprocesses, against ``scsync emulator serve`` out of process with faults injected (500s, dropped
connections, lost responses, a tight rate limit) and the apply sometimes killed with SIGKILL at a
random moment, then re-run until it exits 0. After each cycle: no duplicate topic or group, every
setting of the config live, and a re-plan that is empty.

``python bench/soak.py --cycles 200 --seed 7`` prints the figures (``make soak``); the machinery is
importable (``SoakOptions``, ``run_soak``, ``Report``) and ``tests/test_soak.py`` runs a bounded
version. Edits and kill decisions are seeded; fault draws are seeded per emulator, but which call
draws which fault depends on timing (kills, retries), so two runs match in edits, not call by call.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as ``python bench/soak.py``
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench import ROOT, serve_emulator
from bench.soak_checks import duplicates, faults, settings_lost
from bench.soak_edits import Desired, example_desired, random_edits, write_config

log = logging.getLogger("bench.soak")
FIXTURE = ROOT / "examples" / "platform" / "claralines.yaml"
SCSYNC = [sys.executable, "-c", "from scsync.cli import main; main()"]
RATE_STOP = "rate limit reached"  # how scsync says it stopped at the limit (--max-wait 0)
WROTE = re.compile(r"^\[\d+/\d+\] (created|updated|destroyed) ", re.MULTILINE)


@dataclass(frozen=True)
class SoakOptions:
    """What one soak run does: cycles, edits per cycle, the faults and the kill rate."""

    cycles: int = 20
    seed: int = 7
    edits_per_cycle: int = 2
    error_rate: float = 0.05
    drop_rate: float = 0.03
    lost_response_rate: float = 0.05
    rate_limit: tuple[int, int] = (40, 600)
    latency_ms: int = 5
    kill_rate: float = 0.3
    kill_cycles: tuple[int, ...] = ()  # cycles whose first apply is always killed
    max_attempts: int = 10
    attempt_timeout_s: float = 120.0


@dataclass
class Cycle:
    """What one cycle did and found."""

    index: int
    edits: list[str]
    attempts: int = 0
    kills: int = 0
    kills_mid_write: int = 0
    rate_stops: int = 0
    failed_runs: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    duplicates: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    replan_not_empty: bool = False
    converged: bool = True
    seconds: float = 0.0


@dataclass
class Report:
    """The totals over every cycle (the figures ``bench/soak.py`` prints)."""

    options: SoakOptions
    cycles: list[Cycle] = field(default_factory=list)
    seconds: float = 0.0

    def total(self, name: str) -> int:
        return sum(getattr(c, name) for c in self.cycles)

    def fault(self, kind: str) -> int:
        return sum(c.faults[kind] for c in self.cycles)

    @property
    def duplicates(self) -> int:
        return sum(len(c.duplicates) for c in self.cycles)

    @property
    def settings_lost(self) -> int:
        return sum(len(c.lost) for c in self.cycles)

    @property
    def replans_not_empty(self) -> int:
        return sum(c.replan_not_empty for c in self.cycles)

    @property
    def not_converged(self) -> int:
        return sum(not c.converged for c in self.cycles)

    @property
    def faults_survived(self) -> int:
        injected = sum(self.fault(k) for k in ("error", "dropped", "lost", "rate_limit"))
        return injected + self.total("rate_stops") + self.total("kills")

    @property
    def ok(self) -> bool:
        return not (self.duplicates or self.settings_lost or self.replans_not_empty
                    or self.not_converged)


# --- the emulator, out of process ---


@dataclass(frozen=True)
class Server:
    """A running ``scsync emulator serve`` and its controls."""

    base_url: str
    token: str
    window_s: int

    def control(self, method: str, name: str, body: Any = None) -> Any:
        with httpx.Client(base_url=self.base_url, timeout=60) as client:
            response = client.request(method, f"/_emulator/{name}", json=body)
            return response.raise_for_status().json()

    def take_calls(self) -> list[dict[str, Any]]:
        """The call log since the last take (then cleared)."""
        calls = self.control("GET", "calls")
        self.control("DELETE", "calls")
        return list(calls)

    def advance(self) -> None:
        """Move the emulator's clock one rate-limit window on: a fresh allowance."""
        self.control("POST", "clock", {"advance_s": self.window_s})


def serve_command(db: Path, options: SoakOptions) -> list[str]:
    calls, seconds = options.rate_limit
    return [*SCSYNC, "emulator", "serve", "--db", str(db), "--fixture", str(FIXTURE),
            "--port", "0", "--rate-limit", f"{calls}/{seconds}",
            "--fault-error-rate", str(options.error_rate),
            "--fault-drop-rate", str(options.drop_rate),
            "--fault-lost-response-rate", str(options.lost_response_rate),
            "--latency-ms", str(options.latency_ms), "--fault-seed", str(options.seed)]


@contextmanager
def emulator(db: Path, options: SoakOptions) -> Iterator[Server]:
    """``scsync emulator serve`` on a fresh ``db`` with the options' faults; stopped on exit."""
    with serve_emulator(serve_command(db, options), db) as (base_url, token):
        yield Server(base_url, token, options.rate_limit[1])


# --- one cycle ---


@dataclass
class Soak:
    """The state a soak carries from cycle to cycle."""

    options: SoakOptions
    server: Server
    work: Path
    rng: random.Random
    desired: Desired
    apply_s: list[float] = field(default_factory=list)

    @property
    def config(self) -> Path:
        return self.work / "config"

    def env(self) -> dict[str, str]:
        return {**os.environ, "SCSYNC_TOKEN": self.server.token, "NO_COLOR": "1",
                "PYTHONUNBUFFERED": "1"}

    def command(self, *args: str) -> list[str]:
        return [*SCSYNC, *args, "-C", str(self.config), "--max-wait", "0"]


def run_logged(soak: Soak, cmd: list[str], logfile: Path, *, kill_after: float | None,
               ) -> tuple[int | None, str]:
    """Run ``cmd`` with its output in ``logfile``; SIGKILL it after ``kill_after`` seconds when
    it is still running. (None, output) when killed, else (exit code, output)."""
    with logfile.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=soak.env(),
                                cwd=soak.work)
        killed = False
        if kill_after is not None:
            try:
                proc.wait(timeout=kill_after)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                killed = True
        code = proc.wait(timeout=soak.options.attempt_timeout_s)
    return (None if killed else code), logfile.read_text()


def kill_delay(soak: Soak, cycle: int) -> float | None:
    """When to kill this cycle's first apply (None: let it run): a random moment in the second
    half or so of a typical apply so far (its start-up and reads come first, its writes last)."""
    forced = cycle in soak.options.kill_cycles
    if not forced and soak.rng.random() >= soak.options.kill_rate:
        return None
    typical = sorted(soak.apply_s)[len(soak.apply_s) // 2] if soak.apply_s else 2.0
    return soak.rng.uniform(0.3 * typical, 0.9 * typical)


def apply_until_done(soak: Soak, cycle: Cycle) -> None:
    """``scsync apply --auto-approve`` until it exits 0 (bounded): killed runs and failed runs
    are re-run; a run stopped by the rate limit gets a fresh window first."""
    delay = kill_delay(soak, cycle.index)
    for attempt in range(soak.options.max_attempts):
        cycle.attempts += 1
        logfile = soak.work / "logs" / f"cycle{cycle.index:04d}-apply{attempt}.txt"
        started = time.perf_counter()
        code, output = run_logged(soak, soak.command("apply", "--auto-approve"), logfile,
                                  kill_after=delay if attempt == 0 else None)
        if code is None:
            cycle.kills += 1
            cycle.kills_mid_write += WROTE.search(output) is not None
            continue
        if code == 0:
            soak.apply_s.append(time.perf_counter() - started)
            return
        cycle.failed_runs += 1
        _check_expected_failure(code, output, logfile)
        new_window(soak, cycle, output)
    cycle.converged = False


def new_window(soak: Soak, cycle: Cycle, output: str) -> None:
    """After a run stopped by the rate limit, move the emulator's clock to the next window
    (instead of waiting for it)."""
    if RATE_STOP in output:
        soak.server.advance()
        cycle.rate_stops += 1


def _check_expected_failure(code: int, output: str, logfile: Path) -> None:
    """A failed run must be a clean failure (exit 1, no traceback): anything else is a bug."""
    if code != 1 or "Traceback" in output:
        raise RuntimeError(f"apply exited {code} unexpectedly; see {logfile}")


def replan(soak: Soak, cycle: Cycle) -> None:
    """``scsync plan --detailed-exitcode`` until it answers 0 or 2 (a read may fail on a fault
    or the rate limit); 2 is a re-plan that is not empty."""
    for attempt in range(soak.options.max_attempts):
        logfile = soak.work / "logs" / f"cycle{cycle.index:04d}-plan{attempt}.txt"
        code, output = run_logged(soak, soak.command("plan", "--detailed-exitcode"), logfile,
                                  kill_after=None)
        if code in (0, 2):
            cycle.replan_not_empty = code == 2
            if code == 2:
                log.warning("cycle %d: the re-plan is not empty; see %s", cycle.index, logfile)
            return
        _check_expected_failure(code or 0, output, logfile)
        new_window(soak, cycle, output)
    cycle.converged = False


def run_cycle(soak: Soak, index: int) -> Cycle:
    """Edit the config (none in cycle 0: the example as it is), apply until done, check."""
    started = time.perf_counter()
    edits = random_edits(soak.rng, soak.desired, soak.options.edits_per_cycle) if index else []
    write_config(soak.config, soak.desired, base_url=soak.server.base_url)
    cycle = Cycle(index, edits)
    apply_until_done(soak, cycle)
    state = soak.server.control("GET", "state")
    cycle.duplicates = duplicates(state)
    cycle.lost = settings_lost(soak.desired, state)
    replan(soak, cycle)
    cycle.faults = faults(soak.server.take_calls())
    cycle.seconds = time.perf_counter() - started
    for problem in [*cycle.duplicates, *cycle.lost]:
        log.warning("cycle %d: %s", index, problem)
    return cycle


def run_soak(options: SoakOptions, work: Path) -> Report:
    """Every cycle of ``options`` in ``work`` (the database, the config and the run logs)."""
    shutil.rmtree(work / "logs", ignore_errors=True)
    (work / "logs").mkdir(parents=True)
    report = Report(options)
    started = time.perf_counter()
    with emulator(work / "platform.db", options) as server:
        soak = Soak(options, server, work, random.Random(options.seed), example_desired())
        for index in range(options.cycles):
            report.cycles.append(run_cycle(soak, index))
            log.info("cycle %d: %s", index, ", ".join(report.cycles[-1].edits) or "example")
    report.seconds = time.perf_counter() - started
    return report


# --- the figures ---


def figures(report: Report) -> list[tuple[str, str, str]]:
    """(figure, value, must be) rows of the soak's table."""
    count = report.fault
    return [
        ("cycles", str(len(report.cycles)), ""),
        ("config edits", str(sum(len(c.edits) for c in report.cycles)), ""),
        ("apply runs", str(report.total("attempts")), ""),
        ("API calls", str(count("calls")), ""),
        ("injected 500s", str(count("error")), ""),
        ("dropped connections", str(count("dropped")), ""),
        ("lost responses", str(count("lost")), ""),
        ("rate-limit stops (run stopped at the limit, re-run)", str(report.total("rate_stops")),
         ""),
        ("rate-limit refusals (calls past the limit)", str(count("rate_limit")), ""),
        ("applies killed with SIGKILL and re-run", str(report.total("kills")), ""),
        ("... of them after a write", str(report.total("kills_mid_write")), ""),
        ("faults survived", str(report.faults_survived), ""),
        ("applies that failed cleanly and were re-run", str(report.total("failed_runs")), ""),
        ("duplicates found", str(report.duplicates), "0"),
        ("settings lost", str(report.settings_lost), "0"),
        ("re-plans not empty", str(report.replans_not_empty), "0"),
        ("cycles not converged", str(report.not_converged), "0"),
        ("wall time", f"{report.seconds:.0f} s", ""),
    ]


def describe(options: SoakOptions) -> str:
    """The run's knobs in one line (printed above the table)."""
    o = options
    return (f"seed {o.seed}; faults per call: error {o.error_rate}, drop {o.drop_rate}, "
            f"lost response {o.lost_response_rate}; rate limit {o.rate_limit[0]} calls per "
            f"{o.rate_limit[1]} s; latency {o.latency_ms} ms; first apply of a cycle killed "
            f"with probability {o.kill_rate}; {o.edits_per_cycle} edits per cycle")


def format_report(report: Report, *, markdown: bool = False) -> str:
    rows = [("figure", "value", "must be"), *figures(report)]
    if markdown:
        lines = [f"| {a} | {b} | {c} |" for a, b, c in rows]
        lines.insert(1, "|---|---:|---:|")
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join(f"{a.ljust(widths[0])}  {b.rjust(widths[1])}  {c}".rstrip()
                     for a, b, c in rows)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python bench/soak.py", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--cycles", type=int, default=SoakOptions.cycles)
    parser.add_argument("--seed", type=int, default=SoakOptions.seed)
    parser.add_argument("--kill-rate", type=float, default=SoakOptions.kill_rate)
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "out" / "soak",
                        help="the database, config and run logs (emptied first)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    options = SoakOptions(cycles=args.cycles, seed=args.seed, kill_rate=args.kill_rate)
    report = run_soak(options, args.work)
    print(describe(options))
    print()
    print(format_report(report, markdown=args.markdown))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
