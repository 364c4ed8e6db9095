"""``scsync snapshot``: the live account in the emulator's fixture format (platform-api.md),
without tokens, and the two ways back: ``snapshot_provider`` (plan offline against it) and the
file itself as ``scsync emulator serve --fixture FILE`` (a local copy of production).

The snapshot is read with the same paged list calls as a plan (one per kind, none per object)
and keeps the API's own forms: settings with flow *ids*, the Twitter bio with its t.co links and
``bio_urls``, streams with their ``expired`` flag. Public pages are not listable through the API;
the snapshot derives them from the unauthorized streams, which is all a copy needs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from scsync.errors import ScsyncError
from scsync.providers.base import Provider
from scsync.providers.parse import parse_account
from scsync.providers.socialconnect import SocialConnectProvider
from scsync.safefiles import DATA_FILE_LIMIT, ReadRefused, read_bytes, write_text

log = logging.getLogger(__name__)

FORMAT = 1
_SERVICE_KEYS = ("type", "service_id", "username", "displayname", "authorized",
                 "connectedprofile_id", "expired")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _set(value: Mapping[str, Any]) -> dict[str, Any]:
    """``value`` without its unset entries (None, empty lists)."""
    return {k: v for k, v in value.items() if v is not None and v != []}


class _Reader:
    """Raw API objects of one account, read through the provider's client."""

    def __init__(self, provider: SocialConnectProvider) -> None:
        self.client = provider.client
        self.account_id = provider.account_id

    def list(self, name: str) -> list[dict[str, Any]]:
        return list(self.client.get_all(f"/{self.account_id}/settings/{name}"))


def take_snapshot(provider: SocialConnectProvider) -> dict[str, Any]:
    """The fixture document of the provider's account, as the platform has it now."""
    reader = _Reader(provider)
    account, projects = parse_account(provider.account_body())
    topics = reader.list("topics")
    doc: dict[str, Any] = {
        "emulator_fixture": FORMAT,
        "clock": iso(datetime.fromtimestamp(provider.client.now(), tz=UTC)),
        "account": {"id": account.id, "name": account.name, "features": dict(account.features)},
        "projects": [{"id": p["id"], "name": p.get("name") or ""} for p in projects],
        "users": [_user(u) for u in reader.list("users")],
        "connected_profiles": [_connected(c) for c in reader.list("connectedprofiles")],
        "profiles": [_profile(p) for p in reader.list("profiles")],
        "public_pages": _public_pages(topics),
        "flows": [{"id": f["id"], "name": f["name"], "enabled": bool(f.get("enabled", True))}
                  for f in reader.list("flows")],
        "topics": [_topic(t) for t in topics],
        "profile_groups": [],
    }
    if account.features.get("profile_groups", True):
        doc["profile_groups"] = [_group(g) for g in reader.list("profilegroups")]
    return doc


def _user(body: Mapping[str, Any]) -> dict[str, Any]:
    role = body.get("account_role") or {}
    name = role.get("name") if isinstance(role, Mapping) else role
    return {"id": body["id"], "email": body["email"], "name": body.get("name") or "",
            "role": str(name or "agent"), "social_links": _set(body.get("social_links") or {})}


def _connected(body: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": body["id"], "user": body.get("user_id"), "type": body["type"],
            "service_id": str(body["service_id"]), "name": body.get("name") or "",
            "pages": [{"type": p["type"], "service_id": str(p["service_id"]),
                       "name": p.get("name") or ""} for p in body.get("pages") or []],
            "expired": bool(body.get("expired")),
            "missing_permissions": list(body.get("missing_permissions") or [])}


def _profile(body: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": body["type"], "service_id": str(body["service_id"]),
            "username": body.get("username") or str(body["service_id"]),
            "displayname": body.get("displayname") or "",
            "settings": _set(body.get("settings") or {})}


def _topic(body: Mapping[str, Any]) -> dict[str, Any]:
    services = [{k: s[k] for k in _SERVICE_KEYS if k in s} for s in body.get("services") or []]
    return {"id": body["id"], "name": body["name"], "project_id": body.get("project_id"),
            "searchkeywords": body.get("searchkeywords"), "services": services}


def _public_pages(topics: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    pages: dict[tuple[str, str], dict[str, Any]] = {}
    for topic in topics:
        for s in topic.get("services") or []:
            if not s.get("authorized"):
                key = (str(s["type"]), str(s["service_id"]))
                pages.setdefault(key, {"type": s["type"], "service_id": str(s["service_id"]),
                                       "username": s.get("username") or str(s["service_id"]),
                                       "displayname": s.get("displayname") or ""})
    return list(pages.values())


def _group(body: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": body["id"], "name": body["name"], "color": body.get("color"),
            "profiles": [{"type": p["type"], "service_id": str(p["service_id"])}
                         for p in body.get("profiles") or []],
            "groups": [{"id": g["id"]} for g in body.get("groups") or []]}


def dump_snapshot(doc: Mapping[str, Any]) -> str:
    """The fixture document as YAML, with a header saying what it is."""
    account = doc.get("account") or {}
    head = (f"# scsync snapshot of account {account.get('id')} ({account.get('name')}) taken "
            f"{doc.get('clock')}: the emulator fixture format, without tokens.\n")
    return head + yaml.safe_dump(dict(doc), sort_keys=False, allow_unicode=True, width=4096)


def write_snapshot(provider: SocialConnectProvider, path: Path | str) -> dict[str, Any]:
    """Take a snapshot and write it to ``path``; returns the document."""
    doc = take_snapshot(provider)
    write_text(Path(path), dump_snapshot(doc))
    log.info("snapshot of account %s written to %s", doc["account"]["id"], path)
    return doc


def read_snapshot(path: Path | str) -> dict[str, Any]:
    """The fixture document of a snapshot file. Raises ``ScsyncError`` on an unreadable file."""
    try:
        raw = read_bytes(Path(path), limit=DATA_FILE_LIMIT)
        doc = yaml.safe_load(raw.decode("utf-8"))
    except ReadRefused as exc:
        raise ScsyncError(f"{path}: cannot read the snapshot: {exc.message}") from None
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ScsyncError(f"{path}: cannot read the snapshot: {exc}") from None
    if not isinstance(doc, dict) or doc.get("emulator_fixture") != FORMAT:
        raise ScsyncError(f"{path}: not a snapshot (emulator_fixture: 1 is missing)")
    return doc


def snapshot_time(doc: Mapping[str, Any]) -> datetime | None:
    value = doc.get("clock")
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not value:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def snapshot_age(doc: Mapping[str, Any], now: datetime | None = None) -> timedelta:
    """How long ago the snapshot was taken (zero when it has no ``clock``)."""
    taken = snapshot_time(doc)
    if taken is None:
        return timedelta(0)
    return (now or datetime.now(tz=UTC)) - taken


def describe_age(age: timedelta) -> str:
    """``5 minutes``, ``3 hours``, ``2 days`` (the largest whole unit; ``0 minutes`` at least)."""
    seconds = max(int(age.total_seconds()), 0)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size or unit == "minute":
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    raise AssertionError("unreachable")


def snapshot_note(path: Path | str, doc: Mapping[str, Any], now: datetime | None = None) -> str:
    """The line a plan against a snapshot shows: which file, when it was taken, how old it is."""
    taken = snapshot_time(doc)
    if taken is None:
        return f"Live state from snapshot {path} (its time is unknown)."
    return (f"Live state from snapshot {path}, taken {iso(taken)} "
            f"({describe_age(snapshot_age(doc, now))} ago).")


def snapshot_provider(path: Path, scratch: Path) -> Provider:
    """A throw-away in-process emulator in ``scratch`` seeded from the snapshot at ``path``: an
    offline plan reads it with the very same provider and parsing code as the platform."""
    from scsync.providers.factory import build_provider
    from scsync.providers.settings import EmulatorSettings

    read_snapshot(path)
    settings = EmulatorSettings(path="snapshot.db", fixture=str(path.resolve()))
    return build_provider(settings, base_dir=scratch)  # a bad fixture: one ProviderError
