"""The page index (``scsync.providers.pages``) behind ``checks.page_admins`` and the
``connectedprofile_id`` of new authorized streams: the same answers as a scan of every page."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from scsync.plan.checks import _page_idents, page_admins
from scsync.providers.base import ConnectedProfile, LiveState, Page
from scsync.providers.calls import service_entry
from scsync.providers.pages import page_index
from scsync.resources import Kind, Resource, profile_ident, split_profile_name
from tests.plan_factories import make_live

CONNECTED = [
    ConnectedProfile(30, 1, "twitter", "1", "Ops A", pages=(Page("twitter", "ClaraLines", "CL"),
                                                             Page("facebook", "ClaraLines"))),
    ConnectedProfile(20, 2, "twitter", "2", "Alice", pages=(Page("twitter", "claralines"),),
                     expired=True),
    ConnectedProfile(25, 3, "twitter", "3", "Bob", pages=(Page("twitter", "999", "ClaraLinesUK"),
                                                          Page("twitter", "999"))),
    ConnectedProfile(40, 1, "whatsapp", "4", "Ops W", pages=(Page("whatsapp", "Shop"),)),
]


def live(connected: list[ConnectedProfile] = CONNECTED) -> LiveState:
    owned = Resource(Kind.PROFILE, "twitter/ClaraLinesUK", {}, id="twitter/999")
    return make_live([owned], connected=connected)


def ids(profiles: list[ConnectedProfile]) -> list[int]:
    return [cp.id for cp in profiles]


def test_admins_match_case_insensitively_in_read_order_once_each() -> None:
    state = live()
    assert ids(page_admins("twitter/CLARALINES", state)) == [30, 20]
    assert ids(page_admins("facebook/claralines", state)) == [30]
    assert ids(page_admins("instagram/ClaraLines", state)) == []


def test_admins_match_by_page_name_and_by_the_owned_profiles_service_id() -> None:
    state = live()
    assert ids(page_admins("twitter/ClaraLinesUK", state)) == [25]  # name, and id 999 twice
    assert ids(page_admins("twitter/cl", state)) == [30]  # the page's name


def test_case_sensitive_networks_match_exactly() -> None:
    state = live()
    assert ids(page_admins("whatsapp/Shop", state)) == [40]
    assert ids(page_admins("whatsapp/shop", state)) == []


def test_service_entry_picks_the_usable_admin_with_the_lowest_id() -> None:
    state = live()
    entry = service_entry({"profile": "twitter/claralines", "authorized": True}, state)
    assert entry == {"type": "twitter", "username": "claralines", "authorized": True,
                     "connectedprofile_id": 30}
    assert scan_admin(state.connected_profiles, "twitter", "claralines") == CONNECTED[0]
    owned = service_entry({"profile": "twitter/claralinesuk", "authorized": True}, state)
    assert owned == {"type": "twitter", "username": "ClaraLinesUK", "authorized": True,
                     "connectedprofile_id": 25}
    assert service_entry({"profile": "whatsapp/shop", "authorized": True}, state) == {
        "type": "whatsapp", "username": "shop", "authorized": True}


def test_service_entry_falls_back_to_an_expired_admin() -> None:
    state = live([CONNECTED[1]])
    entry = service_entry({"profile": "twitter/ClaraLines", "authorized": True}, state)
    assert entry["connectedprofile_id"] == 20


def test_the_index_is_built_once_and_rebuilt_when_the_profiles_change() -> None:
    state = live()
    index = page_index(state)
    assert page_index(state) is index
    state.connected_profiles.append(
        ConnectedProfile(50, 1, "whatsapp", "5", "Ops W2", pages=(Page("whatsapp", "Shop"),)))
    assert ids(page_admins("whatsapp/Shop", state)) == [40, 50]
    state.connected_profiles = [CONNECTED[3]]
    assert ids(page_admins("twitter/ClaraLines", state)) == []
    assert ids(page_admins("whatsapp/Shop", state)) == [40]


# -- the index answers as the former scan of every page did ----------------------------------

HANDLES = st.sampled_from(["Clara", "clara", "CLARA", "Shop", "shop", "999", "x"])
NETWORKS = st.sampled_from(["twitter", "facebook", "whatsapp", "livechat"])
PAGES = st.builds(Page, NETWORKS, HANDLES, st.sampled_from(["", "Clara", "shop", "Other"]))
PROFILES = st.lists(st.tuples(st.lists(PAGES, max_size=3), st.booleans()), max_size=5)


def scan_admins(stream_profile: str, state: LiveState) -> list[ConnectedProfile]:
    """The former ``page_admins``: every page of every connected profile compared."""
    network = split_profile_name(stream_profile)[0].prefix
    idents = _page_idents(stream_profile, state)
    return [cp for cp in state.connected_profiles
            if any(page.network == network and (
                profile_ident(f"{network}/{page.service_id}") in idents
                or (page.name and profile_ident(f"{network}/{page.name}") in idents))
                for page in cp.pages)]


def scan_admin(profiles: list[ConnectedProfile], network: str,
               service_id: str) -> ConnectedProfile | None:
    """The admin ``service_entry`` must pick, by a scan: not expired first, then the lowest id."""
    caseless = split_profile_name(f"{network}/x")[0].case_insensitive

    def same(a: str, b: str) -> bool:
        return a.lower() == b.lower() if caseless else a == b

    admins = [cp for cp in profiles
              if any(p.network == network and same(p.service_id, service_id) for p in cp.pages)]
    return min(admins, key=lambda cp: (cp.expired, cp.id), default=None)


@settings(max_examples=150, deadline=None)
@given(PROFILES, NETWORKS, HANDLES)
def test_the_index_matches_a_scan(profiles: list[tuple[list[Page], bool]], network: str,
                                  handle: str) -> None:
    connected = [ConnectedProfile(100 - i, 1, "twitter", str(i), f"P{i}", pages=tuple(pages),
                                  expired=expired)
                 for i, (pages, expired) in enumerate(profiles)]
    state = live(connected)
    stream = f"{network}/{handle}"
    assert page_admins(stream, state) == scan_admins(stream, state)
    expected = scan_admin(connected, network, handle)
    entry = service_entry({"profile": stream, "authorized": True}, state)
    assert entry.get("connectedprofile_id") == (expected.id if expected else None)
