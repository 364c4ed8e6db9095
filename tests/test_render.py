"""Golden renders of one plan with every kind of change, gate and health item (text, colour text,
Markdown, JSON, HTML), of an empty, a refused, a truncated and a multi-account plan; and the JSON
plan file checked against schemas/plan.schema.json."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from scsync.plan.model import AccountRef, Change, FieldChange, Plan, PlannedCall, Summary
from scsync.plan.render import MARKDOWN_LIMIT, render, render_many
from tests.golden_util import GOLDEN, assert_golden
from tests.plan_factories import plan_of, sample_plan

SCHEMA = Path(__file__).parent.parent / "schemas" / "plan.schema.json"


def clean_plan() -> Plan:
    """The sample plan without its refusals: every change and health item, nothing refused."""
    return sample_plan().model_copy(update={"refusals": []})


def big_plan(count: int = 400) -> Plan:
    """A plan far longer than a pull-request comment allows."""
    changes = [Change(address=f"profile.twitter/Agent{i:03}", kind="profile", action="update",
                      fields=[FieldChange(path="bio", before=f"Old bio {i}\n" + "x" * 90,
                                          after=f"New bio {i}\n" + "y" * 90)],
                      precondition=f"fp{i}", live_id=f"twitter/{i}") for i in range(count)]
    calls = [PlannedCall(method="POST", path=f"/1001/settings/profile/twitter/{i}",
                         form={"updates": {"bio": "..."}}, address=c.address, action="update")
             for i, c in enumerate(changes)]
    return Plan(created_at=datetime(2026, 11, 22, tzinfo=UTC), config_digest="d",
                account=AccountRef(id=1001, name="ClaraLines"), summary=Summary(change=count),
                changes=changes, calls=calls)


@pytest.mark.parametrize(("name", "fmt", "color"), [
    ("plan.txt", "text", False),
    ("plan.color.txt", "text", True),
    ("plan.md", "markdown", False),
    ("plan.html", "html", False),
])
def test_golden_renders_of_the_sample_plan(request: pytest.FixtureRequest, name: str, fmt: Any,
                                           color: bool) -> None:
    assert_golden(request, name, render(clean_plan(), fmt, color=color))


def test_golden_json_is_the_plan_file(request: pytest.FixtureRequest) -> None:
    plan = sample_plan()
    text = render(plan, "json")
    assert text == plan.to_json()
    assert Plan.from_json(text) == plan
    assert_golden(request, "plan.json", text)


def test_golden_empty_plan(request: pytest.FixtureRequest) -> None:
    text = render(plan_of([]), "text")
    assert text == "No changes. The platform matches the configuration.\n"
    assert_golden(request, "plan.empty.txt", text)


def test_golden_refused_plan_puts_the_refusal_first_and_repeats_it_last(
        request: pytest.FixtureRequest) -> None:
    text = render(sample_plan(), "text")
    refusals = ("Error: topic.Spring Sale is protected by `protect:` in scsync.yaml and would be "
                "deleted (keep it in the config, or remove it from `protect:` to delete it)\n",
                "Error: Too many deletes of topics: 4 of 11 (36%) is over 30% "
                "(use --force to apply anyway)\n")
    assert text.startswith(
        "Plan: 3 to add, 4 to change, 5 to destroy.\n"
        "Refused: apply will make none of these changes until what follows is resolved.\n"
        + "".join(refusals) + "\n" + render(clean_plan(), "text"))
    assert text.endswith("\n" + "\n".join(refusals))
    assert_golden(request, "plan.refused.txt", text)


def test_golden_truncated_markdown(request: pytest.FixtureRequest) -> None:
    text = render(big_plan(), "markdown", full_plan_hint="the plan.json artifact of this job")
    assert len(text) <= MARKDOWN_LIMIT
    assert text.startswith("**Plan: 0 to add, 400 to change, 0 to destroy.**\n")
    assert ("> **Truncated:** this comment is cut to fit 60,000 characters and leaves some "
            "objects out. Full plan: the plan.json artifact of this job.\n") in text
    assert_golden(request, "plan.truncated.md", text)


def test_golden_multi_account_text(request: pytest.FixtureRequest) -> None:
    text = render_many([("accounts/emea", clean_plan()), ("accounts/us", plan_of([]))], "text")
    assert text.endswith("accounts/emea: Plan: 3 to add, 4 to change, 5 to destroy.\n"
                         "accounts/us: Plan: 0 to add, 0 to change, 0 to destroy.\n"
                         "Total: 3 to add, 4 to change, 5 to destroy.\n")
    assert_golden(request, "multi.txt", text)


def test_every_golden_plan_file_is_valid_against_the_schema() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    documents = [json.loads((GOLDEN / "plan.json").read_text(encoding="utf-8")),
                 json.loads(render(big_plan(3), "json")), json.loads(render(plan_of([]), "json"))]
    for document in documents:
        jsonschema.validate(document, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**documents[0], "summary": {"add": "one"}}, schema)


def test_json_of_several_accounts_holds_each_plan_and_the_total() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    document = json.loads(render_many([("a", clean_plan()), ("b", big_plan(2))], "json"))
    assert list(document) == ["accounts", "summary"]
    assert list(document["accounts"]) == ["a", "b"]
    assert document["summary"] == {"add": 3, "change": 6, "destroy": 5}
    for plan in document["accounts"].values():
        jsonschema.validate(plan, schema)
    assert document["accounts"]["a"] == json.loads(clean_plan().to_json())


def test_json_puts_the_refusals_right_after_the_summary() -> None:
    keys = list(json.loads(render(sample_plan(), "json")))
    assert keys[keys.index("summary") + 1:keys.index("summary") + 3] == ["refusals", "forced"]
