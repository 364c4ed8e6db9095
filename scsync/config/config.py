"""The loaded configuration of one account: its settings, its directory and its desired state."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from scsync.config.model_settings import Settings
from scsync.errors import Problem
from scsync.resources import Kind, Resource, ResourceKey


@dataclass(slots=True)
class Config:
    """``settings`` (scsync.yaml), ``root`` (the -C directory), ``desired`` (key -> resource) and
    the ``warnings`` found while loading."""

    root: Path
    settings: Settings
    desired: dict[ResourceKey, Resource]
    warnings: list[Problem] = field(default_factory=list)
    # ``digest()``, computed once (the config cache stores it too); never compared
    digest_value: str | None = field(default=None, init=False, repr=False, compare=False)

    def count(self, kind: Kind) -> int:
        return sum(1 for r in self.desired.values() if r.kind is kind)

    def digest(self) -> str:
        """sha256 over the desired state and ownership/protect/safety, with ``${env:}`` references
        unresolved: reformatting a file or rotating a secret does not change it."""
        if self.digest_value is None:
            self.digest_value = self._digest()
        return self.digest_value

    def _digest(self) -> str:
        objects = sorted(
            [r.kind.value, key.ident, r.name, r.fields, sorted(r.ignore_changes),
             list(r.previous_names)] for key, r in self.desired.items())
        body = {
            "objects": objects,
            "ownership": self.settings.ownership.model_dump(),
            "protect": sorted(self.settings.protect),
            "safety": self.settings.safety.model_dump(),
        }
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()
