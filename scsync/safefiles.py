"""Files that input cannot turn against the user: bounded reads of regular files kept inside
their repository, and atomic writes that never follow a symlink or leave their directory.

A config directory comes from a pull request, so it may plant a symlink to ``/dev/zero``, to a
secret elsewhere on the runner, or to a file outside the repository for ``fmt`` to rewrite; a
FIFO that blocks a reader for ever; or a file too large to parse. Reads here open the file
without blocking, check it is a regular file and its size *before* reading, and refuse a
symlink whose target leaves the repository (the nearest directory holding ``.git``, else the
config directory). Writes go to a temporary file in the same directory, keep the mode of the
file they replace, and end with one ``os.replace``.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from scsync.errors import WriteRefused

MIB = 1024 * 1024
FILE_LIMIT_ENV = "SCSYNC_MAX_FILE_MB"
CONFIG_LIMIT_ENV = "SCSYNC_MAX_CONFIG_MB"
DEFAULT_FILE_MB = 4  # the largest file of a 50,000-object config is 0.3 MiB
DEFAULT_CONFIG_MB = 32  # a 50,000-object config is 17 MiB
DATA_FILE_LIMIT = 1024 * 1024 * 1024  # a plan file or a snapshot named on the command line
VALUES_PER_MIB = 65_536  # YAML values a file may hold per MiB of its cap (parsing costs ~1 KB each)
OBJECTS_PER_MIB = 3_125  # objects a config may define per MiB of its cap (100,000 by default)


class ReadRefused(Exception):
    """A file that is not read: ``message`` says why, without its content."""

    def __init__(self, message: str, *, os_error: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.os_error = os_error  # the OS said no (missing, permission): ``message`` is its reason


def _limit(env: str, default: int) -> int:
    """A size cap in bytes: the environment's whole number of MiB (set by whoever runs scsync,
    never by the config it reads), else ``default``."""
    raw = os.environ.get(env, "").strip()
    if raw.isdigit() and int(raw) > 0:
        return int(raw) * MIB
    return default * MIB


def file_limit() -> int:
    return _limit(FILE_LIMIT_ENV, DEFAULT_FILE_MB)


def config_limit() -> int:
    return _limit(CONFIG_LIMIT_ENV, DEFAULT_CONFIG_MB)


def values_limit() -> int:
    """The most YAML values (estimated by ``estimate_values``) one file may hold."""
    return file_limit() // MIB * VALUES_PER_MIB


def objects_limit() -> int:
    """The most objects one account's config may define."""
    return config_limit() // MIB * OBJECTS_PER_MIB


def estimate_values(raw: bytes) -> int:
    """An upper estimate of the values in YAML ``raw`` (lines, commas and brackets), counted
    without parsing: what parsing will cost in memory is proportional to it."""
    return raw.count(b"\n") + raw.count(b",") + raw.count(b"[") + raw.count(b"{")


def too_many_values(count: int) -> str:
    return (f"not read: the file holds about {count:,} YAML values, over the {values_limit():,} "
            f"a file may hold (set {FILE_LIMIT_ENV} to a larger number of MiB to allow more)")


def too_many_objects() -> str:
    return (f"the config defines more than {objects_limit():,} objects; the rest is not read "
            f"(set {CONFIG_LIMIT_ENV} to a larger number of MiB to allow more)")


def repository(root: Path) -> Path:
    """The directory a config's files must stay in: the nearest ancestor of ``root`` (itself
    included) holding ``.git``, else ``root``; resolved."""
    resolved = Path(os.path.realpath(root))
    for directory in (resolved, *resolved.parents):
        if (directory / ".git").exists():
            return directory
    return resolved


def _inside(path: Path, boundary: Path) -> bool:
    return path == boundary or boundary in path.parents


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def read_bytes(path: Path, *, boundary: Path | None = None, limit: int | None = None) -> bytes:
    """The bytes of the regular file ``path``; raises ``ReadRefused`` for a symlink whose target
    is outside ``boundary`` (when given), anything but a regular file, a file over ``limit``
    bytes (default: ``file_limit()``), or an OS error."""
    limit = file_limit() if limit is None else limit
    path = Path(path)
    try:
        if boundary is not None and path.is_symlink():
            target = Path(os.path.realpath(path))  # never raises, even on a loop
            if not _inside(target, Path(os.path.realpath(boundary))):
                raise ReadRefused("not read: the file is a symlink to a file outside the "
                                  "repository")
        mode = os.stat(path).st_mode  # before opening: a socket cannot be opened at all
        if not stat.S_ISREG(mode):
            raise ReadRefused(f"not read: the file is {_kind(mode)}; only regular files are read")
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise ReadRefused(str(exc.strerror or exc), os_error=True) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # replaced since the stat above
            raise ReadRefused(f"not read: the file is {_kind(info.st_mode)}; only regular "
                              "files are read")
        if info.st_size > limit:
            raise ReadRefused(_too_large(info.st_size, limit, FILE_LIMIT_ENV, "file"))
        chunks: list[bytes] = []
        size = 0
        while size <= limit:  # the file may grow after fstat: never read past the cap
            chunk = os.read(fd, min(limit + 1 - size, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise ReadRefused(_too_large(size, limit, FILE_LIMIT_ENV, "file"))
        return b"".join(chunks)
    except OSError as exc:
        raise ReadRefused(str(exc.strerror or exc), os_error=True) from None
    finally:
        os.close(fd)


def _too_large(size: int, limit: int, env: str, what: str) -> str:
    return (f"not read: the {what} is {_mb(size)} MiB, over the {_mb(limit)} MiB cap (set "
            f"{env} to a larger number of MiB to allow it)")


def _mb(size: int) -> str:
    return f"{size / MIB:.1f}".removesuffix(".0")


def too_large_config(size: int) -> str:
    """The message of a config whose files together pass ``config_limit()``."""
    return _too_large(size, config_limit(), CONFIG_LIMIT_ENV, "config (all files together)")


def write_text(path: Path, text: str, *, inside: Path | None = None) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically: a temporary file in the same directory
    then ``os.replace``, keeping the mode of the file replaced. Refuses (``WriteRefused``) when
    ``path`` is a symlink, or when its directory resolves outside ``inside`` (when given)."""
    write_bytes(path, text.encode("utf-8"), inside=inside)


def write_bytes(path: Path, data: bytes, *, inside: Path | None = None) -> None:
    """``write_text`` for bytes."""
    path = Path(path)
    if path.is_symlink():
        raise WriteRefused(f"{path} is a symlink; scsync does not write through links (remove "
                           "it or write elsewhere)")
    parent = Path(os.path.realpath(path.parent))
    if inside is not None and not _inside(parent, Path(os.path.realpath(inside))):
        raise WriteRefused(f"{path} is outside {inside} (a directory on the way is a symlink); "
                           "nothing was written there")
    if path.exists() and not path.is_file():
        raise WriteRefused(f"{path} is not a regular file; nothing was written there")
    mode = _mode_for(path)
    try:
        fd, temp = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:  # named after the file asked for, not the temporary one
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, parent / path.name)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _mode_for(path: Path) -> int:
    """The mode of the file at ``path``, else a new file's mode under the process umask."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
