"""Factories for planner tests (``make_profile(**overrides)`` and friends), a provider of the real
(pure) call builders, and ``sample_plan()``: a real plan (built through ``make_plan``) holding every
kind of change, gate and health item, for renderer tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from scsync.errors import Location
from scsync.plan.model import Plan
from scsync.plan.options import PlanOptions
from scsync.plan.planner import make_plan
from scsync.providers.base import (
    Account,
    Call,
    ConnectedProfile,
    Flow,
    LiveState,
    Me,
    Page,
    RateBudget,
)
from scsync.providers.calls import CallBuilder
from scsync.resources import Kind, Resource, ResourceKey, split_profile_name

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
ACCOUNT_ID = 1001
FILES = {Kind.PROFILE: "profiles.yaml", Kind.TOPIC: "topics.yaml",
         Kind.PROFILE_GROUP: "groups.yaml", Kind.USER: "users.yaml"}
FLOWS = [Flow(501, "Refund"), Flow(502, "CSAT"), Flow(503, "Baggage"), Flow(504, "Booking"),
         Flow(505, "Welcome"), Flow(506, "Agent Handoff", enabled=False)]


def _locations(kind: Kind, fields: Mapping[str, Any], line: int) -> dict[str, Location]:
    """Config places: the object at LINE:1, each field on the following lines at col 5."""
    path = FILES[kind]
    places = {"": Location(path, line, 1)}
    for i, (key, value) in enumerate(fields.items(), start=1):
        places[key] = Location(path, line + i, 5 + len(key))
        if isinstance(value, list):
            for j, _ in enumerate(value):
                places[f"{key}[{j}]"] = Location(path, line + i, 7 + len(key) + 10 * j)
    return places


def make_resource(kind: Kind, name: str, *, live: bool = False, id: str | None = None,
                  line: int = 1, ignore_changes: Iterable[str] = (),
                  previous_names: Iterable[str] = (), **fields: Any) -> Resource:
    """A desired resource (with config locations) or, with ``live=True``, a live one (with id)."""
    if kind.keyed_by_name:
        fields = {"name": name, **fields}
    return Resource(kind, name, fields, id=(id or _default_id(kind, name)) if live else None,
                    ignore_changes=frozenset(ignore_changes),
                    previous_names=tuple(previous_names),
                    locations={} if live else _locations(
                        kind, {**fields, "previous_names": list(previous_names)}, line))


def _default_id(kind: Kind, name: str) -> str:
    if kind is Kind.PROFILE:
        network, handle = split_profile_name(name)
        return f"{network.api_type}/{handle}"
    return str(abs(hash((kind, name))) % 100000)


def make_profile(name: str = "twitter/ClaraLines", **overrides: Any) -> Resource:
    return make_resource(Kind.PROFILE, name, **overrides)


def make_topic(name: str = "ClaraLines Care", **overrides: Any) -> Resource:
    return make_resource(Kind.TOPIC, name, **overrides)


def make_group(name: str = "EMEA", **overrides: Any) -> Resource:
    return make_resource(Kind.PROFILE_GROUP, name, **overrides)


def make_user(name: str = "alice@claralines.example", **overrides: Any) -> Resource:
    return make_resource(Kind.USER, name, **overrides)


def stream(profile: str, authorized: bool = True, *, expired: bool | None = None
           ) -> dict[str, Any]:
    item: dict[str, Any] = {"profile": profile, "authorized": authorized}
    if expired is not None:
        item["expired"] = expired
    return item


def keyed(resources: Iterable[Resource]) -> dict[ResourceKey, Resource]:
    return {r.key: r for r in resources}


def make_live(resources: Iterable[Resource] = (), *, flows: Iterable[Flow] = FLOWS,
              connected: Iterable[ConnectedProfile] | None = None,
              features: Mapping[str, bool] | None = None, rate: RateBudget | None = None,
              token_expires_at: datetime | None = None, reads: int = 7) -> LiveState:
    """A live state of the ClaraLines account (ops is the token's user, id 1)."""
    return LiveState(
        account=Account(ACCOUNT_ID, "ClaraLines", dict(features or {"profile_groups": True})),
        me=Me(1, "ops@claralines.example", "Ops", "admin", token_expires_at),
        resources=keyed(resources), flows=list(flows),
        connected_profiles=list(default_connected() if connected is None else connected),
        rate=rate, reads=reads, read_at=NOW)


def default_connected() -> list[ConnectedProfile]:
    """ops admins every owned twitter, facebook and instagram page; alice whatsapp and web."""
    return [
        ConnectedProfile(10, 1, "twitter", "7001", "Ops on Twitter", pages=tuple(
            Page("twitter", h, h) for h in ("ClaraLines", "ClaraLinesHelp", "ClaraLinesUK",
                                            "ClaraLinesDE"))),
        ConnectedProfile(11, 1, "facebook", "9001", "Ops on Facebook",
                         pages=(Page("facebook", "claralines", "ClaraLines"),)),
        ConnectedProfile(12, 1, "instagram", "8001", "Ops on Instagram",
                         pages=(Page("instagram", "claralines", "claralines"),)),
        ConnectedProfile(13, 2, "whatsapp", "15551230000", "Alice on WhatsApp",
                         pages=(Page("whatsapp", "15551230000", "ClaraLines"),)),
        ConnectedProfile(14, 2, "livechat", "ClaraLines Web", "Alice on Live Chat",
                         pages=(Page("livechat", "ClaraLines Web", "ClaraLines Web"),)),
    ]


class BuilderProvider:
    """The real call builders (``CallBuilder``: pure) behind the Provider protocol: planner tests
    price and list the very calls ``apply`` would make. Reading and executing are not needed."""

    type_name: ClassVar[str] = "socialconnect"
    secrets: tuple[str, ...] = ()

    def __init__(self, account_id: int = ACCOUNT_ID) -> None:
        self.calls = CallBuilder(account_id)

    def create_call(self, desired: Resource, live: LiveState) -> Call:
        return self.calls.create(desired, live)

    def update_call(self, live_resource: Resource, changed: Mapping[str, Any],
                    desired: Resource, live: LiveState) -> Call:
        return self.calls.update(live_resource, changed, desired, live)

    def delete_call(self, live_resource: Resource) -> Call:
        return self.calls.delete(live_resource)


LONG_BIO_BEFORE = ("Official customer care of ClaraLines. We answer every day from 6am to "
                   "midnight CET. Check https://clarabridge.com/claralines/status for delays.")
LONG_BIO_AFTER = ("Fly the friendly skies of Claraland. Customer care every day, 6am to "
                  "midnight CET. Delays: https://clarabridge.com/claralines/status")


def sample_live() -> LiveState:
    """The live side of ``sample_plan``."""
    topics = [make_topic("Claralines Care", live=True, id="201", searchkeywords="claralines",
                         streams=[stream("twitter/ClaraLines", expired=False),
                                  stream("facebook/claralines", expired=True)]),
              make_topic("Spring Sale", live=True, id="202", searchkeywords="sale", streams=[])]
    topics += [make_topic(f"Old Promo {c}", live=True, id=f"21{i}", searchkeywords=None,
                          streams=[stream("twitter/CompetitorAir", False, expired=False)])
               for i, c in enumerate("ABCD")]
    topics += [make_topic(f"Keep {i}", live=True, id=f"22{i}", searchkeywords=f"keep{i}",
                          streams=[]) for i in range(5)]
    groups = [make_group("EMEA", live=True, id="301", color="#1E88E5",
                         profiles=["twitter/ClaraLines"], groups=[]),
              make_group("Legacy", live=True, id="302", color=None,
                         profiles=["twitter/ClaraLinesHelp"], groups=[])]
    profiles = [make_profile("twitter/ClaraLines", live=True, color="#6a1b9a",
                             bio=LONG_BIO_BEFORE, location="Brussels", welcome_message=None,
                             quick_replies=[]),
                make_profile("twitter/ClaraLinesHelp", live=True, color=None),
                make_profile("twitter/ClaraLinesUK", live=True, color=None),
                make_profile("twitter/ClaraLinesDE", live=True, color=None),
                make_profile("facebook/claralines", live=True, color=None)]
    users = [make_user("ops@claralines.example", live=True, id="1"),
             make_user("Alice@ClaraLines.example", live=True, id="2",
                       **{"social_links.linkedin": "https://linkedin.com/in/alice-old",
                          "social_links.twitter": None})]
    connected = default_connected()
    connected[1] = ConnectedProfile(11, 1, "facebook", "9001", "Ops on Facebook",
                                    pages=(Page("facebook", "claralines", "ClaraLines"),),
                                    missing_permissions=("pages_messaging", "read_insights"))
    connected[3] = ConnectedProfile(13, 2, "whatsapp", "15551230000", "Alice on WhatsApp",
                                    pages=(Page("whatsapp", "15551230000", "ClaraLines"),),
                                    expired=True)
    return make_live([*topics, *groups, *profiles, *users], connected=connected,
                     rate=RateBudget(350, 4, NOW.timestamp() + 1800, 3600),
                     token_expires_at=NOW + timedelta(days=9), reads=9)


def sample_desired() -> dict[ResourceKey, Resource]:
    """The desired side of ``sample_plan``."""
    return keyed([
        make_profile("twitter/ClaraLines", line=1, color="#6A1B9A", bio=LONG_BIO_AFTER,
                     welcome_message="Hi! How can we help?",
                     quick_replies=[{"label": "Refund", "flow": "Refund"},
                                    {"label": "Talk to us", "flow": "Agent Handoff"}],
                     location="Ghent", ignore_changes=["location"]),
        make_topic("ClaraLines Care", line=1, previous_names=["Claralines Care"],
                   searchkeywords="claralines OR \"@ClaraLines\"",
                   streams=[stream("twitter/ClaraLines"), stream("facebook/claralines"),
                            stream("facebook/competitorair", False)]),
        make_topic("Service Channels", line=20, searchkeywords=None,
                   streams=[stream("twitter/ClaraLinesHelp")]),
        *[make_topic(f"Keep {i}", line=30 + 5 * i, searchkeywords=f"keep{i}", streams=[])
          for i in range(5)],
        make_group("EMEA", line=1, color="#00897b", profiles=["twitter/ClaraLines"],
                   groups=["UK"]),
        make_group("UK", line=10, color="#3949AB", profiles=["twitter/ClaraLinesUK"],
                   groups=["London"]),
        make_group("London", line=20, color=None, profiles=["twitter/ClaraLinesDE"],
                   groups=[]),
        make_user("alice@claralines.example", line=1,
                  **{"social_links.linkedin": "https://linkedin.com/in/alice"}),
    ])


def sample_options(**overrides: Any) -> PlanOptions:
    values: dict[str, Any] = {
        "ownership": {"topics": "authoritative", "profile_groups": "authoritative"},
        "protect": ["topic.Spring Sale", "profile_group.EMEA"],
        "config_digest": "0123456789abcdef"}
    return PlanOptions(**(values | overrides))


def sample_plan() -> Plan:
    """A plan with every kind of change, both gates and every health item (created 2026-11-22)."""
    return make_plan(sample_desired(), sample_live(), BuilderProvider(), sample_options(), now=NOW)


def plan_of(desired: Iterable[Resource], live: Iterable[Resource] | LiveState = (),
            **options: Any) -> Plan:
    """``make_plan`` over lists of resources with the real call builders, at ``NOW``."""
    state = live if isinstance(live, LiveState) else make_live(live)
    return make_plan(keyed(desired), state, BuilderProvider(), PlanOptions(**options), now=NOW)
