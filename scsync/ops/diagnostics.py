"""``validate`` for machines: every problem as a diagnostic in one JSON document
(``--format json``, schema in ``schemas/validate.schema.json``) or as GitHub Actions workflow
commands (``--format github``) that GitHub shows as annotations on the pull request's lines.

Pure functions over ``Problem``s; the CLI prints what they return. ``python -m
scsync.ops.diagnostics`` prints the JSON Schema of the document."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from scsync.errors import Problem

FORMAT_VERSION = 1


class Diagnostic(BaseModel):
    """One problem; ``file``, ``line`` and ``column`` are null for a problem of no file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    severity: Literal["error", "warning"]
    file: str | None
    line: int | None
    column: int | None
    address: str
    field: str
    message: str


class AccountResult(BaseModel):
    """An account directory that validated, with its object counts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dir: str
    counts: dict[str, int]


class ValidateReport(BaseModel):
    """What ``scsync validate --format json`` prints."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format_version: int = FORMAT_VERSION
    valid: bool
    error_count: int
    warning_count: int
    diagnostics: list[Diagnostic]
    accounts: list[AccountResult]


def diagnostic(problem: Problem) -> Diagnostic:
    loc = problem.location
    return Diagnostic(severity="warning" if problem.warning else "error",
                      file=loc.path if loc else None, line=loc.line if loc else None,
                      column=loc.col if loc else None, address=problem.address,
                      field=problem.field, message=problem.message)


def report(problems: Sequence[Problem], accounts: Sequence[AccountResult]) -> ValidateReport:
    """The document for ``problems`` (errors and warnings, in file order) and the valid accounts."""
    ordered = sorted(problems, key=Problem.sort_key)
    errors = sum(1 for p in ordered if not p.warning)
    return ValidateReport(valid=errors == 0, error_count=errors,
                          warning_count=len(ordered) - errors,
                          diagnostics=[diagnostic(p) for p in ordered], accounts=list(accounts))


def to_json(problems: Sequence[Problem], accounts: Sequence[AccountResult]) -> str:
    return report(problems, accounts).model_dump_json(indent=2) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(problem: Problem) -> str:
    """``::error file=F,line=L,col=C,title=scsync validate::ADDRESS FIELD: MESSAGE`` (GitHub's
    escaping applied, so a message can never start a command of its own)."""
    level = "warning" if problem.warning else "error"
    loc = problem.location
    props = [f"file={_escape_property(loc.path)}", f"line={loc.line}", f"col={loc.col}"] if loc \
        else []
    props.append(f"title={_escape_property('scsync validate')}")
    what = " ".join(part for part in (problem.address, problem.field) if part)
    text = f"{what}: {problem.message}" if what else problem.message
    return f"::{level} {','.join(props)}::{_escape_data(text)}"


def to_github(problems: Sequence[Problem]) -> str:
    return "".join(workflow_command(p) + "\n" for p in sorted(problems, key=Problem.sort_key))


def validate_schema() -> dict[str, Any]:
    """The JSON Schema of ``validate --format json``."""
    schema = ValidateReport.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "scsync validate --format json"
    return schema


if __name__ == "__main__":
    print(json.dumps(validate_schema(), indent=2))
