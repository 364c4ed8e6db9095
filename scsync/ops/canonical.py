"""The canonical form of config YAML: the order of keys per kind and network (domain.md's order of
fields) and the quoting rule, shared by ``fmt`` and ``export`` so that both write the same text.

Keys a table does not list keep their relative order after the listed ones, so an unknown or
future key is never lost or shuffled. Quoting: a string is quoted exactly when a plain
scalar would not read back as that same string under YAML 1.2 *or* YAML 1.1 (``#6A1B9A``, ``yes``,
``on``, ``1:30``, ``0o17``, ``""``, and inside ``{...}``/``[...]`` text with ``,?[]{}``): in
double quotes, or single ones when the text holds a double quote. Every other string is plain,
except block scalars (``|``/``>``), which keep their style.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import yaml

from scsync.resources import PROFILE_FIELDS, SOCIAL_LINKS

# YAML 1.2 core schema: the plain scalars that are not strings (null, bool, int, float).
_CORE12_NON_STR = re.compile(
    r"^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE"
    r"|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
    r"|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")

# YAML 1.1's one-letter booleans, which PyYAML's resolver does not implement.
_YAML11_LETTERS = frozenset({"y", "Y", "n", "N"})

TOP_LEVEL: tuple[str, ...] = ("scsync", "provider", "ownership", "protect", "safety", "vars",
                              "profiles", "topics", "profile_groups", "users")
PROVIDER: tuple[str, ...] = ("type", "base_url", "account_id", "token", "refresh_token",
                             "client_id", "client_secret", "path", "fixture", "user",
                             "rate_limit", "faults", "api")
SAFETY: tuple[str, ...] = ("max_update_ratio", "max_delete_ratio", "min_existing")
OWNERSHIP: tuple[str, ...] = ("topics", "profile_groups", "profiles", "users")

# A rename (previous_names) comes first: it says which live object this is.
TOPIC_FIELDS: tuple[str, ...] = ("previous_names", "searchkeywords", "streams", "lifecycle")
STREAM_FIELDS: tuple[str, ...] = ("profile", "authorized")
GROUP_FIELDS: tuple[str, ...] = ("previous_names", "color", "profiles", "groups", "lifecycle")
USER_FIELDS: tuple[str, ...] = ("role", "social_links", "lifecycle")
LIFECYCLE: tuple[str, ...] = ("ignore_changes",)
# List items of profile settings: {label, flow}, {question, flow}, {name, avatar}.
ITEM_FIELDS: tuple[str, ...] = ("label", "question", "name", "avatar", "flow")


def profile_fields(network: str) -> tuple[str, ...]:
    """Every config key of a profile of ``network`` (a config prefix), in canonical order."""
    return (*PROFILE_FIELDS.get(network, ("color",)), "lifecycle")


def order_for(path: Sequence[str]) -> tuple[str, ...] | None:
    """The canonical key order of the mapping at ``path`` (keys from the document root; ``"*"``
    never appears: object names are real keys), or None when that mapping keeps its own order."""
    depth = len(path)
    if depth == 0:
        return TOP_LEVEL
    section = path[0]
    if depth == 1:
        return {"provider": PROVIDER, "safety": SAFETY, "ownership": OWNERSHIP}.get(section)
    if depth == 2:
        return _object_order(section, path[1])
    return _nested_order(section, path[2:])


def _object_order(section: str, name: str) -> tuple[str, ...] | None:
    if section == "profiles":
        return profile_fields(name.partition("/")[0])
    return {"topics": TOPIC_FIELDS, "profile_groups": GROUP_FIELDS,
            "users": USER_FIELDS}.get(section)


def _nested_order(section: str, rest: Sequence[str]) -> tuple[str, ...] | None:
    head = rest[0]
    if head == "lifecycle":
        return LIFECYCLE if len(rest) == 1 else None
    if section == "users" and head == "social_links" and len(rest) == 1:
        return SOCIAL_LINKS
    if section == "topics" and head == "streams":
        return STREAM_FIELDS
    if section == "profiles" and len(rest) == 1:
        return ITEM_FIELDS
    return None


def sort_keys(keys: Iterable[str], order: Sequence[str]) -> list[str]:
    """``keys`` in canonical ``order``; keys it does not list follow in their own order."""
    rank = {key: index for index, key in enumerate(order)}
    keys = list(keys)
    return sorted(keys, key=lambda k: (rank.get(k, len(rank)), keys.index(k)))


def _resolves_to_str(loader: type[yaml.SafeLoader], text: str) -> bool:
    """True when ``loader`` (PyYAML's YAML 1.1 resolver) reads plain ``text`` as a string."""
    tag = loader.resolve(loader, yaml.ScalarNode, text,  # type: ignore[arg-type, no-untyped-call]
                         (True, False))
    return bool(tag == "tag:yaml.org,2002:str")


_LOADERS = (yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _plain_ok(text: str, flow: bool) -> bool:
    """True when ``text`` written plain reads back as itself with PyYAML's pure and C loaders
    (YAML 1.1), in a block mapping, or in flow collections (``[...]``/``{...}``) when ``flow``."""
    cases = [(f"[{text}]", [text]), (f"{{k: {text}}}", {"k": text})] if flow \
        else [(f"k: {text}", {"k": text})]
    for source, expected in cases:
        for loader in _LOADERS:
            try:
                if yaml.load(source, Loader=loader) != expected:
                    return False
            except yaml.YAMLError:
                return False
    return True


def needs_quotes(text: str, *, flow: bool = False) -> bool:
    """True when a plain ``text`` would be misread by a YAML 1.1 or 1.2 reader, or is not a plain
    scalar at all (a colour: ``#`` starts a comment); ``flow``: inside ``[...]``/``{...}``."""
    if text == "" or text != text.strip() or "\n" in text or text in _YAML11_LETTERS:
        return True
    if not _resolves_to_str(yaml.SafeLoader, text):
        return True
    if _CORE12_NON_STR.match(text):
        return True
    return not _plain_ok(text, flow)
