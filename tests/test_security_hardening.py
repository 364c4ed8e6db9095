"""Security hardening: templates cannot reach Python internals or files, YAML cannot construct
objects, the emulator refuses requests without a valid token, and TLS verification is on unless
explicitly turned off for a loopback platform."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from werkzeug.serving import make_server

from scsync.cli import main
from scsync.config import load_config
from scsync.emulator import open_emulator
from scsync.errors import ConfigError, ProviderError
from scsync.providers.auth import Credentials
from scsync.providers.http import ApiClient, ClientOptions
from tests.emulator_helpers import make_fixture

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "examples" / "platform" / "claralines.yaml"
SETTINGS = ("scsync: 1\nprovider:\n  type: socialconnect\n  account_id: 1001\n"
            "  token: ${env:T}\n")
SECRET_TEXT = "the-content-of-a-secret-file-9f3a"


@pytest.fixture
def account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An account directory (the working directory, so problems name its files as
    ``evil.yaml``) with, beside it, a file a template must never read."""
    (tmp_path / "secret.j2").write_text(SECRET_TEXT)
    root = tmp_path / "config"
    root.mkdir()
    (root / "scsync.yaml").write_text(SETTINGS)
    (root / "inside.j2").write_text(SECRET_TEXT)
    monkeypatch.chdir(root)
    return root


def validate(root: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", "-C", str(root)])
    return result.exit_code, result.output


# -- templates ------------------------------------------------------------------------------------

UNSAFE = "access to attribute '{attr}' of '{owner}' object is unsafe (templates run sandboxed)"
NO_FILES = '"{name}" cannot be read: templates cannot include, import or extend other files'
TEMPLATES = {
    "mro": ("{{ ''.__class__.__mro__ }}", UNSAFE.format(attr="__class__", owner="str")),
    "globals": ("{{ cycler.__init__.__globals__ }}", UNSAFE.format(attr="__init__", owner="type")),
    "lipsum globals": ("{{ lipsum.__globals__ }}",
                       UNSAFE.format(attr="__globals__", owner="function")),
    "format": ("{{ '{0.__class__}'.format('') }}",
               "access to attribute '__class__' of 'str' object is unsafe (templates run "
               "sandboxed)"),
    "include": ("{% include '/etc/passwd' %}", NO_FILES.format(name="/etc/passwd")),
    "import": ("{% import '../secret.j2' as secret %}", NO_FILES.format(name="../secret.j2")),
    "import bare": ("{% import '../secret.j2' %}", "template syntax error: expected token 'as', "
                                                    "got 'end of statement block'"),
    "from import": ("{% from 'inside.j2' import x %}", NO_FILES.format(name="inside.j2")),
    "extends": ("{% extends 'inside.j2' %}", NO_FILES.format(name="inside.j2")),
    "recursion": ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
                  "recursion too deep (a macro that calls itself?)"),
    "memory": ("{{ 'x' * 10**10 }}",
               "the result of * would be too large (over 1,000,000 characters or items) (templates "
               "run sandboxed)"),
    "power": ("{{ 7 ** 100000000 }}",
              "the exponent 100000000 is too large (templates run sandboxed)"),
}


@pytest.mark.parametrize("name", TEMPLATES)
def test_a_template_cannot_escape_the_sandbox(account: Path, name: str) -> None:
    text, message = TEMPLATES[name]
    (account / "evil.yaml.j2").write_text(f"# a template\nprofiles:\n  {text}\n")
    code, output = validate(account)
    assert code == 1
    prefix = "template syntax error" if message.startswith("template syntax") else "template error"
    message = message if message.startswith("template syntax") else f"{prefix}: {message}"
    assert output == f"evil.yaml.j2:3:1: {message}\n"
    assert SECRET_TEXT not in output and "root:" not in output


def test_template_errors_are_config_errors_naming_the_template(account: Path) -> None:
    (account / "evil.yaml.j2").write_text("{% include '/etc/passwd' %}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(account)
    [problem] = caught.value.problems
    assert problem.location is not None and problem.location.path == "evil.yaml.j2"


# -- YAML ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system", "!!python/object/new:os.system",
                                 "!!python/name:os.system", "!!python/module:os"])
def test_yaml_cannot_construct_objects(account: Path, tag: str) -> None:
    planted = account.parent / "PWNED"
    (account / "evil.yaml").write_text(
        f"profiles:\n  twitter/x:\n    bio: {tag} ['touch {planted}']\n")
    code, output = validate(account)
    expanded = tag.replace("!!", "tag:yaml.org,2002:")
    assert code == 1
    assert output == (f"evil.yaml:3:10: unsupported tag {expanded}; config files use plain YAML "
                      "without tags\n")
    assert not planted.exists()


# -- the emulator's authentication -----------------------------------------------------------------

@pytest.fixture
def platform() -> Iterator[httpx.Client]:
    emu = open_emulator(":memory:", fixture=make_fixture())
    with httpx.Client(transport=httpx.WSGITransport(app=emu.wsgi),
                      base_url="http://emulator") as client:
        yield client
    emu.close()


@pytest.mark.parametrize(("headers", "description"), [
    ({}, "An access token is required."),
    ({"Authorization": "Bearer not-a-token"}, "Invalid access token."),
    ({"Authorization": "Bearer "}, "An access token is required."),
    ({"Authorization": "Basic admin-token"}, "An access token is required."),
    ({"Authorization": "Bearer old-token"}, "The access token has expired."),
], ids=["none", "unknown", "empty", "not bearer", "expired"])
def test_the_emulator_refuses_a_request_without_a_valid_token(
        platform: httpx.Client, headers: dict[str, str], description: str) -> None:
    for method, path in (("GET", "/me"), ("GET", "/1001/settings/topics"),
                         ("POST", "/1001/settings/topics")):
        response = platform.request(method, path, headers=headers)
        assert response.status_code == 403
        assert response.json() == {"code": 403, "error": "no_permission",
                                   "error_description": description}


def test_the_emulator_accepts_the_valid_token(platform: httpx.Client) -> None:
    response = platform.get("/me", headers={"Authorization": "Bearer admin-token"})
    assert response.status_code == 200
    assert response.json()["response"]["email"] == "ops@x.example"


# -- TLS -------------------------------------------------------------------------------------------

def test_tls_verification_is_on_by_default() -> None:
    assert ClientOptions().verify_tls is True
    client = ApiClient("https://api.engagor.com", Credentials(token="t"))
    assert client.options.verify_tls is True


def test_tls_verification_cannot_be_turned_off_for_a_remote_host() -> None:
    with pytest.raises(ProviderError) as caught:
        ApiClient("https://api.engagor.com", Credentials(token="t"),
                  options=ClientOptions(verify_tls=False))
    assert str(caught.value) == ("refusing verify_tls: false for api.engagor.com: TLS "
                                 "verification may be turned off only on loopback")


@pytest.fixture(scope="module")
def https_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The emulator over HTTPS on loopback with a self-signed certificate."""
    if shutil.which("openssl") is None:
        pytest.skip("needs openssl to make a certificate")
    tmp = tmp_path_factory.mktemp("tls")
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    emu = open_emulator(tmp / "platform.db", fixture=FIXTURE)
    server = make_server("127.0.0.1", 0, emu.wsgi, threaded=True, ssl_context=context)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.port}"
    server.shutdown()
    server.server_close()
    emu.close()


def _tls_account(tmp_path: Path, url: str, extra: str) -> Path:
    (tmp_path / "scsync.yaml").write_text(
        f"scsync: 1\nprovider:\n  type: socialconnect\n  base_url: '{url}'\n  account_id: 1001"
        f"\n  token: ${{env:T}}\n  timeout_s: 5\n{extra}")
    return tmp_path


def test_a_self_signed_certificate_is_refused_by_default(https_platform: str,
                                                         tmp_path: Path) -> None:
    root = _tls_account(tmp_path, https_platform, "")
    result = CliRunner().invoke(main, ["snapshot", "-C", str(root), "-o", str(tmp_path / "s")],
                                env={"T": "demo-admin-token"})
    assert result.exit_code == 1
    assert result.output.startswith(f"error: cannot reach {https_platform}: [SSL: "
                                    "CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
                                    "self-signed certificate")
    assert "retrying" not in result.output  # a certificate does not get better with time
    assert not (tmp_path / "s").exists()


def test_verify_tls_false_works_for_a_loopback_platform(https_platform: str,
                                                        tmp_path: Path) -> None:
    root = _tls_account(tmp_path, https_platform, "  verify_tls: false\n")
    result = CliRunner().invoke(main, ["snapshot", "-C", str(root), "-o", str(tmp_path / "s")],
                                env={"T": "demo-admin-token"})
    assert result.exit_code == 0, result.output
    assert "emulator_fixture: 1" in (tmp_path / "s").read_text()
