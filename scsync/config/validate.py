"""Validation of config objects against their models: the object's key (handle forms, e-mails),
its fields (pydantic; a section's objects in one pass per model, each object on its own only
when a problem needs telling), rules between fields, and ``lifecycle.ignore_changes`` names."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from scsync.config.diagnose import field_path, problems_of, suggest
from scsync.config.handles import profile_name_problem
from scsync.config.model_common import Strict
from scsync.config.model_objects import ProfileGroup, Topic, User
from scsync.config.model_profiles import PROFILE_MODELS
from scsync.config.source import Source
from scsync.config.yamlfast import Path_
from scsync.errors import Problem
from scsync.resources import SOCIAL_LINKS, Kind, address

if TYPE_CHECKING:
    from pydantic import TypeAdapter

_EMAIL_KEY = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_OBJECT_MODELS: dict[Kind, type[Strict]] = {
    Kind.TOPIC: Topic,
    Kind.PROFILE_GROUP: ProfileGroup,
    Kind.USER: User,
}


def model_for(kind: Kind, name: str) -> type[Strict] | None:
    """The model validating object ``name`` of ``kind`` (None for an unknown network)."""
    if kind is Kind.PROFILE:
        return PROFILE_MODELS.get(name.partition("/")[0])
    return _OBJECT_MODELS[kind]


def key_problem(kind: Kind, name: str) -> str | None:
    """Why ``name`` cannot name an object of ``kind``."""
    if kind is Kind.PROFILE:
        return profile_name_problem(name)
    if kind is Kind.USER and not re.match(_EMAIL_KEY, name):
        return f'"{name}" is not an e-mail address; users are named by their e-mail'
    if not name.strip():
        return f"a {kind.noun} name cannot be empty"
    return None


def settable_fields(kind: Kind, model: type[Strict]) -> list[str]:
    """The names ``lifecycle.ignore_changes`` may list for an object validated by ``model``."""
    if kind is Kind.USER:
        return ["social_links", *(f"social_links.{link}" for link in SOCIAL_LINKS)]
    return [f for f in model.model_fields if f not in model.not_settings]


_MANY = 16  # the fewest objects of one model validated in one pass


@functools.cache
def _many(model: type[Strict]) -> TypeAdapter[dict[str, Strict]]:
    from pydantic import TypeAdapter  # here: only a section of _MANY objects of a model needs it

    return TypeAdapter(dict[str, model])  # type: ignore[valid-type]


def validate_models(kind: Kind, objects: dict[str, Any]) -> dict[str, Strict]:
    """The models of a section's objects (name -> data), validated in one pass per model: every
    object of a model whose objects (at least ``_MANY``) all validate; the others are left to
    ``validate_object``, which tells their problems."""
    groups: dict[type[Strict], dict[str, Any]] = {}
    for name, data in objects.items():
        model = model_for(kind, str(name))
        if model is not None:
            groups.setdefault(model, {})[str(name)] = {} if data is None else data
    found: dict[str, Strict] = {}
    for model, group in groups.items():
        if len(group) < _MANY:
            continue  # one by one: cheaper than making the model's adapter
        try:
            found.update(_many(model).validate_python(group))
        except ValidationError:
            continue
    return found


def validate_object(kind: Kind, name: str, data: Any, source: Source, base: Path_,
                    obj: Strict | None = None) -> tuple[Strict | None, list[Problem]]:
    """The validated model of one object and every problem found in it (``obj``: its model
    already validated by ``validate_models``)."""
    bad_key = key_problem(kind, name)
    problems = ([source.problem(bad_key, base, address=address(kind, name), at_key=True)]
                if bad_key else [])
    model = model_for(kind, name) if obj is None else type(obj)
    if model is None:
        return None, problems
    if obj is None:
        try:
            obj = model.model_validate({} if data is None else data)
        except ValidationError as exc:
            return None, problems + problems_of(exc, model, source, base, address(kind, name))
    rules = obj.problems()
    if rules:
        where = address(kind, name)
        problems += [source.problem(message, (*base, *_loc(path)), address=where, field=path)
                     for path, message in rules]
    if obj.lifecycle is not None:  # type: ignore[attr-defined]  # (every model has one)
        problems += _ignore_problems(kind, model, obj, source, base, address(kind, name))
    return (None if bad_key else obj), problems


def _loc(path: str) -> Path_:
    """``"streams[1]"`` -> ``("streams", 1)``; the inverse of ``field_path``."""
    out: list[Any] = []
    for part in path.replace("[", ".[").split("."):
        if part.startswith("["):
            out.append(int(part[1:-1]))
        elif part:
            out.append(part)
    return tuple(out)


def _ignore_problems(kind: Kind, model: type[BaseModel], obj: Strict, source: Source,
                     base: Path_, where: str) -> list[Problem]:
    lifecycle = getattr(obj, "lifecycle", None)
    if lifecycle is None:
        return []
    valid = settable_fields(kind, obj.__class__)
    noun = (f"{getattr(obj, 'network_title', '')} profile" if kind is Kind.PROFILE
            else kind.noun)
    found = []
    for index, item in enumerate(lifecycle.ignore_changes):
        if item not in valid:
            loc = ("lifecycle", "ignore_changes", index)
            message = f'"{item}" is not a field of a {noun}{suggest(item, valid)}'
            found.append(source.problem(message, (*base, *loc), address=where,
                                        field=field_path(loc)))
    return found
