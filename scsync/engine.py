"""The Python API of scsync: what the CLI and tests call. Each operation takes plain arguments
and returns values; errors are ``ScsyncError``s.

Offline: ``load``, ``validate``, ``config_schema``, ``fmt``. Against the platform (through the
config's provider, secrets resolved only here): ``plan``, ``apply``, ``drift``, ``snapshot``,
``export``, ``groups_export``.
"""

from __future__ import annotations

import json
import os
import tempfile
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
    from scsync.ops.drift import DriftReport
    from scsync.ops.export import ExportResult
    from scsync.plan.ledger import Ledger
    from scsync.plan.model import Plan
    from scsync.plan.options import PlanOptions
    from scsync.plan.progress import ProgressEvent
    from scsync.providers.base import LiveState, Provider


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
    if [p for p in problems if not p.warning]:
        raise ConfigError(problems)
    return results


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


SECRET_FIELDS = ("token", "refresh_token", "client_id", "client_secret")


def provider_settings(config: Config, env: Mapping[str, str]) -> dict[str, Any]:
    """The ``provider:`` block as a plain dict with every ``${env:NAME}`` resolved."""
    settings = config.settings.provider.model_dump(exclude_none=True)
    for name in SECRET_FIELDS:
        value = settings.get(name)
        if isinstance(value, str):
            settings[name] = secrets.resolve(value, env, where=f"provider.{name}")
    return settings


def open_provider(config: Config, *, hooks: Hooks = Hooks(),
                  env: Mapping[str, str] | None = None) -> Provider:
    """The provider of ``config`` (secrets resolved from ``env``, default the process's)."""
    from scsync.providers.factory import build_provider

    settings = provider_settings(config, os.environ if env is None else env)
    return build_provider(settings, base_dir=config.root, on_wait=hooks.on_wait,
                          on_notice=hooks.on_notice, max_wait_s=hooks.max_wait_s)


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
    with tempfile.TemporaryDirectory(prefix="scsync-snapshot-") as scratch:
        if live_snapshot is None:
            provider = open_provider(config, hooks=hooks, env=env)
        else:
            provider = _snapshot_provider(live_snapshot, Path(scratch))
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


def _snapshot_provider(path: Path, scratch: Path) -> Provider:
    """An in-process emulator in ``scratch`` seeded from the snapshot at ``path``."""
    from scsync.ops.snapshot import read_snapshot
    from scsync.providers.factory import build_provider

    read_snapshot(path)
    settings = {"type": "emulator", "path": "snapshot.db", "fixture": str(path.resolve())}
    try:
        return build_provider(settings, base_dir=scratch)
    except ScsyncError:
        raise
    except Exception as exc:  # the emulator's own errors: a bad snapshot file
        raise ScsyncError(f"{path}: cannot use this snapshot: {exc}") from None


def make_plan_for(config: Config, provider: Provider, *, force: bool = False,
                  targets: Sequence[str] = (), live_snapshot: Path | None = None,
                  now: datetime | None = None) -> Planned:
    """Read live state through ``provider`` and plan ``config`` against it."""
    from scsync.plan.planner import build_plan

    live = provider.read()
    options = plan_options(config, force=force, targets=targets)
    result = build_plan(config.desired, live, provider, options, now=now or datetime.now(UTC))
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


def refusal_error(plan: Plan) -> SafetyError | None:
    """The safety error of a refused plan (exit 3), or None when nothing refuses it."""
    if not plan.refused:
        return None
    reasons = [r.reason if not r.forceable else f"{r.reason} (use --force to apply anyway)"
               for r in plan.refusals if not r.forceable or not plan.forced]
    return SafetyError(reasons)


@dataclass(slots=True)
class ApplyRun:
    """What the caller supplies to an apply: callbacks and knobs."""

    approve: Callable[[Plan], bool]
    show: Callable[[Planned], None]
    progress: Callable[[ProgressEvent], None] | None = None
    stop: threading.Event | None = None
    parallelism: int = 1


@dataclass(slots=True)
class Applied:
    """The outcome of an apply: the plan executed, its ledger, and the closing message."""

    plan: Plan
    ledger: Ledger | None
    message: str


def apply(root: Path, run: ApplyRun, *, plan_file: Path | None = None,
          var_files: Sequence[Path] = (), force: bool = False, hooks: Hooks = Hooks()) -> Applied:
    """Plan (or take a saved plan), ask, execute, verify. Raises ``SafetyError`` for a refused
    plan, ``StalePlanError`` for a stale saved plan, ``ApplyError`` for failed steps or a
    verification that does not converge; never writes before every check has passed."""
    from scsync.plan.apply import apply_plan
    from scsync.plan.verify import conclude

    config = load(root, var_files=var_files, cache=True)
    with session(config, hooks=hooks) as provider:
        if plan_file is None:
            planned = make_plan_for(config, provider, force=force)
            done: dict[str, str | None] = {}
        else:
            planned, done = _saved(config, provider, plan_file, force=force)
        run.show(planned)
        plan_ = planned.plan
        if (refused := refusal_error(plan_)) is not None:
            raise refused
        if not [c for c in plan_.changes if not c.blocked and c.address not in done]:
            return Applied(plan_, None, _nothing_left(plan_, done))
        if plan_file is None and not run.approve(plan_):
            return Applied(plan_, None, "Apply cancelled: nothing was changed.")
        ledger = apply_plan(plan_, provider, reread=lambda kind: provider.read(frozenset({kind})),
                            parallelism=run.parallelism, progress=run.progress, stop=run.stop,
                            done=done, budget=planned.live.rate)
        options = plan_options(config, force=force)
        return Applied(plan_, ledger, conclude(ledger, config.desired, provider, options))


def read_plan(plan_file: Path) -> Plan:
    """A saved plan file (``plan -o FILE``), or one clear error."""
    from scsync.plan.model import Plan

    try:
        return Plan.from_json(plan_file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScsyncError(f"cannot read the plan file {plan_file}: {exc.strerror}") from None
    except ValueError:
        raise ScsyncError(f"{plan_file} is not a scsync plan file (run `scsync plan -o FILE` "
                          "to make one)") from None


def _nothing_left(plan: Plan, done: Mapping[str, str | None]) -> str:
    if not done:
        return "No changes. The platform matches the configuration."
    return (f"Nothing left to apply: all {len(done)} changes of this plan are already on the "
            "platform.")


def _saved(config: Config, provider: Provider, plan_file: Path, *,
           force: bool) -> tuple[Planned, dict[str, str | None]]:
    """A saved plan checked against config and live state: what is left of it, or stale."""
    from scsync.plan.stale import prepare_saved_plan

    saved = read_plan(plan_file)
    if force and not saved.forced:
        saved = saved.model_copy(update={"forced": True})
    live = provider.read()
    remaining = prepare_saved_plan(saved, config_digest=config.digest(), live=live)
    return Planned(config, saved, live, list(config.warnings)), remaining.done


def drift(root: Path, *, var_files: Sequence[Path] = (), hooks: Hooks = Hooks(),
          now: datetime | None = None) -> DriftReport:
    """The drift of one account's platform from its config (for scheduled jobs)."""
    from scsync.ops.drift import detect_drift

    config = load(root, var_files=var_files, cache=True)
    with session(config, hooks=hooks) as provider:
        live = provider.read()
        return detect_drift(config.desired, live, provider, plan_options(config),
                            now=now or datetime.now(UTC))


def snapshot(root: Path, out: Path, *, var_files: Sequence[Path] = (),
             hooks: Hooks = Hooks()) -> dict[str, Any]:
    """Write the live account as an emulator fixture (no tokens) to ``out``."""
    from scsync.ops.snapshot import write_snapshot

    config = load(root, var_files=var_files)
    with session(config, hooks=hooks) as provider:
        return write_snapshot(provider, out)  # type: ignore[arg-type]


def export(root: Path, out: Path, *, kinds: str | None = None, lenient: bool = False,
           var_files: Sequence[Path] = (), hooks: Hooks = Hooks()) -> ExportResult:
    """Write the live account as config YAML under ``out``, merging into files already there."""
    from scsync.ops.export import export_config
    from scsync.ops.export_docs import parse_kinds
    from scsync.ops.export_validate import settings_text_for

    chosen = parse_kinds(kinds) if kinds else None
    config = load(root, var_files=var_files)
    with session(config, hooks=hooks) as provider:
        live = provider.read(chosen)
    return export_config(live, out, kinds=chosen, lenient=lenient,
                         settings_text=settings_text_for(root, out))


def groups_export(root: Path, out: Path, *, fmt: str, var_files: Sequence[Path] = (),
                  hooks: Hooks = Hooks()) -> int:
    """Write every profile group's members to ``out`` (csv or xlsx); returns the row count."""
    from scsync.ops.groups_export import group_rows, write_csv, write_xlsx

    config = load(root, var_files=var_files)
    with session(config, hooks=hooks) as provider:
        live = provider.read(frozenset({Kind.PROFILE, Kind.PROFILE_GROUP}))
        rows = group_rows(live)
    (write_xlsx if fmt == "xlsx" else write_csv)(rows, out)
    return len(rows)


def fmt(root: Path, *, check: bool = False) -> list[str]:
    """Rewrite the config's YAML files canonically; the files that changed (or would)."""
    from scsync.ops.fmt import format_tree

    return format_tree(root, check=check)
