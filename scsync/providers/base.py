"""The provider plug-in contract: what every provider reads (``LiveState``) and how it writes
(``Call``s built from resources, then executed).

A provider speaks resources, not plans. The plan asks it which call a change needs
(``create_call`` / ``update_call`` / ``delete_call``: pure, no I/O, so ``plan`` can list and price
every write) and ``apply`` hands those calls back to ``execute``. Overrides must not read per
object: ``read`` uses paged list endpoints only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from scsync.resources import Kind, Resource, ResourceKey


@dataclass(frozen=True, slots=True)
class Flow:
    """An automated reply flow built in the platform (read-only, referenced by name)."""

    id: int
    name: str
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class Page:
    """A social page a connected profile administers (``network`` is the config prefix)."""

    network: str
    service_id: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class ConnectedProfile:
    """A user's OAuth-linked personal social account: what lets authorized streams be added."""

    id: int
    user_id: int
    network: str
    service_id: str
    name: str
    pages: tuple[Page, ...] = ()
    expired: bool = False
    missing_permissions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Role:
    """A user role of the account (``GET /{a}/settings/userroles``)."""

    id: int
    name: str


# The paged lists a read can take: the last segment of ``GET /{a}/settings/NAME``.
LISTS = ("flows", "connectedprofiles", "profiles", "topics", "profilegroups", "users",
         "userroles")
# The list that holds each kind's live objects.
KIND_LISTS: dict[Kind, str] = {Kind.PROFILE: "profiles", Kind.TOPIC: "topics",
                               Kind.PROFILE_GROUP: "profilegroups", Kind.USER: "users"}


@dataclass(frozen=True, slots=True)
class Unavailable:
    """A list the platform does not offer: it answered ``error`` (not_found or
    invalid_http_method) to ``GET path``."""

    list: str
    path: str
    error: str

    @property
    def endpoint(self) -> str:
        return f"GET {self.path}"


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    name: str
    features: Mapping[str, bool] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Me:
    """The token's user, and the token's expiry when the platform tells it."""

    id: int
    email: str
    name: str = ""
    role: str = ""
    token_expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RateBudget:
    """The rate-limit window as last reported by ``X-RateLimit-*`` headers."""

    limit: int
    remaining: int
    reset_at: float  # unix time
    window_s: int


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One settings-history entry: who changed which object, when, and what."""

    date: datetime
    user_id: int | None
    user_name: str
    type: str
    object_type: str
    object_id: str
    object_name: str
    changes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class LiveState:
    """Everything a plan needs from the platform, read with paged list calls only."""

    account: Account
    me: Me
    resources: dict[ResourceKey, Resource]
    flows: list[Flow] = field(default_factory=list)
    connected_profiles: list[ConnectedProfile] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    # the lists read (None: every list, as a state built by hand has) and those the platform
    # does not offer (list name -> what it answered)
    read_lists: frozenset[str] | None = None
    unavailable: dict[str, Unavailable] = field(default_factory=dict)
    # the account's projects as ``/me/accounts`` gives them, less their ``topics`` (read on their
    # own, as resources)
    projects: list[Mapping[str, Any]] = field(default_factory=list)
    rate: RateBudget | None = None
    reads: int = 0
    read_at: datetime | None = None
    # profile ident -> key, for matching config handles against usernames *and* service ids
    profile_aliases: dict[str, ResourceKey] = field(default_factory=dict)
    # profile ident -> the platform's display name (not a setting: shown in exports, never compared)
    display_names: dict[str, str] = field(default_factory=dict)
    # built on first use by ``scsync.providers.pages`` (page -> connected profiles), never compared
    page_index: Any = field(default=None, repr=False, compare=False)
    # built on first use by ``of_kind`` (its resources, their count, kind -> resources), never
    # compared: a plan asks for one kind's objects many times (a stream's admin, per new stream)
    kind_index: Any = field(default=None, repr=False, compare=False)

    def has(self, name: str) -> bool:
        """True when the list ``name`` (``flows``, ``profiles``...) was read."""
        return name not in self.unavailable and (self.read_lists is None
                                                 or name in self.read_lists)

    def of_kind(self, kind: Kind) -> Iterable[Resource]:
        """The live resources of ``kind``, in read order. The objects are sorted by kind once
        (again only if ``resources`` is replaced or changes size: a read's objects are not
        changed once read)."""
        resources, index = self.resources, self.kind_index
        if index is None or index[0] is not resources or index[1] != len(resources):
            by_kind: dict[Kind, list[Resource]] = {}
            for resource in resources.values():
                by_kind.setdefault(resource.kind, []).append(resource)
            self.kind_index = index = (resources, len(resources), by_kind)
        return list(index[2].get(kind, ()))

    def find(self, key: ResourceKey) -> Resource | None:
        """The live resource for ``key``; profiles also match by service id."""
        found = self.resources.get(key)
        if found is None and key.kind is Kind.PROFILE:
            alias = self.profile_aliases.get(key.ident)
            found = self.resources.get(alias) if alias else None
        return found


class Call(BaseModel):
    """One write, as the plan lists it and apply executes it.

    ``form`` holds the decoded values of the form fields (``{"updates": {...}}``); each is
    JSON-encoded when sent. Where an id is not known until an earlier call of the same apply
    creates it, the value is ``{"ref": ADDRESS}`` (in ``form`` or as the ``path``'s id).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: Literal["POST", "DELETE"]
    path: str
    form: dict[str, Any] = {}
    address: str
    action: Literal["create", "update", "delete"]


class Provider(Protocol):
    """A platform the reconciler can read and write."""

    type_name: ClassVar[str]
    secrets: tuple[str, ...]  # every secret the provider holds, for redaction at the boundary

    def read(self, kinds: frozenset[Kind] | None = None, *,
             lists: frozenset[str] | None = None) -> LiveState:
        """The live state of ``kinds`` (all when None), plus flows, connected profiles, account.
        ``lists`` (names of ``LISTS``), when given, are exactly the lists read. A list the
        platform does not offer is recorded in ``LiveState.unavailable``, not raised."""
        ...

    def create_call(self, desired: Resource, live: LiveState) -> Call: ...

    def update_call(self, live_resource: Resource, changed: Mapping[str, Any],
                    desired: Resource, live: LiveState) -> Call:
        """The one call that sets ``changed`` (field -> desired value) and nothing else."""
        ...

    def delete_call(self, live_resource: Resource) -> Call: ...

    def execute(self, call: Call, ids: Mapping[str, str]) -> str | None:
        """Send ``call`` with ``{"ref": ADDRESS}`` replaced from ``ids`` (address -> platform id);
        returns the platform id of a created object."""
        ...

    def history(self, since: datetime | None = None,
                object_ids: Iterable[str] = ()) -> list[HistoryEntry]: ...

    def close(self) -> None: ...
