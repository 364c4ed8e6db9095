"""The plan file as ``apply PLANFILE`` receives it: read it, check its header (format, the scsync
release that wrote it, its account), its signature when ``SCSYNC_PLAN_KEY`` is set, its shape
(one call per change that is not blocked, dependencies only on earlier calls), and that every
call is the one its reviewed change makes when derived again from the config and the platform
as they are now. Any difference refuses the whole file before any write: apply executes what was
reviewed, and nothing else.

``plan -o`` signs with HMAC-SHA256 over the file's JSON without its ``signature`` field, so a
plan handed between CI jobs as an artifact cannot be edited on the way.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pydantic import ValidationError

from scsync import __version__
from scsync.errors import ScsyncError
from scsync.plan.apply_deps import dependencies
from scsync.plan.model import FORMAT_VERSION, Change, Plan, PlannedCall
from scsync.plan.stale import stale_error
from scsync.resources import parse_address

KEY_ENV = "SCSYNC_PLAN_KEY"
SIGNATURE_PREFIX = "hmac-sha256:"
REPLAN_HINT = "nothing was applied; run `scsync plan -o FILE` again and review it"


class PlanFileError(ScsyncError):
    """A plan file that apply refuses (not stale: unknown, unsigned, altered, inconsistent)."""


# -- signing -------------------------------------------------------------------------------

def _mac(plan: Plan, key: str) -> str:
    body = plan.model_copy(update={"signature": None}).to_json()
    digest = hmac.new(key.encode(), body.encode(), hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def plan_file_text(plan: Plan, key: str | None) -> str:
    """The plan file's text, signed when ``key`` is set (non-empty)."""
    if not key:
        return plan.to_json()
    return plan.model_copy(update={"signature": _mac(plan, key)}).to_json()


def check_signature(plan: Plan, key: str | None, where: str) -> None:
    """With a key, refuse an unsigned file or one whose signature does not match."""
    if not key:
        return
    if plan.signature is None:
        raise PlanFileError(f"{where} is not signed, and {KEY_ENV} is set: apply takes only "
                            f"plan files signed by `scsync plan -o` with that key; {REPLAN_HINT}")
    if not hmac.compare_digest(plan.signature, _mac(plan, key)):
        raise PlanFileError(f"{where} was altered after it was signed (or signed with another "
                            f"key): its signature does not match {KEY_ENV}; {REPLAN_HINT}")


# -- reading and the header ----------------------------------------------------------------

def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:2])


def read_plan_file(path: Path, key: str | None) -> Plan:
    """The plan of ``path`` with its format, release and signature checked (``PlanFileError``)."""
    where = f"the plan file {path}"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScsyncError(f"cannot read the plan file {path}: {exc.strerror}") from None
    except (ValueError, RecursionError):  # not JSON, or nested beyond reason
        raw = None
    if not isinstance(raw, dict) or "format_version" not in raw:
        raise PlanFileError(f"{path} is not a scsync plan file (run `scsync plan -o FILE` to "
                            "make one)")
    if raw["format_version"] != FORMAT_VERSION:
        raise PlanFileError(f"{where} has format_version {json.dumps(raw['format_version'])}; "
                            f"scsync {__version__} applies format {FORMAT_VERSION} only; "
                            f"{REPLAN_HINT}")
    try:
        plan = Plan.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        spot = ".".join(str(part) for part in first["loc"])
        raise PlanFileError(f"{where} is not a valid plan file ({spot}: {first['msg']}); "
                            f"{REPLAN_HINT}") from None
    check_signature(plan, key, where)
    if _release(plan.scsync_version) != _release(__version__):
        raise PlanFileError(f"{where} was made by scsync {plan.scsync_version}; this is scsync "
                            f"{__version__}, which applies only plans of its own release "
                            f"({'.'.join(map(str, _release(__version__)))}.x); {REPLAN_HINT}")
    check_shape(plan, where)
    return plan


def check_account(plan: Plan, account_id: int, account_name: str, where: str) -> None:
    """Refuse a plan made for another account than the one this config manages."""
    if plan.account.id != account_id:
        raise PlanFileError(f"{where} is for account {plan.account.id} "
                            f"({plan.account.name or 'unnamed'}), but this config manages "
                            f"account {account_id} ({account_name or 'unnamed'}); "
                            "nothing was applied")


# -- the shape -------------------------------------------------------------------------------

# Per action, whether ``before`` and ``after`` must be set (True) or absent (False).
_SIDES = {"create": {"before": False, "after": True}, "update": {"before": True, "after": True},
          "delete": {"before": True, "after": False}}


def _change_problem(change: Change) -> str | None:
    """What is wrong with one change on its own, or None."""
    try:
        kind, _ = parse_address(change.address)
    except ValueError:
        return "not an object address"
    if change.kind != kind.value:
        return f"of kind {change.kind!r}, not {kind.value!r}"
    article = "an" if change.action == "update" else "a"
    for side, wanted in _SIDES[change.action].items():
        present = getattr(change, side) is not None
        if present != wanted:
            return f"{article} {change.action} {'without' if wanted else 'with'} `{side}`" + (
                "" if wanted else " set")
    if change.action == "update" and not change.fields:
        return "an update that changes no field"
    return None


def _call_label(position: int, call: PlannedCall) -> str:
    return f"calls[{position}] ({call.method} {call.path})"


def check_shape(plan: Plan, where: str) -> None:
    """Each change well formed, each unblocked change with exactly its one call, in order,
    each call waiting only for earlier ones."""
    seen: set[str] = set()
    for position, change in enumerate(plan.changes):
        problem = _change_problem(change)
        if change.address in seen:
            problem = "a second change of the same object"
        if problem:
            raise PlanFileError(f"{where}: changes[{position}] ({change.address}) is {problem}; "
                                f"{REPLAN_HINT}")
        seen.add(change.address)
    wanted = [c for c in plan.changes if not c.blocked]
    for position, call in enumerate(plan.calls):
        reviewed = wanted[position] if position < len(wanted) else None
        if reviewed is None or (call.address, call.action) != (reviewed.address,
                                                                reviewed.action):
            owner = f"the {reviewed.action} of {reviewed.address}" if reviewed else "no change"
            raise PlanFileError(f"{where}: {_call_label(position, call)} is the {call.action} "
                                f"of {call.address}, but in that place the plan reviews "
                                f"{owner}; {REPLAN_HINT}")
    if len(plan.calls) < len(wanted):
        missing = wanted[len(plan.calls)]
        raise PlanFileError(f"{where}: the {missing.action} of {missing.address} has no call; "
                            f"{REPLAN_HINT}")
    expected = dependencies(plan.calls, {c.address: c for c in plan.changes})
    for position, (call, needs) in enumerate(zip(plan.calls, expected, strict=True)):
        if sorted(call.depends_on) != sorted(n + 1 for n in needs):
            raise PlanFileError(f"{where}: {_call_label(position, call)} has depends_on "
                                f"{call.depends_on}, but its change depends on "
                                f"{sorted(n + 1 for n in needs)}; {REPLAN_HINT}")


# -- derived again ---------------------------------------------------------------------------

_REVIEWED = ("action", "kind", "after", "live_id", "renamed_from", "blocked")
_REF_PATH = re.compile(r"\{ref:([^}]*)\}")


def _with_ids(value: Any, ids: Mapping[str, str]) -> Any:
    """``value`` with the references to objects already created (``ids``) replaced by ids."""
    if isinstance(value, dict):
        ref = value.get("ref")
        if set(value) == {"ref"} and isinstance(ref, str) and ref in ids:
            return int(ids[ref]) if ids[ref].isdigit() else ids[ref]
        return {k: _with_ids(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_ids(v, ids) for v in value]
    return value


def _path_with_ids(path: str, ids: Mapping[str, str]) -> str:
    return _REF_PATH.sub(lambda m: quote(ids[m.group(1)], safe="") if m.group(1) in ids
                         else m.group(0), path)


def check_derived(saved: Plan, fresh: Plan, done: Mapping[str, str | None], where: str) -> None:
    """Every change still to do, and its call, equal what ``fresh`` (planned now from the same
    config against the platform as it is, for the saved plan's addresses) derives again: a
    difference in what the file says is ``PlanFileError``; an object that also differs now in a
    field the plan does not touch is ``StalePlanError``."""
    derived = {c.address: c for c in fresh.changes}
    for position, change in enumerate(saved.changes):
        again = derived.get(change.address)
        if change.address not in done and not (change.blocked and again is None):
            _check_change(position, change, again, where)
    ids = {address: id_ for address, id_ in done.items() if id_ is not None}
    derived_calls = {c.address: c for c in fresh.calls}
    for position, call in enumerate(saved.calls):
        if call.address not in done:
            _check_call(position, call, derived_calls.get(call.address), ids, where)


def _check_change(position: int, change: Change, again: Change | None, where: str) -> None:
    label = f"{where}: changes[{position}] ({change.address})"
    if again is None:
        raise PlanFileError(f"{label} is not a change the config makes against the platform; "
                            f"{REPLAN_HINT}")
    differs = [name for name in _REVIEWED if getattr(change, name) != getattr(again, name)]
    mine = {(f.path, json.dumps(f.after, sort_keys=True, default=str)) for f in change.fields}
    theirs = {(f.path, json.dumps(f.after, sort_keys=True, default=str)) for f in again.fields}
    if differs or not mine <= theirs:
        what = ", ".join(differs) or "fields"
        raise PlanFileError(f"{label} is not the change the config makes against the platform "
                            f"now (its {what} differ); {REPLAN_HINT}")
    if extra := sorted({f.path for f in again.fields} - {f.path for f in change.fields}):
        raise stale_error([f"{change.address}: changed on the platform since the plan was made "
                           f"({', '.join(extra)} now differ from the config too)"],
                          [change.address])


def _check_call(position: int, call: PlannedCall, expected: PlannedCall | None,
                ids: Mapping[str, str], where: str) -> None:
    mine = (call.method, _path_with_ids(call.path, ids), _with_ids(call.form, ids))
    if expected is not None and mine == (expected.method, expected.path, expected.form):
        return
    head = f"{where}: {_call_label(position, call)}"
    review = f"the reviewed {call.action} of {call.address}"
    if expected is not None and mine[:2] == (expected.method, expected.path):
        problem = f"differs in its body from the call of {review}"
    else:
        shown = f"{expected.method} {expected.path}" if expected else "no call"
        problem = f"is not the call of {review}, which is {shown}"
    raise PlanFileError(f"{head} {problem}: the file was edited, or the platform changed in a "
                        f"way the call depends on; {REPLAN_HINT}")
