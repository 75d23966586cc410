"""Inbound ERP webhooks: verify, store, answer at once; process in a task.

Verification is Standard Webhooks with the connection's ``webhook_secret`` (kept in its encrypted
credentials). A verified event is stored once per connection and event id, so a sender's retries
are answered 200 and processed once. Processing starts the connection's incremental sync for the
entity named in the event — the ERP stays the source of truth and the sync engine's own guard keeps
older records from overwriting newer ones — unless the event is already older than what is stored
(out of order), in which case nothing is done.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fieldops.errors import AuthRequired, NotFound, ValidationFailed
from fieldops.events import publish_event
from integrations.crypto import decrypt_credentials
from integrations.models import Connection, Entity, ExternalReference
from integrations.services.sync import sync_run_start
from integrations.webhooks import signing
from integrations.webhooks.models import AlertKind, InboundEvent, InboundStatus, WebhookAlert

logger = logging.getLogger("integrations.webhooks.inbound")


@dataclass
class Received:
    inbound: InboundEvent
    duplicate: bool


def _connection(public_id: Any) -> Connection:
    try:
        return Connection.objects.get(public_id=public_id, is_active=True)
    except (Connection.DoesNotExist, ValueError):
        raise NotFound("No such connection.") from None


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    moment = parse_datetime(value)
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    return moment


def inbound_receive(*, connection_public_id: Any, headers: dict[str, str], body: bytes) -> Received:
    """Verify and store; raise ``AuthRequired`` (nothing stored) on a bad signature or a stale
    timestamp, ``ValidationFailed`` on a body that is not a JSON object."""
    connection = _connection(connection_public_id)
    secret = decrypt_credentials(connection.credentials_encrypted).get("webhook_secret", "")
    if not secret:
        raise AuthRequired("This connection has no webhook secret.")
    msg_id = headers.get("webhook-id", "")
    try:
        signing.verify(
            secret=secret,
            msg_id=msg_id,
            timestamp=headers.get("webhook-timestamp", ""),
            signature=headers.get("webhook-signature", ""),
            body=body,
        )
    except signing.SignatureError as refused:
        logger.warning("Inbound webhook refused for connection %s: %s", connection.pk, refused)
        raise AuthRequired("Webhook signature or timestamp not valid.") from None
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        payload = None
    if not isinstance(payload, dict):
        raise ValidationFailed("The body is not a JSON object.", details={"body": "malformed"})
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    entity = str(data.get("entity") or payload.get("entity") or "")
    remote_id = str(data.get("remote_id") or data.get("id") or "")
    moment = _moment(data.get("updated_at") or data.get("remote_updated_at"))
    try:
        with transaction.atomic():
            inbound = InboundEvent.objects.create(
                organization_id=connection.organization_id,
                connection=connection,
                event_id=msg_id[:200],
                event_type=str(payload.get("type", ""))[:100],
                body=body.decode(),
                entity=entity[:30],
                remote_id=remote_id[:200],
                remote_updated_at=moment,
            )
            from integrations.webhooks.tasks import inbound_process_task

            inbound_process_task.delay_on_commit(inbound.pk)
    except IntegrityError:
        # The sender retried an event we already hold: answer as before, process nothing.
        existing = InboundEvent.objects.get(connection=connection, event_id=msg_id[:200])
        return Received(inbound=existing, duplicate=True)
    return Received(inbound=inbound, duplicate=False)


def _newest_known(inbound: InboundEvent) -> datetime | None:
    ref_moment = (
        ExternalReference.objects.filter(
            connection_id=inbound.connection_id, entity=inbound.entity, remote_id=inbound.remote_id
        )
        .values_list("remote_updated_at", flat=True)
        .first()
    )
    event_moment = (
        InboundEvent.objects.filter(
            connection_id=inbound.connection_id,
            entity=inbound.entity,
            remote_id=inbound.remote_id,
            status=InboundStatus.PROCESSED,
        )
        .exclude(pk=inbound.pk)
        .aggregate(newest=Max("remote_updated_at"))["newest"]
    )
    known = [moment for moment in (ref_moment, event_moment) if moment is not None]
    return max(known) if known else None


def inbound_process(*, inbound_id: int) -> str | None:
    """Process a stored event once. Never raises: a failure is logged, counted on the row and
    alerted (the sender already had its 200)."""
    with transaction.atomic():
        # Claim the row: a second task for the same event finds it no longer RECEIVED.
        claimed = InboundEvent.objects.filter(pk=inbound_id, status=InboundStatus.RECEIVED).update(
            attempts=1, updated_at=timezone.now()
        )
        if not claimed:
            return None
        inbound = InboundEvent.objects.select_related("connection").get(pk=inbound_id)
        try:
            with transaction.atomic():  # a savepoint: a failed apply leaves the claim usable
                status = _apply(inbound)
            error = ""
        except Exception as failure:
            logger.exception("Inbound webhook %s failed", inbound.event_id)
            status, error = InboundStatus.FAILED, f"{type(failure).__name__}: {failure}"[:1000]
            _alert(inbound, error)
        InboundEvent.objects.filter(pk=inbound.pk).update(
            status=status, error=error, processed_at=timezone.now()
        )
    return status


def _apply(inbound: InboundEvent) -> str:
    if inbound.entity not in Entity.values:
        raise ValueError(f"Unknown entity {inbound.entity!r}.")
    if not inbound.remote_id:
        raise ValueError("The event names no record.")
    newest = _newest_known(inbound)
    if inbound.remote_updated_at and newest and inbound.remote_updated_at < newest:
        return InboundStatus.STALE
    sync_run_start(connection=inbound.connection, entity=inbound.entity)
    return InboundStatus.PROCESSED


def _alert(inbound: InboundEvent, error: str) -> None:
    with transaction.atomic():
        WebhookAlert.objects.create(
            organization_id=inbound.organization_id,
            kind=AlertKind.INBOUND_FAILED,
            message=f"Inbound event {inbound.event_id} failed: {error}"[:500],
            connection_id=inbound.connection_id,
        )
        publish_event(
            "system.error",
            organization_id=inbound.organization_id,
            connection_id=inbound.connection_id,
            data={"code": "inbound_webhook_failed", "message": error, "event_id": inbound.event_id},
        )
