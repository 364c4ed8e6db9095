"""Unit tests of drift detection over hand-built live states and a fake provider: what counts as
drift (expired streams do, unmanaged objects do not), profiles and users missing on the platform
reported instead of failing, attribution from one history read, and the summary line."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import pytest

from scsync.ops.drift import (
    DriftReport,
    DriftSummary,
    detect_drift,
    has_drift,
    summary_line,
)
from scsync.plan.options import PlanOptions
from scsync.providers.base import HistoryEntry, LiveState, RateBudget
from scsync.resources import Resource
from tests.plan_factories import (
    NOW,
    BuilderProvider,
    keyed,
    make_group,
    make_live,
    make_profile,
    make_topic,
    make_user,
    stream,
)

OPS = (1, "Ops")
NO_ENTRY = "no settings-history entry found for it since 2026-10-23 10:00 UTC"
ALICE = (2, "Alice Martin")


class HistoryProvider(BuilderProvider):
    """The fake provider with a settings history; records every ``history`` call."""

    def __init__(self, entries: Iterable[HistoryEntry] = ()) -> None:
        super().__init__()
        self.entries = list(entries)
        self.history_calls: list[tuple[datetime | None, tuple[str, ...]]] = []

    def history(self, since: datetime | None = None,
                object_ids: Iterable[str] = ()) -> list[HistoryEntry]:
        self.history_calls.append((since, tuple(object_ids)))
        return [e for e in self.entries if since is None or e.date >= since]


def entry(who: tuple[int, str], at: datetime, object_type: str, object_id: str,
          changes: dict[str, Any], *, action: str = "update", name: str = "") -> HistoryEntry:
    return HistoryEntry(date=at, user_id=who[0], user_name=who[1], type=action,
                        object_type=object_type, object_id=object_id, object_name=name,
                        changes=changes)


def users() -> list[Resource]:
    return [make_user("ops@claralines.example", live=True, id="1"),
            make_user("alice@claralines.example", live=True, id="2")]


def drift(desired: Iterable[Resource], live: LiveState, provider: HistoryProvider | None = None,
          **options: Any) -> DriftReport:
    return detect_drift(keyed(desired), live, provider or HistoryProvider(),
                        PlanOptions(**options), now=NOW)


def welcome_drift(entries: list[HistoryEntry]) -> tuple[DriftReport, HistoryProvider]:
    desired = [make_profile(welcome_message="Hi! How can we help?")]
    live = make_live([make_profile(live=True, welcome_message="Edited", location="HQ"),
                      *users()])
    provider = HistoryProvider(entries)
    return drift(desired, live, provider), provider


def test_the_summary_line_counts_each_section_and_says_so_when_there_is_none() -> None:
    assert summary_line(DriftSummary(expired_streams=2, changed=3, missing=1, unmanaged=4)) == (
        "Drift: 2 expired streams, 3 objects changed outside scsync, 1 missing, 0 extra "
        "(4 unmanaged objects not counted).")
    assert summary_line(DriftSummary(expired_streams=1, expired_profiles=1, changed=1,
                                     extra=2, unmanaged=1)) == (
        "Drift: 1 expired stream, 1 expired connected profile, 1 object changed outside "
        "scsync, 0 missing, 2 extra (1 unmanaged object not counted).")
    assert summary_line(DriftSummary(unmanaged=3)) == (
        "No drift. The platform matches the configuration.")


def test_no_drift_reads_no_history_and_unmanaged_objects_are_not_counted() -> None:
    desired = [make_profile(color="#6A1B9A")]
    live = make_live([make_profile(live=True, color="#6a1b9a"),
                      make_group("Legacy", live=True, color=None, profiles=[], groups=[])])
    provider = HistoryProvider()
    report = drift(desired, live, provider)
    assert not has_drift(report)
    assert [u.address for u in report.unmanaged] == ["profile_group.Legacy"]
    assert summary_line(report.summary) == "No drift. The platform matches the configuration."
    assert provider.history_calls == []
    assert report.history_since is None


def test_a_changed_field_is_attributed_to_the_newest_entry_that_touches_it() -> None:
    report, provider = welcome_drift([
        entry(ALICE, datetime(2026, 11, 21, 14, 2, tzinfo=NOW.tzinfo), "profile",
              "twitter/ClaraLines", {"welcome_message": {"old": "Hi", "new": "Edited"}}),
        entry(OPS, datetime(2026, 11, 21, 16, 0, tzinfo=NOW.tzinfo), "profile",
              "twitter/ClaraLines", {"location": {"old": None, "new": "HQ"}}),
        entry(ALICE, datetime(2026, 11, 21, 17, 0, tzinfo=NOW.tzinfo), "topic",
              "twitter/ClaraLines", {"welcome_message": {"old": "x", "new": "y"}}),
    ])
    (changed,) = report.changed
    assert changed.address == "profile.twitter/ClaraLines"
    assert [(f.path, f.live, f.config) for f in changed.fields] == [
        ("welcome_message", "Edited", "Hi! How can we help?")]
    assert changed.attribution == (
        "changed by Alice Martin (alice@claralines.example) on 2026-11-21 14:02 UTC")
    assert (changed.changed_by, changed.changed_by_email, changed.by_token_user) == (
        "Alice Martin (alice@claralines.example)", "alice@claralines.example", False)
    assert changed.changed_at == datetime(2026, 11, 21, 14, 2, tzinfo=NOW.tzinfo)
    assert provider.history_calls == [(NOW - timedelta(days=30), ())]
    assert report.history_since == NOW - timedelta(days=30)
    assert has_drift(report)


def test_without_an_entry_touching_the_field_the_newest_entry_for_the_object_is_used() -> None:
    report, _ = welcome_drift([
        entry(ALICE, NOW - timedelta(days=3), "profile", "twitter/ClaraLines",
              {"color": {"old": None, "new": "#000000"}}),
        entry(OPS, NOW - timedelta(days=2), "profile", "twitter/ClaraLines",
              {"location": {"old": None, "new": "HQ"}}),
    ])
    assert report.changed[0].attribution == (
        "changed by scsync's token user Ops (ops@claralines.example) on 2026-11-20 10:00 UTC")
    assert report.changed[0].by_token_user


def test_an_object_without_history_says_so() -> None:
    report, _ = welcome_drift([entry(ALICE, NOW - timedelta(days=1), "profile",
                                     "twitter/ClaraLinesHelp", {"welcome_message": {}})])
    assert report.changed[0].attribution == NO_ENTRY
    assert report.changed[0].changed_by is None and report.changed[0].changed_at is None


def test_entries_are_matched_by_object_type_and_id() -> None:
    desired = [make_topic("Care", searchkeywords="care", streams=[]),
               make_group("EMEA", color="#00897B", profiles=[], groups=[])]
    live = make_live([make_topic("Care", live=True, id="5", searchkeywords="old", streams=[]),
                      make_group("EMEA", live=True, id="5", color="#111111", profiles=[],
                                 groups=[]), *users()])
    provider = HistoryProvider([
        entry(ALICE, NOW - timedelta(hours=5), "topic", "5", {"searchkeywords": {}}),
        entry(OPS, NOW - timedelta(hours=2), "profilegroup", "5", {"color": {}}),
    ])
    report = drift(desired, live, provider)
    assert {c.address: c.changed_by for c in report.changed} == {
        "topic.Care": "Alice Martin (alice@claralines.example)",
        "profile_group.EMEA": "Ops (ops@claralines.example)"}
    assert len(provider.history_calls) == 1


def test_a_stream_change_is_attributed_through_the_history_name_services() -> None:
    desired = [make_topic("Care", searchkeywords="care",
                          streams=[stream("twitter/ClaraLines")])]
    live = make_live([make_topic("Care", live=True, id="7", searchkeywords="care", streams=[]),
                      make_profile("twitter/ClaraLines", live=True), *users()])
    provider = HistoryProvider([
        entry(ALICE, NOW - timedelta(hours=5), "topic", "7", {"services": {}}),
        entry(OPS, NOW - timedelta(hours=1), "topic", "7", {"searchkeywords": {}}),
    ])
    (changed,) = drift(desired, live, provider).changed
    assert [f.path for f in changed.fields] == ["streams"]
    assert changed.changed_by == "Alice Martin (alice@claralines.example)"


def test_profiles_and_users_missing_on_the_platform_are_reported_not_raised() -> None:
    desired = [make_profile("twitter/Ghost", color="#000000"),
               make_user("bob@claralines.example",
                         **{"social_links.linkedin": "https://linkedin.com/in/bob"}),
               make_topic("New", searchkeywords="new", streams=[])]
    provider = HistoryProvider([entry(OPS, NOW - timedelta(days=1), "topic", "9", {},
                                      action="delete", name="New")])
    report = drift(desired, make_live(users()), provider)
    assert [(o.address, o.message, o.attribution) for o in report.missing] == [
        ("profile.twitter/Ghost", "in config but not connected to this account; connect it in "
         "Social Connect (Account settings > Profiles > Add profile)",
         NO_ENTRY),
        ("topic.New", "in config but not on the platform (apply creates it)",
         "deleted by scsync's token user Ops (ops@claralines.example) on 2026-11-21 10:00 UTC"),
        ("user.bob@claralines.example", "in config but not a user of this account; invite "
         "bob@claralines.example in Social Connect (Account settings > Users)",
         NO_ENTRY),
    ]
    assert report.summary.missing == 3 and has_drift(report)


def test_objects_of_authoritative_kinds_that_config_lacks_are_extra_and_protected_ones_say_so(
        ) -> None:
    live = make_live([make_topic("Old", live=True, id="3", searchkeywords=None, streams=[]),
                      make_topic("Keep", live=True, id="4", searchkeywords=None, streams=[]),
                      *users()])
    provider = HistoryProvider([entry(ALICE, NOW - timedelta(days=2), "topic", "3", {},
                                      action="create", name="Old")])
    report = drift([], live, provider, ownership={"topics": "authoritative"},
                   protect=["topic.Keep"])
    assert [(o.address, o.protected, o.message, o.attribution) for o in report.extra] == [
        ("topic.Keep", True, "on the platform but not in config; protected by `protect:`, so "
         "apply will not delete it", NO_ENTRY),
        ("topic.Old", False, "on the platform but not in config (apply deletes it: its kind is "
         "authoritative)",
         "last changed by Alice Martin (alice@claralines.example) on 2026-11-20 10:00 UTC"),
    ]
    assert report.summary.extra == 2


def test_an_expired_stream_alone_is_drift_and_comes_first() -> None:
    topic = make_topic("Care", searchkeywords="care", streams=[stream("twitter/ClaraLines")])
    live = make_live([make_topic("Care", live=True, searchkeywords="care",
                                 streams=[stream("twitter/ClaraLines", expired=True)])])
    provider = HistoryProvider()
    report = drift([topic], live, provider)
    assert [(h.kind, h.address) for h in report.expired] == [
        ("expired_stream", "stream.Care/twitter/ClaraLines")]
    assert report.changed == []
    assert has_drift(report)
    assert summary_line(report.summary) == (
        "Drift: 1 expired stream, 0 objects changed outside scsync, 0 missing, 0 extra "
        "(0 unmanaged objects not counted).")
    assert provider.history_calls == []


@pytest.mark.parametrize(("remaining", "warned"), [(34, True), (35, False)])
def test_a_rate_limit_nearly_spent_is_a_health_item_not_drift(remaining: int,
                                                              warned: bool) -> None:
    live = make_live(rate=RateBudget(350, remaining, NOW.timestamp() + 600, 3600))
    report = drift([], live)
    messages = [h.message for h in report.health if h.kind == "rate_limit"]
    assert messages == ([f"only {remaining} of 350 API calls are left in this rate-limit "
                         "window (it resets at 2026-11-22 10:10 UTC); other jobs on this "
                         "token may be slowed or refused"] if warned else [])
    assert not has_drift(report)


def test_a_token_near_expiry_is_a_health_item_not_drift() -> None:
    report = drift([], make_live(token_expires_at=NOW + timedelta(days=5)))
    assert [h.kind for h in report.health] == ["token_expiry"]
    assert report.health[0].message.startswith("the API token expires on 2026-11-27 10:00 UTC")
    assert not has_drift(report)


def test_since_overrides_the_history_window() -> None:
    desired = [make_profile(color="#000000")]
    provider = HistoryProvider()
    since = NOW - timedelta(days=2)
    report = detect_drift(keyed(desired), make_live([make_profile(live=True, color="#ffffff")]),
                          provider, PlanOptions(), now=NOW, since=since)
    assert provider.history_calls == [(since, ())]
    assert report.history_since == since


def test_the_report_round_trips_through_json() -> None:
    report, _ = welcome_drift([entry(ALICE, NOW - timedelta(days=1), "profile",
                                     "twitter/ClaraLines", {"welcome_message": {}})])
    assert DriftReport.model_validate_json(report.model_dump_json()) == report
