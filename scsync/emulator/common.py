"""Small helpers shared by the object modules: network names, page keys, shape checks, lookups."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import urlsplit

from scsync.emulator.errors import invalid, not_found
from scsync.emulator.store import Tx

NETWORKS = ("twitter", "facebook", "instagram", "whatsapp", "web")
CASELESS = frozenset({"twitter", "facebook", "instagram"})
# Config prefixes the controls and fixtures also accept for an API type.
ALIASES = {"livechat": "web"}


_HOST = re.compile(r"^(?:localhost|[a-z0-9-]+(?:\.[a-z0-9-]+)+)(?::[0-9]{1,5})?$")


def is_url(value: Any) -> bool:
    """A full http(s) URL: a dotted host name (or localhost), an optional port, no white space.
    Never raises, whatever the text (urlsplit does, on a stray bracket)."""
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        return False
    if any(ch.isspace() for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return bool(_HOST.match(parts.netloc.lower())) and parts.netloc.isascii()


def api_type(name: str) -> str:
    return ALIASES.get(name, name)


def page_key(network: str, service_id: str) -> str:
    """The matching key of a page: case-insensitive on twitter, facebook and instagram."""
    return f"{network}/{service_id.lower() if network in CASELESS else service_id}"


def parse_json(text: str, what: str) -> Any:
    """The JSON value of a request's ``text``, or invalid_parameter: not JSON, nested too deep
    for the parser, holding a lone surrogate (``"\\ud800"``: JSON, but not Unicode text), a
    number out of 64-bit range, NaN or Infinity."""
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_int=_int64)
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except json.JSONDecodeError as exc:
        raise invalid(f"{what} is not valid JSON: {exc.msg}") from None
    except UnicodeEncodeError:
        raise invalid(f"{what} holds a lone surrogate escape (\\uD800-\\uDFFF alone): not "
                      "valid Unicode") from None
    except ValueError as exc:  # a number out of range, NaN, Infinity
        raise invalid(f"{what} is not valid JSON: {exc}") from None
    except RecursionError:
        raise invalid(f"{what} is nested too deeply") from None
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _int64(digits: str) -> int:
    """An integer the store can hold (SQLite's 64 bits); a longer one is refused, unread."""
    if len(digits.lstrip("-")) > 19 or not -(2**63) <= (value := int(digits)) < 2**63:
        raise ValueError("a number is out of range (64-bit integers only)")
    return value


def check_object(value: Any, allowed: Collection[str], what: str) -> Mapping[str, Any]:
    """``value`` as a JSON object whose keys are all in ``allowed``, or invalid_parameter."""
    if not isinstance(value, Mapping):
        raise invalid(f"{what} must be a JSON object")
    unknown = [k for k in value if k not in allowed]
    if unknown:
        raise invalid(f"unknown field {unknown[0]!r} in {what} "
                      f"(expected one of: {', '.join(allowed)})")
    return value


def check_name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"{what} must be a non-empty string")
    return value


def check_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.isdigit():
            return int(value)
        raise invalid(f"{what} must be an integer")
    return value


def existing(tx: Tx, table: str, ident: int, what: str) -> dict[str, Any]:
    """Row ``ident`` of ``table``; else not found: ``no WHAT IDENT in this account``."""
    row = tx.get(table, ident)
    if row is None:
        raise not_found(f"no {what} {ident} in this account")
    return row
