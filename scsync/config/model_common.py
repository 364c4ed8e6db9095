"""Building blocks shared by the config models: the strict base model, custom errors with
human messages, and the field types (colours, URLs, flow buttons, lifecycle) every kind uses."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from scsync.config.secrets import REFERENCE_START

_COLOUR = re.compile(r"^#(?:[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$")
_URL = re.compile(r"^https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?$|^https?://localhost(?::\d+)?(?:[/?#]\S*)?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


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


def _flow(value: str) -> str:
    if not value.strip():
        raise fail("a flow name cannot be empty")
    return value


Text = Annotated[str, BeforeValidator(_no_reference)]
Colour = Annotated[str, AfterValidator(_colour), Field(pattern=_COLOUR.pattern)]
Url = Annotated[str, AfterValidator(_url), Field(pattern=r"^https?://")]
Email = Annotated[str, AfterValidator(_email)]
FlowName = Annotated[str, AfterValidator(_flow), Field(min_length=1)]


class Lifecycle(Strict):
    """How scsync treats this object beyond its settings."""

    ignore_changes: list[str] = []
    """Fields of this object that scsync never changes (differences are left alone)."""


class FlowButton(Strict):
    """A button: its label and the flow it starts."""

    label: Text
    """The text on the button."""
    flow: FlowName
    """The name of the flow the button starts, as the platform names it."""


class IceBreaker(Strict):
    """A question offered before the conversation starts, and the flow it starts."""

    question: Text
    """The question shown to the customer."""
    flow: FlowName
    """The name of the flow the question starts."""


class CustomProfile(Strict):
    """A per-agent identity used in private conversations."""

    name: Text
    """The name shown to the customer."""
    avatar: Url
    """The URL of the agent's avatar image."""
