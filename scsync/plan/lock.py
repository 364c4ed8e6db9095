"""One apply per account at a time: an exclusive lock on ``<config dir>/.scsync/apply.lock``,
held from the first read of an apply to the end of its verification.

The lock is an OS file lock (``flock``), so the kernel releases it when its process ends, however
it ends: the file left behind by a dead process is simply taken over. The file's content names
the holder (process id, host, start time) for the refusal a second apply prints. A lock on one
machine's checkout cannot serialise CI jobs on different runners: the CI examples do that with a
concurrency group per account.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from scsync.errors import ScsyncError

LOCK_FILE = Path(".scsync") / "apply.lock"


class LockedError(ScsyncError):
    """Another apply of the same account holds the lock."""


def _holder(path: Path) -> str:
    """``process 4242 on host ci-7, started 2026-11-30 08:00:00 UTC`` from the lock file."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        return (f"process {int(info['pid'])} on host {info['host']}, started "
                f"{info['started_at']}")
    except (OSError, ValueError, KeyError, TypeError):
        return "a process that has not written its name yet"


@contextmanager
def apply_lock(root: Path, *, account: int | None = None) -> Iterator[Path]:
    """Hold the apply lock of the config directory ``root`` while inside (``LockedError`` when
    another process holds it)."""
    path = root / LOCK_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise ScsyncError(f"cannot create the apply lock {path}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise LockedError(f"another apply of this account is running ({_holder(path)}); "
                              f"nothing was applied: wait for it to finish (lock {path})"
                              ) from None
        started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        info = {"pid": os.getpid(), "host": socket.gethostname(), "started_at": started,
                "account": account}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
