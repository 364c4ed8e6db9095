"""Paging of list endpoints: ``limit`` (default 20; above the endpoint's maximum of 200 it is
capped, as the platform does; below 1 or not an integer it is refused), an opaque ``page_token``
(the last id seen, url-safe base64) and ``paging.next_url`` (the same request for the next page,
no token)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from scsync.emulator.errors import invalid
from scsync.emulator.store import RawJSON

DEFAULT_LIMIT = 20
MAX_LIMIT = 200


def limit_of(args: Mapping[str, str], *, default: int = DEFAULT_LIMIT,
             maximum: int = MAX_LIMIT) -> int:
    """The page size asked for; a ``limit`` above ``maximum`` is capped (a public script asks
    ``/me/accounts`` for ``limit=99999`` and the platform answers)."""
    text = args.get("limit")
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise invalid(f"limit must be a positive integer, got {text!r}") from None
    if value < 1:
        raise invalid(f"limit must be a positive integer, got {value}")
    return min(value, maximum)


def encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode(args: Mapping[str, str]) -> int | None:
    """The id after which the page starts (None: the first page)."""
    token = args.get("page_token")
    if not token:
        return None
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        kind, _, number = text.partition(":")
        if kind != "id":
            raise ValueError(text)
        return int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid("page_token is not a valid page token") from None


def next_url(base_url: str, args: Mapping[str, str], last_id: int) -> str:
    query = {k: v for k, v in args.items() if k not in ("page_token", "access_token")}
    query["page_token"] = encode(last_id)
    return f"{base_url}?{urlencode(query)}"


def page(rows: list[dict[str, Any]], limit: int, total: int, base_url: str,
         args: Mapping[str, str], render: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    """The paged response for ``rows`` (fetched with ``limit + 1`` to know if more follow)."""
    more = len(rows) > limit
    rows = rows[:limit]
    url = next_url(base_url, args, rows[-1]["id"]) if more and rows else None
    return {"count": total, "data": [render(r) for r in rows], "paging": {"next_url": url}}


def raw_page(rows: list[tuple[int, str]], limit: int, total: int, base_url: str,
             args: Mapping[str, str]) -> dict[str, Any]:
    """``page`` of (id, JSON text) rows: the items are served as stored, never re-encoded."""
    more = len(rows) > limit
    rows = rows[:limit]
    url = next_url(base_url, args, rows[-1][0]) if more and rows else None
    data = RawJSON("[" + ",".join(text for _, text in rows) + "]")
    return {"count": total, "data": data, "paging": {"next_url": url}}
