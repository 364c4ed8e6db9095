"""The text renderer's conventions, one at a time: headers and symbols per action, renames,
blocked deletes, values, long text and list diffs, health, refusals, colour, snapshot, totals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from scsync.plan.model import (
    AccountRef,
    Change,
    FieldChange,
    HealthItem,
    Plan,
    PlannedCall,
    RateInfo,
    Refusal,
    Summary,
    Unmanaged,
)
from scsync.plan.render import render, render_many

ANSI = "\x1b["


def make_plan(*changes: Change, **overrides: Any) -> Plan:
    summary = Summary(add=sum(c.action == "create" for c in changes),
                      change=sum(c.action == "update" for c in changes),
                      destroy=sum(c.action == "delete" and not c.blocked for c in changes))
    values: dict[str, Any] = {
        "created_at": datetime(2026, 11, 22, tzinfo=UTC), "config_digest": "d",
        "account": AccountRef(id=1001, name="ClaraLines"), "summary": summary,
        "changes": list(changes)}
    return Plan(**(values | overrides))


def update(address: str, *fields: tuple[str, Any, Any], **extra: Any) -> Change:
    kind = address.partition(".")[0]
    return Change(address=address, kind=kind, action="update", precondition="fp",
                  fields=[FieldChange(path=p, before=b, after=a) for p, b, a in fields], **extra)


def body(text: str) -> list[str]:
    """The object lines of a text plan (between the intro and the summary)."""
    lines = text.splitlines()
    return lines[2:lines.index("    }") + 1]


def test_update_shows_aligned_fields_with_arrows_and_a_long_text_line_diff() -> None:
    plan = make_plan(update("profile.twitter/ClaraLines", ("color", "#6a1b9a", "#6A1B9A"),
                            ("bio", "old line\nsame", "new line\nsame")))
    assert body(render(plan, "text")) == [
        "  # profile.twitter/ClaraLines will be updated in place",
        '  ~ profile "twitter/ClaraLines" {',
        '      ~ color = "#6a1b9a" -> "#6A1B9A"',
        "      ~ bio   = <<~EOT",
        "          - old line",
        "          + new line",
        "            same",
        "        EOT",
        "    }",
    ]


def test_added_and_cleared_fields_and_short_text_outside_long_text_fields() -> None:
    plan = make_plan(update("profile.twitter/ClaraLines", ("welcome_message", None, "Hi"),
                            ("location", "Ghent", None), ("name", "A", "B")))
    assert body(render(plan, "text"))[2:5] == [
        '      + welcome_message = "Hi"',
        '      - location        = "Ghent" -> null',
        '      ~ name            = "A" -> "B"',
    ]


def test_text_longer_than_80_characters_is_a_line_diff_whatever_the_field() -> None:
    plan = make_plan(update("profile.twitter/ClaraLines", ("url", "a" * 81, "b")))
    assert body(render(plan, "text"))[2:6] == [
        "      ~ url = <<~EOT", f"          - {'a' * 81}", "          + b", "        EOT"]


def test_set_fields_show_removed_items_then_the_desired_ones_and_ordered_lists_diff() -> None:
    streams = ([{"profile": "twitter/A", "authorized": True},
                {"profile": "twitter/Gone", "authorized": True}],
               [{"profile": "twitter/a", "authorized": True},
                {"profile": "twitter/New", "authorized": False}])
    plan = make_plan(update("topic.Care", ("streams", *streams)),
                     update("profile.twitter/X", ("quick_replies", [{"label": "A", "flow": "F"}],
                                                  [{"label": "B", "flow": "F"},
                                                   {"label": "A", "flow": "F"}])))
    lines = render(plan, "text").splitlines()
    start = lines.index('      ~ streams = [')
    assert lines[start + 1:start + 5] == [
        '          - {"profile": "twitter/Gone", "authorized": true},',
        '            {"profile": "twitter/a", "authorized": true},',
        '          + {"profile": "twitter/New", "authorized": false},',
        "        ]"]
    start = lines.index('      ~ quick_replies = [')
    assert lines[start + 1:start + 4] == [
        '          + {"label": "B", "flow": "F"},',
        '            {"label": "A", "flow": "F"},',
        "        ]"]


def test_create_destroy_rename_and_blocked_headers() -> None:
    plan = make_plan(
        Change(address="topic.New", kind="topic", action="create",
               after={"name": "New", "searchkeywords": None, "streams": []}),
        update("topic.Care", ("name", "Old Care", "Care"), renamed_from="Old Care"),
        Change(address="topic.Gone", kind="topic", action="delete", before={"name": "Gone"}),
        Change(address="topic.Kept", kind="topic", action="delete", before={"name": "Kept"},
               blocked=True))
    text = render(plan, "text")
    assert '  # topic.New will be created\n  + topic "New" {\n      + name = "New"\n    }\n' in text
    assert '  # topic.Care will be updated in place (renamed from "Old Care")\n' in text
    assert '  # topic.Gone will be destroyed\n  - topic "Gone" {\n      - name = "Gone"\n' in text
    assert ('  # topic.Kept is protected and will NOT be destroyed\n  ! topic "Kept" {\n'
            '        name = "Kept"\n    }\n') in text
    assert "Plan: 1 to add, 1 to change, 1 to destroy.\n" in text


def test_summary_is_followed_by_the_writes_and_their_cost() -> None:
    calls = [PlannedCall(method="POST", path="/1001/settings/topics", address="topic.New",
                         action="create"),
             PlannedCall(method="DELETE", path="/1001/settings/topic/12", address="topic.Gone",
                         action="delete")]
    plan = make_plan(Change(address="topic.New", kind="topic", action="create",
                            after={"name": "New"}), calls=calls,
                     rate=RateInfo(limit=350, remaining=346), apply_reads=4)
    assert render(plan, "text").endswith(
        "Plan: 1 to add, 0 to change, 0 to destroy.\n\n"
        "API calls: 2 writes + up to 4 reads (stale check and verification) = 6 (rate limit: "
        "346 of 350 calls left in this window: fits)\n"
        "  POST   /1001/settings/topics    create  topic.New\n"
        "  DELETE /1001/settings/topic/12  delete  topic.Gone\n")


def test_the_forecast_says_when_apply_with_its_own_reads_does_not_fit() -> None:
    calls = [PlannedCall(method="POST", path="/1001/settings/topics", address="topic.New",
                         action="create")]
    reset = datetime(2026, 11, 22, 10, 30, tzinfo=UTC)
    plan = make_plan(Change(address="topic.New", kind="topic", action="create",
                            after={"name": "New"}), calls=calls, apply_reads=16,
                     rate=RateInfo(limit=350, remaining=10, reset_at=reset))
    assert ("API calls: 1 write + up to 16 reads (stale check and verification) = 17 (rate "
            "limit: 10 of 350 calls left in this window: does not fit, apply waits for the "
            "reset at 2026-11-22 10:30 UTC)\n") in render(plan, "text")


def test_empty_plan_says_no_changes_after_health_and_unmanaged() -> None:
    plan = make_plan(health=[
        HealthItem(kind="token_expiry", severity="warning", message="token expires soon"),
        HealthItem(kind="expired_stream", severity="error", address="stream.C/twitter/A",
                   message="stream expired")],
        unmanaged=[Unmanaged(address="topic.Other", kind="topic")])
    assert render(plan, "text") == (
        "Unmanaged (not in config, left alone: their kind is additive):\n"
        "  topic.Other\n\n"
        "Error: stream.C/twitter/A: stream expired\n\n"
        "Warning: token expires soon\n\n"
        "No changes. The platform matches the configuration.\n")


def test_refusals_come_first_and_last_each_with_what_to_do() -> None:
    refusals = [Refusal(reason="topic.Kept is protected", forceable=False),
                Refusal(reason="too many deletes", forceable=True)]
    plan = make_plan(update("topic.A", ("name", "a", "b")), refusals=refusals)
    lines = ("Error: topic.Kept is protected (keep it in the config, or remove it from "
             "`protect:` to delete it)\n",
             "Error: too many deletes (use --force to apply anyway)\n")
    text = render(plan, "text")
    assert text.startswith("Plan: 0 to add, 1 to change, 0 to destroy.\nRefused: apply will make "
                           "none of these changes until what follows is resolved.\n"
                           + "".join(lines) + "\nscsync will perform the following actions:\n")
    assert text.endswith("\n" + "\n".join(lines))


def test_a_forced_plan_warns_at_the_end_only() -> None:
    plan = make_plan(update("topic.A", ("name", "a", "b")),
                     refusals=[Refusal(reason="too many deletes", forceable=True)], forced=True)
    text = render(plan, "text")
    assert text.startswith("scsync will perform the following actions:\n")
    assert text.endswith("\nWarning: too many deletes (lifted by --force)\n")


def test_colour_only_when_asked() -> None:
    plan = make_plan(update("topic.A", ("name", "a", "b")),
                     refusals=[Refusal(reason="no", forceable=False)])
    assert ANSI not in render(plan, "text")
    coloured = render(plan, "text", color=True)
    assert '  \x1b[33m~\x1b[0m topic "A" {' in coloured
    assert "\x1b[31mError:\x1b[0m no" in coloured
    assert coloured.replace("\x1b[33m", "").replace("\x1b[31m", "").replace(
        "\x1b[0m", "") == render(plan, "text")


def test_live_snapshot_is_said_at_the_top() -> None:
    plan = make_plan(live_snapshot="snap.yaml (taken 3 hours ago)")
    assert render(plan, "text").startswith(
        "Planned against a live snapshot, not the live platform. snap.yaml (taken 3 hours "
        "ago)\n\n")


def test_several_accounts_each_headed_then_the_total() -> None:
    one = make_plan(update("topic.A", ("name", "a", "b")))
    text = render_many([("acct/one", one), ("acct/two", make_plan())], "text")
    assert text.startswith("=== acct/one ===\n\nscsync will perform the following actions:\n")
    assert "\n=== acct/two ===\n\nNo changes. The platform matches the configuration.\n" in text
    assert text.endswith("acct/one: Plan: 0 to add, 1 to change, 0 to destroy.\n"
                         "acct/two: Plan: 0 to add, 0 to change, 0 to destroy.\n"
                         "Total: 0 to add, 1 to change, 0 to destroy.\n")


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown format 'yaml'"):
        render(make_plan(), "yaml")  # type: ignore[arg-type]
