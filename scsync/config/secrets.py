"""``${env:NAME}`` references: the only way config names a secret. ``validate`` checks their form
offline; providers call ``resolve`` when they are built, so validation needs no secret."""

from __future__ import annotations

import re
from collections.abc import Mapping

from scsync.errors import SecretError

REFERENCE_START = "${"
_REFERENCE = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
_WHOLE = re.compile(r"^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$")


def is_reference(value: object) -> bool:
    """True when ``value`` is exactly one ``${env:NAME}`` reference."""
    return isinstance(value, str) and _WHOLE.match(value) is not None


def form_problem(value: str) -> str | None:
    """Why ``value`` holds a malformed reference, or None when every ``${...}`` is well formed."""
    stripped = _REFERENCE.sub("", value)
    if REFERENCE_START not in stripped:
        return None
    return ('malformed reference; write ${env:NAME} with NAME made of letters, digits and '
            'underscores')


def resolve(value: str, env: Mapping[str, str], *, where: str = "provider.token") -> str:
    """``value`` with every ``${env:NAME}`` replaced from ``env``.

    Raises ``SecretError`` naming the variable (never its value) when one is unset or empty.
    """

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        found = env.get(name)
        if not found:
            raise SecretError(f"environment variable {name} is not set (referenced by {where})")
        return found

    return _REFERENCE.sub(substitute, value)


def references(value: str) -> list[str]:
    """The variable names ``value`` refers to."""
    return _REFERENCE.findall(value)
