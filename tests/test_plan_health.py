"""Health items, rate info, reads and the sample plan the renderer tests use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scsync.providers.base import RateBudget
from tests.plan_factories import NOW, make_live, make_topic, plan_of, sample_plan, stream


def test_sample_plan_has_every_change_gate_and_health_item() -> None:
    plan = sample_plan()
    assert plan.created_at == datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    assert [(c.action, c.address, c.blocked) for c in plan.changes] == [
        ("create", "topic.Service Channels", False),
        ("create", "profile_group.London", False),
        ("create", "profile_group.UK", False),
        ("update", "profile.twitter/ClaraLines", False),
        ("update", "topic.ClaraLines Care", False),
        ("update", "profile_group.EMEA", False),
        ("update", "user.alice@claralines.example", False),
        ("delete", "profile_group.Legacy", False),
        ("delete", "topic.Old Promo A", False),
        ("delete", "topic.Old Promo B", False),
        ("delete", "topic.Old Promo C", False),
        ("delete", "topic.Old Promo D", False),
        ("delete", "topic.Spring Sale", True)]
    assert plan.summary.model_dump() == {"add": 3, "change": 4, "destroy": 5}
    assert len(plan.calls) == 12 and plan.reads == 9
    assert [(r.reason, r.forceable) for r in plan.refusals] == [
        ("topic.Spring Sale is protected by `protect:` in scsync.yaml and would be deleted",
         False), ("Too many deletes of topics: 4 of 11 (36%) is over 30%", True)]
    assert [h.kind for h in plan.health] == [
        "expired_stream", "expired_connected_profile", "missing_permissions", "token_expiry",
        "rate_limit", "plan_warning", "plan_warning"]


def test_sample_plan_health_messages() -> None:
    health = {h.kind: (h.severity, h.address, h.message) for h in sample_plan().health}
    assert health["expired_stream"] == (
        "error", "stream.Claralines Care/facebook/claralines",
        "stream facebook/claralines of topic Claralines Care is expired: it crawls no data "
        "until reconnected in Social Connect (Settings > Topics > Claralines Care > Reconnect)")
    assert health["token_expiry"] == (
        "warning", "", "the API token expires on 2026-12-01 10:00 UTC (in 9 days); renew it, "
        "or configure refresh_token, client_id and client_secret")
    assert health["rate_limit"] == (
        "warning", "", "apply needs 30 calls but only 4 of 350 remain in this rate-limit "
        "window; it will wait for the reset at 2026-11-22 10:30 UTC")
    assert health["expired_connected_profile"][2] == (
        "the whatsapp connected profile Alice on WhatsApp of Alice@ClaraLines.example is "
        "expired: authorized streams that need it cannot be added; reconnect it in Social "
        "Connect (Personal settings > Connected profiles)")


def test_expired_streams_of_unmanaged_topics_are_reported_too() -> None:
    live = make_live([make_topic("Other", live=True, streams=[
        stream("twitter/X", False, expired=True), stream("twitter/Y", False, expired=False)])])
    plan = plan_of([], live)
    assert [(h.kind, h.address) for h in plan.health] == [("expired_stream",
                                                           "stream.Other/twitter/X")]
    assert plan.changes == []


def test_token_far_from_expiry_and_enough_budget_are_quiet() -> None:
    live = make_live([], token_expires_at=NOW + timedelta(days=15),
                     rate=RateBudget(350, 340, NOW.timestamp() + 60, 3600))
    plan = plan_of([make_topic(streams=[])], live)
    assert plan.health == []
    assert plan.rate is not None and plan.rate.model_dump() == {
        "limit": 350, "remaining": 340, "reset_at": NOW + timedelta(seconds=60),
        "window_s": 3600}


def test_token_within_warning_days() -> None:
    live = make_live([], token_expires_at=NOW + timedelta(days=14))
    (item,) = plan_of([], live).health
    assert item.kind == "token_expiry" and "(in 14 days)" in item.message
