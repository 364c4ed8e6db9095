"""The profile group export: rows resolved through nested groups against the emulator, and the
CSV and XLSX files read back cell by cell."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import load_workbook

from scsync.ops.groups_export import (
    HEADER,
    GroupRow,
    column_widths,
    group_rows,
    write_csv,
    write_xlsx,
)
from scsync.providers.base import Account, LiveState, Me
from scsync.resources import Kind, Resource
from tests.test_ops_fixture import nested_groups, provider_for

EXPECTED = [
    ("1", "EMEA", "twitter/ClaraLines", "ClaraLines", "ClaraLines", ""),
    ("1", "EMEA", "twitter/ClaraLinesUK", "ClaraLinesUK", "ClaraLines UK", "UK"),
    ("1", "EMEA", "twitter/ClaraLinesHelp", "ClaraLinesHelp", "ClaraLines Help", "UK > London"),
    ("2", "UK", "twitter/ClaraLinesUK", "ClaraLinesUK", "ClaraLines UK", ""),
    ("2", "UK", "twitter/ClaraLinesHelp", "ClaraLinesHelp", "ClaraLines Help", "London"),
    ("2", "UK", "twitter/ClaraLines", "ClaraLines", "ClaraLines", "London"),
    ("3", "London", "twitter/ClaraLinesHelp", "ClaraLinesHelp", "ClaraLines Help", ""),
    ("3", "London", "twitter/ClaraLines", "ClaraLines", "ClaraLines", ""),
    ("4", "Messaging", "whatsapp/15551230000", "15551230000", "ClaraLines WhatsApp", ""),
    ("4", "Messaging", "livechat/ClaraLines Web", "ClaraLines Web", "ClaraLines Web", ""),
]


def _rows(tmp_path: Path) -> list[GroupRow]:
    with provider_for(tmp_path, nested_groups()) as provider:
        live = provider.read(frozenset({Kind.PROFILE_GROUP}))
        calls_before = provider.client.reads
        rows = group_rows(live)
        assert provider.client.reads == calls_before  # display names came with the one read
        return rows


def test_rows_follow_nested_groups_with_the_shortest_via_chain(tmp_path: Path) -> None:
    assert [row.cells() for row in _rows(tmp_path)] == EXPECTED


def test_csv_has_the_exact_header_and_one_row_per_group_and_profile(tmp_path: Path) -> None:
    out = tmp_path / "groups.csv"
    write_csv(_rows(tmp_path), out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ("Profile group ID,Profile group name,Profile,Profile ID,"
                        "Profile display name,Via")
    assert lines[3] == ("1,EMEA,twitter/ClaraLinesHelp,ClaraLinesHelp,ClaraLines Help,"
                        "UK > London")
    with out.open(newline="", encoding="utf-8") as handle:
        assert [tuple(r) for r in csv.reader(handle)] == [HEADER, *EXPECTED]


def test_xlsx_cells_frozen_header_and_fitted_widths(tmp_path: Path) -> None:
    rows = _rows(tmp_path)
    out = tmp_path / "groups.xlsx"
    write_xlsx(rows, out)
    sheet = load_workbook(out).active
    assert sheet is not None
    values = [tuple(cell.value or "" for cell in line) for line in sheet.iter_rows()]
    assert values == [HEADER, *EXPECTED]
    assert sheet.cell(row=1, column=1).font.bold is True
    assert sheet.freeze_panes == "A2"
    widths = [sheet.column_dimensions[letter].width for letter in "ABCDEF"]
    # Header lengths + 2, except where a cell is longer (Profile, display name, Via).
    assert widths == [18, 20, 25, 16, 22, 13]
    assert widths == column_widths(rows)


def _group(name: str, ident: str, profiles: list[str], groups: list[str]) -> Resource:
    return Resource(Kind.PROFILE_GROUP, name, {"name": name, "color": None, "profiles": profiles,
                                               "groups": groups}, id=ident)


def test_a_cycle_of_groups_is_walked_once() -> None:
    profile = Resource(Kind.PROFILE, "twitter/A", {"color": None}, id="twitter/A1")
    groups = [_group("X", "1", ["twitter/A"], ["Y"]), _group("Y", "2", [], ["X"]),
              _group("Z", "3", ["twitter/Gone"], ["Nowhere"])]
    live = LiveState(Account(1, "T"), Me(1, "o@x"), {r.key: r for r in [profile, *groups]})
    assert [row.cells() for row in group_rows(live, {"twitter/a": "A!"})] == [
        ("1", "X", "twitter/A", "A1", "A!", ""),
        ("2", "Y", "twitter/A", "A1", "A!", "X"),
        ("3", "Z", "twitter/Gone", "Gone", "", ""),
    ]
