"""A push's events: delivered once its changes committed, each event once to every subscriber, in
order, none for a refused or conflicting change — screens in one broadcast, the webhooks' and
ERP's share in one task for the whole push."""

import contextlib
import dataclasses
import json
import uuid

import kombu.utils.json
import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client

from fieldops import events
from fieldops.asgi import application
from integrations.webhooks.models import WebhookDelivery
from integrations.webhooks.services.endpoints import endpoint_create
from tests.factories import MembershipFactory
from tests.offline.test_sync_push import mutation, push
from tests.webhooks.conftest import Receiver

pytestmark = pytest.mark.django_db


class Recorder:
    """A subscriber of each kind: per event, per batch (``many``) and in the background."""

    def __init__(self):
        self.plain: list[events.Event] = []
        self.batches: list[list[events.Event]] = []
        self.per_event_of_many: list[events.Event] = []
        self.background: list[events.Event] = []

    def on_plain(self, event):
        self.plain.append(event)

    def on_many_single(self, event):
        self.per_event_of_many.append(event)

    def on_many(self, batch):
        self.batches.append(list(batch))

    def on_background(self, event):
        self.background.append(event)

    def register(self):
        events.subscribe("workorder.*", self.on_plain)
        events.subscribe("workorder.*", self.on_many_single, many=self.on_many)
        events.subscribe("workorder.*", self.on_background, background=True)

    def unregister(self):
        for handler in (self.on_plain, self.on_many_single, self.on_background):
            events._subscribers.remove(("workorder.*", handler))
            events._many.pop(handler, None)
            events._background.discard(handler)


@pytest.fixture
def recorder():
    recorder = Recorder()
    recorder.register()
    yield recorder
    recorder.unregister()


def described(seen):
    # An "updated" notice says which records; its status is the job's as first loaded.
    return [
        (e.type, e.data["records"] if e.type == "workorder.updated" else e.data["status"])
        for e in seen
    ]


def test_a_push_delivers_each_committed_event_once_after_it_ends(
    with_token, technician, job, recorder, django_capture_on_commit_callbacks
):
    batch = [
        mutation("workorder.transition", job, to="in_progress", from_status="assigned"),
        mutation("workorder.transition", job, to="on_hold", from_status="assigned"),  # conflict
        mutation("note.add", job, id=str(uuid.uuid4()), text="Seal replaced"),
        mutation("note.add", job, id=str(uuid.uuid4()), text=""),  # rejected
        mutation("workorder.transition", job, to="on_hold", from_status="in_progress"),
    ]
    client = with_token(technician)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        results = push(client, batch)
    assert [r["status"] for r in results] == [
        "applied",
        "conflict",
        "applied",
        "rejected",
        "applied",
    ]
    # Nothing reaches anyone before the push's transaction commits.
    assert recorder.plain == recorder.batches == recorder.background == []
    for callback in callbacks:
        callback()

    expected = [
        ("workorder.status_changed", "in_progress"),
        ("workorder.status_changed", "on_hold"),
        ("workorder.updated", ["note"]),
    ]
    assert described(recorder.plain) == expected
    assert len(recorder.batches) == 1  # one call with the whole push
    assert described(recorder.batches[0]) == expected
    assert recorder.per_event_of_many == []
    assert described(recorder.background) == expected
    assert [e.id for e in recorder.background] == [e.id for e in recorder.plain]
    assert recorder.background[0].technician_ids == (technician.pk,)


def publish_then_fail(organization, *, batched=False):
    with transaction.atomic():
        with events.events_batched() if batched else contextlib.nullcontext():
            events.publish_event("workorder.updated", organization_id=organization.pk, data={})
        raise RuntimeError("rolled back")


@pytest.mark.django_db(transaction=True)
def test_only_committed_events_of_a_batch_are_delivered(recorder, organization):
    with events.events_batched():
        with pytest.raises(RuntimeError):
            publish_then_fail(organization)
        kept = events.publish_event(
            "workorder.updated", organization_id=organization.pk, data={"n": 2}
        )
        assert recorder.plain == []  # held until the block ends
    assert [e.id for e in recorder.plain] == [kept.id]
    assert [e.id for e in recorder.batches[0]] == [kept.id]
    assert [e.id for e in recorder.background] == [kept.id]


@pytest.mark.django_db(transaction=True)
def test_a_batch_opened_inside_a_transaction_waits_for_its_commit(recorder, organization):
    with pytest.raises(RuntimeError):
        publish_then_fail(organization, batched=True)
    assert recorder.plain == recorder.batches == recorder.background == []
    with transaction.atomic():
        with events.events_batched():
            events.publish_event("workorder.updated", organization_id=organization.pk, data={})
        assert recorder.plain == []
    assert len(recorder.plain) == 1


@pytest.mark.django_db(transaction=True)
def test_background_subscribers_run_inline_when_the_task_cannot_be_queued(
    recorder, organization, monkeypatch
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(events.events_deliver_task, "delay", broker_down)
    with events.events_batched():
        event = events.publish_event("workorder.updated", organization_id=organization.pk, data={})
    assert [e.id for e in recorder.background] == [event.id]


def test_the_task_rebuilds_the_events_a_worker_receives(recorder, organization):
    event = events.Event(
        type="workorder.status_changed",
        organization_id=organization.pk,
        data={"id": str(uuid.uuid4()), "status": "completed", "version": 3},
        technician_ids=(4, 7),
    )
    # What the broker carries (JSON), as the worker decodes it.
    wire = kombu.utils.json.loads(kombu.utils.json.dumps([dataclasses.asdict(event)]))
    events.events_deliver_task(wire)
    assert recorder.background == [event]
    assert recorder.plain == []  # the worker runs only the background share


@pytest.mark.django_db(transaction=True)
def test_a_push_reaches_webhook_endpoints_once_per_event_in_order(
    with_token, technician, job, admin_member
):
    receiver = Receiver()
    endpoint_create(
        membership=admin_member, url=receiver.url, event_types=["workorder.status_changed"]
    )
    results = push(
        with_token(technician),
        [
            mutation("workorder.transition", job, to="in_progress", from_status="assigned"),
            mutation("workorder.transition", job, to="on_hold", from_status="in_progress"),
        ],
    )
    assert [r["status"] for r in results] == ["applied", "applied"]
    receiver.close()
    deliveries = WebhookDelivery.objects.order_by("id")
    assert [d.payload["data"]["status"] for d in deliveries] == ["in_progress", "on_hold"]
    sent = [json.loads(request.body)["data"]["status"] for request in receiver.requests]
    assert sent == ["in_progress", "on_hold"]


def _cookie(membership) -> bytes:
    client = Client()
    client.force_login(membership.user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def _socket(membership) -> WebsocketCommunicator:
    headers = [
        (b"origin", b"http://testserver"),
        (b"cookie", await sync_to_async(_cookie)(membership)),
    ]
    communicator = WebsocketCommunicator(application, "/ws/live/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from(timeout=3))["type"] == "hello"
    return communicator


async def _notices(communicator) -> list[tuple]:
    seen = []
    while not await communicator.receive_nothing(timeout=0.5):
        message = await communicator.receive_json_from(timeout=3)
        if message["type"] == "event":
            seen.append(message["event"])
    return [
        (
            e["type"],
            e["data"]["records"] if e["type"] == "workorder.updated" else e["data"]["status"],
        )
        for e in seen
    ]


@pytest.mark.django_db(transaction=True)
async def test_screens_get_the_push_notices_in_order(
    with_token, technician, dispatcher, job, other_org_user
):
    board = await _socket(dispatcher)
    phone = await _socket(technician)
    rival = await _socket(other_org_user)
    colleague = await _socket(
        await sync_to_async(MembershipFactory)(organization_id=technician.organization_id)
    )
    batch = [
        mutation("workorder.transition", job, to="in_progress", from_status="assigned"),
        mutation("note.add", job, id=str(uuid.uuid4()), text="Seal replaced"),
        mutation("workorder.transition", job, to="on_hold", from_status="in_progress"),
    ]
    results = await sync_to_async(lambda: push(with_token(technician), batch))()
    assert [r["status"] for r in results] == ["applied"] * 3
    expected = [
        ("workorder.status_changed", "in_progress"),
        ("workorder.status_changed", "on_hold"),
        ("workorder.updated", ["note"]),
    ]
    assert await _notices(board) == expected
    assert await _notices(phone) == expected
    assert await _notices(colleague) == []
    assert await _notices(rival) == []
    for socket in (board, phone, rival, colleague):
        await socket.disconnect()
