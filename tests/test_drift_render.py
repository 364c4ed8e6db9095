"""Drift report renderers: golden files for text, Markdown and HTML over a report holding every
section (expired streams and profiles, changed objects with attribution, missing, extra,
unmanaged, health), the JSON form, several accounts, colour and escaping."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from scsync.ops.drift import DriftReport, detect_drift
from scsync.ops.drift_render import render, render_many
from scsync.plan.options import PlanOptions
from tests.golden_util import assert_golden
from tests.plan_factories import NOW, keyed, make_live, make_profile, sample_desired, sample_live
from tests.test_drift import ALICE, OPS, HistoryProvider, entry


def full_report() -> DriftReport:
    """Every section: groups additive (Legacy unmanaged), topics authoritative, a profile and a
    user missing, history for some objects and not others."""
    desired = sample_desired()
    desired.update(keyed([make_profile("twitter/ClaraLinesFR", color="#000000")]))
    provider = HistoryProvider([
        entry(ALICE, NOW - timedelta(days=1, hours=3), "profile", "twitter/ClaraLines",
              {"bio": {"old": "a", "new": "b"}}),
        entry(OPS, NOW - timedelta(hours=20), "profilegroup", "EMEA-id", {"color": {}}),
        entry(ALICE, NOW - timedelta(days=4), "topic", "211", {}, action="create",
              name="Old Promo B"),
    ])
    live = sample_live()
    emea = next(r for r in live.resources.values() if r.name == "EMEA")
    emea.id = "EMEA-id"
    options = PlanOptions(ownership={"topics": "authoritative"},
                          protect=["topic.Spring Sale"])
    return detect_drift(desired, live, provider, options, now=NOW)


@pytest.mark.parametrize(("fmt", "name"), [("text", "drift.txt"), ("markdown", "drift.md"),
                                           ("html", "drift.html")])
def test_every_section_renders_as_the_golden_file(request: pytest.FixtureRequest, fmt: str,
                                                  name: str) -> None:
    assert_golden(request, name, render(full_report(), fmt))  # type: ignore[arg-type]


def test_every_format_carries_the_summary_line() -> None:
    report = full_report()
    line = ("Drift: 1 expired stream, 1 expired connected profile, 4 objects changed outside "
            "scsync, 4 missing, 5 extra (1 unmanaged object not counted).")
    assert render(report, "text").splitlines()[-1] == line
    assert f"**{line}**" in render(report, "markdown")
    assert f'<p class="summary-line">{line}</p>' in render(report, "html")
    assert json.loads(render(report, "json"))["summary"] == {
        "expired_streams": 1, "expired_profiles": 1, "changed": 4, "missing": 4, "extra": 5,
        "unmanaged": 1}


def test_json_is_the_report_model() -> None:
    report = full_report()
    assert DriftReport.model_validate_json(render(report, "json")) == report


def test_no_drift_says_so_in_every_format() -> None:
    report = detect_drift({}, make_live(), HistoryProvider(), PlanOptions(), now=NOW)
    line = "No drift. The platform matches the configuration."
    assert render(report, "text") == (
        "Drift report: ClaraLines (account 1001), checked 2026-11-22 10:00 UTC\n\n" + line + "\n")
    assert render(report, "markdown").startswith(f"**{line}**\n")
    assert f'<p class="no-changes">{line}</p>' in render(report, "html")


def test_several_accounts_get_a_section_each_and_a_total() -> None:
    clean = detect_drift({}, make_live(), HistoryProvider(), PlanOptions(), now=NOW)
    text = render_many([("prod", full_report()), ("staging", clean)], "text")
    assert "=== prod ===\n" in text and "=== staging ===\n" in text
    assert text.splitlines()[-3:] == [
        "prod: Drift: 1 expired stream, 1 expired connected profile, 4 objects changed outside "
        "scsync, 4 missing, 5 extra (1 unmanaged object not counted).",
        "staging: No drift. The platform matches the configuration.",
        "Total: Drift: 1 expired stream, 1 expired connected profile, 4 objects changed "
        "outside scsync, 4 missing, 5 extra (1 unmanaged object not counted).",
    ]
    document = json.loads(render_many([("prod", full_report()), ("staging", clean)], "json"))
    assert list(document["accounts"]) == ["prod", "staging"]
    assert document["summary"]["changed"] == 4


def test_colour_only_when_asked() -> None:
    report = full_report()
    assert "\x1b[" not in render(report, "text")
    assert "\x1b[31mExpired: reconnect these first" in render(report, "text", color=True)


def test_html_escapes_platform_text() -> None:
    live = make_live([make_profile(live=True, color=None, welcome_message="<script>x</script>")])
    desired = keyed([make_profile(welcome_message="Hi")])
    report = detect_drift(desired, live, HistoryProvider(), PlanOptions(), now=NOW)
    html = render(report, "html")
    assert "<script>x" not in html and "&lt;script&gt;x" in html


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown format 'yaml'"):
        render(full_report(), "yaml")  # type: ignore[arg-type]
