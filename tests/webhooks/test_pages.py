"""The admins' webhook pages: endpoints (secret shown once) and the monitoring page."""

from __future__ import annotations

import pytest
from django.utils import timezone

from fieldops.events import publish_event
from integrations.webhooks.models import Flow, WebhookAlert, WebhookDelivery, WebhookEndpoint
from tests.integrations.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


def test_admin_creates_an_endpoint_on_the_page_and_sees_the_secret_once(
    admin_member, receiver, as_member
):
    client = as_member(admin_member)
    response = client.post(
        "/integrations/webhooks/endpoints/",
        {"url": receiver.url, "event_types": ["workorder.created", "sync.failed"]},
    )
    assert response.status_code == 200
    secret = response.context["new_secret"]
    assert secret.startswith("whsec_")
    assert secret in response.content.decode()
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_types == ["workorder.created", "sync.failed"]
    again = client.get("/integrations/webhooks/endpoints/")
    assert secret not in again.content.decode()
    assert receiver.url in again.content.decode()


def test_endpoint_form_shows_why_a_private_url_is_refused(admin_member, as_member, settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    response = as_member(admin_member).post(
        "/integrations/webhooks/endpoints/",
        {"url": "http://127.0.0.1/x", "event_types": ["workorder.created"]},
    )
    assert response.status_code == 422
    assert "private, link-local or loopback" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_monitor_shows_deliveries_inbound_alerts_and_polling(
    organization,
    admin_member,
    endpoint,
    as_member,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    connection = ConnectionFactory(
        organization=organization,
        name="SAP plant 1000",
        sync_entities=["work_orders"],
        last_polled_at=timezone.now(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            publish_event("workorder.created", organization_id=organization.pk, data={})
    WebhookAlert.objects.create(
        organization=organization, kind="endpoint_disabled", message="Endpoint x disabled"
    )
    client = as_member(admin_member)
    with django_assert_max_num_queries(20):
        response = client.get("/integrations/webhooks/monitor/")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("Redeliver") == 3
    assert "Endpoint x disabled" in page
    assert "SAP plant 1000" in page
    row = response.context["connections"][0]
    assert row["next_poll"] == connection.last_polled_at + timezone.timedelta(minutes=15)
    assert response.context["endpoints"][0]["total"] == 3
    assert response.context["endpoints"][0]["rate"] == 0.0
    filtered = client.get("/integrations/webhooks/monitor/?status=failed")
    assert "Redeliver" not in filtered.content.decode()


def test_redeliver_button_sends_again(
    organization, admin_member, endpoint, receiver, as_member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        publish_event("workorder.created", organization_id=organization.pk, data={})
    delivery = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = as_member(admin_member).post(
            f"/integrations/webhooks/deliveries/{delivery.public_id}/redeliver/"
        )
    assert response.status_code == 302
    assert len(receiver.requests) == 2


def test_dismissing_an_alert_hides_it(organization, admin_member, as_member):
    alert = WebhookAlert.objects.create(
        organization=organization, kind="inbound_failed", message="boom"
    )
    client = as_member(admin_member)
    client.post(f"/integrations/webhooks/alerts/{alert.pk}/dismiss/")
    alert.refresh_from_db()
    assert alert.resolved_at is not None


def test_webhook_pages_are_for_admins_only(dispatcher, other_org_user, as_member):
    for member in (dispatcher, other_org_user):
        client = as_member(member)
        assert client.get("/integrations/webhooks/monitor/").status_code == 403
        assert client.get("/integrations/webhooks/endpoints/").status_code == 403


def test_admin_adds_a_flow_tests_it_and_sees_its_run_log(
    organization, admin_member, endpoint, as_member, django_assert_max_num_queries
):
    client = as_member(admin_member)
    response = client.post(
        "/integrations/webhooks/flows/",
        {
            "name": "P1 completed",
            "event_type": "workorder.status_changed",
            "conditions": "data.priority == p1\ndata.status == completed",
            "action": "send_to_endpoint",
            "endpoint_id": str(endpoint.public_id),
        },
    )
    assert response.status_code == 302
    flow = Flow.objects.get()
    assert flow.conditions == [
        {"field": "data.priority", "op": "eq", "value": "p1"},
        {"field": "data.status", "op": "eq", "value": "completed"},
    ]
    tested = client.post(
        "/integrations/webhooks/flows/",
        {"test": str(flow.public_id), "sample": '{"priority": "p2", "status": "completed"}'},
    )
    assert tested.context["tested"].matched is False
    with django_assert_max_num_queries(12):
        page = client.get("/integrations/webhooks/flows/")
    assert "P1 completed" in page.content.decode()
    assert "(test)" in page.content.decode()
    assert not WebhookDelivery.objects.exists()


def test_flow_form_explains_a_missing_endpoint(admin_member, as_member):
    response = as_member(admin_member).post(
        "/integrations/webhooks/flows/",
        {"name": "x", "event_type": "workorder.created", "action": "send_to_endpoint"},
    )
    assert response.status_code == 422
    assert "Choose the endpoint to send to." in response.content.decode()


def test_admins_find_the_webhook_pages_in_their_menu(admin_member, dispatcher, as_member):
    assert (
        "/integrations/webhooks/monitor/"
        in as_member(admin_member).get("/assets/").content.decode()
    )
    assert (
        "/integrations/webhooks/monitor/"
        not in as_member(dispatcher).get("/assets/").content.decode()
    )


# (what the flows page posts) -> the message shown, and no flow stored.
FLOW_FORM_REFUSALS = [
    ({"test": "{flow}", "sample": "[1, 2]"}, "The sample data must be a JSON object."),
    ({"test": "{flow}", "sample": "{oops"}, "The sample data must be a JSON object."),
    (
        {
            "name": "P1",
            "event_type": "workorder.created",
            "action": "send_to_endpoint",
            "endpoint_id": "nope",
        },
        "Must be an id (a UUID).",
    ),
    (
        {"name": "P1", "event_type": "workorder.created", "action": "send_to_endpoint"},
        "Choose the endpoint to send to.",
    ),
]


def test_the_flows_page_shows_each_refusal_and_stores_nothing(
    organization, admin_member, endpoint, as_member
):
    client = as_member(admin_member)
    flow = client.post(
        "/integrations/webhooks/flows/",
        {
            "name": "Any",
            "event_type": "workorder.created",
            "action": "send_to_endpoint",
            "endpoint_id": str(endpoint.public_id),
        },
    )
    assert flow.status_code == 302
    flow_id = str(Flow.objects.get().public_id)
    for form, words in FLOW_FORM_REFUSALS:
        sent = {k: flow_id if v == "{flow}" else v for k, v in form.items()}
        shown = client.post("/integrations/webhooks/flows/", sent)
        assert shown.status_code == 422, sent
        assert words in shown.content.decode(), sent
        assert Flow.objects.count() == 1
    forged = client.post("/integrations/webhooks/flows/", {"test": "not-a-flow", "sample": "{}"})
    assert forged.status_code == 404


def test_an_endpoint_with_no_event_ticked_gets_the_same_words_on_both_doors(
    admin_member, as_member, with_token
):
    page = as_member(admin_member).post(
        "/integrations/webhooks/endpoints/", {"url": "https://127.0.0.1:9/hook"}
    )
    api = with_token(admin_member).post(
        "/api/v1/webhooks/endpoints",
        {"url": "https://127.0.0.1:9/hook"},
        content_type="application/json",
    )
    words = "Choose at least one event type."
    assert (page.status_code, api.status_code) == (422, 422)
    assert words in page.content.decode()
    assert api.json()["error"]["details"] == {"event_types": words}
