"""Building blocks shared by the config models: the strict base model, custom errors with
human messages, and the field types (colours, URLs, flow buttons, lifecycle) every kind uses."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from scsync.config.secrets import REFERENCE_START

_COLOUR = re.compile(r"^#(?:[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$")
# scheme, host (dotted labels or localhost), optional port, then a path, query or fragment
_URL = re.compile(r"^https?://(?:localhost|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)(?::\d{1,5})?"
                  r"(?:[/?#]\S*)?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def in_schema(**keywords: Any) -> Any:
    """JSON Schema keywords for a type, where the schema can express its rule (the rule itself
    stays in a validator, with a message of our own): editors then flag what validate refuses."""
    return Field(json_schema_extra=keywords)


def any_case(words: Iterable[str]) -> str:
    """A JSON Schema pattern matching any of ``words`` in any case (JSON Schema has no flags)."""
    def fold(word: str) -> str:
        return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in word)
    return "^(?:" + "|".join(fold(w) for w in words) + ")$"


def filled(kind: str) -> dict[str, Any]:
    """A JSON Schema for a value that counts as set: a non-empty list or text, or true."""
    kinds: dict[str, dict[str, Any]] = {"array": {"type": "array", "minItems": 1},
                                        "string": {"type": "string", "minLength": 1},
                                        "true": {"const": True}}
    return kinds[kind]


def when_set(fields: dict[str, str], then: dict[str, Any] | bool) -> dict[str, Any]:
    """``if`` every field of ``fields`` (name -> ``filled`` kind) is set, ``then`` applies."""
    return {"if": {"properties": {name: filled(kind) for name, kind in fields.items()},
                   "required": list(fields)}, "then": then}


def requires(fields: dict[str, str]) -> dict[str, Any]:
    """A JSON Schema that every field of ``fields`` (name -> ``filled`` kind) is set."""
    return {"properties": {name: filled(kind) for name, kind in fields.items()},
            "required": list(fields)}


def fail(message: str) -> PydanticCustomError:
    """An error whose message is shown to the user exactly as written."""
    return PydanticCustomError("scsync", message)


class Strict(BaseModel):
    """Base of every config model: unknown keys are errors, docstrings describe fields."""

    # Built on first use (``defer_build``): a run validates only the kinds its files hold. The
    # field docstrings become the JSON Schema's descriptions in ``scsync.schema_docs``.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, hide_input_in_errors=True,
                              defer_build=True)
    # Field names that ``lifecycle.ignore_changes`` may not name (not settings of the object).
    not_settings: ClassVar[frozenset[str]] = frozenset({"lifecycle", "previous_names"})

    def problems(self) -> list[tuple[str, str]]:
        """Rules between fields, as (field path, message): nothing by default."""
        return []


def _no_reference(value: Any) -> Any:
    if isinstance(value, str) and REFERENCE_START in value:
        raise fail("${env:NAME} references are only allowed in provider secrets "
                   "(token, refresh_token, client_id, client_secret)")
    return value


def _colour(value: str) -> str:
    if not _COLOUR.match(value):
        raise fail(f'"{value}" is not a colour; write a quoted hex colour such as "#6A1B9A"')
    return value


def _url(value: str) -> str:
    if not _URL.match(value):
        raise fail(f'"{value}" is not a URL; write a full http:// or https:// address')
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise fail(f'"{value}" is not an e-mail address')
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise fail("cannot be empty or only white space: the platform requires a text")
    return value


def _flow(value: str) -> str:
    if not value.strip():
        raise fail("a flow name cannot be empty")
    return value


def _flow_id(value: Any) -> Any:
    """``{flow_id: 501}`` -> ``"#501"``: a flow given by its platform id (needed where the
    platform does not list flows), in the form a live flow without a known name takes; the plan
    names it when the flows are read (``scsync.plan.availability``)."""
    if isinstance(value, dict):
        if set(value) != {"flow_id"}:
            raise fail("a flow is its name, or {flow_id: ID} (its platform id) alone")
        ident = value["flow_id"]
        if isinstance(ident, bool) or not isinstance(ident, int) or ident < 1:
            raise fail("flow_id must be the flow's platform id, a positive whole number")
        return f"#{ident}"
    return value


Text = Annotated[str, BeforeValidator(_no_reference),
                 in_schema(**{"not": {"pattern": re.escape(REFERENCE_START)}})]
NonBlank = Annotated[Text, AfterValidator(_not_blank), Field(min_length=1)]
"""Text the platform requires: a label, a question, a name, a required setting."""
Colour = Annotated[str, AfterValidator(_colour), in_schema(pattern=_COLOUR.pattern)]
Url = Annotated[str, AfterValidator(_url), Field(pattern=r"^https?://"),
                in_schema(pattern=_URL.pattern)]
Email = Annotated[str, AfterValidator(_email), in_schema(pattern=_EMAIL.pattern)]
EMAIL_PATTERN = _EMAIL.pattern
FlowId = Annotated[int, Field(ge=1)]
class FlowById(Strict):
    """A flow given by its platform id, where the platform does not list flows by name."""

    flow_id: FlowId
    """The flow's id on the platform."""


FlowName = Annotated[str, BeforeValidator(_flow_id, json_schema_input_type=str | FlowById),
                     AfterValidator(_flow), Field(min_length=1)]


class Lifecycle(Strict):
    """How scsync treats this object beyond its settings."""

    ignore_changes: list[str] = []
    """Fields of this object that scsync never changes (differences are left alone)."""


class FlowButton(Strict):
    """A button: its label and the flow it starts (``flow: NAME`` or
    ``flow: {flow_id: ID}``)."""

    label: NonBlank
    """The text on the button."""
    flow: FlowName
    """The name of the flow the button starts, as the platform names it."""


class IceBreaker(Strict):
    """A question offered before the conversation starts, and the flow it starts (``flow: NAME`` or
    ``flow: {flow_id: ID}``)."""

    question: NonBlank
    """The question shown to the customer."""
    flow: FlowName
    """The name of the flow the question starts."""


class CustomProfile(Strict):
    """A per-agent identity used in private conversations."""

    name: NonBlank
    """The name shown to the customer."""
    avatar: Url
    """The URL of the agent's avatar image."""
