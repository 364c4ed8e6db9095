"""The CI examples: both pipelines pass the GitHub workflow / GitLab CI schemas vendored in
check-jsonschema (offline), have the shape examples/ci/README.md promises, and the GitHub jobs'
plan, apply and drift steps run for real against the emulator (the forge API calls, sticky
comment and artifact download, can only be linted here). Also ``.pre-commit-hooks.yaml``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from scsync.plan.render import render
from tests.test_render import big_plan

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


def test_github_workflow_passes_actionlint() -> None:
    # shellcheck and pyflakes off: their presence on PATH must not change the result
    result = subprocess.run([str(BIN / "actionlint"), "-shellcheck=", "-pyflakes=", str(GITHUB)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_actionlint_catches_what_the_schema_does_not(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  plan:\n    runs-on: ubuntu-latest\n    steps:\n"
                      "      - run: echo ${{ matrix.nope }}\n", encoding="utf-8")
    assert lint("vendor.github-workflows", broken).returncode == 0
    result = subprocess.run([str(BIN / "actionlint"), "-shellcheck=", "-pyflakes=", str(broken)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1 and "matrix" in result.stdout


def test_github_workflow_triggers_jobs_matrix_and_concurrency() -> None:
    workflow = load(GITHUB)
    assert set(workflow["on"]) == {"pull_request", "push", "schedule", "workflow_dispatch"}
    assert workflow["on"]["push"]["branches"] == ["main"]
    jobs = workflow["jobs"]
    assert set(jobs) == {"accounts", "plan", "plan-fork", "apply", "drift"}
    assert step(jobs["accounts"], "List") == (
        'echo "matrix=$(scsync accounts -C accounts --format json)" >> "$GITHUB_OUTPUT"')
    for name in ("plan", "plan-fork", "apply", "drift"):
        assert jobs[name]["needs"] == "accounts"
        assert jobs[name]["strategy"]["matrix"] == "${{ fromJSON(needs.accounts.outputs.matrix) }}"
    user = "${{ vars[format('SCSYNC_TOKEN_USER_{0}', matrix.name)] || matrix.name }}"
    groups = {name: jobs[name]["concurrency"] for name in ("plan", "apply", "drift")}
    assert groups["plan"] == groups["drift"] == {"group": f"scsync-plan-{user}",
                                                 "cancel-in-progress": "false"}
    assert groups["apply"] == {"group": f"scsync-apply-{user}", "cancel-in-progress": "false"}
    assert "concurrency" not in jobs["plan-fork"]  # no token, no rate limit to share
    assert "!= github.repository" in jobs["plan-fork"]["if"]
    assert "== github.repository" in jobs["plan"]["if"]
    upload = next(s for s in jobs["plan"]["steps"] if s.get("uses", "").startswith(
        "actions/upload-artifact"))
    assert upload["with"]["name"] == "plan-${{ matrix.name }}"
    assert "PATCH" in step(jobs["plan"], "Post or update the plan comment")
    assert step(jobs["apply"], "Apply the saved plan") == (
        'scsync apply -C "$ACCOUNT_DIR" reviewed/plan.json')


def test_gitlab_pipeline_mirrors_it() -> None:
    pipeline = load(GITLAB)
    assert pipeline[".accounts"]["resource_group"] == "scsync-$TOKEN_USER"
    assert pipeline["apply"]["resource_group"] == "scsync-apply-$ACCOUNT"
    for name in ("plan", "apply", "drift"):
        assert pipeline[name]["extends"] == ".accounts"
    assert "<!-- scsync-plan: accounts/$account -->" in pipeline["plan comment"]["script"][0]
    assert any("apply" in line and "plan.json" in line for line in pipeline["apply"]["script"])
    for name in ("plan comment", "apply"):  # python:3.12-slim has no curl
        assert "curl" in " ".join(pipeline[name]["script"])
        assert any("apt-get install" in line and " curl " in line
                   for line in pipeline[name]["before_script"])


def test_gitlab_accounts_job_fails_when_the_matrix_misses_an_account(tmp_path: Path) -> None:
    shutil.copy(GITLAB, tmp_path / ".gitlab-ci.yml")
    for name in ("emea", "us"):
        shutil.copytree(REPO / "examples" / "config", tmp_path / "accounts" / name,
                        ignore=shutil.ignore_patterns(".scsync"))
    script = "\n".join(load(GITLAB)["accounts"]["script"])
    assert run_step(script, tmp_path).returncode == 0
    shutil.copytree(tmp_path / "accounts" / "us", tmp_path / "accounts" / "apac")
    missing = run_step(script, tmp_path)
    assert missing.returncode == 1
    assert missing.stdout == ("accounts/apac has a scsync.yaml but no row in .accounts: "
                              "parallel: matrix\n")


def test_pre_commit_hooks_offer_validate_and_fmt_check() -> None:
    hooks = load(HOOKS)
    assert [(h["id"], h["entry"], h["language"], h["pass_filenames"]) for h in hooks] == [
        ("scsync-validate", "scsync validate", "python", "false"),
        ("scsync-fmt", "scsync fmt --check --diff", "python", "false")]


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
    listed = run_step(step(jobs["accounts"], "List"), tmp_path, GITHUB_OUTPUT=str(output))
    assert listed.returncode == 0, listed.stderr
    matrix = json.loads(output.read_text().removeprefix("matrix="))
    assert matrix == {"include": [{"account": "accounts/emea", "name": "emea"}]}
    env = {"ACCOUNT_DIR": matrix["include"][0]["account"], "GITHUB_OUTPUT": str(output),
           "GITHUB_STEP_SUMMARY": str(summary), "RUN_URL": "https://example.test/run/1"}
    output.write_text("")
    planned = run_step(step(jobs["plan"], "Plan"), tmp_path, **env)
    assert planned.returncode == 0, planned.stderr
    assert output.read_text() == "exitcode=2\n"
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "exitcode", "plan.err", "plan.html", "plan.json", "plan.md"]
    assert "Plan: 5 to add, 13 to change, 2 to destroy." in (out / "plan.md").read_text()
    written = run_step(step(jobs["plan"], "Write the plan comment"), tmp_path, **env)
    assert written.returncode == 0, written.stderr
    comment = (tmp_path / "comment.md").read_text()
    assert comment.startswith("<!-- scsync-plan: accounts/emea -->\n"
                              "### scsync plan: `accounts/emea` (exit 2)\n")
    (tmp_path / "reviewed").mkdir()
    shutil.copy(out / "plan.json", tmp_path / "reviewed" / "plan.json")
    applied = run_step(step(jobs["apply"], "Apply the saved plan"), tmp_path, **env)
    assert applied.returncode == 0, applied.stderr
    output.write_text("")
    drifted = run_step(step(jobs["drift"], "Drift"), tmp_path, **env)
    assert drifted.returncode == 0, drifted.stderr
    assert output.read_text() == "exitcode=0\n"
    snapped = run_step(step(jobs["drift"], "Snapshot (for the plans of fork pull requests)"),
                       tmp_path, **env)
    assert snapped.returncode == 0, snapped.stderr
    (tmp_path / "accounts" / "emea" / ".scsync" / "platform.db").unlink()  # forks: no platform
    forked = run_step(step(jobs["plan-fork"], "Plan against the snapshot"), tmp_path, **env)
    assert forked.returncode == 0, forked.stderr
    assert "Planned against a live snapshot" in summary.read_text()


def test_a_huge_plan_comment_stays_under_githubs_limit(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "plan.md").write_text(render(big_plan(), "markdown"), encoding="utf-8")
    (out / "plan.err").write_text("warning: x\n" * 5000)
    (out / "exitcode").write_text("2\n")
    step_text = step(load(GITHUB)["jobs"]["plan"], "Write the plan comment")
    done = run_step(step_text, tmp_path, ACCOUNT_DIR="accounts/emea", RUN_URL="https://x.test/1")
    assert done.returncode == 0, done.stderr
    assert len((tmp_path / "comment.md").read_text()) < 65_536
