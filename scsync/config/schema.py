"""The JSON Schema of config files, generated from the models (never kept by hand): one schema
for every file, so editors complete and check ``scsync.yaml`` and the object files alike."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from scsync.config.handles import handle_pattern
from scsync.config.model_common import EMAIL_PATTERN, Strict
from scsync.config.model_objects import ProfileGroup, Topic, User
from scsync.config.model_profiles import (
    PROFILE_MODELS,
    FacebookProfile,
    InstagramProfile,
    LivechatProfile,
    TwitterProfile,
    WhatsappProfile,
)
from scsync.config.model_settings import (
    FormatVersion,
    Ownership,
    ProtectAddress,
    Provider,
    Safety,
)
from scsync.schema_docs import DocumentedSchema

SCHEMA_ID = "https://scsync.example/schemas/scsync.schema.json"
AnyProfile = TwitterProfile | FacebookProfile | InstagramProfile | WhatsappProfile | LivechatProfile


class ConfigFile(Strict):
    """A scsync config file: scsync.yaml holds the account settings; any file may hold objects."""

    model_config = ConfigDict(title="scsync configuration")
    scsync: FormatVersion | None = None
    """The config format version (1); scsync.yaml only."""
    provider: Provider | None = None
    """The platform: socialconnect (the real one) or emulator; scsync.yaml only."""
    ownership: Ownership | None = None
    """authoritative or additive per deletable kind; scsync.yaml only."""
    protect: list[ProtectAddress] | None = None
    """Addresses (globs allowed) never deleted; scsync.yaml only."""
    safety: Safety | None = None
    """Thresholds for mass updates and deletes; scsync.yaml only."""
    vars: dict[str, Any] | None = None
    """Variables for *.yaml.j2 templates; scsync.yaml only."""
    profiles: dict[str, AnyProfile] | None = None
    """Profile Manager settings by NETWORK/HANDLE (twitter/ClaraLines)."""
    topics: dict[str, Topic] | None = None
    """Topics by name."""
    profile_groups: dict[str, ProfileGroup] | None = Field(default=None)
    """Profile groups by name (at most 20)."""
    users: dict[str, User] | None = None
    """Users by e-mail: their social links."""


def _profiles_schema(description: str) -> dict[str, Any]:
    """Profiles keyed NETWORK/HANDLE: each network's settings, and only its handle forms."""
    patterns = {f"^{network}/(?:{handle_pattern(network).strip('^$')})$":
                {"$ref": f"#/$defs/{model.__name__}"} for network, model in PROFILE_MODELS.items()}
    return {"description": description, "type": ["object", "null"],
            "patternProperties": patterns, "additionalProperties": False}


def build_schema() -> dict[str, Any]:
    """The config JSON Schema (draft 2020-12)."""
    schema = ConfigFile.model_json_schema(schema_generator=DocumentedSchema)
    props = schema["properties"]
    props["profiles"] = _profiles_schema(props["profiles"].get("description", ""))
    props["users"]["anyOf"][0]["propertyNames"] = {"pattern": EMAIL_PATTERN}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}
