"""One error shape for the whole API and the single place where failures become HTTP statuses.

Every error body is `{"error": {"code", "message", "details"}}`. Codes are snake_case strings
that never change meaning once published (see mobile_contract/ for the list).
"""
from __future__ import annotations

import json
import logging
from typing import Any

from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    """A failure the client can act on: carries its HTTP status and stable code."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 details: Any = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.status = status or self.status
        self.details = details
        self.headers = headers or {}


class NotFound(ApiError):
    status, code = 404, "not_found"


class NotAllowed(ApiError):
    status, code = 403, "forbidden"


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class InvalidTransition(ApiError):
    status, code = 409, "invalid_transition"


class ValidationFailed(ApiError):
    status, code = 422, "validation_error"


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


# Werkzeug's own exceptions (routing, limits, methods) keep their status and get a stable code.
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    411: "length_required",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


def error_body(code: str, message: str, details: Any = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_bytes(code: str, message: str, details: Any = None) -> bytes:
    return json.dumps(error_body(code, message, details)).encode()


def api_error_response(exc: ApiError):
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
    headers.update(exc.headers)
    return error_body(exc.code, exc.message, exc.details), exc.status, headers


def http_exception_response(exc: HTTPException):
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    details = data.get("messages") or data.get("errors") or {}
    # webargs nests messages under the location ("json", "query"); the client only needs fields.
    if isinstance(details, dict) and len(details) == 1:
        (location, inner), = details.items()
        if location in {"json", "query", "headers", "path", "view_args"} and isinstance(inner, dict):
            details = inner
    message = data.get("message") or exc.description or exc.name
    if status == 422 and details:
        message = "The request did not pass validation."
    return error_body(HTTP_CODES.get(status, "http_error"), message, details), status, dict(
        data.get("headers") or {})


def unexpected_error_response(exc: Exception):
    log.exception("unhandled error", exc_info=exc)
    return error_body("internal_error", "Internal error; the request was not applied."), 500
