"""``scsync fmt``: rewrite every config YAML file of an account in canonical form (key order of
``scsync.ops.canonical``, canonical quoting) with ruamel.yaml round-trip, so comments stay.

``.yaml.j2`` templates are left alone: their text is Jinja, not YAML, until rendered, and
reformatting the rendered output could not be written back. A formatted file must load to
exactly the data it held before (checked on every file; a file that would not is refused), and
formatting formatted text changes nothing.
"""

from __future__ import annotations

import difflib
import logging
import os
from pathlib import Path
from typing import Any

from ruamel.yaml.error import MarkedYAMLError

from scsync.config.files import SETTINGS_FILE, discover
from scsync.config.loader import read_text
from scsync.config.yamlfast import YamlProblem
from scsync.config.yamlfast import load as fast_load
from scsync.errors import ConfigError, Location, Problem, shown_path
from scsync.ops import yamlrt
from scsync.safefiles import (
    FILE_LIMIT_ENV,
    estimate_values,
    repository,
    values_limit,
    write_text,
)

log = logging.getLogger(__name__)

_YAML_SUFFIXES = (".yaml", ".yml")


def yaml_files(root: Path) -> list[Path]:
    """The config files ``fmt`` formats: the loader's files minus the ``.yaml.j2`` templates."""
    return [p for p in discover(Path(root)) if p.name.endswith(_YAML_SUFFIXES)]


def format_text(text: str, *, shown: str = "<text>") -> str:
    """``text`` in canonical form. Raises ``ConfigError`` (naming ``shown``) when it is not YAML,
    or when the canonical form would not load to the same data."""
    data = _data(text, shown)  # first: the fast loader refuses alias bombs and deep nesting
    try:
        doc = yamlrt.load(text)
    except MarkedYAMLError as exc:
        raise ConfigError([_problem(exc, shown)]) from None
    if doc is None:
        return text
    yamlrt.canonicalize(doc)
    new = yamlrt.dump(doc)
    _check_same_data(data, new, shown)
    return new


def _problem(exc: MarkedYAMLError, shown: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    return Problem(f"not valid YAML: {(exc.problem or 'syntax error').strip()}",
                   Location(shown, line, col))


def _data(text: str, shown: str) -> Any:
    try:
        return fast_load(text).data
    except YamlProblem as exc:
        raise ConfigError([Problem(exc.message, Location(shown, exc.line, exc.col))]) from None


def _check_same_data(old: Any, new: str, shown: str) -> None:
    if old != _data(new, shown):
        raise ConfigError([Problem("formatting would change what this file means; it was left "
                                   "as it is (please report this)", Location(shown, 1, 1))])


ROUND_TRIP_SHARE = 8  # ruamel's round trip costs about 8 times the loader's parse per value


def round_trip_problem(text: str, shown: str) -> Problem | None:
    """The problem of a file too large for a ruamel round trip (``fmt``, ``export`` merging):
    an eighth of the values the loader accepts, so that it ends in seconds."""
    limit = values_limit() // ROUND_TRIP_SHARE
    count = estimate_values(text.encode("utf-8", "surrogatepass"))
    if count <= limit:
        return None
    return Problem(f"not rewritten: the file holds about {count:,} YAML values, over the "
                   f"{limit:,} a file may hold to be rewritten keeping its comments (set "
                   f"{FILE_LIMIT_ENV} to a larger number of MiB to allow more)",
                   Location(shown, 1, 1))


def _read(path: Path, shown: str, boundary: Path) -> str | Problem:
    """The file's text, or the loader's problem (refused, cannot be read, not UTF-8); an empty
    file is text here (there is nothing to format, and nothing to refuse)."""
    text = read_text(path, shown, boundary=boundary, empty_ok=True)
    return (round_trip_problem(text, shown) or text) if isinstance(text, str) else text


def format_tree(root: Path | str, *, check: bool = False) -> list[str]:
    """Format every config YAML file of the account in ``root`` (the ``-C`` directory, which
    must hold ``scsync.yaml``: the files the loader loads, read as it reads them); returns the
    paths, as ``shown_path`` gives them and sorted, of the files that changed (with ``check``:
    that would change; nothing is written). Writes are atomic and never follow a symlink. Raises
    ``ConfigError`` listing every file it could not read or write."""
    root = Path(root)
    changed: list[str] = []
    for path, shown, _, new in _changes(root):
        changed.append(shown)
        if not check:
            write_text(path, new, inside=root)
            log.info("formatted %s", shown)
    return sorted(changed)


def diff_tree(root: Path | str) -> str:
    """A unified diff of what ``format_tree`` would change (empty when nothing); writes nothing.
    Raises ``ConfigError`` like ``format_tree``."""
    chunks: list[str] = []
    for _, shown, old, new in sorted(_changes(Path(root)), key=lambda change: change[1]):
        chunks.extend(difflib.unified_diff(old.splitlines(keepends=True),
                                           new.splitlines(keepends=True),
                                           fromfile=shown, tofile=shown))
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                   for line in chunks)


def _changes(root: Path) -> list[tuple[Path, str, str, str]]:
    """(path, shown path, text, canonical text) of every file whose text is not canonical."""
    if not os.path.lexists(root / SETTINGS_FILE):
        raise ConfigError([Problem(f"no {SETTINGS_FILE} in {root}, so it is not an account "
                                   "directory: fmt formats only an account's config files (run "
                                   "it with -C ACCOUNT_DIR)")])
    boundary = repository(root)
    changes: list[tuple[Path, str, str, str]] = []
    problems: list[Problem] = []
    for path in yaml_files(root):
        shown = shown_path(path)
        text = _read(path, shown, boundary)
        if isinstance(text, Problem):
            problems.append(text)
            continue
        try:
            new = format_text(text, shown=shown)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        if new == text:
            continue
        if path.is_symlink():
            problems.append(Problem("the file is a symlink and fmt does not write through links; "
                                    "format the file it links to", Location(shown, 1, 1)))
            continue
        changes.append((path, shown, text, new))
    if problems:
        raise ConfigError(problems)
    return changes
