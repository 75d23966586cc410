"""Domain errors with the stable codes of the API's error envelope.

Services raise these; the API maps them to ``{"error": {"code", "message", "details"}}`` and pages
turn them into messages. One place defines each code's HTTP status.
"""

from typing import Any


class DomainError(Exception):
    code = "ERROR"
    status = 400
    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None, *, details: dict[str, Any] | None = None):
        self.message = message or self.default_message
        self.details = details or {}
        super().__init__(self.message)


class ValidationFailed(DomainError):
    code = "VALIDATION_ERROR"
    status = 422
    default_message = "Some fields are not valid."


class NotFound(DomainError):
    code = "NOT_FOUND"
    status = 404
    default_message = "Not found."


class PermissionDenied(DomainError):
    code = "PERMISSION_DENIED"
    status = 403
    default_message = "You do not have permission to do this."


class AuthRequired(DomainError):
    code = "AUTH_REQUIRED"
    status = 401
    default_message = "Sign in or send a valid API token."


class VersionConflict(DomainError):
    code = "VERSION_CONFLICT"
    status = 409
    default_message = "The record changed since you loaded it."


class InvalidTransition(DomainError):
    code = "INVALID_TRANSITION"
    status = 409
    default_message = "That status change is not allowed."


class Conflict(DomainError):
    code = "CONFLICT"
    status = 409
    default_message = "The request conflicts with the current state."


class RateLimitExceeded(DomainError):
    code = "RATE_LIMIT_EXCEEDED"
    status = 429
    default_message = "Too many requests; retry later."

    def __init__(self, message: str | None = None, *, retry_after: int = 60, **kwargs: Any):
        self.retry_after = max(1, int(retry_after))
        super().__init__(message, **kwargs)


class UpstreamError(DomainError):
    code = "UPSTREAM_ERROR"
    status = 502
    default_message = "A connected system did not answer as expected."


class ServiceUnavailable(DomainError):
    code = "SERVICE_UNAVAILABLE"
    status = 503
    default_message = "The service is briefly unavailable; retry shortly."


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


STATUS_CODES = {
    400: "BAD_REQUEST",
    401: AuthRequired.code,
    403: PermissionDenied.code,
    404: NotFound.code,
    405: "METHOD_NOT_ALLOWED",
    409: Conflict.code,
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: ValidationFailed.code,
    429: RateLimitExceeded.code,
    500: "INTERNAL_ERROR",
    502: UpstreamError.code,
    503: ServiceUnavailable.code,
}


def code_for_status(status: int) -> str:
    return STATUS_CODES.get(status, "ERROR" if status < 500 else "INTERNAL_ERROR")
