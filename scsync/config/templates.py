"""``*.yaml.j2`` templates: rendered with jinja2's sandboxed environment and StrictUndefined, so a
template can neither reach Python internals nor silently print an undefined variable. The
environment has no file loader (``include``, ``import`` and ``extends`` reach no file).

A template comes from a pull request, so it is also bounded in memory and time: every operation
that can grow a value (``*``, ``+``, ``~``, ``%``, ``str.format``, the string methods and the
filters that pad, repeat or join) is checked *before* it runs, against ``MAX_VALUE`` characters
or items; a printed value, against the same; the rendered text, against ``MAX_OUTPUT``; and the
render, against ``TIME_BUDGET`` seconds (checked on every loop step, call, filter and operator,
so a nested loop ends too). A breach is a ``TemplateProblem`` naming the template line.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import wraps
from string import Formatter
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import markup_join, str_join
from jinja2.sandbox import SandboxedEnvironment, SandboxedEscapeFormatter, SandboxedFormatter
from markupsafe import Markup

MAX_VALUE = 1_000_000  # characters of a string, items of a list, a template may build
MAX_EXPONENT = 10_000
MAX_INT_BITS = 1_000_000  # the largest integer ``*`` and ``**`` may build
MAX_OUTPUT = 8 * 1024 * 1024  # characters of rendered text
TIME_BUDGET = 5.0  # seconds one template may take to render
MAX_LIPSUM = 100  # paragraphs (and words per paragraph / 10) ``lipsum`` may make


class TemplateProblem(Exception):
    """A template failed: ``line`` is the line of the template source (1 when unknown)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _TooLarge(jinja2.exceptions.SecurityError):
    """A template went past a size or time bound."""


class _NoFiles(jinja2.BaseLoader):
    """Refuses every template a template names: a template is one self-contained file."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        raise jinja2.TemplateNotFound(template, f'"{template}" cannot be read: templates cannot '
                                                "include, import or extend other files")


# -- sizes -----------------------------------------------------------------------------------------

def size_of(value: Any, limit: int = MAX_VALUE) -> int:
    """The characters and items in ``value``, nested values counted in (stops once past
    ``limit``: a list holding itself is simply too large)."""
    total = 0
    stack = [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str | bytes):
            total += len(item)
        elif isinstance(item, list | tuple | set | frozenset):
            total += len(item) + 1
            stack.extend(item)
        elif isinstance(item, dict):
            total += len(item) + 1
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, int) and not isinstance(item, bool):
            total += max(1, item.bit_length() // 3)
        else:
            total += 1
    return total


def _refuse_if(size: int, what: str) -> None:
    if size > MAX_VALUE:
        raise _TooLarge(f"the result of {what} would be too large (over {MAX_VALUE:,} "
                        "characters or items)")


def _width(value: Any) -> int:
    if isinstance(value, int):
        return abs(value)
    return len(value) if isinstance(value, str) else 0


# compiled on first use (re's cache): only a template that formats text needs them
_PERCENT_SPEC = r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]"
_FIELD_NUMBERS = r"\d+"


def _check_percent(fmt: str, args: Any) -> None:
    """``fmt % args`` must not pad or print past ``MAX_VALUE`` (``'%2000000000d' % 1``)."""
    values = args if isinstance(args, tuple) else (args,)
    total = len(fmt) + sum(size_of(v) for v in values)
    for match in re.finditer(_PERCENT_SPEC, fmt):
        for group in match.groups():
            if group and group.isdigit():
                total += int(group) if len(group) < 12 else MAX_VALUE + 1
            elif group == "*":
                total += max((_width(v) for v in values if isinstance(v, int)), default=0)
    _refuse_if(total, "%")


def _check_spec(spec: str) -> None:
    """A ``format`` spec (``>2000000000``, ``.2000000000f``) must not pad past ``MAX_VALUE``."""
    for number in re.findall(_FIELD_NUMBERS, spec):
        _refuse_if(int(number) if len(number) < 12 else MAX_VALUE + 1, "format")


class _SpecChecks(Formatter):
    def format_field(self, value: Any, format_spec: str) -> Any:
        _check_spec(format_spec)
        return super().format_field(value, format_spec)


class _Formatter(_SpecChecks, SandboxedFormatter):
    pass


class _EscapeFormatter(_SpecChecks, SandboxedEscapeFormatter):
    pass


# -- filters and string methods --------------------------------------------------------------------

def _lines(value: Any) -> int:
    return str(value).count("\n") + 1


def _replace_size(text: str, old: Any, new: Any, count: Any = -1) -> int:
    old, new = str(old), str(new)
    found = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    return len(text) + found * max(0, len(new) - len(old))


def _join_size(sep: Any, items: Any) -> int:
    if not isinstance(items, list | tuple | str | dict | set | frozenset):
        return 0  # a generator: the items are checked as they are made
    return size_of(items) + len(str(sep)) * max(0, len(items) - 1)


# Per filter: the size its result would have, from its arguments (a filter that cannot grow a
# value past its input is not listed; every result is checked after the call too).
_FILTER_SIZES: dict[str, Callable[..., int]] = {
    "center": lambda value, width=80, *_, **__: len(str(value)) + _width(width),
    "indent": lambda value, width=4, *_, **__: len(str(value)) + _lines(value) * _width(width),
    "replace": lambda value, old="", new="", count=None, *_, **__: _replace_size(
        str(value), old, new, -1 if count is None else count),
    "join": lambda value, d="", *_, **__: _join_size(d, value),
    "wordwrap": lambda value, width=79, _b=True, wrapstring=None, *_, **__: len(str(value)) + (
        len(str(value)) // max(_width(width), 1) + _lines(value)) * len(str(wrapstring or "")),
    "batch": lambda value, linecount=1, *_, **__: _width(linecount),
    "slice": lambda value, slices=1, *_, **__: _width(slices),
    "truncate": lambda value, length=255, _k=False, end="...", *_, **__: len(str(value)) + len(
        str(end)),
    "string": lambda value, *_, **__: size_of(value),
    "tojson": lambda value, *_, **__: size_of(value),
    "pprint": lambda value, *_, **__: size_of(value),
    "list": lambda value, *_, **__: size_of(value) if isinstance(value, str) else 0,
}

_STR_METHOD_SIZES: dict[str, Callable[..., int]] = {
    "ljust": lambda s, width=0, *_: len(s) + _width(width),
    "rjust": lambda s, width=0, *_: len(s) + _width(width),
    "center": lambda s, width=0, *_: len(s) + _width(width),
    "zfill": lambda s, width=0, *_: len(s) + _width(width),
    "expandtabs": lambda s, tabsize=8, *_: len(s) + s.count("\t") * _width(tabsize),
    "replace": lambda s, old="", new="", count=-1, *_: _replace_size(s, old, new, count),
    "join": lambda s, items=(), *_: _join_size(s, items),
}


def _result_size(value: Any) -> int:
    if isinstance(value, str | bytes | list | tuple | dict | set | frozenset):
        return len(value)
    return 0


class _Sandbox(SandboxedEnvironment):
    """The sandbox, with every way to grow a value or spend time bounded (module docstring)."""

    intercepted_binops = frozenset(["*", "**", "+", "%"])

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.deadline = time.monotonic() + TIME_BUDGET
        self.filters = {name: self._bounded_filter(name, func)
                        for name, func in self.filters.items()}
        self.globals["lipsum"] = _lipsum
        self.finalize = self._printed

    # -- time --
    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise _TooLarge(f"the template took more than {TIME_BUDGET:g} s to render (a loop "
                            "or a recursion too long?)")

    def bounded_iter(self, iterable: Iterable[Any]) -> Iterator[Any]:
        """What a ``for`` loop walks: the budget is checked on every step."""
        for item in iterable:
            self.tick()
            yield item

    # -- values --
    def _printed(self, value: Any) -> Any:
        self.tick()
        _refuse_if(size_of(value), "printing a value")
        return value

    def checked_concat(self, context: Any, values: tuple[Any, ...]) -> str:
        """``a ~ b``, refused before joining when the result would be too large."""
        self.tick()
        _refuse_if(sum(size_of(v) for v in values), "~")
        return str(markup_join(values) if context.eval_ctx.autoescape else str_join(values))

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        self.tick()
        if operator == "**" and isinstance(right, int) and abs(right) > MAX_EXPONENT:
            raise jinja2.exceptions.SecurityError(f"the exponent {right} is too large")
        if operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0 \
                and left.bit_length() * right > MAX_INT_BITS:
            raise _TooLarge("the result of ** would be too large (over 1,000,000 bits)")
        if operator == "*":
            _check_product(left, right)
        if operator == "+" and not (isinstance(left, int | float) and isinstance(right,
                                                                                 int | float)):
            _refuse_if(_result_size(left) + _result_size(right), "+")
        if operator == "%" and isinstance(left, str):
            _check_percent(left, right)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any,  # noqa: N805 - as jinja2 names them
             **kwargs: Any) -> Any:
        __self.tick()
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str) and getattr(__obj, "__name__", "") in _STR_METHOD_SIZES:
            _refuse_if(_STR_METHOD_SIZES[__obj.__name__](owner, *args), __obj.__name__)
        result = super().call(__context, __obj, *args, **kwargs)
        _refuse_if(_result_size(result), getattr(__obj, "__name__", "a call"))
        if owner is not None and not isinstance(owner, type):  # list.extend grows its list
            _refuse_if(_result_size(owner), getattr(__obj, "__name__", "a call"))
        return result

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """jinja2's ``str.format`` wrapper, with a formatter that checks each field's spec."""
        if getattr(value, "__name__", "") not in ("format", "format_map") or not isinstance(
                getattr(value, "__self__", None), str):
            return None
        text: str = value.__self__
        formatter = _EscapeFormatter(self, escape=text.escape) if isinstance(
            text, Markup) else _Formatter(self)
        is_map = value.__name__ == "format_map"

        def wrapper(*args: Any, **kwargs: Any) -> str:
            self.tick()
            if is_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                kwargs = args[0]
                args = ()
            result = type(text)(formatter.vformat(text, args, kwargs))
            _refuse_if(len(result), "format")
            return result

        return wrapper

    def _bounded_filter(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        size = _FILTER_SIZES.get(name)
        passes = getattr(func, "jinja_pass_arg", None)

        @wraps(func)
        def bounded(*args: Any, **kwargs: Any) -> Any:
            self.tick()
            plain = args[1:] if passes is not None else args  # the context comes first
            if size is not None and plain:
                _refuse_if(size(*plain, **kwargs), name)
            if name == "format" and plain and isinstance(plain[0], str):
                _check_percent(plain[0], tuple(plain[1:]) or tuple(kwargs.values()))
            result = func(*args, **kwargs)
            _refuse_if(_result_size(result), name)
            return result

        return bounded


def _check_product(left: Any, right: Any) -> None:
    """``left * right`` must not build a sequence or integer past the bounds."""
    for seq, times in ((left, right), (right, left)):
        if isinstance(seq, str | list | tuple) and isinstance(times, int) and (
                len(seq) * max(times, 0) > MAX_VALUE
                or (times > 1 and size_of(seq) * times > MAX_VALUE)):
            _refuse_if(MAX_VALUE + 1, "*")
    if isinstance(left, int) and isinstance(right, int) and \
            left.bit_length() + right.bit_length() > MAX_INT_BITS:
        raise _TooLarge("the result of * would be too large (over 1,000,000 bits)")


def _lipsum(n: int = 5, html: bool = True, min: int = 20,  # noqa: A002 - jinja2's names
            max: int = 100) -> str:  # noqa: A002
    if n > MAX_LIPSUM or max > MAX_LIPSUM * 10 or min > MAX_LIPSUM * 10:
        raise _TooLarge(f"lipsum is limited to {MAX_LIPSUM} paragraphs of {MAX_LIPSUM * 10} "
                        "words")
    return str(jinja2.utils.generate_lorem_ipsum(n, html, min, max))


class _Generator(CodeGenerator):
    """jinja2's code generator, with ``~`` and every ``for`` loop going through the sandbox."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.checked_concat(context, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        if not getattr(node, "bounded", False):
            node.iter = nodes.Call(nodes.EnvironmentAttribute("bounded_iter"), [node.iter], [],
                                   None, None, lineno=node.lineno)
            node.bounded = True  # type: ignore[attr-defined]
        super().visit_For(node, frame)


_Sandbox.code_generator_class = _Generator


def _environment() -> _Sandbox:
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


def _generator_line(template: jinja2.Template, generator: Any) -> int:
    """The template line a suspended ``generate()`` is at."""
    inner = getattr(generator, "gi_yieldfrom", None)
    frame = getattr(inner, "gi_frame", None)
    return template.get_corresponding_lineno(frame.f_lineno) if frame is not None else 1


def _generate(template: jinja2.Template, variables: Mapping[str, Any]) -> str:
    """The rendered text, refused once it passes ``MAX_OUTPUT`` characters."""
    parts: list[str] = []
    size = 0
    generator: Any = template.generate(**variables)
    for part in generator:
        size += len(part)
        if size > MAX_OUTPUT:
            line = _generator_line(template, generator)
            generator.close()
            raise TemplateProblem(f"template error: the rendered text would pass "
                                  f"{MAX_OUTPUT // (1024 * 1024)} MiB (templates run sandboxed)",
                                  line)
        parts.append(part)
    return "".join(parts)


def render(text: str, name: str, variables: Mapping[str, Any]) -> str:
    """The rendered text of template ``name``; raises ``TemplateProblem``."""
    env = _environment()
    try:
        template = env.from_string(text)
        template.filename = name
        env.deadline = time.monotonic() + TIME_BUDGET
        return _generate(template, variables)
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
    except MemoryError:
        raise TemplateProblem("template error: out of memory (templates run sandboxed)",
                              _failing_line(name)) from None
    except (jinja2.TemplateError, ArithmeticError, TypeError, ValueError, LookupError) as exc:
        raise TemplateProblem(f"template error: {exc}", _failing_line(name)) from None
