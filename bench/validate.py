"""Benchmark: config objects loaded and validated per second at 1,000 and 10,000 objects, beside
ruamel.yaml's round-trip loading of the same files measured in the same run (a ratio, not a
timed test). ``python -m bench.validate [--sizes 1000,10000]``."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
import tempfile
import time
from pathlib import Path

from ruamel.yaml import YAML

from bench.gen import generate
from scsync.config import discover, load_config

log = logging.getLogger(__name__)


def time_scsync(config_dir: Path) -> tuple[float, int]:
    """Seconds to load and validate the directory with scsync, and the objects found."""
    gc.collect()
    start = time.perf_counter()
    config = load_config(config_dir)
    return time.perf_counter() - start, len(config.desired)


def time_ruamel(config_dir: Path) -> float:
    """Seconds for ruamel.yaml's round-trip loader to load the same files (parsing only)."""
    yaml = YAML(typ="rt")
    gc.collect()
    start = time.perf_counter()
    for path in discover(config_dir):
        yaml.load(path.read_text(encoding="utf-8"))
    return time.perf_counter() - start


def run(size: int, work: Path) -> str:
    generated = generate(size, work / str(size))
    seconds, objects = time_scsync(generated.config_dir)
    ruamel = time_ruamel(generated.config_dir)
    return (f"{size:>6} objects: scsync load+validate {seconds:6.2f} s "
            f"({objects / seconds:8.0f} objects/s); ruamel round-trip load {ruamel:6.2f} s "
            f"({objects / ruamel:8.0f} objects/s); scsync is {ruamel / seconds:4.1f}x faster")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="scsync-bench-") as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            sys.stdout.write(run(size, Path(tmp)) + "\n")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
