"""The inbound receiver (ERPs call it) and the admins' webhook pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from fieldops.accounts.models import Membership
from fieldops.errors import DomainError, PermissionDenied, error_body
from fieldops.events import CATALOGUE
from integrations.webhooks import selectors
from integrations.webhooks.models import (
    DeliveryStatus,
    InboundStatus,
    WebhookAlert,
    WebhookDelivery,
    WebhookEndpoint,
)
from integrations.webhooks.services.delivery import delivery_redeliver
from integrations.webhooks.services.endpoints import endpoint_create, require_admin
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


def _admin(request: HttpRequest) -> Membership:
    if request.membership is None:
        raise PermissionDenied("Join an organisation first.")
    require_admin(request.membership)
    return request.membership


@login_required
def monitor(request: HttpRequest) -> HttpResponse:
    membership = _admin(request)
    org = membership.organization_id
    filters = {
        "endpoint": request.GET.get("endpoint", ""),
        "status": request.GET.get("status", ""),
        "event_type": request.GET.get("event_type", ""),
        "connection": request.GET.get("connection", ""),
        "inbound_status": request.GET.get("inbound_status", ""),
    }
    try:
        delivery_rows = list(
            selectors.deliveries(
                org,
                endpoint=filters["endpoint"],
                status=filters["status"],
                event_type=filters["event_type"],
            )[:50]
        )
        inbound_rows = list(
            selectors.inbound_events(
                org, connection=filters["connection"], status=filters["inbound_status"]
            )[:50]
        )
    except ValidationError:
        delivery_rows, inbound_rows = [], []
    context = {
        "filters": filters,
        "deliveries": delivery_rows,
        "inbound": inbound_rows,
        "endpoints": selectors.endpoint_health(org),
        "connections": selectors.connection_health(org),
        "alerts": list(selectors.open_alerts(org)[:50]),
        "delivery_statuses": DeliveryStatus.choices,
        "inbound_statuses": InboundStatus.choices,
    }
    template = "webhooks/monitor.html"
    if request.htmx:
        template += "#tables"
    return render(request, template, context)


@login_required
def endpoints(request: HttpRequest) -> HttpResponse:
    membership = _admin(request)
    context: dict = {"new_secret": None, "values": {}, "errors": {}}
    status = 200
    if request.method == "POST":
        values = {
            "url": request.POST.get("url", "").strip(),
            "event_types": [t for t in request.POST.getlist("event_types") if t],
            "description": request.POST.get("description", "").strip(),
        }
        try:
            created = endpoint_create(membership=membership, **values)
        except DomainError as exc:
            context.update(values=values, errors=exc.details or {"url": exc.message})
            status = 422
        else:
            context.update(new_secret=created.secret, new_url=created.endpoint.url)
    context.update(
        endpoints=WebhookEndpoint.objects.filter(
            organization_id=membership.organization_id
        ).order_by("-created_at", "-id"),
        catalogue=sorted(CATALOGUE),
    )
    return render(request, "webhooks/endpoints.html", context, status=status)


@login_required
@require_POST
def redeliver(request: HttpRequest, delivery_id: str) -> HttpResponse:
    membership = _admin(request)
    delivery = get_object_or_404(
        WebhookDelivery, organization_id=membership.organization_id, public_id=delivery_id
    )
    delivery_redeliver(delivery=delivery)
    messages.success(request, f"Delivery of {delivery.event_id} queued again.")
    return redirect("webhooks:monitor")


@login_required
@require_POST
def alert_dismiss(request: HttpRequest, alert_id: int) -> HttpResponse:
    membership = _admin(request)
    WebhookAlert.objects.filter(
        organization_id=membership.organization_id, pk=alert_id, resolved_at__isnull=True
    ).update(resolved_at=timezone.now())
    return redirect("webhooks:monitor")
