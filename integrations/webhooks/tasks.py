"""Celery tasks: thin, ids in, re-fetch, call a service. Safe to run twice."""

from __future__ import annotations

from celery import shared_task

from integrations.webhooks.services.delivery import deliveries_due, delivery_attempt


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def webhook_deliver_task(delivery_id: int) -> None:
    # acks_late is safe: a delivery that succeeded is never sent again, one not yet due is left
    # to the message scheduled for its time, and receivers deduplicate on webhook-id.
    delay = delivery_attempt(delivery_id=delivery_id)
    if delay is not None:
        # The broker's visibility timeout exceeds the longest countdown (10 h).
        webhook_deliver_task.apply_async((delivery_id,), countdown=delay)


@shared_task(acks_late=True)
def webhook_sweep_task() -> None:
    """From beat every minute: resend pending deliveries whose retry message went missing."""
    for delivery_id in deliveries_due():
        webhook_deliver_task.delay(delivery_id)


@shared_task(acks_late=True, soft_time_limit=120, time_limit=150)
def inbound_process_task(inbound_id: int) -> None:
    from integrations.webhooks.services.inbound import inbound_process

    inbound_process(inbound_id=inbound_id)
