"""The rules of domain.md that relate two Profile Manager fields, in one place: offline they are
checked on the config alone when it gives both fields (``ProfileBase.problems``), at plan time on
the profile as it will be after the write, live values merged with the planned change
(``scsync.plan.checks``), since a field the config leaves unset keeps its live value.

Each rule reads plain resource fields (``scsync.resources``): a missing key is unset.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

# A list item's text shown when a live value is named in a message.
_ITEM_TEXT = ("question", "label", "name")


class PairRule(NamedTuple):
    """``field`` set needs ``other`` satisfied (``needs``), or excludes ``other`` set.

    (A named tuple, immutable like a frozen dataclass and a quarter of its creation time: a
    dataclass compiles its methods when created, ~0.6 ms of every start.)"""

    network: str
    field: str
    other: str
    needs: bool
    text: str
    """The rule in the user's words (no trailing punctuation)."""
    offline: str
    """The fix when config alone breaks the rule."""
    blame_other: bool = False
    """Report the offline problem at ``other`` instead of ``field``."""

    def holds(self, fields: Mapping[str, Any]) -> bool:
        if not is_set(fields.get(self.field)):
            return True
        value = fields.get(self.other)
        if self.other == "accept_custom_profile_terms":
            return value is True
        return is_set(value) if self.needs else not is_set(value)


def is_set(value: Any) -> bool:
    """A value that the platform counts as set (``""``, white space, ``[]``, false: unset)."""
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None and value is not False and value != []


_CASE = "(case creation sends a flow on every new case)"
RULES: tuple[PairRule, ...] = (
    PairRule("twitter", "quick_replies", "welcome_message", True,
             "quick replies need a welcome message",
             "set welcome_message on this profile in config"),
    PairRule("twitter", "custom_profiles", "accept_custom_profile_terms", True,
             "custom profiles need the custom-profile terms accepted",
             "add accept_custom_profile_terms: true"),
    PairRule("twitter", "custom_profiles", "privacy_policy_url", True,
             "custom profiles need a privacy policy", "set privacy_policy_url on this profile"),
    PairRule("facebook", "ice_breakers", "get_started", False,
             "ice breakers override Get Started",
             "set either ice_breakers or get_started, not both", blame_other=True),
    *(PairRule("facebook", "case_creation_rules", name, False,
               f"{name} cannot be combined with case_creation_rules: true {_CASE}", "",
               blame_other=True)
      for name in ("ice_breakers", "get_started", "persistent_menu")),
)


# Each network's rules, in ``RULES`` order (most networks have none).
_OF_NETWORK: dict[str, tuple[PairRule, ...]] = {}
for _rule in RULES:
    _OF_NETWORK[_rule.network] = (*_OF_NETWORK.get(_rule.network, ()), _rule)
del _rule


def rules_of(network: str) -> tuple[PairRule, ...]:
    """The rules of ``network``, in ``RULES`` order."""
    return _OF_NETWORK.get(network, ())


def broken(network: str, fields: Mapping[str, Any]) -> list[PairRule]:
    """The rules of ``network`` that ``fields`` break, in ``RULES`` order."""
    return [rule for rule in rules_of(network) if not rule.holds(fields)]


def offline_problems(network: str, fields: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, message) for each rule that the config alone breaks: both of its fields given
    (an absent field keeps its live value, which only the plan knows)."""
    found = []
    for rule in rules_of(network):
        if rule.field not in fields or rule.other not in fields or rule.holds(fields):
            continue
        where = rule.other if rule.blame_other else rule.field
        found.append((where, f"{rule.text}; {rule.offline}" if rule.offline else rule.text))
    return found


def merged_problem(rule: PairRule, written: Mapping[str, Any],
                   live: Mapping[str, Any]) -> tuple[str, str] | None:
    """(config field, message) for ``rule`` broken by the profile as it will be, ``live``
    merged with ``written``; None when the plan writes both fields (config alone breaks it: an
    offline problem). When it writes neither, the live profile already breaks the rule, and the
    platform refuses any write to it: the problem is the object's (field ``""``)."""
    mine = [name for name in (rule.field, rule.other) if name in written]
    if not mine:
        return "", (f"{rule.text}, and the platform has both {rule.field}: "
                    f"{show(live.get(rule.field))} and {rule.other}: "
                    f"{show(live.get(rule.other))}; the platform refuses any write to this "
                    f"profile until config settles one of them")
    if len(mine) != 1:
        return None
    field = mine[0]
    other = rule.other if field == rule.field else rule.field
    if rule.needs and field == rule.field:
        fix = f"set {other} in this profile's config"
    else:
        keep = "keep" if rule.needs else "remove"
        fix = f"add {other}: {clear_value(other)} to clear it, or {keep} {field}"
    return field, (f"{rule.text}; the platform has {other}: {show(live.get(other))}, which "
                   f"this config leaves as it is: {fix}")


def clear_value(field: str) -> str:
    """How config clears ``field``: ``[]`` for lists, ``false`` for switches, else ``null``."""
    if field in ("case_creation_rules", "accept_custom_profile_terms"):
        return "false"
    if field in ("quick_replies", "custom_profiles", "ice_breakers", "persistent_menu",
                 "quick_replies_on_every_message"):
        return "[]"
    return "null"


def show(value: Any) -> str:
    """A live value in a message: scalars as JSON, list items by their text."""
    if isinstance(value, list):
        texts = [_item_text(item) for item in value[:3]]
        more = f" and {len(value) - 3} more" if len(value) > 3 else ""
        return f"[{', '.join(texts)}{more}]"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + '..."'


def _item_text(item: Any) -> str:
    if isinstance(item, Mapping):
        for key in _ITEM_TEXT:
            if key in item:
                return show(item[key])
    return show(item)
