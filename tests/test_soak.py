"""The soak, bounded for ``make test``: random config edits applied by ``scsync apply`` (a
subprocess) against ``scsync emulator serve`` (out of process) with 500s, dropped connections,
lost responses, a tight rate limit and SIGKILLed applies; no duplicate, no lost setting, every
re-plan empty. ``SCSYNC_SOAK_FULL=1`` (``make soak``) runs it at full size.

The soak's own checks are tested too, on hand-made states, so that a soak that finds nothing is
known to be able to find something.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.soak import Report, SoakOptions, format_report, run_soak
from bench.soak_checks import duplicates, faults, settings_lost
from bench.soak_edits import Desired, example_desired, random_edits, write_config

FULL = os.environ.get("SCSYNC_SOAK_FULL") == "1"


@pytest.mark.http
@pytest.mark.slow
@pytest.mark.timeout(1800 if FULL else 150)
def test_soak_with_faults_and_kills_converges_without_duplicates_or_lost_settings(
        tmp_path: Path) -> None:
    options = SoakOptions(cycles=40 if FULL else 6, seed=5, kill_cycles=(1, 3))
    report = run_soak(options, tmp_path)
    table = format_report(report)
    assert len(report.cycles) == options.cycles, table
    assert report.duplicates == 0, table
    assert report.settings_lost == 0, table
    assert report.replans_not_empty == 0, table
    assert report.not_converged == 0, table
    assert report.total("kills") >= 2, table  # the forced kills hit a running apply
    assert report.fault("error") + report.fault("dropped") + report.fault("lost") > 0, table
    assert report.total("rate_stops") > 0, table
    assert report.faults_survived == sum(
        report.fault(k) for k in ("error", "dropped", "lost", "rate_limit")) + report.total(
        "rate_stops") + report.total("kills")
    assert [c.edits for c in report.cycles[1:]] == _replayed(options)


def _replayed(options: SoakOptions) -> list[list[str]]:
    """The edits a soak of ``options`` makes, a function of the seed alone: the same draws in
    the same order (each cycle's edits, then its kill decision and delay)."""
    rng = random.Random(options.seed)
    desired = example_desired()
    out = []
    for index in range(options.cycles):
        if index:
            out.append(random_edits(rng, desired, options.edits_per_cycle))
        forced = index in options.kill_cycles
        if forced or rng.random() < options.kill_rate:
            rng.uniform(0, 1)
    return out


# --- the checks themselves ---


def _state(**overrides: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "flows": [{"id": 501, "name": "Refund"}, {"id": 502, "name": "CSAT"}],
        "profiles": [{"type": "twitter", "service_id": "ClaraLines", "settings": {
            "color": "#6a1b9a", "bio": "Fly. https://t.co/abcdefghij",
            "bio_urls": [{"url": "https://t.co/abcdefghij",
                          "expanded_url": "https://clarabridge.com/claralines/"}],
            "quick_replies": [{"label": "Refunds", "flow_id": 501}], "location": "HQ"}},
            {"type": "web", "service_id": "ClaraLines Web", "settings": {
                "allowlisted_domains": ["https://b.example", "https://a.example"]}}],
        "topics": [{"id": 1, "name": "Care", "searchkeywords": "clara", "services": [
            {"type": "twitter", "service_id": "ClaraLines", "authorized": True},
            {"type": "facebook", "service_id": "competitorair", "authorized": False}]}],
        "profile_groups": [{"id": 1, "name": "EMEA", "color": "#00897B",
                            "profiles": [{"type": "twitter", "service_id": "ClaraLines"}],
                            "groups": [{"id": 2}]},
                           {"id": 2, "name": "UK", "color": "#3949ab", "profiles": [],
                            "groups": []}],
        "users": [{"email": "ops@claralines.example", "social_links": {
            "linkedin": "https://linkedin.com/in/ops"}}],
    }
    state.update(overrides)
    return state


def _desired() -> Desired:
    return Desired({
        "profiles": {
            "twitter/claralines": {"color": "#6A1B9A",
                                   "bio": "Fly. https://clarabridge.com/claralines/",
                                   "quick_replies": [{"label": "Refunds", "flow": "Refund"}],
                                   "location": "Claraland", "welcome_message": None,
                                   "lifecycle": {"ignore_changes": ["location"]}},
            "livechat/ClaraLines Web": {"allowlisted_domains": ["https://a.example",
                                                                "https://b.example"]}},
        "topics": {"Care": {"searchkeywords": "clara", "previous_names": ["Old"],
                            "streams": ["twitter/claralines",
                                        {"profile": "facebook/CompetitorAir",
                                         "authorized": False}]}},
        "profile_groups": {"EMEA": {"color": "#00897b", "profiles": ["twitter/ClaraLines"],
                                    "groups": ["UK"]},
                           "UK": {"color": "#3949AB", "profiles": []}},
        "users": {"OPS@claralines.example": {"social_links": {
            "linkedin": "https://linkedin.com/in/ops", "twitter": None}}},
    })


def test_settings_lost_is_empty_when_the_platform_stores_the_config_its_own_way() -> None:
    assert settings_lost(_desired(), _state()) == []


def test_settings_lost_names_every_field_missing_object_and_leftover() -> None:
    state = _state()
    state["profiles"][0]["settings"]["quick_replies"] = [{"label": "Refunds", "flow_id": 502}]
    state["profiles"][1]["settings"]["allowlisted_domains"] = ["https://a.example"]
    state["topics"][0]["services"][1]["authorized"] = True
    state["topics"].append({"id": 9, "name": "Gone", "searchkeywords": None, "services": []})
    state["profile_groups"][0]["groups"] = []
    state["users"][0]["social_links"]["twitter"] = "https://twitter.com/ops"
    desired = _desired()
    desired.objects["profile_groups"]["Germany"] = {"profiles": []}
    assert settings_lost(desired, state) == [
        "profile.twitter/claralines quick_replies",
        "profile.livechat/ClaraLines Web allowlisted_domains",
        "topic.Gone (deleted in config, still live)",
        "topic.Care streams",
        "profile_group.EMEA groups",
        "profile_group.Germany (missing)",
        "user.OPS@claralines.example social_links.twitter",
    ]


def test_settings_lost_compares_the_bio_after_expanding_its_links() -> None:
    desired = _desired()
    desired.objects["profiles"]["twitter/claralines"]["bio"] = "Fly. https://other.example/"
    assert settings_lost(desired, _state()) == ["profile.twitter/claralines bio"]


def test_duplicates_are_named_per_kind_with_their_count() -> None:
    state = _state()
    state["topics"] += [dict(state["topics"][0], id=7), dict(state["topics"][0], id=8)]
    state["profile_groups"].append(dict(state["profile_groups"][1], id=3))
    assert duplicates(state) == ["topic.Care x3", "profile_group.UK x2"]
    assert duplicates(_state()) == []


def test_faults_are_counted_from_the_call_log_by_kind() -> None:
    log = [{"status": 200}, {"status": 500, "error": "internal_server_error", "fault": "error"},
           {"status": None, "fault": "dropped"}, {"status": 200, "fault": "lost"},
           {"status": 400, "error": "rate_limit_reached"}, {"status": 500,
                                                            "error": "internal_server_error"}]
    assert dict(faults(log)) == {"calls": 6, "error": 1, "dropped": 1, "lost": 1,
                                 "rate_limit": 1}


def test_random_edits_are_seeded_and_keep_the_config_valid(tmp_path: Path) -> None:
    from scsync.config import load_config

    first, second = example_desired(), example_desired()
    done = random_edits(random.Random(3), first, 40)
    assert done == random_edits(random.Random(3), second, 40)
    assert first.objects == second.objects
    write_config(tmp_path, first, base_url="http://127.0.0.1:9")
    settings = yaml.safe_load((tmp_path / "scsync.yaml").read_text())
    assert settings["provider"] == {"type": "socialconnect", "base_url": "http://127.0.0.1:9",
                                    "account_id": 1001, "token": "${env:SCSYNC_TOKEN}"}
    load_config(tmp_path)  # raises on any invalid edit


def test_the_report_prints_every_figure_with_its_bound() -> None:
    report = Report(SoakOptions(cycles=0))
    lines = format_report(report).splitlines()
    assert lines[0].split() == ["figure", "value", "must", "be"]
    figures = {line[:52].strip(): line[52:].split() for line in lines[1:]}
    assert figures["duplicates found"] == ["0", "0"]
    assert figures["settings lost"] == ["0", "0"]
    assert figures["re-plans not empty"] == ["0", "0"]
    assert report.ok


# --- regressions the soak found ---


def test_a_renamed_group_held_by_other_groups_keeps_its_id_in_their_calls(
        tmp_path: Path) -> None:
    """Found by the soak (seed 3, cycle 9): renaming a group that another group holds made the
    holder's update refer to the renamed group as if it were created in the same run, so apply
    failed with "the id of profile_group.Germany r 11 is unknown: it was not created" on every
    re-run and never converged."""
    from scsync.config import load_config
    from scsync.emulator import open_emulator
    from tests.test_apply_support import FIXTURE, example_config, in_process, plan_and_apply

    config = example_config(tmp_path)
    emulator = open_emulator(tmp_path / "platform.db", fixture=FIXTURE)
    provider = in_process(emulator)
    try:
        assert plan_and_apply(config, provider).ledger.ok
        groups_file = tmp_path / "config" / "profile_groups.yaml"
        groups = yaml.safe_load(groups_file.read_text())
        groups["profile_groups"]["Germany DE"] = {
            **groups["profile_groups"].pop("Germany"), "previous_names": ["Germany"]}
        groups["profile_groups"]["EMEA"]["groups"] = ["UK", "Germany DE"]
        groups["profile_groups"]["DACH"] = {"profiles": ["twitter/ClaraLines"],
                                            "groups": ["Germany DE"]}
        groups_file.write_text(yaml.safe_dump(groups, sort_keys=False))
        renamed = load_config(tmp_path / "config")
        applied = plan_and_apply(renamed, provider)
        assert applied.ledger.ok, applied.ledger.render()
        # EMEA already holds the group being renamed (its id does not change): no write for it
        assert [c.address for c in applied.plan.changes] == [
            "profile_group.DACH", "profile_group.Germany DE"]
        again = plan_and_apply(renamed, provider)
        assert again.plan.calls == []
    finally:
        provider.close()
        emulator.close()
    live = {g["name"]: g for g in _live_groups(tmp_path / "platform.db")}
    german = live["Germany DE"]["id"]
    assert "Germany" not in live
    assert {"id": german} in live["EMEA"]["groups"]
    assert live["DACH"]["groups"] == [{"id": german}]


def _live_groups(db: Path) -> list[dict[str, Any]]:
    from scsync.emulator import open_emulator
    from tests.test_apply_support import controls

    emulator = open_emulator(db)
    try:
        with controls(emulator) as client:
            return list(client.get("/_emulator/state").json()["profile_groups"])
    finally:
        emulator.close()
