"""Server-side rules of Profile Manager settings (domain.md), per network: which fields exist,
their shapes and limits, and the rules between fields. ``apply_updates`` is the one entry point."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

from scsync.emulator.common import is_url
from scsync.emulator.errors import ApiError, invalid
from scsync.emulator.tco import shorten, twitter_length

TEXT = "text"
BOOL = "bool"
FLOW = "flow"
BUTTONS = "buttons"
QUESTIONS = "questions"
CUSTOM = "custom"
URLS = "urls"

SHAPES: dict[str, str] = {
    **dict.fromkeys(("color", "name", "url", "location", "bio", "privacy_policy_url",
                     "welcome_message", "greeting_text", "about", "avatar_url", "address",
                     "description", "email", "vertical", "avatar"), TEXT),
    "accept_custom_profile_terms": BOOL, "case_creation_rules": BOOL,
    "get_started": FLOW, "send_flow_on_start": FLOW,
    "quick_replies": BUTTONS, "quick_replies_on_every_message": BUTTONS, "persistent_menu": BUTTONS,
    "ice_breakers": QUESTIONS, "custom_profiles": CUSTOM,
    "websites": URLS, "allowlisted_domains": URLS,
}
FIELDS: dict[str, tuple[str, ...]] = {
    "twitter": ("color", "name", "url", "location", "bio", "privacy_policy_url", "welcome_message",
                "quick_replies", "quick_replies_on_every_message", "custom_profiles",
                "accept_custom_profile_terms"),
    "facebook": ("color", "privacy_policy_url", "greeting_text", "ice_breakers", "get_started",
                 "persistent_menu", "case_creation_rules"),
    "instagram": ("color", "ice_breakers"),
    "whatsapp": ("color", "about", "avatar_url", "address", "description", "email", "vertical",
                 "websites"),
    "web": ("color", "allowlisted_domains", "avatar", "send_flow_on_start",
            "quick_replies_on_every_message"),
}
LIMITS: dict[tuple[str, str], int] = {
    ("twitter", "quick_replies"): 5, ("facebook", "ice_breakers"): 6,
    ("facebook", "persistent_menu"): 3, ("instagram", "ice_breakers"): 4,
    ("whatsapp", "websites"): 2, ("web", "quick_replies_on_every_message"): 3,
}
TEXT_LIMITS = {("whatsapp", "address"): 256, ("whatsapp", "description"): 256,
               ("whatsapp", "email"): 128}
VERTICALS = frozenset(("AUTO", "BEAUTY", "APPAREL", "EDU", "ENTERTAIN", "EVENT_PLAN", "FINANCE",
                       "GROCERY", "GOVT", "HOTEL", "HEALTH", "NONPROFIT", "PROF_SERVICES",
                       "RETAIL", "TRAVEL", "RESTAURANT", "OTHER"))
WHATSAPP_REQUIRED = ("address", "description", "vertical")
_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ITEM_KEYS = {BUTTONS: ("label", "flow_id"), QUESTIONS: ("question", "flow_id"),
              CUSTOM: ("name", "avatar")}


def empty_settings(network: str) -> dict[str, Any]:
    """Every field of ``network`` unset (null, lists empty)."""
    settings: dict[str, Any] = {f: [] if SHAPES[f] in _ITEM_KEYS or SHAPES[f] == URLS else None
                for f in FIELDS[network]}
    if network == "twitter":
        settings["bio_urls"] = []
    return settings


def apply_updates(network: str, current: Mapping[str, Any], updates: Mapping[str, Any],
                  flow_ids: Collection[int]) -> dict[str, Any]:
    """``current`` with ``updates`` applied, or an ApiError naming the rule that refuses them."""
    if not isinstance(updates, Mapping):
        raise invalid("updates must be a JSON object")
    new = {**empty_settings(network), **current}
    for name, value in updates.items():
        new[name] = _check_field(network, name, value, flow_ids)
    if "bio" in updates and new["bio"]:
        new["bio"], new["bio_urls"] = shorten(new["bio"], list(current.get("bio_urls") or []))
    elif "bio" in updates:
        new["bio_urls"] = []
    _check_rules(network, new, updates)
    return new


def _check_field(network: str, name: str, value: Any, flow_ids: Collection[int]) -> Any:
    if name == "bio_urls" and network == "twitter":
        raise invalid("bio_urls is read-only: it is derived from the bio")
    if name not in FIELDS[network]:
        raise invalid(f"unknown field {name!r} for a {network} profile "
                      f"(expected one of: {', '.join(FIELDS[network])})")
    check = _CHECKS[SHAPES[name]]
    value = check(network, name, value, flow_ids)
    limit = LIMITS.get((network, name))
    if limit is not None and len(value) > limit:
        raise ApiError("limit_exceeded", f"{name}: at most {limit} items, got {len(value)}")
    return value


def _text(network: str, name: str, value: Any, _flows: Collection[int]) -> Any:
    if value is not None and not isinstance(value, str):
        raise invalid(f"{name} must be a string or null")
    if value is None or not value.strip():  # blank text is no text
        if network == "whatsapp" and name in WHATSAPP_REQUIRED:
            raise invalid(f"{name} is required for a WhatsApp profile and cannot be cleared")
        return None
    _TEXT_RULES.get(name, _no_rule)(network, name, value)
    limit = TEXT_LIMITS.get((network, name))
    if limit is not None and len(value) > limit:
        raise invalid(f"{name} is {len(value)} characters; at most {limit} allowed")
    return value


def _no_rule(network: str, name: str, value: str) -> None:
    return None


def _color(network: str, name: str, value: str) -> None:
    if not _COLOR.match(value):
        raise invalid(f"color {value!r} is not a hex colour like #6A1B9A")


def _bio(network: str, name: str, value: str) -> None:
    length = twitter_length(value)
    if length > 160:
        raise invalid(f"bio is {length} characters; Twitter allows 160")


def _email(network: str, name: str, value: str) -> None:
    if not _EMAIL.match(value):
        raise invalid(f"email {value!r} is not a valid e-mail address")


def _vertical(network: str, name: str, value: str) -> None:
    if value.upper() not in VERTICALS:
        raise invalid(f"vertical {value!r} is not one of {', '.join(sorted(VERTICALS))}")


def _url(network: str, name: str, value: str) -> None:
    if not is_url(value):
        raise invalid(f"{name} {value!r} is not a full http(s) URL")


def _avatar_url(network: str, name: str, value: str) -> None:
    _url(network, name, value)
    if not value.lower().endswith((".jpg", ".jpeg")):
        raise invalid(f"avatar_url {value!r} must end in .jpg or .jpeg")


_TEXT_RULES: dict[str, Callable[[str, str, str], None]] = {
    "color": _color, "bio": _bio, "email": _email, "vertical": _vertical,
    "avatar_url": _avatar_url, "url": _url, "privacy_policy_url": _url, "avatar": _url,
}


def _bool(network: str, name: str, value: Any, _flows: Collection[int]) -> Any:
    if value is not None and not isinstance(value, bool):
        raise invalid(f"{name} must be true, false or null")
    return value


def _flow(network: str, name: str, value: Any, flow_ids: Collection[int]) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(f"{name} must be a flow id (an integer) or null")
    if value not in flow_ids:
        raise invalid(f"{name}: unknown flow id {value}")
    return value


def _items(network: str, name: str, value: Any, flow_ids: Collection[int]) -> Any:
    if value is None:
        return []
    keys = _ITEM_KEYS[SHAPES[name]]
    if not isinstance(value, list):
        raise invalid(f"{name} must be a list of objects with {' and '.join(keys)}")
    for index, item in enumerate(value):
        if not isinstance(item, dict) or set(item) != set(keys):
            raise invalid(f"{name}[{index}] must be an object with exactly {' and '.join(keys)}")
        for key in keys:
            check = _flow if key == "flow_id" and item[key] is not None else _required_text
            if key == "flow_id" and item[key] is None:
                raise invalid(f"{name}[{index}].flow_id must be a flow id")
            check(network, f"{name}[{index}].{key}", item[key], flow_ids)
            if key == "avatar":
                _url(network, f"{name}[{index}].avatar", item[key])
    return [dict(item) for item in value]


def _required_text(network: str, name: str, value: Any, _flows: Collection[int]) -> Any:
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"{name} must be a non-empty string")
    return value


def _urls(network: str, name: str, value: Any, _flows: Collection[int]) -> Any:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid(f"{name} must be a list of URLs")
    for url in value:
        if len(url) > 256:
            raise invalid(f"{name}: {url[:40]}... is {len(url)} characters; at most 256 allowed")
        if not is_url(url):
            raise invalid(f"{name}: {url!r} is not a full http(s) URL")
    return list(value)


_CHECKS: dict[str, Callable[[str, str, Any, Collection[int]], Any]] = {
    TEXT: _text, BOOL: _bool, FLOW: _flow, BUTTONS: _items, QUESTIONS: _items, CUSTOM: _items,
    URLS: _urls,
}


def _check_rules(network: str, new: Mapping[str, Any], updates: Mapping[str, Any]) -> None:
    if network == "twitter":
        _twitter_rules(new)
    elif network == "facebook":
        _facebook_rules(new)
    elif network == "whatsapp":
        missing = [f for f in WHATSAPP_REQUIRED if not new.get(f)]
        if missing:
            raise invalid(f"a WhatsApp profile requires {', '.join(missing)}")


def _twitter_rules(new: Mapping[str, Any]) -> None:
    if new["quick_replies"] and not new["welcome_message"]:
        raise invalid("quick_replies need a welcome_message: set one first")
    if new["custom_profiles"] and new["accept_custom_profile_terms"] is not True:
        raise invalid("custom_profiles require accepting the custom profile terms "
                      "(accept_custom_profile_terms: true)")
    if new["custom_profiles"] and not new["privacy_policy_url"]:
        raise invalid("custom_profiles require a privacy_policy_url")


def _facebook_rules(new: Mapping[str, Any]) -> None:
    if new["ice_breakers"] and new["get_started"] is not None:
        raise invalid("ice_breakers override get_started: set one or the other, not both")
    if new["case_creation_rules"]:
        used = [f for f in ("ice_breakers", "get_started", "persistent_menu") if new[f]]
        if used:
            raise invalid(f"{', '.join(used)} cannot be combined with case_creation_rules")
