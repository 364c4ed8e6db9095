"""Every shell example of the documentation runs: each ``$`` command of the ```console blocks of
``docs/*.md`` and ``README.md`` is executed in order (in a fresh copy of ``examples/``, so with a
fresh emulator database) and must exit as the document says and print the lines it shows.
The runner itself (``docs_runner``) is tested first, on small documents."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.docs_runner import REPO, Command, Session, check, extract, missing_output

DOCUMENTS = sorted((REPO / "docs").glob("*.md")) + [REPO / "README.md"]
SAMPLE = """\
Intro.

```console
$ echo one  # exit 0
one
$ printf 'a\\nb\\n'; exit 3  # exit 3
a
...
$ cat <<'EOF'
> x
> EOF
x
```

```sh
$ not-a-console-block
```
"""


@pytest.fixture()
def session(tmp_path: Path) -> Iterator[Session]:
    opened = Session.with_examples(tmp_path)
    yield opened
    opened.close()


def test_extract_reads_commands_annotations_continuations_and_output() -> None:
    commands = extract(SAMPLE, "sample.md")
    assert commands == [
        Command("sample.md", 4, "echo one  # exit 0", 0, False, ("one",)),
        Command("sample.md", 6, "printf 'a\\nb\\n'; exit 3  # exit 3", 3, False, ("a", "...")),
        Command("sample.md", 9, "cat <<'EOF'\nx\nEOF", 0, False, ("x",)),
    ]


def test_extract_reads_background_servers() -> None:
    text = "```console\n$ serve --port 1  # background\nbase_url: x\n```\n"
    assert extract(text, "s.md") == [Command("s.md", 2, "serve --port 1  # background", 0, True,
                                              ("base_url: x",))]


def test_missing_output_wants_every_shown_line_in_order() -> None:
    assert missing_output(["a", "...", "c"], "a\nb\nc\n") is None
    assert missing_output(["c", "a"], "a\nb\nc\n") == "a"
    assert missing_output(["b "], "a\nb\n") is None
    assert missing_output(["  b"], "a\nb\n") == "  b"


def test_runner_reports_a_wrong_exit_code_and_a_missing_line(session: Session) -> None:
    commands = extract(SAMPLE, "sample.md")
    assert [check(session, c) for c in commands] == [None, None, None]
    wrong = Command("d.md", 7, "exit 2", 0)
    assert check(session, wrong) == "d.md:7: `exit 2` exited 2, the document says 0; output:\n"
    absent = Command("d.md", 8, "echo hello", 0, False, ("bye",))
    assert check(session, absent) == (
        "d.md:8: `echo hello`: shown line 'bye' is not in the output (in order); output:\nhello\n")


def test_runner_keeps_cd_and_export_between_commands(session: Session) -> None:
    steps = [Command("d.md", 1, "cd examples"), Command("d.md", 2, "export GREETING='hi there'"),
             Command("d.md", 3, 'echo "$GREETING" && ls', 0, False, ("hi there", "config"))]
    assert [check(session, c) for c in steps] == [None, None, None]


def test_the_guide_shows_the_whole_workflow() -> None:
    commands = extract((REPO / "docs" / "guide.md").read_text(encoding="utf-8"), "docs/guide.md")
    shown = " ".join(c.text for c in commands)
    for sub in ("validate", "plan", "apply", "drift", "snapshot", "export", "fmt", "schema",
                "groups export", "emulator serve", "emulator seed"):
        assert f"scsync {sub}" in shown, sub
    assert {c.exit_code for c in commands} >= {0, 1, 2, 3}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("document", DOCUMENTS, ids=[d.name for d in DOCUMENTS])
def test_every_command_of_the_document_runs_as_shown(document: Path, session: Session) -> None:
    commands = extract(document.read_text(encoding="utf-8"), str(document.relative_to(REPO)))
    for command in commands:
        problem = check(session, command)
        assert problem is None, problem
