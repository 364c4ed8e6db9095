"""A local Social Connect: the platform API of platform-api.md over SQLite.

It imports nothing from the rest of scsync.

``open_emulator(db, fixture=..., rate_limit=..., faults=..., clock=...)`` opens an ``Emulator``;
``Emulator.wsgi`` is its WSGI application (see ``scsync.emulator.app`` for the ``/_emulator/``
controls) and ``Emulator.oauth_wsgi`` its web-app origin (``scsync.emulator.oauth``); ``serve``
puts both on loopback ports (HTTP, or HTTPS with ``scsync.emulator.tls``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scsync.emulator.clock import Clock
    from scsync.emulator.emulator import Emulator, open_emulator, seed_database
    from scsync.emulator.errors import EmulatorError
    from scsync.emulator.faults import Faults
    from scsync.emulator.server import BackgroundServer, serve

# Imported on first use, so that ``scsync`` commands that never start an emulator do not pay for
# werkzeug and the emulator's modules at start-up.
_HOMES = {"Clock": "clock", "Emulator": "emulator", "open_emulator": "emulator",
          "seed_database": "emulator", "EmulatorError": "errors", "Faults": "faults",
          "BackgroundServer": "server", "serve": "server"}

__all__ = ["BackgroundServer", "Clock", "Emulator", "EmulatorError", "Faults", "open_emulator",
           "seed_database", "serve"]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'scsync.emulator' has no attribute {name!r}")
    return getattr(importlib.import_module(f"scsync.emulator.{home}"), name)
