"""Turn what the platform (or the network) answered into the typed errors of ``scsync.errors``.

Every message is built from the response's error id and description, the method and the path
without its query string: never from request headers, and always redacted of the secrets given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from scsync.errors import (
    AuthError,
    NotFoundError,
    PlatformRejected,
    ProviderError,
    ResponseInfo,
    ServerError,
    TransportError,
    redact,
)

TOKEN_EXPIRED_HELP = (
    "the access token has expired; create a new one in Social Connect (Account settings > API) "
    "and set it in SCSYNC_TOKEN, or configure refresh_token, client_id and client_secret to "
    "refresh it automatically"
)
_ERRNO = re.compile(r"^\[Errno -?\d+\]\s*")


def error_body(response: httpx.Response) -> Mapping[str, Any]:
    """The error object of a response (``{"error", "error_description", ...}``), or ``{}``."""
    try:
        body = response.json()
    except ValueError:
        return {}
    if not isinstance(body, dict):
        return {}
    inner = body.get("response")
    if "error" not in body and isinstance(inner, dict) and "error" in inner:
        return inner
    return body


def response_info(response: httpx.Response, method: str, path: str,
                  secrets: Iterable[str]) -> ResponseInfo:
    """The facts an error keeps of a response (redacted)."""
    body = error_body(response)
    details = body.get("error_details") or ()
    description = body.get("error_description")
    return ResponseInfo(
        status=response.status_code,
        error_id=str(body["error"]) if body.get("error") else None,
        description=redact(str(description), secrets) if description else None,
        method=method,
        path=path,
        details=tuple(details) if isinstance(details, list | tuple) else (details,),
    )


def is_token_expired(info: ResponseInfo) -> bool:
    """A ``no_permission`` whose description speaks of expiry (no public source shows the
    platform's exact words, so no one string is relied on; the client also treats a
    ``no_permission`` past the token's known expiry as expiry)."""
    return info.error_id == "no_permission" and "expire" in (info.description or "").lower()


def _reason(info: ResponseInfo) -> str:
    error_id = info.error_id or f"HTTP {info.status}"
    return f"{error_id}: {info.description}" if info.description else error_id


def error_for(info: ResponseInfo, secrets: Iterable[str]) -> ProviderError:
    """The typed error for an error response (rate limits and expiry are handled by the caller)."""
    where = f"{info.method} {info.path}"
    status = info.status or 0
    if status >= 500:
        message = f"the platform failed {where}: {_reason(info)}"
        return ServerError(redact(message, secrets), info)
    message = redact(f"the platform refused {where}: {_reason(info)}", secrets)
    if info.error_id == "no_permission" or status in (401, 403):
        return AuthError(message, info)
    if info.error_id == "not_found" or status == 404:
        return NotFoundError(message, info)
    return PlatformRejected(message, info)


def transport_reason(exc: httpx.TransportError) -> str:
    """``connection refused``, ``timed out``... from an httpx error, without an errno prefix."""
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    text = _ERRNO.sub("", str(exc).strip()) or type(exc).__name__
    return text[:1].lower() + text[1:]


def is_certificate_error(exc: httpx.TransportError) -> bool:
    """True when the server's TLS certificate failed verification: retrying cannot help."""
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


def was_not_sent(exc: httpx.TransportError) -> bool:
    """True when the request never reached the server (safe to retry even a create)."""
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


def transport_error(exc: httpx.TransportError, *, origin: str, method: str, path: str,
                    secrets: Iterable[str]) -> TransportError:
    """``cannot reach https://api.engagor.com: connection refused`` and the like."""
    reason = transport_reason(exc)
    if was_not_sent(exc):
        message = f"cannot reach {origin}: {reason}"
    else:
        message = f"lost the connection to {origin} during {method} {path}: {reason}"
    info = ResponseInfo(method=method, path=path)
    return TransportError(redact(message, secrets), info)
