"""The fixture format of platform-api.md: loading (YAML or JSON) and shape checks with one-line
``EmulatorError`` messages that name the bad entry. Seeding lives in ``seed.py``."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import yaml

from scsync.emulator.clock import parse_time
from scsync.emulator.errors import EmulatorError

SECTIONS = ("emulator_fixture", "clock", "account", "projects", "users", "connected_profiles",
            "profiles", "public_pages", "flows", "topics", "profile_groups", "oauth_clients",
            "history")
LISTS = SECTIONS[3:]
REQUIRED: dict[str, tuple[str, ...]] = {
    "projects": ("id", "name"), "users": ("id", "email"),
    "connected_profiles": ("id", "user", "type", "service_id"),
    "profiles": ("type", "service_id"), "public_pages": ("type", "service_id"),
    "flows": ("id", "name"), "topics": ("name",), "profile_groups": ("name",),
    "oauth_clients": ("client_id", "client_secret"), "history": ("date", "type", "object"),
}
INT_IDS = ("projects", "users", "connected_profiles", "flows")
# The shape of the fields seeding walks into: a list (of mappings, when the item type is
# ``dict``), a mapping, or a string.
FIELD_SHAPES: dict[str, dict[str, tuple[type, type | None]]] = {
    "users": {"email": (str, None), "name": (str, None), "role": (str, None),
              "social_links": (dict, None), "tokens": (list, dict)},
    "connected_profiles": {"pages": (list, dict), "missing_permissions": (list, None),
                           "type": (str, None)},
    "profiles": {"settings": (dict, None), "type": (str, None)},
    "public_pages": {"type": (str, None)},
    "topics": {"services": (list, dict), "name": (str, None)},
    "profile_groups": {"name": (str, None), "profiles": (list, None), "groups": (list, None)},
    "history": {"changes": (dict, None), "type": (str, None)},
    "flows": {"name": (str, None)},
}
_SHAPE_NAMES: dict[type, str] = {list: "a list", dict: "a mapping", str: "a string"}
MAX_FIXTURE_BYTES = 512 * 1024 * 1024


def load(source: Path | str | Mapping[str, Any]) -> dict[str, Any]:
    """The fixture document from a file (YAML or JSON) or a mapping, checked."""
    if isinstance(source, Mapping):
        return check(dict(source), "fixture")
    path = Path(source)
    text = _read(path)
    try:
        doc = json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=_Loader)
    except (ValueError, yaml.YAMLError) as exc:
        first = str(exc).replace("\n", " ")
        raise EmulatorError(f"{path}: not a valid fixture file: {first}") from None
    return check(doc, str(path))


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read(path: Path) -> str:
    """The fixture's text: a regular file (never a FIFO or a device, which could block or never
    end), read without blocking and only up to ``MAX_FIXTURE_BYTES``."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise EmulatorError(f"{path}: cannot read the fixture: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise EmulatorError(f"{path}: cannot read the fixture: not a regular file")
        if info.st_size > MAX_FIXTURE_BYTES:
            raise EmulatorError(f"{path}: cannot read the fixture: over "
                                f"{MAX_FIXTURE_BYTES // (1024 * 1024)} MiB")
        with os.fdopen(os.dup(fd), "rb") as handle:
            raw = handle.read(MAX_FIXTURE_BYTES + 1)
    except OSError as exc:
        raise EmulatorError(f"{path}: cannot read the fixture: {exc.strerror}") from None
    finally:
        os.close(fd)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise EmulatorError(f"{path}: not a valid fixture file: not UTF-8 text") from None


def check(doc: Any, where: str) -> dict[str, Any]:
    """Refuse a document whose shape is not the fixture format (one line naming the entry)."""
    if not isinstance(doc, dict):
        raise EmulatorError(f"{where}: a fixture must be a mapping")
    if doc.get("emulator_fixture") != 1:
        raise EmulatorError(f"{where}: emulator_fixture: must be 1 (the fixture format version)")
    unknown = [k for k in doc if k not in SECTIONS]
    if unknown:
        raise EmulatorError(f"{where}: {unknown[0]}: unknown section "
                            f"(expected one of: {', '.join(SECTIONS)})")
    _check_account(doc.get("account"), where)
    if doc.get("clock") is not None:
        try:
            parse_time(doc["clock"])
        except ValueError:
            raise EmulatorError(f"{where}: clock: not an ISO-8601 time") from None
    for section in LISTS:
        _check_list(doc, section, where)
    return doc


def _check_account(account: Any, where: str) -> None:
    if not isinstance(account, dict):
        raise EmulatorError(f"{where}: account: required, a mapping with id and name")
    if isinstance(account.get("id"), bool) or not isinstance(account.get("id"), int):
        raise EmulatorError(f"{where}: account.id: must be an integer")
    if not isinstance(account.get("name"), str):
        raise EmulatorError(f"{where}: account.name: must be a string")
    features = account.get("features", {})
    if not isinstance(features, dict) or not all(isinstance(v, bool) for v in features.values()):
        raise EmulatorError(f"{where}: account.features: must map feature names to true/false")


def _check_list(doc: dict[str, Any], section: str, where: str) -> None:
    items = doc.get(section) or []
    if not isinstance(items, list):
        raise EmulatorError(f"{where}: {section}: must be a list")
    seen: set[Any] = set()
    for index, item in enumerate(items):
        label = f"{where}: {section}[{index}]"
        if not isinstance(item, dict):
            raise EmulatorError(f"{label}: must be a mapping")
        for key in REQUIRED[section]:
            if item.get(key) is None:
                raise EmulatorError(f"{label}: {key} is required")
        _check_fields(item, section, label)
        if section in INT_IDS:
            if isinstance(item["id"], bool) or not isinstance(item["id"], int):
                raise EmulatorError(f"{label}: id must be an integer")
            if item["id"] in seen:
                raise EmulatorError(f"{label}: duplicate id {item['id']}")
            seen.add(item["id"])


def _check_fields(item: dict[str, Any], section: str, label: str) -> None:
    for key, (shape, item_shape) in FIELD_SHAPES.get(section, {}).items():
        value = item.get(key)
        if value is None:
            continue
        if not isinstance(value, shape):
            raise EmulatorError(f"{label}.{key}: must be {_SHAPE_NAMES[shape]}")
        if item_shape is None:
            continue
        for index, element in enumerate(cast(list[Any], value)):
            if not isinstance(element, item_shape):
                raise EmulatorError(f"{label}.{key}[{index}]: must be {_SHAPE_NAMES[item_shape]}")
