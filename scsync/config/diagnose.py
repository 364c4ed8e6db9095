"""Turns pydantic's validation errors into the one error form of domain.md, in the user's words:
``PATH:LINE:COL: ADDRESS FIELD: MESSAGE``, with the line and column of the value (of the key when
the key itself is wrong) taken from the loader's source map."""

from __future__ import annotations

import difflib
import typing
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from scsync.config.source import Source
from scsync.errors import Problem

Loc = tuple[Any, ...]


def field_path(loc: Sequence[Any]) -> str:
    """``("quick_replies", 0, "flow")`` -> ``"quick_replies[0].flow"``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def describe(value: Any) -> str:
    """How a wrong value reads in a message."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def suggest(word: str, choices: Sequence[str]) -> str:
    """``; did you mean "x"?`` for the nearest choice, or nothing."""
    near = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f'; did you mean "{near[0]}"?' if near else ""


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is None:
        return None
    if origin is typing.Annotated:
        return _inner_model(typing.get_args(annotation)[0])
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model that validates the mapping at ``loc`` (list indexes skipped)."""
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        info = current.model_fields.get(part)
        if info is None:
            return None
        current = _inner_model(info.annotation)
    return current


def _title(model: type[BaseModel]) -> str:
    return str(getattr(model, "network_title", "") or "")


Rewrite = Callable[[dict[str, Any], str, type[BaseModel]], str]


def _missing(err: dict[str, Any], name: str, model: type[BaseModel]) -> str:
    title = _title(model)
    if title:
        return f"{name} is required on every {title} profile"
    if model.__name__ == "Settings":
        return f"{name} is required in scsync.yaml"
    return f"{name} is required"


def _too_long(err: dict[str, Any], name: str, model: type[BaseModel]) -> str:
    ctx = err.get("ctx", {})
    who = _title(model) or "the platform"
    if isinstance(err.get("input"), str) or err["type"] == "string_too_long":
        return f"{name} is {len(err['input'])} characters; {who} allows {ctx.get('max_length')}"
    return f"{name} holds {ctx.get('actual_length')} items; {who} allows at most " \
           f"{ctx.get('max_length')}"


def _literal(err: dict[str, Any], name: str, model: type[BaseModel]) -> str:
    expected = str(err.get("ctx", {}).get("expected", "")).replace("'", '"')
    return f"expected {expected}, got {describe(err.get('input'))}"


def _pattern(err: dict[str, Any], name: str, model: type[BaseModel]) -> str:
    if name.endswith("version"):
        return f"{describe(err.get('input'))} is not a date; write the version as YYYYMMDD"
    return f"{describe(err.get('input'))} is not in the expected form"


def _union_tag(err: dict[str, Any], name: str, model: type[BaseModel]) -> str:
    expected = str(err.get("ctx", {}).get("expected_tags", "")).replace("'", "")
    if err["type"] == "union_tag_not_found":
        return f"the provider needs a type: {expected.replace(', ', ' or ')}"
    tag = err.get("ctx", {}).get("tag")
    return f'unknown provider type "{tag}"; use {expected.replace(", ", " or ")}'


def _typed(expected: str, hint: str = "") -> Rewrite:
    def rewrite(err: dict[str, Any], name: str, model: type[BaseModel]) -> str:
        value = err.get("input")
        extra = hint if isinstance(value, str) or expected == "text" else ""
        if expected == "text" and isinstance(value, bool | int | float):
            extra = "; quote it to make it text"
        return f"expected {expected}, got {describe(value)}{extra}"
    return rewrite


def _bound(word: str) -> Rewrite:
    def rewrite(err: dict[str, Any], name: str, model: type[BaseModel]) -> str:
        ctx = err.get("ctx", {})
        limit = next(iter(ctx.values()), "")
        return f"{name} must be {word} {limit}, got {describe(err.get('input'))}"
    return rewrite


_REWRITES: dict[str, Rewrite] = {
    "missing": _missing,
    "too_long": _too_long,
    "string_too_long": _too_long,
    "literal_error": _literal,
    "string_pattern_mismatch": _pattern,
    "union_tag_invalid": _union_tag,
    "union_tag_not_found": _union_tag,
    "string_type": _typed("text"),
    "bool_type": _typed("true or false", " (only true and false are booleans)"),
    "int_type": _typed("a whole number"),
    "float_type": _typed("a number"),
    "list_type": _typed("a list"),
    "dict_type": _typed("a mapping"),
    "model_type": _typed("a mapping of settings"),
    "model_attributes_type": _typed("a mapping of settings"),
    "greater_than_equal": _bound("at least"),
    "greater_than": _bound("greater than"),
    "less_than_equal": _bound("at most"),
    "less_than": _bound("less than"),
    "too_short": lambda err, name, model: f"{name} cannot be empty",
    "string_too_short": lambda err, name, model: f"{name} cannot be empty",
}


def _strip_tags(loc: Loc) -> Loc:
    """Drop the discriminator tags pydantic puts in union locations (provider.emulator.path)."""
    out = list(loc)
    if len(out) > 1 and out[0] == "provider" and out[1] in ("socialconnect", "emulator"):
        del out[1]
    return tuple(out)


def message_for(err: dict[str, Any], model: type[BaseModel], loc: Loc) -> str:
    """The user's-words message of one pydantic error."""
    kind = err["type"]
    name = str(next((p for p in reversed(loc) if isinstance(p, str)), "value"))
    if kind == "extra_forbidden":
        return unknown_key(model_at(model, loc[:-1]), name)
    if kind == "scsync":
        return str(err["msg"])
    rewrite = _REWRITES.get(kind)
    parent = model_at(model, loc[:-1]) or model
    if isinstance(loc[-1:] and loc[-1], int):
        name = field_path(loc)  # a list item: "websites[0]"
    return rewrite(err, name, parent) if rewrite else str(err["msg"])


def unknown_key(model: type[BaseModel] | None, key: str) -> str:
    """``unknown key; did you mean "welcome_message"?`` (or where the key does belong)."""
    if model is None:
        return "unknown key"
    title = _title(model)
    if title:
        from scsync.config.model_profiles import PROFILE_MODELS

        owners = [m.network_title for m in PROFILE_MODELS.values() if key in m.model_fields]
        not_settings: frozenset[str] = getattr(model, "not_settings", frozenset())
        hint = suggest(key, [f for f in model.model_fields if f not in not_settings])
        if owners and not hint:
            return f"{key} is a {' and '.join(owners)} setting; {title} profiles do not have it"
        return f"unknown key for a {title} profile{hint}"
    return f"unknown key{suggest(key, list(model.model_fields))}"


def problems_of(error: ValidationError, model: type[BaseModel], source: Source,
                base: Loc, address: str) -> list[Problem]:
    """Every error of ``error`` as a located ``Problem`` (the object lives at ``base``)."""
    found = []
    for err in error.errors():
        loc = _strip_tags(tuple(err["loc"]))
        message = message_for(dict(err), model, loc)
        at_key = err["type"] in ("extra_forbidden", "missing")
        where = loc[:-1] if err["type"] == "missing" else loc
        found.append(source.problem(message, (*base, *where), address=address,
                                    field=field_path(loc), at_key=at_key))
    return found

