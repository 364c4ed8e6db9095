"""Benchmarks that print ratios against baselines measured in the same run (``make bench``).

Shared here: ``Row`` (one measured figure, its baseline and the ratio between them), ``measure``
(a subprocess's wall time and its own peak RSS, read with ``os.wait4`` in a small wrapper
process so that neither other children nor the bench's own memory count), ``serve_emulator``
(an ``emulator serve`` subprocess on a fresh database, stopped on exit) and ``format_table``.
Each bench module exposes ``run(sizes) -> list[Row]``.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"  # generated accounts and databases (gitignored)


@dataclass
class Row:
    """One figure: ``value`` in ``unit``, beside ``baseline`` (same unit) when there is one.

    ``ratio`` is always stated so that bigger is better for scsync ("x fewer calls", "x faster");
    ``target`` says what the issue asks and ``met`` whether this run met it (None: no target).
    """

    bench: str
    size: int | None
    metric: str
    value: float | None
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""


@dataclass
class Measured:
    """What one subprocess cost: wall seconds, its peak resident memory, and what it wrote."""

    wall_s: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


# Runs the measured command and reports its own wall time and peak RSS. A child's ru_maxrss
# includes the RSS of the process it was forked from, so the command is started from this small
# interpreter (no site import) rather than from the bench, which may hold a whole account.
_WRAPPER = """
import os, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
wall = time.perf_counter() - start
with open(sys.argv[1], "w") as fh:
    fh.write(f"{wall} {usage.ru_maxrss}")
sys.exit(os.waitstatus_to_exitcode(status) % 256)
"""


def measure(cmd: Sequence[str], *, env: Mapping[str, str] | None = None,
            cwd: Path | None = None, timeout_s: float = 1800) -> Measured:
    """Run ``cmd`` to completion: its wall time (spawn to reap) and the peak RSS of that process."""
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "usage"
        done = subprocess.run([sys.executable, "-S", "-c", _WRAPPER, str(result), *cmd],
                              capture_output=True, cwd=cwd, timeout=timeout_s, check=False,
                              env=dict(env) if env is not None else None)
        wall, maxrss_kb = result.read_text().split()
    return Measured(float(wall), int(maxrss_kb) / 1024, done.returncode,
                    done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))


@contextmanager
def serve_emulator(cmd: Sequence[str], db: Path) -> Iterator[tuple[str, str]]:
    """Run ``cmd`` (an ``emulator serve`` on ``db``, port 0) on a fresh ``db``: yields the
    (base_url, token) it prints; the server is stopped on exit."""
    with serve_emulator_process(cmd, db) as (base_url, token, _):
        yield base_url, token


def process_cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) process ``pid`` has used so far (Linux ``/proc``), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def serve_emulator_process(cmd: Sequence[str], db: Path) -> Iterator[tuple[str, str, int]]:
    """``serve_emulator`` that also yields the server's pid (to read its CPU time)."""
    for old in db.parent.glob(db.name + "*"):
        old.unlink()
    proc = subprocess.Popen(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, cwd=ROOT)
    try:
        found = _read_address(proc)
        yield found["base_url"], found["token"], proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def _read_address(proc: subprocess.Popen[str]) -> dict[str, str]:
    """The ``base_url:`` and ``token:`` lines a starting ``emulator serve`` prints."""
    found: dict[str, str] = {}
    while len(found) < 2:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line:
            raise RuntimeError(f"the emulator exited ({proc.poll()}) before printing its URL")
        key, sep, value = line.partition(":")
        if sep and key.strip() in ("base_url", "token"):
            found[key.strip()] = value.strip()
    return found


def best(runs: Sequence[Measured]) -> Measured:
    """The fastest of several runs, carrying the highest peak memory seen in any of them."""
    fastest = min(runs, key=lambda m: m.wall_s)
    return dataclasses.replace(fastest, peak_rss_mb=max(m.peak_rss_mb for m in runs))


@dataclass(frozen=True)
class Spread:
    """The median of several paired ratios and their range."""

    median: float
    low: float
    high: float
    pairs: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        return cls(statistics.median(values), min(values), max(values), len(values))

    def text(self, digits: int = 2) -> str:
        return (f"{self.median:.{digits}f} ({self.low:.{digits}f}-{self.high:.{digits}f}, "
                f"{self.pairs} pairs)")


def ratio(baseline: float | None, value: float | None) -> float | None:
    """baseline / value, or None when either is missing or the value is zero."""
    if baseline is None or value is None or value <= 0:
        return None
    return baseline / value


def _num(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    text = f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.2f}"
    return f"{text} {unit}".strip()


def format_row(row: Row) -> list[str]:
    met = {True: "yes", False: "NO", None: ""}[row.met]
    ratio_text = f"{row.ratio:,.2f}x" if row.ratio is not None else "-"
    base = f"{_num(row.baseline, row.unit)} ({row.baseline_name})" if row.baseline_name else "-"
    return [row.bench, row.metric, _num(row.value, row.unit), base, ratio_text,
            row.target, met, row.note]


HEADER = ["bench", "metric", "scsync", "baseline", "ratio", "target", "met", "note"]


def format_table(rows: Iterable[Row], *, markdown: bool = False) -> str:
    """One table per size (rows without a size come first), plain text or Markdown."""
    rows = list(rows)
    sizes = sorted({r.size for r in rows}, key=lambda s: -1 if s is None else s)
    parts = []
    for size in sizes:
        title = "the example account (no size)" if size is None else f"{size:,} objects"
        lines = [format_row(r) for r in rows if r.size == size]
        parts.append(f"### {title}\n\n" + _table([HEADER, *lines], markdown))
    return "\n\n".join(parts)


def _table(lines: list[list[str]], markdown: bool) -> str:
    if markdown:
        out = ["| " + " | ".join(c.replace("|", "\\|") for c in line) + " |" for line in lines]
        out.insert(1, "|" + "---|" * len(lines[0]))
        return "\n".join(out)
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
                     for line in lines)
