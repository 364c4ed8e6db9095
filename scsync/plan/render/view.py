"""The view of a plan that every template reads: per object its symbol, header and field diffs
(already shaped as scalar, text or list), the pinned items, the sorted health items, the writes and
the refusal lines. Building it once keeps the templates free of decisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from scsync.plan.model import FORCE_HINT, Change, HealthItem, Plan, Summary, summary_line
from scsync.plan.render import filters
from scsync.plan.render.filters import Line
from scsync.providers.base import Call
from scsync.resources import SET_FIELDS, Kind, compare_value

Shape = Literal["scalar", "text", "list"]
PROTECT_HINT = "(keep it in the config, or remove it from `protect:` to delete it)"
REFUSED = "apply will make none of these changes until what follows is resolved."
NO_CHANGES = "No changes. The platform matches the configuration."
_SYMBOL = {"create": "+", "update": "~", "delete": "-", "blocked": "!"}
_HEADER = {"create": "will be created", "update": "will be updated in place",
           "delete": "will be destroyed", "blocked": "is protected and will NOT be destroyed"}
_HEALTH_ORDER = {"expired_stream": 0, "expired_connected_profile": 1}


@dataclass(frozen=True, slots=True)
class FieldView:
    """One field of an object as shown: ``symbol path = before -> after`` or signed lines."""

    path: str
    symbol: str
    shape: Shape
    before: str
    after: str
    arrow: bool
    lines: tuple[Line, ...] = ()


@dataclass(frozen=True, slots=True)
class ChangeView:
    change: Change
    action: str  # create, update, delete or blocked
    symbol: str
    kind: str
    name: str
    header: str
    fields: tuple[FieldView, ...]
    number: int = 0  # 1-based position in the plan, for stable element ids

    @property
    def verb(self) -> str:
        """The header without the address: ``will be created``, ``is protected and...``."""
        return self.header.removeprefix(f"{self.change.address} ")

    @property
    def width(self) -> int:
        return max((len(f.path) for f in self.fields), default=0)


@dataclass(frozen=True, slots=True)
class RefusalLine:
    level: Literal["error", "warning"]
    text: str


@dataclass(frozen=True, slots=True)
class AccountView:
    """Everything one account's section shows; ``label`` is its directory (several accounts)."""

    label: str | None
    plan: Plan
    changes: tuple[ChangeView, ...]
    health: tuple[HealthItem, ...]
    refusals: tuple[RefusalLine, ...]

    @property
    def summary_line(self) -> str:
        return summary_line(self.plan.summary)

    @property
    def refused(self) -> bool:
        """Whether apply refuses this plan (exit 3): its refusal then heads every format."""
        return any(r.level == "error" for r in self.refusals)

    @property
    def pinned(self) -> tuple[ChangeView, ...]:
        return tuple(c for c in self.changes if c.action in ("delete", "blocked"))

    @property
    def expired(self) -> tuple[HealthItem, ...]:
        return tuple(h for h in self.health if h.kind == "expired_stream")

    @property
    def other_health(self) -> tuple[HealthItem, ...]:
        return tuple(h for h in self.health if h.kind != "expired_stream")

    @property
    def calls(self) -> tuple[Call, ...]:
        return tuple(self.plan.calls)

    @property
    def path_width(self) -> int:
        return max((len(c.path) for c in self.plan.calls), default=0)

    @property
    def longest_list(self) -> int:
        """The length of the longest list the report shows (changes, calls, health, unmanaged)."""
        return max(len(self.changes), len(self.calls), len(self.health),
                   len(self.plan.unmanaged))

    def cut(self, cap: int | None) -> bool:
        """True when showing at most ``cap`` items per list leaves some out."""
        return cap is not None and self.longest_list > cap

    @property
    def calls_line(self) -> str:
        """The forecast of the whole apply: ``API calls: 4 writes + up to 6 reads (stale check
        and verification) = 10 (rate limit: 346 of 350 calls left in this window: fits)``."""
        plan = self.plan
        line = f"API calls: {filters.plural(len(plan.calls), 'write')}"
        if plan.apply_reads:
            line += (f" + up to {filters.plural(plan.apply_reads, 'read')} (stale check and "
                     f"verification) = {len(plan.calls) + plan.apply_reads}")
        rate = plan.rate
        if rate is None:
            return line
        budget = f"rate limit: {rate.remaining} of {rate.limit} calls left in this window"
        if not plan.calls:
            return f"{line} ({budget})"
        if len(plan.calls) + plan.apply_reads <= rate.remaining:
            return f"{line} ({budget}: fits)"
        reset = f" at {rate.reset_at:%Y-%m-%d %H:%M} UTC" if rate.reset_at else ""
        return f"{line} ({budget}: does not fit, apply waits for the reset{reset})"


def account_view(plan: Plan, label: str | None = None) -> AccountView:
    health = sorted(plan.health, key=lambda h: _HEALTH_ORDER.get(h.kind, 2))
    return AccountView(label=label, plan=plan,
                       changes=tuple(change_view(c, n) for n, c in enumerate(plan.changes, 1)),
                       health=tuple(health), refusals=tuple(_refusal_lines(plan)))


def _refusal_lines(plan: Plan) -> list[RefusalLine]:
    lines = []
    for refusal in plan.refusals:
        if refusal.forceable and plan.forced:
            lines.append(RefusalLine("warning", f"{refusal.reason} (lifted by --force)"))
        elif refusal.forceable:
            lines.append(RefusalLine("error", f"{refusal.reason} {FORCE_HINT}"))
        else:
            lines.append(RefusalLine("error", f"{refusal.reason} {PROTECT_HINT}"))
    return lines


def change_view(change: Change, number: int = 0) -> ChangeView:
    action = "blocked" if change.blocked else change.action
    kind, _, name = change.address.partition(".")
    return ChangeView(change=change, action=action, symbol=_SYMBOL[action], kind=kind,
                      name=name, header=f"{change.address} {_header(change, action)}",
                      fields=tuple(_fields(change, action)), number=number)


def _header(change: Change, action: str) -> str:
    if change.renamed_from is not None:
        return f"{_HEADER[action]} (renamed from {filters.literal(change.renamed_from)})"
    return _HEADER[action]


def _fields(change: Change, action: str) -> list[FieldView]:
    if action == "update" or (action == "create" and change.after is None):
        return [field_view(change.kind, f.path, f.before, f.after, object_action=action)
                for f in change.fields]
    values = change.after if action == "create" else change.before
    if values is None:
        values = {f.path: f.before for f in change.fields}
    # As Terraform does, a whole object shows only the fields it sets.
    return [_whole_field(change.kind, path, value, action)
            for path, value in values.items() if not _unset(value)]


def _whole_field(kind: str, path: str, value: Any, action: str) -> FieldView:
    before, after = (None, value) if action == "create" else (value, None)
    view = field_view(kind, path, before, after, object_action=action)
    symbol = {"create": "+", "delete": "-"}.get(action, " ")
    lines = view.lines if symbol != " " else tuple((" ", text) for _, text in view.lines)
    return FieldView(path, symbol, view.shape, view.before, view.after, False, lines)


def field_view(kind: str, path: str, before: Any, after: Any, *,
               object_action: str = "update") -> FieldView:
    """How one field change is shown (``object_action`` decides the ``-> null`` of a clear)."""
    symbol = _field_symbol(before, after)
    arrow = object_action == "update" and symbol != "+"
    shape, lines = _shape(kind, path, before, after)
    return FieldView(path=path, symbol=symbol, shape=shape, before=filters.literal(before),
                     after=filters.literal(after), arrow=arrow, lines=tuple(lines))


def _field_symbol(before: Any, after: Any) -> str:
    if _unset(before):
        return "+"
    return "-" if _unset(after) else "~"


def _unset(value: Any) -> bool:
    return value is None or value == "" or value == []


def _shape(kind: str, path: str, before: Any, after: Any) -> tuple[Shape, list[Line]]:
    if isinstance(before, list) or isinstance(after, list):
        if not before and not after:
            return "scalar", []
        return "list", _list_lines(kind, path, before, after)
    if filters.is_long_text(path, before, after):
        return "text", filters.text_lines(before, after)
    return "scalar", []


def _list_lines(kind: str, path: str, before: Any, after: Any) -> list[Line]:
    try:
        real_kind = Kind(kind)
    except ValueError:
        return filters.list_lines(before, after, is_set=False)
    is_set = path in SET_FIELDS[real_kind]

    def key(item: Any) -> Any:
        try:
            return repr(compare_value(real_kind, path, [item]))
        except (AttributeError, TypeError, ValueError):  # a plan file's value of another shape
            return repr(item)

    return filters.list_lines(before, after, is_set=is_set, key=key)


def total(plans: list[Plan]) -> Summary:
    """The summed counts of several accounts' plans."""
    return Summary.total_of([p.summary for p in plans])


def total_line(summary: Summary) -> str:
    """``Total: 3 to add, 1 to change, 0 to destroy.``"""
    return "Total: " + summary_line(summary).removeprefix("Plan: ")
