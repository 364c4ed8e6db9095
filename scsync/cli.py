"""The command line: click commands, each a few lines over ``scsync.engine``. One error boundary
(``_Group.invoke``) turns every ``ScsyncError`` into its lines on stderr and its exit code; any
other exception is an internal error (its traceback only with ``--debug``).

Add a command with ``@main.command()`` and the shared option decorators (``config_dirs``,
``config_dir``, ``var_files``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import click

from scsync import engine
from scsync.errors import Problem, ScsyncError, _ProblemsError

F = TypeVar("F", bound=Callable[..., Any])


def problem_line(problem: Problem) -> str:
    """A problem as printed: ``PATH:LINE:COL: ...``, or ``error: MESSAGE`` when it has no file."""
    if problem.location is None:
        return str(problem) if problem.warning else f"error: {problem}"
    return str(problem)


def error_lines(error: ScsyncError) -> list[str]:
    """Every line that ``error`` prints to stderr (warnings too)."""
    if isinstance(error, _ProblemsError):
        return [problem_line(p) for p in error.problems]
    return [f"error: {line}" for line in str(error).splitlines() or [type(error).__name__]]


def echo_problems(problems: Iterable[Problem]) -> None:
    for problem in problems:
        click.echo(problem_line(problem), err=True)


class _Group(click.Group):
    """The error boundary: catches ``ScsyncError`` only; anything else is an internal error."""

    def invoke(self, ctx: click.Context) -> Any:
        debug = bool(ctx.params.get("debug"))
        try:
            return super().invoke(ctx)
        except ScsyncError as exc:
            if debug:
                raise
            for line in error_lines(exc):
                click.echo(line, err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as exc:
            if debug:
                raise
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


@click.group(cls=_Group)
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """scsync: configuration as code for Qualtrics Social Connect."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


@main.command()
@config_dirs
@var_files
def validate(dirs: tuple[Path, ...], var_files: tuple[Path, ...]) -> None:
    """Check every config file offline (no secrets needed)."""
    results = engine.validate(list(dirs), var_files=list(var_files))
    for result in results:
        echo_problems(result.warnings)
        prefix = f"{result.root}: " if len(results) > 1 else ""
        click.echo(prefix + result.summary())


@main.command()
def schema() -> None:
    """Print the JSON Schema of config files."""
    click.echo(engine.config_schema(), nl=False)
