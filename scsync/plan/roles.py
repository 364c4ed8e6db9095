"""Plan-time rules of users' roles (domain.md, "User roles"): a role is one of the account's
roles (matched by name, case-insensitively); only an administrator's token changes roles; a plan
never leaves the account without an administrator and never demotes the user whose token scsync
runs with (that would lock scsync out mid-apply)."""

from __future__ import annotations

from collections.abc import Mapping

from scsync.errors import Location, Problem
from scsync.plan.health import missing_endpoint
from scsync.providers.base import LiveState
from scsync.resources import Kind, Resource, ResourceKey

# Role names that administer the account (the Profile Manager is theirs alone).
ADMIN_ROLES = frozenset({"admin", "administrator"})


def is_admin(role: object) -> bool:
    return str(role or "").casefold() in ADMIN_ROLES


def _where(resource: Resource) -> tuple[Location | None, str, str]:
    return resource.location("role"), resource.address, "role"


def check_roles(desired: Mapping[ResourceKey, Resource], live: LiveState,
                matched: Mapping[ResourceKey, Resource]) -> list[Problem]:
    """Every problem of the roles config sets (``matched``: desired key -> live user)."""
    users = sorted((r for r in desired.values() if r.kind is Kind.USER and "role" in r.fields),
                   key=lambda r: r.key)
    gone = live.unavailable.get("userroles")
    if not users or (gone is None and not live.has("userroles")):
        return []  # no role in config, or the roles were not read (a hand-built state)
    if gone is not None:
        return [Problem(f"roles cannot be planned: this platform does not list them "
                        f"({missing_endpoint(gone)}); remove role: from the users",
                        *_where(users[0]))]
    names = {role.name.casefold() for role in live.roles}
    listing = ", ".join(sorted((r.name for r in live.roles), key=str.casefold)) or "none"
    problems = [Problem(f'no role named "{r.fields["role"]}" on the platform; roles are: '
                        f"{listing}", *_where(r))
                for r in users if str(r.fields["role"]).casefold() not in names]
    return problems + _token_rights(users, live, matched) + _demotions(users, live, matched)


def _token_rights(users: list[Resource], live: LiveState,
                  matched: Mapping[ResourceKey, Resource]) -> list[Problem]:
    """Only an administrator's token can change a role."""
    changed = [want for want in users if (have := matched.get(want.key)) is not None
               and str(have.fields.get("role") or "").casefold()
               != str(want.fields["role"]).casefold()]
    if not changed or is_admin(live.me.role):
        return []
    return [Problem(f"only an administrator can change a role, and scsync runs with the token of "
                    f"{live.me.email} ({live.me.role or 'no role'}); run it with an "
                    "administrator's token", *_where(changed[0]))]


def _demotions(users: list[Resource], live: LiveState,
               matched: Mapping[ResourceKey, Resource]) -> list[Problem]:
    roles = {r.key: r.fields.get("role") for r in live.of_kind(Kind.USER)}
    demoted = []
    for want in users:
        have = matched.get(want.key)
        if have is None:
            continue
        roles[have.key] = want.fields["role"]
        if is_admin(have.fields.get("role")) and not is_admin(want.fields["role"]):
            demoted.append((want, have))
    problems = [Problem(f"{want.name} is the user whose token scsync runs with; scsync never "
                        "demotes it (the apply would lose the rights it needs); change this "
                        "role in Social Connect, or run scsync with another administrator's "
                        "token", *_where(want))
                for want, have in demoted if have.id == str(live.me.id)]
    if demoted and not any(is_admin(role) for role in roles.values()):
        want = demoted[0][0]
        problems.append(Problem("this plan would leave the account without an administrator; "
                                "keep at least one user with an administrator role",
                                *_where(want)))
    return problems
