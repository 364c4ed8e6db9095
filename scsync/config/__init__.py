"""Loading and validating the YAML configuration of an account (offline).

``load_config`` and ``discover`` are imported on first use, so that ``scsync.config.config``
(what a cached config needs) does not pull in the parser and the object models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scsync.config.config import Config

if TYPE_CHECKING:
    from scsync.config.files import discover
    from scsync.config.loader import load_config

__all__ = ["Config", "discover", "load_config"]


def __getattr__(name: str) -> Any:
    if name in ("discover", "load_config"):
        from scsync.config import loader

        return getattr(loader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
