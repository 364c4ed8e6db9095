"""Shared fixtures of the CLI-level tests (tests/test_cli_*.py): a temporary copy of ``examples/``
whose embedded emulator database is a copy of one seeded once per session, commands run through
click's ``CliRunner`` (stdout and stderr apart) or as real subprocesses, the emulator's
``/_emulator/`` controls, and ``scsync emulator serve`` subprocesses for the ``socialconnect``
provider (expired, non-admin and planted tokens)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from scsync.cli import main
from scsync.emulator import open_emulator

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CLARALINES = EXAMPLES / "platform" / "claralines.yaml"
SCSYNC = (sys.executable, "-m", "scsync")  # the interpreter running the tests, any venv
DB_PATH = Path(".scsync") / "platform.db"

PLANTED_TOKEN = "tok-PLANTED-4f9c2e71b8"  # the admin token of the served fixture
PLANTED_REFRESH = "ref-PLANTED-a1b2c3d4e5"
EXPIRED_TOKEN = "tok-EXPIRED-0d9e8f7a6b"
AGENT_TOKEN = "demo-agent-token"


def run_cli(args: Sequence[str], *, env: Mapping[str, str | None] | None = None,
            input: str | None = None) -> Result:
    """``scsync ARGS`` in-process; ``result.stdout`` and ``result.stderr`` are kept apart."""
    return CliRunner().invoke(main, list(args), env=dict(env or {}), input=input,
                              catch_exceptions=True)


def run_process(args: Sequence[str], *, cwd: Path | None = None,
                env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``scsync ARGS`` as a subprocess (``python -m scsync`` with the tests' interpreter)."""
    head = list(SCSYNC)
    full_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    full_env.update(env or {})
    return subprocess.run([*head, *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=60, check=False)


class Emu:
    """The ``/_emulator/`` controls of one database, through the in-process WSGI app."""

    def __init__(self, db: Path) -> None:
        self.db = db

    def control(self, method: str, name: str, body: Any = None) -> Any:
        emulator = open_emulator(self.db)
        try:
            with httpx.Client(transport=httpx.WSGITransport(app=emulator.wsgi),
                              base_url="http://emulator.local") as client:
                response = client.request(method, f"/_emulator/{name}", json=body)
        finally:
            emulator.close()
        assert response.status_code == 200, response.text
        return response.json()

    def calls(self) -> list[dict[str, Any]]:
        return list(self.control("GET", "calls"))

    def writes(self) -> list[tuple[str, str]]:
        return [(c["method"], c["path"]) for c in self.calls() if c["method"] != "GET"]

    def clear_calls(self) -> None:
        self.control("DELETE", "calls")

    def edit(self, user: str, kind: str, ident: Any, updates: Mapping[str, Any]) -> Any:
        return self.control("POST", "edit", {"user": user, "object": {"type": kind, "id": ident},
                                             "updates": dict(updates)})

    def expire(self, network: str, service_id: str) -> Any:
        return self.control("POST", "expire", {"type": network, "service_id": service_id})

    def state(self) -> Any:
        return self.control("GET", "state")


@dataclass
class Account:
    """A tmp copy of ``examples/``: ``root`` is its ``config/`` (the ``-C`` directory)."""

    base: Path
    root: Path
    emu: Emu

    def cli(self, *args: str, env: Mapping[str, str | None] | None = None,
            input: str | None = None) -> Result:
        return run_cli(args, env=env, input=input)

    def replace(self, relpath: str, old: str, new: str) -> None:
        path = self.root / relpath
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} is not in {relpath}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def append(self, relpath: str, text: str) -> None:
        with (self.root / relpath).open("a", encoding="utf-8") as file:
            file.write(text)


def make_account(base: Path, seeded: Path) -> Account:
    """Copy ``examples/`` under ``base`` with a fresh copy of the seeded database."""
    shutil.copytree(EXAMPLES, base, ignore=shutil.ignore_patterns(".scsync", "*.db*"))
    root = base / "config"
    (root / DB_PATH).parent.mkdir(parents=True)
    shutil.copy(seeded, root / DB_PATH)
    return Account(base, root, Emu(root / DB_PATH))


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ClaraLines fixture seeded once per session (copied per test, never used in place)."""
    db = tmp_path_factory.mktemp("seeded") / "platform.db"
    open_emulator(db, fixture=CLARALINES).close()
    return db


@pytest.fixture
def account(tmp_path: Path, seeded_db: Path) -> Account:
    return make_account(tmp_path / "examples", seeded_db)


# -- the socialconnect provider against `scsync emulator serve` ------------------------------

ADMIN_TOKEN_LINE = ("      - {token: demo-admin-token, scopes: [accounts_read, accounts_write], "
                    "refresh_token: demo-admin-refresh}\n")


def served_fixture() -> str:
    """ClaraLines with a planted admin token (first: the one ``serve`` prints) and refresh
    token, and an expired token (a text edit, so the fixture's dates stay as written)."""
    text = CLARALINES.read_text(encoding="utf-8")
    assert ADMIN_TOKEN_LINE in text
    planted = (f"      - {{token: {PLANTED_TOKEN}, scopes: [accounts_read, accounts_write], "
               f"refresh_token: {PLANTED_REFRESH}}}\n"
               f"      - {{token: {EXPIRED_TOKEN}, expires: 2020-01-01T00:00:00Z}}\n")
    return text.replace(ADMIN_TOKEN_LINE, planted)


SOCIALCONNECT_SETTINGS = """\
scsync: 1
provider:
  type: socialconnect
  base_url: {url}
  account_id: 1001
  token: ${{env:SCSYNC_TOKEN}}
ownership:
  topics: authoritative
  profile_groups: authoritative
protect: [topic.ClaraLines Care, profile_group.EMEA]
vars:
  regions: [UK, DE]
"""


@dataclass
class Served:
    """A ``scsync emulator serve`` subprocess and a config dir that targets it."""

    process: subprocess.Popen[str]
    url: str
    printed_token: str
    root: Path
    emu: Emu


def start_served(base: Path) -> Served:
    fixture = base / "fixture.yaml"
    fixture.write_text(served_fixture(), encoding="utf-8")
    db = base / "served.db"
    process = subprocess.Popen([*SCSYNC, "emulator", "serve", "--db", str(db), "--fixture",
                                str(fixture)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, cwd=base)
    assert process.stdout is not None
    first, second = process.stdout.readline(), process.stdout.readline()
    if not first.startswith("base_url: "):
        process.kill()
        raise AssertionError(f"serve printed {first!r}: {process.communicate()[1]}")
    url = first.split(": ", 1)[1].strip()
    shutil.copytree(EXAMPLES / "config", base / "config")
    (base / "config" / "scsync.yaml").write_text(SOCIALCONNECT_SETTINGS.format(url=url),
                                                 encoding="utf-8")
    return Served(process, url, second.split(": ", 1)[1].strip(), base / "config", Emu(db))


def stop_served(served: Served) -> None:
    served.process.terminate()
    served.process.communicate(timeout=10)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    server = start_served(tmp_path_factory.mktemp("served"))
    yield server
    stop_served(server)


def no_ansi(text: str) -> bool:
    return "\x1b[" not in text


def run_tty(args: Sequence[str], *, env: Mapping[str, str] | None = None,
            answer: str | None = None) -> tuple[int, str]:
    """``scsync ARGS`` with stdin, stdout and stderr on a pseudo-terminal; ``answer`` is typed
    when the approval question appears. Returns the exit code and everything shown."""
    import pty

    master, slave = pty.openpty()
    full_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    full_env.update({"TERM": "xterm", **(env or {})})
    process = subprocess.Popen([*SCSYNC, *args], stdin=slave, stdout=slave, stderr=slave,
                               env=full_env, close_fds=True)
    os.close(slave)
    shown = _read_pty(master, answer)
    os.close(master)
    return process.wait(timeout=60), shown.decode("utf-8", "replace")


def _read_pty(master: int, answer: str | None) -> bytes:
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            return shown
        if not chunk:
            return shown
        shown += chunk
        if answer is not None and b"Enter a value:" in shown:
            os.write(master, answer.encode() + b"\n")
            answer = None


def screen(shown: str) -> list[str]:
    """What a terminal shows after ``shown``: the lines, with ``\\r``, erase-line and cursor-up
    applied (the escapes click's bar and the console use)."""
    lines, row, col = [""], 0, 0
    for token in re.findall(r"\x1b\[[0-9;?]*[A-Za-z]|\r|\n|[^\x1b\r\n]+", shown):
        if token == "\n":
            row, col = row + 1, 0
            lines.extend([""] * (row + 1 - len(lines)))
        elif token == "\r":
            col = 0
        elif token == "\x1b[2K":
            lines[row] = ""
        elif re.fullmatch(r"\x1b\[\d*A", token):
            row = max(0, row - int(token[2:-1] or 1))
        elif not token.startswith("\x1b"):
            current = lines[row].ljust(col)
            lines[row] = current[:col] + token + current[col + len(token):]
            col += len(token)
    return [line.rstrip() for line in lines]
