"""Item-level detail of a changed field, for renderers: which items of a nested list changed
(deepdiff, imported only when a nested list differs: it costs most of a cold start) and a line diff
of long text (difflib). The plan itself keeps whole before/after values; this explains them."""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

_KEY = re.compile(r"\['([^']*)'\]")
_REPORTS = (("values_changed", "changed"), ("type_changes", "changed"),
            ("iterable_item_added", "added"), ("dictionary_item_added", "added"),
            ("iterable_item_removed", "removed"), ("dictionary_item_removed", "removed"))


def _path(field: str, deep_path: str) -> str:
    return field + _KEY.sub(r".\1", deep_path.removeprefix("root"))


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def list_changes(field: str, before: Any, after: Any) -> list[str]:
    """``["quick_replies[1].flow: "Refund" -> "Baggage"", "quick_replies[2] added: {...}"]``;
    empty when the values are equal or not both lists of mappings/lists."""
    if before == after or not (_nested_list(before) and _nested_list(after)):
        return []
    from deepdiff import DeepDiff  # lazily: only for nested lists that differ

    report = DeepDiff(before, after, verbose_level=2).to_dict()
    lines: list[str] = []
    for section, verb in _REPORTS:
        for deep_path, detail in sorted(report.get(section, {}).items()):
            where = _path(field, deep_path)
            if verb == "changed":
                lines.append(f"{where}: {_show(detail['old_value'])} -> "
                             f"{_show(detail['new_value'])}")
            else:
                lines.append(f"{where} {verb}: {_show(detail)}")
    return lines


def _nested_list(value: Any) -> bool:
    return isinstance(value, list) and any(isinstance(item, dict | list) for item in value)


def text_diff(before: str | None, after: str | None) -> list[str]:
    """A line diff of long text (``-old`` / ``+new`` / `` same``), without file headers."""
    old = (before or "").splitlines()
    new = (after or "").splitlines()
    return [line for line in difflib.ndiff(old, new) if not line.startswith("? ")]
