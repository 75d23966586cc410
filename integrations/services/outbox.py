"""Write-back: FieldOps changes an ERP must hear about, sent through an outbox.

A committed event (a work order completed, a meter reading recorded) enqueues one
``OutboxMessage`` per change and connection; the unique ``(connection, key)`` makes a replayed
event enqueue nothing new. ``outbox_push`` sends one message: it claims it with a
compare-and-set lease (two workers never push the same message at once), calls the connector
outside any transaction, and marks it sent on the ERP's acknowledgement. A transient fault or
expired credentials leave it pending with a backoff; a refusal the ERP will repeat (bad data, an
operation it does not offer) marks it failed. A sent message is never pushed again; a push that
reached the ERP but died before being marked is found by the connector's own idempotency check
(the key travels with the write).

Which connections hear what: a connection holding an external reference for the work order gets
its completion; parts used go to every connection holding the part, and labour to every
connection where the technician is an employee (Tryton, say, keeps stock and timesheets but no
work orders); a reading goes to connections holding the asset, unless it came from the ERP.
Each only where the connector offers the operation (``push_operations``).
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from fieldops.events import Event
from integrations.connectors.base import connector_class
from integrations.connectors.errors import AuthFailed, CircuitOpen, ConnectorError, Unsupported
from integrations.connectors.http import spread
from integrations.models import (
    Connection,
    ConnectionStatus,
    ExternalReference,
    OutboxMessage,
    OutboxStatus,
)
from integrations.services.connections import connection_set_status, status_for_error
from integrations.services.local._common import ASSET, MEMBERSHIP, PART, WORK_ORDER

logger = logging.getLogger("integrations.outbox")

LEASE = timedelta(minutes=5)
BACKOFF_BASE = 30.0
BACKOFF_CAP = 3600.0
LABOUR_KINDS = ("work", "travel")


def _refs(entity: str, model: str, local_ids: list[int], organization_id: int) -> dict:
    """(connection id, local id) → remote id, for live references."""
    rows = ExternalReference.objects.filter(
        organization_id=organization_id,
        entity=entity,
        local_model=model,
        local_id__in=local_ids,
        is_deleted=False,
        connection__is_active=True,
    ).values_list("connection_id", "local_id", "remote_id")
    return {(conn, local): remote for conn, local, remote in rows}


def _supported(connection_ids: set[int]) -> dict[int, tuple[str, ...]]:
    systems = Connection.objects.filter(pk__in=connection_ids).values_list("pk", "system")
    out = {}
    for pk, system in systems:
        try:
            out[pk] = connector_class(system).push_operations
        except Unsupported:
            out[pk] = ()
    return out


def work_order_completed_enqueue(*, organization_id: int, work_order_id: int) -> list[int]:
    """Enqueue the completion, labour and parts of a completed work order. Idempotent."""
    from workorders.maintenance.schedule import local_today
    from workorders.models import PartUsage, TimeEntry, WorkOrder

    work_order = (
        WorkOrder.objects.filter(pk=work_order_id, organization_id=organization_id)
        .select_related("organization")
        .first()
    )
    if work_order is None or work_order.completed_at is None:
        return []
    time_zone = work_order.organization.time_zone
    wo_refs = _refs("work_orders", WORK_ORDER, [work_order.pk], organization_id)
    entries = list(
        # A clock that ran under a minute (started and stopped with the job's own moves) is no
        # labour to book: an ERP would get a timesheet line of 0.00 hours.
        TimeEntry.objects.filter(
            work_order=work_order, kind__in=LABOUR_KINDS, minutes__gt=0
        ).order_by("started_at", "pk")
    )
    usages = list(PartUsage.objects.filter(work_order=work_order).order_by("occurred_at", "pk"))
    employees = _refs(
        "employees", MEMBERSHIP, sorted({e.technician_id for e in entries}), organization_id
    )
    parts = _refs("parts", PART, sorted({u.part_id for u in usages}), organization_id)
    operations = _supported(
        {c for c, _ in wo_refs} | {c for c, _ in employees} | {c for c, _ in parts}
    )
    messages: list[OutboxMessage] = []

    def add(connection_id: int, operation: str, key: str, payload: dict[str, Any]) -> None:
        if operation in operations.get(connection_id, ()):
            messages.append(
                OutboxMessage(
                    organization_id=organization_id,
                    connection_id=connection_id,
                    key=key,
                    operation=operation,
                    payload=payload,
                )
            )

    for (connection_id, _), remote_id in wo_refs.items():
        add(
            connection_id,
            "work_order.complete",
            f"wo-{work_order.public_id}-complete-{work_order.completed_at:%Y%m%dT%H%M%S%f}",
            {
                "remote_id": remote_id,
                "status": "completed",
                "completed_at": work_order.completed_at.isoformat(),
                "resolution_notes": work_order.resolution_notes,
            },
        )
    # Parts go to every connection that holds the part (Tryton keeps stock but no work
    # orders), with the work order's remote id where that connection has one.
    for usage in usages:
        for (connection_id, part_id), part_remote in parts.items():
            if part_id != usage.part_id:
                continue
            add(
                connection_id,
                "part.consume",
                f"part-{usage.public_id}",
                {
                    "work_order_remote_id": wo_refs.get((connection_id, work_order.pk)),
                    "work_order_reference": work_order.reference,
                    "part_remote_id": part_remote,
                    "quantity": str(usage.quantity),
                    "stock_location": usage.stock_location,
                    "occurred_at": usage.occurred_at.isoformat(),
                    # The day, where the work was done: stock moves are dated like the labour.
                    "occurred_on": local_today(usage.occurred_at, time_zone).isoformat(),
                },
            )
    for entry in entries:
        for (connection_id, technician_id), employee_remote in employees.items():
            if technician_id != entry.technician_id:
                continue
            add(
                connection_id,
                "timesheet.create",
                f"labour-{entry.public_id}",
                {
                    "employee_remote_id": employee_remote,
                    "work_order_remote_id": wo_refs.get((connection_id, work_order.pk)),
                    # The day the work was done where it was done, as the ERP's timesheet shows it.
                    "date": local_today(entry.started_at, time_zone).isoformat(),
                    "hours": str((Decimal(entry.minutes) / 60).quantize(Decimal("0.01"))),
                    "description": f"{work_order.reference} {work_order.title} ({entry.kind})",
                },
            )
    return _enqueue(messages)


def reading_recorded_enqueue(*, organization_id: int, data: dict[str, Any]) -> list[int]:
    from assets.models import Asset, Meter

    asset_pk = (
        Asset.objects.filter(organization_id=organization_id, public_id=data["asset_id"])
        .values_list("pk", flat=True)
        .first()
    )
    if asset_pk is None:
        return []
    if data.get("source") == "erp":
        return []  # it came from the ERP: sending it back would echo it
    refs = _refs("assets", ASSET, [asset_pk], organization_id)
    operations = _supported({c for c, _ in refs})
    meter_name = (
        Meter.objects.filter(organization_id=organization_id, public_id=data["meter_id"])
        .values_list("name", flat=True)
        .first()
    )
    messages = [
        OutboxMessage(
            organization_id=organization_id,
            connection_id=connection_id,
            key=f"reading-{data['reading_id']}",
            operation="meter_reading.record",
            payload={
                "asset_remote_id": remote_id,
                "meter_id": data["meter_id"],
                "meter_name": meter_name or "",
                "unit": data.get("unit"),
                "value": data["value"],
                "taken_at": data["taken_at"],
            },
        )
        for (connection_id, _), remote_id in refs.items()
        if "meter_reading.record" in operations.get(connection_id, ())
    ]
    return _enqueue(messages)


def _enqueue(messages: list[OutboxMessage]) -> list[int]:
    """Insert what is new (a replayed event conflicts on the key and adds nothing) and send
    what is pending after commit. Returns the pending ids among these changes."""
    from integrations.tasks import outbox_push_task

    if not messages:
        return []
    keys = {(m.connection_id, m.key) for m in messages}
    with transaction.atomic():
        OutboxMessage.objects.bulk_create(messages, ignore_conflicts=True)
        rows = OutboxMessage.objects.filter(
            connection_id__in={c for c, _ in keys},
            key__in={k for _, k in keys},
            status=OutboxStatus.PENDING,
        ).values_list("pk", "connection_id", "key")
        ids = sorted(pk for pk, connection_id, key in rows if (connection_id, key) in keys)
        for pk in ids:
            outbox_push_task.delay_on_commit(pk)
    return ids


def on_work_order_status_changed(event: Event) -> None:
    if event.data.get("status") != "completed":
        return
    from workorders.models import WorkOrder

    pk = (
        WorkOrder.objects.filter(organization_id=event.organization_id, public_id=event.data["id"])
        .values_list("pk", flat=True)
        .first()
    )
    if pk is not None:
        work_order_completed_enqueue(organization_id=event.organization_id, work_order_id=pk)


def on_reading_recorded(event: Event) -> None:
    reading_recorded_enqueue(organization_id=event.organization_id, data=event.data)


def _backoff(attempts: int) -> float:
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    return random.uniform(ceiling / 2, ceiling)


def outbox_push(*, message_id: int, connector: Any = None) -> float | None:
    """Send one message. Returns None when it is done with (sent, failed for good, or not ours
    to send now) or the seconds after which to try again."""
    from integrations.connectors.factory import connector_for

    now = timezone.now()
    # Claim: only one caller moves a due, pending message into its lease.
    claimed = (
        OutboxMessage.objects.filter(pk=message_id, status=OutboxStatus.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(next_attempt_at=now + LEASE, updated_at=now)
    )
    message = OutboxMessage.objects.select_related("connection").filter(pk=message_id).first()
    if message is None or message.status != OutboxStatus.PENDING:
        return None
    if not claimed:
        due = message.next_attempt_at or now
        return max(1.0, (due - now).total_seconds())
    connection = message.connection
    own = connector is None
    try:
        connector = connector or connector_for(connection)
        try:
            remote_id = connector.push(message.operation, message.payload, key=message.key)
        finally:
            if own:
                connector.http.close()
    except ConnectorError as error:
        return _push_failed(message, error)
    OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.PENDING).update(
        status=OutboxStatus.SENT,
        remote_id=str(remote_id)[:200],
        sent_at=timezone.now(),
        attempts=message.attempts + 1,
        last_error="",
        next_attempt_at=None,
        updated_at=timezone.now(),
    )
    if connection.status != ConnectionStatus.ONLINE:
        connection_set_status(connection=connection, status=ConnectionStatus.ONLINE)
    return None


def _push_failed(message: OutboxMessage, error: ConnectorError) -> float | None:
    attempts = message.attempts + 1
    now = timezone.now()
    if error.retryable or isinstance(error, AuthFailed):
        delay = spread(error.retry_after) if error.retry_after is not None else _backoff(attempts)
        delay = min(max(delay, 1.0), BACKOFF_CAP)
        status, next_at = OutboxStatus.PENDING, now + timedelta(seconds=delay)
    else:
        delay, status, next_at = None, OutboxStatus.FAILED, None
    OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.PENDING).update(
        status=status,
        attempts=attempts,
        last_error=f"{error.code}: {error.message}"[:1000],
        next_attempt_at=next_at,
        updated_at=now,
    )
    if not error.retryable or isinstance(error, CircuitOpen):
        connection_set_status(
            connection=message.connection, status=status_for_error(error), reason=error.message
        )
    logger.warning("Outbox message %s not sent (%s): %s", message.pk, error.code, error.message)
    return delay


def outbox_due_ids(*, limit: int = 500) -> list[int]:
    """Pending messages whose backoff has passed (the beat sweep re-sends them)."""
    now = timezone.now()
    return list(
        OutboxMessage.objects.filter(status=OutboxStatus.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
