"""Shared set-up of the ``test_ops_*`` files (no tests here): an emulator-backed provider over
the ClaraLines example fixture, and a variant with nested profile groups."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from scsync.config.loader import load_config
from scsync.plan.options import PlanOptions
from scsync.plan.planner import build_plan
from scsync.providers.base import LiveState, Provider
from scsync.providers.factory import build_provider
from scsync.providers.settings import EmulatorSettings
from scsync.providers.socialconnect import SocialConnectProvider

ROOT = Path(__file__).resolve().parent.parent
CLARALINES = ROOT / "examples" / "platform" / "claralines.yaml"
EXAMPLE_CONFIG = ROOT / "examples" / "config"


def claralines(**changes: Any) -> dict[str, Any]:
    """The ClaraLines fixture as data, top-level sections replaced by ``changes``."""
    doc = yaml.safe_load(CLARALINES.read_text(encoding="utf-8"))
    doc.update(copy.deepcopy(changes))
    return dict(doc)


def nested_groups() -> dict[str, Any]:
    """ClaraLines with EMEA > UK > London nesting and a profile reachable two ways."""
    return claralines(profile_groups=[
        {"id": 1, "name": "EMEA", "color": "#00796b", "profiles": ["twitter/ClaraLines"],
         "groups": ["UK"]},
        {"id": 2, "name": "UK", "color": "#3949ab", "profiles": ["twitter/ClaraLinesUK"],
         "groups": ["London"]},
        {"id": 3, "name": "London", "profiles": ["twitter/ClaraLinesHelp", "twitter/ClaraLines"]},
        {"id": 4, "name": "Messaging", "profiles": ["whatsapp/15551230000",
                                                     "livechat/ClaraLines Web"]},
    ])


def write_fixture(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


@contextmanager
def provider_for(tmp: Path, doc: dict[str, Any] | None = None) -> Iterator[SocialConnectProvider]:
    """An in-process emulator provider seeded from ``doc`` (ClaraLines by default)."""
    fixture = write_fixture(tmp / "fixture.yaml", doc or claralines())
    provider = build_provider(EmulatorSettings(path="platform.db", fixture=str(fixture)),
                              base_dir=tmp)
    assert isinstance(provider, SocialConnectProvider)
    try:
        yield provider
    finally:
        provider.close()


def plan_of(config_dir: Path, live: LiveState, provider: Provider) -> list[str]:
    """The addresses a plan of ``config_dir`` against ``live`` would change."""
    config = load_config(config_dir)
    result = build_plan(config.desired, live, provider, PlanOptions(), now=datetime.now(UTC))
    return [change.address for change in result.plan.changes]


def fields_of(live: LiveState) -> dict[Any, Any]:
    return {key: (r.name, r.id, r.fields) for key, r in live.resources.items()}
