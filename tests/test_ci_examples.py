"""The CI examples: both pipelines pass the GitHub workflow / GitLab CI schemas vendored in
check-jsonschema (offline), have the shape examples/ci/README.md promises, and the GitHub jobs'
plan, apply and drift steps run for real against the emulator (the forge API calls, sticky
comment and artifact download, can only be linted here). Also ``.pre-commit-hooks.yaml``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
GITHUB = REPO / "examples" / "ci" / "github" / "scsync.yml"
GITLAB = REPO / "examples" / "ci" / "gitlab" / ".gitlab-ci.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"
BIN = Path(sys.executable).parent


def load(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)


def lint(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", schema, str(path)],
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize(("schema", "path"), [("vendor.github-workflows", GITHUB),
                                              ("vendor.gitlab-ci", GITLAB)])
def test_pipeline_passes_its_vendored_schema(schema: str, path: Path) -> None:
    result = lint(schema, path)
    assert (result.returncode, result.stdout.strip()) == (0, "ok -- validation done"), result


def test_the_linter_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  plan:\n    runs-on: ubuntu-latest\n    stepz: []\n",
                      encoding="utf-8")
    result = lint("vendor.github-workflows", broken)
    assert result.returncode == 1
    assert "Schema validation errors were encountered." in result.stdout + result.stderr


def test_github_workflow_triggers_jobs_and_concurrency() -> None:
    workflow = load(GITHUB)
    assert set(workflow["on"]) == {"pull_request", "push", "schedule", "workflow_dispatch"}
    assert workflow["on"]["push"]["branches"] == ["main"]
    jobs = workflow["jobs"]
    assert set(jobs) == {"plan", "comment", "apply", "drift"}
    groups = {"plan": "scsync-${{ matrix.token_user }}", "drift": "scsync-${{ matrix.token_user }}",
              "apply": "scsync-apply-${{ matrix.account }}"}  # one apply per account at a time
    for name in ("plan", "apply", "drift"):
        concurrency = jobs[name]["concurrency"]
        assert concurrency["group"] == groups[name]
        assert str(concurrency["cancel-in-progress"]).lower() == "false"  # queued, not cancelled
        accounts = [row["account"] for row in jobs[name]["strategy"]["matrix"]["include"]]
        assert accounts == ["emea", "us"]
    upload = next(s for s in jobs["plan"]["steps"] if s.get("uses", "").startswith(
        "actions/upload-artifact"))
    assert upload["with"]["name"] == "plan-${{ matrix.account }}"
    assert "<!-- scsync-plan -->" in step(jobs["comment"], "Post or update the plan comment")
    assert "PATCH" in step(jobs["comment"], "Post or update the plan comment")
    assert step(jobs["apply"], "Apply the saved plan") == (
        'scsync apply -C "$ACCOUNT_DIR" reviewed/plan.json')


def test_gitlab_pipeline_mirrors_it() -> None:
    pipeline = load(GITLAB)
    assert pipeline[".accounts"]["resource_group"] == "scsync-$TOKEN_USER"
    assert pipeline["apply"]["resource_group"] == "scsync-apply-$ACCOUNT"
    for name in ("plan", "apply", "drift"):
        assert pipeline[name]["extends"] == ".accounts"
    assert "<!-- scsync-plan -->" in pipeline["plan comment"]["script"][0]
    assert any("apply" in line and "plan.json" in line for line in pipeline["apply"]["script"])


def test_pre_commit_hooks_offer_validate_and_fmt_check() -> None:
    hooks = load(HOOKS)
    assert [(h["id"], h["entry"], h["language"], h["pass_filenames"]) for h in hooks] == [
        ("scsync-validate", "scsync validate", "python", "false"),
        ("scsync-fmt", "scsync fmt --check", "python", "false")]


def step(job: dict[str, Any], name: str) -> str:
    return str(next(s for s in job["steps"] if s.get("name") == name)["run"]).strip()


def run_step(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**{k: v for k, v in os.environ.items() if not k.startswith("SCSYNC_")},
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1", **env}
    return subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env=full, capture_output=True,
                          text=True, timeout=120, check=False)


def test_github_plan_apply_and_drift_steps_run_against_the_emulator(tmp_path: Path) -> None:
    shutil.copytree(REPO / "examples" / "config", tmp_path / "accounts" / "emea",
                    ignore=shutil.ignore_patterns(".scsync"))
    shutil.copytree(REPO / "examples" / "platform", tmp_path / "accounts" / "platform")
    jobs = load(GITHUB)["jobs"]
    output, summary = tmp_path / "github_output", tmp_path / "step_summary"
    env = {"ACCOUNT_DIR": "accounts/emea", "GITHUB_OUTPUT": str(output),
           "GITHUB_STEP_SUMMARY": str(summary)}
    planned = run_step(step(jobs["plan"], "Plan"), tmp_path, **env)
    assert planned.returncode == 0, planned.stderr
    assert output.read_text() == "exitcode=2\n"
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "exitcode", "plan.err", "plan.html", "plan.json", "plan.md"]
    assert "Plan: 5 to add, 13 to change, 2 to destroy." in (out / "plan.md").read_text()
    (tmp_path / "reviewed").mkdir()
    shutil.copy(out / "plan.json", tmp_path / "reviewed" / "plan.json")
    applied = run_step(step(jobs["apply"], "Apply the saved plan"), tmp_path, **env)
    assert applied.returncode == 0, applied.stderr
    output.write_text("")
    drifted = run_step(step(jobs["drift"], "Drift"), tmp_path, **env)
    assert drifted.returncode == 0, drifted.stderr
    assert output.read_text() == "exitcode=0\n"
