"""``*.yaml.j2`` templates: rendered with jinja2's sandboxed environment and StrictUndefined, so a
template can neither reach Python internals nor silently print an undefined variable."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment


class TemplateProblem(Exception):
    """A template failed: ``line`` is the line of the template source (1 when unknown)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                                autoescape=False)


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
    except (jinja2.TemplateError, ArithmeticError, TypeError, ValueError, LookupError) as exc:
        raise TemplateProblem(f"template error: {exc}", _failing_line(name)) from None
