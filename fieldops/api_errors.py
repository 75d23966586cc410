"""One mapping from every error to the API's envelope."""

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from fieldops.errors import (
    AuthRequired,
    DomainError,
    NotFound,
    RateLimitExceeded,
    ServiceUnavailable,
    ValidationFailed,
    code_for_status,
    error_body,
)
from fieldops.inputs import validation_details

logger = logging.getLogger("fieldops.api")
# RFC 9110: a 401 names the scheme that would work.
AUTH_CHALLENGE = "Bearer"
# Seconds a client should wait before retrying after PostgreSQL or Redis went away.
BACKEND_RETRY_AFTER = 1

# The statuses any operation may answer with the envelope, and when.
ERROR_RESPONSES = {
    400: "The request could not be read.",
    401: "No valid session or API token (AUTH_REQUIRED).",
    403: "The caller's role may not do this (PERMISSION_DENIED).",
    404: "No such row in the caller's organisation (NOT_FOUND).",
    409: "A version, transition or state conflict (VERSION_CONFLICT, INVALID_TRANSITION, ...).",
    413: "The request body is larger than allowed (PAYLOAD_TOO_LARGE).",
    422: "The input is not valid (VALIDATION_ERROR, with the fields in details).",
    429: "Too many requests; see Retry-After (RATE_LIMIT_EXCEEDED).",
    502: "A connected system did not answer as expected (UPSTREAM_ERROR).",
    503: "Briefly unavailable; retry (SERVICE_UNAVAILABLE).",
}
ERROR_SCHEMA = {
    "title": "ErrorEnvelope",
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "examples": ["VALIDATION_ERROR"]},
                "message": {"type": "string"},
                "details": {"type": "object"},
            },
        }
    },
}


class EnvelopeAPI(NinjaAPI):
    """A NinjaAPI whose OpenAPI documents the error envelope on every operation, so clients
    (and the fuzzer) know every 4xx/5xx body is ``{"error": {"code", "message", "details"}}``."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {})["ErrorEnvelope"] = (
            ERROR_SCHEMA
        )
        ref = {"$ref": "#/components/schemas/ErrorEnvelope"}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, description in ERROR_RESPONSES.items():
                    responses.setdefault(
                        str(status),
                        {
                            "description": description,
                            "content": {"application/json": {"schema": ref}},
                        },
                    )
        return schema


def _envelope(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    details: dict | None = None,
) -> HttpResponse:
    return api.create_response(request, error_body(code, message, details), status=status)


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        response = _envelope(api, request, exc.status, exc.code, exc.message, exc.details)
        if isinstance(exc, RateLimitExceeded):
            response["Retry-After"] = str(exc.retry_after)
        if isinstance(exc, AuthRequired):
            response["WWW-Authenticate"] = AUTH_CHALLENGE
        return response

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return _envelope(
            api,
            request,
            422,
            ValidationFailed.code,
            ValidationFailed.default_message,
            validation_details(exc.errors),
        )

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return _envelope(api, request, 404, NotFound.code, NotFound.default_message)

    @api.exception_handler(AuthenticationError)
    def auth_required(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = _envelope(api, request, 401, AuthRequired.code, AuthRequired.default_message)
        response["WWW-Authenticate"] = AUTH_CHALLENGE
        return response

    @api.exception_handler(Throttled)
    def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        retry_after = max(1, round(exc.wait or 60))
        response = _envelope(
            api,
            request,
            429,
            RateLimitExceeded.code,
            RateLimitExceeded.default_message,
            {"retry_after": retry_after},
        )
        response["Retry-After"] = str(retry_after)
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return _envelope(
            api, request, exc.status_code, code_for_status(exc.status_code), exc.message
        )

    @api.exception_handler(OperationalError)
    @api.exception_handler(InterfaceError)
    @api.exception_handler(RedisConnectionError)
    @api.exception_handler(RedisTimeoutError)
    def backend_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
        # PostgreSQL or Redis went away (a failover, a restart, a killed backend): the
        # transaction was rolled back with it and Django drops the connection after this
        # request, so the client may simply retry. No driver message: it can name hosts.
        logger.warning(
            "Backend unavailable on %s %s: %s", request.method, request.path, type(exc).__name__
        )
        response = _envelope(
            api, request, 503, ServiceUnavailable.code, ServiceUnavailable.default_message
        )
        response["Retry-After"] = str(BACKEND_RETRY_AFTER)
        return response

    @api.exception_handler(RequestDataTooBig)
    def too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        # A body without a Content-Length (chunked) that outgrew REQUEST_MAX_BYTES while read;
        # declared lengths are refused earlier by fieldops.web.limits.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return _envelope(
            api,
            request,
            413,
            "PAYLOAD_TOO_LARGE",
            "The request is too large.",
            {"limit_bytes": limit},
        )

    @api.exception_handler(SuspiciousOperation)
    def suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        # Too many fields or files, a malformed multipart body: the client's fault, not ours.
        return _envelope(api, request, 400, "BAD_REQUEST", "The request could not be read.")

    @api.exception_handler(Exception)
    def unhandled(request: HttpRequest, exc: Exception) -> HttpResponse:
        # Logged with the trace for operators; the client gets the envelope and nothing more.
        logger.exception("Unhandled API error on %s %s", request.method, request.path)
        return _envelope(
            api,
            request,
            500,
            "INTERNAL_ERROR",
            "Something went wrong on our side; it has been logged.",
        )
