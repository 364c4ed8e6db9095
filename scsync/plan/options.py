"""What a plan is asked to do beyond desired and live state: ownership per kind, protected
addresses, safety thresholds, ``--force``, ``--target`` and the config digest (one value, passed
whole through the planner rather than as a dozen parameters)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Ownership = Literal["authoritative", "additive"]


class Safety(BaseModel):
    """octoDNS-style thresholds: refuse more than ``max_*_ratio`` of at least ``min_existing``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_update_ratio: float = Field(0.3, ge=0, le=1)
    max_delete_ratio: float = Field(0.3, ge=0, le=1)
    min_existing: int = Field(10, ge=0)


class PlanOptions(BaseModel):
    """Everything about a plan that is not desired or live state."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ownership: dict[str, Ownership] = {}
    """Keyed by config section (``topics``, ``profile_groups``); absent means additive."""
    protect: list[str] = []
    """Address globs (fnmatch, case-sensitive) that are never deleted."""
    safety: Safety = Safety.model_validate({})
    force: bool = False
    """Lift the ratio thresholds (never ``protect:``)."""
    targets: list[str] = []
    """Address globs; when given, only matching changes (and the creates they need) are planned."""
    config_digest: str = ""
    token_warning_days: int = 14

    def is_authoritative(self, section: str) -> bool:
        return self.ownership.get(section, "additive") == "authoritative"
