"""Files a pull request can plant cannot be turned against the user: reads take only regular files
inside the repository and within size caps (a FIFO, a device, a symlink out, a huge file: one
located error, promptly); writes (fmt, export, snapshot, groups export, plan -o) are atomic, keep
the file's mode, and never follow a symlink or leave their directory; fmt and export refuse a
directory that is not an account."""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from scsync.cli import main
from scsync.config.cache import cached_load
from scsync.errors import ConfigError, ScsyncError
from scsync.ops.export import export_config
from scsync.ops.fmt import format_tree
from scsync.safefiles import ReadRefused, WriteRefused, read_bytes, write_text
from tests.test_ops_fixture import provider_for

FULL = os.environ.get("SCSYNC_SOAK_FULL") == "1"
SETTINGS = "scsync: 1\nprovider: {type: emulator}\n"
UNFORMATTED = "topics:\n  Care:\n    searchkeywords: \"care\"\n"
OUTSIDE_TEXT = "root:x:0:0:root:/root:/bin/bash\nsecret-line-7f3e: do-not-show\n"


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Path]:
    """A repository (``.git``) holding an account ``config/``; beside the repository, a file
    the account must never read nor write."""
    (tmp_path / "outside.yaml").write_text(OUTSIDE_TEXT)
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    account = root / "config"
    account.mkdir()
    (account / "scsync.yaml").write_text(SETTINGS)
    yield account


def in_account(root: Path, *args: str) -> Result:
    """``scsync ARGS -C .`` run from inside ``root``: messages name its files as a user there
    sees them (``passwd.yaml:1:1``)."""
    with contextlib.chdir(root):
        return CliRunner().invoke(main, [*args, "-C", "."])


def validate(root: Path) -> tuple[int, str]:
    result = in_account(root, "validate")
    return result.exit_code, result.output


def run(*args: str, timeout: float = 60, env: dict[str, str] | None = None,
        cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scsync", *args], capture_output=True,
                          text=True, timeout=timeout, check=False, cwd=cwd,
                          env={**os.environ, **(env or {})})


# -- reads -----------------------------------------------------------------------------------------

def test_a_symlink_out_of_the_repository_is_not_read(repo: Path) -> None:
    (repo / "passwd.yaml").symlink_to(repo.parent.parent / "outside.yaml")
    code, output = validate(repo)
    assert (code, output) == (1, "passwd.yaml:1:1: not read: the file is a symlink to a file "
                                 "outside the repository\n")
    assert "secret-line" not in output and "root:" not in output


def test_a_symlink_inside_the_repository_is_read(repo: Path) -> None:
    (repo.parent / "shared.yaml").write_text("topics:\n  Care: {searchkeywords: care}\n")
    (repo / "topics.yaml").symlink_to(repo.parent / "shared.yaml")
    assert validate(repo)[0] == 0


def test_without_git_the_config_directory_is_the_boundary(tmp_path: Path) -> None:
    (tmp_path / "shared.yaml").write_text("topics: {}\n")
    root = tmp_path / "config"
    root.mkdir()
    (root / "scsync.yaml").write_text(SETTINGS)
    (root / "topics.yaml").symlink_to(tmp_path / "shared.yaml")
    code, output = validate(root)
    assert code == 1 and output.startswith("topics.yaml:1:1: not read: the file is a symlink")


def test_a_symlink_loop_is_an_error_for_validate_and_fmt(repo: Path) -> None:
    (repo / "a.yaml").symlink_to("b.yaml")
    (repo / "b.yaml").symlink_to("a.yaml")
    expected = ("error: cannot read a.yaml: Too many levels of symbolic links\n"
                "error: cannot read b.yaml: Too many levels of symbolic links\n")
    assert validate(repo) == (1, expected)
    result = in_account(repo, "fmt")
    assert (result.exit_code, result.output) == (1, expected)


def test_a_fifo_is_a_located_error_not_a_hang(repo: Path) -> None:
    os.mkfifo(repo / "x.yaml")
    result = run("validate", "-C", ".", cwd=repo)  # no writer ever opens the FIFO
    assert result.returncode == 1
    assert result.stderr == ("x.yaml:1:1: not read: the file is a FIFO (named pipe); only regular "
                             "files are read\n")


def test_a_socket_is_a_located_error(repo: Path) -> None:
    import socket

    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(repo / "s.yaml"))
        assert validate(repo) == (1, "s.yaml:1:1: not read: the file is a socket; only regular "
                                     "files are read\n")


def test_a_fifo_planted_as_the_config_cache_is_skipped(repo: Path) -> None:
    (repo / ".scsync" / "cache").mkdir(parents=True)
    os.mkfifo(repo / ".scsync" / "cache" / "config.cache")
    config = cached_load(repo)  # returns: the cache entry is not read
    assert config.desired == {}


def test_devices_are_refused_before_reading() -> None:
    for device in ("/dev/zero", "/dev/urandom"):
        with pytest.raises(ReadRefused, match="the file is a device; only regular files"):
            read_bytes(Path(device))


def test_a_file_over_the_cap_is_refused_before_it_is_read(repo: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    size_mb = 50 if FULL else 2
    if not FULL:
        monkeypatch.setenv("SCSYNC_MAX_FILE_MB", "1")
    with (repo / "big.yaml").open("w") as handle:
        handle.write("unknown:\n")
        handle.truncate(size_mb * 1024 * 1024)
    code, output = validate(repo)
    cap = 1 if not FULL else 4
    assert (code, output) == (1, f"big.yaml:1:1: not read: the file is {size_mb} MiB, over the "
                                 f"{cap} MiB cap (set SCSYNC_MAX_FILE_MB to a larger number of "
                                 "MiB to allow it)\n")


def test_the_whole_config_has_a_cap(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCSYNC_MAX_CONFIG_MB", "1")
    for name in ("a.yaml", "b.yaml", "c.yaml"):
        (repo / name).write_text("topics: {}\n" + "# padding\n" * 60_000)
    code, output = validate(repo)
    assert (code, output) == (1, "b.yaml:1:1: not read: the config (all files together) is 1.1 "
                                 "MiB, over the 1 MiB cap (set SCSYNC_MAX_CONFIG_MB to a larger "
                                 "number of MiB to allow it)\n")


def test_a_file_of_too_many_values_is_refused_before_parsing(repo: Path) -> None:
    count = 2_000_000 if FULL else 300_000
    (repo / "list.yaml").write_text("unknown: [" + "a," * count + "a]\n")
    code, output = validate(repo)
    assert code == 1
    assert output == (f"list.yaml:1:1: not read: the file holds about {count + 2:,} YAML values, "
                      "over the 262,144 a file may hold (set SCSYNC_MAX_FILE_MB to a larger "
                      "number of MiB to allow more)\n")


def test_a_config_of_too_many_objects_stops_at_the_cap(repo: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("scsync.safefiles.OBJECTS_PER_MIB", 10)  # 320 objects
    (repo / "topics.yaml").write_text("topics:\n" + "".join(f"  t{i}: {{}}\n" for i in range(400)))
    code, output = validate(repo)
    assert (code, output) == (1, "topics.yaml:322:3: the config defines more than 320 objects; "
                                 "the rest is not read (set SCSYNC_MAX_CONFIG_MB to a larger "
                                 "number of MiB to allow more)\n")


# -- fmt ---------------------------------------------------------------------------------------

def test_fmt_does_not_write_through_a_symlink_out_of_the_repository(repo: Path) -> None:
    outside = repo.parent.parent / "outside.yaml"
    (repo / "passwd.yaml").symlink_to(outside)
    result = in_account(repo, "fmt")
    assert result.exit_code == 1
    assert result.output == ("passwd.yaml:1:1: not read: the file is a symlink to a file outside "
                             "the repository\n")
    assert outside.read_text() == OUTSIDE_TEXT


def test_fmt_does_not_replace_a_symlink_inside_the_repository(repo: Path) -> None:
    (repo.parent / "shared.yaml").write_text(UNFORMATTED)
    (repo / "topics.yaml").symlink_to(repo.parent / "shared.yaml")
    with pytest.raises(ConfigError) as caught, contextlib.chdir(repo):
        format_tree(".")
    assert str(caught.value) == ("topics.yaml:1:1: the file is a symlink and fmt does not write "
                                 "through links; format the file it links to")
    assert (repo / "topics.yaml").is_symlink()
    assert (repo.parent / "shared.yaml").read_text() == UNFORMATTED


def test_fmt_refuses_a_directory_that_is_not_an_account(tmp_path: Path) -> None:
    ci = "stages: [test]\ntest: {script: [make test]}\n"
    (tmp_path / ".gitlab-ci.yml").write_text(ci)
    (tmp_path / "fixture.yaml").write_text("emulator_fixture: 1\naccount: {id: 1, name: A}\n")
    result = in_account(tmp_path, "fmt")
    assert result.exit_code == 1
    assert result.output == ("error: no scsync.yaml in ., so it is not an account "
                             "directory: fmt formats only an account's config files (run it "
                             "with -C ACCOUNT_DIR)\n")
    assert (tmp_path / ".gitlab-ci.yml").read_text() == ci


def test_fmt_refuses_a_file_too_large_to_round_trip_before_parsing_it(repo: Path) -> None:
    (repo / "list.yaml").write_text("unknown:\n" + "".join(f"  - item{i}\n"
                                                           for i in range(40_000)))
    result = in_account(repo, "fmt", "--check")
    assert (result.exit_code, result.output) == (
        1, "list.yaml:1:1: not rewritten: the file holds about 40,001 YAML values, over the 32,768 "
           "a file may hold to be rewritten keeping its comments (set SCSYNC_MAX_FILE_MB to a "
           "larger number of MiB to allow more)\n")


def test_fmt_keeps_the_mode_and_leaves_no_temporary_file(repo: Path) -> None:
    path = repo / "topics.yaml"
    path.write_text(UNFORMATTED)
    path.chmod(0o640)
    inode = path.stat().st_ino
    with contextlib.chdir(repo):
        assert format_tree(".") == ["topics.yaml"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.stat().st_ino != inode  # replaced by rename, not rewritten in place
    assert sorted(p.name for p in repo.iterdir()) == ["scsync.yaml", "topics.yaml"]


# -- writes ------------------------------------------------------------------------------------

def test_write_text_refuses_a_symlink_and_a_path_out_of_its_directory(tmp_path: Path) -> None:
    target = tmp_path / "target.txt"
    target.write_text("kept")
    (tmp_path / "link.txt").symlink_to(target)
    with pytest.raises(WriteRefused, match="is a symlink; scsync does not write through links"):
        write_text(tmp_path / "link.txt", "new")
    inside = tmp_path / "inside"
    inside.mkdir()
    (inside / "sub").symlink_to(tmp_path)
    with pytest.raises(WriteRefused, match="is outside"):
        write_text(inside / "sub" / "x.yaml", "new", inside=inside)
    assert target.read_text() == "kept" and not (tmp_path / "x.yaml").exists()


@pytest.mark.parametrize("command", [
    ["plan", "-o", "{out}"], ["snapshot", "-o", "{out}"],
    ["groups", "export", "--format", "csv", "-o", "{out}"]])
def test_commands_writing_a_file_do_not_follow_a_symlink(tmp_path: Path,
                                                         command: list[str]) -> None:
    from tests.test_security_names import _account

    root = _account(tmp_path)
    target = tmp_path / "precious.txt"
    target.write_text("kept")
    out = tmp_path / "out.file"
    out.symlink_to(target)
    result = CliRunner().invoke(main, [c.replace("{out}", str(out)) for c in command]
                                + ["-C", str(root)])
    assert result.exit_code == 1
    assert result.output.endswith(f"error: {out} is a symlink; scsync does not write through "
                                  "links (remove it or write elsewhere)\n")
    assert target.read_text() == "kept"


def test_export_refuses_a_directory_of_yaml_that_is_not_an_account(tmp_path: Path) -> None:
    out = tmp_path / "ci"
    out.mkdir()
    (out / ".pre-commit-config.yaml").write_text("repos: []\n")
    (out / "values.yaml").write_text("replicas: 2\n")
    with provider_for(tmp_path) as provider, pytest.raises(ScsyncError) as caught:
        export_config(provider.read(), out, settings_text=SETTINGS)
    assert str(caught.value) == (f"{out} holds YAML files but no scsync.yaml, so it is not an "
                                 "account directory; export into an account directory or a new, "
                                 "empty one")
    assert (out / "values.yaml").read_text() == "replicas: 2\n"


def test_export_does_not_write_through_a_symlinked_directory(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "scsync.yaml").write_text(SETTINGS)
    (out / "profiles").symlink_to(elsewhere)
    with provider_for(tmp_path) as provider, pytest.raises(WriteRefused, match="is outside"):
        export_config(provider.read(), out)
    assert list(elsewhere.iterdir()) == []
