"""The benchmark's generated account: its config validates, its fixture seeds the emulator, and a
plan of one against the other finds exactly the changes the generator made; plus the bench's
own helpers (octoDNS zone files, row tables, the doc block, subprocess measurement, the
read floor and the start-up baseline)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench import Row, format_table, measure
from bench.__main__ import to_row, write_doc
from bench.baselines import dns_record, write_zone
from bench.gen import Generated, generate, split_counts
from scsync.config import load_config
from scsync.plan.options import PlanOptions
from scsync.plan.planner import make_plan
from scsync.providers.factory import build_provider
from scsync.providers.settings import EmulatorSettings
from scsync.resources import Kind


@pytest.fixture(scope="module")
def account(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    return generate(500, tmp_path_factory.mktemp("bench") / "acct")


def test_split_counts_keeps_groups_within_the_platform_limit() -> None:
    assert split_counts(1000) == {"profile": 679, "topic": 291, "profile_group": 20, "user": 10}
    assert split_counts(50_000)["profile_group"] == 20
    assert sum(split_counts(12_345).values()) == 12_345


def test_generated_config_validates_with_the_generated_counts(account: Generated) -> None:
    config = load_config(account.config_dir)
    counts = {kind.value: config.count(kind) for kind in Kind}
    assert counts == account.counts == {"profile": 340, "topic": 145, "profile_group": 10,
                                        "user": 5}
    assert config.warnings == []
    networks = {p.name for p in (account.config_dir / "profiles").iterdir()}
    assert networks == {"twitter-00.yaml", "facebook-00.yaml", "instagram-00.yaml",
                        "whatsapp-00.yaml", "livechat-00.yaml"}


def test_plan_of_the_generated_account_finds_exactly_the_generated_changes(
        account: Generated, tmp_path: Path) -> None:
    config = load_config(account.config_dir)
    provider = build_provider(EmulatorSettings(path=str(tmp_path / "platform.db"),
                                               fixture=str(account.fixture)), base_dir=tmp_path)
    try:
        live = provider.read()
        options = PlanOptions(ownership=config.settings.ownership.model_dump())
        plan = make_plan(config.desired, live, provider, options, now=datetime.now(UTC))
    finally:
        provider.close()
    assert (account.changed, account.created) == (4, 1)
    assert (plan.summary.add, plan.summary.change, plan.summary.destroy) == (1, 4, 0)
    assert live.reads <= 500 // 200 + 10


def test_octodns_zone_is_sorted_and_one_percent_differs(tmp_path: Path) -> None:
    write_zone(tmp_path / "a.yaml", 300)
    write_zone(tmp_path / "b.yaml", 300, frozenset({0, 100, 200}))
    a = (tmp_path / "a.yaml").read_text().splitlines()
    b = (tmp_path / "b.yaml").read_text().splitlines()
    names = [line[:-1] for line in a if line.startswith("r")]
    assert names == sorted(names) and len(names) == 300
    assert sum(1 for x, y in zip(a, b, strict=True) if x != y) == 3
    assert dns_record(3) == ("r000003",
                             "  type: TXT\n  value: v=spf1 include:mail4.example.net ~all\n")


def test_table_groups_rows_by_size_and_states_misses() -> None:
    rows = [Row("plan", 1000, "plan time vs naive", 0.5, "s", baseline=6.0,
                baseline_name="naive", ratio=12.0, target=">= 10x faster", met=True),
            to_row("apply", {"size": 1000, "metric": "calls", "value": 12, "unit": "calls",
                             "minimum": 12})]
    assert format_table(rows, markdown=True) == (
        "### 1,000 objects\n\n"
        "| bench | metric | scsync | baseline | ratio | target | met | note |\n"
        "|---|---|---|---|---|---|---|---|\n"
        "| plan | plan time vs naive | 0.50 s | 6 s (naive) | 12.00x | >= 10x faster | yes |  |\n"
        "| apply | calls | 12 calls | - | - |  |  | minimum=12 |")


def test_write_doc_replaces_only_the_marked_block(tmp_path: Path) -> None:
    doc = tmp_path / "perf.md"
    doc.write_text("# Perf\n\n<!-- bench:begin -->\nold\n<!-- bench:end -->\n\nAnalysis.\n")
    write_doc(doc, "new table")
    assert doc.read_text() == ("# Perf\n\n<!-- bench:begin -->\nnew table\n<!-- bench:end -->"
                               "\n\nAnalysis.\n")


def test_measure_reports_the_childs_own_peak_memory_and_exit_code() -> None:
    big = measure([sys.executable, "-c", "b = bytearray(80 * 2**20); b[::4096] = b'x' * len("
                   "b[::4096]); print('done'); raise SystemExit(3)"])
    assert (big.returncode, big.stdout) == (3, "done\n")
    assert big.peak_rss_mb >= 80
    small = measure([sys.executable, "-c", "pass"])
    assert small.peak_rss_mb < 30 and small.returncode == 0


def test_the_read_floor_makes_exactly_the_plans_gets(account: Generated, tmp_path: Path) -> None:
    """``paged_read_s`` sends what a plan of the account reads: ``/me``, ``/me/accounts`` and
    every page of the six lists, no more (the emulator's own call log counts them)."""
    from bench.baselines import paged_read_s
    from bench.plan import emulator, emulator_reads, read_floor

    with emulator(tmp_path / "platform.db", account.fixture) as server:
        emulator_reads(server.base_url, clear=True)
        assert paged_read_s(server.base_url, server.token) > 0
        assert emulator_reads(server.base_url) == read_floor(account.fixture)


def _imported_by(statement: str) -> list[str]:
    """The modules a fresh interpreter imports for ``statement``, beyond a bare start."""
    from bench.headline import PYTHON

    probe = "import sys; before = set(sys.modules); {}; print(*sorted(set(sys.modules) - before))"
    done = measure([str(PYTHON), "-c", probe.format(statement)])
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_the_start_up_baseline_imports_the_listed_modules_and_refuses_any_other() -> None:
    from bench.headline import start_of

    assert start_of(_imported_by("import json")).returncode == 0
    with pytest.raises(RuntimeError, match="FAILED json "):  # json.decoder is not listed
        start_of(["json"])
