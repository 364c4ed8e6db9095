"""The profile group export of seed 000: one row per (group, profile), nested groups resolved
recursively with the chain they come through, written as CSV or XLSX.

A profile reachable from a group in several ways gets one row, through the shortest chain
(a direct member has an empty ``Via``); a group that contains itself through others is walked
once, never forever.
"""

from __future__ import annotations

import csv
import io
import logging
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import astuple, dataclass
from pathlib import Path

from scsync.providers.base import LiveState
from scsync.resources import Kind, Resource, ResourceKey
from scsync.safefiles import write_bytes, write_text

log = logging.getLogger(__name__)

HEADER: tuple[str, ...] = ("Profile group ID", "Profile group name", "Profile", "Profile ID",
                           "Profile display name", "Via")
VIA_SEPARATOR = " > "


@dataclass(frozen=True, slots=True)
class GroupRow:
    """One row of the export, in the order of ``HEADER``."""

    group_id: str
    group_name: str
    profile: str
    profile_id: str
    display_name: str
    via: str

    def cells(self) -> tuple[str, ...]:
        return astuple(self)


def group_rows(live: LiveState, display_names: Mapping[str, str] | None = None
               ) -> list[GroupRow]:
    """Every (group, profile) row of the live account, groups in live order. Display names come
    from ``display_names`` (profile ident -> name) when given, else from the live state's."""
    groups = {g.name: g for g in live.of_kind(Kind.PROFILE_GROUP)}
    names = dict(live.display_names if display_names is None else display_names)
    rows: list[GroupRow] = []
    for group in groups.values():
        for profile, chain in _members(group, groups):
            rows.append(_row(live, names, group, profile, chain))
    return rows


def _members(group: Resource, groups: dict[str, Resource]) -> list[tuple[str, tuple[str, ...]]]:
    """(profile name, chain of nested groups) for every profile of ``group``, breadth first."""
    found: dict[str, tuple[str, tuple[str, ...]]] = {}
    queue: deque[tuple[Resource, tuple[str, ...]]] = deque([(group, ())])
    seen = {group.name}
    while queue:
        current, chain = queue.popleft()
        for profile in current.fields.get("profiles") or ():
            found.setdefault(ResourceKey.of(Kind.PROFILE, profile).ident, (profile, chain))
        for name in current.fields.get("groups") or ():
            nested = groups.get(name)
            if nested is None or name in seen:
                log.debug("group %s: nested group %s skipped (unknown or already walked)",
                          group.name, name)
                continue
            seen.add(name)
            queue.append((nested, (*chain, name)))
    return list(found.values())


def _row(live: LiveState, names: Mapping[str, str], group: Resource, member: str,
         chain: tuple[str, ...]) -> GroupRow:
    profile = live.find(ResourceKey.of(Kind.PROFILE, member))
    name = profile.name if profile is not None else member
    service_id = _service_id(profile) if profile is not None else member.partition("/")[2]
    display = names.get(ResourceKey.of(Kind.PROFILE, name).ident, "")
    return GroupRow(group.id or "", group.name, name, service_id, display,
                    VIA_SEPARATOR.join(chain))


def _service_id(profile: Resource) -> str:
    """The platform's service id of a live profile (its id is ``api_type/service_id``)."""
    if profile.id:
        return profile.id.partition("/")[2] or profile.id
    return profile.name.partition("/")[2]


def write_csv(rows: Iterable[GroupRow], path: str | Path) -> None:
    """The rows as CSV (UTF-8, comma separated, ``HEADER`` first)."""
    handle = io.StringIO(newline="")
    writer = csv.writer(handle)
    writer.writerow(HEADER)
    writer.writerows(tuple(inert_cell(cell) for cell in row.cells()) for row in rows)
    write_text(Path(path), handle.getvalue())


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(text: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula: a name that starts like one (``=``,
    ``+``, ``-``, ``@``) gets a leading ``'``, which spreadsheets show as text."""
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def write_xlsx(rows: Sequence[GroupRow], path: str | Path) -> None:
    """The rows as one XLSX sheet: ``HEADER`` frozen on row 1, columns as wide as their longest
    cell. Cells are text, so ids keep their exact digits."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Profile groups"
    sheet.append(list(HEADER))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row.cells()))
        for cell in sheet[sheet.max_row]:
            cell.data_type = "s"  # text, never a formula (openpyxl reads "=..." as one)
    sheet.freeze_panes = "A2"
    for index, width in enumerate(column_widths(rows), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    data = io.BytesIO()
    book.save(data)
    write_bytes(Path(path), data.getvalue())


def column_widths(rows: Sequence[GroupRow]) -> list[int]:
    """Per column, the length of its longest cell (header included) plus 2 for padding."""
    table = [HEADER, *(row.cells() for row in rows)]
    return [max(len(line[i]) for line in table) + 2 for i in range(len(HEADER))]
