"""Request size limits, answered before Django parses the body."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from fieldops.errors import error_body

API_PREFIX = "/api/"
TOO_LARGE = "The request is too large."


def too_large_response(request: HttpRequest, limit: int) -> HttpResponse:
    message = f"{TOO_LARGE} The limit is {limit // (1024 * 1024)} MB."
    if request.path.startswith(API_PREFIX):
        response: HttpResponse = JsonResponse(
            error_body("PAYLOAD_TOO_LARGE", message, {"limit_bytes": limit}), status=413
        )
    else:
        response = HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
    # The client may still be sending; tell it not to reuse the connection for more.
    response["Connection"] = "close"
    return response


class RequestSizeLimitMiddleware:
    """Refuses a request whose declared body is larger than ``REQUEST_MAX_BYTES``
    (``DATA_UPLOAD_MAX_MEMORY_SIZE``) with 413 before Django parses it: Django's own limit leaves
    out file uploads, which it would otherwise stream to a temporary file however large they are.
    Bodies without a length (chunked) hit Django's limit while being read, which the API maps to
    the same 413 (``fieldops.api_errors``). Daphne has received the body by then: what a client
    may send is bounded by the proxy in front (SECURITY.md)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if limit is not None and declared > limit:
            return too_large_response(request, limit)
        return self.get_response(request)
