"""The apply benchmark: ``apply`` against an emulator out of process (``scsync emulator serve``
with latency and a small rate-limit window), only the client measured.

Per account (the ClaraLines example, then generated accounts of N objects with ~1% drift):
writes made against the minimum (one per changed object: the ratio must be 1.00); apply wall
time against the rate-limit floor, the least time any client needs for those calls at that rate
((windows needed - 1) x window, or the calls' latency alone when one window holds them all; the
apply starts at a fresh window); and the re-plan after apply (must be empty).
``python -m bench.apply --sizes 1000 --rate-limit 8/2 --latency-ms 20`` prints the table.
"""

from __future__ import annotations

import argparse
import logging
import math
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import OUT, ROOT, Row, format_table, serve_emulator

log = logging.getLogger(__name__)

BENCH = "apply"
RATE_LIMIT = (8, 2)
LATENCY_MS = 20
EXAMPLES = ROOT / "examples"


@dataclass(frozen=True)
class Server:
    """A running ``scsync emulator serve`` (a subprocess this bench started)."""

    base_url: str
    token: str


@contextmanager
def emulator(db: Path, fixture: Path, rate: tuple[int, int], latency_ms: int) -> Iterator[Server]:
    """Serve ``fixture`` on a loopback port with latency and a rate limit; stopped on exit."""
    cmd = [sys.executable, "-m", "scsync.emulator.cli", "serve", "--db", str(db),
           "--fixture", str(fixture), "--port", "0", "--rate-limit", f"{rate[0]}/{rate[1]}",
           "--latency-ms", str(latency_ms)]
    with serve_emulator(cmd, db) as (base_url, token):
        yield Server(base_url, token)


def logged_writes(server: Server) -> int:
    """Writes the emulator served since its log was last cleared (controls excluded)."""
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        calls = client.get("/_emulator/calls").raise_for_status().json()
    return sum(1 for c in calls if c.get("method") != "GET")


def clear_log(server: Server) -> None:
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        client.delete("/_emulator/calls").raise_for_status()


def floor_s(calls: int, rate: tuple[int, int], latency_ms: int) -> float:
    """The least wall time for ``calls`` starting at a fresh window of ``rate``."""
    windows = math.ceil(calls / rate[0]) if calls else 1
    return max(calls * latency_ms / 1000, (windows - 1) * rate[1])


@dataclass
class Outcome:
    """What one measured apply did."""

    minimum: int
    writes: int
    wall_s: float
    waits: int
    left: int
    ok: bool


def measured_apply(config_dir: Path, server: Server, account_id: int) -> Outcome:
    """Load, read and plan (not timed), wait for a fresh window, then apply (timed) and re-plan."""
    from scsync.config import load_config
    from scsync.plan.apply import apply_plan
    from scsync.plan.options import PlanOptions
    from scsync.plan.planner import make_plan
    from scsync.plan.verify import unconverged
    from scsync.providers.factory import build_provider
    from scsync.providers.settings import PlatformSettings

    config = load_config(config_dir)
    waits: list[float] = []
    settings = PlatformSettings(account_id=account_id, token=server.token,
                                base_url=server.base_url)
    provider = build_provider(settings, base_dir=config_dir,
                              on_wait=lambda s, r: waits.append(s))
    owned = config.settings.ownership
    options = PlanOptions(ownership={"topics": owned.topics,
                                     "profile_groups": owned.profile_groups},
                          protect=list(config.settings.protect), force=True,
                          config_digest=config.digest())
    try:
        live = provider.read()
        plan = make_plan(config.desired, live, provider, options, now=datetime.now(UTC))
        if live.rate is not None:
            time.sleep(max(0.0, live.rate.reset_at - time.time()) + 1.0)
        clear_log(server)
        waits.clear()
        start = time.perf_counter()
        ledger = apply_plan(plan, provider, reread=lambda k: provider.read(frozenset({k})))
        wall = time.perf_counter() - start
        writes = logged_writes(server)
        again = make_plan(config.desired, provider.read(), provider, options,
                          now=datetime.now(UTC))
    finally:
        provider.close()
    minimum = sum(1 for c in plan.changes if not c.blocked)
    return Outcome(minimum, writes, wall, len(waits), len(unconverged(again)), ledger.ok)


def rows_for(size: int | None, outcome: Outcome, rate: tuple[int, int],
             latency_ms: int) -> list[Row]:
    floor = floor_s(outcome.writes, rate, latency_ms)
    calls_ratio = outcome.minimum / outcome.writes if outcome.writes else None
    return [
        Row(BENCH, size, "writes", outcome.writes, "calls", outcome.minimum,
            "minimum: one per changed object", calls_ratio, "= 1.00",
            outcome.writes == outcome.minimum and outcome.ok,
            note="" if outcome.ok else "apply did not finish"),
        Row(BENCH, size, "apply wall time", outcome.wall_s, "s", floor,
            f"rate-limit floor at {rate[0]}/{rate[1]}s, {latency_ms} ms latency",
            floor / outcome.wall_s if outcome.wall_s else None,
            note=f"{outcome.waits} rate-limit waits"),
        Row(BENCH, size, "changes left after apply", outcome.left, "changes", target="0",
            met=outcome.left == 0),
    ]


def example_account(out: Path) -> tuple[Path, Path]:
    """The ClaraLines example config pointed at the served fixture (copied under ``out``)."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(EXAMPLES / "config", out / "config", ignore=shutil.ignore_patterns(".scsync"))
    return out / "config", EXAMPLES / "platform" / "claralines.yaml"


def bench_account(size: int | None, rate: tuple[int, int], latency_ms: int) -> list[Row]:
    out = OUT / f"apply-{size or 'example'}"
    if size is None:
        config_dir, fixture = example_account(out)
        account_id = 1001
    else:
        from bench.gen import generate
        from bench.gen_write import ACCOUNT_ID

        generated = generate(size, out)
        config_dir, fixture, account_id = generated.config_dir, generated.fixture, ACCOUNT_ID
    with emulator(out / "platform.db", fixture, rate, latency_ms) as server:
        outcome = measured_apply(config_dir, server, account_id)
    log.info("apply bench %s: %s", size or "example", outcome)
    return rows_for(size, outcome, rate, latency_ms)


def run(sizes: Sequence[int], *, rate: tuple[int, int] = RATE_LIMIT,
        latency_ms: int = LATENCY_MS) -> list[Row]:
    """The example account, then every size (the interface ``python -m bench`` calls)."""
    rows = bench_account(None, rate, latency_ms)
    for size in sizes:
        rows += bench_account(size, rate, latency_ms)
    return rows


def _rate(text: str) -> tuple[int, int]:
    calls, _, seconds = text.partition("/")
    return int(calls), int(seconds or 3600)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000", help="comma-separated; empty: example only")
    parser.add_argument("--rate-limit", default=f"{RATE_LIMIT[0]}/{RATE_LIMIT[1]}")
    parser.add_argument("--latency-ms", type=int, default=LATENCY_MS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    rows: list[Any] = run(sizes, rate=_rate(args.rate_limit), latency_ms=args.latency_ms)
    print(format_table(rows))


if __name__ == "__main__":
    main()
