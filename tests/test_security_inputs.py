"""Inputs that used to end in "internal error" get one clear message and exit 1: fixtures of the
wrong shape (``emulator seed`` and ``--live-snapshot`` alike), ``provider.path`` naming a
directory, credentials that cannot be sent in a header (never shown), FIFOs named as a snapshot
or plan file; and the emulator answers 400 invalid_parameter, in the API's envelope, to JSON
nested too deep or holding a lone surrogate, and to a body too large to parse."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from scsync.cli import main
from scsync.emulator import open_emulator
from tests.emulator_helpers import make_fixture


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scsync", *args], capture_output=True, text=True,
                          timeout=120, check=False, env={**os.environ, **(env or {})})


def _bad_fixture(section: str, field: str, value: object) -> dict[str, object]:
    doc = make_fixture()
    entries = doc[section]
    assert isinstance(entries, list)
    entries[0][field] = value
    return doc


BAD_FIXTURES = {
    "services a string": (("topics", "services", "twitter/Clara"),
                          "topics[0].services: must be a list"),
    "settings a list": (("profiles", "settings", ["color"]),
                        "profiles[0].settings: must be a mapping"),
    "social_links a string": (("users", "social_links", "https://x.example"),
                              "users[0].social_links: must be a mapping"),
    "a service not a mapping": (("topics", "services", ["twitter/Clara"]),
                                "topics[0].services[0]: must be a mapping"),
    "email a number": (("users", "email", 7), "users[0].email: must be a string"),
}


@pytest.mark.parametrize("case", BAD_FIXTURES)
def test_emulator_seed_names_the_bad_entry(tmp_path: Path, case: str) -> None:
    (section, field, value), message = BAD_FIXTURES[case]
    fixture = tmp_path / "fixture.json"
    fixture.write_text(json.dumps(_bad_fixture(section, field, value)))
    result = run("emulator", "seed", "--db", str(tmp_path / "db.sqlite"), "--fixture", str(fixture))
    assert (result.returncode, result.stderr) == (1, f"Error: {fixture}: {message}\n")
    assert not (tmp_path / "db.sqlite").exists()


@pytest.mark.parametrize("case", BAD_FIXTURES)
def test_a_live_snapshot_of_the_wrong_shape_names_the_bad_entry(tmp_path: Path, case: str) -> None:
    (section, field, value), message = BAD_FIXTURES[case]
    snapshot = tmp_path / "live.json"
    snapshot.write_text(json.dumps(_bad_fixture(section, field, value)))
    root = tmp_path / "config"
    root.mkdir()
    (root / "scsync.yaml").write_text("scsync: 1\nprovider: {type: emulator}\n")
    result = CliRunner().invoke(main, ["plan", "-C", str(root), "--live-snapshot", str(snapshot)])
    assert result.exit_code == 1
    assert result.output.endswith(f"{snapshot.resolve()}: {message}\n")
    assert "internal error" not in result.output


def test_a_fifo_fixture_snapshot_or_plan_file_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    seeded = run("emulator", "seed", "--db", str(tmp_path / "db.sqlite"), "--fixture", str(fifo))
    assert seeded.stderr == f"Error: {fifo}: cannot read the fixture: not a regular file\n"
    shown = run("show", str(fifo))
    assert shown.stderr == (f"error: cannot read the plan file {fifo}: not read: the file is a "
                            "FIFO (named pipe); only regular files are read\n")
    root = tmp_path / "config"
    root.mkdir()
    (root / "scsync.yaml").write_text("scsync: 1\nprovider: {type: emulator}\n")
    planned = run("plan", "-C", str(root), "--live-snapshot", str(fifo))
    assert planned.stderr.endswith(f"error: {fifo}: cannot read the snapshot: not read: the file "
                                   "is a FIFO (named pipe); only regular files are read\n")


@pytest.mark.parametrize("path", ["/", ".", "sub/"])
def test_provider_path_naming_a_directory_is_a_clear_error(tmp_path: Path, path: str) -> None:
    (tmp_path / "scsync.yaml").write_text(f"scsync: 1\nprovider:\n  type: emulator\n"
                                          f"  path: {json.dumps(path)}\n")
    result = CliRunner().invoke(main, ["plan", "-C", str(tmp_path)])
    assert (result.exit_code, result.output) == (
        1, f"error: provider.path {path!r} is a directory; name the database file (e.g. "
           ".scsync/platform.db)\n")


UNSENDABLE = {"non-ASCII": "tök€n-Secret9", "a newline": "tok\nX-Injected: 1",
              "a space": "tok Secret9", "a control character": "tok\x07Secret9"}


@pytest.mark.parametrize("case", UNSENDABLE)
def test_a_credential_that_cannot_be_sent_is_refused_unshown(tmp_path: Path, case: str) -> None:
    (tmp_path / "scsync.yaml").write_text(
        "scsync: 1\nprovider:\n  type: socialconnect\n  base_url: http://127.0.0.1:9\n"
        "  account_id: 1\n  token: ${env:SCSYNC_TEST_TOKEN}\n")
    token = UNSENDABLE[case]
    result = CliRunner().invoke(main, ["plan", "-C", str(tmp_path)],
                                env={"SCSYNC_TEST_TOKEN": token})
    assert (result.exit_code, result.output) == (
        1, "error: provider.token holds a character that cannot be sent in an HTTP header (a "
           "space, a control character or a non-ASCII letter); check the value it is set to (it "
           "is not shown)\n")
    assert "ö" not in result.output and "Secret9" not in result.output


@pytest.fixture
def api() -> httpx.Client:
    emulator = open_emulator(":memory:", fixture=make_fixture())
    return httpx.Client(transport=httpx.WSGITransport(app=emulator.wsgi),
                        base_url="http://emulator.local",
                        headers={"Authorization": "Bearer admin-token"})


@pytest.mark.parametrize(("value", "message"), [
    ('{"name": ' + "1" * 5000 + "}", "topic is not valid JSON: a number is out of range (64-bit "
                                     "integers only)"),
    ('{"name": "x", "project_id": 99999999999999999999}', "topic is not valid JSON: a number is "
                                                         "out of range (64-bit integers only)"),
    ('{"name": NaN}', "topic is not valid JSON: NaN is not a JSON value"),
])
def test_numbers_json_or_sqlite_cannot_hold_are_400(api: httpx.Client, value: str,
                                                    message: str) -> None:
    response = api.post("/1001/settings/topics", data={"topic": value})
    assert (response.status_code, response.json()["error_description"]) == (400, message)


def test_an_id_sqlite_cannot_hold_is_404(api: httpx.Client) -> None:
    response = api.get("/1001/settings/topic/99999999999999999999999")
    assert (response.status_code, response.json()["error"]) == (404, "not_found")


@pytest.mark.parametrize(("value", "message"), [
    ("[" * 100_000 + "]" * 100_000, "topic is nested too deeply"),
    ("[" * 1_000_000 + "]" * 1_000_000, "the request body is over 1024 KiB"),
    ('{"name": "\\ud800"}', "topic holds a lone surrogate escape (\\uD800-\\uDFFF alone): not "
                            "valid Unicode"),
    ('{"name": "a\\udfffb"}', "topic holds a lone surrogate escape (\\uD800-\\uDFFF alone): not "
                              "valid Unicode"),
])
def test_the_emulator_answers_400_in_its_envelope(api: httpx.Client, value: str,
                                                  message: str) -> None:
    response = api.post("/1001/settings/topics", data={"topic": value})
    assert response.status_code == 400
    assert response.json() == {"code": 400, "error": "invalid_parameter",
                               "error_description": message}
    calls = api.get("/_emulator/calls")
    assert calls.status_code == 200 and calls.json()[-1]["status"] == 400
