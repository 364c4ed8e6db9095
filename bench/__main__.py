"""``python -m bench --sizes 1000,10000``: run every benchmark (headline, validate, emulator,
plan, apply) in one run and print its tables; ``--doc FILE`` also writes them into FILE between
its ``<!-- bench:begin -->`` and ``<!-- bench:end -->`` markers. The headline (the figures of
issue 18, ``bench.headline``) runs at ``--headline-sizes`` and comes first.

Each bench module is called through its ``run(sizes) -> list[row]``; one without ``run`` is run
as ``python -m bench.NAME --sizes ...`` and its output is shown as it printed it. A bench that
fails is reported as a row and does not stop the others.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import inspect
import logging
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import ROOT, Row, format_table, measure

log = logging.getLogger("bench")

BENCHES = ("headline", "validate", "emulator", "plan", "apply")
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
ROW_FIELDS = {f.name for f in dataclasses.fields(Row)}


def to_row(name: str, item: Any) -> Row:
    """Whatever a bench returned as a row (Row, dataclass, mapping, named tuple) as a ``Row``."""
    if isinstance(item, Row):
        return item
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        item = dataclasses.asdict(item)
    elif hasattr(item, "_asdict"):
        item = item._asdict()
    if not isinstance(item, dict):
        return Row(name, None, str(item), None, "", note="unrecognised row")
    known = {k: v for k, v in item.items() if k in ROW_FIELDS}
    extra = {k: v for k, v in item.items() if k not in ROW_FIELDS}
    known.setdefault("bench", name)
    known.setdefault("size", None)
    known.setdefault("metric", str(extra.pop("name", "?")))
    known.setdefault("value", None)
    known.setdefault("unit", "")
    if extra:
        known["note"] = "; ".join(filter(None, [str(known.get("note") or ""),
                                                ", ".join(f"{k}={v}" for k, v in extra.items())]))
    return Row(**known)


def takes_sizes(module: Any) -> bool:
    """True when the module's ``run`` takes the sizes alone (``run(sizes) -> list[row]``)."""
    run = getattr(module, "run", None)
    if run is None:
        return False
    required = [p for p in inspect.signature(run).parameters.values()
                if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(required) == 1


def run_bench(name: str, sizes: Sequence[int], *, repeat: int = 1) -> tuple[list[Row], str]:
    """Rows of one bench, and the raw output of one that printed instead of returning rows."""
    if not (ROOT / "bench" / f"{name}.py").exists():
        return [Row(name, None, "not run", None, "", note=f"bench/{name}.py does not exist")], ""
    try:
        module = importlib.import_module(f"bench.{name}")
        if takes_sizes(module):
            takes_repeat = "repeat" in inspect.signature(module.run).parameters
            found = module.run(list(sizes), **({"repeat": repeat} if takes_repeat else {}))
            if isinstance(found, list):
                return [to_row(name, r) for r in found], ""
            if isinstance(found, str) and found.startswith("## "):  # its own Markdown section
                return [], found
            return [], f"## bench/{name}.py\n\n```\n{str(found).rstrip()}\n```"
        return [], run_script(name, sizes)
    except Exception as exc:  # one failing bench must not hide the others' figures
        log.exception("bench %s failed", name)
        return [Row(name, None, "failed", None, "", note=f"{type(exc).__name__}: {exc}")], ""


def run_script(name: str, sizes: Sequence[int]) -> str:
    """``python -m bench.NAME --sizes ...`` (without ``--sizes`` if it takes none); its output."""
    cmd = [sys.executable, "-m", f"bench.{name}"]
    done = measure([*cmd, "--sizes", ",".join(map(str, sizes))], cwd=ROOT)
    if done.returncode == 2 and "unrecognized arguments" in done.stderr:
        done = measure(cmd, cwd=ROOT)
    tail = "" if done.returncode == 0 else f"\n{done.stderr.rstrip()[-1000:]}"
    return f"## bench/{name}.py (exit {done.returncode})\n\n```\n{done.stdout.rstrip()}{tail}\n```"


def machine() -> str:
    cpu = ""
    try:
        names = [line.partition(":")[2].strip() for line in
                 Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")]
        cpu = f" ({names[0]})" if names else ""
    except OSError:
        pass
    return (f"Python {platform.python_version()}, {platform.system()} {platform.machine()}, "
            f"{os.cpu_count()} CPUs{cpu}, load average {os.getloadavg()[0]:.1f} at the start")


def write_doc(path: Path, body: str) -> None:
    """Replace the text between the markers of ``path`` (append the block when they are absent)."""
    block = f"{BEGIN}\n{body.rstrip()}\n{END}"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if BEGIN in text and END in text:
        head, _, rest = text.partition(BEGIN)
        _, _, tail = rest.partition(END)
        text = head + block + tail
    else:
        text = (text.rstrip() + "\n\n" if text else "") + block + "\n"
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated object counts")
    parser.add_argument("--only", default=",".join(BENCHES), help="benches to run")
    parser.add_argument("--doc", type=Path, help="write the tables into this Markdown file")
    parser.add_argument("--repeat", type=int, default=1,
                        help="best of R runs per timing (benches that support it)")
    parser.add_argument("--headline-sizes", default="10000,50000",
                        help="the sizes of the headline's plans against octoDNS")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    headline_sizes = [int(s) for s in args.headline_sizes.split(",") if s.strip()]
    started = time.perf_counter()
    rows: list[Row] = []
    raw: list[str] = []
    first: list[str] = []  # the headline's section, shown first
    for name in [b.strip() for b in args.only.split(",") if b.strip()]:
        at = headline_sizes if name == "headline" else sizes
        log.info("== bench %s at %s", name, ", ".join(f"{s:,}" for s in at))
        found, text = run_bench(name, at, repeat=args.repeat)
        rows += found
        (first if name == "headline" else raw).extend([text] if text else [])
    elapsed = time.perf_counter() - started
    command = f"python -m bench --sizes {args.sizes}" + (
        f" --repeat {args.repeat}" if args.repeat > 1 else "")
    heading = (f"Run of `{command}` on {machine()}, "
               f"{time.strftime('%Y-%m-%d', time.gmtime())}, {elapsed:,.0f} s in all.")

    def page(markdown: bool) -> str:
        return "\n\n".join([heading, *first, "## Per size", format_table(rows, markdown=markdown),
                             *raw])

    print(page(False))
    if args.doc:
        write_doc(args.doc, page(True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
