"""The plan is the contract: a plan that exits 0 or 2 is one the platform accepts. Each case of
issues 13 (point 1) and 20 against the emulator, through the CLI: where the plan refuses, the
exact message (plan and apply alike) and not one write; where the plan passes, apply succeeds
and the next plan is empty."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests import emulator_helpers as helpers
from tests.contract_support import Small, live_groups, small_account, with_settings
from tests.emulator_helpers import Api, error, make_fixture

clock, emu, api = helpers.clock, helpers.emu, helpers.api  # the fixtures the API test uses

FB = ("facebook", "clara")
TW = ("twitter", "Clara")
BAG = {"question": "Where is my bag?", "flow_id": 501}


def refused(small: Small, *lines: str) -> None:
    """Plan and apply both fail with exactly ``lines`` on stderr, and nothing is written."""
    plan = small.plan()
    assert (plan.exit_code, plan.stderr.splitlines()) == (1, list(lines)), plan.output
    applied = small.apply()
    assert (applied.exit_code, applied.stderr.splitlines()) == (1, list(lines)), applied.output
    assert small.writes() == []


def converges(small: Small) -> list[tuple[str, str]]:
    """Plan (changes), apply (exit 0), plan again (no changes); the writes apply made."""
    first = small.plan()
    assert first.exit_code == 2, first.output
    small.emu.clear_calls()
    applied = small.apply()
    assert applied.exit_code == 0, applied.output
    writes = small.writes()
    again = small.plan()
    assert again.exit_code == 0, again.output
    return writes


# -- issue 13, point 1: rules between two fields, on the profile as it will be ---------------

def test_get_started_while_the_platform_has_ice_breakers(tmp_path: Path) -> None:
    small = small_account(tmp_path, {"profiles": {"facebook/clara": {"get_started": "Refund"}}},
                          profiles=with_settings(*FB, {"ice_breakers": [BAG]}))
    refused(small, "profiles.yaml:3:18: profile.facebook/clara get_started: ice breakers "
            'override Get Started; the platform has ice_breakers: ["Where is my bag?"], which '
            "this config leaves as it is: add ice_breakers: [] to clear it, or remove "
            "get_started")


@pytest.mark.parametrize(("live", "shown"), [
    ({"ice_breakers": [BAG]}, 'ice_breakers: ["Where is my bag?"]'),
    ({"persistent_menu": [{"label": "Refunds", "flow_id": 501}]}, 'persistent_menu: ["Refunds"]'),
])
def test_case_creation_rules_while_the_platform_has_flows_on_start(
        tmp_path: Path, live: dict[str, Any], shown: str) -> None:
    small = small_account(tmp_path, {"profiles": {"facebook/clara": {
        "case_creation_rules": True}}}, profiles=with_settings(*FB, live))
    field = shown.partition(":")[0]
    refused(small, f"profiles.yaml:3:26: profile.facebook/clara case_creation_rules: {field} "
            "cannot be combined with case_creation_rules: true (case creation sends a flow on "
            f"every new case); the platform has {shown}, which this config leaves as it is: add "
            f"{field}: [] to clear it, or remove case_creation_rules")


def test_clearing_the_welcome_message_while_the_platform_has_quick_replies(
        tmp_path: Path) -> None:
    small = small_account(tmp_path, {"profiles": {"twitter/Clara": {"welcome_message": None}}},
                          profiles=with_settings(*TW, {"welcome_message": "Hi", "quick_replies": [
                              {"label": "Refunds", "flow_id": 501}]}))
    refused(small, "profiles.yaml:3:22: profile.twitter/Clara welcome_message: quick replies "
            'need a welcome message; the platform has quick_replies: ["Refunds"], which this '
            "config leaves as it is: add quick_replies: [] to clear it, or keep welcome_message")


def test_quick_replies_need_the_live_welcome_message_when_config_leaves_it(
        tmp_path: Path) -> None:
    config = {"profiles": {"twitter/Clara": {"quick_replies": [
        {"label": "Refunds", "flow": "Refund"}]}}}
    refused(small_account(tmp_path / "none", config),
            "profiles.yaml:4:5: profile.twitter/Clara quick_replies: quick replies need a "
            "welcome message; the platform has welcome_message: null, which this config leaves "
            "as it is: set welcome_message in this profile's config")
    welcomed = small_account(tmp_path / "live", config,
                             profiles=with_settings(*TW, {"welcome_message": "Hi"}))
    assert converges(welcomed) == [("POST", "/1001/settings/profile/twitter/Clara")]


CUSTOM = {"custom_profiles": [{"name": "Clara", "avatar": "https://a.example/c.png"}],
          "accept_custom_profile_terms": True, "privacy_policy_url": "https://a.example/p"}


def test_clearing_the_privacy_policy_while_the_platform_has_custom_profiles(
        tmp_path: Path) -> None:
    small = small_account(tmp_path, {"profiles": {"twitter/Clara": {
        "privacy_policy_url": None}}}, profiles=with_settings(*TW, CUSTOM))
    refused(small, "profiles.yaml:3:25: profile.twitter/Clara privacy_policy_url: custom "
            'profiles need a privacy policy; the platform has custom_profiles: ["Clara"], which '
            "this config leaves as it is: add custom_profiles: [] to clear it, or keep "
            "privacy_policy_url")


def test_issue20_1_withdrawing_the_terms_while_the_platform_has_custom_profiles(
        tmp_path: Path) -> None:
    small = small_account(tmp_path, {"profiles": {"twitter/Clara": {
        "accept_custom_profile_terms": None}}}, profiles=with_settings(*TW, CUSTOM))
    refused(small, "profiles.yaml:3:34: profile.twitter/Clara accept_custom_profile_terms: "
            "custom profiles need the custom-profile terms accepted; the platform has "
            'custom_profiles: ["Clara"], which this config leaves as it is: add '
            "custom_profiles: [] to clear it, or keep accept_custom_profile_terms")


def test_setting_both_sides_of_a_rule_in_config_is_not_a_live_conflict(tmp_path: Path) -> None:
    small = small_account(tmp_path, {"profiles": {"facebook/clara": {
        "get_started": "Refund", "ice_breakers": []}}},
        profiles=with_settings(*FB, {"ice_breakers": [BAG]}))
    assert converges(small) == [("POST", "/1001/settings/profile/facebook/clara")]


# -- issue 13, point 1: what the client accepted and the platform refuses --------------------

WA = "whatsapp/15550001111"
WA_OK = {"address": "1 Road", "description": "Us", "vertical": "travel"}


@pytest.mark.parametrize(("fields", "line"), [
    ({"address": ""}, "profiles.yaml:3:14: profile.whatsapp/15550001111 address: cannot be "
                      "empty or only white space: the platform requires a text"),
    ({"description": " "}, "profiles.yaml:4:18: profile.whatsapp/15550001111 description: "
                           "cannot be empty or only white space: the platform requires a text"),
    ({"avatar_url": "https://a.example/a.jpg?v=2"},
     "profiles.yaml:6:17: profile.whatsapp/15550001111 avatar_url: the WhatsApp avatar must be "
     "a URL ending in .jpg or .jpeg (nothing after it, not even a query string)"),
])
def test_whatsapp_values_the_platform_refuses(tmp_path: Path, fields: dict[str, Any],
                                              line: str) -> None:
    small = small_account(tmp_path, {"profiles": {WA: {**WA_OK, **fields}}})
    refused(small, line)


def test_a_live_chat_domain_over_256_characters(tmp_path: Path) -> None:
    domain = "https://a.example/" + "d" * 239
    small = small_account(tmp_path, {"profiles": {"livechat/Clara Web": {
        "allowlisted_domains": [domain]}}})
    refused(small, "profiles.yaml:4:7: profile.livechat/Clara Web allowlisted_domains[0]: "
            "allowlisted_domains[0] is 257 characters; Live Chat allows 256")


@pytest.mark.parametrize("blank", [" ", "\t"])
def test_issue20_3_blank_required_texts(tmp_path: Path, blank: str) -> None:
    small = small_account(tmp_path, {"profiles": {"facebook/clara": {"ice_breakers": [
        {"question": blank, "flow": "Refund"}], "persistent_menu": [
        {"label": blank, "flow": "Refund"}]}}})
    refused(small,
            "profiles.yaml:4:17: profile.facebook/clara ice_breakers[0].question: cannot be "
            "empty or only white space: the platform requires a text",
            "profiles.yaml:7:14: profile.facebook/clara persistent_menu[0].label: cannot be "
            "empty or only white space: the platform requires a text")


def test_issue20_4_a_user_link_with_a_stray_bracket(tmp_path: Path) -> None:
    small = small_account(tmp_path, {"users": {"alice@x.example": {"social_links": {
        "twitter": "https://example.com]x"}}}})
    refused(small, 'users.yaml:4:16: user.alice@x.example social_links.twitter: '
            '"https://example.com]x" is not a URL; write a full http:// or https:// address')


def test_issue20_4_the_emulator_answers_invalid_parameter_never_raises(api: Api) -> None:
    answer = api.post("/1001/settings/user/2", updates={"social_links": {
        "twitter": "https://example.com]x"}})
    assert error(answer) == (400, "invalid_parameter", "social_links.twitter: "
                             "'https://example.com]x' is not a valid http(s) URL")


# -- profile groups: references to deleted groups, and the limit at every step ---------------

GROUPS_OWNED = {"ownership": {"profile_groups": "authoritative"},
                "safety": {"max_delete_ratio": 1.0}}


def test_issue20_5_a_group_holding_a_group_the_plan_deletes(tmp_path: Path) -> None:
    small = small_account(tmp_path, {"profile_groups": {"Messaging": {"groups": ["Live 01"]}}},
                          settings=GROUPS_OWNED,
                          profile_groups=live_groups(1))
    refused(small, 'profile_groups.yaml:4:7: profile_group.Messaging groups[0]: profile group '
            '"Live 01" is on the platform but not in the config, so this plan deletes it '
            "(profile_groups: authoritative); add it to the config, or remove it from groups")


@pytest.mark.parametrize(("live", "new"), [(19, 2), (20, 1), (18, 3)])
def test_deletes_free_group_slots_before_the_creates_that_need_them(
        tmp_path: Path, live: int, new: int) -> None:
    config = {f"New {i}": {"color": "#00897b"} for i in range(1, new + 1)}
    small = small_account(tmp_path, {"profile_groups": config},
                          settings=GROUPS_OWNED,
                          profile_groups=live_groups(live))
    writes = converges(small)
    count, peak = live, live
    for method, _ in writes:
        count += 1 if method == "POST" else -1
        peak = max(peak, count)
    assert (len(writes), count, peak) == (live + new, new, 20)


def test_a_target_that_leaves_out_the_deletes_is_refused_at_the_step(tmp_path: Path) -> None:
    small = small_account(tmp_path, {"profile_groups": {"New 1": {}}},
                          settings=GROUPS_OWNED,
                          profile_groups=live_groups(20))
    result = small.plan("--target", "profile_group.New 1")
    assert (result.exit_code, result.stderr.splitlines()) == (1, [
        "profile_groups.yaml:2:3: profile_group.New 1: creating it would make 21 profile "
        "groups on the platform (it has 20 now) and the platform allows at most 20; delete "
        "groups first, or plan without --target so that the plan deletes them"])
    assert small.writes() == []


# -- issue 20, class 2: an unauthorized stream of a page nobody can look up ------------------

def test_issue20_2_an_unverified_public_page_fails_its_topic_alone(tmp_path: Path) -> None:
    rival = {"profile": "twitter/Rival", "authorized": False}
    small = small_account(tmp_path, {
        "topics": {"Care": {"streams": ["twitter/Clara"]}, "Watch": {"streams": [rival]},
                   "Rivals": {"streams": [{"profile": "instagram/no.such.page",
                                           "authorized": False}]},
                   "Known": {"streams": [rival]}},  # tracked live: a page that exists
        "profiles": {"twitter/Clara": {"color": "#123456"}}},
        topics=[*make_fixture()["topics"], {"id": 2, "name": "Watch", "services": [
            {"type": "twitter", "service_id": "Rival", "authorized": False}]}])
    plan = small.plan()
    assert plan.exit_code == 2, plan.output
    assert plan.stderr == ""
    assert ("Info: topic.Rivals: streams[0]: the public page instagram/no.such.page cannot be "
            "verified before the write (the API has no look-up of a page by handle); if it does "
            "not exist, apply fails for this topic alone") in plan.stdout
    assert "twitter/Rival cannot be verified" not in plan.stdout
    small.emu.clear_calls()
    applied = small.apply()
    assert applied.exit_code == 1
    assert ("FAILED topic.Rivals: the platform refused POST /1001/settings/topics: "
            "invalid_parameter: no public page instagram/no.such.page") in applied.stdout
    assert small.writes() == [  # Known is created, Rivals refused, the profile updated
        ("POST", "/1001/settings/topics"), ("POST", "/1001/settings/topics"),
        ("POST", "/1001/settings/profile/twitter/Clara")]
    assert "Apply failed: 2 done, 1 failed." in applied.stdout


def swap_account(tmp_path: Path) -> Small:
    """Live B holds A; config swaps them: A holds B, B holds nothing."""
    return small_account(tmp_path, {"profile_groups": {"A": {"groups": ["B"]},
                                                       "B": {"groups": []}}},
                         profile_groups=[{"id": 1, "name": "A", "profiles": []},
                                         {"id": 2, "name": "B", "profiles": [], "groups": [1]}])


def test_swapping_which_group_holds_which_releases_first(tmp_path: Path) -> None:
    small = swap_account(tmp_path)
    assert converges(small) == [("POST", "/1001/settings/profilegroup/2"),
                                ("POST", "/1001/settings/profilegroup/1")]


def test_a_swap_whose_release_is_left_out_by_target_is_refused(tmp_path: Path) -> None:
    small = swap_account(tmp_path)
    result = small.plan("--target", "profile_group.A")
    assert (result.exit_code, result.stderr.splitlines()) == (1, [
        "profile_groups.yaml:4:5: profile_group.A groups: this change of members makes a group "
        "contain itself at some step, whatever the order of the writes; plan it with the "
        "groups that release it (without --target), or change them in two applies"])
    assert small.writes() == []


def test_an_authorized_stream_of_a_page_the_account_has_not_added(tmp_path: Path) -> None:
    connected = make_fixture()["connected_profiles"]
    connected[0]["pages"].append({"type": "twitter", "service_id": "Orphan"})
    small = small_account(tmp_path, {"topics": {"T": {"streams": ["twitter/Orphan"]}}},
                          connected_profiles=connected)
    refused(small, "topics.yaml:4:7: topic.T streams[0]: twitter/Orphan is not a profile of this "
            "account, so it cannot be an authorized stream (the connected profile Ops of "
            "ops@x.example "
            "admins it, but the account has not added it); add it in Social Connect (Account "
            "settings > Profiles > Add profile), then plan again, or set authorized: false")
