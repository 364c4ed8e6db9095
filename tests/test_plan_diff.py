"""The keyed diff: matching, normalisation, renames, ignore_changes, field-level changes, calls."""

from __future__ import annotations

import pytest

from scsync.errors import PlanError
from scsync.plan.fingerprint import matches_after, precondition, still_matches
from scsync.plan.model import FieldChange
from tests.plan_factories import (
    make_group,
    make_profile,
    make_topic,
    make_user,
    plan_of,
    stream,
)


def test_equal_after_normalisation_is_no_change() -> None:
    desired = [
        make_profile(color="#6A1B9A", bio="Fly  the skies\n of Claraland ",
                     allowlisted_domains=["https://b.example", "https://a.example"]),
        make_topic(searchkeywords="claralines", streams=[
            stream("facebook/ClaraLines"), stream("twitter/CLARALINES")]),
        make_group(color="#00897B", profiles=["TWITTER/ClaraLines".lower(), "twitter/CLARALINES"],
                   groups=[]),
        make_user("Alice@ClaraLines.example", **{"social_links.linkedin": "https://l.in/a"}),
    ]
    live = [
        make_profile(live=True, color="#6a1b9a", bio="Fly the skies of Claraland",
                     allowlisted_domains=["https://a.example", "https://b.example"]),
        make_topic(live=True, searchkeywords="claralines", streams=[
            stream("twitter/ClaraLines", expired=True), stream("facebook/claralines")]),
        make_group(live=True, color="#00897b", profiles=["twitter/ClaraLines"], groups=None),
        make_user("alice@claralines.example", live=True,
                  **{"social_links.linkedin": "https://l.in/a", "social_links.twitter": "t"}),
    ]
    plan = plan_of(desired, live)
    assert plan.changes == [] and plan.calls == [] and plan.summary.total == 0


def test_profile_update_sends_only_changed_fields_with_display_values() -> None:
    plan = plan_of([make_profile(color="#6A1B9A", welcome_message="Hi!", location="Ghent")],
                   [make_profile(live=True, color="#1E88E5", welcome_message="Hi!",
                                 location="Ghent", url="https://x.example")])
    (change,) = plan.changes
    assert change.address == "profile.twitter/ClaraLines" and change.action == "update"
    assert change.fields == [FieldChange(path="color", before="#1E88E5", after="#6A1B9A")]
    assert change.before == {"color": "#1E88E5", "welcome_message": "Hi!", "location": "Ghent"}
    assert change.after == {"color": "#6A1B9A", "welcome_message": "Hi!", "location": "Ghent"}
    assert change.live_id == "twitter/ClaraLines"
    (call,) = plan.calls
    assert (call.method, call.path, call.form) == (
        "POST", "/1001/settings/profile/twitter/ClaraLines", {"updates": {"color": "#6A1B9A"}})
    assert plan.summary.model_dump() == {"add": 0, "change": 1, "destroy": 0}


def test_absent_field_is_unmanaged_and_explicit_null_clears() -> None:
    live = [make_profile(live=True, location="Ghent", url="https://x.example")]
    assert plan_of([make_profile(location="Ghent")], live).changes == []
    (change,) = plan_of([make_profile(url=None)], live).changes
    assert change.fields == [FieldChange(path="url", before="https://x.example", after=None)]


def test_ignore_changes_skips_the_field() -> None:
    live = [make_profile(live=True, location="Brussels", color="#000000")]
    desired = make_profile(location="Ghent", color="#FFFFFF", ignore_changes=["location"])
    (change,) = plan_of([desired], live).changes
    assert [f.path for f in change.fields] == ["color"]


def test_ignore_changes_of_a_field_leaves_a_field_whose_name_it_begins_alone() -> None:
    before = [{"label": "Refund?", "flow": "Refund"}]
    after = [{"label": "Bags", "flow": "Baggage"}]
    live = [make_profile(live=True, quick_replies=before, quick_replies_on_every_message=before,
                         welcome_message="Hi")]  # quick replies need one, on the platform too
    desired = make_profile(quick_replies=after, quick_replies_on_every_message=after,
                           ignore_changes=["quick_replies"])
    (change,) = plan_of([desired], live).changes
    assert [f.path for f in change.fields] == ["quick_replies_on_every_message"]


def test_ignore_changes_prefix_covers_flattened_links() -> None:
    live = [make_user(live=True, id="2", **{"social_links.linkedin": "https://l.in/old"})]
    desired = make_user(ignore_changes=["social_links"],
                        **{"social_links.linkedin": "https://l.in/new"})
    assert plan_of([desired], live).changes == []


def test_user_matched_by_email_case_insensitively_and_link_updated() -> None:
    live = [make_user("Alice@ClaraLines.example", live=True, id="2",
                      **{"social_links.linkedin": None})]
    plan = plan_of([make_user("alice@claralines.example",
                              **{"social_links.linkedin": "https://linkedin.com/in/alice"})], live)
    (change,) = plan.changes
    assert change.address == "user.alice@claralines.example"
    assert change.fields == [FieldChange(path="social_links.linkedin", before=None,
                                         after="https://linkedin.com/in/alice")]
    assert plan.calls[0].path == "/1001/settings/user/2"


def test_rename_by_previous_names_is_an_update() -> None:
    live = [make_topic("Claralines Care", live=True, id="201", searchkeywords="x", streams=[])]
    desired = make_topic("ClaraLines Care", previous_names=["Claralines Care"],
                         searchkeywords="x", streams=[])
    plan = plan_of([desired], live, ownership={"topics": "authoritative"})
    (change,) = plan.changes
    assert (change.action, change.address, change.renamed_from) == (
        "update", "topic.ClaraLines Care", "Claralines Care")
    assert change.fields == [FieldChange(path="name", before="Claralines Care",
                                         after="ClaraLines Care")]
    (call,) = plan.calls
    assert (call.path, call.form) == ("/1001/settings/topic/201",
                                      {"updates": {"name": "ClaraLines Care"}})


def test_rename_ignored_when_the_new_name_is_live() -> None:
    live = [make_topic("Old", live=True, id="1", streams=[]),
            make_topic("New", live=True, id="2", streams=[])]
    plan = plan_of([make_topic("New", previous_names=["Old"], streams=[])], live,
                   ownership={"topics": "authoritative"})
    assert [(c.action, c.address) for c in plan.changes] == [("delete", "topic.Old")]


def test_two_live_objects_matching_previous_names_is_an_error() -> None:
    live = [make_topic("A", live=True, id="1", streams=[]),
            make_topic("B", live=True, id="2", streams=[])]
    desired = make_topic("C", line=4, previous_names=["A", "B"], streams=[])
    with pytest.raises(PlanError) as caught:
        plan_of([desired], live)
    assert str(caught.value) == (
        'topics.yaml:7:19: topic.C previous_names: previous_names match "A" and "B" on the '
        "platform; a rename needs exactly one live object: delete the other or remove its name "
        "from previous_names")


def test_stream_change_carries_complete_lists_without_expired() -> None:
    live = [make_topic(live=True, id="7", streams=[stream("twitter/ClaraLines", expired=True)])]
    desired = make_topic(streams=[stream("twitter/ClaraLines"),
                                  stream("facebook/competitorair", False)])
    plan = plan_of([desired], live)
    (change,) = plan.changes
    assert change.fields == [FieldChange(
        path="streams", before=[{"profile": "twitter/ClaraLines", "authorized": True}],
        after=[{"profile": "twitter/ClaraLines", "authorized": True},
               {"profile": "facebook/competitorair", "authorized": False}])]
    assert plan.calls[0].form == {"updates": {"services": [
        {"type": "twitter", "username": "ClaraLines", "authorized": True,
         "connectedprofile_id": 10},
        {"type": "facebook", "username": "competitorair", "authorized": False}]},
        "options": {"services_edit_mode": "overwrite"}}


def test_create_topic_is_one_call_with_its_streams() -> None:
    plan = plan_of([make_topic("Competitors", searchkeywords="competitorair", streams=[
        stream("twitter/CompetitorAir", False)])])
    (change,) = plan.changes
    assert change.action == "create" and change.precondition == "absent"
    assert change.fields == [
        FieldChange(path="name", after="Competitors"),
        FieldChange(path="searchkeywords", after="competitorair"),
        FieldChange(path="streams", after=[{"profile": "twitter/CompetitorAir",
                                            "authorized": False}])]
    assert [c.model_dump() for c in plan.calls] == [{
        "method": "POST", "path": "/1001/settings/topics", "address": "topic.Competitors",
        "action": "create", "form": {"topic": {"name": "Competitors",
                                               "searchkeywords": "competitorair", "services": [
            {"type": "twitter", "username": "CompetitorAir", "authorized": False}]}},
        "depends_on": []}]
    assert plan.summary.add == 1


def test_profiles_and_users_are_never_created_or_deleted() -> None:
    live = [make_profile("twitter/Other", live=True), make_user("bob@x.example", live=True)]
    plan = plan_of([], live, ownership={"topics": "authoritative"})
    assert plan.changes == [] and plan.unmanaged == []


def test_live_only_topic_deleted_when_authoritative_unmanaged_when_additive() -> None:
    live = [make_topic("Old Campaign", live=True, id="9", streams=[stream("twitter/X")])]
    plan = plan_of([], live, ownership={"topics": "authoritative"})
    (change,) = plan.changes
    assert (change.action, change.address, change.after) == ("delete", "topic.Old Campaign",
                                                              None)
    assert plan.calls[0].model_dump() == {"method": "DELETE", "path": "/1001/settings/topic/9",
                                          "form": {}, "address": "topic.Old Campaign",
                                          "action": "delete", "depends_on": []}
    additive = plan_of([], live)
    assert additive.changes == [] and additive.calls == []
    assert [u.model_dump() for u in additive.unmanaged] == [
        {"address": "topic.Old Campaign", "kind": "topic"}]


def test_preconditions_ignore_cosmetic_differences_and_detect_changes() -> None:
    live = make_profile(live=True, color="#1e88e5", bio="a  b")
    same = make_profile(live=True, color="#1E88E5", bio="a b")
    other = make_profile(live=True, color="#FFFFFF", bio="a b")
    plan = plan_of([make_profile(color="#6A1B9A")], [live])
    (change,) = plan.changes
    assert change.precondition == precondition("update", ["color"], same)
    assert len(change.precondition) == 16
    assert still_matches(change, same) and not still_matches(change, other)
    done = make_profile(live=True, color="#6a1b9a")
    assert matches_after(change, done) and not matches_after(change, live)
    assert not matches_after(change, None)

