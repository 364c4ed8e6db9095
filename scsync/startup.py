"""What the command line does to start fast: import the engine with the cyclic collector paused
and what it made frozen (``imported``), and spare pydantic its plugin search through
``importlib.metadata`` when no installed distribution offers a plugin
(``skip_pydantic_plugin_search``). ``tests/test_startup.py`` pins what each command imports."""

from __future__ import annotations

import importlib
import os
import sys
import types
from typing import Any


def imported(name: str) -> Any:
    """``importlib.import_module(name)``, the cyclic collector paused and what it imported frozen
    (``gctools.frozen_after``): importing the engine (pydantic, the models) makes a great many
    objects that live as long as the process, and the collector's passes over them cost more
    than a tenth of a ``validate``."""
    module = sys.modules.get(name)
    if module is None:
        from scsync import gctools

        with gctools.frozen_after():
            module = importlib.import_module(name)
    return module


PYDANTIC_LOADER = "pydantic.plugin._loader"


def skip_pydantic_plugin_search() -> None:
    """Spare pydantic its search for plugins when no installed distribution offers one.

    When it builds its first model, pydantic looks for plugins (entry points of the group
    ``pydantic``) through ``importlib.metadata``: importing it (with ``email``, ``zipfile``,
    ``csv``...) and reading every distribution's metadata cost about 15 ms, a twelfth of a
    ``validate``. Here the ``entry_points.txt`` of every ``*.dist-info`` and ``*.egg-info``
    directory on ``sys.path`` is read directly (about 1 ms); when none declares the group,
    pydantic's loader module is stood in for by one whose ``get_plugins()`` finds none, as the
    real one would. Anything else asked of that module, and any doubt (a zip file or an ``.egg``
    on ``sys.path``, another finder that lists distributions, a plugin declared, the loader
    already imported), leaves pydantic's own loader to do its search."""
    if PYDANTIC_LOADER in sys.modules or not _no_pydantic_plugins():
        return
    stand_in = types.ModuleType(PYDANTIC_LOADER)
    stand_in.__dict__["get_plugins"] = lambda: ()

    def real_loader_attribute(attribute: str) -> Any:  # pydantic's own, for anything else
        if attribute.startswith("__"):  # what the import system asks of a module (__path__...)
            raise AttributeError(attribute)
        if sys.modules.get(PYDANTIC_LOADER) is stand_in:
            del sys.modules[PYDANTIC_LOADER]
        return getattr(importlib.import_module(PYDANTIC_LOADER), attribute)

    stand_in.__dict__["__getattr__"] = real_loader_attribute
    sys.modules[PYDANTIC_LOADER] = stand_in


def _no_pydantic_plugins() -> bool:
    """True when no distribution on ``sys.path`` declares an entry point of the group
    ``pydantic`` (False whenever that cannot be told for sure without ``importlib.metadata``)."""
    from importlib.machinery import PathFinder

    if any(hasattr(finder, "find_distributions") and finder is not PathFinder
           for finder in sys.meta_path):
        return False
    for entry in sys.path:
        where = entry or "."
        if os.path.isfile(where) or where.endswith(".egg"):
            return False
        try:
            listing = os.scandir(where)
        except OSError:  # not a directory (a path hook's marker, a missing zip): no metadata
            continue
        with listing:
            for item in listing:
                if not item.name.endswith((".dist-info", ".egg-info")) or not item.is_dir():
                    continue
                try:
                    with open(os.path.join(item.path, "entry_points.txt"), "rb") as file:
                        if b"pydantic" in file.read():
                            return False
                except FileNotFoundError:
                    continue
                except OSError:
                    return False
    return True
