"""What the CLI imports: ``--version`` and ``--help`` answer without the engine, pydantic or any
network/template/spreadsheet library; ``validate`` imports the config models but no provider,
planner, httpx, ruamel.yaml, openpyxl or deepdiff, and jinja2 only for a ``*.yaml.j2`` file.
The modules are those in ``sys.modules`` when ``python -m scsync`` exits (no timing)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.cli_support import Served, served  # noqa: F401  (a module-scoped fixture)

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "config"
# ``python -m scsync ARGS`` that prints the names in sys.modules at exit, after click's sys.exit.
PROBE = ("import atexit, runpy, sys\n"
         "atexit.register(lambda: print('MODULES', *sorted(sys.modules), file=sys.stderr))\n"
         "sys.argv = ['scsync', *sys.argv[1:]]\n"
         "runpy.run_module('scsync', run_name='__main__', alter_sys=True)\n")

# Never imported by a start that only answers --version or --help.
HEAVY = ("scsync.engine", "scsync.config", "scsync.plan", "scsync.providers", "scsync.ops",
         "scsync.console", "pydantic", "pydantic_core", "yaml", "httpx", "httpcore", "jinja2",
         "ruamel", "openpyxl", "deepdiff", "werkzeug", "sqlite3")
# Never imported by validate (offline: no platform, no plan, no round-trip YAML).
NOT_FOR_VALIDATE = ("scsync.providers", "scsync.plan", "scsync.ops", "scsync.console", "httpx",
                    "httpcore", "ruamel", "openpyxl", "deepdiff", "werkzeug", "sqlite3")

# A JSON plan renders from the model: none of the template formats' machinery. (difflib is
# imported all the same: click's parser tries ``-C`` as a long option first, and the miss's
# error suggests close matches.)
NOT_FOR_A_JSON_PLAN = ("jinja2", "ruamel", "openpyxl", "deepdiff", "scsync.ops",
                       "scsync.plan.render.view", "scsync.plan.render.filters")
# (scsync.gctools: click is imported with the cyclic collector paused, its objects then frozen)
VERSION_MODULES = {"scsync", "scsync.cli", "scsync.gctools", "scsync.startup"}
# --help lists the emulator's command group too (its short help is in its module)
HELP_MODULES = VERSION_MODULES | {"scsync.emulator", "scsync.emulator.cli",
                                  "scsync.emulator.errors", "scsync.emulator.faults"}


def imported(*args: str, cwd: Path | None = None,
             env: Mapping[str, str] | None = None) -> set[str]:
    """Every module ``python -m scsync ARGS`` imported (the command must succeed)."""
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120, check=False,
                          env=None if env is None else {**os.environ, **env})
    assert done.returncode == 0, done.stderr[-2000:]
    listed = [line for line in done.stderr.splitlines() if line.startswith("MODULES ")]
    return set(listed[-1].split()[1:])


def under(modules: set[str], prefixes: tuple[str, ...]) -> set[str]:
    return {m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes)}


@pytest.mark.parametrize(("args", "expected"), [(("--version",), VERSION_MODULES),
                                              (("plan", "--help"), VERSION_MODULES),
                                              (("--help",), HELP_MODULES)])
def test_version_and_help_import_nothing_heavy(args: tuple[str, ...], expected: set[str]) -> None:
    modules = imported(*args)
    assert "click" in modules
    assert under(modules, HEAVY) == set()
    assert {m for m in modules if m.split(".")[0] == "scsync"} == expected


def test_validate_imports_no_provider_planner_or_template_engine(tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(EXAMPLE, config, ignore=shutil.ignore_patterns(".scsync", "*.j2"))
    modules = imported("validate", "-C", str(config))
    assert under(modules, (*NOT_FOR_VALIDATE, "jinja2", "scsync.config.templates")) == set()
    assert {"scsync.engine", "scsync.config.loader", "pydantic", "yaml"} <= modules
    # no cyclic collection over what the imports made: it is frozen (startup.imported)
    assert "scsync.gctools" in modules
    # no distribution offers a pydantic plugin: pydantic is spared its search through
    # importlib.metadata (startup.skip_pydantic_plugin_search)
    assert under(modules, ("importlib.metadata", "email", "zipfile")) == set()
    # nothing it runs logs: no logging (the loader's debug record needs --debug, which imports
    # and configures it)
    assert under(modules, ("logging",)) == set()
    # a section of fewer than validate._MANY objects per model needs no TypeAdapter
    assert "pydantic.type_adapter" not in modules


PLUGIN = """\
import os


class Plugin:
    def new_schema_validator(self, schema, schema_type, path, kind, config, settings):
        with open(os.environ["PROBE_OUT"], "a", encoding="utf-8") as out:
            out.write(path.name + "\\n")
        return None, None, None


plugin = Plugin()
"""


def test_an_installed_pydantic_plugin_is_still_loaded(tmp_path: Path) -> None:
    """A distribution that declares a ``pydantic`` entry point gets pydantic's own search: its
    plugin sees the models validate builds, as without scsync's shortcut."""
    site = tmp_path / "site"
    info = site / "probe_plugin-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: probe-plugin\nVersion: 1.0\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text("[pydantic]\nprobe = probe_plugin:plugin\n",
                                           encoding="utf-8")
    (site / "probe_plugin.py").write_text(PLUGIN, encoding="utf-8")
    out = tmp_path / "seen.txt"
    modules = imported("validate", "-C", str(EXAMPLE),
                       env={"PYTHONPATH": str(site), "PROBE_OUT": str(out)})
    assert {"importlib.metadata", "probe_plugin"} <= modules
    assert "Settings" in out.read_text(encoding="utf-8").split()


@pytest.mark.parametrize("args", [("--debug", "validate"), ("validate", "--debug")])
def test_validate_with_debug_still_logs_the_load(args: tuple[str, ...]) -> None:
    """``--debug``, before or after the command name, configures logging (``validate`` without
    it imports none), and the loader's debug record is shown."""
    done = subprocess.run([sys.executable, "-m", "scsync", *args, "-C", str(EXAMPLE)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "DEBUG scsync.config.loader: loaded 18 objects from" in done.stderr


def test_validate_imports_jinja2_only_for_a_template() -> None:
    modules = imported("validate", "-C", str(EXAMPLE))
    assert under(modules, (*NOT_FOR_VALIDATE, "logging")) == set()
    assert {"jinja2", "scsync.config.templates"} <= modules


def test_a_json_plan_imports_no_template_engine(tmp_path: Path) -> None:
    """``plan --format json`` (a CI job's plan file) renders from the model: no jinja2, and no
    round-trip YAML, spreadsheet or deep-diff library."""
    shutil.copytree(EXAMPLE.parent, tmp_path / "examples",
                    ignore=shutil.ignore_patterns(".scsync", "*.j2"))
    modules = imported("plan", "-C", str(tmp_path / "examples" / "config"), "--format", "json")
    assert under(modules, NOT_FOR_A_JSON_PLAN) == set()
    assert {"scsync.plan.planner", "scsync.plan.render"} <= modules


def test_a_json_plan_against_the_platform_imports_only_what_it_renders(
        tmp_path: Path, served: Served) -> None:  # noqa: F811  (the fixture)
    """``plan --format json`` over the socialconnect provider (httpx), as CI and the benchmark
    run it: no emulator (sqlite3), and not httpx's command-line client either (``httpx._main``
    imports rich and pygments whenever they are installed, as in a development venv)."""
    config = tmp_path / "config"
    shutil.copytree(served.root, config, ignore=shutil.ignore_patterns(".scsync", "*.j2"))
    modules = imported("plan", "-C", str(config), "--format", "json",
                       env={"SCSYNC_TOKEN": served.printed_token,
                            "XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert under(modules, (*NOT_FOR_A_JSON_PLAN, "scsync.emulator", "sqlite3", "werkzeug",
                           "markupsafe", "httpx._main", "rich", "pygments",
                           "importlib.metadata")) == set()
    assert {"scsync.plan.planner", "scsync.plan.render", "scsync.providers.http", "httpx"} <= (
        modules)
