"""The HTTP layer of the Social Connect provider: one ``ApiClient`` over a synchronous
``httpx.Client`` that authenticates, pages, retries what is retryable, waits for rate-limit resets
and turns every failure into a typed ``ProviderError``.

The token travels only in the ``Authorization`` header of each request: never in a URL, a log
record, an error message or a ``repr``. ``next_url`` is followed only to the base URL's origin,
and plain ``http://`` is refused unless the host is loopback or the transport is in-process.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import random
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from scsync.errors import ProviderError, RateLimitError, ResponseInfo, TokenExpiredError, redact
from scsync.providers import apierrors, ratelimit
from scsync.providers.auth import Credentials, Renewal, renew, source_of, web_app_origin
from scsync.providers.base import RateBudget
from scsync.providers.origin import Origin, check_base_url
from scsync.providers.prefetch import Prefetch

logger = logging.getLogger(__name__)

WaitCallback = Callable[[float, str], None]
NoticeCallback = Callable[[str], None]
PAGE_LIMIT = 200
USER_AGENT = "scsync/0.1"
REFRESH_NOTICE = "access token expired; refreshed it and kept the new tokens in {store}"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently to retry: ``max_tries`` in all per call, exponential backoff
    from ``base_s`` doubling up to ``cap_s`` (half fixed, half random jitter)."""

    max_tries: int = 5
    base_s: float = 0.5
    cap_s: float = 30.0
    max_rate_waits: int = 3

    def delay(self, tries: int, jitter: float) -> float:
        """The pause after the ``tries``-th failed try; ``jitter`` is uniform in [0, 1)."""
        ceiling = min(self.cap_s, self.base_s * 2 ** (tries - 1))
        return float(ceiling / 2 + jitter * ceiling / 2)


@dataclass(slots=True)
class _Attempt:
    """The progress of one logical call across its retries."""

    method: str
    path: str
    idempotent: bool
    tries: int = 0
    rate_waits: int = 0
    refreshed: bool = False
    token: str = ""  # the token the last try sent (another thread may have refreshed since)


class _Retry(Exception):  # noqa: N818 - control flow, never escapes the client
    def __init__(self, seconds: float, reason: str, *, until: float | None = None) -> None:
        super().__init__(reason)
        self.seconds = seconds
        self.reason = reason
        self.until = until  # a rate-limit wait: the clock time it lasts until


@dataclass(slots=True)
class ClientOptions:
    """Everything about an ``ApiClient`` except where it goes and who it is."""

    version: str | None = None
    timeout_s: float = 30.0
    verify_tls: bool | ssl.SSLContext = True  # a context: verify against its CA bundle
    in_process: bool = False
    max_wait_s: float = 900.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)


class ApiClient:
    """Speaks the platform's REST API; see the module docstring for its guarantees.

    ``reads`` and ``writes`` count every HTTP request sent (retries included; token refreshes are
    counted in ``refreshes``); ``rate`` is the budget the last response announced.
    """

    def __init__(self, base_url: str, credentials: Credentials, *,
                 options: ClientOptions | None = None,
                 transport: httpx.BaseTransport | None = None,
                 on_wait: WaitCallback | None = None, on_notice: NoticeCallback | None = None,
                 renewal: Renewal | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time,
                 jitter: Callable[[], float] = random.random) -> None:
        self.options = options or ClientOptions()
        self.origin: Origin = check_base_url(base_url, verify_tls=bool(self.options.verify_tls),
                                             in_process=self.options.in_process)
        self.base_url = base_url.rstrip("/")
        self._credentials = credentials
        self._renewal = renewal or Renewal(web_app_origin(self.base_url), None,
                                           source_of(credentials.token, credentials.refresh_token))
        self._old_secrets: list[str] = []
        self._on_wait, self._on_notice = on_wait, on_notice
        self._sleep, self._clock, self._jitter = sleep, clock, jitter
        self.reads = self.writes = self.refreshes = 0
        self._lock = threading.RLock()
        self._wait_lock = threading.Lock()  # one thread waits for a rate-limit reset at a time
        self.rate: RateBudget | None = None
        # TLS settings only for an https:// platform: building the default SSL context (the CA
        # bundle) costs a plan against http://localhost ~20 ms for nothing
        tls = self.options.verify_tls if self.origin.scheme == "https" else False
        self._http = httpx.Client(transport=transport, timeout=self._timeout(),
                                  verify=tls, follow_redirects=False,
                                  headers={"User-Agent": USER_AGENT, "Accept": "application/json"})

    def __repr__(self) -> str:
        return f"ApiClient({self.origin.text!r})"

    def _timeout(self) -> httpx.Timeout:
        seconds = self.options.timeout_s
        return httpx.Timeout(seconds, connect=min(seconds, 10.0))

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret this client has held (old tokens too), for redaction."""
        return tuple(s for s in (*self._credentials.secrets(), *self._old_secrets) if s)

    def now(self) -> float:
        """The client's clock (unix time): real time, or the one a test injected."""
        return self._clock()

    def close(self) -> None:
        self._http.close()

    # -- public calls ------------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, form: Mapping[str, Any], *, idempotent: bool = True) -> Any:
        """POST ``form`` (each value JSON-encoded). A create must pass ``idempotent=False``: it
        is then never retried after a failure that may have taken effect (``ambiguous``)."""
        return self.request("POST", path, form=form, idempotent=idempotent)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)

    def pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[list[Any]]:
        """Each page of a paged list (``limit=200``), following ``next_url`` until it is null."""
        target: str | None = path
        query: dict[str, Any] | None = {"limit": PAGE_LIMIT, **(params or {})}
        seen: set[str] = set()
        while target:
            body = self.request("GET", target, params=query)
            if not isinstance(body, dict):
                yield list(body) if isinstance(body, list) else []
                return
            yield list(body.get("data") or [])
            target, query = (body.get("paging") or {}).get("next_url"), None
            if target in seen:
                raise ProviderError(redact(f"the platform's paging of {path} loops", self.secrets))
            seen.add(target or "")

    def get_all(self, path: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        """Every item of a paged list."""
        return [item for page in self.pages(path, params) for item in page]

    def prefetch(self, paths: Sequence[str],
                 parsers: Mapping[str, Callable[[list[Any]], Any]] | None = None) -> Prefetch:
        """The paged lists ``paths`` fetched concurrently, those with a parser in ``parsers``
        parsed as they arrive (see ``Prefetch``)."""
        return Prefetch(self, paths, parsers)

    def request(self, method: str, target: str, *, params: Mapping[str, Any] | None = None,
                form: Mapping[str, Any] | None = None, idempotent: bool = True) -> Any:
        """One logical call, retried as the rules allow; returns the envelope's ``response``."""
        url = self._url(target)
        attempt = _Attempt(method, url.path, idempotent or method == "GET")
        self._refresh_when_due(attempt)
        while True:
            try:
                return self._once(attempt, url, params, form)
            except _Retry as retry:
                if retry.until is None:
                    self._pause(retry.seconds, retry.reason)
                else:
                    self._wait_until(retry.until, retry.reason)

    # -- one try -----------------------------------------------------------------------------

    def _url(self, target: str) -> httpx.URL:
        url = httpx.URL(target if "://" in target else self.base_url + target)
        if Origin.of(url) != self.origin:
            where = redact(f"{Origin.of(url).text}{url.path}", self.secrets)
            raise ProviderError(f"refusing to follow {where}: it is not on {self.origin.text}")
        if "access_token" in url.params:
            url = url.copy_remove_param("access_token")
        return url

    def _once(self, at: _Attempt, url: httpx.URL, params: Mapping[str, Any] | None,
              form: Mapping[str, Any] | None) -> Any:
        self._respect_budget()
        at.tries += 1
        try:
            response = self._send(at, url, params, form)
        except httpx.TransportError as exc:
            raise self._transport_failure(exc, at) from None
        self._note_budget(response.headers)
        logger.debug("%s %s -> %s", at.method, at.path, response.status_code)
        if response.is_success:
            body = self._unwrap(response, at)
            # httpx's response and its stream refer to each other: unlink them so the body is
            # freed now, not by the cyclic collector (which a plan pauses)
            response.stream = httpx.ByteStream(b"")
            return body
        raise self._failure(response, at)

    def _send(self, at: _Attempt, url: httpx.URL, params: Mapping[str, Any] | None,
              form: Mapping[str, Any] | None) -> httpx.Response:
        query = dict(params or {})
        if self.options.version and "version" not in url.params:
            query["version"] = self.options.version
        data = {k: json.dumps(v) for k, v in form.items()} if form is not None else None
        with self._lock:
            if at.method == "GET":
                self.reads += 1
            else:
                self.writes += 1
            at.token = self._credentials.token
        headers = {"Authorization": f"Bearer {at.token}"}
        return self._http.request(at.method, url, params=query or None, data=data, headers=headers)

    def _unwrap(self, response: httpx.Response, at: _Attempt) -> Any:
        try:
            body = response.json()
        except ValueError:
            raise ProviderError(f"the platform sent an unreadable answer to {at.method} {at.path}",
                                ResponseInfo(response.status_code, method=at.method,
                                             path=at.path)) from None
        if isinstance(body, dict) and "response" in body and "meta" in body:
            return body["response"]
        return body

    # -- failures ----------------------------------------------------------------------------

    def _failure(self, response: httpx.Response, at: _Attempt) -> Exception:
        info = apierrors.response_info(response, at.method, at.path, self.secrets)
        if info.error_id == "rate_limit_reached" or info.status == 429:
            return self._rate_limited(at, info)
        if apierrors.is_token_expired(info) or (
                info.error_id == "no_permission" and self._credentials.expired(self._clock())):
            return self._expired(at, info)
        error = apierrors.error_for(info, self.secrets)
        if (info.status or 0) >= 500:
            if at.idempotent and at.tries < self.options.retry.max_tries:
                return self._backoff(at, error.message)
            error.ambiguous = not at.idempotent
            self._gave_up(at)
        return error

    def _transport_failure(self, exc: httpx.TransportError, at: _Attempt) -> Exception:
        safe = at.idempotent or apierrors.was_not_sent(exc)
        permanent = apierrors.is_certificate_error(exc)
        if safe and not permanent and at.tries < self.options.retry.max_tries:
            reason = apierrors.transport_reason(exc)
            return self._backoff(at, f"{at.method} {at.path} failed: {reason}")
        error = apierrors.transport_error(exc, origin=self.origin.text, method=at.method,
                                          path=at.path, secrets=self.secrets)
        error.ambiguous = not safe
        self._gave_up(at)
        return error

    def _gave_up(self, at: _Attempt) -> None:
        logger.info("%s %s failed after %d tries", at.method, at.path, at.tries)

    def _backoff(self, at: _Attempt, what: str) -> _Retry:
        seconds = self.options.retry.delay(at.tries, self._jitter())
        reason = (f"{what}; retrying in {seconds:.1f} s "
                  f"(try {at.tries + 1} of {self.options.retry.max_tries})")
        return _Retry(seconds, redact(reason, self.secrets))

    def _rate_limited(self, at: _Attempt, info: ResponseInfo) -> Exception:
        now = self._clock()
        seconds = ratelimit.seconds_until_reset(self.rate, now)
        reset_at = now + seconds - ratelimit.reset_margin(self.rate)
        at.rate_waits += 1
        if seconds > self.options.max_wait_s or at.rate_waits > self.options.retry.max_rate_waits:
            message = ratelimit.exhausted_message(self.rate, reset_at, now)
            return RateLimitError(message, reset_at=reset_at, response=info)
        return _Retry(seconds, ratelimit.waiting_reason(self.rate, reset_at, now),
                      until=now + seconds)

    def _note_budget(self, headers: httpx.Headers) -> None:
        """Keep the budget the response announces; of concurrent responses in one window (the
        same announced reset), the lowest ``remaining``, so arrival order does not matter."""
        with self._lock:
            old, new = self.rate, ratelimit.budget_from_headers(headers, self.rate)
            if (old is not None and new is not None and "X-RateLimit-Reset" in headers
                    and (new.reset_at, new.limit) == (old.reset_at, old.limit)
                    and old.remaining < new.remaining):
                new = old
            self.rate = new

    def _respect_budget(self) -> None:
        """Before a call: take one call of the window's allowance; when none is left, wait for
        the reset (or refuse to). Concurrent calls (the read's prefetch) each take their own, so
        together they never send more than the window has left; threads queue on one lock, so
        the wait happens (and is reported) once."""
        while not self._take_call():
            with self._wait_lock:
                budget, now = self.rate, self._clock()
                if budget is None or not self._spent(budget, now):
                    continue
                seconds = ratelimit.seconds_until_reset(budget, now)
                if seconds > self.options.max_wait_s:
                    message = ratelimit.exhausted_message(budget, budget.reset_at, now)
                    raise RateLimitError(message, reset_at=budget.reset_at)
                self._pause(seconds, ratelimit.waiting_reason(budget, budget.reset_at, now))

    def _take_call(self) -> bool:
        """Count one call against the known budget; False when the window is spent."""
        with self._lock:
            budget, now = self.rate, self._clock()
            if budget is None or budget.reset_at <= now:
                return True  # no window known, or it has reset: the answer will tell
            if budget.remaining <= 0:
                return False
            self.rate = dataclasses.replace(budget, remaining=budget.remaining - 1)
            return True

    @staticmethod
    def _spent(budget: RateBudget | None, now: float) -> bool:
        return budget is not None and budget.remaining <= 0 and budget.reset_at > now

    def _expired(self, at: _Attempt, info: ResponseInfo) -> Exception:
        if at.refreshed or not self._credentials.can_refresh:
            return TokenExpiredError(apierrors.TOKEN_EXPIRED_HELP, info)
        with self._lock:  # calls in parallel threads refresh once, then all use the new token
            if self._credentials.token == at.token:
                self._refresh()
        at.refreshed = True
        return _Retry(0.0, "")

    def _refresh_when_due(self, at: _Attempt) -> None:
        """Refresh before the call when the token's known expiry has passed."""
        credentials = self._credentials
        if not (credentials.can_refresh and credentials.expired(self._clock())):
            return
        with self._lock:
            if self._credentials.token == credentials.token:
                self._refresh()
        at.refreshed = True

    def _refresh(self) -> None:
        old = self._credentials.secrets()
        self._credentials = renew(self._http, self._renewal, self._credentials,
                                  secrets=self.secrets, now=self._clock)
        self._old_secrets.extend(old)
        self.refreshes += 1
        store = self._renewal.store
        notice = REFRESH_NOTICE.format(store=store.path if store else "memory")
        logger.info(notice)
        if self._on_notice:
            self._on_notice(notice)

    def _wait_until(self, until: float, reason: str) -> None:
        """A rate-limit wait; a thread that queued behind another's wait for the same reset
        does not wait (or report) again."""
        with self._wait_lock:
            self._pause(until - self._clock(), reason)

    def _pause(self, seconds: float, reason: str) -> None:
        if seconds <= 0:
            return
        if reason:
            logger.info("waiting %.1f s: %s", seconds, reason)
            if self._on_wait:
                self._on_wait(seconds, reason)
        self._sleep(seconds)
