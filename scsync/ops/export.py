"""``scsync export``: write the live account as config YAML in the layout of examples/config,
merging into the files already in the target directory with ruamel.yaml round-trip.

An object already defined in a file of the target is updated there, in place: its keys keep
their order and comments, an unchanged value keeps its spelling (``"#6a1b9a"`` stays as written
when live says ``#6A1B9A``), a setting live no longer has becomes ``null``/``[]``, and keys that
are not settings (``lifecycle``, ``previous_names``) are left alone. New objects are appended to
their layout file (``profiles/<network>.yaml``, ``topics.yaml``, ``profile_groups.yaml``,
``users.yaml``). Objects that come from a ``.yaml.j2`` template are never touched (reported), and
objects on file that are not live are kept (reported). The result is validated by loading it
(unless ``lenient``, where each value that breaks a rule is kept and marked by a comment).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from scsync.config.loader import SECTIONS, read_text
from scsync.config.model_common import Strict
from scsync.config.yamlfast import YamlProblem
from scsync.config.yamlfast import load as fast_load
from scsync.errors import ConfigError, Problem, ScsyncError
from scsync.ops import yamlrt
from scsync.ops.canonical import order_for
from scsync.ops.export_docs import KIND_ORDER, config_object, exported, layout_file
from scsync.ops.export_validate import mark_problems, template_keys_of, validate_tree
from scsync.ops.fmt import round_trip_problem, yaml_files
from scsync.providers.base import LiveState
from scsync.resources import (
    FALSE_DEFAULT_FIELDS,
    SOCIAL_LINKS,
    Kind,
    Resource,
    ResourceKey,
    same_value,
)
from scsync.safefiles import repository, write_text

log = logging.getLogger(__name__)

LIST_SETTINGS = frozenset({"quick_replies", "quick_replies_on_every_message", "custom_profiles",
                           "ice_breakers", "persistent_menu", "websites", "allowlisted_domains",
                           "streams", "profiles", "groups"})
NOT_SETTINGS = Strict.not_settings  # lifecycle, previous_names: config's own keys, kept as written


@dataclass(slots=True)
class ExportResult:
    """What an export did: files written (relative to the target), objects created and updated,
    objects on file but not live (kept), objects left alone in templates, and the problems kept
    under ``lenient`` (each marked by a comment in its file)."""

    written: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    not_live: list[str] = field(default_factory=list)
    in_templates: list[str] = field(default_factory=list)
    kept_problems: list[Problem] = field(default_factory=list)


@dataclass(slots=True)
class _Entry:
    """Where an object is defined: its file, its section mapping and its key there."""

    file: str
    section: CommentedMap
    key: str


class _Tree:
    """The target directory's YAML files as round-trip documents, indexed by object key."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.docs: dict[str, Any] = {}
        self.original: dict[str, str] = {}
        self.index: dict[ResourceKey, _Entry] = {}
        self.boundary = repository(root)
        for path in yaml_files(root) if root.is_dir() else []:
            self._read(path)

    def _read(self, path: Path) -> None:
        rel = path.relative_to(self.root).as_posix()
        text = read_text(path, rel, boundary=self.boundary)
        if isinstance(text, str):
            text = round_trip_problem(text, rel) or text
        if isinstance(text, Problem):
            raise ScsyncError(f"{text}; cannot merge into this file: fix it or choose another -o")
        try:
            fast_load(text)  # refuses alias bombs and deep nesting before ruamel sees the file
            doc = yamlrt.load(text)
        except YamlProblem as exc:
            raise ScsyncError(f"{rel}:{exc.line}:{exc.col}: cannot merge into this file: "
                              f"{exc.message}; fix it or choose another -o") from None
        except Exception as exc:  # noqa: BLE001 - any parse failure: the file is reported
            raise ScsyncError(f"{rel}: cannot merge into this file: it is not valid YAML "
                              f"({type(exc).__name__}); fix it or choose another -o") from None
        self.original[rel] = text
        self.docs[rel] = doc
        for kind, section in _sections(doc):
            for key in section:
                entry = _Entry(rel, section, str(key))
                self.index.setdefault(ResourceKey.of(kind, str(key)), entry)
                for old in _previous_names(section[key]):
                    self.index.setdefault(ResourceKey.of(kind, old), entry)

    def section(self, rel: str, kind: Kind) -> CommentedMap:
        """The ``kind`` section of file ``rel``, created (file and section) when missing."""
        doc = self.docs.get(rel)
        if doc is None:
            doc = self.docs[rel] = CommentedMap()
        name = kind.config_section
        if name not in doc:
            yamlrt.append(doc, name, CommentedMap())
        elif not isinstance(doc[name], CommentedMap):  # ``topics:`` left empty (null)
            yamlrt.replace(doc, name, CommentedMap())
        return doc[name]  # type: ignore[no-any-return]


def _sections(doc: Any) -> Iterable[tuple[Kind, CommentedMap]]:
    if not isinstance(doc, CommentedMap):
        return
    for name, kind in SECTIONS.items():
        if isinstance(doc.get(name), CommentedMap):
            yield kind, doc[name]


def _previous_names(value: Any) -> list[str]:
    names = value.get("previous_names") if isinstance(value, CommentedMap) else None
    return [str(n) for n in names] if isinstance(names, list) else []


def to_node(value: Any, *, flow: bool = False) -> Any:
    """Plain data as round-trip nodes in canonical style: block mappings and lists, except the
    mapping items of a list (quick replies, streams), which are flow mappings."""
    if isinstance(value, dict):
        node = CommentedMap((k, to_node(v, flow=flow)) for k, v in value.items())
        if flow:
            node.fa.set_flow_style()
        return node
    if isinstance(value, list):
        return CommentedSeq(to_node(v, flow=flow or isinstance(v, dict)) for v in value)
    return yamlrt.styled(value, flow=flow) if isinstance(value, str) else value


def plain(value: Any) -> Any:
    """Round-trip nodes as plain data (for comparison)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return str(value) if isinstance(value, str) else value


def export_config(live: LiveState, out_dir: Path | str, *,
                  kinds: frozenset[Kind] | None = None, lenient: bool = False,
                  settings_text: str | None = None,
                  template_keys: Iterable[ResourceKey] | None = None) -> ExportResult:
    """Write the live objects of ``kinds`` (all when None) under ``out_dir`` (see the module
    docstring). ``settings_text`` is written as ``scsync.yaml`` when the target has none.
    ``template_keys``: objects defined by templates there, left alone (found by loading the
    target when None).
    Raises ``ConfigError`` (nothing written) when the result breaks a rule and not ``lenient``."""
    out = Path(out_dir)
    _check_target(out)
    tree = _Tree(out)
    result = ExportResult()
    skip = set(template_keys_of(out) if template_keys is None else template_keys)
    chosen = [r for r in _ordered(live, kinds) if exported(r) or r.key in tree.index]
    for resource in chosen:
        if resource.key in skip:
            result.in_templates.append(resource.address)
            continue
        _merge_object(tree, resource, result)
    result.not_live = _not_live(tree, live, kinds)
    texts = _texts(tree)
    settings = None if (out / "scsync.yaml").exists() else settings_text
    problems = validate_tree(out, texts, settings)
    if problems and not lenient:
        raise ConfigError([*problems, Problem(
            "the live account breaks these rules, so nothing was written; rerun with --lenient "
            "to export it anyway with each such value marked by a comment")])
    if problems:
        texts = mark_problems(tree.docs, texts, problems)
        result.kept_problems = problems
    result.written = _write(out, tree, texts, settings)
    return result


def _check_target(out: Path) -> None:
    """Refuse a target that is not an account directory (no ``scsync.yaml``) but holds YAML
    files: merging would rewrite files that are not config (CI files, fixtures)."""
    if out.is_symlink():
        raise ScsyncError(f"{out} is a symlink; export writes only into a real directory")
    if out.is_dir() and not os.path.lexists(out / "scsync.yaml") and yaml_files(out):
        raise ScsyncError(f"{out} holds YAML files but no scsync.yaml, so it is not an account "
                          "directory; export into an account directory or a new, empty one")


def _ordered(live: LiveState, kinds: frozenset[Kind] | None) -> list[Resource]:
    wanted = [k for k in KIND_ORDER if kinds is None or k in kinds]
    return [r for kind in wanted for r in sorted(live.of_kind(kind), key=lambda r: r.name.lower())]


def _merge_object(tree: _Tree, resource: Resource, result: ExportResult) -> None:
    data = config_object(resource)
    entry = tree.index.get(resource.key)
    if entry is None:
        section = tree.section(layout_file(resource), resource.kind)
        yamlrt.append(section, resource.name, to_node(data))
        result.created.append(resource.address)
        tree.index[resource.key] = _Entry(layout_file(resource), section, resource.name)
        return
    node = entry.section[entry.key]
    if not isinstance(node, CommentedMap):
        yamlrt.replace(entry.section, entry.key, to_node(data))
        result.updated.append(resource.address)
        return
    if _update_fields(node, resource.kind, data, (resource.kind.config_section, entry.key)):
        result.updated.append(resource.address)


def _update_fields(node: CommentedMap, kind: Kind, data: dict[str, Any],
                   path: tuple[str, ...]) -> bool:
    """Bring the settings of ``node`` to ``data``; True when anything changed."""
    changed = False
    for name in [str(k) for k in node if str(k) not in NOT_SETTINGS and str(k) not in data]:
        changed |= _set_field(node, kind, name, _cleared(name), path)
    for name, value in data.items():
        changed |= _set_field(node, kind, name, value, path)
    return changed


def _cleared(name: str) -> Any:
    if name in FALSE_DEFAULT_FIELDS:
        return False
    return [] if name in LIST_SETTINGS else ({} if name == "social_links" else None)


def _set_field(node: CommentedMap, kind: Kind, name: str, value: Any,
               path: tuple[str, ...]) -> bool:
    if name == "social_links" and isinstance(node.get(name), CommentedMap):
        return _update_links(node[name], value)
    if name in node and same_value(kind, name, _comparable(name, plain(node[name])),
                                   _comparable(name, value)):
        return False
    new = to_node(value)
    if name not in node:
        _insert(node, name, new, order_for(path) or ())
    elif isinstance(new, (CommentedMap, CommentedSeq)):
        yamlrt.replace(node, name, new)
    else:
        yamlrt.set_scalar(node, name, new)
    return True


def _comparable(name: str, value: Any) -> Any:
    """Config data in the resource shape ``same_value`` compares (streams as mappings)."""
    if name == "streams" and isinstance(value, list):
        return [{"profile": s, "authorized": True} if isinstance(s, str) else s for s in value]
    return value


def _update_links(node: CommentedMap, links: dict[str, Any]) -> bool:
    changed = False
    for name in [str(k) for k in node if str(k) not in links and node[k] is not None]:
        yamlrt.set_scalar(node, name, None)
        changed = True
    for name, url in links.items():
        if name not in node:
            _insert(node, name, to_node(url), SOCIAL_LINKS)
        elif node[name] != url:
            yamlrt.set_scalar(node, name, to_node(url))
        else:
            continue
        changed = True
    return changed


def _insert(node: CommentedMap, key: str, value: Any, order: tuple[str, ...]) -> None:
    """Insert ``key`` after the existing keys that come before it in ``order`` (else last)."""
    rank = {k: i for i, k in enumerate(order)}
    keys = [str(k) for k in node]
    mine = rank.get(key, len(rank))
    before = [i for i, k in enumerate(keys) if rank.get(k, len(rank) + 1) < mine]
    yamlrt.insert(node, (before[-1] + 1) if before else len(keys), key, value)


def _not_live(tree: _Tree, live: LiveState, kinds: frozenset[Kind] | None) -> list[str]:
    found: list[str] = []
    for doc in tree.docs.values():
        for kind, section in _sections(doc):
            if kinds is not None and kind not in kinds:
                continue
            found.extend(f"{kind.value}.{k}" for k in section
                         if live.find(ResourceKey.of(kind, str(k))) is None
                         and not any(live.find(ResourceKey.of(kind, n))
                                     for n in _previous_names(section[k])))
    return found


def _texts(tree: _Tree) -> dict[str, str]:
    """The text of every document that changed or is new."""
    texts = {}
    for rel, doc in tree.docs.items():
        text = yamlrt.dump(doc)
        if text != tree.original.get(rel):
            texts[rel] = text
    return texts


def _write(out: Path, tree: _Tree, texts: dict[str, str], settings: str | None) -> list[str]:
    written = []
    if settings is not None:
        texts = {"scsync.yaml": settings, **texts}
    for rel, text in texts.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text(path, text, inside=out)
        written.append(rel)
        log.info("exported %s", rel)
    return sorted(written)
