"""The API description ``schemas/platform-api.openapi.yaml`` is the one machine-readable contract:
the emulator serves exactly its operations (and, with ``api="public"``, answers ``not_found`` for
each one marked proposed), every request the provider builds is one of them, and the emulator
answers as it says under schemathesis fuzzing (a few examples per operation here; many more with
``SCSYNC_SOAK_FULL=1``, as ``make soak`` runs it)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, given, settings

from scsync.emulator import Emulator, open_emulator
from scsync.emulator.evidence import template
from scsync.emulator.views import ROUTES
from scsync.providers import apispec
from tests import cli_support
from tests.cli_support import CLARALINES, Account

SPEC = apispec.SPEC
DOC = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
EXAMPLES = 100 if os.environ.get("SCSYNC_SOAK_FULL") else 4
account = cli_support.account
seeded_db = cli_support.seeded_db


def described() -> set[tuple[str, str]]:
    return {(op.method, template(op.path)) for op in apispec.operations()}


def test_every_operation_is_marked_public_or_proposed() -> None:
    assert {op.evidence for op in apispec.operations()} == {"public", "proposed"}
    proposed = sorted(f"{op.method} {op.path}" for op in apispec.operations()
                      if op.evidence == "proposed")
    assert proposed == [
        "DELETE /{a}/settings/topic/{id}", "GET /{a}/settings/connectedprofiles",
        "GET /{a}/settings/flows", "GET /{a}/settings/profile/{type}/{service_id}",
        "GET /{a}/settings/profilegroup/{id}", "GET /{a}/settings/profiles",
        "GET /{a}/settings/topic/{id}", "POST /{a}/settings/profile/{type}/{service_id}",
        "POST /{a}/settings/topic/{id}", "POST /{a}/settings/topics"]


def test_the_emulator_serves_exactly_the_described_operations() -> None:
    served = {(r.method, template(r.path)) for r in ROUTES}
    assert served <= described()
    # DELETE /{a}/settings/user/{id} is public; the emulator gains it with issue 17
    assert described() - served <= {("DELETE", "/{}/settings/user/{}")}


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    emulator = open_emulator(tmp_path_factory.mktemp("public") / "p.db", fixture=CLARALINES,
                             api="public")
    headers = {"Authorization": "Bearer demo-admin-token"}
    with httpx.Client(transport=httpx.WSGITransport(app=emulator.wsgi), headers=headers,
                      base_url="http://emulator.local") as client:
        yield client
    emulator.close()


def _concrete(path: str) -> str:
    values = {"a": "1001", "id": "1", "type": "twitter", "service_id": "ClaraLines"}
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return path


@pytest.mark.parametrize("op", apispec.operations(), ids=lambda op: f"{op.method} {op.path}")
def test_the_public_emulator_answers_not_found_for_proposed_operations(
        public: httpx.Client, op: apispec.Operation) -> None:
    if op.method == "DELETE" and op.evidence == "public":  # it would delete: routes checked above
        return
    answer = public.request(op.method, _concrete(op.path))
    error = answer.json().get("error") if answer.status_code != 200 else None
    if op.evidence == "proposed":
        assert (answer.status_code, error) == (404, "not_found")
    else:
        assert error != "not_found", answer.text


def request_body_fields(op: apispec.Operation) -> set[str]:
    item = DOC["paths"][op.path][op.method.lower()]
    body = item.get("requestBody")
    if body is None:
        return set()
    name = body["$ref"].rsplit("/", 1)[1]
    content = DOC["components"]["requestBodies"][name]["content"]
    return set(content["application/x-www-form-urlencoded"]["schema"]["properties"])


def test_every_request_the_provider_builds_is_a_described_operation(account: Account) -> None:
    account.replace("users.yaml", "  ops@claralines.example:\n",
                    "  ops@claralines.example:\n    role: admin\n")
    account.replace("users.yaml", "  agent@claralines.example:\n",
                    "  agent@claralines.example:\n    role: admin\n")
    for args in (["plan", "-o", str(account.base / "plan.json")],
                 ["apply", "--auto-approve"], ["doctor"]):
        result = account.cli(*args, "-C", str(account.root))
        assert result.exit_code == 0, result.stderr
    account.emu.edit("alice@claralines.example", "user", 1,
                     {"social_links": {"linkedin": "https://linkedin.com/in/someone-else"}})
    assert account.cli("drift", "-C", str(account.root)).exit_code == 2  # reads the history
    calls = account.emu.calls()
    assert {c["method"] for c in calls} == {"GET", "POST", "DELETE"}
    assert any(c["path"] == "/1001/settings/history" for c in calls)
    for call in calls:
        op = apispec.find(call["method"], call["path"])
        assert op is not None, f"{call['method']} {call['path']} is not in {SPEC.name}"
        assert set(call.get("form") or {}) <= request_body_fields(op), call
    agent = [c["form"]["updates"] for c in calls if c["path"] == "/1001/settings/user/3"]
    assert agent == [{"account_role": 1,
                      "social_links": {"facebook": "https://facebook.com/claralines.agent"}}]


# -- fuzzing the emulator against the description ---------------------------------------------

# The platform answers a missing token with 403 no_permission (platform-api.md), not 401; and
# the rules of domain.md (a JSON form value, a name, a colour...) are beyond what the description
# can say, so a request it allows may still be refused with invalid_parameter.
EXCLUDED = [schemathesis.checks.missing_required_header,
            schemathesis.checks.positive_data_acceptance]
if not any(r.method == "DELETE" and r.path.startswith("/{a}/settings/user/") for r in ROUTES):
    # the described DELETE user (issue 17) is not served yet, so Allow cannot list it
    EXCLUDED.append(schemathesis.checks.allow_header_conformance)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    emulator = open_emulator(tmp_path_factory.mktemp("fuzz") / "f.db", fixture=CLARALINES,
                             rate_limit=(10**9, 3600))
    yield emulator
    emulator.close()


def bound(app: Any) -> Any:
    """The API description bound to ``app`` (the checks' own probes go there too)."""
    loaded = schemathesis.openapi.from_path(SPEC)
    loaded.app = app
    loaded.config.update(base_url="http://emulator.local")
    return loaded


OPERATIONS = [op.ok() for op in bound(None).get_all_operations()]


@pytest.mark.slow
@pytest.mark.parametrize("label", [op.label for op in OPERATIONS])
def test_the_emulator_answers_as_described(fuzzed: Emulator, label: str) -> None:
    operation = next(op.ok() for op in bound(fuzzed.wsgi).get_all_operations()
                     if op.ok().label == label)

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
              derandomize=True, database=None)
    def answers_as_described(case: Any) -> None:
        if "a" in (case.path_parameters or {}):
            case.path_parameters["a"] = fuzzed.account_id
        case.call_and_validate(headers={"Authorization": "Bearer demo-admin-token"},
                               excluded_checks=EXCLUDED)

    answers_as_described()
