"""Which connected profiles administer a page: one index per ``LiveState``, built on first use,
so that finding the admins of every new authorized stream is linear in the pages, not
(streams x connected profiles x pages).

A page matches by ``(network, service id)`` or ``(network, page name)``, the id or name
lower-cased where the network is case-insensitive (``resources.profile_ident``'s rule).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scsync.providers.base import ConnectedProfile, LiveState
from scsync.resources import NETWORKS

PageKey = tuple[str, str]  # (network prefix, matching form of the service id or page name)


@dataclass(slots=True)
class PageIndex:
    """Positions in ``live.connected_profiles`` of the profiles administering each page."""

    profiles: list[ConnectedProfile]
    size: int = 0
    by_service_id: dict[PageKey, list[int]] = field(default_factory=dict)
    by_name: dict[PageKey, list[int]] = field(default_factory=dict)

    def admins(self, keys: list[PageKey], *, names: bool = True) -> list[ConnectedProfile]:
        """The profiles administering a page matching any of ``keys``, in their read order."""
        found: set[int] = set()
        for key in keys:
            found.update(self.by_service_id.get(key, ()))
            if names:
                found.update(self.by_name.get(key, ()))
        return [self.profiles[i] for i in sorted(found)]


def page_key(network: str, text: str) -> PageKey:
    """The matching form of a page's service id or name on ``network``."""
    known = NETWORKS.get(network)
    return network, text.lower() if known is not None and known.case_insensitive else text


def page_index(live: LiveState) -> PageIndex:
    """The index of ``live``'s connected profiles (cached on ``live`` while they are unchanged)."""
    index = live.page_index
    if (isinstance(index, PageIndex) and index.profiles is live.connected_profiles
            and index.size == len(index.profiles)):
        return index
    index = PageIndex(live.connected_profiles, len(live.connected_profiles))
    caseless = {n for n, known in NETWORKS.items() if known.case_insensitive}  # ``page_key``
    for position, profile in enumerate(live.connected_profiles):
        for page in profile.pages:
            network, service_id, name = page.network, page.service_id, page.name
            folded = network in caseless
            _add(index.by_service_id, (network, service_id.lower() if folded else service_id),
                 position)
            if name:
                _add(index.by_name, (network, name.lower() if folded else name), position)
    live.page_index = index
    return index


def _add(table: dict[PageKey, list[int]], key: PageKey, position: int) -> None:
    positions = table.setdefault(key, [])
    if not positions or positions[-1] != position:
        positions.append(position)
