"""Webhook endpoints, their deliveries (with redelivery) and flows — admins only."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Status

from fieldops.accounts.permissions import require
from fieldops.errors import NotFound
from fieldops.pagination import cursor_paginate
from integrations.webhooks.models import Flow, WebhookDelivery, WebhookEndpoint
from integrations.webhooks.schemas import (
    DeliveryOut,
    DeliveryPage,
    EndpointCreated,
    EndpointIn,
    EndpointOut,
    EndpointPage,
    EndpointPatch,
    FlowIn,
    FlowOut,
    FlowRunOut,
    FlowTestIn,
)
from integrations.webhooks.services.delivery import delivery_redeliver
from integrations.webhooks.services.endpoints import (
    endpoint_create,
    endpoint_get_for_user,
    endpoint_update,
)
from integrations.webhooks.services.flows import flow_create, flow_test

router = Router(tags=["webhooks"])


@router.get("/endpoints", response=EndpointPage)
def list_endpoints(request: HttpRequest, cursor: str | None = None, limit: int = 50):
    require(request.auth, "webhooks.admin")
    rows = WebhookEndpoint.objects.filter(
        organization_id=request.auth.organization_id
    ).select_related("connection")
    page = cursor_paginate(rows, cursor=cursor, limit=limit, keys=("-created_at", "-id"))
    return {
        "items": [EndpointOut.from_model(e) for e in page.items],
        "next_cursor": page.next_cursor,
    }


@router.post("/endpoints", response={201: EndpointCreated})
def create_endpoint(request: HttpRequest, payload: EndpointIn):
    created = endpoint_create(membership=request.auth, **payload.dict())
    out = EndpointOut.from_model(created.endpoint)
    return Status(201, EndpointCreated(**out.dict(), secret=created.secret))


@router.get("/endpoints/{endpoint_id}", response=EndpointOut)
def get_endpoint(request: HttpRequest, endpoint_id: UUID):
    return EndpointOut.from_model(endpoint_get_for_user(request.auth, endpoint_id))


@router.patch("/endpoints/{endpoint_id}", response=EndpointOut)
def update_endpoint(request: HttpRequest, endpoint_id: UUID, payload: EndpointPatch):
    endpoint = endpoint_get_for_user(request.auth, endpoint_id)
    values = payload.dict(exclude_unset=True)
    return EndpointOut.from_model(
        endpoint_update(membership=request.auth, endpoint=endpoint, values=values)
    )


@router.get("/deliveries", response=DeliveryPage)
def list_deliveries(
    request: HttpRequest,
    endpoint_id: UUID | None = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
):
    require(request.auth, "webhooks.admin")
    rows = WebhookDelivery.objects.filter(
        organization_id=request.auth.organization_id
    ).select_related("endpoint")
    if endpoint_id:
        rows = rows.filter(endpoint__public_id=endpoint_id)
    if status:
        rows = rows.filter(status=status)
    page = cursor_paginate(rows, cursor=cursor, limit=limit, keys=("-created_at", "-id"))
    return {
        "items": [DeliveryOut.from_model(d) for d in page.items],
        "next_cursor": page.next_cursor,
    }


def _delivery(request: HttpRequest, delivery_id: UUID) -> WebhookDelivery:
    require(request.auth, "webhooks.admin")
    delivery = (
        WebhookDelivery.objects.select_related("endpoint")
        .filter(organization_id=request.auth.organization_id, public_id=delivery_id)
        .first()
    )
    if delivery is None:
        raise NotFound("No such delivery.")
    return delivery


@router.get("/deliveries/{delivery_id}", response=DeliveryOut)
def get_delivery(request: HttpRequest, delivery_id: UUID):
    return DeliveryOut.from_model(_delivery(request, delivery_id))


@router.post("/deliveries/{delivery_id}/redeliver", response={202: DeliveryOut})
def redeliver(request: HttpRequest, delivery_id: UUID):
    delivery = delivery_redeliver(delivery=_delivery(request, delivery_id))
    return Status(202, DeliveryOut.from_model(delivery))


def _flow_out(flow: Flow) -> FlowOut:
    return FlowOut(
        id=flow.public_id,
        name=flow.name,
        event_type=flow.event_type,
        conditions=flow.conditions,
        action=flow.action,
        endpoint_id=flow.endpoint.public_id if flow.endpoint_id else None,
        connection_id=flow.connection.public_id if flow.connection_id else None,
        entity=flow.entity,
        enabled=flow.enabled,
    )


def _flow(request: HttpRequest, flow_id: UUID) -> Flow:
    require(request.auth, "webhooks.admin")
    flow = (
        Flow.objects.select_related("endpoint", "connection")
        .filter(organization_id=request.auth.organization_id, public_id=flow_id)
        .first()
    )
    if flow is None:
        raise NotFound("No such flow.")
    return flow


@router.post("/flows", response={201: FlowOut})
def create_flow(request: HttpRequest, payload: FlowIn):
    flow = flow_create(membership=request.auth, values=payload.dict())
    return Status(201, _flow_out(flow))


@router.post("/flows/{flow_id}/test", response=FlowRunOut)
def test_flow(request: HttpRequest, flow_id: UUID, payload: FlowTestIn):
    return flow_test(flow=_flow(request, flow_id), data=payload.data)


@router.get("/flows/{flow_id}/runs", response=list[FlowRunOut])
def flow_runs(request: HttpRequest, flow_id: UUID):
    return list(_flow(request, flow_id).runs.order_by("-created_at", "-id")[:100])
