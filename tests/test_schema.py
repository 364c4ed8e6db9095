"""The config JSON Schema: generated from the models, committed current, and agreeing with the
example account (every non-template file validates; a misspelt key does not) and with validate on
the bad-input corpus (it refuses every case one schema can express)."""

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
        "^twitter/(?:[A-Za-z0-9_]{1,15})$", "^facebook/(?:(?:[A-Za-z0-9.]{1,50}|[0-9]+))$",
        "^instagram/(?:[A-Za-z0-9._]{1,30})$", "^whatsapp/(?:[0-9]{8,15})$",
        "^livechat/(?:\\S(?:.*\\S)?)$"}


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


# -- the schema agrees with validate on the bad-input corpus -----------------------------------

INVALID = REPO / "tests" / "configs" / "invalid"
CASES = sorted(p.name for p in INVALID.iterdir() if p.is_dir())
# What validate refuses and one JSON Schema for every file cannot express, and why.
NOT_EXPRESSIBLE = {
    "bio-too-long": "every URL counts as 23 characters",
    "duplicate-profile-two-files": "a rule across files",
    "duplicate-topic-two-files": "a rule across files",
    "group-cycle": "a rule across objects",
    "group-too-many-items": "profiles and groups together (each list alone is bounded)",
    "ignore-changes-unknown-field": "the fields of the object's own kind",
    "missing-settings-file": "a rule about the directory",
    "previous-name-clash": "a rule across objects",
    "provider-missing": "scsync.yaml only: one schema serves every file",
    "settings-in-object-file": "scsync.yaml only: one schema serves every file",
    "stream-listed-twice": "handles compare without case",
    "too-many-groups": "a rule across files",
    "unquoted-colour": "the value is a YAML comment: the key holds null",
    "symlink-loop": "a file the loader refuses to read: no schema sees it",
    "symlink-outside-repository": "a file the loader refuses to read: no schema sees it",
    "symlink-to-device": "a file the loader refuses to read: no schema sees it",
    "symlink-to-random": "a file the loader refuses to read: no schema sees it",
    **{case: "a template is YAML only once rendered" for case in CASES
       if case.startswith("template-")},
}


def schema_errors(case: str) -> list[str]:
    """What an editor shows for the case's files: YAML errors (YAML 1.2, as the editor's YAML
    language server reads it) and schema errors."""
    from scsync.config.yamlfast import YamlProblem, load

    found: list[str] = []
    for path in sorted((INVALID / case).rglob("*.y*ml")):
        if path.is_symlink():
            continue  # the loader refuses to follow it (a device, a loop, out of the repository)
        try:
            data = load(path.read_bytes().decode("utf-8")).data
        except (YamlProblem, UnicodeDecodeError) as exc:
            found.append(f"{path.name}: {exc}")
            continue
        found += [f"{path.name}: {e.message}" for e in validator().iter_errors(data)]
    return found


@pytest.mark.parametrize("case", CASES)
def test_schema_agrees_with_validate_on_the_bad_input_corpus(case: str) -> None:
    errors = schema_errors(case)
    if case in NOT_EXPRESSIBLE:
        assert errors == [], f"the schema now catches {case}: take it off NOT_EXPRESSIBLE"
    else:
        assert errors, f"validate refuses {case} but the schema accepts it"


def test_not_expressible_names_only_corpus_cases() -> None:
    assert set(NOT_EXPRESSIBLE) <= set(CASES)
