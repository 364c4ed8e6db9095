"""The figures of issue 18, each a ratio measured in this run beside its target (``make bench``
prints them first; ``python -m bench.headline`` alone).

- Start-up: ``scsync --version`` and ``scsync validate -C examples/config`` against a bare
  ``python -c pass`` of the same interpreter, in interleaved rounds (the order rotates each
  round); the ratio of each round, then their median and range.
- Plans against octoDNS (pinned, ``bench/requirements-octodns.txt``) planning as many DNS records:
  per size, pairs of runs interleaved (scsync first in even pairs, octoDNS first in odd ones),
  each pair a cold plan (no cache), a warm re-plan (files unchanged) and one ``octodns-sync``;
  the ratio of each pair, then their median and range. Peak memory likewise.
- Apply against the rate-limit floor (``bench.apply``: 8 calls per 2 s window, 20 ms latency).
- What is left, in every pair beside the plans: the start-up of a plan process (a fresh interpreter
  importing exactly the modules ``scsync plan`` had imported when it exited), PyYAML's C parser
  composing the same config files, and the platform's read floor (``bench.baselines``: the
  plan's GETs made by the least client); the plans less these, against the same targets, show
  how much of a gap is scsync's own code and how much the interpreter, the parser and the
  platform.

Every command is a fresh process, timed from spawn to exit (``bench.measure``); scsync's code is
compiled to bytecode first and run without ``PYTHONDONTWRITEBYTECODE``, as after a ``pip install``.
"""

from __future__ import annotations

import argparse
import compileall
import json
import logging
import os
import re
import shutil
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench import OUT, ROOT, Measured, Spread, measure, process_cpu_s

log = logging.getLogger(__name__)

PYTHON = ROOT / ".venv" / "bin" / "python"
SCSYNC = ROOT / ".venv" / "bin" / "scsync"
EXAMPLE = ROOT / "examples" / "config"
START_ROUNDS = 21
PAIRS = 3
SIZES = (10_000, 50_000)
APPLY_RUNS = 3


@dataclass
class Figure:
    """One row: scsync's ratio to its baseline in each pair or round, and the target."""

    name: str
    scsync: str
    baseline: str
    ratios: list[float] = field(default_factory=list)
    target: float | None = None
    note: str = ""

    def cells(self) -> list[str]:
        if not self.ratios:
            return [self.name, self.scsync, self.baseline, "-", self._target(), "", self.note]
        spread = Spread.of(self.ratios)
        met = "" if self.target is None else ("yes" if spread.median <= self.target else "NO")
        return [self.name, self.scsync, self.baseline, spread.text(), self._target(), met,
                self.note]

    def _target(self) -> str:
        return "" if self.target is None else f"<= {self.target:g}"


HEADER = ["figure", "scsync (median)", "baseline (median)", "ratio: median (range, pairs)",
          "target", "met", "note"]


def env() -> dict[str, str]:
    """The environment of the timed processes: bytecode is read as an installed package's is."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _s(values: Sequence[float]) -> str:
    return f"{statistics.median(values):.3f} s"


# ----------------------------------------------------------------------------- start-up

def startup(rounds: int = START_ROUNDS) -> list[Figure]:
    """``--version`` and ``validate`` against a bare interpreter, interleaved."""
    commands = {"bare": [str(PYTHON), "-c", "pass"], "version": [str(SCSYNC), "--version"],
                "validate": [str(SCSYNC), "validate", "-C", str(EXAMPLE)]}
    walls: dict[str, list[float]] = {name: [] for name in commands}
    names = list(commands)
    for i in range(rounds):
        for name in names[i % 3:] + names[:i % 3]:
            done = measure(commands[name], env=env(), cwd=ROOT)
            if done.returncode != 0:
                raise RuntimeError(f"{commands[name]} exited {done.returncode}: {done.stderr}")
            walls[name].append(done.wall_s)
    bare = walls["bare"]
    return [
        Figure("`scsync --version` / `python -c pass`", _s(walls["version"]), _s(bare),
               [v / b for v, b in zip(walls["version"], bare, strict=True)], 3,
               f"{rounds} interleaved rounds"),
        Figure("`scsync validate -C examples/config` / `python -c pass`", _s(walls["validate"]),
               _s(bare), [v / b for v, b in zip(walls["validate"], bare, strict=True)], 8,
               f"{rounds} interleaved rounds"),
    ]


# ----------------------------------------------------------------------------- plans

@dataclass
class Pair:
    cold: Measured
    warm: Measured
    octo: Measured
    emulator_cpu_s: float | None
    warm_emulator_cpu_s: float | None
    start: Measured  # a fresh interpreter importing what a plan imports
    parse_s: float  # PyYAML's C parser composing the config files
    read_s: float  # the platform's read floor: the plan's GETs by the least client


def _cpu(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


# ``python -c MODULES_PROBE ARGS`` runs ``scsync ARGS`` and prints the modules loaded at its exit.
MODULES_PROBE = ("import atexit, runpy, sys\n"
                 "atexit.register(lambda: print('MODULES', *sorted(sys.modules),\n"
                 "                              file=sys.stderr))\n"
                 "sys.argv = ['scsync', *sys.argv[1:]]\n"
                 "runpy.run_module('scsync', run_name='__main__', alter_sys=True)\n")
# ``python -c IMPORTS NAME...`` imports those modules and nothing else, as the command line starts
# (``scsync.startup``: pydantic's plugin loader stood in for when no plugin is installed); any
# other import fails as a missing module would (``httpx`` then does without its command-line
# client, as in a plan). What fails to import is printed, and the bench stops on it.
IMPORTS = ("import importlib, sys\n"
           "from scsync.startup import skip_pydantic_plugin_search\n"
           "skip_pydantic_plugin_search()\n"
           "names = [n for n in sys.argv[1:] if n not in sys.modules]\n"
           "allowed = set(names)\n"
           "class OnlyThese:\n"
           "    def find_spec(self, name, path=None, target=None):\n"
           "        if name not in allowed:\n"
           "            raise ModuleNotFoundError(name)\n"
           "sys.meta_path.insert(0, OnlyThese())\n"
           "for name in names:\n"
           "    try:\n"
           "        importlib.import_module(name)\n"
           "    except Exception as exc:\n"
           "        print('FAILED', name, repr(exc), file=sys.stderr)\n")
# Modules that exist only while running (Cython's own), never importable by name.
UNIMPORTABLE = re.compile(r"^(_cython_\w+|cython_runtime)$")


def plan_modules(args: Sequence[str], environ: dict[str, str], cwd: Path) -> list[str]:
    """The modules a ``scsync ARGS`` process had loaded when it exited, less those a bare
    interpreter loads too."""
    bare = measure([str(PYTHON), "-c", "import sys; print(*sorted(sys.modules))"], env=env())
    done = measure([str(PYTHON), "-c", MODULES_PROBE, *args], env=environ, cwd=cwd)
    listed = [line for line in done.stderr.splitlines() if line.startswith("MODULES ")]
    if not listed:
        raise RuntimeError(f"the module probe printed nothing: {done.stderr[-2000:]}")
    skip = set(bare.stdout.split()) | {"__main__"}
    return [name for name in listed[-1].split()[1:]
            if name not in skip and not UNIMPORTABLE.match(name)]


def start_of(modules: Sequence[str]) -> Measured:
    """A fresh interpreter importing ``modules``: a plan's start-up, without the plan."""
    done = measure([str(PYTHON), "-c", IMPORTS, *modules], env=env(), cwd=ROOT)
    if done.returncode != 0 or "FAILED" in done.stderr:
        raise RuntimeError(f"the start-up baseline failed: {done.stderr[-2000:]}")
    return done


def parse_s(config_dir: Path) -> float:
    """Seconds PyYAML's C parser takes to compose the config files, timed in a fresh process."""
    done = measure([str(PYTHON), "-c", PARSE, str(config_dir)], env=env())
    if done.returncode != 0:
        raise RuntimeError(f"the parser baseline failed: {done.stderr[-2000:]}")
    return float(json.loads(done.stdout)["compose_s"])


def plan_pairs(n: int, pairs: int = PAIRS) -> tuple[list[Pair], int, list[str]]:
    """``pairs`` interleaved (cold plan, warm re-plan, octoDNS, start-up, parser) runs at N; the
    config's file count and the modules a plan imports."""
    from bench.baselines import paged_read_s, run_octodns, write_octodns
    from bench.gen import generate
    from bench.gen_write import write_settings
    from bench.plan import cold_plan, emulator, plan_env, scsync_plan

    work = OUT / f"headline-{n}"
    gen = generate(n, work)
    write_octodns(n, work / "octodns")
    found: list[Pair] = []
    with emulator(work / "platform.db", gen.fixture) as server:
        write_settings(gen.config_dir, server.base_url)

        def scsync_side() -> tuple[Measured, Measured, float | None, float | None]:
            before = process_cpu_s(server.pid)
            cold, plan = cold_plan(gen.config_dir, server, work / "cache")
            middle = process_cpu_s(server.pid)
            if not plan:
                raise RuntimeError(f"scsync plan failed: {cold.stderr[-2000:]}")
            warm, _ = scsync_plan(gen.config_dir, server, work / "cache")
            return cold, warm, _cpu(before, middle), _cpu(middle, process_cpu_s(server.pid))

        modules = plan_modules(["plan", "-C", str(gen.config_dir), "--format", "json"],
                               plan_env(server.token, work / "cache"), gen.config_dir)
        for i in range(pairs):
            if i % 2 == 0:
                cold, warm, cpu, warm_cpu = scsync_side()
                octo = run_octodns(n, work / "octodns", write=False)
            else:
                octo = run_octodns(n, work / "octodns", write=False)
                cold, warm, cpu, warm_cpu = scsync_side()
            if octo.returncode != 0:
                raise RuntimeError(f"octodns-sync failed: {octo.stderr[-2000:]}")
            start, parsed = start_of(modules), parse_s(gen.config_dir)
            read = paged_read_s(server.base_url, server.token)
            log.info("headline %d, pair %d: cold %.2f s, warm %.2f s, octoDNS %.2f s, start-up "
                     "%.2f s, parser %.2f s, read floor %.2f s", n, i, cold.wall_s, warm.wall_s,
                     octo.wall_s, start.wall_s, parsed, read)
            found.append(Pair(cold, warm, octo, cpu, warm_cpu, start, parsed, read))
    return found, len(gen.files), modules


def plan_figures(n: int, found: list[Pair]) -> list[Figure]:
    cold = [p.cold.wall_s for p in found]
    warm = [p.warm.wall_s for p in found]
    octo = [p.octo.wall_s for p in found]
    starts = [p.start.wall_s for p in found]
    parses = [p.parse_s for p in found]
    targets = {10_000: (0.17, 0.05), 50_000: (0.15, None)}.get(n, (None, None))
    figures = [
        Figure(f"cold plan of {n:,} objects / octoDNS plan of {n:,} records", _s(cold), _s(octo),
               [c / o for c, o in zip(cold, octo, strict=True)], targets[0],
               _cpu_note([p.emulator_cpu_s for p in found], "cold plan")),
        Figure(f"warm re-plan (files unchanged) of {n:,} / octoDNS at {n:,}", _s(warm), _s(octo),
               [w / o for w, o in zip(warm, octo, strict=True)], targets[1],
               _cpu_note([p.warm_emulator_cpu_s for p in found], "re-plan")),
    ]
    peak = [p.cold.peak_rss_mb for p in found]
    octo_peak = [p.octo.peak_rss_mb for p in found]
    figures.append(Figure(f"peak memory at {n:,} / octoDNS's", f"{statistics.median(peak):.0f} MB",
                          f"{statistics.median(octo_peak):.0f} MB",
                          [a / b for a, b in zip(peak, octo_peak, strict=True)],
                          0.7 if n == 50_000 else None,
                          "the cold plan's process; the start-up alone (interpreter and imports): "
                          f"{statistics.median(p.start.peak_rss_mb for p in found):.0f} MB"))
    reads = [p.read_s for p in found]
    own_cold = [p.cold.wall_s - p.start.wall_s - p.parse_s - p.read_s for p in found]
    own_warm = [p.warm.wall_s - p.start.wall_s - p.read_s for p in found]
    left = (f"start-up (a fresh interpreter importing what the plan imports): {_s(starts)}; "
            f"the platform's read floor (the plan's GETs by the least client): {_s(reads)}")
    figures += [
        Figure(f"the start-up alone (a fresh interpreter importing what a plan imports) / "
               f"octoDNS at {n:,}", _s(starts), _s(octo),
               [st / o for st, o in zip(starts, octo, strict=True)], None,
               "no plan can take less; a target below this ratio is below Python's start with "
               "these libraries"),
        Figure(f"cold plan of {n:,}, less the start-up, PyYAML's C parser and the platform's "
               "read floor / octoDNS", _s(own_cold), _s(octo),
               [c / o for c, o in zip(own_cold, octo, strict=True)], targets[0],
               f"{left}; the C parser composing the config: {_s(parses)}"),
        Figure(f"warm re-plan of {n:,}, less the start-up and the platform's read floor / "
               "octoDNS", _s(own_warm), _s(octo),
               [w / o for w, o in zip(own_warm, octo, strict=True)], targets[1], left),
    ]
    return figures


def _cpu_note(cpus: Sequence[float | None], what: str) -> str:
    known = [c for c in cpus if c is not None]
    return (f"the emulator's own CPU during the {what}: {statistics.median(known):.2f} s, not in "
            "scsync's time" if known else "")


# ----------------------------------------------------------------------------- apply

def apply_figure(runs: int = APPLY_RUNS) -> Figure:
    """The example account's apply (20 writes) in 8-call, 2 s windows, against the floor."""
    from bench.apply import (
        LATENCY_MS,
        RATE_LIMIT,
        emulator,
        example_account,
        floor_s,
        measured_apply,
    )

    walls, floors, waits = [], [], []
    for _ in range(runs):
        out = OUT / "headline-apply"
        config_dir, fixture = example_account(out)
        with emulator(out / "platform.db", fixture, RATE_LIMIT, LATENCY_MS) as server:
            outcome = measured_apply(config_dir, server, 1001)
        if not outcome.ok:
            raise RuntimeError(f"the apply did not finish: {outcome}")
        walls.append(outcome.wall_s)
        floors.append(floor_s(outcome.writes, RATE_LIMIT, LATENCY_MS))
        waits.append(outcome.waits)
    return Figure(f"apply wall time / the rate-limit floor ({RATE_LIMIT[0]} calls per "
                  f"{RATE_LIMIT[1]} s, {LATENCY_MS} ms latency)", _s(walls), _s(floors),
                  [w / f for w, f in zip(walls, floors, strict=True)], 1.05,
                  f"{runs} applies of the example account; rate-limit waits: "
                  f"{', '.join(map(str, waits))}")


# ----------------------------------------------------------------------------- what is left

def floor_figures(n: int, files: int, found: list[Pair], modules: Sequence[str]) -> list[Figure]:
    """What no change to scsync's own code removes, timed here: the interpreter, the start-up of
    a plan (a fresh interpreter importing what the plan imports, by package), and PyYAML's C
    parser composing the N-object config alone (both measured in every pair)."""
    bare = [measure([str(PYTHON), "-c", "pass"], env=env()).wall_s for _ in range(5)]
    starts = [p.start.wall_s for p in found]
    shares = import_shares([str(PYTHON), "-X", "importtime", "-c", IMPORTS, *modules])
    return [
        Figure("the interpreter: `python -c pass`", _s(bare), "-"),
        Figure("the start-up of `scsync plan --format json` (a fresh interpreter importing the "
               "modules the plan imports)", _s(starts), "-",
               note=f"less the interpreter's start: "
                    f"{statistics.median(starts) - statistics.median(bare):.3f} s; "
                    f"-X importtime self times, median of 5: {_shares_text(shares)}"),
        Figure(f"PyYAML's C parser composing the {n:,}-object config ({files} files)",
               _s([p.parse_s for p in found]), "-",
               note="yaml.compose with CSafeLoader, nothing else, in every pair"),
    ]


def _shares_text(shares: dict[str, float]) -> str:
    ranked = sorted(shares.items(), key=lambda item: -item[1])
    text = ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in ranked[:SHOWN])
    others = ranked[SHOWN:]
    if others:
        text += f", {len(others)} others {sum(s for _, s in others) * 1000:.0f} ms"
    return text


IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+\d+ \| +(\S+)$")
SHOWN = 10  # packages named in an import breakdown; the others are summed


def import_shares(command: Sequence[str], runs: int = 5) -> dict[str, float]:
    """Seconds of ``-X importtime`` self time per top-level package of ``command`` (a Python
    started with ``-X importtime``), median of ``runs``; what a bare interpreter imports too is
    counted as ``site``."""
    bare = measure([str(PYTHON), "-X", "importtime", "-c", "pass"], env=env(), cwd=ROOT)
    own = {m.group(2) for line in bare.stderr.splitlines() if (m := IMPORT_LINE.match(line))}
    found: dict[str, list[float]] = {}
    for run_index in range(runs):
        done = measure(command, env=env(), cwd=ROOT)
        totals: dict[str, float] = {}
        for line in done.stderr.splitlines():
            if match := IMPORT_LINE.match(line):
                name = match.group(2)
                group = "site" if name in own else name.split(".")[0]
                totals[group] = totals.get(group, 0.0) + int(match.group(1)) / 1e6
        for name in found.keys() | totals.keys():
            found.setdefault(name, [0.0] * run_index).append(totals.get(name, 0.0))
    return {name: statistics.median(values) for name, values in found.items()}


def startup_shares() -> list[Figure]:
    """Where ``validate``'s start goes: the imports of each library (``-X importtime``)."""
    shares = import_shares([str(PYTHON), "-X", "importtime", str(SCSYNC), "validate", "-C",
                            str(EXAMPLE)])
    return [Figure("imports of `scsync validate -C examples/config`, by package",
                   f"{sum(shares.values()):.3f} s", "-",
                   note=f"-X importtime self times, median of 5: {_shares_text(shares)}")]


PARSE = """
import json, sys, time
from pathlib import Path
import yaml
files = sorted(Path(sys.argv[1]).rglob("*.yaml"))
start = time.perf_counter()
for path in files:
    yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
print(json.dumps({"compose_s": time.perf_counter() - start}))
"""


# ----------------------------------------------------------------------------- the table

def table(figures: Sequence[Figure]) -> str:
    lines = [HEADER, *(f.cells() for f in figures)]
    out = ["| " + " | ".join(c.replace("|", "\\|") for c in line) + " |" for line in lines]
    out.insert(1, "|" + "---|" * len(HEADER))
    return "\n".join(out)


def run(sizes: Sequence[int], *, pairs: int = PAIRS) -> str:
    """Every figure, as a Markdown section (the interface ``python -m bench`` calls)."""
    compileall.compile_dir(ROOT / "scsync", quiet=1)
    figures = startup()
    left: list[Figure] = []
    for n in sizes:
        found, files, modules = plan_pairs(n, pairs)
        figures += plan_figures(n, found)
        if n == min(sizes):
            left = startup_shares() + floor_figures(n, files, found, modules)
        shutil.rmtree(OUT / f"headline-{n}", ignore_errors=True)
    figures.append(apply_figure())
    return (f"## The figures of issue 18 ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})"
            "\n\nEach ratio is scsync / baseline, measured in this run: smaller is better.\n\n"
            + table(figures)
            + "\n\n### What is left: the interpreter, the libraries, the parser\n\n"
            + table(left))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--pairs", type=int, default=PAIRS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    print(run([int(s) for s in args.sizes.split(",") if s.strip()], pairs=args.pairs))


if __name__ == "__main__":
    main()
