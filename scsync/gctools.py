"""Pausing Python's cyclic garbage collector around the plan path.

A plan builds millions of long-lived objects (the desired and the live state) and almost no
reference cycles; the collector's repeated scans of that growing heap cost a fifth to a third of
a large plan. ``paused`` switches it off for a block; ``frozen_after`` (for the short-lived CLI)
also moves everything alive at the end of the block to the permanent generation, so the first
collections after the block do not scan the whole heap once more.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """The collector off inside the block (nested blocks keep it off until the outermost ends)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def frozen_after() -> Iterator[None]:
    """``paused``, then every object still alive frozen (``gc.freeze``) before re-enabling: for
    a command whose objects live until the process exits anyway."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
