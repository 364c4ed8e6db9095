"""The Python API of scsync: what the CLI and tests call. Each operation takes plain arguments
and returns values; errors are ``ScsyncError``s.

Offline: ``load``, ``validate``, ``config_schema``, ``fmt``. Against the platform (through the
config's provider, secrets resolved only here): ``plan``, ``prepare_apply`` (then the caller
shows the plan, asks, and calls ``PendingApply.apply``), ``drift``, ``doctor``, ``snapshot``,
``export``, ``groups_export``. Nothing here renders or asks: that is the caller's.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scsync import gctools
from scsync.config import secrets
from scsync.config.config import Config
from scsync.errors import AuthError, ConfigError, Problem, SafetyError, ScsyncError
from scsync.resources import Kind

if TYPE_CHECKING:  # the rest is imported where used: a plan needs neither apply nor the parser,
    # and validate needs neither the planner nor the provider (httpx)
    from scsync.ops.doctor import DoctorReport
    from scsync.ops.drift import DriftReport
    from scsync.ops.export import ExportResult
    from scsync.plan.ledger import Ledger
    from scsync.plan.model import Plan
    from scsync.plan.options import PlanOptions
    from scsync.plan.progress import ProgressEvent
    from scsync.providers.base import LiveState, Provider
    from scsync.providers.login import Login
    from scsync.providers.settings import ProviderSettings


def load(root: Path, *, var_files: Sequence[Path] = (), cache: bool = False) -> Config:
    """The validated config of one account directory (raises ``ConfigError``); with ``cache``,
    from ``.scsync/cache/`` when no file changed since the last load (``scsync.config.cache``)."""
    if cache:
        from scsync.config.cache import cached_load

        return cached_load(root, var_files)
    from scsync.config.loader import load_config

    return load_config(root, var_files=var_files)


@dataclass(frozen=True, slots=True)
class Validated:
    """The result of validating one account directory."""

    root: Path
    counts: dict[Kind, int]
    warnings: tuple[Problem, ...]

    def summary(self) -> str:
        parts = [_plural(self.counts[Kind.PROFILE], "profile"),
                 _plural(self.counts[Kind.TOPIC], "topic"),
                 _plural(self.counts[Kind.PROFILE_GROUP], "profile group"),
                 _plural(self.counts[Kind.USER], "user")]
        return f"Configuration is valid: {', '.join(parts)}."


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def validate(roots: Sequence[Path], *, var_files: Sequence[Path] = ()) -> list[Validated]:
    """Validate every account directory; raises one ``ConfigError`` with every problem of all."""
    results, problems = check(roots, var_files=var_files)
    if [p for p in problems if not p.warning]:
        raise ConfigError(problems)
    return results


def check(roots: Sequence[Path], *,
          var_files: Sequence[Path] = ()) -> tuple[list[Validated], list[Problem]]:
    """The accounts that validate, and the problems (errors and warnings) of those that do not."""
    results: list[Validated] = []
    problems: list[Problem] = []
    for root in roots:
        try:
            config = load(root, var_files=var_files)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        counts = {kind: config.count(kind) for kind in Kind}
        results.append(Validated(root, counts, tuple(config.warnings)))
    return results, problems


def accounts(root: Path) -> list[Path]:
    """The account directories at or under ``root`` (each holds a ``scsync.yaml``)."""
    from scsync.config.files import account_dirs

    if not root.is_dir():
        raise ScsyncError(f"{root} is not a directory")
    return account_dirs(root)


def account_name(path: Path, root: Path) -> str:
    """``emea_sub`` for ``ROOT/emea/sub``: an account's path under ``root`` as an identifier
    (``root`` itself is named after its own directory)."""
    relative = path.relative_to(root).as_posix()
    name = relative if relative != "." else path.resolve().name
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_") or "account"


def config_schema() -> str:
    """The JSON Schema of config files, as committed in ``schemas/scsync.schema.json``."""
    from scsync.config.schema import build_schema

    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"


# -- live operations -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Hooks:
    """How a long operation reports to its caller: rate-limit waits and notices (the CLI's
    console), and the longest wait for a rate-limit reset before giving up."""

    on_wait: Callable[[float, str], None] | None = None
    on_notice: Callable[[str], None] | None = None
    max_wait_s: float = 900.0


def provider_settings(config: Config, env: Mapping[str, str], *,
                      tokens_optional: bool = False) -> ProviderSettings:
    """The validated ``provider:`` block as the provider's typed settings, every ``${env:NAME}``
    resolved (here only: config keeps the references). With ``tokens_optional`` (``login``, the
    way to get tokens), a token or refresh token whose variable is unset is left out."""
    from scsync.providers.settings import EmulatorSettings, PlatformSettings

    block = config.settings.provider
    if block.type == "emulator":
        rate = block.rate_limit.split("/") if block.rate_limit else None  # CALLS/SECONDS
        return EmulatorSettings(
            path=block.path, fixture=block.fixture, user=block.user, account_id=block.account_id,
            rate_limit=(int(rate[0]), int(rate[1])) if rate else None,
            faults=block.faults.model_dump(exclude_none=True) if block.faults else None,
            api=block.api)

    def secret(name: str, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return secrets.resolve(value, env, where=f"provider.{name}")
        except ScsyncError:
            if tokens_optional and name in ("token", "refresh_token"):
                return None
            raise

    return PlatformSettings(
        account_id=block.account_id, token=secret("token", block.token) or "",
        base_url=block.base_url, refresh_token=secret("refresh_token", block.refresh_token),
        client_id=secret("client_id", block.client_id),
        client_secret=secret("client_secret", block.client_secret), version=block.version,
        timeout_s=block.timeout_s, verify_tls=block.verify_tls, oauth_url=block.oauth_url,
        token_store=block.token_store)


@contextmanager
def _without_httpx_cli() -> Iterator[None]:
    """Imports inside the block that import httpx for the first time skip its command-line
    client: ``import httpx`` imports ``httpx._main`` (click, rich, pygments: about 30 ms) whenever
    rich and pygments are installed, as in a development environment. A ``None`` entry in
    ``sys.modules`` makes that import fail as it does without them, so httpx keeps its stub
    ``main`` (scsync never runs httpx's CLI); the entry is removed after the block."""
    blocked = "httpx" not in sys.modules and "httpx._main" not in sys.modules
    if blocked:
        sys.modules["httpx._main"] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if blocked and "httpx._main" in sys.modules and sys.modules["httpx._main"] is None:
            del sys.modules["httpx._main"]


def open_provider(config: Config, *, hooks: Hooks = Hooks(),
                  env: Mapping[str, str] | None = None) -> Provider:
    """The provider of ``config`` (secrets resolved from ``env``, default the process's)."""
    with _without_httpx_cli():
        from scsync.providers.factory import build_provider

    env = os.environ if env is None else env
    settings = provider_settings(config, env)
    return build_provider(settings, base_dir=config.root, on_wait=hooks.on_wait,
                          on_notice=hooks.on_notice, max_wait_s=hooks.max_wait_s, env=env)


def login(root: Path, *, env: Mapping[str, str] | None = None) -> Login:
    """Start ``scsync login`` for the account in ``root``: ``Login.url`` is where the person
    grants access, ``Login.complete(code)`` stores the tokens. A token or refresh token whose
    variable is unset is left out: logging in is how one gets them."""
    with _without_httpx_cli():
        from scsync.providers.login import begin

    env = os.environ if env is None else env
    config = load(root)
    settings = provider_settings(config, env, tokens_optional=True)
    return begin(settings, base_dir=config.root, env=env)


def plan_options(config: Config, *, force: bool = False,
                 targets: Sequence[str] = ()) -> PlanOptions:
    """The config's ownership, protect and safety settings plus the command's flags."""
    from scsync.plan.options import PlanOptions, Safety

    settings = config.settings
    return PlanOptions(ownership=settings.ownership.model_dump(),
                       protect=list(settings.protect),
                       safety=Safety(**settings.safety.model_dump()),
                       force=force, targets=list(targets), config_digest=config.digest())


@dataclass(slots=True)
class Planned:
    """A plan with what made it: the config, the live state, and plan-time warnings."""

    config: Config
    plan: Plan
    live: LiveState
    warnings: list[Problem]


@contextmanager
def session(config: Config, *, hooks: Hooks = Hooks(), live_snapshot: Path | None = None,
            env: Mapping[str, str] | None = None) -> Iterator[Provider]:
    """A provider for ``config`` (or, with ``live_snapshot``, an in-process emulator seeded from
    that snapshot, so an offline plan uses the very same reading and call-building code)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="scsync-snapshot-") as scratch:
        if live_snapshot is None:
            provider = open_provider(config, hooks=hooks, env=env)
        else:
            with _without_httpx_cli():
                from scsync.ops.snapshot import snapshot_provider

            provider = snapshot_provider(live_snapshot, Path(scratch))
        try:
            yield provider
        except AuthError as exc:
            raise _name_token_source(exc, config) from None
        finally:
            provider.close()


def _name_token_source(error: AuthError, config: Config) -> AuthError:
    """``error`` naming the variable this config reads its token from (the provider, which
    knows nothing of config, names the documented default ``SCSYNC_TOKEN``)."""
    names = secrets.references(str(getattr(config.settings.provider, "token", "") or ""))
    if not names or names[0] == "SCSYNC_TOKEN" or "SCSYNC_TOKEN" not in str(error):
        return error
    return type(error)(str(error).replace("SCSYNC_TOKEN", names[0]), error.response)


def make_plan_for(config: Config, provider: Provider, *, force: bool = False,
                  targets: Sequence[str] = (), live_snapshot: Path | None = None,
                  now: datetime | None = None) -> Planned:
    """Read live state through ``provider`` (only what the config and ``targets`` need:
    ``scsync.plan.scope``) and plan ``config`` against it."""
    from scsync.plan.planner import build_plan, check_targets
    from scsync.plan.scope import read_scope, scoped

    options = plan_options(config, force=force, targets=targets)
    kinds, lists = read_scope(config.desired, options)
    live = provider.read(kinds, lists=lists)
    check_targets(list(targets), config.desired, live)
    result = build_plan(scoped(config.desired, kinds), live, provider, options,
                        now=now or datetime.now(UTC))
    plan = result.plan
    if live_snapshot is not None:
        from scsync.ops.snapshot import read_snapshot, snapshot_note

        note = snapshot_note(live_snapshot, read_snapshot(live_snapshot))
        plan = plan.model_copy(update={"live_snapshot": note})
    return Planned(config, plan, live, [*config.warnings, *result.warnings])


def plan(root: Path, *, var_files: Sequence[Path] = (), force: bool = False,
         targets: Sequence[str] = (), live_snapshot: Path | None = None,
         hooks: Hooks = Hooks(), now: datetime | None = None) -> Planned:
    """Load one account's config, read its live state, and plan (the cyclic collector paused
    throughout: planning builds many long-lived objects and few cycles)."""
    with gctools.paused():
        config = load(root, var_files=var_files, cache=True)
        with session(config, hooks=hooks, live_snapshot=live_snapshot) as provider:
            return make_plan_for(config, provider, force=force, targets=targets,
                                 live_snapshot=live_snapshot, now=now)


@dataclass(slots=True)
class ApplyRun:
    """How to execute an approved plan: progress callback, cancel event, parallelism."""

    progress: Callable[[ProgressEvent], None] | None = None
    stop: threading.Event | None = None
    parallelism: int = 1


@dataclass(slots=True)
class Applied:
    """The outcome of an apply: the plan executed, its ledger, the closing message, and drift
    (objects someone else changed while it ran: notices, not failures)."""

    plan: Plan
    ledger: Ledger | None
    message: str
    drift: list[str]


@dataclass(slots=True)
class PendingApply:
    """A plan ready to apply: planned now, or a saved plan that passed every check; its provider
    session is open and the account's apply lock held until the ``prepare_apply`` block ends.
    The caller shows it, asks whoever must approve, then calls ``apply``."""

    planned: Planned
    done: dict[str, str | None]
    provider: Provider

    @property
    def refusal(self) -> SafetyError | None:
        """The safety gate's refusal (exit 3), or None."""
        from scsync.plan.safety import refusal_error

        return refusal_error(self.planned.plan)

    @property
    def nothing_left(self) -> str | None:
        """The closing message when no write is left to make, else None."""
        plan_ = self.planned.plan
        if [c for c in plan_.changes if not c.blocked and c.address not in self.done]:
            return None
        return _nothing_left(plan_, self.done)

    def apply(self, run: ApplyRun | None = None) -> Applied:
        """Execute the plan's calls, then verify the written objects. Raises ``SafetyError`` for
        a refused plan and ``ApplyError`` for failed steps or written objects not as planned."""
        from scsync.plan.apply import apply_plan
        from scsync.plan.verify import complete_message, conclude

        if (refused := self.refusal) is not None:
            raise refused
        plan_, provider, run = self.planned.plan, self.provider, run or ApplyRun()
        ledger = apply_plan(plan_, provider, reread=lambda kind: provider.read(frozenset({kind})),
                            parallelism=run.parallelism, progress=run.progress, stop=run.stop,
                            done=self.done, budget=self.planned.live.rate)
        verified = conclude(plan_, ledger, provider, self.planned.live)
        return Applied(plan_, ledger, complete_message(ledger), verified.drift)


@contextmanager
def prepare_apply(root: Path, *, plan_file: Path | None = None, var_files: Sequence[Path] = (),
                  force: bool = False, hooks: Hooks = Hooks(),
                  env: Mapping[str, str] | None = None) -> Iterator[PendingApply]:
    """Hold the account's apply lock, open its provider, and plan (or take the saved plan
    ``plan_file``, refused with ``PlanFileError`` or ``StalePlanError`` unless it is exactly
    what the config and the platform still make); nothing is written here."""
    from scsync.plan.lock import apply_lock

    env = os.environ if env is None else env
    config = load(root, var_files=var_files, cache=True)
    account = getattr(config.settings.provider, "account_id", None)
    with apply_lock(config.root, account=account), \
            session(config, hooks=hooks, env=env) as provider:
        if plan_file is None:
            yield PendingApply(make_plan_for(config, provider, force=force), {}, provider)
        else:
            planned, done = _saved(config, provider, plan_file, force=force, env=env)
            yield PendingApply(planned, done, provider)


def read_plan(plan_file: Path) -> Plan:
    """A saved plan file (``plan -o FILE``), or one clear error."""
    from scsync.plan.model import Plan
    from scsync.safefiles import DATA_FILE_LIMIT, ReadRefused, read_bytes

    try:
        return Plan.from_json(read_bytes(plan_file, limit=DATA_FILE_LIMIT).decode("utf-8"))
    except ReadRefused as exc:
        raise ScsyncError(f"cannot read the plan file {plan_file}: {exc.message}") from None
    except ValueError:
        raise ScsyncError(f"{plan_file} is not a scsync plan file (run `scsync plan -o FILE` "
                          "to make one)") from None


def plan_file_text(plan_: Plan, env: Mapping[str, str] | None = None) -> str:
    """The text ``plan -o`` writes: signed when ``SCSYNC_PLAN_KEY`` is set."""
    from scsync.plan.planfile import KEY_ENV
    from scsync.plan.planfile import plan_file_text as signed

    return signed(plan_, (os.environ if env is None else env).get(KEY_ENV))


def _nothing_left(plan: Plan, done: Mapping[str, str | None]) -> str:
    if not done:
        return "No changes. The platform matches the configuration."
    return (f"Nothing left to apply: all {len(done)} changes of this plan are already on the "
            "platform.")


def _saved(config: Config, provider: Provider, plan_file: Path, *, force: bool,
           env: Mapping[str, str]) -> tuple[Planned, dict[str, str | None]]:
    """A saved plan checked (header, signature, shape, account, staleness, every call derived
    again): what is left of it, or one error before any write."""
    import glob

    from scsync.plan.planfile import KEY_ENV, check_account, check_derived, read_plan_file
    from scsync.plan.planner import build_plan
    from scsync.plan.safety import refusal_error
    from scsync.plan.scope import read_scope, scoped
    from scsync.plan.stale import prepare_saved_plan

    saved = read_plan_file(plan_file, env.get(KEY_ENV))
    where = f"the plan file {plan_file}"
    configured = getattr(config.settings.provider, "account_id", None)
    if configured is not None:
        check_account(saved, configured, "", where)
    kinds, lists = read_scope(config.desired, plan_options(config))
    live = provider.read(kinds, lists=lists)
    check_account(saved, live.account.id, live.account.name, where)
    forced = saved.forced or force
    remaining = prepare_saved_plan(saved, config_digest=config.digest(), live=live)
    refusals = saved.refusals
    again = [c.address for c in saved.changes if c.blocked or c.address not in remaining.done]
    if again:  # derived again from the config as it is now: protect: included
        options = plan_options(config, force=forced, targets=[glob.escape(a) for a in again])
        fresh = build_plan(scoped(config.desired, kinds), live, provider, options,
                           now=datetime.now(UTC)).plan
        if (refused := refusal_error(fresh)) is not None:
            raise refused
        check_derived(saved, fresh, remaining.done, where)
        refusals = fresh.refusals
    plan_ = saved.model_copy(update={"forced": forced, "refusals": refusals})
    return Planned(config, plan_, live, list(config.warnings)), remaining.done


def drift(root: Path, *, var_files: Sequence[Path] = (), hooks: Hooks = Hooks(),
          now: datetime | None = None) -> DriftReport:
    """The drift of one account's platform from its config (for scheduled jobs)."""
    from scsync.ops.drift import detect_drift
    from scsync.plan.scope import read_scope, scoped

    config = load(root, var_files=var_files, cache=True)
    options = plan_options(config)
    kinds, lists = read_scope(config.desired, options)
    with session(config, hooks=hooks) as provider:
        live = provider.read(kinds, lists=lists)
        return detect_drift(scoped(config.desired, kinds), live, provider, options,
                            now=now or datetime.now(UTC))


def snapshot(root: Path, out: Path, *, var_files: Sequence[Path] = (),
             hooks: Hooks = Hooks()) -> dict[str, Any]:
    """Write the live account as an emulator fixture (no tokens) to ``out``."""
    from scsync.ops.snapshot import write_snapshot

    config = load(root, var_files=var_files)
    with session(config, hooks=hooks) as provider:
        return write_snapshot(provider, out)  # type: ignore[arg-type]


def doctor(root: Path, *, var_files: Sequence[Path] = (), hooks: Hooks = Hooks()) -> DoctorReport:
    """Check, with read-only calls, what the platform offers of what the config needs."""
    from scsync.ops.doctor import diagnose

    config = load(root, var_files=var_files)
    with session(config, hooks=hooks) as provider:
        return diagnose(config.desired, plan_options(config), provider)


def export(root: Path, out: Path, *, kinds: str | None = None, lenient: bool = False,
           var_files: Sequence[Path] = (), hooks: Hooks = Hooks()) -> ExportResult:
    """Write the live account as config YAML under ``out``, merging into files already there."""
    from scsync.ops.export import export_config
    from scsync.ops.export_docs import parse_kinds
    from scsync.ops.export_validate import settings_text_for
    from scsync.providers.base import KIND_LISTS

    chosen = parse_kinds(kinds) if kinds else None
    config = load(root, var_files=var_files)
    with session(config, hooks=hooks) as provider:
        live = provider.read(chosen)
    for kind, name in KIND_LISTS.items():
        if (gone := live.unavailable.get(name)) is not None and hooks.on_notice is not None:
            hooks.on_notice(f"warning: {kind.noun}s not exported: they are not available on "
                            f"this platform ({gone.endpoint} answered {gone.error})")
    return export_config(live, out, kinds=chosen, lenient=lenient,
                         settings_text=settings_text_for(root, out))


def groups_export(root: Path, out: Path, *, fmt: str, var_files: Sequence[Path] = (),
                  hooks: Hooks = Hooks()) -> int:
    """Write every profile group's members to ``out`` (csv or xlsx); returns the row count.
    Raises ``ScsyncError`` (writing nothing) when the account lacks the profile groups feature."""
    from scsync.ops.groups_export import group_rows, write_csv, write_xlsx

    config = load(root, var_files=var_files)
    with session(config, hooks=hooks) as provider:
        live = provider.read(frozenset({Kind.PROFILE, Kind.PROFILE_GROUP}))
        if live.account.features.get("profile_groups") is False:
            raise ScsyncError(f"account {live.account.id} ({live.account.name}) does not have the "
                              f"profile groups feature: there is nothing to export; {out} was "
                              "not written")
        rows = group_rows(live)
    (write_xlsx if fmt == "xlsx" else write_csv)(rows, out)
    return len(rows)


def fmt(root: Path, *, check: bool = False) -> list[str]:
    """Rewrite the config's YAML files canonically; the files that changed (or would)."""
    from scsync.ops.fmt import format_tree

    return format_tree(root, check=check)


def fmt_diff(root: Path) -> str:
    """A unified diff of what ``fmt`` would change (empty when nothing); writes nothing."""
    from scsync.ops.fmt import diff_tree

    return diff_tree(root)
