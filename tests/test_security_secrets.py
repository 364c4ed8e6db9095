"""No secret ever leaves scsync: distinctive tokens are planted in a platform served by
``scsync emulator serve`` on loopback, and every command, every output format, every file written,
the debug logs, the ``--debug`` tracebacks and the failure paths (a wrong token, an expired one,
an unreachable port, server errors, a refused write) are searched for them.

Every planted secret contains ``5ecret`` and ``PLANTED``; at the end, every token, refresh token
and client secret in the platform's database (including those minted by a refresh) is searched
for too. The emulator's ``serve`` prints its admin token by contract: that line alone is exempt.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import traceback
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from scsync.cli import main
from tests.cli_support import Emu

pytestmark = pytest.mark.http

ROOT = Path(__file__).resolve().parent.parent
SCSYNC = (sys.executable, "-m", "scsync")
TOKEN = "tok-PLANTED-5ecret-77"
REFRESH = "ref-PLANTED-5ecret-88"
CLIENT_SECRET = "cs-PLANTED-5ecret-99"
EXPIRED = "exp-PLANTED-5ecret-66"
EXPIRED_REFRESH = "xref-PLANTED-5ecret-33"
EXPIRED_AGAIN, EXPIRED_AGAIN_REFRESH = "exp3-PLANTED-5ecret-88", "xref3-PLANTED-5ecret-99"
EXPIRED_UNREFRESHED = "exp2-PLANTED-5ecret-77"  # never refreshed: its own test may run first
READ_ONLY = "ro-PLANTED-5ecret-22"
WRONG = "bad-PLANTED-5ecret-55"
BAD_REFRESH = "badref-PLANTED-5ecret-11"
MARKS = ("5ecret", "PLANTED")
ENV = {"SCSYNC_TOKEN": TOKEN, "SCSYNC_REFRESH": REFRESH, "SCSYNC_CLIENT_ID": "claralines-ci",
       "SCSYNC_CLIENT_SECRET": CLIENT_SECRET, "NO_COLOR": "1"}
PROVIDER = """provider:
  type: socialconnect
  base_url: {url}
  oauth_url: {oauth}
  account_id: 1001
  token: ${{env:SCSYNC_TOKEN}}
  refresh_token: ${{env:SCSYNC_REFRESH}}
  client_id: ${{env:SCSYNC_CLIENT_ID}}
  client_secret: ${{env:SCSYNC_CLIENT_SECRET}}
  timeout_s: 5

"""


def planted_fixture(path: Path) -> Path:
    """The ClaraLines fixture with planted secrets (and an expired and a read-only token)."""
    text = (ROOT / "examples/platform/claralines.yaml").read_text()
    text = (text.replace("demo-admin-token", TOKEN).replace("demo-admin-refresh", REFRESH)
            .replace("demo-client-secret", CLIENT_SECRET)
            .replace("demo-agent-token", "agt-PLANTED-5ecret-44"))
    extra = (f"      - {{token: {EXPIRED}, expires: 2020-01-01T00:00:00Z, "
             f"refresh_token: {EXPIRED_REFRESH}}}\n"
             f"      - {{token: {EXPIRED_AGAIN}, expires: 2020-01-01T00:00:00Z, "
             f"refresh_token: {EXPIRED_AGAIN_REFRESH}}}\n"
             f"      - {{token: {EXPIRED_UNREFRESHED}, expires: 2020-01-01T00:00:00Z}}\n"
             f"      - {{token: {READ_ONLY}, scopes: [accounts_read]}}\n")
    marker = f"refresh_token: {REFRESH}}}\n"
    assert marker in text
    path.write_text(text.replace(marker, marker + extra, 1))
    return path


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    url: str
    stderr: Path
    oauth: str


def serve(tmp: Path, name: str, *extra: str) -> Server:
    """``scsync emulator serve`` on port 0; its output goes to files (no pipe can fill up)."""
    out, err = tmp / f"{name}.out", tmp / f"{name}.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen([*SCSYNC, "emulator", "serve", "--db", str(tmp / f"{name}.db"),
                                 "--fixture", str(tmp / "fixture.yaml"), "--port", "0", *extra],
                                stdout=stdout, stderr=stderr)
    deadline = time.monotonic() + 20
    while "oauth_url: " not in out.read_text() and time.monotonic() < deadline:
        assert proc.poll() is None, err.read_text()
        time.sleep(0.05)
    lines = dict(line.split(": ", 1) for line in out.read_text().splitlines() if ": " in line)
    assert lines["token"] == TOKEN
    return Server(proc, lines["base_url"], err, lines["oauth_url"])


def account(path: Path, url: str, oauth: str) -> Path:
    """A copy of the example account whose provider is the platform at ``url``."""
    shutil.copytree(ROOT / "examples/config", path, ignore=shutil.ignore_patterns(".scsync"))
    text = (path / "scsync.yaml").read_text()
    start, end = text.index("provider:"), text.index("ownership:")
    provider = PROVIDER.format(url=url, oauth=oauth)
    (path / "scsync.yaml").write_text(text[:start] + provider + text[end:])
    return path


@dataclass
class World:
    tmp: Path
    main: Server
    faulty: Server
    config: Path
    unreachable: Path
    failing: Path
    out: Path
    unreachable_port: int


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("secrets")
    planted_fixture(tmp / "fixture.yaml")
    main_server = serve(tmp, "main")
    faulty = serve(tmp, "faulty", "--fault-error-rate", "1", "--fault-seed", "3")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    (tmp / "out").mkdir()
    yield World(tmp, main_server, faulty,
                account(tmp / "config", main_server.url, main_server.oauth),
                account(tmp / "unreachable", f"http://127.0.0.1:{closed}",
                        f"http://127.0.0.1:{closed}"),
                account(tmp / "failing", faulty.url, faulty.oauth), tmp / "out", closed)
    for server in (main_server, faulty):
        server.proc.terminate()
        server.proc.wait(10)


# -- searching ----------------------------------------------------------------------------------

def texts_of(path: Path) -> Iterator[tuple[str, str]]:
    """(name, text) of every file under ``path``; the members of zip files (xlsx) too."""
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        data = file.read_bytes()
        if zipfile.is_zipfile(file):
            with zipfile.ZipFile(file) as archive:
                for member in archive.namelist():
                    yield f"{file}!{member}", archive.read(member).decode("utf-8", "replace")
        yield str(file), data.decode("utf-8", "replace")


def assert_clean(what: str, text: str, secrets: Sequence[str] = MARKS) -> None:
    found = [s for s in secrets if s in text]
    assert not found, f"{what} shows a secret ({found}):\n{text[:3000]}"


def assert_files_clean(world: World, secrets: Sequence[str] = MARKS) -> None:
    for root in (world.out, world.config, world.unreachable, world.failing):
        for name, text in texts_of(root):
            assert_clean(name, text, secrets)


# -- running ------------------------------------------------------------------------------------

def run_in_process(args: Sequence[str], caplog: pytest.LogCaptureFixture,
                   env: dict[str, str] | None = None, debug: bool = True) -> tuple[int, str]:
    """The command through click's runner; returns its exit code and everything it showed:
    stdout, stderr, the debug log and the traceback ``--debug`` lets through."""
    caplog.clear()
    caplog.set_level(logging.DEBUG)
    result = CliRunner().invoke(main, [*(["--debug"] if debug else []), *args],
                                env={**ENV, **(env or {})})
    shown = result.output + "\n" + caplog.text
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        shown += "".join(traceback.format_exception(result.exception))
    return result.exit_code, shown


def run_subprocess(args: Sequence[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    proc = subprocess.run([*SCSYNC, "--debug", *args], capture_output=True, timeout=120,
                          env={**os.environ, **ENV, **(env or {})})
    return proc.returncode, proc.stdout.decode("utf-8", "replace") + proc.stderr.decode(
        "utf-8", "replace")


def reads(world: World) -> dict[str, list[str]]:
    c, out = str(world.config), world.out
    cases = {
        "validate": ["validate", "-C", c],
        "plan": ["plan", "-C", c, "-o", str(out / "plan.json")],
        "show": ["show", str(out / "plan.json"), "--format", "html"],
        "snapshot": ["snapshot", "-C", c, "-o", str(out / "snapshot.yaml")],
        "export": ["export", "-C", c, "-o", str(out / "export")],
        "groups csv": ["groups", "export", "-C", c, "--format", "csv", "-o", str(out / "g.csv")],
        "groups xlsx": ["groups", "export", "-C", c, "--format", "xlsx", "-o",
                        str(out / "g.xlsx")],
        "fmt": ["fmt", "-C", c, "--check"],
        "schema": ["schema"],
    }
    for fmt in ("text", "markdown", "json", "html"):
        cases[f"plan {fmt}"] = ["plan", "-C", c, "--format", fmt, "--detailed-exitcode"]
        cases[f"drift {fmt}"] = ["drift", "-C", c, "--format", fmt]
    return cases


# -- the suite (in file order: the writes come last) --------------------------------------------

READS = ["validate", "plan", "show", "snapshot", "export", "groups csv", "groups xlsx", "fmt",
         "schema", *(f"{cmd} {fmt}" for cmd in ("plan", "drift")
                     for fmt in ("text", "markdown", "json", "html"))]


@pytest.mark.parametrize("case", READS)
def test_no_secret_in_any_command_or_format(world: World, case: str,
                                            caplog: pytest.LogCaptureFixture) -> None:
    if case == "show":  # it renders the plan file that `plan -o` writes
        run_in_process(reads(world)["plan"], caplog)
    code, shown = run_in_process(reads(world)[case], caplog)
    assert code in ((0, 1) if case == "fmt" else (0, 2)), shown
    if case.startswith("plan ") or case == "plan":
        assert "to add" in shown or "No changes" in shown or '"summary"' in shown, shown
    assert_clean(case, shown)
    assert_files_clean(world)


def test_debug_logs_show_the_calls_but_no_secret(world: World,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    code, shown = run_in_process(["plan", "-C", str(world.config)], caplog)
    assert code == 0
    assert caplog.records, "nothing was logged at DEBUG"
    assert_clean("debug log", shown)


FAILURES = {
    "a wrong token": ({"SCSYNC_TOKEN": WRONG}, "config",
                      "the platform refused GET /me: no_permission: Invalid access token."),
    "an expired token, refresh refused": (
        {"SCSYNC_TOKEN": EXPIRED_UNREFRESHED, "SCSYNC_REFRESH": BAD_REFRESH}, "config",
        "the access token has expired and refreshing it failed: no_permission: Invalid refresh "
        "token.; create a new token in Social Connect"),
    "an unset variable": ({"SCSYNC_TOKEN": ""}, "config",
                          "environment variable SCSYNC_TOKEN is not set (referenced by "
                          "provider.token)"),
    "server errors": ({}, "failing", "the platform failed GET /me: internal_server_error: The "
                                     "server failed (injected fault)."),
}


# The retrying failure runs once: its backoff takes seconds.
FAILURE_RUNS = [(case, debug) for case in FAILURES for debug in (True, False)
                if debug or case != "server errors"]


@pytest.mark.parametrize(("case", "debug"), FAILURE_RUNS,
                         ids=[f"{c}-{'debug' if d else 'plain'}" for c, d in FAILURE_RUNS])
def test_no_secret_in_failed_calls(world: World, case: str, debug: bool,
                                   caplog: pytest.LogCaptureFixture) -> None:
    env, which, message = FAILURES[case]
    code, shown = run_in_process(["plan", "-C", str(getattr(world, which))], caplog, env, debug)
    assert code == 1, shown
    if debug:
        assert "Traceback" in shown and message in shown, shown
    else:
        assert f"error: {message}" in shown, shown
    assert_clean(case, shown)


def test_an_expired_token_is_refreshed_without_showing_either(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    code, shown = run_in_process(["plan", "-C", str(world.config)], caplog,
                                 {"SCSYNC_TOKEN": EXPIRED, "SCSYNC_REFRESH": EXPIRED_REFRESH})
    assert code == 0, shown
    assert_clean("refresh", shown)


SUBPROCESS = {
    "plan": ["plan", "-C", "{config}", "-o", "{out}/sub-plan.json", "--format", "markdown"],
    "drift": ["drift", "-C", "{config}", "--format", "json"],
    "snapshot": ["snapshot", "-C", "{config}", "-o", "{out}/sub-snapshot.yaml"],
    "unreachable": ["plan", "-C", "{unreachable}"],
}


@pytest.mark.parametrize("case", SUBPROCESS)
def test_no_secret_from_a_real_process(world: World, case: str) -> None:
    args = [a.format(config=world.config, out=world.out, unreachable=world.unreachable)
            for a in SUBPROCESS[case]]
    code, shown = run_subprocess(args)
    if case == "unreachable":
        port = world.unreachable_port
        assert code == 1 and f"cannot reach http://127.0.0.1:{port}: connection refused" in shown
    else:
        assert code in (0, 2), shown
    assert_clean(f"subprocess {case}", shown)
    assert_files_clean(world)


def test_a_wrong_token_from_a_real_process(world: World) -> None:
    code, shown = run_subprocess(["plan", "-C", str(world.config)], {"SCSYNC_TOKEN": WRONG})
    assert code == 1
    assert "Traceback" in shown  # --debug lets the traceback through: it too is searched
    assert_clean("subprocess wrong token", shown)


def test_a_refused_write(world: World, caplog: pytest.LogCaptureFixture) -> None:
    # an out-of-band edit: there is a write to refuse whether or not another test applied before
    Emu(world.tmp / "main.db").edit("ops@claralines.example", "user", 1,
                                    {"social_links": {"linkedin": "https://linkedin.com/in/x"}})
    code, shown = run_in_process(["apply", "-C", str(world.config), "--auto-approve"], caplog,
                                 {"SCSYNC_TOKEN": READ_ONLY})
    assert code == 1, shown
    assert_clean("refused write", shown)
    code, shown = run_subprocess(["apply", "-C", str(world.config), "--auto-approve"],
                                 {"SCSYNC_TOKEN": READ_ONLY})
    assert code == 1, shown
    assert_clean("refused write (subprocess)", shown)
    assert_files_clean(world)


def test_apply_and_a_stale_plan_file(world: World, caplog: pytest.LogCaptureFixture) -> None:
    code, shown = run_in_process(["apply", "-C", str(world.config), "--auto-approve"], caplog)
    assert code == 0, shown
    assert_clean("apply", shown)
    code, shown = run_in_process(["apply", "-C", str(world.config), str(world.out / "plan.json")],
                                 caplog)
    assert_clean("apply of a saved plan", shown)
    assert_files_clean(world)


def test_no_secret_of_the_platform_anywhere(world: World,
                                           caplog: pytest.LogCaptureFixture) -> None:
    """Every token, refresh token and client secret the platform holds now (refreshes minted
    new ones), searched for in every file written and in the emulator's own log."""
    run_in_process(["plan", "-C", str(world.config)], caplog,
                   {"SCSYNC_TOKEN": EXPIRED_AGAIN,
                    "SCSYNC_REFRESH": EXPIRED_AGAIN_REFRESH})  # a refresh of its own
    for case in ("plan", "snapshot", "export", "groups csv", "groups xlsx"):
        run_in_process(reads(world)[case], caplog)
    run_subprocess([a.format(config=world.config, out=world.out) for a in SUBPROCESS["plan"]])
    with sqlite3.connect(world.tmp / "main.db") as db:
        rows = db.execute("SELECT token, refresh_token FROM tokens").fetchall()
        rows += db.execute("SELECT client_secret, NULL FROM oauth_clients").fetchall()
    secrets = sorted({value for row in rows for value in row if value})
    written = {p.name for p in world.out.rglob("*")}
    assert {"plan.json", "snapshot.yaml", "g.csv", "g.xlsx", "sub-plan.json", "export"} <= written
    assert TOKEN in secrets and READ_ONLY in secrets and CLIENT_SECRET in secrets
    assert any(s.startswith("emu-") for s in secrets), "the refresh minted no token"
    assert_files_clean(world, secrets)
    for server in (world.main, world.faulty):
        assert_clean("the emulator's log", server.stderr.read_text(), secrets)
