"""The inbound receiver (ERPs call it) and the admins' webhook pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from fieldops.accounts.models import Membership
from fieldops.accounts.permissions import require
from fieldops.errors import DomainError, PermissionDenied, error_body
from fieldops.events import CATALOGUE
from fieldops.inputs import field_problems, page_input, typed_back, typed_text
from integrations.models import Connection, Entity
from integrations.webhooks import selectors
from integrations.webhooks.models import (
    DeliveryStatus,
    Flow,
    FlowAction,
    FlowRun,
    InboundStatus,
    WebhookAlert,
    WebhookDelivery,
    WebhookEndpoint,
)
from integrations.webhooks.schemas import EndpointIn, FlowFormIn, FlowTestFormIn
from integrations.webhooks.services.delivery import delivery_redeliver
from integrations.webhooks.services.endpoints import endpoint_create
from integrations.webhooks.services.flows import flow_create, flow_test
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
    require(request.membership, "webhooks.admin")
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
            "url": typed_text(request, "url"),
            "event_types": typed_back(request, "event_types"),
            "description": typed_text(request, "description"),
        }
        try:
            created = endpoint_create(
                membership=membership, **page_input(request, EndpointIn).dict()
            )
        except DomainError as exc:
            errors = field_problems(exc.details) or {"url": exc.message}
            context.update(values=values, errors=errors)
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
    # Another organisation's alert is a 404, not a silent redirect.
    alert = get_object_or_404(WebhookAlert, organization_id=membership.organization_id, pk=alert_id)
    WebhookAlert.objects.filter(pk=alert.pk, resolved_at__isnull=True).update(
        resolved_at=timezone.now()
    )
    return redirect("webhooks:monitor")


@login_required
def flows(request: HttpRequest) -> HttpResponse:
    """Flows: list with recent runs, a form to add one, and a test button per flow."""
    membership = _admin(request)
    org = membership.organization_id
    context: dict = {"values": {}, "errors": {}, "tested": None}
    status = 200
    if request.method == "POST" and "test" in request.POST:
        try:
            asked = page_input(request, FlowTestFormIn)
        except DomainError as exc:
            context["errors"] = field_problems(exc.details)
            if "test" in context["errors"]:  # the button's own hidden id: no such flow
                raise Http404("No such flow.") from None
            status = 422
        else:
            flow = get_object_or_404(Flow, organization_id=org, public_id=asked.test)
            context["tested"] = flow_test(flow=flow, data=asked.sample)
    elif request.method == "POST":
        try:
            values = page_input(request, FlowFormIn).dict()
            flow = flow_create(membership=membership, values=values)
        except DomainError as exc:
            errors = field_problems(exc.details) or {"name": exc.message}
            for field in ("endpoint", "connection"):  # the form's place for the *_id's message
                if f"{field}_id" in errors:
                    errors.setdefault(field, errors.pop(f"{field}_id"))
            context.update(values=request.POST, errors=errors)
            status = 422
        else:
            messages.success(request, f"Flow “{flow.name}” added.")
            return redirect("webhooks:flows")
    context.update(
        flows=_flows_with_runs(org),
        endpoints=WebhookEndpoint.objects.filter(organization_id=org, enabled=True),
        connections=Connection.objects.filter(organization_id=org),
        catalogue=sorted(CATALOGUE),
        entities=Entity.choices,
        actions=FlowAction.choices,
    )
    return render(request, "webhooks/flows.html", context, status=status)


def _flows_with_runs(organization_id: int) -> list[Flow]:
    flows = list(
        Flow.objects.filter(organization_id=organization_id)
        .select_related("endpoint", "connection")
        .order_by("name", "id")
    )
    # The run log: the newest 200 runs of the organisation's flows, ten shown per flow.
    recent: dict[int, list[FlowRun]] = {}
    for run in FlowRun.objects.filter(flow__in=flows).order_by("-created_at", "-id")[:200]:
        recent.setdefault(run.flow_id, []).append(run)
    for flow in flows:
        flow.recent_runs = recent.get(flow.pk, [])[:10]
    return flows
