"""The inbound receiver (ERPs call it) and the admins' webhook pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from fieldops.errors import DomainError, error_body
from integrations.webhooks.services.inbound import inbound_receive


@csrf_exempt
@require_POST
def inbound(request: HttpRequest, connection_id: str) -> HttpResponse:
    """Verify, store, answer. Processing happens in a task, so the sender gets its 200 at once
    whatever processing later makes of the event."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    try:
        received = inbound_receive(
            connection_public_id=connection_id, headers=headers, body=request.body
        )
    except DomainError as refused:
        return JsonResponse(
            error_body(refused.code, refused.message, refused.details), status=refused.status
        )
    return JsonResponse({"received": True, "duplicate": received.duplicate})
