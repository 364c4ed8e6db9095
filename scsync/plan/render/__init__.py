"""Plan renderers: text (Terraform's conventions), Markdown (a pull-request comment), HTML (one
self-contained page) from jinja2 templates, and JSON (the plan file, from the model itself).

``render`` shows one account's plan; ``render_many`` shows several (``scsync plan -C a -C b``),
one section per account headed by its directory, then the total. The caller decides colour
(a terminal without ``NO_COLOR``); no provider setting, and so no secret, is ever rendered.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from scsync.errors import printable
from scsync.plan.model import Plan, Summary

if TYPE_CHECKING:  # jinja2 and the views are imported by the template formats only (not JSON)
    import jinja2

    from scsync.plan.render.view import AccountView

Format = Literal["text", "markdown", "json", "html"]
FORMATS: tuple[Format, ...] = ("text", "markdown", "json", "html")
MARKDOWN_LIMIT = 60_000
DEFAULT_HINT = "run `scsync plan` locally"
_TEMPLATES = {"text": "plan.txt.j2", "markdown": "plan.md.j2", "html": "plan.html.j2"}


def render(plan: Plan, fmt: Format, *, color: bool = False,
           full_plan_hint: str | None = None) -> str:
    """One account's plan in ``fmt``; ``color`` applies to text only (ANSI)."""
    if fmt == "json":
        return plan.to_json()
    from scsync.plan.render.view import account_view

    return _render_views([account_view(plan)], fmt, color=color, hint=full_plan_hint)


def render_many(plans: Sequence[tuple[str, Plan]], fmt: Format, *, color: bool = False,
                full_plan_hint: str | None = None) -> str:
    """Several accounts' plans, each headed by its directory, then one ``Total:`` line (for JSON:
    ``{"accounts": {dir: plan}, "summary": {...}}``)."""
    if fmt == "json":
        return _json_many(plans)
    from scsync.plan.render.view import account_view

    views = [account_view(plan, label) for label, plan in plans]
    return _render_views(views, fmt, color=color, hint=full_plan_hint)


def _json_many(plans: Sequence[tuple[str, Plan]]) -> str:
    summed = Summary.total_of([plan.summary for _, plan in plans])
    document = {"accounts": {label: json.loads(plan.to_json()) for label, plan in plans},
                "summary": summed.model_dump(mode="json")}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _render_views(views: list[AccountView], fmt: Format, *, color: bool,
                  hint: str | None) -> str:
    from scsync.plan.render.view import NO_CHANGES, REFUSED, total, total_line

    if fmt not in _TEMPLATES:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    template = environment(__name__, html=fmt == "html").get_template(_TEMPLATES[fmt])
    context: dict[str, Any] = {
        "accounts": views, "many": len(views) > 1 or views[0].label is not None,
        "color": color, "no_changes": NO_CHANGES, "refused_line": REFUSED,
        "hint": printable(hint or DEFAULT_HINT),
        "total_line": total_line(total([v.plan for v in views])), "limit": MARKDOWN_LIMIT,
        "kinds": sorted({c.kind for v in views for c in v.changes}),
    }
    if fmt == "markdown":
        return _fit_markdown(template, context)
    return template.render(context, cap=None)


def _fit_markdown(template: jinja2.Template, context: dict[str, Any]) -> str:
    """The whole comment when it fits in MARKDOWN_LIMIT; else the most items per list that fit,
    with the truncation marker (a binary search over that cap)."""
    text = template.render(context, cap=None)
    if len(text) <= MARKDOWN_LIMIT:
        return text
    low, high = 0, max(v.longest_list for v in context["accounts"])
    best = template.render(context, cap=0)
    while low < high:
        middle = (low + high + 1) // 2
        candidate = template.render(context, cap=middle)
        if len(candidate) <= MARKDOWN_LIMIT:
            low, best = middle, candidate
        else:
            high = middle - 1
    return best


@cache
def _environment_class() -> type[jinja2.Environment]:
    """The jinja2 environment whose every string a template reads from the plan or report (an
    attribute or an item) is ``filters.shown``: a name holding a newline, ESC or a bidi override
    cannot end a line, a table row or a heading, nor drive the terminal, in any format. Built on
    first use: jinja2 is imported by the template formats only."""
    import jinja2

    from scsync.plan.render import filters

    class ShownEnvironment(jinja2.Environment):
        def getattr(self, obj: Any, attribute: str) -> Any:
            return filters.shown(super().getattr(obj, attribute))

        def getitem(self, obj: Any, argument: Any) -> Any:
            return filters.shown(super().getitem(obj, argument))

    return ShownEnvironment


@cache
def environment(package: str, *, html: bool) -> jinja2.Environment:
    """The jinja2 environment of the templates in ``package``'s ``templates`` folder, with the
    plan filters (autoescaped for HTML); the drift report's templates use it too."""
    import jinja2

    from scsync.plan.render import filters

    env = _environment_class()(
        # the plan's templates come second: the shared report.css lives there
        loader=jinja2.ChoiceLoader([jinja2.PackageLoader(package, "templates"),
                                    jinja2.PackageLoader("scsync.plan.render", "templates")]),
        autoescape=html, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.filters.update(filters.FILTERS)
    return env
