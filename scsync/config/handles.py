"""The handle forms of each network (domain.md, "Networks and handles"), checked offline."""

from __future__ import annotations

import re

from scsync.resources import NETWORKS

NETWORK_TITLES = {"twitter": "Twitter", "facebook": "Facebook", "instagram": "Instagram",
                  "whatsapp": "WhatsApp", "livechat": "Live Chat"}
_FORMS: dict[str, tuple[re.Pattern[str], str]] = {
    "twitter": (re.compile(r"^[A-Za-z0-9_]{1,15}$"),
                "is not a Twitter screen name (1 to 15 letters, digits or underscores, no @)"),
    "facebook": (re.compile(r"^(?:[A-Za-z0-9.]{1,50}|[0-9]+)$"),
                 "is not a Facebook page username (letters, digits and dots) or numeric page id"),
    "instagram": (re.compile(r"^[A-Za-z0-9._]{1,30}$"),
                  "is not an Instagram username (1 to 30 letters, digits, dots or underscores)"),
    "whatsapp": (re.compile(r"^[0-9]{8,15}$"),
                 "is not a WhatsApp number (8 to 15 digits, E.164 without the +)"),
    "livechat": (re.compile(r"^\S(?:.*\S)?$"), "is not a Live Chat widget name"),
}


def profile_name_pattern() -> str:
    """A regular expression (also valid in JSON Schema) for every valid ``NETWORK/HANDLE``."""
    forms = "|".join(f"{network}/(?:{pattern.pattern.strip('^$')})"
                     for network, (pattern, _) in _FORMS.items())
    return f"^(?:{forms})$"


def handle_pattern(network: str) -> str:
    """The regular expression of ``network``'s handles."""
    return _FORMS[network][0].pattern


def profile_name_problem(name: str) -> str | None:
    """Why ``name`` is not a ``NETWORK/HANDLE`` profile name, or None when it is one."""
    prefix, sep, handle = name.partition("/")
    if not sep:
        return (f'"{name}" is not a profile name; write NETWORK/HANDLE with NETWORK one of '
                f'{", ".join(NETWORKS)}')
    if prefix not in NETWORKS:
        return f'unknown network "{prefix}"; use one of {", ".join(NETWORKS)}'
    if not handle:
        return f'"{name}" has no handle after the network; write {prefix}/HANDLE'
    pattern, why = _FORMS[prefix]
    if pattern.match(handle):
        return None
    if prefix == "whatsapp" and handle.startswith("+"):
        return f'"{handle}" {why}; drop the +'
    if prefix == "twitter" and handle.startswith("@"):
        return f'"{handle}" {why}; drop the @'
    return f'"{handle}" {why}'
