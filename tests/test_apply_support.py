"""Helpers shared by the apply integration and fault tests (no tests here): the ClaraLines
example in a temporary directory, plan options from its settings, providers over the emulator
in-process or over loopback HTTP, and the emulator's log of writes."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx

from scsync.config import Config, load_config
from scsync.emulator import Emulator
from scsync.plan.apply import apply_plan
from scsync.plan.ledger import Ledger
from scsync.plan.model import Plan
from scsync.plan.options import PlanOptions
from scsync.plan.planner import make_plan
from scsync.plan.verify import unconverged
from scsync.providers.auth import Credentials
from scsync.providers.base import Call, LiveState, Provider
from scsync.providers.http import ApiClient, ClientOptions, RetryPolicy
from scsync.providers.socialconnect import SocialConnectProvider
from scsync.resources import Kind

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FIXTURE = EXAMPLES / "platform" / "claralines.yaml"
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
EMULATOR_URL = "http://emulator.local"


def example_config(tmp_path: Path) -> Config:
    """The example config and fixture copied side by side (the config names
    ``../platform/claralines.yaml``), with no database yet."""
    shutil.copytree(EXAMPLES / "config", tmp_path / "config",
                    ignore=shutil.ignore_patterns(".scsync"))
    shutil.copytree(EXAMPLES / "platform", tmp_path / "platform")
    return load_config(tmp_path / "config")


def options_of(config: Config, **overrides: Any) -> PlanOptions:
    settings = config.settings
    return PlanOptions(
        ownership={"topics": settings.ownership.topics,
                   "profile_groups": settings.ownership.profile_groups},
        protect=list(settings.protect), safety=settings.safety.model_dump(),
        config_digest=config.digest(), **overrides)


def in_process(emulator: Emulator, **client: Any) -> SocialConnectProvider:
    """A provider over ``emulator`` through ``httpx.WSGITransport``."""
    api = ApiClient(EMULATOR_URL, Credentials(token=emulator.token_for(None)),
                    options=ClientOptions(in_process=True),
                    transport=httpx.WSGITransport(app=emulator.wsgi), **client)
    return SocialConnectProvider(api, emulator.account_id)


def over_http(url: str, token: str, account_id: int = 1001, *, max_wait_s: float = 30,
              on_wait: Callable[[float, str], None] | None = None,
              timeout_s: float = 2.0) -> SocialConnectProvider:
    """A provider over loopback HTTP, with short backoffs so fault tests stay fast."""
    retry = RetryPolicy(max_tries=4, base_s=0.01, cap_s=0.05, max_rate_waits=50)
    api = ApiClient(url, Credentials(token=token),
                    options=ClientOptions(timeout_s=timeout_s, max_wait_s=max_wait_s,
                                          retry=retry),
                    on_wait=on_wait)
    return SocialConnectProvider(api, account_id)


def controls(emulator: Emulator) -> httpx.Client:
    """A client for the emulator's ``/_emulator/`` controls."""
    return httpx.Client(transport=httpx.WSGITransport(app=emulator.wsgi), base_url=EMULATOR_URL)


def writes(log: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The write entries of an emulator call log (everything but GETs)."""
    return [entry for entry in log if entry["method"] != "GET"]


def fill_refs(value: Any, ids: Mapping[str, str]) -> Any:
    """``value`` with ``{"ref": ADDRESS}`` replaced by the id (an int when numeric)."""
    if isinstance(value, dict):
        if set(value) == {"ref"}:
            id_ = ids[value["ref"]]
            return int(id_) if id_.isdigit() else id_
        return {k: fill_refs(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_refs(v, ids) for v in value]
    return value


def expected_write(call: Call, ids: Mapping[str, str]) -> tuple[str, str, Any]:
    path = call.path
    for address, id_ in ids.items():
        path = path.replace("{ref:" + address + "}", id_)
    return call.method, unquote(path), fill_refs(call.form, ids) if call.form else None


def logged_write(entry: Mapping[str, Any]) -> tuple[str, str, Any]:
    return entry["method"], entry["path"], entry.get("form") or None


def reread_of(provider: Provider) -> Callable[[Kind], LiveState]:
    return lambda kind: provider.read(frozenset({kind}))


@dataclass(slots=True)
class Applied:
    plan: Plan
    live: LiveState
    ledger: Ledger


def plan_and_apply(config: Config, provider: Provider, **kwargs: Any) -> Applied:
    """Read, plan and apply the config (what ``scsync apply --auto-approve`` does)."""
    live = provider.read()
    plan = make_plan(config.desired, live, provider, options_of(config), now=NOW)
    ledger = apply_plan(plan, provider, reread=reread_of(provider), budget=live.rate, **kwargs)
    return Applied(plan, live, ledger)


def verify(desired: Mapping[Any, Any], provider: Provider, options: PlanOptions, *,
           now: Callable[[], datetime] = lambda: NOW) -> tuple[Plan, list[str]]:
    """Plan again against the platform: the plan and what it still changes (empty when the
    apply converged)."""
    plan = make_plan(desired, provider.read(), provider, options, now=now())
    return plan, unconverged(plan)
