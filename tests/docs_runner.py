"""Executes the shell examples of the documentation (``tests/test_docs.py``).

Every fenced ```` ```console ```` block of a Markdown file holds commands and, optionally, their
output, as a terminal shows them:

- ``$ COMMAND`` starts a command; following lines that start with ``> `` continue it (a heredoc,
  a long command); the command runs in ``bash`` exactly as written.
- A trailing comment on the ``$`` line annotates it: ``# exit N`` (the expected exit code, 0 when
  absent) or ``# background`` (a server: started, its shown output awaited, stopped at the end).
- The lines after a command, up to the next ``$``, are its shown output: each must appear in the
  command's output (stdout and stderr as a terminal interleaves them), in that order; a line
  ``...`` stands for any lines left out, and a line ending in ``...`` for any line it begins
  (``base_url: http://127.0.0.1:...``: a port chosen at run time).
- ``cd DIR`` and ``export NAME=VALUE`` / ``unset NAME`` change the state later commands run in;
  VALUE is expanded by the shell (``export URL=$(sed -n 's/^url: //p' server.log)``).

A file's commands run in order in a fresh directory holding a copy of ``examples/`` (without any
emulator database), so the documentation can start with ``cd examples``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ELLIPSIS = "..."
_FENCE = re.compile(r"^(\s*)```+\s*(\S*)\s*$")
_ANNOTATION = re.compile(r"\s+#\s*(exit\s+(?P<code>\d+)|(?P<background>background))\s*$")
_EXPORT = re.compile(r"^export\s+([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
COMMAND_TIMEOUT_S = 60.0
SERVER_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class Command:
    """One ``$`` command of a console block and what the document says it does."""

    source: str
    line: int
    text: str
    exit_code: int = 0
    background: bool = False
    expected: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}"


@dataclass
class _Draft:
    line: int
    first: str
    more: list[str] = field(default_factory=list)
    output: list[str] = field(default_factory=list)

    def finish(self, source: str) -> Command:
        match = _ANNOTATION.search(self.first)
        code = int(match.group("code")) if match and match.group("code") else 0
        background = bool(match and match.group("background"))
        text = "\n".join([self.first, *self.more])
        while self.output and not self.output[-1].strip():
            self.output.pop()
        return Command(source, self.line, text, code, background, tuple(self.output))


def console_blocks(markdown: str) -> Iterator[tuple[int, list[str]]]:
    """(first line number, lines) of every ```console block, fences excluded."""
    inside: list[str] | None = None
    start, indent = 0, ""
    for number, line in enumerate(markdown.splitlines(), start=1):
        fence = _FENCE.match(line)
        if inside is None and fence and fence.group(2) == "console":
            inside, start, indent = [], number + 1, fence.group(1)
        elif inside is not None and fence and not fence.group(2):
            yield start, inside
            inside = None
        elif inside is not None:
            inside.append(line[len(indent):] if line.startswith(indent) else line)


def extract(markdown: str, source: str) -> list[Command]:
    """Every command of every console block of ``markdown``, in document order."""
    commands: list[Command] = []
    for start, lines in console_blocks(markdown):
        draft: _Draft | None = None
        for offset, line in enumerate(lines):
            if line.startswith("$ "):
                if draft is not None:
                    commands.append(draft.finish(source))
                draft = _Draft(start + offset, line[2:])
            elif draft is not None and line.startswith("> ") and not draft.output:
                draft.more.append(line[2:])
            elif draft is not None:
                draft.output.append(line.rstrip())
        if draft is not None:
            commands.append(draft.finish(source))
    return commands


def missing_output(expected: Sequence[str], output: str) -> str | None:
    """The first shown line that the output lacks (in order), or None when all are there."""
    lines = [line.rstrip() for line in output.splitlines()]
    position = 0
    for wanted in expected:
        if wanted == ELLIPSIS or not wanted.strip():
            continue
        found = next((index for index in range(position, len(lines))
                      if _shows(wanted.rstrip(), lines[index])), None)
        if found is None:
            return wanted
        position = found + 1
    return None


def _shows(wanted: str, line: str) -> bool:
    if wanted.endswith(ELLIPSIS):
        return line.startswith(wanted[:-len(ELLIPSIS)])
    return line == wanted


class Session:
    """The shell state of one document: working directory, environment, background servers."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cwd = root
        bin_dir = str(Path(sys.executable).parent)
        base = {k: v for k, v in os.environ.items() if not k.startswith("SCSYNC_")}
        self.env = {**base, "PATH": f"{bin_dir}{os.pathsep}{base.get('PATH', '')}",
                    "NO_COLOR": "1", "PYTHONUNBUFFERED": "1", "COLUMNS": "100"}
        self.servers: list[subprocess.Popen[str]] = []

    @classmethod
    def with_examples(cls, root: Path) -> Session:
        """A session in ``root`` holding a fresh copy of the repository's ``examples/``."""
        shutil.copytree(REPO / "examples", root / "examples",
                        ignore=shutil.ignore_patterns(".scsync", "*.db", "*.db-*"))
        return cls(root)

    def run(self, command: Command) -> tuple[int, str]:
        """Runs ``command``; returns its exit code and its output (stdout and stderr)."""
        if self._builtin(command.text):
            return 0, ""
        if command.background:
            return self._start(command)
        done = subprocess.run(["bash", "-c", command.text], cwd=self.cwd, env=self.env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=COMMAND_TIMEOUT_S, check=False)
        return done.returncode, done.stdout

    def _builtin(self, text: str) -> bool:
        if "\n" in text:
            return False
        try:
            words = shlex.split(text, comments=True)
        except ValueError:
            return False
        if len(words) == 2 and words[0] == "cd":
            self.cwd = (self.cwd / words[1]).resolve()
            return True
        if len(words) == 2 and words[0] == "unset":
            self.env.pop(words[1], None)
            return True
        export = _EXPORT.match(text.strip())
        if export:
            name = export.group(1)
            expanded = subprocess.run(["bash", "-c", f'{text}\nprintf %s "${name}"'],
                                      cwd=self.cwd, env=self.env, stdout=subprocess.PIPE,
                                      text=True, timeout=COMMAND_TIMEOUT_S, check=False)
            self.env[name] = expanded.stdout
            return True
        return False

    def _start(self, command: Command) -> tuple[int, str]:
        """Starts a server; returns once its shown output appeared (or it exited / timed out)."""
        text = _ANNOTATION.sub("", command.text.splitlines()[0])
        server = subprocess.Popen(["bash", "-c", f"exec {text}"], cwd=self.cwd, env=self.env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  start_new_session=True)  # a pipeline's processes stop together
        self.servers.append(server)
        assert server.stdout is not None
        seen: list[str] = []
        deadline = time.monotonic() + SERVER_TIMEOUT_S
        while time.monotonic() < deadline and missing_output(command.expected, "".join(seen)):
            line = server.stdout.readline()
            if not line:
                return server.wait(), "".join(seen)
            seen.append(line)
        return 0, "".join(seen)

    def close(self) -> None:
        """Stops the servers this session started."""
        for server in self.servers:
            _signal_group(server, signal.SIGTERM)
            try:
                server.wait(timeout=5)
            except subprocess.TimeoutExpired:
                _signal_group(server, signal.SIGKILL)
                server.wait()
            if server.stdout is not None:
                server.stdout.close()
        self.servers.clear()


def _signal_group(server: subprocess.Popen[str], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signum)


def check(session: Session, command: Command) -> str | None:
    """Runs one command; returns why it disagrees with the document, or None."""
    code, output = session.run(command)
    if code != command.exit_code:
        return (f"{command.where}: `{command.text}` exited {code}, the document says "
                f"{command.exit_code}; output:\n{output}")
    absent = missing_output(command.expected, output)
    if absent is not None:
        return (f"{command.where}: `{command.text}`: shown line {absent!r} is not in the output "
                f"(in order); output:\n{output}")
    return None
