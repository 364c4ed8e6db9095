"""`scsync show PLANFILE`: a saved plan rendered in any format without config or platform calls."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from scsync.cli import main
from scsync.plan.render import render
from tests.plan_factories import sample_plan


def test_show_renders_a_saved_plan_exactly_as_plan_would(tmp_path: Path) -> None:
    plan = sample_plan()
    path = tmp_path / "plan.json"
    path.write_text(plan.to_json(), encoding="utf-8")
    for fmt in ("text", "markdown", "html", "json"):
        result = CliRunner().invoke(main, ["show", str(path), "--format", fmt])
        assert result.exit_code == 0, result.output
        assert result.output == render(plan, fmt)


def test_show_refuses_a_file_that_is_not_a_plan(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text("{}", encoding="utf-8")
    result = CliRunner().invoke(main, ["show", str(path)])
    assert result.exit_code == 1
    assert result.stderr == (f"error: {path} is not a scsync plan file "
                             "(run `scsync plan -o FILE` to make one)\n")
