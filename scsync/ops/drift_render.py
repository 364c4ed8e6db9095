"""Drift report renderers: text (for a job's log), Markdown (an issue or a chat message) and HTML
(one self-contained page, the plan's look) from jinja2 templates; JSON from the report model.

``render`` shows one account's report; ``render_many`` several (``scsync drift -C a -C b``), one
section per account headed by its directory, then a ``Total:`` line. Field values are shown as
the plan shows them (``live -> config``), through the plan renderer's field views.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scsync.ops.drift import NO_DRIFT, DriftChange, DriftReport, DriftSummary, summary_line
from scsync.plan.model import HealthItem
from scsync.plan.render import FORMATS, Format, environment, filters
from scsync.plan.render.view import FieldView, field_view

_TEMPLATES = {"text": "drift.txt.j2", "markdown": "drift.md.j2", "html": "drift.html.j2"}


@dataclass(frozen=True, slots=True)
class ChangedView:
    """One object changed outside scsync, its fields shaped as the plan shapes them."""

    change: DriftChange
    kind: str
    name: str
    fields: tuple[FieldView, ...]

    @property
    def width(self) -> int:
        return max((len(f.path) for f in self.fields), default=0)

    @property
    def header(self) -> str:
        """``topic.ClaraLines Care (rename pending from "Claralines Care")``: config renames an
        object that still has its previous name live."""
        if self.change.renamed_from is None:
            return self.change.address
        old = filters.literal(self.change.renamed_from)
        return f"{self.change.address} (rename pending from {old})"


@dataclass(frozen=True, slots=True)
class ReportView:
    """Everything one account's section shows; ``label`` is its directory (several accounts)."""

    label: str | None
    report: DriftReport
    changed: tuple[ChangedView, ...]

    @property
    def summary_line(self) -> str:
        return summary_line(self.report.summary)

    @property
    def expired_streams(self) -> tuple[HealthItem, ...]:
        return tuple(h for h in self.report.expired if h.kind == "expired_stream")

    @property
    def title(self) -> str:
        account = self.report.account
        name = f"{account.name} (account {account.id})" if account.name else \
            f"account {account.id}"
        return f"{name}, checked {self.report.checked_at:%Y-%m-%d %H:%M} UTC"


def report_view(report: DriftReport, label: str | None = None) -> ReportView:
    return ReportView(label=label, report=report,
                      changed=tuple(changed_view(c) for c in report.changed))


def changed_view(change: DriftChange) -> ChangedView:
    kind, _, name = change.address.partition(".")
    fields = tuple(field_view(change.kind, f.path, f.live, f.config) for f in change.fields)
    return ChangedView(change=change, kind=kind, name=name, fields=fields)


def total(reports: Sequence[DriftReport]) -> DriftSummary:
    """The summed counts of several accounts' reports."""
    names = DriftSummary.model_fields
    return DriftSummary(**{n: sum(getattr(r.summary, n) for r in reports) for n in names})


def total_line(summary: DriftSummary) -> str:
    """``Total: Drift: ...`` or ``Total: No drift...``."""
    return f"Total: {summary_line(summary)}"


def render(report: DriftReport, fmt: Format, *, color: bool = False) -> str:
    """One account's drift report in ``fmt``; ``color`` applies to text only (ANSI)."""
    if fmt == "json":
        return report.model_dump_json(indent=2) + "\n"
    return _render_views([report_view(report)], fmt, color=color)


def render_many(reports: Sequence[tuple[str, DriftReport]], fmt: Format, *,
                color: bool = False) -> str:
    """Several accounts' reports, each headed by its directory, then one ``Total:`` line (for
    JSON: ``{"accounts": {dir: report}, "summary": {...}}``)."""
    if fmt == "json":
        document = {"accounts": {label: json.loads(r.model_dump_json()) for label, r in reports},
                    "summary": total([r for _, r in reports]).model_dump(mode="json")}
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    views = [report_view(report, label) for label, report in reports]
    return _render_views(views, fmt, color=color)


def _render_views(views: list[ReportView], fmt: Format, *, color: bool) -> str:
    if fmt not in _TEMPLATES:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    template = environment("scsync.ops", html=fmt == "html").get_template(_TEMPLATES[fmt])
    context: dict[str, Any] = {
        "accounts": views, "many": len(views) > 1 or views[0].label is not None,
        "color": color, "no_drift": NO_DRIFT,
        "total_line": total_line(total([v.report for v in views])),
    }
    return template.render(context)
