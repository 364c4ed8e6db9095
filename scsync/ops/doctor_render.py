"""``scsync doctor``'s output: a text table for people, JSON for scripts (``DoctorReport``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from scsync.ops.doctor import NOT_CHECKED, OK, DoctorReport, EndpointCheck


def _status(check: EndpointCheck) -> str:
    if check.status in (OK, NOT_CHECKED):
        return check.status
    return f"{check.status} ({check.detail})" if check.detail else check.status


def _endpoint(check: EndpointCheck) -> str:
    fields = f" [{', '.join(check.fields)}]" if check.fields else ""
    return f"{check.method:<6} {check.path}{fields}"


def _when(moment: datetime | float | None) -> str:
    if moment is None:
        return "unknown"
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, UTC)
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _head(report: DoctorReport) -> list[str]:
    scopes = " ".join(report.scopes) if report.scopes is not None else "unknown"
    rate = report.rate
    budget = (f"{rate.remaining} of {rate.limit} calls left, the window resets "
              f"{_when(rate.reset_at)}" if rate else "unknown")
    return [f"Account: {report.account_id} ({report.account_name})",
            f"Token:   {report.user}, role {report.role or 'unknown'}, scopes {scopes}, "
            f"expires {_when(report.token_expires_at)}",
            f"Rate:    {budget}", ""]


def _table(report: DoctorReport) -> list[str]:
    rows = [("endpoint", "needed for", "evidence", "platform")]
    rows += [(_endpoint(c), c.needed_for, c.evidence, _status(c)) for c in report.endpoints]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:<{widths[2]}}  {d}".rstrip()
            for a, b, c, d in rows]


def _verdict(report: DoctorReport) -> list[str]:
    failed = [c for c in report.endpoints if c.failed]
    proposed = [c for c in report.endpoints if c.status == NOT_CHECKED
                and c.evidence != "public"]
    lines = [""]
    if failed:
        lines.append(f"Not available: {len(failed)} endpoint{'s' if len(failed) != 1 else ''} "
                     "the config needs: " + ", ".join(f"{c.method} {c.path}" for c in failed)
                     + ". Remove those kinds from the config (or plan others with --target).")
    else:
        lines.append("Every endpoint the config reads is available.")
    if proposed:
        lines.append(f"{len(proposed)} write{'s' if len(proposed) != 1 else ''} the config may "
                     "make use endpoints or fields without public evidence: a first apply "
                     "shows whether this platform takes them.")
    return lines


def render(report: DoctorReport, fmt: str = "text") -> str:
    """The report as ``text`` or ``json``."""
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=2) + "\n"
    return "\n".join([*_head(report), *_table(report), *_verdict(report)]) + "\n"
