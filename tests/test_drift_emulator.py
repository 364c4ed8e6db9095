"""Drift against the emulator in-process: the example config applied to the ClaraLines fixture,
then out-of-band changes made through the emulator (``/_emulator/edit`` as a named user, deletes
and creates with that user's own token) at an advanced clock, and an expired stream
(``/_emulator/expire``). The report names the right user and time for each drifted object and
reads the settings history once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from scsync.config import Config
from scsync.emulator import Clock, Emulator, open_emulator
from scsync.ops.drift import DriftReport, detect_drift, has_drift, summary_line
from scsync.ops.drift_render import render
from scsync.providers.socialconnect import SocialConnectProvider
from scsync.resources import Kind
from tests.test_apply_support import (
    EMULATOR_URL,
    FIXTURE,
    NOW,
    controls,
    example_config,
    in_process,
    options_of,
    plan_and_apply,
)

ALICE = "alice@claralines.example"
CHECKED = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
Account = tuple[Config, Emulator, SocialConnectProvider]


@pytest.fixture()
def account(tmp_path: Path) -> Iterator[Account]:
    """The example config applied to the fixture at NOW (2026-11-22 10:00 UTC)."""
    config = example_config(tmp_path)
    emulator = open_emulator(tmp_path / "platform.db", fixture=FIXTURE,
                             clock=Clock(NOW.timestamp()))
    provider = in_process(emulator)
    applied = plan_and_apply(config, provider)
    assert applied.ledger.ok, applied.ledger.render()
    yield config, emulator, provider
    provider.close()
    emulator.close()


def at(emulator: Emulator, when: datetime) -> None:
    """Move the emulator's clock forward to ``when``."""
    text = control(emulator, "POST", "clock", {"advance_s": 0})["now"]
    now = datetime.fromisoformat(text.replace("Z", "+00:00"))
    control(emulator, "POST", "clock", {"advance_s": (when - now).total_seconds()})


def control(emulator: Emulator, method: str, name: str, body: Any = None) -> Any:
    with controls(emulator) as client:
        response = client.request(method, f"/_emulator/{name}", json=body)
        assert response.status_code == 200, response.text
        return response.json()


def edit(emulator: Emulator, user: str, object_type: str, object_id: Any,
         updates: dict[str, Any]) -> None:
    control(emulator, "POST", "edit", {"user": user, "object": {"type": object_type,
                                                                "id": object_id},
                                       "updates": updates})


def as_user(emulator: Emulator, email: str, method: str, path: str, **form: Any) -> Any:
    """A call of the platform API with ``email``'s own token (a web-app user at work)."""
    headers = {"Authorization": f"Bearer {emulator.token_for(email)}"}
    data = {k: json.dumps(v) for k, v in form.items()}
    with httpx.Client(transport=httpx.WSGITransport(app=emulator.wsgi),
                      base_url=EMULATOR_URL) as client:
        response = client.request(method, path, headers=headers, data=data or None)
    assert response.status_code == 200, response.text
    return response.json()["response"]


def live_id(provider: SocialConnectProvider, kind: Kind, name: str) -> str:
    found = next(r for r in provider.read().of_kind(kind) if r.name == name)
    assert found.id is not None
    return found.id


def out_of_band(config: Config, emulator: Emulator, provider: SocialConnectProvider) -> None:
    """Alice edits a profile, a topic's streams, deletes a group and creates a topic; ops (the
    token's user) edits a group and an ignored field; a stream expires."""
    competitors = int(live_id(provider, Kind.TOPIC, "Competitors"))
    uk = int(live_id(provider, Kind.PROFILE_GROUP, "UK"))
    germany = live_id(provider, Kind.PROFILE_GROUP, "Germany")
    at(emulator, datetime(2026, 11, 23, 14, 2, tzinfo=UTC))
    edit(emulator, ALICE, "profile", "twitter/ClaraLines",
         {"welcome_message": "Edited in the web app"})
    at(emulator, datetime(2026, 11, 23, 14, 30, tzinfo=UTC))
    edit(emulator, "ops@claralines.example", "profile", "twitter/ClaraLines",
         {"location": "Brussels"})  # ignore_changes: newer, but not the drifted field
    at(emulator, datetime(2026, 11, 23, 15, 0, tzinfo=UTC))
    edit(emulator, ALICE, "topic", competitors, {"services": [
        {"type": "twitter", "username": "CompetitorAir", "authorized": False},
        {"type": "facebook", "username": "competitorair", "authorized": False}]})
    at(emulator, datetime(2026, 11, 23, 15, 10, tzinfo=UTC))
    edit(emulator, "ops@claralines.example", "profilegroup", uk, {"color": "#000000"})
    at(emulator, datetime(2026, 11, 23, 15, 20, tzinfo=UTC))
    as_user(emulator, ALICE, "DELETE", f"/1001/settings/profilegroup/{germany}")
    at(emulator, datetime(2026, 11, 23, 15, 30, tzinfo=UTC))
    as_user(emulator, ALICE, "POST", "/1001/settings/topics", topic={"name": "Summer Promo"})
    control(emulator, "POST", "expire", {"type": "twitter", "service_id": "ClaraLinesHelp"})
    at(emulator, CHECKED)
    control(emulator, "DELETE", "calls")


def detect(config: Config, provider: SocialConnectProvider) -> DriftReport:
    return detect_drift(config.desired, provider.read(), provider, options_of(config),
                        now=CHECKED)


def test_right_after_apply_there_is_no_drift_and_no_history_read(account: Account) -> None:
    config, emulator, provider = account
    control(emulator, "DELETE", "calls")
    report = detect(config, provider)
    assert not has_drift(report)
    assert summary_line(report.summary) == "No drift. The platform matches the configuration."
    paths = [c["path"] for c in control(emulator, "GET", "calls")]
    assert "/1001/settings/history" not in paths


def test_out_of_band_changes_are_reported_with_who_and_when(account: Account) -> None:
    config, emulator, provider = account
    out_of_band(config, emulator, provider)
    report = detect(config, provider)
    assert has_drift(report)
    assert summary_line(report.summary) == (
        "Drift: 1 expired stream, 4 objects changed outside scsync, 1 missing, 1 extra "
        "(0 unmanaged objects not counted).")
    assert [h.address for h in report.expired] == [
        "stream.Service Channels/twitter/ClaraLinesHelp"]
    assert {c.address: ([f.path for f in c.fields], c.attribution) for c in report.changed} == {
        "profile.twitter/ClaraLines": (["welcome_message"], "changed by Alice Martin "
                                       "(alice@claralines.example) on 2026-11-23 14:02 UTC"),
        "topic.Competitors": (["streams"], "changed by Alice Martin (alice@claralines.example) "
                              "on 2026-11-23 15:00 UTC"),
        "profile_group.UK": (["color"], "changed by scsync's token user Ops "
                             "(ops@claralines.example) on 2026-11-23 15:10 UTC"),
        "profile_group.EMEA": (["groups"], "changed by Alice Martin "
                               "(alice@claralines.example) on 2026-11-23 15:20 UTC"),
    }
    assert [(o.address, o.attribution) for o in report.missing] == [
        ("profile_group.Germany", "deleted by Alice Martin (alice@claralines.example) on "
         "2026-11-23 15:20 UTC")]
    assert [(o.address, o.attribution) for o in report.extra] == [
        ("topic.Summer Promo", "last changed by Alice Martin (alice@claralines.example) on "
         "2026-11-23 15:30 UTC")]


def test_the_settings_history_is_read_once_for_every_drifted_object(account: Account) -> None:
    config, emulator, provider = account
    out_of_band(config, emulator, provider)
    calls = 0
    read_history = provider.history

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return read_history(*args, **kwargs)

    provider.history = counting  # type: ignore[method-assign]
    detect(config, provider)
    assert calls == 1
    history_gets = [c for c in control(emulator, "GET", "calls")
                    if c["path"] == "/1001/settings/history"]
    assert len(history_gets) == 1


def test_an_expired_stream_alone_is_drift(account: Account) -> None:
    config, emulator, provider = account
    control(emulator, "POST", "expire", {"type": "facebook", "service_id": "claralines"})
    report = detect(config, provider)
    assert has_drift(report)
    assert [h.message for h in report.expired] == [
        "stream facebook/claralines of topic ClaraLines Care is expired: it crawls no data "
        "until reconnected in Social Connect (Settings > Topics > ClaraLines Care > Reconnect)"]
    assert summary_line(report.summary) == (
        "Drift: 1 expired stream, 0 objects changed outside scsync, 0 missing, 0 extra "
        "(0 unmanaged objects not counted).")


def test_the_text_report_puts_expired_streams_first_and_attributes_each_object(
        account: Account) -> None:
    config, emulator, provider = account
    out_of_band(config, emulator, provider)
    lines = render(detect(config, provider), "text").splitlines()
    assert lines[:4] == [
        "Drift report: ClaraLines (account 1001), checked 2026-11-23 16:00 UTC",
        "",
        "Expired: reconnect these first (an expired stream crawls no data):",
        "  Error: stream.Service Channels/twitter/ClaraLinesHelp: stream twitter/ClaraLinesHelp "
        "of topic Service Channels is expired: it crawls no data until reconnected in Social "
        "Connect (Settings > Topics > Service Channels > Reconnect)",
    ]
    assert ("  # profile.twitter/ClaraLines: changed by Alice Martin (alice@claralines.example) "
            "on 2026-11-23 14:02 UTC") in lines
    assert "  + profile_group.Germany: in config but not on the platform (apply creates it)" \
        in lines
    assert lines[-1] == ("Drift: 1 expired stream, 4 objects changed outside scsync, "
                         "1 missing, 1 extra (0 unmanaged objects not counted).")
