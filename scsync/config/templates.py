"""``*.yaml.j2`` templates: rendered with jinja2's sandboxed environment and StrictUndefined, so a
template can neither reach Python internals nor silently print an undefined variable. The
environment has no file loader (``include``, ``import`` and ``extends`` reach no file), and
``*``/``**`` refuse results too large to be config."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

MAX_REPEAT = 1_000_000  # the largest string or list a template may build with ``*``
MAX_EXPONENT = 10_000


class TemplateProblem(Exception):
    """A template failed: ``line`` is the line of the template source (1 when unknown)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _NoFiles(jinja2.BaseLoader):
    """Refuses every template a template names: a template is one self-contained file."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        raise jinja2.TemplateNotFound(template, f'"{template}" cannot be read: templates cannot '
                                                "include, import or extend other files")


class _Sandbox(SandboxedEnvironment):
    """The sandbox, with ``*`` and ``**`` bounded so a template cannot exhaust memory or time."""

    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > MAX_EXPONENT:
            raise jinja2.exceptions.SecurityError(f"the exponent {right} is too large")
        if operator == "*" and _repeat_size(left, right) > MAX_REPEAT:
            raise jinja2.exceptions.SecurityError("the result of * would be too large")
        return super().call_binop(context, operator, left, right)


def _repeat_size(left: Any, right: Any) -> int:
    """The length of ``left * right`` when it repeats a string or list, else 0."""
    for seq, times in ((left, right), (right, left)):
        if isinstance(seq, str | list | tuple) and isinstance(times, int):
            return len(seq) * max(times, 0)
    return 0


def _environment() -> SandboxedEnvironment:
    return _Sandbox(undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                    autoescape=False, loader=_NoFiles())


def _failing_line(name: str) -> int:
    """The template line in the traceback being handled (jinja2 rewrites frames to it)."""
    tb = sys.exc_info()[2]
    line = 1
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == name:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render(text: str, name: str, variables: Mapping[str, Any]) -> str:
    """The rendered text of template ``name``; raises ``TemplateProblem``."""
    env = _environment()
    try:
        template = env.from_string(text)
        template.filename = name
        return template.render(**variables)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateProblem(f"template syntax error: {exc.message}", exc.lineno or 1) from None
    except jinja2.UndefinedError as exc:
        raise TemplateProblem(f"template error: {exc.message}", _failing_line(name)) from None
    except jinja2.exceptions.SecurityError as exc:
        raise TemplateProblem(f"template error: {str(exc).rstrip('.')} (templates run sandboxed)",
                              _failing_line(name)) from None
    except RecursionError:
        raise TemplateProblem("template error: recursion too deep (a macro that calls itself?)",
                              _failing_line(name)) from None
    except (jinja2.TemplateError, ArithmeticError, TypeError, ValueError, LookupError) as exc:
        raise TemplateProblem(f"template error: {exc}", _failing_line(name)) from None
