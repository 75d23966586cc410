import json
import sys
from collections.abc import Callable

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from fieldops.errors import (
    DomainError,
    NotFound,
    ServiceUnavailable,
    code_for_status,
    error_body,
)
from fieldops.errors import PermissionDenied as DomainPermissionDenied

API_PREFIX = "/api/"
# A backing service that went away for a moment (PostgreSQL failover or restart, Redis restart):
# the request changed nothing and a retry will work, so 503 + Retry-After rather than a 500.
BACKEND_UNAVAILABLE = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)
_MESSAGES = {
    403: "You do not have permission to do this.",
    404: "Not found.",
    405: "This method is not allowed here.",
    413: "The request is too large.",
    500: "Something went wrong on our side; it has been logged.",
}


class ApiErrorEnvelopeMiddleware:
    """Errors raised outside ninja's handlers (unknown route, CSRF, Django's own 404/405/500)
    still reach API clients in the envelope, never as an HTML page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX) or response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith("application/json") and _is_envelope(
            response
        ):
            return response
        status = response.status_code
        wrapped = JsonResponse(
            error_body(code_for_status(status), _MESSAGES.get(status, "Request failed.")),
            status=status,
        )
        for header in ("Allow", "Retry-After"):
            if header in response:
                wrapped[header] = response[header]
        return wrapped


def _is_envelope(response: HttpResponse) -> bool:
    try:
        body = json.loads(response.content)
    except (ValueError, AttributeError):
        return False
    return isinstance(body, dict) and isinstance(body.get("error"), dict)


class DomainErrorPageMiddleware:
    """Pages get the same rules as the API: another organisation's row is a 404, a refused
    action a 403, and any other domain error a page that says what went wrong."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, BACKEND_UNAVAILABLE):
            # API throttles (cache) run before ninja's own error handlers, so they land here.
            return backend_unavailable(request)
        if request.path.startswith(API_PREFIX) or not isinstance(exception, DomainError):
            return None
        if isinstance(exception, NotFound):
            raise Http404(exception.message)
        if isinstance(exception, DomainPermissionDenied):
            raise DjangoPermissionDenied(exception.message)
        return render(request, "web/error.html", {"error": exception}, status=exception.status)


DATABASE_UNAVAILABLE_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="5"><title>Briefly unavailable</title></head>
<body><h1>Briefly unavailable</h1><p>{message} Nothing was changed; this page retries
by itself.</p></body></html>"""


def backend_unavailable(request: HttpRequest) -> HttpResponse:
    """The database or Redis connection was lost mid-request (failover, restart): the
    transaction rolled back and Django drops the broken connection afterwards, so a retry works.
    Rendered without templates or context processors, which would need the database again."""
    message = ServiceUnavailable.default_message
    if request.path.startswith(API_PREFIX):
        response: HttpResponse = JsonResponse(
            error_body(ServiceUnavailable.code, message), status=503
        )
    else:
        response = HttpResponse(DATABASE_UNAVAILABLE_PAGE.format(message=message), status=503)
    response["Retry-After"] = "1"
    return response


def _backend_error_in(exception: BaseException | None) -> bool:
    seen = set()
    while exception is not None and id(exception) not in seen:
        if isinstance(exception, BACKEND_UNAVAILABLE):
            return True
        seen.add(id(exception))
        exception = exception.__cause__ or exception.__context__
    return False


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: an error raised before any view ran (the session or membership middleware
    reading a database that is gone) still answers 503 + Retry-After when a lost backend caused
    it, however Django wrapped it; anything else is Django's own 500 page."""
    if _backend_error_in(sys.exc_info()[1]):
        return backend_unavailable(request)
    return defaults.server_error(request)
