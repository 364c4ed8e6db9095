"""The HTML plan and drift pages in a real headless browser (Debian's ``chromium`` driven by
playwright, which downloads no browser of its own): the summary is shown, an object expands to
show its field diff, and a screenshot is saved under ``tests/output/browser/``.

Where chromium (or playwright) is absent the tests skip with the reason, except under ``CI=true``,
where a missing browser is a failure: CI must show these tests passing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "tests" / "output" / "browser"
SCSYNC = [sys.executable, "-m", "scsync"]
SUMMARY = re.compile(r"^Plan: \d+ to add, \d+ to change, \d+ to destroy\.$")
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def chromium_path() -> str | None:
    """The system chromium, or None."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; under CI=true the browser test must run (.ci/run installs it)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        _unavailable("chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as driver:
        launched = driver.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"])
        yield launched
        launched.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.route(re.compile(r"^(?!file:|data:|about:).*"), lambda route: route.abort())
    yield opened
    context.close()


def open_html(page: Any, html: str, name: str) -> Path:
    """Writes ``html`` under tests/output/browser and opens it from the file (no server)."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"{name}.html"
    path.write_text(html, encoding="utf-8")
    page.goto(path.as_uri())
    return path


def screenshot(page: Any, name: str) -> Path:
    """A full-page screenshot that is a real, non-trivial PNG."""
    path = OUTPUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC)
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width >= 1000 and height >= 300, (width, height)
    assert len(data) > 10_000
    return path


def summary_lines(page: Any) -> list[str]:
    return [line.strip() for line in page.locator("#summary .summary-line").all_inner_texts()]


def expand_first_object(page: Any) -> tuple[str, list[str]]:
    """Clicks the first object's summary; returns its address and the fields its diff shows."""
    obj = page.locator("details.object").first
    diff = obj.locator(".field-diff").first
    assert obj.get_attribute("open") is None
    assert not diff.is_visible()
    obj.locator("summary").click()
    assert obj.get_attribute("open") is not None
    assert diff.is_visible()
    fields = obj.locator(".field-diff").evaluate_all("rows => rows.map(r => r.dataset.field)")
    return obj.get_attribute("data-address") or "", fields


def example_copy(tmp_path: Path) -> Path:
    """A copy of examples/ (config + fixture) with no emulator database yet."""
    target = tmp_path / "examples"
    shutil.copytree(REPO / "examples", target,
                    ignore=shutil.ignore_patterns(".scsync", "*.db", "ci"))
    return target / "config"


def run_scsync(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([*SCSYNC, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def test_sample_plan_page_shows_the_summary_and_expands_an_object(page: Any) -> None:
    from scsync.plan.render import render
    from tests.plan_factories import sample_plan

    plan = sample_plan()
    open_html(page, render(plan, "html"), "sample-plan")
    s = plan.summary
    assert summary_lines(page) == [
        f"Plan: {s.add} to add, {s.change} to change, {s.destroy} to destroy."]
    address, fields = expand_first_object(page)
    change = next(c for c in plan.changes if c.address == address)
    assert fields == [f.path for f in change.fields]
    assert fields  # the first object of the sample plan changes fields
    assert page.locator("details.object[open]").count() == 1
    screenshot(page, "sample-plan")


def test_example_account_plan_page_from_the_cli(page: Any, tmp_path: Path) -> None:
    config = example_copy(tmp_path)
    result = run_scsync("plan", "-C", str(config), "--format", "html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    open_html(page, result.stdout, "example-plan")
    lines = summary_lines(page)
    assert len(lines) == 1 and SUMMARY.match(lines[0]), lines
    assert lines[0] != "Plan: 0 to add, 0 to change, 0 to destroy."
    address, fields = expand_first_object(page)
    assert address and fields
    page.locator("#expand-all").click()
    assert page.locator("details.object[open]").count() == page.locator("details.object").count()
    screenshot(page, "example-plan")


def test_example_account_drift_page_from_the_cli(page: Any, tmp_path: Path) -> None:
    config = example_copy(tmp_path)
    result = run_scsync("drift", "-C", str(config), "--format", "html", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    open_html(page, result.stdout, "example-drift")
    lines = summary_lines(page)
    assert len(lines) == 1 and lines[0].startswith("Drift:"), lines
    changed = page.locator("details.object").first
    assert changed.locator(".field-diff").first.is_visible()
    changed.locator("summary").click()
    assert not changed.locator(".field-diff").first.is_visible()
    screenshot(page, "example-drift")
