"""The emulator's WSGI application: the REST API of platform-api.md over SQLite.

Every API response carries the platform's envelope and ``X-RateLimit-*`` headers. An API call is:
authenticate the token and count it against the user's window (one write transaction), apply any
injected fault, route it (unknown path: ``not_found``; wrong method: ``invalid_http_method``),
check scopes, account, admin rights and the profile-group feature, run the handler in its own
transaction, log it.

Controls, under ``/_emulator/`` (loopback clients only; no auth, rate limit or faults):

- ``GET /_emulator/calls``: the call log, a JSON list of ``{method, path, status, user, time,
  form?, error?, fault?}`` (calls to the web-app origin's token endpoint too, with ``origin: web``
  and their ``grant``) (``user`` is the caller's e-mail; form values JSON-decoded; never a
  token; ``error``: the error id of a refused call; ``fault``: the injected fault, ``error`` (a
  500), ``dropped`` (no answer, not handled: ``status`` null) or ``lost`` (handled, then no
  answer)).
- ``DELETE /_emulator/calls``: clear the log.
- ``POST /_emulator/expire`` ``{"type", "service_id"}``: mark every stream of that page expired.
- ``POST /_emulator/clock`` ``{"advance_s": N}``: move the emulator's clock (rate windows, token
  expiry, history dates); answers ``{"now": ISO}``.
- ``POST /_emulator/edit`` ``{"user": EMAIL, "object": {"type": "profile"|"topic"|"profilegroup"|
  "user", "id": ID or "type/service_id"}, "updates": {...}}``: an out-of-band change by that user,
  with the API's rules, recorded in the settings history like a web-app edit.
- ``GET /_emulator/state``: the whole account as a fixture document (no tokens).
- ``POST /_emulator/oauth-code`` ``{"client_id", "user"?: EMAIL, "scopes"?: [...]}``: a one-time
  authorization code (``{"code"}``) as if that user (default: the first admin) had signed in on the
  web app; the token endpoint (``oauth``, on the web-app origin) exchanges it.

POST parameters are form fields from the body or, when the body lacks one, from the query string;
a raw JSON body is not read (the platform refuses those).

With ``api="public"`` the application answers ``not_found`` for every operation that
``schemas/platform-api.openapi.yaml`` marks proposed (``scsync.emulator.evidence``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from scsync.emulator import controls, evidence, groups, ratelimit
from scsync.emulator.auth import Token, authenticate, require_admin, require_scopes
from scsync.emulator.clock import iso
from scsync.emulator.common import parse_json
from scsync.emulator.errors import ApiError, DropConnection, not_found
from scsync.emulator.faults import Decision, Faults, Injector
from scsync.emulator.platform import Platform
from scsync.emulator.store import dumps
from scsync.emulator.views import ROUTES, Ctx, Route, check_account

log = logging.getLogger(__name__)
NOT_FORM = ("access_token", "version")  # query parameters that are never POST fields


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(body), status, headers=headers, mimetype="application/json")


# The largest request body parsed (parsing a form costs ~80 bytes per %-escape): a thousand times
# the largest object of the 50,000-object bench account (under 1 KB as a form).
MAX_BODY = 1024 * 1024

class EmulatorApp:
    """The WSGI callable of one emulated account."""

    def __init__(self, platform: Platform, *, rate_limit: tuple[int, int] | None = None,
                 faults: Faults | None = None, api: str = "full") -> None:
        self.platform = platform
        self.hidden = evidence.hidden_operations(api)
        self.rate_limit = rate_limit or ratelimit.DEFAULT
        self.injector = Injector(faults or Faults())
        self.map = Map([Rule(r.path.replace("{a}", "<int:a>"), methods=[r.method], endpoint=r)
                        for r in ROUTES], strict_slashes=False)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        request.max_form_memory_size = MAX_BODY  # a backstop: _api refuses larger bodies first
        path = request.path.rstrip("/") or "/"
        if path == "/_emulator" or path.startswith("/_emulator/"):
            response = controls.handle(self.platform, request, path)
        else:
            response = self._api(request, path)
        return response(environ, start_response)

    def _api(self, request: Request, path: str) -> Response:
        decision = self.injector.decide()
        token, window, error = self._admit(request, path)
        status, body = 200, None
        notes: dict[str, str] = {}
        headers = window.headers()
        try:
            if error is not None:
                raise error
            if (request.content_length or 0) > MAX_BODY:
                raise ApiError("invalid_parameter", f"the request body is over {MAX_BODY // 1024} "
                                                    "KiB")
            self._fault(decision)
            body = {"meta": {"code": 200}, "response": self._dispatch(request, path, token)}
        except ApiError as exc:
            status, body = exc.status, exc.body()
            notes = {"error": exc.error}
            headers.update(exc.headers)
            if decision.error and exc.error == "internal_server_error":
                notes["fault"] = "error"
        except DropConnection:
            self._log(request, path, None, token, {"fault": "dropped"})
            raise
        except Exception as exc:  # a bug or a case no rule covers: still an answer in the envelope
            log.exception("unexpected error on %s %s", request.method, path)
            failure = ApiError("internal_server_error",
                               f"The server failed ({type(exc).__name__}).")
            status, body, notes = failure.status, failure.body(), {"error": failure.error}
        if decision.lost:
            notes["fault"] = "lost"
        self._log(request, path, status, token, notes)
        return self._finish(decision, json_response(body, status, headers))

    def _finish(self, decision: Decision, response: Response) -> Response:
        if decision.delay_s:
            time.sleep(decision.delay_s)
        if decision.lost:
            log.info("fault: dropping the response after the call was handled")
            raise DropConnection("lost response (injected fault)")
        return response

    @staticmethod
    def _fault(decision: Decision) -> None:
        if decision.drop:
            log.info("fault: dropping the connection")
            raise DropConnection("dropped connection (injected fault)")
        if decision.error:
            raise ApiError("internal_server_error", "The server failed (injected fault).")

    def _admit(self, request: Request, path: str,
               ) -> tuple[Token | None, ratelimit.Window, ApiError | None]:
        """Authenticate and count the call: (token, window, the error that refuses the call)."""
        text = _bearer(request)
        with self.platform.tx(write=True) as tx:
            offset = self.platform.offset(tx)
            try:
                token = authenticate(tx, text)
            except ApiError as exc:
                return None, ratelimit.idle(self.rate_limit, tx.now, offset), exc
            allowed, window = ratelimit.hit(tx, f"user:{token.user['id']}", self.rate_limit,
                                            offset)
        if not allowed:
            return token, window, ApiError(
                "rate_limit_reached", f"Rate limit of {window.limit} calls per "
                f"{window.seconds} s reached; the window resets at {window.reset_header}.")
        return token, window, None

    def _dispatch(self, request: Request, path: str, token: Token | None) -> Any:
        route, args = self._match(request, path)
        assert token is not None
        require_scopes(token, route.scopes)
        with self.platform.tx(write=route.write, actor=token.user) as tx:
            if route.account:
                check_account(tx, args.pop("a"))
            if route.admin:
                require_admin(token)
            if route.groups_feature:
                groups.require_feature(tx)
            ctx = Ctx(request.args, form_fields(request), request.base_url, token)
            return route.handler(ctx, tx, **args)

    def _match(self, request: Request, path: str) -> tuple[Route, dict[str, Any]]:
        adapter = self.map.bind("emulator")
        try:
            route, args = adapter.match(path, method=request.method)
        except NotFound:
            raise not_found(f"unknown path {path}") from None
        except MethodNotAllowed as exc:
            allowed = ", ".join(sorted(exc.valid_methods or ()))
            raise ApiError("invalid_http_method", f"{request.method} is not allowed on {path}",
                           headers={"Allow": allowed}) from None
        if (route.method, evidence.template(route.path)) in self.hidden:
            raise not_found(f"unknown path {path}")
        return route, dict(args)

    def _log(self, request: Request, path: str, status: int | None, token: Token | None,
             notes: dict[str, str]) -> None:
        entry: dict[str, Any] = {"method": request.method, "path": request.path,
                                 "status": status, "user": token.user["email"] if token else None}
        if request.method == "POST" and (request.content_length or 0) <= MAX_BODY:
            entry["form"] = {k: _decoded(v) for k, v in form_fields(request).items()}
        entry.update(notes)
        with self.platform.tx(write=True) as tx:
            entry["time"] = iso(tx.now)
            tx.conn.execute("INSERT INTO calls (data) VALUES (?)", (dumps(entry),))


def form_fields(request: Request) -> dict[str, str]:
    """The POST fields: the body's, and the query string's where the body lacks them."""
    fields = {k: v for k, v in request.args.items() if k not in NOT_FORM}
    fields.update(request.form.items())
    return fields


def _bearer(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.args.get("access_token") or None


def _decoded(value: str) -> Any:
    """A form value as the call log keeps it: its JSON, else (not JSON, or refused) the text."""
    try:
        return parse_json(value, "value")
    except ApiError:
        return value
