"""Outbound delivery: signing, the retry schedule, failures, disabling, redelivery."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from unittest import mock

import httpx
import pytest
import time_machine
from django.utils import timezone
from standardwebhooks import Webhook

from fieldops.events import publish_event
from integrations.webhooks.models import DeliveryStatus, WebhookAlert, WebhookDelivery
from integrations.webhooks.services.delivery import (
    MAX_ATTEMPTS,
    RETRY_SCHEDULE,
    delivery_attempt,
)
from integrations.webhooks.tasks import webhook_deliver_task
from tests.webhooks.conftest import Answer

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _publish(organization, capture, event_type="workorder.created", data=None):
    with capture(execute=True):
        return publish_event(
            event_type, organization_id=organization.pk, data=data or {"number": "WO-000001"}
        )


def test_delivery_is_signed_so_the_standardwebhooks_package_verifies_it(
    organization, created, receiver, django_capture_on_commit_callbacks
):
    event = _publish(organization, django_capture_on_commit_callbacks)

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request.headers["webhook-id"] == event.id
    assert request.headers["webhook-signature"].startswith("v1,")
    verified = Webhook(created.secret).verify(request.body, request.headers)
    assert verified == event.payload()
    assert created.secret.startswith("whsec_")
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.last_status_code == 200
    assert delivery.last_latency_ms is not None
    assert delivery.response_excerpt == "ok"
    # A tampered body fails verification.
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(created.secret).verify(request.body + b" ", request.headers)


def test_event_of_an_unsubscribed_type_or_other_organisation_is_not_delivered(
    organization, other_organization, endpoint, receiver, django_capture_on_commit_callbacks
):
    _publish(organization, django_capture_on_commit_callbacks, "meter.reading_recorded")
    _publish(other_organization, django_capture_on_commit_callbacks)
    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_a_dead_or_slow_receiver_never_slows_the_request_that_caused_the_event(
    organization, endpoint, receiver, django_capture_on_commit_callbacks
):
    receiver.default = Answer(delay=5)
    # What a real broker gets: a message, not a call (eager mode would run the task inline).
    with mock.patch.object(webhook_deliver_task, "apply_async") as enqueue:
        started = time.monotonic()
        _publish(organization, django_capture_on_commit_callbacks)
        elapsed = time.monotonic() - started
    assert elapsed < 2.5  # far below the receiver's 5 s, with room for a loaded machine
    assert receiver.requests == []
    enqueue.assert_called_once()
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING


def _delivery(organization, endpoint, event_id="evt_test"):
    return WebhookDelivery.objects.create(
        organization=organization,
        endpoint=endpoint,
        event_id=event_id,
        event_type="workorder.created",
        event_at=timezone.now(),
        payload={"id": event_id, "type": "workorder.created", "data": {}},
        next_attempt_at=timezone.now(),
    )


def test_retries_follow_the_schedule_then_give_up(organization, endpoint, receiver):
    receiver.default = Answer(status=500, body="boom")
    with time_machine.travel(START, tick=False) as clock:
        delivery = _delivery(organization, endpoint)
        for attempt, wait in enumerate(RETRY_SCHEDULE, start=1):
            assert delivery_attempt(delivery_id=delivery.pk) == wait
            delivery.refresh_from_db()
            assert delivery.attempts == attempt
            assert delivery.next_attempt_at == timezone.now() + timedelta(seconds=wait)
            # A message that arrives early sends nothing.
            clock.shift(wait - 10)
            assert delivery_attempt(delivery_id=delivery.pk) is None
            assert len(receiver.requests) == attempt
            clock.shift(10)
        assert delivery_attempt(delivery_id=delivery.pk) is None
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == MAX_ATTEMPTS == 7
    assert len(receiver.requests) == 7
    assert [entry["status_code"] for entry in delivery.log] == [500] * 7
    assert delivery.response_excerpt == "boom"
    # Failing for under a day is not yet a reason to disable the endpoint.
    endpoint.refresh_from_db()
    assert endpoint.enabled


def test_500_then_200_delivers_on_the_first_retry_and_never_again(organization, endpoint, receiver):
    receiver.script.extend([Answer(status=500), Answer(status=200)])
    with time_machine.travel(START, tick=False) as clock:
        delivery = _delivery(organization, endpoint)
        assert delivery_attempt(delivery_id=delivery.pk) == 5
        clock.shift(5)
        assert delivery_attempt(delivery_id=delivery.pk) is None
        # A duplicate task message (acks_late redelivery) sends nothing.
        webhook_deliver_task.delay(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert [entry["status_code"] for entry in delivery.log] == [500, 200]
    assert len(receiver.requests) == 2
    # Both attempts carry the same webhook-id, so the receiver can deduplicate.
    assert {r.headers["webhook-id"] for r in receiver.requests} == {"evt_test"}
    endpoint.refresh_from_db()
    assert endpoint.last_success_at is not None
    assert endpoint.failing_since is None


def test_receiver_down_is_a_failed_attempt_retried_in_5_seconds(organization, endpoint):
    endpoint.url = "http://127.0.0.1:9/hook"  # discard port: nothing listens
    endpoint.save(update_fields=["url"])
    delivery = _delivery(organization, endpoint)
    assert delivery_attempt(delivery_id=delivery.pk) == 5
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_status_code is None
    assert delivery.last_error.startswith("ConnectError")


def test_slow_receiver_times_out(organization, endpoint, receiver):
    receiver.default = Answer(delay=5)
    delivery = _delivery(organization, endpoint)
    with httpx.Client(timeout=0.3, follow_redirects=False) as client:
        started = time.monotonic()
        assert delivery_attempt(delivery_id=delivery.pk, client=client) == 5
        assert time.monotonic() - started < 3
    delivery.refresh_from_db()
    assert delivery.last_error == "Timed out."
    assert delivery.status == DeliveryStatus.PENDING


def test_redirect_is_not_followed_and_counts_as_failure(organization, endpoint, receiver):
    receiver.default = Answer(status=302, headers={"location": "http://127.0.0.1:9/x"})
    delivery = _delivery(organization, endpoint)
    assert delivery_attempt(delivery_id=delivery.pk) == 5
    delivery.refresh_from_db()
    assert delivery.last_status_code == 302
    assert len(receiver.requests) == 1


def test_429_retry_after_slows_the_whole_endpoint(organization, endpoint, receiver):
    receiver.default = Answer(status=429, headers={"retry-after": "120"})
    with time_machine.travel(START, tick=False):
        first = _delivery(organization, endpoint, "evt_1")
        second = _delivery(organization, endpoint, "evt_2")
        assert delivery_attempt(delivery_id=first.pk) == 120
        # The other delivery waits for the endpoint without spending an attempt.
        assert delivery_attempt(delivery_id=second.pk) == 120
    endpoint.refresh_from_db()
    second.refresh_from_db()
    assert endpoint.throttled_until == START + timedelta(seconds=120)
    assert second.attempts == 0
    assert second.next_attempt_at == endpoint.throttled_until
    assert len(receiver.requests) == 1


def test_410_gone_disables_the_endpoint_at_once_with_an_alert(
    organization, endpoint, receiver, published, django_capture_on_commit_callbacks
):
    receiver.default = Answer(status=410)
    delivery = _delivery(organization, endpoint)
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery_attempt(delivery_id=delivery.pk) is None
    endpoint.refresh_from_db()
    delivery.refresh_from_db()
    assert not endpoint.enabled
    assert "410" in endpoint.disabled_reason
    assert delivery.status == DeliveryStatus.FAILED
    alert = WebhookAlert.objects.get()
    assert alert.kind == "endpoint_disabled"
    assert alert.endpoint == endpoint
    assert [e.type for e in published] == ["system.error"]
    assert published[0].data["code"] == "webhook_endpoint_disabled"
    # The disabled endpoint gets nothing more, not even its own alert event.
    assert len(receiver.requests) == 1


def test_endpoint_failing_for_days_is_disabled_when_a_delivery_runs_out(
    organization, endpoint, receiver
):
    receiver.default = Answer(status=503)
    with time_machine.travel(START, tick=False):
        endpoint.failing_since = START - timedelta(days=6)
        endpoint.last_success_at = START - timedelta(days=7)
        endpoint.save(update_fields=["failing_since", "last_success_at"])
        delivery = _delivery(organization, endpoint)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=MAX_ATTEMPTS - 1)
        assert delivery_attempt(delivery_id=delivery.pk) is None
    endpoint.refresh_from_db()
    assert not endpoint.enabled
    assert endpoint.disabled_reason.startswith("No successful delivery since")
    assert WebhookAlert.objects.filter(endpoint=endpoint, kind="endpoint_disabled").exists()


def test_admin_redelivers_a_delivery_through_the_api(
    organization, admin_member, endpoint, receiver, with_token, django_capture_on_commit_callbacks
):
    event = _publish(organization, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    client = with_token(admin_member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/webhooks/deliveries/{delivery.public_id}/redeliver")
    assert response.status_code == 202
    assert len(receiver.requests) == 2
    assert receiver.requests[1].headers["webhook-id"] == event.id
    body = client.get(f"/api/v1/webhooks/deliveries/{delivery.public_id}").json()
    assert body["status"] == "succeeded"
    assert body["last_status_code"] == 200


def test_payload_follows_the_design_shape(
    organization, endpoint, receiver, django_capture_on_commit_callbacks
):
    event = _publish(organization, django_capture_on_commit_callbacks, data={"priority": "p1"})
    body = json.loads(receiver.requests[0].body)
    assert body == {
        "id": event.id,
        "type": "workorder.created",
        "timestamp": event.timestamp,
        "organization_id": organization.pk,
        "data": {"priority": "p1"},
    }


def test_endpoint_tied_to_a_connection_gets_only_that_connections_integration_events(
    organization, admin_member, receiver, django_capture_on_commit_callbacks
):
    from integrations.webhooks.services.endpoints import endpoint_create
    from tests.integrations.factories import ConnectionFactory

    mine = ConnectionFactory(organization=organization)
    other = ConnectionFactory(organization=organization)
    endpoint_create(
        membership=admin_member,
        url=receiver.url,
        event_types=["sync.failed", "connection.*"],
        connection_id=mine.public_id,
    )
    with django_capture_on_commit_callbacks(execute=True):
        for connection in (mine, other):
            publish_event(
                "sync.failed",
                organization_id=organization.pk,
                connection_id=connection.pk,
                data={"error": "401 from ERP", "entity": "work_orders"},
            )
    assert len(receiver.requests) == 1
    body = json.loads(receiver.requests[0].body)
    assert body["connection_id"] == mine.pk
    assert body["data"]["error"] == "401 from ERP"


def test_a_duplicate_message_running_during_an_attempt_sends_nothing(organization, endpoint):
    delivery = _delivery(organization, endpoint)
    sent, inner = [], []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        # Another worker picks up a duplicate message while this POST is in flight.
        inner.append(delivery_attempt(delivery_id=delivery.pk))
        return httpx.Response(200)

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        assert delivery_attempt(delivery_id=delivery.pk, client=client) is None
    assert len(sent) == 1
    assert inner == [None]
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 1


def test_the_task_schedules_the_retry_with_its_countdown(organization, endpoint, receiver):
    receiver.default = Answer(status=500)
    delivery = _delivery(organization, endpoint)
    with mock.patch.object(webhook_deliver_task, "apply_async") as enqueue:
        webhook_deliver_task(delivery.pk)
    enqueue.assert_called_once_with((delivery.pk,), countdown=5.0)


def test_the_sweep_resends_a_delivery_whose_message_went_missing(organization, endpoint):
    from integrations.webhooks.services.delivery import deliveries_due

    with time_machine.travel(START, tick=False) as clock:
        lost = _delivery(organization, endpoint, "evt_lost")
        fresh = _delivery(organization, endpoint, "evt_fresh")
        WebhookDelivery.objects.filter(pk=fresh.pk).update(
            next_attempt_at=START + timedelta(minutes=5)
        )
        clock.shift(120)
        assert deliveries_due() == [lost.pk]
