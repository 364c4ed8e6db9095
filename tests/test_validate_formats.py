"""``validate --format json`` (diagnostics for tools, checked against the committed
``schemas/validate.schema.json``) and ``--format github`` (workflow commands that annotate the
pull request's lines), over the whole bad-input corpus: the same problems as the text output."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from scsync.cli import main
from scsync.errors import Location, Problem
from scsync.ops.diagnostics import validate_schema, workflow_command

ROOT = Path(__file__).resolve().parent.parent
INVALID = Path(__file__).parent / "configs" / "invalid"
CASES = sorted(p.name for p in INVALID.iterdir() if p.is_dir())
SCHEMA_FILE = ROOT / "schemas" / "validate.schema.json"


def test_committed_schema_is_current() -> None:
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == validate_schema(), (
        "schemas/validate.schema.json is stale: run `make schemas`")


def as_text(d: dict[str, object]) -> str:
    """A diagnostic as the text output prints it."""
    head = f"{d['file']}:{d['line']}:{d['column']}: " if d["file"] else ""
    what = " ".join(str(part) for part in (d["address"], d["field"]) if part)
    body = f"warning: {d['message']}" if d["severity"] == "warning" else str(d["message"])
    line = f"{head}{what}: {body}" if what else f"{head}{body}"
    return line if d["file"] or d["severity"] == "warning" else f"error: {line}"


@pytest.mark.parametrize("case", CASES)
def test_json_holds_the_same_problems_as_the_text(case: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(INVALID)
    result = CliRunner().invoke(main, ["validate", "-C", case, "--format", "json"])
    assert (result.exit_code, result.stderr) == (1, "")
    document = json.loads(result.stdout)
    jsonschema.validate(document, json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
    expected = (INVALID / case / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert [as_text(d) for d in document["diagnostics"]] == expected
    assert document["valid"] is False and document["error_count"] >= 1


@pytest.mark.parametrize("case", CASES)
def test_github_annotates_every_problem(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(INVALID)
    result = CliRunner().invoke(main, ["validate", "-C", case, "--format", "github"])
    assert (result.exit_code, result.stderr) == (1, "")
    expected = (INVALID / case / "expected.txt").read_text(encoding="utf-8").splitlines()
    lines = result.stdout.splitlines()
    assert len(lines) == len(expected)
    for line, text in zip(lines, expected, strict=True):
        assert line.startswith(("::error ", "::warning "))
        if text.startswith(f"{case}/"):
            path, row, col, _ = text.split(":", 3)
            assert f" file={path},line={row},col={col},title=scsync validate::" in line


def test_github_output_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(INVALID)
    result = CliRunner().invoke(main, ["validate", "-C", "bad-colour", "--format", "github"])
    assert result.stdout == (
        "::error file=bad-colour/groups.yaml,line=3,col=12,title=scsync validate::"
        'profile_group.EMEA color: "purple" is not a colour; write a quoted hex colour such as '
        '"#6A1B9A"\n')


def test_workflow_commands_escape_what_github_would_read_as_syntax() -> None:
    problem = Problem("50% off\n::error::forged", Location("a,b:c.yaml", 2, 3), "topic.T",
                      warning=True)
    assert workflow_command(problem) == (
        "::warning file=a%2Cb%3Ac.yaml,line=2,col=3,title=scsync validate::topic.T: 50%25 off"
        "%0A::error::forged")
    assert workflow_command(Problem("no scsync.yaml in x")) == (
        "::error title=scsync validate::no scsync.yaml in x")


def test_a_valid_config_in_json_and_github(tmp_path: Path) -> None:
    example = ROOT / "examples" / "config"
    done = CliRunner().invoke(main, ["validate", "-C", str(example), "--format", "json"])
    assert done.exit_code == 0
    assert json.loads(done.stdout) == {
        "format_version": 1, "valid": True, "error_count": 0, "warning_count": 0,
        "diagnostics": [], "accounts": [{"dir": str(example), "counts": {
            "profile": 8, "topic": 3, "profile_group": 4, "user": 3}}]}
    github = CliRunner().invoke(main, ["validate", "-C", str(example), "--format", "github"])
    assert (github.exit_code, github.stdout) == (
        0, "Configuration is valid: 8 profiles, 3 topics, 4 profile groups, 3 users.\n")
