"""``scsync validate`` and ``scsync schema`` through click, the error boundary, and secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from scsync import engine
from scsync.cli import main
from scsync.config.secrets import is_reference, resolve
from scsync.errors import SecretError

EXAMPLE = Path(__file__).parent.parent / "examples" / "config"


def test_validate_example() -> None:
    result = CliRunner().invoke(main, ["validate", "-C", str(EXAMPLE)])
    assert result.exit_code == 0
    assert result.stdout == ("Configuration is valid: 8 profiles, 3 topics, 4 profile groups, "
                             "3 users.\n")
    assert result.stderr == ""


def test_validate_several_accounts(tmp_path: Path) -> None:
    (tmp_path / "scsync.yaml").write_text("scsync: 1\nprovider: {type: emulator}\n")
    (tmp_path / "t.yaml").write_text("topics:\n  Care: {}\n")
    result = CliRunner().invoke(main, ["validate", "-C", str(EXAMPLE), "-C", str(tmp_path)])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"{EXAMPLE}: Configuration is valid: 8 profiles, 3 topics, 4 profile groups, 3 users.",
        f"{tmp_path}: Configuration is valid: 0 profiles, 1 topic, 0 profile groups, 0 users."]


def test_validate_needs_no_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCSYNC_TOKEN", raising=False)
    (tmp_path / "scsync.yaml").write_text(
        "scsync: 1\nprovider:\n  type: socialconnect\n  account_id: 1\n"
        "  token: ${env:SCSYNC_TOKEN}\n")
    result = CliRunner().invoke(main, ["validate", "-C", str(tmp_path)])
    assert (result.exit_code, result.stderr) == (0, "")


def test_missing_directory_is_an_error_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", "-C", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert result.stderr == f"error: {tmp_path / 'nope'} is not a directory\n"


def test_internal_error_is_one_line_without_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise KeyError("surprise")

    monkeypatch.setattr(engine, "validate", boom)
    result = CliRunner().invoke(main, ["validate", "-C", str(EXAMPLE)])
    assert result.exit_code == 1
    assert result.stderr == "error: internal error: KeyError: 'surprise'; re-run with --debug\n"
    debug = CliRunner().invoke(main, ["--debug", "validate", "-C", str(EXAMPLE)])
    assert isinstance(debug.exception, KeyError)


def test_schema_command_prints_the_committed_schema() -> None:
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    committed = Path(__file__).parent.parent / "schemas" / "scsync.schema.json"
    assert result.stdout == committed.read_text(encoding="utf-8")


def test_resolve_references() -> None:
    assert is_reference("${env:SCSYNC_TOKEN}")
    assert not is_reference("plain") and not is_reference("x${env:A}")
    assert resolve("${env:SCSYNC_TOKEN}", {"SCSYNC_TOKEN": "t0k"}) == "t0k"
    with pytest.raises(SecretError) as caught:
        resolve("${env:SCSYNC_TOKEN}", {}, where="provider.token")
    assert str(caught.value) == ("environment variable SCSYNC_TOKEN is not set (referenced by "
                                 "provider.token)")
