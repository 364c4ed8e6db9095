"""Shared helpers of the provider tests: fake time, canned platform responses, a client factory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from scsync.providers.auth import Credentials, Renewal, source_of
from scsync.providers.http import ApiClient, ClientOptions, RetryPolicy
from scsync.providers.tokens import TokenStore

TOKEN = "tok-PLANTED-9f8e7d"
REFRESH = "refresh-PLANTED-1a2b3c"
CLIENT_SECRET = "secret-PLANTED-4d5e6f"
NEW_TOKEN = "tok-NEW-PLANTED-777"
BASE = "https://api.engagor.com"
WEB = "https://app.engagor.com"  # the web-app origin of BASE, where tokens are refreshed
# 17:00:00 UTC on a fixed day: resets at 18:00:00 read naturally in messages.
T0 = datetime(2026, 11, 22, 17, 0, 0, tzinfo=UTC).timestamp()
RESET = datetime(2026, 11, 22, 18, 0, 0, tzinfo=UTC).timestamp()

Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class FakeTime:
    now: float = T0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def rate_headers(remaining: int = 300, reset: float = RESET, limit: int = 350) -> dict[str, str]:
    return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Time": "3600",
            "X-RateLimit-Remaining": str(remaining), "X-RateLimit-Reset": str(int(reset))}


def ok(payload: Any, *, remaining: int = 300, reset: float = RESET) -> httpx.Response:
    return httpx.Response(200, json={"meta": {"code": 200}, "response": payload},
                          headers=rate_headers(remaining, reset))


def page(items: list[Any], next_url: str | None = None) -> dict[str, Any]:
    return {"count": len(items), "data": items, "paging": {"next_url": next_url}}


def fail(status: int, error: str, description: str, *, remaining: int = 300,
         reset: float = RESET) -> httpx.Response:
    body = {"code": status, "error": error, "error_description": description}
    return httpx.Response(status, json=body, headers=rate_headers(remaining, reset))


@dataclass
class Recorder:
    """A MockTransport handler that answers from a script and records every request."""

    answers: list[Any]
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer


def make_client(handler: Handler, *, time: FakeTime | None = None, base_url: str = BASE,
                credentials: Credentials | None = None,
                waits: list[tuple[float, str]] | None = None,
                notices: list[str] | None = None, jitter: float = 1.0,
                store: Path | None = None, **options: Any) -> ApiClient:
    """A client over ``handler``; ``store``: the token store file its refreshes keep tokens in
    (without one, a refresh is refused)."""
    time = time or FakeTime()
    retry = options.pop("retry", RetryPolicy())
    return ApiClient(
        base_url, credentials or Credentials(token=TOKEN),
        options=ClientOptions(retry=retry, **options), transport=httpx.MockTransport(handler),
        on_wait=(lambda s, r: waits.append((s, r))) if waits is not None else None,
        on_notice=notices.append if notices is not None else None,
        renewal=renewal_for(store) if store is not None else None,
        sleep=time.sleep, clock=time.clock, jitter=lambda: jitter)


def renewal_for(store: Path) -> Renewal:
    """Refreshes at ``WEB``, kept in ``store``, descending from the planted refresh token."""
    return Renewal(WEB, TokenStore(store), source_of(TOKEN, REFRESH))


def refresh_credentials() -> Credentials:
    return Credentials(token=TOKEN, refresh_token=REFRESH, client_id="client-42",
                       client_secret=CLIENT_SECRET)


def fake_account() -> dict[str, Any]:
    """A small ClaraLines account as the platform's list endpoints return it."""
    return {
        "/me": {"id": 1, "name": "Ops", "email": "ops@claralines.example",
                "account_role": {"id": 1, "name": "admin"},
                "token": {"expires_at": "2027-02-20T00:00:00Z",
                          "scopes": ["accounts_read", "accounts_write"]}},
        "/me/accounts": [
            {"id": 999, "name": "Other", "features": {}, "projects": []},
            {"id": 1001, "name": "ClaraLines", "features": {"profile_groups": True},
             "projects": [{"id": 1, "name": "Care"}]}],
        "/1001/settings/flows": [{"id": 501, "name": "Refund", "enabled": True},
                                 {"id": 502, "name": "CSAT", "enabled": False}],
        "/1001/settings/connectedprofiles": [
            {"id": 9, "user_id": 1, "type": "twitter", "service_id": "t-old", "name": "Old",
             "pages": [{"type": "twitter", "service_id": "ClaraLines", "name": "ClaraLines"}],
             "expired": True, "missing_permissions": []},
            {"id": 10, "user_id": 1, "type": "facebook", "service_id": "9001",
             "name": "Ops on Facebook",
             "pages": [{"type": "facebook", "service_id": "1234567", "name": "ClaraLines"}],
             "expired": False, "missing_permissions": ["pages_messaging"]},
            {"id": 11, "user_id": 2, "type": "twitter", "service_id": "t-new", "name": "Alice",
             "pages": [{"type": "twitter", "service_id": "claralines", "name": "ClaraLines"}],
             "expired": False, "missing_permissions": []}],
        "/1001/settings/profiles": [
            {"type": "twitter", "service_id": "ClaraLines", "username": "ClaraLines",
             "displayname": "ClaraLines",
             "settings": {"color": "#6a1b9a", "bio": "Fly https://t.co/abcdefghij now",
                          "bio_urls": [{"url": "https://t.co/abcdefghij",
                                        "expanded_url": "https://clarabridge.com/claralines/"}],
                          "welcome_message": "Hi!",
                          "quick_replies": [{"label": "Refund?", "flow_id": 501},
                                            {"label": "Gone", "flow_id": 999}]}},
            {"type": "facebook", "service_id": "1234567", "username": "claralines",
             "displayname": "ClaraLines", "settings": {"get_started": 502}},
            {"type": "web", "service_id": "web-1", "username": "ClaraLines Web",
             "displayname": "ClaraLines Web",
             "settings": {"allowlisted_domains": ["https://claralines.example"]}}],
        "/1001/settings/topics": [
            {"id": 7, "name": "Claralines Care", "project_id": 1, "searchkeywords": "claralines",
             "services": [
                 {"type": "twitter", "service_id": "ClaraLines", "username": "ClaraLines",
                  "displayname": "ClaraLines", "authorized": True, "connectedprofile_id": 11,
                  "expired": False},
                 {"type": "facebook", "service_id": "competitorair", "username": "competitorair",
                  "displayname": "Competitor Air", "authorized": False,
                  "connectedprofile_id": None, "expired": True}]}],
        "/1001/settings/profilegroups": [
            {"id": 3, "name": "UK", "color": "#111111",
             "profiles": [{"type": "twitter", "service_id": "ClaraLines"}], "groups": []},
            {"id": 4, "name": "EMEA", "color": "#00897b",
             "profiles": [{"type": "facebook", "service_id": "1234567"}],
             "groups": [{"id": 3}, {"id": 77}]}],
        "/1001/settings/users": [
            {"id": 1, "name": "Ops", "email": "Ops@ClaraLines.example",
             "account_role": {"id": 1, "name": "admin"},
             "social_links": {"twitter": None, "facebook": "",
                              "linkedin": "https://linkedin.com/in/ops", "instagram": None}}],
        "/1001/settings/history": [
            {"id": 2, "date": "2026-11-22T11:00:00Z", "user": {"id": 2, "name": "Alice"},
             "type": "update", "object": {"type": "topic", "id": 7, "name": "Claralines Care"},
             "changes": {"name": {"old": "A", "new": "Claralines Care"}}},
            {"id": 1, "date": "2026-11-22T10:00:00Z", "user": {"id": 1, "name": "Ops"},
             "type": "update", "object": {"type": "profile_group", "id": 3, "name": "UK"},
             "changes": {}}],
    }


@dataclass
class FakePlatform:
    """Serves ``fake_account()`` in pages of ``page_size`` and records every request."""

    data: dict[str, Any] = field(default_factory=fake_account)
    page_size: int = 2
    requests: list[httpx.Request] = field(default_factory=list)
    writes: list[Any] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.method != "GET":
            self.writes.append(request)
            return self.writes_answer(request)
        body = self.data.get(request.url.path)
        if body is None:
            return fail(404, "not_found", "Unknown path.")
        if not isinstance(body, list):
            return ok(body)
        start = int(request.url.params.get("page_token") or 0)
        chunk = body[start:start + self.page_size]
        more = start + self.page_size < len(body)
        next_url = f"{BASE}{request.url.path}?limit=200&page_token={start + self.page_size}"
        return ok(page(chunk, next_url if more else None))

    def writes_answer(self, request: httpx.Request) -> httpx.Response:
        if request.method == "DELETE":
            return ok(True)
        if request.url.path.endswith(("/topics", "/profilegroups")):
            return ok({"id": 42})
        return ok(True)

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]
