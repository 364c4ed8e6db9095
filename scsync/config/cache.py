"""A cache of loaded configs, so that re-planning unchanged files skips parsing and validation.

The key is a sha256 over the scsync version, the config-loading code (path, size, mtime of its
modules), and the path and bytes of every config file and var file; any change to any of them is
a miss. Only successful loads are stored, under ``<config dir>/.scsync/cache/``, one file per
account (a new entry replaces the old). ``${env:}`` references stay unresolved in a loaded
config, so the cache holds no secret.

Entries are ``marshal``-ed plain values (never pickle: loading a planted file must not run code)
in the planner's own shapes (each resource's fields as they are, its key's matching form beside
it), so that a hit is little more than ``marshal.loads``; base64-encoded so that the file is text.
An unreadable, corrupt or mismatching entry is ignored and rebuilt; a cache directory that cannot
be written is skipped silently.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import marshal
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import scsync
from scsync.config.config import Config
from scsync.config.files import discover
from scsync.config.locations import Locations
from scsync.config.model_settings import Settings
from scsync.config.source import Source
from scsync.errors import Location, Problem, WriteRefused, shown_path
from scsync.resources import Kind, Resource, ResourceKey
from scsync.safefiles import (
    ReadRefused,
    config_limit,
    read_bytes,
    repository,
    write_bytes,
)

log = logging.getLogger(__name__)

CACHE_DIR = Path(".scsync") / "cache"
ENTRY = "config.cache"
HEADER = b"scsync-config-cache 3 "
# the code a loaded config depends on
_CODE = ("config", "resources.py", "errors.py", "safefiles.py")


def cache_key(root: Path, var_files: Sequence[Path] = ()) -> str | None:
    """The content hash of the account's config (None when a file cannot be read)."""
    # the paths in cached locations are as shown from the working directory (``shown_path``)
    digest = hashlib.sha256(f"{scsync.__version__}\0{sys.version}\0{shown_path(root)}\0"
                            .encode())
    _hash_code(digest)
    boundary = repository(root)
    try:
        for path in discover(root):
            _hash_file(digest, path.relative_to(root).as_posix(), path, boundary)
        for path in var_files:
            _hash_file(digest, f"--var-file {path}", Path(path))
    except (OSError, ReadRefused):
        return None
    return digest.hexdigest()


def _hash_file(digest: Any, shown: str, path: Path, boundary: Path | None = None) -> None:
    data = read_bytes(path, boundary=boundary)  # the loader reports a file this refuses
    digest.update(f"\0{shown}\0{len(data)}\0".encode())
    digest.update(data)


def _hash_code(digest: Any) -> None:
    package = Path(scsync.__file__).parent
    for name in _CODE:
        place = package / name
        modules = sorted(place.glob("*.py")) if place.is_dir() else [place]
        for module in modules:
            try:
                stat = module.stat()
            except OSError:
                continue
            digest.update(f"\0{module.name}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())


def cached_load(root: Path, var_files: Sequence[Path] = (),
                load: Callable[..., Config] | None = None) -> Config:
    """``load(root, var_files=...)`` (default ``load_config``), or the same config from the cache
    when nothing changed."""
    if load is None:
        load = _load_config
    root = Path(root)
    key = cache_key(root, var_files) if root.is_dir() else None
    if key is None:
        return load(root, var_files=var_files)
    entry = root / CACHE_DIR / ENTRY
    found = read_entry(entry, key, root)
    if found is not None:
        log.debug("config of %s loaded from the cache", root)
        return found
    config = load(root, var_files=var_files)
    write_entry(entry, key, config)
    return config


def _load_config(root: Path, *, var_files: Sequence[Path] = ()) -> Config:
    """``load_config``, imported only on a miss (the parser and the models are not needed on a
    hit)."""
    from scsync.config.loader import load_config

    return load_config(root, var_files=var_files)


def read_entry(entry: Path, key: str, root: Path) -> Config | None:
    """The cached config under ``key``, or None (missing, stale, corrupt: all ignored)."""
    try:
        head, _, rest = read_bytes(entry, boundary=root, limit=2 * config_limit()).partition(b"\n")
        if head != HEADER + key.encode():
            return None
        body = base64.b64decode(rest, validate=True)
        return _config_of(marshal.loads(body), root)
    except Exception as exc:  # any corrupt entry is ignored: the config is loaded again
        log.debug("ignoring the config cache %s: %s", entry, type(exc).__name__)
        return None


def write_entry(entry: Path, key: str, config: Config) -> None:
    """Store ``config`` under ``key`` (atomically; silently skipped when it cannot be written)."""
    try:
        body = marshal.dumps(_plain_config(config))
    except ValueError:  # a value marshal cannot hold: do not cache
        return
    root = entry.parent.parent.parent
    if entry.parent.is_symlink() or entry.parent.parent.is_symlink():
        log.debug("not writing the config cache %s: its directory is a symlink", entry)
        return
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        write_bytes(entry, HEADER + key.encode() + b"\n" + base64.b64encode(body), inside=root)
    except (OSError, WriteRefused) as exc:
        log.debug("cannot write the config cache %s: %s", entry, exc)


# -- plain values <-> config -----------------------------------------------------------------

def _plain_location(loc: Location | None) -> tuple[str, int, int] | None:
    return None if loc is None else (loc.path, loc.line, loc.col)


def _plain_locations(locations: Mapping[str, Location]) -> Any:
    """(file, name) when the locations can be worked out again from the file (they are not,
    unless a problem needs them); else every location (a rendered template's)."""
    if isinstance(locations, Locations) and locations.source.file is not None:
        return (locations.source.path, locations.name)
    return {k: _plain_location(v) for k, v in locations.items()}


def _plain_config(config: Config) -> tuple[Any, ...]:
    settings = config.settings.model_dump(mode="python", exclude_unset=True)
    resources = [(r.kind.value, key.ident, r.name, r.fields, r.id, tuple(sorted(r.ignore_changes)),
                  r.previous_names, _plain_locations(r.locations))
                 for key, r in config.desired.items()]
    warnings = [(p.message, _plain_location(p.location), p.address, p.field, p.warning)
                for p in config.warnings]
    return settings, resources, warnings, config.digest()


def _location(plain: tuple[str, int, int] | None) -> Location | None:
    return None if plain is None else Location(*plain)


_NONE: frozenset[str] = frozenset()


def _config_of(plain: tuple[Any, ...], root: Path) -> Config:
    settings_data, resources, warnings, digest = plain
    kinds = {kind.value: kind for kind in Kind}
    sources: dict[str, Source] = {}
    desired: dict[ResourceKey, Resource] = {}
    for kind_name, ident, name, fields, id_, ignored, previous, plain_locations in resources:
        kind, previous = kinds[kind_name], tuple(previous)
        locations: Mapping[str, Location]
        if plain_locations.__class__ is tuple:
            path, located = plain_locations
            source = sources.get(path)
            if source is None:  # the path as shown, from where scsync runs (see ``cache_key``)
                source = sources[path] = Source(path, file=Path(path))
            locations = Locations(kind, fields, previous, source, located)
        else:
            locations = {k: Location(*v) for k, v in plain_locations.items()}
        key = ResourceKey(kind, ident)  # the stored matching form of ``name``
        desired[key] = Resource(kind, name, fields, id_, frozenset(ignored) if ignored else _NONE,
                                previous, locations).keyed(key)
    problems = [Problem(message, _location(loc), address, field, warning)
                for message, loc, address, field, warning in warnings]
    config = Config(root=root, settings=Settings.model_validate(settings_data), desired=desired,
                    warnings=problems)
    config.digest_value = str(digest)
    return config
