"""Write-back through the outbox: once per change, retried until acknowledged."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from integrations.connectors.factory import connector_for
from integrations.models import ExternalReference, OutboxMessage, OutboxStatus, SyncRun
from integrations.services.outbox import outbox_push, work_order_completed_enqueue
from integrations.services.sync import sync_run_execute
from integrations.tasks import outbox_push_task
from tests.integrations import sap_data
from tests.integrations.factories import ConnectionFactory
from tests.integrations.test_local_upserts import tryton_connection
from tests.workorders.factories import make_part
from workorders.models import PartUsage, Status, WorkOrder
from workorders.services import (
    Resolution,
    WorkOrderSpec,
    time_entry_add,
    work_order_assign,
    work_order_create,
    work_order_transition,
)


def complete(work_order, dispatcher, technician, minutes=(90, 30)):
    work_order = work_order_assign(
        membership=dispatcher,
        work_order=work_order,
        technician_ids=[technician.public_id],
        expected_version=work_order.version,
    )
    work_order = work_order_transition(
        membership=technician,
        work_order=work_order,
        to_status=Status.IN_PROGRESS,
        expected_version=work_order.version,
    )
    start = timezone.now() - timedelta(hours=3)
    for kind, length in zip(("work", "travel"), minutes, strict=False):
        time_entry_add(
            membership=technician,
            work_order=work_order,
            kind=kind,
            started_at=start,
            minutes=length,
        )
    work_order.refresh_from_db()
    return work_order_transition(
        membership=technician,
        work_order=work_order,
        to_status=Status.COMPLETED,
        expected_version=work_order.version,
        resolution=Resolution(
            resolution_notes="Bearing replaced, seal renewed.",
            failure_code="LEAK",
            cause="Worn seal",
            remedy="Replaced seal",
        ),
    )


def tryton_timesheet_lines(connection, key_prefix):
    connector = connector_for(connection)
    lines, cursor = [], None
    try:
        while True:
            page = connector.list_page("timesheets", since=None, cursor=cursor, page_size=100)
            lines += [r.unified for r in page.records]
            if not (cursor := page.next_cursor):
                break
    finally:
        connector.http.close()
    return [line for line in lines if (line.external_key or "").startswith(key_prefix)]


def test_completed_work_orders_labour_lands_in_tryton_exactly_once(
    organization, dispatcher, tryton, django_capture_on_commit_callbacks
):
    connection = tryton_connection(organization, tryton)
    run = SyncRun.objects.create(
        organization=organization, connection=connection, entity="employees", full=True
    )
    sync_run_execute(run_id=run.pk)
    jane_ref = ExternalReference.objects.get(
        connection=connection, entity="employees", remote_id=str(tryton.seed["employees"][0])
    )
    jane = jane_ref.__class__.objects.get(pk=jane_ref.pk)
    from fieldops.accounts.models import Membership

    technician = Membership.objects.get(pk=jane.local_id)
    work_order, _ = work_order_create(
        membership=dispatcher,
        organization_id=organization.pk,
        spec=WorkOrderSpec(title="Replace pump bearing", work_type="inspection"),
    )
    # The completion event enqueues on commit, and the (eager) push task sends at once.
    with django_capture_on_commit_callbacks(execute=True):
        work_order = complete(work_order, dispatcher, technician)
    messages = list(OutboxMessage.objects.order_by("pk"))
    assert [(m.operation, m.status) for m in messages] == [("timesheet.create", "sent")] * 2
    # The push task runs again (a redelivered message, the beat sweep): nothing is sent twice.
    for message in messages:
        outbox_push_task.apply(args=[message.pk])
        outbox_push_task.apply(args=[message.pk])
    # The acknowledgement was lost (the worker died after Tryton answered): the retry finds the
    # line it already made instead of making a second one.
    OutboxMessage.objects.filter(pk=messages[0].pk).update(
        status=OutboxStatus.PENDING, next_attempt_at=None
    )
    outbox_push_task.apply(args=[messages[0].pk])
    messages[0].refresh_from_db()
    assert messages[0].status == OutboxStatus.SENT
    lines = tryton_timesheet_lines(connection, "labour-")
    mine = [line for line in lines if line.description.startswith(work_order.reference)]
    assert sorted((line.hours, line.employee_remote_id) for line in mine) == [
        (pytest.approx(0.5), jane.remote_id),
        (pytest.approx(1.5), jane.remote_id),
    ]
    assert len({line.external_key for line in mine}) == 2
    assert mine[0].description.startswith(f"{work_order.reference} Replace pump bearing")


@pytest.fixture
def sap(organization):
    connection = ConnectionFactory(organization=organization)
    sim = sap_data.seeded(equipment_count=0)
    run = SyncRun.objects.create(
        organization=organization, connection=connection, entity="work_orders", full=True
    )
    sync_run_execute(
        run_id=run.pk,
        connector=connector_for(connection, transport=sim.transport(), sleep=lambda s: None),
    )
    return connection, sim


def erp_work_order_completed(dispatcher, technician):
    work_order = WorkOrder.objects.get(source="erp")
    return complete(work_order, dispatcher, technician, minutes=(45,))


def test_replayed_completion_enqueues_once_and_only_what_the_erp_accepts(
    sap, dispatcher, technician
):
    connection, _ = sap
    work_order = erp_work_order_completed(dispatcher, technician)
    for _ in range(2):
        work_order_completed_enqueue(
            organization_id=work_order.organization_id, work_order_id=work_order.pk
        )
    # SAP takes the completion; the technician is no SAP employee, so no labour for SAP.
    message = OutboxMessage.objects.get()
    assert (message.operation, message.connection_id) == ("work_order.complete", connection.pk)
    assert message.payload["remote_id"] == "4000000"
    assert message.payload["resolution_notes"] == "Bearing replaced, seal renewed."


def test_push_retries_with_backoff_until_acknowledged_then_never_again(sap, dispatcher, technician):
    connection, sim = sap
    work_order = erp_work_order_completed(dispatcher, technician)
    (message_id,) = work_order_completed_enqueue(
        organization_id=work_order.organization_id, work_order_id=work_order.pk
    )

    def push():
        connector = connector_for(
            connection, transport=sim.transport(), sleep=lambda s: None, max_inline_wait=0
        )
        return outbox_push(message_id=message_id, connector=connector)

    sim.faults = [("503", 120)]
    waited = push()
    assert 120 <= waited <= 144  # Retry-After, up to a fifth later at random
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == ("pending", 1)
    assert "UPSTREAM_UNAVAILABLE" in message.last_error
    # Not due yet: a second push (the sweep, a duplicate task) does not call the ERP.
    calls = len(sim.requests)
    assert push() == pytest.approx(waited, abs=2)
    assert len(sim.requests) == calls
    OutboxMessage.objects.filter(pk=message_id).update(next_attempt_at=timezone.now())
    assert push() is None
    message.refresh_from_db()
    assert (message.status, message.attempts, message.remote_id) == ("sent", 2, "4000000")
    assert sim.completed == ["4000000"]
    assert push() is None
    assert sim.completed == ["4000000"]


def test_a_push_that_meets_an_open_breaker_waits_for_it_instead_of_failing(
    sap, dispatcher, technician
):
    connection, sim = sap
    work_order = erp_work_order_completed(dispatcher, technician)
    (message_id,) = work_order_completed_enqueue(
        organization_id=work_order.organization_id, work_order_id=work_order.pk
    )
    reopens = timezone.now() + timedelta(seconds=20)
    connection.__class__.objects.filter(pk=connection.pk).update(
        circuit_open_until=reopens, status="online"
    )
    sleeps = []
    # The default inline wait (30 s) would cover the cooldown: the worker must not sit it out.
    connector = connector_for(connection, transport=sim.transport(), sleep=sleeps.append)
    calls = len(sim.requests)
    delay = outbox_push(message_id=message_id, connector=connector)
    assert len(sim.requests) == calls  # paused: the ERP was not called
    assert sleeps == []
    assert 15 < delay <= 20 * 1.2 + 1
    message = OutboxMessage.objects.get()
    assert message.status == "pending"
    assert -1 < (message.next_attempt_at - reopens).total_seconds() < 6
    assert "CIRCUIT_OPEN" in message.last_error
    connection.refresh_from_db()
    assert connection.status == "offline"  # said now, not only once the message gives up


def test_a_status_change_other_than_completion_enqueues_nothing(
    sap, dispatcher, technician, django_capture_on_commit_callbacks
):
    work_order = WorkOrder.objects.get(source="erp")
    with django_capture_on_commit_callbacks(execute=True):
        work_order_assign(
            membership=dispatcher,
            work_order=work_order,
            technician_ids=[technician.public_id],
            expected_version=work_order.version,
        )
    assert not OutboxMessage.objects.exists()


def _linked(connection, entity, remote_id, row):
    """``row`` as the ERP's record ``remote_id``, as a sync would have left it."""
    ExternalReference.objects.create(
        organization=connection.organization,
        connection=connection,
        system=connection.system,
        entity=entity,
        remote_id=remote_id,
        local_model=row._meta.label_lower,
        local_id=row.pk,
        payload_hash="-",
    )


def test_labour_and_parts_are_dated_by_the_organisations_day_not_the_servers(
    organization, dispatcher, technician
):
    import time_machine

    organization.time_zone = "Europe/Berlin"
    organization.save(update_fields=["time_zone"])
    connection = ConnectionFactory(organization=organization, system="tryton")
    _linked(connection, "employees", "7", technician)
    work_order, _ = work_order_create(
        membership=dispatcher,
        organization_id=organization.pk,
        spec=WorkOrderSpec(title="Night call-out", work_type="inspection"),
    )
    # Work started 22:30 UTC on 6 May, which is 00:30 on 7 May in Berlin.
    with time_machine.travel(datetime(2026, 5, 7, 1, 30, tzinfo=UTC), tick=False):
        work_order = complete(work_order, dispatcher, technician, minutes=(45,))
    part = make_part(organization.pk)
    _linked(connection, "parts", "11", part)
    PartUsage.objects.create(
        organization=organization,
        work_order=work_order,
        part=part,
        quantity=1,
        author=technician,
        occurred_at=datetime(2026, 5, 6, 22, 40, tzinfo=UTC),
    )
    work_order_completed_enqueue(organization_id=organization.pk, work_order_id=work_order.pk)
    labour = OutboxMessage.objects.get(operation="timesheet.create")
    assert labour.payload["date"] == "2026-05-07"
    used = OutboxMessage.objects.get(operation="part.consume")
    assert used.payload["occurred_on"] == "2026-05-07"
