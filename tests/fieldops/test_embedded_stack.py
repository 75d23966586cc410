"""The embedded default for real: Daphne, a Celery worker and beat as separate processes on
SQLite, the SQLite channel layer and the filesystem broker — nothing mocked."""

import asyncio
import json
import time

import httpx
import pytest
import websockets

from tests.processes import (
    beat,
    daphne,
    embedded_env,
    free_port,
    login,
    manage,
    running,
    wait_healthy,
    worker,
)

pytestmark = pytest.mark.processes


@pytest.fixture(scope="module")
def embedded_stack(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("embedded")
    # beat runs the PM pass every few seconds here instead of every 15 minutes
    env = embedded_env(data_dir, PM_GENERATION_SECONDS="3")
    manage(env, "bootstrap", "--demo")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with running(env, daphne(port), worker(), beat(data_dir), logs=data_dir):
        wait_healthy(base_url)
        yield base_url, env


def test_healthz_reports_embedded_mode(embedded_stack):
    base_url, _ = embedded_stack
    body = httpx.get(f"{base_url}/healthz").json()
    assert body["mode"] == "embedded"
    assert all(check["ok"] for check in body["checks"].values()), body


def test_event_published_by_the_worker_reaches_an_open_socket(embedded_stack):
    embedded_stack, _ = embedded_stack

    async def scenario() -> dict:
        with httpx.Client(base_url=embedded_stack) as client:
            login(client, "dispatcher", "fieldops-demo")
            cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
            ws_url = embedded_stack.replace("http", "ws") + "/ws/live/"
            async with websockets.connect(
                ws_url, additional_headers={"Cookie": cookie, "Origin": embedded_stack}
            ) as socket:
                assert json.loads(await socket.recv())["type"] == "hello"
                queued = client.post(
                    "/api/v1/system/ping", headers={"X-CSRFToken": client.cookies["csrftoken"]}
                )
                assert queued.status_code == 202, queued.text
                nonce = queued.json()["nonce"]
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    message = json.loads(await asyncio.wait_for(socket.recv(), timeout=20))
                    if message.get("event", {}).get("data", {}).get("nonce") == nonce:
                        return message["event"]
        raise AssertionError("the worker's event never reached the socket")

    event = asyncio.run(scenario())
    assert event["type"] == "system.ping"
    assert event["data"]["from"] == "worker"
    assert event["id"].startswith("evt_")


def test_anonymous_socket_is_closed_by_the_server(embedded_stack):
    embedded_stack, _ = embedded_stack

    async def scenario() -> int:
        ws_url = embedded_stack.replace("http", "ws") + "/ws/live/"
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(ws_url, additional_headers={"Origin": embedded_stack}):
                pass
        return refused.value.response.status_code

    # Closed before accept: Daphne refuses the handshake itself.
    assert asyncio.run(scenario()) == 403


PLAN_DUE_TODAY = """
from django.utils import timezone
from assets.models import Asset
from fieldops.accounts.models import Membership
from workorders.maintenance import services
from workorders.maintenance.schedule import local_today
admin = Membership.objects.get(user__username="admin")
asset = Asset.objects.get(code="FLT-401")
services.plan_create(membership=admin, spec=services.PlanSpec(
    name="Forklift weekly check (beat test)", asset_id=asset.public_id,
    start_date=local_today(timezone.now(), admin.organization.time_zone),
    interval_count=1, interval_unit="weeks",
    work_title="Forklift weekly check"))
"""


def test_work_order_generated_by_beat_appears_live_on_an_open_board(embedded_stack):
    """Beat (its own process) runs the PM pass, the worker (another process) opens the work
    order, and the dispatcher's open socket (Daphne, a third) is told — no server involved."""
    base_url, env = embedded_stack

    async def scenario() -> dict:
        with httpx.Client(base_url=base_url) as client:
            login(client, "dispatcher", "fieldops-demo")
            cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
            ws_url = base_url.replace("http", "ws") + "/ws/live/"
            async with websockets.connect(
                ws_url, additional_headers={"Cookie": cookie, "Origin": base_url}
            ) as socket:
                assert json.loads(await socket.recv())["type"] == "hello"
                manage(env, "shell", "-c", PLAN_DUE_TODAY)
                deadline = time.monotonic() + 40
                while time.monotonic() < deadline:
                    message = json.loads(await asyncio.wait_for(socket.recv(), timeout=40))
                    event = message.get("event", {})
                    if event.get("type") == "workorder.created":
                        detail = client.get(f"/api/v1/work-orders/{event['data']['number']}")
                        if detail.json().get("title") == "Forklift weekly check":
                            return detail.json()
        raise AssertionError("no work order from beat reached the board")

    work_order = asyncio.run(scenario())
    assert work_order["work_type"] == "preventive"
    assert work_order["asset"]["code"] == "FLT-401"
