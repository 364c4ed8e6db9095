"""Helpers of the plan-as-contract tests (no tests here): a small account (the emulator tests'
fixture, with overrides) in a temporary directory, its config written from Python data, and
``scsync`` run on it in-process, with the emulator's log of writes."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from click.testing import Result

from tests.cli_support import Emu, run_cli
from tests.emulator_helpers import make_fixture

SETTINGS = {"scsync": 1,
            "provider": {"type": "emulator", "path": ".scsync/platform.db",
                         "fixture": "../fixture.yaml"}}


@dataclass
class Small:
    """A config directory over an emulated account seeded from ``fixture.yaml`` beside it."""

    root: Path

    @property
    def emu(self) -> Emu:
        return Emu(self.root / ".scsync" / "platform.db")

    def plan(self, *args: str) -> Result:
        """``scsync plan`` from inside the account, so messages name its files as a user there
        sees them (``profiles.yaml:3:18``)."""
        with contextlib.chdir(self.root):
            return run_cli(["plan", "-C", ".", "--detailed-exitcode", *args])

    def apply(self, *args: str) -> Result:
        with contextlib.chdir(self.root):
            return run_cli(["apply", "-C", ".", "--auto-approve", *args])

    def writes(self) -> list[tuple[str, str]]:
        """The writes the platform received (none when a config error stopped scsync before it
        even opened the platform's database)."""
        if not self.emu.db.exists():
            return []
        return self.emu.writes()

    def write_config(self, config: Mapping[str, Any]) -> None:
        for section, body in config.items():
            (self.root / f"{section}.yaml").write_text(
                yaml.safe_dump({section: body}, sort_keys=False, allow_unicode=True),
                encoding="utf-8")


def small_account(base: Path, config: Mapping[str, Any], *,
                  settings: Mapping[str, Any] | None = None, **fixture: Any) -> Small:
    """An account seeded from ``make_fixture(**fixture)`` and a config of ``config`` (section ->
    body, one file per section, in key order); ``settings`` go to ``scsync.yaml``."""
    doc = make_fixture(**copy.deepcopy(fixture))
    base.mkdir(parents=True, exist_ok=True)
    (base / "fixture.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    root = base / "config"
    root.mkdir()
    text = yaml.safe_dump({**SETTINGS, **(settings or {})}, sort_keys=False)
    (root / "scsync.yaml").write_text(text, encoding="utf-8")
    small = Small(root)
    small.write_config(config)
    return small


def with_settings(network: str, service_id: str, settings: Mapping[str, Any]) -> list[Any]:
    """The fixture's profiles with ``settings`` merged into the profile ``network/service_id``."""
    profiles = copy.deepcopy(make_fixture()["profiles"])
    for profile in profiles:
        if (profile["type"], profile["service_id"]) == (network, service_id):
            profile["settings"] = {**profile.get("settings", {}), **settings}
    return profiles


def live_groups(count: int) -> list[dict[str, Any]]:
    """``count`` live groups ``Live 01``... (the fixture's EMEA replaced)."""
    return [{"id": i, "name": f"Live {i:02d}", "profiles": []} for i in range(1, count + 1)]
