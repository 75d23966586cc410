"""Celery tasks: thin, ids in, re-fetch, call a service. Safe to run twice."""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from integrations.models import Connection, OutboxMessage, SyncRun
from integrations.services.connections import supported_entities
from integrations.services.outbox import outbox_due_ids, outbox_push
from integrations.services.sync import (
    MAX_ATTEMPTS,
    RetryLater,
    sync_run_execute,
    sync_run_give_up,
    sync_run_start,
    sync_runs_resume_stale,
)


@shared_task(
    bind=True, acks_late=True, max_retries=MAX_ATTEMPTS, soft_time_limit=1800, time_limit=1900
)
def sync_run_execute_task(self, run_id: int) -> None:
    # acks_late: a worker killed mid-run leaves the message unacknowledged; the redelivered
    # task resumes from the checkpoint (sync_run_execute is idempotent per page). The run
    # counts its own attempts and stops at MAX_ATTEMPTS, however it was dispatched.
    if not SyncRun.objects.filter(pk=run_id).exists():
        return
    try:
        sync_run_execute(run_id=run_id)
    except SoftTimeLimitExceeded:
        sync_run_give_up(run_id=run_id, reason="Stopped by the task's time limit (30 minutes).")
    except RetryLater as later:
        if self.request.retries >= self.max_retries:
            sync_run_give_up(run_id=run_id, reason="Gave up after repeated transient faults.")
            return
        raise self.retry(countdown=later.delay) from None


@shared_task(acks_late=True)
def poll_connections_task() -> None:
    """From beat every minute: start the due incremental runs of each active connection."""
    now = timezone.now()
    for connection in Connection.objects.filter(is_active=True).exclude(sync_entities=[]):
        due = (
            connection.last_polled_at is None
            or (now - connection.last_polled_at).total_seconds()
            >= connection.poll_interval_minutes * 60
        )
        if not due:
            continue
        Connection.objects.filter(pk=connection.pk).update(last_polled_at=now)
        # An entity saved before its system was checked is skipped, not a failed run.
        supported = supported_entities(connection.system)
        for entity in connection.sync_entities:
            if entity in supported:
                sync_run_start(connection=connection, entity=entity)
    # A run whose worker died would otherwise block its entity: start it again where it stopped.
    sync_runs_resume_stale()


@shared_task(bind=True, acks_late=True, max_retries=12, soft_time_limit=120, time_limit=150)
def outbox_push_task(self, message_id: int) -> None:
    # acks_late is safe: a sent message is never pushed again, and a push that reached the ERP
    # before the worker died is found by the connector's idempotency key.
    if not OutboxMessage.objects.filter(pk=message_id).exists():
        return
    delay = outbox_push(message_id=message_id)
    if delay is not None and self.request.retries < self.max_retries:
        raise self.retry(countdown=delay)
    # Out of retries: the message stays pending and the sweep sends it again later.


@shared_task(acks_late=True)
def outbox_sweep_task() -> None:
    """From beat every minute: send pending messages whose backoff has passed."""
    for message_id in outbox_due_ids():
        outbox_push_task.delay(message_id)
