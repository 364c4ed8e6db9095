"""Property tests of the diff (hypothesis, bounded): a plan applied to live yields desired (a new
plan is empty), and a state planned against itself, even respelt, is empty."""

from __future__ import annotations

import copy
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from scsync.plan.model import Plan
from scsync.resources import Kind, Resource, ResourceKey, parse_address
from tests.plan_factories import (
    keyed,
    make_group,
    make_live,
    make_profile,
    make_topic,
    make_user,
    plan_of,
)

PROFILES = ["twitter/ClaraLines", "facebook/claralines", "livechat/ClaraLines Web"]
USERS = ["alice@claralines.example", "ops@claralines.example"]
AUTH = {"topics": "authoritative", "profile_groups": "authoritative"}
SETTINGS = settings(max_examples=100, deadline=None)

colors = st.sampled_from([None, "#6A1B9A", "#00897b", "#1E88E5"])
texts = st.one_of(st.none(), st.text(alphabet="ab \n", max_size=6))
domains = st.lists(st.sampled_from(["https://a.example", "https://b.example", "https://c.x"]),
                   max_size=3, unique=True)
replies = st.lists(st.fixed_dictionaries({"label": st.sampled_from(["Refund?", "Bags"]),
                                          "flow": st.sampled_from(["Refund", "Baggage"])}),
                   max_size=2)
# authorized streams only of pages a connected profile admins (plan-time check)
streams = st.lists(st.sampled_from([
    {"profile": "twitter/CompetitorAir", "authorized": False},
    {"profile": "facebook/competitorair", "authorized": False},
    {"profile": "twitter/ClaraLines", "authorized": False},
    {"profile": "twitter/ClaraLines", "authorized": True},
    {"profile": "facebook/claralines", "authorized": True}]),
    max_size=3, unique_by=lambda s: s["profile"])


@st.composite
def profile_fields(draw: st.DrawFn, name: str) -> dict[str, Any]:
    options = {"color": colors, "welcome_message": texts, "quick_replies": replies}
    if name.startswith("livechat/"):
        options = {"color": colors, "allowlisted_domains": domains}
    keys = draw(st.lists(st.sampled_from(sorted(options)), unique=True))
    fields = {key: draw(options[key]) for key in keys}
    # quick replies need a welcome message, on the profile as it will be (live merged)
    if fields.get("quick_replies"):
        fields["welcome_message"] = "Hi"
    elif "welcome_message" in fields and not (fields["welcome_message"] or "").strip():
        fields["quick_replies"] = []
    return fields


@st.composite
def topic_fields(draw: st.DrawFn) -> dict[str, Any]:
    return {"searchkeywords": draw(texts), "streams": draw(streams)}


@st.composite
def group_fields(draw: st.DrawFn, holdable: list[str]) -> dict[str, Any]:
    # groups hold only lower-numbered groups that exist on their side: no cycles
    return {"color": draw(colors),
            "profiles": draw(st.lists(st.sampled_from(PROFILES), max_size=3, unique=True)),
            "groups": draw(st.lists(st.sampled_from(holdable), max_size=2, unique=True))
            if holdable else []}


@st.composite
def states(draw: st.DrawFn) -> tuple[dict[ResourceKey, Resource], list[Resource]]:
    desired: list[Resource] = []
    live: list[Resource] = []
    groups: dict[str, list[str]] = {"desired": [], "live": []}
    for name in PROFILES:
        live.append(make_profile(name, live=True, **draw(profile_fields(name))))
        if draw(st.booleans()):
            desired.append(make_profile(name, **draw(profile_fields(name))))
    for i in range(3):
        if draw(st.booleans()):
            live.append(make_topic(f"T{i}", live=True, id=f"t{i}", **draw(topic_fields())))
        if draw(st.booleans()):
            live.append(make_topic(f"P{i}", live=True, id=f"p{i}", **draw(topic_fields())))
        if draw(st.booleans()):
            previous = [f"P{i}"] if draw(st.booleans()) else []
            desired.append(make_topic(f"T{i}", previous_names=previous, **draw(topic_fields())))
        if draw(st.booleans()):
            live.append(make_group(f"G{i}", live=True, id=f"g{i}",
                                   **draw(group_fields(groups["live"]))))
            groups["live"].append(f"G{i}")
        if draw(st.booleans()):
            desired.append(make_group(f"G{i}", **draw(group_fields(groups["desired"]))))
            groups["desired"].append(f"G{i}")
    for email in USERS:
        link = st.one_of(st.none(), st.sampled_from(["https://l.in/a", "https://l.in/b"]))
        live.append(make_user(email.upper(), live=True, id=email,
                              **{"social_links.linkedin": draw(link)}))
        if draw(st.booleans()):
            desired.append(make_user(email, **{"social_links.linkedin": draw(link)}))
    return keyed(desired), live


def apply_plan(plan: Plan, live: list[Resource]) -> list[Resource]:
    """What the platform holds after executing ``plan``: only the plan's own data is used."""
    by_key = {r.key: copy.deepcopy(r) for r in live}
    for change in plan.changes:
        kind, name = parse_address(change.address)
        if change.action == "delete":
            del by_key[ResourceKey.of(kind, change.renamed_from or name)]
            continue
        old = ResourceKey.of(kind, change.renamed_from or name)
        resource = by_key.pop(old, None) or Resource(kind, name, {}, id=f"new-{name}")
        for field in change.fields:
            if field.path == "name" and kind.keyed_by_name:
                resource.name = field.after
            resource.fields[field.path] = field.after
        by_key[resource.key] = resource
    return list(by_key.values())


def _handle(profile: str) -> str:
    """A profile name as the platform matches it: Twitter, Facebook and Instagram handles ignore
    case (domain.md's network table); WhatsApp and Live Chat names do not."""
    network, _, handle = profile.partition("/")
    return f"{network}/{handle.lower()}" if network in ("twitter", "facebook", "instagram") \
        else profile


def setting(name: str, value: Any) -> Any:
    """The oracle: one setting as the platform holds it, from domain.md's rules and written
    without ``resources.compare_value`` (the code under test). Unset is one value (null, "",
    [], white space alone); text folds white space; colours ignore case; streams, member
    profiles, member groups and allow-listed domains are sets; quick replies keep their order."""
    if isinstance(value, str):
        value = " ".join(value.split())
        if name == "color":
            value = value.lower()
    if value in (None, "", []):
        return None
    if name == "streams":
        return frozenset((_handle(s["profile"]), s["authorized"]) for s in value)
    if name == "profiles":
        return frozenset(_handle(p) for p in value)
    if name in ("groups", "allowlisted_domains"):
        return frozenset(value)
    if name == "quick_replies":
        return [(" ".join(r["label"].split()), r["flow"]) for r in value]
    return value


def assert_converged(desired: dict[ResourceKey, Resource], live: list[Resource]) -> None:
    found = {r.key: r for r in live}
    for key, want in desired.items():
        have = found[key]
        for name, value in want.fields.items():
            assert setting(name, value) == setting(name, have.fields.get(name)), (key, name)
    # both deletable kinds are authoritative here: they hold nothing else
    assert {k for k in found if k.kind.keyed_by_name} <= set(desired)


def test_the_oracle_tells_settings_apart() -> None:
    assert setting("color", "#6A1B9A") == setting("color", "#6a1b9a ")
    assert setting("welcome_message", " a \n b") == setting("welcome_message", "a b")
    assert setting("welcome_message", "  ") == setting("welcome_message", None) is None
    assert setting("welcome_message", "ab") != setting("welcome_message", "a b")
    assert setting("streams", [{"profile": "twitter/A", "authorized": True}]) == \
        setting("streams", [{"profile": "twitter/a", "authorized": True}])
    assert setting("streams", [{"profile": "twitter/A", "authorized": True}]) != \
        setting("streams", [{"profile": "twitter/A", "authorized": False}])
    assert setting("profiles", ["livechat/Web"]) != setting("profiles", ["livechat/web"])
    two = [{"label": "Refund?", "flow": "Refund"}, {"label": "Bags", "flow": "Baggage"}]
    assert setting("quick_replies", two) != setting("quick_replies", two[::-1])
    assert setting("groups", ["G0", "G1"]) == setting("groups", ["G1", "G0"])


@SETTINGS
@given(states())
def test_plan_applied_to_live_yields_desired(state: tuple[dict, list]) -> None:  # type: ignore[type-arg]
    desired, live = state
    plan = plan_of(desired.values(), live, ownership=AUTH, force=True)
    assert len(plan.calls) == sum(not c.blocked for c in plan.changes)
    after = apply_plan(plan, live)
    assert_converged(desired, after)
    again = plan_of(desired.values(), after, ownership=AUTH, force=True)
    assert again.changes == [] and again.calls == []


def respell(resource: Resource, rng: random.Random) -> Resource:
    """The same settings as the platform might spell them: colour case, set order, handle case,
    white space, expired flags on streams."""
    fields: dict[str, Any] = {}
    for name, value in resource.fields.items():
        if name == "color" and isinstance(value, str):
            value = value.swapcase()
        elif isinstance(value, str):
            value = f"  {value.replace(' ', '   ')} \n"
        elif name == "streams":
            value = [{"profile": s["profile"].upper().replace("TWITTER/", "twitter/")
                      .replace("FACEBOOK/", "facebook/"), "authorized": s["authorized"],
                      "expired": rng.random() < 0.5} for s in value]
            rng.shuffle(value)
        elif name == "profiles":
            value = [p.swapcase().replace("TWITTER", "twitter").replace("FACEBOOK", "facebook")
                     if not p.startswith("livechat/") else p for p in value]
            rng.shuffle(value)
        elif isinstance(value, list) and name in ("allowlisted_domains", "groups"):
            value = list(reversed(value))
        fields[name] = value
    return Resource(resource.kind, resource.name.upper() if resource.kind is Kind.USER
                    else resource.name, fields, id=f"id-{resource.name}")


@SETTINGS
@given(states(), st.randoms(use_true_random=False))
def test_plan_of_a_state_against_itself_is_empty(state: tuple[dict, list],  # type: ignore[type-arg]
                                                 rng: random.Random) -> None:
    desired, live = state
    mirror = [respell(r, rng) for r in desired.values()]
    mirror += [r for r in live if r.kind is Kind.PROFILE and r.key not in desired]
    plan = plan_of(desired.values(), make_live(mirror), ownership=AUTH)
    assert plan.changes == [] and plan.calls == [] and plan.summary.total == 0
