"""Preconditions of a saved plan: a short fingerprint of the live object each change was planned
against, so that ``apply PLANFILE`` refuses a stale plan; and ``matches_after``, which tells a
change that is already done (a partly applied plan can be applied again to finish).

A fingerprint covers the object's identity (its platform id and its name, as read) and the fields
the change touches: an out-of-band rename, delete or re-create of the object makes the plan stale
even when none of the changed fields moved.

Fingerprints hash compare forms (``scsync.resources.compare_value``), so a harmless difference of
spelling (colour case, set order, white space) does not make a plan stale.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from scsync.plan.model import Change
from scsync.resources import Kind, Resource, compare_value, same_value

ABSENT = "absent"


def field_value(resource: Resource, path: str) -> Any:
    """A field of ``resource`` by plan path (``name`` of a topic or group is its name)."""
    if path == "name" and resource.kind.keyed_by_name:
        return resource.name
    return resource.fields.get(path)


def fingerprint(resource: Resource | None, paths: Iterable[str]) -> str:
    """sha256 (first 16 hex digits) of the canonical JSON of the compare forms of ``paths``."""
    if resource is None:
        return ABSENT
    forms: dict[str, Any] = {"@id": resource.id, "@name": resource.name}
    forms |= {path: compare_value(resource.kind, path, field_value(resource, path))
              for path in sorted(set(paths))}
    text = json.dumps(forms, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def touched_paths(action: str, fields: Iterable[str], live: Resource | None) -> list[str]:
    """The paths a precondition covers: the changed fields, or every field for a delete."""
    if action == "delete" and live is not None:
        names = ["name"] if live.kind.keyed_by_name else []
        return names + list(live.fields)
    return list(fields)


def precondition(action: str, fields: Iterable[str], live: Resource | None) -> str:
    """The precondition of a change planned against ``live`` (``absent`` for a create)."""
    if action == "create":
        return ABSENT
    return fingerprint(live, touched_paths(action, fields, live))


def still_matches(change: Change, live: Resource | None) -> bool:
    """True when ``live`` is the object ``change`` was planned against (its precondition holds)."""
    if change.action == "create":
        return live is None
    paths = touched_paths(change.action, (f.path for f in change.fields), live)
    return fingerprint(live, paths) == change.precondition


def matches_after(change: Change, live: Resource | None) -> bool:
    """True when the live object already equals the change's ``after`` (the change is done)."""
    if change.action == "delete":
        return live is None
    if live is None:
        return False
    kind = Kind(change.kind)
    return all(same_value(kind, f.path, f.after, field_value(live, f.path))
               for f in change.fields)
