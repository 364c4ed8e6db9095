"""The emulator's own errors: ``EmulatorError`` for bad set-up (fixture, options), ``ApiError`` for
an API answer in the platform's error envelope, ``DropConnection`` for a fault that closes
the socket.

The emulator imports nothing from the rest of scsync, so these are independent of ``scsync.errors``.
"""

from __future__ import annotations

from typing import Any

STATUS = {
    "invalid_parameter": 400,
    "limit_exceeded": 400,
    "feature_limit_reached": 400,
    "rate_limit_reached": 400,
    "unsupported_type": 400,
    "invalid_protocol": 400,
    "deprecated": 400,
    "no_permission": 403,
    "not_found": 404,
    "invalid_http_method": 405,
    "internal_server_error": 500,
}


class EmulatorError(Exception):
    """A bad fixture, database or option; the message is one line."""


class ApiError(Exception):
    """An error answer of the API: ``error`` is an id of platform-api.md's table."""

    def __init__(self, error: str, description: str, *, details: list[Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.details = details
        self.headers = headers or {}  # extra response headers (Allow, for a wrong method)
        self.status = STATUS[error]

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.status, "error": self.error,
                                "error_description": self.description}
        if self.details:
            body["error_details"] = self.details
        return body


def invalid(description: str) -> ApiError:
    return ApiError("invalid_parameter", description)


def not_found(description: str) -> ApiError:
    return ApiError("not_found", description)


class DropConnection(ConnectionAbortedError):
    """Raised by the WSGI app to make the server close the socket without any answer."""
