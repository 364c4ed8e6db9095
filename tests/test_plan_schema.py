"""The committed plan schema is the one the model generates, and plans validate against it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema

from scsync.plan.model import plan_schema
from tests.plan_factories import sample_plan

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schemas" / "plan.schema.json"


def test_committed_schema_is_current() -> None:
    assert json.loads(SCHEMA.read_text()) == plan_schema(), (
        "schemas/plan.schema.json is out of date: python -m scsync.plan.model > "
        "schemas/plan.schema.json")


def test_module_prints_the_schema() -> None:
    out = subprocess.run([sys.executable, "-m", "scsync.plan.model"], capture_output=True,
                         text=True, check=True, cwd=ROOT).stdout
    assert out == SCHEMA.read_text()


def test_sample_plan_file_is_valid_and_round_trips() -> None:
    plan = sample_plan()
    text = plan.to_json()
    jsonschema.validate(json.loads(text), json.loads(SCHEMA.read_text()))
    assert type(plan).from_json(text) == plan
