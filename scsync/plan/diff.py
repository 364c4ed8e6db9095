"""The keyed diff of desired against live state: set arithmetic over natural keys, then a
per-field comparison (``same_value``) of the matched pairs whose fields are not all equal as they
are (one ``<=`` of the two dicts' items). Pure and lean: plain values in the hot
loop; ``FieldChange`` models only for the fields that differ.

Creates and deletes are proposed only for the kinds scsync creates and deletes (topics, profile
groups); ownership (authoritative or additive) is decided later by ``safety``. Profiles and users
missing live are reported in ``missing`` for ``checks`` to turn into errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import compress
from operator import ne
from typing import Any

from scsync.errors import Problem
from scsync.plan.model import Action, FieldChange
from scsync.providers.base import LiveState
from scsync.resources import (
    CASELESS_FIELDS,
    CREATABLE_KINDS,
    DELETABLE_KINDS,
    Kind,
    Resource,
    ResourceKey,
    compare_value,
    same_value,
)

# Kinds whose ``name`` is their key: a name change is a rename, never a plain field.


@dataclass(slots=True)
class Draft:
    """A change before it becomes a ``Change``: it keeps the resources the call builders need."""

    action: Action
    kind: Kind
    address: str
    desired: Resource | None
    live: Resource | None
    fields: list[FieldChange]
    changed: dict[str, Any] = field(default_factory=dict)
    renamed_from: str | None = None
    blocked: bool = False

    @property
    def name(self) -> str:
        resource = self.desired or self.live
        assert resource is not None
        return resource.name


@dataclass(slots=True)
class DiffResult:
    drafts: list[Draft]
    missing: list[Resource]
    """Desired profiles and users that are not on the platform."""
    matched: dict[ResourceKey, Resource]
    """Desired key -> the live resource it was matched to (renames included)."""
    problems: list[Problem]


def display_value(kind: Kind, field_name: str, value: Any) -> Any:
    """A value as plans show it: live-only stream keys (``expired``) dropped."""
    if kind is Kind.TOPIC and field_name == "streams" and isinstance(value, list):
        return [{k: v for k, v in item.items() if k != "expired"} for item in value]
    return value


def display_fields(resource: Resource) -> dict[str, Any]:
    """The managed fields of ``resource`` as plans show them (``name`` first for named kinds)."""
    shown: dict[str, Any] = {"name": resource.name} if resource.kind.keyed_by_name else {}
    for key, value in resource.fields.items():
        if not (key == "name" and resource.kind.keyed_by_name):
            shown[key] = display_value(resource.kind, key, value)
    return shown


def is_ignored(path: str, ignore: Iterable[str]) -> bool:
    return any(path == item or path.startswith(item + ".") for item in ignore)


def field_changes(desired: Resource, live: Resource,
                  renamed_groups: Mapping[str, str] | None = None) -> list[FieldChange]:
    """The managed fields of ``desired`` whose value differs live (``ignore_changes`` skipped).
    ``renamed_groups`` (live name -> config name) lets a group that holds a group renamed in the
    same plan keep its members without a write: the member's id does not change."""
    kind, live_fields = desired.kind, live.fields
    renaming = bool(renamed_groups) and kind is Kind.PROFILE_GROUP
    if not renaming and desired.fields.items() <= live_fields.items():
        return []  # every managed field equal as it is (most pairs): nothing to normalise
    changes: list[FieldChange] = []
    get = live_fields.get
    # only the fields not equal as they are (most often one: a colour's case, a topic's streams,
    # which live also say whether they are expired) are normalised and compared; all of them
    # when renamed members may make equal lists differ
    wanted = desired.fields
    names = list(wanted) if renaming else list(  # [n for n, v in wanted.items() if v != get(n)]
        compress(wanted, map(ne, wanted.values(), map(get, wanted))))
    for name in names:
        if name == "name" and kind.keyed_by_name:
            continue
        want, have = wanted[name], get(name)
        if renaming and name == "groups" and have:
            assert renamed_groups is not None
            have = [renamed_groups.get(member, member) for member in have]
        if want == have or _same(kind, name, want, have) or is_ignored(
                name, desired.ignore_changes):
            continue
        changes.append(FieldChange(path=name, before=display_value(kind, name, have),
                                   after=display_value(kind, name, want)))
    return changes


def _same(kind: Kind, name: str, want: Any, have: Any) -> bool:
    """``same_value``, first trying the cases a re-plan meets most (the answer is the same):
    texts that differ only in case where case does not count, and topic streams listed in the
    same order with the same profiles and authorization."""
    if type(want) is str and type(have) is str:
        if name in CASELESS_FIELDS and want.lower() == have.lower():
            return True
    elif kind is Kind.TOPIC and name == "streams" and same_streams(want, have):
        return True
    return same_value(kind, name, want, have)


def same_streams(want: Any, have: Any) -> bool:
    """True when two lists of streams name the same profiles, spelt alike and in the same order,
    with the same authorization (so they are the same set of streams); False when they do not
    or are not lists of streams (they may still be the same set)."""
    if type(want) is not list or type(have) is not list or len(want) != len(have):
        return False
    try:
        for w, h in zip(want, have, strict=True):
            if w["profile"] != h["profile"] or (
                    bool(w.get("authorized", True)) is not bool(h.get("authorized", True))):
                return False
    except (AttributeError, KeyError, TypeError):
        return False
    return True


def diff(desired: Mapping[ResourceKey, Resource], live: LiveState) -> DiffResult:
    """Match ``desired`` to ``live`` by natural key (and ``previous_names``) and list the drafts."""
    result = DiffResult([], [], {}, [])
    claimed: dict[ResourceKey, Resource] = {}  # live key -> the desired resource matched to it
    direct: dict[ResourceKey, Resource] = {}
    resources, aliases = live.resources, live.profile_aliases
    pairs = []
    for key, want in desired.items():
        have = resources.get(key)  # ``live.find``, the key hashed once
        if have is not None:
            claimed[key] = want
        elif key.kind is Kind.PROFILE and (alias := aliases.get(key.ident)):
            have = resources.get(alias)
            if have is not None:
                claimed[have.key] = want
        if have is not None:
            direct[key] = have
        # (kind, ident) is unique: the sort never compares further
        pairs.append((key.kind, key.ident, key, want, have))
    renamed = _group_renames(desired, direct, live)
    pairs.sort()
    for _, _, key, want, have in pairs:
        _diff_one(key, want, have, live, result, claimed, renamed)
    for key, resource in resources.items():
        if key.kind in DELETABLE_KINDS and key not in claimed and key not in desired:
            result.drafts.append(_delete(resource))
    return result


def _group_renames(desired: Mapping[ResourceKey, Resource], direct: Mapping[ResourceKey, Resource],
                   live: LiveState) -> dict[str, str]:
    """Live name -> config name of the profile groups config renames (``previous_names``)."""
    renames: dict[str, str] = {}
    for key, want in desired.items():
        if key.kind is not Kind.PROFILE_GROUP or key in direct or not want.previous_names:
            continue
        found = [r for old in want.previous_names
                 if (r := live.find(ResourceKey.of(Kind.PROFILE_GROUP, old))) is not None]
        if len(found) == 1:
            renames[found[0].name] = want.name
    return renames


def _diff_one(key: ResourceKey, want: Resource, have: Resource | None, live: LiveState,
              result: DiffResult, claimed: dict[ResourceKey, Resource],
              renamed: Mapping[str, str]) -> None:
    renamed_from = None
    if have is None and want.kind.keyed_by_name and want.previous_names:
        have = _find_previous(want, live, result, claimed)
        renamed_from = have.name if have else None
    if have is None:
        if want.kind in CREATABLE_KINDS:
            result.drafts.append(_create(want))
        else:
            result.missing.append(want)
        return
    result.matched[key] = have
    if renamed_from is not None:
        claimed[have.key] = want
    fields = field_changes(want, have, renamed)
    if renamed_from is not None:
        fields.insert(0, FieldChange(path="name", before=have.name, after=want.name))
    if fields:
        changed = {f.path: want.name if f.path == "name" and want.kind.keyed_by_name
                   else want.fields.get(f.path) for f in fields}
        result.drafts.append(Draft("update", want.kind, want.address, want, have, fields,
                                   changed, renamed_from))


def _find_previous(want: Resource, live: LiveState, result: DiffResult,
                   claimed: dict[ResourceKey, Resource]) -> Resource | None:
    found = [r for old in want.previous_names
             if (r := live.find(ResourceKey.of(want.kind, old))) is not None]
    if len(found) > 1:
        names = " and ".join(f'"{r.name}"' for r in found)
        result.problems.append(Problem(
            f"previous_names match {names} on the platform; a rename needs exactly one "
            "live object: delete the other or remove its name from previous_names",
            want.location("previous_names"), want.address, "previous_names"))
        return None
    if found and found[0].key in claimed:
        result.problems.append(Problem(
            f'"{found[0].name}" is already matched to {claimed[found[0].key].address}; '
            "a live object can be renamed to only one config object",
            want.location("previous_names"), want.address, "previous_names"))
        return None
    return found[0] if found else None


def _is_set(kind: Kind, name: str, value: Any) -> bool:
    form = compare_value(kind, name, value)
    return form is not None and form is not False


def _create(want: Resource) -> Draft:
    shown = display_fields(want)
    fields = [FieldChange(path=k, after=v) for k, v in shown.items() if _is_set(want.kind, k, v)]
    return Draft("create", want.kind, want.address, want, None, fields, dict(want.fields))


def _delete(have: Resource) -> Draft:
    shown = display_fields(have)
    fields = [FieldChange(path=k, before=v) for k, v in shown.items() if _is_set(have.kind, k, v)]
    return Draft("delete", have.kind, have.address, None, have, fields)
