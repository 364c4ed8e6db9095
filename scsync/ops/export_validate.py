"""Checking an export before it is written: load the would-be config (a scratch copy of the
target with the exported files laid over it) with the config loader, and, under ``--lenient``,
mark each value that breaks a rule with a comment instead of failing.

Also the two things an export needs from the target directory: the objects its templates define
(an export never writes over a template's object) and the ``scsync.yaml`` for a new directory.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from scsync.errors import ConfigError, Problem, ScsyncError
from scsync.ops import yamlrt
from scsync.resources import Kind, ResourceKey, parse_address
from scsync.safefiles import repository

log = logging.getLogger(__name__)

SETTINGS_FILE = "scsync.yaml"
# What the loader needs to validate objects when the target has no scsync.yaml of its own.
MINIMAL_SETTINGS = "scsync: 1\nprovider:\n  type: emulator\n"
LENIENT_NOTE = "scsync export --lenient kept the live value; it breaks a rule:"


def _config_files(root: Path) -> list[Path]:
    from scsync.config.files import discover

    return discover(root) if root.is_dir() else []


def validate_tree(out: Path, texts: Mapping[str, str], settings: str | None) -> list[Problem]:
    """The errors of the config ``out`` would hold with ``texts`` (path -> text) written."""
    from scsync.config.loader import load_config, read_text

    with tempfile.TemporaryDirectory(prefix="scsync-export-") as scratch:
        root = Path(scratch)
        boundary = repository(out) if out.is_dir() else out
        for path in _config_files(out):
            text = read_text(path, path.relative_to(out).as_posix(), boundary=boundary)
            if isinstance(text, Problem):
                return [text]
            _put(root / path.relative_to(out), text)
        for rel, text in texts.items():
            _put(root / rel, text)
        if not (root / SETTINGS_FILE).exists():
            _put(root / SETTINGS_FILE, settings or MINIMAL_SETTINGS)
        try:
            load_config(root)
        except ConfigError as exc:
            return [_relative(p, root) for p in exc.problems if not p.warning]
    return []


def _put(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _relative(problem: Problem, root: Path) -> Problem:
    """``problem`` with its path relative to ``root`` (the loader shows it from the working
    directory), so that it names a key of the exported texts."""
    loc = problem.location
    if loc is None:
        return problem
    rel = Path(os.path.abspath(loc.path)).relative_to(os.path.abspath(root)).as_posix()
    return dataclasses.replace(problem, location=dataclasses.replace(loc, path=rel))


def mark_problems(docs: Mapping[str, Any], texts: dict[str, str],
                  problems: list[Problem]) -> dict[str, str]:
    """``texts`` with an end-of-line comment on each value that ``problems`` name (those in the
    exported files; several on one value share its comment); problems elsewhere are logged."""
    notes: dict[tuple[str, int, Any], tuple[CommentedMap, list[str]]] = {}
    for problem in problems:
        rel = problem.location.path if problem.location else ""
        place = _place(docs[rel], problem) if rel in texts and problem.address else None
        if place is None:
            log.warning("export --lenient: %s", problem)
            continue
        holder, at = place
        notes.setdefault((rel, id(holder), at), (holder, []))[1].append(problem.message)
    marked = dict(texts)
    for (rel, _, at), (holder, messages) in notes.items():
        following = yamlrt.get_following(holder, at)
        holder.yaml_add_eol_comment(f"{LENIENT_NOTE} {'; '.join(messages)}", at)
        yamlrt.set_following(holder, at, following)
        marked[rel] = yamlrt.dump(docs[rel])
    return marked


def _place(doc: Any, problem: Problem) -> tuple[CommentedMap, Any] | None:
    """The mapping and key a problem is about, in an exported document."""
    try:
        kind, name = parse_address(problem.address)
    except ValueError:
        return None
    section = doc.get(kind.config_section) if isinstance(doc, CommentedMap) else None
    if not isinstance(section, CommentedMap):
        return None
    key = _find_key(section, kind, name)
    return None if key is None else _field_holder(section, key, problem.field)


def _find_key(section: CommentedMap, kind: Kind, name: str) -> Any:
    wanted = ResourceKey.of(kind, name)
    return next((k for k in section if ResourceKey.of(kind, str(k)) == wanted), None)


def _field_holder(section: CommentedMap, key: Any, field: str) -> tuple[CommentedMap, Any]:
    """The mapping and key a field path (``bio``, ``social_links.twitter``, ``quick_replies[0]``)
    ends at; the object itself when the path is empty or not found."""
    holder, at = section, key
    for part in (p for p in re.split(r"[.\[]", field) if p and not p.endswith("]")):
        value = holder[at]
        if not isinstance(value, CommentedMap) or part not in value:
            break
        holder, at = value, part
    return holder, at


def template_keys_of(out: Path) -> set[ResourceKey]:
    """The objects that ``.yaml.j2`` templates define in the config at ``out`` (none when it has
    no template or does not load)."""
    if not any(p.name.endswith(".yaml.j2") for p in _config_files(out)):
        return set()
    from scsync.config.loader import load_config

    try:
        config = load_config(out)
    except ScsyncError as exc:
        log.warning("export: %s does not load, so objects its templates define are not known "
                    "and may be written twice: %s", out, exc)
        return set()
    return {key for key, resource in config.desired.items()
            if (loc := resource.location()) is not None and loc.path.endswith(".j2")}


def settings_text_for(source_root: Path, out_dir: Path) -> str | None:
    """The source's ``scsync.yaml`` for a new export directory, comments kept, with the relative
    emulator ``path``/``fixture`` rebased so they name the same files from ``out_dir``."""
    source = source_root / SETTINGS_FILE
    if not source.is_file():
        return None
    doc = yamlrt.load(source.read_text(encoding="utf-8-sig"))
    provider = doc.get("provider") if isinstance(doc, CommentedMap) else None
    if isinstance(provider, CommentedMap):
        if provider.get("type") == "emulator" and not provider.get("path"):
            yamlrt.append(provider, "path", ".scsync/platform.db")
        for name in ("path", "fixture"):
            value = provider.get(name)
            if isinstance(value, str) and value and not os.path.isabs(value):
                rebased = os.path.relpath(source_root.resolve() / value, out_dir.resolve())
                yamlrt.set_scalar(provider, name, yamlrt.styled(Path(rebased).as_posix()))
    return yamlrt.dump(doc)
