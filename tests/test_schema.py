"""The config JSON Schema: generated from the models, committed current, and agreeing with the
example account (every non-template file validates; a misspelt key does not)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from scsync.engine import config_schema

REPO = Path(__file__).parent.parent
COMMITTED = REPO / "schemas" / "scsync.schema.json"
EXAMPLE = REPO / "examples" / "config"
FILES = sorted(p for p in EXAMPLE.rglob("*.yaml"))


def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(config_schema()))


def test_committed_schema_is_current() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == config_schema(), \
        "schemas/scsync.schema.json is stale: run `make schemas`"


def test_schema_is_valid_and_documented() -> None:
    schema = json.loads(config_schema())
    jsonschema.Draft202012Validator.check_schema(schema)
    twitter = schema["$defs"]["TwitterProfile"]["properties"]
    assert twitter["bio"]["description"] == (
        "At most 160 characters, every URL counted as a 23-character t.co link.")
    assert set(schema["properties"]["profiles"]["patternProperties"]) == {
        "^twitter/", "^facebook/", "^instagram/", "^whatsapp/", "^livechat/"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(EXAMPLE).as_posix())
def test_example_files_match_schema_and_name_it(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=")
    schema_ref = text.splitlines()[0].split("$schema=")[1]
    assert (path.parent / schema_ref).resolve() == COMMITTED.resolve()
    errors = list(validator().iter_errors(yaml.safe_load(text)))
    assert errors == []


def test_schema_refuses_a_misspelt_key() -> None:
    data = {"profiles": {"twitter/ClaraLines": {"welcom_message": "Hi"}}}
    errors = [e.message for e in validator().iter_errors(data)]
    assert errors == ["Additional properties are not allowed ('welcom_message' was unexpected)"]
