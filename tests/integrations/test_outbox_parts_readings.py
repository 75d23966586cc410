"""Write-back of parts consumed and meter readings through the outbox, exactly once."""

from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from assets.models import Asset
from assets.services import meter_create, reading_record
from integrations.connectors.errors import Unavailable
from integrations.connectors.factory import connector_for
from integrations.crypto import encrypt_credentials
from integrations.models import ExternalReference, OutboxMessage, OutboxStatus
from integrations.services.outbox import outbox_push, work_order_completed_enqueue
from integrations.tasks import outbox_push_task
from tests.integrations.factories import ConnectionFactory
from tests.integrations.simulators.base import serve
from tests.integrations.simulators.maximo import MaximoSimulator
from tests.integrations.simulators.maximo import asset as maximo_asset
from tests.integrations.test_local_upserts import sync_live, tryton_connection
from workorders.models import Part, Status
from workorders.services import (
    Resolution,
    WorkOrderSpec,
    part_use,
    work_order_assign,
    work_order_create,
    work_order_transition,
)


def stock_of(connection, remote_id):
    connector = connector_for(connection)
    try:
        part = connector.get("parts", remote_id).unified
    finally:
        connector.http.close()
    return sum((level.quantity for level in part.stock), Decimal(0))


def shipments_for(tryton, key):
    return tryton.seed["rpc"](
        "stock.shipment.internal",
        "search_read",
        [["reference", "=", f"fieldops:{key}"]],
        0,
        None,
        None,
        ["state", "from_location", "to_location"],
    )


def work_with_parts(organization, dispatcher, technician, uses):
    work_order, _ = work_order_create(
        membership=dispatcher,
        organization_id=organization.pk,
        spec=WorkOrderSpec(title="Replace drive belts", work_type="inspection"),
    )
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
    for part, quantity in uses:
        part_use(
            membership=technician,
            work_order=work_order,
            part_id=part.public_id,
            quantity=quantity,
            stock_location="Van 3",
        )
    work_order.refresh_from_db()
    return work_order_transition(
        membership=technician,
        work_order=work_order,
        to_status=Status.COMPLETED,
        expected_version=work_order.version,
        resolution=Resolution(resolution_notes="Belts replaced."),
    )


def test_parts_used_leave_tryton_stock_exactly_once(
    organization, dispatcher, technician, tryton, django_capture_on_commit_callbacks
):
    connection = tryton_connection(organization, tryton)
    sync_live(connection, "parts")
    belt_remote = str(tryton.seed["products"][2])  # V-belt A42: no other test reads its stock
    belt = Part.objects.get(
        pk=ExternalReference.objects.get(
            connection=connection, entity="parts", remote_id=belt_remote
        ).local_id
    )
    before = stock_of(connection, belt_remote)
    # Completion enqueues on commit and the (eager) push task sends at once.
    with django_capture_on_commit_callbacks(execute=True):
        work_order = work_with_parts(organization, dispatcher, technician, [(belt, "2")])
    message = OutboxMessage.objects.get(connection=connection)
    assert (message.operation, message.status) == ("part.consume", OutboxStatus.SENT)
    assert message.payload["part_remote_id"] == belt_remote
    assert message.payload["work_order_remote_id"] is None  # Tryton holds no work orders
    assert message.payload["work_order_reference"] == work_order.reference
    assert stock_of(connection, belt_remote) == before - 2
    (shipment,) = shipments_for(tryton, message.key)
    assert shipment["state"] == "done"
    assert str(shipment["id"]) == message.remote_id

    # Redelivered task, the beat sweep, a replayed completion event: nothing moves twice.
    outbox_push_task.apply(args=[message.pk])
    work_order_completed_enqueue(organization_id=organization.pk, work_order_id=work_order.pk)
    assert OutboxMessage.objects.filter(connection=connection).count() == 1
    # The acknowledgement was lost after Tryton did the move: the retry finds the shipment.
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxStatus.PENDING, next_attempt_at=None, remote_id=""
    )
    assert outbox_push(message_id=message.pk) is None
    message.refresh_from_db()
    assert (message.status, message.remote_id) == (OutboxStatus.SENT, str(shipment["id"]))
    assert stock_of(connection, belt_remote) == before - 2
    assert len(shipments_for(tryton, message.key)) == 1


def test_a_consumption_interrupted_halfway_is_finished_not_repeated(
    organization, dispatcher, technician, tryton
):
    connection = tryton_connection(organization, tryton)
    sync_live(connection, "parts")
    belt_remote = str(tryton.seed["products"][2])
    belt = Part.objects.get(
        pk=ExternalReference.objects.get(
            connection=connection, entity="parts", remote_id=belt_remote
        ).local_id
    )
    before = stock_of(connection, belt_remote)
    work_order = work_with_parts(organization, dispatcher, technician, [(belt, "3")])
    (message_id,) = work_order_completed_enqueue(
        organization_id=organization.pk, work_order_id=work_order.pk
    )
    # First attempt: the shipment is created and assigned, then Tryton drops the connection
    # before the last step.
    connector = connector_for(connection, max_inline_wait=0)
    model = connector.rpc.model

    def failing_do(name, method, *args, **kwargs):
        if method == "do":
            raise Unavailable("Could not reach the server (RemoteProtocolError).")
        return model(name, method, *args, **kwargs)

    connector.rpc.model = failing_do
    try:
        assert outbox_push(message_id=message_id, connector=connector) is not None
    finally:
        connector.http.close()
    message = OutboxMessage.objects.get(pk=message_id)
    assert message.status == OutboxStatus.PENDING
    (shipment,) = shipments_for(tryton, message.key)
    assert shipment["state"] == "assigned"
    assert stock_of(connection, belt_remote) == before
    # The retry finishes that shipment instead of making another.
    OutboxMessage.objects.filter(pk=message_id).update(next_attempt_at=None)
    assert outbox_push(message_id=message_id) is None
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    (shipment,) = shipments_for(tryton, message.key)
    assert shipment["state"] == "done"
    assert stock_of(connection, belt_remote) == before - 3


@pytest.mark.parametrize("operation", ["part.consume", "timesheet.create"])
def test_tryton_offers_both_write_backs(operation):
    from integrations.connectors.base import connector_class

    assert operation in connector_class("tryton").push_operations


# Meter readings. Tryton (company, product, stock, purchase, timesheet) has no meters or
# measurement documents, so readings go where an ERP API takes them: Maximo's asset meters.


@pytest.fixture
def maximo(organization):
    """A Maximo asset with a continuous RUNHOURS meter, synced into FieldOps, served on
    loopback (the push task opens its own client)."""
    sim = MaximoSimulator()
    sim.rows["mxapiasset"] = [
        maximo_asset(
            "PUMP-101",
            "2026-11-01T08:00:00-05:00",
            assetmeter=[
                {
                    "metername": "RUNHOURS",
                    "metertype": "CONTINUOUS",
                    "measureunitid": "HOURS",
                    "lastreading": "1200",
                    "lastreadingdate": "2026-11-01T08:00:00+00:00",
                }
            ],
        )
    ]
    with serve(sim) as url:
        connection = ConnectionFactory(
            organization=organization,
            system="maximo",
            base_url=url,
            credentials_encrypted=encrypt_credentials({"apikey": "mx-key-123"}),
        )
        sync_live(connection, "assets")
        yield connection, sim


def runhours_meter(organization, admin_member):
    asset = Asset.objects.get(organization=organization, code="PUMP-101")
    return meter_create(
        membership=admin_member,
        asset_id=asset.public_id,
        name="Runhours",
        kind="cumulative",
        unit="h",
    )


def test_a_reading_reaches_the_maximo_asset_meter_exactly_once(
    organization, admin_member, technician, maximo, django_capture_on_commit_callbacks
):
    connection, sim = maximo
    meter = runhours_meter(organization, admin_member)
    taken = timezone.now().replace(microsecond=0) - timedelta(minutes=5)
    # Recorded → event after commit → enqueued → pushed (eager tasks).
    with django_capture_on_commit_callbacks(execute=True):
        reading, _ = reading_record(
            membership=technician,
            organization_id=organization.pk,
            meter_id=meter.public_id,
            value="1234.5",
            taken_at=taken.isoformat(),
        )
    message = OutboxMessage.objects.get(connection=connection)
    assert (message.operation, message.status) == ("meter_reading.record", OutboxStatus.SENT)
    assert message.key == f"reading-{reading.public_id}"
    assert message.payload["meter_name"] == "Runhours"
    stamp = taken.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    assert sim.meter_readings == [("PUMP-101", "RUNHOURS", "1234.5", stamp)]
    # The acknowledgement was lost: the retry sees its reading is the meter's last and stops.
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxStatus.PENDING, next_attempt_at=None
    )
    assert outbox_push(message_id=message.pk) is None
    outbox_push_task.apply(args=[message.pk])
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert len(sim.meter_readings) == 1


def test_readings_from_the_erp_are_not_echoed_and_unknown_meters_fail_clearly(
    organization, admin_member, technician, maximo, django_capture_on_commit_callbacks
):
    connection, sim = maximo
    meter = runhours_meter(organization, admin_member)
    with django_capture_on_commit_callbacks(execute=True):
        reading_record(
            membership=None,
            organization_id=organization.pk,
            meter_id=meter.public_id,
            value="1300",
            taken_at=(timezone.now() - timedelta(hours=2)).isoformat(),
            source="erp",
        )
    assert not OutboxMessage.objects.exists()
    asset = Asset.objects.get(organization=organization, code="PUMP-101")
    pressure = meter_create(
        membership=admin_member, asset_id=asset.public_id, name="Pressure", kind="gauge", unit="bar"
    )
    with django_capture_on_commit_callbacks(execute=True):
        reading_record(
            membership=technician,
            organization_id=organization.pk,
            meter_id=pressure.public_id,
            value="4.2",
            taken_at=(timezone.now() - timedelta(minutes=1)).isoformat(),
        )
    message = OutboxMessage.objects.get(connection=connection)
    assert message.status == OutboxStatus.FAILED
    assert "has no meter PRESSURE" in message.last_error
    assert sim.meter_readings == []
