"""Loading an account's config directory: find the files, render templates, parse YAML (a source
map only when a problem needs a location), validate every object, and merge the objects into one
desired state.

Every problem in every file is collected; ``load_config`` raises one ``ConfigError`` with all of
them (sorted by place), or returns a ``Config``. Parse trees are dropped file by file.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from scsync import gctools
from scsync.config.checks import duplicate, group_cycles, previous_name_clashes, too_many_groups
from scsync.config.config import Config
from scsync.config.desired import build
from scsync.config.diagnose import problems_of, suggest
from scsync.config.files import SETTINGS_FILE, discover
from scsync.config.model_common import Strict
from scsync.config.model_settings import SETTINGS_KEYS, Settings
from scsync.config.source import Source
from scsync.config.validate import validate_models, validate_object
from scsync.config.yamlfast import YamlProblem, values
from scsync.errors import ConfigError, Location, Problem, shown_path
from scsync.resources import Kind, Resource, ResourceKey, address
from scsync.safefiles import (
    ReadRefused,
    config_limit,
    estimate_values,
    objects_limit,
    read_bytes,
    repository,
    too_large_config,
    too_many_objects,
    too_many_values,
    values_limit,
)

SECTIONS: dict[str, Kind] = {kind.config_section: kind for kind in Kind}
# patterns compiled on first use (re's cache): only a config with a problem needs them
_UNQUOTED_COLOUR = r"^\s*(?:-\s+)?[\"']?color[\"']?\s*:\s*(#[0-9A-Za-z]*)"


def _debug(message: str, *args: Any) -> None:
    """A debug record, when ``logging`` is imported (``--debug`` imports and configures it): with
    no ``logging`` imported there is no handler that could show it, and ``validate`` spares the
    import (a few milliseconds of its start-up; tests/test_startup.py pins it)."""
    logging = sys.modules.get("logging")
    if logging is not None:
        logging.getLogger(__name__).debug(message, *args)


def read_text(path: Path, shown: str, *, boundary: Path | None = None,
              empty_ok: bool = False) -> str | Problem:
    """The file's text, or the problem of a file that is refused (see ``scsync.safefiles``:
    not a regular file, too large, a symlink leaving ``boundary``), not UTF-8 or (unless
    ``empty_ok``) empty."""
    try:
        raw = read_bytes(path, boundary=boundary)
    except ReadRefused as exc:
        return refused(exc, shown)
    return decode(raw, shown, empty_ok=empty_ok)


def refused(exc: ReadRefused, shown: str) -> Problem:
    """The problem of a file ``read_bytes`` refused."""
    if exc.os_error:
        return Problem(f"cannot read {shown}: {exc.message}")
    return Problem(exc.message, Location(shown, 1, 1))


def decode(raw: bytes, shown: str, *, empty_ok: bool = False) -> str | Problem:
    """A file's bytes as text, or the problem of bytes that are too many YAML values to parse
    safely, are not UTF-8, or (unless ``empty_ok``) hold nothing."""
    values = estimate_values(raw)
    if values > values_limit():
        return Problem(too_many_values(values), Location(shown, 1, 1))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - raw.rfind(b"\n", 0, exc.start)
        return Problem(f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02X}); save it as "
                       "UTF-8", Location(shown, line, col))
    if not text.strip() and not empty_ok:
        return Problem("the file is empty; add settings or remove it", Location(shown, 1, 1))
    return text


def parse(text: str, source: Source, strings: dict[str, str] | None = None) -> Any:
    """The file's data (``source`` keeps the text, for positions asked later), or a Problem;
    ``strings``: see ``yamlfast.values``."""
    try:
        data = values(text, strings)
    except YamlProblem as exc:
        return _colour_hint(text, source) or source.at(exc.message, exc.line, exc.col)
    if data is None:
        return source.at("the file holds no settings (only comments); add settings or remove it",
                         1, 1)
    source.text = text
    return data


_ANY_UNQUOTED_COLOUR = r"[{,\s]color\s*:\s*(#[0-9A-Fa-f]+)"


def _colour_hint(text: str, source: Source) -> Problem | None:
    """A syntax error caused by an unquoted colour in a flow mapping (``{color: #6A1B9A}``)."""
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.search(_ANY_UNQUOTED_COLOUR, " " + line)
        if match:
            return source.at(f'quote the colour: write color: "{match.group(1)}" (unquoted, # '
                             "starts a YAML comment)", number, match.start(1))
    return None


class _Loading:
    """The state of one load: problems so far and the desired state being merged."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.boundary = repository(root)
        self.total = 0  # bytes read so far, against ``config_limit()``
        self.full = False  # past ``objects_limit()``: the rest is not read
        self.max_objects = objects_limit()  # read once: the environment is the caller's
        self.problems: list[Problem] = []
        self.desired: dict[ResourceKey, Resource] = {}
        self.settings_data: dict[str, Any] = {}
        self.settings_source: Source | None = None
        self.strings: dict[str, str] = {}  # every text value once (flows, URLs, profile names)

    def read(self, path: Path, variables: dict[str, Any] | None) -> tuple[Any, Source] | None:
        shown = shown_path(path)
        text = self.read_text(path, shown)
        if not isinstance(text, str):
            if text is not None:
                self.problems.append(text)
            return None
        source = Source(shown, template=path.name.endswith(".j2"))
        source.file = None if source.template else path
        if source.template:
            from scsync.config.templates import TemplateProblem, render  # jinja2 only here

            try:
                text = render(text, shown, variables or {})
            except TemplateProblem as exc:
                self.problems.append(Problem(exc.message, Location(shown, exc.line, 1)))
                return None
        data = parse(text, source, self.strings)
        if isinstance(data, Problem):
            self.problems.append(data)
            return None
        return data, source

    def read_text(self, path: Path, shown: str) -> str | Problem | None:
        """``read_text`` inside the repository, counting the bytes against the config's cap
        (the file that passes it is the one problem; None for the files after it)."""
        if self.total > config_limit() or self.full:
            return None
        try:
            raw = read_bytes(path, boundary=self.boundary)
        except ReadRefused as exc:
            return refused(exc, shown)
        self.total += len(raw)
        if self.total > config_limit():
            return Problem(too_large_config(self.total), Location(shown, 1, 1))
        return decode(raw, shown)

    def document(self, data: Any, source: Source, *, settings: bool) -> None:
        if not isinstance(data, dict):
            self.problems.append(source.problem(
                "expected a mapping of sections (profiles, topics, profile_groups, users)", ()))
            return
        for key, value in data.items():
            if key in SECTIONS:
                self.section(SECTIONS[key], value, source)
            elif key in SETTINGS_KEYS and settings:
                self.settings_data[key] = value
            elif key in SETTINGS_KEYS:
                self.problems.append(source.problem(f"{key} belongs in scsync.yaml", (key,),
                                                    at_key=True))
            else:
                choices = [*SECTIONS, *(SETTINGS_KEYS if settings else ())]
                self.problems.append(source.problem(
                    f'unknown top-level key "{key}"{suggest(str(key), choices)}', (key,),
                    at_key=True))

    def section(self, kind: Kind, value: Any, source: Source) -> None:
        if value is None:
            return
        if not isinstance(value, dict):
            self.problems.append(source.problem(
                f"{kind.config_section} must be a mapping of NAME: settings",
                (kind.config_section,)))
            return
        section = kind.config_section
        validated = validate_models(kind, value)
        for name, data in value.items():
            if len(self.desired) >= self.max_objects:
                if not self.full:
                    self.problems.append(source.problem(too_many_objects(), (section, name),
                                                        at_key=True))
                self.full = True
                return
            name = str(name)
            self.object(kind, name, data, source, (section, name), validated.get(name))

    def object(self, kind: Kind, name: str, data: Any, source: Source, base: tuple[str, str],
               validated: Strict | None) -> None:
        if isinstance(data, dict) and "color" in data and data["color"] is None:
            self.unquoted_colour(kind, name, source, base)
        obj, problems = validate_object(kind, name, data, source, base, validated)
        if problems:
            self.problems.extend(problems)
        if obj is None:
            return
        resource = build(kind, name, obj, source)
        existing = self.desired.setdefault(resource.key, resource)
        if existing is not resource:
            self.problems.append(duplicate(existing, resource))

    def unquoted_colour(self, kind: Kind, name: str, source: Source, base: tuple[Any, ...]) -> None:
        line = source.location((*base, "color"), at_key=True).line
        match = re.match(_UNQUOTED_COLOUR, source.raw_line(line))
        if match and match.group(1):
            colour = match.group(1)
            self.problems.append(Problem(
                f'quote the colour: write color: "{colour}" (unquoted, # starts a YAML comment '
                "and the colour is lost)", Location(source.path, line, match.start(1) + 1),
                address(kind, name), "color"))

    def cross_checks(self) -> None:
        groups = [r for r in self.desired.values() if r.kind is Kind.PROFILE_GROUP]
        self.problems.extend(too_many_groups(groups))
        self.problems.extend(group_cycles({g.name: g for g in groups}))
        named = [r for r in self.desired.values() if r.previous_names or r.kind.keyed_by_name]
        self.problems.extend(previous_name_clashes(named))


def _settings(loading: _Loading) -> Settings | None:
    source = loading.settings_source
    if source is None:
        return None
    try:
        settings = Settings.model_validate(loading.settings_data)
    except ValidationError as exc:
        loading.problems.extend(problems_of(exc, Settings, source, (), ""))
        return None
    loading.problems.extend(source.problem(message, tuple(path.split(".")), field=path)
                            for path, message in settings.problems())
    return settings


def _variables(loading: _Loading, settings: Settings | None,
               var_files: Sequence[Path]) -> dict[str, Any]:
    raw = loading.settings_data.get("vars")
    variables = dict(settings.vars if settings else raw if isinstance(raw, dict) else {})
    for path in var_files:
        text = read_text(path, str(path))
        data = parse(text, Source(str(path))) if isinstance(text, str) else text
        if isinstance(data, Problem):
            loading.problems.append(data)
        elif not isinstance(data, dict):
            loading.problems.append(Problem("a var file must be a mapping of NAME: value",
                                            Location(str(path), 1, 1)))
        else:
            variables.update(data)
    return variables


def _load_settings(loading: _Loading, root: Path) -> None:
    path = root / SETTINGS_FILE
    if not os.path.lexists(path):
        raise ConfigError([Problem(f"no {SETTINGS_FILE} in {root}; every account directory "
                                   "needs one (with scsync: 1 and a provider)")])
    read = loading.read(path, None)
    if read is not None:
        loading.settings_source = read[1]
        loading.document(read[0], read[1], settings=True)


def load_config(root: Path, *, var_files: Sequence[Path] = ()) -> Config:
    """The validated config of the account in ``root``; raises ``ConfigError`` with all problems."""
    root = Path(root)
    if not root.is_dir():
        raise ConfigError([Problem(f"{root} is not a directory")])
    loading = _Loading(root)
    with gctools.paused():
        _load_settings(loading, root)
        settings = _settings(loading)
        variables = _variables(loading, settings, var_files)
        for path in discover(root):
            if path.parent == root and path.name == SETTINGS_FILE:
                continue
            read = loading.read(path, variables)
            if read is not None:
                loading.document(read[0], read[1], settings=False)
                read[1].release()  # parsed again only if a problem needs a location
        loading.cross_checks()
    errors = [p for p in loading.problems if not p.warning]
    if errors or settings is None:
        raise ConfigError(loading.problems)
    _debug("loaded %d objects from %s", len(loading.desired), root)
    warnings = sorted((p for p in loading.problems if p.warning), key=Problem.sort_key)
    return Config(root=root, settings=settings, desired=loading.desired, warnings=warnings)
