"""The plan as data: an immutable, secret-free value that renders to text, Markdown, HTML and JSON,
and that ``apply PLANFILE`` executes or refuses as stale. The JSON plan file is this model's own
serialisation; ``schemas/plan.schema.json`` is generated from it (``python -m scsync.plan.model``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from scsync import __version__
from scsync.providers.base import Call
from scsync.schema_docs import DocumentedSchema

FORMAT_VERSION = 2
"""The plan file's format; ``apply PLANFILE`` refuses any other (2: calls carry ``depends_on``)."""

Action = Literal["create", "update", "delete"]


class Frozen(BaseModel):
    """An immutable model that refuses unknown fields (the plan's and the drift report's)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class FieldChange(Frozen):
    """One changed field of an object."""

    path: str
    """The field, as config names it (``bio``, ``social_links.linkedin``, ``streams``)."""
    before: Any = None
    """The live value (``null`` for a create)."""
    after: Any = None
    """The desired value (``null`` for a delete or a cleared field)."""


class Change(Frozen):
    """One object that the plan creates, updates or deletes."""

    address: str
    """The object's plan address, e.g. ``topic.ClaraLines Care``."""
    kind: str
    action: Action
    before: dict[str, Any] | None = None
    """The managed fields as they are live (``null`` for a create)."""
    after: dict[str, Any] | None = None
    """The managed fields as they will be (``null`` for a delete)."""
    fields: list[FieldChange] = []
    precondition: str = "absent"
    """Fingerprint of the live object the change was planned against, or ``absent``."""
    live_id: str | None = None
    """The platform id of the live object (updates and deletes)."""
    renamed_from: str | None = None
    """For a rename declared with ``previous_names``: the live name."""
    blocked: bool = False
    """A delete refused because the object is protected: it is shown but never executed."""


class Unmanaged(Frozen):
    """A live object that config does not describe, left alone because its kind is additive."""

    address: str
    kind: str


class HealthItem(Frozen):
    """Something a reviewer must know that is not a planned change (expired streams first)."""

    kind: Literal["expired_stream", "expired_connected_profile", "missing_permissions",
                  "token_expiry", "rate_limit", "plan_warning", "unavailable"]
    severity: Literal["error", "warning", "info"]
    address: str = ""
    message: str


class Summary(Frozen):
    add: int = 0
    change: int = 0
    destroy: int = 0

    @property
    def total(self) -> int:
        return self.add + self.change + self.destroy

    @classmethod
    def total_of(cls, summaries: list[Summary]) -> Summary:
        """The summed counts of several accounts' plans."""
        return cls(add=sum(s.add for s in summaries), change=sum(s.change for s in summaries),
                   destroy=sum(s.destroy for s in summaries))


class AccountRef(Frozen):
    id: int
    name: str = ""


class RateInfo(Frozen):
    """The rate-limit budget seen while planning, and what the writes will spend of it."""

    limit: int
    remaining: int
    reset_at: datetime | None = None
    window_s: int = 3600


# How a refusal that ``--force`` lifts says so, in errors and in every renderer.
FORCE_HINT = "(use --force to apply anyway)"


class Refusal(Frozen):
    """Why a safety gate refused the plan; ``forceable`` refusals are lifted by ``--force``."""

    reason: str
    forceable: bool


class PlannedCall(Call):
    """One write of the plan, with the earlier writes it must wait for."""

    depends_on: list[int] = []
    """1-based positions in ``calls`` of the calls that must be done first (it refers to an
    object one of them creates, or both touch one name)."""


class Plan(Frozen):
    """Everything ``plan`` found and everything ``apply`` will do, in order."""

    format_version: int = FORMAT_VERSION
    scsync_version: str = __version__
    created_at: datetime
    config_digest: str
    account: AccountRef
    summary: Summary
    refusals: list[Refusal] = []
    """Why apply refuses this plan (first, as in every rendering); none when it may run."""
    forced: bool = False
    """True when ``--force`` lifted threshold refusals."""
    changes: list[Change] = []
    unmanaged: list[Unmanaged] = []
    health: list[HealthItem] = []
    calls: list[PlannedCall] = []
    """The writes apply will make, in order, one per change, each with its dependencies."""
    reads: int = 0
    """How many read calls the plan itself made."""
    apply_reads: int = 0
    """At most how many read calls apply makes itself: the platform read again before the
    writes (stale check) and the written kinds read again after them (verification)."""
    rate: RateInfo | None = None
    live_snapshot: str | None = None
    """Set when planned offline against a snapshot: its file and age."""
    signature: str | None = None
    """``hmac-sha256:HEX`` over the file without it, when ``SCSYNC_PLAN_KEY`` was set."""

    @property
    def is_empty(self) -> bool:
        return not self.changes

    @property
    def refused(self) -> bool:
        """True when a gate stops this plan (protected deletes always; thresholds unless forced)."""
        return any(not r.forceable or not self.forced for r in self.refusals)

    def to_json(self) -> str:
        """The plan file's text (sorted keys are not used: field order is the schema's)."""
        return self.model_dump_json(indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Plan:
        return cls.model_validate_json(text)


def plan_schema() -> dict[str, Any]:
    """The JSON Schema of the plan file."""
    schema = Plan.model_json_schema(mode="serialization", schema_generator=DocumentedSchema)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "scsync plan file"
    return schema


def summary_line(summary: Summary) -> str:
    """``Plan: 1 to add, 2 to change, 0 to destroy.``"""
    return (f"Plan: {summary.add} to add, {summary.change} to change, "
            f"{summary.destroy} to destroy.")


if __name__ == "__main__":
    print(json.dumps(plan_schema(), indent=2))
