"""A local Social Connect: the platform API of platform-api.md over SQLite.

It imports nothing from the rest of scsync.

``open_emulator(db, fixture=..., rate_limit=..., faults=..., clock=...)`` opens an ``Emulator``;
``Emulator.wsgi`` is its WSGI application (see ``scsync.emulator.app`` for the ``/_emulator/``
controls), ``serve`` puts it on an HTTP port.
"""

from __future__ import annotations

from scsync.emulator.clock import Clock
from scsync.emulator.emulator import Emulator, open_emulator, seed_database
from scsync.emulator.errors import EmulatorError
from scsync.emulator.faults import Faults
from scsync.emulator.server import BackgroundServer, serve

__all__ = ["BackgroundServer", "Clock", "Emulator", "EmulatorError", "Faults", "open_emulator",
           "seed_database", "serve"]
