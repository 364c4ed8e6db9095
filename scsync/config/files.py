"""Which files make up an account's config directory (kept apart from the loader so that the
config cache can hash them without importing the parser and the models)."""

from __future__ import annotations

import os
from pathlib import Path

SETTINGS_FILE = "scsync.yaml"
SUFFIXES = (".yaml", ".yml", ".yaml.j2")


def discover(root: Path) -> list[Path]:
    """Config files under ``root``: skips dot-directories and directories of other accounts."""
    found: list[Path] = []
    for current, dirs, files in os.walk(root):
        here = Path(current)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and not (here / d / SETTINGS_FILE).exists())
        found.extend(here / f for f in sorted(files) if f.endswith(SUFFIXES))
    return found


def account_dirs(root: Path) -> list[Path]:
    """Every account directory at or under ``root`` (one holding a ``scsync.yaml``), sorted;
    dot-directories are skipped."""
    found: list[Path] = []
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        if SETTINGS_FILE in files:
            found.append(Path(current))
    return sorted(found)
