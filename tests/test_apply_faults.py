"""Apply over loopback HTTP against a faulty emulator (500s, dropped connections, responses lost
after the write, a rate limit of a few calls per window): every apply completes or reports a
ledger, and a re-run converges with no duplicate object and no lost setting."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from scsync.config import Config
from scsync.console import Console
from scsync.emulator import BackgroundServer, open_emulator
from scsync.plan.apply import apply_plan
from scsync.plan.planner import make_plan
from scsync.plan.stale import prepare_saved_plan
from tests.test_apply_support import (
    FIXTURE,
    NOW,
    Applied,
    controls,
    example_config,
    expected_write,
    in_process,
    logged_write,
    options_of,
    over_http,
    plan_and_apply,
    reread_of,
    verify,
    writes,
)

pytestmark = [pytest.mark.http, pytest.mark.timeout(60)]

FAULTS = {"error_rate": 0.1, "drop_rate": 0.05, "lost_response_rate": 0.1}


class Served:
    """The example account's database served over loopback with ``faults`` and ``rate_limit``."""

    def __init__(self, tmp_path: Path, **emulator: Any) -> None:
        self.config: Config = example_config(tmp_path)
        self.db = tmp_path / "platform.db"
        self.emulator = open_emulator(self.db, fixture=FIXTURE, **emulator)
        self.server = BackgroundServer(self.emulator)
        self.token = self.emulator.token_for(None)

    def provider(self, **kwargs: Any) -> Any:
        return over_http(self.server.url, self.token, self.emulator.account_id, **kwargs)

    def close(self) -> None:
        self.server.stop()
        self.emulator.close()


@pytest.fixture()
def served_factory(tmp_path: Path) -> Iterator[Any]:
    made: list[Served] = []

    def make(**emulator: Any) -> Served:
        made.append(Served(tmp_path, **emulator))
        return made[-1]

    yield make
    for served in made:
        served.close()


def rerun_converges(served: Served) -> Applied:
    """A second apply, on a fault-free view of the same database, finishes the job; planning
    again after it is empty and the platform holds no duplicate."""
    calm = open_emulator(served.db)
    provider = in_process(calm)
    try:
        rerun = plan_and_apply(served.config, provider)
        assert rerun.ledger.ok, rerun.ledger.render()
        _, items = verify(served.config.desired, provider, options_of(served.config),
                          now=lambda: NOW)
        assert items == []
        with controls(calm) as client:
            state = client.get("/_emulator/state").json()
        for kind in ("topics", "profile_groups"):
            names = Counter(obj["name"] for obj in state[kind])
            assert [n for n, count in names.items() if count > 1] == [], kind
        return rerun
    finally:
        provider.close()
        calm.close()


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_faulty_platform_apply_reports_a_ledger_and_a_rerun_converges(
        served_factory: Any, seed: int) -> None:
    served = served_factory(faults={**FAULTS, "seed": seed})
    provider = served.provider()
    try:
        first = plan_and_apply(served.config, provider)
    finally:
        provider.close()
    ledger = first.ledger
    assert len(ledger.steps) == len(first.plan.calls)
    assert all(s.status in ("done", "failed", "skipped") for s in ledger.steps), ledger.render()
    assert all(s.message for s in ledger.steps if s.status in ("failed", "skipped"))
    rerun = rerun_converges(served)
    # a re-run only redoes what the ledger left to do
    assert len(rerun.plan.calls) <= len(ledger.remaining)


def test_lost_create_responses_never_make_duplicates(served_factory: Any) -> None:
    served = served_factory(faults={"lost_response_rate": 0.5, "seed": 11})
    provider = served.provider()
    try:
        first = plan_and_apply(served.config, provider)
    finally:
        provider.close()
    creates = [s for s in first.ledger.steps if s.action == "create"]
    assert any("re-read" in s.message for s in creates), first.ledger.render()
    rerun_converges(served)


def test_rate_limit_mid_apply_waits_for_the_reset_and_completes(served_factory: Any) -> None:
    served = served_factory(rate_limit=(15, 1))
    out = io.StringIO()
    console = Console(out, tty=False)
    provider = served.provider(on_wait=console.wait)
    try:
        applied = plan_and_apply(served.config, provider, progress=console.progress)
    finally:
        provider.close()
    console.clear()
    assert applied.ledger.ok, applied.ledger.render()
    assert "Waiting for the rate-limit reset:" in out.getvalue()
    assert "rate limit reached: 0 of 15 calls left" in out.getvalue()
    with controls(served.emulator) as client:
        log = writes(client.get("/_emulator/calls").json())
    ids = {s.address: s.created_id for s in applied.ledger.steps if s.created_id}
    assert [logged_write(e) for e in log if e["status"] == 200] == [
        expected_write(c, ids) for c in applied.plan.calls]


def test_rate_limit_beyond_max_wait_stops_cleanly_and_the_saved_plan_finishes(
        served_factory: Any) -> None:
    served = served_factory(rate_limit=(14, 3600))
    provider = served.provider(max_wait_s=0.5)
    try:
        live = provider.read()
        plan = make_plan(served.config.desired, live, provider, options_of(served.config),
                         now=NOW)
        events: list[Any] = []
        ledger = apply_plan(plan, provider, reread=reread_of(provider), budget=live.rate,
                            progress=events.append)
    finally:
        provider.close()
    assert ledger.stopped.startswith("rate limit reached: 0 of 14 calls left until ")
    assert ledger.stopped.endswith("; re-run then or raise --max-wait")
    counts = ledger.summary()
    assert counts["done"] == 14 - live.reads
    assert counts["not_attempted"] == len(plan.calls) - counts["done"]
    assert counts["failed"] == 0
    assert any(e.kind == "notice" and e.message.startswith(
        f"This apply makes {len(plan.calls)} writes and up to {plan.reads} reads to verify them "
        f"and {14 - live.reads} of 14") for e in events)
    httpx.post(f"{served.server.url}/_emulator/clock", json={"advance_s": 3600}).raise_for_status()
    calm = open_emulator(served.db)
    provider = in_process(calm)
    try:
        remaining = prepare_saved_plan(plan, config_digest=served.config.digest(),
                                       live=provider.read())
        assert len(remaining.done) == counts["done"]
        second = apply_plan(plan, provider, reread=reread_of(provider), done=remaining.done)
        assert second.ok, second.render()
        assert verify(served.config.desired, provider, options_of(served.config),
                      now=lambda: NOW)[1] == []
    finally:
        provider.close()
        calm.close()
