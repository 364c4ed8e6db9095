"""The import rules of docs/architecture.md, checked on the code: every ``scsync`` import of every
module (inside functions and under ``TYPE_CHECKING`` too) is one the page's table allows, each side
edge is taken only by the module it names, and the page lists every module."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "scsync"
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def group(module: str) -> str:
    """``scsync.plan.render.view`` -> ``plan``; ``scsync.cli`` -> ``cli``; ``scsync`` itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "scsync"


def imports_of(module: str) -> set[str]:
    """The scsync modules ``module`` imports (``from scsync.x import y`` counts ``scsync.x.y``
    when that is a module, else ``scsync.x``)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "scsync"}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            if base.split(".")[0] != "scsync":
                continue
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return {m for m in found if m in MODULES and m != module}


def table(heading: str) -> dict[str, str]:
    """The first column (unquoted) -> the second, of the table under ``## heading``."""
    section = ARCHITECTURE.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.split(" | ", 1) for line in section.splitlines()
            if line.startswith("| `")]
    return {first.strip("| `"): rest.rstrip(" |") for first, rest in rows}


RULES = table("Import rules")
SIDE_EDGE = re.compile(r"side edge `(\w+)` \(only `([\w.]+)`")


def allowed(source: str) -> set[str]:
    return {name for name in re.findall(r"`([\w.]+)`", RULES[source])
            if name in RULES or name == "scsync"}


def side_edges() -> dict[tuple[str, str], str]:
    """(package, target) -> the one module allowed to take that side edge."""
    return {(source, target): f"scsync.{only}"
            for source, text in RULES.items() for target, only in SIDE_EDGE.findall(text)}


def test_the_rules_name_every_package() -> None:
    assert {group(m) for m in MODULES} - {"scsync"} == set(RULES)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_follow_the_rules(module: str) -> None:
    source = group(module)
    if source == "scsync":  # the package's __init__: the version only
        assert imports_of(module) == set()
        return
    edges = side_edges()
    for target in sorted(imports_of(module)):
        into = group(target)
        if into == source:
            continue
        assert into in allowed(source), f"{module} imports {target}: {source} may not import {into}"
        only = edges.get((source, into))
        assert only is None or module == only, f"{module} imports {target}: only {only} may"


def test_the_emulator_imports_nothing_of_scsync() -> None:
    for module in (m for m in MODULES if group(m) == "emulator"):
        assert {group(t) for t in imports_of(module)} <= {"emulator"}, module


def test_every_module_is_listed_with_its_package() -> None:
    packages = table("Packages")
    missing = []
    for module, path in MODULES.items():
        parts = module.split(".")[1:]
        if path.name == "__init__.py" and len(parts) < 2:  # scsync and its packages' own rows
            continue
        if len(parts) == 1:
            if f"{parts[0]}.py" not in packages:
                missing.append(module)
            continue
        row = packages.get(f"{parts[0]}/", "")
        if f"`{parts[-1]}`" not in row and f"`{parts[-1]}/`" not in row:
            missing.append(module)
    assert missing == []


def test_a_forbidden_import_is_caught() -> None:
    """The checker itself: plan may not import config, and only providers.factory the emulator."""
    assert "config" not in allowed("plan")
    assert side_edges() == {("cli", "emulator"): "scsync.cli",
                            ("providers", "emulator"): "scsync.providers.factory"}
    assert "scsync.resources" in imports_of("scsync.group_cycles")
    assert "scsync.plan.render.view" in imports_of("scsync.plan.render")
