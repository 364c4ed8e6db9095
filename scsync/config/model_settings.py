"""The account settings of ``scsync.yaml``: format version, provider, ownership, protect, safety
and template vars."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from scsync.config.model_common import Strict, fail, in_schema
from scsync.config.secrets import form_problem, is_reference
from scsync.resources import Kind

FORMAT_VERSION = 1
Ownership_ = Literal["authoritative", "additive"]
AdditiveOnly = Annotated[Ownership_, in_schema(const="additive")]
"""What scsync cannot delete: only additive."""


def _secret(value: str) -> str:
    problem = form_problem(value)
    if problem:
        raise fail(problem)
    return value


def _base_url(value: str) -> str:
    loopback = re.match(r"^http://(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?(?:/|$)", value)
    if not value.startswith("https://") and not loopback:
        raise fail("base_url must be an https:// URL (plain http:// only on loopback)")
    return value


def _rate(value: str) -> str:
    if not re.match(r"^[1-9][0-9]*/[1-9][0-9]*$", value):
        raise fail(f'"{value}" is not a rate limit; write CALLS/SECONDS such as 350/3600')
    return value


# every ``${`` starts a well-formed reference (a literal secret is only a warning)
Secret = Annotated[str, AfterValidator(_secret), in_schema(
    pattern=r"^(?:[^$]|\$(?!\{)|\$\{env:[A-Za-z_][A-Za-z0-9_]*\})*$")]
# The field types are named here, not spelt out in each annotation: pydantic evaluates every
# annotation's text when it creates a model class, and a name costs a fraction of an expression.
BaseUrl = Annotated[str, AfterValidator(_base_url)]
ApiVersion = Annotated[str, Field(pattern=r"^[0-9]{8}$")]
Seconds = Annotated[float, Field(gt=0)]
Share = Annotated[float, Field(ge=0, le=1)]
"""A share (a rate, a ratio) from 0 to 1."""
Count = Annotated[int, Field(ge=0)]
RateLimit = Annotated[str, AfterValidator(_rate)]


class SocialConnectProvider(Strict):
    """The real platform over its REST API."""

    type: Literal["socialconnect"]
    """The provider type."""
    base_url: BaseUrl = "https://api.engagor.com"
    """The API base URL of the account's data centre."""
    account_id: int
    """The account id."""
    token: Secret | None = None
    """The access token, by reference: ${env:NAME} (may be left out after scsync login)."""
    refresh_token: Secret | None = None
    """The refresh token, by reference: ${env:NAME}."""
    client_id: Secret | None = None
    """The OAuth client id, by reference: ${env:NAME}."""
    client_secret: Secret | None = None
    """The OAuth client secret, by reference: ${env:NAME}."""
    version: ApiVersion | None = None
    """Pins the API behaviour (YYYYMMDD)."""
    timeout_s: Seconds = 30
    """Seconds before a call times out."""
    verify_tls: bool | str = True
    """Verify the server's TLS certificate (a path: against that CA bundle)."""
    oauth_url: BaseUrl | None = None
    """The web app's origin, where tokens are refreshed (default: derived from base_url)."""
    token_store: str | None = None
    """The file keeping refreshed tokens (default: in the user's cache directory; outside the
    repository)."""

    def problems(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for name in ("token", "refresh_token", "client_secret"):
            value = getattr(self, name)
            if value is not None and not is_reference(value):
                found.append((name, f"warning: a literal {name} in config ends up in version "
                              "control; write ${env:NAME} and set the variable"))
        return found


class Faults(Strict):
    """Fault injection for the emulator (tests and soak runs)."""

    error_rate: Share = 0
    """Share of calls answered with a 500."""
    drop_rate: Share = 0
    """Share of calls whose connection is dropped."""
    lost_response_rate: Share = 0
    """Share of calls that take effect but whose response is lost."""
    slow_rate: Share = 0
    """Share of calls delayed."""
    latency_ms: Count = 0
    """Added latency per call."""
    seed: int | None = None
    """Random seed for reproducible faults."""


class EmulatorProvider(Strict):
    """The bundled emulator, run in-process over a SQLite file."""

    type: Literal["emulator"]
    """The provider type."""
    path: str = ".scsync/platform.db"
    """The database file (relative to the config directory)."""
    fixture: str | None = None
    """A fixture that seeds the database when it does not exist yet."""
    user: str | None = None
    """Act as this fixture user (default: the first admin)."""
    account_id: int | None = None
    """The account id (default: the fixture's)."""
    rate_limit: RateLimit | None = None
    """CALLS/SECONDS, such as 350/3600."""
    faults: Faults | None = None
    """Optional fault injection."""
    api: Literal["full", "public"] = "full"
    """public: the emulator answers not_found for every operation without public evidence."""


Provider = Annotated[SocialConnectProvider | EmulatorProvider, Field(discriminator="type")]


class Ownership(Strict):
    """Which kinds scsync owns outright (authoritative: live objects config lacks are deleted)."""

    topics: Ownership_ = "additive"
    """Topics: authoritative or additive."""
    profile_groups: Ownership_ = "additive"
    """Profile groups: authoritative or additive."""
    profiles: AdditiveOnly = "additive"
    """Profiles cannot be deleted, so only additive."""
    users: AdditiveOnly = "additive"
    """Users cannot be deleted, so only additive."""
    flows: AdditiveOnly = "additive"
    """Flows are read-only, so only additive."""

    def problems(self) -> list[tuple[str, str]]:
        return [(kind, f"scsync cannot delete {kind}, so {kind} cannot be authoritative; "
                 "only topics and profile_groups can")
                for kind in ("profiles", "users", "flows")
                if getattr(self, kind) == "authoritative"]


PROTECT_PATTERN = "^(?:" + "|".join([*(re.escape(k.value) for k in Kind), r"\*"]) + r")\..+"


def _protect(value: str) -> str:
    kind, sep, name = value.partition(".")
    kinds = [k.value for k in Kind]
    if kind not in kinds and kind != "*":
        raise fail(f'"{value}" is not an address; write KIND.NAME (globs allowed) with KIND '
                   f'one of {", ".join(kinds)}')
    if not sep or not name:
        raise fail(f'"{value}" is not an address; write KIND.NAME such as "topic.ClaraLines Care"')
    return value


ProtectAddress = Annotated[str, AfterValidator(_protect), in_schema(pattern=PROTECT_PATTERN)]
FormatVersion = Annotated[int, in_schema(const=FORMAT_VERSION)]


class Safety(Strict):
    """Thresholds that refuse a plan touching too much (``--force`` lifts the ratios)."""

    max_update_ratio: Share = 0.3
    """Largest share of existing objects one plan may update."""
    max_delete_ratio: Share = 0.3
    """Largest share of existing objects one plan may delete."""
    min_existing: Count = 10
    """Ratios apply only when at least this many objects exist."""


class Settings(Strict):
    """``scsync.yaml``: one per account."""

    scsync: FormatVersion
    """The config format version (1)."""
    provider: Provider
    """The platform: socialconnect (the real one) or emulator."""
    ownership: Ownership = Ownership()
    """authoritative or additive per deletable kind (default additive)."""
    protect: list[ProtectAddress] = []
    """Addresses (globs allowed) never deleted, whatever the config says."""
    safety: Safety = Safety()
    """Thresholds for mass updates and deletes."""
    vars: dict[str, Any] = {}
    """Variables for *.yaml.j2 templates."""

    def problems(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        if self.scsync != FORMAT_VERSION:
            found.append(("scsync", f"this config is format {self.scsync}; this scsync reads "
                          f"format {FORMAT_VERSION}"))
        for section in ("provider", "ownership"):
            found.extend((f"{section}.{field}", message)
                         for field, message in getattr(self, section).problems())
        return found


SETTINGS_KEYS = tuple(Settings.model_fields)
