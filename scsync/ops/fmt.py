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
from pathlib import Path
from typing import Any

from ruamel.yaml.error import MarkedYAMLError

from scsync.config.files import discover
from scsync.config.loader import read_text
from scsync.config.yamlfast import YamlProblem
from scsync.config.yamlfast import load as fast_load
from scsync.errors import ConfigError, Location, Problem, shown_path
from scsync.ops import yamlrt

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


def _unreadable(path: Path, shown: str) -> Problem:
    problem = read_text(path, shown)  # the loader's problem: not UTF-8, or cannot be read
    return problem if isinstance(problem, Problem) else Problem("cannot read the file",
                                                                Location(shown, 1, 1))


def format_tree(root: Path | str, *, check: bool = False) -> list[str]:
    """Format every config YAML file under ``root`` (the ``-C`` directory); returns the paths,
    as ``shown_path`` gives them and sorted, of the files that changed (with ``check``: that would
    change; nothing is written). Raises ``ConfigError`` listing every file it could not read."""
    changed: list[str] = []
    for path, shown, _, new in _changes(Path(root)):
        changed.append(shown)
        if not check:
            path.write_text(new, encoding="utf-8")
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
    changes: list[tuple[Path, str, str, str]] = []
    problems: list[Problem] = []
    for path in yaml_files(root):
        shown = shown_path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            problems.append(_unreadable(path, shown))
            continue
        try:
            new = format_text(text, shown=shown)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        if new != text:
            changes.append((path, shown, text, new))
    if problems:
        raise ConfigError(problems)
    return changes
