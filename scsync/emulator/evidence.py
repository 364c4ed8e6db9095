"""Which API operations have public evidence, read from the one machine-readable contract (shipped
in the package as ``scsync/contract/platform-api.openapi.yaml``; ``schemas/`` links to it):
``--api public`` answers ``not_found`` for every operation marked ``x-evidence: proposed``, as a
platform that has only the public API would."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from scsync.emulator.errors import EmulatorError

SPEC = Path(__file__).resolve().parents[1] / "contract" / "platform-api.openapi.yaml"
API_MODES = ("full", "public")
METHODS = ("get", "post", "delete")
_PARAM = re.compile(r"\{[^}]*\}|<[^>]*>")


def template(path: str) -> str:
    """A path with every parameter (``{a}``, ``<int:ident>``) as ``{}``, for matching routes."""
    return _PARAM.sub("{}", path.rstrip("/") or "/")


def proposed_operations(spec: Path = SPEC) -> frozenset[tuple[str, str]]:
    """(METHOD, template) of every operation the OpenAPI file marks ``x-evidence: proposed``."""
    try:
        doc = yaml.safe_load(spec.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise EmulatorError(f"cannot read the API description {spec}: {exc}") from None
    found = set()
    for path, item in (doc.get("paths") or {}).items():
        for method in METHODS:
            operation = (item or {}).get(method)
            if isinstance(operation, dict) and operation.get("x-evidence") == "proposed":
                found.add((method.upper(), template(path)))
    return frozenset(found)


def hidden_operations(api: str) -> frozenset[tuple[str, str]]:
    """The operations an emulator in mode ``api`` (full or public) answers ``not_found``."""
    if api not in API_MODES:
        raise EmulatorError(f"unknown API mode {api!r}; expected {' or '.join(API_MODES)}")
    return proposed_operations() if api == "public" else frozenset()
