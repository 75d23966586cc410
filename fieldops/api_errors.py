"""One mapping from every error to the API's envelope."""

import logging

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from fieldops.errors import (
    AuthRequired,
    DomainError,
    NotFound,
    RateLimitExceeded,
    ValidationFailed,
    code_for_status,
    error_body,
)

logger = logging.getLogger("fieldops.api")


def _envelope(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    details: dict | None = None,
) -> HttpResponse:
    return api.create_response(request, error_body(code, message, details), status=status)


def validation_details(errors: list[dict]) -> dict:
    fields: dict[str, str] = {}
    for error in errors:
        # ninja prefixes the location with where it came from: body/query/path/header
        loc = [
            str(part)
            for part in error.get("loc", ())
            if part not in ("body", "query", "path", "header", "payload", "form")
        ]
        fields[".".join(loc) or "__all__"] = error.get("msg", "Invalid value.")
    return {"fields": fields}


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        response = _envelope(api, request, exc.status, exc.code, exc.message, exc.details)
        if isinstance(exc, RateLimitExceeded):
            response["Retry-After"] = str(exc.retry_after)
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
        return _envelope(api, request, 401, AuthRequired.code, AuthRequired.default_message)

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
