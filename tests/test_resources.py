"""The shared resource vocabulary: addresses (streams parsed from the right), natural keys (case
rules of domain.md's network table), the compare form that makes a plan converge, and where a
field's config location falls back to."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scsync.config.model_profiles import PROFILE_MODELS
from scsync.emulator import settings as emulator_settings
from scsync.errors import Location
from scsync.resources import (
    CREATABLE_KINDS,
    DELETABLE_KINDS,
    NETWORKS,
    PROFILE_FIELDS,
    Kind,
    Resource,
    ResourceKey,
    address,
    compare_value,
    parse_address,
    parse_stream_address,
    same_value,
    split_profile_name,
    stream_address,
)


def test_address_round_trip_keeps_dots_and_slashes_in_the_name() -> None:
    assert address(Kind.TOPIC, "Care v2.0") == "topic.Care v2.0"
    assert parse_address("topic.Care v2.0") == (Kind.TOPIC, "Care v2.0")
    assert parse_address("profile.twitter/ClaraLines") == (Kind.PROFILE, "twitter/ClaraLines")


@pytest.mark.parametrize(("text", "message"), [
    ("stream.Care/twitter/x", "'stream.Care/twitter/x' is not an address (KIND.NAME with KIND one "
                              "of profile, topic, profile_group, user)"),
    ("topic", "'topic' is not an address (KIND.NAME)"),
    ("topic.", "'topic.' is not an address (KIND.NAME)"),
])
def test_parse_address_refuses_with_the_form_it_expects(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_address(text)
    assert str(caught.value) == message


@given(topic=st.text(alphabet="ab/ .", min_size=1, max_size=8),
       handle=st.text(alphabet="xy.", min_size=1, max_size=5))
@settings(max_examples=60, deadline=None)
def test_stream_address_is_parsed_from_the_right(topic: str, handle: str) -> None:
    text = stream_address(topic, f"facebook/{handle}")
    assert text == f"stream.{topic}/facebook/{handle}"
    assert parse_stream_address(text) == (topic, f"facebook/{handle}")


@pytest.mark.parametrize(("name", "message"), [
    ("ClaraLines", "'ClaraLines' is not NETWORK/HANDLE"),
    ("twitter/", "'twitter/' is not NETWORK/HANDLE"),
    ("tiktok/clara", "unknown network 'tiktok'; expected one of twitter, facebook, instagram, "
                     "whatsapp, livechat"),
])
def test_split_profile_name_errors(name: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        split_profile_name(name)
    assert str(caught.value) == message


def test_keys_follow_each_networks_case_rule() -> None:
    assert ResourceKey.of(Kind.PROFILE, "twitter/ClaraLines") == ResourceKey.of(
        Kind.PROFILE, "twitter/claralines")
    assert ResourceKey.of(Kind.PROFILE, "livechat/Web") != ResourceKey.of(Kind.PROFILE,
                                                                          "livechat/web")
    assert ResourceKey.of(Kind.USER, "Alice@ClaraLines.example").ident == "alice@claralines.example"
    assert ResourceKey.of(Kind.TOPIC, "Care") != ResourceKey.of(Kind.TOPIC, "care")


@pytest.mark.parametrize(("kind", "field", "value", "expected"), [
    (Kind.PROFILE, "bio", "  Fly\n the  skies ", "Fly the skies"),
    (Kind.PROFILE, "bio", " \n ", None),
    (Kind.PROFILE, "bio", [], None),
    (Kind.PROFILE, "case_creation_rules", None, False),
    (Kind.PROFILE, "accept_custom_profile_terms", "  ", False),
    (Kind.PROFILE, "color", "#6A1B9A", "#6a1b9a"),
    (Kind.PROFILE, "vertical", "Travel", "travel"),
    (Kind.PROFILE, "name", "ClaraLines", "ClaraLines"),
    (Kind.PROFILE, "allowlisted_domains", ["https://b.x", "https://a.x", "https://b.x"],
     ("https://a.x", "https://b.x")),
    (Kind.PROFILE, "websites", ["https://b.x", "https://a.x"], ("https://b.x", "https://a.x")),
    (Kind.PROFILE_GROUP, "profiles", ["twitter/ClaraLines", "twitter/claralines"],
     ("twitter/claralines",)),
    (Kind.TOPIC, "streams", [{"profile": "twitter/A"},
                             {"profile": "facebook/CompetitorAir", "authorized": False}],
     (("facebook/competitorair", False), ("twitter/a", True))),
])
def test_compare_value(kind: Kind, field: str, value: object, expected: object) -> None:
    assert compare_value(kind, field, value) == expected


def test_same_value_ignores_only_what_the_platform_ignores() -> None:
    reply = {"label": "Refund?", "flow": "Refund"}
    assert same_value(Kind.PROFILE, "quick_replies", [reply], [{"flow": "Refund",
                                                                 "label": "Refund? "}])
    assert not same_value(Kind.PROFILE, "quick_replies", [reply, reply], [reply])
    assert not same_value(Kind.PROFILE, "bio", "Fly", "fly")


def test_location_falls_back_to_the_parent_field_then_the_object() -> None:
    here, item = Location("p.yaml", 2, 3), Location("p.yaml", 5, 9)
    resource = Resource(Kind.PROFILE, "twitter/ClaraLines", {},
                        locations={"": here, "quick_replies[1]": item})
    assert resource.location("quick_replies[1].flow") == item
    assert resource.location("quick_replies[0].flow") == here
    assert resource.location("social_links.linkedin") == here
    assert Resource(Kind.TOPIC, "Care", {}).location("streams") is None
    assert resource.address == "profile.twitter/ClaraLines"


def test_kind_names_in_config_and_in_messages() -> None:
    assert [k.config_section for k in Kind] == ["profiles", "topics", "profile_groups", "users"]
    assert Kind.PROFILE_GROUP.noun == "profile group"
    assert Kind.TOPIC.noun == "topic"


def test_topics_and_profile_groups_alone_are_keyed_by_name() -> None:
    named = [k for k in Kind if k.keyed_by_name]
    assert named == [Kind.TOPIC, Kind.PROFILE_GROUP]
    assert DELETABLE_KINDS == CREATABLE_KINDS == frozenset(named)


@pytest.mark.parametrize("network", sorted(NETWORKS))
def test_the_profile_field_table_agrees_with_the_models_and_the_emulator(network: str) -> None:
    """One table of Profile Manager fields per network, in domain.md's order; config's models and
    the emulator (which imports nothing from scsync) keep their own copies: they must agree."""
    model = [f for f in PROFILE_MODELS[network].model_fields if f != "lifecycle"]
    assert tuple(model) == PROFILE_FIELDS[network]
    assert emulator_settings.FIELDS[NETWORKS[network].api_type] == PROFILE_FIELDS[network]
