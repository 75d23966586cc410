import json
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from fieldops.errors import code_for_status, error_body

API_PREFIX = "/api/"
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
