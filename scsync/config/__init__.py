"""Loading and validating the YAML configuration of an account (offline)."""

from __future__ import annotations

from scsync.config.config import Config
from scsync.config.loader import discover, load_config

__all__ = ["Config", "discover", "load_config"]
