"""No secret in logs or responses: flows that handle ERP credentials, webhook secrets (both
directions), API tokens and passwords run with every logger at DEBUG (SQL included); then no
log record, and no response but the one that hands a new secret out once, contains any of them."""

from __future__ import annotations

import logging
import secrets

import pytest
from django.db import connection as db_connection
from django.test import Client

from fieldops import events
from fieldops.celery import app as celery_app
from integrations.webhooks.signing import headers as signed_headers
from integrations.webhooks.signing import secret_generate
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


class Recorder:
    """Every response a flow receives, except those allowed to hand out a new secret once."""

    def __init__(self) -> None:
        self.responses: list[tuple[str, bytes, str]] = []
        self.statuses: list[tuple[str, int]] = []

    def __call__(self, label: str, response, *, hands_out_secret: bool = False):
        self.statuses.append((label, response.status_code))
        if not hands_out_secret:
            headers = "\n".join(f"{k}: {v}" for k, v in response.items())
            self.responses.append((label, response.content, headers))
        return response


@pytest.fixture
def debug_logs(caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django")  # Django's own config stops it at INFO
    db_connection.force_debug_cursor = True  # SQL and its parameters, as with DEBUG=True
    yield caplog
    db_connection.force_debug_cursor = False


def _log_text(caplog) -> str:
    lines = []
    for record in caplog.records:
        lines.append(record.getMessage())
        if record.exc_info and record.exc_text is None:
            lines.append(logging.Formatter().formatException(record.exc_info))
        lines.append(record.exc_text or "")
        lines.append(repr(getattr(record, "args", "")))
    return "\n".join(lines)


def test_no_secret_reaches_a_log_or_a_response(
    world, debug_logs, django_capture_on_commit_callbacks, monkeypatch
):
    seen = Recorder()
    erp_password = "erp-" + secrets.token_urlsafe(18)
    inbound_secret = secret_generate()
    admin = Client(headers={"Authorization": f"Bearer {world.tokens['admin']}"})
    run = django_capture_on_commit_callbacks

    # Passwords: a failed and a successful sign-in.
    user = world.members["admin"].user
    browser = Client()
    seen(
        "login failed",
        browser.post("/login/", {"username": user.username, "password": "Wr0ng-" + PASSWORD}),
    )
    seen("login", browser.post("/login/", {"username": user.username, "password": PASSWORD}))

    # API tokens: issued once, used, listed, guessed at.
    issued = seen(
        "token",
        admin.post("/api/v1/tokens", {"name": "ci"}, content_type="application/json"),
        hands_out_secret=True,
    )
    token_secret = issued.json()["token"]
    holder = Client(headers={"Authorization": f"Bearer {token_secret}"})
    seen("me", holder.get("/api/v1/me"))
    seen("tokens", holder.get("/api/v1/tokens"))
    seen(
        "guess",
        Client(headers={"Authorization": f"Bearer {token_secret[:-2]}xx"}).get("/api/v1/me"),
    )

    # ERP credentials: stored, shown masked, changed, used against an ERP that is not there.
    created = seen(
        "connection",
        admin.post(
            "/api/v1/integrations/connections",
            {
                "system": "sap_s4hana",
                "name": "Secret ERP",
                "base_url": "http://127.0.0.1:9/sap/opu/odata/sap",
                "credentials": {
                    "username": "FIELDOPS",
                    "password": erp_password,
                    "webhook_secret": inbound_secret,
                },
            },
            content_type="application/json",
        ),
    )
    assert created.status_code == 201, created.content
    conn_id = created.json()["id"]
    base = f"/api/v1/integrations/connections/{conn_id}"
    seen("connection get", admin.get(base))
    seen("connections", admin.get("/api/v1/integrations/connections"))
    # The ERP is not there, so its sync task asks to be retried later (after the breaker's
    # cooldown); a worker would requeue it, an eager task raises that into the request instead.
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)
    with run(execute=True):
        seen("connection test", admin.post(f"{base}/test"))
        seen(
            "sync",
            admin.post(f"{base}/sync", {"entity": "work_orders"}, content_type="application/json"),
        )
    seen("runs", admin.get(f"{base}/runs"))
    seen("live", admin.get(f"{base}/work_orders?source=live"))
    seen(
        "connection patch",
        admin.patch(
            base,
            {"credentials": {"password": erp_password + "2", "webhook_secret": inbound_secret}},
            content_type="application/json",
        ),
    )

    # Inbound webhooks: a forged signature and a good one.
    body = (
        b'{"id": "msg_1", "type": "work_orders.updated",'
        b' "data": {"entity": "work_orders", "remote_id": "1"}}'
    )
    for label, key in (("forged", secret_generate()), ("signed", inbound_secret)):
        with run(execute=True):
            seen(
                label,
                Client().post(
                    f"/integrations/webhooks/{conn_id}/",
                    data=body,
                    content_type="application/json",
                    headers=signed_headers(secret=key, msg_id="msg_1", body=body),
                ),
            )

    # Outbound webhooks: the secret handed out once, then deliveries to a closed port.
    endpoint = seen(
        "endpoint",
        admin.post(
            "/api/v1/webhooks/endpoints",
            {"url": "http://127.0.0.1:9/hook", "event_types": ["workorder.*"]},
            content_type="application/json",
        ),
        hands_out_secret=True,
    )
    assert endpoint.status_code == 201, endpoint.content
    endpoint_secret = endpoint.json()["secret"]
    with run(execute=True):
        seen(
            "work order",
            admin.post(
                "/api/v1/work-orders", {"title": "Leak check"}, content_type="application/json"
            ),
        )
    seen("endpoint get", admin.get(f"/api/v1/webhooks/endpoints/{endpoint.json()['id']}"))
    seen("endpoints", admin.get("/api/v1/webhooks/endpoints"))
    deliveries = seen("deliveries", admin.get("/api/v1/webhooks/deliveries"))
    for item in deliveries.json().get("items", [])[:3]:
        with run(execute=True):
            seen("redeliver", admin.post(f"/api/v1/webhooks/deliveries/{item['id']}/redeliver"))
    seen("monitor", _page(world, "/integrations/webhooks/monitor/"))
    seen("endpoints page", _page(world, "/integrations/webhooks/endpoints/"))

    # The flows really ran, and the capture really sees what it should.
    statuses = dict(seen.statuses)
    assert statuses["login failed"] == 200
    assert statuses["login"] == 302
    assert statuses["guess"] == 401
    assert statuses["forged"] == 401
    assert statuses["signed"] == 200
    assert statuses["connection test"] in (200, 502)
    assert statuses["live"] in (429, 502)  # the ERP is not there (or its breaker is open)
    assert "redeliver" in statuses
    assert token_secret.encode() in issued.content
    logs = _log_text(debug_logs)
    assert any(record.name == "django.db.backends" for record in debug_logs.records)
    known = {
        "ERP password": erp_password,
        "inbound webhook secret": inbound_secret,
        "API token": token_secret,
        "user password": PASSWORD,
        "outbound webhook secret": endpoint_secret,
    }
    for name, value in known.items():
        assert value not in logs, f"{name} in the logs"
        for label, content, headers in seen.responses:
            assert value.encode() not in content, f"{name} in the response to {label}"
            assert value not in headers, f"{name} in the headers of {label}"
    assert any(event.startswith("workorder.") for event in events.CATALOGUE)


def _page(world, path: str):
    client = Client()
    client.force_login(world.members["admin"].user)
    return client.get(path)
