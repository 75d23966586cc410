"""A Celery worker SIGKILLed in the middle of PM generation and of a webhook delivery, then a new
worker finishes the work: every unit of work done exactly once.

Real processes on the production stack (PostgreSQL when DATABASE_URL is set, a private Redis as
broker). The killed task's message stays unacknowledged in Redis until the visibility timeout
(hours), so the work is picked up again the way production does it: beat's next PM pass, and the
webhook sweep that beat runs every minute.
"""

import pytest

from tests.processes import wait_for
from tests.webhooks.conftest import Answer, Receiver

pytestmark = pytest.mark.processes

N_ASSETS = 300
PM_SETUP = """
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from assets.models import Asset
from fieldops.accounts.models import Membership
from workorders.maintenance import services
from workorders.maintenance.schedule import local_today
admin = Membership.objects.get(user__username="admin")
Asset.objects.bulk_create(
    Asset(organization_id=admin.organization_id, code=f"KILL-{{i:04d}}", name=f"Pump {{i}}",
          asset_type="killpump")
    for i in range({n})
)
Asset.objects.filter(code__startswith="KILL-").update(
    path=Concat(Value("/"), Cast("id", CharField()), Value("/"))
)
plan = services.plan_create(membership=admin, spec=services.PlanSpec(
    name="Kill test", scope="asset_type", asset_type="killpump",
    start_date=local_today(timezone.now(), admin.organization.time_zone),
    interval_count=1, interval_unit="weeks",
    work_title="Kill test PM"))
print(plan.pk)
"""
PM_PASS = "workorders.maintenance.tasks.plans_generate_due_task"
PM_WORK_ORDERS = (
    "SELECT count(*), count(DISTINCT asset_id) FROM workorders_workorder WHERE title = ?"
)


def test_worker_killed_during_pm_generation_opens_each_work_order_once(stack):
    first = stack.start_worker("w1")
    plan_id = int(stack.shell(PM_SETUP.format(n=N_ASSETS)))
    stack.send_task(PM_PASS)

    try:
        wait_for(
            lambda: stack.scalar(PM_WORK_ORDERS, ("Kill test PM",)) >= 10 or not first.alive(),
            timeout=90,
            interval=0.05,
            what="the pass to open its first work orders",
        )
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{first.log()[-4000:]}") from None
    assert first.alive(), first.log()
    first.kill()
    before = stack.query(PM_WORK_ORDERS, ("Kill test PM",))[0][0]
    assert 10 <= before < N_ASSETS, f"killed too late to test anything ({before} opened)"

    stack.start_worker("w2")
    stack.send_task(PM_PASS)  # what beat sends every 15 minutes
    wait_for(
        lambda: stack.scalar(PM_WORK_ORDERS, ("Kill test PM",)) >= N_ASSETS,
        timeout=120,
        what="the second worker to finish the pass",
    )
    stack.send_task(PM_PASS)  # and once more: a pass over finished work opens nothing
    wait_for(
        lambda: " 0 opened" in stack.procs[-1].log(),
        timeout=60,
        what="the repeated pass",
    )
    assert stack.query(PM_WORK_ORDERS, ("Kill test PM",))[0] == (N_ASSETS, N_ASSETS)
    occurrences = stack.query(
        "SELECT count(*), count(DISTINCT work_order_id), count(DISTINCT asset_id)"
        " FROM maintenance_planoccurrence WHERE plan_id = ?",
        (plan_id,),
    )[0]
    assert occurrences == (N_ASSETS, N_ASSETS, N_ASSETS)


N_EVENTS = 5
HANG_ON = 3  # the third POST never gets its answer: the worker dies waiting for it
WEBHOOK_SETUP = """
from django.db import transaction
from fieldops.accounts.models import Membership
from fieldops.events import publish_event
from integrations.webhooks.services.endpoints import endpoint_create
admin = Membership.objects.get(user__username="admin")
endpoint_create(membership=admin, url="{url}", event_types=["workorder.updated"])
ids = []
for n in range({n}):
    with transaction.atomic():
        ids.append(publish_event(
            "workorder.updated", organization_id=admin.organization_id, data={{"n": n}}
        ).id)
print(",".join(ids))
"""
SWEEP = "integrations.webhooks.tasks.webhook_sweep_task"
DELIVERIES = "SELECT event_id, status, attempts FROM webhooks_webhookdelivery ORDER BY id"


def test_worker_killed_during_a_webhook_delivery_delivers_each_event_once(stack):
    receiver = Receiver()
    receiver.script.extend([Answer(), Answer(), Answer(delay=120)])
    try:
        first = stack.start_worker("w1")
        event_ids = stack.shell(WEBHOOK_SETUP.format(url=receiver.url, n=N_EVENTS)).split(",")
        wait_for(
            lambda: len(receiver.requests) >= HANG_ON,
            timeout=60,
            what="the delivery that hangs",
        )
        first.kill()
        rows = stack.query(DELIVERIES)
        assert [row[0] for row in rows] == event_ids
        assert [row[1] for row in rows] == ["succeeded"] * 2 + ["pending"] * 3

        stack.start_worker("w2")
        # The two messages still queued run on the new worker.
        wait_for(
            lambda: len([r for r in stack.query(DELIVERIES) if r[1] == "succeeded"]) == 4,
            timeout=60,
            what="the queued deliveries",
        )
        # The killed attempt holds a lease (timeout + 30 s) and then waits for the sweep's
        # one-minute grace; compress those 90 seconds instead of sleeping through them.
        stack.query(
            "UPDATE webhooks_webhookdelivery SET next_attempt_at = ? WHERE status = 'pending'",
            ("2000-01-01 00:00:00",),
        )
        stack.send_task(SWEEP)  # what beat sends every minute
        wait_for(
            lambda: all(r[1] == "succeeded" for r in stack.query(DELIVERIES)),
            timeout=60,
            what="the sweep to resend the killed delivery",
        )
    finally:
        receiver.close()

    assert stack.query(DELIVERIES) == [(event_id, "succeeded", 1) for event_id in event_ids]
    seen = [request.headers["webhook-id"] for request in receiver.requests]
    # The killed attempt reached the receiver before the worker died, so that one event was
    # sent twice, with the same webhook-id (receivers deduplicate on it); every other once.
    assert sorted(seen) == sorted([*event_ids, event_ids[HANG_ON - 1]])
    assert set(seen) == set(event_ids)
