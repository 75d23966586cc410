"""Outbound delivery: fan-out of committed events to endpoints, one attempt at a time.

The subscriber only writes delivery rows and enqueues tasks (on commit): no HTTP happens in the
request that caused the event. An attempt is a short POST with a timeout and no redirects; only
2xx is success. Failures come back on ``RETRY_SCHEDULE``; 429 pushes the whole endpoint back by
its Retry-After, 410 disables it, and an endpoint that has not succeeded for days is disabled when
a delivery runs out of attempts.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import time
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fieldops.errors import Conflict, ValidationFailed
from fieldops.events import Event
from integrations.webhooks import signing
from integrations.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from integrations.webhooks.services.endpoints import endpoint_disable, endpoint_secret
from integrations.webhooks.urlguard import url_check

logger = logging.getLogger("integrations.webhooks")

# Seconds to wait before retry n (after attempt n failed): ~5 s, 5 min, 30 min, 2 h, 5 h, 10 h.
RETRY_SCHEDULE = (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600)
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
DISABLE_AFTER = timedelta(days=5)
MAX_RETRY_AFTER = 3600
EXCERPT = 500
# A message arriving this early (Celery ETA rounding) still counts as due.
DUE_LEEWAY = timedelta(seconds=2)

_client: httpx.Client | None = None


def http_client() -> httpx.Client:
    global _client
    if _client is None:
        timeout = getattr(settings, "WEBHOOKS_TIMEOUT_SECONDS", 10)
        _client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5)),
            follow_redirects=False,
            headers={"user-agent": "FieldOps-Webhooks/1"},
        )
    return _client


def endpoint_matches(endpoint: WebhookEndpoint, event: Event) -> bool:
    if not any(fnmatch.fnmatchcase(event.type, pattern) for pattern in endpoint.event_types):
        return False
    if event.connection_id is not None and endpoint.connection_id is not None:
        return endpoint.connection_id == event.connection_id
    return True


def deliveries_create(event: Event, *, endpoints: list[WebhookEndpoint] | None = None) -> list[int]:
    """One pending delivery per matching enabled endpoint; a second call for the same event
    creates nothing new (unique endpoint + event id)."""
    if endpoints is None:
        endpoints = [
            endpoint
            for endpoint in WebhookEndpoint.objects.filter(
                organization_id=event.organization_id, enabled=True
            )
            if endpoint_matches(endpoint, event)
        ]
    if not endpoints:
        return []
    event_at = parse_datetime(event.timestamp) or timezone.now()
    rows = [
        WebhookDelivery(
            organization_id=event.organization_id,
            endpoint=endpoint,
            event_id=event.id,
            event_type=event.type,
            event_at=event_at,
            payload=event.payload(),
            next_attempt_at=timezone.now(),
        )
        for endpoint in endpoints
    ]
    from integrations.webhooks.tasks import webhook_deliver_task

    with transaction.atomic():
        WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
        ids = list(
            WebhookDelivery.objects.filter(
                event_id=event.id, endpoint__in=endpoints, status=DeliveryStatus.PENDING
            ).values_list("pk", flat=True)
        )
        for pk in ids:
            webhook_deliver_task.delay_on_commit(pk)
    return ids


def on_event(event: Event) -> None:
    deliveries_create(event)


def _retry_after(response: httpx.Response) -> float:
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return 60.0
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - timezone.now()).total_seconds()
        except (TypeError, ValueError):
            seconds = 60.0
    return float(min(max(seconds, 1.0), MAX_RETRY_AFTER))


def _log_entry(at: datetime, code: int | None, latency_ms: int, error: str) -> dict:
    return {"at": at.isoformat(), "status_code": code, "latency_ms": latency_ms, "error": error}


def delivery_attempt(*, delivery_id: int, client: httpx.Client | None = None) -> float | None:
    """Make one attempt if the delivery is pending and due. Returns the seconds until the next
    attempt should run, or None when there is nothing more to do."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return None  # already succeeded (a duplicate message) or given up
    endpoint = delivery.endpoint
    now = timezone.now()
    if not endpoint.enabled:
        return None
    if delivery.next_attempt_at and delivery.next_attempt_at > now + DUE_LEEWAY:
        # Early or duplicate message: the one scheduled for the due time (or the sweep) sends it.
        return None
    if endpoint.throttled_until and endpoint.throttled_until > now:
        # The endpoint asked us to slow down: wait without spending an attempt.
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            next_attempt_at=endpoint.throttled_until
        )
        return (endpoint.throttled_until - now).total_seconds()
    # Claim the attempt (compare-and-set): of two messages for the same delivery running at once
    # only one sends. The lease outlasts the request; a worker that dies holding it leaves the
    # delivery to the sweep.
    lease = now + timedelta(seconds=getattr(settings, "WEBHOOKS_TIMEOUT_SECONDS", 10) + 30)
    claimed = WebhookDelivery.objects.filter(
        pk=delivery.pk,
        status=DeliveryStatus.PENDING,
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at,
    ).update(next_attempt_at=lease)
    if not claimed:
        return None

    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    code: int | None = None
    excerpt = error = ""
    started = time.monotonic()
    try:
        url_check(endpoint.url)  # again at send time: DNS may have changed since creation
        response = (client or http_client()).post(
            endpoint.url,
            content=body,
            headers=signing.headers(
                secret=endpoint_secret(endpoint), msg_id=delivery.event_id, body=body
            ),
        )
        code = response.status_code
        excerpt = response.text[:EXCERPT]
    except ValidationFailed as refused:
        error = refused.message
    except httpx.TimeoutException:
        error = "Timed out."
    except httpx.HTTPError as failure:
        error = f"{type(failure).__name__}: {failure}"[:EXCERPT]
    latency_ms = int((time.monotonic() - started) * 1000)
    now = timezone.now()
    attempts = delivery.attempts + 1
    entry = _log_entry(now, code, latency_ms, error)
    common = {
        "attempts": attempts,
        "last_attempt_at": now,
        "last_status_code": code,
        "last_latency_ms": latency_ms,
        "last_error": error[:EXCERPT],
        "response_excerpt": excerpt,
        "log": ([*delivery.log, entry])[-20:],
    }
    if code is not None and 200 <= code < 300:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.SUCCEEDED, delivered_at=now, next_attempt_at=None, **common
        )
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            last_success_at=now, failing_since=None
        )
        return None

    WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
        failing_since=now
    )
    if code == 410:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED, next_attempt_at=None, **common
        )
        endpoint_disable(endpoint_id=endpoint.pk, reason="The receiver answered 410 Gone.")
        return None
    if attempts >= MAX_ATTEMPTS:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED, next_attempt_at=None, **common
        )
        _disable_if_failing_for_days(endpoint.pk, now)
        return None
    delay = float(RETRY_SCHEDULE[attempts - 1])
    if code == 429:
        wait = _retry_after(response)
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            throttled_until=now + timedelta(seconds=wait)
        )
        delay = max(delay, wait)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=now + timedelta(seconds=delay), **common
    )
    return delay


def _disable_if_failing_for_days(endpoint_id: int, now: datetime) -> None:
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    since = endpoint.failing_since or now
    last_ok = endpoint.last_success_at
    if since <= now - DISABLE_AFTER and (last_ok is None or last_ok <= now - DISABLE_AFTER):
        endpoint_disable(
            endpoint_id=endpoint_id,
            reason=f"No successful delivery since {since:%Y-%m-%d %H:%M} UTC.",
        )


def delivery_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again now (an admin's choice, whatever its status); same webhook-id, so
    receivers deduplicate it."""
    from integrations.webhooks.tasks import webhook_deliver_task

    if not delivery.endpoint.enabled:
        raise Conflict("The endpoint is disabled; enable it again before redelivering.")
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        webhook_deliver_task.delay_on_commit(delivery.pk)
    delivery.refresh_from_db()
    return delivery


def deliveries_due(*, limit: int = 1000) -> list[int]:
    """Pending deliveries whose retry message should have run a minute ago (lost or early)."""
    cutoff = timezone.now() - timedelta(seconds=60)
    return list(
        WebhookDelivery.objects.filter(
            Q(next_attempt_at__lte=cutoff) | Q(next_attempt_at__isnull=True),
            status=DeliveryStatus.PENDING,
            endpoint__enabled=True,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
