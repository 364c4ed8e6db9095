"""The platform API's machine-readable contract as scsync reads it: each operation (method and
path template) with its evidence (``public`` or ``proposed``) and the fields of a public operation
that have no public evidence. The file ships in the package (``scsync/contract/``;
``schemas/platform-api.openapi.yaml`` links to it). ``doctor`` shows the evidence of what a config
needs; tests check every request the provider builds against it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from scsync.errors import ScsyncError

SPEC = Path(__file__).resolve().parents[1] / "contract" / "platform-api.openapi.yaml"
METHODS = ("get", "post", "delete")


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation: ``GET /{a}/settings/users``, public, social_links proposed."""

    method: str
    path: str  # the template, with {a}, {id}...
    evidence: str
    proposed_fields: tuple[str, ...] = ()

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(self.path)) + "/?$")

    def matches(self, method: str, path: str) -> bool:
        return method.upper() == self.method and bool(self.pattern.match(path.split("?")[0]))


@cache
def operations(spec: Path = SPEC) -> tuple[Operation, ...]:
    """Every operation of the API description; none when it is not installed (a wheel carries
    only the package: ``doctor`` then shows the evidence as unknown)."""
    if not spec.exists():
        return ()
    try:
        doc = yaml.safe_load(spec.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ScsyncError(f"cannot read the API description {spec}: {exc}") from None
    found = []
    for path, item in (doc.get("paths") or {}).items():
        for method in METHODS:
            op = (item or {}).get(method)
            if isinstance(op, dict):
                found.append(Operation(method.upper(), str(path), str(op.get("x-evidence")),
                                       tuple(op.get("x-proposed-fields") or ())))
    return tuple(found)


def find(method: str, path: str) -> Operation | None:
    """The operation a request (``POST``, ``/1001/settings/user/2``) is an instance of."""
    return next((op for op in operations() if op.matches(method, path)), None)
