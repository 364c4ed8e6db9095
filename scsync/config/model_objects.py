"""Topics with their streams, profile groups and users' social links (domain.md, "Objects")."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, ConfigDict

from scsync.config.handles import NETWORK_TITLES, profile_name_pattern, profile_name_problem
from scsync.config.model_common import Colour, Lifecycle, Strict, Text, Url, fail, in_schema
from scsync.resources import NETWORKS, profile_ident

MAX_GROUP_ITEMS = 20


def _profile_name(value: str) -> str:
    problem = profile_name_problem(value)
    if problem:
        raise fail(problem)
    return value


ProfileName = Annotated[str, AfterValidator(_profile_name),
                        in_schema(pattern=profile_name_pattern())]


def _stream_form(value: Any) -> Any:
    return {"profile": value} if isinstance(value, str) else value


# named here, not spelt out in each annotation (pydantic evaluates an annotation's text)
ProfileNames = Annotated[list[ProfileName], in_schema(maxItems=MAX_GROUP_ITEMS)]
GroupNames = Annotated[list[str], in_schema(maxItems=MAX_GROUP_ITEMS)]
_OWNED_ONLY = "|".join(name for name, network in NETWORKS.items()
                       if not network.unauthorized_streams)


class Stream(Strict):
    """A monitored profile: authorized (a page the account owns) or not (a public page)."""

    model_config = ConfigDict(json_schema_extra={"allOf": [{  # the rule of Topic.problems
        "if": {"properties": {"profile": {"pattern": f"^(?:{_OWNED_ONLY})/"},
                              "authorized": {"const": False}},
               "required": ["profile", "authorized"]},
        "then": False}]})

    profile: ProfileName
    """The monitored profile, NETWORK/HANDLE."""
    authorized: bool = True
    """False for a page the account does not own (not allowed for whatsapp and livechat)."""


StreamItem = Annotated[Stream, BeforeValidator(_stream_form,
                                               json_schema_input_type=ProfileName | Stream)]


class Topic(Strict):
    """A topic: its keyword query and the complete set of its streams."""

    searchkeywords: Text | None = None
    """The keyword search query (null for none)."""
    streams: list[StreamItem] = []
    """The complete set of streams; a bare NETWORK/HANDLE is an authorized stream."""
    previous_names: list[str] = []
    """Names this topic had before: a rename, never delete + create."""
    lifecycle: Lifecycle | None = None
    """Fields scsync leaves alone on this topic."""

    def problems(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        seen: dict[str, int] = {}
        for index, stream in enumerate(self.streams):
            where = f"streams[{index}]"
            network = NETWORKS[stream.profile.partition("/")[0]]
            if not stream.authorized and not network.unauthorized_streams:
                found.append((where, f"{NETWORK_TITLES[network.prefix]} does not allow "
                              "unauthorized streams (authorized: false); only a profile the "
                              "account owns can be tracked"))
            ident = profile_ident(stream.profile)
            if ident in seen:
                found.append((where, f"{stream.profile} is listed twice in this topic "
                              f"(also streams[{seen[ident]}])"))
            seen.setdefault(ident, index)
        return found


class ProfileGroup(Strict):
    """A named set of profiles and other groups (at most 20 items)."""

    color: Colour | None = None
    """The group's colour, a quoted hex colour."""
    profiles: ProfileNames = []
    """Member profiles, NETWORK/HANDLE (resolved against the live account at plan time)."""
    groups: GroupNames = []
    """Member groups by name (groups in config or on the platform); no cycles."""
    previous_names: list[str] = []
    """Names this group had before: a rename, never delete + create."""
    lifecycle: Lifecycle | None = None
    """Fields scsync leaves alone on this group."""

    def problems(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        total = len(self.profiles) + len(self.groups)
        if total > MAX_GROUP_ITEMS:
            found.append(("profiles", f"the group holds {total} items (profiles and groups); "
                          f"a profile group allows at most {MAX_GROUP_ITEMS}"))
        seen: set[str] = set()
        for index, name in enumerate(self.profiles):
            ident = profile_ident(name)
            if ident in seen:
                found.append((f"profiles[{index}]", f"{name} is listed twice in this group"))
            seen.add(ident)
        return found


class SocialLinks(Strict):
    """The user's personal social links: http(s) URLs, each optional (null clears it)."""

    twitter: Url | None = None
    """The user's Twitter URL."""
    facebook: Url | None = None
    """The user's Facebook URL."""
    linkedin: Url | None = None
    """The user's LinkedIn URL."""
    instagram: Url | None = None
    """The user's Instagram URL."""


class User(Strict):
    """A platform user (adopted by e-mail; never created or deleted): role and links managed."""

    role: Text | None = None
    """The user's role, by name (one of the account's roles: admin, agent...); absent: unmanaged."""
    social_links: SocialLinks | None = None
    """The user's social links; absent ones are left as they are."""
    lifecycle: Lifecycle | None = None
    """Fields scsync leaves alone on this user (social_links.linkedin...)."""

