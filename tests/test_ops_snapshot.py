"""``scsync snapshot``: the live account as an emulator fixture without tokens, planned offline
(same live state, same plan) and served by ``scsync emulator serve --fixture`` as a copy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from scsync.errors import ScsyncError
from scsync.ops.snapshot import (
    describe_age,
    live_from_snapshot,
    read_snapshot,
    snapshot_age,
    snapshot_note,
    write_snapshot,
)
from scsync.providers.factory import build_provider
from tests.emulator_helpers import start_process, stop_process
from tests.test_ops_fixture import EXAMPLE_CONFIG, fields_of, nested_groups, plan_of, provider_for


def test_snapshot_holds_the_account_in_fixture_form_without_tokens(tmp_path: Path) -> None:
    with provider_for(tmp_path) as provider:
        doc = write_snapshot(provider, tmp_path / "snap.yaml")
    text = (tmp_path / "snap.yaml").read_text()
    assert text.startswith("# scsync snapshot of account 1001 (ClaraLines) taken ")
    for secret in ("demo-admin-token", "demo-agent-token", "demo-admin-refresh",
                   "demo-client-secret", "tokens:"):
        assert secret not in text
    assert yaml.safe_load(text) == doc
    assert list(doc) == ["emulator_fixture", "clock", "account", "projects", "users",
                         "connected_profiles", "profiles", "public_pages", "flows", "topics",
                         "profile_groups"]
    assert doc["account"] == {"id": 1001, "name": "ClaraLines",
                              "features": {"profile_groups": True}}
    assert doc["users"][1] == {"id": 2, "email": "alice@claralines.example",
                               "name": "Alice Martin", "role": "admin",
                               "social_links": {"twitter": "https://twitter.com/alice",
                                                "facebook": "https://facebook.com/alice.clara"}}
    twitter = doc["profiles"][0]
    assert twitter["settings"]["bio"].startswith("Fly with ClaraLines. https://t.co/")
    assert twitter["settings"]["bio_urls"][0]["expanded_url"] == \
        "https://clarabridge.com/claralines/"
    assert doc["public_pages"] == [
        {"type": "facebook", "service_id": "competitorair", "username": "competitorair",
         "displayname": "Competitor Air"},
        {"type": "twitter", "service_id": "CompetitorAir", "username": "CompetitorAir",
         "displayname": "Competitor Air"}]
    assert doc["profile_groups"][0] == {"id": 1, "name": "EMEA", "color": "#00796b",
                                        "profiles": [{"type": "twitter",
                                                      "service_id": "ClaraLines"}],
                                        "groups": []}


def test_planning_offline_against_a_snapshot_gives_the_live_plan(tmp_path: Path) -> None:
    with provider_for(tmp_path, nested_groups()) as provider:
        live = provider.read()
        write_snapshot(provider, tmp_path / "snap.yaml")
        online = plan_of(EXAMPLE_CONFIG, live, provider)
        offline_live = live_from_snapshot(tmp_path / "snap.yaml")
        offline = plan_of(EXAMPLE_CONFIG, offline_live, provider)
    assert fields_of(offline_live) == fields_of(live)
    assert offline == online
    assert "topic.ClaraLines Care" in offline
    assert offline_live.read_at is not None and live.read_at is not None
    assert abs(offline_live.read_at - live.read_at) < timedelta(seconds=30)


def test_a_snapshot_served_as_a_fixture_is_a_copy_of_the_account(tmp_path: Path) -> None:
    with provider_for(tmp_path, nested_groups()) as provider:
        live = provider.read()
        write_snapshot(provider, tmp_path / "snap.yaml")
    process, url, token = start_process(tmp_path / "copy.db", "--fixture",
                                        str(tmp_path / "snap.yaml"))
    try:
        copy = build_provider({"type": "socialconnect", "base_url": url, "account_id": 1001,
                               "token": token}, base_dir=tmp_path)
        try:
            served = copy.read()
        finally:
            copy.close()
    finally:
        stop_process(process)
    assert fields_of(served) == fields_of(live)
    assert served.flows == live.flows
    assert served.connected_profiles == live.connected_profiles


def test_age_and_the_note_a_plan_shows() -> None:
    doc = {"emulator_fixture": 1, "clock": "2026-11-22T10:00:00Z"}
    now = datetime(2026, 11, 24, 13, 30, tzinfo=UTC)
    assert snapshot_age(doc, now) == timedelta(days=2, hours=3, minutes=30)
    assert snapshot_note("prod.yaml", doc, now) == \
        "Live state from snapshot prod.yaml, taken 2026-11-22T10:00:00Z (2 days ago)."
    assert describe_age(timedelta(hours=1, minutes=59)) == "1 hour"
    assert describe_age(timedelta(seconds=59)) == "0 minutes"
    assert describe_age(timedelta(minutes=5)) == "5 minutes"


def test_a_file_that_is_not_a_snapshot_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "x.yaml"
    bad.write_text("topics: []\n")
    with pytest.raises(ScsyncError) as caught:
        read_snapshot(bad)
    assert str(caught.value) == f"{bad}: not a snapshot (emulator_fixture: 1 is missing)"
