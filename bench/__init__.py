"""Benchmarks that print ratios against baselines measured in the same run (``make bench``).

Shared here: ``Row`` (one measured figure, its baseline and the ratio between them), ``measure``
(a subprocess's wall time and its own peak RSS, read with ``os.wait4`` so that no other child's
memory counts) and ``format_table``. Each bench module exposes ``run(sizes) -> list[Row]``.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
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
    value: float
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


def measure(cmd: Sequence[str], *, env: Mapping[str, str] | None = None,
            cwd: Path | None = None, timeout_s: float = 900) -> Measured:
    """Run ``cmd`` to completion; wall time from spawn to reap, peak RSS of that child alone."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=err, cwd=cwd,
                                env=dict(env) if env is not None else None)
        killer = threading.Timer(timeout_s, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Measured(wall, usage.ru_maxrss / 1024, proc.returncode,
                        out.read().decode("utf-8", "replace"),
                        err.read().decode("utf-8", "replace"))


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
        title = "any size" if size is None else f"{size:,} objects"
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
