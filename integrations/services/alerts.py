"""Alerts about a connection's syncs: a row the admins see on the monitoring page until they
dismiss it, and a ``system.error`` event for the endpoints and flows that listen."""

from __future__ import annotations

from django.db import transaction

from fieldops.events import publish_event
from integrations.models import SyncRun
from integrations.webhooks.models import WebhookAlert


def sync_alert_raise(*, run: SyncRun, kind: str, code: str, message: str) -> WebhookAlert:
    with transaction.atomic():
        alert = WebhookAlert.objects.create(
            organization_id=run.organization_id,
            kind=kind,
            message=f"{run.connection.name}, {run.entity}: {message}"[:500],
            connection_id=run.connection_id,
        )
        publish_event(
            "system.error",
            organization_id=run.organization_id,
            connection_id=run.connection_id,
            data={
                "code": code,
                "message": message,
                "connection_id": str(run.connection.public_id),
                "run_id": str(run.public_id),
                "entity": run.entity,
            },
        )
    return alert
