"""Inbound ERP webhooks: verify, store once, answer 200 at once, process in a task."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from unittest import mock

import pytest
from standardwebhooks import Webhook

from integrations.crypto import encrypt_credentials
from integrations.models import ExternalReference
from integrations.webhooks.models import InboundEvent, InboundStatus, WebhookAlert
from integrations.webhooks.signing import headers as signed_headers
from integrations.webhooks.signing import secret_generate
from tests.integrations.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret() -> str:
    return secret_generate()


@pytest.fixture
def connection(organization, secret):
    return ConnectionFactory(
        organization=organization,
        credentials_encrypted=encrypt_credentials(
            {"username": "FIELDOPS", "password": "s3cret", "webhook_secret": secret}
        ),
    )


@pytest.fixture
def syncs():
    """The sync the processing starts, recorded instead of calling the ERP."""
    with mock.patch("integrations.webhooks.services.inbound.sync_run_start") as start:
        yield start


def _body(event_id="msg_1", remote_id="4000123", updated_at="2026-03-02T09:00:00Z") -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "type": "work_orders.updated",
            "timestamp": "2026-03-02T09:00:01Z",
            "data": {"entity": "work_orders", "remote_id": remote_id, "updated_at": updated_at},
        }
    ).encode()


def _post(client, connection, body, headers, capture):
    with capture(execute=True):
        return client.post(
            f"/integrations/webhooks/{connection.public_id}/",
            data=body,
            content_type="application/json",
            headers=headers,
        )


def _send(client, connection, secret, capture, *, msg_id="msg_1", body=None, timestamp=None):
    body = _body(msg_id) if body is None else body
    headers = signed_headers(secret=secret, msg_id=msg_id, body=body, timestamp=timestamp)
    return _post(client, connection, body, headers, capture)


def test_signed_event_is_stored_answered_200_and_processed(
    client, connection, secret, syncs, django_capture_on_commit_callbacks
):
    response = _send(client, connection, secret, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False}
    inbound = InboundEvent.objects.get()
    assert inbound.status == InboundStatus.PROCESSED
    assert inbound.event_id == "msg_1"
    assert (inbound.entity, inbound.remote_id) == ("work_orders", "4000123")
    assert inbound.body == _body().decode()
    syncs.assert_called_once_with(connection=connection, entity="work_orders")


def test_signature_made_by_the_standardwebhooks_package_is_accepted(
    client, connection, secret, syncs, django_capture_on_commit_callbacks
):
    body = _body()
    now = datetime.now(UTC)
    signature = Webhook(secret).sign("msg_1", now, body.decode())
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    response = _post(client, connection, body, headers, django_capture_on_commit_callbacks)
    assert response.status_code == 200


def test_bad_signature_is_refused_with_the_envelope_and_nothing_stored(
    client, connection, syncs, django_capture_on_commit_callbacks
):
    response = _send(client, connection, secret_generate(), django_capture_on_commit_callbacks)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AUTH_REQUIRED"
    assert not InboundEvent.objects.exists()
    syncs.assert_not_called()


def test_stale_timestamp_is_refused_and_nothing_stored(
    client, connection, secret, syncs, django_capture_on_commit_callbacks
):
    response = _send(
        client,
        connection,
        secret,
        django_capture_on_commit_callbacks,
        timestamp=int(time.time()) - 6 * 60,
    )
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Webhook signature or timestamp not valid."
    assert not InboundEvent.objects.exists()


def test_missing_headers_and_unknown_connection_are_refused(
    client, connection, django_capture_on_commit_callbacks
):
    response = _post(client, connection, _body(), {}, django_capture_on_commit_callbacks)
    assert response.status_code == 401
    response = client.post(
        "/integrations/webhooks/00000000-0000-0000-0000-000000000000/",
        data=_body(),
        content_type="application/json",
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
    assert not InboundEvent.objects.exists()


def test_duplicate_sent_ten_times_is_stored_once_and_processed_once(
    client, connection, secret, syncs, django_capture_on_commit_callbacks
):
    answers = [
        _send(client, connection, secret, django_capture_on_commit_callbacks) for _ in range(10)
    ]
    assert [a.status_code for a in answers] == [200] * 10
    assert [a.json()["duplicate"] for a in answers] == [False] + [True] * 9
    assert InboundEvent.objects.count() == 1
    assert syncs.call_count == 1


def test_out_of_order_pair_never_overwrites_newer_data(
    client, connection, secret, syncs, django_capture_on_commit_callbacks
):
    newer = _body("msg_new", updated_at="2026-03-02T10:00:00Z")
    older = _body("msg_old", updated_at="2026-03-02T09:00:00Z")
    capture = django_capture_on_commit_callbacks
    assert (
        _send(client, connection, secret, capture, msg_id="msg_new", body=newer).status_code == 200
    )
    assert (
        _send(client, connection, secret, capture, msg_id="msg_old", body=older).status_code == 200
    )
    statuses = dict(InboundEvent.objects.values_list("event_id", "status"))
    assert statuses == {"msg_new": InboundStatus.PROCESSED, "msg_old": InboundStatus.STALE}
    assert syncs.call_count == 1


def test_event_older_than_the_synced_record_is_stale(
    client, connection, secret, syncs, django_capture_on_commit_callbacks
):
    ExternalReference.objects.create(
        organization=connection.organization,
        connection=connection,
        system=connection.system,
        entity="work_orders",
        remote_id="4000123",
        payload_hash="x",
        remote_updated_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
    )
    response = _send(client, connection, secret, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert InboundEvent.objects.get().status == InboundStatus.STALE
    syncs.assert_not_called()
    # The stored reference is untouched.
    assert ExternalReference.objects.get().remote_updated_at.hour == 9


def test_malformed_body_with_a_valid_signature_is_refused_and_nothing_stored(
    client, connection, secret, syncs, django_capture_on_commit_callbacks
):
    response = _send(
        client, connection, secret, django_capture_on_commit_callbacks, body=b"{not json"
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"body": "malformed"}
    assert not InboundEvent.objects.exists()


def test_processing_failure_is_logged_counted_and_alerted_but_the_sender_got_200(
    client, connection, secret, syncs, django_capture_on_commit_callbacks, caplog
):
    syncs.side_effect = RuntimeError("ERP mapping broke")
    response = _send(client, connection, secret, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    inbound = InboundEvent.objects.get()
    assert inbound.status == InboundStatus.FAILED
    assert inbound.attempts == 1
    assert "ERP mapping broke" in inbound.error
    alert = WebhookAlert.objects.get()
    assert alert.kind == "inbound_failed"
    assert alert.connection == connection
    assert "Inbound webhook msg_1 failed" in caplog.text


def test_event_for_an_unknown_entity_fails_processing_after_a_200(
    client, connection, secret, syncs, django_capture_on_commit_callbacks
):
    body = json.dumps({"type": "x", "data": {"entity": "spaceships", "remote_id": "1"}}).encode()
    response = _send(client, connection, secret, django_capture_on_commit_callbacks, body=body)
    assert response.status_code == 200
    assert InboundEvent.objects.get().status == InboundStatus.FAILED
