"""The plan benchmark: ``scsync plan`` against an emulator out of process, only the client
measured, beside baselines measured in the same run.

Per size: read calls against the floor (``ceil(n/200)`` pages per listed kind) and against a
reader making one GET per object, measured live against the same emulator (calls and time);
the cold plan (with the emulator's own CPU beside it), a re-plan with unchanged files, the
plan's peak memory, and an in-process breakdown (load, read, diff). The comparison with octoDNS,
paired and interleaved, is ``bench.headline``. ``python -m bench.plan --sizes 1000,10000``
prints the table.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench import (
    OUT,
    ROOT,
    Measured,
    Row,
    best,
    format_table,
    measure,
    process_cpu_s,
    ratio,
    serve_emulator_process,
)
from bench.baselines import per_object_read
from bench.gen import Generated, generate
from bench.gen_write import TOKEN_ENV, write_settings

log = logging.getLogger(__name__)

SCSYNC = ROOT / ".venv" / "bin" / "scsync"
NAIVE_MAX = 10_000  # the naive side takes minutes beyond this
RATE_LIMIT = "100000/3600"
BENCH = "plan"


@dataclass(frozen=True)
class Server:
    """A running ``scsync emulator serve`` (a subprocess this bench started)."""

    base_url: str
    token: str
    pid: int


@contextmanager
def emulator(db: Path, fixture: Path) -> Iterator[Server]:
    """Serve the emulator on a loopback port, seeded from ``fixture``; stopped on exit."""
    cmd = [str(SCSYNC), "emulator", "serve", "--db", str(db), "--fixture", str(fixture),
           "--port", "0", "--rate-limit", RATE_LIMIT]
    with serve_emulator_process(cmd, db) as (base_url, token, pid):
        yield Server(base_url, token, pid)


def emulator_reads(base_url: str, *, clear: bool = False) -> int:
    """GETs the emulator served to clients since the log was last cleared (controls excluded)."""
    with httpx.Client(base_url=base_url, timeout=60) as client:
        calls = client.get("/_emulator/calls").raise_for_status().json()
        if clear:
            client.delete("/_emulator/calls").raise_for_status()
    calls = calls.get("response", calls) if isinstance(calls, dict) else calls
    return sum(1 for c in calls if c.get("method") == "GET"
               and not str(c.get("path", "")).startswith("/_emulator"))


def plan_env(token: str, cache: Path | None = None) -> dict[str, str]:
    env = {**os.environ, TOKEN_ENV: token, "NO_COLOR": "1"}
    if cache is not None:
        env["XDG_CACHE_HOME"] = str(cache)
    return env


def scsync_plan(config_dir: Path, server: Server,
                cache: Path | None = None) -> tuple[Measured, dict[str, Any]]:
    """One ``scsync plan -C DIR --format json`` run, measured; the plan JSON ({} if none)."""
    measured = measure([str(SCSYNC), "plan", "-C", str(config_dir), "--format", "json"],
                       env=plan_env(server.token, cache), cwd=config_dir)
    if measured.returncode != 0:
        log.warning("scsync plan exited %d: %s", measured.returncode, measured.stderr[-2000:])
        return measured, {}
    try:
        return measured, json.loads(measured.stdout)
    except json.JSONDecodeError:
        log.warning("scsync plan printed no JSON: %s", measured.stdout[:500])
        return measured, {}


def phases(config_dir: Path, server: Server) -> dict[str, Any]:
    """The plan's phases timed in one fresh process (``python -m bench.plan --phases-of DIR``)."""
    measured = measure([sys.executable, "-m", "bench.plan", "--phases-of", str(config_dir)],
                       env={**plan_env(server.token), "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    if measured.returncode != 0:
        log.warning("phases failed: %s", measured.stderr[-2000:])
        return {}
    return {**json.loads(measured.stdout.strip().splitlines()[-1]),
            "peak_rss_mb": measured.peak_rss_mb}


def _phases_main(config_dir: Path) -> None:
    """Load, read, diff in this process, each phase timed with ``perf_counter``, with the cyclic
    collector paused as ``scsync plan`` pauses it (``scsync.gctools``)."""
    import gc
    import time
    from datetime import UTC, datetime

    from scsync.config import load_config
    from scsync.engine import provider_settings
    from scsync.plan.options import PlanOptions
    from scsync.plan.planner import make_plan
    from scsync.providers.factory import build_provider

    gc.disable()
    marks = [time.perf_counter()]
    config = load_config(config_dir)
    marks.append(time.perf_counter())
    provider = build_provider(provider_settings(config, os.environ), base_dir=config_dir)
    live = provider.read()
    marks.append(time.perf_counter())
    options = PlanOptions(ownership=config.settings.ownership.model_dump(),
                          config_digest=config.digest())
    plan = make_plan(config.desired, live, provider, options, now=datetime.now(UTC))
    marks.append(time.perf_counter())
    print(json.dumps({"load_s": marks[1] - marks[0], "read_s": marks[2] - marks[1],
                      "diff_s": marks[3] - marks[2], "reads": live.reads,
                      "changes": len(plan.changes)}))


# ----------------------------------------------------------------------------- one size

def read_floor(fixture: Path) -> int:
    """The fewest read calls any client needs: ``/me``, ``/me/accounts``, then ``ceil(n/200)``
    pages (at least one) of each paged list a plan reads."""
    data = json.loads(fixture.read_text(encoding="utf-8"))
    lists = ("flows", "connected_profiles", "profiles", "topics", "profile_groups", "users")
    return 2 + sum(max(1, math.ceil(len(data.get(name) or []) / 200)) for name in lists)


def bench_size(n: int, *, out: Path = OUT, with_phases: bool = False,
               repeat: int = 1) -> list[Row]:
    """Every figure of the plan benchmark at N objects (each timing the best of ``repeat``)."""
    work = out / f"plan-{n}"
    gen = generate(n, work)
    rows: list[Row] = []
    with emulator(work / "platform.db", gen.fixture) as server:
        write_settings(gen.config_dir, server.base_url)
        emulator_reads(server.base_url, clear=True)
        colds = []
        for _ in range(repeat):
            cpu_before = process_cpu_s(server.pid)
            measured, plan = cold_plan(gen.config_dir, server, work / "cache")
            cpu_after = process_cpu_s(server.pid)
            cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
            colds.append((measured, plan, cpu))
        served = emulator_reads(server.base_url, clear=True) // repeat
        first, plan = best([m for m, _, _ in colds]), colds[0][1]
        cpus = [c for _, _, c in colds if c is not None]
        second = best([scsync_plan(gen.config_dir, server, work / "cache")[0]
                       for _ in range(repeat)])
        found = phases(gen.config_dir, server) if with_phases else {}
        emulator_reads(server.base_url, clear=True)
        per_object = per_object_read(server.base_url, server.token)
        per_object["served"] = emulator_reads(server.base_url, clear=True)
        rows += _read_rows(n, gen, plan, served, first, per_object, found)
        rows += _time_rows(n, first, second, min(cpus) if cpus else None, ok=bool(plan))
        if found:
            rows += _phase_rows(n, found, first)
    return rows


def cold_plan(config_dir: Path, server: Server, cache: Path) -> tuple[Measured, dict[str, Any]]:
    """A plan with no cache left by an earlier run (``.scsync/`` and ``$XDG_CACHE_HOME``)."""
    shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(config_dir / ".scsync", ignore_errors=True)
    return scsync_plan(config_dir, server, cache)


def _read_rows(n: int, gen: Generated, plan: dict[str, Any], served: int, first: Measured,
               per_object: dict[str, Any], found: dict[str, Any]) -> list[Row]:
    reads = plan.get("reads")
    floor = read_floor(gen.fixture)
    summary = plan.get("summary") or {}
    expected = f"expected +{gen.created} ~{gen.changed}"
    note = (f"plan: +{summary.get('add')} ~{summary.get('change')} -{summary.get('destroy')} "
            f"({expected}); emulator served {served} GETs" if plan
            else f"no plan (exit {first.returncode}); {expected}")
    value = float(reads if reads is not None else served)
    gets = float(per_object["gets"])
    rows = [Row(BENCH, n, "read calls vs the floor", value, "calls", baseline=float(floor),
                baseline_name="2 + ceil(n/200) pages per listed kind",
                ratio=ratio(floor, value), target="<= floor + 2",
                met=None if reads is None else reads <= floor + 2, note=note),
            Row(BENCH, n, "read calls vs one GET per object", value, "calls", baseline=gets,
                baseline_name="one GET per object, measured", ratio=ratio(gets, value),
                note=f"the emulator logged {per_object['served']:,} GETs from that reader: one "
                     f"per object, and {per_object['served'] - per_object['gets']} pages listing "
                     "the ids (a state file's part, not timed)")]
    if found:
        rows.append(Row(BENCH, n, "read time vs one GET per object", float(found["read_s"]), "s",
                        baseline=float(per_object["read_s"]),
                        baseline_name=f"{per_object['gets']:,} GETs, timed",
                        ratio=ratio(float(per_object["read_s"]), float(found["read_s"])),
                        note="scsync: the read phase (paged lists, parsed into resources)"))
    return rows


def _met(ok: bool, passed: bool) -> bool | None:
    """None when scsync's side did not produce a plan (no figure to judge)."""
    return passed if ok else None


def _failed(ok: bool, measured: Measured) -> str:
    return "" if ok else f"scsync plan failed (exit {measured.returncode})"


def _time_rows(n: int, first: Measured, second: Measured, emulator_cpu: float | None, *,
               ok: bool) -> list[Row]:
    return [
        Row(BENCH, n, "cold plan", first.wall_s, "s", note=_failed(ok, first) or (
            f"the emulator's CPU meanwhile: {emulator_cpu:.2f} s (another process, not counted)"
            if emulator_cpu is not None else "")),
        Row(BENCH, n, "re-plan, files unchanged", second.wall_s, "s", baseline=first.wall_s,
            baseline_name="cold plan", ratio=ratio(first.wall_s, second.wall_s),
            note=_failed(ok, second)),
        Row(BENCH, n, "peak memory", first.peak_rss_mb, "MB", note="the cold plan's process"),
    ]


def _phase_rows(n: int, found: dict[str, Any], first: Measured) -> list[Row]:
    if not found:
        return []
    rows = [Row(BENCH, n, f"phase: {name}", float(found[f"{name}_s"]), "s",
                note=f"in one process; reads {found['reads']}" if name == "read" else "")
            for name in ("load", "read", "diff")]
    rest = first.wall_s - sum(float(found[f"{name}_s"]) for name in ("load", "read", "diff"))
    rows.append(Row(BENCH, n, "phase: the rest of scsync plan", rest, "s",
                    note="start-up imports, config digest, JSON rendering (plan time - phases)"))
    rows.append(Row(BENCH, n, "phases: peak memory", float(found["peak_rss_mb"]), "MB",
                    note=f"load + read + plan in one process; {found['changes']} changes"))
    return rows


def run(sizes: Sequence[int], *, with_phases: bool = True, repeat: int = 1) -> list[Row]:
    """The plan benchmark at every size (the interface ``python -m bench`` calls)."""
    rows: list[Row] = []
    for n in sizes:
        log.info("plan bench: %d objects", n)
        rows += bench_size(n, with_phases=with_phases, repeat=repeat)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--no-phases", action="store_true", help="skip the in-process breakdown")
    parser.add_argument("--repeat", type=int, default=1, help="best of R runs per timing")
    parser.add_argument("--phases-of", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phases_of:
        _phases_main(args.phases_of)
        return
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    rows = run([int(s) for s in args.sizes.split(",")], with_phases=not args.no_phases,
               repeat=args.repeat)
    print(format_table(rows))


if __name__ == "__main__":
    main()
