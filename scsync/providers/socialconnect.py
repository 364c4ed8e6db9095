"""The ``socialconnect`` provider: reads the live state of an account with paged list calls only
and writes one call per changed object, over an ``ApiClient`` (``platform-api.md``).

It speaks resources, not plans: ``read``; the pure call builders ``create_call``, ``update_call``,
``delete_call`` (``scsync.providers.calls``); and ``execute``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from scsync.errors import NotFoundError, ProviderError
from scsync.providers import parse
from scsync.providers.base import (
    KIND_LISTS,
    LISTS,
    Account,
    Call,
    HistoryEntry,
    LiveState,
    Unavailable,
)
from scsync.providers.calls import CallBuilder, resolve_path, resolve_refs
from scsync.providers.http import ApiClient
from scsync.resources import Kind, Resource, profile_ident

logger = logging.getLogger(__name__)

# Kinds whose reading needs the live profiles (streams and groups name them).
_NEEDS_PROFILES = frozenset({Kind.PROFILE, Kind.TOPIC, Kind.PROFILE_GROUP})
# What a platform answers for an endpoint it does not offer.
UNAVAILABLE_ERRORS = ("not_found", "invalid_http_method")


def default_lists(kinds: frozenset[Kind] | None) -> frozenset[str]:
    """Every list reading ``kinds`` (all when None) may need: flows and connected profiles, and
    the profiles whenever topics or groups are read (their streams and members name them). The
    user roles only when asked for (``lists``): plans of a ``role:`` need them."""
    kinds = frozenset(Kind) if kinds is None else frozenset(kinds)
    lists = {"flows", "connectedprofiles", *(KIND_LISTS[k] for k in kinds)}
    if kinds & _NEEDS_PROFILES:
        lists.add("profiles")
    return frozenset(lists)


def _unproven(exc: NotFoundError, method: str, path: str) -> NotFoundError:
    """``exc``, saying so when the endpoint has no public evidence (the platform may lack it)."""
    from scsync.providers import apispec  # read only when a write is refused

    operation = apispec.find(method, path)
    if operation is None or operation.evidence != "proposed":
        return exc
    return NotFoundError(f"{exc} ({method} {operation.path} has no public evidence: this "
                         "platform may not offer it; `scsync doctor` lists what the config "
                         "needs)", exc.response)


def unavailable_error(exc: ProviderError) -> str | None:
    """The error id when ``exc`` says the platform does not offer the endpoint, else None."""
    info = exc.response
    if info is None:
        return None
    if info.error_id in UNAVAILABLE_ERRORS:
        return info.error_id
    return {404: "not_found", 405: "invalid_http_method"}.get(info.status or 0)


class SocialConnectProvider:
    """A Social Connect account (``account_id``) over ``client``.

    ``read`` (by default) returns the profiles too whenever topics or profile groups are read,
    since their streams and members refer to them.
    """

    type_name: ClassVar[str] = "socialconnect"

    def __init__(self, client: ApiClient, account_id: int, *,
                 on_close: Callable[[], None] | None = None) -> None:
        self.client = client
        self.account_id = int(account_id)
        self.calls = CallBuilder(self.account_id)
        self._on_close = on_close
        self._extra_secrets: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(account_id={self.account_id}, {self.client!r})"

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret the provider holds (refreshed tokens included), for redaction."""
        return (*self.client.secrets, *self._extra_secrets)

    @secrets.setter
    def secrets(self, values: tuple[str, ...]) -> None:
        self._extra_secrets = tuple(values)

    def _path(self, *parts: str) -> str:
        return "/" + "/".join((str(self.account_id), "settings", *parts))

    # -- reading -----------------------------------------------------------------------------

    def read(self, kinds: frozenset[Kind] | None = None, *,
             lists: frozenset[str] | None = None) -> LiveState:
        """The live state of ``kinds`` (all when None): one paged list per kind, none per object.
        ``lists``, when given, are exactly the lists read (``default_lists`` otherwise).

        After ``/me`` and ``/me/accounts``, the lists are independent: they are fetched
        concurrently (``ApiClient.prefetch``) and parsed in ``LISTS`` order as their pages
        arrive, so the first error by that order is the one raised. Topics and users, which
        name nothing read before them, are parsed by the thread that fetches them (the main
        thread is busy with the profiles meanwhile), and added in that order too. A list the
        platform answers ``not_found`` or ``invalid_http_method`` is recorded in
        ``live.unavailable``.
        """
        wanted = default_lists(kinds) if lists is None else frozenset(lists)
        start = self.client.reads
        me = parse.parse_me(self.client.get("/me"))
        account, projects = self.find_account()
        # the projects' own topics (every topic, each with its monitored profiles) are not kept:
        # the topics list is read on its own
        projects = [{k: v for k, v in p.items() if k != "topics"} if isinstance(p, dict) else p
                    for p in projects]
        live = LiveState(account=account, me=me, resources={}, projects=projects)
        if not self._has_groups(account):
            wanted -= {"profilegroups"}
        names = [name for name in LISTS if name in wanted]
        shared = parse.Shared()  # one copy of each repeated text, flow item, stream
        parsers = {self._path("topics"): lambda page: [parse.parse_topic(t, shared)
                                                       for t in page],
                   self._path("users"): lambda page: [parse.parse_user(u) for u in page]}
        with self.client.prefetch([self._path(n) for n in names], parsers) as fetched:
            self._read_lists(live, lambda name: self._offered(live, name, fetched.pages), names,
                             shared)
        live.read_lists = frozenset(names) - set(live.unavailable)
        live.rate = self.client.rate
        live.reads = self.client.reads - start
        live.read_at = self._now()
        logger.debug("read %d objects of account %s in %d calls", len(live.resources),
                     self.account_id, live.reads)
        return live

    def _offered(self, live: LiveState, name: str,
                 pages: Callable[[str], Iterator[list[Any]]]) -> Iterator[list[Any]]:
        """The pages of list ``name``; none, recorded as unavailable, when the platform does
        not offer it."""
        path = self._path(name)
        try:
            yield from pages(path)
        except ProviderError as exc:
            error = unavailable_error(exc)
            if error is None:
                raise
            logger.info("GET %s is not available on this platform (%s)", path, error)
            live.unavailable[name] = Unavailable(name, path, error)

    def _read_lists(self, live: LiveState, pages: Callable[[str], Iterator[list[Any]]],
                    names: list[str], shared: parse.Shared) -> None:
        """Parse the lists ``names`` into ``live``: ``pages`` gives the topics' and users' pages
        parsed (``Resource``s), the others' as the API sends them."""
        if "flows" in names:
            live.flows = [parse.parse_flow(f) for page in pages("flows") for f in page]
        if "connectedprofiles" in names:
            live.connected_profiles = [parse.parse_connected_profile(c, shared)
                                       for page in pages("connectedprofiles") for c in page]
        members: dict[tuple[str, str], str] = {}  # (API type, service id) -> profile name
        if "profiles" in names:
            flows = {f.id: f.name for f in live.flows}
            for page in pages("profiles"):
                self._add_profiles(live, page, flows, shared, members)
        if "topics" in names:
            self._add(live, (topic for page in pages("topics") for topic in page))
        if "profilegroups" in names:
            bodies = [g for page in pages("profilegroups") for g in page]
            self._add_groups(live, members, bodies)
        if "users" in names:
            self._add(live, (user for page in pages("users") for user in page))
        if "userroles" in names:
            live.roles = [parse.parse_role(r) for page in pages("userroles") for r in page]

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.client.now(), tz=UTC)

    def find_account(self) -> tuple[Account, list[Mapping[str, Any]]]:
        """This account and its projects, from ``/me/accounts``."""
        return parse.parse_account(self.account_body())

    def account_body(self) -> Mapping[str, Any]:
        """The account's item of ``/me/accounts`` as the API gives it (features, projects)."""
        for page in self.client.pages("/me/accounts"):
            for item in page:
                if str(item.get("id")) == str(self.account_id):
                    return dict(item)
        raise ProviderError(f"account {self.account_id} is not among the accounts this token "
                            "can use; check provider.account_id and the token's user")

    @staticmethod
    def _has_groups(account: Account) -> bool:
        return bool(account.features.get("profile_groups", True))

    @staticmethod
    def _add(live: LiveState, resources: Iterable[Resource]) -> None:
        for resource in resources:
            live.resources[resource.key] = resource

    @staticmethod
    def _add_profiles(live: LiveState, bodies: list[Mapping[str, Any]], flows: Mapping[int, str],
                      shared: parse.Shared, members: dict[tuple[str, str], str]) -> None:
        """Parse a page of profiles into ``live``, and note each one's name in ``members`` (the
        groups name their members by type and service id): the page is not kept."""
        resources, aliases = live.resources, live.profile_aliases
        display_names = live.display_names
        for body in bodies:
            resource = parse.parse_profile(body, flows, shared)
            key = resource.key
            resources[key] = resource
            api_type, service_id = str(body["type"]), str(body["service_id"])
            aliases[profile_ident(f"{parse.prefix_of(api_type)}/{service_id}")] = key
            display_names[key.ident] = shared.text(str(body.get("displayname") or ""))
            members[(api_type, service_id)] = resource.name

    def _add_groups(self, live: LiveState, members: Mapping[tuple[str, str], str],
                    bodies: list[Mapping[str, Any]]) -> None:
        groups = {str(g["id"]): str(g["name"]) for g in bodies}
        self._add(live, (parse.parse_profile_group(g, members, groups) for g in bodies))

    def history(self, since: datetime | None = None,
                object_ids: Iterable[str] = ()) -> list[HistoryEntry]:
        """Settings-history entries since ``since`` (of ``object_ids`` only, when given)."""
        params: dict[str, Any] = {}
        if since is not None:
            params["date_from"] = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        wanted = {str(i) for i in object_ids}
        entries = [parse.parse_history(e)
                   for e in self.client.get_all(self._path("history"), params)]
        return sorted((e for e in entries if not wanted or e.object_id in wanted),
                      key=lambda e: e.date)

    # -- writing -----------------------------------------------------------------------------

    def create_call(self, desired: Resource, live: LiveState) -> Call:
        return self.calls.create(desired, live)

    def update_call(self, live_resource: Resource, changed: Mapping[str, Any],
                    desired: Resource, live: LiveState) -> Call:
        return self.calls.update(live_resource, changed, desired, live)

    def delete_call(self, live_resource: Resource) -> Call:
        return self.calls.delete(live_resource)

    def execute(self, call: Call, ids: Mapping[str, str]) -> str | None:
        """Send ``call`` with its references filled in from ``ids``; the created id, if any.

        A create is never retried after a failure that may have taken effect: the error is
        raised with ``ambiguous`` set, and the caller re-reads before trying again.
        """
        path, form = resolve_path(call.path, ids), resolve_refs(call.form, ids)
        logger.debug("%s %s (%s %s)", call.method, path, call.action, call.address)
        try:
            if call.method == "DELETE":
                self.client.delete(path)
                return None
            body = self.client.post(path, form, idempotent=call.action != "create")
        except NotFoundError as exc:
            raise _unproven(exc, call.method, path) from None
        if call.action == "create" and isinstance(body, dict) and body.get("id") is not None:
            return str(body["id"])
        return None

    def close(self) -> None:
        self.client.close()
        if self._on_close is not None:
            self._on_close()

