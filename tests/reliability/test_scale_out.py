"""Scale-out: two Daphne processes and two Celery workers on one database and one Redis, the way
production runs behind a load balancer (README, "Deploying").

- A change made through either web process reaches sockets connected to both.
- A burst of PM generation passes, duplicate sync-run messages and duplicate webhook-delivery
  messages, spread over both workers, does each unit of work exactly once.
- A connection's ERP rate limit holds across both workers together (it lives in Redis).
"""

import asyncio
import json
import time
from collections import Counter

import httpx
import pytest
import websockets

from tests.integrations.simulators.base import serve
from tests.integrations.simulators.maximo import MaximoSimulator, asset, work_order
from tests.processes import wait_for
from tests.reliability.conftest import api_headers, build_stack
from tests.webhooks.conftest import Receiver

pytestmark = pytest.mark.processes


@pytest.fixture(scope="module")
def scaled(tmp_path_factory, migrated_template):
    with build_stack(tmp_path_factory.mktemp("scale-out"), migrated_template) as stack:
        web = [stack.start_daphne(f"web{n}")[1] for n in (1, 2)]
        workers = [stack.start_worker(f"w{n}") for n in (1, 2)]
        yield stack, web, workers


# --- one change, sockets on both servers ---------------------------------------------------------


async def _until_created(socket, number: str) -> str:
    while True:
        event = json.loads(await asyncio.wait_for(socket.recv(), timeout=15)).get("event", {})
        if event.get("type") == "workorder.created" and event["data"].get("number") == number:
            return event["id"]


def test_a_change_through_one_server_reaches_sockets_on_both(scaled):
    stack, web, _ = scaled
    # Signed in through the first server; the session lives in the database, so the second
    # accepts the same cookie (nothing about a user is kept in a web process).
    api = stack.client(web[0], "dispatcher")
    cookie = "; ".join(f"{k}={v}" for k, v in api.cookies.items())

    async def scenario() -> list[tuple[str, str, int]]:
        seen = []
        sockets = [
            await websockets.connect(
                url.replace("http", "ws") + "/ws/live/",
                additional_headers={"Cookie": cookie, "Origin": url},
            )
            for url in web
        ]
        try:
            for socket in sockets:
                assert json.loads(await socket.recv())["type"] == "hello"
            for writer in web:
                created = await asyncio.to_thread(
                    httpx.post,
                    f"{writer}/api/v1/work-orders",
                    json={"title": "Seen on every server"},
                    headers=api_headers(api),
                    cookies=api.cookies,
                )
                assert created.status_code == 201, created.text
                number = created.json()["number"]
                ids = [await _until_created(socket, number) for socket in sockets]
                assert len(set(ids)) == 1  # one event, fanned out to both processes' sockets
                seen += [(writer, url, number) for url in web]
        finally:
            for socket in sockets:
                await socket.close()
        return seen

    seen = asyncio.run(scenario())
    assert [(writer, url) for writer, url, _ in seen] == [(a, b) for a in web for b in web]


# --- a burst of work, each unit once -------------------------------------------------------------

N_ASSETS = 60
N_REMOTE = 24
BURST_SETUP = """
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from assets.models import Asset
from fieldops.accounts.models import Membership
from integrations.crypto import encrypt_credentials
from integrations.models import Connection
from integrations.webhooks.services.endpoints import endpoint_create
from workorders.maintenance import services
from workorders.maintenance.schedule import local_today
admin = Membership.objects.get(user__username="admin")
Asset.objects.bulk_create(
    Asset(organization_id=admin.organization_id, code=f"SCALE-{{i:03d}}", name=f"Fan {{i}}",
          asset_type="scalefan")
    for i in range({n_assets})
)
Asset.objects.filter(code__startswith="SCALE-").update(
    path=Concat(Value("/"), Cast("id", CharField()), Value("/"))
)
services.plan_create(membership=admin, spec=services.PlanSpec(
    name="Scale-out", scope="asset_type", asset_type="scalefan",
    start_date=local_today(timezone.now(), admin.organization.time_zone),
    interval_count=1, interval_unit="weeks",
    work_title="Scale-out PM"))
endpoint_create(membership=admin, url="{hook_url}", event_types=["pm.generated"])
connection = Connection.objects.create(
    organization=admin.organization, system="maximo", name="burst", base_url="{erp_url}",
    credentials_encrypted=encrypt_credentials({{"apikey": "mx-key-123"}}),
    settings={{"page_size": 3}}, rate_limit_per_minute=10000,
)
print(connection.pk)
"""
BURST = """
from integrations.models import Connection
from integrations.services.sync import sync_run_start
from integrations.tasks import sync_run_execute_task
from workorders.maintenance.tasks import plans_generate_due_task
run = sync_run_start(connection=Connection.objects.get(pk={connection_id}), entity="work_orders")
for _ in range(2):  # the same run dispatched again, as a redelivery or a resume sweep would
    sync_run_execute_task.delay(run.pk)
for _ in range(4):  # overlapping passes, as beat on a slow day plus an admin's "run now"
    plans_generate_due_task.delay()
print(run.pk)
"""
DELIVER = "integrations.webhooks.tasks.webhook_deliver_task"


def test_a_burst_over_two_workers_does_each_unit_of_work_once(scaled):
    stack, _, workers = scaled
    receiver = Receiver()
    erp = MaximoSimulator()
    erp.rows["mxapiwodetail"] = [
        work_order(7000 + i, f"WO{7000 + i}", f"2026-11-01T10:{i:02d}:00-05:00")
        for i in range(N_REMOTE)
    ]
    try:
        with serve(erp) as erp_url:
            connection_id = int(
                stack.shell(
                    BURST_SETUP.format(n_assets=N_ASSETS, hook_url=receiver.url, erp_url=erp_url)
                )
            )
            run_id = int(stack.shell(BURST.format(connection_id=connection_id)))
            wait_for(
                lambda: (
                    stack.scalar(
                        "SELECT count(*) FROM webhooks_webhookdelivery WHERE status = 'succeeded'"
                    )
                    >= N_ASSETS
                    and stack.scalar(
                        "SELECT status FROM integrations_syncrun WHERE id = ?", (run_id,)
                    )
                    == "completed"
                ),
                timeout=120,
                what="the burst to finish",
            )
            for (delivery_id,) in stack.query("SELECT id FROM webhooks_webhookdelivery"):
                stack.send_task(DELIVER, delivery_id)  # two more messages for every delivery
                stack.send_task(DELIVER, delivery_id)
            stack.shell(BURST.format(connection_id=connection_id))  # and the whole burst again
            time.sleep(3)
            wait_for(
                lambda: (
                    stack.scalar(
                        "SELECT count(*) FROM integrations_syncrun WHERE connection_id = ?"
                        " AND status IN ('queued', 'running')",
                        (connection_id,),
                    )
                    == 0
                ),
                timeout=60,
                what="the second sync run",
            )
    finally:
        receiver.close()

    pm = stack.query(
        "SELECT count(*), count(DISTINCT asset_id) FROM workorders_workorder WHERE title = ?",
        ("Scale-out PM",),
    )[0]
    assert pm == (N_ASSETS, N_ASSETS)
    assert stack.query(
        "SELECT count(*), count(DISTINCT work_order_id) FROM maintenance_planoccurrence o"
        " JOIN maintenance_maintenanceplan p ON p.id = o.plan_id WHERE p.name = ?",
        ("Scale-out",),
    )[0] == (N_ASSETS, N_ASSETS)

    deliveries = stack.query("SELECT status, attempts FROM webhooks_webhookdelivery")
    assert Counter(deliveries) == {("succeeded", 1): N_ASSETS}
    sent = Counter(request.headers["webhook-id"] for request in receiver.requests)
    assert len(sent) == N_ASSETS
    assert set(sent.values()) == {1}, "a delivery reached the receiver twice"

    refs = stack.query(
        "SELECT count(*), count(DISTINCT remote_id), count(DISTINCT local_id)"
        " FROM integrations_externalreference WHERE connection_id = ?",
        (connection_id,),
    )[0]
    assert refs == (N_REMOTE, N_REMOTE, N_REMOTE)
    # Each remote work order became one local work order.
    assert (
        stack.scalar(
            "SELECT count(*) FROM workorders_workorder WHERE id IN (SELECT local_id"
            " FROM integrations_externalreference WHERE connection_id = ?)",
            (connection_id,),
        )
        == N_REMOTE
    )
    # Both workers took part.
    for proc in workers:
        assert "succeeded in" in proc.log(), proc.name


# --- the ERP rate limit, shared ------------------------------------------------------------------

RATE = 6
LIMITED_SETUP = """
from fieldops.accounts.models import Organization
from integrations.crypto import encrypt_credentials
from integrations.models import Connection
from integrations.services.sync import sync_run_start
connection = Connection.objects.create(
    organization=Organization.objects.get(slug="northwind"), system="maximo", name="limited",
    base_url="{erp_url}", credentials_encrypted=encrypt_credentials({{"apikey": "mx-key-123"}}),
    settings={{"page_size": 2}}, rate_limit_per_minute={rate},
)
sync_run_start(connection=connection, entity="work_orders", full=True)
sync_run_start(connection=connection, entity="assets", full=True)
"""


class Stamped(MaximoSimulator):
    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.times.append(time.time())
        return super().handle(request)


def test_the_erp_rate_limit_holds_across_both_workers(scaled):
    stack, _, workers = scaled
    erp = Stamped()
    erp.rows["mxapiwodetail"] = [
        work_order(8000 + i, f"WO{8000 + i}", f"2026-11-01T11:{i:02d}:00-05:00") for i in range(20)
    ]
    erp.rows["mxapiasset"] = [
        asset(f"P-{i:03d}", f"2026-11-01T11:{i:02d}:00-05:00") for i in range(20)
    ]
    # 40 requests are needed; not too near the end of a clock minute, so the windows are clear.
    if time.time() % 60 > 50:
        time.sleep(60.5 - time.time() % 60)
    received_before = [proc.log().count("sync_run_execute_task") for proc in workers]
    with serve(erp) as erp_url:
        stack.shell(LIMITED_SETUP.format(erp_url=erp_url, rate=RATE))
        wait_for(lambda: len(erp.times) >= RATE, timeout=30, what="the limit to be reached")
        time.sleep(7)  # both workers keep asking (and wait up to 5 s in-process) meanwhile
    per_minute = Counter(int(moment // 60) for moment in erp.times)
    assert max(per_minute.values()) <= RATE, per_minute
    if len(per_minute) == 1:
        assert len(erp.times) == RATE
    # Each worker ran one of the two runs.
    for proc, before in zip(workers, received_before, strict=True):
        assert proc.log().count("sync_run_execute_task") > before, proc.name
