"""Hostile names in every format: a topic or group name holding a newline, ESC, a bidi override,
Markdown or HTML (valid YAML, accepted by the platform), in config and live-only alike, cannot end
a line, a table row or a heading, drive a terminal, or form a heading, image, link or @mention."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from scsync.cli import main
from tests.emulator_helpers import make_fixture

# A name crafted to break each format: a newline then a heading, an image, a link, a mention, a
# table row, raw HTML, an ANSI escape, a bidi override and a line separator.
HOSTILE = ("Care\n\n# Pwned ![x](https://evil.example/p.png) [y](https://evil.example) @team"
           " | a | b |\n<img src=x onerror=alert(1)></details>\x1b[2J\u202eevil\u2028end")
LIVE_ONLY = ("Live\n## Injected heading\n- [link](https://evil.example) @octocat "
             "www.evil.example\r\n<script>alert(1)</script>\x1b]0;title\x07")
GROUP = "Group |\n| --- |\n| injected row |"


def _account(tmp_path: Path) -> Path:
    fixture = make_fixture(
        topics=[{"id": 1, "name": "Care", "services": []},
                {"id": 2, "name": LIVE_ONLY, "services": []}],
        profile_groups=[{"id": 1, "name": "EMEA", "color": "#00897b", "profiles": []},
                        {"id": 2, "name": LIVE_ONLY, "color": "#00897b", "profiles": []}])
    (tmp_path / "fixture.json").write_text(json.dumps(fixture))
    root = tmp_path / "config"
    root.mkdir()
    (root / "scsync.yaml").write_text(
        "scsync: 1\nprovider:\n  type: emulator\n  path: .scsync/platform.db\n"
        "  fixture: ../fixture.json\n  user: ops@x.example\n"
        "ownership:\n  topics: authoritative\nsafety:\n  max_delete_ratio: 1\n"
        "  max_update_ratio: 1\n")
    (root / "topics.yaml").write_text(yaml.safe_dump({"topics": {
        "Care": {"searchkeywords": "care"}, HOSTILE: {"searchkeywords": "x"}}}))
    (root / "profile_groups.yaml").write_text(yaml.safe_dump({"profile_groups": {
        "EMEA": {"color": "#00897b"}, GROUP: {"color": "#00897b"}}}))
    return root


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = _account(tmp_path_factory.mktemp("names"))
    found = {}
    for command in ("plan", "drift"):
        for fmt in ("text", "markdown", "html"):
            result = CliRunner().invoke(main, [command, "-C", str(root), "--format", fmt])
            assert result.exit_code in (0, 2), result.output
            found[f"{command}-{fmt}"] = result.stdout
    return found


CASES = [f"{c}-{f}" for c in ("plan", "drift") for f in ("text", "markdown", "html")]


@pytest.mark.parametrize("case", CASES)
def test_no_control_character_reaches_the_output(outputs: dict[str, str], case: str) -> None:
    text = outputs[case]
    assert "Pwned" in text or "Injected" in text  # the hostile names are shown...
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2028\u2029]", text)
    for line in text.splitlines():  # ...each on the line it belongs to
        assert not line.lstrip().startswith(("# Pwned", "## Injected", "| injected row"))


def _prose(markdown: str) -> str:
    """The Markdown that renders as prose: fenced blocks, code spans and <code> elements (where
    nothing forms) taken out."""
    text = re.sub(r"^(`{3,})[^\n]*\n.*?^\1$", "", markdown, flags=re.M | re.S)
    text = re.sub(r"<code>.*?</code>", "", text)
    return re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", text)


@pytest.mark.parametrize("case", ["plan-markdown", "drift-markdown"])
def test_markdown_forms_no_heading_image_link_or_mention(outputs: dict[str, str],
                                                         case: str) -> None:
    text = outputs[case]
    prose = _prose(text)
    assert not re.search(r"(?<!\\)!?(?<!\\)\[[^\]]*(?<!\\)\]\(", prose)  # no link, no image
    assert not re.search(r"@\w", prose)  # no @mention
    assert not re.search(r"https?://\w", prose) and not re.search(r"www\.\w", prose)
    tags = set(re.findall(r"</?([a-z]+)", prose))
    assert tags <= {"details", "summary", "code"}, tags
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert all(line.startswith(("#### ", "### `")) for line in headings), headings
    for line in text.splitlines():  # every table row keeps its five cells
        if line.startswith("|"):
            assert len(re.findall(r"(?<!\\)\|", line)) == 6, line


@pytest.mark.parametrize("case", ["plan-html", "drift-html"])
def test_html_keeps_its_structure(outputs: dict[str, str], case: str) -> None:
    class Tags(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tags: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.tags.append(tag)

    parser = Tags()
    parser.feed(outputs[case])
    assert "img" not in parser.tags and parser.tags.count("script") <= 1


def test_csv_and_xlsx_cells_never_run_as_formulas(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from scsync.ops.groups_export import GroupRow, write_csv, write_xlsx

    rows = [GroupRow("7", '=HYPERLINK("https://evil.example","x")', "twitter/Clara", "1",
                     "+1 555", "-> @team")]
    write_csv(rows, tmp_path / "groups.csv")
    assert (tmp_path / "groups.csv").read_text().splitlines()[1] == (
        "7,\"'=HYPERLINK(\"\"https://evil.example\"\",\"\"x\"\")\",twitter/Clara,1,'+1 555,"
        "'-> @team")
    write_xlsx(rows, tmp_path / "groups.xlsx")
    cell = load_workbook(tmp_path / "groups.xlsx").active["B2"]  # type: ignore[index]
    assert (cell.data_type, cell.value) == ("s", '=HYPERLINK("https://evil.example","x")')


def test_problems_progress_lines_and_the_ledger_escape_control_characters(tmp_path: Path) -> None:
    from scsync.errors import Location, Problem
    from scsync.plan.ledger import Step, _table
    from scsync.plan.progress import ProgressEvent, step_line

    name = "topic.Care\n\x1b[2JPwned\u202e"
    shown = "topic.Care\\n\\x1b[2JPwned\\u202e"
    assert str(Problem("bad", Location("t.yaml", 1, 1), name)) == f"t.yaml:1:1: {shown}: bad"
    event = ProgressEvent(kind="begin", index=1, total=2, action="create", address=name)
    assert step_line(event) == f"[1/2] creating {shown}"
    root = _account(tmp_path)
    (root / "topics.yaml").write_text('topics:\n  "Care\\e[2J\\nX": {searchkeywords: 7}\n')
    result = CliRunner().invoke(main, ["validate", "-C", str(root)])
    assert result.exit_code == 1 and "\x1b" not in result.output
    assert "topic.Care\\x1b[2J\\nX" in result.output
    step = Step(index=1, address=name, action="create", call=None, status="failed",  # type: ignore[arg-type]
                message="refused: \x1b[31m")
    assert _table([step])[1].split("  ")[-2:] == [shown, "refused: \\x1b[31m"]
