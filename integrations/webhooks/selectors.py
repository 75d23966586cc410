"""Reads for the monitoring page: recent deliveries and inbound events, failure rates, alerts,
and each connection's polling fallback."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from integrations.models import FINISHED_RUN_STATUSES, Connection, SyncRun
from integrations.ratelimit import breaker_state
from integrations.webhooks.models import (
    DeliveryStatus,
    InboundEvent,
    InboundStatus,
    WebhookAlert,
    WebhookDelivery,
    WebhookEndpoint,
)

WINDOW = timedelta(days=1)


def deliveries(
    organization_id: int, *, endpoint: str = "", status: str = "", event_type: str = ""
) -> QuerySet[WebhookDelivery]:
    rows = WebhookDelivery.objects.filter(organization_id=organization_id).select_related(
        "endpoint"
    )
    if endpoint:
        rows = rows.filter(endpoint__public_id=endpoint)
    if status:
        rows = rows.filter(status=status)
    if event_type:
        rows = rows.filter(event_type=event_type)
    return rows.order_by("-created_at", "-id")


def inbound_events(
    organization_id: int, *, connection: str = "", status: str = ""
) -> QuerySet[InboundEvent]:
    rows = InboundEvent.objects.filter(organization_id=organization_id).select_related("connection")
    if connection:
        rows = rows.filter(connection__public_id=connection)
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-created_at", "-id")


def _rate(failed: int, total: int) -> float | None:
    return round(100 * failed / total, 1) if total else None


def endpoint_health(organization_id: int) -> list[dict[str, Any]]:
    since = timezone.now() - WINDOW
    rows = WebhookEndpoint.objects.filter(organization_id=organization_id).annotate(
        total=Count("deliveries", filter=Q(deliveries__last_attempt_at__gte=since)),
        failed=Count(
            "deliveries",
            filter=Q(deliveries__last_attempt_at__gte=since)
            & ~Q(deliveries__status=DeliveryStatus.SUCCEEDED),
        ),
    )
    return [
        {"endpoint": e, "total": e.total, "failed": e.failed, "rate": _rate(e.failed, e.total)}
        for e in rows.order_by("url", "id")
    ]


def connection_health(organization_id: int) -> list[dict[str, Any]]:
    since = timezone.now() - WINDOW
    connections = Connection.objects.filter(organization_id=organization_id).order_by("name")
    inbound = {
        row["connection_id"]: row
        for row in InboundEvent.objects.filter(
            organization_id=organization_id, created_at__gte=since
        )
        .values("connection_id")
        .annotate(
            total=Count("id"),
            failed=Count("id", filter=Q(status=InboundStatus.FAILED)),
            last_ok=Max("processed_at", filter=~Q(status=InboundStatus.FAILED)),
        )
    }
    last_runs = {
        row["connection_id"]: row["last"]
        for row in SyncRun.objects.filter(
            organization_id=organization_id, status__in=FINISHED_RUN_STATUSES
        )
        .values("connection_id")
        .annotate(last=Max("finished_at"))
    }
    out = []
    for connection in connections:
        stats = inbound.get(connection.pk, {"total": 0, "failed": 0, "last_ok": None})
        next_poll = (
            connection.last_polled_at + timedelta(minutes=connection.poll_interval_minutes)
            if connection.last_polled_at and connection.is_active and connection.sync_entities
            else None
        )
        out.append(
            {
                "connection": connection,
                "total": stats["total"],
                "failed": stats["failed"],
                "rate": _rate(stats["failed"], stats["total"]),
                "last_success": stats["last_ok"],
                "last_poll": connection.last_polled_at,
                "next_poll": next_poll,
                "last_sync": last_runs.get(connection.pk),
                "circuit": breaker_state(connection),
            }
        )
    return out


def open_alerts(organization_id: int) -> QuerySet[WebhookAlert]:
    return WebhookAlert.objects.filter(
        organization_id=organization_id, resolved_at__isnull=True
    ).order_by("-created_at", "-id")
