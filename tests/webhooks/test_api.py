"""Endpoints and flows through the API: admins only, own organisation only, secret shown once,
URLs into private networks refused."""

from __future__ import annotations

import pytest

from fieldops.events import publish_event
from integrations.webhooks.models import FlowRun, WebhookDelivery, WebhookEndpoint
from integrations.webhooks.services.endpoints import endpoint_secret

pytestmark = pytest.mark.django_db


def test_admin_creates_an_endpoint_and_sees_the_secret_only_once(
    admin_member, receiver, with_token
):
    client = with_token(admin_member)
    response = client.post(
        "/api/v1/webhooks/endpoints",
        {"url": receiver.url, "event_types": ["workorder.*"], "description": "ops"},
        content_type="application/json",
    )
    assert response.status_code == 201
    created = response.json()
    assert created["secret"].startswith("whsec_")
    endpoint = WebhookEndpoint.objects.get()
    assert created["secret"] not in endpoint.secret_encrypted
    assert endpoint_secret(endpoint) == created["secret"]
    shown = client.get(f"/api/v1/webhooks/endpoints/{created['id']}").json()
    assert "secret" not in shown
    listed = client.get("/api/v1/webhooks/endpoints").json()
    assert [item["id"] for item in listed["items"]] == [created["id"]]
    assert "secret" not in listed["items"][0]


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.5/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:8000/hook",
        "http://0.0.0.0/hook",
        "ftp://example.com/hook",
    ],
)
def test_urls_into_private_networks_are_refused(admin_member, with_token, settings, url):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    response = with_token(admin_member).post(
        "/api/v1/webhooks/endpoints",
        {"url": url, "event_types": ["workorder.*"]},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert not WebhookEndpoint.objects.exists()


def test_loopback_is_refused_unless_the_setting_allows_it(admin_member, with_token, settings):
    client = with_token(admin_member)
    body = {"url": "http://127.0.0.1:8000/hook", "event_types": ["*"]}
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    assert client.post("/api/v1/webhooks/endpoints", body, "application/json").status_code == 422
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    assert client.post("/api/v1/webhooks/endpoints", body, "application/json").status_code == 201


def test_unknown_event_type_is_refused(admin_member, receiver, with_token):
    response = with_token(admin_member).post(
        "/api/v1/webhooks/endpoints",
        {"url": receiver.url, "event_types": ["invoice.paid"]},
        content_type="application/json",
    )
    assert response.status_code == 422


def test_only_admins_manage_webhooks(dispatcher, with_token):
    client = with_token(dispatcher)
    assert client.get("/api/v1/webhooks/endpoints").status_code == 403
    assert client.get("/api/v1/webhooks/deliveries").status_code == 403


def test_another_organisation_sees_no_endpoint_or_delivery(
    organization, other_organization, endpoint, with_token, django_capture_on_commit_callbacks
):
    from tests.factories import MembershipFactory

    rival_admin = MembershipFactory(organization=other_organization, role="admin")
    with django_capture_on_commit_callbacks(execute=True):
        publish_event("workorder.created", organization_id=organization.pk, data={})
    delivery = WebhookDelivery.objects.get()
    client = with_token(rival_admin)
    assert client.get("/api/v1/webhooks/endpoints").json()["items"] == []
    assert client.get("/api/v1/webhooks/deliveries").json()["items"] == []
    assert client.get(f"/api/v1/webhooks/endpoints/{endpoint.public_id}").status_code == 404
    redeliver = client.post(f"/api/v1/webhooks/deliveries/{delivery.public_id}/redeliver")
    assert redeliver.status_code == 404


def test_delivery_list_filters_by_status(
    organization, admin_member, endpoint, with_token, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        publish_event("workorder.created", organization_id=organization.pk, data={})
    client = with_token(admin_member)
    assert len(client.get("/api/v1/webhooks/deliveries?status=succeeded").json()["items"]) == 1
    assert client.get("/api/v1/webhooks/deliveries?status=failed").json()["items"] == []


def test_flow_sends_p1_completions_to_its_endpoint_and_logs_each_run(
    organization, admin_member, receiver, with_token, django_capture_on_commit_callbacks
):
    client = with_token(admin_member)
    created = client.post(
        "/api/v1/webhooks/endpoints",
        {"url": receiver.url, "event_types": ["system.ping"]},
        content_type="application/json",
    ).json()
    flow = client.post(
        "/api/v1/webhooks/flows",
        {
            "name": "P1 done",
            "event_type": "workorder.status_changed",
            "conditions": [
                {"field": "data.priority", "op": "eq", "value": "p1"},
                {"field": "data.status", "op": "eq", "value": "completed"},
            ],
            "action": "send_to_endpoint",
            "endpoint_id": created["id"],
        },
        content_type="application/json",
    )
    assert flow.status_code == 201
    flow_id = flow.json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        publish_event(
            "workorder.status_changed",
            organization_id=organization.pk,
            data={"priority": "p1", "status": "completed"},
        )
        publish_event(
            "workorder.status_changed",
            organization_id=organization.pk,
            data={"priority": "p3", "status": "completed"},
        )
    # Only the P1 completion went out (the endpoint itself subscribes to nothing else).
    assert len(receiver.requests) == 1
    runs = client.get(f"/api/v1/webhooks/flows/{flow_id}/runs").json()
    assert sorted(run["outcome"] for run in runs) == ["sent", "skipped"]
    tested = client.post(
        f"/api/v1/webhooks/flows/{flow_id}/test",
        {"data": {"priority": "p1", "status": "completed"}},
        content_type="application/json",
    ).json()
    assert tested["matched"] is True
    assert tested["outcome"] == "would_send"
    assert tested["test"] is True
    assert len(receiver.requests) == 1
    assert FlowRun.objects.count() == 3


def test_flow_without_an_endpoint_is_refused(admin_member, with_token):
    response = with_token(admin_member).post(
        "/api/v1/webhooks/flows",
        {"name": "x", "event_type": "workorder.created", "action": "send_to_endpoint"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "endpoint" in response.json()["error"]["details"]


def test_redelivery_to_a_disabled_endpoint_is_refused(
    organization, admin_member, endpoint, with_token, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        publish_event("workorder.created", organization_id=organization.pk, data={})
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(enabled=False)
    delivery = WebhookDelivery.objects.get()
    response = with_token(admin_member).post(
        f"/api/v1/webhooks/deliveries/{delivery.public_id}/redeliver"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONFLICT"
