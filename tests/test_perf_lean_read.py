"""The lean read and diff (issue 18): the one-pass profile parse and the values one read shares
give what the field-by-field parse gave; the diff's shortcuts answer as ``same_value``; the
kind index of a live state follows its resources; parsers of a prefetch run on its threads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scsync.plan.diff import _same, field_changes, same_streams
from scsync.providers import parse
from scsync.providers.auth import Credentials
from scsync.providers.base import Account, LiveState, Me
from scsync.providers.http import ApiClient, ClientOptions
from scsync.providers.socialconnect import SocialConnectProvider
from scsync.resources import (
    FALSE_DEFAULT_FIELDS,
    FLOW_FIELDS,
    FLOW_LIST_FIELDS,
    PROFILE_FIELDS,
    Kind,
    Resource,
    same_value,
)
from tests.test_provider_helpers import FakePlatform, fake_account, make_client, ok, page

FLOWS = {501: "Refund", 502: "CSAT"}


# ------------------------------------------------------------------ the profile parse

def _reference_setting(field_name: str, settings: Mapping[str, Any]) -> Any:
    """The field-by-field parse the one-pass parse replaced."""

    def flow(flow_id: Any) -> str | None:
        if flow_id in (None, ""):
            return None
        try:
            return FLOWS.get(int(flow_id), f"#{flow_id}")
        except (TypeError, ValueError):
            return f"#{flow_id}"

    value = settings.get(field_name)
    if field_name in FLOW_FIELDS:
        return flow(value)
    if field_name in FALSE_DEFAULT_FIELDS:
        return bool(value)
    if field_name in parse.LIST_FIELDS:
        items = list(value or [])
        if field_name in FLOW_LIST_FIELDS:
            return [{**{k: v for k, v in i.items() if k != "flow_id"},
                     "flow": flow(i.get("flow_id"))} for i in items if isinstance(i, dict)]
        return items
    return value


def _reference_profile(body: Mapping[str, Any]) -> Resource:
    prefix = parse.prefix_of(str(body["type"]))
    settings = body.get("settings") or {}
    fields = {f: _reference_setting(f, settings) for f in PROFILE_FIELDS.get(prefix, ("color",))}
    if "bio" in fields:
        fields["bio"] = parse.expand_bio(fields["bio"], settings.get("bio_urls"))
    return Resource(kind=Kind.PROFILE, name=parse.profile_name(body), fields=fields,
                    id=f"{body['type']}/{body['service_id']}")


_TEXT = st.sampled_from(["", " ", "Refund?", "Help", "#6A1B9A", "https://a.example"]) | st.text(
    max_size=4)
_FLOW_ID = st.sampled_from([501, 502, 999, "501", "x", "", None, True, 1.0, [1]])
_ITEM = st.one_of(
    st.fixed_dictionaries({"label": _TEXT, "flow_id": _FLOW_ID}),
    st.fixed_dictionaries({"flow_id": _FLOW_ID, "question": _TEXT}),
    st.fixed_dictionaries({"label": _TEXT, "flow_id": _FLOW_ID, "extra": st.integers(0, 2)}),
    st.fixed_dictionaries({"label": st.integers(0, 2), "flow_id": _FLOW_ID}),
    st.fixed_dictionaries({"label": _TEXT}),
    _TEXT, st.none())
_VALUE = st.one_of(st.none(), _TEXT, st.booleans(), st.integers(0, 3), _FLOW_ID,
                   st.lists(_ITEM, max_size=4), st.lists(_TEXT, max_size=3))
_SETTINGS = st.dictionaries(st.sampled_from(sorted({f for fs in PROFILE_FIELDS.values()
                                                    for f in fs})), _VALUE, max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["twitter", "facebook", "instagram", "whatsapp", "web", "linkedin"]),
       st.lists(_SETTINGS, min_size=1, max_size=3))
def test_the_one_pass_parse_gives_the_field_by_field_values(api_type: str,
                                                           many: list[dict[str, Any]]) -> None:
    shared = parse.Shared()  # one per read: several profiles share it
    for i, settings_ in enumerate(many):
        body = {"type": api_type, "service_id": f"s{i}", "username": f"u{i}",
                "settings": settings_}
        try:
            want = _reference_profile(body)
        except Exception as exc:  # noqa: BLE001 - the same error, then
            with pytest.raises(type(exc)):
                parse.parse_profile(body, FLOWS, shared)
            continue
        got = parse.parse_profile(body, FLOWS, shared)
        assert (got.name, got.id, got.fields) == (want.name, want.id, want.fields)
        assert list(got.fields) == list(want.fields)
        for name, value in got.fields.items():
            if isinstance(value, list):  # same types too (True is not 1)
                assert [type(v) for v in value] == [type(v) for v in want.fields[name]]
                for a, b in zip(value, want.fields[name], strict=True):
                    if isinstance(a, dict):
                        assert list(a.items()) == list(b.items())
                        assert [type(v) for v in a.values()] == [type(v) for v in b.values()]


def test_equal_values_of_one_read_are_one_object() -> None:
    shared = parse.Shared()
    bodies = [{"type": "twitter", "service_id": f"s{i}", "username": f"u{i}",
               "settings": {"color": "#6a1b9a", "url": "https://claralines.example/" + "x",
                            "quick_replies": [{"label": "Help " + "me", "flow_id": 501}]}}
              for i in range(2)]
    first, second = (parse.parse_profile(b, FLOWS, shared) for b in bodies)
    assert first.fields["url"] is second.fields["url"]
    assert first.fields["quick_replies"][0] is second.fields["quick_replies"][0]
    assert first.fields["quick_replies"][0] == {"label": "Help me", "flow": "Refund"}
    topic = {"id": 1, "name": "T", "services": [
        {"type": "twitter", "service_id": "s0", "username": "u0", "authorized": True}]}
    one, two = (parse.parse_topic(topic, shared) for _ in range(2))
    assert one.fields["streams"][0] is two.fields["streams"][0]
    assert one.fields["streams"][0]["profile"] is first.name


def test_the_read_keeps_no_project_topics_and_names_group_members() -> None:
    platform = FakePlatform()
    accounts = platform.data["/me/accounts"]
    accounts[1]["projects"] = [{"id": 1, "name": "Care", "topics": [
        {"id": 7, "name": "Claralines Care", "monitoredprofiles": [{"type": "twitter"}]}]}]
    live = SocialConnectProvider(make_client(platform), 1001).read()
    assert live.projects == [{"id": 1, "name": "Care"}]
    groups = list(live.of_kind(Kind.PROFILE_GROUP))
    assert groups and all(isinstance(p, str) for g in groups for p in g.fields["profiles"])


# ------------------------------------------------------------------ the diff's shortcuts

_CASED = st.sampled_from(["#6A1B9A", "#6a1b9a", " #6a1B9a ", "#6a1b9a\n", "", "  ", None,
                          "Fly  the skies", "fly the skies", "İ", "i̇"])
_STREAM = st.fixed_dictionaries(
    {"profile": st.sampled_from(["twitter/ClaraLines", "twitter/claralines", "facebook/x",
                                 "livechat/Web 1"])},
    optional={"authorized": st.sampled_from([True, False, 0, 1, None]),
              "expired": st.booleans()})


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["color", "vertical", "role", "bio", "name"]), _CASED, _CASED)
def test_the_text_shortcut_answers_as_same_value(field_name: str, want: Any, have: Any) -> None:
    for kind in (Kind.PROFILE, Kind.USER):
        assert _same(kind, field_name, want, have) == same_value(kind, field_name, want, have)


@settings(max_examples=400, deadline=None)
@given(st.lists(_STREAM, max_size=4), st.lists(_STREAM, max_size=4), st.randoms())
def test_the_stream_shortcut_answers_as_same_value(want: list[dict[str, Any]],
                                                   have: list[dict[str, Any]], rnd: Any) -> None:
    if rnd.random() < 0.5:  # often the same streams, as a re-plan meets them
        have = [{**s, "expired": rnd.random() < 0.5} for s in want]
    expected = same_value(Kind.TOPIC, "streams", want, have)
    assert _same(Kind.TOPIC, "streams", want, have) == expected
    if same_streams(want, have):
        assert expected


def test_a_member_renamed_in_the_same_plan_still_changes_an_equal_list() -> None:
    desired = Resource(Kind.PROFILE_GROUP, "EMEA", {"name": "EMEA", "groups": ["Old"]})
    live = Resource(Kind.PROFILE_GROUP, "EMEA", {"name": "EMEA", "groups": ["Old"]}, id="1")
    [change] = field_changes(desired, live, {"Old": "New"})
    assert (change.path, change.before, change.after) == ("groups", ["New"], ["Old"])
    assert field_changes(desired, live) == []


# ------------------------------------------------------------------ the kind index

def test_of_kind_follows_the_resources() -> None:
    topic = Resource(Kind.TOPIC, "T", {"name": "T"})
    user = Resource(Kind.USER, "a@x", {"role": "admin"})
    live = LiveState(account=Account(1, "A"), me=Me(1, "a@x"), resources={topic.key: topic})
    assert list(live.of_kind(Kind.TOPIC)) == [topic] and list(live.of_kind(Kind.USER)) == []
    live.resources[user.key] = user  # a new object: the count changes
    assert list(live.of_kind(Kind.USER)) == [user]
    live.resources = {user.key: user}  # replaced
    assert list(live.of_kind(Kind.TOPIC)) == []
    got = live.of_kind(Kind.USER)
    assert isinstance(got, list)
    got.clear()  # a copy: the index keeps its own
    assert list(live.of_kind(Kind.USER)) == [user]


# ------------------------------------------------------------------ parsers of a prefetch

@pytest.mark.parametrize("in_process", [False, True])
def test_a_prefetch_parser_runs_per_page_and_its_error_ends_its_list(in_process: bool) -> None:
    account = fake_account()

    def handler(request: httpx.Request) -> httpx.Response:
        body = account.get(request.url.path, [])
        return ok(page(body) if isinstance(body, list) else body)

    client = (ApiClient("http://emulator", Credentials(token="t"),
                        options=ClientOptions(in_process=True),
                        transport=httpx.MockTransport(handler))
              if in_process else make_client(handler))
    flows, users = "/1001/settings/flows", "/1001/settings/users"

    def broken(page_: list[Any]) -> Any:
        raise KeyError("no such field")

    with client.prefetch([flows, users], {flows: lambda p: [f["name"] for f in p],
                                          users: broken}) as fetched:
        assert list(fetched.pages(flows)) == [["Refund", "CSAT"]]
        with pytest.raises(KeyError, match="no such field"):
            list(fetched.pages(users))
