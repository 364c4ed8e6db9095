"""The command line: click commands, each a few lines over ``scsync.engine``. One error boundary
(``_Group.invoke``) turns every ``ScsyncError`` into its lines on stderr and its exit code; any
other exception is an internal error (its traceback only with ``--debug``).

Add a command with ``@main.command()`` and the shared option decorators (``config_dirs``,
``config_dir``, ``var_files``)."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from scsync import __version__
from scsync.gctools import frozen_after
from scsync.startup import imported, skip_pydantic_plugin_search

with frozen_after():  # click's objects live as long as the process: no collections over them
    import click

F = TypeVar("F", bound=Callable[..., Any])


class _Deferred:
    """A module imported on first use, so that ``--version`` and ``--help`` import neither the
    engine nor pydantic, httpx or jinja2 (tests/test_startup.py pins what they import)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(imported(self._name), attr)


if TYPE_CHECKING:
    from scsync import engine
    from scsync.console import Console
    from scsync.errors import Problem, ScsyncError
    from scsync.plan.model import Plan
    from scsync.plan.render import Format
else:
    engine = _Deferred("scsync.engine")


def problem_line(problem: Problem) -> str:
    """A problem as printed: ``PATH:LINE:COL: ...``, or ``error: MESSAGE`` when it has no file."""
    if problem.location is None:
        return str(problem) if problem.warning else f"error: {problem}"
    return str(problem)


def error_lines(error: ScsyncError) -> list[str]:
    """Every line that ``error`` prints to stderr (warnings too)."""
    from scsync.errors import ProblemsError, printable

    if isinstance(error, ProblemsError):
        return [problem_line(p) for p in error.problems]
    return [f"error: {printable(line)}" for line in str(error).splitlines()
            or [type(error).__name__]]


def os_error_message(error: OSError) -> str:
    """``PATH: No such file or directory`` (the Unix form), or the error's own text."""
    if error.filename is not None and error.strerror:
        return f"{error.filename}: {error.strerror}"
    return str(error)


def echo_problems(problems: Iterable[Problem]) -> None:
    for problem in problems:
        click.echo(problem_line(problem), err=True)


DEBUG_KEY, NO_COLOR_KEY = "scsync.debug", "scsync.no_color"
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


def _set_global(key: str) -> Callable[[click.Context, click.Parameter, bool], None]:
    def store(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        if value:
            ctx.meta[key] = True  # ``meta`` is shared by every context of one invocation
            if key == DEBUG_KEY:
                import logging

                # configured here when ``main`` left logging alone (``validate --debug``); a no-op
                # when it has configured it already
                logging.basicConfig(format=LOG_FORMAT)
                logging.getLogger().setLevel(logging.DEBUG)
    return store


def global_options() -> list[click.Option]:
    """``--debug`` and ``--no-color``: accepted before the command name and after it."""
    return [click.Option(["--debug"], is_flag=True, expose_value=False, is_eager=True,
                         callback=_set_global(DEBUG_KEY), help="Show tracebacks."),
            click.Option(["--no-color"], is_flag=True, expose_value=False, is_eager=True,
                         callback=_set_global(NO_COLOR_KEY), help="No ANSI colour.")]


def _with_global_options(command: click.Command) -> None:
    names = {name for param in command.params for name in getattr(param, "opts", ())}
    if "--debug" not in names:
        command.params.extend(global_options())
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _with_global_options(sub)


class _Command(click.Command):
    """A command of scsync: ``skip_pydantic_plugin_search`` before it runs (once its options
    are parsed: ``--help`` does not get that far)."""

    def invoke(self, ctx: click.Context) -> Any:
        skip_pydantic_plugin_search()
        return super().invoke(ctx)


class _SubGroup(click.Group):
    """A command group under ``scsync`` (``groups``): its commands are ``_Command``s."""

    command_class = _Command


class _Group(click.Group):
    """The error boundary: catches ``ScsyncError`` only; anything else is an internal error.
    Usage errors exit 1 (click's 2 means "changes planned" here), and every command, however
    nested, takes the global options. Commands of ``LAZY`` are imported when named (or listed by
    ``--help``)."""

    LAZY = {"emulator": "scsync.emulator.cli"}  # command name -> the module defining it
    command_class = _Command
    group_class = _SubGroup

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        _with_global_options(self)  # every command registered by now, however nested
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            exc.exit_code = 1  # type: ignore[misc]  # click types it as a class constant
            raise

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.LAZY and cmd_name not in self.commands:
            command = getattr(importlib.import_module(self.LAZY[cmd_name]), cmd_name)
            _with_global_options(command)
            self.add_command(command)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            exc.exit_code = 1  # type: ignore[misc]  # click types it as a class constant
            raise
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as exc:
            # scsync.errors is imported here, when something failed: ``--help`` needs none of it
            from scsync.errors import ScsyncError

            if ctx.meta.get(DEBUG_KEY):
                raise
            if isinstance(exc, ScsyncError):
                for line in error_lines(exc):
                    click.echo(line, err=True)
                ctx.exit(exc.exit_code)
            if isinstance(exc, OSError):  # a file the user named cannot be written or read
                click.echo(f"error: {os_error_message(exc)}", err=True)
                ctx.exit(1)
            click.echo(f"error: internal error: {type(exc).__name__}: {exc}; re-run with --debug",
                       err=True)
            ctx.exit(1)


def config_dirs(func: F) -> F:
    """``-C DIR`` (repeatable; default ``.``)."""
    return click.option("-C", "--config-dir", "dirs", multiple=True, default=(".",),
                        type=click.Path(path_type=Path, file_okay=False),
                        help="The account's config directory (repeatable).")(func)


def config_dir(func: F) -> F:
    """``-C DIR`` (once; default ``.``)."""
    return click.option("-C", "--config-dir", "root", default=".",
                        type=click.Path(path_type=Path, file_okay=False),
                        help="The account's config directory.")(func)


def var_files(func: F) -> F:
    """``--var-file FILE`` (repeatable): variables for ``*.yaml.j2`` templates."""
    return click.option("--var-file", "var_files", multiple=True,
                        type=click.Path(path_type=Path, dir_okay=False),
                        help="A YAML file of template variables (repeatable).")(func)


@click.group(cls=_Group, params=global_options())
@click.version_option(__version__, prog_name="scsync")
@click.pass_context
def main(ctx: click.Context) -> None:
    """scsync: configuration as code for Qualtrics Social Connect."""
    if ctx.invoked_subcommand == "validate" and not ctx.meta.get(DEBUG_KEY):
        return  # logs nothing (no module it imports imports ``logging``): spared the import
    import logging

    logging.basicConfig(level=logging.DEBUG if ctx.meta.get(DEBUG_KEY) else logging.WARNING,
                        format=LOG_FORMAT)


@main.command()
@config_dirs
@var_files
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text",
              show_default=True, help="json: diagnostics for tools (schemas/validate.schema.json);"
              " github: workflow commands that annotate a pull request's lines.")
def validate(dirs: tuple[Path, ...], var_files: tuple[Path, ...], fmt: str) -> None:
    """Check every config file offline (no secrets needed)."""
    from scsync import gctools

    if fmt != "text":
        with gctools.frozen_after():
            code = validate_for_machines(dirs, var_files, fmt)
        click.get_current_context().exit(code)
    with gctools.frozen_after():  # the loads (and the loader's imports) make almost no garbage
        results = engine.validate(list(dirs), var_files=list(var_files))
    for result in results:
        echo_problems(result.warnings)
        prefix = f"{result.root}: " if len(results) > 1 else ""
        click.echo(prefix + result.summary())


def validate_for_machines(dirs: Sequence[Path], var_files: Sequence[Path], fmt: str) -> int:
    """``validate --format json|github``: every problem on stdout; exit 1 when any is an error."""
    from scsync.ops import diagnostics

    results, problems = engine.check(list(dirs), var_files=list(var_files))
    problems += [w for result in results for w in result.warnings]
    if fmt == "json":
        accounts = [diagnostics.AccountResult(dir=str(r.root), counts={
            kind.value: count for kind, count in r.counts.items()}) for r in results]
        click.echo(diagnostics.to_json(problems, accounts), nl=False)
    else:
        click.echo(diagnostics.to_github(problems), nl=False)
        for result in results:
            click.echo((f"{result.root}: " if len(dirs) > 1 else "") + result.summary())
    return 1 if any(not p.warning for p in problems) else 0


@main.command()
@config_dir
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help='json: {"include": [{"account": DIR, "name": NAME}, ...]}, '
              "a CI matrix.")
def accounts(root: Path, fmt: str) -> None:
    """List the account directories (each with a scsync.yaml) at or under -C, for a CI matrix:
    DIR as seen from here, NAME its path under -C with every other character than letters and
    digits as _ (for secret names such as SCSYNC_TOKEN_NAME)."""
    import json

    from scsync.errors import ScsyncError, shown_path

    found = engine.accounts(root)
    if not found:
        raise ScsyncError(f"no account directory (one holding a scsync.yaml) under {root}")
    if fmt == "json":
        click.echo(json.dumps({"include": [{"account": shown_path(path),
                                            "name": engine.account_name(path, root)}
                                           for path in found]}))
    else:
        click.echo("\n".join(shown_path(path) for path in found))


@main.command()
def schema() -> None:
    """Print the JSON Schema of config files."""
    click.echo(engine.config_schema(), nl=False)


# -- commands against the platform ----------------------------------------------------------

FORMAT_CHOICE = click.Choice(["text", "markdown", "json", "html"])


def use_color(stream: Any = None) -> bool:
    """ANSI colour only on a terminal, never with ``NO_COLOR`` set, ``TERM=dumb`` or
    ``--no-color``."""
    stream = stream or sys.stdout
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.meta.get(NO_COLOR_KEY):
        return False
    return (stream.isatty() and "NO_COLOR" not in os.environ
            and os.environ.get("TERM") != "dumb")


def max_wait_option(func: F) -> F:
    return click.option("--max-wait", "max_wait", type=click.FloatRange(min=0), default=900.0,
                        show_default=True,
                        help="Longest wait, in seconds, for a rate-limit reset.")(func)


def status_console() -> Console:
    """Waits, notices and progress go to stderr, so stdout holds only the rendered output."""
    from scsync.console import Console

    return Console(sys.stderr, tty=sys.stderr.isatty())


def hooks_for(console: Console, max_wait: float) -> engine.Hooks:
    return engine.Hooks(on_wait=console.wait, on_notice=console.notice, max_wait_s=max_wait)


def jobs_option(func: F) -> F:
    return click.option("--jobs", "jobs", type=click.IntRange(min=1, max=32), default=1,
                        show_default=True,
                        help="Accounts (-C) worked on at once; each keeps its own rate limit."
                        )(func)


def each_account(dirs: Sequence[Path], work: Callable[[Path], Any], *,
                 jobs: int = 1) -> tuple[list[tuple[str, Any]], bool]:
    """Run ``work`` per account, ``jobs`` accounts at once (threads: each account has its own
    provider and so its own rate limit). With several accounts an error in one is printed
    (prefixed by its directory) and the others go on. Results and errors come in the order of
    ``dirs`` whatever the order they finish in. Returns the results and whether any failed."""
    from scsync.errors import ScsyncError, shown_path

    if len(dirs) == 1:
        return [(str(dirs[0]), work(dirs[0]))], False

    def attempt(root: Path) -> Any:
        try:
            return work(root)
        except ScsyncError as exc:
            return exc

    if jobs > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(jobs, len(dirs))) as pool:
            outcomes = list(pool.map(attempt, dirs))
    else:
        outcomes = [attempt(root) for root in dirs]
    results: list[tuple[str, Any]] = []
    for root, outcome in zip(dirs, outcomes, strict=True):
        if not isinstance(outcome, ScsyncError):
            results.append((str(root), outcome))
            continue
        for line in error_lines(outcome):  # a line that names a file of the account needs no prefix
            named = line.startswith(shown_path(root) + "/")
            click.echo(line if named else f"{root}: {line}", err=True)
    return results, len(results) < len(dirs)


@main.command()
@config_dirs
@var_files
@click.option("-o", "--out", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write the JSON plan file here.")
@click.option("--format", "fmt", type=FORMAT_CHOICE, default="text", show_default=True)
@click.option("--target", "targets", multiple=True, metavar="ADDR",
              help="Plan only these addresses (globs allowed; repeatable); "
                   "stream.TOPIC/NET/HANDLE plans its topic.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when the plan has changes.")
@click.option("--force", is_flag=True, help="Lift the update/delete thresholds (never protect:).")
@click.option("--live-snapshot", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Plan offline against a snapshot instead of the platform.")
@max_wait_option
@jobs_option
def plan(dirs: tuple[Path, ...], var_files: tuple[Path, ...], out: Path | None, fmt: Format,
         targets: tuple[str, ...], detailed_exitcode: bool, force: bool,
         live_snapshot: Path | None, max_wait: float, jobs: int) -> None:
    """Read the live state, diff it against the config, and show the changes."""
    from scsync import gctools

    with gctools.frozen_after():  # the plans live until the process ends: spare the collector
        from scsync.plan.render import render, render_many
        from scsync.safefiles import write_text

        hooks = hooks_for(status_console(), max_wait)
        results, failed = each_account(dirs, lambda root: engine.plan(
            root, var_files=var_files, force=force, targets=targets, live_snapshot=live_snapshot,
            hooks=hooks), jobs=jobs)
    plans = [(label, planned.plan) for label, planned in results]
    for _, planned in results:
        echo_problems(planned.warnings)
    if out is not None and plans:
        write_text(out, engine.plan_file_text(plans[0][1]) if len(plans) == 1
                   else render_many(plans, "json"))
    hint = f"the plan file {out}" if out else None
    if len(dirs) == 1 and plans:
        click.echo(render(plans[0][1], fmt, color=use_color(), full_plan_hint=hint), nl=False)
    elif plans:
        click.echo(render_many(plans, fmt, color=use_color(), full_plan_hint=hint), nl=False)
    ctx = click.get_current_context()
    ctx.exit(plan_exit_code(plans, failed=failed, detailed=detailed_exitcode))


def plan_exit_code(plans: Sequence[tuple[str, Plan]], *, failed: bool, detailed: bool) -> int:
    """1 (an error in any account) over 3 (a safety gate) over 2 (changes, when asked) over 0."""
    if failed:
        return 1
    if any(p.refused for _, p in plans):
        return 3
    if detailed and any(not p.is_empty for _, p in plans):
        return 2
    return 0


@main.command()
@click.argument("planfile", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--format", "fmt", type=FORMAT_CHOICE, default="text", show_default=True)
def show(planfile: Path, fmt: Format) -> None:
    """Render a saved plan file (no config, no platform calls): e.g. the HTML report of the
    plan a CI job saved with `plan -o`."""
    from scsync.plan.render import render

    click.echo(render(engine.read_plan(planfile), fmt, color=use_color()), nl=False)


@main.command()
@config_dir
@var_files
@click.argument("planfile", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--auto-approve", is_flag=True, help="Apply without asking.")
@click.option("--force", is_flag=True, help="Lift the update/delete thresholds (never protect:).")
@click.option("--parallelism", type=click.IntRange(min=1, max=16), default=1, show_default=True,
              help="Independent writes in flight at once.")
@max_wait_option
def apply(root: Path, var_files: tuple[Path, ...], planfile: Path | None, auto_approve: bool,
          force: bool, parallelism: int, max_wait: float) -> None:
    """Plan, ask, and make the changes (or apply a saved PLANFILE exactly, unless stale)."""
    import threading

    from scsync.console import Console, stop_on_sigint
    from scsync.errors import ApplyError
    from scsync.plan.render import render

    console = Console(sys.stdout, tty=sys.stdout.isatty())
    stop = threading.Event()
    run = engine.ApplyRun(progress=console.progress, stop=stop, parallelism=parallelism)
    with engine.prepare_apply(root, plan_file=planfile, var_files=var_files, force=force,
                              hooks=hooks_for(console, max_wait)) as pending:
        echo_problems(pending.planned.warnings)
        click.echo(render(pending.planned.plan, "text", color=use_color()), nl=False)
        if (refused := pending.refusal) is not None:
            raise refused
        if (nothing := pending.nothing_left) is not None:
            click.echo(nothing)
            return
        if planfile is None and not auto_approve:
            ask_approval(console)
        with stop_on_sigint(stop, console):
            try:
                result = pending.apply(run)
            except ApplyError as exc:
                if exc.ledger is not None:
                    console.ledger(exc.ledger)
                raise
            finally:
                console.clear()  # the bar erases itself before anything else is printed
    for line in result.drift:
        console.line(line)
    click.echo(result.message)  # the progress lines have shown each step; the table is for failures


def ask_approval(console: Console) -> None:
    """Ask on the terminal; any answer but ``yes``, or no terminal, is an error."""
    from scsync.console import NO_TTY_REFUSAL
    from scsync.errors import ScsyncError

    if not sys.stdin.isatty():
        raise ScsyncError(NO_TTY_REFUSAL)
    if not console.ask_approval(sys.stdin):
        raise ScsyncError("Apply cancelled: only 'yes' is accepted; nothing was changed.")


@main.command()
@config_dirs
@var_files
@click.option("--format", "fmt", type=FORMAT_CHOICE, default="text", show_default=True)
@max_wait_option
@jobs_option
def drift(dirs: tuple[Path, ...], var_files: tuple[Path, ...], fmt: Format,
          max_wait: float, jobs: int) -> None:
    """Report drift for a scheduled job: exit 0 none, 2 drift or expired streams, 1 error."""
    from scsync.ops.drift import has_drift
    from scsync.ops.drift_render import render as render_drift
    from scsync.ops.drift_render import render_many as render_drifts

    hooks = hooks_for(status_console(), max_wait)
    results, failed = each_account(dirs, lambda root: engine.drift(root, var_files=var_files,
                                                                   hooks=hooks), jobs=jobs)
    if len(dirs) == 1 and results:
        click.echo(render_drift(results[0][1], fmt, color=use_color()), nl=False)
    elif results:
        click.echo(render_drifts(results, fmt, color=use_color()), nl=False)
    drifted = any(has_drift(report) for _, report in results)
    click.get_current_context().exit(1 if failed else 2 if drifted else 0)


@main.command()
@config_dir
@var_files
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@max_wait_option
def doctor(root: Path, var_files: tuple[Path, ...], fmt: str, max_wait: float) -> None:
    """Check what the platform offers of what the config needs (read-only calls only):
    exit 1 when something the config needs is missing."""
    from scsync.ops.doctor_render import render as render_doctor

    report = engine.doctor(root, var_files=var_files, hooks=hooks_for(status_console(), max_wait))
    click.echo(render_doctor(report, fmt), nl=False)
    click.get_current_context().exit(0 if report.ok else 1)


@main.command()
@config_dir
@var_files
@click.option("-o", "--out", required=True, type=click.Path(path_type=Path, dir_okay=False))
@max_wait_option
def snapshot(root: Path, var_files: tuple[Path, ...], out: Path, max_wait: float) -> None:
    """Write the live account in the emulator's fixture format (no tokens)."""
    engine.snapshot(root, out, var_files=var_files, hooks=hooks_for(status_console(), max_wait))
    click.echo(f"Snapshot written to {out}.")


@main.command()
@config_dir
@var_files
@click.option("-o", "--out", required=True, type=click.Path(path_type=Path, file_okay=False))
@click.option("--kinds", metavar="K,...", help="Only these kinds (profiles, topics, "
              "profile_groups, users).")
@click.option("--lenient", is_flag=True, help="Keep live values that break a rule, marked "
              "with a comment.")
@max_wait_option
def export(root: Path, var_files: tuple[Path, ...], out: Path, kinds: str | None,
           lenient: bool, max_wait: float) -> None:
    """Write the live account as config YAML, merging into files already there."""
    import dataclasses

    result = engine.export(root, out, kinds=kinds, lenient=lenient, var_files=var_files,
                           hooks=hooks_for(status_console(), max_wait))
    echo_problems(dataclasses.replace(p, warning=True) for p in result.kept_problems)
    click.echo(f"Exported {len(result.created)} new and {len(result.updated)} updated objects "
               f"into {len(result.written)} files under {out}.")


@main.command()
@config_dir
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if a file would change.")
@click.option("--diff", "show_diff", is_flag=True,
              help="Print a unified diff of what would change; change nothing.")
def fmt(root: Path, check: bool, show_diff: bool) -> None:
    """Rewrite config files with canonical key order and quoting (comments kept)."""
    if show_diff:
        diff = engine.fmt_diff(root)
        click.echo(diff, nl=False)
        if check and diff:
            click.echo("the files above would be reformatted; run `scsync fmt`.", err=True)
            click.get_current_context().exit(1)
        return
    changed = engine.fmt(root, check=check)
    for path in changed:
        click.echo(path)
    if check and changed:
        click.echo(f"{len(changed)} file(s) would be reformatted; run `scsync fmt`.", err=True)
        click.get_current_context().exit(1)


@main.group()
def groups() -> None:
    """Profile groups."""


@groups.command("export")
@config_dir
@var_files
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), required=True)
@click.option("-o", "--out", required=True, type=click.Path(path_type=Path, dir_okay=False))
@max_wait_option
def groups_export(root: Path, var_files: tuple[Path, ...], fmt: str, out: Path,
                  max_wait: float) -> None:
    """Every profile group's members, one row per (group, profile)."""
    rows = engine.groups_export(root, out, fmt=fmt, var_files=var_files,
                                hooks=hooks_for(status_console(), max_wait))
    click.echo(f"Wrote {rows} rows to {out}.")


@main.command()
@config_dir
@click.option("--code", help="The code the web app showed (asked for when not given).")
def login(root: Path, code: str | None) -> None:
    """Sign in through the web app (OAuth) and keep the tokens in the token store."""
    from datetime import UTC, datetime

    started = engine.login(root)
    click.echo("Open this address, sign in and grant access; the web app then shows a code:")
    click.echo(f"  {started.url}")
    answer = code if code is not None else click.prompt(
        "Code (or the address it sent you to)", err=True)  # single-use: no need to hide it
    done = started.complete(answer)
    until = (datetime.fromtimestamp(done.expires_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
             if done.expires_at else "unknown")
    click.echo(f"Logged in as {done.email}; the tokens are kept in {done.store} "
               f"(the access token works until {until}; scsync refreshes it).")

