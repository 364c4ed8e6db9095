"""Validated models -> desired ``Resource``s with exactly the field shapes of
``scsync.resources``: profiles and users carry only the fields config manages (absent means
unmanaged; explicit null/[] kept as None/[]), topics and groups carry every field.

Each resource can tell the locations later checks need (the object, its fields, flow
references, stream profiles, group members): ``Locations`` works them out from the file's source
map when first asked, which for a plan without problems is never."""

from __future__ import annotations

from typing import Any

from scsync.config.locations import Locations
from scsync.config.model_common import Strict
from scsync.config.model_objects import ProfileGroup, Topic, User
from scsync.config.source import Source
from scsync.resources import SOCIAL_LINKS, Kind, Resource

_NONE: frozenset[str] = frozenset()  # shared by every object that ignores no changes


def _profile_fields(obj: Strict) -> dict[str, Any]:
    # the given fields in the model's order, nested models as plain dicts, in one call
    return obj.model_dump(include=obj.model_fields_set, exclude=set(obj.not_settings))


def _topic_fields(name: str, obj: Topic) -> dict[str, Any]:
    streams = [{"profile": s.profile, "authorized": s.authorized} for s in obj.streams]
    return {"name": name, "searchkeywords": obj.searchkeywords, "streams": streams}


def _group_fields(name: str, obj: ProfileGroup) -> dict[str, Any]:
    return {"name": name, "color": obj.color, "profiles": list(obj.profiles),
            "groups": list(obj.groups)}


def _user_fields(obj: User) -> dict[str, Any]:
    fields: dict[str, Any] = {"role": obj.role} if obj.role is not None else {}
    if "social_links" not in obj.model_fields_set:
        return fields
    links = obj.social_links
    if links is None:
        return {**fields, **{f"social_links.{link}": None for link in SOCIAL_LINKS}}
    return {**fields, **{f"social_links.{link}": getattr(links, link) for link in SOCIAL_LINKS
                         if link in links.model_fields_set}}


def fields_of(kind: Kind, name: str, obj: Strict) -> dict[str, Any]:
    """The resource fields of a validated object."""
    if isinstance(obj, Topic):
        return _topic_fields(name, obj)
    if isinstance(obj, ProfileGroup):
        return _group_fields(name, obj)
    if isinstance(obj, User):
        return _user_fields(obj)
    return _profile_fields(obj)


def _ignored(kind: Kind, obj: Strict) -> frozenset[str]:
    lifecycle = getattr(obj, "lifecycle", None)
    if lifecycle is None:
        return _NONE
    names = set(lifecycle.ignore_changes)
    if kind is Kind.USER and "social_links" in names:
        names.discard("social_links")
        names.update(f"social_links.{link}" for link in SOCIAL_LINKS)
    return frozenset(names)


def build(kind: Kind, name: str, obj: Strict, source: Source) -> Resource:
    """The desired resource of validated object ``name`` of ``kind`` in ``source``."""
    fields = fields_of(kind, name, obj)
    previous = tuple(obj.__dict__.get("previous_names", ()))  # (not a field of every model)
    return Resource(kind=kind, name=name, fields=fields, ignore_changes=_ignored(kind, obj),
                    previous_names=previous,
                    locations=Locations(kind, fields, previous, source, name))
