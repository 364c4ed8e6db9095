"""The error tree of scsync: every failure a user can see is one of these, never a traceback.

    ScsyncError                      root; ``str()`` is the one-line message shown to the user
    ├── ConfigError                  the configuration is wrong; carries ``problems`` (all of them)
    │   └── TemplateError            a ``.yaml.j2`` template failed to render
    ├── SecretError                  an ``${env:NAME}`` reference could not be resolved
    ├── PlanError                    plan-time checks against live state failed (``problems``)
    ├── SafetyError                  a safety gate refused the plan (thresholds, protected objects)
    ├── StalePlanError               a saved plan no longer matches config or live state
    ├── ApplyError                   apply finished with failed steps (carries the ledger)
    ├── WriteRefused                 a write would follow a symlink or leave its directory
    └── ProviderError                talking to the platform failed; carries ``response`` facts
        ├── TransportError           unreachable API, dropped connection, timeout
        ├── AuthError                missing/bad/expired token, missing scope, not an admin
        │   └── TokenExpiredError    the token expired and could not be refreshed
        ├── RateLimitError           the rate limit is spent and the reset is beyond --max-wait
        ├── NotFoundError            the platform answered not_found
        ├── PlatformRejected         the platform refused a write (invalid_parameter...)
        └── ServerError              the platform failed (5xx); the write may have happened

Messages never contain a secret: the provider's HTTP client sends the token only in a header and
passes every message it builds through ``redact()`` with every secret it holds. Text from input
(names, file content) is shown through ``printable()``, so it cannot drive a terminal or break
a line.

Exit codes (DESIGN, "CLI contract"): 1 for any error here, 3 for ``SafetyError``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# compiled on first use (re's cache): most runs print only printable text
_CONTROL = "[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """``text`` on one line and inert in a terminal: each control character (newline, ESC,
    bidi override, line separator...) written as its escape (``\\n``, ``\\x1b``, ``\\u202e``)."""
    if text.isprintable() or re.search(_CONTROL, text) is None:  # the first test is the fast one
        return text
    return re.sub(_CONTROL, _escape_char, text)


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def shown_path(path: Path | str) -> str:
    """``path`` as a user can open it from where they ran scsync: relative to the working
    directory when it is under it (``examples/config/bad.yaml``), else absolute."""
    try:
        full = os.path.abspath(path)
        relative = os.path.relpath(full)
    except (OSError, ValueError):  # no working directory any more, another drive
        return Path(path).as_posix()
    return full if relative == ".." or relative.startswith(".." + os.sep) else (
        Path(relative).as_posix())


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """A place in a config file: PATH as ``shown_path`` gives it, 1-based LINE and COL."""

    path: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True)
class Problem:
    """One config or plan-time problem, rendered as ``PATH:LINE:COL: ADDRESS FIELD: MESSAGE``.

    ``address`` and ``field`` are empty for problems about a whole file (a syntax error).
    ``warning`` problems are printed with ``warning:`` before MESSAGE and do not fail the run.
    ``code`` names the rule for code that sorts problems (never shown).
    """

    message: str
    location: Location | None = None
    address: str = ""
    field: str = ""
    warning: bool = False
    code: str = ""

    def __str__(self) -> str:
        head = f"{self.location}: " if self.location else ""
        what = " ".join(part for part in (self.address, self.field) if part)
        body = f"warning: {self.message}" if self.warning else self.message
        return printable(f"{head}{what}: {body}" if what else f"{head}{body}")

    def sort_key(self) -> tuple[Any, ...]:
        loc = self.location
        return (loc is None, loc.path if loc else "", loc.line if loc else 0, loc.col if loc else 0,
                self.address, self.field, self.message)


class ScsyncError(Exception):
    """Root of every error scsync shows to a user."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class _ProblemsError(ScsyncError):
    """An error made of several problems, each a line of its own, sorted by place."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = sorted(problems, key=Problem.sort_key)
        errors = [p for p in self.problems if not p.warning]
        super().__init__("\n".join(str(p) for p in errors) or "no problems")

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.warning]


# The public name of the base of ConfigError and PlanError, for callers that print problems.
ProblemsError = _ProblemsError


class ConfigError(_ProblemsError):
    """The configuration breaks a rule; ``problems`` lists every one found, in file order."""


class TemplateError(ConfigError):
    """A ``.yaml.j2`` template failed to render (its problems name the template)."""


class PlanError(_ProblemsError):
    """Checks that need live state (flows, connected profiles, group counts) failed."""


class SecretError(ScsyncError):
    """An ``${env:NAME}`` reference names an unset variable."""


class SafetyError(ScsyncError):
    """A safety gate refused the plan: too many updates/deletes, or a protected object."""

    exit_code = 3

    def __init__(self, reasons: Sequence[str]) -> None:
        self.reasons = list(reasons)
        super().__init__("\n".join(self.reasons))


class WriteRefused(ScsyncError):
    """A write refused because it would follow a symlink or leave its directory
    (``scsync.safefiles``)."""


class StalePlanError(ScsyncError):
    """A saved plan no longer matches the config or the live objects it was planned against."""

    def __init__(self, message: str, addresses: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.addresses = list(addresses)


class ApplyError(ScsyncError):
    """An apply ended with failed or unfinished steps; ``ledger`` says which."""

    def __init__(self, message: str, ledger: Any = None) -> None:
        super().__init__(message)
        self.ledger = ledger


@dataclass(frozen=True, slots=True)
class ResponseInfo:
    """What an error keeps of a platform response: never headers, never the request's token."""

    status: int | None = None
    error_id: str | None = None
    description: str | None = None
    method: str | None = None
    path: str | None = None
    details: tuple[Any, ...] = field(default_factory=tuple)


class ProviderError(ScsyncError):
    """Talking to the platform failed."""

    retryable = False
    # True when a write failed in a way that leaves unknown whether it took effect (a create
    # whose response was lost): the caller must re-read before retrying, never retry blind.
    ambiguous = False

    def __init__(self, message: str, response: ResponseInfo | None = None) -> None:
        super().__init__(message)
        self.response = response


class TransportError(ProviderError):
    """The API could not be reached, the connection dropped, or the call timed out."""

    retryable = True


class AuthError(ProviderError):
    """The token is missing, invalid, lacks a scope, or its user is not an administrator."""


class TokenExpiredError(AuthError):
    """The access token expired and no refresh credentials are configured."""


class RateLimitError(ProviderError):
    """The rate-limit window is spent and its reset is further away than ``--max-wait``."""

    def __init__(self, message: str, reset_at: float | None = None,
                 response: ResponseInfo | None = None) -> None:
        super().__init__(message, response)
        self.reset_at = reset_at


class NotFoundError(ProviderError):
    """The platform answered ``not_found``."""


class PlatformRejected(ProviderError):
    """The platform refused a request: invalid_parameter, limit_exceeded, feature_limit_reached."""


class ServerError(ProviderError):
    """The platform failed (5xx); the call may or may not have taken effect."""

    retryable = True


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret in ``text`` by ``***`` (secrets under 4 characters are ignored)."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text
