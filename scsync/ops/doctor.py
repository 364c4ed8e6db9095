"""``scsync doctor``: the first command to run on a real account. With read-only calls only, it
checks each endpoint the config needs (its evidence in the API description, and what the
platform answered), the token's user, role, scopes and expiry, and the rate-limit budget left.
Writes are never tried: their evidence is shown, marked "not checked".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from scsync.errors import AuthError, ProviderError, ScsyncError
from scsync.plan.options import PlanOptions
from scsync.plan.scope import read_scope
from scsync.providers import apispec, parse
from scsync.providers.base import LISTS, Provider, RateBudget
from scsync.providers.socialconnect import SocialConnectProvider, unavailable_error
from scsync.resources import Kind, Resource, ResourceKey

# What each list is read for, as the table says it.
LIST_USES = {"flows": "flows profiles refer to", "connectedprofiles": "authorized streams",
             "profiles": "profiles", "topics": "topics", "profilegroups": "profile groups",
             "users": "users", "userroles": "users' roles"}
OK, MISSING, NO_PERMISSION, ERROR, NOT_CHECKED = (
    "ok", "missing", "no permission", "error", "not checked")


@dataclass(frozen=True, slots=True)
class EndpointCheck:
    """One endpoint the config needs: its evidence and what the platform answered."""

    method: str
    path: str
    needed_for: str
    evidence: str  # public, proposed, or unknown (not in the API description)
    status: str  # ok, missing, no permission, error, not checked (a write)
    detail: str = ""
    fields: tuple[str, ...] = ()  # for a write: the fields the config sends
    needed: bool = True  # False for what plan and apply do without (scopes, history)

    @property
    def failed(self) -> bool:
        return self.needed and self.status in (MISSING, NO_PERMISSION, ERROR)


@dataclass(slots=True)
class DoctorReport:
    """Everything ``doctor`` found; ``ok`` is False when something the config needs fails."""

    account_id: int
    account_name: str = ""
    user: str = ""
    role: str = ""
    scopes: list[str] | None = None  # None: /me/permissions did not answer
    token_expires_at: datetime | None = None
    rate: RateBudget | None = None
    endpoints: list[EndpointCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(e.failed for e in self.endpoints)

    def to_dict(self) -> dict[str, Any]:
        rate = self.rate
        return {
            "account": {"id": self.account_id, "name": self.account_name},
            "token": {"user": self.user, "role": self.role, "scopes": self.scopes,
                      "expires_at": self.token_expires_at.isoformat()
                      if self.token_expires_at else None},
            "rate_limit": {"limit": rate.limit, "remaining": rate.remaining,
                           "reset_at": int(rate.reset_at), "window_s": rate.window_s}
            if rate else None,
            "endpoints": [{"method": e.method, "path": e.path, "needed_for": e.needed_for,
                           "evidence": e.evidence, "status": e.status, "detail": e.detail,
                           "fields": list(e.fields), "needed": e.needed}
                          for e in self.endpoints],
            "ok": self.ok,
        }


def _evidence(method: str, path: str, fields: tuple[str, ...] = ()) -> str:
    op = apispec.find(method, path)
    if op is None:
        return "unknown"
    if op.evidence == "public" and set(fields) & set(op.proposed_fields):
        return "proposed"
    return op.evidence


def _probe(provider: SocialConnectProvider, path: str, needed_for: str,
           params: Mapping[str, Any] | None = None) -> tuple[EndpointCheck, Any]:
    """GET ``path`` once; what the platform answered, and the body (None on an error)."""
    status, detail, body = OK, "", None
    try:
        body = provider.client.get(path, params)
    except AuthError as exc:
        status, detail = NO_PERMISSION, str(exc)
    except ProviderError as exc:
        missing = unavailable_error(exc)
        status, detail = (MISSING, missing) if missing else (ERROR, str(exc))
    return EndpointCheck("GET", path, needed_for, _evidence("GET", path), status, detail), body


def _scopes(body: Any) -> list[str] | None:
    """The scopes of a ``/me/permissions`` answer (a list, a text, or an object holding one)."""
    if isinstance(body, Mapping):
        body = body.get("scopes", body.get("permissions"))
    if isinstance(body, str):
        return body.split()
    return [str(s) for s in body] if isinstance(body, list) else None


def _writes(desired: Mapping[ResourceKey, Resource], options: PlanOptions,
            kinds: frozenset[Kind], account: int) -> list[EndpointCheck]:
    """The writes a plan of ``desired`` may make, with their evidence (never tried)."""
    base = f"/{account}/settings"
    declared = {key.kind for key in desired} & kinds
    wanted: list[tuple[str, str, str, tuple[str, ...]]] = []
    if Kind.PROFILE in declared:
        wanted.append(("POST", f"{base}/profile/{{type}}/{{service_id}}", "profiles", ()))
    for kind, many, one in ((Kind.TOPIC, "topics", "topic"),
                            (Kind.PROFILE_GROUP, "profilegroups", "profilegroup")):
        if kind in declared:
            wanted += [("POST", f"{base}/{many}", f"{kind.noun}s", ()),
                       ("POST", f"{base}/{one}/{{id}}", f"{kind.noun}s", ())]
        if kind in kinds and options.is_authoritative(kind.config_section):
            wanted.append(("DELETE", f"{base}/{one}/{{id}}", f"{kind.noun}s (authoritative)", ()))
    users = [r for key, r in desired.items() if key.kind is Kind.USER and Kind.USER in kinds]
    if any("role" in r.fields for r in users):
        wanted.append(("POST", f"{base}/user/{{id}}", "users' roles", ("account_role",)))
    if any(f.startswith("social_links.") for r in users for f in r.fields):
        wanted.append(("POST", f"{base}/user/{{id}}", "users' social links", ("social_links",)))
    return [EndpointCheck(method, path, use, _evidence(method, path, fields), NOT_CHECKED,
                          "doctor makes no writes", fields)
            for method, path, use, fields in wanted]


def diagnose(desired: Mapping[ResourceKey, Resource], options: PlanOptions,
             provider: Provider) -> DoctorReport:
    """Check, with read-only calls, what the platform offers of what ``desired`` needs."""
    if not isinstance(provider, SocialConnectProvider):
        raise ScsyncError("doctor needs the socialconnect or emulator provider")
    me = parse.parse_me(provider.client.get("/me"))
    report = DoctorReport(account_id=provider.account_id, user=me.email or me.name,
                          role=me.role, token_expires_at=me.token_expires_at)
    report.account_name = provider.find_account()[0].name
    kinds, lists = read_scope(desired, options)
    report.endpoints += [EndpointCheck("GET", path, "every command", _evidence("GET", path), OK)
                         for path in ("/me", "/me/accounts")]
    check, body = _probe(provider, "/me/permissions", "the token's scopes")
    report.endpoints.append(replace(check, needed=False))
    report.scopes = _scopes(body)
    base = f"/{provider.account_id}/settings"
    report.endpoints += [_probe(provider, f"{base}/{name}", LIST_USES[name], {"limit": 1})[0]
                         for name in LISTS if name in lists]
    history = _probe(provider, f"{base}/history", "drift: who changed what", {"limit": 1})[0]
    report.endpoints.append(replace(history, needed=False))
    report.endpoints += _writes(desired, options, kinds, provider.account_id)
    report.rate = provider.client.rate
    return report
