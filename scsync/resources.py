"""The resource vocabulary shared by config, providers and the plan: keys, kinds, networks, and
the per-field comparison that makes a plan converge.

A ``Resource`` is one object of a managed kind as plain, JSON-ready values (never a pydantic model:
50,000 live objects must stay lean). Desired resources come from config (``scsync.config``), live
resources from a provider (``scsync.providers``); both use the same field names and value shapes,
listed per kind below, so the diff is
``compare(kind, field, desired) != compare(kind, field, live)``.

Field shapes (config key names; a desired resource holds only the fields config manages):

profile (``profile.twitter/ClaraLines``)
    color                        str | None          "#6A1B9A"; compared case-insensitively
    twitter:   name, url, location, bio, privacy_policy_url, welcome_message   str | None
               quick_replies, quick_replies_on_every_message   list[{"label", "flow"}]
               custom_profiles list[{"name", "avatar"}]; accept_custom_profile_terms bool
    facebook:  privacy_policy_url, greeting_text  str | None; get_started  str | None (flow name)
               ice_breakers list[{"question", "flow"}]; persistent_menu list[{"label", "flow"}]
               case_creation_rules bool
    instagram: ice_breakers list[{"question", "flow"}]
    whatsapp:  about, avatar_url, address, description, email, vertical  str | None
               websites list[str]
    livechat:  allowlisted_domains list[str] (a set); avatar str | None;
               send_flow_on_start str | None (flow name);
               quick_replies_on_every_message list[{"label", "flow"}]
    Flows are always named (``flow``: the flow's name); providers translate names and ids.
    A live twitter ``bio`` is already expanded (t.co links replaced through ``bio_urls``).
topic (``topic.ClaraLines Care``)
    name str; searchkeywords str | None;
    streams list[{"profile": "facebook/competitorair", "authorized": bool}]  (a set, by profile key)
    live only, per stream: "expired": bool (health, never compared)
profile_group (``profile_group.EMEA``)
    name str; color str | None; profiles list[str] (profile names "twitter/ClaraLines", a set);
    groups list[str] (group names, a set)
user (``user.alice@claralines.example``)
    role str (a role's name, compared case-insensitively)
    social_links.twitter, social_links.facebook, social_links.linkedin, social_links.instagram
    str | None (flattened so that each link is managed on its own)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from scsync.errors import Location


class Kind(StrEnum):
    """The managed kinds, spelt as in plan addresses."""

    PROFILE = "profile"
    TOPIC = "topic"
    PROFILE_GROUP = "profile_group"
    USER = "user"

    @property
    def config_section(self) -> str:
        """The top-level config key holding this kind (``profiles``, ``profile_groups``...)."""
        return f"{self.value}s"

    @property
    def noun(self) -> str:
        """The kind in a message: ``profile group``, ``topic``."""
        return self.value.replace("_", " ")

    @property
    def keyed_by_name(self) -> bool:
        """Topics and profile groups: matched by a ``name`` field of their own, which config may
        change (a rename, through ``previous_names``); scsync creates and deletes them. Profiles
        and users are matched by handle or e-mail and are never created or deleted."""
        return self is Kind.TOPIC or self is Kind.PROFILE_GROUP


# Kinds scsync may delete (and so may be declared authoritative), and kinds scsync creates.
DELETABLE_KINDS = frozenset(kind for kind in Kind if kind.keyed_by_name)
CREATABLE_KINDS = DELETABLE_KINDS
# The most profile groups one account may hold (checked offline and at plan time).
MAX_GROUPS = 20


@dataclass(frozen=True, slots=True)
class Network:
    """A social network as config and the API name it."""

    prefix: str  # config prefix: twitter, facebook, instagram, whatsapp, livechat
    api_type: str  # API ``type``: twitter, facebook, instagram, whatsapp, web
    case_insensitive: bool
    unauthorized_streams: bool


NETWORKS: dict[str, Network] = {
    n.prefix: n
    for n in (
        Network("twitter", "twitter", True, True),
        Network("facebook", "facebook", True, True),
        Network("instagram", "instagram", True, True),
        Network("whatsapp", "whatsapp", False, False),
        Network("livechat", "web", False, False),
    )
}
NETWORK_BY_API_TYPE: dict[str, Network] = {n.api_type: n for n in NETWORKS.values()}


# A plan meets each profile name several times (config, live, streams, group members, checks):
# each distinct name is parsed once.
@functools.cache
def split_profile_name(name: str) -> tuple[Network, str]:
    """``"twitter/ClaraLines"`` -> (twitter, "ClaraLines"); ValueError on an unknown prefix."""
    prefix, sep, handle = name.partition("/")
    if not sep or not handle:
        raise ValueError(f"{name!r} is not NETWORK/HANDLE")
    network = NETWORKS.get(prefix)
    if network is None:
        raise ValueError(f"unknown network {prefix!r}; expected one of {', '.join(NETWORKS)}")
    return network, handle


@functools.cache
def profile_ident(name: str) -> str:
    """The matching form of a profile name: the handle lower-cased where the network says so."""
    network, handle = split_profile_name(name)
    return f"{network.prefix}/{handle.lower() if network.case_insensitive else handle}"


@dataclass(frozen=True, slots=True, order=True)
class ResourceKey:
    """The natural key of a resource: its kind and the matching form of its name.

    Two keys are equal exactly when the platform would consider them the same object
    (case-insensitive handles, lower-cased e-mails). Build keys with ``ResourceKey.of``.
    """

    kind: Kind
    ident: str

    @classmethod
    def of(cls, kind: Kind, name: str) -> ResourceKey:
        if kind is Kind.PROFILE:
            return cls(kind, profile_ident(name))
        if kind is Kind.USER:
            return cls(kind, name.lower())
        return cls(kind, name)


def address(kind: Kind, name: str) -> str:
    """The plan address of an object: ``profile.twitter/ClaraLines``, ``topic.ClaraLines Care``."""
    return f"{kind.value}.{name}"


def parse_address(text: str) -> tuple[Kind, str]:
    """``"topic.ClaraLines Care"`` -> (Kind.TOPIC, "ClaraLines Care"). Raises ValueError (also for
    ``stream.TOPIC/NET/HANDLE``: streams are part of their topic)."""
    kind_text, sep, name = text.partition(".")
    try:
        kind = Kind(kind_text)
    except ValueError:
        raise ValueError(f"{text!r} is not an address (KIND.NAME with KIND one of "
                         f"{', '.join(k.value for k in Kind)})") from None
    if not sep or not name:
        raise ValueError(f"{text!r} is not an address (KIND.NAME)")
    return kind, name


def stream_address(topic: str, profile: str) -> str:
    """``stream.ClaraLines Care/facebook/competitorair`` (parsed from the right: a topic name may
    hold /)."""
    return f"stream.{topic}/{profile}"


def parse_stream_address(text: str) -> tuple[str, str]:
    """``"stream.A/B/facebook/x"`` -> ("A/B", "facebook/x")."""
    body = text.removeprefix("stream.")
    topic, _, rest = body.rpartition("/")
    topic, _, network = topic.rpartition("/")
    return topic, f"{network}/{rest}"


@dataclass(slots=True)
class Resource:
    """One object of a managed kind as plain values (see the module docstring for the fields).

    ``name`` is the spelling shown in plans (config's for desired, the platform's for live).
    ``id`` is the platform id (live only; for profiles ``"{api_type}/{service_id}"``).
    ``locations`` maps a field path (``"bio"``, ``"quick_replies[0].flow"``, ``""`` for the object
    itself) to where config defines it, for plan-time errors; live resources have none.
    """

    kind: Kind
    name: str
    fields: dict[str, Any]
    id: str | None = None
    ignore_changes: frozenset[str] = frozenset()
    previous_names: tuple[str, ...] = ()
    locations: Mapping[str, Location] = field(default_factory=dict)
    _key: tuple[str, ResourceKey] | None = field(default=None, init=False, repr=False,
                                                 compare=False)

    @property
    def key(self) -> ResourceKey:
        """The natural key (kept with the name it was made from: a plan asks for it many times
        per object, and a renamed object gets a new one)."""
        cached = self._key
        if cached is None or cached[0] is not self.name:
            cached = self._key = (self.name, ResourceKey.of(self.kind, self.name))
        return cached[1]

    def keyed(self, key: ResourceKey) -> Resource:
        """This resource, its natural key given (what ``key`` would work out from the name: the
        config cache stores it, so that a hit parses no name again)."""
        self._key = (self.name, key)
        return self

    @property
    def address(self) -> str:
        return address(self.kind, self.name)

    def location(self, path: str = "") -> Location | None:
        """Where config defines ``path`` (falling back to its parent fields, then the object)."""
        while True:
            if path in self.locations:
                return self.locations[path]
            if not path:
                return None
            path = re.sub(r"(\[\d+\]|\.[^.\[]*|^[^.\[]*)$", "", path)


# Profile Manager fields per network prefix, in domain.md's order (``color`` first: every network).
PROFILE_FIELDS: dict[str, tuple[str, ...]] = {
    "twitter": ("color", "name", "url", "location", "bio", "privacy_policy_url",
                "welcome_message", "quick_replies", "quick_replies_on_every_message",
                "custom_profiles", "accept_custom_profile_terms"),
    "facebook": ("color", "privacy_policy_url", "greeting_text", "ice_breakers", "get_started",
                 "persistent_menu", "case_creation_rules"),
    "instagram": ("color", "ice_breakers"),
    "whatsapp": ("color", "about", "avatar_url", "address", "description", "email", "vertical",
                 "websites"),
    "livechat": ("color", "allowlisted_domains", "avatar", "send_flow_on_start",
                 "quick_replies_on_every_message"),
}

# Fields whose value is a set: order never makes a difference.
SET_FIELDS: dict[Kind, frozenset[str]] = {
    Kind.PROFILE: frozenset({"allowlisted_domains"}),
    Kind.TOPIC: frozenset({"streams"}),
    Kind.PROFILE_GROUP: frozenset({"profiles", "groups"}),
    Kind.USER: frozenset(),
}
# Profile fields holding lists of {label|question, flow} items, and fields holding a flow name.
FLOW_LIST_FIELDS = ("quick_replies", "quick_replies_on_every_message", "ice_breakers",
                    "persistent_menu")
FLOW_FIELDS = ("get_started", "send_flow_on_start")
# The links of a user's ``social_links`` (flattened to ``social_links.NAME`` fields).
SOCIAL_LINKS = ("twitter", "facebook", "linkedin", "instagram")
# Fields compared case-insensitively.
CASELESS_FIELDS = frozenset({"color", "vertical", "role"})
# Boolean fields whose absence on the platform means false.
FALSE_DEFAULT_FIELDS = frozenset({"case_creation_rules", "accept_custom_profile_terms"})
# Free-text fields long enough to be shown as a line diff.
LONG_TEXT_FIELDS = frozenset({"bio", "welcome_message", "greeting_text", "about", "description",
                              "searchkeywords"})

_SPACE = re.compile(r"\s+")


def compare_value(kind: Kind, field_name: str, value: Any) -> Any:
    """The form of ``value`` that the diff compares: two values are the same setting exactly when
    their compare forms are equal. Must be applied to both sides; must never be shown to users.

    Empty strings, ``None`` and empty lists are one "unset" value; text is compared with runs of
    white space folded and ends stripped; colours and WhatsApp verticals ignore case; set-valued
    lists ignore order and duplicates; profile names ignore case where the network does.
    """
    if value is None or value == "" or value == [] or value == {}:
        return _unset(field_name)
    if isinstance(value, str):
        text = _fold_space(value)
        if not text:  # white space alone is unset too, or such a diff would never converge
            return _unset(field_name)
        return text.lower() if field_name in CASELESS_FIELDS else text
    if isinstance(value, list):
        items = [_compare_item(kind, field_name, item) for item in value]
        if field_name in SET_FIELDS[kind]:
            return tuple(sorted(set(items), key=repr))
        return tuple(items)
    return value


def _compare_item(kind: Kind, field_name: str, item: Any) -> Any:
    if kind is Kind.TOPIC and field_name == "streams":
        return (profile_ident(item["profile"]), bool(item.get("authorized", True)))
    if kind is Kind.PROFILE_GROUP and field_name == "profiles":
        return profile_ident(item)
    if isinstance(item, dict):
        return tuple(sorted((k, compare_value(kind, k, v)) for k, v in item.items()))
    if isinstance(item, str):
        return _fold_space(item)
    return item


def _unset(field_name: str) -> Any:
    """The compare form of an unset value: ``False`` where absence means false, else ``None``."""
    return False if field_name in FALSE_DEFAULT_FIELDS else None


def _fold_space(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def same_value(kind: Kind, field_name: str, desired: Any, live: Any) -> bool:
    """True when ``desired`` and ``live`` are the same setting (see ``compare_value``)."""
    if desired == live:
        return True
    return bool(compare_value(kind, field_name, desired) == compare_value(kind, field_name, live))
